//! Regulator supervision: a committee of regulators (accounts with the system role
//! `regulator`, appointed by governance) freezes accounts, contracts, single methods,
//! holdings of native assets and pending transactions, each order with a reason code and
//! the hash of its legal basis; lifts and ratifies orders; and moves frozen holdings to
//! a registered escrow account. One regulator may issue an emergency freeze that lapses
//! unless the committee ratifies it. Orders stack: a target is frozen while any active
//! order covers it.
//!
//! - [`abi`]: the Solidity interface (`sol!`).
//! - [`state`]: the storage layout.
//! - [`logic`]: the rules, with typed errors.
//! - [`enforce`]: the checks the executor and the asset module apply.
//! - [`precompile`]: ABI decoding, dispatch and encoding.
//! - [`names`]: the names of its codes, for the REST API and the CLI.

use alloy_primitives::{Address, address};

pub mod abi;
pub mod enforce;
pub mod logic;
pub mod names;
pub mod precompile;
pub mod state;

/// The supervision module's address.
pub const SUPERVISION_ADDRESS: Address = address!("0x0000000000000000000000000000000000e17e04");
