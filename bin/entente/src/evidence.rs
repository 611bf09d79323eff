//! `entente evidence` (deposit a file's digest and fetch certificates) and `entente verify`
//! (check a certificate offline).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, U64};
use alloy_sol_types::{SolCall as _, SolInterface as _};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use entente_chainspec::ChainSpec;
use entente_primitives::LocalSigner;
use entente_verify::evidence::{
    AnchorDoc, EvidenceCertificate, EvidenceError, Inputs,
    abi::{
        self, ALG_SHA256, ALG_SM3, Digest, EVIDENCE_ADDRESS, EvidenceRecord, IEvidence,
        IEvidence::IEvidenceErrors,
    },
    tsa,
    verify::digest_document,
    verify_certificate,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    admin::{Node, RpcError, load_signer},
    rest::{Rest, load_token},
};

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
    /// Attach RFC 3161 timestamp tokens to a certificate. Each token must be signed and
    /// stamp the record's content digest or the block hash; the certificate is rewritten
    /// in canonical form.
    Attach {
        /// The evidence certificate (JSON).
        certificate: PathBuf,
        /// A timestamp token (DER `TimeStampToken`, or a whole `TimeStampResp` as
        /// `openssl ts -reply` writes it); repeat for several.
        #[arg(long = "tsa-token", value_name = "FILE", required = true)]
        tokens: Vec<PathBuf>,
        /// Where to write the anchored certificate (default: over CERTIFICATE).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct DepositArgs {
    /// The document.
    pub file: PathBuf,
    /// The node's JSON-RPC URL (the deposit's receipt and certificate are read there).
    #[arg(long)]
    pub rpc: String,
    /// The submitter's secp256k1 secret key (hex); the account needs the
    /// `evidence_submitter` role.
    #[arg(long = "key", value_name = "HEX", conflicts_with = "key_file")]
    pub signing_key: Option<String>,
    /// A file holding the submitter's secret key.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Deposit through the node's gateway instead of signing here: the node's REST URL
    /// (e.g. http://127.0.0.1:8645). The submitter is the API token's account, whose key
    /// the node keeps; only the digests are sent.
    #[arg(long, value_name = "URL", conflicts_with_all = ["signing_key", "key_file"])]
    pub api: Option<String>,
    /// The gateway API token (with --api; default: the env var ENTENTE_API_TOKEN).
    #[arg(long, requires = "api", conflicts_with_all = ["signing_key", "key_file", "token_file"])]
    pub token: Option<String>,
    /// A file holding the gateway API token (with --api).
    #[arg(long, value_name = "PATH", requires = "api", conflicts_with_all = ["signing_key", "key_file"])]
    pub token_file: Option<PathBuf>,
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
    /// An RFC 3161 timestamp token for the document's SHA-256 (DER token or
    /// `TimeStampResp`), checked before anything is sent and attached to the certificate
    /// as an anchor; repeat for several.
    #[arg(long = "tsa-token", value_name = "FILE")]
    pub tsa_tokens: Vec<PathBuf>,
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
    /// A certificate (PEM or DER) of a time-stamping authority, or of the root that
    /// issued it, that you trust; repeat for several. Without it, timestamp tokens are
    /// checked with the certificate they carry and their authority is not pinned.
    #[arg(long = "tsa-cert", value_name = "FILE")]
    pub tsa_certs: Vec<PathBuf>,
    /// Seconds a timestamp token's time may be after the block time before the
    /// `TsaTimeSkew` warning.
    #[arg(long, value_name = "SECS", default_value_t = entente_verify::evidence::verify::DEFAULT_TSA_TOLERANCE_MS / 1000)]
    pub tsa_tolerance: u64,
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
            EvidenceCommand::Attach {
                certificate,
                tokens,
                out,
            } => attach(&certificate, &tokens, out.as_deref()),
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
        return anyhow!("the evidence module refused: {}", abi::error_text(&decoded));
    }
    err.into()
}

/// Who signs the deposited record and its transaction.
enum Submitter {
    /// A key given here (`--key`, `--key-file`): both are signed on this machine.
    Key(LocalSigner),
    /// An account whose key the node keeps (`--api` with a token): the node's gateway
    /// builds and signs both from the digests sent to it.
    Gateway(Box<Rest>),
}

impl Submitter {
    fn from_args(args: &DepositArgs) -> anyhow::Result<Self> {
        if let Some(url) = &args.api {
            let token = load_token(args.token.as_deref(), args.token_file.as_deref())?;
            return Ok(Self::Gateway(Box::new(Rest::connect(url, &token)?)));
        }
        if args.signing_key.is_none() && args.key_file.is_none() {
            bail!(
                "a deposit needs its submitter: --key-file PATH or --key HEX (a key held \
                 here), or --api URL with --token-file PATH (an account whose key the \
                 node's gateway keeps)"
            );
        }
        Ok(Self::Key(load_signer(
            args.signing_key.as_deref(),
            args.key_file.as_deref(),
        )?))
    }
}

/// A deposit included in a block, and what its certificate must name.
struct Deposited {
    hash: B256,
    height: u64,
    evidence_id: B256,
    submitter: Address,
}

impl Deposited {
    fn check(&self, cert: &EvidenceCertificate) -> anyhow::Result<()> {
        if cert.evidence_id != self.evidence_id || cert.record.submitter != self.submitter {
            bail!(
                "the node's certificate is of evidence {} by {}, not of this deposit \
                 (evidence {} by {})",
                cert.evidence_id,
                cert.record.submitter,
                self.evidence_id,
                self.submitter
            );
        }
        Ok(())
    }
}

/// Signs the record and its transaction here and sends them.
async fn deposit_signed(
    node: &Node,
    signer: &LocalSigner,
    args: &DepositArgs,
    content: Vec<Digest>,
    sha256: B256,
    content_length: u64,
) -> anyhow::Result<Deposited> {
    let chain_id: U64 = node.typed("eth_chainId", json!([])).await?;
    let record = EvidenceRecord {
        chainId: chain_id.to(),
        submitter: signer.address(),
        content: content.clone(),
        contentLength: content_length,
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
            signer,
            EVIDENCE_ADDRESS,
            call.abi_encode(),
            Duration::from_secs(args.wait),
            refusal,
        )
        .await?;
    Ok(Deposited {
        hash,
        height: receipt.block_number.to(),
        evidence_id: abi::evidence_id(record.chainId, &record.submitter, &sha256),
        submitter: record.submitter,
    })
}

/// The gateway's answer to `POST /v1/evidence`.
#[derive(Deserialize)]
struct GatewayDeposit {
    hash: B256,
    from: Address,
    nonce: u64,
    evidence_id: B256,
}

/// Sends the digests to the node's gateway, which signs the record and its transaction
/// with the token account's key; waits for the transaction here.
async fn deposit_through_gateway(
    node: &Node,
    rest: &Rest,
    args: &DepositArgs,
    content: &[Digest],
    content_length: u64,
) -> anyhow::Result<Deposited> {
    let body = json!({
        "content": content
            .iter()
            .map(|d| json!({ "alg": abi::alg_name(d.alg), "hex": d.value }))
            .collect::<Vec<_>>(),
        "content_length": content_length,
        "media_type": args.media_type,
        "metadata_hash": args.metadata_hash.unwrap_or_default(),
        "prev": args.prev.unwrap_or_default(),
    });
    let sent: GatewayDeposit = rest
        .post("/v1/evidence", &body)
        .await
        .context("the node's gateway did not take the deposit")?;
    eprintln!(
        "the node's gateway sent transaction {} as {} (nonce {}); waiting for it",
        sent.hash, sent.from, sent.nonce
    );
    let receipt = node
        .confirm(sent.hash, Duration::from_secs(args.wait), refusal)
        .await?;
    Ok(Deposited {
        hash: sent.hash,
        height: receipt.block_number.to(),
        evidence_id: sent.evidence_id,
        submitter: sent.from,
    })
}

async fn deposit(args: DepositArgs) -> anyhow::Result<()> {
    let submitter = Submitter::from_args(&args)?;
    let document = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let node = Node::connect(&args.rpc)?;
    let sha256 = B256::from(digest_document(ALG_SHA256, &document));
    let mut content = vec![Digest {
        alg: ALG_SHA256,
        value: Bytes::from(sha256.to_vec()),
    }];
    if args.sm3 {
        content.push(Digest {
            alg: ALG_SM3,
            value: Bytes::from(digest_document(ALG_SM3, &document).to_vec()),
        });
    }
    let length = document.len() as u64;
    let anchors = document_anchors(&args.tsa_tokens, &content)?;
    let deposited = match &submitter {
        Submitter::Key(signer) => {
            deposit_signed(&node, signer, &args, content, sha256, length).await?
        }
        Submitter::Gateway(rest) => {
            deposit_through_gateway(&node, rest, &args, &content, length).await?
        }
    };
    let (hash, height) = (deposited.hash, deposited.height);
    eprintln!("deposited in block {height} by transaction {hash}; fetching the certificate");
    let mut cert = fetch_certificate(&node, hash, CERTIFICATE_WAIT).await?;
    deposited.check(&cert)?;
    cert.anchors.extend(anchors);
    // What the node gave must verify against the document before it is written.
    let checked = verify_certificate(
        &cert,
        Inputs {
            document: Some(&document),
            ..Default::default()
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
    let mut tsa_trust = Vec::new();
    for path in &args.tsa_certs {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        tsa_trust.extend(
            tsa::parse_certificates(&bytes)
                .map_err(|err| anyhow!("{} holds no X.509 certificate: {err}", path.display()))?,
        );
    }
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
            tsa_trust: &tsa_trust,
            tsa_tolerance_ms: Some(args.tsa_tolerance.saturating_mul(1000)),
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
                        "timestamps": v.timestamps.iter().map(|t| json!({
                            "tsa_time_ms": t.tsa_time_ms,
                            "stamps": t.stamps,
                            "authority": t.authority,
                            "pinned": t.pinned,
                            "time_skew_ms": t.time_skew_ms,
                        })).collect::<Vec<_>>(),
                        "online_anchors": v.online_anchors,
                        "warnings": v.warnings().into_iter().map(|(name, message)| {
                            json!({"warning": name, "message": message})
                        }).collect::<Vec<_>>(),
                    })
                );
            } else {
                print_checks(&verification.checks);
                for (name, message) in v.warnings() {
                    println!("! {name}: {message}");
                }
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

/// The anchors of `tokens`, each checked to be a signed timestamp of one of the
/// document's digests, before the deposit is sent.
fn document_anchors(tokens: &[PathBuf], content: &[Digest]) -> anyhow::Result<Vec<AnchorDoc>> {
    tokens
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let token = tsa::token_of(&bytes)
                .map_err(|err| anyhow!("{} is not a timestamp token: {err}", path.display()))?;
            let stamp =
                tsa::read_token(&token).map_err(|err| anyhow!("{}: {err}", path.display()))?;
            let stamps_document = content.iter().any(|d| {
                abi::alg_name(d.alg) == stamp.imprint_alg && d.value.as_ref() == stamp.imprint
            });
            if !stamps_document {
                bail!(
                    "{} stamps the {} digest 0x{}, not this document's; nothing was sent",
                    path.display(),
                    stamp.imprint_alg,
                    alloy_primitives::hex::encode(&stamp.imprint)
                );
            }
            Ok(AnchorDoc::rfc3161(&token))
        })
        .collect()
}

/// `entente evidence attach`: adds timestamp tokens as RFC 3161 anchors, refusing any
/// that does not verify against the certificate.
fn attach(certificate: &Path, tokens: &[PathBuf], out: Option<&Path>) -> anyhow::Result<()> {
    let text = std::fs::read(certificate)
        .with_context(|| format!("cannot read {}", certificate.display()))?;
    let mut cert = EvidenceCertificate::from_json(&text)
        .with_context(|| format!("{} is not an evidence certificate", certificate.display()))?;
    for path in tokens {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let token = tsa::token_of(&bytes)
            .map_err(|err| anyhow!("{} is not a timestamp token: {err}", path.display()))?;
        let anchor = AnchorDoc::rfc3161(&token);
        if cert.anchors.contains(&anchor) {
            bail!("{} is already attached", path.display());
        }
        cert.anchors.push(anchor);
    }
    let verification = verify_certificate(&cert, Inputs::default());
    let verified = verification
        .result
        .map_err(|err| anyhow!("nothing written: {}: {err}", err.name()))?;
    write_certificate(&cert, Some(out.unwrap_or(certificate)))?;
    let added = &verified.timestamps[verified.timestamps.len() - tokens.len()..];
    for (report, path) in added.iter().zip(tokens) {
        println!(
            "attached {}: {} stamped the {} at {} ms since the Unix epoch",
            path.display(),
            report.authority,
            if report.stamps == "content" {
                "content digest"
            } else {
                "block hash"
            },
            report.tsa_time_ms
        );
    }
    Ok(())
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
