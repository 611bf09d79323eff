//! The Entente benchmark harness (`entente bench`).
//!
//! It measures what a consortium delivers to its users: **finalised** transactions per
//! second over a steady window (warm-up excluded), submit→final latency, node CPU
//! seconds per 1,000 transactions and peak memory. Setup — funding K sender accounts,
//! deploying an OpenZeppelin ERC-20, optionally creating a million accounts of state —
//! and signing the whole workload happen before the clock starts; the timed part only
//! posts pre-serialised JSON-RPC batches over concurrent connections and watches the
//! finalised head. `--compare anvil` sends the identical signed bytes to Foundry's anvil
//! in the same run.
//!
//! - [`workload`]: native, ERC-20 and mixed workloads, pre-signed and batched.
//! - [`setup`]: funding, deployment and state filling, each checked on-chain.
//! - [`load`]: the timed submission, the finality watcher and the resource sampler.
//! - [`stats`]: the window's figures; [`report`]: JSON + Markdown with machine and commit.
//! - [`network`]: a local consortium of `entente node` processes; [`anvil`]: the
//!   comparison target.
//! - [`harness`]: one benchmark end to end.

pub mod anvil;
pub mod contracts;
mod error;
pub mod harness;
pub mod load;
pub mod network;
pub mod procstat;
pub mod report;
pub mod rpc;
pub mod setup;
pub mod stats;
pub mod workload;

pub use error::BenchError;
pub use harness::{BenchOptions, BenchOutcome, TargetOptions, run};
pub use load::LoadConfig;
pub use network::LocalOptions;
pub use workload::WorkloadKind;
