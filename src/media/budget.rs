//! The memory the whole process lets image uploads use at once. Each image upload reserves what
//! its bytes, its decoding and its resizing will need (known from the image's header) before it
//! reads its file into memory, and holds it until the file is stored; beyond the budget, uploads
//! queue for a while, then are refused. Without it, four 11,999 × 11,999 PNGs uploaded at once
//! took the process from 55 MB to 3.1 GB on the development machine (bench/upload-memory.sh).

use std::sync::Arc;
use std::time::Duration;

use rocket::tokio::sync::{OwnedSemaphorePermit, Semaphore};
use rocket::tokio::time::Instant;

const MIB: u64 = 1024 * 1024;

/// A process-wide budget for image work, shared by every request (managed state).
#[derive(Debug, Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    /// The whole budget, in MiB (one permit each).
    total: u32,
    wait: Duration,
}

/// Memory reserved for one upload; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: OwnedSemaphorePermit,
}

/// Why memory could not be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// More than the whole budget: it would never fit.
    Never,
    /// Not free before the deadline.
    Busy,
}

fn mib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX).max(1)
}

impl Budget {
    /// A budget of `bytes` (rounded up to whole MiB), for which work waits at most `wait`.
    pub fn new(bytes: u64, wait: Duration) -> Budget {
        // At most 1 TiB, far below the semaphore's own limit.
        let total = mib(bytes).min(1 << 20);
        Budget { permits: Arc::new(Semaphore::new(total as usize)), total, wait }
    }

    /// The whole budget, in bytes.
    pub fn total_bytes(&self) -> u64 {
        u64::from(self.total) * MIB
    }

    /// When work starting now stops waiting.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.wait
    }

    /// Reserves `bytes`, waiting until `deadline` at most. Waiters are served first come, first
    /// served, so a large upload is not overtaken by small ones forever.
    pub async fn reserve(&self, bytes: u64, deadline: Instant) -> Result<Reservation, Shortfall> {
        let needed = mib(bytes);
        if needed > self.total {
            return Err(Shortfall::Never);
        }
        let acquire = Arc::clone(&self.permits).acquire_many_owned(needed);
        match rocket::tokio::time::timeout_at(deadline, acquire).await {
            Ok(Ok(permit)) => Ok(Reservation { permit }),
            // The semaphore is never closed; a closed one would mean no work can run.
            Ok(Err(_)) | Err(_) => Err(Shortfall::Busy),
        }
    }

    /// `held` grown to `bytes` in all if that much is free now, without waiting: waiting while
    /// holding memory could leave every upload holding some and waiting for more. `Busy` gives
    /// `held` back; reserve the whole again with [`Budget::reserve`].
    pub fn try_grow(&self, mut held: Reservation, bytes: u64) -> Result<Reservation, Shortfall> {
        let needed = mib(bytes);
        if needed > self.total {
            return Err(Shortfall::Never);
        }
        let have = u32::try_from(held.permit.num_permits()).unwrap_or(u32::MAX);
        if needed > have {
            let more = Arc::clone(&self.permits).try_acquire_many_owned(needed - have);
            held.permit.merge(more.map_err(|_| Shortfall::Busy)?);
        }
        Ok(held)
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
        let held = budget.reserve(8 * MIB, budget.deadline()).await.expect("fits");
        assert_eq!(budget.available_mib(), 2);
        assert_eq!(budget.reserve(3 * MIB, budget.deadline()).await.err(), Some(Shortfall::Busy));
        let small = budget.reserve(MIB, budget.deadline()).await.expect("what is left can be used");
        let small = budget.try_grow(small, 2 * MIB).expect("grows into what is free");
        assert_eq!(budget.available_mib(), 0);
        assert_eq!(budget.try_grow(small, 3 * MIB).err(), Some(Shortfall::Busy), "and no further");
        assert_eq!(budget.available_mib(), 2, "a reservation that cannot grow is given back");
        drop(held);
        assert_eq!(budget.available_mib(), 10, "given back");
        assert_eq!(budget.reserve(11 * MIB, budget.deadline()).await.err(), Some(Shortfall::Never));
    }
}
