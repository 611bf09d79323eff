//! Typed access to a module's storage slots.
//!
//! A module's state lives in the EVM storage of its own address, so it is covered by the
//! state root and by proofs like any contract's. [`Slots`] abstracts where the slots are
//! read from: inside a call (revm's journal, metered, writable), another module's storage
//! inside a call (metered, read-only), from a state view (authorisation checks and
//! queries, read-only), or from a map (building genesis).
//!
//! Layout: a record lives at `keccak256(namespace ‖ 0x00 ‖ key) + field`; variable-length
//! bytes store their length at the base slot and their 32-byte chunks from
//! `keccak256(base)` on.

use std::{cell::RefCell, collections::BTreeMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use entente_execution::{ModuleHalt, ModuleHost};
use entente_storage::StateView;

/// Why a slot access failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error(transparent)]
    Halt(#[from] ModuleHalt),
    #[error("write attempted through a read-only view")]
    ReadOnly,
    #[error("state read failed: {0}")]
    Storage(String),
}

/// A module's storage.
pub trait Slots {
    fn load(&mut self, slot: U256) -> Result<U256, SlotError>;
    fn store(&mut self, slot: U256, value: U256) -> Result<(), SlotError>;
}

/// The module's storage inside a running call.
pub struct HostSlots<'a> {
    pub host: &'a mut dyn ModuleHost,
}

impl Slots for HostSlots<'_> {
    fn load(&mut self, slot: U256) -> Result<U256, SlotError> {
        Ok(self.host.sload(slot)?)
    }
    fn store(&mut self, slot: U256, value: U256) -> Result<(), SlotError> {
        Ok(self.host.sstore(slot, value)?)
    }
}

/// One host shared by the stores of a call, so that a module can write its own storage
/// while it reads another module's (e.g. the governance registry) in the same rule.
pub struct SharedHost<'h> {
    host: RefCell<&'h mut dyn ModuleHost>,
}

impl<'h> SharedHost<'h> {
    pub fn new(host: &'h mut dyn ModuleHost) -> Self {
        Self {
            host: RefCell::new(host),
        }
    }

    /// The calling module's own storage (writable unless the call is static).
    pub fn own(&self) -> SharedSlots<'_, 'h> {
        SharedSlots {
            host: &self.host,
            address: None,
            writable: true,
        }
    }

    /// The storage of `address`, read-only (metered like SLOAD).
    pub fn at(&self, address: Address) -> SharedSlots<'_, 'h> {
        SharedSlots {
            host: &self.host,
            address: Some(address),
            writable: false,
        }
    }

    /// The storage of another module's account, writable (see
    /// [`ModuleHost::sstore_at`]: for module addresses only).
    pub fn module_at(&self, address: Address) -> SharedSlots<'_, 'h> {
        SharedSlots {
            host: &self.host,
            address: Some(address),
            writable: true,
        }
    }

    /// The nonce of any account.
    pub fn account_nonce(&self, address: Address) -> Result<u64, ModuleHalt> {
        self.host.borrow_mut().account_nonce(address)
    }

    /// Emits a log from another module's address.
    pub fn emit_at(
        &self,
        address: Address,
        log: alloy_primitives::LogData,
    ) -> Result<(), ModuleHalt> {
        self.host.borrow_mut().emit_at(address, log)
    }

    /// Emits a log from the calling module.
    pub fn emit(&self, log: alloy_primitives::LogData) -> Result<(), ModuleHalt> {
        self.host.borrow_mut().emit(log)
    }
}

/// Slots through a [`SharedHost`]: the module's own (`address` `None`) or another
/// account's, read-only unless it is another module's opened with
/// [`SharedHost::module_at`].
pub struct SharedSlots<'a, 'h> {
    host: &'a RefCell<&'h mut dyn ModuleHost>,
    address: Option<Address>,
    writable: bool,
}

impl Slots for SharedSlots<'_, '_> {
    fn load(&mut self, slot: U256) -> Result<U256, SlotError> {
        let mut host = self.host.borrow_mut();
        Ok(match self.address {
            None => host.sload(slot)?,
            Some(address) => host.sload_at(address, slot)?,
        })
    }
    fn store(&mut self, slot: U256, value: U256) -> Result<(), SlotError> {
        match self.address {
            None => Ok(self.host.borrow_mut().sstore(slot, value)?),
            Some(address) if self.writable => {
                Ok(self.host.borrow_mut().sstore_at(address, slot, value)?)
            }
            Some(_) => Err(SlotError::ReadOnly),
        }
    }
}

/// A module's storage read from a state view (read-only).
pub struct ViewSlots<'a> {
    pub view: &'a dyn StateView,
    pub address: Address,
}

impl Slots for ViewSlots<'_> {
    fn load(&mut self, slot: U256) -> Result<U256, SlotError> {
        self.view
            .storage(&self.address, &slot)
            .map_err(|err| SlotError::Storage(err.to_string()))
    }
    fn store(&mut self, _: U256, _: U256) -> Result<(), SlotError> {
        Err(SlotError::ReadOnly)
    }
}

/// Slots in memory: how genesis state is built with the same code as transactions.
#[derive(Clone, Debug, Default)]
pub struct MemorySlots {
    pub slots: BTreeMap<U256, U256>,
}

impl Slots for MemorySlots {
    fn load(&mut self, slot: U256) -> Result<U256, SlotError> {
        Ok(self.slots.get(&slot).copied().unwrap_or_default())
    }
    fn store(&mut self, slot: U256, value: U256) -> Result<(), SlotError> {
        if value.is_zero() {
            self.slots.remove(&slot);
        } else {
            self.slots.insert(slot, value);
        }
        Ok(())
    }
}

/// The base slot of `key` in `namespace`.
pub fn slot(namespace: &str, key: &[u8]) -> U256 {
    let mut preimage = Vec::with_capacity(namespace.len() + 1 + key.len());
    preimage.extend_from_slice(namespace.as_bytes());
    preimage.push(0);
    preimage.extend_from_slice(key);
    U256::from_be_bytes(keccak256(preimage).0)
}

/// Field `index` of a record at `base`.
pub fn field(base: U256, index: u64) -> U256 {
    base.wrapping_add(U256::from(index))
}

pub fn word_to_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

pub fn address_to_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

pub fn b256_to_word(value: B256) -> U256 {
    U256::from_be_bytes(value.0)
}

pub fn word_to_b256(word: U256) -> B256 {
    B256::from(word)
}

/// Most bytes one stored value may hold; larger values are refused by callers first.
pub const BYTES_MAX: usize = 4096;

/// Reads bytes stored at `base`.
pub fn load_bytes(s: &mut impl Slots, base: U256) -> Result<Vec<u8>, SlotError> {
    let len = s.load(base)?;
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(BYTES_MAX);
    let start = U256::from_be_bytes(keccak256(base.to_be_bytes::<32>()).0);
    let mut out = Vec::with_capacity(len);
    for chunk in 0..len.div_ceil(32) {
        let word = s.load(field(start, chunk as u64))?.to_be_bytes::<32>();
        let take = (len - chunk * 32).min(32);
        out.extend_from_slice(&word[..take]);
    }
    Ok(out)
}

/// Stores `data` at `base`, clearing chunks a previous, longer value left behind.
pub fn store_bytes(s: &mut impl Slots, base: U256, data: &[u8]) -> Result<(), SlotError> {
    let old = usize::try_from(s.load(base)?).unwrap_or(0).min(BYTES_MAX);
    let start = U256::from_be_bytes(keccak256(base.to_be_bytes::<32>()).0);
    for (i, chunk) in data.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        s.store(field(start, i as u64), U256::from_be_bytes(word))?;
    }
    for i in data.len().div_ceil(32)..old.div_ceil(32) {
        s.store(field(start, i as u64), U256::ZERO)?;
    }
    s.store(base, U256::from(data.len()))
}

/// An append-only list of words: length at `base`, item `i` at `slot(namespace, base ‖ i)`.
pub struct List {
    pub namespace: &'static str,
}

impl List {
    fn item(&self, i: u64) -> U256 {
        slot(self.namespace, &i.to_be_bytes())
    }

    fn len_slot(&self) -> U256 {
        slot(self.namespace, b"len")
    }

    pub fn len(&self, s: &mut impl Slots) -> Result<u64, SlotError> {
        Ok(u64::try_from(s.load(self.len_slot())?).unwrap_or(u64::MAX))
    }

    pub fn push(&self, s: &mut impl Slots, value: U256) -> Result<u64, SlotError> {
        let len = self.len(s)?;
        s.store(self.item(len), value)?;
        s.store(self.len_slot(), U256::from(len + 1))?;
        Ok(len)
    }

    pub fn get(&self, s: &mut impl Slots, i: u64) -> Result<U256, SlotError> {
        s.load(self.item(i))
    }

    /// Every item, at most `max` of them.
    pub fn all(&self, s: &mut impl Slots, max: u64) -> Result<Vec<U256>, SlotError> {
        let len = self.len(s)?.min(max);
        (0..len).map(|i| self.get(s, i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_roundtrip_and_shrink_clears_chunks() {
        let mut s = MemorySlots::default();
        let base = slot("test", b"k");
        let long = vec![7u8; 100];
        store_bytes(&mut s, base, &long).unwrap();
        assert_eq!(load_bytes(&mut s, base).unwrap(), long);
        store_bytes(&mut s, base, b"short").unwrap();
        assert_eq!(load_bytes(&mut s, base).unwrap(), b"short");
        // Only the length slot and one chunk remain.
        assert_eq!(s.slots.len(), 2);
        store_bytes(&mut s, base, b"").unwrap();
        assert!(s.slots.is_empty());
    }

    #[test]
    fn lists_append_in_order() {
        let mut s = MemorySlots::default();
        let list = List { namespace: "l" };
        for i in 0..5u64 {
            assert_eq!(list.push(&mut s, U256::from(i * 10)).unwrap(), i);
        }
        assert_eq!(list.len(&mut s).unwrap(), 5);
        assert_eq!(
            list.all(&mut s, 3).unwrap(),
            vec![U256::ZERO, U256::from(10), U256::from(20)]
        );
    }

    #[test]
    fn views_are_read_only() {
        struct Empty;
        impl StateView for Empty {
            fn account(
                &self,
                _: &Address,
            ) -> Result<Option<entente_storage::Account>, entente_storage::StorageError>
            {
                Ok(None)
            }
            fn storage(
                &self,
                _: &Address,
                _: &U256,
            ) -> Result<U256, entente_storage::StorageError> {
                Ok(U256::from(5))
            }
            fn code(
                &self,
                _: &B256,
            ) -> Result<Option<alloy_primitives::Bytes>, entente_storage::StorageError>
            {
                Ok(None)
            }
        }
        let mut view = ViewSlots {
            view: &Empty,
            address: Address::ZERO,
        };
        assert_eq!(view.load(U256::from(1)).unwrap(), U256::from(5));
        assert_eq!(
            view.store(U256::from(1), U256::from(2)),
            Err(SlotError::ReadOnly)
        );
    }
}
