//! Authenticated, encrypted p2p between the admitted validators only.
//!
//! Peers are identified by their ed25519 keys from the chain spec and dialled at the
//! addresses in the node config; connections from any other key are refused by the
//! handshake, and from unknown IPs by the network.

use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

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
use entente_consensus::{Channels, channels};

/// Separates Entente's handshakes from any other protocol's.
const P2P_NAMESPACE: &[u8] = b"_ENTENTE_P2P";

/// Per-peer message rates. Generous: they stop floods, not honest bursts.
fn rate(per_second: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second).expect("non-zero rate"))
}

pub type Sender = lookup::Sender<ed25519::PublicKey, tokio::Context>;
pub type Receiver = lookup::Receiver<ed25519::PublicKey>;
pub type Oracle = lookup::Oracle<ed25519::PublicKey>;

/// Starts the network and registers the consensus channels.
pub fn start(
    context: &tokio::Context,
    key: ed25519::PrivateKey,
    listen: SocketAddr,
    peers: Vec<(ed25519::PublicKey, SocketAddr)>,
    message_bytes_max: u32,
    mailbox_size: usize,
) -> (Handle<()>, Oracle, Channels<Sender, Receiver>) {
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
        NZUsize!(peers.len() + 1),
        message_bytes_max,
        NZUsize!(mailbox_size.max(1)),
    );
    config.dial_frequency = Duration::from_millis(200);
    config.peer_connection_cooldown = Duration::from_millis(500);
    let (mut network, mut oracle) = Network::new(context.child("p2p"), config);
    let set: Map<ed25519::PublicKey, Address> = Map::from_iter_dedup(
        peers
            .into_iter()
            .map(|(key, addr)| (key, Address::from(addr))),
    );
    oracle.track(0, set);
    let channels = Channels {
        votes: network.register(channels::VOTES, rate(10_000)),
        certificates: network.register(channels::CERTIFICATES, rate(10_000)),
        resolver: network.register(channels::RESOLVER, rate(1_000)),
        blocks: network.register(channels::BLOCKS, rate(1_000)),
        backfill: network.register(channels::BACKFILL, rate(1_000)),
        txs: network.register(channels::TXS, rate(2_000)),
    };
    (network.start(), oracle, channels)
}
