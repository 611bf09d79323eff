//! Evidence certificates (`entente_verify::evidence`) assembled from a node's store: the
//! record from the evidence module's state, the deposit transaction with its inclusion
//! proof, the block header, the finality proof and the validator set of its epoch.

use alloy_primitives::{B256, keccak256};
use entente_modules::evidence::state::read_record;
use entente_storage::{StateBase, StorageError};
use entente_verify::evidence::{
    abi::{self, EVIDENCE_ADDRESS, EvidenceInfo, IEvidence},
    certificate::{
        BlockDoc, ChainDoc, DigestDoc, EvidenceCertificate, FORMAT, FinalityDoc, RecordDoc,
        TransactionDoc, VERSION,
    },
};

use crate::{Chain, ChainError};

/// Why a certificate cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("{0} not found")]
    NotFound(String),
    /// Committed, but the certificate proving block `height` final is still on its way.
    #[error("block {height} is committed but its finality proof is not stored yet; retry shortly")]
    NotYetProven { height: u64 },
    #[error("{0}")]
    Internal(String),
}

impl From<StorageError> for CertificateError {
    fn from(err: StorageError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// The record with `id`, as committed at the head.
pub fn record(chain: &Chain, id: &B256) -> Result<EvidenceInfo, CertificateError> {
    let store = chain.store();
    let head = store
        .head()?
        .ok_or_else(|| CertificateError::Internal("no genesis".into()))?;
    let view = store.view(&StateBase::committed(head.height));
    read_record(&view, id)
        .map_err(|err| CertificateError::Internal(format!("evidence state: {err}")))?
        .ok_or_else(|| CertificateError::NotFound(format!("evidence {id}")))
}

/// The id of the record committed transaction `hash` deposited.
pub fn deposited_by(chain: &Chain, hash: &B256) -> Result<B256, CertificateError> {
    let store = chain.store();
    let not_a_deposit =
        || CertificateError::NotFound(format!("evidence deposited by transaction {hash}"));
    let location = store.tx_location(hash)?.ok_or_else(not_a_deposit)?;
    let receipt = store
        .receipt(location.height, location.index)?
        .ok_or_else(not_a_deposit)?;
    deposited_id(&receipt.logs).ok_or_else(not_a_deposit)
}

/// The id in the `EvidenceDeposited` event among `logs`, if any.
pub fn deposited_id(logs: &[entente_primitives::ReceiptLog]) -> Option<B256> {
    use alloy_sol_types::SolEvent as _;
    logs.iter()
        .filter(|log| log.address == EVIDENCE_ADDRESS)
        .find_map(|log| {
            IEvidence::EvidenceDeposited::decode_log_data(&log.data)
                .ok()
                .map(|event| event.id)
        })
}

/// Assembles the certificate of the deposit `id` from the store.
pub fn certificate(chain: &Chain, id: &B256) -> Result<EvidenceCertificate, CertificateError> {
    let r = record(chain, id)?;
    let store = chain.store();
    let height = r.height;
    let block = store.block(height)?.ok_or_else(|| {
        CertificateError::Internal(format!("block {height} of evidence {id} missing"))
    })?;
    let receipts = store
        .receipts(height)?
        .ok_or_else(|| CertificateError::Internal(format!("receipts of block {height} missing")))?;
    let index = receipts
        .iter()
        .position(|receipt| deposited_id(&receipt.logs) == Some(*id))
        .ok_or_else(|| {
            CertificateError::Internal(format!("no deposit event of {id} in block {height}"))
        })?;
    let raw = block.txs[index].clone();
    let leaves: Vec<B256> = block.txs.iter().map(keccak256).collect();
    let inclusion = entente_primitives::merkle_proof(&leaves, index as u32)
        .map_err(|err| CertificateError::Internal(err.to_string()))?;
    let internal = |err: ChainError| CertificateError::Internal(err.to_string());
    let (certified, proof) = chain
        .finality_proof(height)
        .map_err(internal)?
        .ok_or(CertificateError::NotYetProven { height })?;
    let (epoch, validators) = crate::epochs::signers_of(chain, certified).map_err(internal)?;
    let genesis = store
        .block(0)?
        .ok_or_else(|| CertificateError::Internal("no genesis".into()))?;
    Ok(EvidenceCertificate {
        format: FORMAT.into(),
        version: VERSION,
        evidence_id: *id,
        record: RecordDoc {
            submitter: r.submitter,
            submitter_org: r.submitterOrg,
            content: r
                .content
                .iter()
                .map(|d| DigestDoc {
                    alg: abi::alg_name(d.alg),
                    hex: format!("0x{}", alloy_primitives::hex::encode(&d.value)),
                })
                .collect(),
            content_length: r.contentLength,
            media_type: r.mediaType,
            metadata_hash: r.metadataHash,
            prev: r.prev,
            signature: r.signature,
        },
        chain: ChainDoc {
            chain_id: chain.spec().chain_id,
            genesis_hash: genesis.hash(),
            genesis_header: genesis.header.to_bytes().into(),
        },
        transaction: TransactionDoc {
            hash: keccak256(&raw),
            raw,
            index: index as u32,
            inclusion,
        },
        block: BlockDoc {
            header: block.header.to_bytes().into(),
            hash: block.hash(),
            number: height,
            timestamp_ms: block.header.timestamp_ms,
        },
        finality: FinalityDoc {
            certificate: proof.certificate.into(),
            certified_number: certified,
            descendants: proof
                .descendants
                .iter()
                .map(|h| h.to_bytes().into())
                .collect(),
            epoch,
            validators: validators
                .iter()
                .map(entente_chainspec::encode_public_key)
                .collect(),
        },
        issued_by: format!("entente {}", env!("CARGO_PKG_VERSION")),
        anchors: Vec::new(),
    })
}
