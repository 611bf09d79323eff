//! `entente_fuzz_targets::tx_decode` (crates/fuzz-targets/src/tx_decode.rs) under libFuzzer: what it
//! drives and checks is documented there.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entente_fuzz_targets::tx_decode::run(data));
