//! Validator identity keys (ed25519, as commonware's p2p and simplex use them).

use commonware_codec::{Copying, DecodeExt as _, Encode as _};
use commonware_cryptography::{Signer as _, ed25519};

use crate::ChainSpecError;

/// A validator's ed25519 signing key. Used to authenticate p2p connections and to sign
/// consensus votes.
#[derive(Clone)]
pub struct ValidatorKey(pub ed25519::PrivateKey);

impl ValidatorKey {
    /// A fresh random key.
    pub fn random() -> Self {
        use rand::RngCore as _;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let key = ed25519::PrivateKey::decode(Copying(&seed));
        Self(key.expect("any 32 bytes are a valid ed25519 secret"))
    }

    /// A deterministic key for tests and simulations only.
    pub fn from_seed(seed: u64) -> Self {
        Self(ed25519::PrivateKey::from_seed(seed))
    }

    pub fn public_key(&self) -> ed25519::PublicKey {
        self.0.public_key()
    }

    /// Hex of the 32-byte secret, as written to a node's key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.encode())
    }

    /// Parses the hex form written by [`Self::to_hex`] (surrounding whitespace allowed).
    pub fn from_hex(text: &str) -> Result<Self, ChainSpecError> {
        let bytes = hex::decode(text.trim().trim_start_matches("0x"))
            .map_err(|err| ChainSpecError::Invalid(format!("validator key is not hex: {err}")))?;
        let key = ed25519::PrivateKey::decode(Copying(&bytes))
            .map_err(|err| ChainSpecError::Invalid(format!("validator key is malformed: {err}")))?;
        Ok(Self(key))
    }
}

/// Hex form of a validator public key, as written in the chain spec.
pub fn encode_public_key(key: &ed25519::PublicKey) -> String {
    hex::encode(key.encode())
}

/// Parses a validator public key from the chain spec's hex form.
pub fn decode_public_key(text: &str) -> Result<ed25519::PublicKey, ChainSpecError> {
    let bad = |reason: String| ChainSpecError::BadPublicKey {
        key: text.to_string(),
        reason,
    };
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|err| bad(err.to_string()))?;
    if bytes.len() != 32 {
        return Err(bad(format!("expected 32 bytes, got {}", bytes.len())));
    }
    ed25519::PublicKey::decode(Copying(&bytes)).map_err(|err| bad(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_roundtrip_through_hex() {
        let key = ValidatorKey::from_seed(3);
        let back = ValidatorKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let public = encode_public_key(&key.public_key());
        assert_eq!(decode_public_key(&public).unwrap(), key.public_key());
        assert!(decode_public_key("abcd").is_err());
        assert!(ValidatorKey::from_hex("zz").is_err());
    }

    #[test]
    fn random_keys_differ() {
        assert_ne!(
            ValidatorKey::random().public_key(),
            ValidatorKey::random().public_key()
        );
    }
}
