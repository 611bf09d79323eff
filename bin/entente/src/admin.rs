//! `entente admin`: the governance module from the command line.
//!
//! Reads registries and proposals with `eth_call`, and sends the org-admin and committee
//! calls as signed transactions to a running node: calldata from the `IGovernance`
//! `sol!` types, gas from `eth_estimateGas` (whose revert data names the governance
//! error before anything is sent), chain id from `eth_chainId`, nonce from
//! `eth_getTransactionCount(pending)`. It then waits for the receipt and prints the
//! governance events the transaction emitted.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U128, U256};
use alloy_sol_types::{SolCall, SolEvent as _, SolEventInterface as _, SolInterface as _};
use anyhow::{Context as _, anyhow, bail};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use entente_bench::rpc::RpcClient;
use entente_modules::{
    GOVERNANCE_ADDRESS,
    governance::{
        abi::{
            IGovernance::{self, IGovernanceErrors, IGovernanceEvents},
            OrgInfo, ProposalInfo, ValidatorInfo,
        },
        logic::ROLE_BYTES_MAX,
        state::{AccountStatus, OrgId, OrgStatus, ProposalKind, ProposalStatus},
    },
};
use entente_primitives::LocalSigner;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

/// Bound on any single JSON-RPC request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the receipt of a sent transaction is polled.
const RECEIPT_POLL: Duration = Duration::from_millis(200);
/// Calls per JSON-RPC batch when listing proposals (nodes accept 100 by default).
const BATCH_CALLS: usize = 50;
/// Blocks per `eth_getLogs` request when collecting votes (nodes accept 10,000).
const LOG_RANGE_BLOCKS: u64 = 5_000;

/// `entente admin`: where the node is, who signs, how to print, and what to do.
#[derive(Args)]
pub struct AdminArgs {
    /// JSON-RPC endpoint (http://) of any node of the consortium.
    #[arg(
        long,
        value_name = "URL",
        global = true,
        default_value = "http://127.0.0.1:8545"
    )]
    pub rpc: String,
    /// Signing key of write commands, as hex. Other local users can see it in the
    /// process list: prefer --key-file.
    #[arg(
        long = "key",
        value_name = "HEX",
        global = true,
        conflicts_with = "key_file"
    )]
    pub signing_key: Option<String>,
    /// File holding the signing key as hex, e.g. an organisation's `admin.key`
    /// (`<out>/orgN/admin.key` from `entente init`, `<data-dir>/network/orgN/admin.key`
    /// from `entente dev`).
    #[arg(long, value_name = "PATH", global = true)]
    pub key_file: Option<PathBuf>,
    /// Print JSON (one document on stdout) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Seconds to wait for a sent transaction to be included.
    #[arg(long, value_name = "SECONDS", global = true, default_value_t = 60)]
    pub wait: u64,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Propose a change to the committee (your organisation votes agree at once).
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// Vote on an open proposal for your organisation.
    Vote(VoteArgs),
    /// Withdraw an open proposal your organisation made.
    Revoke {
        /// Proposal id.
        id: u64,
    },
    /// List proposals, newest first.
    List {
        /// Only proposals still open for votes.
        #[arg(long)]
        open: bool,
    },
    /// Show one proposal: every field, its decoded change and the votes cast.
    Show {
        /// Proposal id.
        id: u64,
    },
    /// List the organisations.
    Orgs,
    /// List the validators, past, present and scheduled.
    Validators,
    /// Show the governance parameters.
    Params,
    /// Show a registered account: organisation, status and roles.
    Account {
        #[arg(value_parser = parse_address)]
        address: Address,
    },
    /// Register an account in your organisation (org admin).
    RegisterAccount {
        #[arg(value_parser = parse_address)]
        address: Address,
        /// Roles to grant, comma-separated (e.g. member,deployer).
        #[arg(long, value_delimiter = ',', value_parser = parse_role)]
        roles: Vec<String>,
    },
    /// Suspend or reactivate an account of your organisation (org admin).
    SetAccountStatus {
        #[arg(value_parser = parse_address)]
        address: Address,
        status: AccountStatusArg,
    },
    /// Grant a role to an account of your organisation (org admin).
    GrantRole {
        #[arg(value_parser = parse_address)]
        address: Address,
        #[arg(value_parser = parse_role)]
        role: String,
    },
    /// Revoke a role from an account of your organisation (org admin).
    RevokeRole {
        #[arg(value_parser = parse_address)]
        address: Address,
        #[arg(value_parser = parse_role)]
        role: String,
    },
    /// Regulator supervision: freezes, lifts, ratifications, forced transfers and votes
    /// (regulators), and orders and proposals (anyone); see docs/supervision.md.
    #[command(subcommand)]
    Supervision(crate::supervision::SupervisionCommand),
}

#[derive(Args)]
#[command(group(ArgGroup::new("choice").required(true).args(["agree", "against"])))]
pub struct VoteArgs {
    /// Proposal id.
    pub id: u64,
    /// Vote for the proposal.
    #[arg(long)]
    pub agree: bool,
    /// Vote against the proposal.
    #[arg(long)]
    pub against: bool,
}

#[derive(Subcommand)]
pub enum ProposeCommand {
    /// Add an organisation (its admin is registered with the `admin` role).
    AddOrg {
        /// Organisation id: 1 to 32 bytes of text.
        #[arg(long, value_parser = parse_org_id)]
        id: B256,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The organisation's admin address.
        #[arg(long, value_parser = parse_address)]
        admin: Address,
        /// Committee weight.
        #[arg(long, default_value_t = 1)]
        weight: u32,
    },
    /// Suspend, reactivate or remove an organisation.
    SetOrgStatus {
        #[arg(long, value_parser = parse_org_id)]
        id: B256,
        #[arg(long)]
        status: OrgStatusArg,
    },
    /// Add a validator; it votes from the next epoch.
    AddValidator {
        /// ed25519 public key, hex (as printed by `entente keys validator`).
        #[arg(long, value_parser = parse_public_key)]
        public_key: B256,
        /// Organisation running it.
        #[arg(long, value_parser = parse_org_id)]
        org: B256,
        /// Address credited with its blocks' fees.
        #[arg(long, value_parser = parse_address)]
        fee_recipient: Address,
        /// `ip:port` the other validators dial.
        #[arg(long, value_parser = parse_p2p)]
        p2p: SocketAddr,
    },
    /// Remove a validator; it stops voting from the next epoch.
    RemoveValidator {
        #[arg(long, value_parser = parse_public_key)]
        public_key: B256,
    },
    /// Give an account the `regulator` role.
    AppointRegulator {
        #[arg(value_parser = parse_address)]
        account: Address,
    },
    /// Take the `regulator` role from an account.
    RemoveRegulator {
        #[arg(value_parser = parse_address)]
        account: Address,
    },
    /// Change a parameter: permissioned, governance.approval_pct,
    /// governance.proposal_ttl_blocks or supervision.* (docs/supervision.md).
    SetParam {
        key: String,
        /// A number (decimal or 0x hex), or true/false.
        #[arg(value_parser = parse_param_value)]
        value: U256,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrgStatusArg {
    Active,
    Suspended,
    Removed,
}

impl OrgStatusArg {
    fn code(self) -> u8 {
        match self {
            Self::Active => OrgStatus::Active as u8,
            Self::Suspended => OrgStatus::Suspended as u8,
            Self::Removed => OrgStatus::Removed as u8,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AccountStatusArg {
    Active,
    Suspended,
}

impl AccountStatusArg {
    fn code(self) -> u8 {
        match self {
            Self::Active => AccountStatus::Active as u8,
            Self::Suspended => AccountStatus::Suspended as u8,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Input parsing: every argument is checked before a key is read or a node contacted.

/// A `0x` address of 40 hex digits; mixed case must be a valid EIP-55 checksum.
pub(crate) fn parse_address(text: &str) -> Result<Address, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{text:?} is not an address: expected 0x and 40 hex digits"))?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not an address: expected 0x and 40 hex digits"
        ));
    }
    let mixed = digits.bytes().any(|b| b.is_ascii_lowercase())
        && digits.bytes().any(|b| b.is_ascii_uppercase());
    if mixed {
        return Address::parse_checksummed(text, None)
            .map_err(|_| format!("{text:?} has a wrong EIP-55 checksum (mixed-case address)"));
    }
    text.parse()
        .map_err(|err| format!("{text:?} is not an address: {err}"))
}

/// An organisation id: 1 to 32 bytes of text.
fn parse_org_id(text: &str) -> Result<B256, String> {
    if text.contains('\0') {
        return Err("an organisation id cannot contain NUL".into());
    }
    OrgId::from_text(text)
        .map(|id| id.0)
        .ok_or_else(|| format!("organisation id {text:?} must be 1 to 32 bytes"))
}

/// A validator's ed25519 public key in hex (a valid curve point).
fn parse_public_key(text: &str) -> Result<B256, String> {
    entente_chainspec::decode_public_key(text).map_err(|err| err.to_string())?;
    let bytes = alloy_primitives::hex::decode(text.trim_start_matches("0x"))
        .map_err(|err| err.to_string())?;
    Ok(B256::from_slice(&bytes))
}

fn parse_p2p(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("{text:?} is not ip:port (the address other validators dial, e.g. 10.0.0.5:30300)")
    })
}

fn parse_role(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > ROLE_BYTES_MAX {
        return Err(format!("role {text:?} must be 1 to {ROLE_BYTES_MAX} bytes"));
    }
    Ok(text.to_string())
}

fn parse_param_value(text: &str) -> Result<U256, String> {
    match text {
        "true" => Ok(U256::from(1)),
        "false" => Ok(U256::ZERO),
        _ => text
            .parse()
            .map_err(|_| format!("{text:?} is not a number (decimal or 0x hex) or true/false")),
    }
}

/// The signing key of a write command.
pub(crate) fn load_signer(
    key: Option<&str>,
    key_file: Option<&Path>,
) -> anyhow::Result<LocalSigner> {
    let (text, source) = match (key, key_file) {
        (Some(key), _) => (key.to_string(), "--key".to_string()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the key file {}", path.display()))?,
            path.display().to_string(),
        ),
        (None, None) => bail!(
            "this command sends a transaction and needs a signing key: \
             --key-file PATH (e.g. an organisation's admin.key) or --key HEX"
        ),
    };
    LocalSigner::from_hex(&text)
        .map_err(|_| anyhow!("{source} does not hold a secp256k1 secret key (64 hex digits)"))
}

// ---------------------------------------------------------------------------------------
// Entry point.

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let json = args.json;
    let result = runtime.block_on(execute(args));
    if json && let Err(err) = &result {
        let error = match err.downcast_ref::<Refused>() {
            Some(refused) => error_view(&refused.0).json(),
            None => crate::supervision::refusal_json(err)
                .unwrap_or_else(|| json!({ "message": format!("{err:#}") })),
        };
        println!("{}", json!({ "ok": false, "error": error }));
    }
    result
}

async fn execute(args: AdminArgs) -> anyhow::Result<()> {
    use IGovernance as G;
    let node = Node::connect(&args.rpc)?;
    let json = args.json;
    // Read commands answer here; write commands become calldata from the `sol!` types.
    let calldata = match &args.command {
        AdminCommand::List { open } => return list(&node, *open, json).await,
        AdminCommand::Show { id } => return show(&node, *id, json).await,
        AdminCommand::Orgs => return orgs(&node, json).await,
        AdminCommand::Validators => return validators(&node, json).await,
        AdminCommand::Params => return params(&node, json).await,
        AdminCommand::Account { address } => return account(&node, *address, json).await,
        AdminCommand::Supervision(command) => {
            return crate::supervision::execute(&node, command, &args).await;
        }
        AdminCommand::Propose(propose) => propose_calldata(propose),
        AdminCommand::Vote(vote) => G::voteCall {
            id: vote.id,
            agree: vote.agree,
        }
        .abi_encode(),
        AdminCommand::Revoke { id } => G::revokeCall { id: *id }.abi_encode(),
        AdminCommand::RegisterAccount { address, roles } => G::registerAccountCall {
            account: *address,
            roles: roles.clone(),
        }
        .abi_encode(),
        AdminCommand::SetAccountStatus { address, status } => G::setAccountStatusCall {
            account: *address,
            status: status.code(),
        }
        .abi_encode(),
        AdminCommand::GrantRole { address, role } => G::grantRoleCall {
            account: *address,
            role: role.clone(),
        }
        .abi_encode(),
        AdminCommand::RevokeRole { address, role } => G::revokeRoleCall {
            account: *address,
            role: role.clone(),
        }
        .abi_encode(),
    };
    let signer = load_signer(args.signing_key.as_deref(), args.key_file.as_deref())?;
    let sent = node
        .send(&signer, calldata, Duration::from_secs(args.wait))
        .await?;
    print_sent(&sent, json);
    Ok(())
}

fn propose_calldata(command: &ProposeCommand) -> Vec<u8> {
    use IGovernance as G;
    match command {
        ProposeCommand::AddOrg {
            id,
            name,
            admin,
            weight,
        } => G::proposeAddOrgCall {
            id: *id,
            name: name.clone(),
            admin: *admin,
            weight: *weight,
        }
        .abi_encode(),
        ProposeCommand::SetOrgStatus { id, status } => G::proposeSetOrgStatusCall {
            id: *id,
            status: status.code(),
        }
        .abi_encode(),
        ProposeCommand::AddValidator {
            public_key,
            org,
            fee_recipient,
            p2p,
        } => G::proposeAddValidatorCall {
            publicKey: *public_key,
            org: *org,
            feeRecipient: *fee_recipient,
            p2pAddress: p2p.to_string(),
        }
        .abi_encode(),
        ProposeCommand::RemoveValidator { public_key } => G::proposeRemoveValidatorCall {
            publicKey: *public_key,
        }
        .abi_encode(),
        ProposeCommand::AppointRegulator { account } => {
            G::proposeAppointRegulatorCall { account: *account }.abi_encode()
        }
        ProposeCommand::RemoveRegulator { account } => {
            G::proposeRemoveRegulatorCall { account: *account }.abi_encode()
        }
        ProposeCommand::SetParam { key, value } => G::proposeSetParamCall {
            key: key.clone(),
            value: *value,
        }
        .abi_encode(),
    }
}

// ---------------------------------------------------------------------------------------
// The node: JSON-RPC requests, governance views and transactions.

/// A JSON-RPC request that failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RpcError {
    #[error("{0}")]
    Transport(String),
    #[error("{method}: {message} (JSON-RPC error {code})")]
    Failed {
        method: String,
        code: i64,
        message: String,
        /// Revert data of a failed call (`code: 3`).
        data: Option<Bytes>,
    },
}

/// A governance call the module refused, with its typed Solidity error.
#[derive(Debug, thiserror::Error)]
#[error("the governance module refused: {}", error_view(.0).text())]
struct Refused(IGovernanceErrors);

/// The governance error in a failed call's revert data, else the failure as it is.
fn refusal_or(err: RpcError) -> anyhow::Error {
    if let RpcError::Failed {
        data: Some(data), ..
    } = &err
        && let Ok(decoded) = IGovernanceErrors::abi_decode(data)
    {
        return Refused(decoded).into();
    }
    err.into()
}

/// A transaction receipt, as much of it as the command prints.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Receipt {
    pub(crate) status: U64,
    pub(crate) block_number: U64,
    pub(crate) gas_used: U64,
    pub(crate) logs: Vec<RpcLog>,
}

#[derive(Deserialize)]
pub(crate) struct RpcLog {
    pub(crate) address: Address,
    pub(crate) topics: Vec<B256>,
    pub(crate) data: Bytes,
}

/// A sent and included transaction.
struct Sent {
    hash: B256,
    block: u64,
    gas_used: u64,
    events: Vec<IGovernanceEvents>,
}

pub(crate) struct Node {
    client: RpcClient,
}

impl Node {
    /// A client for `url`; nothing is sent yet.
    pub(crate) fn connect(url: &str) -> anyhow::Result<Self> {
        let authority = url.strip_prefix("http://").unwrap_or_default();
        if authority.is_empty() {
            bail!("--rpc {url:?}: expected an http:// URL such as http://127.0.0.1:8545");
        }
        let client =
            RpcClient::new(url, REQUEST_TIMEOUT).map_err(|err| anyhow!("--rpc {url:?}: {err}"))?;
        Ok(Self { client })
    }

    pub(crate) async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = self
            .client
            .post(body.to_string().into())
            .await
            .map_err(|err| RpcError::Transport(format!("cannot reach the node: {err}")))?;
        let value: Value = serde_json::from_slice(&answer).map_err(|err| {
            RpcError::Transport(format!("{method}: the node's answer is not JSON: {err}"))
        })?;
        match value.get("error") {
            Some(error) => Err(RpcError::Failed {
                method: method.to_string(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
                    .to_string(),
                data: error
                    .get("data")
                    .and_then(Value::as_str)
                    .and_then(|data| data.parse().ok()),
            }),
            None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// A request whose result decodes as `T`.
    pub(crate) async fn typed<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> anyhow::Result<T> {
        let value = self.request(method, params).await?;
        serde_json::from_value(value).with_context(|| format!("{method}: unexpected answer"))
    }

    async fn head(&self) -> anyhow::Result<u64> {
        Ok(self.typed::<U64>("eth_blockNumber", json!([])).await?.to())
    }

    /// A governance view, at `block` (a height) or the latest block.
    async fn view<C: SolCall>(&self, call: &C, block: Option<u64>) -> anyhow::Result<C::Return> {
        let tag = block.map_or_else(|| json!("latest"), |b| json!(format!("{b:#x}")));
        let request = json!({"to": GOVERNANCE_ADDRESS, "data": Bytes::from(call.abi_encode())});
        let output: Bytes = match self.request("eth_call", json!([request, tag])).await {
            Ok(value) => serde_json::from_value(value).context("eth_call: unexpected answer")?,
            Err(err) => return Err(refusal_or(err)),
        };
        C::abi_decode_returns(&output)
            .with_context(|| format!("cannot decode the answer of {}", C::SIGNATURE))
    }

    /// Signs and sends a governance call, after `eth_estimateGas` accepted it, and waits
    /// for its receipt.
    async fn send(
        &self,
        signer: &LocalSigner,
        input: Vec<u8>,
        wait: Duration,
    ) -> anyhow::Result<Sent> {
        let (hash, receipt) = self
            .send_to(signer, GOVERNANCE_ADDRESS, input, wait, refusal_or)
            .await?;
        Ok(Sent {
            hash,
            block: receipt.block_number.to(),
            gas_used: receipt.gas_used.to(),
            events: governance_events(&receipt.logs),
        })
    }

    /// Signs and sends a call to `to`, after `eth_estimateGas` accepted it, and waits for
    /// its receipt. A refusal (by the estimate, or a revert once included) is explained
    /// by `refusal`, which decodes the callee's ABI errors.
    pub(crate) async fn send_to(
        &self,
        signer: &LocalSigner,
        to: Address,
        input: Vec<u8>,
        wait: Duration,
        refusal: fn(RpcError) -> anyhow::Error,
    ) -> anyhow::Result<(B256, Receipt)> {
        let from = signer.address();
        let request = json!({
            "from": from, "to": to, "data": Bytes::from(input.clone()), "value": "0x0"
        });
        let gas: U64 = match self.request("eth_estimateGas", json!([request])).await {
            Ok(value) => {
                serde_json::from_value(value).context("eth_estimateGas: unexpected answer")?
            }
            Err(err) => return Err(refusal(err)),
        };
        let chain_id: U64 = self.typed("eth_chainId", json!([])).await?;
        let nonce: U64 = self
            .typed("eth_getTransactionCount", json!([from, "pending"]))
            .await?;
        let gas_price: U128 = self.typed("eth_gasPrice", json!([])).await?;
        let gas = gas.to::<u64>();
        let tx = TxEip1559 {
            chain_id: chain_id.to(),
            nonce: nonce.to(),
            // Headroom: the state may move between the estimate and the block.
            gas_limit: gas.saturating_add(gas / 4),
            max_fee_per_gas: gas_price.to(),
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(to),
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        };
        let signed = signer.sign(tx)?;
        let hash: B256 = self
            .typed("eth_sendRawTransaction", json!([signed.raw]))
            .await
            .context("the node refused the transaction")?;
        let receipt = self.confirm(hash, wait, refusal).await?;
        Ok((hash, receipt))
    }

    /// Waits up to `wait` for the receipt of `hash` (sent here or by the node's gateway).
    /// A transaction that reverted is an error, explained by `refusal` from a replay of
    /// the transaction on its parent block's state.
    pub(crate) async fn confirm(
        &self,
        hash: B256,
        wait: Duration,
        refusal: fn(RpcError) -> anyhow::Error,
    ) -> anyhow::Result<Receipt> {
        let receipt = self.receipt(hash, wait).await?;
        let block = receipt.block_number.to::<u64>();
        if receipt.status.is_zero() {
            let parent = format!("{:#x}", block.saturating_sub(1));
            let tx = self
                .request("eth_getTransactionByHash", json!([hash]))
                .await
                .unwrap_or_default();
            let replay = json!({
                "from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"]
            });
            let why = match tx.is_null() {
                true => String::new(),
                false => match self.request("eth_call", json!([replay, parent])).await {
                    Err(err) => format!(": {}", refusal(err)),
                    Ok(_) => String::new(),
                },
            };
            bail!("transaction {hash} was included in block {block} but reverted{why}");
        }
        Ok(receipt)
    }

    /// Polls for the receipt of `hash` until `wait` has passed.
    async fn receipt(&self, hash: B256, wait: Duration) -> anyhow::Result<Receipt> {
        let deadline = Instant::now() + wait;
        loop {
            let value = self
                .request("eth_getTransactionReceipt", json!([hash]))
                .await?;
            if !value.is_null() {
                return serde_json::from_value(value)
                    .context("eth_getTransactionReceipt: unexpected answer");
            }
            if Instant::now() >= deadline {
                bail!(
                    "transaction {hash} was sent but not included within {}s \
                     (it may still be: look it up with eth_getTransactionReceipt)",
                    wait.as_secs()
                );
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }

    /// The `Voted` events of proposal `id` between blocks `from` and `to`.
    async fn votes(&self, id: u64, from: u64, to: u64) -> anyhow::Result<Vec<IGovernance::Voted>> {
        let mut votes = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(LOG_RANGE_BLOCKS - 1));
            let filter = json!({
                "address": GOVERNANCE_ADDRESS,
                "fromBlock": format!("{start:#x}"),
                "toBlock": format!("{end:#x}"),
                "topics": [IGovernance::Voted::SIGNATURE_HASH, B256::from(U256::from(id))],
            });
            let logs: Vec<RpcLog> = self.typed("eth_getLogs", json!([filter])).await?;
            for log in logs {
                if let Ok(vote) = IGovernance::Voted::decode_raw_log(&log.topics, &log.data) {
                    votes.push(vote);
                }
            }
            start = end.saturating_add(1);
            if end == u64::MAX {
                break;
            }
        }
        Ok(votes)
    }
}

/// The governance module's events among `logs`.
fn governance_events(logs: &[RpcLog]) -> Vec<IGovernanceEvents> {
    logs.iter()
        .filter(|log| log.address == GOVERNANCE_ADDRESS)
        .filter_map(|log| IGovernanceEvents::decode_raw_log(&log.topics, &log.data).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Names and views: what the numbers and bytes mean, as text and as JSON.

fn org_text(id: &B256) -> String {
    OrgId(*id).text()
}

fn lower_debug(value: impl std::fmt::Debug) -> String {
    format!("{value:?}").to_lowercase()
}

fn org_status_name(code: u8) -> String {
    OrgStatus::from_u8(code).map_or_else(|| format!("unknown ({code})"), lower_debug)
}

fn account_status_name(code: u8) -> String {
    AccountStatus::from_u8(code).map_or_else(|| format!("unknown ({code})"), lower_debug)
}

fn proposal_status_name(code: u8) -> String {
    ProposalStatus::from_u8(code).map_or_else(|| format!("unknown ({code})"), lower_debug)
}

fn kind_name(code: u8) -> String {
    ProposalKind::from_u8(code).map_or_else(|| format!("unknown ({code})"), |k| format!("{k:?}"))
}

/// Something with a name and named fields: an event, an error, a decoded payload.
struct View {
    name: &'static str,
    fields: Vec<(&'static str, Value)>,
}

impl View {
    fn new(name: &'static str, fields: Vec<(&'static str, Value)>) -> Self {
        Self { name, fields }
    }

    /// `Name(field: value, …)`, strings quoted.
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

fn error_view(err: &IGovernanceErrors) -> View {
    use IGovernanceErrors as E;
    match err {
        E::Unauthorized(e) => View::new(
            "Unauthorized",
            vec![("caller", json!(e.caller)), ("reason", json!(e.reason))],
        ),
        E::NotFound(e) => View::new("NotFound", vec![("what", json!(e.what))]),
        E::AlreadyExists(e) => View::new("AlreadyExists", vec![("what", json!(e.what))]),
        E::InvalidInput(e) => View::new("InvalidInput", vec![("reason", json!(e.reason))]),
        E::AlreadyVoted(e) => View::new(
            "AlreadyVoted",
            vec![("id", json!(e.id)), ("org", json!(org_text(&e.org)))],
        ),
        E::ProposalNotOpen(e) => View::new(
            "ProposalNotOpen",
            vec![
                ("id", json!(e.id)),
                ("status", json!(proposal_status_name(e.status))),
            ],
        ),
        E::OpenProposalExists(e) => View::new("OpenProposalExists", vec![("id", json!(e.id))]),
    }
}

/// An event as a sentence and as JSON fields.
fn event_view(event: &IGovernanceEvents) -> (String, View) {
    use IGovernanceEvents as E;
    let by = |address: &Address| {
        if *address == GOVERNANCE_ADDRESS {
            "governance".to_string()
        } else {
            address.to_string()
        }
    };
    match event {
        E::OrgAdded(e) => (
            format!(
                "organisation {} added: {:?}, admin {}, weight {}",
                org_text(&e.id),
                e.name,
                e.admin,
                e.weight
            ),
            View::new(
                "OrgAdded",
                vec![
                    ("id", json!(org_text(&e.id))),
                    ("orgName", json!(e.name)),
                    ("admin", json!(e.admin)),
                    ("weight", json!(e.weight)),
                ],
            ),
        ),
        E::OrgStatusChanged(e) => (
            format!(
                "organisation {} is now {}",
                org_text(&e.id),
                org_status_name(e.status)
            ),
            View::new(
                "OrgStatusChanged",
                vec![
                    ("id", json!(org_text(&e.id))),
                    ("status", json!(org_status_name(e.status))),
                ],
            ),
        ),
        E::AccountRegistered(e) => (
            format!("account {} registered in {}", e.account, org_text(&e.org)),
            View::new(
                "AccountRegistered",
                vec![
                    ("account", json!(e.account)),
                    ("org", json!(org_text(&e.org))),
                ],
            ),
        ),
        E::AccountStatusChanged(e) => (
            format!(
                "account {} is now {}",
                e.account,
                account_status_name(e.status)
            ),
            View::new(
                "AccountStatusChanged",
                vec![
                    ("account", json!(e.account)),
                    ("status", json!(account_status_name(e.status))),
                ],
            ),
        ),
        E::RoleGranted(e) => (
            format!("role {} granted to {} by {}", e.role, e.account, by(&e.by)),
            View::new(
                "RoleGranted",
                vec![
                    ("account", json!(e.account)),
                    ("role", json!(e.role)),
                    ("by", json!(e.by)),
                ],
            ),
        ),
        E::RoleRevoked(e) => (
            format!(
                "role {} revoked from {} by {}",
                e.role,
                e.account,
                by(&e.by)
            ),
            View::new(
                "RoleRevoked",
                vec![
                    ("account", json!(e.account)),
                    ("role", json!(e.role)),
                    ("by", json!(e.by)),
                ],
            ),
        ),
        E::ValidatorAdded(e) => (
            format!(
                "validator {} of {} added: votes from epoch {}",
                e.publicKey,
                org_text(&e.org),
                e.fromEpoch
            ),
            View::new(
                "ValidatorAdded",
                vec![
                    ("publicKey", json!(e.publicKey)),
                    ("org", json!(org_text(&e.org))),
                    ("fromEpoch", json!(e.fromEpoch)),
                ],
            ),
        ),
        E::ValidatorRemoved(e) => (
            format!(
                "validator {} removed: no longer votes from epoch {}",
                e.publicKey, e.untilEpoch
            ),
            View::new(
                "ValidatorRemoved",
                vec![
                    ("publicKey", json!(e.publicKey)),
                    ("untilEpoch", json!(e.untilEpoch)),
                ],
            ),
        ),
        E::ParamChanged(e) => (
            format!("parameter {} = {}", e.key, e.value),
            View::new(
                "ParamChanged",
                vec![("key", json!(e.key)), ("value", json!(e.value.to_string()))],
            ),
        ),
        E::ProposalCreated(e) => (
            format!(
                "proposal {} created: {} by {}, open until block {}",
                e.id,
                kind_name(e.kind),
                org_text(&e.proposerOrg),
                e.expiresAt
            ),
            View::new(
                "ProposalCreated",
                vec![
                    ("id", json!(e.id)),
                    ("kind", json!(kind_name(e.kind))),
                    ("target", json!(e.target)),
                    ("proposerOrg", json!(org_text(&e.proposerOrg))),
                    ("expiresAt", json!(e.expiresAt)),
                ],
            ),
        ),
        E::Voted(e) => (
            format!(
                "{} voted {} on proposal {} (weight {})",
                org_text(&e.org),
                if e.agree { "agree" } else { "against" },
                e.id,
                e.weight
            ),
            View::new(
                "Voted",
                vec![
                    ("id", json!(e.id)),
                    ("org", json!(org_text(&e.org))),
                    ("agree", json!(e.agree)),
                    ("weight", json!(e.weight)),
                ],
            ),
        ),
        E::ProposalExecuted(e) => proposal_step("executed", "ProposalExecuted", e.id),
        E::ProposalRejected(e) => proposal_step("rejected", "ProposalRejected", e.id),
        E::ProposalExpired(e) => proposal_step("expired", "ProposalExpired", e.id),
        E::ProposalRevoked(e) => proposal_step("revoked", "ProposalRevoked", e.id),
    }
}

fn proposal_step(verb: &str, name: &'static str, id: u64) -> (String, View) {
    (
        format!("proposal {id} {verb}"),
        View::new(name, vec![("id", json!(id))]),
    )
}

/// A proposal's change: its payload decoded with the parameters of the `propose…` call
/// of its kind (the payload is exactly that call's arguments), and a one-line summary.
fn payload_view(kind: u8, payload: &[u8]) -> anyhow::Result<(View, String)> {
    use IGovernance as G;
    let kind =
        ProposalKind::from_u8(kind).ok_or_else(|| anyhow!("unknown proposal kind {kind}"))?;
    Ok(match kind {
        ProposalKind::AddOrg => {
            let c = G::proposeAddOrgCall::abi_decode_raw(payload)?;
            let summary = format!(
                "add {} {:?}, admin {}, weight {}",
                org_text(&c.id),
                c.name,
                c.admin,
                c.weight
            );
            let fields = vec![
                ("id", json!(org_text(&c.id))),
                ("orgName", json!(c.name)),
                ("admin", json!(c.admin)),
                ("weight", json!(c.weight)),
            ];
            (View::new("AddOrg", fields), summary)
        }
        ProposalKind::SetOrgStatus => {
            let c = G::proposeSetOrgStatusCall::abi_decode_raw(payload)?;
            let status = org_status_name(c.status);
            let summary = format!("{} -> {status}", org_text(&c.id));
            let fields = vec![("id", json!(org_text(&c.id))), ("status", json!(status))];
            (View::new("SetOrgStatus", fields), summary)
        }
        ProposalKind::AddValidator => {
            let c = G::proposeAddValidatorCall::abi_decode_raw(payload)?;
            let summary = format!(
                "add {} of {} at {}",
                c.publicKey,
                org_text(&c.org),
                c.p2pAddress
            );
            let fields = vec![
                ("publicKey", json!(c.publicKey)),
                ("org", json!(org_text(&c.org))),
                ("feeRecipient", json!(c.feeRecipient)),
                ("p2pAddress", json!(c.p2pAddress)),
            ];
            (View::new("AddValidator", fields), summary)
        }
        ProposalKind::RemoveValidator => {
            let c = G::proposeRemoveValidatorCall::abi_decode_raw(payload)?;
            let fields = vec![("publicKey", json!(c.publicKey))];
            (
                View::new("RemoveValidator", fields),
                format!("remove {}", c.publicKey),
            )
        }
        ProposalKind::AppointRegulator | ProposalKind::RemoveRegulator => {
            let c = G::proposeAppointRegulatorCall::abi_decode_raw(payload)?;
            let (name, verb) = if kind == ProposalKind::AppointRegulator {
                ("AppointRegulator", "appoint")
            } else {
                ("RemoveRegulator", "remove")
            };
            let fields = vec![("account", json!(c.account))];
            (View::new(name, fields), format!("{verb} {}", c.account))
        }
        ProposalKind::SetParam => {
            let c = G::proposeSetParamCall::abi_decode_raw(payload)?;
            let summary = format!("{} = {}", c.key, c.value);
            let fields = vec![("key", json!(c.key)), ("value", json!(c.value.to_string()))];
            (View::new("SetParam", fields), summary)
        }
    })
}

fn proposal_json(p: &ProposalInfo) -> Value {
    let payload = match payload_view(p.kind, &p.payload) {
        Ok((view, summary)) => json!({"change": view.json(), "summary": summary}),
        Err(err) => json!({"raw": p.payload, "error": err.to_string()}),
    };
    json!({
        "id": p.id,
        "kind": kind_name(p.kind),
        "kindCode": p.kind,
        "status": proposal_status_name(p.status),
        "statusCode": p.status,
        "target": p.target,
        "proposerOrg": org_text(&p.proposerOrg),
        "createdAt": p.createdAt,
        "expiresAt": p.expiresAt,
        "agreeWeight": p.agreeWeight,
        "againstWeight": p.againstWeight,
        "totalWeight": p.totalWeight,
        "payload": payload,
    })
}

fn summary(p: &ProposalInfo) -> String {
    payload_view(p.kind, &p.payload).map_or_else(
        |err| format!("(undecodable payload: {err})"),
        |(_, summary)| summary,
    )
}

// ---------------------------------------------------------------------------------------
// Printing.

/// Prints rows under headers, columns padded to their widest cell.
fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    println!("{}", line(headers.to_vec()));
    for row in rows {
        println!("{}", line(row.iter().map(String::as_str).collect()));
    }
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

fn print_sent(sent: &Sent, json: bool) {
    let views: Vec<(String, View)> = sent.events.iter().map(event_view).collect();
    let proposal = sent.events.iter().find_map(|event| match event {
        IGovernanceEvents::ProposalCreated(e) => Some(e.id),
        _ => None,
    });
    if json {
        print_json(&json!({
            "ok": true,
            "tx": sent.hash,
            "block": sent.block,
            "gasUsed": sent.gas_used,
            "proposal": proposal,
            "events": views.iter().map(|(_, view)| view.json()).collect::<Vec<_>>(),
        }));
        return;
    }
    println!(
        "transaction {} included in block {} (gas used {})",
        sent.hash, sent.block, sent.gas_used
    );
    for (text, view) in &views {
        println!("  {text}  [{}]", view.name);
    }
}

// ---------------------------------------------------------------------------------------
// Read commands.

async fn orgs(node: &Node, json: bool) -> anyhow::Result<()> {
    let orgs: Vec<OrgInfo> = node.view(&IGovernance::orgsCall {}, None).await?;
    if json {
        let list: Vec<Value> = orgs
            .iter()
            .map(|o| {
                json!({
                    "id": org_text(&o.id), "name": o.name, "admin": o.admin,
                    "status": org_status_name(o.status), "weight": o.weight,
                })
            })
            .collect();
        print_json(&Value::Array(list));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = orgs
        .iter()
        .map(|o| {
            vec![
                org_text(&o.id),
                o.name.clone(),
                o.admin.to_string(),
                org_status_name(o.status),
                o.weight.to_string(),
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "ADMIN", "STATUS", "WEIGHT"], &rows);
    Ok(())
}

async fn validators(node: &Node, json: bool) -> anyhow::Result<()> {
    let validators: Vec<ValidatorInfo> = node.view(&IGovernance::validatorsCall {}, None).await?;
    if json {
        let list: Vec<Value> = validators
            .iter()
            .map(|v| {
                json!({
                    "publicKey": v.publicKey, "org": org_text(&v.org),
                    "feeRecipient": v.feeRecipient, "p2pAddress": v.p2pAddress,
                    "fromEpoch": v.fromEpoch,
                    "untilEpoch": (v.untilEpoch != 0).then_some(v.untilEpoch),
                })
            })
            .collect();
        print_json(&Value::Array(list));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = validators
        .iter()
        .map(|v| {
            vec![
                format!("{:x}", v.publicKey),
                org_text(&v.org),
                // Genesis validators may leave it to their nodes' configs.
                if v.p2pAddress.is_empty() {
                    "-".to_string()
                } else {
                    v.p2pAddress.clone()
                },
                v.feeRecipient.to_string(),
                v.fromEpoch.to_string(),
                if v.untilEpoch == 0 {
                    "-".to_string()
                } else {
                    v.untilEpoch.to_string()
                },
            ]
        })
        .collect();
    print_table(
        &[
            "PUBLIC KEY",
            "ORG",
            "P2P",
            "FEE RECIPIENT",
            "FROM EPOCH",
            "UNTIL EPOCH",
        ],
        &rows,
    );
    Ok(())
}

async fn params(node: &Node, json: bool) -> anyhow::Result<()> {
    let block = node.head().await?;
    let permissioned = node
        .view(&IGovernance::isPermissionedCall {}, Some(block))
        .await?;
    let pct = node
        .view(&IGovernance::approvalPctCall {}, Some(block))
        .await?;
    let ttl = node
        .view(&IGovernance::proposalTtlBlocksCall {}, Some(block))
        .await?;
    if json {
        print_json(&json!({
            "block": block,
            "permissioned": permissioned,
            "governance.approval_pct": pct,
            "governance.proposal_ttl_blocks": ttl,
        }));
        return Ok(());
    }
    println!("as of block {block}");
    println!("  permissioned                    {permissioned}");
    println!("  governance.approval_pct         {pct}");
    println!("  governance.proposal_ttl_blocks  {ttl}");
    Ok(())
}

async fn account(node: &Node, address: Address, json: bool) -> anyhow::Result<()> {
    let account = node
        .view(&IGovernance::getAccountCall { account: address }, None)
        .await?;
    let org = org_text(&account.org);
    let status = account_status_name(account.status);
    if json {
        print_json(&json!({
            "address": address, "org": org, "status": status, "roles": account.roles,
        }));
        return Ok(());
    }
    println!("account {address}");
    println!("  org     {org}");
    println!("  status  {status}");
    println!("  roles   {}", account.roles.join(", "));
    Ok(())
}

/// Every proposal as of `block`, newest first, fetched in JSON-RPC batches.
async fn proposals(node: &Node, block: u64) -> anyhow::Result<Vec<ProposalInfo>> {
    let count = node
        .view(&IGovernance::proposalCountCall {}, Some(block))
        .await?;
    let tag = format!("{block:#x}");
    let ids: Vec<u64> = (0..count).rev().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_CALLS) {
        let calls: Vec<(&str, Value)> = chunk
            .iter()
            .map(|id| {
                let data = Bytes::from(IGovernance::getProposalCall { id: *id }.abi_encode());
                let request = json!({"to": GOVERNANCE_ADDRESS, "data": data});
                ("eth_call", json!([request, tag]))
            })
            .collect();
        let answers = node
            .client
            .batch(&calls)
            .await
            .map_err(|err| anyhow!("cannot reach the node: {err}"))?;
        for (id, answer) in chunk.iter().zip(answers) {
            let value = answer.map_err(|failure| {
                anyhow!("getProposal({id}): {} ({})", failure.message, failure.code)
            })?;
            let output: Bytes =
                serde_json::from_value(value).context("eth_call: unexpected answer")?;
            out.push(
                IGovernance::getProposalCall::abi_decode_returns(&output)
                    .with_context(|| format!("cannot decode proposal {id}"))?,
            );
        }
    }
    Ok(out)
}

async fn list(node: &Node, open: bool, json: bool) -> anyhow::Result<()> {
    let block = node.head().await?;
    let proposals: Vec<ProposalInfo> = proposals(node, block)
        .await?
        .into_iter()
        .filter(|p| !open || p.status == ProposalStatus::Open as u8)
        .collect();
    if json {
        print_json(&Value::Array(proposals.iter().map(proposal_json).collect()));
        return Ok(());
    }
    if proposals.is_empty() {
        let which = if open { "open proposals" } else { "proposals" };
        println!("no {which} (as of block {block})");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = proposals
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                kind_name(p.kind),
                proposal_status_name(p.status),
                format!("{}/{}/{}", p.agreeWeight, p.againstWeight, p.totalWeight),
                org_text(&p.proposerOrg),
                p.createdAt.to_string(),
                p.expiresAt.to_string(),
                summary(p),
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "KIND",
            "STATUS",
            "AGREE/AGAINST/TOTAL",
            "PROPOSER",
            "CREATED",
            "EXPIRES",
            "CHANGE",
        ],
        &rows,
    );
    Ok(())
}

/// Agree weight a proposal needs to pass: `100 · agree ≥ pct · total`.
fn needed_weight(pct: u8, total: u32) -> u64 {
    (u64::from(pct) * u64::from(total)).div_ceil(100)
}

async fn show(node: &Node, id: u64, json: bool) -> anyhow::Result<()> {
    let block = node.head().await?;
    let p = node
        .view(&IGovernance::getProposalCall { id }, Some(block))
        .await?;
    let pct = node
        .view(&IGovernance::approvalPctCall {}, Some(block))
        .await?;
    let votes = node
        .votes(id, p.createdAt, p.expiresAt.min(block))
        .await
        .map_err(|err| format!("{err:#}"));
    if json {
        let mut value = proposal_json(&p);
        value["approvalPct"] = json!(pct);
        value["neededWeight"] = json!(needed_weight(pct, p.totalWeight));
        value["votes"] = match &votes {
            Ok(votes) => votes
                .iter()
                .map(|v| json!({"org": org_text(&v.org), "agree": v.agree, "weight": v.weight}))
                .collect(),
            Err(err) => json!({ "unavailable": err }),
        };
        print_json(&value);
        return Ok(());
    }
    print_proposal(&p, pct, &votes);
    Ok(())
}

fn print_proposal(p: &ProposalInfo, pct: u8, votes: &Result<Vec<IGovernance::Voted>, String>) {
    println!("proposal {}", p.id);
    println!("  kind         {} ({})", kind_name(p.kind), p.kind);
    println!(
        "  status       {} ({})",
        proposal_status_name(p.status),
        p.status
    );
    println!("  proposer     {}", org_text(&p.proposerOrg));
    println!("  created at   block {}", p.createdAt);
    println!("  expires at   block {}", p.expiresAt);
    println!("  target       {}", p.target);
    match payload_view(p.kind, &p.payload) {
        Ok((view, summary)) => {
            println!("  change       {summary}");
            for (key, value) in &view.fields {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                println!("    {key:<12} {value}");
            }
        }
        Err(err) => println!("  payload      {} (undecodable: {err})", p.payload),
    }
    println!(
        "  votes        agree {}, against {}, of {} (passes at {pct}%: {} agree needed)",
        p.agreeWeight,
        p.againstWeight,
        p.totalWeight,
        needed_weight(pct, p.totalWeight)
    );
    match votes {
        Ok(votes) if votes.is_empty() => println!("  voted        (none found)"),
        Ok(votes) => {
            for vote in votes {
                let choice = if vote.agree { "agree" } else { "against" };
                println!(
                    "    {:<12} {choice} (weight {})",
                    org_text(&vote.org),
                    vote.weight
                );
            }
        }
        Err(err) => println!("  voted        unavailable: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        admin: AdminArgs,
    }

    fn parse(args: &[&str]) -> Result<AdminArgs, clap::Error> {
        use clap::Parser as _;
        Cli::try_parse_from(std::iter::once("admin").chain(args.iter().copied())).map(|c| c.admin)
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
        // A parameter named `key` is not the signing key.
        let args = parse(&[
            "propose",
            "set-param",
            "permissioned",
            "false",
            "--key-file",
            "k",
        ])
        .unwrap();
        assert!(args.signing_key.is_none());
        assert_eq!(args.key_file.as_deref(), Some(Path::new("k")));
        let AdminCommand::Propose(ProposeCommand::SetParam { key, value }) = args.command else {
            panic!("not set-param");
        };
        assert_eq!((key.as_str(), value), ("permissioned", U256::ZERO));
        assert!(parse(&["vote", "1"]).is_err());
        assert!(parse(&["vote", "1", "--agree", "--against"]).is_err());
        assert!(parse(&["revoke", "1", "--key", "0x01", "--key-file", "k"]).is_err());
        let args = parse(&["vote", "1", "--against", "--key", "0x01", "--json"]).unwrap();
        assert!(args.json && args.signing_key.is_some());
    }

    #[test]
    fn addresses_are_checked() {
        let lower = "0x52908400098527886e0f7030069857d2e4169ee7";
        assert!(parse_address(lower).is_ok());
        assert!(parse_address("0x52908400098527886E0F7030069857D2E4169EE7").is_ok());
        assert!(parse_address("0x52908400098527886E0F7030069857D2E4169Ee7").is_err());
        assert!(parse_address("52908400098527886e0f7030069857d2e4169ee7").is_err());
        assert!(parse_address("0x1234").is_err());
        assert!(parse_address("0xzz908400098527886e0f7030069857d2e4169ee7").is_err());
    }

    #[test]
    fn inputs_are_checked() {
        assert_eq!(org_text(&parse_org_id("org7").unwrap()), "org7");
        assert!(parse_org_id("").is_err());
        assert!(parse_org_id(&"x".repeat(33)).is_err());
        assert!(parse_p2p("10.0.0.5:30300").is_ok());
        assert!(parse_p2p("somewhere").is_err());
        assert!(parse_role("member").is_ok());
        assert!(parse_role(&"r".repeat(33)).is_err());
        assert_eq!(parse_param_value("true").unwrap(), U256::from(1));
        assert_eq!(parse_param_value("0x10").unwrap(), U256::from(16));
        assert!(parse_param_value("ten").is_err());
        assert!(parse_public_key("0x1234").is_err());
    }

    #[test]
    fn payloads_decode_with_the_propose_call_parameters() {
        let id = parse_org_id("org9").unwrap();
        let payload = entente_modules::governance::logic::payload_add_org(
            id,
            "Nine".into(),
            Address::repeat_byte(9),
            3,
        );
        let (view, summary) = payload_view(ProposalKind::AddOrg as u8, &payload).unwrap();
        assert_eq!(view.name, "AddOrg");
        assert!(
            summary.contains("org9") && summary.contains("\"Nine\""),
            "{summary}"
        );
        let payload = entente_modules::governance::logic::payload_set_param(
            "governance.proposal_ttl_blocks".into(),
            U256::from(500),
        );
        let (_, summary) = payload_view(ProposalKind::SetParam as u8, &payload).unwrap();
        assert_eq!(summary, "governance.proposal_ttl_blocks = 500");
        assert!(payload_view(ProposalKind::AddValidator as u8, &[1, 2, 3]).is_err());
        assert!(payload_view(42, &payload).is_err());
    }

    #[test]
    fn errors_are_named_with_their_fields() {
        let mut org = [0u8; 32];
        org[..4].copy_from_slice(b"org1");
        let err = IGovernanceErrors::AlreadyVoted(IGovernance::AlreadyVoted {
            id: 3,
            org: B256::from(org),
        });
        let data = err.abi_encode();
        let decoded = IGovernanceErrors::abi_decode(&data).unwrap();
        assert_eq!(
            error_view(&decoded).text(),
            "AlreadyVoted(id: 3, org: \"org1\")"
        );
        assert_eq!(needed_weight(67, 4), 3);
        assert_eq!(needed_weight(67, 3), 3);
        assert_eq!(needed_weight(51, 2), 2);
    }
}
