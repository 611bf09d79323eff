//! `entente trace`: product traceability from the command line, through a node's REST
//! port (see docs/trace.md).
//!
//! - `codes` makes a one-time secret per serial, on this machine: a CSV for the label
//!   printer with each code, its commitment and the Digital Link a QR code carries.
//! - `commission` sends a CSV's commitments (never the codes) as the token's account.
//! - `op` performs any operation given as JSON.
//! - `item` shows an item's state and journey.

use std::{
    fmt::Write as _,
    io::Read as _,
    path::{Path, PathBuf},
};

use alloy_primitives::FixedBytes;
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use entente_modules::trace::{
    logic::{check_gtin, check_serial},
    state::auth_commit,
};
use serde_json::{Value, json};

use crate::rest::{Rest, load_token};

/// Most serials one `codes` run makes.
const CODES_MAX: usize = 100_000;

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Make a one-time secret code per serial (on this machine) and write the label CSV:
    /// gtin,serial,code,auth_commit,link.
    Codes {
        #[arg(long)]
        gtin: String,
        /// A file with one serial per line.
        #[arg(long, value_name = "FILE")]
        serials: PathBuf,
        /// Where to write the CSV (it holds the secrets: keep it with the label printer).
        #[arg(long)]
        out: PathBuf,
        /// The resolver the QR codes point to (GS1 Digital Link: <base>/01/<gtin>/21/<serial>).
        #[arg(long, default_value = "http://127.0.0.1:8645")]
        link_base: String,
    },
    /// Commission the items of a codes CSV into a lot, sending only the commitments.
    Commission(Box<CommissionArgs>),
    /// Perform one operation given as JSON (the body of POST /v1/trace/operations).
    Op {
        #[command(flatten)]
        gateway: GatewayArgs,
        /// The operation's JSON, or `-` for standard input.
        #[arg(long, value_name = "FILE")]
        body: String,
    },
    /// Show an item: state, custody, customs, verification and its journey.
    Item {
        gtin: String,
        serial: String,
        /// The node's REST URL.
        #[arg(long, value_name = "URL")]
        api: String,
        /// Print the node's JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct GatewayArgs {
    /// The node's REST URL (e.g. http://127.0.0.1:8645).
    #[arg(long, value_name = "URL")]
    api: String,
    /// The gateway API token (default: the env var ENTENTE_API_TOKEN).
    #[arg(long, conflicts_with = "token_file")]
    token: Option<String>,
    /// A file holding the gateway API token.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
}

impl GatewayArgs {
    fn rest(&self) -> anyhow::Result<Rest> {
        let token = load_token(self.token.as_deref(), self.token_file.as_deref())?;
        Rest::connect(&self.api, &token)
    }
}

#[derive(Args, Debug)]
pub struct CommissionArgs {
    #[command(flatten)]
    gateway: GatewayArgs,
    /// The codes CSV written by `entente trace codes`.
    #[arg(long, value_name = "FILE")]
    codes: PathBuf,
    #[arg(long)]
    lot: String,
    /// Event time, Unix seconds (default: now).
    #[arg(long)]
    time: Option<u64>,
    /// Where the items were commissioned (a GLN or a place).
    #[arg(long, default_value = "")]
    read_point: String,
}

pub fn run(command: TraceCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(execute(command))
}

async fn execute(command: TraceCommand) -> anyhow::Result<()> {
    match command {
        TraceCommand::Codes {
            gtin,
            serials,
            out,
            link_base,
        } => codes(&gtin, &serials, &out, &link_base),
        TraceCommand::Commission(args) => commission(*args).await,
        TraceCommand::Op { gateway, body } => {
            let text = if body == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&body).with_context(|| format!("cannot read {body}"))?
            };
            let body: Value =
                serde_json::from_str(&text).context("the operation is not valid JSON")?;
            let answer: Value = gateway.rest()?.post("/v1/trace/operations", &body).await?;
            print_submitted(&answer);
            Ok(())
        }
        TraceCommand::Item {
            gtin,
            serial,
            api,
            json,
        } => {
            check_gtin(&gtin).map_err(|e| anyhow::anyhow!("{e}"))?;
            check_serial(&serial).map_err(|e| anyhow::anyhow!("{e}"))?;
            let item: Value = Rest::public(&api)?
                .get(&format!("/v1/trace/items/{gtin}/{serial}"))
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&item)?);
            } else {
                print!("{}", item_text(&item));
            }
            Ok(())
        }
    }
}

fn print_submitted(answer: &Value) {
    for tx in answer["transactions"].as_array().into_iter().flatten() {
        println!(
            "submitted: {} (from {}, nonce {})",
            tx["hash"].as_str().unwrap_or_default(),
            tx["from"].as_str().unwrap_or_default(),
            tx["nonce"]
        );
    }
}

fn codes(gtin: &str, serials: &Path, out: &Path, link_base: &str) -> anyhow::Result<()> {
    check_gtin(gtin).map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = std::fs::read_to_string(serials)
        .with_context(|| format!("cannot read {}", serials.display()))?;
    let list: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if list.is_empty() || list.len() > CODES_MAX {
        bail!(
            "{} holds {} serials; give 1 to {CODES_MAX}",
            serials.display(),
            list.len()
        );
    }
    let mut seen = std::collections::HashSet::new();
    let mut csv = String::from("gtin,serial,code,auth_commit,link\n");
    let base = link_base.trim_end_matches('/');
    for (line, serial) in list.iter().enumerate() {
        check_serial(serial).map_err(|e| anyhow::anyhow!("line {}: {e}", line + 1))?;
        if !seen.insert(*serial) {
            bail!("line {}: serial {serial} appears twice", line + 1);
        }
        let secret = FixedBytes::<16>::random();
        let commit = auth_commit(gtin, serial, &secret.0);
        let _ = writeln!(
            csv,
            "{gtin},{serial},{},{commit},{base}/01/{gtin}/21/{serial}",
            alloy_primitives::hex::encode(secret)
        );
    }
    if out.exists() {
        bail!(
            "{} exists: codes are written once (it holds secrets)",
            out.display()
        );
    }
    std::fs::write(out, csv).with_context(|| format!("cannot write {}", out.display()))?;
    println!("codes: {} for GTIN {gtin} in {}", list.len(), out.display());
    Ok(())
}

/// The (gtin, serial, auth_commit) rows of a codes CSV.
fn read_codes(path: &Path) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some("gtin,serial,code,auth_commit,link") {
        bail!(
            "{} is not a codes CSV from `entente trace codes`",
            path.display()
        );
    }
    let mut gtin = None;
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let [g, serial, _, commit, _] = fields[..] else {
            bail!("{} line {}: expected 5 fields", path.display(), i + 2);
        };
        if *gtin.get_or_insert(g.to_string()) != g {
            bail!("{} line {}: another GTIN ({g})", path.display(), i + 2);
        }
        rows.push((serial.to_string(), commit.to_string()));
    }
    let gtin = gtin.with_context(|| format!("{} holds no codes", path.display()))?;
    Ok((gtin, rows))
}

async fn commission(args: CommissionArgs) -> anyhow::Result<()> {
    let (gtin, rows) = read_codes(&args.codes)?;
    let time = match args.time {
        Some(time) => time,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    };
    let body = json!({
        "op": "commission",
        "gtin": gtin,
        "lot": args.lot,
        "items": rows.iter().map(|(serial, commit)| json!({ "serial": serial, "auth_commit": commit })).collect::<Vec<_>>(),
        "event": { "time": time, "read_point": args.read_point },
    });
    let answer: Value = args
        .gateway
        .rest()?
        .post("/v1/trace/operations", &body)
        .await?;
    print_submitted(&answer);
    println!(
        "commissioned: {} items of {gtin} into lot {}",
        rows.len(),
        args.lot
    );
    Ok(())
}

/// An item as text: what it is, where it is, and its journey.
fn item_text(item: &Value) -> String {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "product: {} ({})",
        s(&item["product"]["name"]),
        s(&item["product"]["brand_name"])
    );
    let _ = writeln!(
        out,
        "item: {}/{} lot {}",
        s(&item["gtin"]),
        s(&item["serial"]),
        s(&item["lot"])
    );
    let _ = writeln!(out, "state: {}", s(&item["state"]));
    let _ = writeln!(out, "custodian: {}", s(&item["custodian"]));
    if !item["container"].is_null() {
        let _ = writeln!(out, "pallet: {}", s(&item["container"]));
    }
    let _ = writeln!(
        out,
        "customs: declared {}, cleared {}",
        item["customs"]["declared"], item["customs"]["cleared"]
    );
    let _ = writeln!(
        out,
        "code: {}, verified {} times, wrong codes {}",
        s(&item["code_status"]),
        item["verify_count"],
        item["bad_attempts"]
    );
    if let Some(flags) = item["flags"].as_array().filter(|f| !f.is_empty()) {
        let names: Vec<String> = flags.iter().map(s).collect();
        let _ = writeln!(out, "flags: {}", names.join(", "));
    }
    let _ = writeln!(out, "journey:");
    for event in item["journey"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {} {} by {} at {:?} (block {}, tx {})",
            event["event_time"],
            s(&event["step"]),
            s(&event["org_name"]),
            s(&event["read_point"]),
            event["block"],
            s(&event["tx"])
        );
    }
    out
}
