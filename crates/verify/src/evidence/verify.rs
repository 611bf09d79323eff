//! Offline verification of an evidence certificate: every check recomputed from the
//! certificate's bytes, the document (when given) and the trusted chain spec (when
//! given). No network, no clock, no node.

use alloy_primitives::{Address, B256, keccak256};
use alloy_sol_types::SolCall as _;
use commonware_cryptography::ed25519;
use entente_chainspec::ChainSpec;
use entente_primitives::{Header, RecoveredTx, verify_merkle_proof};
use sha2::Digest as _;
use thiserror::Error;

use x509_cert::Certificate;

use super::{
    abi::{self, ALG_SHA256, ALG_SM3, Digest, EVIDENCE_ADDRESS, EvidenceRecord, IEvidence},
    certificate::{ANCHOR_RFC3161, AnchorDoc, EvidenceCertificate, FORMAT, VERSION},
    tsa::{self, TokenError},
};
use crate::{CertificateError, FinalityProof, quorum, verify_finality};

/// Why a certificate does not verify. Each failure has its own variant (and exit code in
/// `entente verify`).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EvidenceError {
    #[error("not an evidence certificate this verifier reads: {0}")]
    UnsupportedFormat(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unsupported digest algorithm {0:?} (sha-256 and sm3 are)")]
    UnsupportedAlg(String),
    #[error("{alg} digest is {len} bytes long; it must be 32")]
    InvalidDigestLength { alg: String, len: usize },
    #[error("the document does not match the record: {0}")]
    HashMismatch(String),
    #[error("the submitter's signature does not verify for {submitter}")]
    BadSubmitterSig { submitter: Address },
    #[error("the evidence id is {expected}, not {got}")]
    IdMismatch { expected: B256, got: B256 },
    #[error("the transaction does not carry this deposit: {0}")]
    TxMismatch(String),
    #[error("the inclusion proof does not lead to the header's transactions root: {0}")]
    ProofMismatch(String),
    #[error("the header does not match: {0}")]
    HeaderMismatch(String),
    #[error("{signed} validators signed; {quorum} of {validators} are needed")]
    InsufficientQuorum {
        signed: usize,
        quorum: usize,
        validators: usize,
    },
    #[error("signer {key} is not a trusted validator")]
    UnknownSigner { key: String },
    #[error("the finalisation signatures do not verify")]
    BadSignatures,
    #[error("the chain does not match the trusted chain spec: {0}")]
    ChainMismatch(String),
    #[error("the validator set is not the trusted one: {0}")]
    UntrustedValidatorSet(String),
    #[error("timestamp token {index} is not for this evidence: {reason}")]
    TsaMismatch { index: usize, reason: String },
    #[error("timestamp token {index} does not verify: {reason}")]
    TsaBadSignature { index: usize, reason: String },
    #[error("timestamp token {index} is not from a trusted authority: {reason}")]
    TsaUntrusted { index: usize, reason: String },
}

impl EvidenceError {
    /// A stable name for the failure (what scripts match on).
    pub fn name(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat(_) => "UnsupportedFormat",
            Self::InvalidInput(_) => "InvalidInput",
            Self::UnsupportedAlg(_) => "UnsupportedAlg",
            Self::InvalidDigestLength { .. } => "InvalidDigestLength",
            Self::HashMismatch(_) => "HashMismatch",
            Self::BadSubmitterSig { .. } => "BadSubmitterSig",
            Self::IdMismatch { .. } => "IdMismatch",
            Self::TxMismatch(_) => "TxMismatch",
            Self::ProofMismatch(_) => "ProofMismatch",
            Self::HeaderMismatch(_) => "HeaderMismatch",
            Self::InsufficientQuorum { .. } => "InsufficientQuorum",
            Self::UnknownSigner { .. } => "UnknownSigner",
            Self::BadSignatures => "BadSignatures",
            Self::ChainMismatch(_) => "ChainMismatch",
            Self::UntrustedValidatorSet(_) => "UntrustedValidatorSet",
            Self::TsaMismatch { .. } => "TsaMismatch",
            Self::TsaBadSignature { .. } => "TsaBadSignature",
            Self::TsaUntrusted { .. } => "TsaUntrusted",
        }
    }

    /// The process exit code `entente verify` uses for the failure (2 and up; 1 is for
    /// usage errors such as an unreadable file).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::UnsupportedFormat(_) => 10,
            Self::InvalidInput(_) => 11,
            Self::UnsupportedAlg(_) => 12,
            Self::InvalidDigestLength { .. } => 13,
            Self::HashMismatch(_) => 20,
            Self::BadSubmitterSig { .. } => 21,
            Self::IdMismatch { .. } => 22,
            Self::TxMismatch(_) => 23,
            Self::ProofMismatch(_) => 24,
            Self::HeaderMismatch(_) => 25,
            Self::InsufficientQuorum { .. } => 26,
            Self::UnknownSigner { .. } => 27,
            Self::BadSignatures => 28,
            Self::ChainMismatch(_) => 29,
            Self::UntrustedValidatorSet(_) => 30,
            Self::TsaMismatch { .. } => 31,
            Self::TsaBadSignature { .. } => 32,
            Self::TsaUntrusted { .. } => 33,
        }
    }
}

/// What the verifier is given besides the certificate.
#[derive(Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// The document the record is about; without it the content check is skipped.
    pub document: Option<&'a [u8]>,
    /// The chain spec the verifier trusts; without it the chain identity and validator
    /// set are taken from the certificate itself (reported as not pinned).
    pub chain_spec: Option<&'a ChainSpec>,
    /// Certificates of the time-stamping authorities (or their roots) the verifier
    /// trusts; empty, a timestamp token's signature is checked with the certificate it
    /// carries but the authority is reported as not pinned.
    pub tsa_trust: &'a [Certificate],
    /// How long after the block time a token's time may be without a `TsaTimeSkew`
    /// warning; `None`: [`DEFAULT_TSA_TOLERANCE_MS`].
    pub tsa_tolerance_ms: Option<u64>,
}

/// Default tolerance between a block's time and a later timestamp token: one hour.
pub const DEFAULT_TSA_TOLERANCE_MS: u64 = 3_600_000;

/// What an RFC 3161 anchor that verifies establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampReport {
    /// The authority's time, Unix milliseconds.
    pub tsa_time_ms: u64,
    /// What the token stamps: `content` (the record's digest) or `header` (the block hash).
    pub stamps: &'static str,
    /// The signing certificate's subject.
    pub authority: String,
    /// Whether the authority was checked against trusted certificates.
    pub pinned: bool,
    /// The token's time is more than the tolerance after the block time: the chain
    /// attests an earlier existence than the authority, which is worth a look (a warning,
    /// not a failure).
    pub time_skew_ms: Option<u64>,
}

/// One step of the verification, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    /// What was established, or why the step was skipped.
    pub detail: String,
    pub skipped: bool,
}

/// What a certificate that verifies establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub evidence_id: B256,
    pub submitter: Address,
    pub submitter_org: B256,
    pub sha256: B256,
    pub height: u64,
    /// The record existed no later than this block time (Unix milliseconds), as agreed
    /// by a quorum of validators.
    pub block_time_ms: u64,
    pub chain_id: u64,
    pub signers: usize,
    pub validators: usize,
    /// Whether the validator set was checked against a trusted chain spec.
    pub pinned: bool,
    /// The RFC 3161 anchors, in certificate order.
    pub timestamps: Vec<TimestampReport>,
    /// Anchors that can only be checked online (`ots`, `peer_chain`), by type.
    pub online_anchors: Vec<String>,
}

impl Verified {
    /// Warning names (`TsaTimeSkew`) with their explanations; empty when there are none.
    pub fn warnings(&self) -> Vec<(&'static str, String)> {
        self.timestamps
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                t.time_skew_ms.map(|skew| {
                    (
                        "TsaTimeSkew",
                        format!(
                            "timestamp token {i} is {} s later than the block time",
                            skew / 1000
                        ),
                    )
                })
            })
            .collect()
    }
}

/// The steps run, and the result: the first failure stops the verification.
#[derive(Clone, Debug)]
pub struct Verification {
    pub checks: Vec<Check>,
    pub result: Result<Verified, EvidenceError>,
}

/// Verifies `certificate` offline.
pub fn verify_certificate(certificate: &EvidenceCertificate, inputs: Inputs<'_>) -> Verification {
    let mut checks = Vec::new();
    let result = run(certificate, inputs, &mut checks);
    Verification { checks, result }
}

fn pass(checks: &mut Vec<Check>, name: &'static str, detail: String) {
    checks.push(Check {
        name,
        detail,
        skipped: false,
    });
}

fn skip(checks: &mut Vec<Check>, name: &'static str, detail: &str) {
    checks.push(Check {
        name,
        detail: detail.to_string(),
        skipped: true,
    });
}

/// Parses a digest of the certificate into its ABI form.
fn parse_digest(alg: &str, hex_text: &str) -> Result<Digest, EvidenceError> {
    let code = match alg {
        "sha-256" => ALG_SHA256,
        "sm3" => ALG_SM3,
        other => return Err(EvidenceError::UnsupportedAlg(other.to_string())),
    };
    let bytes = hex::decode(hex_text.strip_prefix("0x").unwrap_or(hex_text))
        .map_err(|err| EvidenceError::InvalidInput(format!("{alg} digest: {err}")))?;
    if bytes.len() != 32 {
        return Err(EvidenceError::InvalidDigestLength {
            alg: alg.to_string(),
            len: bytes.len(),
        });
    }
    Ok(Digest {
        alg: code,
        value: bytes.into(),
    })
}

/// The digest of `document` under `alg`.
pub fn digest_document(alg: u8, document: &[u8]) -> [u8; 32] {
    match alg {
        ALG_SM3 => sm3::Sm3::digest(document).into(),
        _ => sha2::Sha256::digest(document).into(),
    }
}

fn run(
    cert: &EvidenceCertificate,
    inputs: Inputs<'_>,
    checks: &mut Vec<Check>,
) -> Result<Verified, EvidenceError> {
    if cert.format != FORMAT || cert.version != VERSION {
        return Err(EvidenceError::UnsupportedFormat(format!(
            "{} v{} (this verifier reads {FORMAT} v{VERSION})",
            cert.format, cert.version
        )));
    }
    let record = &cert.record;

    // 1. The content digests, and the document against them.
    let content = record
        .content
        .iter()
        .map(|d| parse_digest(&d.alg, &d.hex))
        .collect::<Result<Vec<_>, _>>()?;
    let sha256s: Vec<&Digest> = content.iter().filter(|d| d.alg == ALG_SHA256).collect();
    let [sha256] = sha256s.as_slice() else {
        return Err(EvidenceError::InvalidInput(format!(
            "a record holds exactly one sha-256 digest, this one {}",
            sha256s.len()
        )));
    };
    let sha256 = B256::from_slice(&sha256.value);
    match inputs.document {
        Some(document) => {
            for digest in &content {
                let actual = digest_document(digest.alg, document);
                if actual.as_slice() != digest.value.as_ref() {
                    return Err(EvidenceError::HashMismatch(format!(
                        "the document's {} is 0x{}, the record holds 0x{}",
                        abi::alg_name(digest.alg),
                        hex::encode(actual),
                        hex::encode(&digest.value)
                    )));
                }
            }
            if document.len() as u64 != record.content_length {
                return Err(EvidenceError::HashMismatch(format!(
                    "the document is {} bytes, the record says {}",
                    document.len(),
                    record.content_length
                )));
            }
            pass(
                checks,
                "content",
                format!(
                    "the document ({} bytes) matches every recorded digest",
                    document.len()
                ),
            );
        }
        None => skip(checks, "content", "no document given (--file)"),
    }

    // 2. The submitter's signature over the record.
    let signed = EvidenceRecord {
        chainId: cert.chain.chain_id,
        submitter: record.submitter,
        content: content.clone(),
        contentLength: record.content_length,
        mediaType: record.media_type.clone(),
        metadataHash: record.metadata_hash,
        prev: record.prev,
    };
    if abi::recover_submitter(&signed, &record.signature) != Some(record.submitter) {
        return Err(EvidenceError::BadSubmitterSig {
            submitter: record.submitter,
        });
    }
    pass(
        checks,
        "submitter signature",
        format!("signed by {}", record.submitter),
    );

    // 3. The evidence id.
    let id = abi::evidence_id(cert.chain.chain_id, &record.submitter, &sha256);
    if id != cert.evidence_id {
        return Err(EvidenceError::IdMismatch {
            expected: id,
            got: cert.evidence_id,
        });
    }
    pass(checks, "evidence id", format!("{id}"));

    // 4. The transaction carries exactly this deposit, signed by the submitter.
    let tx = &cert.transaction;
    let decoded = RecoveredTx::decode(tx.raw.clone(), cert.chain.chain_id, usize::MAX)
        .map_err(|err| EvidenceError::TxMismatch(err.to_string()))?;
    if decoded.hash != tx.hash || keccak256(&tx.raw) != tx.hash {
        return Err(EvidenceError::TxMismatch(format!(
            "the transaction hashes to {}, the certificate says {}",
            decoded.hash, tx.hash
        )));
    }
    if decoded.sender != record.submitter {
        return Err(EvidenceError::TxMismatch(format!(
            "sent by {}, not the submitter",
            decoded.sender
        )));
    }
    use alloy_consensus::Transaction as _;
    if decoded.envelope.to() != Some(EVIDENCE_ADDRESS) {
        return Err(EvidenceError::TxMismatch(
            "not a call to the evidence module".into(),
        ));
    }
    let call = IEvidence::depositCall::abi_decode(decoded.envelope.input())
        .map_err(|err| EvidenceError::TxMismatch(format!("not a deposit call: {err}")))?;
    if call.content != content
        || call.contentLength != record.content_length
        || call.mediaType != record.media_type
        || call.metadataHash != record.metadata_hash
        || call.prev != record.prev
        || call.signature != record.signature
    {
        return Err(EvidenceError::TxMismatch(
            "the deposit's fields differ from the record".into(),
        ));
    }
    pass(
        checks,
        "transaction",
        format!("{} deposits this record", tx.hash),
    );

    // 5. The header, and the transaction's inclusion under its transactions root.
    let block = &cert.block;
    let header = Header::from_bytes(&block.header)
        .map_err(|err| EvidenceError::HeaderMismatch(format!("undecodable header: {err}")))?;
    let hash = entente_primitives::digest_to_b256(&header.digest());
    if hash != block.hash {
        return Err(EvidenceError::HeaderMismatch(format!(
            "the header hashes to {hash}, the certificate says {}",
            block.hash
        )));
    }
    if header.height != block.number || header.timestamp_ms != block.timestamp_ms {
        return Err(EvidenceError::HeaderMismatch(format!(
            "the header is of block {} at {} ms, the certificate says block {} at {} ms",
            header.height, header.timestamp_ms, block.number, block.timestamp_ms
        )));
    }
    if tx.inclusion.index != tx.index {
        return Err(EvidenceError::ProofMismatch(format!(
            "the proof is for position {}, the transaction is at {}",
            tx.inclusion.index, tx.index
        )));
    }
    verify_merkle_proof(&tx.hash, &tx.inclusion, &header.tx_root)
        .map_err(|err| EvidenceError::ProofMismatch(err.to_string()))?;
    pass(
        checks,
        "inclusion",
        format!(
            "transaction {} of block {} (hash {hash})",
            tx.index, header.height
        ),
    );

    // 6. Finality: a quorum of the epoch's validators signed the block or a descendant.
    let finality = &cert.finality;
    let descendants = finality
        .descendants
        .iter()
        .map(|bytes| Header::from_bytes(bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| EvidenceError::HeaderMismatch(format!("undecodable descendant: {err}")))?;
    if finality.certified_number != header.height + descendants.len() as u64 {
        return Err(EvidenceError::HeaderMismatch(format!(
            "{} descendants cannot lead from block {} to block {}",
            descendants.len(),
            header.height,
            finality.certified_number
        )));
    }
    let mut validators = finality
        .validators
        .iter()
        .map(|key| entente_chainspec::decode_public_key(key))
        .collect::<Result<Vec<ed25519::PublicKey>, _>>()
        .map_err(|err| EvidenceError::InvalidInput(format!("validator key: {err}")))?;
    validators.sort();
    validators.dedup();
    if validators.len() != finality.validators.len() {
        return Err(EvidenceError::InvalidInput(
            "the validator set lists a key twice".into(),
        ));
    }
    let proof = FinalityProof {
        certificate: finality.certificate.to_vec(),
        descendants,
    };
    let verified = verify_finality(&header, &proof, &validators).map_err(|err| match err {
        CertificateError::Malformed(reason) => {
            EvidenceError::InvalidInput(format!("finalisation certificate: {reason}"))
        }
        CertificateError::WrongBlock { .. } | CertificateError::BrokenChain { .. } => {
            EvidenceError::HeaderMismatch(err.to_string())
        }
        CertificateError::InsufficientQuorum {
            signed,
            quorum,
            validators,
        } => EvidenceError::InsufficientQuorum {
            signed,
            quorum,
            validators,
        },
        CertificateError::InvalidSignatures { .. } => EvidenceError::BadSignatures,
    })?;
    if verified.epoch != finality.epoch {
        return Err(EvidenceError::HeaderMismatch(format!(
            "the certificate is of epoch {}, the certificate file says {}",
            verified.epoch, finality.epoch
        )));
    }
    let signer_keys: Vec<&ed25519::PublicKey> = verified
        .signers
        .iter()
        .map(|&i| &validators[i as usize])
        .collect();
    pass(
        checks,
        "finality",
        format!(
            "{} of {} validators of epoch {} signed block {}{}",
            signer_keys.len(),
            validators.len(),
            verified.epoch,
            finality.certified_number,
            if proof.descendants.is_empty() {
                String::new()
            } else {
                format!(
                    ", which descends from block {} through {} linked headers",
                    header.height,
                    proof.descendants.len()
                )
            }
        ),
    );

    // 7. The chain and its validators against the trusted chain spec.
    let genesis = Header::from_bytes(&cert.chain.genesis_header)
        .map_err(|err| EvidenceError::ChainMismatch(format!("undecodable genesis: {err}")))?;
    let genesis_hash = entente_primitives::digest_to_b256(&genesis.digest());
    if genesis.height != 0 || genesis_hash != cert.chain.genesis_hash {
        return Err(EvidenceError::ChainMismatch(format!(
            "the genesis header hashes to {genesis_hash}, the certificate says {}",
            cert.chain.genesis_hash
        )));
    }
    let pinned = match inputs.chain_spec {
        Some(spec) => {
            if spec.hash() != genesis.extra || spec.chain_id != cert.chain.chain_id {
                return Err(EvidenceError::ChainMismatch(format!(
                    "the trusted spec (chain id {}, hash {}) is not this chain's (chain id {}, genesis commits to {})",
                    spec.chain_id,
                    spec.hash(),
                    cert.chain.chain_id,
                    genesis.extra
                )));
            }
            let mut trusted = spec.validator_keys();
            trusted.sort();
            if let Some(key) = signer_keys.iter().find(|k| !trusted.contains(k)) {
                return Err(EvidenceError::UnknownSigner {
                    key: entente_chainspec::encode_public_key(key),
                });
            }
            let needed = quorum(trusted.len());
            if signer_keys.len() < needed {
                return Err(EvidenceError::InsufficientQuorum {
                    signed: signer_keys.len(),
                    quorum: needed,
                    validators: trusted.len(),
                });
            }
            if trusted != validators {
                return Err(EvidenceError::UntrustedValidatorSet(format!(
                    "the certificate names {} validators for epoch {}, the trusted spec {} others",
                    validators.len(),
                    verified.epoch,
                    trusted.len()
                )));
            }
            pass(
                checks,
                "trusted chain",
                format!(
                    "chain id {}, genesis {genesis_hash}; the validator set is the trusted spec's",
                    spec.chain_id
                ),
            );
            true
        }
        None => {
            skip(
                checks,
                "trusted chain",
                "not pinned: the validator set is the certificate's own (pass --chain-spec)",
            );
            false
        }
    };

    // 8. Anchors: RFC 3161 tokens over the content digest or the block hash.
    let mut timestamps = Vec::new();
    let mut online_anchors = Vec::new();
    for (index, anchor) in cert.anchors.iter().enumerate() {
        if anchor.kind != ANCHOR_RFC3161 {
            skip(
                checks,
                "anchor",
                &format!("anchor {index} ({}) is verifiable online only", anchor.kind),
            );
            online_anchors.push(anchor.kind.clone());
            continue;
        }
        let report = check_timestamp(index, anchor, &content, &hash, &header, inputs)?;
        pass(
            checks,
            "timestamp",
            format!(
                "token {index}: {} stamped the {} at {} ms since the Unix epoch{}{}",
                report.authority,
                if report.stamps == "content" {
                    "content digest"
                } else {
                    "block hash"
                },
                report.tsa_time_ms,
                if report.pinned {
                    ""
                } else {
                    " (authority not pinned: pass --tsa-cert)"
                },
                match report.time_skew_ms {
                    Some(skew) =>
                        format!("; warning TsaTimeSkew: {} s after the block", skew / 1000),
                    None => String::new(),
                }
            ),
        );
        timestamps.push(report);
    }

    Ok(Verified {
        evidence_id: id,
        submitter: record.submitter,
        submitter_org: record.submitter_org,
        sha256,
        height: header.height,
        block_time_ms: header.timestamp_ms,
        chain_id: cert.chain.chain_id,
        signers: signer_keys.len(),
        validators: validators.len(),
        pinned,
        timestamps,
        online_anchors,
    })
}

/// Checks one RFC 3161 anchor: its signature, that it stamps the record's digest (under
/// the same algorithm) or the block hash, and, when trusted certificates are given, its
/// authority.
fn check_timestamp(
    index: usize,
    anchor: &AnchorDoc,
    content: &[Digest],
    block_hash: &B256,
    header: &Header,
    inputs: Inputs<'_>,
) -> Result<TimestampReport, EvidenceError> {
    use base64::Engine as _;
    let invalid =
        |reason: String| EvidenceError::InvalidInput(format!("timestamp token {index}: {reason}"));
    let token = match anchor.fields.get("token_b64") {
        Some(serde_json::Value::String(text)) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|err| invalid(format!("token_b64: {err}")))?,
        _ => return Err(invalid("an rfc3161 anchor needs a token_b64 string".into())),
    };
    let stamp = tsa::read_token(&token).map_err(|err| match err {
        TokenError::Malformed(reason) => invalid(reason),
        TokenError::BadSignature(reason) => EvidenceError::TsaBadSignature { index, reason },
    })?;
    let content_match = content.iter().any(|digest| {
        abi::alg_name(digest.alg) == stamp.imprint_alg && digest.value.as_ref() == stamp.imprint
    });
    let stamps = if content_match {
        "content"
    } else if stamp.imprint_alg == "sha-256" && stamp.imprint == block_hash.as_slice() {
        "header"
    } else {
        return Err(EvidenceError::TsaMismatch {
            index,
            reason: format!(
                "it stamps the {} digest 0x{}, which is neither a content digest of the record nor the block hash",
                stamp.imprint_alg,
                hex::encode(&stamp.imprint)
            ),
        });
    };
    let pinned = !inputs.tsa_trust.is_empty();
    if pinned {
        tsa::check_trust(&stamp, inputs.tsa_trust)
            .map_err(|reason| EvidenceError::TsaUntrusted { index, reason })?;
    }
    let tolerance = inputs.tsa_tolerance_ms.unwrap_or(DEFAULT_TSA_TOLERANCE_MS);
    let after_block = stamp.gen_time_ms.saturating_sub(header.timestamp_ms);
    Ok(TimestampReport {
        tsa_time_ms: stamp.gen_time_ms,
        stamps,
        authority: stamp.signer,
        pinned,
        time_skew_ms: (after_block > tolerance).then_some(after_block),
    })
}
