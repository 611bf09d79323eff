//! Entente's consensus application on commonware: how blocks are built, verified,
//! executed and committed, and how one validator's actors are wired together.
//!
//! - [`chain`]: the block rules (synchronous, deterministic, testable without a network).
//! - [`app`]: the marshal `Application` that proposes and verifies for simplex.
//! - [`finalizer`]: commits finalised blocks in order, then acknowledges marshal.
//! - [`ingress`]: transaction submission and gossip.
//! - [`engine`]: starts simplex, marshal, broadcast, backfill, finaliser and gossip.
//! - [`epochs`]: validator sets per epoch and the move from one epoch to the next.
//! - [`genesis`]: the genesis block and state from the chain spec.
//! - [`certificate`]: offline verification of finality certificates.

pub mod app;
pub mod certificate;
pub mod chain;
pub mod engine;
pub mod epochs;
mod error;
pub mod finalizer;
pub mod genesis;
pub mod ingress;

pub use app::{EntenteApp, now_ms};
pub use certificate::{CertificateError, VerifiedFinalization, verify_finalization};
pub use chain::{Chain, ChainConfig, CommittedBlock, Executed};
pub use engine::{
    Channels, EngineConfig, NAMESPACE, Running, channels, signing_scheme, start, verifying_scheme,
};
pub use error::ChainError;
pub use finalizer::{FinalityStatus, Finalizer, FinalizerMailbox};
pub use genesis::{Genesis, build_genesis, genesis_diff, init_genesis};
pub use ingress::{Gossip, SubmitError, TxIngress};

/// The simplex signing scheme: ed25519 votes, certificates of 2f+1 signatures.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// A finalisation certificate for a block digest.
pub type Finalization =
    commonware_consensus::simplex::types::Finalization<Scheme, entente_primitives::BlockDigest>;
