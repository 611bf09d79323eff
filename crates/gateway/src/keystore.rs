//! Account keys encrypted at rest as standard Ethereum V3 JSON keystores (scrypt +
//! AES-128-CTR, written and read by the `eth-keystore` crate, the one alloy's local
//! signer uses), one file per account named after its address: `0x<address>.json`.
//! geth, Foundry (`cast wallet`) and ethers read the same files.

use std::{
    fs::{self, File},
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256};
use entente_primitives::LocalSigner;
use eth_keystore::{EthKeystore, KdfparamsType, KeystoreError};

use crate::{
    GatewayError, Passphrase,
    files::{create_private_dir, make_private, read_bounded, replace, temp_path},
};

/// Largest key file read, in bytes (a V3 keystore is about 500).
const KEY_FILE_BYTES_MAX: u64 = 16 * 1024;
/// Largest scrypt cost accepted when decrypting (2^18, geth's "standard" strength).
const SCRYPT_N_MAX: u32 = 1 << 18;
/// Largest scrypt block size and parallelism accepted when decrypting.
const SCRYPT_RP_MAX: u32 = 16;
/// Most PBKDF2 iterations accepted when decrypting.
const PBKDF2_ROUNDS_MAX: u32 = 10_000_000;

/// A folder of encrypted account keys.
#[derive(Clone, Debug)]
pub struct Keystore {
    dir: PathBuf,
    keys_max: usize,
}

impl Keystore {
    /// The keystore in `dir` (created on the first import), holding at most `keys_max` keys.
    pub fn new(dir: impl Into<PathBuf>, keys_max: usize) -> Self {
        Self {
            dir: dir.into(),
            keys_max,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds (or would hold) the key of `address`.
    pub fn path_of(&self, address: &Address) -> PathBuf {
        self.dir.join(file_name(address))
    }

    pub fn contains(&self, address: &Address) -> bool {
        self.path_of(address).is_file()
    }

    /// The accounts with a key file, sorted. Other files in the folder are ignored.
    pub fn list(&self) -> Result<Vec<Address>, GatewayError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(GatewayError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(GatewayError::io(&self.dir))?;
            if let Some(address) = address_of_file(&entry.file_name().to_string_lossy()) {
                out.push(address);
                // Bounded even if files were copied in by hand.
                if out.len() > self.keys_max.saturating_mul(2) {
                    break;
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Encrypts `signer`'s key with `passphrase` and stores it. The passphrase must open
    /// the keys already stored, so that the node can open them all with one passphrase.
    pub fn import(
        &self,
        signer: &LocalSigner,
        passphrase: &Passphrase,
    ) -> Result<Address, GatewayError> {
        let address = signer.address();
        if self.contains(&address) {
            return Err(GatewayError::KeyExists(address));
        }
        let existing = self.list()?;
        if existing.len() >= self.keys_max {
            return Err(GatewayError::TooManyKeys(self.keys_max));
        }
        if let Some(first) = existing.first() {
            self.load(first, passphrase)?;
        }
        create_private_dir(&self.dir)?;
        let secret = secret_bytes(signer)?;
        let target = self.path_of(&address);
        let temp = temp_path(&target);
        let temp_name = temp
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let written = eth_keystore::encrypt_key(
            &self.dir,
            &mut rand::thread_rng(),
            secret,
            passphrase.as_bytes(),
            Some(&temp_name),
        )
        .map_err(|err| GatewayError::Keystore(err.to_string()))
        .and_then(|_| make_private(&temp))
        .and_then(|()| {
            File::open(&temp)
                .and_then(|file| file.sync_all())
                .map_err(GatewayError::io(&temp))
        });
        if let Err(err) = written {
            let _ = fs::remove_file(&temp);
            return Err(err);
        }
        replace(&temp, &target)?;
        Ok(address)
    }

    /// Generates a new key from the operating system's randomness and stores it.
    pub fn create(&self, passphrase: &Passphrase) -> Result<Address, GatewayError> {
        self.import(&LocalSigner::random(), passphrase)
    }

    /// Decrypts the key of `address`.
    pub fn load(
        &self,
        address: &Address,
        passphrase: &Passphrase,
    ) -> Result<LocalSigner, GatewayError> {
        let path = self.path_of(address);
        let bytes =
            read_bounded(&path, KEY_FILE_BYTES_MAX)?.ok_or(GatewayError::KeyNotFound(*address))?;
        check_key_file(&path, &bytes)?;
        let secret =
            eth_keystore::decrypt_key(&path, passphrase.as_bytes()).map_err(|err| match err {
                KeystoreError::MacMismatch => GatewayError::WrongPassphrase { path: path.clone() },
                other => GatewayError::InvalidKeyFile {
                    path: path.clone(),
                    reason: other.to_string(),
                },
            })?;
        if secret.len() != 32 {
            return Err(GatewayError::InvalidKeyFile {
                path,
                reason: format!("the key has {} bytes, not 32", secret.len()),
            });
        }
        let signer = LocalSigner::from_secret(B256::from_slice(&secret)).map_err(|err| {
            GatewayError::InvalidKeyFile {
                path: path.clone(),
                reason: err.to_string(),
            }
        })?;
        if signer.address() != *address {
            return Err(GatewayError::KeyMismatch {
                path,
                expected: *address,
                found: signer.address(),
            });
        }
        Ok(signer)
    }
}

/// `0x<lowercase hex address>.json`.
fn file_name(address: &Address) -> String {
    format!("0x{}.json", hex::encode(address))
}

/// The address a key file's name stands for, if it is one.
fn address_of_file(name: &str) -> Option<Address> {
    let hex = name.strip_prefix("0x")?.strip_suffix(".json")?;
    if hex.len() != 40 {
        return None;
    }
    hex.parse().ok()
}

fn secret_bytes(signer: &LocalSigner) -> Result<Vec<u8>, GatewayError> {
    hex::decode(signer.secret_hex().trim_start_matches("0x"))
        .map_err(|err| GatewayError::InvalidKey(err.to_string()))
}

/// Refuses key files the decryptor would choke on, or whose KDF would take unbounded
/// time or memory, before decrypting.
fn check_key_file(path: &Path, bytes: &[u8]) -> Result<(), GatewayError> {
    let invalid = |reason: String| GatewayError::InvalidKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let keystore: EthKeystore =
        serde_json::from_slice(bytes).map_err(|err| invalid(err.to_string()))?;
    let crypto = &keystore.crypto;
    if keystore.version != 3 || crypto.cipher != "aes-128-ctr" {
        return Err(invalid("not a version 3 keystore with aes-128-ctr".into()));
    }
    if crypto.cipherparams.iv.len() != 16 || crypto.mac.len() != 32 {
        return Err(invalid("iv must have 16 bytes and mac 32".into()));
    }
    let bounded = match &crypto.kdfparams {
        KdfparamsType::Scrypt { dklen, n, p, r, .. } => {
            *dklen == 32
                && n.is_power_of_two()
                && *n <= SCRYPT_N_MAX
                && *r <= SCRYPT_RP_MAX
                && *p <= SCRYPT_RP_MAX
        }
        KdfparamsType::Pbkdf2 { c, dklen, .. } => *dklen == 32 && *c <= PBKDF2_ROUNDS_MAX,
    };
    if !bounded {
        return Err(invalid(format!(
            "key-derivation parameters out of bounds (scrypt n ≤ {SCRYPT_N_MAX}, r and p ≤ \
             {SCRYPT_RP_MAX}; pbkdf2 c ≤ {PBKDF2_ROUNDS_MAX}; dklen 32)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passphrase(text: &str) -> Passphrase {
        Passphrase::new(text.into()).unwrap()
    }

    #[test]
    fn keys_round_trip_through_encrypted_files() {
        let dir = tempfile::tempdir().unwrap();
        let keystore = Keystore::new(dir.path().join("keystore"), 10);
        let pass = passphrase("a long passphrase");
        let signer = LocalSigner::deterministic("gateway/keystore/roundtrip");
        let address = keystore.import(&signer, &pass).unwrap();
        assert_eq!(address, signer.address());
        assert_eq!(keystore.list().unwrap(), vec![address]);

        // The file is a standard V3 keystore that does not contain the key in clear.
        let path = keystore.path_of(&address);
        let text = fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], 3);
        assert_eq!(json["crypto"]["kdf"], "scrypt");
        assert_eq!(json["crypto"]["cipher"], "aes-128-ctr");
        assert!(!text.contains(signer.secret_hex().trim_start_matches("0x")));

        let loaded = keystore.load(&address, &pass).unwrap();
        assert_eq!(loaded.secret_hex(), signer.secret_hex());
        assert!(matches!(
            keystore.import(&signer, &pass),
            Err(GatewayError::KeyExists(a)) if a == address
        ));
    }

    #[test]
    fn a_wrong_passphrase_fails_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let keystore = Keystore::new(dir.path(), 10);
        let address = keystore
            .create(&passphrase("the right passphrase"))
            .unwrap();
        let err = keystore
            .load(&address, &passphrase("the wrong passphrase"))
            .unwrap_err();
        assert!(matches!(err, GatewayError::WrongPassphrase { .. }), "{err}");
        assert!(err.to_string().starts_with("wrong passphrase for key file"));
        // A second key must be encrypted with the passphrase of the first.
        let other = LocalSigner::deterministic("gateway/keystore/other");
        let err = keystore
            .import(&other, &passphrase("the wrong passphrase"))
            .unwrap_err();
        assert!(matches!(err, GatewayError::WrongPassphrase { .. }), "{err}");
        assert!(!keystore.contains(&other.address()));
    }

    #[test]
    fn the_keystore_is_bounded_and_refuses_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let keystore = Keystore::new(dir.path(), 1);
        let pass = passphrase("a long passphrase");
        let first = keystore.create(&pass).unwrap();
        assert!(matches!(
            keystore.create(&pass),
            Err(GatewayError::TooManyKeys(1))
        ));
        // A key file renamed to another address is detected.
        let stranger = Address::repeat_byte(7);
        fs::copy(keystore.path_of(&first), keystore.path_of(&stranger)).unwrap();
        assert!(matches!(
            keystore.load(&stranger, &pass),
            Err(GatewayError::KeyMismatch { .. })
        ));
        // Garbage and hostile KDF parameters are refused before decryption.
        fs::write(keystore.path_of(&stranger), "{}").unwrap();
        assert!(matches!(
            keystore.load(&stranger, &pass),
            Err(GatewayError::InvalidKeyFile { .. })
        ));
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(keystore.path_of(&first)).unwrap()).unwrap();
        json["crypto"]["kdfparams"]["n"] = serde_json::json!(1u64 << 30);
        fs::write(keystore.path_of(&stranger), json.to_string()).unwrap();
        let err = keystore.load(&stranger, &pass).unwrap_err().to_string();
        assert!(err.contains("out of bounds"), "{err}");
        assert!(matches!(
            keystore.load(&Address::repeat_byte(8), &pass),
            Err(GatewayError::KeyNotFound(_))
        ));
        fs::write(dir.path().join("notes.txt"), "not a key").unwrap();
        assert_eq!(keystore.list().unwrap().len(), 2);
    }
}
