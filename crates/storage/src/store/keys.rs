//! Key and small-value encodings of the store's columns (layout in the module docs).

use alloy_primitives::B256;

use super::{ChainHead, TxLocation};
use crate::StorageError;

pub(super) const HEAD_KEY: &[u8] = b"head";
pub(super) const SCHEMA_KEY: &[u8] = b"schema";
/// Bump when the layout changes; a store of another version refuses to open.
pub(super) const SCHEMA_VERSION: u32 = 4;

const HEAD_BYTES: usize = 8 + 32 + 32 + 8;

pub(super) fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

pub(super) fn receipt_key(height: u64, index: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..].copy_from_slice(&index.to_be_bytes());
    key
}

pub(super) fn be_u64(bytes: &[u8], what: &'static str) -> Result<u64, StorageError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StorageError::corrupt(what, format!("{} bytes, expected 8", bytes.len())))?;
    Ok(u64::from_be_bytes(array))
}

pub(super) fn be_u32(bytes: &[u8], what: &'static str) -> Result<u32, StorageError> {
    let array: [u8; 4] = bytes
        .try_into()
        .map_err(|_| StorageError::corrupt(what, format!("{} bytes, expected 4", bytes.len())))?;
    Ok(u32::from_be_bytes(array))
}

pub(super) fn encode_head(head: &ChainHead) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD_BYTES);
    out.extend_from_slice(&head.height.to_be_bytes());
    out.extend_from_slice(head.hash.as_slice());
    out.extend_from_slice(head.state_root.as_slice());
    out.extend_from_slice(&head.timestamp_ms.to_be_bytes());
    out
}

pub(super) fn decode_head(bytes: &[u8]) -> Result<ChainHead, StorageError> {
    if bytes.len() != HEAD_BYTES {
        return Err(StorageError::corrupt(
            "head pointer",
            format!("{} bytes, expected {HEAD_BYTES}", bytes.len()),
        ));
    }
    Ok(ChainHead {
        height: be_u64(&bytes[..8], "head height")?,
        hash: B256::from_slice(&bytes[8..40]),
        state_root: B256::from_slice(&bytes[40..72]),
        timestamp_ms: be_u64(&bytes[72..80], "head timestamp")?,
    })
}

pub(super) fn encode_tx_location(location: &TxLocation) -> [u8; 12] {
    receipt_key(location.height, location.index)
}

pub(super) fn decode_tx_location(bytes: &[u8]) -> Result<TxLocation, StorageError> {
    if bytes.len() != 12 {
        return Err(StorageError::corrupt(
            "transaction index",
            format!("{} bytes, expected 12", bytes.len()),
        ));
    }
    Ok(TxLocation {
        height: be_u64(&bytes[..8], "transaction height")?,
        index: be_u32(&bytes[8..], "transaction index")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_records_roundtrip_and_reject_bad_lengths() {
        let head = ChainHead {
            height: 7,
            hash: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            timestamp_ms: 1_700_000_000_000,
        };
        assert_eq!(decode_head(&encode_head(&head)).unwrap(), head);
        assert!(decode_head(&encode_head(&head)[1..]).is_err());
        let location = TxLocation {
            height: 9,
            index: 3,
        };
        assert_eq!(
            decode_tx_location(&encode_tx_location(&location)).unwrap(),
            location
        );
        assert!(decode_tx_location(&[0; 11]).is_err());
        assert!(be_u64(&[0; 7], "x").is_err());
    }

    #[test]
    fn keys_sort_in_chain_order() {
        assert!(height_key(255) < height_key(256));
        assert!(receipt_key(1, u32::MAX) < receipt_key(2, 0));
    }
}
