//! Native assets: fungible assets issued by consortium members, each at its own address
//! and usable through the standard ERC-20 ABI, so ethers, wallets and Solidity contracts
//! use them unchanged.
//!
//! - The **registry** at [`ASSETS_ADDRESS`] (`0x…e17e03`) creates assets (`createAsset`,
//!   role `asset_issuer`) and lists them.
//! - Asset number `n` lives at [`asset_address`]`(n)` (`0x000000000000000000e17ea5` followed
//!   by `n` as 8 bytes): ERC-20 (`transfer`, `approve`, `transferFrom`, views, `Transfer`
//!   and `Approval` events, OpenZeppelin 5's ERC-6093 errors), plus `issue` (its issuer
//!   only), `burn` and `spendableOf` (the balance a holder may move — the hook for
//!   regulatory holding freezes).
//!
//! The registry keeps the metadata in its own storage; each asset keeps its supply,
//! balances and allowances in its own address's storage.
//!
//! - [`abi`]: the Solidity interfaces (`sol!`).
//! - [`state`]: the storage layout.
//! - [`logic`]: the rules, with typed errors.
//! - [`precompile`]: ABI decoding, dispatch and encoding for both kinds of address.

use alloy_primitives::{Address, address};

pub mod abi;
pub mod logic;
pub mod precompile;
pub mod state;

/// The asset registry's address.
pub const ASSETS_ADDRESS: Address = address!("0x0000000000000000000000000000000000e17e03");

/// The 12 bytes every asset address starts with.
pub const ASSET_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe1, 0x7e, 0xa5];

/// The address of asset number `number` (1 and up).
pub fn asset_address(number: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[..12].copy_from_slice(&ASSET_PREFIX);
    bytes[12..].copy_from_slice(&number.to_be_bytes());
    Address::from(bytes)
}

/// The asset number of an asset address (whether or not it was created yet).
pub fn asset_number(address: &Address) -> Option<u64> {
    let bytes = address.as_slice();
    if bytes[..12] != ASSET_PREFIX {
        return None;
    }
    let mut number = [0u8; 8];
    number.copy_from_slice(&bytes[12..]);
    let number = u64::from_be_bytes(number);
    (number != 0).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_addresses_round_trip_and_exclude_zero() {
        for n in [1, 2, 255, 256, u64::MAX] {
            assert_eq!(asset_number(&asset_address(n)), Some(n));
        }
        assert_eq!(asset_number(&asset_address(0)), None);
        assert_eq!(asset_number(&ASSETS_ADDRESS), None);
        assert_eq!(
            asset_address(1),
            address!("0x000000000000000000e17ea50000000000000001")
        );
    }
}
