//! `entente evidence` (deposit a file's digest and fetch certificates) and `entente verify`
//! (check a certificate offline).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, Bytes};
use alloy_sol_types::{SolCall as _, SolInterface as _};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use entente_chainspec::ChainSpec;
use entente_verify::evidence::{
    EvidenceCertificate, EvidenceError, Inputs,
    abi::{
        self, ALG_SHA256, ALG_SM3, Digest, EVIDENCE_ADDRESS, EvidenceRecord, IEvidence,
        IEvidence::IEvidenceErrors,
    },
    verify::digest_document,
    verify_certificate,
};
use serde_json::json;

use crate::admin::{Node, RpcError, load_signer};

/// How long a certificate is waited for once the deposit is included.
const CERTIFICATE_WAIT: Duration = Duration::from_secs(30);
const CERTIFICATE_POLL: Duration = Duration::from_millis(250);

#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Hash a file locally (it never leaves this machine), deposit its digest, wait for
    /// finality and write the evidence certificate.
    Deposit(Box<DepositArgs>),
    /// Fetch the certificate of a deposit by evidence id or by transaction hash.
    Certificate {
        /// An evidence id or the hash of the deposit transaction (0x hex).
        key: B256,
        /// The node's JSON-RPC URL.
        #[arg(long)]
        rpc: String,
        /// Where to write the certificate (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct DepositArgs {
    /// The document.
    pub file: PathBuf,
    /// The node's JSON-RPC URL.
    #[arg(long)]
    pub rpc: String,
    /// The submitter's secp256k1 secret key (hex); the account needs the
    /// `evidence_submitter` role.
    #[arg(long = "key", value_name = "HEX", conflicts_with = "key_file")]
    pub signing_key: Option<String>,
    /// A file holding the submitter's secret key.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// The document's media type.
    #[arg(long, default_value = "application/octet-stream")]
    pub media_type: String,
    /// The evidence id of the record this one follows (chain of custody).
    #[arg(long)]
    pub prev: Option<B256>,
    /// Hash of capture metadata kept off chain (URL, tool, operator…).
    #[arg(long)]
    pub metadata_hash: Option<B256>,
    /// Record the document's SM3 digest beside its SHA-256.
    #[arg(long)]
    pub sm3: bool,
    /// Where to write the certificate (default: FILE.evidence.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seconds to wait for the deposit to be included.
    #[arg(long, default_value_t = 60)]
    pub wait: u64,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The evidence certificate (JSON).
    pub certificate: PathBuf,
    /// The document the certificate is about: its digests are recomputed.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The chain spec (genesis.json) you trust: the chain identity and the validator set
    /// are checked against it.
    #[arg(long)]
    pub chain_spec: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: EvidenceCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match command {
            EvidenceCommand::Deposit(args) => deposit(*args).await,
            EvidenceCommand::Certificate { key, rpc, out } => {
                let node = Node::connect(&rpc)?;
                let cert = fetch_certificate(&node, key, Duration::ZERO).await?;
                write_certificate(&cert, out.as_deref())
            }
        }
    })
}

/// The evidence module's error in a failed call's revert data, else the failure as is.
fn refusal(err: RpcError) -> anyhow::Error {
    if let RpcError::Failed {
        data: Some(data), ..
    } = &err
        && let Ok(decoded) = IEvidenceErrors::abi_decode(data)
    {
        return anyhow!("the evidence module refused: {}", error_text(&decoded));
    }
    err.into()
}

fn error_text(err: &IEvidenceErrors) -> String {
    match err {
        IEvidenceErrors::Unauthorized(e) => format!("Unauthorized: {} ({})", e.caller, e.reason),
        IEvidenceErrors::NotFound(e) => format!("NotFound: {}", e.what),
        IEvidenceErrors::AlreadyDeposited(e) => format!("AlreadyDeposited: evidence {}", e.id),
        IEvidenceErrors::InvalidInput(e) => format!("InvalidInput: {}", e.reason),
        IEvidenceErrors::UnsupportedAlg(e) => format!("UnsupportedAlg: {}", e.alg),
        IEvidenceErrors::InvalidDigestLength(e) => {
            format!("InvalidDigestLength: alg {} with {} bytes", e.alg, e.length)
        }
        IEvidenceErrors::BadSubmitterSig(_) => "BadSubmitterSig".into(),
    }
}

async fn deposit(args: DepositArgs) -> anyhow::Result<()> {
    let signer = load_signer(args.signing_key.as_deref(), args.key_file.as_deref())?;
    let document = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let node = Node::connect(&args.rpc)?;
    let chain_id: alloy_primitives::U64 = node.typed("eth_chainId", json!([])).await?;
    let mut content = vec![Digest {
        alg: ALG_SHA256,
        value: Bytes::from(digest_document(ALG_SHA256, &document).to_vec()),
    }];
    if args.sm3 {
        content.push(Digest {
            alg: ALG_SM3,
            value: Bytes::from(digest_document(ALG_SM3, &document).to_vec()),
        });
    }
    let record = EvidenceRecord {
        chainId: chain_id.to(),
        submitter: signer.address(),
        content: content.clone(),
        contentLength: document.len() as u64,
        mediaType: args.media_type.clone(),
        metadataHash: args.metadata_hash.unwrap_or_default(),
        prev: args.prev.unwrap_or_default(),
    };
    let signature = signer.sign_message(abi::record_hash(&record).as_slice())?;
    let call = IEvidence::depositCall {
        content,
        contentLength: record.contentLength,
        mediaType: record.mediaType.clone(),
        metadataHash: record.metadataHash,
        prev: record.prev,
        signature: Bytes::from(signature.to_vec()),
    };
    let (hash, receipt) = node
        .send_to(
            &signer,
            EVIDENCE_ADDRESS,
            call.abi_encode(),
            Duration::from_secs(args.wait),
            refusal,
        )
        .await?;
    let height = receipt.block_number.to::<u64>();
    eprintln!("deposited in block {height} by transaction {hash}; fetching the certificate");
    let cert = fetch_certificate(&node, hash, CERTIFICATE_WAIT).await?;
    // What the node gave must verify against the document before it is written.
    let checked = verify_certificate(
        &cert,
        Inputs {
            document: Some(&document),
            chain_spec: None,
        },
    );
    if let Err(err) = checked.result {
        bail!("the node's certificate does not verify: {err}");
    }
    let out = args.out.unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".evidence.json");
        PathBuf::from(name)
    });
    write_certificate(&cert, Some(&out))?;
    println!("evidence id   {}", cert.evidence_id);
    println!("block         {height}");
    println!("transaction   {hash}");
    println!("certificate   {}", out.display());
    Ok(())
}

/// Asks the node for the certificate of `key` (evidence id or transaction hash), retrying
/// for up to `wait` while its block's finality proof is still being stored.
async fn fetch_certificate(
    node: &Node,
    key: B256,
    wait: Duration,
) -> anyhow::Result<EvidenceCertificate> {
    let deadline = Instant::now() + wait;
    loop {
        match node
            .request("entente_getEvidenceCertificate", json!([key]))
            .await
        {
            Ok(value) if value.is_null() => {
                bail!("no evidence with id or deposit transaction {key}")
            }
            Ok(value) => {
                return serde_json::from_value(value)
                    .context("entente_getEvidenceCertificate: unexpected answer");
            }
            Err(err) if Instant::now() < deadline => {
                tracing::debug!(%err, "certificate not ready");
                tokio::time::sleep(CERTIFICATE_POLL).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

fn write_certificate(cert: &EvidenceCertificate, out: Option<&Path>) -> anyhow::Result<()> {
    let bytes = cert.to_canonical_json();
    match out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            println!("{}", String::from_utf8_lossy(&bytes));
            Ok(())
        }
    }
}

/// `entente verify`: prints each check; exits 0 when the certificate verifies, 1 when an
/// input cannot be read, and the failure's own code (10 and up) otherwise.
pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let text = std::fs::read(&args.certificate)
        .with_context(|| format!("cannot read {}", args.certificate.display()))?;
    let document = match &args.file {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };
    let spec = match &args.chain_spec {
        Some(path) => Some(
            ChainSpec::load(path)
                .with_context(|| format!("cannot load the chain spec {}", path.display()))?,
        ),
        None => None,
    };
    let cert = match EvidenceCertificate::from_json(&text) {
        Ok(cert) => cert,
        Err(err) => {
            let err = EvidenceError::UnsupportedFormat(format!(
                "{} is not an evidence certificate: {err}",
                args.certificate.display()
            ));
            report_failure(&err, args.json, &[]);
            std::process::exit(err.exit_code());
        }
    };
    let verification = verify_certificate(
        &cert,
        Inputs {
            document: document.as_deref(),
            chain_spec: spec.as_ref(),
        },
    );
    match &verification.result {
        Ok(v) => {
            if args.json {
                println!(
                    "{}",
                    json!({
                        "ok": true,
                        "checks": checks_json(&verification.checks),
                        "evidence_id": v.evidence_id,
                        "submitter": v.submitter,
                        "submitter_org": v.submitter_org,
                        "sha256": v.sha256,
                        "height": v.height,
                        "block_time_ms": v.block_time_ms,
                        "chain_id": v.chain_id,
                        "signers": v.signers,
                        "validators": v.validators,
                        "pinned": v.pinned,
                    })
                );
            } else {
                print_checks(&verification.checks);
                println!(
                    "OK: evidence {} existed no later than block {} ({} ms since the Unix epoch), \
                     deposited by {}; {} of {} validators signed{}",
                    v.evidence_id,
                    v.height,
                    v.block_time_ms,
                    v.submitter,
                    v.signers,
                    v.validators,
                    if v.pinned {
                        ""
                    } else {
                        " (validator set not pinned: pass --chain-spec)"
                    }
                );
            }
            Ok(())
        }
        Err(err) => {
            report_failure(err, args.json, &verification.checks);
            std::process::exit(err.exit_code());
        }
    }
}

fn checks_json(checks: &[entente_verify::evidence::Check]) -> serde_json::Value {
    checks
        .iter()
        .map(|c| json!({"check": c.name, "skipped": c.skipped, "detail": c.detail}))
        .collect()
}

fn print_checks(checks: &[entente_verify::evidence::Check]) {
    for check in checks {
        let mark = if check.skipped { "-" } else { "✓" };
        let state = if check.skipped { " (skipped)" } else { "" };
        println!("{mark} {}{state}: {}", check.name, check.detail);
    }
}

fn report_failure(err: &EvidenceError, json: bool, checks: &[entente_verify::evidence::Check]) {
    if json {
        println!(
            "{}",
            json!({
                "ok": false,
                "checks": checks_json(checks),
                "error": err.name(),
                "message": err.to_string(),
            })
        );
    } else {
        print_checks(checks);
        println!("✗ {}: {err}", err.name());
    }
}
