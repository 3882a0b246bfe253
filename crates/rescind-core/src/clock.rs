//! Where a client reads the time for its rules: [`Clock`].
//!
//! A provider rule that depends on the time (Di: an order is in transit from the day before
//! its desired delivery date, a pick-up shipment until 23:00 the day before) reads the client's
//! clock, never the system time directly, so a test against a simulator whose clock is fixed
//! gets the answer the simulator would give.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;

/// The time source of a client: the system clock by default ([`Clock::system`]), a fixed
/// time ([`Clock::fixed`]), or any function ([`Clock::from_fn`], e.g. a simulator's clock).
/// Cheap to clone.
///
/// ```
/// use rescind_core::Clock;
/// use rescind_core::jiff::Timestamp;
///
/// let t: Timestamp = "2026-11-30T08:00:00Z".parse().unwrap();
/// assert_eq!(Clock::fixed(t).now(), t);
/// let ticking = Clock::from_fn(move || t);
/// assert_eq!(ticking.now(), t);
/// assert!(Clock::default().now() > t - rescind_core::jiff::SignedDuration::from_hours(24 * 365 * 10));
/// ```
#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    fixed: Option<Timestamp>,
}

impl Clock {
    /// The system clock ([`Timestamp::now`]): the default.
    pub fn system() -> Clock {
        Clock {
            now: Arc::new(Timestamp::now),
            fixed: None,
        }
    }

    /// A clock stopped at `at`.
    pub fn fixed(at: Timestamp) -> Clock {
        Clock {
            now: Arc::new(move || at),
            fixed: Some(at),
        }
    }

    /// A clock that asks `now` every time (a simulator's clock, a test's).
    pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Clock {
        Clock {
            now: Arc::new(now),
            fixed: None,
        }
    }

    /// Now, by this clock.
    pub fn now(&self) -> Timestamp {
        (self.now)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed {
            Some(at) => write!(f, "Clock::fixed({at})"),
            None => f.write_str("Clock"),
        }
    }
}
