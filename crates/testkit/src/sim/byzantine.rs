//! Byzantine validators. Two families:
//!
//! - protocol liars, commonware's simplex mocks, which replace the whole validator:
//!   [`Byzantine::Conflicter`] (conflicting notarize and finalize votes in one view),
//!   [`Byzantine::Nuller`] (nullify and finalize for the same view),
//!   [`Byzantine::Equivocator`] (as leader, two different proposals to different peers),
//!   [`Byzantine::Outdated`] (replays its votes of old views);
//! - application liars, a real node whose proposals are rewritten through the
//!   `EngineConfig::proposal_mutator` hook ([`Byzantine::InvalidStateRoot`],
//!   [`Byzantine::UnauthorisedTx`], [`Byzantine::OversizedBlock`],
//!   [`Byzantine::StaleReplay`]), or whose block broadcasts and backfill answers are
//!   dropped on the way out ([`Byzantine::Withholding`]);
//! - a modified build: [`Byzantine::IgnoresFreezes`] runs the real node with the
//!   supervision module's per-frame checks switched off, so it executes a frozen
//!   account's transactions as if they succeeded and proposes self-consistent blocks that
//!   claim so. Not in [`Byzantine::ALL`] (it only lies once a freeze exists); its own
//!   simulation test sets one up.
//!
//! The honest validators must stay in agreement and live with any one of them (f = 1).

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256, keccak256};
use commonware_consensus::{
    simplex::{elector::RoundRobin, mocks},
    types::{Epoch, ViewDelta},
};
use commonware_cryptography::{Sha256, ed25519};
use commonware_p2p::utils::mux::Muxer;
use commonware_p2p::{
    Recipients,
    simulated::{self, SplitOrigin},
};
use commonware_runtime::{Handle, IoBuf, Spawner, Supervisor as _};
use entente_consensus::{Chain, Channels, Scheme, app::ProposalMutator, signing_scheme};
use entente_execution::{SystemModules, WithoutFrameChecks};
use entente_modules::EntenteModules;
use entente_primitives::{Block, merkle_root};

use super::Context;
use crate::fixtures;

type SimSender = simulated::Sender<ed25519::PublicKey, Context>;
type SimReceiver = simulated::Receiver<ed25519::PublicKey>;

/// How a byzantine validator lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Byzantine {
    Conflicter,
    Nuller,
    Equivocator,
    Outdated,
    InvalidStateRoot,
    UnauthorisedTx,
    OversizedBlock,
    StaleReplay,
    Withholding,
    IgnoresFreezes,
}

impl Byzantine {
    pub const ALL: [Byzantine; 9] = [
        Byzantine::Conflicter,
        Byzantine::Nuller,
        Byzantine::Equivocator,
        Byzantine::Outdated,
        Byzantine::InvalidStateRoot,
        Byzantine::UnauthorisedTx,
        Byzantine::OversizedBlock,
        Byzantine::StaleReplay,
        Byzantine::Withholding,
    ];

    /// The name used in figures and plans.
    pub fn name(self) -> &'static str {
        match self {
            Byzantine::Conflicter => "byzantine_conflicting_votes",
            Byzantine::Nuller => "byzantine_nullify_and_finalize",
            Byzantine::Equivocator => "byzantine_equivocating_leader",
            Byzantine::Outdated => "byzantine_stale_vote_replay",
            Byzantine::InvalidStateRoot => "byzantine_invalid_state_root",
            Byzantine::UnauthorisedTx => "byzantine_unauthorised_tx",
            Byzantine::OversizedBlock => "byzantine_oversized_block",
            Byzantine::StaleReplay => "byzantine_stale_block_replay",
            Byzantine::Withholding => "byzantine_withholding_blocks",
            Byzantine::IgnoresFreezes => "byzantine_ignores_freezes",
        }
    }

    /// The system modules the validator's node executes with.
    pub fn modules(role: Option<Byzantine>) -> Arc<dyn SystemModules> {
        match role {
            Some(Byzantine::IgnoresFreezes) => {
                let honest: Arc<dyn SystemModules> = Arc::new(EntenteModules);
                Arc::new(WithoutFrameChecks(honest))
            }
            _ => Arc::new(EntenteModules),
        }
    }

    /// Whether this validator runs a real node (with a store) under its lies.
    pub fn runs_node(self) -> bool {
        !matches!(
            self,
            Byzantine::Conflicter
                | Byzantine::Nuller
                | Byzantine::Equivocator
                | Byzantine::Outdated
        )
    }

    /// The proposal rewrite of an application liar.
    pub fn mutator(self, chain: Arc<Chain>) -> Option<ProposalMutator> {
        let txs_max = chain.spec().limits.block_txs_max as usize;
        match self {
            Byzantine::InvalidStateRoot => Some(ProposalMutator::new(|_, block| {
                let mut header = block.header.clone();
                header.state_root = keccak256(header.state_root);
                Block::new(header, block.txs)
            })),
            Byzantine::UnauthorisedTx => Some(ProposalMutator::new(move |_, block| {
                // An account that is not registered in the permissioned chain spec.
                let outsider = fixtures::account(10_000);
                let tx = fixtures::transfer(&outsider, 0, Address::repeat_byte(0x66), U256::ZERO);
                let mut txs = block.txs.clone();
                txs.push(tx.raw);
                with_txs(&block, txs)
            })),
            Byzantine::OversizedBlock => Some(ProposalMutator::new(move |_, block| {
                let mut txs = block.txs.clone();
                while txs.len() <= txs_max {
                    txs.push(Bytes::from_static(&[0x02, 0xc0]));
                }
                with_txs(&block, txs)
            })),
            Byzantine::StaleReplay => Some(ProposalMutator::new(move |parent, block| {
                // Replay transactions already finalised, or else the parent block itself.
                let store = chain.store();
                let head = store.head().ok().flatten().map(|h| h.height).unwrap_or(0);
                let old_txs = (1..=head)
                    .rev()
                    .take(16)
                    .filter_map(|h| store.block(h).ok().flatten())
                    .find(|b| !b.txs.is_empty())
                    .map(|b| b.txs);
                match old_txs {
                    Some(old) => {
                        let mut txs = block.txs.clone();
                        txs.extend(old);
                        with_txs(&block, txs)
                    }
                    None => parent.clone(),
                }
            })),
            _ => None,
        }
    }
}

/// `block` with `txs` instead of its own, and the matching transaction root (so the
/// lie is in the content, not in a trivially wrong root).
fn with_txs(block: &Block, txs: Vec<Bytes>) -> Block {
    let mut header = block.header.clone();
    header.tx_root = merkle_root(&txs.iter().map(keccak256).collect::<Vec<_>>());
    Block::new(header, txs)
}

/// Starts a protocol liar (a commonware simplex mock) in place of a validator. It
/// speaks on the epoch-0 sub-channel of the vote and certificate channels, as the
/// engine's simplex instance for epoch 0 does.
pub fn start_actor(
    kind: Byzantine,
    context: Context,
    participants: &[ed25519::PublicKey],
    key: ed25519::PrivateKey,
    channels: Channels<SimSender, SimReceiver>,
) -> Handle<()> {
    let scheme: Scheme = signing_scheme(participants, key).expect("a validator of the set");
    context.spawn(move |context| async move {
        let (vote_mux, mut votes) = Muxer::new(
            context.child("vote_mux"),
            channels.votes.0,
            channels.votes.1,
        );
        let (certificate_mux, mut certificates) = Muxer::new(
            context.child("certificate_mux"),
            channels.certificates.0,
            channels.certificates.1,
        );
        let _muxers = (vote_mux.start(), certificate_mux.start());
        let votes = votes.register(0).await.expect("fresh muxer");
        let certificates = certificates.register(0).await.expect("fresh muxer");
        let context = context.child("actor");
        let actor = match kind {
            Byzantine::Conflicter => mocks::conflicter::Conflicter::<_, _, Sha256>::new(
                context,
                mocks::conflicter::Config { scheme },
            )
            .start(votes),
            Byzantine::Nuller => mocks::nuller::Nuller::<_, _, Sha256>::new(
                context,
                mocks::nuller::Config { scheme },
            )
            .start(votes),
            Byzantine::Outdated => mocks::outdated::Outdated::<_, _, Sha256>::new(
                context,
                mocks::outdated::Config {
                    scheme,
                    view_delta: ViewDelta::new(5),
                },
            )
            .start(votes),
            Byzantine::Equivocator => {
                mocks::equivocator::Equivocator::<_, _, RoundRobin<Sha256>, Sha256>::new(
                    context,
                    mocks::equivocator::Config {
                        scheme,
                        elector: RoundRobin::<Sha256>::default(),
                        epoch: Epoch::zero(),
                        relay: Arc::new(mocks::relay::Relay::new()),
                    },
                )
                .start(votes, certificates)
            }
            other => panic!("{other:?} runs a node, not a mock actor"),
        };
        let _ = actor.await;
    })
}

type Gate = fn(
    SplitOrigin,
    &Recipients<ed25519::PublicKey>,
    &IoBuf,
) -> Option<Recipients<ed25519::PublicKey>>;
type GatedSender = simulated::SplitSender<ed25519::PublicKey, Context, Gate>;

fn pass(
    _: SplitOrigin,
    recipients: &Recipients<ed25519::PublicKey>,
    _: &IoBuf,
) -> Option<Recipients<ed25519::PublicKey>> {
    Some(recipients.clone())
}

fn drop_all(
    _: SplitOrigin,
    _: &Recipients<ed25519::PublicKey>,
    _: &IoBuf,
) -> Option<Recipients<ed25519::PublicKey>> {
    None
}

/// The channels of a validator that votes and proposes but never lets its blocks out
/// (neither the broadcast of its proposals nor answers to backfill requests).
pub fn withhold_blocks(
    channels: Channels<SimSender, SimReceiver>,
) -> Channels<GatedSender, SimReceiver> {
    let gate = |(sender, receiver): (SimSender, SimReceiver), forward: Gate| {
        (sender.split_with(forward).0, receiver)
    };
    Channels {
        votes: gate(channels.votes, pass),
        certificates: gate(channels.certificates, pass),
        resolver: gate(channels.resolver, pass),
        blocks: gate(channels.blocks, drop_all),
        backfill: gate(channels.backfill, drop_all),
        txs: gate(channels.txs, pass),
        status: gate(channels.status, pass),
    }
}
