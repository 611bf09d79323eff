//! API tokens: 32 random bytes (64 hex characters) shown once when issued and stored only
//! as their SHA-256, each scoped to exactly one account, with an id, a label, a creation
//! time, and revocable.
//!
//! The records live in one JSON file that the CLI rewrites atomically (under a lock file,
//! so two CLI runs cannot lose each other's changes) and that a running node re-reads
//! whenever it changes ([`TokenRegistry`]), so an issued or revoked token applies to the
//! very next request.

use std::{
    fs::OpenOptions,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256};
use parking_lot::Mutex;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{
    GatewayError,
    files::{create_private_dir, read_bounded, write_atomic},
};

/// Largest token file read, in bytes.
const TOKEN_FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;
/// Revoked records kept for the audit trail; older revocations are dropped.
pub const REVOKED_KEPT_MAX: usize = 1_000;
/// Longest token label, in bytes.
pub const LABEL_BYTES_MAX: usize = 64;
/// Bytes of randomness in a token.
pub const TOKEN_BYTES: usize = 32;
/// The file format version.
const FORMAT_VERSION: u32 = 1;

/// One issued token, as stored: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// Public identifier (16 hex characters), used to list and revoke.
    pub id: String,
    pub label: String,
    /// The one account the token acts as.
    pub account: Address,
    /// SHA-256 of the token's 32 bytes.
    pub sha256: B256,
    /// Unix time (seconds) of issue.
    pub created_at: u64,
    /// Unix time (seconds) of revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
}

impl TokenRecord {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A newly issued token: the secret is only ever in this value.
pub struct IssuedToken {
    pub record: TokenRecord,
    /// 64 hex characters, for `Authorization: Bearer …`.
    pub token: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenDocument {
    version: u32,
    tokens: Vec<TokenRecord>,
}

/// The SHA-256 of a presented token; `None` unless it is 64 hex characters.
pub fn token_hash(token: &str) -> Option<B256> {
    if token.len() != TOKEN_BYTES * 2 {
        return None;
    }
    let bytes = hex::decode(token).ok()?;
    Some(B256::from_slice(&Sha256::digest(&bytes)))
}

/// Compares two hashes in time independent of where they differ.
fn same_hash(a: &B256, b: &B256) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The token file, for the CLI that changes it.
#[derive(Clone, Debug)]
pub struct TokenFile {
    path: PathBuf,
    tokens_max: usize,
}

impl TokenFile {
    /// The records in `path`, at most `tokens_max` of them in force.
    pub fn new(path: impl Into<PathBuf>, tokens_max: usize) -> Self {
        Self {
            path: path.into(),
            tokens_max,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record, active and revoked, oldest first. A missing file has none.
    pub fn read(&self) -> Result<Vec<TokenRecord>, GatewayError> {
        let Some(bytes) = read_bounded(&self.path, TOKEN_FILE_BYTES_MAX)? else {
            return Ok(Vec::new());
        };
        let invalid = |reason: String| GatewayError::TokenFile {
            path: self.path.clone(),
            reason,
        };
        let document: TokenDocument =
            serde_json::from_slice(&bytes).map_err(|err| invalid(err.to_string()))?;
        if document.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "format version {} (this node reads {FORMAT_VERSION})",
                document.version
            )));
        }
        Ok(document.tokens)
    }

    fn write(&self, tokens: Vec<TokenRecord>) -> Result<(), GatewayError> {
        let document = TokenDocument {
            version: FORMAT_VERSION,
            tokens,
        };
        let mut text =
            serde_json::to_string_pretty(&document).map_err(|err| GatewayError::TokenFile {
                path: self.path.clone(),
                reason: err.to_string(),
            })?;
        text.push('\n');
        write_atomic(&self.path, text.as_bytes())
    }

    /// Holds an exclusive lock on `<file>.lock` while the closure reads and rewrites.
    fn locked<T>(
        &self,
        change: impl FnOnce(&mut Vec<TokenRecord>) -> Result<T, GatewayError>,
    ) -> Result<T, GatewayError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let lock_path = self.path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(GatewayError::io(&lock_path))?;
        lock.lock().map_err(GatewayError::io(&lock_path))?;
        let mut tokens = self.read()?;
        let out = change(&mut tokens)?;
        self.write(tokens)?;
        Ok(out)
    }

    /// Issues a token for `account`. The returned token is not stored anywhere.
    pub fn issue(&self, account: Address, label: &str) -> Result<IssuedToken, GatewayError> {
        check_label(label)?;
        self.locked(|tokens| {
            let active = tokens.iter().filter(|t| t.is_active()).count();
            if active >= self.tokens_max {
                return Err(GatewayError::TooManyTokens(self.tokens_max));
            }
            let token = random_hex(TOKEN_BYTES);
            let mut id = random_hex(8);
            while tokens.iter().any(|t| t.id == id) {
                id = random_hex(8);
            }
            let record = TokenRecord {
                id,
                label: label.to_string(),
                account,
                sha256: token_hash(&token).expect("a fresh token is well formed"),
                created_at: now_secs(),
                revoked_at: None,
            };
            tokens.push(record.clone());
            Ok(IssuedToken { record, token })
        })
    }

    /// Revokes the token with `id`; it stops working on the node's next request.
    pub fn revoke(&self, id: &str) -> Result<TokenRecord, GatewayError> {
        self.locked(|tokens| {
            let record = tokens
                .iter_mut()
                .find(|t| t.id == id)
                .ok_or_else(|| GatewayError::TokenNotFound(id.to_string()))?;
            if !record.is_active() {
                return Err(GatewayError::TokenAlreadyRevoked(id.to_string()));
            }
            record.revoked_at = Some(now_secs());
            let revoked = record.clone();
            prune_revoked(tokens);
            Ok(revoked)
        })
    }
}

fn check_label(label: &str) -> Result<(), GatewayError> {
    if label.len() > LABEL_BYTES_MAX {
        return Err(GatewayError::InvalidLabel(format!(
            "at most {LABEL_BYTES_MAX} bytes"
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(GatewayError::InvalidLabel(
            "control characters are not allowed".into(),
        ));
    }
    Ok(())
}

/// Drops the oldest revoked records beyond [`REVOKED_KEPT_MAX`].
fn prune_revoked(tokens: &mut Vec<TokenRecord>) {
    let revoked = tokens.iter().filter(|t| !t.is_active()).count();
    let mut excess = revoked.saturating_sub(REVOKED_KEPT_MAX);
    if excess == 0 {
        return;
    }
    let mut order: Vec<(u64, String)> = tokens
        .iter()
        .filter_map(|t| t.revoked_at.map(|at| (at, t.id.clone())))
        .collect();
    order.sort();
    let drop: std::collections::HashSet<String> = order
        .into_iter()
        .take_while(|_| {
            let more = excess > 0;
            excess = excess.saturating_sub(1);
            more
        })
        .map(|(_, id)| id)
        .collect();
    tokens.retain(|t| !drop.contains(&t.id));
}

/// What identifies one version of the token file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

/// A file modified this recently is re-read anyway: two writes within one tick of a
/// coarse filesystem clock could otherwise leave the same stamp.
const RECENT: Duration = Duration::from_secs(2);

fn stamp_of(path: &Path) -> Result<Option<Stamp>, GatewayError> {
    match std::fs::metadata(path) {
        Ok(metadata) => {
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
            #[cfg(not(unix))]
            let inode = 0;
            Ok(Some(Stamp {
                len: metadata.len(),
                modified: metadata.modified().ok(),
                inode,
            }))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(GatewayError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

struct Cached {
    stamp: Option<Stamp>,
    loaded: bool,
    records: Arc<Vec<TokenRecord>>,
}

/// The token records as a running node sees them: re-read whenever the file changes.
pub struct TokenRegistry {
    file: TokenFile,
    cache: Mutex<Cached>,
}

impl TokenRegistry {
    pub fn new(file: TokenFile) -> Self {
        Self {
            file,
            cache: Mutex::new(Cached {
                stamp: None,
                loaded: false,
                records: Arc::new(Vec::new()),
            }),
        }
    }

    pub fn file(&self) -> &TokenFile {
        &self.file
    }

    /// The current records. Fails closed: an unreadable file authenticates nobody.
    pub fn records(&self) -> Result<Arc<Vec<TokenRecord>>, GatewayError> {
        let stamp = stamp_of(&self.file.path)?;
        let mut cache = self.cache.lock();
        let recent = stamp
            .and_then(|s| s.modified)
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_none_or(|age| age < RECENT);
        let stale = !cache.loaded || cache.stamp != stamp || (stamp.is_some() && recent);
        if stale {
            cache.loaded = false;
            let records = self.file.read()?;
            cache.records = Arc::new(records);
            cache.stamp = stamp;
            cache.loaded = true;
        }
        Ok(cache.records.clone())
    }

    /// The active record whose hash matches `token`, if any.
    pub fn authenticate(&self, token: &str) -> Result<Option<TokenRecord>, GatewayError> {
        let Some(hash) = token_hash(token) else {
            return Ok(None);
        };
        let records = self.records()?;
        let mut found = None;
        // Every record is compared, so timing says nothing about which one matched.
        for record in records.iter() {
            if same_hash(&record.sha256, &hash) && record.is_active() {
                found = Some(record.clone());
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_as_hashes_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("gateway/tokens.json"), 10);
        let account = Address::repeat_byte(0xaa);
        let issued = file.issue(account, "erp system").unwrap();
        assert_eq!(issued.token.len(), 64);
        assert!(issued.token.chars().all(|c| c.is_ascii_hexdigit()));
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(
            !text.contains(&issued.token),
            "the token itself is never stored"
        );
        assert!(!text.to_lowercase().contains(&issued.token.to_lowercase()));
        let expected = B256::from_slice(&Sha256::digest(hex::decode(&issued.token).unwrap()));
        assert!(text.contains(&format!("{expected:#x}")), "{text}");
        assert_eq!(file.read().unwrap(), vec![issued.record.clone()]);
        assert!(!format!("{issued:?}").contains(&issued.token));

        let registry = TokenRegistry::new(file.clone());
        let record = registry.authenticate(&issued.token).unwrap().unwrap();
        assert_eq!(record.account, account);
        assert_eq!(record.label, "erp system");
        assert!(registry.authenticate(&"0".repeat(64)).unwrap().is_none());
        assert!(registry.authenticate("not a token").unwrap().is_none());
        // Hex is case-insensitive: the token's bytes are what is hashed.
        assert!(
            registry
                .authenticate(&issued.token.to_uppercase())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn revocation_applies_to_a_running_registry_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("tokens.json"), 10);
        let registry = TokenRegistry::new(TokenFile::new(file.path(), 10));
        assert!(registry.records().unwrap().is_empty());
        let first = file.issue(Address::repeat_byte(1), "one").unwrap();
        let second = file.issue(Address::repeat_byte(2), "two").unwrap();
        assert!(registry.authenticate(&first.token).unwrap().is_some());
        assert!(registry.authenticate(&second.token).unwrap().is_some());

        let revoked = file.revoke(&first.record.id).unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(registry.authenticate(&first.token).unwrap().is_none());
        assert!(registry.authenticate(&second.token).unwrap().is_some());
        assert!(matches!(
            file.revoke(&first.record.id),
            Err(GatewayError::TokenAlreadyRevoked(_))
        ));
        assert!(matches!(
            file.revoke("ffffffffffffffff"),
            Err(GatewayError::TokenNotFound(_))
        ));
        // The revoked record stays listed for the audit trail.
        let records = file.read().unwrap();
        assert_eq!(records.len(), 2);
        assert!(!records[0].is_active() && records[1].is_active());
    }

    #[test]
    fn tokens_and_labels_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("tokens.json"), 2);
        let a = file.issue(Address::repeat_byte(1), "").unwrap();
        file.issue(Address::repeat_byte(1), "").unwrap();
        assert!(matches!(
            file.issue(Address::repeat_byte(1), ""),
            Err(GatewayError::TooManyTokens(2))
        ));
        file.revoke(&a.record.id).unwrap();
        file.issue(Address::repeat_byte(1), "").unwrap();
        assert!(matches!(
            file.issue(Address::repeat_byte(1), &"x".repeat(65)),
            Err(GatewayError::InvalidLabel(_))
        ));
        assert!(matches!(
            file.issue(Address::repeat_byte(1), "bad\nlabel"),
            Err(GatewayError::InvalidLabel(_))
        ));
        std::fs::write(file.path(), "{\"version\": 9, \"tokens\": []}").unwrap();
        let err = file.read().unwrap_err().to_string();
        assert!(err.contains("format version 9"), "{err}");
        // A corrupt file authenticates nobody rather than everybody.
        let registry = TokenRegistry::new(file.clone());
        assert!(registry.authenticate(&a.token).is_err());
    }

    #[test]
    fn old_revocations_are_pruned() {
        let mut tokens: Vec<TokenRecord> = (0..REVOKED_KEPT_MAX + 3)
            .map(|i| TokenRecord {
                id: format!("{i:016x}"),
                label: String::new(),
                account: Address::ZERO,
                sha256: B256::ZERO,
                created_at: 0,
                revoked_at: Some(i as u64),
            })
            .collect();
        tokens[0].revoked_at = None;
        prune_revoked(&mut tokens);
        assert_eq!(tokens.len(), REVOKED_KEPT_MAX + 1);
        assert!(tokens[0].is_active());
        assert_eq!(tokens[1].id, format!("{:016x}", 3));
    }
}
