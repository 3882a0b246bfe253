//! Where a run reads the time and waits: [`Clock`], the wall clock by default
//! ([`SystemClock`]), or one a test moves by hand ([`ManualClock`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rescind_core::jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// A boxed future, as [`Clock::sleep_until`] returns.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The time a run stamps its journal records with, and waits on for rows still in flight.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;

    /// Resolves once [`now`](Clock::now) is at or after `at`.
    fn sleep_until(&self, at: Timestamp) -> Sleep<'_>;
}

/// The system's wall clock; waits with tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep<'_> {
        Box::pin(async move {
            loop {
                let left = at.duration_since(Timestamp::now());
                if left <= SignedDuration::ZERO {
                    return;
                }
                // The wall clock may jump: sleep at most a minute, then look again.
                let step = Duration::try_from(left)
                    .unwrap_or(Duration::ZERO)
                    .min(Duration::from_secs(60));
                tokio::time::sleep(step).await;
            }
        })
    }
}

/// A clock that moves only when told ([`ManualClock::advance`], [`ManualClock::set`]): for
/// tests of what a run does before and after a time. Cheap to clone; clones share the time.
///
/// ```
/// use std::time::Duration;
/// use rescind::bulk::{Clock, ManualClock};
///
/// let clock = ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap());
/// clock.advance(Duration::from_secs(300));
/// assert_eq!(clock.now().to_string(), "2026-11-30T08:05:00Z");
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    time: Arc<watch::Sender<Timestamp>>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            time: Arc::new(watch::Sender::new(start)),
        }
    }

    /// Moves the clock forward by `by`, waking whatever waits for a time now reached.
    pub fn advance(&self, by: Duration) {
        let by = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        self.time
            .send_modify(|t| *t = t.checked_add(by).unwrap_or(Timestamp::MAX));
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.time.send_replace(at);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.time.borrow()
    }

    fn sleep_until(&self, at: Timestamp) -> Sleep<'_> {
        let mut rx = self.time.subscribe();
        Box::pin(async move {
            // Only fails once every sender is gone, which `self` prevents.
            let _ = rx.wait_for(|now| *now >= at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_sleepers_when_advanced_past_their_time() {
        let clock = ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap());
        let at: Timestamp = "2026-11-30T08:05:00Z".parse().unwrap();
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(at).await })
        };
        clock.advance(Duration::from_secs(299));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        sleeper.await.unwrap();
        assert_eq!(clock.now(), at);
        // A time already passed does not wait.
        clock.sleep_until(at).await;
    }
}
