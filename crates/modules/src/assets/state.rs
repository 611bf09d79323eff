//! The storage layout of the assets.
//!
//! In the registry's storage (`0x…e17e03`), asset `n` at `base = slot("asset", n)` (`n` as
//! 8 bytes, big-endian):
//!
//! | slot | content |
//! |---|---|
//! | `base` | bits 0–7 `1` (present), 8–15 decimals |
//! | `base + 1` | issuer |
//! | `base + 2` | issuer's organisation |
//! | `slot("asset.name", n)`, `slot("asset.symbol", n)` | name and symbol (bytes) |
//!
//! and the number of assets at `slot("assets", "count")`. In each asset's own storage:
//! the supply at `slot("supply", "")`, balances at `slot("balance", holder)` and
//! allowances at `slot("allowance", owner ‖ spender)`.

use alloy_primitives::{Address, U256};

use super::{abi::AssetInfo, asset_address};
use crate::{
    governance::state::OrgId,
    slots::{
        SlotError, Slots, address_to_word, b256_to_word, field, load_bytes, slot, store_bytes,
        word_to_address, word_to_b256,
    },
};

/// An asset's registry entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetMeta {
    pub number: u64,
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub issuer: Address,
    pub issuer_org: OrgId,
}

impl AssetMeta {
    pub fn info(&self, total_supply: U256) -> AssetInfo {
        AssetInfo {
            asset: asset_address(self.number),
            number: self.number,
            name: self.name.clone(),
            symbol: self.symbol.clone(),
            decimals: self.decimals,
            issuer: self.issuer,
            issuerOrg: self.issuer_org.0,
            totalSupply: total_supply,
        }
    }
}

/// The registry's storage.
pub struct Registry<'a, S: Slots> {
    pub s: &'a mut S,
}

fn number_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

impl<S: Slots> Registry<'_, S> {
    pub fn count(&mut self) -> Result<u64, SlotError> {
        Ok(self.s.load(slot("assets", b"count"))?.saturating_to())
    }

    pub fn asset(&mut self, number: u64) -> Result<Option<AssetMeta>, SlotError> {
        let base = slot("asset", &number_key(number));
        let head = self.s.load(base)?;
        if head.byte(0) != 1 {
            return Ok(None);
        }
        let bytes = |s: &mut S, ns: &str| -> Result<String, SlotError> {
            let raw = load_bytes(s, slot(ns, &number_key(number)))?;
            Ok(String::from_utf8_lossy(&raw).into_owned())
        };
        Ok(Some(AssetMeta {
            number,
            name: bytes(self.s, "asset.name")?,
            symbol: bytes(self.s, "asset.symbol")?,
            decimals: head.byte(1),
            issuer: word_to_address(self.s.load(field(base, 1))?),
            issuer_org: OrgId(word_to_b256(self.s.load(field(base, 2))?)),
        }))
    }

    /// Stores `meta` as the next asset; returns its number.
    pub fn create(&mut self, mut meta: AssetMeta) -> Result<u64, SlotError> {
        let number = self.count()? + 1;
        meta.number = number;
        let base = slot("asset", &number_key(number));
        self.s
            .store(base, U256::from(1u8) | (U256::from(meta.decimals) << 8))?;
        self.s.store(field(base, 1), address_to_word(meta.issuer))?;
        self.s
            .store(field(base, 2), b256_to_word(meta.issuer_org.0))?;
        store_bytes(
            self.s,
            slot("asset.name", &number_key(number)),
            meta.name.as_bytes(),
        )?;
        store_bytes(
            self.s,
            slot("asset.symbol", &number_key(number)),
            meta.symbol.as_bytes(),
        )?;
        self.s.store(slot("assets", b"count"), U256::from(number))?;
        Ok(number)
    }
}

/// One asset's ledger (its own storage).
pub struct Ledger<'a, S: Slots> {
    pub s: &'a mut S,
}

fn pair(owner: &Address, spender: &Address) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..20].copy_from_slice(owner.as_slice());
    key[20..].copy_from_slice(spender.as_slice());
    key
}

impl<S: Slots> Ledger<'_, S> {
    pub fn supply(&mut self) -> Result<U256, SlotError> {
        self.s.load(slot("supply", b""))
    }
    pub fn set_supply(&mut self, value: U256) -> Result<(), SlotError> {
        self.s.store(slot("supply", b""), value)
    }
    pub fn balance(&mut self, holder: &Address) -> Result<U256, SlotError> {
        self.s.load(slot("balance", holder.as_slice()))
    }
    pub fn set_balance(&mut self, holder: &Address, value: U256) -> Result<(), SlotError> {
        self.s.store(slot("balance", holder.as_slice()), value)
    }
    pub fn allowance(&mut self, owner: &Address, spender: &Address) -> Result<U256, SlotError> {
        self.s.load(slot("allowance", &pair(owner, spender)))
    }
    pub fn set_allowance(
        &mut self,
        owner: &Address,
        spender: &Address,
        value: U256,
    ) -> Result<(), SlotError> {
        self.s
            .store(slot("allowance", &pair(owner, spender)), value)
    }
}
