//! The content generation (migrations 0010 and 0013): a number every write to public content
//! (posts, pages, tags, series, their links, media, settings, authors' public fields) changes in
//! its own transaction, read with the next moment a scheduled post appears. Together they say
//! whether something computed from public content earlier is still true ([`crate::cache`]).

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

/// What an answer about public content depends on beside the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Freshness {
    /// Changes with every committed write to public content.
    pub generation: i64,
    /// The earliest publication time after `now` of a published post, if any: from then on a
    /// reader sees one more post although nothing was written.
    pub next_publication: Option<Timestamp>,
}

/// The generation and the next scheduled publication after `now`, in one statement (the
/// second is a seek in `posts_by_date`).
pub async fn current(db: &Db, now: Timestamp) -> sqlx::Result<Freshness> {
    const SQL: &str = "SELECT g.value AS generation,
            (SELECT MIN(p.published_at) FROM posts p
             WHERE p.status = 'published' AND p.published_at > $1) AS next_publication
        FROM content_generation g";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(now).fetch_one(pool).await)
}
