//! Offline verification of what an Entente chain says is final.
//!
//! Everything here works from bytes and public keys alone: no node, no network, no
//! storage, no clock. A light client, an auditor's tool or a court's expert can embed it
//! and check a block's finality against the validator set they trust.
//!
//! - [`verify_finalization`]: a simplex finalisation certificate (2f+1 ed25519
//!   signatures) of one block digest.
//! - [`FinalityProof`] and [`verify_finality`]: a block is final when it, or a
//!   descendant linked to it by parent digests, carries such a certificate. Simplex can
//!   finalise a view whose block extends blocks that never got a certificate of their
//!   own (they were notarised, then finalised by ancestry), and a node that syncs by
//!   backfill receives only the certificate of the tip it syncs to; the proof covers
//!   both cases.

pub mod evidence;
mod finality;

pub use finality::{
    CertificateError, FinalityProof, VerifiedFinalization, quorum, verify_finality,
    verify_finalization,
};

/// The namespace validators sign votes and certificates under.
pub const NAMESPACE: &[u8] = b"_ENTENTE";

/// The simplex signing scheme: ed25519 votes, certificates of 2f+1 signatures.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// A finalisation certificate for a block digest.
pub type Finalization =
    commonware_consensus::simplex::types::Finalization<Scheme, entente_primitives::BlockDigest>;

/// A verifier for certificates of `participants` (no signing key needed).
pub fn verifying_scheme(participants: &[commonware_cryptography::ed25519::PublicKey]) -> Scheme {
    Scheme::verifier(
        NAMESPACE,
        commonware_utils::ordered::Set::from_iter_dedup(participants.iter().cloned()),
    )
}
