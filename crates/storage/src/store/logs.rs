//! Log queries (`eth_getLogs`): scan a height range, skip every block whose logs bloom
//! rules out the filter, and match the logs of the rest exactly.
//!
//! A bloom has no false negatives, so skipping by bloom never loses a log; it only
//! spares reading the receipts of blocks that cannot match.

use alloy_primitives::{Address, B256, Bloom, BloomInput, Log};

use super::{
    Store,
    keys::{be_u64, height_key},
};
use crate::{
    StorageError,
    kv::{Column, Direction, KeyRange},
};

/// Which logs a query wants (Ethereum's filter semantics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Emitting contracts; empty means any.
    pub addresses: Vec<Address>,
    /// Per topic position (up to 4), the accepted values; `None` (or an empty list)
    /// means any. A log with fewer topics than a constrained position does not match.
    pub topics: Vec<Option<Vec<B256>>>,
}

impl LogFilter {
    /// The constrained positions: `(position, accepted topics)`.
    fn constraints(&self) -> impl Iterator<Item = (usize, &Vec<B256>)> {
        self.topics
            .iter()
            .enumerate()
            .filter_map(|(i, wanted)| wanted.as_ref().filter(|w| !w.is_empty()).map(|w| (i, w)))
    }

    /// True when `log` matches.
    pub fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.topics();
        self.constraints()
            .all(|(i, wanted)| topics.get(i).is_some_and(|topic| wanted.contains(topic)))
    }

    /// False when `bloom` proves that no log of its block matches.
    pub fn may_match(&self, bloom: &Bloom) -> bool {
        let contains = |bytes: &[u8]| bloom.contains_input(BloomInput::Raw(bytes));
        let address = self.addresses.is_empty()
            || self
                .addresses
                .iter()
                .any(|address| contains(address.as_slice()));
        address
            && self
                .constraints()
                .all(|(_, wanted)| wanted.iter().any(|topic| contains(topic.as_slice())))
    }
}

/// A log and where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub log: Log,
    pub block_height: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    /// The transaction's index in its block.
    pub tx_index: u64,
    /// The log's index among all logs of its block.
    pub log_index: u64,
}

impl Store {
    /// The logs of committed blocks `from..=to` that match `filter`, in chain order.
    ///
    /// The caller bounds the range (heights above the head are simply empty); at most
    /// `max_results` entries are returned, and a query that matches more fails with
    /// `TooManyResults` rather than return a truncated answer.
    pub fn logs(
        &self,
        from: u64,
        to: u64,
        filter: &LogFilter,
        max_results: usize,
    ) -> Result<Vec<LogEntry>, StorageError> {
        let mut out = Vec::new();
        let range = KeyRange::inclusive(&height_key(from), &height_key(to));
        for entry in self.kv().iter(Column::Blooms, range, Direction::Forward) {
            let (key, bloom) = entry?;
            let height = be_u64(&key, "bloom height")?;
            let bloom = <[u8; 256]>::try_from(bloom.as_slice())
                .map(Bloom::from)
                .map_err(|_| StorageError::corrupt("logs bloom", "not 256 bytes"))?;
            if bloom == Bloom::ZERO || !filter.may_match(&bloom) {
                continue;
            }
            self.block_logs(height, filter, max_results, &mut out)?;
        }
        Ok(out)
    }

    fn block_logs(
        &self,
        height: u64,
        filter: &LogFilter,
        max_results: usize,
        out: &mut Vec<LogEntry>,
    ) -> Result<(), StorageError> {
        let block_hash = self
            .block_hash(height)?
            .ok_or_else(|| StorageError::corrupt("header", "missing for a logs bloom"))?;
        let receipts = self.receipts(height)?.unwrap_or_default();
        let mut log_index = 0u64;
        for (tx_index, receipt) in receipts.iter().enumerate() {
            for log in &receipt.logs {
                if filter.matches(log) {
                    if out.len() >= max_results {
                        return Err(StorageError::TooManyResults { max: max_results });
                    }
                    out.push(LogEntry {
                        log: log.clone(),
                        block_height: height,
                        block_hash,
                        tx_hash: receipt.tx_hash,
                        tx_index: tx_index as u64,
                        log_index,
                    });
                }
                log_index += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, LogData, logs_bloom};

    use super::*;

    fn log(address: u8, topics: &[u8]) -> Log {
        Log {
            address: Address::repeat_byte(address),
            data: LogData::new_unchecked(
                topics.iter().map(|t| B256::repeat_byte(*t)).collect(),
                Bytes::new(),
            ),
        }
    }

    fn filter(addresses: &[u8], topics: Vec<Option<Vec<u8>>>) -> LogFilter {
        LogFilter {
            addresses: addresses.iter().map(|a| Address::repeat_byte(*a)).collect(),
            topics: topics
                .into_iter()
                .map(|t| t.map(|t| t.into_iter().map(B256::repeat_byte).collect()))
                .collect(),
        }
    }

    #[test]
    fn filters_match_by_address_and_topic_position() {
        let event = log(1, &[10, 20]);
        assert!(LogFilter::default().matches(&event));
        assert!(filter(&[1, 2], vec![]).matches(&event));
        assert!(!filter(&[2], vec![]).matches(&event));
        assert!(filter(&[], vec![None, Some(vec![20, 30])]).matches(&event));
        assert!(
            !filter(&[], vec![Some(vec![20])]).matches(&event),
            "position matters"
        );
        assert!(
            filter(&[], vec![Some(vec![]), None]).matches(&event),
            "[] is any"
        );
        assert!(!filter(&[], vec![None, None, Some(vec![10])]).matches(&event));
    }

    #[test]
    fn bloom_never_rules_out_a_matching_log() {
        let logs = [log(1, &[10, 20]), log(2, &[30])];
        let bloom = logs_bloom(logs.iter());
        let filters = [
            LogFilter::default(),
            filter(&[1], vec![]),
            filter(&[2], vec![Some(vec![30])]),
            filter(&[9, 1], vec![Some(vec![10]), Some(vec![20])]),
            filter(&[3], vec![]),
            filter(&[], vec![Some(vec![99])]),
        ];
        for filter in &filters {
            if logs.iter().any(|log| filter.matches(log)) {
                assert!(filter.may_match(&bloom), "{filter:?}");
            }
        }
        assert!(!filters[4].may_match(&bloom));
        assert!(!filters[5].may_match(&bloom));
    }
}
