//! `entente_fuzz_targets::module_call` (crates/fuzz-targets/src/module_call.rs) under libFuzzer: what it
//! drives and checks is documented there.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entente_fuzz_targets::module_call::run(data));
