//! The store's behaviour, each scenario run against both engines (memory and fjall).

mod common;

mod chain;
mod concurrency;
mod cost;
mod crash;
mod logs;
mod proofs;
mod speculative;
