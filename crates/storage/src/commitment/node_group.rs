//! How the tree nodes a version writes share entries of the `Nodes` column.
//!
//! A block at saturation rewrites ~12,000 tree nodes with a small state and ~19,000 with
//! a million accounts. With one engine entry per node, the engine's work per entry (the
//! memory-table insert, the journal record, the flush into a table, dropping the flushed
//! memory table) is paid that many times, and it was the largest part of what a large
//! state costs beyond a small one. So the nodes a version writes under the same first
//! [`GROUP_NIBBLES`] nibbles of their paths share one entry, a *group*; a node with a
//! shorter path (the top of the tree) is alone in its group. A version writes at most
//! 1 + 16 + 256 + 4,096 groups, whatever the size of the state, and a node deep in a
//! large tree is read together with the few others its version wrote beside it.
//!
//! - key: `version (8, BE) ‖ prefix nibble count (1) ‖ prefix nibbles packed two per
//!   byte`, where the prefix is the first `min(path length, GROUP_NIBBLES)` nibbles of
//!   the path, so keys still sort by version first;
//! - value: for each node of the group, `path nibble count (1) ‖ path nibbles packed two
//!   per byte ‖ varint(length) ‖ the node's stored form` ([`super::node_codec`]).

use std::collections::BTreeMap;

use bytes::Buf as _;
use commonware_codec::{Copying, ReadExt as _, Write as _, varint::UInt};
use jmt::{Version, storage::NibblePath};

use crate::StorageError;

/// Leading path nibbles that choose a node's group.
pub const GROUP_NIBBLES: usize = 3;

/// Longest packed path: a key hash has 64 nibbles.
const PATH_BYTES_MAX: usize = 1 + 32;

/// A path as stored: `nibble count (1) ‖ nibbles packed two per byte` (an odd last
/// nibble in the high half of its byte), over its first `count` nibbles.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PackedPath {
    bytes: [u8; PATH_BYTES_MAX],
    len: usize,
}

impl PackedPath {
    fn new(path: &NibblePath, count: usize) -> Self {
        let mut bytes = [0u8; PATH_BYTES_MAX];
        // A key hash has 64 nibbles, so the count fits a byte.
        bytes[0] = count as u8;
        for i in 0..count {
            let nibble = u8::from(path.get_nibble(i));
            bytes[1 + i / 2] |= if i % 2 == 0 { nibble << 4 } else { nibble };
        }
        Self {
            bytes,
            len: 1 + count.div_ceil(2),
        }
    }

    /// The prefix of `path` that chooses its group.
    fn group_of(path: &NibblePath) -> Self {
        Self::new(path, path.num_nibbles().min(GROUP_NIBBLES))
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The `Nodes` key of the group that holds the node at `path` written at `version`.
pub(crate) fn group_key(version: Version, path: &NibblePath) -> Vec<u8> {
    entry_key(version, &PackedPath::group_of(path))
}

fn entry_key(version: Version, prefix: &PackedPath) -> Vec<u8> {
    [&version.to_be_bytes()[..], prefix.as_slice()].concat()
}

/// The groups of one version's nodes, filled node by node.
#[derive(Default)]
pub(crate) struct Groups {
    /// Keyed by the packed prefix; the version is the same for all.
    groups: BTreeMap<PackedPath, Vec<u8>>,
}

impl Groups {
    /// Adds the node at `path` in its stored form `node`.
    pub fn push(&mut self, path: &NibblePath, node: &[u8]) {
        let group = self.groups.entry(PackedPath::group_of(path)).or_default();
        group.extend_from_slice(PackedPath::new(path, path.num_nibbles()).as_slice());
        UInt(node.len() as u64).write(group);
        group.extend_from_slice(node);
    }

    /// The `Nodes` entries of the groups, for nodes written at `version`.
    pub fn into_entries(self, version: Version) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
        self.groups
            .into_iter()
            .map(move |(prefix, group)| (entry_key(version, &prefix), group))
    }
}

/// The stored form of the node at `path` in `group`, if the group holds one.
pub(crate) fn find<'a>(
    group: &'a [u8],
    path: &NibblePath,
) -> Result<Option<&'a [u8]>, StorageError> {
    let wanted = PackedPath::new(path, path.num_nibbles());
    for entry in entries(group) {
        let (stored_path, node) = entry?;
        if stored_path == wanted.as_slice() {
            return Ok(Some(node));
        }
    }
    Ok(None)
}

/// Each node of `group` as `(packed path, stored form)`, in the order written; an
/// error for a group that does not parse.
pub(crate) fn entries(
    group: &[u8],
) -> impl Iterator<Item = Result<(&[u8], &[u8]), StorageError>> + '_ {
    let mut rest = group;
    std::iter::from_fn(move || {
        let (&count, _) = rest.split_first()?;
        Some(next_entry(&mut rest, count).inspect_err(|_| rest = &[]))
    })
}

fn next_entry<'a>(rest: &mut &'a [u8], count: u8) -> Result<(&'a [u8], &'a [u8]), StorageError> {
    if usize::from(count) > 2 * (PATH_BYTES_MAX - 1) {
        return Err(corrupt("path longer than a key hash"));
    }
    let path_len = 1 + usize::from(count).div_ceil(2);
    if rest.len() < path_len {
        return Err(corrupt("group truncated in a path"));
    }
    let (path, after) = rest.split_at(path_len);
    let mut body = Copying(after);
    let len = UInt::<u64>::read(&mut body)
        .map(u64::from)
        .map_err(|_| corrupt("bad node length"))?;
    let len = usize::try_from(len)
        .ok()
        .filter(|len| *len <= body.remaining())
        .ok_or_else(|| corrupt("group truncated in a node"))?;
    let after = &after[after.len() - body.remaining()..];
    let (node, tail) = after.split_at(len);
    *rest = tail;
    Ok((path, node))
}

fn corrupt(reason: &str) -> StorageError {
    StorageError::corrupt("state tree node group", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jmt builds paths only inside itself; its borsh form is `nibble count (u64 LE) ‖
    /// packed length (u32 LE) ‖ packed nibbles`.
    fn path(nibbles: &[u8]) -> NibblePath {
        let mut packed = vec![0u8; nibbles.len().div_ceil(2)];
        for (i, nibble) in nibbles.iter().enumerate() {
            packed[i / 2] |= if i % 2 == 0 { nibble << 4 } else { *nibble };
        }
        let mut borsh_form = (nibbles.len() as u64).to_le_bytes().to_vec();
        borsh_form.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        borsh_form.extend_from_slice(&packed);
        borsh::from_slice(&borsh_form).unwrap()
    }

    #[test]
    fn nodes_share_a_group_by_their_first_nibbles_and_are_found_by_their_whole_path() {
        let paths = [
            path(&[]),
            path(&[0xa]),
            path(&[0xa, 0xb]),
            path(&[0xa, 0xb, 0xc]),
            path(&[0xa, 0xb, 0xc, 0x1]),
            path(&[0xa, 0xb, 0xc, 0x1, 0x2]),
            path(&[0xa, 0xb, 0xd, 0x1]),
        ];
        let mut groups = Groups::default();
        for (i, path) in paths.iter().enumerate() {
            groups.push(path, &vec![i as u8; i * 40]);
        }
        let stored: BTreeMap<_, _> = groups.into_entries(7).collect();
        assert_eq!(stored.len(), 5, "root, a, ab, abc… and abd… apart");
        for key in stored.keys() {
            assert_eq!(key[..8], 7u64.to_be_bytes());
        }
        for (i, path) in paths.iter().enumerate() {
            let group = &stored[&group_key(7, path)];
            assert_eq!(find(group, path).unwrap(), Some(&vec![i as u8; i * 40][..]));
        }
        let abc = &stored[&group_key(7, &paths[3])];
        assert_eq!(entries(abc).count(), 3);
        assert_eq!(find(abc, &path(&[0xa, 0xb, 0xc, 0x2])).unwrap(), None);
        // Keys sort by version first, then by prefix.
        assert!(group_key(7, &paths[6]) < group_key(8, &paths[0]));
        assert_eq!(
            group_key(1, &path(&[0x1, 0x2, 0x3, 0x4])),
            [&1u64.to_be_bytes()[..], &[3, 0x12, 0x30]].concat()
        );
    }

    #[test]
    fn a_group_that_does_not_parse_is_an_error() {
        let wanted = path(&[0x1, 0x2, 0x3, 0x4]);
        let mut groups = Groups::default();
        groups.push(&path(&[0x1, 0x2, 0x3]), &[9; 70]);
        groups.push(&wanted, &[8; 5]);
        let (_, group) = groups.into_entries(3).next().unwrap();
        assert_eq!(find(&group, &wanted).unwrap(), Some(&[8u8; 5][..]));
        // The first node: count, two path bytes, a one-byte length and 70 bytes.
        let first = 1 + 2 + 1 + 70;
        for cut in 1..group.len() {
            let found = find(&group[..cut], &wanted);
            if cut == first {
                assert_eq!(found.unwrap(), None, "a whole group of the first node");
            } else {
                assert!(found.is_err(), "cut at {cut} of {}", group.len());
            }
        }
        let mut long = group.clone();
        long[0] = 65;
        assert!(find(&long, &wanted).is_err());
        assert_eq!(find(&[], &wanted).unwrap(), None);
    }
}
