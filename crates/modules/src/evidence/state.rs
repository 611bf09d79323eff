//! The evidence module's storage layout: one record per evidence id, its annotations, and
//! the number of records, in the module address's storage slots.
//!
//! A record at `base = slot("evidence", id)`:
//!
//! | slot | content |
//! |---|---|
//! | `base` | bits 0–7 `1` (present), 8–15 signature `v`, 16–23 digest count, 24–55 the digests' algorithms (8 bits each), 56–119 content length, 120–183 height, 184–247 block time |
//! | `base + 1` | submitter |
//! | `base + 2` | submitter's organisation |
//! | `base + 3` | metadata hash (unwritten when zero) |
//! | `base + 4` | `prev` (unwritten when zero) |
//! | `base + 5`, `base + 6` | signature `r`, `s` |
//! | `base + 7` | number of annotations |
//! | `slot("evidence.digest", id ‖ i)` | digest `i`'s 32 bytes |
//! | `slot("evidence.media", id)` | media type (bytes) |
//! | `slot("evidence.note", id ‖ i)` | annotation `i` (`i` as 8 bytes, big-endian) |
//!
//! and the count at `slot("evidences", "count")`.

use alloy_primitives::{Address, B256, Bytes, U256};
use entente_storage::StateView;

use super::abi::{Digest, EvidenceInfo};
use crate::{
    governance::state::OrgId,
    slots::{
        SlotError, Slots, ViewSlots, address_to_word, b256_to_word, field, load_bytes, slot,
        store_bytes, word_to_address, word_to_b256,
    },
};

/// Most digests per record (so their algorithms pack into one word).
pub const DIGESTS_MAX: usize = 4;
/// Most annotations per record.
pub const ANNOTATIONS_MAX: u64 = 256;

/// One content digest of a record (the value is always 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentDigest {
    pub alg: u8,
    pub value: B256,
}

/// A deposited record, without its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: B256,
    pub submitter: Address,
    pub submitter_org: OrgId,
    /// 1 to [`DIGESTS_MAX`] digests.
    pub content: Vec<ContentDigest>,
    pub content_length: u64,
    pub media_type: String,
    pub metadata_hash: B256,
    /// Zero when the record has no predecessor.
    pub prev: B256,
    /// r ‖ s ‖ v, as submitted.
    pub signature: [u8; 65],
    pub height: u64,
    pub block_time: u64,
}

impl Record {
    /// The record as the ABI returns it.
    pub fn info(&self, annotations: Vec<B256>) -> EvidenceInfo {
        EvidenceInfo {
            id: self.id,
            submitter: self.submitter,
            submitterOrg: self.submitter_org.0,
            content: self
                .content
                .iter()
                .map(|d| Digest {
                    alg: d.alg,
                    value: Bytes::copy_from_slice(d.value.as_slice()),
                })
                .collect(),
            contentLength: self.content_length,
            mediaType: self.media_type.clone(),
            metadataHash: self.metadata_hash,
            prev: self.prev,
            signature: Bytes::copy_from_slice(&self.signature),
            height: self.height,
            blockTime: self.block_time,
            annotations,
        }
    }
}

fn bits(word: U256, shift: usize, width: usize) -> u64 {
    let shifted: U256 = word >> shift;
    let mask = if width >= 64 {
        U256::from(u64::MAX)
    } else {
        U256::from((1u64 << width) - 1)
    };
    u64::try_from(shifted & mask).unwrap_or_default()
}

const PRESENT: u64 = 1;
const SHIFT_V: usize = 8;
const SHIFT_COUNT: usize = 16;
const SHIFT_ALGS: usize = 24;
const SHIFT_LENGTH: usize = 56;
const SHIFT_HEIGHT: usize = 120;
const SHIFT_TIME: usize = 184;

const SUBMITTER: u64 = 1;
const ORG: u64 = 2;
const METADATA: u64 = 3;
const PREV: u64 = 4;
const SIG_R: u64 = 5;
const SIG_S: u64 = 6;
const NOTES: u64 = 7;

fn record_base(id: &B256) -> U256 {
    slot("evidence", id.as_slice())
}

fn indexed(namespace: &str, id: &B256, i: u64) -> U256 {
    slot(namespace, &[id.as_slice(), &i.to_be_bytes()].concat())
}

/// Typed access to the evidence module's storage.
pub struct EvidenceStore<'a, S: Slots> {
    pub s: &'a mut S,
}

impl<S: Slots> EvidenceStore<'_, S> {
    /// How many records were deposited.
    pub fn count(&mut self) -> Result<u64, SlotError> {
        Ok(u64::try_from(self.s.load(slot("evidences", b"count"))?).unwrap_or(0))
    }

    pub fn exists(&mut self, id: &B256) -> Result<bool, SlotError> {
        Ok(!self.s.load(record_base(id))?.is_zero())
    }

    pub fn record(&mut self, id: &B256) -> Result<Option<Record>, SlotError> {
        let base = record_base(id);
        let meta = self.s.load(base)?;
        if meta.is_zero() {
            return Ok(None);
        }
        let count = (bits(meta, SHIFT_COUNT, 8) as usize).min(DIGESTS_MAX);
        let mut content = Vec::with_capacity(count);
        for i in 0..count {
            content.push(ContentDigest {
                alg: bits(meta, SHIFT_ALGS + 8 * i, 8) as u8,
                value: word_to_b256(self.s.load(indexed("evidence.digest", id, i as u64))?),
            });
        }
        let mut signature = [0u8; 65];
        signature[..32].copy_from_slice(&self.s.load(field(base, SIG_R))?.to_be_bytes::<32>());
        signature[32..64].copy_from_slice(&self.s.load(field(base, SIG_S))?.to_be_bytes::<32>());
        signature[64] = bits(meta, SHIFT_V, 8) as u8;
        let media = load_bytes(self.s, slot("evidence.media", id.as_slice()))?;
        Ok(Some(Record {
            id: *id,
            submitter: word_to_address(self.s.load(field(base, SUBMITTER))?),
            submitter_org: OrgId(word_to_b256(self.s.load(field(base, ORG))?)),
            content,
            content_length: bits(meta, SHIFT_LENGTH, 64),
            media_type: String::from_utf8_lossy(&media).into_owned(),
            metadata_hash: word_to_b256(self.s.load(field(base, METADATA))?),
            prev: word_to_b256(self.s.load(field(base, PREV))?),
            signature,
            height: bits(meta, SHIFT_HEIGHT, 64),
            block_time: bits(meta, SHIFT_TIME, 64),
        }))
    }

    /// Writes a new record and counts it. Records are immutable: callers check that the
    /// id is free and that the content has 1 to [`DIGESTS_MAX`] digests.
    pub fn insert(&mut self, record: &Record) -> Result<(), SlotError> {
        let id = &record.id;
        let base = record_base(id);
        let mut meta = U256::from(PRESENT)
            | (U256::from(record.signature[64]) << SHIFT_V)
            | (U256::from(record.content.len().min(DIGESTS_MAX)) << SHIFT_COUNT)
            | (U256::from(record.content_length) << SHIFT_LENGTH)
            | (U256::from(record.height) << SHIFT_HEIGHT)
            | (U256::from(record.block_time) << SHIFT_TIME);
        for (i, digest) in record.content.iter().take(DIGESTS_MAX).enumerate() {
            meta |= U256::from(digest.alg) << (SHIFT_ALGS + 8 * i);
            self.s.store(
                indexed("evidence.digest", id, i as u64),
                b256_to_word(digest.value),
            )?;
        }
        self.s.store(base, meta)?;
        self.s
            .store(field(base, SUBMITTER), address_to_word(record.submitter))?;
        self.s
            .store(field(base, ORG), b256_to_word(record.submitter_org.0))?;
        // Zero is the default: writing it would only cost gas.
        if !record.metadata_hash.is_zero() {
            self.s
                .store(field(base, METADATA), b256_to_word(record.metadata_hash))?;
        }
        if !record.prev.is_zero() {
            self.s.store(field(base, PREV), b256_to_word(record.prev))?;
        }
        self.s.store(
            field(base, SIG_R),
            U256::from_be_slice(&record.signature[..32]),
        )?;
        self.s.store(
            field(base, SIG_S),
            U256::from_be_slice(&record.signature[32..64]),
        )?;
        store_bytes(
            self.s,
            slot("evidence.media", id.as_slice()),
            record.media_type.as_bytes(),
        )?;
        let count = self.count()?;
        self.s
            .store(slot("evidences", b"count"), U256::from(count + 1))
    }

    pub fn annotation_count(&mut self, id: &B256) -> Result<u64, SlotError> {
        Ok(u64::try_from(self.s.load(field(record_base(id), NOTES))?).unwrap_or(u64::MAX))
    }

    /// The annotations of record `id`, oldest first.
    pub fn annotations(&mut self, id: &B256) -> Result<Vec<B256>, SlotError> {
        let len = self.annotation_count(id)?.min(ANNOTATIONS_MAX);
        (0..len)
            .map(|i| {
                Ok(word_to_b256(self.s.load(indexed(
                    "evidence.note",
                    id,
                    i,
                ))?))
            })
            .collect()
    }

    /// Appends an annotation; returns its index.
    pub fn push_annotation(&mut self, id: &B256, note: &B256) -> Result<u64, SlotError> {
        let len = self.annotation_count(id)?;
        self.s
            .store(indexed("evidence.note", id, len), b256_to_word(*note))?;
        self.s
            .store(field(record_base(id), NOTES), U256::from(len + 1))?;
        Ok(len)
    }

    /// The record with its annotations, as the ABI returns it.
    pub fn info(&mut self, id: &B256) -> Result<Option<EvidenceInfo>, SlotError> {
        let Some(record) = self.record(id)? else {
            return Ok(None);
        };
        let annotations = self.annotations(id)?;
        Ok(Some(record.info(annotations)))
    }
}

/// Reads record `id`, with its annotations, from `view` (e.g. the state committed at a
/// height): what the node serves and builds evidence certificates from.
pub fn read_record(view: &dyn StateView, id: &B256) -> Result<Option<EvidenceInfo>, SlotError> {
    let mut slots = ViewSlots {
        view,
        address: crate::EVIDENCE_ADDRESS,
    };
    EvidenceStore { s: &mut slots }.info(id)
}

/// How many records `view` holds.
pub fn read_count(view: &dyn StateView) -> Result<u64, SlotError> {
    let mut slots = ViewSlots {
        view,
        address: crate::EVIDENCE_ADDRESS,
    };
    EvidenceStore { s: &mut slots }.count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        evidence::abi::{ALG_SHA256, ALG_SM3},
        slots::MemorySlots,
    };

    fn sample() -> Record {
        let mut signature = [0u8; 65];
        for (i, b) in signature.iter_mut().enumerate() {
            *b = i as u8 + 1;
        }
        signature[64] = 28;
        Record {
            id: B256::repeat_byte(0x11),
            submitter: Address::repeat_byte(0x22),
            submitter_org: OrgId::from_text("org0").unwrap(),
            content: vec![
                ContentDigest {
                    alg: ALG_SHA256,
                    value: B256::repeat_byte(0x33),
                },
                ContentDigest {
                    alg: ALG_SM3,
                    value: B256::repeat_byte(0x44),
                },
            ],
            content_length: u64::MAX,
            media_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                .into(),
            metadata_hash: B256::repeat_byte(0x55),
            prev: B256::ZERO,
            signature,
            height: u64::MAX - 1,
            block_time: 1_700_000_000,
        }
    }

    #[test]
    fn records_and_annotations_roundtrip() {
        let mut slots = MemorySlots::default();
        let mut store = EvidenceStore { s: &mut slots };
        let record = sample();
        assert!(!store.exists(&record.id).unwrap());
        assert_eq!(store.record(&record.id).unwrap(), None);
        store.insert(&record).unwrap();
        assert!(store.exists(&record.id).unwrap());
        assert_eq!(store.count().unwrap(), 1);
        assert_eq!(store.record(&record.id).unwrap(), Some(record.clone()));

        let mut second = sample();
        second.id = B256::repeat_byte(0x12);
        second.content.truncate(1);
        second.prev = record.id;
        second.metadata_hash = B256::ZERO;
        store.insert(&second).unwrap();
        assert_eq!(store.count().unwrap(), 2);
        assert_eq!(store.record(&second.id).unwrap(), Some(second.clone()));

        assert!(store.annotations(&record.id).unwrap().is_empty());
        for i in 0..3u8 {
            assert_eq!(
                store
                    .push_annotation(&record.id, &B256::repeat_byte(i + 1))
                    .unwrap(),
                i as u64
            );
        }
        let info = store.info(&record.id).unwrap().unwrap();
        assert_eq!(
            info.annotations,
            vec![
                B256::repeat_byte(1),
                B256::repeat_byte(2),
                B256::repeat_byte(3)
            ]
        );
        assert_eq!(&info.signature[..], record.signature.as_slice());
        assert_eq!(&info.content[1].value[..], [0x44u8; 32].as_slice());
        assert!(store.annotations(&second.id).unwrap().is_empty());
    }
}
