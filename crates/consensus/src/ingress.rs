//! How transactions enter a node: submission (from the RPC or REST door) and gossip.
//!
//! A submitted transaction is decoded, its sender recovered once, checked against the
//! committed state, pooled, and queued for gossip. Gossip sends batches to every other
//! validator so that whichever node leads the next view has it; a receiving node does
//! the same checks (it must not trust its peers) but does not forward again — the
//! validator set is fully connected.

use std::{collections::HashMap, sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use commonware_cryptography::ed25519;
use commonware_macros::select;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Handle, Metrics, Spawner};
use entente_execution::{BlockEnv, TxRejection, validate};
use entente_primitives::{RecoveredTx, TxError};
use entente_storage::{Account, StateBase, StateView, StorageError};
use entente_txpool::{PoolError, SeenCache};
use futures::{StreamExt as _, channel::mpsc};
use parking_lot::Mutex;
use thiserror::Error;
use tracing::{debug, warn};

use crate::Chain;

/// Most transactions in one gossip message.
pub const GOSSIP_BATCH_TXS_MAX: usize = 512;
/// How long submitted transactions wait to be batched before gossip.
const GOSSIP_FLUSH_MS: u64 = 10;
/// Transactions queued for gossip before submissions are refused as overload.
const GOSSIP_QUEUE_MAX: usize = 65_536;
/// Recently seen transaction hashes remembered to skip duplicates from several peers.
const SEEN_CAPACITY: usize = 200_000;

/// Why a submitted transaction was refused. Each maps to a standard JSON-RPC error.
#[derive(Debug, Error)]
pub enum SubmitError {
    #[error(transparent)]
    Decode(#[from] TxError),
    #[error(transparent)]
    Rejected(#[from] TxRejection),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("node is overloaded: gossip queue full")]
    Overloaded,
    #[error("node storage failure: {0}")]
    Storage(String),
}

/// The entry point for new transactions on one node.
#[derive(Clone)]
pub struct TxIngress {
    chain: Arc<Chain>,
    outbound: mpsc::Sender<Bytes>,
    seen: Arc<Mutex<SeenCache>>,
}

/// The gossip side of [`TxIngress`], started with the node's network channel.
pub struct Gossip {
    chain: Arc<Chain>,
    outbound: mpsc::Receiver<Bytes>,
    seen: Arc<Mutex<SeenCache>>,
}

impl TxIngress {
    pub fn new(chain: Arc<Chain>) -> (Self, Gossip) {
        let (sender, receiver) = mpsc::channel(GOSSIP_QUEUE_MAX);
        let seen = Arc::new(Mutex::new(SeenCache::new(SEEN_CAPACITY)));
        (
            Self {
                chain: chain.clone(),
                outbound: sender,
                seen: seen.clone(),
            },
            Gossip {
                chain,
                outbound: receiver,
                seen,
            },
        )
    }

    /// Validates and pools a raw signed transaction, then queues it for gossip.
    pub fn submit(&self, raw: Bytes) -> Result<B256, SubmitError> {
        let spec = self.chain.spec();
        let tx = RecoveredTx::decode(raw, spec.chain_id, spec.limits.tx_bytes_max)?;
        let hash = tx.hash;
        admit(&self.chain, tx.clone())?;
        self.seen.lock().insert(hash);
        self.outbound
            .clone()
            .try_send(tx.raw)
            .map_err(|_| SubmitError::Overloaded)?;
        Ok(hash)
    }
}

/// Checks `tx` against the committed state and adds it to the pool.
fn admit(chain: &Chain, tx: RecoveredTx) -> Result<(), SubmitError> {
    if chain.pool().contains(&tx.hash) {
        return Err(PoolError::AlreadyKnown.into());
    }
    let store = chain.store();
    let head = store
        .head()
        .map_err(|err| SubmitError::Storage(err.to_string()))?
        .ok_or_else(|| SubmitError::Storage("no genesis".into()))?;
    let committed = store.view(&StateBase::committed(head.height));
    let view = HeadView {
        view: &committed,
        height: head.height,
        reads: &chain.door_reads,
    };
    let spec = chain.spec();
    let env = BlockEnv {
        number: head.height + 1,
        timestamp_secs: head.timestamp_ms / 1000,
        coinbase: Default::default(),
        gas_limit: spec.gas.block_gas_limit,
        base_fee: spec.gas.min_gas_price,
        prevrandao: head.hash,
        chain_id: spec.chain_id,
    };
    let account_nonce = view
        .account(&tx.sender)
        .map_err(|err| SubmitError::Storage(err.to_string()))?
        .map(|a| a.nonce)
        .unwrap_or_default();
    // A nonce ahead of the account's waits in the pool (bounded by the nonce gap), so
    // check everything else as if its predecessors had run.
    let ahead = AheadNonce {
        view: &view,
        sender: tx.sender,
        nonce: tx.nonce().max(account_nonce),
    };
    validate(&ahead, &env, chain.modules().as_ref(), &tx)?;
    chain.pool().insert(tx, account_nonce)?;
    Ok(())
}

/// Most slots [`HeadReads`] keeps before it starts over.
const HEAD_READS_MAX: usize = 65_536;

/// Storage slots read at one committed height. Every transaction's admission reads the
/// same registry and supervision slots (permissioning, freezes); the state at a committed
/// height never changes, so they are read once per head.
#[derive(Default)]
pub(crate) struct HeadReads {
    height: u64,
    slots: HashMap<(Address, U256), U256>,
}

/// The committed state at `height`, its storage reads shared through `reads`.
struct HeadView<'a, V: StateView> {
    view: &'a V,
    height: u64,
    reads: &'a Mutex<HeadReads>,
}

impl<V: StateView> StateView for HeadView<'_, V> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        self.view.account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        {
            let reads = self.reads.lock();
            if reads.height == self.height
                && let Some(value) = reads.slots.get(&(*address, *slot))
            {
                return Ok(*value);
            }
        }
        let value = self.view.storage(address, slot)?;
        let mut reads = self.reads.lock();
        if self.height > reads.height || reads.slots.len() >= HEAD_READS_MAX {
            reads.height = self.height.max(reads.height);
            reads.slots.clear();
        }
        if reads.height == self.height {
            reads.slots.insert((*address, *slot), value);
        }
        Ok(value)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        self.view.code(code_hash)
    }
}

/// A state view in which one sender's nonce is raised to `nonce`.
struct AheadNonce<'a, V: StateView> {
    view: &'a V,
    sender: alloy_primitives::Address,
    nonce: u64,
}

impl<V: StateView> StateView for AheadNonce<'_, V> {
    fn account(
        &self,
        address: &alloy_primitives::Address,
    ) -> Result<Option<entente_storage::Account>, entente_storage::StorageError> {
        let account = self.view.account(address)?;
        if *address != self.sender {
            return Ok(account);
        }
        let mut account = account.unwrap_or_default();
        account.nonce = self.nonce;
        Ok(Some(account))
    }

    fn storage(
        &self,
        address: &alloy_primitives::Address,
        slot: &alloy_primitives::U256,
    ) -> Result<alloy_primitives::U256, entente_storage::StorageError> {
        self.view.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, entente_storage::StorageError> {
        self.view.code(code_hash)
    }
}

/// Encodes a gossip batch: `count u32 ‖ (len u32 ‖ bytes)*`.
pub fn encode_batch(txs: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + txs.iter().map(|tx| tx.len() + 4).sum::<usize>());
    out.extend_from_slice(&(txs.len() as u32).to_be_bytes());
    for tx in txs {
        out.extend_from_slice(&(tx.len() as u32).to_be_bytes());
        out.extend_from_slice(tx);
    }
    out
}

/// Decodes a gossip batch, refusing anything malformed or over the limits.
pub fn decode_batch(mut bytes: &[u8], tx_bytes_max: usize) -> Option<Vec<Bytes>> {
    let take_u32 = |bytes: &mut &[u8]| -> Option<usize> {
        let (head, rest) = bytes.split_first_chunk::<4>()?;
        *bytes = rest;
        Some(u32::from_be_bytes(*head) as usize)
    };
    let count = take_u32(&mut bytes)?;
    if count == 0 || count > GOSSIP_BATCH_TXS_MAX {
        return None;
    }
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        let len = take_u32(&mut bytes)?;
        if len == 0 || len > tx_bytes_max || len > bytes.len() {
            return None;
        }
        txs.push(Bytes::copy_from_slice(&bytes[..len]));
        bytes = &bytes[len..];
    }
    bytes.is_empty().then_some(txs)
}

impl Gossip {
    /// Runs the gossip loop over one p2p channel.
    pub fn start<E, S, R>(mut self, context: E, (mut sender, mut receiver): (S, R)) -> Handle<()>
    where
        E: Spawner + Clock + Metrics,
        S: Sender<PublicKey = ed25519::PublicKey>,
        R: Receiver<PublicKey = ed25519::PublicKey>,
    {
        context.spawn(move |context| async move {
            let tx_bytes_max = self.chain.spec().limits.tx_bytes_max;
            let mut batch: Vec<Bytes> = Vec::new();
            loop {
                select! {
                    next = self.outbound.next() => {
                        let Some(tx) = next else { return };
                        batch.push(tx);
                        // Gather what else is queued, up to a batch.
                        while batch.len() < GOSSIP_BATCH_TXS_MAX {
                            match self.outbound.try_recv() {
                                Ok(tx) => batch.push(tx),
                                _ => break,
                            }
                        }
                        if batch.len() < GOSSIP_BATCH_TXS_MAX {
                            context.sleep(Duration::from_millis(GOSSIP_FLUSH_MS)).await;
                            while batch.len() < GOSSIP_BATCH_TXS_MAX {
                                match self.outbound.try_recv() {
                                    Ok(tx) => batch.push(tx),
                                    _ => break,
                                }
                            }
                        }
                        let message = encode_batch(&batch);
                        sender.send(Recipients::All, message, false);
                        batch.clear();
                    },
                    message = receiver.recv() => {
                        let Ok((peer, bytes)) = message else { return };
                        let Some(txs) = decode_batch(bytes.as_ref(), tx_bytes_max) else {
                            warn!(?peer, "malformed transaction gossip");
                            continue;
                        };
                        let chain = self.chain.clone();
                        let seen = self.seen.clone();
                        let _ = context
                            .child("gossip_admit")
                            .shared(true)
                            .spawn(move |_| async move { admit_batch(&chain, &seen, txs) })
                            .await;
                    },
                }
            }
        })
    }
}

/// Decodes and admits gossiped transactions, skipping ones already seen.
fn admit_batch(chain: &Chain, seen: &Mutex<SeenCache>, txs: Vec<Bytes>) {
    let spec = chain.spec();
    for raw in txs {
        let hash = keccak256(&raw);
        if !seen.lock().insert(hash) {
            continue;
        }
        match RecoveredTx::decode(raw, spec.chain_id, spec.limits.tx_bytes_max) {
            Ok(tx) => {
                if let Err(err) = admit(chain, tx) {
                    debug!(%hash, %err, "gossiped transaction not admitted");
                }
            }
            Err(err) => debug!(%hash, %err, "undecodable gossiped transaction"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot `n` holds `n + value`; counts the storage reads that reach it.
    struct Counting {
        value: u64,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl StateView for Counting {
        fn account(&self, _: &Address) -> Result<Option<Account>, StorageError> {
            Ok(None)
        }
        fn storage(&self, _: &Address, slot: &U256) -> Result<U256, StorageError> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(*slot + U256::from(self.value))
        }
        fn code(&self, _: &B256) -> Result<Option<Bytes>, StorageError> {
            Ok(None)
        }
    }

    fn counting(value: u64) -> Counting {
        Counting {
            value,
            reads: Default::default(),
        }
    }

    fn read(view: &Counting, height: u64, reads: &Mutex<HeadReads>) -> U256 {
        let head = HeadView {
            view,
            height,
            reads,
        };
        head.storage(&Address::ZERO, &U256::from(1))
            .unwrap_or_default()
    }

    fn reached(view: &Counting) -> usize {
        view.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn door_reads_are_shared_within_a_head_and_never_across_heads() {
        let reads = Mutex::new(HeadReads::default());
        let (first, second) = (counting(100), counting(100));
        assert_eq!(read(&first, 5, &reads), U256::from(101));
        assert_eq!(read(&second, 5, &reads), U256::from(101));
        assert_eq!((reached(&first), reached(&second)), (1, 0));
        // A newer head reads its own state; an older one is served, not cached.
        let newer = counting(200);
        assert_eq!(read(&newer, 6, &reads), U256::from(201));
        let older = counting(100);
        assert_eq!(read(&older, 5, &reads), U256::from(101));
        assert_eq!(read(&older, 5, &reads), U256::from(101));
        assert_eq!(reached(&older), 2);
        assert_eq!(read(&counting(200), 6, &reads), U256::from(201));
    }

    #[test]
    fn batches_roundtrip_and_reject_garbage() {
        let txs = vec![Bytes::from_static(b"abc"), Bytes::from_static(b"d")];
        let bytes = encode_batch(&txs);
        assert_eq!(decode_batch(&bytes, 16).unwrap(), txs);
        assert!(decode_batch(&bytes, 2).is_none());
        assert!(decode_batch(&bytes[..bytes.len() - 1], 16).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_batch(&longer, 16).is_none());
        assert!(decode_batch(&[], 16).is_none());
        assert!(decode_batch(&encode_batch(&[]), 16).is_none());
    }
}
