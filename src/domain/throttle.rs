//! Sign-in throttling rules: how many failures a window tolerates, and how long to wait after.

use crate::domain::Timestamp;

/// At most `limit` failures per `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub limit: i64,
    pub window: i64,
}

/// Per account: slows down guessing one person's password from anywhere.
pub const PER_ACCOUNT: Policy = Policy { limit: 5, window: 15 * 60 };
/// Per client address: slows down trying common passwords against many accounts.
pub const PER_ADDRESS: Policy = Policy { limit: 20, window: 15 * 60 };

impl Policy {
    /// Seconds until another attempt is allowed, given the failures inside the window and the
    /// time of the oldest of them; `None` when an attempt is allowed now.
    pub fn retry_after(&self, failures: i64, oldest: Option<Timestamp>, now: Timestamp) -> Option<u64> {
        if failures < self.limit {
            return None;
        }
        let wait = oldest.map_or(self.window, |oldest| oldest + self.window - now);
        Some(u64::try_from(wait.max(1)).unwrap_or(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_limit_until_the_oldest_failure_ages_out() {
        let p = Policy { limit: 3, window: 600 };
        assert_eq!(p.retry_after(2, Some(1000), 1100), None);
        assert_eq!(p.retry_after(3, Some(1000), 1100), Some(500));
        assert_eq!(p.retry_after(3, Some(1000), 1600), Some(1));
    }
}
