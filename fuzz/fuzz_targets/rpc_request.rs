//! `entente_fuzz_targets::rpc_request` (crates/fuzz-targets/src/rpc_request.rs) under libFuzzer: what it
//! drives and checks is documented there.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entente_fuzz_targets::rpc_request::run(data));
