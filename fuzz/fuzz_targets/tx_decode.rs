//! Raw transactions as the RPC door and the gossip receiver see them: EIP-2718 decoding,
//! type and chain-id checks, sender recovery (`RecoveredTx::decode`), and the gossip
//! batch framing (`ingress::decode_batch`). Nothing may panic; whatever decodes must
//! re-encode to the same bytes and recover a sender deterministically.

#![no_main]

use alloy_primitives::Bytes;
use entente_chainspec::Limits;
use entente_consensus::ingress::decode_batch;
use entente_primitives::{RecoveredTx, TxError};
use entente_testkit::fixtures::CHAIN_ID;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let max = Limits::default().tx_bytes_max;
    let raw = Bytes::copy_from_slice(data);
    match RecoveredTx::decode(raw.clone(), CHAIN_ID, max) {
        Ok(tx) => {
            assert_eq!(tx.raw, raw);
            // The hash and sender are functions of the bytes.
            let again = RecoveredTx::decode(raw, CHAIN_ID, max).expect("decodes twice");
            assert_eq!(again.sender, tx.sender);
            assert_eq!(again.hash, tx.hash);
            // Accessors used by the pool and the executor.
            let _ = (
                tx.nonce(),
                tx.gas_limit(),
                tx.max_fee_per_gas(),
                tx.max_cost(),
            );
            let _ = (tx.effective_tip(0), tx.effective_gas_price(u64::MAX));
        }
        Err(TxError::WrongChainId { .. }) => {
            // The same bytes must decode under the chain id they carry... or fail the
            // same way for a different reason; only the absence of a panic matters.
        }
        Err(_) => {}
    }
    // The same bytes as a gossip batch from a peer.
    if let Some(txs) = decode_batch(data, max) {
        for tx in txs {
            let _ = RecoveredTx::decode(tx, CHAIN_ID, max);
        }
    }
});
