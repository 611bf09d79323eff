//! The state model shared by storage and execution: accounts, storage slots, code, the
//! difference one block makes, and read access to a state at some point of the chain.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256, b256};

use crate::StorageError;

/// Keccak-256 of the empty byte string: the code hash of an account without code.
pub const EMPTY_CODE_HASH: B256 =
    b256!("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");

/// An account as stored in the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub nonce: u64,
    pub balance: U256,
    /// Keccak-256 of the account's code ([`EMPTY_CODE_HASH`] for externally owned accounts).
    pub code_hash: B256,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: EMPTY_CODE_HASH,
        }
    }
}

/// The changes one block (or one speculative execution) makes to the state.
///
/// Maps are ordered so that applying a diff, and hashing it into the state commitment,
/// is deterministic on every node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDiff {
    /// New value of each touched account; `None` deletes the account.
    pub accounts: BTreeMap<Address, Option<Account>>,
    /// New value of each touched storage slot; zero clears the slot. Deleting an account
    /// does not clear its slots: whoever deletes an account lists its slots here as zero.
    pub storage: BTreeMap<Address, BTreeMap<U256, U256>>,
    /// Code introduced by this diff, by Keccak-256 hash. Code is immutable and shared.
    pub codes: BTreeMap<B256, Bytes>,
}

impl StateDiff {
    /// True when the diff changes nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty() && self.codes.is_empty()
    }

    /// Folds `later` into `self`, as if both had been applied in order.
    pub fn extend(&mut self, later: &StateDiff) {
        for (address, account) in &later.accounts {
            self.accounts.insert(*address, *account);
        }
        for (address, slots) in &later.storage {
            let entry = self.storage.entry(*address).or_default();
            for (slot, value) in slots {
                entry.insert(*slot, *value);
            }
        }
        for (hash, code) in &later.codes {
            self.codes.insert(*hash, code.clone());
        }
    }

    /// Number of state keys (accounts plus storage slots) the diff writes.
    pub fn keys_changed(&self) -> usize {
        self.accounts.len() + self.storage.values().map(BTreeMap::len).sum::<usize>()
    }
}

/// Read access to one version of the state.
pub trait StateView: Send + Sync {
    /// The account at `address`, or `None` if it does not exist.
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError>;
    /// The value of a storage slot (zero when unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError>;
    /// Code by hash, or `None` if unknown.
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError>;
}

impl<T: StateView + ?Sized> StateView for &T {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        (**self).storage(address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        (**self).code(code_hash)
    }
}

impl<T: StateView + ?Sized> StateView for std::sync::Arc<T> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        (**self).storage(address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        (**self).code(code_hash)
    }
}

/// A state view that reads `diff` first and falls back to `base`: the state after a
/// speculative block, before it is committed.
pub struct Overlay<'a, V: StateView + ?Sized> {
    pub base: &'a V,
    pub diff: &'a StateDiff,
}

impl<V: StateView + ?Sized> StateView for Overlay<'_, V> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        match self.diff.accounts.get(address) {
            Some(account) => Ok(*account),
            None => self.base.account(address),
        }
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        if let Some(value) = self.diff.storage.get(address).and_then(|s| s.get(slot)) {
            return Ok(*value);
        }
        self.base.storage(address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        match self.diff.codes.get(code_hash) {
            Some(code) => Ok(Some(code.clone())),
            None => self.base.code(code_hash),
        }
    }
}
