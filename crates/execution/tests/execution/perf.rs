//! Throughput smoke test (ignored by default; run with `--ignored --nocapture`).

use std::time::Instant;

use alloy_primitives::{Address, Bytes, U256};
use entente_execution::{BlockBuilder, BlockEnv, NoHashes, NoModules};

use crate::common::*;
use crate::contracts;

const TOKEN: Address = Address::repeat_byte(0x70);
const TRANSFERS: u64 = 5_000;

#[test]
#[ignore = "timing, not behaviour"]
fn erc20_transfers_per_second() {
    let mut state = funded();
    state.install(TOKEN, contracts::token());
    let a = alice();
    state.storage.insert(
        (TOKEN, contracts::token_balance_slot(a.address())),
        U256::from(1_000_000_000u64),
    );
    let txs: Vec<_> = (0..TRANSFERS)
        .map(|nonce| {
            let mut input = [0u8; 64];
            // A fresh recipient each time (the worst case: a new slot per transfer).
            input[12] = 0xaa;
            input[24..32].copy_from_slice(&nonce.to_be_bytes());
            input[63] = 1;
            call_tx(&a, nonce, TOKEN, Bytes::copy_from_slice(&input), 100_000)
        })
        .collect();

    let started = Instant::now();
    let env = BlockEnv {
        gas_limit: TRANSFERS * 100_000,
        ..env()
    };
    let mut builder = BlockBuilder::new(&state, env, &NoHashes, &NoModules);
    for tx in &txs {
        assert!(builder.try_push(tx).expect("accepted").success);
    }
    let outcome = builder.finish();
    let elapsed = started.elapsed();
    println!(
        "{TRANSFERS} token transfers in {elapsed:?}: {:.0}/s, {} keys changed",
        TRANSFERS as f64 / elapsed.as_secs_f64(),
        outcome.diff.keys_changed()
    );
}
