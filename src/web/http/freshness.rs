//! What this process knows of the content generation ([`crate::db::generation`]), kept in memory
//! so the page cache ([`super::page_cache`]) can tell whether an entry is current without a
//! database round trip per request.
//!
//! It is refreshed from the database:
//! - after every request that may write (anything but GET, HEAD and OPTIONS), before its answer
//!   leaves, so the page a writer is sent to next already shows the change;
//! - when PostgreSQL announces a committed bump on the channel `folio_generation` (migration
//!   0013), so another process's write reaches this cache at once;
//! - every [`POLL`], whatever the database, as the fallback when the listening connection is down
//!   and for writes that came through no request here (the command line, background tasks).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::db::generation::{self, Freshness};
use crate::db::{Db, is_busy};
use crate::domain::Timestamp;
use crate::domain::clock::Clock;

/// How often the generation is read whatever else happens: the longest another process's write
/// can take to reach this cache when PostgreSQL's notification is lost (issue 15 asks for a
/// second).
pub const POLL: Duration = Duration::from_secs(1);

/// `next_publication` when there is none.
const NEVER: i64 = i64::MAX;

/// The generation and next publication as last read, shared by every request (managed state).
#[derive(Clone, Default)]
pub struct LiveFreshness {
    inner: Arc<(AtomicI64, AtomicI64)>,
}

impl LiveFreshness {
    /// Starts out unknown (generation -1), which no entry carries: nothing is served from the
    /// cache before the first read.
    pub fn new() -> LiveFreshness {
        LiveFreshness { inner: Arc::new((AtomicI64::new(-1), AtomicI64::new(NEVER))) }
    }

    /// The values as last read.
    pub fn snapshot(&self) -> Freshness {
        let next = self.inner.1.load(Ordering::Acquire);
        Freshness {
            generation: self.inner.0.load(Ordering::Acquire),
            next_publication: (next != NEVER).then_some(next),
        }
    }

    /// Reads both again from the database. The next publication is stored first: a reader that
    /// sees the new generation then never pairs it with the older, later publication time.
    pub async fn refresh(&self, db: &Db, now: Timestamp) -> sqlx::Result<()> {
        let Freshness { generation, next_publication } = generation::current(db, now).await?;
        self.inner.1.store(next_publication.unwrap_or(NEVER), Ordering::Release);
        self.inner.0.store(generation, Ordering::Release);
        Ok(())
    }
}

/// Keeps `live` current until shutdown: every [`POLL`], and on PostgreSQL at each notification.
///
/// The listening connection is watched too: when it drops (a PostgreSQL restart, an idle reaper,
/// `pg_terminate_backend`), sqlx reconnects it and the generation is read at once, since any
/// notification sent meanwhile is lost; when it cannot be made again, the poll carries on alone
/// and a new one is tried at every tick.
pub async fn watch(db: Db, live: LiveFreshness, clock: Clock, shutdown: rocket::Shutdown) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut listener = None;
    loop {
        if listener.is_none() {
            listener = listen(&db).await;
        }
        let notified = async {
            match listener.as_mut() {
                // `Ok(None)`: the connection was lost and made again (eager reconnection).
                Some(l) => l.try_recv().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            ok = notified => {
                if !ok {
                    listener = None;
                }
            }
            _ = rocket::tokio::time::sleep(POLL) => {}
        }
        if let Err(e) = live.refresh(&db, clock.now()).await
            && !is_busy(&e)
        {
            rocket::warn!("cannot read the content generation: {e}");
        }
    }
}

/// A connection listening on `folio_generation` (PostgreSQL only).
async fn listen(db: &Db) -> Option<sqlx::postgres::PgListener> {
    let Db::Postgres(pool) = db else { return None };
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.ok()?;
    listener.listen("folio_generation").await.ok()?;
    Some(listener)
}
