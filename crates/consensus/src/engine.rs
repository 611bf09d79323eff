//! Wires one validator: simplex consensus, marshal (ordered finalised blocks, backfill),
//! block broadcast, the finaliser and transaction gossip, over six p2p channels.
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
use commonware_cryptography::{Digestible as _, Sha256, certificate::ConstantProvider, ed25519};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Metrics, Network, Spawner, Storage, buffer::paged::CacheRef,
};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, ordered::Set};
use entente_primitives::Block;
use rand_core::CryptoRng;

use crate::{Chain, EntenteApp, FinalityStatus, Finalizer, Gossip, Scheme};

/// Namespace that separates Entente's signatures from any other protocol's.
pub const NAMESPACE: &[u8] = b"_ENTENTE";

/// p2p channel ids. Every node of a network must use the same.
pub mod channels {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BLOCKS: u64 = 3;
    pub const BACKFILL: u64 = 4;
    pub const TXS: u64 = 5;
}

/// The network endpoints one validator runs on.
pub struct Channels<S, R> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub resolver: (S, R),
    pub blocks: (S, R),
    pub backfill: (S, R),
    pub txs: (S, R),
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
        }
    }
}

/// Blocks per epoch. The validator set is fixed for now, so the whole chain is one epoch.
const EPOCH_LENGTH: NonZeroU64 = NonZeroU64::new(u64::MAX).expect("non-zero");
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

/// A verifier for certificates of `participants` (no signing key needed).
pub fn verifying_scheme(participants: &[ed25519::PublicKey]) -> Scheme {
    Scheme::verifier(
        NAMESPACE,
        Set::from_iter_dedup(participants.iter().cloned()),
    )
}

/// Starts every component of a validator.
#[allow(clippy::too_many_arguments)]
pub async fn start<E, P, B, S, R>(
    context: E,
    config: EngineConfig,
    chain: Arc<Chain>,
    genesis: Block,
    key: ed25519::PrivateKey,
    gossip: Gossip,
    peer_provider: P,
    blocker: B,
    channels: Channels<S, R>,
) -> Running
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + Network,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    use commonware_cryptography::Signer as _;
    let me = key.public_key();
    let participants = chain.spec().validator_keys();
    let scheme =
        signing_scheme(&participants, key).expect("this node is a validator in the chain spec");
    let prefix = config.partition_prefix.clone();
    let mailbox_size = NonZeroUsize::new(config.mailbox_size).expect("validated non-zero");
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_PAGES);
    let codec = chain.codec();

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
        archive_config(&prefix, "finalizations", &page_cache, <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded()),
    )
    .await
    .expect("finalizations archive must open");
    let finalized_blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&prefix, "blocks", &page_cache, codec),
    )
    .await
    .expect("finalized blocks archive must open");

    let digest = genesis.digest();
    let genesis_digested = commonware_cryptography::Digested::precomputed(genesis, digest);
    let (marshal_actor, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations_by_height,
        finalized_blocks,
        marshal::Config {
            provider: ConstantProvider::<Scheme, Epoch>::new(scheme.clone()),
            epocher: FixedEpocher::new(EPOCH_LENGTH),
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
    let (finalizer, finalizer_mailbox) = Finalizer::new(chain.clone(), status.clone());
    let finalizer_handle = finalizer.start(context.child("finalizer"), marshal_mailbox.clone());
    let marshal_handle = marshal_actor.start(finalizer_mailbox, buffer, resolver);

    let app = EntenteApp::new(chain.clone(), me.clone());
    let inline = Inline::new(
        context.child("inline"),
        app,
        marshal_mailbox.clone(),
        FixedEpocher::new(EPOCH_LENGTH),
    );
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-simplex"),
            mailbox_size,
            epoch: Epoch::zero(),
            floor: Floor::Genesis(digest),
            replay_buffer: IO_BUFFER_BYTES,
            write_buffer: IO_BUFFER_BYTES,
            page_cache,
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
    let simplex_handle = engine.start(channels.votes, channels.certificates, channels.resolver);

    let gossip_handle = start_gossip(gossip, &context, channels.txs);

    Running {
        handles: vec![
            broadcast_handle,
            marshal_handle,
            finalizer_handle,
            simplex_handle,
            gossip_handle,
        ],
        status,
        marshal: marshal_mailbox,
    }
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
