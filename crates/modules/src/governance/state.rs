//! The governance module's storage layout: organisations, accounts and roles,
//! validators, parameters and proposals, in the module address's storage slots.

use alloy_primitives::{Address, B256, U256, keccak256};

use crate::slots::{
    List, SlotError, Slots, address_to_word, b256_to_word, field, load_bytes, slot, store_bytes,
    word_to_address, word_to_b256,
};

/// An organisation id: up to 32 bytes of text, right-padded with zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId(pub B256);

impl OrgId {
    /// `None` when `text` is empty or longer than 32 bytes.
    pub fn from_text(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 32 {
            return None;
        }
        let mut bytes = [0u8; 32];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Self(B256::from(bytes)))
    }

    /// The id as text (trailing zero bytes removed).
    pub fn text(&self) -> String {
        let end = self.0.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        String::from_utf8_lossy(&self.0[..end]).into_owned()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OrgStatus {
    Active = 1,
    Suspended = 2,
    Removed = 3,
}

impl OrgStatus {
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(Self::Active),
            2 => Some(Self::Suspended),
            3 => Some(Self::Removed),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AccountStatus {
    Active = 1,
    Suspended = 2,
}

impl AccountStatus {
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(Self::Active),
            2 => Some(Self::Suspended),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub admin: Address,
    pub status: OrgStatus,
    pub weight: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub org: OrgId,
    pub status: AccountStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorRecord {
    pub key: B256,
    pub org: OrgId,
    pub fee_recipient: Address,
    pub p2p_address: String,
    /// First epoch in which the validator votes.
    pub from_epoch: u64,
    /// First epoch in which it no longer votes; 0 when no removal is scheduled.
    pub until_epoch: u64,
}

impl ValidatorRecord {
    /// Whether it votes in `epoch`.
    pub fn active_in(&self, epoch: u64) -> bool {
        self.from_epoch <= epoch && (self.until_epoch == 0 || epoch < self.until_epoch)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum ProposalKind {
    AddOrg = 1,
    SetOrgStatus = 2,
    AddValidator = 3,
    RemoveValidator = 4,
    AppointRegulator = 5,
    RemoveRegulator = 6,
    SetParam = 7,
}

impl ProposalKind {
    pub fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::AddOrg,
            2 => Self::SetOrgStatus,
            3 => Self::AddValidator,
            4 => Self::RemoveValidator,
            5 => Self::AppointRegulator,
            6 => Self::RemoveRegulator,
            7 => Self::SetParam,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ProposalStatus {
    Open = 1,
    Executed = 2,
    Rejected = 3,
    Expired = 4,
    Revoked = 5,
}

impl ProposalStatus {
    pub fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Open,
            2 => Self::Executed,
            3 => Self::Rejected,
            4 => Self::Expired,
            5 => Self::Revoked,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub id: u64,
    pub kind: ProposalKind,
    pub target: B256,
    pub payload: Vec<u8>,
    pub proposer_org: OrgId,
    pub created_at: u64,
    pub expires_at: u64,
    pub status: ProposalStatus,
    pub agree: u32,
    pub against: u32,
}

/// Named chain parameters kept in the module's state.
pub mod params {
    pub const PERMISSIONED: &str = "permissioned";
    pub const APPROVAL_PCT: &str = "governance.approval_pct";
    pub const PROPOSAL_TTL_BLOCKS: &str = "governance.proposal_ttl_blocks";
    pub const EPOCH_BLOCKS: &str = "consensus.epoch_blocks";
    /// Regulator committee share (percent of regulators) that passes a supervision
    /// proposal; 0 means the default (66).
    pub const SUPERVISION_APPROVAL_PCT: &str = "supervision.approval_pct";
    /// Share that passes a forced transfer; 0 means the default (100).
    pub const SUPERVISION_FORCED_TRANSFER_PCT: &str = "supervision.forced_transfer_pct";
    /// Blocks a supervision proposal stays open; 0 means the default (10,000).
    pub const SUPERVISION_PROPOSAL_TTL_BLOCKS: &str = "supervision.proposal_ttl_blocks";
    /// Blocks an emergency freeze lasts unless ratified; 0 means the default (7,200).
    pub const SUPERVISION_EMERGENCY_TTL_BLOCKS: &str = "supervision.emergency_ttl_blocks";
    /// Active emergency freezes per regulator; 0 means the default (3).
    pub const SUPERVISION_EMERGENCY_QUOTA: &str = "supervision.emergency_quota";
    /// Seconds an event time may run ahead of its block; 0 means the default (300).
    pub const TRACE_MAX_SKEW_SECS: &str = "trace.max_skew_secs";
    /// Wrong secrets an item takes before it is flagged as probed; 0 means the default (5).
    pub const TRACE_PROBING_THRESHOLD: &str = "trace.probing_threshold";
    /// The parameters governance may change.
    pub const MUTABLE: [&str; 10] = [
        PERMISSIONED,
        APPROVAL_PCT,
        PROPOSAL_TTL_BLOCKS,
        SUPERVISION_APPROVAL_PCT,
        SUPERVISION_FORCED_TRANSFER_PCT,
        SUPERVISION_PROPOSAL_TTL_BLOCKS,
        SUPERVISION_EMERGENCY_TTL_BLOCKS,
        SUPERVISION_EMERGENCY_QUOTA,
        TRACE_MAX_SKEW_SECS,
        TRACE_PROBING_THRESHOLD,
    ];
}

/// The role id of a role name.
pub fn role_id(role: &str) -> B256 {
    keccak256(role.as_bytes())
}

/// Bounds on enumerations, so a view can never run away.
pub const LIST_MAX: u64 = 10_000;

const ORGS: List = List { namespace: "orgs" };
const VALIDATORS: List = List {
    namespace: "validators",
};

fn small(word: U256, shift: usize, bits: usize) -> u64 {
    let shifted: U256 = word >> shift;
    let mask = if bits >= 64 {
        U256::from(u64::MAX)
    } else {
        U256::from((1u64 << bits) - 1)
    };
    u64::try_from(shifted & mask).unwrap_or_default()
}

/// Typed access to the governance module's storage.
pub struct GovStore<'a, S: Slots> {
    pub s: &'a mut S,
}

impl<S: Slots> GovStore<'_, S> {
    pub fn param(&mut self, key: &str) -> Result<U256, SlotError> {
        self.s.load(slot("param", key.as_bytes()))
    }

    pub fn set_param(&mut self, key: &str, value: U256) -> Result<(), SlotError> {
        self.s.store(slot("param", key.as_bytes()), value)
    }

    pub fn org(&mut self, id: &OrgId) -> Result<Option<Org>, SlotError> {
        let base = slot("org", id.0.as_slice());
        let word = self.s.load(base)?;
        let Some(status) = OrgStatus::from_u8(small(word, 0, 8) as u8) else {
            return Ok(None);
        };
        let admin = word_to_address(self.s.load(field(base, 1))?);
        let name = load_bytes(self.s, slot("org.name", id.0.as_slice()))?;
        Ok(Some(Org {
            id: *id,
            name: String::from_utf8_lossy(&name).into_owned(),
            admin,
            status,
            weight: small(word, 8, 32) as u32,
        }))
    }

    /// Creates or updates an organisation (new ones are appended to the list).
    pub fn put_org(&mut self, org: &Org) -> Result<(), SlotError> {
        let base = slot("org", org.id.0.as_slice());
        if self.s.load(base)?.is_zero() {
            ORGS.push(self.s, b256_to_word(org.id.0))?;
        }
        let word = U256::from(org.status as u8) | (U256::from(org.weight) << 8);
        self.s.store(base, word)?;
        self.s.store(field(base, 1), address_to_word(org.admin))?;
        store_bytes(
            self.s,
            slot("org.name", org.id.0.as_slice()),
            org.name.as_bytes(),
        )
    }

    pub fn org_ids(&mut self) -> Result<Vec<OrgId>, SlotError> {
        Ok(ORGS
            .all(self.s, LIST_MAX)?
            .into_iter()
            .map(|w| OrgId(word_to_b256(w)))
            .collect())
    }

    pub fn account(&mut self, address: &Address) -> Result<Option<AccountRecord>, SlotError> {
        let base = slot("account", address.as_slice());
        let word = self.s.load(base)?;
        let Some(status) = AccountStatus::from_u8(small(word, 0, 8) as u8) else {
            return Ok(None);
        };
        Ok(Some(AccountRecord {
            org: OrgId(word_to_b256(self.s.load(field(base, 1))?)),
            status,
        }))
    }

    pub fn put_account(
        &mut self,
        address: &Address,
        record: &AccountRecord,
    ) -> Result<(), SlotError> {
        let base = slot("account", address.as_slice());
        self.s.store(base, U256::from(record.status as u8))?;
        self.s.store(field(base, 1), b256_to_word(record.org.0))
    }

    fn role_key(address: &Address, role: &B256) -> Vec<u8> {
        [address.as_slice(), role.as_slice()].concat()
    }

    pub fn has_role(&mut self, address: &Address, role: &str) -> Result<bool, SlotError> {
        let index = self
            .s
            .load(slot("role", &Self::role_key(address, &role_id(role))))?;
        Ok(!index.is_zero())
    }

    /// The roles of `address`, in the order granted (removals move the last one up).
    pub fn roles(&mut self, address: &Address) -> Result<Vec<String>, SlotError> {
        let len_slot = slot("roles.len", address.as_slice());
        let len = u64::try_from(self.s.load(len_slot)?)
            .unwrap_or(0)
            .min(LIST_MAX);
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            let id = word_to_b256(self.s.load(slot(
                "roles.item",
                &[address.as_slice(), &i.to_be_bytes()].concat(),
            ))?);
            let name = load_bytes(self.s, slot("role.name", id.as_slice()))?;
            out.push(String::from_utf8_lossy(&name).into_owned());
        }
        Ok(out)
    }

    /// Grants `role`; returns false if the account already had it.
    pub fn grant_role(&mut self, address: &Address, role: &str) -> Result<bool, SlotError> {
        let id = role_id(role);
        let index_slot = slot("role", &Self::role_key(address, &id));
        if !self.s.load(index_slot)?.is_zero() {
            return Ok(false);
        }
        let len_slot = slot("roles.len", address.as_slice());
        let len = u64::try_from(self.s.load(len_slot)?).unwrap_or(0);
        self.s.store(
            slot(
                "roles.item",
                &[address.as_slice(), &len.to_be_bytes()].concat(),
            ),
            b256_to_word(id),
        )?;
        self.s.store(len_slot, U256::from(len + 1))?;
        self.s.store(index_slot, U256::from(len + 1))?;
        let count_slot = slot("role.count", id.as_slice());
        let count = self.s.load(count_slot)?;
        self.s.store(count_slot, count + U256::from(1))?;
        let name_slot = slot("role.name", id.as_slice());
        if self.s.load(name_slot)?.is_zero() {
            store_bytes(self.s, name_slot, role.as_bytes())?;
        }
        Ok(true)
    }

    /// Revokes `role`; returns false if the account did not have it.
    pub fn revoke_role(&mut self, address: &Address, role: &str) -> Result<bool, SlotError> {
        let id = role_id(role);
        let index_slot = slot("role", &Self::role_key(address, &id));
        let index = u64::try_from(self.s.load(index_slot)?).unwrap_or(0);
        if index == 0 {
            return Ok(false);
        }
        let len_slot = slot("roles.len", address.as_slice());
        let len = u64::try_from(self.s.load(len_slot)?).unwrap_or(0);
        let last_slot = slot(
            "roles.item",
            &[address.as_slice(), &(len - 1).to_be_bytes()].concat(),
        );
        let hole_slot = slot(
            "roles.item",
            &[address.as_slice(), &(index - 1).to_be_bytes()].concat(),
        );
        if index != len {
            let last = self.s.load(last_slot)?;
            self.s.store(hole_slot, last)?;
            self.s.store(
                slot("role", &Self::role_key(address, &word_to_b256(last))),
                U256::from(index),
            )?;
        }
        self.s.store(last_slot, U256::ZERO)?;
        self.s.store(len_slot, U256::from(len - 1))?;
        self.s.store(index_slot, U256::ZERO)?;
        let count_slot = slot("role.count", id.as_slice());
        let count = self.s.load(count_slot)?;
        self.s
            .store(count_slot, count.saturating_sub(U256::from(1)))?;
        Ok(true)
    }

    /// How many accounts hold `role` (e.g. the size of the regulator committee).
    pub fn role_count(&mut self, role: &str) -> Result<u64, SlotError> {
        let count = self.s.load(slot("role.count", role_id(role).as_slice()))?;
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }

    pub fn validator(&mut self, key: &B256) -> Result<Option<ValidatorRecord>, SlotError> {
        let base = slot("validator", key.as_slice());
        let flags = self.s.load(field(base, 3))?;
        if flags.is_zero() {
            return Ok(None);
        }
        let epochs = self.s.load(field(base, 2))?;
        let p2p = load_bytes(self.s, slot("validator.p2p", key.as_slice()))?;
        Ok(Some(ValidatorRecord {
            key: *key,
            org: OrgId(word_to_b256(self.s.load(base)?)),
            fee_recipient: word_to_address(self.s.load(field(base, 1))?),
            p2p_address: String::from_utf8_lossy(&p2p).into_owned(),
            from_epoch: small(epochs, 0, 64),
            until_epoch: small(epochs, 64, 64),
        }))
    }

    pub fn put_validator(&mut self, record: &ValidatorRecord) -> Result<(), SlotError> {
        let base = slot("validator", record.key.as_slice());
        if self.s.load(field(base, 3))?.is_zero() {
            VALIDATORS.push(self.s, b256_to_word(record.key))?;
        }
        self.s.store(base, b256_to_word(record.org.0))?;
        self.s
            .store(field(base, 1), address_to_word(record.fee_recipient))?;
        let epochs = U256::from(record.from_epoch) | (U256::from(record.until_epoch) << 64);
        self.s.store(field(base, 2), epochs)?;
        self.s.store(field(base, 3), U256::from(1))?;
        store_bytes(
            self.s,
            slot("validator.p2p", record.key.as_slice()),
            record.p2p_address.as_bytes(),
        )
    }

    pub fn validators(&mut self) -> Result<Vec<ValidatorRecord>, SlotError> {
        let keys = VALIDATORS.all(self.s, LIST_MAX)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(record) = self.validator(&word_to_b256(key))? {
                out.push(record);
            }
        }
        Ok(out)
    }

    pub fn proposal_count(&mut self) -> Result<u64, SlotError> {
        Ok(u64::try_from(self.s.load(slot("proposals", b"count"))?).unwrap_or(0))
    }

    pub fn proposal(&mut self, id: u64) -> Result<Option<Proposal>, SlotError> {
        let base = slot("proposal", &id.to_be_bytes());
        let word = self.s.load(base)?;
        let (Some(kind), Some(status)) = (
            ProposalKind::from_u8(small(word, 0, 8) as u8),
            ProposalStatus::from_u8(small(word, 8, 8) as u8),
        ) else {
            return Ok(None);
        };
        let heights = self.s.load(field(base, 3))?;
        Ok(Some(Proposal {
            id,
            kind,
            status,
            agree: small(word, 16, 32) as u32,
            against: small(word, 48, 32) as u32,
            target: word_to_b256(self.s.load(field(base, 1))?),
            proposer_org: OrgId(word_to_b256(self.s.load(field(base, 2))?)),
            created_at: small(heights, 0, 64),
            expires_at: small(heights, 64, 64),
            payload: load_bytes(self.s, slot("proposal.payload", &id.to_be_bytes()))?,
        }))
    }

    /// Writes a proposal; a new id must be the next one.
    pub fn put_proposal(&mut self, proposal: &Proposal) -> Result<(), SlotError> {
        let count = self.proposal_count()?;
        if proposal.id >= count {
            self.s
                .store(slot("proposals", b"count"), U256::from(proposal.id + 1))?;
            store_bytes(
                self.s,
                slot("proposal.payload", &proposal.id.to_be_bytes()),
                &proposal.payload,
            )?;
            let base = slot("proposal", &proposal.id.to_be_bytes());
            self.s
                .store(field(base, 1), b256_to_word(proposal.target))?;
            self.s
                .store(field(base, 2), b256_to_word(proposal.proposer_org.0))?;
            let heights = U256::from(proposal.created_at) | (U256::from(proposal.expires_at) << 64);
            self.s.store(field(base, 3), heights)?;
        }
        let base = slot("proposal", &proposal.id.to_be_bytes());
        let word = U256::from(proposal.kind as u8)
            | (U256::from(proposal.status as u8) << 8)
            | (U256::from(proposal.agree) << 16)
            | (U256::from(proposal.against) << 48);
        self.s.store(base, word)
    }

    fn open_slot(kind: ProposalKind, target: &B256) -> U256 {
        slot(
            "proposal.open",
            &[&[kind as u8][..], target.as_slice()].concat(),
        )
    }

    /// The open proposal for (kind, target), if any.
    pub fn open_proposal(
        &mut self,
        kind: ProposalKind,
        target: &B256,
    ) -> Result<Option<u64>, SlotError> {
        let value = u64::try_from(self.s.load(Self::open_slot(kind, target))?).unwrap_or(0);
        Ok(value.checked_sub(1))
    }

    pub fn set_open_proposal(
        &mut self,
        kind: ProposalKind,
        target: &B256,
        id: Option<u64>,
    ) -> Result<(), SlotError> {
        let value = id.map_or(U256::ZERO, |id| U256::from(id + 1));
        self.s.store(Self::open_slot(kind, target), value)
    }

    /// The vote of `org` on proposal `id`: `Some(true)` agree, `Some(false)` against.
    pub fn vote(&mut self, id: u64, org: &OrgId) -> Result<Option<bool>, SlotError> {
        let word = self.s.load(slot(
            "vote",
            &[&id.to_be_bytes()[..], org.0.as_slice()].concat(),
        ))?;
        Ok(match u8::try_from(word).unwrap_or(0) {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        })
    }

    pub fn set_vote(&mut self, id: u64, org: &OrgId, agree: bool) -> Result<(), SlotError> {
        let value = if agree { 1u8 } else { 2 };
        self.s.store(
            slot("vote", &[&id.to_be_bytes()[..], org.0.as_slice()].concat()),
            U256::from(value),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slots::MemorySlots;

    #[test]
    fn records_roundtrip() {
        let mut slots = MemorySlots::default();
        let mut store = GovStore { s: &mut slots };
        let org = Org {
            id: OrgId::from_text("acme").unwrap(),
            name: "Acme Logistics".into(),
            admin: Address::repeat_byte(1),
            status: OrgStatus::Active,
            weight: 3,
        };
        store.put_org(&org).unwrap();
        assert_eq!(store.org(&org.id).unwrap(), Some(org.clone()));
        assert_eq!(store.org_ids().unwrap(), vec![org.id]);
        assert_eq!(org.id.text(), "acme");

        let validator = ValidatorRecord {
            key: B256::repeat_byte(9),
            org: org.id,
            fee_recipient: Address::repeat_byte(2),
            p2p_address: "127.0.0.1:30304".into(),
            from_epoch: 3,
            until_epoch: 7,
        };
        store.put_validator(&validator).unwrap();
        assert_eq!(store.validators().unwrap(), vec![validator.clone()]);
        assert!(validator.active_in(3) && validator.active_in(6));
        assert!(!validator.active_in(2) && !validator.active_in(7));

        let who = Address::repeat_byte(5);
        for role in ["admin", "deployer", "carrier"] {
            assert!(store.grant_role(&who, role).unwrap());
        }
        assert!(!store.grant_role(&who, "admin").unwrap());
        assert!(store.revoke_role(&who, "admin").unwrap());
        assert!(!store.revoke_role(&who, "admin").unwrap());
        assert_eq!(store.roles(&who).unwrap(), vec!["carrier", "deployer"]);
        assert!(store.has_role(&who, "carrier").unwrap());
        assert!(!store.has_role(&who, "admin").unwrap());
        assert!(store.revoke_role(&who, "carrier").unwrap());
        assert_eq!(store.roles(&who).unwrap(), vec!["deployer"]);
        assert!(store.has_role(&who, "deployer").unwrap());
    }

    #[test]
    fn proposals_roundtrip() {
        let mut slots = MemorySlots::default();
        let mut store = GovStore { s: &mut slots };
        let mut proposal = Proposal {
            id: 0,
            kind: ProposalKind::SetParam,
            target: B256::repeat_byte(4),
            payload: vec![1, 2, 3],
            proposer_org: OrgId::from_text("org0").unwrap(),
            created_at: 10,
            expires_at: 110,
            status: ProposalStatus::Open,
            agree: 2,
            against: 1,
        };
        store.put_proposal(&proposal).unwrap();
        assert_eq!(store.proposal_count().unwrap(), 1);
        assert_eq!(store.proposal(0).unwrap(), Some(proposal.clone()));
        proposal.status = ProposalStatus::Executed;
        proposal.agree = 5;
        store.put_proposal(&proposal).unwrap();
        assert_eq!(store.proposal(0).unwrap(), Some(proposal.clone()));
        assert_eq!(store.proposal(1).unwrap(), None);
        let org = OrgId::from_text("org1").unwrap();
        assert_eq!(store.vote(0, &org).unwrap(), None);
        store.set_vote(0, &org, false).unwrap();
        assert_eq!(store.vote(0, &org).unwrap(), Some(false));
        store
            .set_open_proposal(proposal.kind, &proposal.target, Some(0))
            .unwrap();
        assert_eq!(
            store
                .open_proposal(proposal.kind, &proposal.target)
                .unwrap(),
            Some(0)
        );
    }
}
