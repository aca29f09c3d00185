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

use rocket::tokio::sync::Notify;

use crate::db::generation::{self, Freshness};
use crate::db::{Db, is_busy};
use crate::domain::Timestamp;
use crate::domain::clock::Clock;
use crate::metrics::Metrics;

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

/// Keeps `live` current until shutdown: every [`POLL`], and on PostgreSQL at each notification
/// ([`listen_for_bumps`], in a task of its own so that neither a slow reconnection nor a lost
/// connection ever holds up the poll or shutdown).
pub async fn watch(db: Db, live: LiveFreshness, clock: Clock, metrics: Metrics, shutdown: rocket::Shutdown) {
    let bumped = Arc::new(Notify::new());
    if matches!(db, Db::Postgres(_)) {
        rocket::tokio::spawn(listen_for_bumps(db.clone(), bumped.clone(), shutdown.clone()));
    }
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = bumped.notified() => {}
            _ = rocket::tokio::time::sleep(POLL) => {}
        }
        if let Err(e) = live.refresh(&db, clock.now()).await
            && !is_busy(&e)
        {
            rocket::warn!("cannot read the content generation: {e}");
            metrics.task_failed("freshness");
        }
    }
}

/// Wakes `bumped` at each notification on `folio_generation`, and when the listening connection
/// was lost and made again (sqlx's eager reconnection), since a notification sent meanwhile is
/// lost. When the connection cannot be made (a PostgreSQL restart, an idle reaper,
/// `pg_terminate_backend`), it is tried again every [`POLL`] while the poll carries on alone.
async fn listen_for_bumps(db: Db, bumped: Arc<Notify>, shutdown: rocket::Shutdown) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut listener = None;
    loop {
        let next = async {
            match &mut listener {
                None => {
                    listener = listen(&db).await;
                    if listener.is_none() {
                        rocket::tokio::time::sleep(POLL).await;
                    }
                }
                Some(l) => match l.try_recv().await {
                    Ok(_) => bumped.notify_one(),
                    Err(_) => listener = None,
                },
            }
        };
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = next => {}
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
