//! The pool's bounds and pricing knobs. They are local node tuning, never consensus
//! rules: two nodes with different limits still agree on every block.

/// Bounds of the pool, each named with its unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// Most transactions held. Default 100,000.
    pub txs_max: usize,
    /// Most bytes of raw (EIP-2718) transactions held. Default 128 MiB.
    pub bytes_max: usize,
    /// Most transactions held for one sender, so one account cannot fill the pool.
    /// Default 5,000.
    pub per_sender_max: usize,
    /// Largest hole, in nonces, between a sender's next executable nonce (its account
    /// nonce advanced over the transactions the pool holds) and a new transaction's
    /// nonce. Transactions past a hole cannot execute until it is filled, so this bounds
    /// how much of the pool can be dead weight. `0` accepts only gap-free submissions.
    /// Default 5,000.
    pub nonce_gap_max: u64,
    /// How much higher, in percent, both the fee cap and the tip of a transaction must be
    /// to replace a pooled one with the same sender and nonce. Without a bump, a sender
    /// could replace a transaction forever at no cost, and every replacement is gossiped
    /// to every peer. Default 10.
    pub price_bump_percent: u64,
    /// How many senders' latest committed nonces the pool remembers after commits, so
    /// that a submission checked against state just before a commit cannot re-pool a
    /// transaction that block included. Default 16,384 (about 1 MiB).
    pub committed_senders_max: usize,
    /// The base fee per gas that tips are measured above (Entente's is constant: the
    /// chain spec's minimum gas price). Default 0.
    pub base_fee: u64,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            txs_max: 100_000,
            bytes_max: 128 * 1024 * 1024,
            per_sender_max: 5_000,
            nonce_gap_max: 5_000,
            price_bump_percent: 10,
            committed_senders_max: 16_384,
            base_fee: 0,
        }
    }
}
