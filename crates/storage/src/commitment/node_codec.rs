//! The stored form of a Jellyfish tree node, more compact than jmt's own borsh form.
//!
//! Internal nodes are most of what a block writes to the `Nodes` column. In jmt's borsh
//! form every child carries 10 or 18 bytes besides its 32-byte hash (a presence byte, a
//! type byte, its version and, for an internal child, its leaf count as 8-byte integers),
//! every empty slot a byte, and the node 16 more for its child count and leaf count,
//! which are sums of the children. Here:
//!
//! - null: `0x00`;
//! - leaf: `0x02 ‖ key hash (32) ‖ value hash (32)` — jmt's borsh form unchanged;
//! - internal: `0x01 ‖ children bitmap (u16 BE) ‖ leaf bitmap (u16 BE)`, then for each
//!   child in nibble order `hash (32) ‖ varint(node version − child version)` and, for a
//!   child that is itself internal, `varint(leaf count)`.
//!
//! - internal, as a change: `0x03 ‖ varint(node version − base version) ‖ children
//!   bitmap (u16 BE) ‖ leaf bitmap (u16 BE) ‖ changed bitmap (u16 BE)`, then for each
//!   changed child in nibble order the child as above; every other child is the base's,
//!   where the base is the internal node at the same path written at the base version.
//!
//! A full internal node takes ~550–600 bytes instead of ~690–820. A node's version is
//! its key's, so the encoding needs the node key on both sides.
//!
//! The change form is for the nodes a block rewrites deep in a large tree: most of them
//! have one or two children changed out of sixteen, so ~40–80 bytes stand for ~550. The
//! store writes it only against a base of the same span of [`SPAN`] versions (see
//! [`same_span`]), so reading a node back follows at most `SPAN − 1` bases.
//!
//! jmt's constructor for internal nodes panics on malformed input, so decoding rebuilds
//! jmt's borsh form and deserialises that, which refuses it instead; the tests hold both
//! forms to each other.

use bytes::{Buf as _, BufMut as _};
use commonware_codec::{Copying, ReadExt as _, Write as _, varint::UInt};
use jmt::{Version, storage::Node};

use crate::StorageError;

const NULL: u8 = 0;
const INTERNAL: u8 = 1;
const LEAF: u8 = 2;
pub(super) const CHANGE: u8 = 3;
const LEAF_BYTES: usize = 1 + 32 + 32;
const HASH_BYTES: usize = 32;

/// A jmt child's leaf count, `None` for a leaf (jmt does not export the child's type, so
/// this cannot be a function).
macro_rules! leaf_count {
    ($child:expr) => {
        (!$child.is_leaf()).then(|| $child.leaf_count() as u64)
    };
}

/// Versions per span: a node is stored as a change only against a base of the same span.
pub(crate) const SPAN: Version = 8;

/// Whether a node written at `version` may be stored as a change to the node at the same
/// path written at `base`: an earlier version of the same span, so that no chain of
/// changes is longer than the span.
pub(crate) fn same_span(base: Version, version: Version) -> bool {
    base < version && base / SPAN == version / SPAN
}

/// The stored form of `node`, written at `version` (its key's).
pub(crate) fn encode(version: Version, node: &Node) -> Vec<u8> {
    match node {
        Node::Null => vec![NULL],
        Node::Leaf(_) => borsh::to_vec(node).expect("borsh writes into a vector never fail"),
        Node::Internal(internal) => {
            let (children, leaves) = internal.generate_bitmaps();
            let count = children.count_ones() as usize;
            let mut out = Vec::with_capacity(5 + count * (HASH_BYTES + 6));
            out.put_u8(INTERNAL);
            out.put_u16(children);
            out.put_u16(leaves);
            write_children(&mut out, version, node, children);
            out
        }
    }
}

/// The change form of `node`, written at `version`, against `base`, the node at the same
/// path written at `base_version`; `None` unless both are internal nodes of the same span
/// and `node` keeps at least one child of `base` (otherwise the change is no smaller).
pub(crate) fn encode_change(
    version: Version,
    node: &Node,
    base_version: Version,
    base: &Node,
) -> Option<Vec<u8>> {
    let whole = node;
    let (Node::Internal(node), Node::Internal(base)) = (node, base) else {
        return None;
    };
    if !same_span(base_version, version) {
        return None;
    }
    let (children, leaves) = node.generate_bitmaps();
    let mut changed = 0u16;
    for (nibble, child) in node.children_sorted() {
        if base.child(nibble) != Some(child) {
            changed |= 1 << u8::from(nibble);
        }
    }
    if changed == children {
        return None;
    }
    let mut out = Vec::with_capacity(9 + changed.count_ones() as usize * (HASH_BYTES + 6));
    out.put_u8(CHANGE);
    UInt(version - base_version).write(&mut out);
    out.put_u16(children);
    out.put_u16(leaves);
    out.put_u16(changed);
    write_children(&mut out, version, whole, changed);
    Some(out)
}

/// Writes the children of the internal node `node` (written at `version`) whose bits are
/// set in `which`, in nibble order, in the compact form.
fn write_children(out: &mut Vec<u8>, version: Version, node: &Node, which: u16) {
    let Node::Internal(node) = node else { return };
    for (nibble, child) in node.children_sorted() {
        if which & (1 << u8::from(nibble)) != 0 {
            write_child(out, version, &child.hash, child.version, leaf_count!(child));
        }
    }
}

/// A child in the compact form: `hash ‖ varint(node version − child version)` and, for an
/// internal child (`leaf_count` given), `varint(leaf count)`.
fn write_child(
    out: &mut Vec<u8>,
    version: Version,
    hash: &[u8; HASH_BYTES],
    child_version: Version,
    leaf_count: Option<u64>,
) {
    out.put_slice(hash);
    // jmt never makes a child newer than its parent.
    debug_assert!(child_version <= version, "child newer than its node");
    UInt(version.saturating_sub(child_version)).write(out);
    if let Some(leaf_count) = leaf_count {
        UInt(leaf_count).write(out);
    }
}

/// A node as stored: whole, or a change to the node at the same path of an earlier
/// version (read that one, then [`apply_change`]).
#[derive(Debug)]
pub(crate) enum Stored<'a> {
    Whole(Node),
    Change {
        base_version: Version,
        /// The stored bytes, for [`apply_change`].
        bytes: &'a [u8],
    },
}

/// The node stored as `bytes` at `version`.
pub(crate) fn decode(version: Version, bytes: &[u8]) -> Result<Stored<'_>, StorageError> {
    let Some((&tag, body)) = bytes.split_first() else {
        return Err(corrupt("empty"));
    };
    let borsh_form = match tag {
        NULL if body.is_empty() => return Ok(Stored::Whole(Node::Null)),
        LEAF if bytes.len() == LEAF_BYTES => bytes.to_vec(),
        INTERNAL => internal_borsh_form(version, Copying(body)).map_err(corrupt)?,
        CHANGE => {
            let age = read_varint(&mut Copying(body)).map_err(corrupt)?;
            let base_version = version
                .checked_sub(age)
                .filter(|base| same_span(*base, version))
                .ok_or_else(|| corrupt("change against a base outside its span"))?;
            return Ok(Stored::Change {
                base_version,
                bytes,
            });
        }
        NULL | LEAF => return Err(corrupt("wrong length")),
        _ => return Err(corrupt("unknown node tag")),
    };
    from_borsh(&borsh_form).map(Stored::Whole)
}

/// The node whose change form `bytes` ([`Stored::Change`]) was written at `version`
/// against `base`.
pub(crate) fn apply_change(
    version: Version,
    bytes: &[u8],
    base: &Node,
) -> Result<Node, StorageError> {
    let Node::Internal(base) = base else {
        return Err(corrupt(
            "change against a base that is not an internal node",
        ));
    };
    let mut body = Copying(bytes.get(1..).ok_or_else(|| corrupt("empty"))?);
    read_varint(&mut body).map_err(corrupt)?;
    if body.remaining() < 6 {
        return Err(corrupt("change shorter than its bitmaps"));
    }
    let children = body.get_u16();
    let leaves = body.get_u16();
    let changed = body.get_u16();
    if changed & !children != 0 {
        return Err(corrupt("changed bitmap names an absent child"));
    }
    let mut kept = [None; 16];
    for (nibble, child) in base.children_sorted() {
        kept[usize::from(u8::from(nibble))] =
            Some((&child.hash, child.version, leaf_count!(child)));
    }
    // The whole compact form, changed children from the change, the others from the base.
    let mut whole = Vec::with_capacity(4 + children.count_ones() as usize * (HASH_BYTES + 6));
    whole.put_u16(children);
    whole.put_u16(leaves);
    for nibble in 0..16u8 {
        let bit = 1u16 << nibble;
        if children & bit == 0 {
            continue;
        }
        if changed & bit != 0 {
            copy_child(&mut body, &mut whole, leaves & bit != 0).map_err(corrupt)?;
            continue;
        }
        let (hash, child_version, leaf_count) = kept[usize::from(nibble)]
            .ok_or_else(|| corrupt("change keeps a child its base does not have"))?;
        if leaf_count.is_none() != (leaves & bit != 0) {
            return Err(corrupt("change keeps a child of another kind"));
        }
        write_child(&mut whole, version, hash, child_version, leaf_count);
    }
    if body.has_remaining() {
        return Err(corrupt("bytes after a change"));
    }
    from_borsh(&internal_borsh_form(version, Copying(&whole)).map_err(corrupt)?)
}

/// Copies one child in the compact form from `from` to `to`.
fn copy_child(from: &mut Copying<'_>, to: &mut Vec<u8>, leaf: bool) -> Result<(), &'static str> {
    if from.remaining() < HASH_BYTES {
        return Err("change truncated in a child hash");
    }
    let mut hash = [0u8; HASH_BYTES];
    from.copy_to_slice(&mut hash);
    to.put_slice(&hash);
    UInt(read_varint(from)?).write(to);
    if !leaf {
        UInt(read_varint(from)?).write(to);
    }
    Ok(())
}

fn from_borsh(bytes: &[u8]) -> Result<Node, StorageError> {
    borsh::from_slice(bytes).map_err(|err| StorageError::corrupt("state tree node", err))
}

fn corrupt(reason: &str) -> StorageError {
    StorageError::corrupt("state tree node", reason)
}

/// jmt's borsh form of the internal node whose compact body (after the tag) is `body`:
/// `1 ‖ 16 × (0 | 1 ‖ hash ‖ version (u64 LE) ‖ (0 | 1 ‖ leaf count (u64 LE))) ‖
/// children (u64 LE) ‖ leaf count (u64 LE)`.
fn internal_borsh_form(version: Version, mut body: Copying<'_>) -> Result<Vec<u8>, &'static str> {
    if body.remaining() < 4 {
        return Err("internal node shorter than its bitmaps");
    }
    let children = body.get_u16();
    let leaves = body.get_u16();
    if children == 0 {
        return Err("internal node without children");
    }
    if leaves & !children != 0 {
        return Err("leaf bitmap names an absent child");
    }
    if children.count_ones() == 1 && leaves != 0 {
        return Err("internal node whose only child is a leaf");
    }
    let mut out = Vec::with_capacity(1 + 16 + children.count_ones() as usize * 50 + 16);
    out.push(INTERNAL);
    let mut total: u64 = 0;
    for nibble in 0..16 {
        let bit = 1u16 << nibble;
        if children & bit == 0 {
            out.push(0);
            continue;
        }
        if body.remaining() < HASH_BYTES {
            return Err("internal node truncated in a child hash");
        }
        let mut hash = [0u8; HASH_BYTES];
        body.copy_to_slice(&mut hash);
        out.push(1);
        out.extend_from_slice(&hash);
        let age = read_varint(&mut body)?;
        let child_version = version
            .checked_sub(age)
            .ok_or("child version before version 0")?;
        out.extend_from_slice(&child_version.to_le_bytes());
        if leaves & bit != 0 {
            out.push(0);
            total = total.checked_add(1).ok_or("leaf count overflows")?;
        } else {
            let leaf_count = read_varint(&mut body)?;
            if leaf_count < 2 {
                return Err("internal child with fewer than two leaves");
            }
            out.push(1);
            out.extend_from_slice(&leaf_count.to_le_bytes());
            total = total
                .checked_add(leaf_count)
                .ok_or("leaf count overflows")?;
        }
    }
    if body.has_remaining() {
        return Err("bytes after an internal node");
    }
    out.extend_from_slice(&u64::from(children.count_ones()).to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    Ok(out)
}

fn read_varint(body: &mut Copying<'_>) -> Result<u64, &'static str> {
    UInt::<u64>::read(body)
        .map(u64::from)
        .map_err(|_| "bad varint in an internal node")
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};

    use super::*;
    use crate::{
        Account, StateDiff,
        commitment::{LayeredTree, TreeDelta},
        kv::{Batch, Kv as _, MemoryKv},
    };

    /// The node a whole stored form decodes to; a change form is an error here.
    fn whole(version: Version, bytes: &[u8]) -> Result<Node, StorageError> {
        match decode(version, bytes)? {
            Stored::Whole(node) => Ok(node),
            Stored::Change { .. } => Err(corrupt("a change form where a whole node was expected")),
        }
    }

    /// Every node of a tree built over several versions, with deletions, as jmt wrote it.
    fn nodes() -> Vec<(Version, Node)> {
        let kv = MemoryKv::new();
        let mut all = Vec::new();
        for version in 0..6u64 {
            let mut diff = StateDiff::default();
            for i in 0..400u64 {
                let address = Address::left_padding_from(&i.to_be_bytes());
                let account = Account {
                    nonce: version,
                    balance: U256::from(i),
                    ..Account::default()
                };
                if version > 2 && i % 7 == 0 {
                    diff.accounts.insert(address, None);
                } else if (i + version) % 3 != 0 {
                    diff.accounts.insert(address, Some(account));
                }
            }
            let tree = LayeredTree {
                kv: &kv,
                recent: &[],
                committed: version.checked_sub(1),
                layers: Vec::new(),
            };
            let delta: TreeDelta = tree.apply(version, &diff).unwrap();
            let mut batch = Batch::new();
            delta.write_into(&mut batch, &[]);
            kv.write(batch).unwrap();
            all.extend(
                delta
                    .batch
                    .nodes()
                    .iter()
                    .map(|(key, node)| (key.version(), node.clone())),
            );
        }
        all
    }

    #[test]
    fn every_kind_of_node_roundtrips_and_internal_nodes_shrink() {
        let nodes = nodes();
        let mut internal = 0;
        let (mut compact, mut borsh_bytes) = (0, 0);
        let mut older_children = false;
        for (version, node) in &nodes {
            let bytes = encode(*version, node);
            assert_eq!(&whole(*version, &bytes).unwrap(), node);
            if let Node::Internal(inner) = node {
                internal += 1;
                compact += bytes.len();
                borsh_bytes += borsh::to_vec(node).unwrap().len();
                older_children |= inner.children_sorted().any(|(_, c)| c.version < *version);
            } else {
                assert_eq!(bytes, borsh::to_vec(node).unwrap());
            }
        }
        assert!(
            internal > 50,
            "the tree has internal nodes to test: {internal}"
        );
        assert!(older_children, "some children predate their parent");
        assert!(compact * 10 < borsh_bytes * 8, "{compact} vs {borsh_bytes}");
        assert_eq!(whole(3, &encode(3, &Node::Null)).unwrap(), Node::Null);
    }

    #[test]
    fn damaged_nodes_are_refused() {
        let nodes = nodes();
        // An internal node with both leaf and internal children, and free slots.
        let (version, bytes) = nodes
            .iter()
            .map(|(version, node)| (version, encode(*version, node)))
            .find(|(_, b)| b[0] == INTERNAL && b[1..3] != [0xff; 2] && b[3..5] != [0; 2])
            .unwrap();
        // Truncated anywhere, or with a byte too many.
        for len in 0..bytes.len() {
            assert!(decode(*version, &bytes[..len]).is_err(), "cut at {len}");
        }
        assert!(decode(*version, &[&bytes[..], &[0]].concat()).is_err());
        let bad = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = bytes.clone();
            edit(&mut bytes);
            decode(*version, &bytes).is_err()
        };
        assert!(bad(&|b| b[0] = 9), "unknown tag");
        assert!(bad(&|b| b[1..3].copy_from_slice(&[0, 0])), "no children");
        assert!(
            bad(&|b| {
                let children = u16::from_be_bytes([b[1], b[2]]);
                let leaves = u16::from_be_bytes([b[3], b[4]]) | !children;
                b[3..5].copy_from_slice(&leaves.to_be_bytes());
            }),
            "a leaf bit where there is no child"
        );
        // Two leaf children, one 5 versions older than a node at version 3.
        let two = |age: u8| {
            [
                &[INTERNAL, 0, 3, 0, 3][..],
                &[7; 32],
                &[0],
                &[8; 32],
                &[age],
            ]
            .concat()
        };
        assert!(decode(3, &two(3)).is_ok());
        assert!(decode(3, &two(5)).is_err(), "a child before version 0");
        // An internal child must hold at least two leaves.
        let internal_child = [
            &[INTERNAL, 0, 3, 0, 1][..],
            &[7; 32],
            &[0],
            &[8; 32],
            &[0, 1],
        ]
        .concat();
        assert!(decode(3, &internal_child).is_err());
        // A lone leaf child, which jmt never writes.
        let lone = [&[INTERNAL, 0, 1, 0, 1][..], &[7; 32], &[0]].concat();
        assert!(decode(1, &lone).is_err());
        // Any single damaged byte is refused or still decodes to a node of this form
        // (a changed hash or age is undetectable here; the root check catches it).
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut damaged = bytes.clone();
            let at = seed as usize % damaged.len();
            damaged[at] ^= (seed >> 32) as u8 | 1;
            if let Ok(node) = whole(*version, &damaged) {
                assert_eq!(encode(*version, &node), damaged, "byte {at}");
            }
        }
        assert!(decode(1, &[LEAF; 10]).is_err());
        assert!(decode(1, &[NULL, 0]).is_err());
        assert!(decode(1, &[]).is_err());
    }

    /// Internal nodes of consecutive versions at the same path, with some children
    /// changed: (version, node, base version, base).
    fn replacements() -> Vec<(Version, Node, Version, Node)> {
        let nodes = nodes();
        let mut pairs = Vec::new();
        for (version, node) in &nodes {
            let Node::Internal(inner) = node else {
                continue;
            };
            for (base_version, base) in &nodes {
                if let Node::Internal(earlier) = base
                    && same_span(*base_version, *version)
                    && inner.children_sorted().count() == earlier.children_sorted().count()
                    && encode_change(*version, node, *base_version, base).is_some()
                {
                    pairs.push((*version, node.clone(), *base_version, base.clone()));
                }
            }
        }
        pairs
    }

    #[test]
    fn a_change_applied_to_its_base_gives_the_node_back_and_is_smaller() {
        let pairs = replacements();
        assert!(pairs.len() > 20, "changes to test: {}", pairs.len());
        let mut smaller = 0;
        for (version, node, base_version, base) in &pairs {
            let change = encode_change(*version, node, *base_version, base).unwrap();
            let Stored::Change {
                base_version: read_base,
                bytes,
            } = decode(*version, &change).unwrap()
            else {
                panic!("a change decodes as a change");
            };
            assert_eq!(read_base, *base_version);
            assert_eq!(&apply_change(*version, bytes, base).unwrap(), node);
            smaller += usize::from(change.len() < encode(*version, node).len());
        }
        assert_eq!(
            smaller,
            pairs.len(),
            "every change is smaller than the node"
        );
        // No change across spans, against a later node, between leaves, or when every
        // child changed.
        let (version, node, base_version, base) = &pairs[0];
        assert!(encode_change(*version, node, *version, base).is_none());
        assert!(encode_change(*base_version, base, *version, node).is_none());
        assert!(encode_change(*version + SPAN, node, *base_version, base).is_none());
        let leaf = nodes()
            .into_iter()
            .find(|(_, node)| matches!(node, Node::Leaf(_)))
            .unwrap()
            .1;
        assert!(encode_change(*version, &leaf, *base_version, &leaf).is_none());
        assert!(encode_change(*version, node, *base_version, &Node::Null).is_none());
    }

    #[test]
    fn damaged_changes_are_refused() {
        let pairs = replacements();
        let (version, node, base_version, base) = &pairs[0];
        let change = encode_change(*version, node, *base_version, base).unwrap();
        let apply = |bytes: &[u8], base: &Node| match decode(*version, bytes)? {
            Stored::Change { bytes, .. } => apply_change(*version, bytes, base),
            Stored::Whole(_) => Err(corrupt("whole")),
        };
        assert_eq!(&apply(&change, base).unwrap(), node);
        for len in 0..change.len() {
            assert!(apply(&change[..len], base).is_err(), "cut at {len}");
        }
        assert!(apply(&[&change[..], &[0]].concat(), base).is_err());
        // Against a base of another kind, or one lacking a kept child.
        assert!(apply(&change, &Node::Null).is_err());
        let lacking = pairs.iter().map(|(_, _, _, other)| other).find(|other| {
            let (children, _) = match other {
                Node::Internal(inner) => inner.generate_bitmaps(),
                _ => (0, 0),
            };
            let (wanted, _) = match node {
                Node::Internal(inner) => inner.generate_bitmaps(),
                _ => (0, 0),
            };
            wanted & !children != 0
        });
        if let Some(lacking) = lacking {
            let result = apply(&change, lacking);
            assert!(result.is_err() || result.as_ref().ok() != Some(node));
        }
        // A base outside the span (age 0, or reaching before the span) is refused at
        // decode, before any base is read.
        let age_at = 1;
        let mut same = change.clone();
        same[age_at] = 0;
        assert!(decode(*version, &same).is_err(), "a change against itself");
        let mut far = change.clone();
        far[age_at] = (*version % SPAN + 1) as u8;
        assert!(decode(*version, &far).is_err(), "a base before the span");
        // A changed bit where there is no child.
        let children = u16::from_be_bytes([change[2], change[3]]);
        if children != u16::MAX {
            let mut stray = change.clone();
            let changed = u16::from_be_bytes([change[6], change[7]]) | !children;
            stray[6..8].copy_from_slice(&changed.to_be_bytes());
            assert!(apply(&stray, base).is_err(), "changed bit without a child");
        }
        // A kept child's kind flipped in the leaf bitmap.
        let changed = u16::from_be_bytes([change[6], change[7]]);
        let kept = children & !changed;
        let bit = kept & kept.wrapping_neg();
        let mut kind = change.clone();
        let leaves = u16::from_be_bytes([change[4], change[5]]) ^ bit;
        kind[4..6].copy_from_slice(&leaves.to_be_bytes());
        assert!(apply(&kind, base).is_err(), "a kept child of another kind");
    }
}
