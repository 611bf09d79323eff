//! Untimed preparation of a target: funding the senders, deploying the contracts, and
//! (for the large-state variant) creating a million accounts. Every step is checked
//! on-chain before the load starts, and every wait is bounded.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::SolValue as _;
use entente_primitives::LocalSigner;
use serde_json::{Value, json};

use crate::{
    BenchError, contracts,
    rpc::{RpcClient, quantity},
    workload::{BATCH_TXS_MAX, Deployed, NATIVE_GAS, eip1559},
};

/// Holders credited by one `mintBatch` call.
pub const MINT_BATCH_HOLDERS: usize = 400;
/// Accounts created by one `StateFiller.fill` call (~37,000 gas each, ~9 M a call):
/// small enough that a block's build budget can stop between calls.
pub const FILL_ACCOUNTS_PER_TX: u64 = 250;
/// Tokens minted to each sender: far more than any run can transfer at 1 per tx.
pub const TOKENS_PER_SENDER: u64 = 1_000_000_000;
/// Wei given to each sender and the deployer when funding (gas is free; native
/// transfers move 1 wei and the filler needs 1 wei per account).
pub fn funding_wei() -> U256 {
    U256::from(10u64).pow(U256::from(18))
}

/// The parsed answer to `eth_chainId`.
pub async fn chain_id(client: &RpcClient) -> Result<u64, BenchError> {
    let value: Value = client.call("eth_chainId", json!([])).await?;
    quantity(&value).ok_or_else(|| BenchError::BadAnswer {
        method: "eth_chainId".into(),
        reason: value.to_string(),
    })
}

pub async fn block_number(client: &RpcClient) -> Result<u64, BenchError> {
    let value: Value = client.call("eth_blockNumber", json!([])).await?;
    quantity(&value).ok_or_else(|| BenchError::BadAnswer {
        method: "eth_blockNumber".into(),
        reason: value.to_string(),
    })
}

/// Calls `method(address, tag)` for each address in batches and parses the quantities.
async fn per_address(
    client: &RpcClient,
    method: &str,
    addresses: &[Address],
    tag: &str,
) -> Result<Vec<U256>, BenchError> {
    let mut out = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(BATCH_TXS_MAX) {
        let calls: Vec<(&str, Value)> = chunk.iter().map(|a| (method, json!([a, tag]))).collect();
        for answer in client.batch(&calls).await? {
            let value = answer.map_err(|f| BenchError::BadAnswer {
                method: method.into(),
                reason: f.message,
            })?;
            let parsed = value
                .as_str()
                .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
                .ok_or_else(|| BenchError::BadAnswer {
                    method: method.into(),
                    reason: value.to_string(),
                })?;
            out.push(parsed);
        }
    }
    Ok(out)
}

/// Account nonces at `tag` ("latest" or "pending").
pub async fn nonces(
    client: &RpcClient,
    addresses: &[Address],
    tag: &str,
) -> Result<Vec<u64>, BenchError> {
    per_address(client, "eth_getTransactionCount", addresses, tag)
        .await?
        .into_iter()
        .map(|n| {
            u64::try_from(n).map_err(|_| BenchError::BadAnswer {
                method: "eth_getTransactionCount".into(),
                reason: n.to_string(),
            })
        })
        .collect()
}

pub async fn balances(client: &RpcClient, addresses: &[Address]) -> Result<Vec<U256>, BenchError> {
    per_address(client, "eth_getBalance", addresses, "latest").await
}

/// Submits signed transactions in JSON-RPC batches; any refusal other than "already
/// known" fails setup.
pub async fn submit_all(client: &RpcClient, raws: &[Bytes]) -> Result<(), BenchError> {
    for chunk in raws.chunks(BATCH_TXS_MAX) {
        let calls: Vec<(&str, Value)> = chunk
            .iter()
            .map(|raw| ("eth_sendRawTransaction", json!([raw])))
            .collect();
        for answer in client.batch(&calls).await? {
            if let Err(failure) = answer
                && !failure.message.contains("already known")
            {
                return Err(BenchError::Setup(format!(
                    "a setup transaction was refused: {}",
                    failure.message
                )));
            }
        }
    }
    Ok(())
}

/// Waits until `address`'s committed nonce reaches `nonce`.
pub async fn wait_nonce(
    client: &RpcClient,
    address: Address,
    nonce: u64,
    timeout: Duration,
    what: &str,
) -> Result<(), BenchError> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = nonces(client, &[address], "latest").await?;
        if now.first().is_some_and(|&n| n >= nonce) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BenchError::timeout(what, timeout.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tops up every account in `recipients` holding less than half of `amount` to about
/// `amount`, with transfers from `faucet`; waits until they are final.
pub async fn fund(
    client: &RpcClient,
    chain_id: u64,
    faucet: &LocalSigner,
    recipients: &[Address],
    amount: U256,
    timeout: Duration,
) -> Result<usize, BenchError> {
    let held = balances(client, recipients).await?;
    let needy: Vec<Address> = recipients
        .iter()
        .zip(held)
        .filter(|(_, balance)| *balance < amount / U256::from(2))
        .map(|(a, _)| *a)
        .collect();
    if needy.is_empty() {
        return Ok(0);
    }
    let start = nonces(client, &[faucet.address()], "pending").await?[0];
    let mut raws = Vec::with_capacity(needy.len());
    for (i, to) in needy.iter().enumerate() {
        let tx = eip1559(
            chain_id,
            start + i as u64,
            NATIVE_GAS,
            TxKind::Call(*to),
            amount,
            Bytes::new(),
        );
        raws.push(sign(faucet, tx)?);
    }
    submit_all(client, &raws).await?;
    wait_nonce(
        client,
        faucet.address(),
        start + needy.len() as u64,
        timeout,
        "the funding transfers to finalise",
    )
    .await?;
    Ok(needy.len())
}

fn sign(signer: &LocalSigner, tx: alloy_consensus::TxEip1559) -> Result<Bytes, BenchError> {
    signer
        .sign(tx)
        .map(|signed| signed.raw)
        .map_err(|err| BenchError::Signing(err.to_string()))
}

/// The deployer's setup transactions, signed once so every target (Entente and anvil)
/// gets the same bytes and the contracts land at the same addresses.
pub struct DeployerPlan {
    pub deployed: Deployed,
    pub filler: Option<Address>,
    pub txs: Vec<Bytes>,
    pub final_nonce: u64,
    /// Seeds and counts of the `fill` calls (large-state variant).
    pub fills: Vec<(u64, u64)>,
}

/// Deploys the token and the events contract, mints to `holders`, and (when
/// `state_accounts > 0`) deploys the filler and creates that many accounts.
pub fn deployer_plan(
    chain_id: u64,
    deployer: &LocalSigner,
    start_nonce: u64,
    holders: &[Address],
    state_accounts: u64,
) -> Result<DeployerPlan, BenchError> {
    let codes = contracts::bytecodes()?;
    let me = deployer.address();
    let mut nonce = start_nonce;
    let mut txs = Vec::new();
    let mut push = |to: TxKind, gas: u64, value: U256, input: Bytes| -> Result<u64, BenchError> {
        let used = nonce;
        txs.push(sign(
            deployer,
            eip1559(chain_id, nonce, gas, to, value, input),
        )?);
        nonce += 1;
        Ok(used)
    };
    let token = me.create(push(
        TxKind::Create,
        3_000_000,
        U256::ZERO,
        codes.token.clone(),
    )?);
    let events = me.create(push(
        TxKind::Create,
        1_000_000,
        U256::ZERO,
        codes.events.clone(),
    )?);
    for chunk in holders.chunks(MINT_BATCH_HOLDERS) {
        let input = contracts::mint_batch_call(chunk.to_vec(), U256::from(TOKENS_PER_SENDER));
        push(
            TxKind::Call(token),
            60_000 * chunk.len() as u64 + 100_000,
            U256::ZERO,
            input,
        )?;
    }
    let mut filler = None;
    let mut fills = Vec::new();
    if state_accounts > 0 {
        let address = me.create(push(
            TxKind::Create,
            1_000_000,
            U256::ZERO,
            codes.filler.clone(),
        )?);
        filler = Some(address);
        let mut left = state_accounts;
        let mut seed = 0u64;
        while left > 0 {
            let count = left.min(FILL_ACCOUNTS_PER_TX);
            let input = contracts::fill_call(U256::from(seed), U256::from(count));
            push(
                TxKind::Call(address),
                40_000 * count + 100_000,
                U256::from(count),
                input,
            )?;
            fills.push((seed, count));
            left -= count;
            seed += 1;
        }
    }
    Ok(DeployerPlan {
        deployed: Deployed { token, events },
        filler,
        txs,
        final_nonce: nonce,
        fills,
    })
}

/// The address `StateFiller.fill(seed, _)` credits at position `i`.
pub fn filled_account(seed: u64, i: u64) -> Address {
    let encoded = (U256::from(seed), U256::from(i)).abi_encode();
    Address::from_slice(&keccak256(encoded)[12..])
}

/// Sends the deployer's plan and checks its effects: code at both contracts, tokens at
/// the last holder, 1 wei at the last filled account.
pub async fn run_deployer_plan(
    client: &RpcClient,
    deployer: Address,
    plan: &DeployerPlan,
    holders: &[Address],
    timeout: Duration,
) -> Result<(), BenchError> {
    // Large plans go in slices so the pool's per-sender bound is never hit.
    for slice in plan.txs.chunks(1_000) {
        submit_all(client, slice).await?;
        let pending = nonces(client, &[deployer], "pending").await?[0];
        wait_nonce(
            client,
            deployer,
            pending,
            timeout,
            "the deployer's setup transactions",
        )
        .await?;
    }
    wait_nonce(
        client,
        deployer,
        plan.final_nonce,
        timeout,
        "the deployer's setup transactions",
    )
    .await?;
    for (name, address) in [
        ("token", plan.deployed.token),
        ("events", plan.deployed.events),
    ] {
        let code: String = client
            .call("eth_getCode", json!([address, "latest"]))
            .await?;
        if code.len() <= 2 {
            return Err(BenchError::Setup(format!(
                "no {name} contract code at {address}"
            )));
        }
    }
    if let Some(last) = holders.last() {
        let data = contracts::balance_of_call(*last);
        let answer: String = client
            .call(
                "eth_call",
                json!([{"to": plan.deployed.token, "data": data}, "latest"]),
            )
            .await?;
        let balance = U256::from_str_radix(answer.trim_start_matches("0x"), 16)
            .map_err(|err| BenchError::Setup(format!("balanceOf answer {answer}: {err}")))?;
        if balance.is_zero() {
            return Err(BenchError::Setup(format!(
                "sender {last} holds no tokens after minting"
            )));
        }
    }
    if let Some(&(seed, count)) = plan.fills.last() {
        let account = filled_account(seed, count - 1);
        if balances(client, &[account]).await?[0].is_zero() {
            return Err(BenchError::Setup(format!(
                "state filler did not create account {account}"
            )));
        }
    }
    Ok(())
}

/// Counts successful receipts among `hashes` (a sample of the finalised workload).
pub async fn receipt_successes(
    client: &RpcClient,
    hashes: &[alloy_primitives::B256],
) -> Result<(u64, u64), BenchError> {
    let calls: Vec<(&str, Value)> = hashes
        .iter()
        .map(|h| ("eth_getTransactionReceipt", json!([h])))
        .collect();
    let mut ok = 0;
    let mut seen = 0;
    for chunk in calls.chunks(BATCH_TXS_MAX) {
        for answer in client.batch(chunk).await?.into_iter().flatten() {
            if answer.is_null() {
                continue;
            }
            seen += 1;
            if answer.get("status").and_then(quantity) == Some(1) {
                ok += 1;
            }
        }
    }
    Ok((ok, seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployer_plan_is_deterministic_and_sized() {
        let deployer = LocalSigner::deterministic("setup-test");
        let holders: Vec<Address> = (0..1000).map(|i| Address::repeat_byte(i as u8)).collect();
        let plan = deployer_plan(1337, &deployer, 5, &holders, 600).unwrap();
        // token, events, 3 mint batches, filler, 3 fills.
        assert_eq!(plan.txs.len(), 2 + 3 + 1 + 3);
        assert_eq!(plan.final_nonce, 5 + 9);
        assert_eq!(plan.deployed.token, deployer.address().create(5));
        assert_eq!(plan.fills, vec![(0, 250), (1, 250), (2, 100)]);
        let again = deployer_plan(1337, &deployer, 5, &holders, 600).unwrap();
        assert_eq!(plan.txs, again.txs);
        assert_ne!(filled_account(0, 0), filled_account(0, 1));
    }
}
