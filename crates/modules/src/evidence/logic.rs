//! The evidence rules, independent of how they are called: who may deposit and annotate,
//! what a valid deposit is, and how records are identified and linked. Every change emits
//! an event; every refusal is a typed error.
//!
//! A deposit is checked in this order: the caller (a direct call from a registered,
//! active account of an active organisation with the `evidence_submitter` role), the
//! content digests, the media type, the submitter's signature over the record, the
//! predecessor, and finally the id (one record per submitter and SHA-256 digest).

use alloy_primitives::{Address, B256, LogData};
use alloy_sol_types::SolEvent as _;

use super::{
    abi::{
        ALG_SHA256, ALG_SM3, Digest, EvidenceRecord, IEvidence, IEvidence::depositCall,
        evidence_id, recover_submitter,
    },
    state::{ANNOTATIONS_MAX, ContentDigest, DIGESTS_MAX, EvidenceStore, Record},
};
use crate::{
    governance::state::{AccountRecord, AccountStatus, GovStore, OrgStatus},
    slots::{SlotError, Slots},
};

/// The role that may deposit evidence (granted by org admins).
pub const ROLE_EVIDENCE_SUBMITTER: &str = "evidence_submitter";
/// The role that may annotate any record.
pub const ROLE_COURT: &str = "court";
/// Longest media type, in bytes.
pub const MEDIA_TYPE_MAX: usize = 128;
/// Length of every digest value, in bytes.
pub const DIGEST_BYTES: usize = 32;

/// Why an evidence call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("{caller} is not authorised: {reason}")]
    Unauthorized { caller: Address, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("already deposited as {0}")]
    AlreadyDeposited(B256),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlg(u8),
    #[error("a digest of algorithm {alg} must be 32 bytes, not {length}")]
    InvalidDigestLength { alg: u8, length: usize },
    #[error("the signature is not the submitter's over this record")]
    BadSubmitterSig,
    #[error(transparent)]
    Slot(#[from] SlotError),
}

/// Who calls, where and when.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// `msg.sender`.
    pub address: Address,
    /// `tx.origin`.
    pub origin: Address,
    pub chain_id: u64,
    pub height: u64,
    pub timestamp_secs: u64,
}

/// Events produced by a call, emitted by the precompile if the call succeeds.
pub type Events = Vec<LogData>;

fn unauthorized(caller: &Caller, reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Unauthorized {
        caller: caller.address,
        reason: reason.into(),
    }
}

fn invalid(reason: impl Into<String>) -> EvidenceError {
    EvidenceError::InvalidInput(reason.into())
}

fn not_found(id: &B256) -> EvidenceError {
    EvidenceError::NotFound(format!("evidence {id}"))
}

/// The caller's account: registered, active, of an active organisation.
fn active_account<G: Slots>(
    gov: &mut GovStore<'_, G>,
    caller: &Caller,
) -> Result<AccountRecord, EvidenceError> {
    let record = gov
        .account(&caller.address)?
        .ok_or_else(|| unauthorized(caller, "not a registered account"))?;
    if record.status != AccountStatus::Active {
        return Err(unauthorized(caller, "account is suspended"));
    }
    match gov.org(&record.org)? {
        Some(org) if org.status == OrgStatus::Active => Ok(record),
        _ => Err(unauthorized(caller, "organisation is not active")),
    }
}

/// Checks the content digests; returns them and the SHA-256 one.
pub fn check_content(content: &[Digest]) -> Result<(Vec<ContentDigest>, B256), EvidenceError> {
    if content.is_empty() || content.len() > DIGESTS_MAX {
        return Err(invalid(format!("1 to {DIGESTS_MAX} content digests")));
    }
    let mut out: Vec<ContentDigest> = Vec::with_capacity(content.len());
    for digest in content {
        if digest.alg != ALG_SHA256 && digest.alg != ALG_SM3 {
            return Err(EvidenceError::UnsupportedAlg(digest.alg));
        }
        if digest.value.len() != DIGEST_BYTES {
            return Err(EvidenceError::InvalidDigestLength {
                alg: digest.alg,
                length: digest.value.len(),
            });
        }
        if out.iter().any(|d| d.alg == digest.alg) {
            return Err(invalid(format!(
                "more than one digest of algorithm {}",
                digest.alg
            )));
        }
        out.push(ContentDigest {
            alg: digest.alg,
            value: B256::from_slice(&digest.value),
        });
    }
    let sha256 = out
        .iter()
        .find(|d| d.alg == ALG_SHA256)
        .map(|d| d.value)
        .ok_or_else(|| invalid("a SHA-256 digest (alg 1) is required"))?;
    Ok((out, sha256))
}

/// A media type: 1 to [`MEDIA_TYPE_MAX`] printable ASCII characters.
pub fn check_media_type(media_type: &str) -> Result<(), EvidenceError> {
    if media_type.is_empty()
        || media_type.len() > MEDIA_TYPE_MAX
        || !media_type
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(invalid(format!(
            "media type must be 1 to {MEDIA_TYPE_MAX} printable ASCII characters"
        )));
    }
    Ok(())
}

/// Deposits a record; returns its id.
pub fn deposit<S: Slots, G: Slots>(
    store: &mut EvidenceStore<'_, S>,
    gov: &mut GovStore<'_, G>,
    caller: &Caller,
    call: &depositCall,
    events: &mut Events,
) -> Result<B256, EvidenceError> {
    if caller.address != caller.origin {
        return Err(unauthorized(
            caller,
            "evidence is deposited by the submitter's own transaction, not through a contract",
        ));
    }
    let account = active_account(gov, caller)?;
    if !gov.has_role(&caller.address, ROLE_EVIDENCE_SUBMITTER)? {
        return Err(unauthorized(
            caller,
            format!("lacks the {ROLE_EVIDENCE_SUBMITTER} role"),
        ));
    }
    let (content, sha256) = check_content(&call.content)?;
    check_media_type(&call.mediaType)?;

    let record = EvidenceRecord {
        chainId: caller.chain_id,
        submitter: caller.address,
        content: call.content.clone(),
        contentLength: call.contentLength,
        mediaType: call.mediaType.clone(),
        metadataHash: call.metadataHash,
        prev: call.prev,
    };
    let signature: [u8; 65] = call
        .signature
        .as_ref()
        .try_into()
        .map_err(|_| EvidenceError::BadSubmitterSig)?;
    if recover_submitter(&record, &signature) != Some(caller.address) {
        return Err(EvidenceError::BadSubmitterSig);
    }

    if !call.prev.is_zero() && !store.exists(&call.prev)? {
        return Err(not_found(&call.prev));
    }
    let id = evidence_id(caller.chain_id, &caller.address, &sha256);
    if store.exists(&id)? {
        return Err(EvidenceError::AlreadyDeposited(id));
    }
    store.insert(&Record {
        id,
        submitter: caller.address,
        submitter_org: account.org,
        content,
        content_length: call.contentLength,
        media_type: call.mediaType.clone(),
        metadata_hash: call.metadataHash,
        prev: call.prev,
        signature,
        height: caller.height,
        block_time: caller.timestamp_secs,
    })?;
    events.push(
        IEvidence::EvidenceDeposited {
            id,
            submitter: caller.address,
            sha256Digest: sha256,
            prev: call.prev,
        }
        .encode_log_data(),
    );
    Ok(id)
}

/// Appends `note` to record `id`: by its submitter or a `court` account, each registered
/// and active.
pub fn annotate<S: Slots, G: Slots>(
    store: &mut EvidenceStore<'_, S>,
    gov: &mut GovStore<'_, G>,
    caller: &Caller,
    id: B256,
    note: B256,
    events: &mut Events,
) -> Result<(), EvidenceError> {
    let record = store.record(&id)?.ok_or_else(|| not_found(&id))?;
    active_account(gov, caller)?;
    if caller.address != record.submitter && !gov.has_role(&caller.address, ROLE_COURT)? {
        return Err(unauthorized(
            caller,
            format!("neither the submitter of {id} nor a {ROLE_COURT} account"),
        ));
    }
    if note.is_zero() {
        return Err(invalid("the note hash must not be zero"));
    }
    if store.annotation_count(&id)? >= ANNOTATIONS_MAX {
        return Err(invalid(format!(
            "a record holds at most {ANNOTATIONS_MAX} annotations"
        )));
    }
    store.push_annotation(&id, &note)?;
    events.push(
        IEvidence::EvidenceAnnotated {
            id,
            by: caller.address,
            noteHash: note,
        }
        .encode_log_data(),
    );
    Ok(())
}

/// The id of `submitter`'s record of `sha256`, if deposited.
pub fn evidence_id_of<S: Slots>(
    store: &mut EvidenceStore<'_, S>,
    chain_id: u64,
    submitter: &Address,
    sha256: &B256,
) -> Result<Option<B256>, EvidenceError> {
    let id = evidence_id(chain_id, submitter, sha256);
    Ok(store.exists(&id)?.then_some(id))
}
