//! The state revm executes against: a [`StateView`] plus a cache that holds every value
//! read so far and every change made by earlier transactions of the block.
//!
//! One [`BlockDb`] lives for a whole block, so each account, slot and contract is read
//! from the view at most once and each contract's code is analysed once. After each
//! transaction, [`BlockDb::apply`] folds revm's changed state into the cache and into the
//! block's [`StateDiff`], so the next transaction sees it.

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::{Mutex, MutexGuard, PoisonError},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use entente_storage::{Account, EMPTY_CODE_HASH, StateDiff, StateView, StorageError};
use revm::{
    Database,
    bytecode::Bytecode,
    state::{AccountInfo, EvmState},
};

use crate::{BlockHashes, env::BLOCK_HASH_WINDOW, error::DbError};

/// Cached storage of one account.
#[derive(Default)]
struct Slots {
    values: HashMap<U256, U256>,
    /// The account was created or destroyed in this block: slots not in `values` are
    /// zero, whatever the view says.
    cleared: bool,
}

/// The pending state of a block under execution.
pub struct BlockDb<'a, V> {
    view: V,
    hashes: &'a dyn BlockHashes,
    /// Number of the block executing, for the BLOCKHASH window.
    number: u64,
    accounts: HashMap<Address, Option<Account>>,
    storage: HashMap<Address, Slots>,
    /// Analysed code by hash.
    codes: HashMap<B256, Bytecode>,
    /// Values read from the view through the shared [`StateView`] side (admission and
    /// per-frame checks read the same registry slots for every transaction). The view
    /// does not change during the block and the block's own writes are consulted first,
    /// so these never go stale.
    view_reads: Mutex<ViewReads>,
}

#[derive(Default)]
struct ViewReads {
    accounts: HashMap<Address, Option<Account>>,
    storage: HashMap<(Address, U256), U256>,
}

impl<'a, V: StateView> BlockDb<'a, V> {
    pub fn new(view: V, hashes: &'a dyn BlockHashes, number: u64) -> Self {
        Self {
            view,
            hashes,
            number,
            accounts: HashMap::new(),
            storage: HashMap::new(),
            codes: HashMap::new(),
            view_reads: Mutex::default(),
        }
    }

    /// The account at `address`, cached.
    pub fn load_account(&mut self, address: Address) -> Result<Option<Account>, StorageError> {
        match self.accounts.entry(address) {
            Entry::Occupied(entry) => Ok(*entry.get()),
            Entry::Vacant(entry) => Ok(*entry.insert(self.view.account(&address)?)),
        }
    }

    /// Folds the state revm reports after one transaction into the cache and `diff`.
    ///
    /// Follows revm's commit rules: untouched accounts are skipped; self-destructed ones
    /// are deleted with their slots zeroed; touched empty ones are deleted (EIP-161);
    /// created ones start from empty storage. Only values that differ from the state
    /// before the transaction are written to `diff`.
    pub fn apply(&mut self, state: EvmState, diff: &mut StateDiff) {
        for (address, account) in state {
            if !account.is_touched() {
                continue;
            }
            // Always cached: revm loads every account it touches through `basic`.
            let before = self.accounts.get(&address).copied();
            if account.is_selfdestructed() {
                self.destroy(address, &account, diff);
                self.record_account(address, before, None, diff);
                continue;
            }
            let created = account.is_created();
            let slots = self.storage.entry(address).or_default();
            if created {
                slots.values.clear();
                slots.cleared = true;
            }
            let mut written = diff.storage.remove(&address).unwrap_or_default();
            if created {
                written.values_mut().for_each(|value| *value = U256::ZERO);
            }
            for (slot, value) in &account.storage {
                // A new account's slots are all written: the view may not know it is new.
                if created || value.is_changed() {
                    slots.values.insert(*slot, value.present_value);
                    written.insert(*slot, value.present_value);
                }
            }
            if !written.is_empty() {
                diff.storage.insert(address, written);
            }
            let after = if account.info.is_empty() {
                None
            } else {
                Some(Account {
                    nonce: account.info.nonce,
                    balance: account.info.balance,
                    code_hash: account.info.code_hash,
                })
            };
            if let Some(code) = &account.info.code
                && account.info.code_hash != EMPTY_CODE_HASH
                && before.flatten().map(|b| b.code_hash) != Some(account.info.code_hash)
            {
                diff.codes
                    .insert(account.info.code_hash, code.original_bytes());
                self.codes.insert(account.info.code_hash, code.clone());
            }
            self.record_account(address, before, after, diff);
        }
    }

    fn record_account(
        &mut self,
        address: Address,
        before: Option<Option<Account>>,
        after: Option<Account>,
        diff: &mut StateDiff,
    ) {
        if before != Some(after) {
            diff.accounts.insert(address, after);
        }
        self.accounts.insert(address, after);
    }

    /// Zeroes every slot of a destroyed account that this block knows about.
    fn destroy(&mut self, address: Address, account: &revm::state::Account, diff: &mut StateDiff) {
        let slots = self.storage.entry(address).or_default();
        let written = diff.storage.entry(address).or_default();
        let known = account.storage.keys().chain(slots.values.keys());
        for slot in known {
            written.insert(*slot, U256::ZERO);
        }
        for value in written.values_mut() {
            *value = U256::ZERO;
        }
        slots.values.clear();
        slots.cleared = true;
    }

    /// The reads cache (a panic while it was held left it consistent: every entry is a
    /// view value).
    fn view_reads(&self) -> MutexGuard<'_, ViewReads> {
        self.view_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cached_storage(&self, address: &Address, slot: &U256) -> Option<U256> {
        let slots = self.storage.get(address)?;
        match slots.values.get(slot) {
            Some(value) => Some(*value),
            None if slots.cleared => Some(U256::ZERO),
            None => None,
        }
    }

    fn load_code(&mut self, hash: B256) -> Result<Bytecode, DbError> {
        if hash == EMPTY_CODE_HASH {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.codes.get(&hash) {
            return Ok(code.clone());
        }
        let raw = self
            .view
            .code(&hash)?
            .ok_or(DbError::MissingCode { hash })?;
        let code = Bytecode::new_raw(raw);
        self.codes.insert(hash, code.clone());
        Ok(code)
    }
}

impl<V: StateView> Database for BlockDb<'_, V> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let Some(account) = self.load_account(address)? else {
            return Ok(None);
        };
        // Hand over analysed code when it is cached, sparing revm a second lookup.
        let code = self.codes.get(&account.code_hash).cloned();
        let code = if account.code_hash == EMPTY_CODE_HASH {
            Some(Bytecode::default())
        } else {
            code
        };
        Ok(Some(AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            code,
            ..AccountInfo::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        self.load_code(code_hash)
    }

    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, DbError> {
        if let Some(value) = self.cached_storage(&address, &slot) {
            return Ok(value);
        }
        let value = self.view.storage(&address, &slot)?;
        self.storage
            .entry(address)
            .or_default()
            .values
            .insert(slot, value);
        Ok(value)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        let in_window = number < self.number && self.number - number <= BLOCK_HASH_WINDOW;
        Ok(in_window
            .then(|| self.hashes.block_hash(number))
            .flatten()
            .unwrap_or_default())
    }
}

/// The pending state (view plus the block's changes so far), for module hooks.
impl<V: StateView> StateView for BlockDb<'_, V> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        if let Some(account) = self.accounts.get(address) {
            return Ok(*account);
        }
        if let Some(account) = self.view_reads().accounts.get(address) {
            return Ok(*account);
        }
        let account = self.view.account(address)?;
        self.view_reads().accounts.insert(*address, account);
        Ok(account)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        if let Some(value) = self.cached_storage(address, slot) {
            return Ok(value);
        }
        if let Some(value) = self.view_reads().storage.get(&(*address, *slot)) {
            return Ok(*value);
        }
        let value = self.view.storage(address, slot)?;
        self.view_reads().storage.insert((*address, *slot), value);
        Ok(value)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        match self.codes.get(code_hash) {
            Some(code) => Ok(Some(code.original_bytes())),
            None => self.view.code(code_hash),
        }
    }
}

/// The state in the middle of a transaction: revm's journal over the pending block state.
/// Lets [`crate::SystemModules::check_call`] see the transaction's own earlier writes.
pub(crate) struct JournalView<'r, 'a, V> {
    pub state: &'r EvmState,
    pub db: &'r BlockDb<'a, V>,
}

impl<V: StateView> StateView for JournalView<'_, '_, V> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        match self.state.get(address) {
            Some(account) if account.is_selfdestructed() || account.info.is_empty() => Ok(None),
            Some(account) => Ok(Some(Account {
                nonce: account.info.nonce,
                balance: account.info.balance,
                code_hash: account.info.code_hash,
            })),
            None => self.db.account(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        match self.state.get(address).and_then(|a| a.storage.get(slot)) {
            Some(value) => Ok(value.present_value),
            None => self.db.storage(address, slot),
        }
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        self.db.code(code_hash)
    }
}

#[cfg(test)]
mod tests {
    use revm::state::{Account as EvmAccount, EvmStorageSlot, TransactionId};

    use super::*;

    /// A view holding one account with one non-zero slot.
    struct OneAccount;

    const HOLDER: Address = Address::repeat_byte(1);

    impl StateView for OneAccount {
        fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
            Ok((*address == HOLDER).then(|| Account {
                nonce: 1,
                ..Account::default()
            }))
        }
        fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
            Ok(if *address == HOLDER && *slot == U256::from(1) {
                U256::from(5)
            } else {
                U256::ZERO
            })
        }
        fn code(&self, _code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
            Ok(None)
        }
    }

    struct Hashes;

    impl BlockHashes for Hashes {
        fn block_hash(&self, number: u64) -> Option<B256> {
            Some(B256::with_last_byte(number as u8))
        }
    }

    fn loaded(db: &mut BlockDb<'_, OneAccount>, address: Address) -> EvmAccount {
        let info = db.basic(address).unwrap().unwrap_or_default();
        EvmAccount::from(info)
    }

    /// [`OneAccount`], counting the reads that reach it.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl StateView for Counting {
        fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            OneAccount.account(address)
        }
        fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            OneAccount.storage(address, slot)
        }
        fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
            OneAccount.code(code_hash)
        }
    }

    #[test]
    fn shared_reads_reach_the_view_once_and_never_hide_the_blocks_writes() {
        let mut db = BlockDb::new(Counting::default(), &Hashes, 1);
        let reads =
            |db: &BlockDb<'_, Counting>| db.view.0.load(std::sync::atomic::Ordering::Relaxed);
        for _ in 0..3 {
            assert_eq!(
                StateView::storage(&db, &HOLDER, &U256::from(1)).unwrap(),
                U256::from(5)
            );
            assert_eq!(StateView::account(&db, &HOLDER).unwrap().unwrap().nonce, 1);
        }
        assert_eq!(reads(&db), 2);
        // A write of the block wins over the value read before it.
        let id = TransactionId::ZERO;
        let slot = (
            U256::from(1),
            EvmStorageSlot::new_changed(U256::from(5), U256::from(9), id),
        );
        let info = db.basic(HOLDER).unwrap().unwrap_or_default();
        let mut account = EvmAccount::from(info)
            .with_touched_mark()
            .with_storage([slot].into_iter());
        account.info.nonce = 2;
        db.apply(
            EvmState::from_iter([(HOLDER, account)]),
            &mut StateDiff::default(),
        );
        assert_eq!(
            StateView::storage(&db, &HOLDER, &U256::from(1)).unwrap(),
            U256::from(9)
        );
        assert_eq!(StateView::account(&db, &HOLDER).unwrap().unwrap().nonce, 2);
    }

    #[test]
    fn blockhash_sees_only_the_previous_256_blocks() {
        let mut db = BlockDb::new(OneAccount, &Hashes, 300);
        assert_eq!(
            db.block_hash(299).unwrap(),
            B256::with_last_byte(299u64 as u8)
        );
        assert_eq!(db.block_hash(44).unwrap(), B256::with_last_byte(44));
        assert_eq!(db.block_hash(43).unwrap(), B256::ZERO);
        assert_eq!(db.block_hash(300).unwrap(), B256::ZERO);
        assert_eq!(db.block_hash(301).unwrap(), B256::ZERO);
    }

    #[test]
    fn untouched_or_unchanged_accounts_stay_out_of_the_diff() {
        let mut db = BlockDb::new(OneAccount, &Hashes, 1);
        let (untouched, absent) = (Address::repeat_byte(2), Address::repeat_byte(3));
        let mut state = EvmState::default();
        // Touched but unchanged (a zero-value call target).
        state.insert(HOLDER, loaded(&mut db, HOLDER).with_touched_mark());
        // Only read.
        state.insert(untouched, loaded(&mut db, untouched));
        // Did not exist and is still empty: EIP-161 has nothing to delete.
        state.insert(absent, loaded(&mut db, absent).with_touched_mark());
        let mut diff = StateDiff::default();
        db.apply(state, &mut diff);
        assert!(diff.is_empty());
    }

    #[test]
    fn changed_slots_are_written_and_read_back() {
        let mut db = BlockDb::new(OneAccount, &Hashes, 1);
        let id = TransactionId::ZERO;
        let slots = [
            (
                U256::from(1),
                EvmStorageSlot::new_changed(U256::from(5), U256::from(6), id),
            ),
            (U256::from(2), EvmStorageSlot::new(U256::ZERO, id)),
        ];
        let account = loaded(&mut db, HOLDER)
            .with_touched_mark()
            .with_storage(slots.into_iter());
        let mut diff = StateDiff::default();
        db.apply(EvmState::from_iter([(HOLDER, account)]), &mut diff);
        assert_eq!(diff.storage[&HOLDER].len(), 1);
        assert_eq!(diff.storage[&HOLDER][&U256::from(1)], U256::from(6));
        assert!(diff.accounts.is_empty());
        assert_eq!(
            Database::storage(&mut db, HOLDER, U256::from(1)).unwrap(),
            U256::from(6)
        );
    }

    #[test]
    fn destroyed_account_is_deleted_with_its_slots_zeroed() {
        let mut db = BlockDb::new(OneAccount, &Hashes, 1);
        let id = TransactionId::ZERO;
        let slot = (U256::from(1), EvmStorageSlot::new(U256::from(5), id));
        let account = loaded(&mut db, HOLDER)
            .with_touched_mark()
            .with_selfdestruct_mark()
            .with_storage([slot].into_iter());
        let mut diff = StateDiff::default();
        db.apply(EvmState::from_iter([(HOLDER, account)]), &mut diff);
        assert_eq!(diff.accounts[&HOLDER], None);
        assert_eq!(diff.storage[&HOLDER][&U256::from(1)], U256::ZERO);
        // Later reads of any slot see zero, whatever the view says.
        assert_eq!(
            StateView::storage(&db, &HOLDER, &U256::from(1)).unwrap(),
            U256::ZERO
        );
        assert_eq!(StateView::account(&db, &HOLDER).unwrap(), None);
    }
}
