//! Real-process test support: free loopback ports, `entente` child processes that are
//! killed when dropped, and a small JSON-RPC client.

#![allow(dead_code)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The `entente` binary built for these tests.
pub fn entente() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_entente"))
}

/// A block of `n` consecutive free ports on 127.0.0.1 (best effort: probed, then
/// released), below the kernel's ephemeral range when it can (see
/// [`free_ports_below_ephemeral`]): process tests restart nodes on the same ports.
pub fn free_ports(n: u16) -> u16 {
    free_ports_below_ephemeral(n)
}

/// A block of `n` consecutive free ports the kernel hands out itself (in the ephemeral
/// range).
fn ephemeral_free_ports(n: u16) -> u16 {
    for _ in 0..200 {
        let probe = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = probe.local_addr().unwrap().port();
        drop(probe);
        if base > 60_000 - n {
            continue;
        }
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no block of {n} free ports on 127.0.0.1");
}

/// Free ports below the kernel's ephemeral range, so that no outgoing
/// connection (a curl, a peer dialling out) can take one of them while a node that owns
/// it is down and about to restart.
pub fn free_ports_below_ephemeral(n: u16) -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let floor = 10_000u16;
    if low < floor + n + 1 {
        return ephemeral_free_ports(n);
    }
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id()) << 32;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let base = floor + (x % u64::from(low - floor - n)) as u16;
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no block of {n} free ports on 127.0.0.1 below {low}");
}

/// A child process killed (SIGKILL) when dropped, with its output in a log file.
pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    pub fn spawn(args: &[&str], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        let child = Command::new(entente())
            .args(args)
            .env("RUST_LOG", "warn,entente=info")
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start entente");
        Self {
            child,
            log: log.to_path_buf(),
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT, as Ctrl-C, then wait for a clean exit.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("process did not stop on SIGINT; log: {}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking JSON-RPC call over HTTP (curl keeps the test free of an HTTP stack).
pub fn rpc(url: &str, method: &str, params: Value) -> Result<Value, Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let response = raw_post(url, &body).map_err(|e| json!({ "transport": e }))?;
    let value: Value = serde_json::from_str(&response)
        .map_err(|e| json!({ "parse": e.to_string(), "body": response }))?;
    match value.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
    }
}

/// POSTs `body` and returns the response body, using the system's curl.
pub fn raw_post(url: &str, body: &str) -> Result<String, String> {
    let output = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-H",
            "content-type: application/json",
            "--data-binary",
            "@-",
            url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(body.as_bytes())?;
            child.wait_with_output()
        })
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Parses a `0x` quantity.
pub fn quantity(value: &Value) -> u64 {
    let text = value.as_str().expect("hex quantity");
    u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex quantity")
}

pub fn block_number(url: &str) -> Option<u64> {
    rpc(url, "eth_blockNumber", json!([]))
        .ok()
        .map(|v| quantity(&v))
}

/// Waits until `url` reports at least `height`.
pub fn wait_for_height(url: &str, height: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if block_number(url).is_some_and(|h| h >= height) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Hash and state root of block `height` as `url` reports them.
pub fn block_identity(url: &str, height: u64) -> Option<(String, String)> {
    let block = rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("0x{height:x}"), false]),
    )
    .ok()?;
    Some((
        block.get("hash")?.as_str()?.to_string(),
        block.get("stateRoot")?.as_str()?.to_string(),
    ))
}

/// A scratch folder removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("entente-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("ENTENTE_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// GETs `url` with the system's curl and returns the body.
pub fn curl_get(url: &str) -> Result<String, String> {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "10", url])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Decodes `0x`-prefixed (or bare) hex.
pub fn hex_bytes(text: &str) -> Vec<u8> {
    alloy_primitives::hex::decode(text.trim_start_matches("0x")).expect("hex")
}

/// The last 40 lines of a log, for failure messages.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Runs the `entente` binary with `args` (no API token from the environment) and
/// returns what it did.
pub fn run_cli(args: &[&str]) -> std::process::Output {
    Command::new(entente())
        .args(args)
        .env_remove("ENTENTE_API_TOKEN")
        .output()
        .expect("entente runs")
}

/// Standard output then standard error, for assertions and failure messages.
pub fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
