//! The consensus payload: a block from a peer or from disk (`Block` under the chain's
//! `BlockCodec` limits) and a finalisation certificate (`verify_finalization` against a
//! fixed set of four validators). The first input byte chooses which; nothing may panic,
//! and every accepted block must re-encode to exactly its input (marshal relies on it).

#![no_main]

use std::sync::OnceLock;

use commonware_codec::{Decode as _, Encode as _, ReadExt as _};
use commonware_consensus::simplex::types::Proposal;
use commonware_cryptography::{Digestible as _, ed25519};
use entente_chainspec::Limits;
use entente_consensus::verify_finalization;
use entente_primitives::{Block, BlockCodec, BlockDigest, RecoveredTx};
use entente_testkit::fixtures::{CHAIN_ID, validator_key};
use libfuzzer_sys::fuzz_target;

fn validators() -> &'static [ed25519::PublicKey] {
    static SET: OnceLock<Vec<ed25519::PublicKey>> = OnceLock::new();
    SET.get_or_init(|| (0..4).map(|i| validator_key(i).public_key()).collect())
}

fn codec() -> BlockCodec {
    let limits = Limits::default();
    BlockCodec {
        txs_max: limits.block_txs_max,
        txs_bytes_max: limits.block_txs_bytes_max,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        let bytes = bytes::Bytes::copy_from_slice(body);
        if let Ok(block) = Block::decode_cfg(bytes, &codec()) {
            assert_eq!(
                block.encode().as_ref(),
                body,
                "non-canonical block accepted"
            );
            let _ = (block.digest(), block.hash(), block.txs_bytes());
            for tx in &block.txs {
                let _ = RecoveredTx::decode(tx.clone(), CHAIN_ID, Limits::default().tx_bytes_max);
            }
        }
    } else {
        // A fixed digest, then the payload the certificate claims (read from its
        // leading proposal), so decoding, the canonical check and the signature
        // verification all run.
        let _ = verify_finalization(
            body,
            validators(),
            &commonware_cryptography::sha256::Digest([0u8; 32]),
        );
        let mut reader = bytes::Bytes::copy_from_slice(body);
        if let Ok(proposal) = Proposal::<BlockDigest>::read(&mut reader) {
            let _ = verify_finalization(body, validators(), &proposal.payload);
        }
    }
});
