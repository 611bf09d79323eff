//! Raw transactions as the RPC door (`eth_sendRawTransaction`) and the gossip receiver
//! see them: EIP-2718 decoding, type and EIP-155 chain-id checks, the size limit and
//! sender recovery ([`RecoveredTx::decode`]), and the gossip batch framing
//! ([`decode_batch`]), every transaction of a decoded batch decoded in turn.
//!
//! Checked beyond "no panic": accepted bytes are kept verbatim; decoding the same bytes
//! again gives the same sender and hash; the accessors the pool and the executor use
//! work on whatever decodes.

use alloy_primitives::Bytes;
use entente_chainspec::Limits;
use entente_consensus::ingress::decode_batch;
use entente_primitives::RecoveredTx;
use entente_testkit::fixtures::CHAIN_ID;

/// Runs one input.
pub fn run(data: &[u8]) {
    let max = Limits::default().tx_bytes_max;
    let raw = Bytes::copy_from_slice(data);
    if let Ok(tx) = RecoveredTx::decode(raw.clone(), CHAIN_ID, max) {
        assert_eq!(tx.raw, raw, "accepted bytes are kept verbatim");
        // The hash and sender are functions of the bytes.
        let again = RecoveredTx::decode(raw, CHAIN_ID, max).expect("decodes twice");
        assert_eq!(again.sender, tx.sender, "sender recovery is deterministic");
        assert_eq!(again.hash, tx.hash, "the hash is deterministic");
        // Accessors used by the pool and the executor.
        let _ = (
            tx.nonce(),
            tx.gas_limit(),
            tx.max_fee_per_gas(),
            tx.max_cost(),
        );
        let _ = (tx.effective_tip(0), tx.effective_gas_price(u64::MAX));
    }
    // The same bytes as a gossip batch from a peer.
    if let Some(txs) = decode_batch(data, max) {
        for tx in txs {
            let _ = RecoveredTx::decode(tx, CHAIN_ID, max);
        }
    }
}
