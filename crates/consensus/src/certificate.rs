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
    if validators.is_empty() {
        return Err(CertificateError::InvalidSignatures {
            quorum: 0,
            validators: 0,
        });
    }
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
    // Saturating: an empty set (a caller's mistake) must be refused, not underflow.
    let quorum = validators.len() - validators.len().saturating_sub(1) / 3;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: an empty validator set made the quorum computation underflow (a panic
    /// in debug builds) instead of refusing the certificate.
    #[test]
    fn empty_validator_set_is_refused() {
        let digest = commonware_cryptography::sha256::Digest([7; 32]);
        for bytes in [&[][..], &[0u8; 64][..], &[1u8; 300][..]] {
            assert_eq!(
                verify_finalization(bytes, &[], &digest),
                Err(CertificateError::InvalidSignatures {
                    quorum: 0,
                    validators: 0
                })
            );
        }
    }

    #[test]
    fn garbage_is_refused() {
        let validators: Vec<_> = (0..4)
            .map(|i| {
                use commonware_cryptography::Signer as _;
                ed25519::PrivateKey::from_seed(i).public_key()
            })
            .collect();
        let digest = commonware_cryptography::sha256::Digest([7; 32]);
        for bytes in [&[][..], &[0u8; 64][..], &[0xffu8; 300][..]] {
            assert!(verify_finalization(bytes, &validators, &digest).is_err());
        }
    }
}
