"""The public consumer page in a real browser: headless Chromium driven through
chromedriver (selenium 4), on a phone-sized window.

Environment: PAGE_BASE (the node's REST URL), GTIN, GENUINE_SERIAL and GENUINE_CODE (an
item sold through the retailer, never verified), CLONE_SERIAL and CLONE_CODE (another
such item), HIDDEN (comma-separated texts the page must never show); SCREENSHOT_DIR, optional, to
keep full-page screenshots. Exits non-zero with a message on the first thing a person
would not see as expected.
"""

import json
import os
import shutil
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["PAGE_BASE"]
GTIN = os.environ["GTIN"]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844"):
        options.add_argument(arg)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver


def text_of(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else None


def open_item(driver, serial):
    driver.get(f"{BASE}/verify/{GTIN}/{serial}")
    WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.ID, "journey")))
    fits = driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    check(fits, f"the page of {serial} is wider than a phone screen")


def replaced(old_page):
    """A wait condition: the page `old_page` belonged to has been replaced."""

    def check(_driver):
        try:
            old_page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as err:
            # Mid-navigation Chromium can answer for the old node with an inspector
            # error instead of a stale-element one: the node has left the document.
            if "does not belong to the document" in str(err):
                return True
            raise

    return check


def submit_code(driver, code, city):
    field = driver.find_element(By.ID, "code")
    field.clear()
    field.send_keys(code)
    driver.find_element(By.ID, "city").send_keys(city)
    # The form posts and the server renders a new page: wait for the old page to go,
    # or an earlier submission's #result would be read as this one's.
    old_page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    WebDriverWait(driver, 40).until(replaced(old_page))
    WebDriverWait(driver, 40).until(
        lambda d: d.find_elements(By.ID, "result") or d.find_elements(By.ID, "notice")
    )


def snapshot(driver, name):
    """Saves a full-page screenshot when SCREENSHOT_DIR is set (for people, not checks)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(390, max(844, height))
        driver.save_screenshot(os.path.join(folder, f"{name}.png"))
        driver.set_window_size(390, 844)


def main():
    hidden = [h for h in os.environ.get("HIDDEN", "").split(",") if h]
    seen = {}
    driver = browser()
    try:
        # A genuine bottle: provenance first.
        open_item(driver, os.environ["GENUINE_SERIAL"])
        check("Moutai" in (text_of(driver, "#product") or ""), "no product name")
        steps = [
            li.get_attribute("data-step")
            for li in driver.find_elements(By.CSS_SELECTOR, "#journey li")
        ]
        seen["journey"] = steps
        for step in ("commissioning", "inspecting", "shipping", "customs_cleared", "retail_selling"):
            check(step in steps, f"journey lacks {step}: {steps}")
        check(steps.index("customs_cleared") < steps.index("retail_selling"), f"order: {steps}")
        links = driver.find_elements(By.CSS_SELECTOR, "#journey a.tx")
        check(len(links) == len(steps), "a journey line without its transaction")
        origin = text_of(driver, "#origin") or ""
        check("CN" in origin and "Kweichow Moutai" in origin, f"origin: {origin!r}")
        inspections = text_of(driver, "#inspections") or ""
        check("passed" in inspections and "CCIG" in inspections, f"inspections: {inspections!r}")
        check("cleared" == text_of(driver, "#customs"), "customs not shown as cleared")
        check(not driver.find_elements(By.ID, "channel"), "a sold bottle warned as unsold")
        source = driver.page_source
        for text in hidden:
            check(text not in source, f"the page shows {text!r}")
        # A mistyped code, then the right one.
        submit_code(driver, "00" * 16, "Shanghai")
        check("Invalid code" in (text_of(driver, "#result") or ""), "a wrong code was not refused")
        submit_code(driver, os.environ["GENUINE_CODE"], "Shanghai")
        result = text_of(driver, "#result") or ""
        seen["genuine"] = result
        check(result.startswith("Genuine"), f"genuine bottle reads {result!r}")
        check(not driver.find_elements(By.ID, "clone"), "a genuine bottle flagged")
        snapshot(driver, "genuine")

        # A cloned bottle: the code is used in Guiyang, then again in Hangzhou.
        open_item(driver, os.environ["CLONE_SERIAL"])
        submit_code(driver, os.environ["CLONE_CODE"], "Guiyang")
        check((text_of(driver, "#result") or "").startswith("Genuine"), "first check not genuine")
        open_item(driver, os.environ["CLONE_SERIAL"])
        submit_code(driver, os.environ["CLONE_CODE"], "Hangzhou")
        result = text_of(driver, "#result") or ""
        seen["clone"] = result
        check("Already verified at" in result and "Guiyang" in result, f"clone reads {result!r}")
        open_item(driver, os.environ["CLONE_SERIAL"])
        banner = text_of(driver, "#clone") or ""
        seen["clone_banner"] = banner
        check("Suspected clone" in banner and "Guiyang" in banner, f"banner: {banner!r}")
        snapshot(driver, "clone")
        checks = text_of(driver, "#verification") or ""
        check("2" in checks, f"verification count: {checks!r}")

        # A line's proof: its transaction, with its block.
        link = driver.find_elements(By.CSS_SELECTOR, "#journey a.tx")[0].get_attribute("href")
        driver.get(link)
        proof = json.loads(driver.find_element(By.TAG_NAME, "body").text)
        check(proof["success"] and proof["events"], f"proof: {proof}")
        seen["proof_block"] = proof["block"]
    finally:
        driver.quit()
    print(json.dumps(seen, indent=2))


if __name__ == "__main__":
    main()
