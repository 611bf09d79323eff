//! The consensus payload: a block from a peer or from disk ([`Block`] under the chain's
//! [`BlockCodec`] limits, then every transaction in it) and a finalisation certificate
//! ([`verify_finalization`] against a fixed set of four validators).
//!
//! The first input byte chooses: even, the rest is a block; odd, a certificate, verified
//! once against a fixed digest and once against the digest its own leading proposal
//! claims, so decoding, the canonical-encoding check and the signature verification all
//! run.
//!
//! Checked beyond "no panic": every accepted block re-encodes to exactly its input
//! (marshal relies on canonical encodings).

use std::sync::OnceLock;

use commonware_codec::{Decode as _, Encode as _, ReadExt as _};
use commonware_consensus::simplex::types::Proposal;
use commonware_cryptography::{Digestible as _, ed25519};
use entente_chainspec::Limits;
use entente_consensus::verify_finalization;
use entente_primitives::{Block, BlockCodec, BlockDigest, RecoveredTx};
use entente_testkit::fixtures::{CHAIN_ID, validator_key};

/// The public keys of the fixture's four validators.
pub fn validators() -> &'static [ed25519::PublicKey] {
    static SET: OnceLock<Vec<ed25519::PublicKey>> = OnceLock::new();
    SET.get_or_init(|| (0..4).map(|i| validator_key(i).public_key()).collect())
}

/// The block codec under the default limits.
pub fn codec() -> BlockCodec {
    let limits = Limits::default();
    BlockCodec {
        txs_max: limits.block_txs_max,
        txs_bytes_max: limits.block_txs_bytes_max,
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
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
            let max = Limits::default().tx_bytes_max;
            for tx in &block.txs {
                let _ = RecoveredTx::decode(tx.clone(), CHAIN_ID, max);
            }
        }
    } else {
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
}
