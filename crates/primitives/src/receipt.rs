//! Execution receipts: the outcome of each transaction, as committed by the receipts root.

use alloy_primitives::{Address, B256, Bytes, Log, LogData};
use bytes::BufMut;
use commonware_codec::Buf;
use commonware_codec::{EncodeSize, Error as CodecError, Read, Write};
use commonware_cryptography::Hasher as _;

use crate::Sha256;

/// An EVM log as stored in a receipt.
pub type ReceiptLog = Log;

/// What happened when a transaction ran. Stored per transaction and committed, in block
/// order, by the header's receipts root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub tx_hash: B256,
    pub tx_type: u8,
    pub success: bool,
    pub from: Address,
    pub to: Option<Address>,
    pub contract_address: Option<Address>,
    pub gas_used: u64,
    pub cumulative_gas_used: u64,
    pub effective_gas_price: u128,
    pub logs: Vec<ReceiptLog>,
    /// Return data on success, revert data on failure.
    pub output: Bytes,
}

impl Receipt {
    /// The leaf this receipt contributes to the receipts root.
    pub fn leaf(&self) -> B256 {
        let mut buf = Vec::with_capacity(self.encode_size());
        self.write(&mut buf);
        B256::from(Sha256::hash(&[&buf]).0)
    }
}

fn put_bytes(w: &mut impl BufMut, bytes: &[u8]) {
    w.put_u32(bytes.len() as u32);
    w.put_slice(bytes);
}

fn put_opt_address(w: &mut impl BufMut, address: &Option<Address>) {
    match address {
        Some(address) => {
            w.put_u8(1);
            w.put_slice(address.as_slice());
        }
        None => w.put_u8(0),
    }
}

impl Write for Receipt {
    fn write(&self, w: &mut impl BufMut) {
        w.put_slice(self.tx_hash.as_slice());
        w.put_u8(self.tx_type);
        w.put_u8(self.success as u8);
        w.put_slice(self.from.as_slice());
        put_opt_address(w, &self.to);
        put_opt_address(w, &self.contract_address);
        w.put_u64(self.gas_used);
        w.put_u64(self.cumulative_gas_used);
        w.put_u128(self.effective_gas_price);
        w.put_u32(self.logs.len() as u32);
        for log in &self.logs {
            w.put_slice(log.address.as_slice());
            w.put_u8(log.data.topics().len() as u8);
            for topic in log.data.topics() {
                w.put_slice(topic.as_slice());
            }
            put_bytes(w, &log.data.data);
        }
        put_bytes(w, &self.output);
    }
}

impl EncodeSize for Receipt {
    fn encode_size(&self) -> usize {
        let opt = |a: &Option<Address>| if a.is_some() { 21 } else { 1 };
        let logs: usize = self
            .logs
            .iter()
            .map(|log| 20 + 1 + 32 * log.data.topics().len() + 4 + log.data.data.len())
            .sum();
        32 + 1
            + 1
            + 20
            + opt(&self.to)
            + opt(&self.contract_address)
            + 8
            + 8
            + 16
            + 4
            + logs
            + 4
            + self.output.len()
    }
}

fn take<const N: usize>(r: &mut impl Buf) -> Result<[u8; N], CodecError> {
    if r.remaining() < N {
        return Err(CodecError::EndOfBuffer);
    }
    let mut out = [0u8; N];
    r.copy_to_slice(&mut out);
    Ok(out)
}

fn take_bytes(r: &mut impl Buf) -> Result<Bytes, CodecError> {
    let len = u32::from_be_bytes(take::<4>(r)?) as usize;
    if r.remaining() < len {
        return Err(CodecError::EndOfBuffer);
    }
    Ok(Bytes::from(r.copy_to_bytes(len)))
}

fn take_opt_address(r: &mut impl Buf) -> Result<Option<Address>, CodecError> {
    match take::<1>(r)?[0] {
        0 => Ok(None),
        1 => Ok(Some(Address::from(take::<20>(r)?))),
        other => Err(CodecError::InvalidEnum(other)),
    }
}

impl Read for Receipt {
    type Cfg = ();

    fn read_cfg(r: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let tx_hash = B256::from(take::<32>(r)?);
        let tx_type = take::<1>(r)?[0];
        let success = match take::<1>(r)?[0] {
            0 => false,
            1 => true,
            other => return Err(CodecError::InvalidEnum(other)),
        };
        let from = Address::from(take::<20>(r)?);
        let to = take_opt_address(r)?;
        let contract_address = take_opt_address(r)?;
        let gas_used = u64::from_be_bytes(take::<8>(r)?);
        let cumulative_gas_used = u64::from_be_bytes(take::<8>(r)?);
        let effective_gas_price = u128::from_be_bytes(take::<16>(r)?);
        let count = u32::from_be_bytes(take::<4>(r)?) as usize;
        // Each log takes at least 25 bytes, which bounds the allocation by the input.
        if count > r.remaining() / 25 {
            return Err(CodecError::InvalidLength(count));
        }
        let mut logs = Vec::with_capacity(count);
        for _ in 0..count {
            let address = Address::from(take::<20>(r)?);
            let topics = take::<1>(r)?[0] as usize;
            if topics > 4 {
                return Err(CodecError::InvalidLength(topics));
            }
            let mut list = Vec::with_capacity(topics);
            for _ in 0..topics {
                list.push(B256::from(take::<32>(r)?));
            }
            let data = take_bytes(r)?;
            logs.push(Log {
                address,
                data: LogData::new_unchecked(list, data),
            });
        }
        let output = take_bytes(r)?;
        Ok(Self {
            tx_hash,
            tx_type,
            success,
            from,
            to,
            contract_address,
            gas_used,
            cumulative_gas_used,
            effective_gas_price,
            logs,
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt as _, Encode as _};

    pub(crate) fn sample() -> Receipt {
        Receipt {
            tx_hash: B256::repeat_byte(9),
            tx_type: 2,
            success: false,
            from: Address::repeat_byte(1),
            to: None,
            contract_address: Some(Address::repeat_byte(3)),
            gas_used: 53_000,
            cumulative_gas_used: 74_000,
            effective_gas_price: 7,
            logs: vec![Log {
                address: Address::repeat_byte(4),
                data: LogData::new_unchecked(
                    vec![B256::repeat_byte(5), B256::repeat_byte(6)],
                    Bytes::from_static(b"data"),
                ),
            }],
            output: Bytes::from_static(&[0x08, 0xc3, 0x79, 0xa0]),
        }
    }

    #[test]
    fn receipt_roundtrips() {
        let receipt = sample();
        let bytes = receipt.encode();
        assert_eq!(bytes.len(), receipt.encode_size());
        assert_eq!(Receipt::decode(bytes).unwrap(), receipt);
    }

    #[test]
    fn leaf_changes_with_content() {
        let a = sample();
        let mut b = sample();
        b.success = true;
        assert_ne!(a.leaf(), b.leaf());
    }

    #[test]
    fn bad_bytes_are_rejected() {
        let bytes = sample().encode();
        assert!(Receipt::decode(bytes.slice(..bytes.len() - 1)).is_err());
        let mut bad = bytes.to_vec();
        bad[33] = 7; // success flag
        assert!(Receipt::decode(bytes::Bytes::from(bad)).is_err());
    }
}
