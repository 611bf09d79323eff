//! Entente's deterministic simulation: N validators running the real application
//! (execution, storage, pool, consensus) on commonware's deterministic runtime and
//! simulated network, driven by a seed. The same seed replays the same run, event for
//! event, so any failure can be reproduced with one command.
//!
//! - [`exec`]: transactions block by block on genesis state, without consensus.
//! - [`fixtures`]: chain specs and funded, signing accounts for tests.
//! - [`sim`]: the simulated network of validators, faults, workload and checkers.

pub mod exec;
pub mod fixtures;
pub mod sim;
