//! Shared fixtures: an in-memory state, signed transactions, a block environment and a
//! tiny EVM assembler for hand-written contracts.

use std::collections::{BTreeMap, HashMap};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use entente_execution::{
    BlockBuilder, BlockEnv, BlockHashes, BlockOutcome, NoHashes, SystemModules,
};
use entente_primitives::{LocalSigner, RecoveredTx};
use entente_storage::{Account, StateDiff, StateView, StorageError};
use revm::bytecode::opcode as op;

pub const GAS_LIMIT: u64 = 30_000_000;
pub const ETHER: u128 = 1_000_000_000_000_000_000;

/// The state as plain ordered maps; zero slots are absent, so two states are equal
/// exactly when every read agrees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState {
    pub accounts: BTreeMap<Address, Account>,
    pub storage: BTreeMap<(Address, U256), U256>,
    pub codes: BTreeMap<B256, Bytes>,
}

impl StateView for MemState {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        Ok(self.accounts.get(address).copied())
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        Ok(self
            .storage
            .get(&(*address, *slot))
            .copied()
            .unwrap_or_default())
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        Ok(self.codes.get(code_hash).cloned())
    }
}

impl MemState {
    pub fn fund(&mut self, address: Address, wei: u128) {
        self.accounts.insert(
            address,
            Account {
                balance: U256::from(wei),
                ..Account::default()
            },
        );
    }

    /// Installs `code` at `address` as a deployed contract.
    pub fn install(&mut self, address: Address, code: Bytes) {
        let code_hash = keccak256(&code);
        self.codes.insert(code_hash, code);
        self.accounts.insert(
            address,
            Account {
                nonce: 1,
                balance: U256::ZERO,
                code_hash,
            },
        );
    }

    pub fn apply(&mut self, diff: &StateDiff) {
        for (address, account) in &diff.accounts {
            match account {
                Some(account) => self.accounts.insert(*address, *account),
                None => self.accounts.remove(address),
            };
        }
        for (address, slots) in &diff.storage {
            for (slot, value) in slots {
                if value.is_zero() {
                    self.storage.remove(&(*address, *slot));
                } else {
                    self.storage.insert((*address, *slot), *value);
                }
            }
        }
        for (hash, code) in &diff.codes {
            self.codes.insert(*hash, code.clone());
        }
    }

    pub fn balance(&self, address: Address) -> U256 {
        self.accounts
            .get(&address)
            .map(|a| a.balance)
            .unwrap_or_default()
    }

    pub fn nonce(&self, address: Address) -> u64 {
        self.accounts
            .get(&address)
            .map(|a| a.nonce)
            .unwrap_or_default()
    }

    pub fn slot(&self, address: Address, slot: u64) -> U256 {
        self.storage
            .get(&(address, U256::from(slot)))
            .copied()
            .unwrap_or_default()
    }
}

pub fn alice() -> LocalSigner {
    LocalSigner::deterministic("alice")
}

pub fn bob() -> LocalSigner {
    LocalSigner::deterministic("bob")
}

pub fn coinbase() -> Address {
    Address::repeat_byte(0xcb)
}

pub fn env() -> BlockEnv {
    BlockEnv {
        number: 10,
        timestamp_secs: 1_700_000_000,
        coinbase: coinbase(),
        gas_limit: GAS_LIMIT,
        base_fee: 0,
        prevrandao: B256::repeat_byte(0x42),
        chain_id: 7,
    }
}

/// Alice and Bob with 100 ether each.
pub fn funded() -> MemState {
    let mut state = MemState::default();
    state.fund(alice().address(), 100 * ETHER);
    state.fund(bob().address(), 100 * ETHER);
    state
}

/// An EIP-1559 transaction with zero fees.
pub fn tx(
    signer: &LocalSigner,
    nonce: u64,
    to: TxKind,
    value: u128,
    input: Bytes,
    gas: u64,
) -> RecoveredTx {
    tx_with_fees(signer, nonce, to, value, input, gas, 0, 0)
}

#[allow(clippy::too_many_arguments)]
pub fn tx_with_fees(
    signer: &LocalSigner,
    nonce: u64,
    to: TxKind,
    value: u128,
    input: Bytes,
    gas_limit: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
) -> RecoveredTx {
    signer
        .sign(TxEip1559 {
            chain_id: 7,
            nonce,
            gas_limit,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            to,
            value: U256::from(value),
            access_list: Default::default(),
            input,
        })
        .expect("signing a test transaction")
}

pub fn transfer(signer: &LocalSigner, nonce: u64, to: Address, value: u128) -> RecoveredTx {
    tx(signer, nonce, TxKind::Call(to), value, Bytes::new(), 21_000)
}

pub fn call_tx(
    signer: &LocalSigner,
    nonce: u64,
    to: Address,
    input: Bytes,
    gas: u64,
) -> RecoveredTx {
    tx(signer, nonce, TxKind::Call(to), 0, input, gas)
}

pub fn create_tx(signer: &LocalSigner, nonce: u64, init_code: Bytes, gas: u64) -> RecoveredTx {
    tx(signer, nonce, TxKind::Create, 0, init_code, gas)
}

/// Executes `txs` as one block, panicking on any rejection.
pub fn run_block(
    state: &MemState,
    env: BlockEnv,
    modules: &dyn SystemModules,
    txs: &[RecoveredTx],
) -> BlockOutcome {
    let mut builder = BlockBuilder::new(state, env, &NoHashes, modules);
    for tx in txs {
        builder.try_push(tx).expect("transaction accepted");
    }
    builder.finish()
}

/// Hashes for BLOCKHASH tests: block n has hash keccak256(n).
pub struct FakeHashes;

impl BlockHashes for FakeHashes {
    fn block_hash(&self, number: u64) -> Option<B256> {
        Some(keccak256(number.to_be_bytes()))
    }
}

/// A minimal assembler: opcodes, pushes and labels with 2-byte jump targets.
#[derive(Default)]
pub struct Asm {
    code: Vec<u8>,
    labels: HashMap<&'static str, usize>,
    fixups: Vec<(usize, &'static str)>,
}

impl Asm {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn op(mut self, opcode: u8) -> Self {
        self.code.push(opcode);
        self
    }

    /// PUSH with the shortest encoding of `value` (PUSH1 for zero).
    pub fn push(mut self, value: U256) -> Self {
        let bytes = value.to_be_bytes::<32>();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(31);
        let len = 32 - first;
        self.code.push(op::PUSH1 + (len as u8) - 1);
        self.code.extend_from_slice(&bytes[first..]);
        self
    }

    pub fn push_u64(self, value: u64) -> Self {
        self.push(U256::from(value))
    }

    pub fn push_address(self, address: Address) -> Self {
        self.push(U256::from_be_slice(address.as_slice()))
    }

    pub fn push_label(mut self, label: &'static str) -> Self {
        self.code.push(op::PUSH2);
        self.fixups.push((self.code.len(), label));
        self.code.extend_from_slice(&[0, 0]);
        self
    }

    pub fn label(mut self, label: &'static str) -> Self {
        self.labels.insert(label, self.code.len());
        self.code.push(op::JUMPDEST);
        self
    }

    pub fn build(mut self) -> Bytes {
        for (at, label) in &self.fixups {
            let target = self.labels[label] as u16;
            self.code[*at..*at + 2].copy_from_slice(&target.to_be_bytes());
        }
        Bytes::from(self.code)
    }
}

/// Init code that deploys `runtime` as is.
pub fn deployer(runtime: &Bytes) -> Bytes {
    let len = runtime.len() as u16;
    let mut code = vec![op::PUSH2];
    code.extend_from_slice(&len.to_be_bytes());
    code.extend_from_slice(&[
        op::DUP1,
        op::PUSH1,
        0x0c, // the runtime starts right after these 12 bytes
        op::PUSH1,
        0x00,
        op::CODECOPY,
        op::PUSH1,
        0x00,
        op::RETURN,
    ]);
    code.extend_from_slice(runtime);
    Bytes::from(code)
}

/// A 32-byte word.
pub fn word(value: u64) -> Bytes {
    Bytes::from(U256::from(value).to_be_bytes::<32>().to_vec())
}
