//! Entente's Ethereum JSON-RPC: the methods ethers, web3.py, Foundry's cast and Hardhat
//! need to deploy and call contracts unchanged, over HTTP and WebSocket on one port.
//!
//! - [`server`]: the jsonrpsee server, its limits, and method registration.
//! - [`eth`]: chain, state, call and transaction methods.
//! - [`pubsub`]: `eth_subscribe` for `newHeads` and `logs`.
//! - [`convert`]: Entente blocks, transactions and receipts in Ethereum's RPC shapes.
//! - [`error`]: standard JSON-RPC error codes and messages.

pub mod convert;
pub mod error;
pub mod eth;
pub mod pubsub;
pub mod server;

pub use server::{RpcContext, start};
