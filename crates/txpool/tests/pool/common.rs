//! Transaction builders and small helpers shared by the pool tests.

use std::sync::Arc;

use alloy_consensus::{TxEip1559, TxLegacy};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_primitives::{LocalSigner, RecoveredTx};
use entente_txpool::{PoolLimits, TxPool};

pub const CHAIN_ID: u64 = 7;
pub const MIB: usize = 1 << 20;

pub fn signer(i: u64) -> LocalSigner {
    LocalSigner::deterministic(&format!("txpool-test/{i}"))
}

/// An EIP-1559 transaction paying `price` as both fee cap and tip, with `data` bytes of
/// calldata (to make it bigger).
pub fn tx_sized(from: &LocalSigner, nonce: u64, price: u128, data: usize) -> RecoveredTx {
    priced(from, nonce, price, price, data)
}

pub fn tx(from: &LocalSigner, nonce: u64, price: u128) -> RecoveredTx {
    tx_sized(from, nonce, price, 0)
}

pub fn priced(
    from: &LocalSigner,
    nonce: u64,
    max_fee: u128,
    tip: u128,
    data: usize,
) -> RecoveredTx {
    from.sign(TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(vec![0xab; data]),
    })
    .expect("signing a well-formed transaction")
}

pub fn legacy(from: &LocalSigner, nonce: u64, gas_price: u128) -> RecoveredTx {
    from.sign(TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::from(1),
        input: Bytes::new(),
    })
    .expect("signing a well-formed transaction")
}

pub fn pool() -> TxPool {
    TxPool::new(PoolLimits::default())
}

pub fn pool_with(edit: impl FnOnce(&mut PoolLimits)) -> TxPool {
    let mut limits = PoolLimits::default();
    edit(&mut limits);
    TxPool::new(limits)
}

/// (sender, nonce) of each transaction, in order.
pub fn order(txs: &[Arc<RecoveredTx>]) -> Vec<(Address, u64)> {
    txs.iter().map(|tx| (tx.sender, tx.nonce())).collect()
}

/// Every sender's account nonce is zero.
pub fn zero(_: &Address) -> u64 {
    0
}

/// The proposal with every sender starting at nonce zero and generous budgets.
pub fn best_all(pool: &TxPool) -> Vec<(Address, u64)> {
    order(&pool.best(usize::MAX, usize::MAX, &zero))
}
