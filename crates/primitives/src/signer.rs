//! A local secp256k1 account key: address derivation and transaction signing.
//!
//! Used by the development network's funded accounts, the benchmark's pre-signed
//! workload, tests, and later the gateway keystore.

use alloy_consensus::{SignableTransaction, TxEnvelope, crypto::secp256k1 as ecdsa};
use alloy_primitives::{Address, B256, Signature, keccak256};
use thiserror::Error;

use crate::RecoveredTx;

/// Why a key could not be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignerError {
    #[error("invalid secp256k1 secret key")]
    InvalidKey,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// An account key held in memory.
#[derive(Clone)]
pub struct LocalSigner {
    secret: B256,
    address: Address,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSigner")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// Wraps a 32-byte secret key.
    pub fn from_secret(secret: B256) -> Result<Self, SignerError> {
        let key = secp256k1::SecretKey::from_slice(secret.as_slice())
            .map_err(|_| SignerError::InvalidKey)?;
        let public = secp256k1::PublicKey::from_secret_key_global(&key);
        Ok(Self {
            secret,
            address: ecdsa::public_key_to_address(public),
        })
    }

    /// Parses a hex secret key (with or without `0x`).
    pub fn from_hex(text: &str) -> Result<Self, SignerError> {
        let bytes = alloy_primitives::hex::decode(text.trim().trim_start_matches("0x"))
            .map_err(|_| SignerError::InvalidKey)?;
        if bytes.len() != 32 {
            return Err(SignerError::InvalidKey);
        }
        Self::from_secret(B256::from_slice(&bytes))
    }

    /// A deterministic key derived from a label: for development networks and tests only.
    /// The derivation (Keccak-256 of the label) is public, so these keys are not secret.
    pub fn deterministic(label: &str) -> Self {
        let mut secret = keccak256(label.as_bytes());
        loop {
            if let Ok(signer) = Self::from_secret(secret) {
                return signer;
            }
            secret = keccak256(secret);
        }
    }

    /// A fresh key from the operating system's randomness.
    pub fn random() -> Self {
        loop {
            let secret = B256::random();
            if let Ok(signer) = Self::from_secret(secret) {
                return signer;
            }
        }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// The secret key as `0x`-prefixed hex.
    pub fn secret_hex(&self) -> String {
        format!("{:#x}", self.secret)
    }

    /// Signs `message` as EIP-191 `personal_sign` does (what wallets sign for dapps):
    /// 65 bytes r || s || v with v 27 or 28.
    pub fn sign_message(&self, message: &[u8]) -> Result<[u8; 65], SignerError> {
        let hash = alloy_primitives::eip191_hash_message(message);
        let signature = ecdsa::sign_message(self.secret, hash)
            .map_err(|err| SignerError::Signing(err.to_string()))?;
        Ok(signature.as_bytes())
    }

    /// Signs a transaction and returns it with its (known) sender.
    pub fn sign<T>(&self, tx: T) -> Result<RecoveredTx, SignerError>
    where
        T: SignableTransaction<Signature>,
        alloy_consensus::Signed<T>: Into<TxEnvelope>,
    {
        let signature = ecdsa::sign_message(self.secret, tx.signature_hash())
            .map_err(|err| SignerError::Signing(err.to_string()))?;
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        Ok(RecoveredTx::from_envelope(envelope, self.address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::TxEip1559;
    use alloy_primitives::{Bytes, TxKind, U256};

    #[test]
    fn signed_transactions_recover_to_the_signer() {
        let signer = LocalSigner::deterministic("test");
        let tx = TxEip1559 {
            chain_id: 9,
            nonce: 1,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(1),
            access_list: Default::default(),
            input: Bytes::new(),
        };
        let signed = signer.sign(tx).unwrap();
        let decoded = RecoveredTx::decode(signed.raw.clone(), 9, 1 << 16).unwrap();
        assert_eq!(decoded.sender, signer.address());
        assert_eq!(decoded.hash, signed.hash);
    }

    #[test]
    fn hex_roundtrip_and_bad_keys() {
        let signer = LocalSigner::deterministic("a");
        let back = LocalSigner::from_hex(&signer.secret_hex()).unwrap();
        assert_eq!(back.address(), signer.address());
        assert!(LocalSigner::from_hex("0x1234").is_err());
        assert!(LocalSigner::from_secret(B256::ZERO).is_err());
        assert_ne!(
            LocalSigner::random().address(),
            LocalSigner::random().address()
        );
    }
}
