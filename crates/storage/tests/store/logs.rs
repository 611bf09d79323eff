//! Log queries: filters by address, topics and range; skipping blocks by bloom never
//! loses a log.

use alloy_primitives::{Address, B256, Bytes, Log, LogData};
use entente_storage::{Column, LogEntry, LogFilter, StateDiff, StorageError, Store};

use crate::common::{Engine, commit_next, on_both_engines, receipt};

on_both_engines!(logs_are_filtered_by_address_topics_and_range);

fn log(address: u8, topics: &[u8]) -> Log {
    Log {
        address: Address::repeat_byte(address),
        data: LogData::new_unchecked(
            topics.iter().map(|t| B256::repeat_byte(*t)).collect(),
            Bytes::from(vec![address]),
        ),
    }
}

fn filter(addresses: &[u8], topics: &[Option<&[u8]>]) -> LogFilter {
    LogFilter {
        addresses: addresses.iter().map(|a| Address::repeat_byte(*a)).collect(),
        topics: topics
            .iter()
            .map(|t| t.map(|t| t.iter().map(|b| B256::repeat_byte(*b)).collect()))
            .collect(),
    }
}

/// Every matching log by brute force over all receipts: what a query must return.
fn brute_force(store: &Store, from: u64, to: u64, filter: &LogFilter) -> Vec<LogEntry> {
    let mut out = Vec::new();
    for height in from..=to {
        let Some(receipts) = store.receipts(height).unwrap() else {
            continue;
        };
        let block_hash = store.block_hash(height).unwrap().unwrap();
        let mut log_index = 0;
        for (tx_index, receipt) in receipts.iter().enumerate() {
            for log in &receipt.logs {
                if filter.matches(log) {
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
    }
    out
}

fn logs_are_filtered_by_address_topics_and_range(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    commit_next(&store, StateDiff::default(), vec![]);
    // Blocks 1..=20: every third has no logs; the others mix addresses and topics.
    for height in 1..=20u64 {
        let receipts = if height % 3 == 0 {
            vec![receipt(height * 100, vec![])]
        } else {
            let h = height as u8;
            vec![
                receipt(height * 100, vec![log(1, &[10, h]), log(2, &[20])]),
                receipt(height * 100 + 1, vec![log(h % 4 + 1, &[10 + h % 2, 30, h])]),
            ]
        };
        commit_next(&store, StateDiff::default(), receipts);
    }

    let filters = [
        LogFilter::default(),
        filter(&[1], &[]),
        filter(&[2, 3], &[]),
        filter(&[], &[Some(&[10])]),
        filter(&[], &[None, Some(&[30])]),
        filter(&[], &[Some(&[10, 11]), Some(&[30]), Some(&[7, 8])]),
        filter(&[4], &[Some(&[11])]),
        filter(&[9], &[]),
        filter(&[], &[Some(&[99])]),
        filter(&[1], &[None, None, None, None, Some(&[1])]),
    ];
    for filter in &filters {
        for (from, to) in [(0, 20), (5, 9), (7, 7), (18, 40), (9, 3)] {
            let found = store.logs(from, to, filter, 1_000).unwrap();
            assert_eq!(
                found,
                brute_force(&store, from, to.min(20), filter),
                "{filter:?} {from}..={to}"
            );
        }
    }

    let all = store.logs(0, 20, &LogFilter::default(), 1_000).unwrap();
    assert_eq!(all.len(), 14 * 3);
    let second_tx = all
        .iter()
        .find(|e| e.block_height == 1 && e.tx_index == 1)
        .unwrap();
    assert_eq!(
        second_tx.log_index, 2,
        "log index counts across the block's receipts"
    );
    let by_address = store.logs(0, 20, &filter(&[1], &[]), 1_000).unwrap();
    assert!(
        by_address.len() >= 14
            && by_address
                .iter()
                .all(|e| e.log.address == Address::repeat_byte(1))
    );
    let by_topic = store
        .logs(0, 20, &filter(&[], &[None, Some(&[30])]), 1_000)
        .unwrap();
    assert_eq!(by_topic.len(), 14);

    // Blooms spare the receipts of blocks that cannot match.
    counts.reset();
    assert!(
        store
            .logs(0, 20, &filter(&[9], &[Some(&[99])]), 1_000)
            .unwrap()
            .is_empty()
    );
    assert!(
        counts.iters(Column::Receipts) <= 1,
        "bloom false positives stay rare"
    );
    counts.reset();
    store.logs(0, 20, &LogFilter::default(), 1_000).unwrap();
    assert_eq!(
        counts.iters(Column::Receipts),
        14,
        "blocks without logs are skipped"
    );

    let refused = store.logs(0, 20, &LogFilter::default(), 41);
    assert!(matches!(
        refused,
        Err(StorageError::TooManyResults { max: 41 })
    ));
    assert_eq!(
        store.logs(0, 20, &LogFilter::default(), 42).unwrap().len(),
        42
    );
}
