//! `entente admin supervision`: the supervision module (`0x…e17e04`) from the command
//! line, for the regulator committee (accounts with the system role `regulator`).
//!
//! Write commands build their calldata with the `ISupervision` `sol!` types after checking
//! every argument locally (a legal-basis file is hashed here: only its SHA-256 goes on
//! chain), then go through `entente admin`'s path: `eth_estimateGas` first, whose revert
//! data names the module's error before anything is sent, then a signed EIP-1559
//! transaction and its receipt, whose supervision events are printed. Reads are
//! `eth_call`s of the module's views.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256, Bytes, FixedBytes, U64, U256};
use alloy_sol_types::{SolCall, SolEventInterface as _, SolInterface as _};
use anyhow::{Context as _, bail};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use entente_api::supervision::{order_value, spec_json, target_value};
use entente_modules::{
    SUPERVISION_ADDRESS,
    supervision::{
        abi::{
            FreezeSpec, ISupervision,
            ISupervision::{ISupervisionErrors, ISupervisionEvents},
            Proposal,
        },
        names::{
            ORDER_STATUSES, PROPOSAL_KINDS, PROPOSAL_STATUSES, REASONS, TARGET_KINDS as KINDS, name,
        },
        state::{DIR_BOTH, KIND_ACCOUNT, KIND_HOLDING, KIND_PENDING_TX, holding_key},
    },
};
use entente_verify::evidence::{abi::ALG_SHA256, verify::digest_document};
use serde_json::{Map, Value, json};

use crate::admin::{AdminArgs, Node, RpcError, RpcLog, VoteArgs, load_signer, parse_address};

#[derive(Subcommand)]
pub enum SupervisionCommand {
    /// Propose a freeze order (you vote agree at once); it takes effect in the block whose
    /// vote reaches `supervision.approval_pct` of the committee.
    ProposeFreeze(Box<FreezeArgs>),
    /// Freeze at once, on your own authority: the order lapses after
    /// `supervision.emergency_ttl_blocks` unless the committee ratifies it.
    EmergencyFreeze(Box<FreezeArgs>),
    /// Propose lifting an active order.
    ProposeLift {
        /// Order id.
        order: u64,
    },
    /// Propose ratifying an emergency order: it is replaced by an ordinary order on the
    /// same target.
    ProposeRatify {
        /// Order id (an active emergency order).
        order: u64,
        /// Height at which the ratified order lapses (default: until lifted).
        #[arg(long, value_name = "HEIGHT", value_parser = parse_height)]
        expires_at: Option<u64>,
    },
    /// Propose moving frozen units of a holding to an escrow account (an account with the
    /// role `escrow`); passes at `supervision.forced_transfer_pct`.
    ProposeForcedTransfer {
        /// Order id (an active holding order).
        order: u64,
        #[arg(long, value_parser = parse_address)]
        escrow: Address,
        /// Units of the asset (decimal or 0x hex).
        #[arg(long, value_parser = parse_units)]
        amount: U256,
    },
    /// Vote on an open committee proposal; the vote that reaches the threshold executes it.
    Vote(VoteArgs),
    /// Show an order.
    Order {
        /// Order id.
        id: u64,
    },
    /// Show a committee proposal.
    Proposal {
        /// Proposal id.
        id: u64,
    },
    /// List every order ever made on a target, oldest first.
    Orders {
        /// An account, contract or holder address, or a transaction hash.
        #[arg(value_parser = parse_target_arg)]
        target: TargetArg,
        /// With a holder as target: the orders on its holding of this native asset.
        #[arg(long, value_parser = parse_address)]
        asset: Option<Address>,
    },
    /// Whether an active order covers a target (exit status 0 either way).
    IsFrozen(Box<WhatArgs>),
}

/// What an order covers.
#[derive(Args)]
pub struct WhatArgs {
    #[arg(long)]
    kind: KindArg,
    /// An address; for `--kind tx` the transaction hash.
    #[arg(long, value_parser = parse_target_arg)]
    target: TargetArg,
    /// `--kind method`: the 4-byte function selector (0x and 8 hex digits).
    #[arg(long, value_parser = parse_selector)]
    selector: Option<FixedBytes<4>>,
    /// `--kind holding`: the native asset.
    #[arg(long, value_parser = parse_address)]
    asset: Option<Address>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("basis").required(true).args(["legal_basis_file", "legal_basis"])))]
pub struct FreezeArgs {
    #[command(flatten)]
    what: WhatArgs,
    /// `--kind holding`: units frozen (decimal or 0x hex); omitted, the whole holding.
    #[arg(long, value_parser = parse_units)]
    amount: Option<U256>,
    /// `--kind account|holding`: what is stopped (default both).
    #[arg(long)]
    direction: Option<DirectionArg>,
    #[arg(long)]
    reason: ReasonArg,
    /// The court order or decision (e.g. a PDF): its SHA-256 becomes the order's legal
    /// basis; the file itself never leaves this machine.
    #[arg(long, value_name = "PATH")]
    legal_basis_file: Option<PathBuf>,
    /// The SHA-256 of the legal basis, 0x and 64 hex digits.
    #[arg(long, value_name = "HASH", value_parser = parse_word)]
    legal_basis: Option<B256>,
    /// A case reference: 0x and 64 hex digits, or text of at most 32 bytes.
    #[arg(long, value_name = "REF", value_parser = parse_case_ref)]
    case_ref: Option<B256>,
    /// Height at which the order lapses (default: until lifted). Not for emergency
    /// freezes, which lapse after the emergency TTL unless ratified.
    #[arg(long, value_name = "HEIGHT", value_parser = parse_height)]
    expires_at: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Account,
    Contract,
    Method,
    Holding,
    Tx,
}

impl KindArg {
    fn code(self) -> u8 {
        self as u8 + 1
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DirectionArg {
    #[value(name = "out")]
    Outbound,
    #[value(name = "in")]
    Inbound,
    Both,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReasonArg {
    #[value(name = "court_order")]
    CourtOrder,
    Aml,
    Sanctions,
    Fraud,
    Recall,
    Other,
}

/// A target as given: an address, or a 32-byte hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetArg {
    Address(Address),
    Hash(B256),
}

impl TargetArg {
    fn word(self) -> B256 {
        match self {
            Self::Address(address) => address.into_word(),
            Self::Hash(hash) => hash,
        }
    }
}

fn parse_target_arg(text: &str) -> Result<TargetArg, String> {
    if text.len() == 66 {
        return parse_word(text).map(TargetArg::Hash);
    }
    parse_address(text)
        .map(TargetArg::Address)
        .map_err(|_| format!("{text:?} is neither an address (0x and 40 hex digits) nor a transaction hash (0x and 64 hex digits)"))
}

/// `0x` and 64 hex digits.
fn parse_word(text: &str) -> Result<B256, String> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("{text:?} is not 0x and 64 hex digits"))?;
    Ok(B256::from_slice(
        &alloy_primitives::hex::decode(digits).map_err(|e| e.to_string())?,
    ))
}

fn parse_selector(text: &str) -> Result<FixedBytes<4>, String> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("{text:?} is not a selector: 0x and 8 hex digits"))?;
    let bytes = alloy_primitives::hex::decode(digits).map_err(|e| e.to_string())?;
    if bytes == [0; 4] {
        return Err("the selector 0x00000000 names no method".into());
    }
    Ok(FixedBytes::from_slice(&bytes))
}

fn parse_units(text: &str) -> Result<U256, String> {
    let value: U256 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of units (decimal or 0x hex)"))?;
    if value.is_zero() {
        return Err("must be at least 1 (omit --amount to freeze a whole holding)".into());
    }
    Ok(value)
}

fn parse_height(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be a future height (omit it for no expiry)".into()),
        Ok(height) => Ok(height),
        Err(_) => Err(format!("{text:?} is not a block height")),
    }
}

/// 0x and 64 hex digits, or 1 to 32 bytes of text, right-padded with zeros.
fn parse_case_ref(text: &str) -> Result<B256, String> {
    if text.starts_with("0x") && text.len() == 66 {
        return parse_word(text);
    }
    if text.is_empty() || text.len() > 32 {
        return Err(format!(
            "case reference {text:?}: 0x and 64 hex digits, or 1 to 32 bytes of text"
        ));
    }
    let mut word = [0u8; 32];
    word[..text.len()].copy_from_slice(text.as_bytes());
    Ok(B256::from(word))
}

/// The target word of `kind`, refusing a target of the wrong shape.
fn target_of(kind: KindArg, target: TargetArg) -> anyhow::Result<B256> {
    match (kind, target) {
        (KindArg::Tx, TargetArg::Hash(hash)) => Ok(hash),
        (KindArg::Tx, TargetArg::Address(_)) => {
            bail!(
                "--kind tx freezes a pending transaction: --target is its hash (0x and 64 hex digits)"
            )
        }
        (_, TargetArg::Address(address)) => Ok(address.into_word()),
        (kind, TargetArg::Hash(_)) => bail!(
            "--kind {} takes an address as --target (0x and 40 hex digits)",
            name(&KINDS, kind.code())
        ),
    }
}

impl WhatArgs {
    /// Kind, target, selector and asset, checked against each other.
    fn check(&self) -> anyhow::Result<(u8, B256, FixedBytes<4>, Address)> {
        let kind = self.kind.code();
        let target = target_of(self.kind, self.target)?;
        let selector = match (self.kind, self.selector) {
            (KindArg::Method, Some(selector)) => selector,
            (KindArg::Method, None) => {
                bail!("--kind method needs --selector (0x and 8 hex digits)")
            }
            (_, Some(_)) => bail!("--selector is only for --kind method"),
            (_, None) => FixedBytes::ZERO,
        };
        let asset = match (self.kind, self.asset) {
            (KindArg::Holding, Some(asset)) => asset,
            (KindArg::Holding, None) => bail!("--kind holding needs --asset (the native asset)"),
            (_, Some(_)) => bail!("--asset is only for --kind holding"),
            (_, None) => Address::ZERO,
        };
        Ok((kind, target, selector, asset))
    }
}

impl FreezeArgs {
    /// The module's spec, every argument checked and the legal-basis file hashed.
    fn spec(&self, emergency: bool) -> anyhow::Result<FreezeSpec> {
        let (kind, target, selector, asset) = self.what.check()?;
        if self.amount.is_some() && kind != KIND_HOLDING {
            bail!("--amount is only for --kind holding");
        }
        let direction = match (kind, self.direction) {
            (KIND_ACCOUNT | KIND_HOLDING, Some(direction)) => direction as u8 + 1,
            (_, Some(_)) => bail!("--direction is only for --kind account and --kind holding"),
            (_, None) => DIR_BOTH,
        };
        if emergency && self.expires_at.is_some() {
            bail!(
                "an emergency order lapses after supervision.emergency_ttl_blocks: \
                 drop --expires-at (propose-ratify sets the expiry of the ratified order)"
            );
        }
        let legal_basis = match (&self.legal_basis_file, self.legal_basis) {
            (Some(path), _) => {
                let document = std::fs::read(path).with_context(|| {
                    format!("cannot read the legal basis file {}", path.display())
                })?;
                if document.is_empty() {
                    bail!("the legal basis file {} is empty", path.display());
                }
                B256::from(digest_document(ALG_SHA256, &document))
            }
            (None, Some(hash)) => hash,
            (None, None) => bail!("give --legal-basis-file PATH or --legal-basis 0x…"),
        };
        if legal_basis == B256::ZERO {
            bail!("--legal-basis cannot be zero: it is the SHA-256 of the court order or decision");
        }
        Ok(FreezeSpec {
            kind,
            target,
            selector,
            asset,
            amount: self.amount.unwrap_or_default(),
            direction,
            reason: self.reason as u16 + 1,
            legalBasis: legal_basis,
            caseRef: self.case_ref.unwrap_or_default(),
            expiresAt: self.expires_at.unwrap_or(0),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Refusals: the module's errors by name, with their fields.

/// A supervision call the module refused, with its typed Solidity error.
#[derive(Debug, thiserror::Error)]
#[error("the supervision module refused: {}", error_named(.0).text())]
pub(crate) struct Refused(pub(crate) ISupervisionErrors);

/// The supervision error in a failed call's revert data, else the failure as it is.
fn refusal_or(err: RpcError) -> anyhow::Error {
    if let RpcError::Failed {
        data: Some(data), ..
    } = &err
        && let Ok(decoded) = ISupervisionErrors::abi_decode(data)
    {
        return Refused(decoded).into();
    }
    err.into()
}

/// The `--json` form of a refusal, if `err` is one.
pub(crate) fn refusal_json(err: &anyhow::Error) -> Option<Value> {
    err.downcast_ref::<Refused>()
        .map(|refused| error_named(&refused.0).json())
}

/// A name and named fields: an event or an error.
struct Named {
    name: &'static str,
    fields: Vec<(&'static str, Value)>,
}

impl Named {
    fn new(name: &'static str, fields: Vec<(&'static str, Value)>) -> Self {
        Self { name, fields }
    }

    /// `Name(field: value, …)`.
    fn text(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(key, value)| format!("{key}: {value}"))
            .collect();
        format!("{}({})", self.name, fields.join(", "))
    }

    fn json(&self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), json!(self.name));
        for (key, value) in &self.fields {
            map.insert((*key).into(), value.clone());
        }
        Value::Object(map)
    }
}

fn error_named(err: &ISupervisionErrors) -> Named {
    use ISupervisionErrors as E;
    match err {
        E::Unauthorized(e) => Named::new(
            "Unauthorized",
            vec![("caller", json!(e.caller)), ("reason", json!(e.reason))],
        ),
        E::InvalidInput(e) => Named::new("InvalidInput", vec![("reason", json!(e.reason))]),
        E::NotFound(e) => Named::new("NotFound", vec![("what", json!(e.what))]),
        E::MissingLegalBasis(_) => Named::new("MissingLegalBasis", vec![]),
        E::TargetNotFreezable(e) => Named::new(
            "TargetNotFreezable",
            vec![
                ("target", target_value(None, &e.target)),
                ("reason", json!(e.reason)),
            ],
        ),
        E::AlreadyVoted(e) => Named::new(
            "AlreadyVoted",
            vec![
                ("proposal", json!(e.proposalId)),
                ("member", json!(e.member)),
            ],
        ),
        E::ProposalExpired(e) => {
            Named::new("ProposalExpired", vec![("proposal", json!(e.proposalId))])
        }
        E::ProposalNotOpen(e) => Named::new(
            "ProposalNotOpen",
            vec![
                ("proposal", json!(e.proposalId)),
                ("status", json!(name(&PROPOSAL_STATUSES, e.status))),
            ],
        ),
        E::ProposalAlreadyOpen(e) => Named::new(
            "ProposalAlreadyOpen",
            vec![("proposal", json!(e.proposalId))],
        ),
        E::EmergencyQuotaExceeded(e) => Named::new(
            "EmergencyQuotaExceeded",
            vec![("member", json!(e.member)), ("active", json!(e.active))],
        ),
        E::InvalidState(e) => Named::new(
            "InvalidState",
            vec![
                ("order", json!(e.orderId)),
                // Recorded active yet refused: it has lapsed.
                (
                    "status",
                    json!(if e.status == 1 {
                        "expired".to_string()
                    } else {
                        name(&ORDER_STATUSES, e.status)
                    }),
                ),
            ],
        ),
        E::AlreadyOrdinary(e) => Named::new("AlreadyOrdinary", vec![("order", json!(e.orderId))]),
        E::NoCoveringOrder(e) => Named::new(
            "NoCoveringOrder",
            vec![("asset", json!(e.asset)), ("holder", json!(e.holder))],
        ),
        E::TxAlreadyCommitted(e) => Named::new("TxAlreadyCommitted", vec![("tx", json!(e.txHash))]),
        E::Frozen(e) => Named::new("Frozen", vec![("order", json!(e.orderId))]),
        E::ContractFrozen(e) => Named::new("ContractFrozen", vec![("order", json!(e.orderId))]),
    }
}

/// For a pending-transaction spec: refuses a transaction the node already has in a block,
/// and names the sender and nonce of a pending one, so that the module refuses the order
/// if the transaction commits before the order passes (`TxAlreadyCommitted`).
async fn locate_pending(node: &Node, mut spec: FreezeSpec) -> anyhow::Result<FreezeSpec> {
    if spec.kind != KIND_PENDING_TX {
        return Ok(spec);
    }
    let tx = node
        .request("eth_getTransactionByHash", json!([spec.target]))
        .await?;
    if tx.is_null() {
        return Ok(spec);
    }
    if let Some(block) = tx.get("blockNumber").filter(|b| !b.is_null()) {
        bail!(
            "TxAlreadyCommitted: transaction {} is already in block {block}: freeze what it produced instead",
            spec.target
        );
    }
    let sender: Address = serde_json::from_value(tx["from"].clone())
        .context("eth_getTransactionByHash: no sender")?;
    let nonce: alloy_primitives::U64 = serde_json::from_value(tx["nonce"].clone())
        .context("eth_getTransactionByHash: no nonce")?;
    spec.asset = sender;
    spec.amount = U256::from(nonce.to::<u64>());
    Ok(spec)
}

/// An event as a sentence and as named fields.
fn event_named(event: &ISupervisionEvents) -> (String, Named) {
    use ISupervisionEvents as E;
    let vote = |agree: bool| if agree { "agree" } else { "against" };
    match event {
        E::FreezeProposed(e) => (
            format!(
                "proposal {} created: freeze {} {} by {}",
                e.proposalId,
                name(&KINDS, e.kind),
                target_text(Some(e.kind), &e.target),
                e.proposer
            ),
            Named::new(
                "FreezeProposed",
                vec![
                    ("proposal", json!(e.proposalId)),
                    ("kind", json!(name(&KINDS, e.kind))),
                    ("target", target_value(Some(e.kind), &e.target)),
                    ("proposer", json!(e.proposer)),
                ],
            ),
        ),
        E::LiftProposed(e) => (
            format!(
                "proposal {} created: lift order {} by {}",
                e.proposalId, e.orderId, e.proposer
            ),
            Named::new(
                "LiftProposed",
                vec![
                    ("proposal", json!(e.proposalId)),
                    ("order", json!(e.orderId)),
                    ("proposer", json!(e.proposer)),
                ],
            ),
        ),
        E::RatifyProposed(e) => (
            format!(
                "proposal {} created: ratify order {} by {}",
                e.proposalId, e.orderId, e.proposer
            ),
            Named::new(
                "RatifyProposed",
                vec![
                    ("proposal", json!(e.proposalId)),
                    ("order", json!(e.orderId)),
                    ("proposer", json!(e.proposer)),
                ],
            ),
        ),
        E::ForcedTransferProposed(e) => (
            format!(
                "proposal {} created: move {} units under order {} to escrow {}",
                e.proposalId, e.amount, e.orderId, e.escrow
            ),
            Named::new(
                "ForcedTransferProposed",
                vec![
                    ("proposal", json!(e.proposalId)),
                    ("order", json!(e.orderId)),
                    ("escrow", json!(e.escrow)),
                    ("amount", json!(e.amount.to_string())),
                ],
            ),
        ),
        E::Voted(e) => (
            format!(
                "{} voted {} on proposal {}",
                e.member,
                vote(e.agree),
                e.proposalId
            ),
            Named::new(
                "Voted",
                vec![
                    ("proposal", json!(e.proposalId)),
                    ("member", json!(e.member)),
                    ("agree", json!(e.agree)),
                ],
            ),
        ),
        E::FreezeActivated(e) => (
            format!(
                "order {} active: {} {} frozen (proposal {})",
                e.orderId,
                name(&KINDS, e.kind),
                target_text(Some(e.kind), &e.target),
                e.proposalId
            ),
            Named::new(
                "FreezeActivated",
                vec![
                    ("order", json!(e.orderId)),
                    ("kind", json!(name(&KINDS, e.kind))),
                    ("target", target_value(Some(e.kind), &e.target)),
                    ("proposal", json!(e.proposalId)),
                ],
            ),
        ),
        E::EmergencyFreezeActivated(e) => (
            format!(
                "order {} active: emergency freeze of {} by {}, lapses at block {} unless ratified",
                e.orderId,
                target_text(None, &e.target),
                e.issuer,
                e.expiresAt
            ),
            Named::new(
                "EmergencyFreezeActivated",
                vec![
                    ("order", json!(e.orderId)),
                    ("target", target_value(None, &e.target)),
                    ("issuer", json!(e.issuer)),
                    ("expiresAt", json!(e.expiresAt)),
                ],
            ),
        ),
        E::OrderRatified(e) => (
            format!(
                "order {} ratified: replaced by order {}",
                e.orderId, e.newOrderId
            ),
            Named::new(
                "OrderRatified",
                vec![
                    ("order", json!(e.orderId)),
                    ("newOrder", json!(e.newOrderId)),
                ],
            ),
        ),
        E::OrderLifted(e) => (
            format!("order {} lifted (proposal {})", e.orderId, e.proposalId),
            Named::new(
                "OrderLifted",
                vec![
                    ("order", json!(e.orderId)),
                    ("proposal", json!(e.proposalId)),
                ],
            ),
        ),
        E::OrderExpired(e) => (
            format!("order {} expired", e.orderId),
            Named::new("OrderExpired", vec![("order", json!(e.orderId))]),
        ),
        E::ForcedTransfer(e) => (
            format!(
                "order {}: {} units of {} moved from {} to escrow {}",
                e.orderId, e.amount, e.asset, e.from, e.escrow
            ),
            Named::new(
                "ForcedTransfer",
                vec![
                    ("order", json!(e.orderId)),
                    ("asset", json!(e.asset)),
                    ("from", json!(e.from)),
                    ("escrow", json!(e.escrow)),
                    ("amount", json!(e.amount.to_string())),
                ],
            ),
        ),
        E::SubjectNotified(e) => (
            format!(
                "{} notified of order {}: {}, legal basis {}",
                target_text(None, &e.target),
                e.orderId,
                name(&REASONS, e.reason),
                e.legalBasis
            ),
            Named::new(
                "SubjectNotified",
                vec![
                    ("target", target_value(None, &e.target)),
                    ("order", json!(e.orderId)),
                    ("reason", json!(name(&REASONS, e.reason))),
                    ("legalBasis", json!(e.legalBasis)),
                ],
            ),
        ),
    }
}

fn target_text(kind: Option<u8>, target: &B256) -> String {
    match target_value(kind, target) {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Entry point.

pub async fn execute(
    node: &Node,
    command: &SupervisionCommand,
    args: &AdminArgs,
) -> anyhow::Result<()> {
    use ISupervision as I;
    let json = args.json;
    let calldata = match command {
        SupervisionCommand::Order { id } => return show_order(node, *id, json).await,
        SupervisionCommand::Proposal { id } => return show_proposal(node, *id, json).await,
        SupervisionCommand::Orders { target, asset } => {
            return list_orders(node, *target, *asset, json).await;
        }
        SupervisionCommand::IsFrozen(what) => return is_frozen(node, what, json).await,
        SupervisionCommand::ProposeFreeze(freeze) => I::proposeFreezeCall {
            spec: locate_pending(node, freeze.spec(false)?).await?,
        }
        .abi_encode(),
        SupervisionCommand::EmergencyFreeze(freeze) => I::emergencyFreezeCall {
            spec: locate_pending(node, freeze.spec(true)?).await?,
        }
        .abi_encode(),
        SupervisionCommand::ProposeLift { order } => {
            I::proposeLiftCall { orderId: *order }.abi_encode()
        }
        SupervisionCommand::ProposeRatify { order, expires_at } => I::proposeRatifyCall {
            orderId: *order,
            newExpiresAt: expires_at.unwrap_or(0),
        }
        .abi_encode(),
        SupervisionCommand::ProposeForcedTransfer {
            order,
            escrow,
            amount,
        } => I::proposeForcedTransferCall {
            orderId: *order,
            escrow: *escrow,
            amount: *amount,
        }
        .abi_encode(),
        SupervisionCommand::Vote(vote) => I::voteCall {
            proposalId: vote.id,
            agree: vote.agree,
        }
        .abi_encode(),
    };
    let signer = load_signer(args.signing_key.as_deref(), args.key_file.as_deref())?;
    let (hash, receipt) = node
        .send_to(
            &signer,
            SUPERVISION_ADDRESS,
            calldata,
            Duration::from_secs(args.wait),
            refusal_or,
        )
        .await?;
    let events = supervision_events(&receipt.logs);
    let views: Vec<(String, Named)> = events.iter().map(event_named).collect();
    let proposal = events.iter().find_map(|event| match event {
        ISupervisionEvents::FreezeProposed(e) => Some(e.proposalId),
        ISupervisionEvents::LiftProposed(e) => Some(e.proposalId),
        ISupervisionEvents::RatifyProposed(e) => Some(e.proposalId),
        ISupervisionEvents::ForcedTransferProposed(e) => Some(e.proposalId),
        _ => None,
    });
    let order = events.iter().find_map(|event| match event {
        ISupervisionEvents::FreezeActivated(e) => Some(e.orderId),
        ISupervisionEvents::EmergencyFreezeActivated(e) => Some(e.orderId),
        _ => None,
    });
    let (block, gas_used) = (
        receipt.block_number.to::<u64>(),
        receipt.gas_used.to::<u64>(),
    );
    if json {
        print_json(&json!({
            "ok": true,
            "tx": hash,
            "block": block,
            "gasUsed": gas_used,
            "proposal": proposal,
            "order": order,
            "events": views.iter().map(|(_, view)| view.json()).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    println!("transaction {hash} included in block {block} (gas used {gas_used})");
    for (text, view) in &views {
        println!("  {text}  [{}]", view.name);
    }
    Ok(())
}

/// The supervision module's events among `logs`.
fn supervision_events(logs: &[RpcLog]) -> Vec<ISupervisionEvents> {
    logs.iter()
        .filter(|log| log.address == SUPERVISION_ADDRESS)
        .filter_map(|log| ISupervisionEvents::decode_raw_log(&log.topics, &log.data).ok())
        .collect()
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

// ---------------------------------------------------------------------------------------
// Reads.

/// A supervision view at the latest block.
async fn view<C: SolCall>(node: &Node, call: &C) -> anyhow::Result<C::Return> {
    let request = json!({"to": SUPERVISION_ADDRESS, "data": Bytes::from(call.abi_encode())});
    let output: Bytes = match node.request("eth_call", json!([request, "latest"])).await {
        Ok(value) => serde_json::from_value(value).context("eth_call: unexpected answer")?,
        Err(err) => return Err(refusal_or(err)),
    };
    C::abi_decode_returns(&output)
        .with_context(|| format!("cannot decode the answer of {}", C::SIGNATURE))
}

fn opt<T: Into<u64>>(value: T) -> Option<u64> {
    let value = value.into();
    (value != 0).then_some(value)
}

/// The order in which an order's fields are printed; others follow, alphabetically.
const ORDER_FIELDS: [&str; 24] = [
    "kind",
    "target",
    "selector",
    "asset",
    "amount",
    "direction",
    "reason",
    "legal_basis",
    "case_ref",
    "expires_at",
    "active",
    "emergency",
    "issued_by",
    "order_id",
    "proposal_id",
    "new_expires_at",
    "escrow",
    "proposer",
    "created_at",
    "activated_at",
    "closed_at",
    "consumed",
    "status",
    "id",
];

/// The order in which a proposal's fields are printed.
const PROPOSAL_FIELDS: [&str; 7] = [
    "order_id",
    "escrow",
    "amount",
    "new_expires_at",
    "proposer",
    "created_at",
    "expires_at",
];

/// `key  value` lines of a JSON object in `order`, `-` for null.
fn print_fields(value: &Value, order: &[&str], skip: &[&str]) {
    let Value::Object(map) = value else {
        return;
    };
    let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(usize::MAX);
    let mut fields: Vec<(&String, &Value)> = map.iter().collect();
    fields.sort_by_key(|(key, _)| rank(key));
    for (key, value) in fields {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let text = match value {
            Value::Null => "-".to_string(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        println!("  {:<13} {text}", key.replace('_', " "));
    }
}

async fn show_order(node: &Node, id: u64, json: bool) -> anyhow::Result<()> {
    let order = view(node, &ISupervision::getOrderCall { id }).await?;
    let value = order_value(&order);
    if json {
        print_json(&value);
        return Ok(());
    }
    println!(
        "order {id} ({})",
        value["status"].as_str().unwrap_or_default()
    );
    print_fields(&value, &ORDER_FIELDS, &["id", "status"]);
    Ok(())
}

fn proposal_json(p: &Proposal) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(p.id));
    out.insert("kind".into(), json!(name(&PROPOSAL_KINDS, p.kind)));
    out.insert("status".into(), json!(name(&PROPOSAL_STATUSES, p.status)));
    out.insert("order_id".into(), json!(opt(p.orderId)));
    match p.kind {
        1 => {
            out.insert("spec".into(), Value::Object(spec_json(&p.spec)));
        }
        3 => {
            out.insert("new_expires_at".into(), json!(opt(p.newExpiresAt)));
        }
        4 => {
            out.insert("escrow".into(), json!(p.escrow));
            out.insert("amount".into(), json!(p.amount.to_string()));
        }
        _ => {}
    }
    out.insert("proposer".into(), json!(p.proposer));
    out.insert("created_at".into(), json!(p.createdAt));
    out.insert("expires_at".into(), json!(p.expiresAt));
    out.insert(
        "votes".into(),
        json!({ "agree": p.agree, "against": p.against, "members": p.members }),
    );
    Value::Object(out)
}

async fn show_proposal(node: &Node, id: u64, json: bool) -> anyhow::Result<()> {
    let proposal = view(node, &ISupervision::getProposalCall { id }).await?;
    let value = proposal_json(&proposal);
    if json {
        print_json(&value);
        return Ok(());
    }
    println!(
        "proposal {id}: {} ({})",
        value["kind"].as_str().unwrap_or_default(),
        value["status"].as_str().unwrap_or_default()
    );
    print_fields(
        &value,
        &PROPOSAL_FIELDS,
        &["id", "kind", "status", "spec", "votes"],
    );
    println!(
        "  votes         agree {}, against {}, of {} regulators",
        proposal.agree, proposal.against, proposal.members
    );
    if proposal.kind == 1 {
        println!("  order it would make:");
        print_fields(
            &Value::Object(spec_json(&proposal.spec)),
            &ORDER_FIELDS,
            &[],
        );
    }
    Ok(())
}

async fn list_orders(
    node: &Node,
    target: TargetArg,
    asset: Option<Address>,
    json: bool,
) -> anyhow::Result<()> {
    let key = match (target, asset) {
        (TargetArg::Address(holder), Some(asset)) => holding_key(&asset, &holder),
        (TargetArg::Hash(_), Some(_)) => {
            bail!("--asset names a holding: give the holder's address as TARGET")
        }
        (target, None) => target.word(),
    };
    let ids = view(node, &ISupervision::ordersOfCall { targetKey: key }).await?;
    let mut orders = Vec::with_capacity(ids.len());
    for id in ids {
        orders.push(view(node, &ISupervision::getOrderCall { id }).await?);
    }
    if json {
        print_json(&Value::Array(orders.iter().map(order_value).collect()));
        return Ok(());
    }
    if orders.is_empty() {
        println!("no orders on {}", target_text(None, &target.word()));
        return Ok(());
    }
    println!("ID  STATUS    KIND      REASON       EMERGENCY  ACTIVATED  CLOSED");
    for o in &orders {
        let value = order_value(o);
        println!(
            "{:<3} {:<9} {:<9} {:<12} {:<10} {:<10} {}",
            o.id,
            value["status"].as_str().unwrap_or_default(),
            value["kind"].as_str().unwrap_or_default(),
            value["reason"].as_str().unwrap_or_default(),
            if o.emergency { "yes" } else { "no" },
            o.activatedAt,
            value["closed_at"]
                .as_u64()
                .map_or_else(|| "-".to_string(), |h| h.to_string())
        );
    }
    Ok(())
}

async fn is_frozen(node: &Node, what: &WhatArgs, json: bool) -> anyhow::Result<()> {
    let (kind, target, selector, asset) = what.check()?;
    let block: U64 = node.typed("eth_blockNumber", json!([])).await?;
    let answer = view(
        node,
        &ISupervision::isFrozenCall {
            kind,
            target,
            selector,
            asset,
        },
    )
    .await?;
    let order = answer.frozen.then_some(answer.orderId);
    if json {
        print_json(&json!({
            "block": block.to::<u64>(),
            "kind": name(&KINDS, kind),
            "target": target_value(Some(kind), &target),
            "frozen": answer.frozen,
            "order_id": order,
        }));
        return Ok(());
    }
    let what = format!(
        "{} {}",
        name(&KINDS, kind),
        target_text(Some(kind), &target)
    );
    match order {
        Some(order) => println!("{what} is frozen by order {order}"),
        None => println!("{what} is not frozen"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        admin: AdminArgs,
    }

    fn parse(args: &[&str]) -> Result<SupervisionCommand, clap::Error> {
        use clap::Parser as _;
        let cli = Cli::try_parse_from(
            ["admin", "supervision"]
                .into_iter()
                .chain(args.iter().copied()),
        )?;
        match cli.admin.command {
            crate::admin::AdminCommand::Supervision(command) => Ok(command),
            _ => panic!("not a supervision command"),
        }
    }

    fn freeze(args: &[&str]) -> anyhow::Result<FreezeSpec> {
        match parse(args).map_err(|err| anyhow::anyhow!("{err}"))? {
            SupervisionCommand::ProposeFreeze(f) => f.spec(false),
            SupervisionCommand::EmergencyFreeze(f) => f.spec(true),
            _ => panic!("not a freeze"),
        }
    }

    const ALICE: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
    const HASH: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn freeze_arguments_become_a_spec() {
        let dir = std::env::temp_dir().join(format!("entente-sup-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pdf = dir.join("order.pdf");
        std::fs::write(&pdf, b"%PDF court order 2026-117").unwrap();
        let spec = freeze(&[
            "propose-freeze",
            "--kind",
            "holding",
            "--target",
            ALICE,
            "--asset",
            "0x0000000000000000000000000000000000e17ea5",
            "--amount",
            "100",
            "--direction",
            "out",
            "--reason",
            "court_order",
            "--legal-basis-file",
            pdf.to_str().unwrap(),
            "--case-ref",
            "2026-117",
            "--expires-at",
            "900",
        ])
        .unwrap();
        assert_eq!(
            (spec.kind, spec.direction, spec.reason, spec.expiresAt),
            (4, 1, 1, 900)
        );
        assert_eq!(spec.amount, U256::from(100));
        assert_eq!(
            spec.legalBasis,
            B256::from(digest_document(ALG_SHA256, b"%PDF court order 2026-117"))
        );
        assert_eq!(&spec.caseRef[..8], b"2026-117");
        let spec = freeze(&[
            "emergency-freeze",
            "--kind",
            "method",
            "--target",
            ALICE,
            "--selector",
            "0xa9059cbb",
            "--reason",
            "fraud",
            "--legal-basis",
            HASH,
        ])
        .unwrap();
        assert_eq!((spec.kind, spec.direction, spec.reason), (3, DIR_BOTH, 4));
        assert_eq!(spec.selector.0, [0xa9, 0x05, 0x9c, 0xbb]);
        let spec = freeze(&[
            "propose-freeze",
            "--kind",
            "tx",
            "--target",
            HASH,
            "--reason",
            "other",
            "--legal-basis",
            HASH,
        ])
        .unwrap();
        assert_eq!(spec.target, HASH.parse::<B256>().unwrap());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_freeze_arguments_are_refused_before_anything_is_sent() {
        let base = ["propose-freeze", "--reason", "aml", "--legal-basis", HASH];
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec!["--kind", "account", "--target", HASH],
                "takes an address",
            ),
            (vec!["--kind", "tx", "--target", ALICE], "its hash"),
            (
                vec!["--kind", "method", "--target", ALICE],
                "needs --selector",
            ),
            (
                vec![
                    "--kind",
                    "account",
                    "--target",
                    ALICE,
                    "--selector",
                    "0x12345678",
                ],
                "only for --kind method",
            ),
            (
                vec!["--kind", "holding", "--target", ALICE],
                "needs --asset",
            ),
            (
                vec!["--kind", "account", "--target", ALICE, "--amount", "5"],
                "only for --kind holding",
            ),
            (
                vec!["--kind", "contract", "--target", ALICE, "--direction", "in"],
                "only for --kind account",
            ),
        ];
        for (extra, words) in cases {
            let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
            let err = freeze(&args).unwrap_err().to_string();
            assert!(err.contains(words), "{args:?}: {err}");
        }
        // Refused by clap: unknown names, malformed values, the legal basis missing or twice.
        for args in [
            vec![
                "propose-freeze",
                "--kind",
                "wallet",
                "--target",
                ALICE,
                "--reason",
                "aml",
                "--legal-basis",
                HASH,
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                ALICE,
                "--reason",
                "tax",
                "--legal-basis",
                HASH,
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                ALICE,
                "--reason",
                "aml",
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                ALICE,
                "--reason",
                "aml",
                "--legal-basis",
                HASH,
                "--legal-basis-file",
                "x",
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                "0x1234",
                "--reason",
                "aml",
                "--legal-basis",
                HASH,
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                ALICE,
                "--reason",
                "aml",
                "--legal-basis",
                "0x12",
            ],
            vec![
                "propose-freeze",
                "--kind",
                "account",
                "--target",
                ALICE,
                "--reason",
                "aml",
                "--legal-basis",
                HASH,
                "--expires-at",
                "0",
            ],
            vec![
                "propose-forced-transfer",
                "1",
                "--escrow",
                ALICE,
                "--amount",
                "0",
            ],
            vec!["vote", "1"],
        ] {
            assert!(parse(&args).is_err(), "{args:?} parsed");
        }
        let zero = format!("0x{}", "0".repeat(64));
        let err = freeze(&[
            "propose-freeze",
            "--kind",
            "account",
            "--target",
            ALICE,
            "--reason",
            "aml",
            "--legal-basis",
            &zero,
        ])
        .unwrap_err();
        assert!(err.to_string().contains("cannot be zero"), "{err}");
        let err = freeze(&[
            "emergency-freeze",
            "--kind",
            "account",
            "--target",
            ALICE,
            "--reason",
            "aml",
            "--legal-basis",
            HASH,
            "--expires-at",
            "50",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("emergency_ttl_blocks"), "{err}");
        let err = freeze(&[
            "propose-freeze",
            "--kind",
            "account",
            "--target",
            ALICE,
            "--reason",
            "aml",
            "--legal-basis-file",
            "/nonexistent/order.pdf",
        ])
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot read the legal basis file"),
            "{err:#}"
        );
        assert!(parse_case_ref(&"x".repeat(33)).is_err());
    }

    #[test]
    fn errors_and_events_are_named() {
        let err = ISupervisionErrors::abi_decode(
            &<ISupervision::AlreadyVoted as alloy_sol_types::SolError>::abi_encode(
                &ISupervision::AlreadyVoted {
                    proposalId: 3,
                    member: Address::repeat_byte(1),
                },
            ),
        )
        .unwrap();
        let text = error_named(&err).text();
        assert!(
            text.starts_with("AlreadyVoted(proposal: 3, member: "),
            "{text}"
        );
        let refused: anyhow::Error = Refused(err).into();
        assert_eq!(refusal_json(&refused).unwrap()["name"], "AlreadyVoted");
        let (text, named) = event_named(&ISupervisionEvents::SubjectNotified(
            ISupervision::SubjectNotified {
                target: ALICE.parse::<Address>().unwrap().into_word(),
                orderId: 2,
                reason: 3,
                legalBasis: HASH.parse().unwrap(),
            },
        ));
        assert!(text.contains("notified of order 2: sanctions"), "{text}");
        assert_eq!(named.json()["reason"], "sanctions");
    }
}
