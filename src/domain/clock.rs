//! The application's clock: what time it is for the code that decides what readers see (a post
//! scheduled for 09:00 is visible from 09:00 on).
//!
//! It is the wall clock plus an offset that starts at zero. Nothing in the running application
//! moves the offset; tests do, through [`Clock::advance`], to let time pass without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::Timestamp;

/// Wall-clock time plus a shared offset in seconds (zero unless a test moved it). Managed as
/// Rocket state by `folio::rocket`; clones share one offset, so a test holding a clone moves
/// the application's time too.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// A clock that reads the wall clock ([`super::now`]).
    pub fn new() -> Clock {
        Clock::default()
    }

    /// The current time as this clock tells it: [`super::now`] plus the offset, in Unix seconds.
    pub fn now(&self) -> Timestamp {
        super::now().saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) `seconds` ahead; negative moves it back.
    /// For tests only: the application never calls it, so in production the offset stays zero.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wall_clock_until_advanced_and_clones_share_the_offset() {
        let clock = Clock::new();
        let shared = clock.clone();
        let before = super::super::now();
        assert!((before..=before + 1).contains(&clock.now()));
        shared.advance(3600);
        let now = clock.now();
        assert!((before + 3600..=super::super::now() + 3600).contains(&now), "{now}");
    }
}
