//! The simulator's clock: real by default, settable so that time rules are tested without
//! waiting.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// The time the simulator's rules see. Cheap to clone; clones share the setting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Arc<Mutex<Option<Timestamp>>>,
}

impl Clock {
    /// A clock that follows the system time.
    pub fn real() -> Self {
        Clock::default()
    }

    /// A clock stopped at `now` until it is set, advanced or made real again.
    pub fn fixed(now: Timestamp) -> Self {
        let clock = Clock::default();
        clock.set(now);
        clock
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.lock().unwrap_or_else(Timestamp::now)
    }

    /// Stops the clock at `now`.
    pub fn set(&self, now: Timestamp) {
        *self.fixed.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// Moves a stopped clock forward (or back, with a negative duration). A real clock is
    /// first stopped at the current time.
    pub fn advance(&self, by: SignedDuration) {
        let now = self.now();
        self.set(now.saturating_add(by).unwrap_or(now));
    }

    /// Lets the clock follow the system time again.
    pub fn make_real(&self) {
        *self.fixed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether the clock is stopped.
    pub fn is_fixed(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> Option<Timestamp> {
        *self.fixed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_is_set_and_advanced() {
        let t0: Timestamp = "2026-03-29T00:30:00Z".parse().unwrap();
        let clock = Clock::fixed(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(SignedDuration::from_hours(2));
        assert_eq!(
            clock.now(),
            "2026-03-29T02:30:00Z".parse::<Timestamp>().unwrap()
        );
        let shared = clock.clone();
        shared.make_real();
        assert!(!clock.is_fixed());
    }
}
