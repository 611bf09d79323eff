//! Checking a block's finalisation certificate against a validator set, with nothing
//! but the certificate bytes and the validators' public keys.

use commonware_codec::{Decode as _, Encode as _};
use commonware_consensus::Viewable as _;
use commonware_cryptography::{certificate::Verifier as _, ed25519};
use commonware_parallel::Sequential;
use entente_primitives::BlockDigest;
use thiserror::Error;

use crate::{Finalization, verifying_scheme};

/// Why a certificate was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CertificateError {
    #[error("certificate is undecodable: {0}")]
    Malformed(String),
    #[error("certificate finalises block {got}, not {expected}")]
    WrongBlock { expected: String, got: String },
    #[error(
        "certificate signatures do not verify against the validator set (quorum {quorum} of {validators})"
    )]
    InvalidSignatures { quorum: usize, validators: usize },
}

/// What a verified certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedFinalization {
    pub digest: BlockDigest,
    pub epoch: u64,
    pub view: u64,
    /// Indices (in the validator set sorted by public key) of the validators that signed.
    pub signers: Vec<u32>,
}

/// Decodes and verifies `bytes` as a finalisation of `expected` by `validators`.
pub fn verify_finalization(
    bytes: &[u8],
    validators: &[ed25519::PublicKey],
    expected: &BlockDigest,
) -> Result<VerifiedFinalization, CertificateError> {
    let scheme = verifying_scheme(validators);
    let finalization = Finalization::decode_cfg(
        bytes::Bytes::copy_from_slice(bytes),
        &scheme.certificate_codec_config(),
    )
    .map_err(|err| CertificateError::Malformed(err.to_string()))?;
    if bytes != finalization.encode().as_ref() {
        return Err(CertificateError::Malformed("non-canonical encoding".into()));
    }
    if finalization.proposal.payload != *expected {
        return Err(CertificateError::WrongBlock {
            expected: expected.to_string(),
            got: finalization.proposal.payload.to_string(),
        });
    }
    let quorum = validators.len() - (validators.len() - 1) / 3;
    if !finalization.verify(&mut rand010::rng(), &scheme, &Sequential) {
        return Err(CertificateError::InvalidSignatures {
            quorum,
            validators: validators.len(),
        });
    }
    Ok(VerifiedFinalization {
        digest: finalization.proposal.payload,
        epoch: finalization.proposal.round.epoch().get(),
        view: finalization.view().get(),
        signers: finalization
            .certificate
            .signers
            .iter()
            .map(|p| p.get())
            .collect(),
    })
}
