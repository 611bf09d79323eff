//! The marshal [`Application`]: proposes and verifies blocks for simplex.
//!
//! Marshal's inline wrapper fetches the parent, checks height and parent linkage, and
//! calls in here with the ancestry; this module makes sure the parent's state is known
//! (executing ancestors this node has not seen, e.g. after a restart), then hands the
//! CPU work to [`Chain`] on a blocking-friendly thread.

use std::{
    marker::PhantomData,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use commonware_consensus::{
    Application, marshal::ancestry::Ancestry, simplex::types::Context as SimplexContext,
};
use commonware_cryptography::{Digested, Digestible as _, ed25519};
use commonware_macros::select;
use commonware_runtime::{Clock, Metrics, Spawner};
use entente_primitives::{Block, BlockDigest};
use futures::StreamExt as _;
use tracing::{debug, error, info, warn};

use crate::{Chain, ChainError, Scheme};

/// Deepest chain of unknown ancestors this node will execute to catch up on a proposal.
/// Deeper gaps are filled by marshal's finalised-block sync instead.
const CATCH_UP_DEPTH_MAX: usize = 1024;

/// TEST HOOK, never set in production: rewrites every block this validator proposes.
///
/// It receives the parent and the honest block (already built and executed by this
/// node) and returns the block to propose instead. The deterministic simulation uses it
/// to make a byzantine proposer (wrong state root, unauthorised or oversized content,
/// replayed transactions); honest validators must reject whatever it returns unless it
/// is valid. The returned block's digest is recomputed by the caller.
#[derive(Clone)]
pub struct ProposalMutator(Arc<MutateFn>);

/// Parent and honest block in, block to propose out.
type MutateFn = dyn Fn(&Block, Block) -> Block + Send + Sync;

impl ProposalMutator {
    pub fn new(f: impl Fn(&Block, Block) -> Block + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The block to propose on `parent` instead of the honest `block`.
    pub fn apply(&self, parent: &Block, block: Block) -> Block {
        (self.0)(parent, block)
    }
}

impl std::fmt::Debug for ProposalMutator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProposalMutator(..)")
    }
}

/// The consensus-facing application of one validator.
pub struct EntenteApp<E> {
    chain: Arc<Chain>,
    me: ed25519::PublicKey,
    mutator: Option<ProposalMutator>,
    _runtime: PhantomData<fn() -> E>,
}

impl<E> Clone for EntenteApp<E> {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            me: self.me.clone(),
            mutator: self.mutator.clone(),
            _runtime: PhantomData,
        }
    }
}

impl<E> EntenteApp<E> {
    pub fn new(chain: Arc<Chain>, me: ed25519::PublicKey) -> Self {
        Self {
            chain,
            me,
            mutator: None,
            _runtime: PhantomData,
        }
    }

    /// Installs the byzantine test hook (see [`ProposalMutator`]).
    pub fn with_proposal_mutator(mut self, mutator: Option<ProposalMutator>) -> Self {
        self.mutator = mutator;
        self
    }
}

/// Milliseconds since the Unix epoch on the runtime's clock (virtual in simulation).
pub fn now_ms(clock: &impl Clock) -> u64 {
    clock
        .current()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Sets its flag when dropped: the proposal it guards is no longer wanted.
#[derive(Default)]
struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs CPU-bound chain work off the async executor threads.
async fn blocking<E, T>(
    runtime: &E,
    name: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T>
where
    E: Spawner + Metrics,
    T: Send + 'static,
{
    runtime
        .child(name)
        .shared(true)
        .spawn(move |_| async move { f() })
        .await
        .ok()
}

impl<E> EntenteApp<E>
where
    E: Clock + Spawner + Metrics,
{
    /// Makes sure the state after `parent` is known, executing (and verifying) unknown
    /// ancestors from `ancestry` oldest first. Returns false if that is impossible.
    async fn ensure_executed(
        &self,
        runtime: &E,
        parent: &Digested<Block>,
        mut ancestry: impl Ancestry<Block>,
    ) -> bool {
        match self.chain.state_after(parent.inner()) {
            Ok(Some(_)) => return true,
            Ok(None) => {}
            Err(err) => {
                error!(%err, "cannot read parent state");
                return false;
            }
        }
        // Walk back to the newest ancestor whose state is known.
        let mut unknown = vec![parent.inner().clone()];
        loop {
            if unknown.len() > CATCH_UP_DEPTH_MAX {
                warn!(
                    depth = unknown.len(),
                    "too many unknown ancestors; waiting for sync"
                );
                return false;
            }
            let Some(ancestor) = ancestry.next().await else {
                return false;
            };
            match self.chain.state_after(ancestor.inner()) {
                Ok(Some(_)) => {
                    unknown.push(ancestor.inner().clone());
                    break;
                }
                Ok(None) => unknown.push(ancestor.inner().clone()),
                Err(_) => return false,
            }
        }
        debug!(count = unknown.len() - 1, "executing unknown ancestors");
        let chain = self.chain.clone();
        blocking(runtime, "catch_up", move || {
            // `unknown` runs newest first and ends with the known ancestor.
            for pair in unknown.windows(2).rev() {
                let (child, parent) = (&pair[0], &pair[1]);
                if let Err(err) = chain.execute(parent, child) {
                    warn!(%err, height = child.header.height, "ancestor failed to execute");
                    return false;
                }
            }
            true
        })
        .await
        .unwrap_or(false)
    }

    /// Waits until the block interval has passed and, if the pool is empty, a little
    /// longer for a transaction to arrive.
    async fn pace(&self, runtime: &E, parent: &Block) {
        let config = self.chain.config();
        let earliest = parent.header.timestamp_ms + config.block_interval_min_ms;
        let now = now_ms(runtime);
        if earliest > now {
            runtime.sleep(Duration::from_millis(earliest - now)).await;
        }
        // Register for the wake-up before checking, so an arrival in between is not missed.
        let arrivals = self.chain.pool().subscribe();
        let arrival = arrivals.notified();
        let mut arrival = std::pin::pin!(arrival);
        arrival.as_mut().enable();
        if self.chain.pool().is_empty() {
            select! {
                _ = arrival => {},
                _ = runtime.sleep(Duration::from_millis(config.empty_block_wait_ms)) => {},
            }
        }
    }
}

impl<E> Application<E> for EntenteApp<E>
where
    E: Clock + Spawner + Metrics + Send + Sync + 'static,
{
    type SigningScheme = Scheme;
    type Context = SimplexContext<BlockDigest, ed25519::PublicKey>;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        // The others' leader timeout runs from about now: the build budget counts from
        // here too, less the time spent deliberately waiting in `pace`.
        let requested = Instant::now();
        let parent = ancestry.next().await?;
        if !self.ensure_executed(&runtime, &parent, ancestry).await {
            return None;
        }
        let pacing = Instant::now();
        self.pace(&runtime, parent.inner()).await;
        let deadline = self
            .chain
            .config()
            .build_time_max
            .map(|budget| requested + budget + pacing.elapsed());
        let proposer = match self.chain.fee_recipient(parent.inner(), &self.me) {
            Ok(recipient) => recipient.unwrap_or_default(),
            Err(err) => {
                error!(%err, "cannot read this validator's fee recipient");
                return None;
            }
        };
        let now = now_ms(&runtime);
        let chain = self.chain.clone();
        let parent_block = parent.inner().clone();
        // Consensus drops this future when the view times out: the guard then tells the
        // build to stop rather than finish a block nobody will take.
        let abandoned = AbandonOnDrop::default();
        let flag = abandoned.0.clone();
        let built = blocking(&runtime, "build", move || {
            chain.build_until(&parent_block, proposer, now, deadline, &flag)
        })
        .await?;
        drop(abandoned);
        match built {
            Ok(executed) => {
                let mut block = executed.block.clone();
                if let Some(mutator) = &self.mutator {
                    block = mutator.apply(parent.inner(), block);
                    warn!(
                        height = block.header.height,
                        "proposal rewritten by test hook"
                    );
                }
                info!(
                    height = block.header.height,
                    txs = block.txs.len(),
                    round = %context.round,
                    ms = requested.elapsed().as_millis() as u64,
                    "proposed block"
                );
                let digest = block.digest();
                Some(Digested::precomputed(block, digest))
            }
            Err(ChainError::Abandoned) => None,
            Err(err) => {
                error!(%err, "failed to build a block");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        if !self.ensure_executed(&runtime, &parent, ancestry).await {
            // Not a verdict on the block: keep the request pending rather than vote no.
            std::future::pending::<()>().await;
        }
        let chain = self.chain.clone();
        let leader = context.leader.clone();
        let now = now_ms(&runtime);
        let candidate = block.inner().clone();
        let parent_block = parent.inner().clone();
        let verdict = blocking(&runtime, "verify", move || {
            chain.verify(&parent_block, &candidate, &leader, now)
        })
        .await;
        match verdict {
            Some(Ok(_)) => true,
            Some(Err(err)) if err.is_fatal() => {
                error!(%err, "cannot verify block: local failure");
                std::future::pending::<()>().await;
                false
            }
            Some(Err(err)) => {
                warn!(%err, height = block.inner().header.height, "rejected block");
                false
            }
            None => false,
        }
    }
}
