//! Behaviour of the executor, end to end: blocks, calls and system modules over an
//! in-memory state.

mod block;
mod calls;
mod common;
mod contracts;
mod modules;
mod perf;
