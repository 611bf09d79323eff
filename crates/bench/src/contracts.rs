//! The benchmark's contracts: bytecode compiled once into `contracts/contracts.json`
//! (OpenZeppelin 5 ERC-20 and two helpers; `contracts/build.mjs` regenerates it with the
//! solc-js pinned in `e2e/clients`) and their call encodings.

use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall as _, sol};
use serde::Deserialize;

use crate::BenchError;

/// The compiled artifact, embedded at build time.
const ARTIFACT: &str = include_str!("../contracts/contracts.json");

sol! {
    /// `BenchToken` (an OpenZeppelin 5 `ERC20`).
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
    function mintBatch(address[] holders, uint256 amount) external;
    /// `BenchEvents`.
    function record(uint256 key, uint256 value) external;
    /// `StateFiller`.
    function fill(uint256 seed, uint256 count) external payable;
}

#[derive(Deserialize)]
struct Artifact {
    compiler: String,
    contracts: std::collections::BTreeMap<String, CompiledContract>,
}

#[derive(Deserialize)]
struct CompiledContract {
    bytecode: String,
}

/// Creation bytecode of the three benchmark contracts.
#[derive(Clone, Debug)]
pub struct Bytecodes {
    pub compiler: String,
    pub token: Bytes,
    pub events: Bytes,
    pub filler: Bytes,
}

/// The embedded bytecode, decoded once.
pub fn bytecodes() -> Result<&'static Bytecodes, BenchError> {
    static CODES: OnceLock<Result<Bytecodes, String>> = OnceLock::new();
    CODES
        .get_or_init(|| decode_artifact(ARTIFACT))
        .as_ref()
        .map_err(|reason| BenchError::Setup(format!("contracts.json: {reason}")))
}

fn decode_artifact(text: &str) -> Result<Bytecodes, String> {
    let artifact: Artifact = serde_json::from_str(text).map_err(|err| err.to_string())?;
    let code = |name: &str| -> Result<Bytes, String> {
        let contract = artifact
            .contracts
            .get(name)
            .ok_or_else(|| format!("no contract {name}"))?;
        let bytes: Bytes = contract
            .bytecode
            .parse()
            .map_err(|err| format!("{name}: {err}"))?;
        if bytes.is_empty() {
            return Err(format!("{name}: empty bytecode"));
        }
        Ok(bytes)
    };
    Ok(Bytecodes {
        compiler: artifact.compiler.clone(),
        token: code("BenchToken")?,
        events: code("BenchEvents")?,
        filler: code("StateFiller")?,
    })
}

pub fn transfer_call(to: Address, value: U256) -> Bytes {
    transferCall { to, value }.abi_encode().into()
}

pub fn balance_of_call(account: Address) -> Bytes {
    balanceOfCall { account }.abi_encode().into()
}

pub fn mint_batch_call(holders: Vec<Address>, amount: U256) -> Bytes {
    mintBatchCall { holders, amount }.abi_encode().into()
}

pub fn record_call(key: U256, value: U256) -> Bytes {
    recordCall { key, value }.abi_encode().into()
}

pub fn fill_call(seed: U256, count: U256) -> Bytes {
    fillCall { seed, count }.abi_encode().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_decodes_and_selectors_match_solidity() {
        let codes = bytecodes().unwrap();
        assert!(codes.compiler.starts_with("solc-js 0.8.28"));
        assert!(codes.token.len() > 1000, "an OZ ERC-20 is a few KB");
        assert!(!codes.events.is_empty() && !codes.filler.is_empty());
        // transfer(address,uint256) = 0xa9059cbb, the ERC-20 selector every tool knows.
        assert_eq!(
            &transfer_call(Address::ZERO, U256::from(1))[..4],
            &[0xa9, 0x05, 0x9c, 0xbb]
        );
        assert!(decode_artifact("{}").is_err());
    }
}
