//! Entente's blocks, transactions, receipts and logs in the Ethereum JSON-RPC shapes
//! (alloy's RPC types, so the JSON is exactly what clients parse).

use alloy_consensus::{Receipt as EthReceipt, ReceiptEnvelope, ReceiptWithBloom, TxType};
use alloy_primitives::{B64, B256, Bloom, Bytes, U256, logs_bloom};
use alloy_rpc_types_eth::{
    Block as RpcBlock, BlockTransactions, Header as RpcHeader, Log as RpcLog,
    Transaction as RpcTransaction, TransactionReceipt,
};
use entente_primitives::{Block, Receipt, RecoveredTx};

/// `keccak256(rlp([]))`: there are never uncles.
const EMPTY_OMMERS: B256 =
    alloy_primitives::b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

/// The bloom over all logs of a block's receipts.
pub fn block_bloom(receipts: &[Receipt]) -> Bloom {
    logs_bloom(receipts.iter().flat_map(|r| r.logs.iter()))
}

/// A block header as Ethereum clients expect it. The hash is Entente's block digest.
pub fn header(block: &Block, bloom: Bloom) -> RpcHeader {
    let h = &block.header;
    let inner = alloy_consensus::Header {
        parent_hash: B256::from(h.parent.0),
        ommers_hash: EMPTY_OMMERS,
        beneficiary: h.proposer,
        state_root: h.state_root,
        transactions_root: h.tx_root,
        receipts_root: h.receipts_root,
        logs_bloom: bloom,
        difficulty: U256::ZERO,
        number: h.height,
        gas_limit: h.gas_limit,
        gas_used: h.gas_used,
        timestamp: h.timestamp_secs(),
        extra_data: Bytes::copy_from_slice(h.extra.as_slice()),
        mix_hash: B256::from(h.parent.0),
        nonce: B64::ZERO,
        base_fee_per_gas: Some(h.base_fee),
        withdrawals_root: None,
        blob_gas_used: None,
        excess_blob_gas: None,
        parent_beacon_block_root: None,
        requests_hash: None,
        block_access_list_hash: None,
        slot_number: None,
    };
    RpcHeader {
        hash: block.hash(),
        inner,
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(
            entente_primitives::Header::SIZE + 4 + block.txs_bytes(),
        )),
    }
}

/// A transaction, with its position when it is in a block.
pub fn transaction(tx: &RecoveredTx, position: Option<(&Block, u64)>) -> RpcTransaction {
    let (block_hash, block_number, transaction_index, effective_gas_price, block_timestamp) =
        match position {
            Some((block, index)) => (
                Some(block.hash()),
                Some(block.header.height),
                Some(index),
                Some(tx.effective_gas_price(block.header.base_fee)),
                Some(block.header.timestamp_secs()),
            ),
            None => (None, None, None, None, None),
        };
    RpcTransaction {
        inner: alloy_consensus::transaction::Recovered::new_unchecked(
            tx.envelope.clone(),
            tx.sender,
        ),
        block_hash,
        block_number,
        transaction_index,
        effective_gas_price,
        block_timestamp,
    }
}

/// A full block, with transaction hashes or whole transactions.
pub fn block(block: &Block, txs: &[RecoveredTx], receipts: &[Receipt], full: bool) -> RpcBlock {
    let transactions = if full {
        BlockTransactions::Full(
            txs.iter()
                .enumerate()
                .map(|(i, tx)| transaction(tx, Some((block, i as u64))))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(txs.iter().map(|tx| tx.hash).collect())
    };
    RpcBlock {
        header: header(block, block_bloom(receipts)),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// A log with its position in the chain.
pub fn log(
    log: &alloy_primitives::Log,
    block: &Block,
    tx_hash: B256,
    tx_index: u64,
    log_index: u64,
) -> RpcLog {
    RpcLog {
        inner: log.clone(),
        block_hash: Some(block.hash()),
        block_number: Some(block.header.height),
        block_timestamp: Some(block.header.timestamp_secs()),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(tx_index),
        log_index: Some(log_index),
        removed: false,
    }
}

/// Index of the first log of transaction `index` within its block.
pub fn first_log_index(receipts: &[Receipt], index: usize) -> u64 {
    receipts[..index].iter().map(|r| r.logs.len() as u64).sum()
}

/// A receipt as Ethereum clients expect it.
pub fn receipt(receipts: &[Receipt], index: usize, block: &Block) -> TransactionReceipt {
    let r = &receipts[index];
    let start = first_log_index(receipts, index);
    let logs: Vec<RpcLog> = r
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| log(l, block, r.tx_hash, index as u64, start + i as u64))
        .collect();
    let bloom = logs_bloom(r.logs.iter());
    let with_bloom = ReceiptWithBloom {
        receipt: EthReceipt {
            status: r.success.into(),
            cumulative_gas_used: r.cumulative_gas_used,
            logs,
        },
        logs_bloom: bloom,
    };
    let tx_type = TxType::try_from(r.tx_type).unwrap_or(TxType::Legacy);
    TransactionReceipt {
        inner: ReceiptEnvelope::from_typed(tx_type, with_bloom),
        transaction_hash: r.tx_hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash()),
        block_number: Some(block.header.height),
        gas_used: r.gas_used,
        effective_gas_price: r.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: r.from,
        to: r.to,
        contract_address: r.contract_address,
    }
}
