//! Assembles a running Entente node from its chain spec, key and local config:
//! the store, the transaction pool, the consensus engine on authenticated p2p, and the
//! JSON-RPC and REST servers. Also the lifecycle: start, run until stopped, shut down.

mod consortium;
mod error;
mod launch;
pub mod p2p;

pub use consortium::{
    Consortium, ConsortiumPlan, NodeFiles, SpareOrg, load_consortium, read_validator_key,
    write_consortium,
};
pub use error::NodeError;
pub use launch::{NodeHandle, NodeParams, launch};
