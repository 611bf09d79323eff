//! The genesis block and state, derived deterministically from the chain spec.

use alloy_primitives::{B256, keccak256};
use entente_chainspec::ChainSpec;
use entente_primitives::{Block, BlockDigest, EMPTY_ROOT, Header};
use entente_storage::{Account, EMPTY_CODE_HASH, StateBase, StateDiff, Store, TreeDelta};

use crate::ChainError;

/// The state the chain spec's `alloc` describes.
pub fn genesis_diff(spec: &ChainSpec) -> StateDiff {
    let mut diff = StateDiff::default();
    for (address, account) in &spec.alloc {
        let code_hash = match &account.code {
            Some(code) if !code.is_empty() => {
                let hash = keccak256(code);
                diff.codes.insert(hash, code.clone());
                hash
            }
            _ => EMPTY_CODE_HASH,
        };
        diff.accounts.insert(
            *address,
            Some(Account {
                nonce: account.nonce,
                balance: account.balance,
                code_hash,
            }),
        );
        if !account.storage.is_empty() {
            diff.storage.insert(*address, account.storage.clone());
        }
    }
    // The chain spec is validated before genesis is built, so module state always builds.
    entente_modules::add_genesis_state(spec, &mut diff).expect("validated chain spec");
    diff
}

/// The genesis block, its state and the state tree for version 0.
pub struct Genesis {
    pub block: Block,
    pub diff: StateDiff,
    pub tree: TreeDelta,
}

/// Builds genesis from the spec. Pure: `store` is only used to compute the root of the
/// empty-state-plus-alloc tree and is not written.
pub fn build_genesis(spec: &ChainSpec, store: &Store) -> Result<Genesis, ChainError> {
    let diff = genesis_diff(spec);
    let (state_root, tree) = store.state_root_after(&StateBase::empty(), &diff)?;
    let header = Header {
        parent: BlockDigest::from([0u8; 32]),
        height: 0,
        timestamp_ms: spec.genesis_time_ms,
        proposer: Default::default(),
        gas_limit: spec.gas.block_gas_limit,
        gas_used: 0,
        base_fee: spec.gas.min_gas_price,
        tx_root: EMPTY_ROOT,
        receipts_root: EMPTY_ROOT,
        state_root,
        extra: spec.hash(),
    };
    Ok(Genesis {
        block: Block::new(header, Vec::new()),
        diff,
        tree,
    })
}

/// Ensures `store` holds this chain's genesis: commits it into an empty store, or checks
/// that the stored genesis is the one the spec describes (a data folder of another chain
/// must not be reused by accident). Returns the genesis block.
pub fn init_genesis(spec: &ChainSpec, store: &Store) -> Result<Block, ChainError> {
    let genesis = build_genesis(spec, store)?;
    match store.block(0)? {
        Some(stored) if stored.hash() == genesis.block.hash() => Ok(stored),
        Some(stored) => Err(ChainError::HeaderField {
            field: "genesis hash (the data folder belongs to another chain spec)",
            expected: genesis.block.hash().to_string(),
            got: stored.hash().to_string(),
        }),
        None => {
            store.commit(entente_storage::BlockCommit {
                block: &genesis.block,
                receipts: &[],
                diff: &genesis.diff,
                tree: &genesis.tree,
                finalization: None,
            })?;
            Ok(genesis.block)
        }
    }
}

/// Convenience for tests: the hash the genesis block of `spec` will have.
pub fn genesis_hash(spec: &ChainSpec) -> Result<B256, ChainError> {
    Ok(build_genesis(spec, &Store::in_memory())?.block.hash())
}
