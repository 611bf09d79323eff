//! The supervision rules: who may propose, vote and freeze, what may be frozen, how
//! orders activate, stack, lapse, are ratified and lifted, and how a frozen holding is
//! moved to escrow. Every step emits an event; every refusal is a typed error.
//!
//! The committee is every account holding the system role `regulator` (appointed and
//! removed by governance proposals), one vote each. A proposal passes when
//! `100 · agree ≥ pct · members` (`supervision.approval_pct`, default 66; forced
//! transfers `supervision.forced_transfer_pct`, default 100); the proposer's own vote
//! counts, and the proposal executes in the call whose vote reaches the threshold.

use alloy_primitives::{Address, B256, LogData, U256, keccak256};
use alloy_sol_types::SolEvent as _;

use super::{
    abi::{FreezeSpec, ISupervision},
    state::*,
};
use crate::{
    MODULE_ADDRESSES,
    assets::{self, abi::IAsset},
    governance::{
        logic::ROLE_REGULATOR,
        state::{GovStore, params},
    },
    slots::{SlotError, Slots},
};

/// The role of accounts that may receive forced transfers (granted by org admins).
pub const ROLE_ESCROW: &str = "escrow";

/// The parameters' values while governance has not set them.
pub const DEFAULT_APPROVAL_PCT: u64 = 66;
pub const DEFAULT_FORCED_TRANSFER_PCT: u64 = 100;
pub const DEFAULT_PROPOSAL_TTL: u64 = 10_000;
pub const DEFAULT_EMERGENCY_TTL: u64 = 7_200;
pub const DEFAULT_EMERGENCY_QUOTA: u64 = 3;

/// Why a supervision call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SupError {
    #[error("{caller} is not authorised: {reason}")]
    Unauthorized { caller: Address, reason: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("an order needs the hash of its legal basis")]
    MissingLegalBasis,
    #[error("{target} cannot be frozen: {reason}")]
    TargetNotFreezable { target: B256, reason: String },
    #[error("{member} already voted on proposal {id}")]
    AlreadyVoted { id: u64, member: Address },
    #[error("proposal {0} has expired")]
    ProposalExpired(u64),
    #[error("proposal {id} is not open (status {status})")]
    ProposalNotOpen { id: u64, status: u8 },
    #[error("proposal {0} is already open for this")]
    ProposalAlreadyOpen(u64),
    #[error("{member} has {active} active emergency orders, the quota")]
    EmergencyQuotaExceeded { member: Address, active: u64 },
    #[error("order {id} is not active (status {status})")]
    InvalidState { id: u64, status: u8 },
    #[error("order {0} is already an ordinary order")]
    AlreadyOrdinary(u64),
    #[error("no active holding order covers {holder}'s {asset}")]
    NoCoveringOrder { asset: Address, holder: Address },
    #[error("transaction {0} is already in the chain (its nonce is used)")]
    TxAlreadyCommitted(B256),
    #[error(transparent)]
    Slot(#[from] SlotError),
}

/// Who calls, and at which height.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub address: Address,
    pub height: u64,
}

/// Events produced by a call, emitted by the precompile if the call succeeds.
pub type Events = Vec<LogData>;

/// Logs to emit from another module's address (an asset's `Transfer`).
pub type ForeignEvents = Vec<(Address, LogData)>;

fn invalid(reason: impl Into<String>) -> SupError {
    SupError::InvalidInput(reason.into())
}

fn param<G: Slots>(gov: &mut GovStore<'_, G>, key: &str, default: u64) -> Result<u64, SupError> {
    let value = gov.param(key)?;
    Ok(if value.is_zero() {
        default
    } else {
        value.saturating_to()
    })
}

/// Why `address` may never be frozen, if it may not.
fn not_freezable<G: Slots>(
    gov: &mut GovStore<'_, G>,
    address: &Address,
) -> Result<Option<&'static str>, SupError> {
    if MODULE_ADDRESSES.contains(address) {
        return Ok(Some("a system module"));
    }
    if gov.has_role(address, ROLE_REGULATOR)? {
        return Ok(Some("a member of the regulator committee"));
    }
    if gov.has_role(address, ROLE_ESCROW)? {
        return Ok(Some("an escrow account"));
    }
    if gov
        .validators()?
        .iter()
        .any(|v| v.fee_recipient == *address && v.until_epoch == 0)
    {
        return Ok(Some("a validator's account"));
    }
    Ok(None)
}

/// Checks a spec and normalises its direction (both, where it does not apply).
fn check_spec<G: Slots>(
    gov: &mut GovStore<'_, G>,
    spec: &FreezeSpec,
    height: u64,
) -> Result<FreezeSpec, SupError> {
    let mut spec = spec.clone();
    if !(KIND_ACCOUNT..=KIND_PENDING_TX).contains(&spec.kind) {
        return Err(invalid(format!("unknown target kind {}", spec.kind)));
    }
    if spec.legalBasis == B256::ZERO {
        return Err(SupError::MissingLegalBasis);
    }
    if !(1..=6).contains(&spec.reason) {
        return Err(invalid(format!("unknown reason code {}", spec.reason)));
    }
    if spec.expiresAt != 0 && spec.expiresAt <= height {
        return Err(invalid(format!(
            "expiresAt {} is not after block {height}",
            spec.expiresAt
        )));
    }
    match spec.kind {
        KIND_ACCOUNT | KIND_HOLDING => {
            if !(DIR_OUTBOUND..=DIR_BOTH).contains(&spec.direction) {
                return Err(invalid("direction is 1 outbound, 2 inbound or 3 both"));
            }
        }
        _ => spec.direction = DIR_BOTH,
    }
    if spec.kind == KIND_METHOD {
        if spec.selector.0 == [0; 4] {
            return Err(invalid("a method order names its 4-byte selector"));
        }
    } else {
        spec.selector = Default::default();
    }
    if spec.kind == KIND_HOLDING {
        if assets::asset_number(&spec.asset).is_none() {
            return Err(invalid(format!("{} is not a native asset", spec.asset)));
        }
    } else if spec.kind == KIND_PENDING_TX {
        // Optionally the transaction's sender (`asset`) and nonce (`amount`).
        if spec.asset.is_zero() && !spec.amount.is_zero() {
            return Err(invalid("a transaction nonce needs its sender (asset)"));
        }
        if spec.amount > U256::from(u64::MAX) {
            return Err(invalid("a transaction nonce fits 64 bits"));
        }
    } else {
        spec.asset = Address::ZERO;
        spec.amount = U256::ZERO;
    }
    if spec.kind != KIND_PENDING_TX {
        if spec.target[..12] != [0; 12] {
            return Err(invalid("the target is an address, left-padded to 32 bytes"));
        }
        let address = target_address(&spec.target);
        if matches!(spec.kind, KIND_ACCOUNT | KIND_HOLDING)
            && assets::asset_number(&address).is_some()
        {
            return Err(SupError::TargetNotFreezable {
                target: spec.target,
                reason: "an asset holds no assets: freeze it as a contract or method".into(),
            });
        }
        if let Some(reason) = not_freezable(gov, &address)? {
            return Err(SupError::TargetNotFreezable {
                target: spec.target,
                reason: reason.into(),
            });
        }
    } else if spec.target == B256::ZERO {
        return Err(invalid(
            "a pending-transaction order names the transaction hash",
        ));
    }
    Ok(spec)
}

/// The key of the one open proposal allowed per (kind, subject).
fn open_key(kind: u8, subject: &[u8]) -> B256 {
    keccak256([&[kind][..], subject].concat())
}

fn freeze_subject(spec: &FreezeSpec) -> Vec<u8> {
    [
        &[spec.kind][..],
        target_key(spec).as_slice(),
        spec.selector.as_slice(),
    ]
    .concat()
}

/// What supervision reads and moves outside its own storage: balances of native assets
/// (in each asset's own storage) for forced transfers, and account nonces for
/// pending-transaction orders.
pub trait LedgerAccess {
    fn account_nonce(&mut self, address: &Address) -> Result<u64, SlotError>;
    fn balance(&mut self, asset: &Address, holder: &Address) -> Result<U256, SlotError>;
    fn set_balance(
        &mut self,
        asset: &Address,
        holder: &Address,
        value: U256,
    ) -> Result<(), SlotError>;
}

/// Everything a supervision call works with.
pub struct Env<'e, S: Slots, G: Slots, L: LedgerAccess> {
    pub store: SupStore<'e, S>,
    pub gov: GovStore<'e, G>,
    pub ledgers: L,
    pub caller: Caller,
    pub events: Events,
    /// Logs of other modules (an asset's `Transfer`), emitted from their addresses.
    pub foreign: ForeignEvents,
}

fn blank_proposal(kind: u8, order_id: u64) -> ProposalRecord {
    ProposalRecord {
        id: 0,
        kind,
        status: PROPOSAL_OPEN,
        agree: 0,
        against: 0,
        order_id,
        created_at: 0,
        expires_at: 0,
        new_expires_at: 0,
        proposer: Address::ZERO,
        escrow: Address::ZERO,
        amount: U256::ZERO,
        spec: FreezeSpec::default(),
    }
}

/// What a holding order still covers: its amount less what went to escrow, or the
/// whole balance for an order on all units.
fn covered(order: &OrderRecord, balance: U256) -> U256 {
    if order.spec.amount.is_zero() {
        balance
    } else {
        order.spec.amount.saturating_sub(order.consumed)
    }
}

impl<S: Slots, G: Slots, L: LedgerAccess> Env<'_, S, G, L> {
    fn height(&self) -> u64 {
        self.caller.height
    }

    /// The caller must be a regulator.
    fn member(&mut self) -> Result<(), SupError> {
        if !self.gov.has_role(&self.caller.address, ROLE_REGULATOR)? {
            return Err(SupError::Unauthorized {
                caller: self.caller.address,
                reason: "not a member of the regulator committee".into(),
            });
        }
        Ok(())
    }

    /// An order `id` that must exist and be in force.
    fn active_order(&mut self, id: u64) -> Result<OrderRecord, SupError> {
        let order = self
            .store
            .order(id)?
            .ok_or_else(|| SupError::NotFound(format!("order {id}")))?;
        if !order.is_active(self.height()) {
            return Err(SupError::InvalidState {
                id,
                status: order.status,
            });
        }
        Ok(order)
    }

    /// Opens a proposal with the proposer's vote; executes it at once if that suffices.
    fn open(&mut self, mut proposal: ProposalRecord, subject: B256) -> Result<u64, SupError> {
        let open = self.store.open_proposal(&subject)?;
        if open != 0
            && let Some(p) = self.store.proposal(open)?
            && p.status == PROPOSAL_OPEN
            && self.height() < p.expires_at
        {
            return Err(SupError::ProposalAlreadyOpen(open));
        }
        let ttl = param(
            &mut self.gov,
            params::SUPERVISION_PROPOSAL_TTL_BLOCKS,
            DEFAULT_PROPOSAL_TTL,
        )?;
        proposal.proposer = self.caller.address;
        proposal.created_at = self.height();
        proposal.expires_at = self.height().saturating_add(ttl);
        proposal.status = PROPOSAL_OPEN;
        let id = self.store.create_proposal(proposal.clone())?;
        self.store.set_open_proposal(&subject, id)?;
        let proposer = self.caller.address;
        self.events.push(match proposal.kind {
            PROPOSAL_FREEZE => ISupervision::FreezeProposed {
                proposalId: id,
                kind: proposal.spec.kind,
                target: proposal.spec.target,
                proposer,
            }
            .encode_log_data(),
            PROPOSAL_LIFT => ISupervision::LiftProposed {
                proposalId: id,
                orderId: proposal.order_id,
                proposer,
            }
            .encode_log_data(),
            PROPOSAL_RATIFY => ISupervision::RatifyProposed {
                proposalId: id,
                orderId: proposal.order_id,
                proposer,
            }
            .encode_log_data(),
            _ => ISupervision::ForcedTransferProposed {
                proposalId: id,
                orderId: proposal.order_id,
                escrow: proposal.escrow,
                amount: proposal.amount,
            }
            .encode_log_data(),
        });
        self.vote(id, true)?;
        Ok(id)
    }

    /// A pending-transaction order that names its sender and nonce must come before the
    /// nonce is used.
    fn check_pending(&mut self, spec: &FreezeSpec) -> Result<(), SupError> {
        if spec.kind == KIND_PENDING_TX && !spec.asset.is_zero() {
            let used = self.ledgers.account_nonce(&spec.asset)?;
            if used > spec.amount.saturating_to::<u64>() {
                return Err(SupError::TxAlreadyCommitted(spec.target));
            }
        }
        Ok(())
    }

    /// `proposeFreeze`: a committee member proposes an ordinary order.
    pub fn propose_freeze(&mut self, spec: &FreezeSpec) -> Result<u64, SupError> {
        self.member()?;
        let spec = check_spec(&mut self.gov, spec, self.caller.height)?;
        self.check_pending(&spec)?;
        let subject = open_key(PROPOSAL_FREEZE, &freeze_subject(&spec));
        let mut proposal = blank_proposal(PROPOSAL_FREEZE, 0);
        proposal.spec = spec;
        self.open(proposal, subject)
    }

    /// `proposeLift`.
    pub fn propose_lift(&mut self, order_id: u64) -> Result<u64, SupError> {
        self.member()?;
        self.active_order(order_id)?;
        let subject = open_key(PROPOSAL_LIFT, &order_id.to_be_bytes());
        self.open(blank_proposal(PROPOSAL_LIFT, order_id), subject)
    }

    /// `proposeRatify`: turns an emergency order into an ordinary one.
    pub fn propose_ratify(&mut self, order_id: u64, new_expires_at: u64) -> Result<u64, SupError> {
        self.member()?;
        let order = self.active_order(order_id)?;
        if !order.emergency {
            return Err(SupError::AlreadyOrdinary(order_id));
        }
        if new_expires_at != 0 && new_expires_at <= self.height() {
            return Err(invalid("newExpiresAt must be 0 or a future height"));
        }
        let subject = open_key(PROPOSAL_RATIFY, &order_id.to_be_bytes());
        let mut proposal = blank_proposal(PROPOSAL_RATIFY, order_id);
        proposal.new_expires_at = new_expires_at;
        self.open(proposal, subject)
    }

    /// `proposeForcedTransfer`: frozen units of a holding to a registered escrow account.
    pub fn propose_forced_transfer(
        &mut self,
        order_id: u64,
        escrow: Address,
        amount: U256,
    ) -> Result<u64, SupError> {
        self.member()?;
        let order = self.active_order(order_id)?;
        if order.spec.kind != KIND_HOLDING || order.spec.direction == DIR_INBOUND {
            return Err(SupError::NoCoveringOrder {
                asset: order.spec.asset,
                holder: target_address(&order.spec.target),
            });
        }
        if amount.is_zero() {
            return Err(invalid("a forced transfer moves at least one unit"));
        }
        if !self.gov.has_role(&escrow, ROLE_ESCROW)? {
            return Err(invalid(format!(
                "{escrow} is not a registered escrow account"
            )));
        }
        let subject = open_key(PROPOSAL_FORCED_TRANSFER, &order_id.to_be_bytes());
        let mut proposal = blank_proposal(PROPOSAL_FORCED_TRANSFER, order_id);
        proposal.escrow = escrow;
        proposal.amount = amount;
        self.open(proposal, subject)
    }

    /// `emergencyFreeze`: one regulator, at once, for the emergency TTL.
    pub fn emergency_freeze(&mut self, spec: &FreezeSpec) -> Result<u64, SupError> {
        self.member()?;
        let mut spec = check_spec(&mut self.gov, spec, self.caller.height)?;
        self.check_pending(&spec)?;
        let quota = param(
            &mut self.gov,
            params::SUPERVISION_EMERGENCY_QUOTA,
            DEFAULT_EMERGENCY_QUOTA,
        )?;
        let me = self.caller.address;
        let mine = self.store.emergency_orders_of(&me)?;
        self.sweep(mine)?;
        let mut active = 0;
        for id in self.store.emergency_orders_of(&me)? {
            if self
                .store
                .order(id)?
                .is_some_and(|o| o.is_active(self.height()))
            {
                active += 1;
            }
        }
        if active >= quota || self.store.emergency_len(&me)? >= ORDERS_PER_TARGET_MAX {
            return Err(SupError::EmergencyQuotaExceeded { member: me, active });
        }
        let ttl = param(
            &mut self.gov,
            params::SUPERVISION_EMERGENCY_TTL_BLOCKS,
            DEFAULT_EMERGENCY_TTL,
        )?;
        spec.expiresAt = self.height().saturating_add(ttl);
        let id = self.activate(spec.clone(), true, 0)?;
        self.events.push(
            ISupervision::EmergencyFreezeActivated {
                orderId: id,
                target: spec.target,
                issuer: me,
                expiresAt: spec.expiresAt,
            }
            .encode_log_data(),
        );
        Ok(id)
    }

    /// Records as expired the lapsed orders among `ids`, with an `OrderExpired` event.
    fn sweep(&mut self, ids: Vec<u64>) -> Result<(), SupError> {
        for id in ids {
            if let Some(mut order) = self.store.order(id)?
                && order.status == STATUS_ACTIVE
                && !order.is_active(self.height())
            {
                order.status = STATUS_EXPIRED;
                order.closed_at = order.spec.expiresAt;
                self.store.put_order(&order)?;
                self.events
                    .push(ISupervision::OrderExpired { orderId: id }.encode_log_data());
            }
        }
        Ok(())
    }

    /// Creates an active order and notifies its target.
    fn activate(
        &mut self,
        spec: FreezeSpec,
        emergency: bool,
        proposal_id: u64,
    ) -> Result<u64, SupError> {
        let earlier = self.store.orders_of(&target_key(&spec))?;
        self.sweep(earlier)?;
        if self.store.orders_len(&target_key(&spec))? >= ORDERS_PER_TARGET_MAX {
            return Err(invalid(format!(
                "the target already has {ORDERS_PER_TARGET_MAX} orders on record"
            )));
        }
        let id = self.store.create_order(OrderRecord {
            id: 0,
            spec: spec.clone(),
            emergency,
            status: STATUS_ACTIVE,
            activated_at: self.height(),
            closed_at: 0,
            proposal_id,
            issued_by: self.caller.address,
            consumed: U256::ZERO,
        })?;
        self.events.push(
            ISupervision::SubjectNotified {
                target: spec.target,
                orderId: id,
                reason: spec.reason,
                legalBasis: spec.legalBasis,
            }
            .encode_log_data(),
        );
        Ok(id)
    }

    /// `vote`: one vote per member while the proposal is open; the vote that reaches
    /// the threshold executes it.
    pub fn vote(&mut self, id: u64, agree: bool) -> Result<(), SupError> {
        self.member()?;
        let me = self.caller.address;
        let mut proposal = self
            .store
            .proposal(id)?
            .ok_or_else(|| SupError::NotFound(format!("proposal {id}")))?;
        if proposal.status != PROPOSAL_OPEN {
            return Err(SupError::ProposalNotOpen {
                id,
                status: proposal.status,
            });
        }
        if self.height() >= proposal.expires_at {
            return Err(SupError::ProposalExpired(id));
        }
        if self.store.vote_of(id, &me)? != 0 {
            return Err(SupError::AlreadyVoted { id, member: me });
        }
        self.store.set_vote(id, &me, agree)?;
        if agree {
            proposal.agree += 1;
        } else {
            proposal.against += 1;
        }
        self.events.push(
            ISupervision::Voted {
                proposalId: id,
                member: me,
                agree,
            }
            .encode_log_data(),
        );
        let pct = if proposal.kind == PROPOSAL_FORCED_TRANSFER {
            param(
                &mut self.gov,
                params::SUPERVISION_FORCED_TRANSFER_PCT,
                DEFAULT_FORCED_TRANSFER_PCT,
            )?
        } else {
            param(
                &mut self.gov,
                params::SUPERVISION_APPROVAL_PCT,
                DEFAULT_APPROVAL_PCT,
            )?
        };
        let members = self.gov.role_count(ROLE_REGULATOR)?;
        if u64::from(proposal.agree) * 100 >= pct * members {
            self.execute(&proposal)?;
            proposal.status = PROPOSAL_EXECUTED;
        }
        self.store.put_proposal(&proposal)?;
        Ok(())
    }

    /// Applies a passed proposal, re-checking what may have changed since it opened.
    fn execute(&mut self, proposal: &ProposalRecord) -> Result<(), SupError> {
        match proposal.kind {
            PROPOSAL_FREEZE => {
                let spec = check_spec(&mut self.gov, &proposal.spec, self.caller.height)?;
                self.check_pending(&spec)?;
                let id = self.activate(spec.clone(), false, proposal.id)?;
                self.events.push(
                    ISupervision::FreezeActivated {
                        orderId: id,
                        kind: spec.kind,
                        target: spec.target,
                        proposalId: proposal.id,
                    }
                    .encode_log_data(),
                );
            }
            PROPOSAL_LIFT => {
                let mut order = self.active_order(proposal.order_id)?;
                self.close(&mut order, STATUS_LIFTED)?;
                self.events.push(
                    ISupervision::OrderLifted {
                        orderId: order.id,
                        proposalId: proposal.id,
                    }
                    .encode_log_data(),
                );
            }
            PROPOSAL_RATIFY => {
                let mut order = self.active_order(proposal.order_id)?;
                if !order.emergency {
                    return Err(SupError::AlreadyOrdinary(order.id));
                }
                let mut spec = order.spec.clone();
                spec.expiresAt = proposal.new_expires_at;
                self.close(&mut order, STATUS_RATIFIED)?;
                let new_id = self.activate(spec, false, proposal.id)?;
                self.events.push(
                    ISupervision::OrderRatified {
                        orderId: order.id,
                        newOrderId: new_id,
                    }
                    .encode_log_data(),
                );
            }
            _ => self.forced_transfer(proposal)?,
        }
        Ok(())
    }

    fn close(&mut self, order: &mut OrderRecord, status: u8) -> Result<(), SupError> {
        order.status = status;
        order.closed_at = self.height();
        self.store.put_order(order)?;
        Ok(())
    }

    /// Moves frozen units of the holding to escrow in the asset's own ledger; a holding
    /// order whose units have all gone is closed (lifted).
    fn forced_transfer(&mut self, proposal: &ProposalRecord) -> Result<(), SupError> {
        let mut order = self.active_order(proposal.order_id)?;
        let escrow = proposal.escrow;
        if !self.gov.has_role(&escrow, ROLE_ESCROW)? {
            return Err(invalid(format!(
                "{escrow} is no longer a registered escrow account"
            )));
        }
        let asset = order.spec.asset;
        let holder = target_address(&order.spec.target);
        let balance = self.ledgers.balance(&asset, &holder)?;
        let limit = covered(&order, balance).min(balance);
        let amount = proposal.amount;
        if amount > limit {
            return Err(invalid(format!(
                "order {} covers {limit} units of {holder}'s holding, not {amount}",
                order.id
            )));
        }
        self.ledgers
            .set_balance(&asset, &holder, balance - amount)?;
        let escrow_balance = self.ledgers.balance(&asset, &escrow)?;
        self.ledgers
            .set_balance(&asset, &escrow, escrow_balance + amount)?;
        order.consumed += amount;
        self.store.put_order(&order)?;
        if !order.spec.amount.is_zero() && order.consumed >= order.spec.amount {
            self.close(&mut order, STATUS_LIFTED)?;
            self.events.push(
                ISupervision::OrderLifted {
                    orderId: order.id,
                    proposalId: proposal.id,
                }
                .encode_log_data(),
            );
        }
        self.foreign.push((
            asset,
            IAsset::Transfer {
                from: holder,
                to: escrow,
                value: amount,
            }
            .encode_log_data(),
        ));
        self.events.push(
            ISupervision::ForcedTransfer {
                orderId: order.id,
                asset,
                from: holder,
                escrow,
                amount,
            }
            .encode_log_data(),
        );
        Ok(())
    }
}
