//! Behaviour of the pool through its public API, with real signed transactions.

mod admission;
mod capacity;
mod common;
mod concurrency;
mod lifecycle;
mod ordering;
