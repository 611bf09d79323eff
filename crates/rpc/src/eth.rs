//! The `eth_*`, `net_*`, `web3_*` and `entente_*` methods.
//!
//! Every committed block is final (BFT finality), so `latest`, `safe`, `finalized` and
//! `pending` all name the committed head; `pending` additionally counts pooled
//! transactions for `eth_getTransactionCount`.

use std::sync::Arc;

use alloy_consensus::TxEnvelope;
use alloy_eips::{BlockId, BlockNumberOrTag, eip2718::Decodable2718 as _};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{
    Block as RpcBlock, FeeHistory, Filter, FilterBlockOption, Log as RpcLog,
    Transaction as RpcTransaction, TransactionReceipt, TransactionRequest,
};
use entente_config::RpcConfig;
use entente_consensus::{Chain, TxIngress};
use entente_execution::{BlockEnv, CallOutcome, CallRequest, ExecError, NoHashes};
use entente_primitives::{Block, Receipt, RecoveredTx};
use entente_storage::{LogFilter, StateBase, StateView as _};
use serde::Serialize;

use crate::{
    convert,
    error::{
        RpcResult, internal, invalid_params, limit, reverted, server, submit_error, unavailable,
    },
};

/// Name and version reported by `web3_clientVersion`.
pub const CLIENT_VERSION: &str = concat!("entente/v", env!("CARGO_PKG_VERSION"));

/// Shared state of the RPC handlers.
pub struct Eth {
    pub chain: Arc<Chain>,
    pub ingress: TxIngress,
    pub config: RpcConfig,
}

/// A finalised block's certificate, as `entente_getFinalization` returns it.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizationResponse {
    pub number: U64,
    pub hash: B256,
    /// The block's state root, for proofs checked against this certificate.
    pub state_root: B256,
    /// The block's encoded header: its SHA-256 is `hash`, the digest validators sign.
    pub header: Bytes,
    /// Commonware encoding of the simplex finalisation (proposal and 2f+1 ed25519
    /// signatures with signer indices), hex: of this block, or of the descendant
    /// `certifiedNumber` when the block has no certificate of its own.
    pub certificate: Bytes,
    /// The height of the block `certificate` signs.
    pub certified_number: U64,
    /// Encoded headers of the blocks `number + 1 ..= certifiedNumber`, linking the
    /// certified block back to this one by parent digests; empty for an own certificate.
    pub descendants: Vec<Bytes>,
}

/// An account proof in Entente's documented format (see `docs/proofs.md`).
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofResponse {
    pub address: Address,
    pub balance: U256,
    pub nonce: U64,
    pub code_hash: B256,
    /// The state root the proofs verify against (the block's `stateRoot`).
    pub state_root: B256,
    /// Always `"entente-jmt-v1"`: a Jellyfish Merkle proof, not a Merkle-Patricia one.
    pub proof_format: &'static str,
    /// The account's proof, JSON-encoded.
    pub account_proof: serde_json::Value,
    pub storage_proof: Vec<StorageProofResponse>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProofResponse {
    pub key: B256,
    pub value: U256,
    pub proof: serde_json::Value,
}

impl Eth {
    fn head(&self) -> RpcResult<entente_storage::ChainHead> {
        self.chain
            .store()
            .head()
            .map_err(internal)?
            .ok_or_else(|| internal("no genesis"))
    }

    /// The committed height a block id names.
    pub fn resolve(&self, id: Option<BlockId>) -> RpcResult<u64> {
        let head = self.head()?.height;
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(BlockNumberOrTag::Number(n)) if n <= head => Ok(n),
            BlockId::Number(BlockNumberOrTag::Number(n)) => Err(unavailable(format!(
                "header not found: block {n} is above the head {head}"
            ))),
            BlockId::Number(BlockNumberOrTag::Earliest) => Ok(0),
            BlockId::Number(_) => Ok(head),
            BlockId::Hash(hash) => self
                .chain
                .store()
                .height_of(&hash.block_hash)
                .map_err(internal)?
                .ok_or_else(|| unavailable(format!("header not found: block {}", hash.block_hash))),
        }
    }

    fn view_at(
        &self,
        id: Option<BlockId>,
    ) -> RpcResult<(u64, impl entente_storage::StateView + use<>)> {
        let height = self.resolve(id)?;
        Ok((
            height,
            self.chain.store().view(&StateBase::committed(height)),
        ))
    }

    pub fn chain_id(&self) -> U64 {
        U64::from(self.chain.spec().chain_id)
    }

    pub fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.head()?.height))
    }

    pub fn gas_price(&self) -> U256 {
        U256::from(self.chain.spec().gas.min_gas_price)
    }

    pub fn balance(&self, address: Address, id: Option<BlockId>) -> RpcResult<U256> {
        let (_, view) = self.view_at(id)?;
        Ok(view
            .account(&address)
            .map_err(internal)?
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    pub fn code(&self, address: Address, id: Option<BlockId>) -> RpcResult<Bytes> {
        let (_, view) = self.view_at(id)?;
        let Some(account) = view.account(&address).map_err(internal)? else {
            return Ok(Bytes::new());
        };
        Ok(view
            .code(&account.code_hash)
            .map_err(internal)?
            .unwrap_or_default())
    }

    pub fn storage_at(&self, address: Address, slot: U256, id: Option<BlockId>) -> RpcResult<B256> {
        let (_, view) = self.view_at(id)?;
        Ok(B256::from(view.storage(&address, &slot).map_err(internal)?))
    }

    pub fn transaction_count(&self, address: Address, id: Option<BlockId>) -> RpcResult<U64> {
        let pending = matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let (_, view) = self.view_at(id)?;
        let nonce = view
            .account(&address)
            .map_err(internal)?
            .map(|a| a.nonce)
            .unwrap_or_default();
        if pending {
            return Ok(U64::from(self.chain.pool().pending_nonce(&address, nonce)));
        }
        Ok(U64::from(nonce))
    }

    pub fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        self.ingress.submit(raw).map_err(|err| submit_error(&err))
    }

    fn env(&self, height: u64) -> RpcResult<BlockEnv> {
        let block = self.block_at(height)?;
        let spec = self.chain.spec();
        Ok(BlockEnv {
            number: height + 1,
            timestamp_secs: block.header.timestamp_secs() + 1,
            coinbase: block.header.proposer,
            gas_limit: spec.gas.block_gas_limit,
            base_fee: spec.gas.min_gas_price,
            prevrandao: block.hash(),
            chain_id: spec.chain_id,
        })
    }

    fn call_request(&self, request: TransactionRequest) -> RpcResult<CallRequest> {
        let gas_cap = self.config.gas_cap;
        let gas = request.gas.map(|g| g.min(gas_cap)).unwrap_or(gas_cap);
        let to = match request.to {
            Some(alloy_primitives::TxKind::Call(to)) => Some(to),
            _ => None,
        };
        Ok(CallRequest {
            from: request.from,
            to,
            gas: Some(gas),
            gas_price: request.gas_price.or(request.max_fee_per_gas),
            value: request.value,
            input: request.input.into_input().unwrap_or_default(),
            nonce: request.nonce,
        })
    }

    pub fn call(&self, request: TransactionRequest, id: Option<BlockId>) -> RpcResult<Bytes> {
        let (height, view) = self.view_at(id)?;
        let env = self.env(height)?;
        let request = self.call_request(request)?;
        let outcome = entente_execution::call(
            &view,
            &env,
            &NoHashes,
            self.chain.modules().as_ref(),
            request,
        )
        .map_err(exec_error)?;
        outcome_result(outcome)
    }

    pub fn estimate_gas(&self, request: TransactionRequest, id: Option<BlockId>) -> RpcResult<U64> {
        let (height, view) = self.view_at(id)?;
        let env = self.env(height)?;
        let request = self.call_request(request)?;
        entente_execution::estimate_gas(
            &view,
            &env,
            &NoHashes,
            self.chain.modules().as_ref(),
            request,
        )
        .map(U64::from)
        .map_err(exec_error)
    }

    pub fn block_at(&self, height: u64) -> RpcResult<Block> {
        self.chain
            .store()
            .block(height)
            .map_err(internal)?
            .ok_or_else(|| unavailable(format!("block {height} not found")))
    }

    fn receipts_at(&self, height: u64) -> RpcResult<Vec<Receipt>> {
        Ok(self
            .chain
            .store()
            .receipts(height)
            .map_err(internal)?
            .unwrap_or_default())
    }

    /// A block's transactions with senders taken from the receipts (no signature recovery).
    fn block_txs(block: &Block, receipts: &[Receipt]) -> RpcResult<Vec<RecoveredTx>> {
        block
            .txs
            .iter()
            .zip(receipts)
            .map(|(raw, receipt)| {
                let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(internal)?;
                Ok(RecoveredTx::from_envelope(envelope, receipt.from))
            })
            .collect()
    }

    pub fn block_by_id(&self, id: BlockId, full: bool) -> RpcResult<Option<RpcBlock>> {
        let height = match self.resolve(Some(id)) {
            Ok(height) => height,
            Err(_) => return Ok(None),
        };
        let block = self.block_at(height)?;
        let receipts = self.receipts_at(height)?;
        let txs = Self::block_txs(&block, &receipts)?;
        Ok(Some(convert::block(&block, &txs, &receipts, full)))
    }

    pub fn block_tx_count(&self, id: BlockId) -> RpcResult<Option<U64>> {
        match self.resolve(Some(id)) {
            Ok(height) => Ok(Some(U64::from(self.block_at(height)?.txs.len()))),
            Err(_) => Ok(None),
        }
    }

    pub fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>> {
        if let Some(location) = self.chain.store().tx_location(&hash).map_err(internal)? {
            let block = self.block_at(location.height)?;
            let receipts = self.receipts_at(location.height)?;
            let index = location.index as usize;
            let (Some(raw), Some(receipt)) = (block.txs.get(index), receipts.get(index)) else {
                return Err(internal("transaction index out of range"));
            };
            let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(internal)?;
            let tx = RecoveredTx::from_envelope(envelope, receipt.from);
            return Ok(Some(convert::transaction(
                &tx,
                Some((&block, index as u64)),
            )));
        }
        Ok(self
            .chain
            .pool()
            .get(&hash)
            .map(|tx| convert::transaction(&tx, None)))
    }

    pub fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        let Some(location) = self.chain.store().tx_location(&hash).map_err(internal)? else {
            return Ok(None);
        };
        let block = self.block_at(location.height)?;
        let receipts = self.receipts_at(location.height)?;
        if location.index as usize >= receipts.len() {
            return Err(internal("receipt index out of range"));
        }
        Ok(Some(convert::receipt(
            &receipts,
            location.index as usize,
            &block,
        )))
    }

    pub fn logs(&self, filter: Filter) -> RpcResult<Vec<RpcLog>> {
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let height = self.resolve(Some(BlockId::from(hash)))?;
                (height, height)
            }
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => {
                let from = self.resolve(from_block.map(BlockId::Number))?;
                let to = self.resolve(to_block.map(BlockId::Number))?;
                (from, to)
            }
        };
        if from > to {
            return Err(invalid_params(format!(
                "invalid block range: from {from} > to {to}"
            )));
        }
        let span = to - from + 1;
        if span > self.config.logs_block_range_max {
            return Err(limit(format!(
                "block range of {span} blocks exceeds the limit of {}",
                self.config.logs_block_range_max
            )));
        }
        let log_filter = LogFilter {
            addresses: filter.address.iter().copied().collect(),
            topics: filter
                .topics
                .iter()
                .map(|topic| {
                    if topic.is_empty() {
                        None
                    } else {
                        Some(topic.iter().copied().collect())
                    }
                })
                .collect(),
        };
        let entries = self
            .chain
            .store()
            .logs(from, to, &log_filter, self.config.logs_results_max)
            .map_err(|err| limit(format!("{err}")))?;
        Ok(entries
            .into_iter()
            .map(|entry| RpcLog {
                inner: entry.log,
                block_hash: Some(entry.block_hash),
                block_number: Some(entry.block_height),
                block_timestamp: None,
                transaction_hash: Some(entry.tx_hash),
                transaction_index: Some(entry.tx_index),
                log_index: Some(entry.log_index),
                removed: false,
            })
            .collect())
    }

    pub fn fee_history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        if let Some(percentiles) = &percentiles {
            check_reward_percentiles(percentiles)?;
        }
        let newest = self.resolve(Some(BlockId::Number(newest)))?;
        let count = count.clamp(1, 1024).min(newest + 1);
        let oldest = newest + 1 - count;
        let base_fee = self.chain.spec().gas.min_gas_price as u128;
        let mut gas_used_ratio = Vec::new();
        for height in oldest..=newest {
            let header = self.block_at(height)?.header;
            gas_used_ratio.push(header.gas_used as f64 / header.gas_limit.max(1) as f64);
        }
        let reward = percentiles.map(|p| vec![vec![0u128; p.len()]; count as usize]);
        Ok(FeeHistory {
            base_fee_per_gas: vec![base_fee; count as usize + 1],
            gas_used_ratio,
            base_fee_per_blob_gas: Vec::new(),
            blob_gas_used_ratio: Vec::new(),
            oldest_block: oldest,
            reward,
        })
    }

    pub fn proof(
        &self,
        address: Address,
        keys: Vec<B256>,
        id: Option<BlockId>,
    ) -> RpcResult<ProofResponse> {
        let (height, view) = self.view_at(id)?;
        let store = self.chain.store();
        let block = self.block_at(height)?;
        let account = view
            .account(&address)
            .map_err(internal)?
            .unwrap_or_default();
        let account_proof = store.account_proof(height, &address).map_err(internal)?;
        let mut storage_proof = Vec::new();
        for key in keys {
            let slot = U256::from_be_bytes(key.0);
            let value = view.storage(&address, &slot).map_err(internal)?;
            let proof = store
                .storage_proof(height, &address, &slot)
                .map_err(internal)?;
            storage_proof.push(StorageProofResponse {
                key,
                value,
                proof: serde_json::to_value(proof).map_err(internal)?,
            });
        }
        Ok(ProofResponse {
            address,
            balance: account.balance,
            nonce: U64::from(account.nonce),
            code_hash: account.code_hash,
            state_root: block.header.state_root,
            proof_format: "entente-jmt-v1",
            account_proof: serde_json::to_value(account_proof).map_err(internal)?,
            storage_proof,
        })
    }

    pub fn finalization(&self, id: BlockId) -> RpcResult<Option<FinalizationResponse>> {
        let Ok(height) = self.resolve(Some(id)) else {
            return Ok(None);
        };
        let block = self.block_at(height)?;
        let proof = self.chain.finality_proof(height).map_err(internal)?;
        Ok(proof.map(|(certified, proof)| FinalizationResponse {
            number: U64::from(height),
            hash: block.hash(),
            state_root: block.header.state_root,
            header: Bytes::from(block.header.to_bytes()),
            certificate: Bytes::from(proof.certificate),
            certified_number: U64::from(certified),
            descendants: proof
                .descendants
                .iter()
                .map(|header| Bytes::from(header.to_bytes()))
                .collect(),
        }))
    }
}

impl Eth {
    /// `entente_getEvidenceCertificate`: the certificate of the evidence record with id
    /// `key`, or of the record deposited by the transaction with hash `key`; `null` when
    /// neither exists.
    pub fn evidence_certificate(
        &self,
        key: B256,
    ) -> RpcResult<Option<entente_verify::evidence::EvidenceCertificate>> {
        use entente_consensus::evidence::{self, CertificateError};
        let id = match evidence::record(&self.chain, &key) {
            Ok(_) => key,
            Err(CertificateError::NotFound(_)) => match evidence::deposited_by(&self.chain, &key) {
                Ok(id) => id,
                Err(CertificateError::NotFound(_)) => return Ok(None),
                Err(err) => return Err(internal(err)),
            },
            Err(err) => return Err(internal(err)),
        };
        match evidence::certificate(&self.chain, &id) {
            Ok(cert) => Ok(Some(cert)),
            Err(err @ CertificateError::NotYetProven { .. }) => Err(server(err.to_string())),
            Err(CertificateError::NotFound(_)) => Ok(None),
            Err(err) => Err(internal(err)),
        }
    }
}

/// Most reward percentiles `eth_feeHistory` accepts (as geth does).
const REWARD_PERCENTILES_MAX: usize = 100;

/// `eth_feeHistory` reward percentiles: at most 100, each in `[0, 100]`, non-decreasing.
/// Without the bound the answer (`count × percentiles` entries) is sized by the request: a
/// 5 MiB request of percentiles over 1024 blocks would allocate tens of gigabytes.
fn check_reward_percentiles(percentiles: &[f64]) -> RpcResult<()> {
    if percentiles.len() > REWARD_PERCENTILES_MAX {
        return Err(invalid_params(format!(
            "at most {REWARD_PERCENTILES_MAX} reward percentiles"
        )));
    }
    let mut previous = 0.0;
    for &p in percentiles {
        if !(0.0..=100.0).contains(&p) || p < previous {
            return Err(invalid_params(format!("invalid reward percentile {p}")));
        }
        previous = p;
    }
    Ok(())
}

fn outcome_result(outcome: CallOutcome) -> RpcResult<Bytes> {
    if outcome.success {
        Ok(outcome.output)
    } else {
        Err(reverted(&outcome.output))
    }
}

fn exec_error(err: ExecError) -> jsonrpsee::types::ErrorObjectOwned {
    match err {
        ExecError::Reverted { output, .. } => reverted(&output),
        ExecError::Rejected(rejection) => server(crate::error::rejection_message(&rejection)),
        other => server(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the reward matrix was sized by the request, unbounded.
    #[test]
    fn reward_percentiles_are_bounded_and_ordered() {
        assert!(check_reward_percentiles(&[]).is_ok());
        assert!(check_reward_percentiles(&[0.0, 25.0, 25.0, 100.0]).is_ok());
        assert!(check_reward_percentiles(&vec![50.0; REWARD_PERCENTILES_MAX]).is_ok());
        assert!(check_reward_percentiles(&vec![50.0; REWARD_PERCENTILES_MAX + 1]).is_err());
        assert!(check_reward_percentiles(&vec![0.0; 2_000_000]).is_err());
        assert!(check_reward_percentiles(&[-1.0]).is_err());
        assert!(check_reward_percentiles(&[100.5]).is_err());
        assert!(check_reward_percentiles(&[50.0, 10.0]).is_err());
    }
}
