//! Epochs: the validator set changes only at epoch boundaries.
//!
//! The set of epoch `e` is read from the governance module's state as committed at the
//! last block of epoch `e − 1` (genesis for epoch 0), so every node derives the same set
//! from the same finalised block. One simplex engine runs per epoch, on its own
//! sub-channels; when a node commits the boundary block of its active epoch it registers
//! the next epoch's signing scheme, tells the network which peers to admit, starts the
//! next engine from the boundary block, and stops the previous one. A node that is not
//! in an epoch's set runs that epoch's engine as an observer (it verifies certificates
//! but never votes).
//!
//! Nodes that fell behind (a restart across a boundary, or a new validator syncing from
//! genesis) learn that the network is ahead from the status messages peers broadcast
//! every second, and ask marshal to fetch the finalised boundary block of their active
//! epoch from a peer that has it; committing it moves them to the next epoch, and so on.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc};

use alloy_primitives::{Address, B256};
use commonware_consensus::types::Epoch;
use commonware_cryptography::{
    certificate::{Provider, Scoped},
    ed25519,
};
use entente_modules::{GOVERNANCE_ADDRESS, governance::state::GovStore, slots::ViewSlots};
use entente_storage::StateBase;
use parking_lot::RwLock;

use crate::{Chain, ChainError, Scheme, signing_scheme, verifying_scheme};

/// One validator of an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: ed25519::PublicKey,
    pub fee_recipient: Address,
    /// Where it listens, when governance recorded it (validators added after genesis).
    pub p2p: Option<SocketAddr>,
}

/// The last height of `epoch`.
pub fn last_height(epoch: u64, epoch_blocks: u64) -> u64 {
    (epoch + 1) * epoch_blocks - 1
}

/// The epoch a height belongs to.
pub fn epoch_of(height: u64, epoch_blocks: u64) -> u64 {
    height / epoch_blocks
}

/// The height whose committed state defines the validators of `epoch`.
pub fn defining_height(epoch: u64, epoch_blocks: u64) -> u64 {
    if epoch == 0 {
        0
    } else {
        epoch * epoch_blocks - 1
    }
}

/// The validators of `epoch`, from the committed state at its defining height.
pub fn members(chain: &Chain, epoch: u64) -> Result<Vec<Member>, ChainError> {
    let height = defining_height(epoch, chain.spec().consensus.epoch_blocks);
    let view = chain.store().view(&StateBase::committed(height));
    members_in(&view, epoch)
}

/// The epoch of the block at `height` and the public keys of its validators: the set
/// its finality certificate is checked against.
pub fn signers_of(
    chain: &Chain,
    height: u64,
) -> Result<(u64, Vec<ed25519::PublicKey>), ChainError> {
    let epoch = epoch_of(height, chain.spec().consensus.epoch_blocks);
    let keys = members(chain, epoch)?.into_iter().map(|m| m.key).collect();
    Ok((epoch, keys))
}

/// The validators of `epoch` as recorded in `view`.
pub fn members_in(
    view: &dyn entente_storage::StateView,
    epoch: u64,
) -> Result<Vec<Member>, ChainError> {
    let mut slots = ViewSlots {
        view,
        address: GOVERNANCE_ADDRESS,
    };
    let records = GovStore { s: &mut slots }
        .validators()
        .map_err(|err| ChainError::Local {
            reason: format!("cannot read the validator registry: {err}"),
        })?;
    let mut members = Vec::new();
    for record in records.into_iter().filter(|r| r.active_in(epoch)) {
        let Ok(key) = entente_chainspec::decode_public_key(&hex_key(&record.key)) else {
            continue;
        };
        members.push(Member {
            key,
            fee_recipient: record.fee_recipient,
            p2p: record.p2p_address.parse().ok(),
        });
    }
    Ok(members)
}

fn hex_key(key: &B256) -> String {
    alloy_primitives::hex::encode(key)
}

/// The signing schemes of the epochs this node knows, as marshal and simplex need them.
#[derive(Clone, Default)]
pub struct EpochProvider {
    /// Per epoch: the scheme, and whether this node signs with it.
    schemes: Arc<RwLock<BTreeMap<u64, EpochScheme>>>,
}

/// An epoch's scheme and whether this node signs with it.
type EpochScheme = (Arc<Scheme>, bool);

impl EpochProvider {
    /// Registers the scheme of `epoch`: signing when `key` is a member, verifying
    /// otherwise. Returns whether this node is a member.
    pub fn register(&self, epoch: u64, members: &[Member], key: &ed25519::PrivateKey) -> bool {
        let keys: Vec<ed25519::PublicKey> = members.iter().map(|m| m.key.clone()).collect();
        let entry = match signing_scheme(&keys, key.clone()) {
            Some(scheme) => (Arc::new(scheme), true),
            None => (Arc::new(verifying_scheme(&keys)), false),
        };
        let signing = entry.1;
        self.schemes.write().insert(epoch, entry);
        signing
    }

    /// Forgets epochs below `epoch`.
    pub fn prune_below(&self, epoch: u64) {
        let mut schemes = self.schemes.write();
        *schemes = schemes.split_off(&epoch);
    }

    /// The scheme of `epoch` (signing or verifying), if registered.
    pub fn get(&self, epoch: u64) -> Option<Arc<Scheme>> {
        self.schemes
            .read()
            .get(&epoch)
            .map(|(scheme, _)| scheme.clone())
    }
}

impl Provider for EpochProvider {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, scope: Epoch) -> Option<Scoped<Scheme>> {
        self.schemes
            .read()
            .get(&scope.get())
            .map(|(scheme, signing)| {
                if *signing {
                    Scoped::scheme(scheme.clone())
                } else {
                    Scoped::verifier(scheme.clone())
                }
            })
    }
}

/// Tells the network which peers to admit for an epoch.
pub trait PeerTracker: Clone + Send + 'static {
    fn track(&mut self, epoch: u64, members: &[Member]);
}
