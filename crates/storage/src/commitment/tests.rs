use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use jmt::{KeyHash, RootHash};

use super::{
    proof::{StateProof, jmt_proof, prove, verify_state_proof},
    *,
};
use crate::{
    Account, ProofError, StateDiff,
    kv::{Batch, MemoryKv},
};

fn account(balance: u64) -> Account {
    Account {
        nonce: balance % 7,
        balance: U256::from(balance),
        ..Account::default()
    }
}

fn addr(i: u64) -> Address {
    Address::left_padding_from(&i.to_be_bytes())
}

/// Applies `diff` as the next version on top of `committed` and writes it to `kv`, with
/// no recent versions to write changes against.
fn commit_version(kv: &MemoryKv, committed: Option<u64>, diff: &StateDiff) -> TreeDelta {
    commit_after(kv, committed, diff, &[])
}

/// Like [`commit_version`], writing nodes that replace ones of `recent` as changes, as
/// the store does.
fn commit_after(
    kv: &MemoryKv,
    committed: Option<u64>,
    diff: &StateDiff,
    recent: &[&TreeDelta],
) -> TreeDelta {
    let reader = LayeredTree {
        kv,
        recent: &[],
        committed,
        layers: Vec::new(),
    };
    let delta = reader
        .apply(committed.map_or(0, |version| version + 1), diff)
        .unwrap();
    let mut batch = Batch::new();
    delta.write_into(&mut batch, recent);
    kv.write(batch).unwrap();
    delta
}

/// The last four of `history`, as the store keeps them.
fn recent(history: &[TreeDelta]) -> Vec<&TreeDelta> {
    history.iter().rev().take(4).collect()
}

/// The root of a fresh tree holding exactly `state`: a Jellyfish tree's root depends only
/// on its contents, so it must equal the root reached through any history.
fn root_from_scratch(state: &BTreeMap<Address, Account>) -> B256 {
    let diff = StateDiff {
        accounts: state.iter().map(|(a, acc)| (*a, Some(*acc))).collect(),
        ..StateDiff::default()
    };
    let empty = MemoryKv::new();
    let reader = LayeredTree {
        kv: &empty,
        recent: &[],
        committed: None,
        layers: Vec::new(),
    };
    reader.apply(0, &diff).unwrap().root()
}

#[test]
fn key_hash_is_jmts_sha256_key_hash() {
    let preimage = account_preimage(&addr(5));
    assert_eq!(key_hash(&preimage), KeyHash::with::<Sha256>(&preimage));
    assert_eq!(preimage.len(), 21);
    assert_eq!(storage_preimage(&addr(5), &U256::from(1)).len(), 53);
}

#[test]
fn values_roundtrip_and_reject_bad_lengths() {
    let account = account(1234);
    assert_eq!(decode_account(&encode_account(&account)).unwrap(), account);
    assert!(decode_account(&[0; 71]).is_err());
    assert_eq!(encode_word(&U256::ZERO), None);
    let word = encode_word(&U256::from(9)).unwrap();
    assert_eq!(decode_word(&word).unwrap(), U256::from(9));
    assert!(decode_word(&word[1..]).is_err());
    assert!(untag(&[7, 1]).is_err());
    assert!(untag(&[ABSENT, 1]).is_err());
    assert!(untag(&[]).is_err());
}

/// The `Nodes` entries (key, group) of `batch`.
fn node_groups(batch: Batch) -> Vec<(Vec<u8>, Vec<u8>)> {
    batch
        .into_ops()
        .into_iter()
        .filter_map(|op| match op {
            crate::kv::Op::Put(Column::Nodes, key, group) => Some((key, group)),
            _ => None,
        })
        .collect()
}

/// The stored form of the node at `key`, read from its group in `kv`.
fn stored(kv: &MemoryKv, key: &NodeKey) -> Option<Vec<u8>> {
    let group_key = node_group::group_key(key.version(), key.nibble_path());
    let group = kv.get(Column::Nodes, &group_key).unwrap()?;
    node_group::find(&group, key.nibble_path())
        .unwrap()
        .map(<[u8]>::to_vec)
}

#[test]
fn a_versions_nodes_share_entries_by_path_prefix_and_are_read_back_from_them() {
    let kv = MemoryKv::new();
    let mut diff = StateDiff::default();
    for i in 0..3_000 {
        diff.accounts.insert(addr(i), Some(account(i)));
    }
    let genesis = commit_version(&kv, None, &diff);
    diff.accounts = (0..300)
        .map(|i| (addr(i * 7), Some(account(i + 5_000))))
        .collect();
    let next = LayeredTree {
        kv: &kv,
        recent: &[],
        committed: Some(0),
        layers: Vec::new(),
    }
    .apply(1, &diff)
    .unwrap();
    let mut batch = Batch::new();
    let written = next.write_into(&mut batch, &[]);
    let groups = node_groups(batch.clone());
    kv.write(batch).unwrap();

    assert_eq!(written.nodes, next.nodes_written());
    assert_eq!(written.groups, groups.len());
    let prefixes: std::collections::BTreeSet<Vec<u8>> = next
        .batch
        .nodes()
        .keys()
        .map(|key| {
            let path = key.nibble_path();
            let depth = path.num_nibbles().min(NODE_GROUP_NIBBLES);
            (0..depth).map(|i| u8::from(path.get_nibble(i))).collect()
        })
        .collect();
    assert_eq!(written.groups, prefixes.len(), "one group per prefix");
    assert!(written.groups < written.nodes);
    let mut in_groups = 0;
    for (key, group) in &groups {
        assert_eq!(key[..8], 1u64.to_be_bytes(), "version first");
        let prefix = usize::from(key[8]);
        assert!(prefix <= NODE_GROUP_NIBBLES);
        assert_eq!(key.len(), 9 + prefix.div_ceil(2));
        for entry in node_group::entries(group) {
            let (path, _) = entry.unwrap();
            assert!(prefix == NODE_GROUP_NIBBLES || usize::from(path[0]) == prefix);
            in_groups += 1;
        }
    }
    assert_eq!(in_groups, written.nodes, "every node in exactly one group");
    let keys: Vec<_> = groups.iter().map(|(key, _)| key).collect();
    assert!(keys.is_sorted(), "groups are written in key order");

    let fresh = LayeredTree {
        kv: &kv,
        recent: &[],
        committed: Some(1),
        layers: Vec::new(),
    };
    for delta in [&genesis, &next] {
        for (key, node) in delta.batch.nodes() {
            assert_eq!(fresh.committed_node(key).unwrap().as_ref(), Some(node));
        }
    }
}

#[test]
fn incremental_roots_match_roots_from_scratch_at_every_version() {
    let kv = MemoryKv::new();
    let mut state = BTreeMap::new();
    let mut roots = Vec::new();
    let mut history = Vec::new();
    let mut committed = None;
    for version in 0..20u64 {
        let mut diff = StateDiff::default();
        for i in 0..25 {
            let address = addr((version * 13 + i * 7) % 60);
            let value = (version % 3 != 2).then(|| account(version * 100 + i + 1));
            diff.accounts.insert(address, value);
        }
        for (address, value) in &diff.accounts {
            match value {
                Some(account) => state.insert(*address, *account),
                None => state.remove(address),
            };
        }
        let delta = commit_after(&kv, committed, &diff, &recent(&history));
        assert_eq!(delta.root(), root_from_scratch(&state), "version {version}");
        roots.push((delta.root(), state.clone()));
        history.push(delta);
        committed = Some(version);
    }
    // Every old version stays readable, with its own values.
    for (version, (root, state)) in roots.iter().enumerate() {
        for i in 0..60 {
            let key = key_hash(&account_preimage(&addr(i)));
            let value = read_committed(&kv, &key, version as u64).unwrap();
            assert_eq!(value, state.get(&addr(i)).map(encode_account));
        }
        let proof = prove(&kv, version as u64, &account_preimage(&addr(3))).unwrap();
        verify_state_proof(*root, &proof).unwrap();
    }
}

#[test]
fn batch_and_per_key_inserts_build_the_same_tree() {
    // Two stores fed the same history: one lets `apply` choose (batch for versions
    // without deletions), the other inserts every version key by key.
    let chosen = MemoryKv::new();
    let per_key = MemoryKv::new();
    let mut committed = None;
    let mut histories = (Vec::new(), Vec::new());
    for version in 0..10u64 {
        let mut diff = StateDiff::default();
        for i in 0..40 {
            let n = (version * 17 + i * 11) % 120;
            diff.accounts
                .insert(addr(n), Some(account(version * 1000 + i + 1)));
            let slot_value = if version == 6 && i % 4 == 0 {
                0
            } else {
                version + i + 1
            };
            diff.storage
                .entry(addr(n % 9))
                .or_default()
                .insert(U256::from(n), U256::from(slot_value));
        }
        let next = committed.map_or(0, |v: u64| v + 1);
        let auto = LayeredTree {
            kv: &chosen,
            recent: &[],
            committed,
            layers: Vec::new(),
        }
        .apply(next, &diff)
        .unwrap();
        let keyed = LayeredTree {
            kv: &per_key,
            recent: &[],
            committed,
            layers: Vec::new(),
        }
        .insert_per_key(next, tree_values(&diff))
        .unwrap();
        assert_eq!(auto.root(), keyed.root(), "version {version}");
        assert_eq!(auto.batch, keyed.batch, "version {version}");
        for (kv, delta, history) in [
            (&chosen, auto.clone(), &mut histories.0),
            (&per_key, keyed, &mut histories.1),
        ] {
            let mut batch = Batch::new();
            delta.write_into(&mut batch, &recent(history));
            kv.write(batch).unwrap();
            history.push(delta);
        }
        for i in [0, 7, 33, 119] {
            let proof = prove(&chosen, next, &account_preimage(&addr(i))).unwrap();
            verify_state_proof(auto.root(), &proof).unwrap();
        }
        committed = Some(next);
    }
}

#[test]
fn an_unchanged_version_still_has_a_root() {
    let kv = MemoryKv::new();
    let mut diff = StateDiff::default();
    diff.accounts.insert(addr(1), Some(account(1)));
    let genesis = commit_version(&kv, None, &diff);
    let empty = commit_version(&kv, Some(0), &StateDiff::default());
    assert_eq!(empty.root(), genesis.root());
    let proof = prove(&kv, 1, &account_preimage(&addr(1))).unwrap();
    verify_state_proof(empty.root(), &proof).unwrap();
}

/// A small state whose proofs are checked both by our verifier and by jmt's.
fn proof_fixture() -> (MemoryKv, B256) {
    let kv = MemoryKv::new();
    let mut diff = StateDiff::default();
    for i in 0..300 {
        diff.accounts.insert(addr(i * 2), Some(account(i + 1)));
        diff.storage
            .entry(addr(i * 2))
            .or_default()
            .insert(U256::from(i), U256::from(i + 1));
    }
    let delta = commit_version(&kv, None, &diff);
    (kv, delta.root())
}

#[test]
fn proofs_agree_with_jmts_verifier_for_present_and_absent_keys() {
    let (kv, root) = proof_fixture();
    for i in 0..120 {
        // Even addresses exist, odd ones do not.
        let preimage = account_preimage(&addr(i));
        let proof = prove(&kv, 0, &preimage).unwrap();
        assert_eq!(proof.value.is_some(), i % 2 == 0);
        verify_state_proof(root, &proof).unwrap();
        let (value, jmt) = jmt_proof(&kv, 0, &preimage).unwrap();
        jmt.verify(RootHash(root.0), key_hash(&preimage), value.as_ref())
            .unwrap();
        // A wrong claim fails under both verifiers.
        let wrong = Some(encode_account(&account(999_999)));
        assert!(
            jmt.verify(RootHash(root.0), key_hash(&preimage), wrong.as_ref())
                .is_err()
        );
        let mut claim = proof.clone();
        claim.value = wrong.map(Into::into);
        assert!(verify_state_proof(root, &claim).is_err());
    }
    let slot = storage_preimage(&addr(4), &U256::from(2));
    let proof = prove(&kv, 0, &slot).unwrap();
    assert_eq!(
        decode_word(proof.value.as_ref().unwrap()).unwrap(),
        U256::from(3)
    );
    verify_state_proof(root, &proof).unwrap();
}

#[test]
fn tampered_proofs_fail() {
    let (kv, root) = proof_fixture();
    let present = prove(&kv, 0, &account_preimage(&addr(10))).unwrap();
    let absent = prove(&kv, 0, &account_preimage(&addr(11))).unwrap();
    verify_state_proof(root, &present).unwrap();
    verify_state_proof(root, &absent).unwrap();

    let tamper = |proof: &StateProof, change: &dyn Fn(&mut StateProof)| {
        let mut proof = proof.clone();
        change(&mut proof);
        verify_state_proof(root, &proof)
    };
    let value = tamper(&present, &|p| {
        p.value = Some(encode_account(&account(5)).into())
    });
    assert!(matches!(value, Err(ProofError::ValueMismatch { .. })));
    let key = tamper(&present, &|p| {
        p.preimage = account_preimage(&addr(12)).into()
    });
    assert!(matches!(key, Err(ProofError::KeyMismatch { .. })));
    let hidden = tamper(&present, &|p| p.value = None);
    assert!(matches!(hidden, Err(ProofError::KeyPresent)));
    let sibling = tamper(&present, &|p| p.proof.siblings[0] = B256::repeat_byte(1));
    assert!(matches!(sibling, Err(ProofError::RootMismatch { .. })));
    let invented = tamper(&absent, &|p| {
        p.value = Some(encode_account(&account(1)).into())
    });
    assert!(invented.is_err());
    let moved = tamper(&absent, &|p| {
        p.preimage = account_preimage(&addr(10)).into()
    });
    assert!(
        moved.is_err(),
        "an absence proof cannot be replayed for a present key"
    );
    let too_long = tamper(&absent, &|p| p.proof.siblings = vec![B256::ZERO; 257]);
    assert!(matches!(
        too_long,
        Err(ProofError::TooManySiblings { count: 257 })
    ));
    assert!(matches!(
        verify_state_proof(B256::repeat_byte(7), &present),
        Err(ProofError::RootMismatch { .. })
    ));
}

/// The proof format is an external interface: this pins it byte for byte.
#[test]
fn proof_json_golden_vector() {
    let kv = MemoryKv::new();
    let mut diff = StateDiff::default();
    diff.accounts.insert(addr(1), Some(account(10)));
    diff.accounts.insert(addr(2), Some(account(20)));
    let root = commit_version(&kv, None, &diff).root();
    let proof = prove(&kv, 0, &account_preimage(&addr(1))).unwrap();
    verify_state_proof(root, &proof).unwrap();
    let json = serde_json::to_string(&proof).unwrap();
    assert_eq!(root.to_string(), GOLDEN_ROOT);
    assert_eq!(json, GOLDEN_PROOF);
    let parsed: StateProof = serde_json::from_str(GOLDEN_PROOF).unwrap();
    assert_eq!(parsed, proof);
    let empty = prove(&MemoryKv::new(), 0, &account_preimage(&addr(1)));
    assert!(empty.is_err(), "no tree at version 0 of an empty store");
}

const GOLDEN_ROOT: &str = "0xcb926b1825ef845e80e3af2ec8b47544acf265be6848ab63a378076a8c5df3ad";
/// Checked against an independent implementation of the documented algorithm.
const GOLDEN_PROOF: &str = concat!(
    r#"{"preimage":"0x010000000000000000000000000000000000000001","value":"0x0000000000"#,
    r#"000003000000000000000000000000000000000000000000000000000000000000000ac5d2460186"#,
    r#"f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470","proof":{"leaf":{"keyHas"#,
    r#"h":"0x7238b643763ca2490f8069b1f767c10958416a0b244dab3e2271ae865d652d4e","valueHa"#,
    r#"sh":"0x31f56dd0aff0639c05cb44143c87c7217cdab00cfc5f12a03e9e3b7fbbff2bd9"},"sibli"#,
    r#"ngs":["0x035a238f253a759bc694693f53735badd136dbe4c3008b9f403f008d45657e61","0x53"#,
    r#"50415253455f4d45524b4c455f504c414345484f4c4445525f484153485f5f"]}}"#,
);

#[test]
fn nodes_replacing_recent_ones_are_written_as_changes_and_read_back_whole() {
    // A large tree (3,000 accounts, internal nodes four levels deep) with a hot set of
    // 40 accounts rewritten every version, one version deleting, as a block would.
    let kv = MemoryKv::new();
    let mut history: Vec<TreeDelta> = Vec::new();
    let (mut change_bytes, mut whole_bytes, mut changes) = (0, 0, 0);
    let mut committed = None;
    for version in 0..20u64 {
        let mut diff = StateDiff::default();
        let count = if version == 0 { 3_000 } else { 40 };
        for i in 0..count {
            let n = if version == 0 { i } else { (i * 71) % 3_000 };
            let value = (version != 13 || i % 10 != 0).then(|| account(version * 10_000 + i));
            diff.accounts.insert(addr(n), value);
        }
        let delta = LayeredTree {
            kv: &kv,
            recent: &[],
            committed,
            layers: Vec::new(),
        }
        .apply(version, &diff)
        .unwrap();
        let node_bytes = |batch: Batch| -> Vec<Vec<u8>> {
            node_groups(batch)
                .iter()
                .flat_map(|(_, group)| node_group::entries(group))
                .map(|entry| entry.unwrap().1.to_vec())
                .collect()
        };
        let mut whole = Batch::new();
        delta.write_into(&mut whole, &[]);
        let mut batch = Batch::new();
        delta.write_into(&mut batch, &recent(&history));
        if version > 0 {
            whole_bytes += node_bytes(whole).iter().map(Vec::len).sum::<usize>();
            let written = node_bytes(batch.clone());
            change_bytes += written.iter().map(Vec::len).sum::<usize>();
            let here = written
                .iter()
                .filter(|value| value[0] == node_codec::CHANGE)
                .count();
            if version % node_codec::SPAN == 0 {
                assert_eq!(here, 0, "a span starts whole (version {version})");
            }
            changes += here;
        }
        kv.write(batch).unwrap();
        history.push(delta);
        committed = Some(version);
    }
    assert!(changes > 200, "nodes written as changes: {changes}");
    assert!(
        change_bytes * 20 < whole_bytes * 9,
        "{change_bytes} bytes with changes vs {whole_bytes} whole"
    );
    // Read back with nothing in memory, as after a restart: every node of every version,
    // following chains of changes to their whole bases.
    let fresh = LayeredTree {
        kv: &kv,
        recent: &[],
        committed,
        layers: Vec::new(),
    };
    for delta in &history {
        for (key, node) in delta.batch.nodes() {
            assert_eq!(fresh.committed_node(key).unwrap().as_ref(), Some(node));
        }
        let proof = prove(&kv, delta.version(), &account_preimage(&addr(71))).unwrap();
        verify_state_proof(delta.root(), &proof).unwrap();
    }
    // A change whose base is gone is an error, not a wrong node.
    let (key, _) = history[19]
        .batch
        .nodes()
        .iter()
        .find(|(key, _)| stored(&kv, key).unwrap()[0] == node_codec::CHANGE)
        .expect("version 19 wrote changes");
    let mut base_version = key.version();
    let mut base_bytes = stored(&kv, key).unwrap();
    while base_bytes[0] == node_codec::CHANGE {
        base_version -= 1;
        let base_key = NodeKey::new(base_version, key.nibble_path().clone());
        if let Some(bytes) = stored(&kv, &base_key) {
            base_bytes = bytes;
        }
    }
    let mut cut = Batch::new();
    cut.delete(
        Column::Nodes,
        node_group::group_key(base_version, key.nibble_path()),
    );
    kv.write(cut).unwrap();
    assert!(fresh.committed_node(key).is_err());
}
