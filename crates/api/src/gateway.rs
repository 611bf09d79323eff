//! The gateway's REST endpoints. A caller that presents an API token
//! (`Authorization: Bearer <64 hex>`) acts as the token's account, whose key this node
//! keeps encrypted (crate `entente-gateway`): the node simulates the call on the latest
//! committed state (for the gas limit, and to refuse one that would revert), signs it
//! (EIP-1559, chain id from the spec, the account's next pending nonce) and submits it
//! through the same ingress as `eth_sendRawTransaction`. Governance proposals and votes
//! are built from JSON with the module's `sol!` call types; an evidence deposit from the
//! document's digests, with the record signed by the account's key as a submitter
//! signs it (EIP-191). The regulator committee's proposals, votes and emergency freezes
//! (`supervision`) go through [`module_call`] like the governance calls.

use std::sync::Arc;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall as _, SolError as _, SolInterface as _, SolType as _, sol_data};
use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
};
use entente_consensus::SubmitError;
use entente_execution::{BlockEnv, CallRequest, ExecError, NoHashes};
use entente_gateway::{Gateway, GatewayError, Session};
use entente_modules::{
    EVIDENCE_ADDRESS, GOVERNANCE_ADDRESS, SUPERVISION_ADDRESS, TRACE_ADDRESS,
    evidence::abi::{self as evidence_abi, IEvidence::IEvidenceErrors},
    governance::{
        abi::IGovernance::{self, IGovernanceErrors},
        state::OrgId,
    },
    supervision::abi::ISupervision::ISupervisionErrors,
    trace::abi::ITrace::ITraceErrors,
};
use entente_primitives::{LocalSigner, TxError};
use entente_storage::{StateBase, StateView as _};
use entente_txpool::PoolError;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{
    ApiError,
    evidence::DepositBody,
    governance::{
        AccountJson, account_json, parse_org_id, parse_org_status, parse_proposal_id,
        proposal_status_code, read_committed,
    },
    routes::ApiContext,
};

type Ctx = State<Arc<ApiContext>>;

/// Gas added to a simulated estimate, in percent, for state that moves before inclusion.
const GAS_MARGIN_PCT: u64 = 25;

/// Runs blocking work (key files, token file, execution) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ApiError::Internal(format!("gateway task failed: {err}")))?
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("missing header Authorization: Bearer <API token>".into())
    })?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "use Authorization: Bearer <API token>".into(),
        ));
    }
    Ok(token.trim())
}

/// The gateway and the session of the request's token. Reads the token file when it
/// changed, so tokens issued or revoked by `entente gateway` apply at once.
pub(crate) fn authenticate(
    ctx: &ApiContext,
    headers: &HeaderMap,
) -> Result<(Arc<Gateway>, Session), ApiError> {
    let gateway = ctx.gateway.clone().ok_or(ApiError::GatewayDisabled)?;
    let token = bearer(headers)?;
    match gateway.authenticate(token) {
        Ok(Some(session)) => Ok((gateway, session)),
        Ok(None) => Err(ApiError::Unauthorized(
            "unknown or revoked API token".into(),
        )),
        Err(err) => {
            tracing::error!(%err, "gateway tokens unreadable: refusing every token");
            Err(ApiError::Internal(format!(
                "gateway tokens unreadable: {err}"
            )))
        }
    }
}

/// A JSON request body, with errors that name what is wrong.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| ApiError::BadRequest {
        field: "body",
        reason: err.to_string(),
    })
}

/// A non-negative integer given as a JSON number or as a decimal or 0x-hex string
/// (amounts in wei exceed what JSON numbers carry exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(pub U256);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative integer: a JSON number, or a decimal or 0x-hex string")
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Quantity, E> {
                Ok(Quantity(U256::from(value)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Quantity, E> {
                text.parse::<U256>()
                    .map(Quantity)
                    .map_err(|err| E::custom(format!("{text:?} is not a 256-bit integer: {err}")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `POST /v1/gateway/transactions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionBody {
    /// Recipient; omit to create a contract.
    to: Option<Address>,
    /// Call data or init code, 0x hex.
    data: Option<Bytes>,
    /// Wei to send.
    value: Option<Quantity>,
    /// Gas limit; omitted, the node simulates the call and adds a margin.
    gas: Option<u64>,
}

/// `POST /v1/governance/proposals`: one variant per proposal kind.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposalBody {
    AddOrg {
        id: String,
        name: String,
        admin: Address,
        weight: u32,
    },
    SetOrgStatus {
        org: String,
        /// `active`, `suspended` or `removed`.
        status: String,
    },
    AddValidator {
        public_key: B256,
        org: String,
        fee_recipient: Address,
        p2p_address: String,
    },
    RemoveValidator {
        public_key: B256,
    },
    AppointRegulator {
        account: Address,
    },
    RemoveRegulator {
        account: Address,
    },
    SetParam {
        key: String,
        value: Quantity,
    },
}

impl ProposalBody {
    /// The `propose…` call to the governance module.
    pub fn calldata(self) -> Result<Vec<u8>, ApiError> {
        use IGovernance as G;
        let org = |text: &str| parse_org_id(text).map(|id| id.0);
        Ok(match self {
            Self::AddOrg {
                id,
                name,
                admin,
                weight,
            } => G::proposeAddOrgCall {
                id: org(&id)?,
                name,
                admin,
                weight,
            }
            .abi_encode(),
            Self::SetOrgStatus { org: id, status } => {
                let status = parse_org_status(&status).ok_or_else(|| ApiError::BadRequest {
                    field: "status",
                    reason: format!("{status:?}; use active, suspended or removed"),
                })?;
                G::proposeSetOrgStatusCall {
                    id: org(&id)?,
                    status: status as u8,
                }
                .abi_encode()
            }
            Self::AddValidator {
                public_key,
                org: id,
                fee_recipient,
                p2p_address,
            } => G::proposeAddValidatorCall {
                publicKey: public_key,
                org: org(&id)?,
                feeRecipient: fee_recipient,
                p2pAddress: p2p_address,
            }
            .abi_encode(),
            Self::RemoveValidator { public_key } => G::proposeRemoveValidatorCall {
                publicKey: public_key,
            }
            .abi_encode(),
            Self::AppointRegulator { account } => {
                G::proposeAppointRegulatorCall { account }.abi_encode()
            }
            Self::RemoveRegulator { account } => {
                G::proposeRemoveRegulatorCall { account }.abi_encode()
            }
            Self::SetParam { key, value } => G::proposeSetParamCall {
                key,
                value: value.0,
            }
            .abi_encode(),
        })
    }
}

/// `POST /v1/governance/proposals/{id}/votes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    agree: bool,
}

/// A transaction the node signed and pooled.
#[derive(Debug, Serialize)]
pub struct Submitted {
    pub(crate) hash: B256,
    from: Address,
    nonce: u64,
    gas: u64,
    /// For a proposal: the id it gets unless another proposal is committed first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proposal_id: Option<u64>,
    /// For an evidence deposit: the record's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence_id: Option<B256>,
}

/// What to sign.
struct Outgoing {
    to: Option<Address>,
    data: Bytes,
    value: U256,
    gas: Option<u64>,
}

/// The latest committed state and the environment of the block after it.
fn simulation_base(ctx: &ApiContext) -> Result<(entente_storage::StateAt, BlockEnv), ApiError> {
    let store = ctx.chain.store();
    let head = store
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    let spec = ctx.chain.spec();
    let env = BlockEnv {
        number: head.height + 1,
        timestamp_secs: head.timestamp_ms / 1000 + 1,
        coinbase: Address::ZERO,
        gas_limit: spec.gas.block_gas_limit,
        base_fee: spec.gas.min_gas_price,
        prevrandao: head.hash,
        chain_id: spec.chain_id,
    };
    Ok((store.view(&StateBase::committed(head.height)), env))
}

fn call_request(ctx: &ApiContext, from: Address, tx: &Outgoing) -> CallRequest {
    CallRequest {
        from: Some(from),
        to: tx.to,
        gas: Some(ctx.gas_cap.min(ctx.chain.spec().gas.block_gas_limit)),
        gas_price: None,
        value: Some(tx.value),
        input: tx.data.clone(),
        nonce: None,
    }
}

/// Why a simulated call failed, readable: governance and evidence errors decoded,
/// `Error(string)` reasons extracted.
fn revert_message(to: Option<Address>, output: &[u8]) -> String {
    if to == Some(GOVERNANCE_ADDRESS)
        && let Ok(err) = IGovernanceErrors::abi_decode(output)
    {
        return format!("execution reverted: {}", governance_error(err));
    }
    if to == Some(EVIDENCE_ADDRESS)
        && let Ok(err) = IEvidenceErrors::abi_decode(output)
    {
        return format!("execution reverted: {}", evidence_abi::error_text(&err));
    }
    // Supervision's errors from the module itself; its denials (`Frozen`,
    // `ContractFrozen`) from whatever frame the per-frame check stopped.
    if let Ok(err) = ISupervisionErrors::abi_decode(output)
        && (to == Some(SUPERVISION_ADDRESS) || crate::supervision::denial_order(output).is_some())
    {
        return format!(
            "execution reverted: {}",
            crate::supervision::error_text(&err)
        );
    }
    if to == Some(TRACE_ADDRESS)
        && let Ok(err) = ITraceErrors::abi_decode(output)
    {
        return format!("execution reverted: {}", crate::trace::error_text(&err));
    }
    if let Ok(revert) = alloy_sol_types::Revert::abi_decode(output) {
        return format!("execution reverted: {}", revert.reason);
    }
    match alloy_sol_types::decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None if output.is_empty() => "execution reverted".into(),
        None => format!("execution reverted: 0x{}", hex::encode(output)),
    }
}

fn governance_error(err: IGovernanceErrors) -> String {
    use IGovernanceErrors as E;
    match err {
        E::Unauthorized(e) => format!("unauthorized: {} {}", e.caller, e.reason),
        E::NotFound(e) => format!("{} not found", e.what),
        E::AlreadyExists(e) => format!("{} already exists", e.what),
        E::InvalidInput(e) => format!("invalid input: {}", e.reason),
        E::AlreadyVoted(e) => format!(
            "organisation {} already voted on proposal {}",
            OrgId(e.org).text(),
            e.id
        ),
        E::ProposalNotOpen(e) => format!(
            "proposal {} is not open (it is {})",
            e.id,
            proposal_status_code(e.status)
        ),
        E::OpenProposalExists(e) => {
            format!("proposal {} is already open for this target", e.id)
        }
    }
}

fn exec_error(to: Option<Address>, err: ExecError) -> ApiError {
    match err {
        ExecError::Reverted { output, .. } => ApiError::Rejected(revert_message(to, &output)),
        ExecError::Rejected(rejection) if !rejection.is_fatal() => {
            ApiError::Rejected(rejection.to_string())
        }
        ExecError::GasRequiredExceedsCap { .. } => ApiError::Rejected(err.to_string()),
        other => ApiError::Internal(other.to_string()),
    }
}

/// The call's return data; refuses one that reverts.
fn simulate(ctx: &ApiContext, from: Address, tx: &Outgoing) -> Result<Bytes, ApiError> {
    let (view, env) = simulation_base(ctx)?;
    let outcome = entente_execution::call(
        &view,
        &env,
        &NoHashes,
        ctx.chain.modules().as_ref(),
        call_request(ctx, from, tx),
    )
    .map_err(|err| exec_error(tx.to, err))?;
    if !outcome.success {
        return Err(match outcome.halt {
            Some(reason) => ApiError::Rejected(format!("execution halted: {reason}")),
            None => ApiError::Rejected(revert_message(tx.to, &outcome.output)),
        });
    }
    Ok(outcome.output)
}

/// The gas limit to sign: the caller's, or the estimate plus a margin.
fn gas_limit(ctx: &ApiContext, from: Address, tx: &Outgoing) -> Result<u64, ApiError> {
    let block_gas = ctx.chain.spec().gas.block_gas_limit;
    if let Some(gas) = tx.gas {
        if gas > block_gas {
            return Err(ApiError::BadRequest {
                field: "gas",
                reason: format!("{gas} exceeds the block gas limit {block_gas}"),
            });
        }
        return Ok(gas);
    }
    let (view, env) = simulation_base(ctx)?;
    let estimate = entente_execution::estimate_gas(
        &view,
        &env,
        &NoHashes,
        ctx.chain.modules().as_ref(),
        call_request(ctx, from, tx),
    )
    .map_err(|err| exec_error(tx.to, err))?;
    Ok(estimate
        .saturating_add(estimate * GAS_MARGIN_PCT / 100)
        .min(block_gas))
}

/// A refused submission as a REST error with the node's message.
fn submit_error(err: SubmitError) -> ApiError {
    match err {
        SubmitError::Decode(TxError::Oversized { size, max }) => ApiError::BadRequest {
            field: "data",
            reason: format!("the transaction has {size} bytes, more than {max}"),
        },
        SubmitError::Decode(other) => ApiError::Internal(format!("signed transaction: {other}")),
        SubmitError::Rejected(rejection) if rejection.is_fatal() => {
            ApiError::Internal(rejection.to_string())
        }
        SubmitError::Rejected(rejection) => ApiError::Rejected(rejection.to_string()),
        SubmitError::Pool(err @ (PoolError::PoolFull | PoolError::SenderFull { .. })) => {
            ApiError::Unavailable(err.to_string())
        }
        SubmitError::Pool(err) => ApiError::Rejected(err.to_string()),
        SubmitError::Overloaded => ApiError::Unavailable(SubmitError::Overloaded.to_string()),
        SubmitError::Storage(reason) => ApiError::Internal(reason),
    }
}

pub(crate) fn key_error(err: GatewayError) -> ApiError {
    match err {
        GatewayError::KeyNotFound(account) => ApiError::Conflict(format!(
            "this node's keystore holds no key for {account}; import it with `entente gateway import-key`"
        )),
        other => {
            tracing::error!(err = %other, "gateway key unusable");
            ApiError::Internal(format!("gateway key: {other}"))
        }
    }
}

/// The account's next nonce, counting its transactions already pooled.
fn pending_nonce(ctx: &ApiContext, account: &Address) -> Result<u64, ApiError> {
    let store = ctx.chain.store();
    let head = store
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    let committed = store
        .view(&StateBase::committed(head.height))
        .account(account)?
        .map(|a| a.nonce)
        .unwrap_or_default();
    Ok(ctx.chain.pool().pending_nonce(account, committed))
}

/// The EIP-1559 transaction for `tx` (the chain's fixed base fee, no tip).
fn unsigned(ctx: &ApiContext, tx: &Outgoing, nonce: u64, gas: u64) -> TxEip1559 {
    let spec = ctx.chain.spec();
    TxEip1559 {
        chain_id: spec.chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: u128::from(spec.gas.min_gas_price),
        max_priority_fee_per_gas: 0,
        to: tx.to.map_or(TxKind::Create, TxKind::Call),
        value: tx.value,
        access_list: Default::default(),
        input: tx.data.clone(),
    }
}

/// The modules' admission check (permissioning) first, so that an account that may not
/// transact hears that, rather than whatever its simulation would trip over.
fn admit(ctx: &ApiContext, signer: &LocalSigner, tx: &Outgoing) -> Result<(), ApiError> {
    let probe = signer
        .sign(unsigned(ctx, tx, 0, 21_000))
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let (view, env) = simulation_base(ctx)?;
    ctx.chain
        .modules()
        .authorize(&view, &probe, &env)
        .map_err(|rejection| match rejection.is_fatal() {
            true => ApiError::Internal(rejection.to_string()),
            false => ApiError::Rejected(rejection.to_string()),
        })
}

/// Signs `tx` as the session's account with its next nonce and submits it.
fn sign_and_submit(
    ctx: &ApiContext,
    gateway: &Gateway,
    session: &Session,
    signer: &LocalSigner,
    tx: Outgoing,
    gas: u64,
) -> Result<Submitted, ApiError> {
    let _serial = gateway.lock_submissions();
    let nonce = pending_nonce(ctx, &session.account)?;
    let signed = signer
        .sign(unsigned(ctx, &tx, nonce, gas))
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let hash = ctx.ingress.submit(signed.raw).map_err(submit_error)?;
    tracing::info!(%hash, from = %session.account, nonce, token = %session.token_id, "gateway submitted a transaction");
    Ok(Submitted {
        hash,
        from: session.account,
        nonce,
        gas,
        proposal_id: None,
        evidence_id: None,
    })
}

fn check_data(ctx: &ApiContext, data: &Bytes) -> Result<(), ApiError> {
    let max = ctx.chain.spec().limits.tx_bytes_max;
    if data.len() > max {
        return Err(ApiError::BadRequest {
            field: "data",
            reason: format!("{} bytes exceed the transaction limit of {max}", data.len()),
        });
    }
    Ok(())
}

#[derive(Serialize)]
pub struct WhoAmI {
    token_id: String,
    label: String,
    account: Address,
    /// Whether this node's keystore holds the account's key (it can sign).
    key_in_keystore: bool,
    /// The nonce the next transaction will get.
    next_nonce: u64,
    /// The account in the governance registry; `null` when it is not registered.
    registration: Option<AccountJson>,
}

/// `GET /v1/gateway/whoami`.
pub async fn whoami(State(ctx): Ctx, headers: HeaderMap) -> Result<Json<WhoAmI>, ApiError> {
    blocking(move || {
        let (gateway, session) = authenticate(&ctx, &headers)?;
        let registration = read_committed(&ctx, |gov, _| account_json(gov, session.account))?;
        Ok(Json(WhoAmI {
            key_in_keystore: gateway.has_key(&session.account),
            next_nonce: pending_nonce(&ctx, &session.account)?,
            token_id: session.token_id,
            label: session.label,
            account: session.account,
            registration,
        }))
    })
    .await
}

/// `POST /v1/gateway/transactions`.
pub async fn transactions(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    blocking(move || {
        let (gateway, session) = authenticate(&ctx, &headers)?;
        let body: TransactionBody = json_body(&body)?;
        let tx = Outgoing {
            to: body.to,
            data: body.data.unwrap_or_default(),
            value: body.value.map(|q| q.0).unwrap_or_default(),
            gas: body.gas,
        };
        check_data(&ctx, &tx.data)?;
        let signer = gateway.signer(&session.account).map_err(key_error)?;
        admit(&ctx, &signer, &tx)?;
        let gas = gas_limit(&ctx, session.account, &tx)?;
        let submitted = sign_and_submit(&ctx, &gateway, &session, &signer, tx, gas)?;
        Ok((StatusCode::ACCEPTED, Json(submitted)))
    })
    .await
}

/// Admits, simulates (refusing a call that reverts, with the module's error decoded),
/// sizes, then signs and submits a call to the system module at `to`. Returns what the
/// simulation returned beside the submission.
pub(crate) fn module_call(
    ctx: &ApiContext,
    gateway: &Gateway,
    session: &Session,
    signer: &LocalSigner,
    to: Address,
    calldata: Vec<u8>,
) -> Result<(Submitted, Bytes), ApiError> {
    let tx = Outgoing {
        to: Some(to),
        data: calldata.into(),
        value: U256::ZERO,
        gas: None,
    };
    admit(ctx, signer, &tx)?;
    let output = simulate(ctx, session.account, &tx)?;
    let gas = gas_limit(ctx, session.account, &tx)?;
    Ok((
        sign_and_submit(ctx, gateway, session, signer, tx, gas)?,
        output,
    ))
}

/// Admits, simulates and sizes every call of `calls` to the module at `to` against the
/// committed state, then signs and submits them in order (consecutive nonces). A call
/// that would be refused submits none.
pub(crate) fn module_calls(
    ctx: &ApiContext,
    gateway: &Gateway,
    session: &Session,
    signer: &LocalSigner,
    to: Address,
    calls: Vec<Vec<u8>>,
) -> Result<Vec<Submitted>, ApiError> {
    let mut sized = Vec::with_capacity(calls.len());
    for calldata in calls {
        let tx = Outgoing {
            to: Some(to),
            data: calldata.into(),
            value: U256::ZERO,
            gas: None,
        };
        check_data(ctx, &tx.data)?;
        admit(ctx, signer, &tx)?;
        simulate(ctx, session.account, &tx)?;
        let gas = gas_limit(ctx, session.account, &tx)?;
        sized.push((tx, gas));
    }
    sized
        .into_iter()
        .map(|(tx, gas)| sign_and_submit(ctx, gateway, session, signer, tx, gas))
        .collect()
}

/// Simulates, then signs and submits a call to the governance module.
fn governance_call(
    ctx: &ApiContext,
    gateway: &Gateway,
    session: &Session,
    calldata: Vec<u8>,
) -> Result<(Submitted, Bytes), ApiError> {
    let signer = gateway.signer(&session.account).map_err(key_error)?;
    module_call(ctx, gateway, session, &signer, GOVERNANCE_ADDRESS, calldata)
}

/// `POST /v1/governance/proposals`.
pub async fn propose(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    blocking(move || {
        let (gateway, session) = authenticate(&ctx, &headers)?;
        let calldata = json_body::<ProposalBody>(&body)?.calldata()?;
        let (mut submitted, output) = governance_call(&ctx, &gateway, &session, calldata)?;
        submitted.proposal_id = sol_data::Uint::<64>::abi_decode(&output).ok();
        Ok((StatusCode::ACCEPTED, Json(submitted)))
    })
    .await
}

/// `POST /v1/governance/proposals/{id}/votes`.
pub async fn vote(
    State(ctx): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    blocking(move || {
        let (gateway, session) = authenticate(&ctx, &headers)?;
        let id = parse_proposal_id(&id)?;
        let VoteBody { agree } = json_body(&body)?;
        let calldata = IGovernance::voteCall { id, agree }.abi_encode();
        let (submitted, _) = governance_call(&ctx, &gateway, &session, calldata)?;
        Ok((StatusCode::ACCEPTED, Json(submitted)))
    })
    .await
}

/// `POST /v1/evidence`: deposits a record of the body's digests as the token's account
/// (which needs the `evidence_submitter` role). The node builds the record (chain id from
/// its spec, submitter the token's account), signs its hash with the account's key as
/// `entente evidence deposit --key` does, and submits `deposit` like any gateway call.
pub async fn deposit_evidence(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    blocking(move || {
        let (gateway, session) = authenticate(&ctx, &headers)?;
        let deposit = json_body::<DepositBody>(&body)?.check()?;
        let signer = gateway.signer(&session.account).map_err(key_error)?;
        let chain_id = ctx.chain.spec().chain_id;
        let record = deposit.record(chain_id, session.account);
        let signature = signer
            .sign_message(evidence_abi::record_hash(&record).as_slice())
            .map_err(|err| ApiError::Internal(err.to_string()))?;
        let id = evidence_abi::evidence_id(chain_id, &session.account, &deposit.sha256);
        let calldata = deposit.call(signature).abi_encode();
        let (mut submitted, _) = module_call(
            &ctx,
            &gateway,
            &session,
            &signer,
            EVIDENCE_ADDRESS,
            calldata,
        )?;
        submitted.evidence_id = Some(id);
        Ok((StatusCode::ACCEPTED, Json(submitted)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use entente_modules::governance::state::ProposalKind;

    use super::*;
    use crate::governance::decode_payload;

    fn proposal(json: &str) -> Result<Vec<u8>, ApiError> {
        json_body::<ProposalBody>(json.as_bytes())?.calldata()
    }

    #[test]
    fn proposals_encode_as_governance_calls() {
        let calldata = proposal(
            r#"{"kind": "set_param", "key": "governance.proposal_ttl_blocks", "value": "500"}"#,
        )
        .unwrap();
        let IGovernance::IGovernanceCalls::proposeSetParam(call) =
            IGovernance::IGovernanceCalls::abi_decode(&calldata).unwrap()
        else {
            panic!("not proposeSetParam");
        };
        assert_eq!(call.key, "governance.proposal_ttl_blocks");
        assert_eq!(call.value, U256::from(500));
        // The arguments are the stored payload: the read side decodes them back.
        assert_eq!(
            decode_payload(ProposalKind::SetParam, &calldata[4..]),
            serde_json::json!({ "key": "governance.proposal_ttl_blocks", "value": "500" })
        );

        let calldata =
            proposal(r#"{"kind": "set_org_status", "org": "org1", "status": "suspended"}"#)
                .unwrap();
        let call = IGovernance::proposeSetOrgStatusCall::abi_decode(&calldata).unwrap();
        assert_eq!(call.id, OrgId::from_text("org1").unwrap().0);
        assert_eq!(call.status, 2);

        let admin = "0x1111111111111111111111111111111111111111";
        let calldata = proposal(&format!(
            r#"{{"kind": "add_org", "id": "acme", "name": "Acme", "admin": "{admin}", "weight": 2}}"#
        ))
        .unwrap();
        let call = IGovernance::proposeAddOrgCall::abi_decode(&calldata).unwrap();
        assert_eq!((call.name.as_str(), call.weight), ("Acme", 2));
        assert_eq!(call.admin, Address::repeat_byte(0x11));
    }

    #[test]
    fn bad_bodies_are_refused_with_the_reason() {
        let cases = [
            (
                r#"{"kind": "set_param", "key": "k"}"#,
                "missing field `value`",
            ),
            (
                r#"{"kind": "make_coffee"}"#,
                "unknown variant `make_coffee`",
            ),
            (
                r#"{"kind": "appoint_regulator", "account": "0x1111111111111111111111111111111111111111", "extra": 1}"#,
                "unknown field `extra`",
            ),
            (
                r#"{"kind": "set_org_status", "org": "org1", "status": "asleep"}"#,
                "asleep",
            ),
            (
                r#"{"kind": "set_org_status", "org": "an organisation id far longer than 32 bytes", "status": "active"}"#,
                "organisation id",
            ),
            (
                r#"{"kind": "set_param", "key": "k", "value": "-1"}"#,
                "not a 256-bit integer",
            ),
        ];
        for (body, expected) in cases {
            let err = proposal(body).unwrap_err();
            assert!(matches!(err, ApiError::BadRequest { .. }), "{body}: {err}");
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
        let err = json_body::<TransactionBody>(br#"{"to": "0x12"}"#).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
        let err = json_body::<TransactionBody>(br#"{"nonce": 3}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `nonce`"), "{err}");
        let body: TransactionBody =
            json_body(br#"{"value": "0x10", "data": "0xabcd", "gas": 30000}"#).unwrap();
        assert_eq!(body.value, Some(Quantity(U256::from(16))));
        assert_eq!(body.data.unwrap().as_ref(), &[0xab, 0xcd]);
        let body: TransactionBody = json_body(br#"{"value": 7}"#).unwrap();
        assert_eq!(body.value, Some(Quantity(U256::from(7))));
        let err = json_body::<VoteBody>(br#"{"agree": "yes"}"#).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
    }

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer(&headers), Err(ApiError::Unauthorized(_))));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(matches!(bearer(&headers), Err(ApiError::Unauthorized(_))));
        headers.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert!(matches!(bearer(&headers), Err(ApiError::Unauthorized(_))));
        headers.insert(header::AUTHORIZATION, "bearer abc".parse().unwrap());
        assert_eq!(bearer(&headers).unwrap(), "abc");
    }

    const SHA: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
    const SM3: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

    fn deposit(json: &str) -> Result<crate::evidence::Deposit, ApiError> {
        json_body::<DepositBody>(json.as_bytes())?.check()
    }

    #[test]
    fn evidence_bodies_become_signed_deposit_calls() {
        let body = format!(
            r#"{{"content": [{{"alg": "sm3", "hex": "{SM3}"}}, {{"alg": "sha-256", "hex": "{SHA}"}}],
                "content_length": 1234, "media_type": "application/pdf", "prev": "{SM3}"}}"#
        );
        let checked = deposit(&body).unwrap();
        assert_eq!(checked.sha256, SHA.parse::<B256>().unwrap());
        assert_eq!(
            checked.content.iter().map(|d| d.alg).collect::<Vec<_>>(),
            vec![evidence_abi::ALG_SM3, evidence_abi::ALG_SHA256],
            "order kept"
        );
        assert_eq!(checked.content_length, 1234);
        assert_eq!(checked.media_type, "application/pdf");
        assert_eq!(checked.metadata_hash, B256::ZERO);
        assert_eq!(checked.prev, SM3.parse::<B256>().unwrap());

        // Signed as the handler signs it: the module's check recovers the submitter.
        let signer = LocalSigner::random();
        let record = checked.record(4242, signer.address());
        let signature = signer
            .sign_message(evidence_abi::record_hash(&record).as_slice())
            .unwrap();
        assert_eq!(
            evidence_abi::recover_submitter(&record, &signature),
            Some(signer.address())
        );
        let calldata = checked.call(signature).abi_encode();
        let call = evidence_abi::IEvidence::depositCall::abi_decode(&calldata).unwrap();
        assert_eq!(call.content, record.content);
        assert_eq!(call.mediaType, "application/pdf");
        assert_eq!(call.signature.as_ref(), signature.as_slice());

        let minimal = deposit(&format!(
            r#"{{"content": [{{"alg": "sha-256", "hex": "{SHA}"}}], "content_length": 0}}"#
        ))
        .unwrap();
        assert_eq!(minimal.media_type, "application/octet-stream");
        assert_eq!(
            (minimal.metadata_hash, minimal.prev),
            (B256::ZERO, B256::ZERO)
        );
    }

    #[test]
    fn bad_evidence_bodies_are_refused_naming_the_field() {
        let one = |alg: &str, hex: &str| format!(r#"{{"alg": "{alg}", "hex": "{hex}"}}"#);
        let sha = one("sha-256", SHA);
        let with = |content: &str, extra: &str| {
            format!(r#"{{"content": [{content}], "content_length": 5{extra}}}"#)
        };
        let cases = [
            (
                with(&one("md5", SHA), ""),
                "content",
                "\"md5\" is not sha-256 or sm3",
            ),
            (
                with(&one("sha-256", &"0xzz".repeat(16)), ""),
                "content",
                "digest 0 (sha-256)",
            ),
            (
                with(&one("sha-256", &SHA[2..]), ""),
                "content",
                "0x-prefixed",
            ),
            (
                with(&one("sha-256", &SHA[..42]), ""),
                "content",
                "expected 32 bytes, got 20",
            ),
            (with(&one("sm3", SM3), ""), "content", "no sha-256 digest"),
            (with("", ""), "content", "no digest"),
            (
                with(&[sha.as_str(); 5].join(","), ""),
                "content",
                "5 digests, more than 4",
            ),
            (
                with(
                    &format!("{sha}, {}, {}", one("sm3", SM3), one("sm3", SM3)),
                    "",
                ),
                "content",
                "more than one sm3 digest",
            ),
            (
                with(&sha, r#", "document": "aGVsbG8=""#),
                "body",
                "unknown field `document`",
            ),
            (
                with(
                    &format!(r#"{{"alg": "sha-256", "hex": "{SHA}", "bits": 256}}"#),
                    "",
                ),
                "body",
                "unknown field `bits`",
            ),
            (
                format!(r#"{{"content": [{sha}]}}"#),
                "body",
                "missing field `content_length`",
            ),
            (with(&sha, r#", "content_length": -1"#), "body", ""),
            (
                with(&sha, r#", "media_type": """#),
                "media_type",
                "printable ASCII",
            ),
            (
                with(&sha, r#", "media_type": "text/plain\n""#),
                "media_type",
                "printable ASCII",
            ),
            (
                with(&sha, &format!(r#", "media_type": "{}""#, "x".repeat(129))),
                "media_type",
                "1 to 128",
            ),
            (
                with(&sha, r#", "metadata_hash": "0x1234""#),
                "metadata_hash",
                "expected 32 bytes",
            ),
            (
                with(&sha, r#", "prev": "evidence 7""#),
                "prev",
                "0x-prefixed",
            ),
        ];
        for (body, field, expected) in cases {
            match deposit(&body) {
                Err(err @ ApiError::BadRequest { field: got, .. }) => {
                    assert_eq!(got, field, "{body}: {err}");
                    assert!(err.to_string().contains(expected), "{body}: {err}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn evidence_reverts_read_as_the_module_error() {
        let id = B256::repeat_byte(0xab);
        let data = evidence_abi::IEvidence::AlreadyDeposited { id }.abi_encode();
        assert_eq!(
            revert_message(Some(EVIDENCE_ADDRESS), &data),
            format!("execution reverted: AlreadyDeposited: evidence {id}")
        );
        let data = evidence_abi::IEvidence::Unauthorized {
            caller: Address::repeat_byte(1),
            reason: "lacks the evidence_submitter role".into(),
        }
        .abi_encode();
        let message = revert_message(Some(EVIDENCE_ADDRESS), &data);
        assert!(
            message.starts_with("execution reverted: Unauthorized: 0x0101")
                && message.ends_with("(lacks the evidence_submitter role)"),
            "{message}"
        );
        let data = evidence_abi::IEvidence::BadSubmitterSig {}.abi_encode();
        assert_eq!(
            revert_message(Some(EVIDENCE_ADDRESS), &data),
            "execution reverted: BadSubmitterSig"
        );
        // Another contract's error with the same selector is not read as the module's.
        let data = evidence_abi::IEvidence::AlreadyDeposited { id }.abi_encode();
        assert!(revert_message(Some(Address::ZERO), &data).contains("0x"));
    }

    #[test]
    fn supervision_reverts_read_by_name() {
        use entente_modules::supervision::abi::ISupervision;
        let data = ISupervision::AlreadyVoted {
            proposalId: 2,
            member: Address::repeat_byte(3),
        }
        .abi_encode();
        let message = revert_message(Some(SUPERVISION_ADDRESS), &data);
        assert!(
            message.starts_with("execution reverted: AlreadyVoted: 0x0303")
                && message.ends_with("already voted on proposal 2"),
            "{message}"
        );
        // A denial names its order whichever frame the check stopped.
        let data = ISupervision::Frozen { orderId: 5 }.abi_encode();
        assert_eq!(
            revert_message(Some(Address::repeat_byte(9)), &data),
            "execution reverted: Frozen: frozen by supervision order 5"
        );
        // The module's other errors are only read as such from the module.
        let data = ISupervision::NotFound {
            what: "order 4".into(),
        }
        .abi_encode();
        assert!(!revert_message(Some(Address::ZERO), &data).contains("NotFound"));
    }

    #[test]
    fn governance_reverts_read_as_their_reason() {
        let data = IGovernance::ProposalNotOpen { id: 4, status: 2 }.abi_encode();
        assert_eq!(
            revert_message(Some(GOVERNANCE_ADDRESS), &data),
            "execution reverted: proposal 4 is not open (it is executed)"
        );
        let data = IGovernance::Unauthorized {
            caller: Address::repeat_byte(1),
            reason: "not an organisation admin".into(),
        }
        .abi_encode();
        let message = revert_message(Some(GOVERNANCE_ADDRESS), &data);
        assert!(message.ends_with("not an organisation admin"), "{message}");
        let data = alloy_sol_types::Revert::from("out of stock").abi_encode();
        assert_eq!(
            revert_message(Some(Address::ZERO), &data),
            "execution reverted: out of stock"
        );
    }
}
