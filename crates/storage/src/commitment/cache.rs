//! A bounded in-memory cache of the newest committed value of recently used state keys,
//! in front of the disk engine.
//!
//! With a large state the disk engine's point reads walk a deeper tree of tables, so
//! keys read for every transaction (the governance registry's account records, a
//! token's code account, the senders) cost a table lookup each time. The cache is
//! filled by reads and written through by commits, and stays exact this way:
//! - a commit puts its values in *before* its disk write and counts itself in a
//!   generation that is odd while it writes (`begin_commit`, `CommitWrite`), keeping
//!   the value each key had before, so readers at the old head are answered too;
//! - a read that missed fills the cache only if no commit began while it read the disk,
//!   so a value read from disk never replaces a newer one;
//! - a failed write takes its values out again.

use std::sync::atomic::{AtomicU64, Ordering};

use jmt::{KeyHash, OwnedValue, Version};
use parking_lot::Mutex;

/// State keys whose newest value the store keeps in memory (entries are ~100 bytes: a
/// few tens of MiB).
pub(crate) const LATEST_CACHE_KEYS: usize = 262_144;

/// A state key's value as written at a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    /// The version that wrote it; `None`: never written.
    pub at: Option<Version>,
    /// `None`: absent (deleted at `at`, or never written).
    pub value: Option<OwnedValue>,
}

impl Written {
    pub const NEVER: Written = Written {
        at: None,
        value: None,
    };

    fn visible_at(&self, version: Version) -> bool {
        self.at.is_none_or(|at| at <= version)
    }
}

/// What the cache knows of one key: its newest committed value and, after a commit
/// replaced a cached value, the one before.
#[derive(Clone, Debug)]
struct Known {
    newest: Written,
    before: Option<Written>,
}

/// Hashes a [`KeyHash`], already a uniform hash, by folding its bytes in a word at a
/// time (no keyed hash needed: keys are tree hashes no client can aim).
#[derive(Clone, Default)]
struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
}

type Entries = quick_cache::sync::Cache<
    KeyHash,
    Known,
    quick_cache::UnitWeighter,
    std::hash::BuildHasherDefault<FoldHasher>,
>;

/// The newest committed value of recently used state keys.
pub(crate) struct LatestCache {
    entries: Entries,
    /// Bumped when a commit starts writing and when it is done: odd while one writes.
    generation: AtomicU64,
    /// Held to fill an entry or to change the generation.
    fill: Mutex<()>,
}

impl LatestCache {
    pub fn new(keys: usize) -> Self {
        Self {
            entries: Entries::with(
                keys,
                keys as u64,
                quick_cache::UnitWeighter,
                Default::default(),
                Default::default(),
            ),
            generation: AtomicU64::new(0),
            fill: Mutex::new(()),
        }
    }

    /// Keys the cache holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The value of `key` at `version`: `Ok(Some(..))` when the cache can answer,
    /// `Ok(None)` when only the engine's history can (`version` predates what is known).
    /// On a miss `newest` reads the key's newest value from the engine.
    pub fn read(
        &self,
        key: &KeyHash,
        version: Version,
        newest: impl FnOnce() -> Result<Written, crate::StorageError>,
    ) -> Result<Option<Option<OwnedValue>>, crate::StorageError> {
        let known = match self.entries.get(key) {
            Some(known) => known,
            None => {
                let generation = self.generation.load(Ordering::Acquire);
                let known = Known {
                    newest: newest()?,
                    before: None,
                };
                if generation.is_multiple_of(2) {
                    let _filling = self.fill.lock();
                    if self.generation.load(Ordering::Acquire) == generation {
                        self.entries.insert(*key, known.clone());
                    }
                }
                known
            }
        };
        if known.newest.visible_at(version) {
            return Ok(Some(known.newest.value));
        }
        Ok(known
            .before
            .filter(|before| before.visible_at(version))
            .map(|before| before.value))
    }

    /// Puts the values of the commit about to write `version` in and marks a commit as
    /// writing; the returned guard ends it (taking the values out again unless the write
    /// is confirmed with [`CommitWrite::written`]).
    pub fn begin_commit<'k>(
        &self,
        version: Version,
        values: impl Iterator<Item = (&'k KeyHash, &'k Option<OwnedValue>)>,
    ) -> CommitWrite<'_> {
        let _filling = self.fill.lock();
        let mut keys = Vec::new();
        for (key, value) in values {
            let newest = Written {
                at: Some(version),
                value: value.clone(),
            };
            let before = self.entries.get(key).map(|known| known.newest);
            self.entries.insert(*key, Known { newest, before });
            keys.push(*key);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        CommitWrite {
            cache: self,
            keys,
            written: false,
        }
    }
}

/// A commit's write in progress (see [`LatestCache::begin_commit`]).
pub(crate) struct CommitWrite<'a> {
    cache: &'a LatestCache,
    keys: Vec<KeyHash>,
    written: bool,
}

impl CommitWrite<'_> {
    /// The commit is on disk: its values stay.
    pub fn written(mut self) {
        self.written = true;
    }
}

impl Drop for CommitWrite<'_> {
    fn drop(&mut self) {
        let _filling = self.cache.fill.lock();
        if !self.written {
            for key in &self.keys {
                self.cache.entries.remove(key);
            }
        }
        self.cache.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> KeyHash {
        KeyHash([i; 32])
    }

    fn written(at: Version, value: u8) -> Written {
        Written {
            at: Some(at),
            value: Some(vec![value]),
        }
    }

    fn must_not_read() -> Result<Written, crate::StorageError> {
        panic!("the cache should have answered")
    }

    #[test]
    fn a_commit_answers_reads_at_the_new_and_the_old_head() {
        let cache = LatestCache::new(16);
        // Filled by a read at version 3: the key was written at 2.
        let filled = cache.read(&key(1), 3, || Ok(written(2, 20))).unwrap();
        assert_eq!(filled, Some(Some(vec![20])));
        let value = Some(vec![40]);
        cache
            .begin_commit(4, [(&key(1), &value)].into_iter())
            .written();
        assert_eq!(
            cache.read(&key(1), 4, must_not_read).unwrap(),
            Some(Some(vec![40]))
        );
        assert_eq!(
            cache.read(&key(1), 3, must_not_read).unwrap(),
            Some(Some(vec![20]))
        );
        // Before the value the cache knows of, only the engine's history can answer.
        assert_eq!(cache.read(&key(1), 1, must_not_read).unwrap(), None);
    }

    #[test]
    fn a_key_never_written_is_absent_at_every_version() {
        let cache = LatestCache::new(16);
        assert_eq!(
            cache.read(&key(2), 0, || Ok(Written::NEVER)).unwrap(),
            Some(None)
        );
        assert_eq!(cache.read(&key(2), 9, must_not_read).unwrap(), Some(None));
    }

    #[test]
    fn a_read_during_a_commit_does_not_fill() {
        let cache = LatestCache::new(16);
        let value = Some(vec![7]);
        let write = cache.begin_commit(5, [(&key(3), &value)].into_iter());
        // Another key read while the commit writes: answered, not remembered (the disk
        // may be half written).
        assert_eq!(
            cache.read(&key(4), 4, || Ok(written(1, 1))).unwrap(),
            Some(Some(vec![1]))
        );
        write.written();
        let mut reads = 0;
        let again = cache
            .read(&key(4), 5, || {
                reads += 1;
                Ok(written(1, 1))
            })
            .unwrap();
        assert_eq!((again, reads), (Some(Some(vec![1])), 1));
    }

    #[test]
    fn a_failed_write_takes_its_values_out() {
        let cache = LatestCache::new(16);
        cache.read(&key(5), 1, || Ok(written(1, 10))).unwrap();
        let value = Some(vec![11]);
        drop(cache.begin_commit(2, [(&key(5), &value)].into_iter()));
        // Not remembered: the next read goes to the engine, which still has version 1.
        assert_eq!(
            cache.read(&key(5), 2, || Ok(written(1, 10))).unwrap(),
            Some(Some(vec![10]))
        );
    }
}
