//! The block: a header that commits to everything, and the raw signed transactions.
//!
//! The encoding is fixed-width and canonical: every accepted byte string re-encodes to
//! itself, which commonware's marshal requires of any block it stores or relays.

use alloy_primitives::{Address, B256, Bytes};
use bytes::BufMut;
use commonware_codec::Buf;
use commonware_codec::{EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::{Digestible, Hasher as _};

use crate::Sha256;

/// The digest that identifies a block (SHA-256 of its encoded header). It is also the
/// block hash that the Ethereum JSON-RPC reports.
pub type BlockDigest = commonware_cryptography::sha256::Digest;

/// Converts a block digest to the 32-byte form used by the Ethereum API.
pub fn digest_to_b256(digest: &BlockDigest) -> B256 {
    B256::from(digest.0)
}

/// Converts an Ethereum-API hash to a block digest.
pub fn b256_to_digest(hash: &B256) -> BlockDigest {
    commonware_cryptography::sha256::Digest(hash.0)
}

/// The header of a block. Its SHA-256 is the block's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Digest of the parent block (all zero for genesis).
    pub parent: BlockDigest,
    /// Height of this block; genesis is 0.
    pub height: u64,
    /// Proposer's clock when the block was built, in Unix milliseconds. Strictly greater
    /// than the parent's, checked by every validator.
    pub timestamp_ms: u64,
    /// Fee recipient of the proposing validator (the EVM `coinbase`).
    pub proposer: Address,
    /// Gas available to this block.
    pub gas_limit: u64,
    /// Gas consumed by this block's transactions.
    pub gas_used: u64,
    /// Base fee per gas (fixed by the chain spec's minimum gas price; zero by default).
    pub base_fee: u64,
    /// Binary Merkle root over the Keccak-256 hashes of the transactions, in order.
    pub tx_root: B256,
    /// Binary Merkle root over the Keccak-256 hashes of the encoded receipts, in order.
    pub receipts_root: B256,
    /// Root of the authenticated state after executing this block.
    pub state_root: B256,
    /// In the genesis block, the hash of the chain spec; zero in every other block.
    pub extra: B256,
}

impl Header {
    /// Size of an encoded header in bytes.
    pub const SIZE: usize = 32 + 8 + 8 + 20 + 8 + 8 + 8 + 32 * 4;

    /// The header's digest, which is the block's identity.
    pub fn digest(&self) -> BlockDigest {
        Sha256::hash(&[&self.to_bytes()])
    }

    /// Decodes a header from exactly [`Header::SIZE`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        <Self as commonware_codec::DecodeExt<()>>::decode(bytes::Bytes::copy_from_slice(bytes))
    }

    /// The header's encoding ([`Header::SIZE`] bytes), as hashed into its digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::SIZE);
        self.write(&mut buf);
        buf
    }

    /// The block's timestamp in whole seconds, as the EVM sees it.
    pub fn timestamp_secs(&self) -> u64 {
        self.timestamp_ms / 1000
    }
}

impl Write for Header {
    fn write(&self, w: &mut impl BufMut) {
        w.put_slice(&self.parent.0);
        w.put_u64(self.height);
        w.put_u64(self.timestamp_ms);
        w.put_slice(self.proposer.as_slice());
        w.put_u64(self.gas_limit);
        w.put_u64(self.gas_used);
        w.put_u64(self.base_fee);
        w.put_slice(self.tx_root.as_slice());
        w.put_slice(self.receipts_root.as_slice());
        w.put_slice(self.state_root.as_slice());
        w.put_slice(self.extra.as_slice());
    }
}

impl EncodeSize for Header {
    fn encode_size(&self) -> usize {
        Self::SIZE
    }
}

fn read_array<const N: usize>(r: &mut impl Buf) -> Result<[u8; N], CodecError> {
    if r.remaining() < N {
        return Err(CodecError::EndOfBuffer);
    }
    let mut out = [0u8; N];
    r.copy_to_slice(&mut out);
    Ok(out)
}

fn read_u64(r: &mut impl Buf) -> Result<u64, CodecError> {
    Ok(u64::from_be_bytes(read_array::<8>(r)?))
}

fn read_u32(r: &mut impl Buf) -> Result<u32, CodecError> {
    Ok(u32::from_be_bytes(read_array::<4>(r)?))
}

impl Read for Header {
    type Cfg = ();

    fn read_cfg(r: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            parent: commonware_cryptography::sha256::Digest(read_array::<32>(r)?),
            height: read_u64(r)?,
            timestamp_ms: read_u64(r)?,
            proposer: Address::from(read_array::<20>(r)?),
            gas_limit: read_u64(r)?,
            gas_used: read_u64(r)?,
            base_fee: read_u64(r)?,
            tx_root: B256::from(read_array::<32>(r)?),
            receipts_root: B256::from(read_array::<32>(r)?),
            state_root: B256::from(read_array::<32>(r)?),
            extra: B256::from(read_array::<32>(r)?),
        })
    }
}

/// A block: a header and the EIP-2718 encoded signed transactions it orders.
///
/// The digest is cached at construction: hashing the header is cheap, but blocks are
/// asked for their digest many times on the consensus path.
#[derive(Clone, Debug)]
pub struct Block {
    pub header: Header,
    pub txs: Vec<Bytes>,
    digest: BlockDigest,
}

impl PartialEq for Block {
    fn eq(&self, other: &Self) -> bool {
        self.digest == other.digest && self.txs == other.txs
    }
}

impl Eq for Block {}

impl Block {
    /// Builds a block and caches its digest.
    pub fn new(header: Header, txs: Vec<Bytes>) -> Self {
        let digest = header.digest();
        Self {
            header,
            txs,
            digest,
        }
    }

    /// The block's height.
    pub fn number(&self) -> u64 {
        self.header.height
    }

    /// The block's digest as an Ethereum-style hash.
    pub fn hash(&self) -> B256 {
        digest_to_b256(&self.digest)
    }

    /// Encoded size of the transaction list, the quantity block size limits apply to.
    pub fn txs_bytes(&self) -> usize {
        self.txs.iter().map(|tx| tx.len() + 4).sum()
    }
}

/// Decoding limits for blocks received from peers or read back from disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockCodec {
    /// Most transactions a block may carry.
    pub txs_max: u32,
    /// Most bytes the encoded transaction list may take.
    pub txs_bytes_max: usize,
}

impl Write for Block {
    fn write(&self, w: &mut impl BufMut) {
        self.header.write(w);
        w.put_u32(self.txs.len() as u32);
        for tx in &self.txs {
            w.put_u32(tx.len() as u32);
            w.put_slice(tx);
        }
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        Header::SIZE + 4 + self.txs_bytes()
    }
}

impl Read for Block {
    type Cfg = BlockCodec;

    fn read_cfg(r: &mut impl Buf, cfg: &BlockCodec) -> Result<Self, CodecError> {
        let header = Header::read_cfg(r, &())?;
        let count = read_u32(r)?;
        if count > cfg.txs_max {
            return Err(CodecError::InvalidLength(count as usize));
        }
        let mut txs = Vec::with_capacity(count as usize);
        let mut total = 0usize;
        for _ in 0..count {
            let len = read_u32(r)? as usize;
            total = total.saturating_add(len + 4);
            if len == 0 || total > cfg.txs_bytes_max {
                return Err(CodecError::InvalidLength(len));
            }
            if r.remaining() < len {
                return Err(CodecError::EndOfBuffer);
            }
            txs.push(Bytes::from(r.copy_to_bytes(len)));
        }
        Ok(Self::new(header, txs))
    }
}

impl Digestible for Block {
    type Digest = BlockDigest;

    fn digest(&self) -> BlockDigest {
        self.digest
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        Height::new(self.header.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> BlockDigest {
        self.header.parent
    }
}

impl BoundedBlock for Block {
    fn max_encode_size(cfg: &BlockCodec) -> usize {
        Header::SIZE + 4 + cfg.txs_bytes_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode as _, Encode as _};

    fn sample() -> Block {
        Block::new(
            Header {
                parent: commonware_cryptography::sha256::Digest([7; 32]),
                height: 9,
                timestamp_ms: 1_700_000_000_123,
                proposer: Address::repeat_byte(0xaa),
                gas_limit: 30_000_000,
                gas_used: 21_000,
                base_fee: 0,
                tx_root: B256::repeat_byte(1),
                receipts_root: B256::repeat_byte(2),
                state_root: B256::repeat_byte(3),
                extra: B256::ZERO,
            },
            vec![Bytes::from_static(&[1, 2, 3]), Bytes::from_static(&[4])],
        )
    }

    const LIMITS: BlockCodec = BlockCodec {
        txs_max: 10,
        txs_bytes_max: 1024,
    };

    #[test]
    fn block_roundtrips_canonically() {
        let block = sample();
        let bytes = block.encode();
        assert_eq!(bytes.len(), block.encode_size());
        let decoded = Block::decode_cfg(bytes.clone(), &LIMITS).unwrap();
        assert_eq!(decoded, block);
        assert_eq!(decoded.digest(), block.digest());
        assert_eq!(decoded.encode(), bytes);
    }

    #[test]
    fn digest_covers_every_header_field() {
        let base = sample();
        let mut changed = base.header.clone();
        changed.state_root = B256::repeat_byte(4);
        assert_ne!(
            Block::new(changed, base.txs.clone()).digest(),
            base.digest()
        );
        let mut changed = base.header.clone();
        changed.timestamp_ms += 1;
        assert_ne!(
            Block::new(changed, base.txs.clone()).digest(),
            base.digest()
        );
    }

    #[test]
    fn decoding_enforces_limits_and_rejects_trailing_garbage() {
        let block = sample();
        let bytes = block.encode();
        let tight = BlockCodec {
            txs_max: 1,
            txs_bytes_max: 1024,
        };
        assert!(Block::decode_cfg(bytes.clone(), &tight).is_err());
        let small = BlockCodec {
            txs_max: 10,
            txs_bytes_max: 8,
        };
        assert!(Block::decode_cfg(bytes.clone(), &small).is_err());
        let mut extended = bytes.to_vec();
        extended.push(0);
        assert!(Block::decode_cfg(bytes::Bytes::from(extended), &LIMITS).is_err());
        assert!(Block::decode_cfg(bytes.slice(..bytes.len() - 1), &LIMITS).is_err());
    }

    #[test]
    fn empty_transactions_are_rejected() {
        let mut bytes = sample().header.encode().to_vec();
        bytes.extend_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes());
        assert!(Block::decode_cfg(bytes::Bytes::from(bytes), &LIMITS).is_err());
    }
}
