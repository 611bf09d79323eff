//! The supervision module's storage layout, in the module address's slots.
//!
//! A freeze spec at `base + off` (orders: `off` 4, proposals: `off` 5):
//!
//! | slot | content |
//! |---|---|
//! | `+0` | bits 0–7 kind, 8–15 direction, 16–31 reason, 64–127 `expiresAt`, 128–159 selector |
//! | `+1` … `+5` | target, asset, amount, legal basis, case reference |
//!
//! Order `id` at `slot("order", id)`: `+0` bits 0–7 `1` (present), 8–15 emergency,
//! 16–23 status; `+1` activated at (bits 0–63), closed at (64–127), proposal (128–191);
//! `+2` issuer; `+3` units consumed by forced transfers; then its spec. Proposal `id` at
//! `slot("proposal", id)`: `+0` present, kind (8–15), status (16–23), agree (32–63),
//! against (64–95); `+1` order (0–63), created at (64–127), expires at (128–191), new
//! expiry (192–255); `+2` proposer; `+3` escrow; `+4` amount; then its spec.
//!
//! Indexes: the orders of a target key (`slot("target.len", key)`,
//! `slot("target.item", key ‖ i)`), the emergency orders of a regulator (same shape,
//! `emergency.*`), votes at `slot("vote", id ‖ member)` (1 agree, 2 against), the open
//! proposal of a (kind, subject) at `slot("open", key)`, and the counts at
//! `slot("orders", "count")` and `slot("proposals", "count")`.

use alloy_primitives::{Address, B256, FixedBytes, U256, keccak256};

use super::abi::{FreezeSpec, Order, Proposal};
use crate::slots::{
    SlotError, Slots, address_to_word, b256_to_word, field, slot, word_to_address, word_to_b256,
};

pub const KIND_ACCOUNT: u8 = 1;
pub const KIND_CONTRACT: u8 = 2;
pub const KIND_METHOD: u8 = 3;
pub const KIND_HOLDING: u8 = 4;
pub const KIND_PENDING_TX: u8 = 5;

pub const DIR_OUTBOUND: u8 = 1;
pub const DIR_INBOUND: u8 = 2;
pub const DIR_BOTH: u8 = 3;

pub const STATUS_ACTIVE: u8 = 1;
pub const STATUS_LIFTED: u8 = 2;
pub const STATUS_RATIFIED: u8 = 3;
/// Lapsed at `expiresAt`, recorded when a later call on its target or issuer swept it.
pub const STATUS_EXPIRED: u8 = 4;

pub const PROPOSAL_FREEZE: u8 = 1;
pub const PROPOSAL_LIFT: u8 = 2;
pub const PROPOSAL_RATIFY: u8 = 3;
pub const PROPOSAL_FORCED_TRANSFER: u8 = 4;

pub const PROPOSAL_OPEN: u8 = 1;
pub const PROPOSAL_EXECUTED: u8 = 2;
pub const PROPOSAL_EXPIRED: u8 = 3;

/// Most orders kept per target key and emergency orders per regulator: the per-frame
/// check reads at most this many.
pub const ORDERS_PER_TARGET_MAX: u64 = 64;

fn bits(word: U256, shift: usize, width: usize) -> u64 {
    let mask = if width >= 64 {
        U256::from(u64::MAX)
    } else {
        U256::from((1u64 << width) - 1)
    };
    u64::try_from((word >> shift) & mask).unwrap_or_default()
}

fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// The index key of what a spec freezes: the address, the transaction hash, or for a
/// holding [`holding_key`].
pub fn target_key(spec: &FreezeSpec) -> B256 {
    if spec.kind == KIND_HOLDING {
        holding_key(&spec.asset, &target_address(&spec.target))
    } else {
        spec.target
    }
}

/// The key of `holder`'s holding of `asset`.
pub fn holding_key(asset: &Address, holder: &Address) -> B256 {
    keccak256([b"holding".as_slice(), asset.as_slice(), holder.as_slice()].concat())
}

/// The address in a left-padded `bytes32`.
pub fn target_address(target: &B256) -> Address {
    Address::from_slice(&target[12..])
}

/// An address as a `bytes32` target.
pub fn address_target(address: &Address) -> B256 {
    address.into_word()
}

/// An order as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: u64,
    pub spec: FreezeSpec,
    pub emergency: bool,
    pub status: u8,
    pub activated_at: u64,
    pub closed_at: u64,
    pub proposal_id: u64,
    pub issued_by: Address,
    pub consumed: U256,
}

impl OrderRecord {
    /// Whether the order is in force at `height` (lazily expired; a holding order whose
    /// frozen units all went to escrow is closed when that happens).
    pub fn is_active(&self, height: u64) -> bool {
        self.status == STATUS_ACTIVE && (self.spec.expiresAt == 0 || height < self.spec.expiresAt)
    }

    pub fn abi(&self, height: u64) -> Order {
        Order {
            id: self.id,
            spec: self.spec.clone(),
            emergency: self.emergency,
            issuedBy: self.issued_by,
            proposalId: self.proposal_id,
            activatedAt: self.activated_at,
            status: self.status,
            closedAt: self.closed_at,
            consumed: self.consumed,
            active: self.is_active(height),
        }
    }
}

/// A proposal as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalRecord {
    pub id: u64,
    pub kind: u8,
    pub status: u8,
    pub agree: u32,
    pub against: u32,
    pub order_id: u64,
    pub created_at: u64,
    pub expires_at: u64,
    pub new_expires_at: u64,
    pub proposer: Address,
    pub escrow: Address,
    pub amount: U256,
    pub spec: FreezeSpec,
}

impl ProposalRecord {
    pub fn abi(&self, height: u64, members: u64) -> Proposal {
        let status = if self.status == PROPOSAL_OPEN && height >= self.expires_at {
            PROPOSAL_EXPIRED
        } else {
            self.status
        };
        Proposal {
            id: self.id,
            kind: self.kind,
            orderId: self.order_id,
            spec: self.spec.clone(),
            escrow: self.escrow,
            amount: self.amount,
            newExpiresAt: self.new_expires_at,
            proposer: self.proposer,
            createdAt: self.created_at,
            expiresAt: self.expires_at,
            status,
            agree: self.agree,
            against: self.against,
            members: u32::try_from(members).unwrap_or(u32::MAX),
        }
    }
}

/// The supervision module's storage.
pub struct SupStore<'a, S: Slots> {
    pub s: &'a mut S,
}

impl<S: Slots> SupStore<'_, S> {
    fn load_spec(&mut self, at: U256) -> Result<FreezeSpec, SlotError> {
        let head = self.s.load(at)?;
        Ok(FreezeSpec {
            kind: bits(head, 0, 8) as u8,
            direction: bits(head, 8, 8) as u8,
            reason: bits(head, 16, 16) as u16,
            expiresAt: bits(head, 64, 64),
            selector: FixedBytes((bits(head, 128, 32) as u32).to_be_bytes()),
            target: word_to_b256(self.s.load(field(at, 1))?),
            asset: word_to_address(self.s.load(field(at, 2))?),
            amount: self.s.load(field(at, 3))?,
            legalBasis: word_to_b256(self.s.load(field(at, 4))?),
            caseRef: word_to_b256(self.s.load(field(at, 5))?),
        })
    }

    fn store_spec(&mut self, at: U256, spec: &FreezeSpec) -> Result<(), SlotError> {
        let head = U256::from(spec.kind)
            | (U256::from(spec.direction) << 8)
            | (U256::from(spec.reason) << 16)
            | (U256::from(spec.expiresAt) << 64)
            | (U256::from(u32::from_be_bytes(spec.selector.0)) << 128);
        self.s.store(at, head)?;
        self.s.store(field(at, 1), b256_to_word(spec.target))?;
        self.s.store(field(at, 2), address_to_word(spec.asset))?;
        self.s.store(field(at, 3), spec.amount)?;
        self.s.store(field(at, 4), b256_to_word(spec.legalBasis))?;
        self.s.store(field(at, 5), b256_to_word(spec.caseRef))
    }

    pub fn order_count(&mut self) -> Result<u64, SlotError> {
        Ok(self.s.load(slot("orders", b"count"))?.saturating_to())
    }

    pub fn order(&mut self, id: u64) -> Result<Option<OrderRecord>, SlotError> {
        let base = slot("order", &id_key(id));
        let head = self.s.load(base)?;
        if bits(head, 0, 8) != 1 {
            return Ok(None);
        }
        let times = self.s.load(field(base, 1))?;
        Ok(Some(OrderRecord {
            id,
            emergency: bits(head, 8, 8) == 1,
            status: bits(head, 16, 8) as u8,
            activated_at: bits(times, 0, 64),
            closed_at: bits(times, 64, 64),
            proposal_id: bits(times, 128, 64),
            issued_by: word_to_address(self.s.load(field(base, 2))?),
            consumed: self.s.load(field(base, 3))?,
            spec: self.load_spec(field(base, 4))?,
        }))
    }

    pub fn put_order(&mut self, order: &OrderRecord) -> Result<(), SlotError> {
        let base = slot("order", &id_key(order.id));
        self.s.store(
            base,
            U256::from(1u8)
                | (U256::from(order.emergency as u8) << 8)
                | (U256::from(order.status) << 16),
        )?;
        self.s.store(
            field(base, 1),
            U256::from(order.activated_at)
                | (U256::from(order.closed_at) << 64)
                | (U256::from(order.proposal_id) << 128),
        )?;
        self.s
            .store(field(base, 2), address_to_word(order.issued_by))?;
        self.s.store(field(base, 3), order.consumed)?;
        self.store_spec(field(base, 4), &order.spec)
    }

    /// Stores `order` as the next order and indexes it; returns its id.
    pub fn create_order(&mut self, mut order: OrderRecord) -> Result<u64, SlotError> {
        let id = self.order_count()? + 1;
        order.id = id;
        self.put_order(&order)?;
        self.s.store(slot("orders", b"count"), U256::from(id))?;
        self.push("target", &target_key(&order.spec), id)?;
        if order.emergency {
            self.push("emergency", &address_target(&order.issued_by), id)?;
        }
        Ok(id)
    }

    fn push(&mut self, index: &str, key: &B256, id: u64) -> Result<(), SlotError> {
        let len_slot = slot(&format!("{index}.len"), key.as_slice());
        let len: u64 = self.s.load(len_slot)?.saturating_to();
        self.s.store(
            slot(
                &format!("{index}.item"),
                &[key.as_slice(), &id_key(len)].concat(),
            ),
            U256::from(id),
        )?;
        self.s.store(len_slot, U256::from(len + 1))
    }

    fn list(&mut self, index: &str, key: &B256) -> Result<Vec<u64>, SlotError> {
        let len: u64 = self
            .s
            .load(slot(&format!("{index}.len"), key.as_slice()))?
            .saturating_to();
        (0..len.min(ORDERS_PER_TARGET_MAX))
            .map(|i| {
                let item = slot(
                    &format!("{index}.item"),
                    &[key.as_slice(), &id_key(i)].concat(),
                );
                Ok(self.s.load(item)?.saturating_to())
            })
            .collect()
    }

    /// How many orders a target key has had (so a full index can be refused).
    pub fn orders_len(&mut self, key: &B256) -> Result<u64, SlotError> {
        Ok(self
            .s
            .load(slot("target.len", key.as_slice()))?
            .saturating_to())
    }

    /// The ids of the orders made on `key`, oldest first.
    pub fn orders_of(&mut self, key: &B256) -> Result<Vec<u64>, SlotError> {
        self.list("target", key)
    }

    /// The orders on `key` active at `height`.
    pub fn active_orders(
        &mut self,
        key: &B256,
        height: u64,
    ) -> Result<Vec<OrderRecord>, SlotError> {
        let mut out = Vec::new();
        if self.orders_len(key)? == 0 {
            return Ok(out);
        }
        for id in self.orders_of(key)? {
            if let Some(order) = self.order(id)?
                && order.is_active(height)
            {
                out.push(order);
            }
        }
        Ok(out)
    }

    /// The emergency orders `member` issued.
    pub fn emergency_orders_of(&mut self, member: &Address) -> Result<Vec<u64>, SlotError> {
        self.list("emergency", &address_target(member))
    }

    pub fn emergency_len(&mut self, member: &Address) -> Result<u64, SlotError> {
        Ok(self
            .s
            .load(slot("emergency.len", address_target(member).as_slice()))?
            .saturating_to())
    }

    pub fn proposal_count(&mut self) -> Result<u64, SlotError> {
        Ok(self.s.load(slot("proposals", b"count"))?.saturating_to())
    }

    pub fn proposal(&mut self, id: u64) -> Result<Option<ProposalRecord>, SlotError> {
        let base = slot("proposal", &id_key(id));
        let head = self.s.load(base)?;
        if bits(head, 0, 8) != 1 {
            return Ok(None);
        }
        let times = self.s.load(field(base, 1))?;
        Ok(Some(ProposalRecord {
            id,
            kind: bits(head, 8, 8) as u8,
            status: bits(head, 16, 8) as u8,
            agree: bits(head, 32, 32) as u32,
            against: bits(head, 64, 32) as u32,
            order_id: bits(times, 0, 64),
            created_at: bits(times, 64, 64),
            expires_at: bits(times, 128, 64),
            new_expires_at: bits(times, 192, 64),
            proposer: word_to_address(self.s.load(field(base, 2))?),
            escrow: word_to_address(self.s.load(field(base, 3))?),
            amount: self.s.load(field(base, 4))?,
            spec: self.load_spec(field(base, 5))?,
        }))
    }

    pub fn put_proposal(&mut self, p: &ProposalRecord) -> Result<(), SlotError> {
        let base = slot("proposal", &id_key(p.id));
        self.s.store(
            base,
            U256::from(1u8)
                | (U256::from(p.kind) << 8)
                | (U256::from(p.status) << 16)
                | (U256::from(p.agree) << 32)
                | (U256::from(p.against) << 64),
        )?;
        self.s.store(
            field(base, 1),
            U256::from(p.order_id)
                | (U256::from(p.created_at) << 64)
                | (U256::from(p.expires_at) << 128)
                | (U256::from(p.new_expires_at) << 192),
        )?;
        self.s.store(field(base, 2), address_to_word(p.proposer))?;
        self.s.store(field(base, 3), address_to_word(p.escrow))?;
        self.s.store(field(base, 4), p.amount)?;
        self.store_spec(field(base, 5), &p.spec)
    }

    /// Stores `p` as the next proposal; returns its id.
    pub fn create_proposal(&mut self, mut p: ProposalRecord) -> Result<u64, SlotError> {
        let id = self.proposal_count()? + 1;
        p.id = id;
        self.put_proposal(&p)?;
        self.s.store(slot("proposals", b"count"), U256::from(id))?;
        Ok(id)
    }

    pub fn vote_of(&mut self, id: u64, member: &Address) -> Result<u8, SlotError> {
        let key = [id_key(id).as_slice(), member.as_slice()].concat();
        Ok(bits(self.s.load(slot("vote", &key))?, 0, 8) as u8)
    }

    pub fn set_vote(&mut self, id: u64, member: &Address, agree: bool) -> Result<(), SlotError> {
        let key = [id_key(id).as_slice(), member.as_slice()].concat();
        self.s
            .store(slot("vote", &key), U256::from(if agree { 1u8 } else { 2 }))
    }

    /// The proposal last opened for `key` (0: none).
    pub fn open_proposal(&mut self, key: &B256) -> Result<u64, SlotError> {
        Ok(self.s.load(slot("open", key.as_slice()))?.saturating_to())
    }

    pub fn set_open_proposal(&mut self, key: &B256, id: u64) -> Result<(), SlotError> {
        self.s.store(slot("open", key.as_slice()), U256::from(id))
    }
}
