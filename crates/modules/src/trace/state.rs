//! The trace module's storage layout, in the module address's slots.
//!
//! | record | base | fields |
//! |---|---|---|
//! | prefix | `slot("prefix", digits)` | owner organisation; `slot("prefix.covered", digits)` is 1 when a longer registered prefix starts with these digits |
//! | product | `slot("product", gtin)` | `+0` brand organisation, `+1` attributes hash, `+2` name (bytes) |
//! | producer authorisation | `slot("maker", gtin ‖ org)` | 1 when allowed |
//! | lot | `slot("lot", lot key)` | `+0` packed (see [`Lot`]), `+1` producer, `+2` ILMD hash, `+3` GTIN, `+4` lot, `+5` recall reason, `+6` recalled at (bits 0–63), number (64–127) |
//! | item | `slot("item", item key)` | `+0` packed (see [`Item`]), `+1` commitment, `+2` custodian, `+3` owner, `+4` recipient, `+5` pallet key, `+6` first verification time, `+7` its cell |
//! | pallet | `slot("pallet", pallet key)` | `+0` packed, `+1` custodian, `+2` recipient, `+3` SSCC; item `i` at `slot("child", key ‖ i)` |
//!
//! Commissioning writes two slots per item (`+0`, `+1`): an item's custodian and owner
//! read as the lot's producer until first changed, and its lot by number. Items packed
//! in a pallet take the pallet's custody, transit and customs state until unpacked, so
//! shipping a pallet writes the pallet only.

use alloy_primitives::{B256, U256, keccak256};

use crate::slots::{
    SlotError, Slots, b256_to_word, field, load_bytes, slot, store_bytes, word_to_b256,
};

pub const ITEM_COMMISSIONED: u8 = 1;
pub const ITEM_IN_TRANSIT: u8 = 2;
pub const ITEM_HELD: u8 = 3;
pub const ITEM_IN_STOCK: u8 = 4;
pub const ITEM_SOLD: u8 = 5;
pub const ITEM_RECALLED: u8 = 6;
pub const ITEM_DECOMMISSIONED: u8 = 7;

pub const CODE_ACTIVE: u8 = 1;
pub const CODE_CONSUMED: u8 = 2;
pub const CODE_REVOKED: u8 = 3;

pub const FLAG_SUSPECT_CLONE: u8 = 1;
pub const FLAG_PROBING: u8 = 2;
pub const FLAG_DIVERSION: u8 = 4;
pub const FLAGS_ALL: u8 = 7;

pub const LOT_ACTIVE: u8 = 1;
pub const LOT_RECALLED: u8 = 2;

pub const PALLET_IN_TRANSIT: u8 = ITEM_IN_TRANSIT;
pub const PALLET_AT_CUSTODIAN: u8 = ITEM_IN_STOCK;

pub const OUTCOME_GENUINE: u8 = 1;
pub const OUTCOME_ALREADY_VERIFIED: u8 = 2;
pub const OUTCOME_INVALID_CODE: u8 = 3;
pub const OUTCOME_REVOKED: u8 = 4;

/// EPCIS business steps (CBV names, plus customs and recall extensions).
pub mod step {
    pub const COMMISSIONING: u8 = 1;
    pub const INSPECTING: u8 = 2;
    pub const PACKING: u8 = 3;
    pub const UNPACKING: u8 = 4;
    pub const SHIPPING: u8 = 5;
    pub const RECEIVING: u8 = 6;
    pub const CUSTOMS_DECLARED: u8 = 7;
    pub const CUSTOMS_CLEARED: u8 = 8;
    pub const RETAIL_SELLING: u8 = 9;
    pub const RECALLING: u8 = 10;
    pub const DECOMMISSIONING: u8 = 11;
    pub const HOLDING: u8 = 12;
}

/// The key of an item.
pub fn item_key(gtin: &str, serial: &str) -> B256 {
    keccak256([b"item:", gtin.as_bytes(), b"/", serial.as_bytes()].concat())
}

/// The key of a lot.
pub fn lot_key(gtin: &str, lot: &str) -> B256 {
    keccak256([b"lot:", gtin.as_bytes(), b"/", lot.as_bytes()].concat())
}

/// The key of a pallet.
pub fn pallet_key(sscc: &str) -> B256 {
    keccak256([b"sscc:", sscc.as_bytes()].concat())
}

/// The commitment to an item's one-time secret.
pub fn auth_commit(gtin: &str, serial: &str, secret: &[u8; 16]) -> B256 {
    keccak256(
        [
            b"AUTH".as_slice(),
            gtin.as_bytes(),
            b"/",
            serial.as_bytes(),
            b"/",
            secret,
        ]
        .concat(),
    )
}

fn bits(word: U256, shift: usize, width: usize) -> u64 {
    let mask = if width >= 64 {
        U256::from(u64::MAX)
    } else {
        U256::from((1u64 << width) - 1)
    };
    u64::try_from((word >> shift) & mask).unwrap_or_default()
}

fn put(word: &mut U256, shift: usize, value: u64) {
    *word |= U256::from(value) << shift;
}

/// Text of at most 32 bytes, left-aligned in a word.
pub fn text_word(text: &str) -> U256 {
    let mut word = [0u8; 32];
    let len = text.len().min(32);
    word[..len].copy_from_slice(&text.as_bytes()[..len]);
    U256::from_be_bytes(word)
}

pub fn word_text(word: U256) -> String {
    let bytes = word.to_be_bytes::<32>();
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(32);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub brand: B256,
    pub attrs: B256,
    pub name: String,
}

/// A lot. `+0`: bits 0–7 present, 8–15 status, 16–23 held, 24–31 cross-border, 32–47
/// origin country, 48–111 produced at, 112–175 last event time, 176–239 items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lot {
    pub key: B256,
    pub status: u8,
    pub held: bool,
    pub cross_border: bool,
    pub origin: [u8; 2],
    pub produced_at: u64,
    pub last_time: u64,
    pub items: u64,
    pub producer: B256,
    pub ilmd: B256,
    pub gtin: String,
    pub lot: String,
    pub recall_reason: B256,
    pub recalled_at: u64,
    pub number: u64,
}

/// An item. `+0`: bits 0–7 present, 8–15 state, 16–23 flags, 24–31 code status, 32–39
/// customs declared, 40–47 cleared, 48–79 verifications, 80–111 wrong secrets, 112–175
/// last event time, 176–239 lot number. Zero custodian/owner: the lot's producer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Item {
    pub key: B256,
    pub state: u8,
    pub flags: u8,
    pub code: u8,
    pub declared: bool,
    pub cleared: bool,
    pub verify_count: u32,
    pub bad_attempts: u32,
    pub last_time: u64,
    pub lot_number: u64,
    pub commit: B256,
    pub custodian: B256,
    pub owner: B256,
    pub recipient: B256,
    pub pallet: B256,
    pub first_at: u64,
    pub first_cell: String,
}

/// A pallet. `+0`: bits 0–7 present, 8–15 state, 16–23 declared, 24–31 cleared, 32–95
/// last event time, 96–127 items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pallet {
    pub key: B256,
    pub state: u8,
    pub declared: bool,
    pub cleared: bool,
    pub last_time: u64,
    pub count: u64,
    pub custodian: B256,
    pub recipient: B256,
    pub sscc: String,
}

/// The trace module's storage.
pub struct TraceStore<'a, S: Slots> {
    pub s: &'a mut S,
}

impl<S: Slots> TraceStore<'_, S> {
    fn b256(&mut self, at: U256) -> Result<B256, SlotError> {
        Ok(word_to_b256(self.s.load(at)?))
    }

    pub fn prefix_owner(&mut self, prefix: &str) -> Result<B256, SlotError> {
        self.b256(slot("prefix", prefix.as_bytes()))
    }

    pub fn set_prefix_owner(&mut self, prefix: &str, org: B256) -> Result<(), SlotError> {
        self.s
            .store(slot("prefix", prefix.as_bytes()), b256_to_word(org))
    }

    /// Whether a registered prefix is longer than `prefix` and starts with it.
    pub fn prefix_covered(&mut self, prefix: &str) -> Result<bool, SlotError> {
        Ok(!self
            .s
            .load(slot("prefix.covered", prefix.as_bytes()))?
            .is_zero())
    }

    pub fn set_prefix_covered(&mut self, prefix: &str) -> Result<(), SlotError> {
        self.s
            .store(slot("prefix.covered", prefix.as_bytes()), U256::from(1u8))
    }

    pub fn product(&mut self, gtin: &str) -> Result<Option<Product>, SlotError> {
        let base = slot("product", gtin.as_bytes());
        let brand = self.b256(base)?;
        if brand == B256::ZERO {
            return Ok(None);
        }
        let attrs = self.b256(field(base, 1))?;
        let name = load_bytes(self.s, field(base, 2))?;
        Ok(Some(Product {
            brand,
            attrs,
            name: String::from_utf8_lossy(&name).into_owned(),
        }))
    }

    pub fn put_product(&mut self, gtin: &str, product: &Product) -> Result<(), SlotError> {
        let base = slot("product", gtin.as_bytes());
        self.s.store(base, b256_to_word(product.brand))?;
        self.s.store(field(base, 1), b256_to_word(product.attrs))?;
        store_bytes(self.s, field(base, 2), product.name.as_bytes())
    }

    fn maker_slot(gtin: &str, org: &B256) -> U256 {
        slot("maker", &[gtin.as_bytes(), org.as_slice()].concat())
    }

    pub fn is_maker(&mut self, gtin: &str, org: &B256) -> Result<bool, SlotError> {
        Ok(!self.s.load(Self::maker_slot(gtin, org))?.is_zero())
    }

    pub fn set_maker(&mut self, gtin: &str, org: &B256, allowed: bool) -> Result<(), SlotError> {
        self.s
            .store(Self::maker_slot(gtin, org), U256::from(u8::from(allowed)))
    }

    pub fn lot(&mut self, key: &B256) -> Result<Option<Lot>, SlotError> {
        let base = slot("lot", key.as_slice());
        let word = self.s.load(base)?;
        if bits(word, 0, 8) == 0 {
            return Ok(None);
        }
        let origin = bits(word, 32, 16) as u16;
        let tail = self.s.load(field(base, 6))?;
        Ok(Some(Lot {
            key: *key,
            status: bits(word, 8, 8) as u8,
            held: bits(word, 16, 8) != 0,
            cross_border: bits(word, 24, 8) != 0,
            origin: origin.to_be_bytes(),
            produced_at: bits(word, 48, 64),
            last_time: bits(word, 112, 64),
            items: bits(word, 176, 64),
            producer: self.b256(field(base, 1))?,
            ilmd: self.b256(field(base, 2))?,
            gtin: word_text(self.s.load(field(base, 3))?),
            lot: word_text(self.s.load(field(base, 4))?),
            recall_reason: self.b256(field(base, 5))?,
            recalled_at: bits(tail, 0, 64),
            number: bits(tail, 64, 64),
        }))
    }

    /// Writes the packed word and, when `all`, every other field.
    pub fn put_lot(&mut self, lot: &Lot, all: bool) -> Result<(), SlotError> {
        let base = slot("lot", lot.key.as_slice());
        let mut word = U256::from(1u8);
        put(&mut word, 8, lot.status.into());
        put(&mut word, 16, lot.held.into());
        put(&mut word, 24, lot.cross_border.into());
        put(&mut word, 32, u16::from_be_bytes(lot.origin).into());
        put(&mut word, 48, lot.produced_at);
        put(&mut word, 112, lot.last_time);
        put(&mut word, 176, lot.items);
        self.s.store(base, word)?;
        if all {
            self.s.store(field(base, 1), b256_to_word(lot.producer))?;
            self.s.store(field(base, 2), b256_to_word(lot.ilmd))?;
            self.s.store(field(base, 3), text_word(&lot.gtin))?;
            self.s.store(field(base, 4), text_word(&lot.lot))?;
            self.s
                .store(field(base, 5), b256_to_word(lot.recall_reason))?;
            let mut tail = U256::from(lot.recalled_at);
            put(&mut tail, 64, lot.number);
            self.s.store(field(base, 6), tail)?;
        }
        Ok(())
    }

    /// Registers a new lot's number; returns it.
    pub fn next_lot_number(&mut self, key: &B256) -> Result<u64, SlotError> {
        let count_slot = slot("lots", b"count");
        let number = u64::try_from(self.s.load(count_slot)?).unwrap_or(u64::MAX);
        self.s
            .store(slot("lotno", &number.to_be_bytes()), b256_to_word(*key))?;
        self.s.store(count_slot, U256::from(number + 1))?;
        Ok(number)
    }

    pub fn lot_by_number(&mut self, number: u64) -> Result<B256, SlotError> {
        self.b256(slot("lotno", &number.to_be_bytes()))
    }

    pub fn item(&mut self, key: &B256) -> Result<Option<Item>, SlotError> {
        let base = slot("item", key.as_slice());
        let word = self.s.load(base)?;
        if bits(word, 0, 8) == 0 {
            return Ok(None);
        }
        Ok(Some(Item {
            key: *key,
            state: bits(word, 8, 8) as u8,
            flags: bits(word, 16, 8) as u8,
            code: bits(word, 24, 8) as u8,
            declared: bits(word, 32, 8) != 0,
            cleared: bits(word, 40, 8) != 0,
            verify_count: bits(word, 48, 32) as u32,
            bad_attempts: bits(word, 80, 32) as u32,
            last_time: bits(word, 112, 64),
            lot_number: bits(word, 176, 64),
            commit: self.b256(field(base, 1))?,
            custodian: self.b256(field(base, 2))?,
            owner: self.b256(field(base, 3))?,
            recipient: self.b256(field(base, 4))?,
            pallet: self.b256(field(base, 5))?,
            first_at: bits(self.s.load(field(base, 6))?, 0, 64),
            first_cell: word_text(self.s.load(field(base, 7))?),
        }))
    }

    /// Whether an item exists (one slot read).
    pub fn item_exists(&mut self, key: &B256) -> Result<bool, SlotError> {
        Ok(bits(self.s.load(slot("item", key.as_slice()))?, 0, 8) != 0)
    }

    /// Writes the packed word of an item.
    pub fn put_item_word(&mut self, item: &Item) -> Result<(), SlotError> {
        let mut word = U256::from(1u8);
        put(&mut word, 8, item.state.into());
        put(&mut word, 16, item.flags.into());
        put(&mut word, 24, item.code.into());
        put(&mut word, 32, item.declared.into());
        put(&mut word, 40, item.cleared.into());
        put(&mut word, 48, item.verify_count.into());
        put(&mut word, 80, item.bad_attempts.into());
        put(&mut word, 112, item.last_time);
        put(&mut word, 176, item.lot_number);
        self.s.store(slot("item", item.key.as_slice()), word)
    }

    /// Writes a new item: its packed word and commitment.
    pub fn put_new_item(&mut self, item: &Item) -> Result<(), SlotError> {
        self.put_item_word(item)?;
        self.s.store(
            field(slot("item", item.key.as_slice()), 1),
            b256_to_word(item.commit),
        )
    }

    /// Writes an item's packed word and its custody fields (custodian, owner, recipient,
    /// pallet), each only if it differs from `before`.
    pub fn put_item(&mut self, before: &Item, item: &Item) -> Result<(), SlotError> {
        if before != item {
            self.put_item_word(item)?;
        }
        let base = slot("item", item.key.as_slice());
        for (i, old, new) in [
            (2, before.custodian, item.custodian),
            (3, before.owner, item.owner),
            (4, before.recipient, item.recipient),
            (5, before.pallet, item.pallet),
        ] {
            if old != new {
                self.s.store(field(base, i), b256_to_word(new))?;
            }
        }
        if before.first_at != item.first_at || before.first_cell != item.first_cell {
            self.s.store(field(base, 6), U256::from(item.first_at))?;
            self.s.store(field(base, 7), text_word(&item.first_cell))?;
        }
        Ok(())
    }

    pub fn pallet(&mut self, key: &B256) -> Result<Option<Pallet>, SlotError> {
        let base = slot("pallet", key.as_slice());
        let word = self.s.load(base)?;
        if bits(word, 0, 8) == 0 {
            return Ok(None);
        }
        Ok(Some(Pallet {
            key: *key,
            state: bits(word, 8, 8) as u8,
            declared: bits(word, 16, 8) != 0,
            cleared: bits(word, 24, 8) != 0,
            last_time: bits(word, 32, 64),
            count: bits(word, 96, 32),
            custodian: self.b256(field(base, 1))?,
            recipient: self.b256(field(base, 2))?,
            sscc: word_text(self.s.load(field(base, 3))?),
        }))
    }

    pub fn put_pallet(&mut self, pallet: &Pallet) -> Result<(), SlotError> {
        let base = slot("pallet", pallet.key.as_slice());
        let mut word = U256::from(1u8);
        put(&mut word, 8, pallet.state.into());
        put(&mut word, 16, pallet.declared.into());
        put(&mut word, 24, pallet.cleared.into());
        put(&mut word, 32, pallet.last_time);
        put(&mut word, 96, pallet.count);
        self.s.store(base, word)?;
        self.s
            .store(field(base, 1), b256_to_word(pallet.custodian))?;
        self.s
            .store(field(base, 2), b256_to_word(pallet.recipient))?;
        self.s.store(field(base, 3), text_word(&pallet.sscc))
    }

    fn child_slot(key: &B256, i: u64) -> U256 {
        slot("child", &[key.as_slice(), &i.to_be_bytes()].concat())
    }

    pub fn child(&mut self, key: &B256, i: u64) -> Result<B256, SlotError> {
        self.b256(Self::child_slot(key, i))
    }

    pub fn set_child(&mut self, key: &B256, i: u64, item: B256) -> Result<(), SlotError> {
        self.s.store(Self::child_slot(key, i), b256_to_word(item))
    }

    pub fn children(&mut self, pallet: &Pallet) -> Result<Vec<B256>, SlotError> {
        (0..pallet.count)
            .map(|i| self.child(&pallet.key, i))
            .collect()
    }
}
