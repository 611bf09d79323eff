//! Real-process tests: `entente` child processes on 127.0.0.1, driven through the CLI,
//! JSON-RPC, REST and real Ethereum clients. One test binary (each suite is a module,
//! so tests are named `chaos::...`, `dev::...`) rather than one per suite: every test
//! binary links the whole dependency graph, and they only differ in these few files.
//!
//! `.config/nextest.toml` runs them one at a time (test group `processes`). To run one
//! suite: `cargo nextest run --workspace -E 'binary(process) & test(/^chaos::/)'`.

mod common;

mod admin;
mod chaos;
mod dev;
mod evidence;
mod evidence_gateway;
mod gateway;
mod limits;
mod multi_process;
mod supervision;
mod timestamps;
mod trace;
mod validators;
