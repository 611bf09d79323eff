//! Commits finalised blocks in height order, then acknowledges them to marshal.
//!
//! Marshal delivers every finalised block at least once, in order, and waits for the
//! acknowledgement before it considers the block processed. Acknowledging only after
//! the store's atomic commit means a crash at any point loses nothing: marshal redelivers
//! what was not acknowledged, and a redelivered block that was already committed is
//! acknowledged again without writing (commit is idempotent).

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use alloy_primitives::Bytes;
use commonware_actor::Feedback;
use commonware_codec::Encode as _;
use commonware_consensus::{
    Heightable as _, Reporter,
    marshal::{Update, core::Mailbox, standard::Standard},
};
use commonware_runtime::{Handle, Metrics, Spawner};
use commonware_utils::Acknowledgement as _;
use entente_primitives::Block;
use futures::{StreamExt as _, channel::mpsc};
use tracing::{debug, error};

use crate::{Chain, Scheme};

/// The reporter marshal delivers finalised blocks to.
#[derive(Clone)]
pub struct FinalizerMailbox {
    sender: mpsc::UnboundedSender<Update<Block>>,
}

impl Reporter for FinalizerMailbox {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        // Unbounded here, but marshal bounds what is in flight: it holds back further
        // blocks until `max_pending_acks` earlier ones are acknowledged.
        match self.sender.unbounded_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

/// Heights the finaliser has seen, for status reporting.
#[derive(Default, Debug)]
pub struct FinalityStatus {
    /// Highest height known to be finalised by the network.
    pub finalized_tip: AtomicU64,
    /// Highest height committed to this node's store.
    pub committed: AtomicU64,
}

/// The actor that commits finalised blocks.
pub struct Finalizer {
    chain: Arc<Chain>,
    receiver: mpsc::UnboundedReceiver<Update<Block>>,
    status: Arc<FinalityStatus>,
    /// Heights committed, in order, for the epoch manager.
    committed: mpsc::UnboundedSender<u64>,
}

impl Finalizer {
    pub fn new(
        chain: Arc<Chain>,
        status: Arc<FinalityStatus>,
        committed: mpsc::UnboundedSender<u64>,
    ) -> (Self, FinalizerMailbox) {
        let (sender, receiver) = mpsc::unbounded();
        (
            Self {
                chain,
                receiver,
                status,
                committed,
            },
            FinalizerMailbox { sender },
        )
    }

    /// Runs until marshal goes away or a commit fails fatally (the handle then
    /// completes, which stops the node: it must not vote on a state it cannot keep).
    pub fn start<E: Spawner + Metrics>(
        mut self,
        context: E,
        marshal: Mailbox<Scheme, Standard<Block>>,
    ) -> Handle<()> {
        context.spawn(move |context| async move {
            while let Some(update) = self.receiver.next().await {
                match update {
                    Update::Tip(_, height, _) => {
                        self.status
                            .finalized_tip
                            .fetch_max(height.get(), Ordering::Relaxed);
                    }
                    Update::Block(block, ack) => {
                        let height = block.height().get();
                        let finalization: Option<Bytes> = marshal
                            .get_finalization(block.height())
                            .await
                            .map(|f| Bytes::from(f.encode().to_vec()));
                        let chain = self.chain.clone();
                        let inner = block.inner().clone();
                        let result = context
                            .child("commit")
                            .shared(true)
                            .spawn(move |_| async move { chain.commit(&inner, finalization) })
                            .await;
                        match result {
                            Ok(Ok(())) => {
                                self.status.committed.fetch_max(height, Ordering::Relaxed);
                                debug!(height, "committed block");
                                // The epoch manager may have stopped with the node.
                                let _ = self.committed.unbounded_send(height);
                                ack.acknowledge();
                            }
                            Ok(Err(err)) => {
                                error!(%err, height, "failed to commit a finalised block; stopping");
                                return;
                            }
                            Err(err) => {
                                error!(?err, height, "commit task failed; stopping");
                                return;
                            }
                        }
                    }
                }
            }
        })
    }
}
