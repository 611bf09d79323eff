//! The bodies of Entente's fuzz targets, as plain functions of the input bytes.
//!
//! Every input a node takes from outside — raw transactions, blocks and certificates from
//! peers, JSON-RPC requests, calldata to the system modules — is decoded by code these
//! functions drive. Two runners call them:
//!
//! - `fuzz/` (cargo-fuzz, libFuzzer, coverage-guided), one thin `fuzz_target!` per
//!   function, run on demand by `scripts/fuzz-smoke`;
//! - `tests/fuzz_smoke.rs` in this crate, which replays `fuzz/corpus/<target>/` and then
//!   mutates it for a bounded time without instrumentation: the fuzzing CI runs.
//!
//! **A panic anywhere is a bug**, in the product or in a check here: a malformed input
//! must come back as a typed error, a JSON-RPC error or a revert. Each function documents
//! what it checks beyond that.
//!
//! - [`tx_decode`]: EIP-2718 transactions and gossip batches.
//! - [`block_decode`]: blocks and finalisation certificates.
//! - [`rpc_request`]: the JSON-RPC module over an in-memory chain.
//! - [`module_call`]: ABI decoding and the full precompile path of every system module.
//! - [`seeds`]: the seed corpora, built with the project's own encoders and signers.

pub mod block_decode;
pub mod module_call;
pub mod rpc_request;
pub mod seeds;
pub mod tx_decode;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the names of their `fuzz/fuzz_targets/*.rs` files and corpus
/// directories, with their functions.
pub const TARGETS: [(&str, Target); 4] = [
    ("tx_decode", tx_decode::run),
    ("block_decode", block_decode::run),
    ("rpc_request", rpc_request::run),
    ("module_call", module_call::run),
];
