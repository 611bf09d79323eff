//! The simulation's checkers, as pure functions over what the validators committed so
//! that each can be shown to fail (see the tests below).

use std::collections::BTreeMap;

use alloy_primitives::{B256, keccak256};
use entente_storage::Store;

/// Every validator's (index, block hash, state root) at `height` must be the same.
pub fn agreement(height: u64, blocks: &[(usize, B256, B256)]) -> Result<(), String> {
    let Some(&(first, hash, root)) = blocks.first() else {
        return Ok(());
    };
    for &(i, other_hash, other_root) in &blocks[1..] {
        if other_hash != hash || other_root != root {
            return Err(format!(
                "divergence at height {height}: validator {first} has {hash} (state {root}), validator {i} has {other_hash} (state {other_root})"
            ));
        }
    }
    Ok(())
}

/// How many times each transaction hash appears in the committed blocks `1..=head`.
pub fn inclusion_counts(store: &Store, head: u64) -> Result<BTreeMap<B256, u32>, String> {
    let mut counts = BTreeMap::new();
    count_inclusions(store, 1, head, &mut counts)?;
    Ok(counts)
}

/// Adds the transactions of committed blocks `from..=to` to `counts`.
pub fn count_inclusions(
    store: &Store,
    from: u64,
    to: u64,
    counts: &mut BTreeMap<B256, u32>,
) -> Result<(), String> {
    for height in from..=to {
        let block = store
            .block(height)
            .map_err(|err| err.to_string())?
            .ok_or(format!("committed block {height} is missing"))?;
        for raw in &block.txs {
            *counts.entry(keccak256(raw)).or_insert(0u32) += 1;
        }
    }
    Ok(())
}

/// Every acknowledged hash must appear exactly once.
pub fn exactly_once<'a>(
    counts: &BTreeMap<B256, u32>,
    acknowledged: impl IntoIterator<Item = &'a B256>,
) -> Result<(), String> {
    for hash in acknowledged {
        match counts.get(hash) {
            Some(1) => {}
            Some(n) => return Err(format!("transaction {hash} finalised {n} times")),
            None => return Err(format!("acknowledged transaction {hash} is not finalised")),
        }
    }
    Ok(())
}

/// No transaction at all may be finalised twice (acknowledged or not).
pub fn no_duplicates(counts: &BTreeMap<B256, u32>) -> Result<(), String> {
    match counts.iter().find(|(_, n)| **n > 1) {
        Some((hash, n)) => Err(format!("transaction {hash} finalised {n} times")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(byte: u8) -> B256 {
        B256::repeat_byte(byte)
    }

    #[test]
    fn agreement_catches_a_different_block_or_state_root() {
        assert!(agreement(3, &[(0, h(1), h(2)), (1, h(1), h(2))]).is_ok());
        let err = agreement(3, &[(0, h(1), h(2)), (1, h(9), h(2))]).unwrap_err();
        assert!(err.contains("divergence at height 3"), "{err}");
        assert!(agreement(3, &[(0, h(1), h(2)), (2, h(1), h(8))]).is_err());
        assert!(agreement(3, &[]).is_ok());
    }

    #[test]
    fn inclusion_catches_lost_and_doubled_transactions() {
        let counts = BTreeMap::from([(h(1), 1), (h(2), 2)]);
        assert!(exactly_once(&counts, &[h(1)]).is_ok());
        assert!(
            exactly_once(&counts, &[h(2)])
                .unwrap_err()
                .contains("2 times")
        );
        assert!(
            exactly_once(&counts, &[h(3)])
                .unwrap_err()
                .contains("not finalised")
        );
        assert!(no_duplicates(&counts).is_err());
        assert!(no_duplicates(&BTreeMap::from([(h(1), 1)])).is_ok());
    }
}
