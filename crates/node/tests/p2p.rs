//! `p2p.message_bytes_max` at its edge, on commonware's authenticated network exactly
//! as the node builds it (`entente_node::p2p::start`, the builder `launch` passes the
//! configured limit to), over 127.0.0.1 only.
//!
//! What commonware-p2p (2026.10.0, `authenticated::lookup`) does with the limit: it
//! bounds the application payload (the frame and encryption overhead come on top).
//! - A payload of exactly the limit is delivered, byte for byte.
//! - The node never sends a larger one: its sender panics with
//!   `message too large: <len> > <limit>` before anything is queued.
//! - A peer that sends a larger one (a peer configured with a larger limit, or a
//!   hostile one) has it dropped: the receiving node fails to decode the frame, counts
//!   an invalid message from that peer (metric `…messages_received{message="invalid"}`)
//!   and closes the connection; nothing reaches the application. The peers then
//!   reconnect and later messages flow again.

use std::{
    net::{SocketAddr, TcpListener},
    panic::AssertUnwindSafe,
    pin::pin,
    time::Duration,
};

use alloy_primitives::Address;
use commonware_cryptography::ed25519;
use commonware_p2p::{Receiver as _, Recipients, Sender as _};
use commonware_runtime::{Clock as _, Metrics as _, Runner as _, Supervisor as _, tokio};
use entente_chainspec::ValidatorKey;
use entente_config::NodeConfig;
use entente_consensus::epochs::{Member, PeerTracker as _};
use entente_node::p2p;
use futures::future::{Either, select};

/// Two consecutive free ports on 127.0.0.1 below the kernel's ephemeral range (so no
/// outgoing connection can take one), as the process tests pick theirs.
fn free_ports() -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (u64::from(std::process::id()) << 32);
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let base = 10_000 + (x % u64::from(low.saturating_sub(10_002).max(1))) as u16;
        if (0..2).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no two free ports on 127.0.0.1");
}

/// The next message on `receiver` within `within`, if any.
async fn recv_within(
    context: &tokio::Context,
    receiver: &mut p2p::Receiver,
    within: Duration,
) -> Option<(ed25519::PublicKey, Vec<u8>)> {
    match select(pin!(receiver.recv()), pin!(context.sleep(within))).await {
        Either::Left((Ok((from, message)), _)) => Some((from, message.as_ref().to_vec())),
        _ => None,
    }
}

/// Sends `message` from `sender` to `to` every 200 ms until `receiver` gets a message
/// (the peers may still be connecting); returns what it got.
async fn deliver(
    context: &tokio::Context,
    sender: &mut p2p::Sender,
    to: &ed25519::PublicKey,
    receiver: &mut p2p::Receiver,
    message: &[u8],
) -> (ed25519::PublicKey, Vec<u8>) {
    for _ in 0..150 {
        sender.send(Recipients::One(to.clone()), message.to_vec(), false);
        if let Some(got) = recv_within(context, receiver, Duration::from_millis(200)).await {
            return got;
        }
    }
    panic!("no message got through in 30 s");
}

/// The invalid messages `node`'s network counted from `peer`.
fn invalid_from(context: &tokio::Context, node: &str, peer: &ed25519::PublicKey) -> u64 {
    let peer = format!("peer=\"{peer}\"");
    context
        .encode()
        .lines()
        .filter(|line| line.starts_with(&format!("{node}_p2p_")))
        .filter(|line| line.contains("messages_received") && line.contains("\"invalid\""))
        .filter(|line| line.contains(&peer))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// A payload of `len` bytes no two neighbours of which are equal.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn p2p_message_size_limit_holds_at_its_edge() {
    // The smallest limit the node's config accepts keeps the test quick.
    let mut config = NodeConfig::default();
    config.p2p.message_bytes_max = 64 * 1024;
    config.validate().expect("a valid node config");
    let limit = config.p2p.message_bytes_max;
    let base = free_ports();
    let (a_addr, b_addr): (SocketAddr, SocketAddr) = (
        format!("127.0.0.1:{base}").parse().unwrap(),
        format!("127.0.0.1:{}", base + 1).parse().unwrap(),
    );
    let (a_key, b_key) = (ValidatorKey::from_seed(1), ValidatorKey::from_seed(2));
    let (a, b) = (a_key.public_key(), b_key.public_key());

    tokio::Runner::default().start(|context| async move {
        // B is the node under test, with the configured limit. A is a peer built the same
        // way with a limit one byte larger, so that it can put an oversized payload on
        // the wire.
        let (_b_network, _b_oracle, mut b_peers, b_channels) = p2p::start(
            &context.child("b"),
            b_key.0.clone(),
            b_addr,
            vec![(a.clone(), a_addr)],
            limit,
            &config.p2p.rates,
            config.consensus.mailbox_size,
        );
        let (_a_network, _a_oracle, mut a_peers, a_channels) = p2p::start(
            &context.child("a"),
            a_key.0.clone(),
            a_addr,
            vec![(b.clone(), b_addr)],
            limit + 1,
            &config.p2p.rates,
            config.consensus.mailbox_size,
        );
        let members = [&a, &b].map(|key| Member {
            key: key.clone(),
            fee_recipient: Address::ZERO,
            p2p: None,
        });
        a_peers.track(0, &members);
        b_peers.track(0, &members);
        let (mut a_send, mut a_recv) = a_channels.txs;
        let (mut b_send, mut b_recv) = b_channels.txs;

        // Connected both ways.
        assert_eq!(
            deliver(&context, &mut a_send, &b, &mut b_recv, b"hello").await,
            (a.clone(), b"hello".to_vec())
        );
        assert_eq!(
            deliver(&context, &mut b_send, &a, &mut a_recv, b"hello").await,
            (b.clone(), b"hello".to_vec())
        );

        // Exactly the limit: the node receives it, and sends it, byte for byte.
        let at_limit = payload(limit as usize);
        assert!(
            !a_send
                .send(Recipients::One(b.clone()), at_limit.clone(), false)
                .is_empty()
        );
        let got = recv_within(&context, &mut b_recv, Duration::from_secs(10)).await;
        assert_eq!(
            got,
            Some((a.clone(), at_limit.clone())),
            "the node did not receive a message of exactly the limit"
        );
        assert!(
            !b_send
                .send(Recipients::One(a.clone()), at_limit.clone(), false)
                .is_empty()
        );
        let got = recv_within(&context, &mut a_recv, Duration::from_secs(10)).await;
        assert_eq!(
            got,
            Some((b.clone(), at_limit)),
            "the node did not send a message of exactly the limit"
        );

        // One byte more, from the node: its sender refuses it (commonware panics) and
        // nothing goes out.
        let over = payload(limit as usize + 1);
        eprintln!("the panic below is the sender's expected refusal:");
        let refused = std::panic::catch_unwind(AssertUnwindSafe(|| {
            b_send.send(Recipients::One(a.clone()), over.clone(), false)
        }))
        .expect_err("the node sent a message over its limit");
        let reason = refused
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| refused.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert_eq!(
            reason,
            format!("message too large: {} > {limit}", limit + 1)
        );
        assert_eq!(
            recv_within(&context, &mut a_recv, Duration::from_secs(2)).await,
            None,
            "something reached the peer"
        );

        // One byte more, to the node: it drops the message and the connection, counts an
        // invalid message from the peer, and delivers nothing.
        assert_eq!(invalid_from(&context, "b", &a), 0);
        assert!(
            !a_send
                .send(Recipients::One(b.clone()), over, false)
                .is_empty()
        );
        assert_eq!(
            recv_within(&context, &mut b_recv, Duration::from_secs(3)).await,
            None,
            "the node accepted a message over its limit"
        );
        assert_eq!(
            invalid_from(&context, "b", &a),
            1,
            "the oversized message was not refused as invalid"
        );

        // The peers reconnect; the next message (at the limit again) gets through, and it
        // is the first thing the node receives after the oversized one.
        let after = payload(limit as usize);
        let (from, got) = deliver(&context, &mut a_send, &b, &mut b_recv, &after).await;
        assert_eq!((from, got.len()), (a.clone(), limit as usize));
        assert_eq!(got, after);
        assert_eq!(invalid_from(&context, "b", &a), 1);
    });
}

/// The configured limit must carry the largest block the chain allows; the defaults do.
#[test]
fn the_default_message_limit_carries_the_largest_default_block() {
    let limits = entente_chainspec::Limits::default();
    let needed = p2p::message_bytes_needed(&limits);
    assert!(needed > limits.block_txs_bytes_max as u64);
    assert!(u64::from(NodeConfig::default().p2p.message_bytes_max) >= needed);
    // The smallest limit the config accepts (64 KiB) does not: launch refuses it.
    assert!(64 * 1024 < needed);
}

/// The messages `node`'s network slowed down from `peer` (over its per-channel rate).
fn rate_limited_from(context: &tokio::Context, node: &str, peer: &ed25519::PublicKey) -> u64 {
    let peer = format!("peer=\"{peer}\"");
    context
        .encode()
        .lines()
        .filter(|line| line.starts_with(&format!("{node}_p2p_")))
        .filter(|line| line.contains("messages_rate_limited") && !line.starts_with('#'))
        .filter(|line| line.contains(&peer))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// `p2p.rates` at its edge, on the node's own network over 127.0.0.1: a peer may send a
/// burst of exactly its rate on a channel unhindered; beyond it, the node slows that
/// peer to the rate — every message still arrives, in order, but no faster — and counts
/// each slowed message.
#[test]
fn p2p_peer_rate_holds_at_its_edge() {
    const RATE: u32 = 20;
    let mut config = NodeConfig::default();
    config.p2p.rates.txs = RATE;
    config.validate().expect("a valid node config");
    let base = free_ports();
    let (a_addr, b_addr): (SocketAddr, SocketAddr) = (
        format!("127.0.0.1:{base}").parse().unwrap(),
        format!("127.0.0.1:{}", base + 1).parse().unwrap(),
    );
    let (a_key, b_key) = (ValidatorKey::from_seed(3), ValidatorKey::from_seed(4));
    let (a, b) = (a_key.public_key(), b_key.public_key());

    tokio::Runner::default().start(|context| async move {
        // B is the node under test (txs at RATE per second per peer); A is a peer with
        // the defaults, which sends as fast as it can.
        let limit = config.p2p.message_bytes_max;
        let (_b_network, _b_oracle, mut b_peers, b_channels) = p2p::start(
            &context.child("b"),
            b_key.0.clone(),
            b_addr,
            vec![(a.clone(), a_addr)],
            limit,
            &config.p2p.rates,
            config.consensus.mailbox_size,
        );
        let (_a_network, _a_oracle, mut a_peers, a_channels) = p2p::start(
            &context.child("a"),
            a_key.0.clone(),
            a_addr,
            vec![(b.clone(), b_addr)],
            limit,
            &NodeConfig::default().p2p.rates,
            config.consensus.mailbox_size,
        );
        let members = [&a, &b].map(|key| Member {
            key: key.clone(),
            fee_recipient: Address::ZERO,
            p2p: None,
        });
        a_peers.track(0, &members);
        b_peers.track(0, &members);
        let (mut a_send, _a_recv) = a_channels.txs;
        let (_b_send, mut b_recv) = b_channels.txs;
        deliver(&context, &mut a_send, &b, &mut b_recv, b"hello").await;
        // Let the connection's allowance refill completely.
        context.sleep(Duration::from_secs(2)).await;
        let slowed_before = rate_limited_from(&context, "b", &a);

        // A burst of exactly the rate: delivered at once, nothing slowed.
        let started = context.current();
        for i in 0..RATE {
            a_send.send(Recipients::One(b.clone()), i.to_be_bytes().to_vec(), false);
        }
        for i in 0..RATE {
            let got = recv_within(&context, &mut b_recv, Duration::from_secs(5)).await;
            assert_eq!(
                got,
                Some((a.clone(), i.to_be_bytes().to_vec())),
                "message {i}"
            );
        }
        let burst = context.current().duration_since(started).unwrap();
        assert!(
            burst < Duration::from_millis(750),
            "the burst took {burst:?}"
        );
        assert_eq!(rate_limited_from(&context, "b", &a), slowed_before);

        // Twice the rate more, at once: all of them arrive, in order, paced at the rate.
        let started = context.current();
        let extra = 2 * RATE;
        for i in RATE..RATE + extra {
            a_send.send(Recipients::One(b.clone()), i.to_be_bytes().to_vec(), false);
        }
        for i in RATE..RATE + extra {
            let got = recv_within(&context, &mut b_recv, Duration::from_secs(10)).await;
            assert_eq!(
                got,
                Some((a.clone(), i.to_be_bytes().to_vec())),
                "message {i}"
            );
        }
        let paced = context.current().duration_since(started).unwrap();
        // `extra` messages at RATE per second take extra/RATE seconds (a few of them may
        // ride on allowance regained while the burst was read).
        let floor = Duration::from_millis(u64::from(extra - 5) * 1000 / u64::from(RATE));
        assert!(
            paced >= floor,
            "{extra} messages over the rate took only {paced:?}"
        );
        assert!(paced < Duration::from_secs(10), "took {paced:?}");
        let slowed = rate_limited_from(&context, "b", &a) - slowed_before;
        assert!(
            slowed >= u64::from(extra - 5) && slowed <= u64::from(extra),
            "{slowed} messages counted as slowed of {extra} over the rate"
        );
        assert_eq!(
            recv_within(&context, &mut b_recv, Duration::from_millis(300)).await,
            None,
            "a message arrived twice"
        );
    });
}
