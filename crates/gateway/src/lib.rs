//! The gateway keystore. As with Fabric Gateway or Hyperledger FireFly, an organisation
//! keeps its users' signing keys in its own node, encrypted, and applications that
//! present an API token act as those accounts over REST without ever holding a key.
//!
//! - [`keystore`]: account keys as Ethereum V3 JSON keystores (scrypt + AES-128-CTR).
//! - [`tokens`]: API tokens, stored as SHA-256 hashes only, one account each, revocable.
//! - [`passphrase`]: where the keystore passphrase comes from (a file or an env var).
//! - [`Gateway`]: what a running node uses: authenticate a bearer token, sign as its
//!   account. Token changes made with `entente gateway …` apply without a restart.
//!
//! Every file is written atomically (temporary file, then rename), so the CLI can change
//! keys and tokens while the node runs.

mod error;
mod files;
pub mod keystore;
pub mod passphrase;
pub mod tokens;

use std::collections::HashMap;

use alloy_primitives::Address;
use entente_config::NodeConfig;
use entente_primitives::LocalSigner;
use parking_lot::{Mutex, MutexGuard};

pub use error::GatewayError;
pub use keystore::Keystore;
pub use passphrase::Passphrase;
pub use tokens::{IssuedToken, TokenFile, TokenRecord, TokenRegistry};

/// The keystore of the node configured by `config`.
pub fn keystore_of(config: &NodeConfig) -> Keystore {
    Keystore::new(config.gateway_keystore_dir(), config.gateway.keys_max)
}

/// The token file of the node configured by `config`.
pub fn token_file_of(config: &NodeConfig) -> TokenFile {
    TokenFile::new(config.gateway_tokens_file(), config.gateway.tokens_max)
}

/// Who a request acts as: the token it presented and that token's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token_id: String,
    pub label: String,
    pub account: Address,
}

/// A running node's gateway: tokens to authenticate with, keys to sign with.
pub struct Gateway {
    keystore: Keystore,
    tokens: TokenRegistry,
    passphrase: Passphrase,
    /// Keys decrypted so far (scrypt is slow on purpose: each key is opened once).
    signers: Mutex<HashMap<Address, LocalSigner>>,
    /// Serialises nonce assignment and submission, so requests in a row get
    /// consecutive nonces.
    submissions: Mutex<()>,
}

impl Gateway {
    /// The gateway of the node configured by `config`: reads the passphrase and checks it
    /// opens the keystore, so a wrong one stops the node at start rather than at the
    /// first request.
    pub fn open(config: &NodeConfig) -> Result<Self, GatewayError> {
        let passphrase = Passphrase::from_config(&config.gateway)?;
        let gateway = Self::new(keystore_of(config), token_file_of(config), passphrase);
        if let Some(first) = gateway.keystore.list()?.first() {
            let signer = gateway.keystore.load(first, &gateway.passphrase)?;
            gateway.signers.lock().insert(*first, signer);
        }
        gateway.tokens.records()?;
        Ok(gateway)
    }

    pub fn new(keystore: Keystore, tokens: TokenFile, passphrase: Passphrase) -> Self {
        Self {
            keystore,
            tokens: TokenRegistry::new(tokens),
            passphrase,
            signers: Mutex::new(HashMap::new()),
            submissions: Mutex::new(()),
        }
    }

    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    /// The session of a presented bearer token; `None` when it is unknown or revoked.
    pub fn authenticate(&self, token: &str) -> Result<Option<Session>, GatewayError> {
        Ok(self.tokens.authenticate(token)?.map(|record| Session {
            token_id: record.id,
            label: record.label,
            account: record.account,
        }))
    }

    /// Whether the keystore holds a key for `account`.
    pub fn has_key(&self, account: &Address) -> bool {
        self.keystore.contains(account)
    }

    /// The signer of `account`, decrypting its key file on first use. A key whose file
    /// was removed from the keystore is no longer used.
    pub fn signer(&self, account: &Address) -> Result<LocalSigner, GatewayError> {
        if !self.keystore.contains(account) {
            self.signers.lock().remove(account);
            return Err(GatewayError::KeyNotFound(*account));
        }
        if let Some(signer) = self.signers.lock().get(account) {
            return Ok(signer.clone());
        }
        let signer = self.keystore.load(account, &self.passphrase)?;
        self.signers.lock().insert(*account, signer.clone());
        Ok(signer)
    }

    /// Held while a transaction's nonce is chosen and the transaction submitted.
    pub fn lock_submissions(&self) -> MutexGuard<'_, ()> {
        self.submissions.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_acts_as_its_account_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig {
            data_dir: dir.path().join("data"),
            ..NodeConfig::default()
        };
        let pass_file = dir.path().join("gateway.pass");
        std::fs::write(&pass_file, "gateway test passphrase\n").unwrap();
        config.gateway.enabled = true;
        config.gateway.passphrase_file = Some(pass_file.clone());
        let passphrase = Passphrase::from_file(&pass_file).unwrap();

        let keystore = keystore_of(&config);
        let account = keystore.create(&passphrase).unwrap();
        assert!(keystore.dir().starts_with(dir.path().join("data/gateway")));
        let tokens = token_file_of(&config);
        let issued = tokens.issue(account, "app").unwrap();

        let gateway = Gateway::open(&config).unwrap();
        let session = gateway.authenticate(&issued.token).unwrap().unwrap();
        assert_eq!(session.account, account);
        assert_eq!(session.token_id, issued.record.id);
        assert_eq!(gateway.signer(&account).unwrap().address(), account);

        // A token issued after start works at once; a revoked one stops at once.
        let later = tokens.issue(account, "later").unwrap();
        assert!(gateway.authenticate(&later.token).unwrap().is_some());
        tokens.revoke(&issued.record.id).unwrap();
        assert!(gateway.authenticate(&issued.token).unwrap().is_none());
        assert!(gateway.authenticate(&later.token).unwrap().is_some());

        // A removed key file is no longer used, even if it was decrypted before.
        std::fs::remove_file(keystore.path_of(&account)).unwrap();
        assert!(matches!(
            gateway.signer(&account),
            Err(GatewayError::KeyNotFound(_))
        ));
    }

    #[test]
    fn a_wrong_passphrase_stops_the_gateway_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            ..NodeConfig::default()
        };
        keystore_of(&config)
            .create(&Passphrase::new("the first passphrase".into()).unwrap())
            .unwrap();
        let pass_file = dir.path().join("pass");
        std::fs::write(&pass_file, "another passphrase").unwrap();
        config.gateway.passphrase_file = Some(pass_file);
        let err = Gateway::open(&config).err().expect("refused");
        assert!(matches!(err, GatewayError::WrongPassphrase { .. }), "{err}");
    }
}
