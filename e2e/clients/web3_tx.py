#!/usr/bin/env python3
"""web3.py v7 against a live node: locally signed legacy and EIP-1559 value
transfers, receipts, balances, block contents, and rejection of a transaction
signed for the wrong chain id.

Env: ENTENTE_RPC_HTTP, ENTENTE_CHAIN_ID, ENTENTE_PRIVATE_KEY, ENTENTE_PRIVATE_KEY_2.
Exits 0 on success, 1 with a message otherwise.
"""

import os
import signal
import sys
import time

from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3RPCError

TOTAL_TIMEOUT_S = 55  # whole script; the harness allows ~60 s
RECEIPT_TIMEOUT_S = 20
HTTP_TIMEOUT_S = 10
VALUE = Web3.to_wei("0.0321", "ether")

T0 = time.monotonic()


def log(msg):
    print(f"[web3.py +{time.monotonic() - T0:.1f}s] {msg}", flush=True)


def fail(msg):
    print(f"[web3.py] FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        raise AssertionError(f"check failed: {msg}")


def env(name):
    value = os.environ.get(name)
    if not value:
        fail(f"environment variable {name} is not set")
    return value


def on_alarm(_signum, _frame):
    fail(f"timed out after {TOTAL_TIMEOUT_S}s")


def send_and_check(w3, acct, tx, label, zero_fee):
    """Sign locally, send raw, wait for the receipt, and check balances/block."""
    sender = acct.address
    dest = tx["to"]
    before = w3.eth.get_balance(sender)
    signed = acct.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    check(tx_hash == signed.hash, f"{label}: node returned hash {tx_hash.hex()}, signed hash {signed.hash.hex()}")
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S, poll_latency=0.25)
    check(receipt["status"] == 1, f"{label}: receipt status {receipt['status']}")
    check(receipt["transactionHash"] == tx_hash, f"{label}: receipt has a different transactionHash")
    check(receipt["gasUsed"] == 21000, f"{label}: plain transfer used {receipt['gasUsed']} gas, expected 21000")

    mined = w3.eth.get_transaction(tx_hash)
    check(mined["type"] == tx.get("type", 0), f"{label}: mined type {mined['type']}")
    check(mined["value"] == VALUE and mined["to"] == dest and mined["from"] == sender, f"{label}: tx fields mismatch")
    check(mined["blockNumber"] == receipt["blockNumber"], f"{label}: tx/receipt blockNumber differ")

    # The block the receipt points at must list the transaction.
    block = w3.eth.get_block(receipt["blockNumber"])

    # effectiveGasPrice must follow from the tx's own fee fields (EIP-1559 rules).
    price = receipt["effectiveGasPrice"]
    if "gasPrice" in tx:
        want_price = tx["gasPrice"]
    else:
        base = block.get("baseFeePerGas", 0)
        want_price = min(tx["maxFeePerGas"], base + tx["maxPriorityFeePerGas"])
    check(price == want_price, f"{label}: effectiveGasPrice {price}, expected {want_price}")

    # Fee accounting: works for zero gas price and for anvil's default fees.
    after = w3.eth.get_balance(sender)
    want = before - VALUE - receipt["gasUsed"] * price
    check(after == want, f"{label}: sender balance {after}, expected {want} (gasUsed {receipt['gasUsed']} x {price})")
    check(w3.eth.get_balance(dest) == VALUE, f"{label}: fresh recipient balance != value")
    # On a zero-gas-price node a tx priced from eth_gasPrice must cost exactly the value.
    if zero_fee and "gasPrice" in tx:
        check(before - after == VALUE, f"{label}: zero-fee node charged {before - after - VALUE} wei in fees")

    check(tx_hash in block["transactions"], f"{label}: block {receipt['blockNumber']} does not list the tx")
    check(block["hash"] == receipt["blockHash"], f"{label}: block hash differs from receipt.blockHash")
    full = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    check(any(t["hash"] == tx_hash for t in full["transactions"]), f"{label}: full block does not contain the tx")
    log(f"{label} OK: block {receipt['blockNumber']}, effectiveGasPrice {price}, sender -{before - after} wei")
    return receipt


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TOTAL_TIMEOUT_S)

    url = env("ENTENTE_RPC_HTTP")
    chain_id = int(env("ENTENTE_CHAIN_ID"))
    acct1 = Account.from_key(env("ENTENTE_PRIVATE_KEY"))
    acct2 = Account.from_key(env("ENTENTE_PRIVATE_KEY_2"))

    # No automatic retries: a dead or stuck node should fail within one HTTP timeout,
    # not after web3's default five retries.
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": HTTP_TIMEOUT_S}, exception_retry_configuration=None))
    try:
        reported = w3.eth.chain_id
    except Exception as exc:
        fail(f"cannot get eth_chainId from {url}: {type(exc).__name__}: {exc}")
    check(reported == chain_id, f"eth_chainId is {reported}, expected {chain_id}")
    gas_price = w3.eth.gas_price
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    zero_fee = gas_price == 0
    log(f"connected to {url}, chain id {reported}, gasPrice {gas_price}, baseFee {base_fee}")

    # 1. Legacy (type 0) transaction from account 1 to a fresh address.
    # No "type" key: eth_account signs a dict with gasPrice as a legacy (EIP-155) tx.
    legacy = {
        "chainId": chain_id,
        "nonce": w3.eth.get_transaction_count(acct1.address, "pending"),
        "to": Account.create().address,
        "value": VALUE,
        "gas": 21000,
        "gasPrice": gas_price,
    }
    send_and_check(w3, acct1, legacy, "legacy tx", zero_fee)

    # 2. EIP-1559 (type 2) transaction from account 2; fees from the node's own hints.
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tip = w3.eth.max_priority_fee
    dynamic = {
        "type": 2,
        "chainId": chain_id,
        "nonce": w3.eth.get_transaction_count(acct2.address, "pending"),
        "to": Account.create().address,
        "value": VALUE,
        "gas": 21000,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * base_fee + tip,
    }
    log(f"EIP-1559 fees: maxPriorityFeePerGas {tip} (eth_maxPriorityFeePerGas), maxFeePerGas {dynamic['maxFeePerGas']}")
    send_and_check(w3, acct2, dynamic, "EIP-1559 tx", zero_fee)

    # 3. Transactions signed for another chain id must be refused, not mined.
    # anvil (by design) lets EIP-155 legacy txs with a foreign chain id into its pool
    # and then silently drops them, so the legacy case is only enforced elsewhere.
    try:
        client = w3.client_version  # only used to recognise anvil
    except Web3RPCError:
        client = "unknown client"
    wrong_chain = chain_id + 1
    cases = [("EIP-1559", dict(dynamic, chainId=wrong_chain)), ("legacy", dict(legacy, chainId=wrong_chain))]
    for label, template in cases:
        if label == "legacy" and client.lower().startswith("anvil"):
            log(f"wrong chain id ({label}): skipped on {client}, which accepts it by design")
            continue
        sender = acct2 if label == "EIP-1559" else acct1
        nonce = w3.eth.get_transaction_count(sender.address, "pending")
        tx = dict(template, nonce=nonce, to=Account.create().address)
        signed = sender.sign_transaction(tx)
        try:
            w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as err:
            log(f"wrong chain id ({label}) rejected: {err}")
        else:
            fail(f"{label} transaction signed for chain id {wrong_chain} was accepted by {client}")
        check(w3.eth.get_transaction_count(sender.address, "pending") == nonce, f"wrong-chain {label} tx consumed a nonce")
        check(w3.eth.get_balance(tx["to"]) == 0, f"wrong-chain {label} tx moved value")

    log("ALL OK")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # any failure → clear message and exit 1
        fail(f"{type(exc).__name__}: {exc}")
