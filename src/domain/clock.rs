//! Time as a value that can be swapped: the wall clock in production, a settable clock for
//! tests and for training sessions replayed on a controlled clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Seconds since the Unix epoch, the unit of EC1 claims.
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Time since some fixed moment that nobody can set back: what tells a wall clock set
    /// back from time passing (`domain::lane_time`). The process's monotonic clock unless
    /// the clock is simulated.
    fn monotonic(&self) -> std::time::Duration {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Cloning shares the same time. `advance` is time
/// passing (its monotonic clock moves too); `set` is someone setting the wall clock (its
/// monotonic clock does not move).
#[derive(Debug, Clone)]
pub struct ManualClock {
    millis: Arc<AtomicI64>,
    mono_millis: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            millis: Arc::new(AtomicI64::new(at.timestamp_millis())),
            mono_millis: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.millis.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.millis
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
        self.mono_millis
            .fetch_add(by.num_milliseconds().max(0), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst))
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    fn monotonic(&self) -> std::time::Duration {
        let ms = self.mono_millis.load(Ordering::SeqCst);
        std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }
}

/// A training session's clock: virtual time that runs with the wall clock from a chosen
/// start, stops while the trainer pauses, and can be set off by a skew (a lane whose
/// clock is wrong) without moving the service's time.
#[derive(Debug)]
pub struct VirtualClock {
    /// (wall instant, virtual time at that instant, paused)
    anchor: std::sync::Mutex<(std::time::Instant, DateTime<Utc>, bool)>,
    /// Virtual time only moves forward: time since the start is its monotonic clock.
    start: DateTime<Utc>,
}

impl VirtualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            anchor: std::sync::Mutex::new((std::time::Instant::now(), start, false)),
            start,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (std::time::Instant, DateTime<Utc>, bool)> {
        self.anchor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops (`true`) or restarts (`false`) virtual time.
    pub fn set_paused(&self, paused: bool) {
        let mut a = self.lock();
        let now = Self::at(&a);
        *a = (std::time::Instant::now(), now, paused);
    }

    pub fn paused(&self) -> bool {
        self.lock().2
    }

    /// Moves virtual time forward (a paused clock stays paused): how a session graded
    /// headless jumps to its next step.
    pub fn advance(&self, by: chrono::TimeDelta) {
        let mut a = self.lock();
        let now = Self::at(&a) + by;
        *a = (std::time::Instant::now(), now, a.2);
    }

    fn at(a: &(std::time::Instant, DateTime<Utc>, bool)) -> DateTime<Utc> {
        if a.2 {
            a.1
        } else {
            a.1 + chrono::TimeDelta::from_std(a.0.elapsed()).unwrap_or_default()
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        Self::at(&self.lock())
    }

    fn monotonic(&self) -> std::time::Duration {
        (self.now() - self.start).to_std().unwrap_or_default()
    }
}

/// Another clock, off by a settable number of seconds: the lane's view in a clock-skew drill.
#[derive(Debug)]
pub struct SkewedClock<C: Clock> {
    pub inner: Arc<C>,
    skew_secs: AtomicI64,
}

impl<C: Clock> SkewedClock<C> {
    pub fn new(inner: Arc<C>) -> Self {
        Self {
            inner,
            skew_secs: AtomicI64::new(0),
        }
    }

    pub fn set_skew(&self, secs: i64) {
        self.skew_secs.store(secs, Ordering::SeqCst);
    }
}

impl<C: Clock> Clock for SkewedClock<C> {
    fn now(&self) -> DateTime<Utc> {
        self.inner.now() + chrono::TimeDelta::seconds(self.skew_secs.load(Ordering::SeqCst))
    }

    /// A skew is a wall clock set wrong: the time that passes is the inner clock's.
    fn monotonic(&self) -> std::time::Duration {
        self.inner.monotonic()
    }
}

/// The date at the control points (UTC+8), which document dates are in.
pub fn local_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&offset).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let clock = ManualClock::new(start);
        let other = clock.clone();
        assert_eq!(clock.unix(), 1_800_000_000);
        other.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.unix(), 1_800_000_090);
        clock.set(start);
        assert_eq!(other.now(), start);
    }
}
