//! Wires one validator: one simplex engine per epoch (see [`crate::epochs`]), marshal
//! (ordered finalised blocks, backfill), block broadcast, the finaliser, transaction
//! gossip and status messages, over seven p2p channels.
//!
//! The function is generic over the runtime and the network so the same code runs in
//! production (tokio, authenticated TCP) and in the deterministic simulation (virtual
//! time, simulated links).

use std::{
    num::{NonZeroU16, NonZeroU64, NonZeroUsize},
    sync::Arc,
    time::Duration,
};

use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{self, core::Actor as Marshal, resolver::p2p as marshal_resolver, standard::Inline},
    simplex::{
        self,
        config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
    },
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{Digestible as _, Sha256, ed25519};
use commonware_macros::select;
use commonware_p2p::{
    Blocker, Provider, Receiver, Recipients, Sender,
    utils::mux::{MuxHandle, Muxer},
};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Metrics, Network, Spawner, Storage, buffer::paged::CacheRef,
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, non_empty_vec, ordered::Set};
use entente_primitives::Block;
use futures::{StreamExt as _, channel::mpsc};
use rand_core::CryptoRng;
use tracing::{debug, info, warn};

use crate::{
    Chain, EntenteApp, FinalityStatus, Finalizer, Gossip, NAMESPACE, Scheme,
    app::ProposalMutator,
    epochs::{self, EpochProvider, PeerTracker},
};

/// p2p channel ids. Every node of a network must use the same.
pub mod channels {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BLOCKS: u64 = 3;
    pub const BACKFILL: u64 = 4;
    pub const TXS: u64 = 5;
    pub const STATUS: u64 = 6;
}

/// The network endpoints one validator runs on.
pub struct Channels<S, R> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub resolver: (S, R),
    pub blocks: (S, R),
    pub backfill: (S, R),
    pub txs: (S, R),
    pub status: (S, R),
}

/// Consensus tuning for one validator.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Prefix for this validator's storage partitions (unique per node in a process).
    pub partition_prefix: String,
    pub leader_timeout: Duration,
    pub certification_timeout: Duration,
    pub timeout_retry: Duration,
    pub fetch_timeout: Duration,
    pub mailbox_size: usize,
    /// TEST HOOK: rewrites this validator's proposals (byzantine simulation). Always
    /// `None` in production; see [`ProposalMutator`].
    pub proposal_mutator: Option<ProposalMutator>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            partition_prefix: "entente".into(),
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_millis(500),
            fetch_timeout: Duration::from_secs(2),
            mailbox_size: 1024,
            proposal_mutator: None,
        }
    }
}

/// Views of vote and block history kept behind the finalised tip.
const VIEW_RETENTION: u64 = 256;
const PAGE_SIZE: NonZeroU16 = NonZeroU16::new(4096).expect("non-zero");
const PAGE_CACHE_PAGES: NonZeroUsize = NonZeroUsize::new(1024).expect("non-zero");
const IO_BUFFER_BYTES: NonZeroUsize = NonZeroUsize::new(1 << 20).expect("non-zero");
/// Finalised blocks a node may have delivered but not yet committed.
const PENDING_ACKS_MAX: NonZeroUsize = NonZeroUsize::new(16).expect("non-zero");

/// What a running validator exposes to the rest of the node.
pub struct Running {
    /// Completes when any component stops (which means the node must stop).
    pub handles: Vec<Handle<()>>,
    pub status: Arc<FinalityStatus>,
    pub marshal: marshal::core::Mailbox<Scheme, marshal::standard::Standard<Block>>,
}

/// The simplex signing scheme for `participants`, signing with `key`.
pub fn signing_scheme(
    participants: &[ed25519::PublicKey],
    key: ed25519::PrivateKey,
) -> Option<Scheme> {
    let set = Set::from_iter_dedup(participants.iter().cloned());
    Scheme::signer(NAMESPACE, set, key)
}

type Mailbox = marshal::core::Mailbox<Scheme, marshal::standard::Standard<Block>>;

/// Starts every component of a validator.
#[allow(clippy::too_many_arguments)]
pub async fn start<E, P, T, B, S, R>(
    context: E,
    config: EngineConfig,
    chain: Arc<Chain>,
    genesis: Block,
    key: ed25519::PrivateKey,
    gossip: Gossip,
    peer_provider: P,
    mut peers: T,
    blocker: B,
    channels: Channels<S, R>,
) -> Running
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + Network,
    P: Provider<PublicKey = ed25519::PublicKey>,
    T: PeerTracker,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    use commonware_cryptography::Signer as _;
    let me = key.public_key();
    let prefix = config.partition_prefix.clone();
    let mailbox_size = NonZeroUsize::new(config.mailbox_size).expect("validated non-zero");
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    let codec = chain.codec();
    let epoch_blocks = chain.spec().consensus.epoch_blocks;
    let epocher = FixedEpocher::new(NonZeroU64::new(epoch_blocks).expect("validated >= 2"));

    // The active epoch: the one after the last committed block.
    let head = chain
        .store()
        .head()
        .ok()
        .flatten()
        .map(|h| h.height)
        .unwrap_or(0);
    let active = epochs::epoch_of(head + 1, epoch_blocks);
    let provider = EpochProvider::default();
    for epoch in active.saturating_sub(1)..=active {
        let members = epochs::members(&chain, epoch).expect("the validator registry is readable");
        provider.register(epoch, &members, &key);
        peers.track(epoch, &members);
    }

    // Backfill: fetch finalised blocks and certificates from peers.
    let resolver = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peer_provider.clone(),
            blocker: blocker.clone(),
            mailbox_size,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Block dissemination: proposers broadcast whole blocks.
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size,
            deque_size: 16,
            priority: false,
            codec_config: codec,
            peer_provider: peer_provider.clone(),
            strategy: Sequential,
        },
    );
    let broadcast_handle = broadcast_engine.start(channels.blocks);

    let finalizations_by_height = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations",
            &page_cache,
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .expect("finalizations archive must open");
    let finalized_blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&prefix, "blocks", &page_cache, codec),
    )
    .await
    .expect("finalized blocks archive must open");

    let genesis_digest = genesis.digest();
    let genesis_digested = commonware_cryptography::Digested::precomputed(genesis, genesis_digest);
    let (marshal_actor, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations_by_height,
        finalized_blocks,
        marshal::Config {
            provider: provider.clone(),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(genesis_digested),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size,
            view_retention: ViewDelta::new(VIEW_RETENTION),
            prunable_items_per_section: NonZeroU64::new(1024).expect("non-zero"),
            page_cache: page_cache.clone(),
            replay_buffer: IO_BUFFER_BYTES,
            key_write_buffer: IO_BUFFER_BYTES,
            value_write_buffer: IO_BUFFER_BYTES,
            block_codec_config: codec,
            max_repair: NonZeroUsize::new(32).expect("non-zero"),
            max_pending_acks: PENDING_ACKS_MAX,
            strategy: Sequential,
        },
    )
    .await;

    let status = Arc::new(FinalityStatus::default());
    let (committed_tx, committed_rx) = mpsc::unbounded();
    let (finalizer, finalizer_mailbox) =
        Finalizer::new(chain.clone(), status.clone(), committed_tx);
    let finalizer_handle = finalizer.start(context.child("finalizer"), marshal_mailbox.clone());
    let marshal_handle = marshal_actor.start(finalizer_mailbox, buffer, resolver);

    let app = EntenteApp::new(chain.clone(), me.clone())
        .with_proposal_mutator(config.proposal_mutator.clone());
    let inline = Inline::new(
        context.child("inline"),
        app,
        marshal_mailbox.clone(),
        epocher,
    );

    // One sub-channel per epoch on the three simplex channels.
    let (vote_mux, votes) = Muxer::new(
        context.child("vote_mux"),
        channels.votes.0,
        channels.votes.1,
    );
    let (certificate_mux, certificates) = Muxer::new(
        context.child("certificate_mux"),
        channels.certificates.0,
        channels.certificates.1,
    );
    let (resolver_mux, resolvers) = Muxer::new(
        context.child("resolver_mux"),
        channels.resolver.0,
        channels.resolver.1,
    );
    let mux_handles = [
        vote_mux.start(),
        certificate_mux.start(),
        resolver_mux.start(),
    ]
    .map(|handle| {
        Handle::from_future(async move {
            let _ = handle.await;
            Ok(())
        })
    });

    let gossip_handle = start_gossip(gossip, &context, channels.txs);

    let manager = EpochManager {
        chain: chain.clone(),
        config,
        key,
        provider,
        peers,
        blocker,
        inline,
        marshal: marshal_mailbox.clone(),
        votes,
        certificates,
        resolvers,
        genesis_digest,
        active,
        engine: None,
    };
    let epochs_handle = context
        .child("epochs")
        .spawn(move |context| manager.run(context, committed_rx, channels.status));

    let mut handles = vec![
        broadcast_handle,
        marshal_handle,
        finalizer_handle,
        gossip_handle,
        epochs_handle,
    ];
    handles.extend(mux_handles);
    Running {
        handles,
        status,
        marshal: marshal_mailbox,
    }
}

/// How often a node tells its peers how far it has committed.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);
/// Least time between two boundary fetch hints.
const HINT_INTERVAL: Duration = Duration::from_millis(500);

/// Runs one simplex engine per epoch and moves between epochs (see [`crate::epochs`]).
struct EpochManager<E: Spawner + Metrics + Clock, S: Sender<PublicKey = ed25519::PublicKey>, T, B> {
    chain: Arc<Chain>,
    config: EngineConfig,
    key: ed25519::PrivateKey,
    provider: EpochProvider,
    peers: T,
    blocker: B,
    inline: Inline<E, Scheme, EntenteApp<E>, Block, FixedEpocher>,
    marshal: Mailbox,
    votes: MuxHandle<S>,
    certificates: MuxHandle<S>,
    resolvers: MuxHandle<S>,
    genesis_digest: entente_primitives::BlockDigest,
    active: u64,
    engine: Option<Handle<()>>,
}

impl<E, S, T, B> EpochManager<E, S, T, B>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    T: PeerTracker,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    async fn run<R: Receiver<PublicKey = ed25519::PublicKey>>(
        mut self,
        context: E,
        mut committed: mpsc::UnboundedReceiver<u64>,
        (mut status_sender, mut status_receiver): (S, R),
    ) {
        self.start_engine(&context).await;
        let epoch_blocks = self.chain.spec().consensus.epoch_blocks;
        let mut last_hint = context.current();
        // A deadline, not a per-iteration sleep: peers' status messages arrive more often
        // than the interval and must not postpone ours.
        let mut next_status = context.current() + STATUS_INTERVAL;
        // The peer furthest ahead that told us its committed height.
        let mut ahead: Option<(ed25519::PublicKey, u64)> = None;
        loop {
            select! {
                height = committed.next() => {
                    let Some(height) = height else { return };
                    if height == epochs::last_height(self.active, epoch_blocks) {
                        self.enter(&context, self.active + 1).await;
                        // Still behind: fetch the next boundary without waiting for the
                        // peer's next status message.
                        if let Some((peer, peer_height)) = ahead.clone()
                            && peer_height > height
                        {
                            self.catch_up(peer, peer_height, height);
                            last_hint = context.current();
                        }
                    }
                },
                _ = context.sleep_until(next_status) => {
                    next_status = context.current() + STATUS_INTERVAL;
                    let head = self.committed_height();
                    let mut message = Vec::with_capacity(16);
                    message.extend_from_slice(&self.active.to_be_bytes());
                    message.extend_from_slice(&head.to_be_bytes());
                    status_sender.send(Recipients::All, message, false);
                },
                message = status_receiver.recv() => {
                    let Ok((peer, bytes)) = message else { return };
                    let Some(peer_height) = decode_status(bytes.as_ref()) else {
                        warn!(?peer, "malformed status message");
                        continue;
                    };
                    let head = self.committed_height();
                    let now = context.current();
                    if peer_height <= head {
                        continue;
                    }
                    if ahead.as_ref().is_none_or(|(_, best)| peer_height > *best) {
                        ahead = Some((peer.clone(), peer_height));
                    }
                    if now.duration_since(last_hint).unwrap_or_default() >= HINT_INTERVAL {
                        self.catch_up(peer, peer_height, head);
                        last_hint = now;
                    }
                },
            }
        }
    }

    /// Asks marshal for the finalised boundary of the active epoch (verifiable with the
    /// scheme this node has) from `peer`, which has committed `peer_height`; committing
    /// it moves this node into the next epoch.
    fn catch_up(&mut self, peer: ed25519::PublicKey, peer_height: u64, head: u64) {
        let epoch_blocks = self.chain.spec().consensus.epoch_blocks;
        let target = peer_height.min(epochs::last_height(self.active, epoch_blocks));
        debug!(?peer, peer_height, head, target, "behind a peer: fetching");
        self.marshal.hint_finalized(
            commonware_consensus::types::Height::new(target),
            non_empty_vec![peer],
        );
    }

    fn committed_height(&self) -> u64 {
        self.chain
            .store()
            .head()
            .ok()
            .flatten()
            .map(|h| h.height)
            .unwrap_or(0)
    }

    /// Moves to `epoch` once the previous epoch's boundary block is committed.
    async fn enter(&mut self, context: &E, epoch: u64) {
        let members = match epochs::members(&self.chain, epoch) {
            Ok(members) => members,
            Err(err) => {
                warn!(%err, epoch, "cannot read the next validator set; staying");
                return;
            }
        };
        let member = self.provider.register(epoch, &members, &self.key);
        self.peers.track(epoch, &members);
        let previous = self.engine.take();
        self.active = epoch;
        self.start_engine(context).await;
        if let Some(previous) = previous {
            previous.abort();
        }
        self.provider.prune_below(epoch.saturating_sub(1));
        info!(epoch, validators = members.len(), member, "entered epoch");
    }

    /// Starts the simplex engine of the active epoch (as an observer if not a member).
    async fn start_engine(&mut self, context: &E) {
        let epoch = self.active;
        let epoch_blocks = self.chain.spec().consensus.epoch_blocks;
        let Some(scheme) = self.provider.get(epoch) else {
            warn!(epoch, "no scheme for the active epoch");
            return;
        };
        let floor_digest = if epoch == 0 {
            self.genesis_digest
        } else {
            match self
                .chain
                .store()
                .block(epochs::last_height(epoch - 1, epoch_blocks))
            {
                Ok(Some(block)) => block.digest(),
                _ => {
                    warn!(
                        epoch,
                        "the previous epoch's boundary block is not committed"
                    );
                    return;
                }
            }
        };
        let (Ok(votes), Ok(certificates), Ok(resolver)) = (
            self.votes.register(epoch).await,
            self.certificates.register(epoch).await,
            self.resolvers.register(epoch).await,
        ) else {
            warn!(epoch, "cannot open the epoch's sub-channels");
            return;
        };
        let config = &self.config;
        let mailbox_size = NonZeroUsize::new(config.mailbox_size).expect("validated non-zero");
        let engine = simplex::Engine::new(
            context.child("simplex").with_attribute("epoch", epoch),
            simplex::config::Config {
                scheme: (*scheme).clone(),
                elector: RoundRobin::<Sha256>::default(),
                blocker: self.blocker.clone(),
                automaton: self.inline.clone(),
                relay: self.inline.clone(),
                reporter: self.inline.clone(),
                track_historical_votes: false,
                strategy: Sequential,
                partition: format!("{}-simplex-{epoch}", config.partition_prefix),
                mailbox_size,
                epoch: Epoch::new(epoch),
                floor: Floor::Genesis(floor_digest),
                replay_buffer: IO_BUFFER_BYTES,
                write_buffer: IO_BUFFER_BYTES,
                page_cache: CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES),
                leader_timeout: config.leader_timeout,
                certification_timeout: config.certification_timeout,
                timeout_retry: config.timeout_retry,
                view_retention: ViewDelta::new(VIEW_RETENTION),
                skip: SkipPolicy::Enabled {
                    timeout: config.certification_timeout * 2,
                    budget: SkipBudget::Participants,
                },
                fetch_timeout: NZDuration!(config.fetch_timeout),
                fetch_retry_delay: Duration::from_millis(100),
                forward: ForwardPolicy::SilentLeader,
            },
        );
        self.engine = Some(engine.start(votes, certificates, resolver));
    }
}

/// A status message: `epoch (8, BE) ‖ committed height (8, BE)`; returns the height.
fn decode_status(bytes: &[u8]) -> Option<u64> {
    if bytes.len() != 16 {
        return None;
    }
    Some(u64::from_be_bytes(bytes[8..16].try_into().ok()?))
}

fn start_gossip<E, S, R>(gossip: Gossip, context: &E, txs: (S, R)) -> Handle<()>
where
    E: Spawner + Clock + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    gossip.start(context.child("gossip"), txs)
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 65_536,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 16_384,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 256 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: NonZeroU64::new(4096).expect("non-zero"),
        codec_config,
        replay_buffer: IO_BUFFER_BYTES,
        freezer_key_write_buffer: IO_BUFFER_BYTES,
        freezer_value_write_buffer: IO_BUFFER_BYTES,
        ordinal_write_buffer: IO_BUFFER_BYTES,
    }
}
