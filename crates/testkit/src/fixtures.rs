//! Chain specs and accounts for tests.

use std::collections::BTreeMap;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_chainspec::{
    AccountEntry, ChainSpec, ConsensusRules, GasRules, GenesisAccount, GovernanceRules, Limits,
    Org, Validator, ValidatorKey, encode_public_key,
};
use entente_primitives::{LocalSigner, RecoveredTx};

pub const CHAIN_ID: u64 = 4242;

/// One ether in wei.
pub fn ether(amount: u64) -> U256 {
    U256::from(amount) * U256::from(10u64).pow(U256::from(18))
}

/// Validator `i`'s key (deterministic).
pub fn validator_key(i: usize) -> ValidatorKey {
    ValidatorKey::from_seed(i as u64)
}

/// Funded account `i` (deterministic).
pub fn account(i: usize) -> LocalSigner {
    LocalSigner::deterministic(&format!("entente/test/account/{i}"))
}

/// The admin key of organisation `i` (deterministic).
pub fn admin(i: usize) -> LocalSigner {
    LocalSigner::deterministic(&format!("entente/test/admin/{i}"))
}

/// A permissioned chain spec with `validators` validators (one org each) and `accounts`
/// funded accounts registered in `org0` as members and deployers.
/// Genesis time is zero so that simulated clocks (which start at the Unix epoch) run ahead of it.
pub fn spec(validators: usize, accounts: usize) -> ChainSpec {
    let orgs = (0..validators)
        .map(|i| Org {
            id: format!("org{i}"),
            name: format!("Org {i}"),
            admin: admin(i).address(),
            weight: 1,
        })
        .collect();
    let validators = (0..validators)
        .map(|i| Validator {
            name: format!("node{i}"),
            org: format!("org{i}"),
            public_key: encode_public_key(&validator_key(i).public_key()),
            fee_recipient: Address::repeat_byte(0xf0 + i as u8),
        })
        .collect();
    let alloc: BTreeMap<Address, GenesisAccount> = (0..accounts)
        .map(|i| {
            (
                account(i).address(),
                GenesisAccount {
                    balance: ether(1_000_000),
                    ..Default::default()
                },
            )
        })
        .collect();
    ChainSpec {
        name: "sim".into(),
        chain_id: CHAIN_ID,
        genesis_time_ms: 0,
        gas: GasRules {
            block_gas_limit: 100_000_000,
            min_gas_price: 0,
        },
        limits: Limits::default(),
        orgs,
        validators,
        alloc,
        permissioned: true,
        consensus: ConsensusRules::default(),
        governance: GovernanceRules::default(),
        accounts: (0..accounts)
            .map(|i| AccountEntry {
                address: account(i).address(),
                org: "org0".into(),
                roles: vec!["member".into(), "deployer".into()],
            })
            .collect(),
    }
}

/// A signed EIP-1559 value transfer.
pub fn transfer(from: &LocalSigner, nonce: u64, to: Address, value: U256) -> RecoveredTx {
    from.sign(TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    })
    .expect("test keys sign")
}

/// Init code of a contract that forwards its calldata to `target` with CALL (value 0) or
/// STATICCALL and returns, or reverts with, what the target answered: the smallest
/// "contract calling a contract" for tests of per-frame rules.
pub fn forwarder_init_code(target: Address, static_call: bool) -> Vec<u8> {
    let mut runtime = vec![0x36, 0x60, 0x00, 0x60, 0x00, 0x37]; // calldatacopy(0, 0, size)
    runtime.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00]); // out, in
    if !static_call {
        runtime.extend_from_slice(&[0x60, 0x00]); // value 0
    }
    runtime.push(0x73); // push20 target
    runtime.extend_from_slice(target.as_slice());
    runtime.extend_from_slice(&[0x5a, if static_call { 0xfa } else { 0xf1 }]);
    runtime.extend_from_slice(&[0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e]); // returndatacopy
    let jumpdest = runtime.len() as u8 + 7;
    runtime.extend_from_slice(&[0x60, jumpdest, 0x57]); // jumpi(ok, success)
    runtime.extend_from_slice(&[0x3d, 0x60, 0x00, 0xfd]); // revert(0, size)
    runtime.extend_from_slice(&[0x5b, 0x3d, 0x60, 0x00, 0xf3]); // ok: return(0, size)
    init_code_for(&runtime)
}

/// Init code that deploys `runtime` as is.
pub fn init_code_for(runtime: &[u8]) -> Vec<u8> {
    let len = u8::try_from(runtime.len()).expect("a runtime of at most 255 bytes");
    let mut init = vec![
        0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(runtime);
    init
}
