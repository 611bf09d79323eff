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
//!
//! Offline verification of finality (certificates, proofs by descendant) lives in
//! `entente-verify`, re-exported here.

pub mod app;
pub mod chain;
pub mod engine;
pub mod epochs;
mod error;
pub mod evidence;
pub mod finalizer;
pub mod genesis;
pub mod ingress;

pub use app::{EntenteApp, now_ms};
pub use chain::{Chain, ChainConfig, CommittedBlock, Executed};
pub use engine::{Channels, EngineConfig, Running, channels, signing_scheme, start};
pub use entente_verify::{
    CertificateError, FinalityProof, Finalization, NAMESPACE, Scheme, VerifiedFinalization,
    verify_finality, verify_finalization, verifying_scheme,
};
pub use error::ChainError;
pub use finalizer::{FinalityStatus, Finalizer, FinalizerMailbox};
pub use genesis::{Genesis, build_genesis, genesis_diff, init_genesis};
pub use ingress::{Gossip, SubmitError, TxIngress};
