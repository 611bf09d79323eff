//! Checking a block's finality against a validator set, with nothing but certificate
//! bytes, block headers and the validators' public keys.

use commonware_codec::{Decode as _, Encode as _};
use commonware_consensus::Viewable as _;
use commonware_cryptography::{certificate::Verifier as _, ed25519};
use commonware_parallel::Sequential;
use entente_primitives::{BlockDigest, Header};
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
    #[error("{signed} validators signed; a quorum of {quorum} of {validators} is needed")]
    InsufficientQuorum {
        signed: usize,
        quorum: usize,
        validators: usize,
    },
    #[error("the header at height {height} does not extend the block before it")]
    BrokenChain { height: u64 },
}

/// Evidence that a block is final: the finalisation certificate of the block itself
/// (`descendants` empty) or of a descendant, with the headers that link that descendant
/// back to the block through their parent digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalityProof {
    /// The encoded simplex finalisation of the last of `descendants`, or of the block
    /// itself when there are none.
    pub certificate: Vec<u8>,
    /// The headers after the proven block, in height order, ending at the certified one.
    pub descendants: Vec<Header>,
}

/// Checks that `proof` shows the block with `header` final under `validators` (the
/// validator set of the certified block's epoch).
pub fn verify_finality(
    header: &Header,
    proof: &FinalityProof,
    validators: &[ed25519::PublicKey],
) -> Result<VerifiedFinalization, CertificateError> {
    let mut digest = header.digest();
    let mut height = header.height;
    for next in &proof.descendants {
        if next.parent != digest || Some(next.height) != height.checked_add(1) {
            return Err(CertificateError::BrokenChain {
                height: next.height,
            });
        }
        digest = next.digest();
        height = next.height;
    }
    verify_finalization(&proof.certificate, validators, &digest)
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

/// The signatures a certificate needs from `validators` members: 2f+1 where f is the
/// most faulty validators the set tolerates.
pub fn quorum(validators: usize) -> usize {
    validators - validators.saturating_sub(1) / 3
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
    let quorum = quorum(validators.len());
    let signed = finalization.certificate.signers.count();
    if signed < quorum {
        return Err(CertificateError::InsufficientQuorum {
            signed,
            quorum,
            validators: validators.len(),
        });
    }
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
        let validators = keys(4);
        let digest = commonware_cryptography::sha256::Digest([7; 32]);
        for bytes in [&[][..], &[0u8; 64][..], &[0xffu8; 300][..]] {
            assert!(verify_finalization(bytes, &validators, &digest).is_err());
        }
    }

    fn keys(n: u64) -> Vec<ed25519::PublicKey> {
        (0..n)
            .map(|i| {
                use commonware_cryptography::Signer as _;
                ed25519::PrivateKey::from_seed(i).public_key()
            })
            .collect()
    }

    fn header(parent: BlockDigest, height: u64) -> Header {
        Header {
            parent,
            height,
            timestamp_ms: 1_000 + height,
            proposer: Default::default(),
            gas_limit: 30_000_000,
            gas_used: 0,
            base_fee: 0,
            tx_root: Default::default(),
            receipts_root: Default::default(),
            state_root: Default::default(),
            extra: Default::default(),
        }
    }

    /// A chain of headers whose links do not hold is refused before any signature is
    /// looked at, naming the first header that breaks the chain.
    #[test]
    fn descendants_must_link_by_parent_digest_and_height() {
        let zero = commonware_cryptography::sha256::Digest([0; 32]);
        let block = header(zero, 5);
        let six = header(block.digest(), 6);
        let seven = header(six.digest(), 7);
        let broken = |descendants: Vec<Header>| {
            verify_finality(
                &block,
                &FinalityProof {
                    certificate: vec![],
                    descendants,
                },
                &keys(4),
            )
        };
        // Linked: the chain holds, so the (empty) certificate is what fails.
        assert!(matches!(
            broken(vec![six.clone(), seven.clone()]),
            Err(CertificateError::Malformed(_))
        ));
        // A gap, a wrong parent, a repeated height.
        assert_eq!(
            broken(vec![seven.clone()]),
            Err(CertificateError::BrokenChain { height: 7 })
        );
        let stranger = header(header(zero, 4).digest(), 6);
        assert_eq!(
            broken(vec![stranger]),
            Err(CertificateError::BrokenChain { height: 6 })
        );
        let mut same_height = six.clone();
        same_height.height = 5;
        assert_eq!(
            broken(vec![same_height]),
            Err(CertificateError::BrokenChain { height: 5 })
        );
    }
}
