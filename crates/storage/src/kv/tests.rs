//! The engine contract, run against every engine.

use super::*;

fn put(kv: &dyn Kv, column: Column, entries: &[(&[u8], &[u8])]) {
    let mut batch = Batch::new();
    for (key, value) in entries {
        batch.put(column, key.to_vec(), value.to_vec());
    }
    kv.write(batch).unwrap();
}

fn keys(kv: &dyn Kv, column: Column, range: KeyRange, direction: Direction) -> Vec<Vec<u8>> {
    kv.iter(column, range, direction)
        .map(|entry| entry.unwrap().0)
        .collect()
}

fn versioned(prefix: u8, version: u64) -> Vec<u8> {
    [&[prefix; 4][..], &version.to_be_bytes()].concat()
}

fn point_reads_and_columns(kv: &dyn Kv) {
    assert_eq!(kv.get(Column::Meta, b"x").unwrap(), None);
    put(kv, Column::Meta, &[(b"x", b"1")]);
    assert_eq!(kv.get(Column::Meta, b"x").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        kv.get(Column::Blocks, b"x").unwrap(),
        None,
        "columns are separate"
    );
    let mut batch = Batch::new();
    batch.delete(Column::Meta, b"x".to_vec());
    kv.write(batch).unwrap();
    assert_eq!(kv.get(Column::Meta, b"x").unwrap(), None);
}

fn batches_apply_in_order(kv: &dyn Kv) {
    let mut batch = Batch::new();
    batch.put(Column::Codes, b"a".to_vec(), b"1".to_vec());
    batch.delete(Column::Codes, b"a".to_vec());
    batch.delete(Column::Codes, b"b".to_vec());
    batch.put(Column::Codes, b"b".to_vec(), b"2".to_vec());
    batch.put(Column::Codes, b"c".to_vec(), b"3".to_vec());
    batch.put(Column::Codes, b"c".to_vec(), b"4".to_vec());
    assert_eq!(batch.puts_into(Column::Codes), 4);
    kv.write(batch).unwrap();
    assert_eq!(kv.get(Column::Codes, b"a").unwrap(), None);
    assert_eq!(kv.get(Column::Codes, b"b").unwrap(), Some(b"2".to_vec()));
    assert_eq!(kv.get(Column::Codes, b"c").unwrap(), Some(b"4".to_vec()));
    kv.write(Batch::new()).unwrap();
}

fn ranges_in_both_directions(kv: &dyn Kv) {
    // Enough entries to cross the memory engine's chunk boundary several times.
    let mut batch = Batch::new();
    for i in 0..300u64 {
        batch.put(Column::Values, versioned(7, i), i.to_be_bytes().to_vec());
    }
    batch.put(Column::Values, versioned(6, 1), b"before".to_vec());
    batch.put(Column::Values, versioned(8, 1), b"after".to_vec());
    batch.put(Column::Values, vec![0xff, 0xff], b"top".to_vec());
    batch.put(
        Column::Values,
        vec![0xff, 0xff, 0x01],
        b"top child".to_vec(),
    );
    kv.write(batch).unwrap();

    let forward = keys(
        kv,
        Column::Values,
        KeyRange::prefix(&[7; 4]),
        Direction::Forward,
    );
    let expected: Vec<Vec<u8>> = (0..300).map(|i| versioned(7, i)).collect();
    assert_eq!(forward, expected);
    let mut reverse = keys(
        kv,
        Column::Values,
        KeyRange::prefix(&[7; 4]),
        Direction::Reverse,
    );
    reverse.reverse();
    assert_eq!(reverse, expected);

    let window = KeyRange::inclusive(&versioned(7, 10), &versioned(7, 19));
    assert_eq!(
        keys(kv, Column::Values, window.clone(), Direction::Forward).len(),
        10
    );
    let last = keys(kv, Column::Values, window, Direction::Reverse);
    assert_eq!(last.first(), Some(&versioned(7, 19)));

    let all = keys(kv, Column::Values, KeyRange::all(), Direction::Forward);
    assert_eq!(all.len(), 304);
    assert_eq!(all.first(), Some(&versioned(6, 1)));
    let top = keys(
        kv,
        Column::Values,
        KeyRange::prefix(&[0xff, 0xff]),
        Direction::Reverse,
    );
    assert_eq!(top, vec![vec![0xff, 0xff, 0x01], vec![0xff, 0xff]]);

    // Empty and inverted ranges yield nothing rather than failing.
    let inverted = KeyRange::inclusive(&versioned(7, 9), &versioned(7, 1));
    assert!(keys(kv, Column::Values, inverted, Direction::Forward).is_empty());
    let empty = KeyRange {
        start: Bound::Excluded(versioned(7, 3)),
        end: Bound::Excluded(versioned(7, 3)),
    };
    assert!(keys(kv, Column::Values, empty, Direction::Reverse).is_empty());
    assert!(keys(kv, Column::Blocks, KeyRange::all(), Direction::Reverse).is_empty());
}

fn seek_last_finds_newest_version_at_or_below(kv: &dyn Kv) {
    put(
        kv,
        Column::Latest,
        &[
            (&versioned(1, 5), b"v5"),
            (&versioned(1, 9), b"v9"),
            (&versioned(2, 1), b"other"),
            (&versioned(0, 3), b"below"),
        ],
    );
    let at = |version: u64| {
        kv.seek_last(Column::Latest, &[1; 4], &versioned(1, version))
            .unwrap()
            .map(|(_, value)| value)
    };
    assert_eq!(at(4), None, "never an entry of another prefix");
    assert_eq!(at(5), Some(b"v5".to_vec()));
    assert_eq!(at(8), Some(b"v5".to_vec()));
    assert_eq!(at(9), Some(b"v9".to_vec()));
    assert_eq!(at(u64::MAX), Some(b"v9".to_vec()));
}

fn contract(kv: &dyn Kv) {
    point_reads_and_columns(kv);
    batches_apply_in_order(kv);
    ranges_in_both_directions(kv);
    seek_last_finds_newest_version_at_or_below(kv);
}

#[test]
fn memory_engine_meets_the_contract() {
    contract(&MemoryKv::new());
}

#[test]
fn fjall_engine_meets_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(&FjallKv::open(dir.path()).unwrap());
}

#[test]
fn memory_clones_share_data() {
    let kv = MemoryKv::new();
    put(&kv, Column::Codes, &[(b"c", b"code")]);
    let restarted = kv.clone();
    drop(kv);
    assert_eq!(
        restarted.get(Column::Codes, b"c").unwrap(),
        Some(b"code".to_vec())
    );
}

#[test]
fn fjall_keeps_writes_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kv = FjallKv::open(dir.path()).unwrap();
        put(&kv, Column::Codes, &[(b"c", b"code")]);
        put(&kv, Column::Values, &[(&versioned(1, 1), b"v1")]);
    }
    let kv = FjallKv::open(dir.path()).unwrap();
    assert_eq!(kv.get(Column::Codes, b"c").unwrap(), Some(b"code".to_vec()));
    let found = kv
        .seek_last(Column::Values, &[1; 4], &versioned(1, 7))
        .unwrap();
    assert_eq!(found.map(|(_, v)| v), Some(b"v1".to_vec()));
}

#[test]
fn fjall_reports_its_memory_within_its_limits() {
    let dir = tempfile::tempdir().unwrap();
    let limits = EngineLimits {
        cache_bytes: 3 * 1024 * 1024,
        journal_bytes: EngineLimits::JOURNAL_BYTES_MIN,
    };
    let kv = FjallKv::open_with(dir.path(), limits).unwrap();
    let empty = kv.memory().unwrap().unwrap();
    assert_eq!(empty.block_cache_capacity_bytes, limits.cache_bytes);
    assert_eq!(empty.write_buffer_bytes, 0);
    put(&kv, Column::Values, &[(&versioned(1, 1), &[7; 1000])]);
    let written = kv.memory().unwrap().unwrap();
    assert!(written.write_buffer_bytes >= 1000, "{written:?}");
    assert!(written.journal_bytes >= 1000, "{written:?}");
    assert!(written.block_cache_bytes <= limits.cache_bytes);
    // The in-memory engine has no separate figures.
    assert_eq!(MemoryKv::new().memory().unwrap(), None);
}

#[test]
fn fjall_refuses_a_journal_below_its_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let limits = EngineLimits {
        journal_bytes: EngineLimits::JOURNAL_BYTES_MIN - 1,
        ..EngineLimits::default()
    };
    let Err(err) = FjallKv::open_with(dir.path(), limits) else {
        panic!("a journal limit below the minimum was accepted");
    };
    assert!(err.to_string().contains("journal limit"), "{err}");
    // Nothing was created.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn prefix_ranges_end_past_the_prefix() {
    assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
    assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
    assert_eq!(prefix_end(&[0xff, 0xff]), None);
    assert!(KeyRange::prefix(&[1, 0xff]).contains(&[1, 0xff, 9]));
    assert!(!KeyRange::prefix(&[1, 0xff]).contains(&[2]));
}
