//! Speculative state: blocks executed but not yet committed (proposed, or being verified,
//! while consensus decides), stacked on a committed version.
//!
//! Each [`PendingState`] layer is one block's diff and state tree delta. A [`StateBase`]
//! names a committed version and the chain of layers above it; several bases can share
//! layers (competing children of one parent each add their own layer), and nothing is
//! written until the finalised block is committed. Reads go through the layers newest
//! first, then to the committed version; roots are computed with a tree reader that
//! sees the layers' nodes over the committed tree.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256};
use jmt::KeyHash;

use super::Store;
use crate::{
    Account, StateDiff, StateView, StorageError, TreeDelta,
    commitment::{
        LayeredTree, account_preimage, decode_account, decode_word, key_hash, read_before,
        read_newest, storage_preimage,
    },
    kv::Column,
};

/// An executed block not yet committed: its state changes, chained to its parent's.
#[derive(Debug)]
pub struct PendingState {
    /// The block's height, which is the state version it creates.
    pub version: u64,
    pub diff: StateDiff,
    pub tree: TreeDelta,
    /// The layer below (`None` when the layer below is committed).
    pub parent: Option<Arc<PendingState>>,
}

/// A state to read or build on: a committed version (or the empty state before genesis)
/// and the uncommitted layers above it.
///
/// Invariant, checked on use: the lowest layer has version `committed + 1` (0 when
/// `committed` is `None`) and each layer is its parent's version + 1.
#[derive(Clone, Debug, Default)]
pub struct StateBase {
    /// `None` is the empty state before genesis.
    pub committed: Option<u64>,
    /// The newest uncommitted layer.
    pub pending: Option<Arc<PendingState>>,
}

impl StateBase {
    /// The empty state before genesis.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The state as committed at `version`.
    pub fn committed(version: u64) -> Self {
        Self {
            committed: Some(version),
            pending: None,
        }
    }

    /// The version a block built on this base creates.
    pub fn next_version(&self) -> u64 {
        match (&self.pending, self.committed) {
            (Some(top), _) => top.version + 1,
            (None, Some(version)) => version + 1,
            (None, None) => 0,
        }
    }

    /// The base after a block executed on this one (`diff` and `tree` from
    /// [`Store::state_root_after`] on this base).
    pub fn child(&self, diff: StateDiff, tree: TreeDelta) -> StateBase {
        StateBase {
            committed: self.committed,
            pending: Some(Arc::new(PendingState {
                version: self.next_version(),
                diff,
                tree,
                parent: self.pending.clone(),
            })),
        }
    }

    /// The layers, newest first, after checking the invariant (and that each layer's
    /// tree delta is of the layer's version).
    pub fn layers(&self) -> Result<Vec<Arc<PendingState>>, StorageError> {
        let bottom = self.committed.map_or(0, |version| version + 1);
        let mut layers = Vec::new();
        let mut cursor = self.pending.clone();
        let mut expected = None;
        while let Some(layer) = cursor {
            if let Some(expected) = expected
                && layer.version != expected
            {
                return Err(StorageError::BadStateBase {
                    expected,
                    found: layer.version,
                });
            }
            if layer.tree.version() != layer.version {
                return Err(StorageError::BadStateBase {
                    expected: layer.version,
                    found: layer.tree.version(),
                });
            }
            if layer.version < bottom {
                return Err(StorageError::BadStateBase {
                    expected: bottom,
                    found: layer.version,
                });
            }
            expected = layer.version.checked_sub(1);
            cursor = layer.parent.clone();
            layers.push(layer);
        }
        match layers.last() {
            Some(lowest) if lowest.version != bottom => Err(StorageError::BadStateBase {
                expected: bottom,
                found: lowest.version,
            }),
            _ => Ok(layers),
        }
    }
}

impl Store {
    /// A read view of the state at `base`: owned, cheap to clone, usable from any thread.
    ///
    /// An invalid base, or a committed version above the head, makes every read fail
    /// rather than read a different state.
    pub fn view(&self, base: &StateBase) -> StateAt {
        let layers = base.layers();
        StateAt {
            store: self.clone(),
            committed: base.committed,
            invalid: layers.as_ref().err().and_then(bad_base),
            layers: layers.unwrap_or_default(),
        }
    }

    /// The state root of the version after `base` (its top + 1) once `diff` is applied,
    /// and the tree changes to commit with that block. Writes nothing.
    pub fn state_root_after(
        &self,
        base: &StateBase,
        diff: &StateDiff,
    ) -> Result<(B256, TreeDelta), StorageError> {
        let layers = base.layers()?;
        if let Some(version) = base.committed {
            self.ensure_committed(version)?;
        }
        let recent: Vec<TreeDelta> = self.inner.recent_trees.read().iter().cloned().collect();
        let reader = LayeredTree {
            kv: self.kv(),
            recent: &recent,
            committed: base.committed,
            layers: layers.iter().map(|layer| &layer.tree).collect(),
        };
        let delta = reader.apply(base.next_version(), diff)?;
        Ok((delta.root(), delta))
    }

    /// The same state as `base`, re-anchored on the committed head: layers the store has
    /// committed since are dropped, so a long-lived speculative chain does not keep every
    /// block since it started alive. Layers above the head are copied.
    ///
    /// Fails with `ForkedBase` when the layer at the cut has a different state root than
    /// the committed block there (the base is on an abandoned branch).
    pub fn rebase(&self, base: &StateBase) -> Result<StateBase, StorageError> {
        let layers = base.layers()?;
        let (Some(head), Some(top)) = (self.head()?, layers.first()) else {
            return Ok(base.clone());
        };
        let cut = head.height.min(top.version);
        if base.committed.is_some_and(|committed| committed >= cut) {
            return Ok(base.clone());
        }
        let committed_root = match self.header(cut)? {
            Some(header) => header.state_root,
            None => return Err(StorageError::corrupt("header", "missing below the head")),
        };
        let at_cut = layers.iter().find(|layer| layer.version == cut);
        if at_cut.is_none_or(|layer| layer.tree.root() != committed_root) {
            return Err(StorageError::ForkedBase { height: cut });
        }
        let mut pending = None;
        for layer in layers.iter().rev().filter(|layer| layer.version > cut) {
            pending = Some(Arc::new(PendingState {
                version: layer.version,
                diff: layer.diff.clone(),
                tree: layer.tree.clone(),
                parent: pending,
            }));
        }
        Ok(StateBase {
            committed: Some(cut),
            pending,
        })
    }
}

fn bad_base(err: &StorageError) -> Option<(u64, u64)> {
    match err {
        StorageError::BadStateBase { expected, found } => Some((*expected, *found)),
        _ => None,
    }
}

/// A read view of one state: a committed version plus uncommitted layers (newest first).
#[derive(Clone)]
pub struct StateAt {
    store: Store,
    committed: Option<u64>,
    layers: Vec<Arc<PendingState>>,
    /// Set when the base broke its invariant: `(expected, found)` layer versions.
    invalid: Option<(u64, u64)>,
}

impl std::fmt::Debug for StateAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateAt")
            .field("committed", &self.committed)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

impl StateAt {
    /// The committed version this view reads below its layers.
    pub fn committed(&self) -> Option<u64> {
        self.committed
    }

    /// Checks the view is readable, then returns its committed version.
    fn check(&self) -> Result<Option<u64>, StorageError> {
        if let Some((expected, found)) = self.invalid {
            return Err(StorageError::BadStateBase { expected, found });
        }
        if let Some(version) = self.committed {
            self.store.ensure_committed(version)?;
        }
        Ok(self.committed)
    }

    fn read(&self, key: &KeyHash) -> Result<Option<Vec<u8>>, StorageError> {
        match self.check()? {
            Some(version) => {
                let kv = self.store.kv();
                match self
                    .store
                    .inner
                    .latest
                    .read(key, version, || read_newest(kv, key))?
                {
                    Some(value) => Ok(value),
                    None => read_before(kv, key, version),
                }
            }
            None => Ok(None),
        }
    }
}

impl StateView for StateAt {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        for layer in &self.layers {
            if let Some(account) = layer.diff.accounts.get(address) {
                return Ok(*account);
            }
        }
        self.read(&key_hash(&account_preimage(address)))?
            .map(|value| decode_account(&value))
            .transpose()
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        for layer in &self.layers {
            if let Some(value) = layer.diff.storage.get(address).and_then(|s| s.get(slot)) {
                return Ok(*value);
            }
        }
        match self.read(&key_hash(&storage_preimage(address, slot)))? {
            Some(value) => decode_word(&value),
            None => Ok(U256::ZERO),
        }
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        for layer in &self.layers {
            if let Some(code) = layer.diff.codes.get(code_hash) {
                return Ok(Some(code.clone()));
            }
        }
        // Code is content-addressed and never deleted, so any committed copy is the one.
        if self.check()?.is_none() {
            return Ok(None);
        }
        Ok(self
            .store
            .kv()
            .get(Column::Codes, code_hash.as_slice())?
            .map(Bytes::from))
    }
}
