//! `entente_fuzz_targets::block_decode` (crates/fuzz-targets/src/block_decode.rs) under libFuzzer: what it
//! drives and checks is documented there.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entente_fuzz_targets::block_decode::run(data));
