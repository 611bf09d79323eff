//! The trace rules: who may register products and lots, commission, inspect, pack, ship,
//! receive, declare and clear at customs, sell, recall and verify; custody, ordering and
//! customs rules; and the anti-counterfeit verification of one-time secrets. Every state
//! change emits one `TraceEvent` per subject; every refusal is a typed error.
//!
//! Roles are the organisations' own, granted by their admins through the governance
//! registry (see [`roles`]); prefixes are bound to organisations by regulators (the
//! system role appointed by governance). Custody is held by an organisation: any of its
//! accounts acts for it.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, LogData, keccak256};
use alloy_sol_types::{SolEvent as _, SolValue as _};

use super::{
    abi::{EventInfo, ITrace, ItemView, LotView, PalletView, ProductView, Verification},
    state::*,
};
use crate::{
    governance::{
        logic::ROLE_REGULATOR,
        state::{GovStore, OrgId, OrgStatus, params},
    },
    slots::{SlotError, Slots},
};

/// The organisations' trace roles (granted by org admins; `regulator` is governance's).
pub mod roles {
    pub const BRAND_OWNER: &str = "brand_owner";
    pub const PRODUCER: &str = "producer";
    pub const INSPECTOR: &str = "inspector";
    pub const CARRIER: &str = "carrier";
    pub const FORWARDER: &str = "forwarder";
    pub const CUSTOMS_BROKER: &str = "customs_broker";
    pub const CUSTOMS_AUTHORITY: &str = "customs_authority";
    pub const WAREHOUSE: &str = "warehouse";
    pub const DISTRIBUTOR: &str = "distributor";
    pub const RETAILER: &str = "retailer";
    pub const PLATFORM: &str = "platform";
    pub const VERIFICATION_GATEWAY: &str = "verification_gateway";
    /// Every trace role, as documented.
    pub const ALL: [&str; 12] = [
        BRAND_OWNER,
        PRODUCER,
        INSPECTOR,
        CARRIER,
        FORWARDER,
        CUSTOMS_BROKER,
        CUSTOMS_AUTHORITY,
        WAREHOUSE,
        DISTRIBUTOR,
        RETAILER,
        PLATFORM,
        VERIFICATION_GATEWAY,
    ];
}

/// Governance parameters and their defaults (used while unset).
pub const PARAM_MAX_SKEW_SECS: &str = params::TRACE_MAX_SKEW_SECS;
pub const PARAM_PROBING_THRESHOLD: &str = params::TRACE_PROBING_THRESHOLD;
pub const DEFAULT_MAX_SKEW_SECS: u64 = 300;
pub const DEFAULT_PROBING_THRESHOLD: u64 = 5;

/// Most items plus pallets one call may name (gas bounds it further: commissioning
/// costs about 50,000 gas an item).
pub const EPCS_PER_CALL_MAX: usize = 5_000;
/// Most items one pallet holds: what one transaction can unpack (about 45,000 gas an
/// item) within a 100M-gas block, with room to spare.
pub const PALLET_ITEMS_MAX: u64 = 1_000;
/// Longest product name and read point, in bytes.
pub const NAME_BYTES_MAX: usize = 64;
pub const READ_POINT_BYTES_MAX: usize = 64;
/// Longest serial and lot number (GS1 AI 21 and 10).
pub const SERIAL_CHARS_MAX: usize = 20;
/// Longest location cell of a verification (a geohash or city code).
pub const CELL_BYTES_MAX: usize = 24;

/// Why a trace call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("{caller} is not authorised: {reason}")]
    Unauthorized { caller: Address, reason: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("invalid identifier {value:?}: {reason}")]
    InvalidIdentifier { value: String, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{subject} is in state {state}, which does not allow this")]
    InvalidState { subject: B256, state: u8 },
    #[error("{subject} was shipped to {recipient}, not to the caller's organisation")]
    WrongRecipient { subject: B256, recipient: B256 },
    #[error("organisation {0} produced the lot and may not inspect it")]
    ConflictOfInterest(B256),
    #[error("{0} crosses a border and is not cleared by customs")]
    NotCleared(B256),
    #[error("{0} is recalled")]
    Recalled(B256),
    #[error("{subject} is packed in pallet {sscc}; unpack it first")]
    InContainer { subject: B256, sscc: String },
    #[error("event time {given} of {subject} is before its last event ({last})")]
    OutOfOrder {
        subject: B256,
        last: u64,
        given: u64,
    },
    #[error("event time {given} is ahead of the block time beyond the allowed skew ({limit})")]
    TimeInFuture { given: u64, limit: u64 },
    #[error(transparent)]
    Slot(#[from] SlotError),
}

fn invalid(reason: impl Into<String>) -> TraceError {
    TraceError::InvalidInput(reason.into())
}

fn bad_id(value: &str, reason: impl Into<String>) -> TraceError {
    TraceError::InvalidIdentifier {
        value: value.chars().take(64).collect(),
        reason: reason.into(),
    }
}

/// The GS1 check digit of `digits` (the digits before the check digit).
pub fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn check_digits(value: &str, len: usize, what: &str) -> Result<(), TraceError> {
    let bytes = value.as_bytes();
    if bytes.len() != len || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(bad_id(value, format!("{what} must be {len} digits")));
    }
    let expected = gs1_check_digit(&bytes[..len - 1]);
    if bytes[len - 1] - b'0' != expected {
        return Err(bad_id(
            value,
            format!("bad {what} check digit (expected {expected})"),
        ));
    }
    Ok(())
}

/// A GTIN-14 with its check digit.
pub fn check_gtin(gtin: &str) -> Result<(), TraceError> {
    check_digits(gtin, 14, "GTIN")
}

/// An SSCC (18 digits with its check digit).
pub fn check_sscc(sscc: &str) -> Result<(), TraceError> {
    check_digits(sscc, 18, "SSCC")
}

/// A GS1 company prefix: 6 to 12 digits.
pub fn check_prefix(prefix: &str) -> Result<(), TraceError> {
    if !(6..=12).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_id(prefix, "a company prefix is 6 to 12 digits"));
    }
    Ok(())
}

fn check_code(value: &str, what: &str, max: usize) -> Result<(), TraceError> {
    if value.is_empty()
        || value.len() > max
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err(bad_id(
            value,
            format!("a {what} is 1 to {max} letters, digits, '-', '.' or '_'"),
        ));
    }
    Ok(())
}

/// A serial number (GS1 AI 21, restricted to characters a URL carries unescaped).
pub fn check_serial(serial: &str) -> Result<(), TraceError> {
    check_code(serial, "serial", SERIAL_CHARS_MAX)
}

/// A lot number (GS1 AI 10, same characters).
pub fn check_lot(lot: &str) -> Result<(), TraceError> {
    check_code(lot, "lot", SERIAL_CHARS_MAX)
}

/// A verification's location cell.
pub fn check_cell(cell: &str) -> Result<(), TraceError> {
    check_code(cell, "location cell", CELL_BYTES_MAX)
}

fn check_info(info: &EventInfo) -> Result<(), TraceError> {
    if info.readPoint.len() > READ_POINT_BYTES_MAX {
        return Err(invalid(format!(
            "readPoint is {} bytes, at most {READ_POINT_BYTES_MAX}",
            info.readPoint.len()
        )));
    }
    if !(1..=4).contains(&info.entitlement) {
        return Err(invalid(format!(
            "entitlement {} (use 1 private, 2 restricted, 3 linked, 4 public)",
            info.entitlement
        )));
    }
    if !(-14 * 60..=14 * 60).contains(&info.timeZoneOffset) {
        return Err(invalid("timeZoneOffset must be within ±14 hours"));
    }
    Ok(())
}

fn check_count(n: usize) -> Result<(), TraceError> {
    if n == 0 || n > EPCS_PER_CALL_MAX {
        return Err(invalid(format!(
            "name 1 to {EPCS_PER_CALL_MAX} items or pallets per call, not {n}"
        )));
    }
    Ok(())
}

/// Who calls, when.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub address: Address,
    pub height: u64,
    /// Block time, Unix seconds.
    pub time: u64,
}

/// An item with what it inherits: its lot, and its pallet while packed.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub item: Item,
    pub lot: Lot,
    pub pallet: Option<Pallet>,
}

impl Resolved {
    pub fn custodian(&self) -> B256 {
        match &self.pallet {
            Some(pallet) => pallet.custodian,
            None if self.item.custodian != B256::ZERO => self.item.custodian,
            None => self.lot.producer,
        }
    }

    pub fn owner(&self) -> B256 {
        if self.item.owner == B256::ZERO {
            self.lot.producer
        } else {
            self.item.owner
        }
    }

    pub fn recipient(&self) -> B256 {
        match &self.pallet {
            Some(pallet) => pallet.recipient,
            None => self.item.recipient,
        }
    }

    /// The state as seen from outside: the lot's recall and hold and the pallet's transit
    /// apply to the item.
    pub fn state(&self) -> u8 {
        let own = self.item.state;
        if self.lot.status == LOT_RECALLED && own != ITEM_DECOMMISSIONED {
            return ITEM_RECALLED;
        }
        if self.lot.held && matches!(own, ITEM_COMMISSIONED | ITEM_IN_STOCK) {
            return ITEM_HELD;
        }
        if let Some(pallet) = &self.pallet {
            if pallet.state == PALLET_IN_TRANSIT {
                return ITEM_IN_TRANSIT;
            }
            // Received in a pallet by another organisation than the producer: in stock,
            // as `unpack` will record it.
            if own == ITEM_COMMISSIONED && pallet.custodian != self.lot.producer {
                return ITEM_IN_STOCK;
            }
        }
        own
    }

    pub fn declared(&self) -> bool {
        self.item.declared || self.pallet.as_ref().is_some_and(|p| p.declared)
    }

    pub fn cleared(&self) -> bool {
        self.item.cleared || self.pallet.as_ref().is_some_and(|p| p.cleared)
    }

    pub fn last_time(&self) -> u64 {
        self.item
            .last_time
            .max(self.pallet.as_ref().map_or(0, |p| p.last_time))
    }

    fn not_packed(&self) -> Result<(), TraceError> {
        match &self.pallet {
            Some(pallet) => Err(TraceError::InContainer {
                subject: self.item.key,
                sscc: pallet.sscc.clone(),
            }),
            None => Ok(()),
        }
    }

    pub fn view(&self, gtin: &str, serial: &str) -> ItemView {
        ItemView {
            gtin: gtin.into(),
            serial: serial.into(),
            lot: self.lot.lot.clone(),
            state: self.state(),
            owner: self.owner(),
            custodian: self.custodian(),
            recipient: self.recipient(),
            container: self
                .pallet
                .as_ref()
                .map(|p| p.sscc.clone())
                .unwrap_or_default(),
            crossBorder: self.lot.cross_border,
            customsDeclared: self.declared(),
            customsCleared: self.cleared(),
            codeStatus: self.item.code,
            verifyCount: self.item.verify_count,
            badAttempts: self.item.bad_attempts,
            firstVerifiedAt: self.item.first_at,
            firstVerifiedCell: self.item.first_cell.clone(),
            flags: self.item.flags,
            lastEventTime: self.last_time(),
        }
    }
}

impl Lot {
    pub fn view(&self) -> LotView {
        LotView {
            gtin: self.gtin.clone(),
            lot: self.lot.clone(),
            producer: self.producer,
            originCountry: self.origin.into(),
            producedAt: self.produced_at,
            crossBorder: self.cross_border,
            status: self.status,
            held: self.held,
            items: self.items,
            lastEventTime: self.last_time,
            recallReason: self.recall_reason,
            recalledAt: self.recalled_at,
            ilmdHash: self.ilmd,
        }
    }
}

impl Pallet {
    pub fn view(&self, items: Vec<B256>) -> PalletView {
        PalletView {
            sscc: self.sscc.clone(),
            state: self.state,
            custodian: self.custodian,
            recipient: self.recipient,
            customsDeclared: self.declared,
            customsCleared: self.cleared,
            lastEventTime: self.last_time,
            items,
        }
    }
}

/// What one EPCIS event records about one subject.
struct Record {
    step: u8,
    org: B256,
    reference: B256,
    result: u8,
}

/// The rules, over the module's storage and the governance registry.
pub struct Env<'a, S: Slots, G: Slots> {
    pub store: TraceStore<'a, S>,
    pub gov: GovStore<'a, G>,
    pub caller: Caller,
    pub events: Vec<LogData>,
    /// Lots read during this call, by number.
    lots: HashMap<u64, Lot>,
}

impl<'a, S: Slots, G: Slots> Env<'a, S, G> {
    pub fn new(store: TraceStore<'a, S>, gov: GovStore<'a, G>, caller: Caller) -> Self {
        Self {
            store,
            gov,
            caller,
            events: Vec::new(),
            lots: HashMap::new(),
        }
    }

    fn unauthorized(&self, reason: impl Into<String>) -> TraceError {
        TraceError::Unauthorized {
            caller: self.caller.address,
            reason: reason.into(),
        }
    }

    fn param(&mut self, key: &str, default: u64) -> Result<u64, TraceError> {
        let value = self.gov.param(key)?;
        Ok(if value.is_zero() {
            default
        } else {
            value.saturating_to()
        })
    }

    /// The caller's organisation (its account must be registered).
    fn org(&mut self) -> Result<B256, TraceError> {
        match self.gov.account(&self.caller.address)? {
            Some(account) => Ok(account.org.0),
            None => Err(self.unauthorized("not a registered account")),
        }
    }

    fn has_role(&mut self, role: &str) -> Result<bool, TraceError> {
        Ok(self.gov.has_role(&self.caller.address, role)?)
    }

    fn require_role(&mut self, role: &str) -> Result<B256, TraceError> {
        if !self.has_role(role)? {
            return Err(self.unauthorized(format!("needs the role {role}")));
        }
        self.org()
    }

    /// The caller's organisation must hold the item.
    fn require_custody(
        &self,
        custodian: &B256,
        org: B256,
        gtin: &str,
        serial: &str,
    ) -> Result<(), TraceError> {
        if *custodian != org {
            return Err(self.unauthorized(format!(
                "item {gtin}/{serial} is in another organisation's custody"
            )));
        }
        Ok(())
    }

    /// An item the caller's organisation holds, unpacked, in a state that may move
    /// (commissioned or in stock), whose last event is not after `time`.
    fn movable_item(
        &mut self,
        epc: &super::abi::Epc,
        org: B256,
        time: u64,
    ) -> Result<Resolved, TraceError> {
        let resolved = self.resolve(&epc.gtin, &epc.serial)?;
        resolved.not_packed()?;
        self.require_custody(&resolved.custodian(), org, &epc.gtin, &epc.serial)?;
        let state = resolved.state();
        if !matches!(state, ITEM_COMMISSIONED | ITEM_IN_STOCK) {
            return Err(TraceError::InvalidState {
                subject: resolved.item.key,
                state,
            });
        }
        self.check_time(resolved.item.key, resolved.last_time(), time)?;
        Ok(resolved)
    }

    /// The caller's organisation must hold the pallet.
    fn require_pallet_custody(
        &self,
        custodian: &B256,
        org: B256,
        sscc: &str,
    ) -> Result<(), TraceError> {
        if *custodian != org {
            return Err(self.unauthorized(format!(
                "pallet {sscc} is in another organisation's custody"
            )));
        }
        Ok(())
    }

    fn check_org(&mut self, org: &B256) -> Result<(), TraceError> {
        match self.gov.org(&OrgId(*org))? {
            Some(found) if found.status == OrgStatus::Active => Ok(()),
            Some(_) => Err(invalid(format!("organisation {org} is not active"))),
            None => Err(TraceError::NotFound(format!("organisation {org}"))),
        }
    }

    /// The latest event time the block allows.
    fn time_limit(&mut self) -> Result<u64, TraceError> {
        let skew = self.param(PARAM_MAX_SKEW_SECS, DEFAULT_MAX_SKEW_SECS)?;
        Ok(self.caller.time.saturating_add(skew))
    }

    fn check_time(&mut self, subject: B256, last: u64, given: u64) -> Result<(), TraceError> {
        let limit = self.time_limit()?;
        if given > limit {
            return Err(TraceError::TimeInFuture { given, limit });
        }
        if given < last {
            return Err(TraceError::OutOfOrder {
                subject,
                last,
                given,
            });
        }
        Ok(())
    }

    fn lot_numbered(&mut self, number: u64) -> Result<Lot, TraceError> {
        if let Some(lot) = self.lots.get(&number) {
            return Ok(lot.clone());
        }
        let key = self.store.lot_by_number(number)?;
        let lot = self
            .store
            .lot(&key)?
            .ok_or_else(|| TraceError::NotFound(format!("lot number {number}")))?;
        self.lots.insert(number, lot.clone());
        Ok(lot)
    }

    fn lot_of(&mut self, gtin: &str, lot: &str) -> Result<Lot, TraceError> {
        check_gtin(gtin)?;
        check_lot(lot)?;
        self.store
            .lot(&lot_key(gtin, lot))?
            .ok_or_else(|| TraceError::NotFound(format!("lot {gtin}/{lot}")))
    }

    /// An item and what it inherits.
    pub fn resolve_key(&mut self, key: &B256, name: &str) -> Result<Resolved, TraceError> {
        let item = self
            .store
            .item(key)?
            .ok_or_else(|| TraceError::NotFound(format!("item {name}")))?;
        let lot = self.lot_numbered(item.lot_number)?;
        let pallet = if item.pallet == B256::ZERO {
            None
        } else {
            self.store.pallet(&item.pallet)?
        };
        Ok(Resolved { item, lot, pallet })
    }

    pub fn resolve(&mut self, gtin: &str, serial: &str) -> Result<Resolved, TraceError> {
        check_gtin(gtin)?;
        check_serial(serial)?;
        self.resolve_key(&item_key(gtin, serial), &format!("{gtin}/{serial}"))
    }

    fn pallet_of(&mut self, sscc: &str) -> Result<Pallet, TraceError> {
        check_sscc(sscc)?;
        match self.store.pallet(&pallet_key(sscc))? {
            Some(pallet) if pallet.count > 0 => Ok(pallet),
            _ => Err(TraceError::NotFound(format!("pallet {sscc}"))),
        }
    }

    /// Emits one event per subject, all with the same event id.
    fn record(&mut self, subjects: &[B256], what: Record, info: &EventInfo) {
        let event_id = keccak256(
            (
                u16::from(what.step),
                subjects.to_vec(),
                what.org,
                what.reference,
                info.clone(),
            )
                .abi_encode(),
        );
        for subject in subjects {
            self.events.push(
                ITrace::TraceEvent {
                    subject: *subject,
                    bizStep: what.step,
                    eventId: event_id,
                    org: what.org,
                    r#ref: what.reference,
                    eventTime: info.eventTime,
                    timeZoneOffset: info.timeZoneOffset,
                    readPoint: info.readPoint.clone(),
                    result: what.result,
                    entitlement: info.entitlement,
                }
                .encode_log_data(),
            );
        }
    }

    /// An event at block time, for acts without a claimed time (recalls).
    fn block_info(&self) -> EventInfo {
        EventInfo {
            eventTime: self.caller.time,
            timeZoneOffset: 0,
            readPoint: String::new(),
            bizTransaction: B256::ZERO,
            payloadHash: B256::ZERO,
            entitlement: 4,
        }
    }

    // -----------------------------------------------------------------------------------
    // Registry.

    pub fn register_prefix(&mut self, prefix: &str, org: B256) -> Result<(), TraceError> {
        self.require_role(ROLE_REGULATOR)?;
        check_prefix(prefix)?;
        self.check_org(&org)?;
        // Prefixes never nest: a GTIN's owner must not depend on which one is read first.
        for len in 6..=prefix.len() {
            if self.store.prefix_owner(&prefix[..len])? != B256::ZERO {
                return Err(TraceError::AlreadyExists(format!(
                    "company prefix {} (covers {prefix})",
                    &prefix[..len]
                )));
            }
        }
        if self.store.prefix_covered(prefix)? {
            return Err(TraceError::AlreadyExists(format!(
                "a longer company prefix starting with {prefix}"
            )));
        }
        for len in 6..prefix.len() {
            self.store.set_prefix_covered(&prefix[..len])?;
        }
        self.store.set_prefix_owner(prefix, org)?;
        self.events.push(
            ITrace::PrefixRegistered {
                prefix: prefix.into(),
                org,
            }
            .encode_log_data(),
        );
        Ok(())
    }

    /// The organisation owning the company prefix of `gtin` (after its indicator digit).
    pub fn gtin_owner(&mut self, gtin: &str) -> Result<Option<B256>, TraceError> {
        for len in 6..=12 {
            let owner = self.store.prefix_owner(&gtin[1..1 + len])?;
            if owner != B256::ZERO {
                return Ok(Some(owner));
            }
        }
        Ok(None)
    }

    pub fn register_product(
        &mut self,
        gtin: &str,
        name: &str,
        attrs: B256,
    ) -> Result<(), TraceError> {
        let org = self.require_role(roles::BRAND_OWNER)?;
        check_gtin(gtin)?;
        if name.is_empty() || name.len() > NAME_BYTES_MAX {
            return Err(invalid(format!(
                "a product name is 1 to {NAME_BYTES_MAX} bytes"
            )));
        }
        if self.gtin_owner(gtin)? != Some(org) {
            return Err(self.unauthorized(format!(
                "the company prefix of {gtin} is not registered to the caller's organisation"
            )));
        }
        if self.store.product(gtin)?.is_some() {
            return Err(TraceError::AlreadyExists(format!("product {gtin}")));
        }
        self.store.put_product(
            gtin,
            &Product {
                brand: org,
                attrs,
                name: name.into(),
            },
        )?;
        self.events.push(
            ITrace::ProductRegistered {
                gtin: gtin.into(),
                brandOrg: org,
                name: name.into(),
            }
            .encode_log_data(),
        );
        Ok(())
    }

    fn product_of(&mut self, gtin: &str) -> Result<Product, TraceError> {
        check_gtin(gtin)?;
        self.store
            .product(gtin)?
            .ok_or_else(|| TraceError::NotFound(format!("product {gtin}")))
    }

    /// The caller must be the product's brand owner (or, if `regulator_too`, a regulator).
    fn require_brand(&mut self, product: &Product, regulator_too: bool) -> Result<(), TraceError> {
        if regulator_too && self.has_role(ROLE_REGULATOR)? {
            return Ok(());
        }
        if self.has_role(roles::BRAND_OWNER)? && self.org()? == product.brand {
            return Ok(());
        }
        Err(self.unauthorized(if regulator_too {
            "only the product's brand owner or a regulator may do this"
        } else {
            "only the product's brand owner may do this"
        }))
    }

    pub fn authorize_producer(
        &mut self,
        gtin: &str,
        org: B256,
        allowed: bool,
    ) -> Result<(), TraceError> {
        let product = self.product_of(gtin)?;
        self.require_brand(&product, false)?;
        self.check_org(&org)?;
        self.store.set_maker(gtin, &org, allowed)?;
        self.events.push(
            ITrace::ProducerAuthorized {
                gtin: gtin.into(),
                org,
                allowed,
            }
            .encode_log_data(),
        );
        Ok(())
    }

    pub fn create_lot(
        &mut self,
        gtin: &str,
        lot: &str,
        origin: [u8; 2],
        produced_at: u64,
        cross_border: bool,
        ilmd: B256,
    ) -> Result<(), TraceError> {
        let org = self.require_role(roles::PRODUCER)?;
        let product = self.product_of(gtin)?;
        check_lot(lot)?;
        if org != product.brand && !self.store.is_maker(gtin, &org)? {
            return Err(self.unauthorized(format!(
                "the brand owner of {gtin} has not authorised the caller's organisation"
            )));
        }
        if !origin.iter().all(u8::is_ascii_uppercase) {
            return Err(invalid("originCountry must be an ISO 3166-1 alpha-2 code"));
        }
        let limit = self.time_limit()?;
        if produced_at > limit {
            return Err(TraceError::TimeInFuture {
                given: produced_at,
                limit,
            });
        }
        let key = lot_key(gtin, lot);
        if self.store.lot(&key)?.is_some() {
            return Err(TraceError::AlreadyExists(format!("lot {gtin}/{lot}")));
        }
        let number = self.store.next_lot_number(&key)?;
        self.store.put_lot(
            &Lot {
                key,
                status: LOT_ACTIVE,
                held: false,
                cross_border,
                origin,
                produced_at,
                last_time: produced_at,
                items: 0,
                producer: org,
                ilmd,
                gtin: gtin.into(),
                lot: lot.into(),
                recall_reason: B256::ZERO,
                recalled_at: 0,
                number,
            },
            true,
        )?;
        self.events.push(
            ITrace::LotCreated {
                lotKey: key,
                gtin: gtin.into(),
                lot: lot.into(),
                producer: org,
            }
            .encode_log_data(),
        );
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Events on items and pallets.

    pub fn commission(
        &mut self,
        gtin: &str,
        lot: &str,
        serials: &[String],
        commits: &[B256],
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.require_role(roles::PRODUCER)?;
        let mut record = self.lot_of(gtin, lot)?;
        if record.producer != org {
            return Err(self.unauthorized(format!("lot {gtin}/{lot} belongs to another producer")));
        }
        if record.status == LOT_RECALLED {
            return Err(TraceError::Recalled(record.key));
        }
        check_count(serials.len())?;
        if serials.len() != commits.len() {
            return Err(invalid(format!(
                "{} serials but {} authentication commitments",
                serials.len(),
                commits.len()
            )));
        }
        check_info(info)?;
        self.check_time(record.key, record.produced_at, info.eventTime)?;
        let mut keys = Vec::with_capacity(serials.len());
        for (serial, commit) in serials.iter().zip(commits) {
            check_serial(serial)?;
            if *commit == B256::ZERO {
                return Err(invalid(format!("serial {serial} has no commitment")));
            }
            let key = item_key(gtin, serial);
            if self.store.item_exists(&key)? {
                return Err(TraceError::AlreadyExists(format!("item {gtin}/{serial}")));
            }
            self.store.put_new_item(&Item {
                key,
                state: ITEM_COMMISSIONED,
                code: CODE_ACTIVE,
                last_time: info.eventTime,
                lot_number: record.number,
                commit: *commit,
                ..Item::default()
            })?;
            keys.push(key);
        }
        record.items += serials.len() as u64;
        record.last_time = record.last_time.max(info.eventTime);
        self.store.put_lot(&record, false)?;
        self.record(
            &keys,
            Record {
                step: step::COMMISSIONING,
                org,
                reference: record.key,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    pub fn inspect(
        &mut self,
        gtin: &str,
        lot: &str,
        serials: &[String],
        pass: bool,
        certificate: B256,
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.require_role(roles::INSPECTOR)?;
        let mut record = self.lot_of(gtin, lot)?;
        if org == record.producer {
            return Err(TraceError::ConflictOfInterest(org));
        }
        if serials.len() > EPCS_PER_CALL_MAX {
            check_count(serials.len())?;
        }
        check_info(info)?;
        let result = if pass { 1 } else { 2 };
        let what = Record {
            step: step::INSPECTING,
            org,
            reference: certificate,
            result,
        };
        if serials.is_empty() {
            self.check_time(record.key, record.last_time, info.eventTime)?;
            record.held = !pass;
            record.last_time = info.eventTime;
            self.store.put_lot(&record, false)?;
            self.record(&[record.key], what, info);
            return Ok(());
        }
        let mut keys = Vec::with_capacity(serials.len());
        for serial in serials {
            let resolved = self.resolve(gtin, serial)?;
            if resolved.item.lot_number != record.number {
                return Err(invalid(format!("item {gtin}/{serial} is not of lot {lot}")));
            }
            self.check_time(resolved.item.key, resolved.last_time(), info.eventTime)?;
            let mut item = resolved.item.clone();
            match (pass, item.state) {
                (false, ITEM_COMMISSIONED | ITEM_IN_STOCK) => item.state = ITEM_HELD,
                (true, ITEM_HELD) => item.state = ITEM_IN_STOCK,
                _ => {}
            }
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        self.record(&keys, what, info);
        Ok(())
    }

    pub fn pack(
        &mut self,
        sscc: &str,
        items: &[super::abi::Epc],
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.org()?;
        check_sscc(sscc)?;
        check_count(items.len())?;
        check_info(info)?;
        let key = pallet_key(sscc);
        // A packed pallet at the caller's takes more items, so that a pallet larger than
        // one transaction carries is packed in several; not once declared to customs (the
        // items would inherit a declaration that did not cover them).
        let (start, last) = match self.store.pallet(&key)? {
            Some(pallet) if pallet.count > 0 => {
                self.require_pallet_custody(&pallet.custodian, org, sscc)?;
                if pallet.state != PALLET_AT_CUSTODIAN || pallet.declared || pallet.cleared {
                    return Err(TraceError::InvalidState {
                        subject: key,
                        state: pallet.state,
                    });
                }
                (pallet.count, pallet.last_time)
            }
            Some(pallet) => (0, pallet.last_time),
            None => (0, 0),
        };
        let total = start + items.len() as u64;
        if total > PALLET_ITEMS_MAX {
            return Err(invalid(format!(
                "pallet {sscc} would hold {total} items, at most {PALLET_ITEMS_MAX}"
            )));
        }
        self.check_time(key, last, info.eventTime)?;
        let mut keys = Vec::with_capacity(items.len());
        for (i, epc) in items.iter().enumerate() {
            let resolved = self.movable_item(epc, org, info.eventTime)?;
            let mut item = resolved.item.clone();
            item.pallet = key;
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            self.store.set_child(&key, start + i as u64, item.key)?;
            keys.push(item.key);
        }
        self.store.put_pallet(&Pallet {
            key,
            state: PALLET_AT_CUSTODIAN,
            declared: false,
            cleared: false,
            last_time: info.eventTime,
            count: total,
            custodian: org,
            recipient: B256::ZERO,
            sscc: sscc.into(),
        })?;
        keys.push(key);
        self.record(
            &keys,
            Record {
                step: step::PACKING,
                org,
                reference: key,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    pub fn unpack(&mut self, sscc: &str, info: &EventInfo) -> Result<(), TraceError> {
        let org = self.org()?;
        check_info(info)?;
        let mut pallet = self.pallet_of(sscc)?;
        self.require_pallet_custody(&pallet.custodian, org, sscc)?;
        if pallet.state != PALLET_AT_CUSTODIAN {
            return Err(TraceError::InvalidState {
                subject: pallet.key,
                state: pallet.state,
            });
        }
        self.check_time(pallet.key, pallet.last_time, info.eventTime)?;
        let mut keys = Vec::with_capacity(pallet.count as usize + 1);
        for child in self.store.children(&pallet)? {
            let resolved = self.resolve_key(&child, "in the pallet")?;
            let mut item = resolved.item.clone();
            item.pallet = B256::ZERO;
            item.custodian = pallet.custodian;
            item.recipient = B256::ZERO;
            item.declared |= pallet.declared;
            item.cleared |= pallet.cleared;
            item.last_time = info.eventTime;
            if item.state == ITEM_COMMISSIONED && pallet.custodian != resolved.lot.producer {
                item.state = ITEM_IN_STOCK;
            }
            self.store.put_item(&resolved.item, &item)?;
            keys.push(child);
        }
        pallet.count = 0;
        pallet.last_time = info.eventTime;
        self.store.put_pallet(&pallet)?;
        keys.push(pallet.key);
        self.record(
            &keys,
            Record {
                step: step::UNPACKING,
                org,
                reference: pallet.key,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    /// Every item of a pallet must be in a state that may move.
    fn check_contents(&mut self, pallet: &Pallet) -> Result<(), TraceError> {
        for child in self.store.children(pallet)? {
            let resolved = self.resolve_key(&child, "in the pallet")?;
            let state = resolved.item.state;
            let state = if resolved.lot.status == LOT_RECALLED {
                ITEM_RECALLED
            } else if resolved.lot.held && state != ITEM_HELD {
                ITEM_HELD
            } else {
                state
            };
            if !matches!(state, ITEM_COMMISSIONED | ITEM_IN_STOCK) {
                return Err(TraceError::InvalidState {
                    subject: child,
                    state,
                });
            }
        }
        Ok(())
    }

    pub fn ship(
        &mut self,
        items: &[super::abi::Epc],
        ssccs: &[String],
        to: B256,
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.org()?;
        check_count(items.len() + ssccs.len())?;
        check_info(info)?;
        self.check_org(&to)?;
        if to == org {
            return Err(invalid("ship to another organisation"));
        }
        let mut keys = Vec::with_capacity(items.len() + ssccs.len());
        for epc in items {
            let resolved = self.movable_item(epc, org, info.eventTime)?;
            let mut item = resolved.item.clone();
            item.custodian = resolved.custodian();
            item.state = ITEM_IN_TRANSIT;
            item.recipient = to;
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        for sscc in ssccs {
            let mut pallet = self.pallet_of(sscc)?;
            self.require_pallet_custody(&pallet.custodian, org, sscc)?;
            if pallet.state != PALLET_AT_CUSTODIAN {
                return Err(TraceError::InvalidState {
                    subject: pallet.key,
                    state: pallet.state,
                });
            }
            self.check_contents(&pallet)?;
            self.check_time(pallet.key, pallet.last_time, info.eventTime)?;
            pallet.state = PALLET_IN_TRANSIT;
            pallet.recipient = to;
            pallet.last_time = info.eventTime;
            self.store.put_pallet(&pallet)?;
            keys.push(pallet.key);
        }
        self.record(
            &keys,
            Record {
                step: step::SHIPPING,
                org,
                reference: to,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    pub fn receive(
        &mut self,
        items: &[super::abi::Epc],
        ssccs: &[String],
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.org()?;
        check_count(items.len() + ssccs.len())?;
        check_info(info)?;
        let mut keys = Vec::with_capacity(items.len() + ssccs.len());
        for epc in items {
            let resolved = self.resolve(&epc.gtin, &epc.serial)?;
            resolved.not_packed()?;
            let state = resolved.state();
            if state != ITEM_IN_TRANSIT {
                return Err(TraceError::InvalidState {
                    subject: resolved.item.key,
                    state,
                });
            }
            if resolved.item.recipient != org {
                return Err(TraceError::WrongRecipient {
                    subject: resolved.item.key,
                    recipient: resolved.item.recipient,
                });
            }
            self.check_time(resolved.item.key, resolved.last_time(), info.eventTime)?;
            let mut item = resolved.item.clone();
            item.custodian = org;
            item.recipient = B256::ZERO;
            item.state = ITEM_IN_STOCK;
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        for sscc in ssccs {
            let mut pallet = self.pallet_of(sscc)?;
            if pallet.state != PALLET_IN_TRANSIT {
                return Err(TraceError::InvalidState {
                    subject: pallet.key,
                    state: pallet.state,
                });
            }
            if pallet.recipient != org {
                return Err(TraceError::WrongRecipient {
                    subject: pallet.key,
                    recipient: pallet.recipient,
                });
            }
            self.check_time(pallet.key, pallet.last_time, info.eventTime)?;
            pallet.state = PALLET_AT_CUSTODIAN;
            pallet.custodian = org;
            pallet.recipient = B256::ZERO;
            pallet.last_time = info.eventTime;
            self.store.put_pallet(&pallet)?;
            keys.push(pallet.key);
        }
        self.record(
            &keys,
            Record {
                step: step::RECEIVING,
                org,
                reference: B256::ZERO,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    /// Customs declaration (`clear` false, by a customs broker) or clearance (`clear`
    /// true, by the customs authority, of declared goods).
    pub fn customs(
        &mut self,
        items: &[super::abi::Epc],
        ssccs: &[String],
        declaration: B256,
        info: &EventInfo,
        clear: bool,
    ) -> Result<(), TraceError> {
        let org = self.require_role(if clear {
            roles::CUSTOMS_AUTHORITY
        } else {
            roles::CUSTOMS_BROKER
        })?;
        check_count(items.len() + ssccs.len())?;
        check_info(info)?;
        if declaration == B256::ZERO {
            return Err(invalid("the customs declaration's hash is required"));
        }
        let mut keys = Vec::with_capacity(items.len() + ssccs.len());
        for epc in items {
            let resolved = self.resolve(&epc.gtin, &epc.serial)?;
            resolved.not_packed()?;
            let state = resolved.state();
            let done = if clear {
                resolved.cleared()
            } else {
                resolved.declared()
            };
            if !resolved.lot.cross_border
                || done
                || (clear && !resolved.declared())
                || matches!(state, ITEM_RECALLED | ITEM_SOLD | ITEM_DECOMMISSIONED)
            {
                return Err(TraceError::InvalidState {
                    subject: resolved.item.key,
                    state,
                });
            }
            self.check_time(resolved.item.key, resolved.last_time(), info.eventTime)?;
            let mut item = resolved.item.clone();
            if clear {
                item.cleared = true;
            } else {
                item.declared = true;
            }
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        for sscc in ssccs {
            let mut pallet = self.pallet_of(sscc)?;
            let done = if clear {
                pallet.cleared
            } else {
                pallet.declared
            };
            if done || (clear && !pallet.declared) {
                return Err(TraceError::InvalidState {
                    subject: pallet.key,
                    state: pallet.state,
                });
            }
            self.check_time(pallet.key, pallet.last_time, info.eventTime)?;
            if clear {
                pallet.cleared = true;
            } else {
                pallet.declared = true;
            }
            pallet.last_time = info.eventTime;
            self.store.put_pallet(&pallet)?;
            keys.push(pallet.key);
        }
        self.record(
            &keys,
            Record {
                step: if clear {
                    step::CUSTOMS_CLEARED
                } else {
                    step::CUSTOMS_DECLARED
                },
                org,
                reference: declaration,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    pub fn sell(&mut self, items: &[super::abi::Epc], info: &EventInfo) -> Result<(), TraceError> {
        let org = self.require_role(roles::RETAILER)?;
        check_count(items.len())?;
        check_info(info)?;
        let mut keys = Vec::with_capacity(items.len());
        for epc in items {
            let resolved = self.resolve(&epc.gtin, &epc.serial)?;
            resolved.not_packed()?;
            self.require_custody(&resolved.custodian(), org, &epc.gtin, &epc.serial)?;
            let state = resolved.state();
            if state == ITEM_RECALLED {
                return Err(TraceError::Recalled(resolved.item.key));
            }
            if state != ITEM_IN_STOCK {
                return Err(TraceError::InvalidState {
                    subject: resolved.item.key,
                    state,
                });
            }
            if resolved.lot.cross_border && !resolved.cleared() {
                return Err(TraceError::NotCleared(resolved.item.key));
            }
            self.check_time(resolved.item.key, resolved.last_time(), info.eventTime)?;
            let mut item = resolved.item.clone();
            item.state = ITEM_SOLD;
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        self.record(
            &keys,
            Record {
                step: step::RETAIL_SELLING,
                org,
                reference: B256::ZERO,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    pub fn recall(&mut self, gtin: &str, lot: &str, reason: B256) -> Result<(), TraceError> {
        let product = self.product_of(gtin)?;
        self.require_brand(&product, true)?;
        let mut record = self.lot_of(gtin, lot)?;
        if record.status == LOT_RECALLED {
            return Err(TraceError::InvalidState {
                subject: record.key,
                state: record.status,
            });
        }
        if reason == B256::ZERO {
            return Err(invalid("a recall needs the hash of its reason"));
        }
        let org = self.org()?;
        record.status = LOT_RECALLED;
        record.recall_reason = reason;
        record.recalled_at = self.caller.time;
        record.last_time = record.last_time.max(self.caller.time);
        self.store.put_lot(&record, true)?;
        let info = self.block_info();
        self.record(
            &[record.key],
            Record {
                step: step::RECALLING,
                org,
                reference: reason,
                result: 0,
            },
            &info,
        );
        Ok(())
    }

    pub fn decommission(
        &mut self,
        items: &[super::abi::Epc],
        info: &EventInfo,
    ) -> Result<(), TraceError> {
        let org = self.org()?;
        check_count(items.len())?;
        check_info(info)?;
        let mut keys = Vec::with_capacity(items.len());
        for epc in items {
            let resolved = self.resolve(&epc.gtin, &epc.serial)?;
            resolved.not_packed()?;
            self.require_custody(&resolved.custodian(), org, &epc.gtin, &epc.serial)?;
            if matches!(resolved.item.state, ITEM_DECOMMISSIONED | ITEM_IN_TRANSIT) {
                return Err(TraceError::InvalidState {
                    subject: resolved.item.key,
                    state: resolved.item.state,
                });
            }
            self.check_time(resolved.item.key, resolved.last_time(), info.eventTime)?;
            let mut item = resolved.item.clone();
            item.state = ITEM_DECOMMISSIONED;
            if item.code == CODE_ACTIVE {
                item.code = CODE_REVOKED;
            }
            item.last_time = info.eventTime;
            self.store.put_item(&resolved.item, &item)?;
            keys.push(item.key);
        }
        self.record(
            &keys,
            Record {
                step: step::DECOMMISSIONING,
                org,
                reference: B256::ZERO,
                result: 0,
            },
            info,
        );
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Anti-counterfeiting.

    pub fn verify(
        &mut self,
        gtin: &str,
        serial: &str,
        secret: &[u8; 16],
        cell: &str,
        device: B256,
    ) -> Result<Verification, TraceError> {
        self.require_role(roles::VERIFICATION_GATEWAY)?;
        check_cell(cell)?;
        let resolved = self.resolve(gtin, serial)?;
        let mut item = resolved.item.clone();
        let outcome = if item.code == CODE_REVOKED {
            OUTCOME_REVOKED
        } else if auth_commit(gtin, serial, secret) != item.commit {
            item.bad_attempts = item.bad_attempts.saturating_add(1);
            let threshold = self.param(PARAM_PROBING_THRESHOLD, DEFAULT_PROBING_THRESHOLD)?;
            if u64::from(item.bad_attempts) > threshold {
                item.flags |= FLAG_PROBING;
            }
            OUTCOME_INVALID_CODE
        } else if item.code == CODE_ACTIVE {
            item.code = CODE_CONSUMED;
            item.first_at = self.caller.time;
            item.first_cell = cell.into();
            item.verify_count = item.verify_count.saturating_add(1);
            OUTCOME_GENUINE
        } else {
            item.verify_count = item.verify_count.saturating_add(1);
            item.flags |= FLAG_SUSPECT_CLONE;
            OUTCOME_ALREADY_VERIFIED
        };
        self.store.put_item(&resolved.item, &item)?;
        self.events.push(
            ITrace::Verified {
                item: item.key,
                outcome,
                cell: cell.into(),
                deviceHash: device,
                verifyCount: item.verify_count,
            }
            .encode_log_data(),
        );
        let after = Resolved { item, ..resolved };
        let state = after.state();
        Ok(Verification {
            outcome,
            soldThroughAuthorizedChannel: state == ITEM_SOLD,
            recalled: state == ITEM_RECALLED,
            firstVerifiedAt: after.item.first_at,
            firstVerifiedCell: after.item.first_cell.clone(),
            verifyCount: after.item.verify_count,
            badAttempts: after.item.bad_attempts,
            flags: after.item.flags,
        })
    }

    pub fn flag(
        &mut self,
        gtin: &str,
        serial: &str,
        flags: u8,
        set: bool,
        reason: B256,
    ) -> Result<(), TraceError> {
        let product = self.product_of(gtin)?;
        self.require_brand(&product, true)?;
        if flags == 0 || flags & !FLAGS_ALL != 0 {
            return Err(invalid(format!(
                "flags {flags} (use bits 1 clone, 2 probing, 4 diversion)"
            )));
        }
        let resolved = self.resolve(gtin, serial)?;
        let mut item = resolved.item.clone();
        if set {
            item.flags |= flags;
        } else {
            item.flags &= !flags;
        }
        self.store.put_item(&resolved.item, &item)?;
        let org = self.org()?;
        self.events.push(
            ITrace::Flagged {
                item: item.key,
                flags,
                set,
                reason,
                by: org,
            }
            .encode_log_data(),
        );
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Views.

    pub fn product_view(&mut self, gtin: &str) -> Result<ProductView, TraceError> {
        let product = self.product_of(gtin)?;
        Ok(ProductView {
            gtin: gtin.into(),
            name: product.name,
            brandOrg: product.brand,
            attrsHash: product.attrs,
        })
    }

    pub fn lot_view(&mut self, gtin: &str, lot: &str) -> Result<LotView, TraceError> {
        Ok(self.lot_of(gtin, lot)?.view())
    }

    pub fn pallet_view(&mut self, sscc: &str) -> Result<PalletView, TraceError> {
        check_sscc(sscc)?;
        let pallet = self
            .store
            .pallet(&pallet_key(sscc))?
            .ok_or_else(|| TraceError::NotFound(format!("pallet {sscc}")))?;
        let items = self.store.children(&pallet)?;
        Ok(pallet.view(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slots::MemorySlots;

    #[test]
    fn gs1_identifiers_need_their_check_digits() {
        // GS1's published examples.
        assert_eq!(gs1_check_digit(b"0001234560001"), 2);
        assert!(check_gtin("00012345600012").is_ok());
        assert!(check_gtin("06901234567892").is_ok());
        assert!(check_sscc("106141411234567897").is_ok());
        for bad in [
            "00012345600013",
            "0001234560001",
            "000123456000120",
            "0001234560001x",
        ] {
            assert!(
                matches!(check_gtin(bad), Err(TraceError::InvalidIdentifier { .. })),
                "{bad}"
            );
        }
        assert!(check_sscc("106141411234567898").is_err());
        assert!(check_prefix("614141").is_ok());
        assert!(check_prefix("61414").is_err() && check_prefix("6141411234567").is_err());
        assert!(check_serial("AB-12.x_9").is_ok());
        for bad in ["", "has space", "slash/", "ü", &"9".repeat(21)] {
            assert!(check_serial(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn records_round_trip_through_their_packed_words() {
        let mut slots = MemorySlots::default();
        let mut store = TraceStore { s: &mut slots };
        let item = Item {
            key: B256::repeat_byte(1),
            state: ITEM_IN_TRANSIT,
            flags: FLAG_SUSPECT_CLONE | FLAG_PROBING,
            code: CODE_CONSUMED,
            declared: true,
            cleared: false,
            verify_count: u32::MAX,
            bad_attempts: 7,
            last_time: u64::MAX,
            lot_number: 1 << 40,
            commit: B256::repeat_byte(2),
            custodian: B256::repeat_byte(3),
            owner: B256::ZERO,
            recipient: B256::repeat_byte(4),
            pallet: B256::repeat_byte(5),
            first_at: 1_700_000_000,
            first_cell: "Guiyang".into(),
        };
        store.put_new_item(&item).unwrap();
        store
            .put_item(
                &Item {
                    custodian: B256::ZERO,
                    recipient: B256::ZERO,
                    pallet: B256::ZERO,
                    first_at: 0,
                    first_cell: String::new(),
                    ..item.clone()
                },
                &item,
            )
            .unwrap();
        assert_eq!(store.item(&item.key).unwrap(), Some(item.clone()));
        let lot = Lot {
            key: B256::repeat_byte(9),
            status: LOT_RECALLED,
            held: true,
            cross_border: true,
            origin: *b"CN",
            produced_at: 1,
            last_time: u64::MAX,
            items: 10_000,
            producer: B256::repeat_byte(6),
            ilmd: B256::repeat_byte(7),
            gtin: "06901234567892".into(),
            lot: "L2026A".into(),
            recall_reason: B256::repeat_byte(8),
            recalled_at: 5,
            number: 3,
        };
        store.put_lot(&lot, true).unwrap();
        assert_eq!(store.lot(&lot.key).unwrap(), Some(lot));
        assert_eq!(store.item(&B256::ZERO).unwrap(), None);
    }
}
