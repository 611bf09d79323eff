//! The governance precompile: ABI decoding (`IGovernanceCalls::abi_decode`) and the
//! full call path (`governance::precompile::call`: dispatch, rules, storage, events,
//! revert encoding) against the genesis registry of a four-org consortium, kept in
//! `MemorySlots`.
//!
//! The input is a sequence of calls, each framed as
//! `caller u8 ‖ height u8 ‖ len u16 (big-endian) ‖ calldata`, so the fuzzer can chain a
//! proposal, votes and queries. Callers 0..=3 are the org admins, 4..=7 funded members,
//! anything else an unknown address; bit 7 of the caller byte attaches a value.
//! Malformed ABI and every rule violation must come back as a revert, never a panic.

#![no_main]

use std::sync::OnceLock;

use alloy_primitives::{Address, LogData, U256};
use alloy_sol_types::SolInterface as _;
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};
use entente_modules::{
    GOVERNANCE_ADDRESS,
    governance::{abi::IGovernance::IGovernanceCalls, genesis::genesis_slots, precompile},
    slots::{MemorySlots, Slots as _},
};
use entente_testkit::fixtures::{self, account, admin};
use libfuzzer_sys::fuzz_target;

const GAS_PER_CALL: u64 = 30_000_000;

struct MemoryHost {
    slots: MemorySlots,
    logs: Vec<LogData>,
    gas: u64,
    is_static: bool,
}

impl MemoryHost {
    fn charge_gas(&mut self, gas: u64) -> Result<(), ModuleHalt> {
        self.gas = self.gas.checked_sub(gas).ok_or(ModuleHalt::OutOfGas)?;
        Ok(())
    }
}

impl ModuleHost for MemoryHost {
    fn sload(&mut self, slot: U256) -> Result<U256, ModuleHalt> {
        self.charge_gas(2_100)?;
        self.slots.load(slot).map_err(|_| ModuleHalt::Storage)
    }
    fn sstore(&mut self, slot: U256, value: U256) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        self.charge_gas(20_000)?;
        self.slots
            .store(slot, value)
            .map_err(|_| ModuleHalt::Storage)
    }
    fn sload_at(&mut self, _address: Address, slot: U256) -> Result<U256, ModuleHalt> {
        self.sload(slot)
    }
    fn emit(&mut self, log: LogData) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        if log.topics().len() > 4 {
            return Err(ModuleHalt::TooManyTopics);
        }
        self.charge_gas(375 + 375 * log.topics().len() as u64 + 8 * log.data.len() as u64)?;
        self.logs.push(log);
        Ok(())
    }
    fn charge(&mut self, gas: u64) -> Result<(), ModuleHalt> {
        self.charge_gas(gas)
    }
    fn gas_remaining(&self) -> u64 {
        self.gas
    }
}

fn genesis() -> &'static MemorySlots {
    static SLOTS: OnceLock<MemorySlots> = OnceLock::new();
    SLOTS.get_or_init(|| genesis_slots(&fixtures::spec(4, 4)).expect("genesis slots"))
}

fn caller(byte: u8) -> Address {
    match byte & 0x7f {
        i @ 0..=3 => admin(i as usize).address(),
        i @ 4..=7 => account(i as usize - 4).address(),
        other => Address::repeat_byte(other),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut host = MemoryHost {
        slots: genesis().clone(),
        logs: Vec::new(),
        gas: 0,
        is_static: false,
    };
    let mut rest = data;
    let mut height = 1u64;
    while let Some((header, tail)) = rest.split_first_chunk::<4>() {
        let [who, advance, hi, lo] = *header;
        let len = (u16::from_be_bytes([hi, lo]) as usize).min(tail.len());
        let (input, tail) = tail.split_at(len);
        rest = tail;
        height += advance as u64;

        let _ = IGovernanceCalls::abi_decode(input);
        // A static call (bit 6 of the height byte) must refuse writes, not panic.
        let is_static = advance & 0x40 != 0;
        let snapshot = host.slots.clone();
        host.gas = GAS_PER_CALL;
        host.is_static = is_static;
        let call = ModuleCall {
            address: GOVERNANCE_ADDRESS,
            caller: caller(who),
            origin: caller(who),
            value: if who & 0x80 != 0 {
                U256::from(1)
            } else {
                U256::ZERO
            },
            input,
            gas_limit: GAS_PER_CALL,
            is_static,
            depth: 0,
            block_number: height,
            timestamp_secs: height * 2,
            chain_id: 4242,
        };
        match precompile::call(&call, &mut host) {
            Ok(ModuleOutput::Return(_)) => {}
            // A revert or a halt undoes the call's writes, as revm's journal does.
            Ok(ModuleOutput::Revert(_)) | Err(_) => host.slots = snapshot,
        }
    }
});
