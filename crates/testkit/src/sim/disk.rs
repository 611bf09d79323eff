//! A slow disk: a wrapper around a validator's runtime context whose storage delays
//! every blob write, resize and sync (and, if asked, every read) by a fixed latency on
//! the runtime's clock while the fault is on.
//!
//! Every validator that runs the node runs it on a [`SlowDisk`] context over the
//! deterministic runtime's context; everything but storage is passed through unchanged.
//! The consensus journals and archives (simplex, marshal) live in that storage, so a slow
//! disk slows the validator's votes, its block persistence and its catch-up. The
//! validator's state store is a memory key-value map outside the runtime's storage and is
//! not slowed.
//!
//! The latency is a fixed duration per operation (drawn from the seed by the fault
//! plan), waited on the runtime's clock, so a run with a slow disk replays exactly.
//! A [`Disk`] outlives the validator's crashes and restarts (and a whole-runtime power
//! loss): a slow disk stays slow until it is healed.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use commonware_runtime::{
    Blob, BlobVersion, Clock, Error, Handle, IoBufs, IoBufsMut, Metrics, Name, ReadOptions,
    Spawner, Supervisor, WriteOptions,
    signal::Signal,
    telemetry::metrics::{Metric, Registered},
};
use governor::clock::{Clock as GovernorClock, ReasonablyRealtime};
use rand_core::{TryCryptoRng, TryRng};

/// How slow a slow disk is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slowness {
    /// Added to every write, resize and sync (a write that asks for durability pays it
    /// twice).
    pub latency: Duration,
    /// Whether reads pay it too.
    pub reads: bool,
}

/// What a slow disk did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    /// Operations that were delayed.
    pub delayed: u64,
    /// Total delay added.
    pub delay: Duration,
}

#[derive(Default)]
struct DiskState {
    slowness: Option<Slowness>,
    stats: DiskStats,
}

/// One validator's disk: healthy, or slowed down. Cloning shares it.
#[derive(Clone, Default)]
pub struct Disk(Arc<Mutex<DiskState>>);

impl Disk {
    /// Slows every later operation down (operations in flight keep their delay).
    pub fn slow_down(&self, slowness: Slowness) {
        self.0.lock().expect("disk state").slowness = Some(slowness);
    }

    /// Back to full speed.
    pub fn heal(&self) {
        self.0.lock().expect("disk state").slowness = None;
    }

    /// The current slowness, if the disk is slow.
    pub fn slowness(&self) -> Option<Slowness> {
        self.0.lock().expect("disk state").slowness
    }

    /// What the disk delayed so far.
    pub fn stats(&self) -> DiskStats {
        self.0.lock().expect("disk state").stats
    }

    /// The delay of one operation (`read` or not), counted.
    fn delay(&self, read: bool, times: u32) -> Option<Duration> {
        let mut state = self.0.lock().expect("disk state");
        let slowness = state.slowness?;
        if read && !slowness.reads {
            return None;
        }
        let delay = slowness.latency * times;
        state.stats.delayed += 1;
        state.stats.delay += delay;
        Some(delay)
    }
}

/// A runtime context whose storage is `disk`; everything else is `inner`'s.
pub struct SlowDisk<E> {
    inner: E,
    disk: Disk,
    /// Waits out the delays of the blobs opened through this context.
    clock: Arc<E>,
}

impl<E: Supervisor> SlowDisk<E> {
    pub fn new(inner: E, disk: Disk) -> Self {
        let clock = Arc::new(inner.child("disk"));
        Self { inner, disk, clock }
    }
}

impl<E: Supervisor> Supervisor for SlowDisk<E> {
    fn name(&self) -> Name {
        self.inner.name()
    }

    fn child(&self, label: &'static str) -> Self {
        Self {
            inner: self.inner.child(label),
            disk: self.disk.clone(),
            clock: self.clock.clone(),
        }
    }

    fn with_attribute(self, key: &'static str, value: impl std::fmt::Display) -> Self {
        Self {
            inner: self.inner.with_attribute(key, value),
            disk: self.disk,
            clock: self.clock,
        }
    }
}

impl<E: Spawner> Spawner for SlowDisk<E> {
    fn shared(mut self, blocking: bool) -> Self {
        self.inner = self.inner.shared(blocking);
        self
    }

    fn dedicated(mut self) -> Self {
        self.inner = self.inner.dedicated();
        self
    }

    fn spawn<F, Fut, T>(self, f: F) -> Handle<T>
    where
        F: FnOnce(Self) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let (disk, clock) = (self.disk, self.clock);
        self.inner
            .spawn(move |inner| f(Self { inner, disk, clock }))
    }

    async fn stop(self, value: i32, timeout: Option<Duration>) -> Result<(), Error> {
        self.inner.stop(value, timeout).await
    }

    fn stopped(&self) -> Signal {
        self.inner.stopped()
    }
}

impl<E: Metrics> Metrics for SlowDisk<E> {
    fn register<N: Into<String>, H: Into<String>, M: Metric>(
        &self,
        name: N,
        help: H,
        metric: M,
    ) -> Registered<M> {
        self.inner.register(name, help, metric)
    }

    fn encode(&self) -> String {
        self.inner.encode()
    }
}

impl<E: Clock> Clock for SlowDisk<E> {
    fn current(&self) -> std::time::SystemTime {
        self.inner.current()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static + use<E> {
        self.inner.sleep(duration)
    }

    fn sleep_until(
        &self,
        deadline: std::time::SystemTime,
    ) -> impl Future<Output = ()> + Send + 'static + use<E> {
        self.inner.sleep_until(deadline)
    }
}

impl<E: Clock> GovernorClock for SlowDisk<E> {
    type Instant = std::time::SystemTime;

    fn now(&self) -> Self::Instant {
        self.current()
    }
}

impl<E: Clock> ReasonablyRealtime for SlowDisk<E> {}

impl<E: TryRng> TryRng for SlowDisk<E> {
    type Error = E::Error;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.inner.try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.inner.try_next_u64()
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        self.inner.try_fill_bytes(dest)
    }
}

impl<E: TryCryptoRng> TryCryptoRng for SlowDisk<E> {}

impl<E: commonware_runtime::Network> commonware_runtime::Network for SlowDisk<E> {
    type Listener = E::Listener;

    async fn bind(&self, socket: SocketAddr) -> Result<Self::Listener, Error> {
        self.inner.bind(socket).await
    }

    async fn dial(
        &self,
        socket: SocketAddr,
    ) -> Result<
        (
            commonware_runtime::SinkOf<Self>,
            commonware_runtime::StreamOf<Self>,
        ),
        Error,
    > {
        self.inner.dial(socket).await
    }
}

impl<E: commonware_runtime::Storage + Clock> commonware_runtime::Storage for SlowDisk<E> {
    type Blob = SlowBlob<E::Blob, E>;

    async fn open_versioned(
        &self,
        partition: &str,
        name: &[u8],
        versions: std::ops::RangeInclusive<BlobVersion>,
    ) -> Result<(Self::Blob, u64, BlobVersion), Error> {
        let (inner, len, version) = self.inner.open_versioned(partition, name, versions).await?;
        let blob = SlowBlob {
            inner,
            disk: self.disk.clone(),
            clock: self.clock.clone(),
        };
        Ok((blob, len, version))
    }

    async fn remove(&self, partition: &str, name: Option<&[u8]>) -> Result<(), Error> {
        self.inner.remove(partition, name).await
    }

    async fn scan(&self, partition: &str) -> Result<Vec<Vec<u8>>, Error> {
        self.inner.scan(partition).await
    }
}

/// A blob of a [`SlowDisk`]: each operation first waits out the disk's latency.
pub struct SlowBlob<B, C> {
    inner: B,
    disk: Disk,
    clock: Arc<C>,
}

impl<B, C: Clock> SlowBlob<B, C> {
    async fn wait(&self, read: bool, times: u32) {
        if let Some(delay) = self.disk.delay(read, times) {
            self.clock.sleep(delay).await;
        }
    }
}

// `read_many` and `start_read_many` keep the trait's defaults, which read through
// `read_at` (so they are delayed like it).
impl<B: Blob, C: Clock> Blob for SlowBlob<B, C> {
    async fn read_at_buf(
        &self,
        offset: u64,
        len: usize,
        bufs: impl Into<IoBufsMut> + Send,
        options: ReadOptions,
    ) -> Result<IoBufsMut, Error> {
        self.wait(true, 1).await;
        self.inner.read_at_buf(offset, len, bufs, options).await
    }

    async fn read_at(
        &self,
        offset: u64,
        len: usize,
        options: ReadOptions,
    ) -> Result<IoBufsMut, Error> {
        self.wait(true, 1).await;
        self.inner.read_at(offset, len, options).await
    }

    async fn write_at(
        &self,
        offset: u64,
        bufs: impl Into<IoBufs> + Send,
        options: WriteOptions,
    ) -> Result<(), Error> {
        let times = if options.contains(WriteOptions::SYNC) {
            2
        } else {
            1
        };
        self.wait(false, times).await;
        self.inner.write_at(offset, bufs, options).await
    }

    async fn resize(&self, len: u64) -> Result<(), Error> {
        self.wait(false, 1).await;
        self.inner.resize(len).await
    }

    async fn sync(&self) -> Result<(), Error> {
        self.wait(false, 1).await;
        self.inner.sync().await
    }

    /// A slow disk accepts the sync late (its queue is full), then syncs as usual.
    async fn start_sync(&self) -> Handle<()> {
        self.wait(false, 1).await;
        self.inner.start_sync().await
    }
}
