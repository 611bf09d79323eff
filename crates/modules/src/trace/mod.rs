//! Product traceability and anti-counterfeiting: GS1 company prefixes bound to brand
//! organisations, products (GTIN-14), lots, serialised items and pallets (SSCC), EPCIS
//! 2.0-shaped events (commission, inspect, pack/unpack, ship, receive, customs declare
//! and clear, sell, recall, decommission) under custody, customs and ordering rules, and
//! one-time secrets per item kept as hash commitments, so that a consumer's first
//! verification reads genuine and any later one exposes a clone.
//!
//! - [`abi`]: the Solidity interface (`sol!`).
//! - [`state`]: the storage layout.
//! - [`logic`]: the rules, with typed errors.
//! - [`precompile`]: ABI decoding, dispatch and encoding.

use alloy_primitives::{Address, address};

pub mod abi;
pub mod logic;
pub mod precompile;
pub mod state;

/// The trace module's address.
pub const TRACE_ADDRESS: Address = address!("0x0000000000000000000000000000000000e17e05");
