//! The block a transaction executes in, and how Entente's types become revm's.
//!
//! The hard fork is fixed at [`HARD_FORK`] (Prague): Solidity 0.8 and OpenZeppelin target
//! it by default, and everything it adds over Cancun that needs a beacon chain or blobs
//! (EIP-4788 roots, EIP-4844 blobs, EIP-7002/7251 requests, the EIP-2935 history contract)
//! is simply unused here. EIP-7702 transactions are refused by the decoder upstream.

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, U256};
use entente_primitives::RecoveredTx;
use revm::{
    context::{BlockEnv as RevmBlockEnv, CfgEnv, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    primitives::{eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE, hardfork::SpecId},
};

/// The Ethereum hard fork every Entente block executes under.
pub const HARD_FORK: SpecId = SpecId::PRAGUE;

/// How far back BLOCKHASH can see, in blocks (as on Ethereum).
pub const BLOCK_HASH_WINDOW: u64 = 256;

/// The block-level inputs of execution. Every field is consensus-critical: all nodes
/// derive the same values from the block header and the chain spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    pub number: u64,
    pub timestamp_secs: u64,
    /// Receives the priority part of fees (the base fee is burned).
    pub coinbase: Address,
    pub gas_limit: u64,
    /// Per-gas fee every transaction pays and that is burned; zero on free chains.
    pub base_fee: u64,
    /// What PREVRANDAO returns. Not random on a BFT chain; use the parent hash.
    pub prevrandao: B256,
    pub chain_id: u64,
}

/// The source of BLOCKHASH: hashes of the blocks before the one executing.
pub trait BlockHashes: Send + Sync {
    /// The hash of block `number`, or `None` if unknown. Only asked for the
    /// [`BLOCK_HASH_WINDOW`] blocks before the current one; `None` reads as zero.
    fn block_hash(&self, number: u64) -> Option<B256>;
}

/// No ancestors known: BLOCKHASH returns zero (RPC calls, genesis, tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHashes;

impl BlockHashes for NoHashes {
    fn block_hash(&self, _number: u64) -> Option<B256> {
        None
    }
}

impl BlockEnv {
    /// revm's view of this block. `base_fee` is passed separately because `eth_call`
    /// without a gas price runs with a zero base fee (as geth does).
    pub(crate) fn to_revm(&self, base_fee: u64) -> RevmBlockEnv {
        RevmBlockEnv {
            number: U256::from(self.number),
            beneficiary: self.coinbase,
            timestamp: U256::from(self.timestamp_secs),
            gas_limit: self.gas_limit,
            basefee: base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            // No blobs on Entente; Cancun+ still requires the field.
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(
                0,
                BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE,
            )),
            slot_num: 0,
        }
    }

    /// revm's configuration for this chain.
    pub(crate) fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(HARD_FORK);
        cfg.chain_id = self.chain_id;
        cfg
    }

    /// Gas left in a block that has used `gas_used`.
    pub(crate) fn gas_remaining(&self, gas_used: u64) -> u64 {
        self.gas_limit.saturating_sub(gas_used)
    }
}

/// revm's transaction environment for a decoded transaction. Cheap: the input and
/// access list are reference-counted or small.
pub(crate) fn tx_env(tx: &RecoveredTx) -> TxEnv {
    let envelope = &tx.envelope;
    TxEnv {
        tx_type: envelope.tx_type() as u8,
        caller: tx.sender,
        gas_limit: envelope.gas_limit(),
        // For legacy and EIP-2930 transactions this is the gas price.
        gas_price: envelope.max_fee_per_gas(),
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: envelope.chain_id(),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.max_priority_fee_per_gas(),
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list: Vec::new(),
    }
}
