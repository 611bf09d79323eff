//! Authenticated, encrypted p2p between the admitted validators only.
//!
//! Peers are identified by their ed25519 keys from the chain spec and dialled at the
//! addresses in the node config; connections from any other key are refused by the
//! handshake, and from unknown IPs by the network.

use std::{collections::BTreeMap, net::SocketAddr, num::NonZeroU32, time::Duration};

use commonware_cryptography::ed25519;
use commonware_p2p::{
    Address, AddressableManager as _,
    authenticated::lookup::{self, Network},
};
use commonware_runtime::{Handle, Quota, Supervisor as _, tokio};
use commonware_stream::{
    SakeCups,
    cups::{self},
    sake::{self, Sake},
};
use commonware_utils::{NZUsize, ordered::Map};
use entente_config::PeerRates;
use entente_consensus::{
    Channels, channels,
    epochs::{Member, PeerTracker},
};

/// Separates Entente's handshakes from any other protocol's.
const P2P_NAMESPACE: &[u8] = b"_ENTENTE_P2P";

/// A per-peer message rate (`p2p.rates`; the config refuses zero, read here as 1).
fn rate(per_second: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
}

pub type Sender = lookup::Sender<ed25519::PublicKey, tokio::Context>;
pub type Receiver = lookup::Receiver<ed25519::PublicKey>;
pub type Oracle = lookup::Oracle<ed25519::PublicKey>;

/// Admits each epoch's validators: addresses recorded by governance, else the ones in
/// this node's config.
#[derive(Clone)]
pub struct LookupPeers {
    oracle: Oracle,
    configured: BTreeMap<ed25519::PublicKey, SocketAddr>,
}

impl PeerTracker for LookupPeers {
    fn track(&mut self, epoch: u64, members: &[Member]) {
        let set: Map<ed25519::PublicKey, Address> =
            Map::from_iter_dedup(members.iter().filter_map(|member| {
                let address = member
                    .p2p
                    .or_else(|| self.configured.get(&member.key).copied())?;
                Some((member.key.clone(), Address::from(address)))
            }));
        self.oracle.track(epoch, set);
    }
}

/// Most peers one epoch's set may hold (bounds per-peer resources in the network).
const PEERS_PER_SET_MAX: usize = 64;

/// The smallest `p2p.message_bytes_max` that carries the largest block `limits` allow:
/// its transactions' bytes, a length prefix per transaction, the header and framing.
/// Commonware's sender refuses (panics on) a larger message, so a node configured below
/// this would fail when it sends such a block; `launch` refuses that configuration.
pub fn message_bytes_needed(limits: &entente_chainspec::Limits) -> u64 {
    limits.block_txs_bytes_max as u64 + 8 * u64::from(limits.block_txs_max) + 4096
}

/// Starts the network and registers the consensus channels. `configured` holds the
/// addresses of validators this node knows from its config.
pub fn start(
    context: &tokio::Context,
    key: ed25519::PrivateKey,
    listen: SocketAddr,
    configured: Vec<(ed25519::PublicKey, SocketAddr)>,
    message_bytes_max: u32,
    rates: &PeerRates,
    mailbox_size: usize,
) -> (Handle<()>, Oracle, LookupPeers, Channels<Sender, Receiver>) {
    let handshake: SakeCups<ed25519::PrivateKey, commonware_cryptography::ChaCha20Poly1305> =
        SakeCups::new(
            Sake {
                signer: key,
                synchrony_bound: Duration::from_secs(5),
                max_handshake_age: Duration::from_secs(10),
                version: sake::Version::V1,
            },
            cups::Version::V1,
        );
    let mut config = lookup::Config::local(
        handshake,
        P2P_NAMESPACE,
        listen,
        NZUsize!(PEERS_PER_SET_MAX),
        message_bytes_max,
        NZUsize!(mailbox_size.max(1)),
    );
    config.dial_frequency = Duration::from_millis(200);
    config.peer_connection_cooldown = Duration::from_millis(500);
    // The current and the previous epoch's sets stay admitted across a transition.
    config.tracked_peer_sets = NZUsize!(2);
    let (mut network, oracle) = Network::new(context.child("p2p"), config);
    // Per-peer rates (`p2p.rates`). Each channel's inbound queue holds a burst from
    // every retained peer, so these also bound memory.
    let channels = Channels {
        votes: network.register(channels::VOTES, rate(rates.votes)),
        certificates: network.register(channels::CERTIFICATES, rate(rates.certificates)),
        resolver: network.register(channels::RESOLVER, rate(rates.resolver)),
        blocks: network.register(channels::BLOCKS, rate(rates.blocks)),
        backfill: network.register(channels::BACKFILL, rate(rates.backfill)),
        txs: network.register(channels::TXS, rate(rates.txs)),
        status: network.register(channels::STATUS, rate(rates.status)),
    };
    let peers = LookupPeers {
        oracle: oracle.clone(),
        configured: configured.into_iter().collect(),
    };
    (network.start(), oracle, peers, channels)
}
