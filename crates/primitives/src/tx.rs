//! Signed Ethereum transactions, decoded once and paired with their recovered sender.
//!
//! Recovering the sender is the most expensive step of handling a transaction, so it is
//! done exactly once per node (at the RPC door, on gossip receipt or when a peer's block
//! arrives) and the result travels with the transaction.

use alloy_consensus::{Transaction as _, TxEnvelope, transaction::SignerRecoverable as _};
use alloy_eips::eip2718::{Decodable2718 as _, Encodable2718 as _};
use alloy_primitives::{Address, B256, Bytes};
use thiserror::Error;

/// Why a raw transaction was refused before execution.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TxError {
    #[error("transaction is empty")]
    Empty,
    #[error("transaction of {size} bytes exceeds the limit of {max} bytes")]
    Oversized { size: usize, max: usize },
    #[error("malformed transaction: {0}")]
    Malformed(String),
    #[error("transaction type {0} is not supported (legacy, EIP-2930 and EIP-1559 are)")]
    UnsupportedType(u8),
    #[error("legacy transaction without EIP-155 replay protection")]
    MissingChainId,
    #[error("wrong chain id: expected {expected}, got {got}")]
    WrongChainId { expected: u64, got: u64 },
    #[error("invalid transaction signature")]
    InvalidSignature,
}

/// A decoded, signature-checked transaction with its sender, hash and original bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTx {
    pub envelope: TxEnvelope,
    pub sender: Address,
    pub hash: B256,
    pub raw: Bytes,
}

impl RecoveredTx {
    /// Decodes EIP-2718 bytes, checks the type and chain id and recovers the sender.
    pub fn decode(raw: Bytes, chain_id: u64, max_bytes: usize) -> Result<Self, TxError> {
        if raw.is_empty() {
            return Err(TxError::Empty);
        }
        if raw.len() > max_bytes {
            return Err(TxError::Oversized {
                size: raw.len(),
                max: max_bytes,
            });
        }
        let envelope = TxEnvelope::decode_2718_exact(&raw)
            .map_err(|err| TxError::Malformed(err.to_string()))?;
        match &envelope {
            TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
            other => return Err(TxError::UnsupportedType(other.tx_type() as u8)),
        }
        match envelope.chain_id() {
            None => return Err(TxError::MissingChainId),
            Some(got) if got != chain_id => {
                return Err(TxError::WrongChainId {
                    expected: chain_id,
                    got,
                });
            }
            Some(_) => {}
        }
        let sender = envelope
            .recover_signer()
            .map_err(|_| TxError::InvalidSignature)?;
        let hash = *envelope.tx_hash();
        Ok(Self {
            envelope,
            sender,
            hash,
            raw,
        })
    }

    /// Wraps an envelope that was signed locally (tests, the bench harness, the gateway).
    pub fn from_envelope(envelope: TxEnvelope, sender: Address) -> Self {
        let raw = Bytes::from(envelope.encoded_2718());
        let hash = *envelope.tx_hash();
        Self {
            envelope,
            sender,
            hash,
            raw,
        }
    }

    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    pub fn gas_limit(&self) -> u64 {
        self.envelope.gas_limit()
    }

    /// The most this transaction pays per gas (gas price, or max fee for EIP-1559).
    pub fn max_fee_per_gas(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }

    /// The tip the sender offers above the base fee; used to order and replace.
    pub fn effective_tip(&self, base_fee: u64) -> u128 {
        self.envelope
            .effective_tip_per_gas(base_fee)
            .unwrap_or_default()
    }

    /// Gas price actually paid per gas under `base_fee`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.envelope.effective_gas_price(Some(base_fee))
    }

    /// Largest amount of native currency this transaction can debit from its sender.
    pub fn max_cost(&self) -> alloy_primitives::U256 {
        alloy_primitives::U256::from(self.gas_limit())
            * alloy_primitives::U256::from(self.max_fee_per_gas())
            + self.envelope.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction as _, TxEip1559, TxLegacy};
    use alloy_primitives::{TxKind, U256};

    const KEY: [u8; 32] = [0x11; 32];

    fn sign<T: alloy_consensus::SignableTransaction<alloy_primitives::Signature>>(
        tx: T,
    ) -> alloy_primitives::Signature {
        let hash = tx.signature_hash();
        alloy_consensus::crypto::secp256k1::sign_message(B256::from(KEY), hash).unwrap()
    }

    fn legacy(chain_id: Option<u64>) -> Bytes {
        let tx = TxLegacy {
            chain_id,
            nonce: 3,
            gas_price: 0,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(2)),
            value: U256::from(5),
            input: Bytes::new(),
        };
        let sig = sign(tx.clone());
        let env: TxEnvelope = tx.into_signed(sig).into();
        Bytes::from(env.encoded_2718())
    }

    fn eip1559(chain_id: u64) -> Bytes {
        let tx = TxEip1559 {
            chain_id,
            nonce: 0,
            gas_limit: 50_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Create,
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from_static(&[0x60, 0x00]),
        };
        let sig = sign(tx.clone());
        let env: TxEnvelope = tx.into_signed(sig).into();
        Bytes::from(env.encoded_2718())
    }

    fn expected_sender() -> Address {
        let secret = secp256k1::SecretKey::from_slice(&KEY).unwrap();
        let public = secp256k1::PublicKey::from_secret_key_global(&secret);
        alloy_consensus::crypto::secp256k1::public_key_to_address(public)
    }

    #[test]
    fn decodes_and_recovers_legacy_and_1559() {
        let tx = RecoveredTx::decode(legacy(Some(7)), 7, 1 << 17).unwrap();
        assert_eq!(tx.sender, expected_sender());
        assert_eq!(tx.nonce(), 3);
        let tx = RecoveredTx::decode(eip1559(7), 7, 1 << 17).unwrap();
        assert_eq!(tx.sender, expected_sender());
    }

    #[test]
    fn refuses_wrong_chain_and_unprotected_legacy() {
        assert_eq!(
            RecoveredTx::decode(legacy(Some(8)), 7, 1 << 17).unwrap_err(),
            TxError::WrongChainId {
                expected: 7,
                got: 8
            }
        );
        assert_eq!(
            RecoveredTx::decode(legacy(None), 7, 1 << 17).unwrap_err(),
            TxError::MissingChainId
        );
    }

    #[test]
    fn refuses_garbage_empty_and_oversized() {
        assert!(matches!(
            RecoveredTx::decode(Bytes::from_static(&[0xde, 0xad]), 7, 1 << 17),
            Err(TxError::Malformed(_)) | Err(TxError::UnsupportedType(_))
        ));
        assert_eq!(
            RecoveredTx::decode(Bytes::new(), 7, 1 << 17).unwrap_err(),
            TxError::Empty
        );
        assert!(matches!(
            RecoveredTx::decode(eip1559(7), 7, 10),
            Err(TxError::Oversized { .. })
        ));
        let mut raw = eip1559(7).to_vec();
        raw.push(0);
        assert!(RecoveredTx::decode(Bytes::from(raw), 7, 1 << 17).is_err());
    }

    #[test]
    fn tampered_signature_changes_or_breaks_the_sender() {
        let mut raw = legacy(Some(7)).to_vec();
        let last = raw.len() - 2;
        raw[last] ^= 0x01;
        match RecoveredTx::decode(Bytes::from(raw), 7, 1 << 17) {
            Ok(tx) => assert_ne!(tx.sender, expected_sender()),
            Err(err) => assert_eq!(err, TxError::InvalidSignature),
        }
    }
}
