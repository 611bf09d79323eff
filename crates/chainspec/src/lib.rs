//! The chain spec (genesis): everything that must be identical on every node of a
//! consortium — chain id, organisations, validators, funded accounts, gas rules and
//! consensus-critical limits. Its SHA-256 over the canonical JSON is the chain's identity
//! and is committed in the genesis block header.
//!
//! Local, per-node settings (ports, paths, timeouts) live in `entente-config` instead.

mod error;
mod keys;
mod spec;

pub use error::ChainSpecError;
pub use keys::{ValidatorKey, decode_public_key, encode_public_key};
pub use spec::{
    AccountEntry, ChainSpec, ConsensusRules, GasRules, GenesisAccount, GovernanceRules, Limits,
    Org, VALIDATORS_MAX, Validator,
};
