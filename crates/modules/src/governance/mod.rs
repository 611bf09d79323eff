//! Governance: the organisation, account and validator registries, permissioning, and
//! the weighted committee that changes them by proposal.
//!
//! - [`abi`]: the Solidity interface (`sol!`).
//! - [`state`]: the storage layout.
//! - [`logic`]: the rules, with typed errors.
//! - [`precompile`]: ABI decoding, dispatch and encoding.
//! - [`genesis`]: the module's state at genesis, from the chain spec.
//! - [`permissions`]: the admission check every transaction passes.

pub mod abi;
pub mod genesis;
pub mod logic;
pub mod permissions;
pub mod precompile;
pub mod state;
