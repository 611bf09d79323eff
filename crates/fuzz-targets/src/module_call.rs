//! The system modules as contracts and transactions call them: ABI decoding of each
//! module's calls and the full precompile path — [`EntenteModules::call`]'s dispatch, the
//! rules, storage, events and revert encoding — of governance (`0x…e17e01`), evidence
//! (`0x…e17e02`), the asset registry (`0x…e17e03`), the assets themselves
//! ([`asset_address`]), supervision (`0x…e17e04`) and trace (`0x…e17e05`).
//!
//! The state starts from the genesis of [`spec`] (`fixtures::spec(4, 8)`, whose accounts
//! are given organisations and roles — see [`CAST`] — so that deep paths are reachable)
//! and lives in a [`World`] that keeps storage per address. Each call runs behind a
//! [`ModuleHost`] that meters gas like the node's (EIP-2929 warm and cold access,
//! EIP-2200 write costs without refunds, log costs) and, like revm's journal, undoes the
//! call's writes and logs when it reverts or halts.
//!
//! # Input
//!
//! A sequence of calls, so that the fuzzer can chain a proposal, its votes and queries,
//! or an asset's creation, issuance and transfers. Each call is framed as
//!
//! ```text
//! module u8 ‖ caller u8 ‖ height u8 ‖ len u16 (big-endian) ‖ calldata (len bytes)
//! ```
//!
//! (a short last frame takes what is left; at most [`CALLS_MAX`] calls run).
//!
//! - `module`: bits 0–2 the address (see [`module_address`]: 0 governance, 1 evidence,
//!   2 asset registry, 3 asset number `1 + bits 5–7`, 4 supervision, 5 trace, 6 an asset
//!   never created, 7 an address that is no module); bits 3–4 the gas limit
//!   ([`GAS_LIMITS`]), so out-of-gas halts happen at every depth of a call.
//! - `caller`: bits 0–5 who calls (see [`caller`]: 0–3 the organisations' admins, 4–11
//!   the accounts of [`CAST`], 12–16 the module addresses, anything else an unregistered
//!   address); bit 6 the call comes through a contract (`msg.sender` a contract, the
//!   chosen account `tx.origin`, depth 1); bit 7 it carries 1 wei.
//! - `height`: blocks to advance before the call (the first call runs at height 1 plus
//!   this); bit 6 also makes the call static (STATICCALL: writes and logs must be
//!   refused, not panic). The block time is [`timestamp`] of the height.
//!
//! # Checked beyond "no panic"
//!
//! - Whenever calldata decodes as the addressed module's interface, encoding the decoded
//!   call and decoding it again gives the same call; a call that returns successfully
//!   must have decoded.
//! - Every revert carries one of the module's declared errors (empty only from an
//!   address that is no module).
//! - A module never reports a storage failure (this host has none) nor a log with more
//!   than four topics, and a static-call violation only in a static call.
//! - A module writes storage and emits logs only at module addresses
//!   ([`ModuleHost::sstore_at`]'s contract), and a static call that returns has
//!   written nothing.

use std::{
    collections::{HashMap, HashSet},
    fmt::Debug,
    sync::OnceLock,
};

use alloy_primitives::{Address, B256, LogData, U256};
use alloy_sol_types::SolInterface;
use entente_chainspec::ChainSpec;
use entente_execution::{
    ModuleCall, ModuleHalt, ModuleHost, ModuleOutput, SystemModules, modules::gas,
};
use entente_modules::{
    ASSETS_ADDRESS, EVIDENCE_ADDRESS, EntenteModules, GOVERNANCE_ADDRESS, MODULE_ADDRESSES,
    SUPERVISION_ADDRESS, TRACE_ADDRESS,
    assets::{
        abi::{
            IAsset::{IAssetCalls, IAssetErrors},
            IAssets::{IAssetsCalls, IAssetsErrors},
        },
        asset_address, asset_number,
    },
    evidence::abi::IEvidence::{IEvidenceCalls, IEvidenceErrors},
    governance::abi::IGovernance::{IGovernanceCalls, IGovernanceErrors},
    supervision::abi::ISupervision::{ISupervisionCalls, ISupervisionErrors},
    trace::abi::ITrace::{ITraceCalls, ITraceErrors},
};
use entente_testkit::fixtures::{self, CHAIN_ID, account, admin};

/// Most calls one input runs.
pub const CALLS_MAX: usize = 64;

/// Gas limits selected by bits 3–4 of the module byte: a transaction's worth, then
/// limits that run out inside the larger calls.
pub const GAS_LIMITS: [u64; 4] = [30_000_000, 1_000_000, 100_000, 25_000];

/// The block time of height 0, Unix seconds.
pub const GENESIS_TIME_SECS: u64 = 1_700_000_000;
/// Seconds per block.
pub const BLOCK_SECS: u64 = 2;

/// The block time at `height`.
pub fn timestamp(height: u64) -> u64 {
    GENESIS_TIME_SECS.saturating_add(height.saturating_mul(BLOCK_SECS))
}

/// Values of the module byte's bits 0–2.
pub mod target {
    pub const GOVERNANCE: u8 = 0;
    pub const EVIDENCE: u8 = 1;
    pub const ASSETS: u8 = 2;
    /// Asset number `1 + (module >> 5)`.
    pub const ASSET: u8 = 3;
    pub const SUPERVISION: u8 = 4;
    pub const TRACE: u8 = 5;
    /// An asset address whose asset is never created (number 2^64 - 1).
    pub const UNCREATED_ASSET: u8 = 6;
    /// An address that is no module.
    pub const NOT_A_MODULE: u8 = 7;
}

/// The address the module byte selects.
pub fn module_address(module: u8) -> Address {
    match module & 0x07 {
        target::GOVERNANCE => GOVERNANCE_ADDRESS,
        target::EVIDENCE => EVIDENCE_ADDRESS,
        target::ASSETS => ASSETS_ADDRESS,
        target::ASSET => asset_address(1 + u64::from(module >> 5)),
        target::SUPERVISION => SUPERVISION_ADDRESS,
        target::TRACE => TRACE_ADDRESS,
        target::UNCREATED_ASSET => asset_address(u64::MAX),
        _ => Address::repeat_byte(0xe1),
    }
}

/// The organisations' admins are callers 0–3; the accounts below are callers 4–11:
/// `(fixture account, organisation, roles added to member and deployer)`.
///
/// Three regulators make a supervision committee in which two votes pass an ordinary
/// proposal and three a forced transfer; the trace roles sit in different organisations
/// so that custody moves (org2 produces, org3 inspects, receives and sells), and org2
/// also has an inspector for the conflict-of-interest rule.
pub const CAST: [(usize, usize, &[&str]); 8] = [
    (
        0,
        0,
        &["regulator", "court", "evidence_submitter", "asset_issuer"],
    ),
    (
        1,
        1,
        &[
            "regulator",
            "brand_owner",
            "evidence_submitter",
            "asset_issuer",
        ],
    ),
    (2, 2, &["regulator", "producer", "customs_broker"]),
    (
        3,
        3,
        &[
            "inspector",
            "carrier",
            "retailer",
            "customs_authority",
            "verification_gateway",
            "escrow",
        ],
    ),
    (4, 2, &["inspector"]),
    (5, 1, &["producer", "warehouse", "distributor"]),
    (6, 3, &["retailer", "forwarder", "platform"]),
    (7, 0, &[]),
];

/// Fixture account 1's nonce at genesis, so that pending-transaction orders naming a
/// used nonce are refused.
pub const ACCOUNT_1_NONCE: u64 = 3;

/// The fuzzed chain's spec: `fixtures::spec(4, 8)` with [`CAST`]'s organisations and
/// roles.
pub fn spec() -> ChainSpec {
    let mut spec = fixtures::spec(4, CAST.len());
    for (i, org, roles) in CAST {
        spec.accounts[i].org = format!("org{org}");
        spec.accounts[i]
            .roles
            .extend(roles.iter().map(|role| role.to_string()));
    }
    if let Some(entry) = spec.alloc.get_mut(&account(1).address()) {
        entry.nonce = ACCOUNT_1_NONCE;
    }
    spec
}

/// `msg.sender` of calls made through a contract (caller bit 6).
pub const CONTRACT: Address = Address::repeat_byte(0xcc);

/// Who calls: `(msg.sender, tx.origin, depth)` for a caller byte.
pub fn caller(byte: u8) -> (Address, Address, usize) {
    let who = match byte & 0x3f {
        i @ 0..=3 => admin(i as usize).address(),
        i @ 4..=11 => account(i as usize - 4).address(),
        i @ 12..=16 => MODULE_ADDRESSES[i as usize - 12],
        other => Address::repeat_byte(other),
    };
    if byte & 0x40 != 0 {
        (CONTRACT, who, 1)
    } else {
        (who, who, 0)
    }
}

/// Module state: storage and nonces per address.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub storage: HashMap<Address, HashMap<U256, U256>>,
    pub nonces: HashMap<Address, u64>,
}

impl World {
    /// The genesis state of `spec`: every account's nonce and every module's storage.
    pub fn genesis(spec: &ChainSpec) -> Self {
        let diff = entente_consensus::genesis_diff(spec);
        Self {
            storage: diff
                .storage
                .into_iter()
                .map(|(address, slots)| (address, slots.into_iter().collect()))
                .collect(),
            nonces: diff
                .accounts
                .into_iter()
                .filter_map(|(address, account)| Some((address, account?.nonce)))
                .collect(),
        }
    }

    /// The value of `slot` at `address`.
    pub fn load(&self, address: &Address, slot: &U256) -> U256 {
        self.storage
            .get(address)
            .and_then(|slots| slots.get(slot))
            .copied()
            .unwrap_or_default()
    }

    fn store(&mut self, address: Address, slot: U256, value: U256) -> U256 {
        let slots = self.storage.entry(address).or_default();
        let old = if value.is_zero() {
            slots.remove(&slot)
        } else {
            slots.insert(slot, value)
        };
        old.unwrap_or_default()
    }
}

/// The genesis [`World`] of [`spec`], built once.
pub fn genesis() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::genesis(&spec()))
}

/// One call's view of the [`World`]: metering, warm and cold access, and a journal of
/// its writes and logs to undo on a revert or a halt.
pub struct Host<'w> {
    world: &'w mut World,
    address: Address,
    is_static: bool,
    gas_limit: u64,
    gas_used: u64,
    /// `(address, slot, value before the write)`, oldest first.
    journal: Vec<(Address, U256, U256)>,
    logs: Vec<(Address, LogData)>,
    warm_slots: HashSet<(Address, U256)>,
    warm_accounts: HashSet<Address>,
    /// Each written slot's value when the call started.
    original: HashMap<(Address, U256), U256>,
}

impl<'w> Host<'w> {
    pub fn new(world: &'w mut World, address: Address, gas_limit: u64, is_static: bool) -> Self {
        Self {
            world,
            address,
            is_static,
            gas_limit,
            gas_used: 0,
            journal: Vec::new(),
            logs: Vec::new(),
            warm_slots: HashSet::new(),
            warm_accounts: HashSet::new(),
            original: HashMap::new(),
        }
    }

    /// Gas the call used so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// The logs emitted so far, with the address each is emitted from.
    pub fn logs(&self) -> &[(Address, LogData)] {
        &self.logs
    }

    /// Number of storage writes so far.
    pub fn writes(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every write and log of the call, as revm's journal does for a revert or a
    /// halt.
    pub fn revert(&mut self) {
        while let Some((address, slot, old)) = self.journal.pop() {
            self.world.store(address, slot, old);
        }
        self.logs.clear();
    }

    fn touch_slot(&mut self, address: Address, slot: U256) -> bool {
        self.warm_slots.insert((address, slot))
    }
}

/// Writes and logs of modules go to module addresses only.
fn assert_module_account(address: &Address) {
    assert!(
        EntenteModules.is_module(address),
        "a module wrote to {address}, which is no module account"
    );
}

impl ModuleHost for Host<'_> {
    fn sload(&mut self, slot: U256) -> Result<U256, ModuleHalt> {
        self.sload_at(self.address, slot)
    }

    fn sstore(&mut self, slot: U256, value: U256) -> Result<(), ModuleHalt> {
        self.sstore_at(self.address, slot, value)
    }

    fn sload_at(&mut self, address: Address, slot: U256) -> Result<U256, ModuleHalt> {
        let cold = self.touch_slot(address, slot);
        self.charge(if cold {
            gas::SLOAD_COLD
        } else {
            gas::SLOAD_WARM
        })?;
        Ok(self.world.load(&address, &slot))
    }

    fn emit(&mut self, log: LogData) -> Result<(), ModuleHalt> {
        self.emit_at(self.address, log)
    }

    fn sstore_at(&mut self, address: Address, slot: U256, value: U256) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        assert_module_account(&address);
        let cold = self.touch_slot(address, slot);
        let present = self.world.load(&address, &slot);
        let original = *self.original.entry((address, slot)).or_insert(present);
        let mut cost = if value == present || original != present {
            gas::SSTORE_DIRTY
        } else if original.is_zero() {
            gas::SSTORE_SET
        } else {
            gas::SSTORE_RESET
        };
        if cold {
            cost += gas::SSTORE_COLD_SURCHARGE;
        }
        self.charge(cost)?;
        let old = self.world.store(address, slot, value);
        self.journal.push((address, slot, old));
        Ok(())
    }

    fn emit_at(&mut self, address: Address, log: LogData) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        assert_module_account(&address);
        if log.topics().len() > 4 {
            return Err(ModuleHalt::TooManyTopics);
        }
        let topics = log.topics().len() as u64;
        let bytes = log.data.len() as u64;
        self.charge(
            gas::LOG
                .saturating_add(gas::LOG_TOPIC.saturating_mul(topics))
                .saturating_add(gas::LOG_BYTE.saturating_mul(bytes)),
        )?;
        self.logs.push((address, log));
        Ok(())
    }

    fn account_nonce(&mut self, address: Address) -> Result<u64, ModuleHalt> {
        let cold = self.warm_accounts.insert(address);
        self.charge(if cold {
            gas::ACCOUNT_COLD
        } else {
            gas::SLOAD_WARM
        })?;
        Ok(self.world.nonces.get(&address).copied().unwrap_or_default())
    }

    fn charge(&mut self, gas: u64) -> Result<(), ModuleHalt> {
        let used = self.gas_used.saturating_add(gas);
        if used > self.gas_limit {
            self.gas_used = self.gas_limit;
            return Err(ModuleHalt::OutOfGas);
        }
        self.gas_used = used;
        Ok(())
    }

    fn gas_remaining(&self) -> u64 {
        self.gas_limit - self.gas_used
    }
}

/// One framed call of an input.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub module: u8,
    pub caller: u8,
    pub height: u8,
    pub calldata: &'a [u8],
}

/// The frames of an input, at most [`CALLS_MAX`].
pub fn frames(data: &[u8]) -> Vec<Frame<'_>> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < CALLS_MAX
        && let Some((header, tail)) = rest.split_first_chunk::<5>()
    {
        let [module, caller, height, hi, lo] = *header;
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(tail.len());
        let (calldata, tail) = tail.split_at(len);
        rest = tail;
        out.push(Frame {
            module,
            caller,
            height,
            calldata,
        });
    }
    out
}

/// Encodes one frame (what [`frames`] reads). Calldata longer than 65,535 bytes is
/// truncated.
pub fn frame(module: u8, caller: u8, height: u8, calldata: &[u8]) -> Vec<u8> {
    let len = calldata.len().min(usize::from(u16::MAX));
    let mut out = Vec::with_capacity(5 + len);
    out.extend_from_slice(&[module, caller, height]);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&calldata[..len]);
    out
}

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub address: Address,
    pub height: u64,
    pub result: Result<ModuleOutput, ModuleHalt>,
    pub gas_used: u64,
    /// Logs kept (none after a revert or a halt).
    pub logs: usize,
}

/// Checks `input` against the interface `C` of the module it was sent to, and the
/// revert data against its errors `E`; returns whether the input decoded.
fn check_abi<C, E>(input: &[u8], result: &Result<ModuleOutput, ModuleHalt>) -> bool
where
    C: SolInterface + PartialEq + Debug,
    E: SolInterface,
{
    let decoded = C::abi_decode(input);
    if let Ok(call) = &decoded {
        let encoded = call.abi_encode();
        let again = C::abi_decode(&encoded).expect("a re-encoded call decodes");
        assert_eq!(&again, call, "ABI round trip of {}", C::NAME);
    }
    if let Ok(ModuleOutput::Revert(data)) = result
        && let Err(err) = E::abi_decode(data)
    {
        panic!(
            "revert data 0x{} is no {} error: {err}",
            alloy_primitives::hex::encode(data),
            E::NAME
        );
    }
    decoded.is_ok()
}

/// Runs the calls of `data` from genesis and returns what each did (for tests and
/// replays; [`run`] is the fuzz target).
pub fn execute(data: &[u8]) -> Vec<Outcome> {
    let mut world = genesis().clone();
    let mut height = 1u64;
    let mut outcomes = Vec::new();
    for frame in frames(data) {
        height += u64::from(frame.height);
        outcomes.push(call(&mut world, &frame, height));
    }
    outcomes
}

/// Runs one call of an input at `height` against `world`.
pub fn call(world: &mut World, frame: &Frame<'_>, height: u64) -> Outcome {
    let address = module_address(frame.module);
    let gas_limit = GAS_LIMITS[usize::from((frame.module >> 3) & 0x03)];
    let is_static = frame.height & 0x40 != 0;
    let (sender, origin, depth) = caller(frame.caller);
    let module_call = ModuleCall {
        address,
        caller: sender,
        origin,
        value: if frame.caller & 0x80 != 0 {
            U256::from(1)
        } else {
            U256::ZERO
        },
        input: frame.calldata,
        gas_limit,
        is_static,
        depth,
        block_number: height,
        timestamp_secs: timestamp(height),
        chain_id: CHAIN_ID,
    };
    let mut host = Host::new(world, address, gas_limit, is_static);
    let result = EntenteModules.call(&module_call, &mut host);

    match &result {
        Err(ModuleHalt::Storage) => panic!("a storage failure from a host that has none"),
        Err(ModuleHalt::TooManyTopics) => panic!("a module emitted a log with over 4 topics"),
        Err(ModuleHalt::StaticStateChange) => {
            assert!(is_static, "a static-call violation outside a static call")
        }
        Ok(ModuleOutput::Return(_)) if is_static => assert!(
            host.writes() == 0 && host.logs().is_empty(),
            "a static call returned with writes or logs"
        ),
        _ => {}
    }
    let input = frame.calldata;
    let decoded = if address == GOVERNANCE_ADDRESS {
        check_abi::<IGovernanceCalls, IGovernanceErrors>(input, &result)
    } else if address == EVIDENCE_ADDRESS {
        check_abi::<IEvidenceCalls, IEvidenceErrors>(input, &result)
    } else if address == ASSETS_ADDRESS {
        check_abi::<IAssetsCalls, IAssetsErrors>(input, &result)
    } else if address == SUPERVISION_ADDRESS {
        check_abi::<ISupervisionCalls, ISupervisionErrors>(input, &result)
    } else if address == TRACE_ADDRESS {
        check_abi::<ITraceCalls, ITraceErrors>(input, &result)
    } else if asset_number(&address).is_some() {
        check_abi::<IAssetCalls, IAssetErrors>(input, &result)
    } else {
        assert!(!EntenteModules.is_module(&address));
        assert_eq!(
            result,
            Ok(ModuleOutput::Revert(Default::default())),
            "a call to an address that is no module"
        );
        false
    };
    if matches!(result, Ok(ModuleOutput::Return(_))) {
        assert!(decoded, "a call that does not decode returned successfully");
    }

    let gas_used = host.gas_used();
    if !matches!(result, Ok(ModuleOutput::Return(_))) {
        host.revert();
    }
    Outcome {
        address,
        height,
        gas_used,
        logs: host.logs().len(),
        result,
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut world = genesis().clone();
    let mut height = 1u64;
    for frame in frames(data) {
        height += u64::from(frame.height);
        call(&mut world, &frame, height);
    }
}

/// The 4-byte selectors of every module's calls: a dictionary for mutators.
pub fn selectors() -> Vec<[u8; 4]> {
    fn of<C: SolInterface>() -> impl Iterator<Item = [u8; 4]> {
        (0..C::COUNT).filter_map(C::selector_at)
    }
    of::<IGovernanceCalls>()
        .chain(of::<IEvidenceCalls>())
        .chain(of::<IAssetsCalls>())
        .chain(of::<IAssetCalls>())
        .chain(of::<ISupervisionCalls>())
        .chain(of::<ITraceCalls>())
        .collect()
}

/// The organisation id `org{i}` as the chain stores it.
pub fn org(i: usize) -> B256 {
    entente_modules::governance::state::OrgId::from_text(&format!("org{i}"))
        .expect("org id")
        .0
}
