//! The memory the whole process lets image work use at once. Each image upload reserves what
//! its decoding and resizing will need (known from the image's header) and the copies of its
//! bytes it makes until it is stored; beyond the budget, uploads queue for a while, then are
//! refused. Without it, four 11,999 × 11,999 PNGs uploaded at once took the process from 55 MB
//! to 3.2 GB on the development machine (bench/upload-memory.sh).

use std::sync::Arc;
use std::time::Duration;

use rocket::tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::media::Refusal;

const MIB: u64 = 1024 * 1024;

/// A process-wide budget for image work, shared by every request (managed state).
#[derive(Debug, Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    /// The whole budget, in MiB (one permit each).
    total: u32,
    wait: Duration,
}

/// Memory reserved for one piece of image work; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    /// A budget of `bytes` (rounded up to whole MiB), for which work waits at most `wait`.
    pub fn new(bytes: u64, wait: Duration) -> Budget {
        // At most 1 TiB, far below the semaphore's own limit.
        let total = u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX).min(1 << 20);
        Budget { permits: Arc::new(Semaphore::new(total as usize)), total, wait }
    }

    /// The whole budget, in bytes.
    pub fn total_bytes(&self) -> u64 {
        u64::from(self.total) * MIB
    }

    /// Reserves `bytes` for an image of `width` × `height` (upright, for the message). Work that
    /// needs more than the whole budget is refused at once; otherwise it waits its turn (first
    /// come, first served: a large image is not overtaken by small ones) for at most the
    /// configured wait, and is refused as [`Refusal::Busy`] after that.
    pub async fn reserve(&self, bytes: u64, width: u32, height: u32) -> Result<Reservation, Refusal> {
        let needed = u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX).max(1);
        if needed > self.total {
            return Err(Refusal::TooLargeToResize { width, height });
        }
        let acquire = Arc::clone(&self.permits).acquire_many_owned(needed);
        match rocket::tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(Reservation { _permit: permit }),
            // The semaphore is never closed; a closed one would mean no work can run.
            Ok(Err(_)) | Err(_) => Err(Refusal::Busy),
        }
    }

    /// MiB not reserved right now.
    pub fn available_mib(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn work_waits_its_turn_then_gives_up() {
        let budget = Budget::new(10 * MIB, Duration::from_millis(50));
        let held = budget.reserve(8 * MIB, 1, 1).await.expect("fits");
        assert_eq!(budget.available_mib(), 2);
        assert_eq!(budget.reserve(3 * MIB, 1, 1).await.err(), Some(Refusal::Busy));
        assert!(budget.reserve(2 * MIB, 1, 1).await.is_ok(), "what is left can be used");
        drop(held);
        assert_eq!(budget.available_mib(), 10, "given back");
        assert_eq!(
            budget.reserve(11 * MIB, 30, 20).await.err(),
            Some(Refusal::TooLargeToResize { width: 30, height: 20 })
        );
    }
}
