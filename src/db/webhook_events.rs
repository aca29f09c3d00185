//! What webhook events are made of: posts and pages as they are at an event (the
//! [`Item`]s a payload's `data` is built from), and the scan that finds scheduled posts whose
//! moment has passed, queuing their `post.published` exactly once across processes.

use sqlx::FromRow;

use super::webhooks::Hook;
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::webhooks::{EventType, Subject, new_message_id};

/// A post or page as an event shows it. Pages have no `published_at` nor excerpt.
#[derive(Debug, Clone, FromRow)]
pub struct Item {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    /// `draft` or `published` as stored.
    pub status: String,
    pub published_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

const POST_COLUMNS: &str = "id, slug, title, excerpt, status, published_at, updated_at";
// The typed NULL keeps PostgreSQL from guessing the column's type.
const PAGE_COLUMNS: &str =
    "id, slug, title, '' AS excerpt, status, CAST(NULL AS BIGINT) AS published_at, updated_at";

/// The posts or pages with these ids that exist (any order).
pub async fn items(db: &Db, subject: Subject, ids: &[i64]) -> sqlx::Result<Vec<Item>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (columns, table) = match subject {
        Subject::Post => (POST_COLUMNS, "posts"),
        Subject::Page => (PAGE_COLUMNS, "pages"),
    };
    let sql = format!("SELECT {columns} FROM {table} WHERE id IN ({})", super::placeholders(ids.len(), 1));
    on_pool!(db, |pool| {
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await
    })
}

/// Queues `post.published` for each post that went live by reaching its scheduled moment since
/// the last scan, up to `now`. "Scheduled" means its `published_at` was still to come when it
/// was last saved (`published_at > updated_at`); a post published at once had its event from
/// the save. The scanned-up-to time is moved forward with a compare-and-set in the same
/// transaction as the queuing, so a moment is scanned by one process once, and a failure queues
/// nothing and moves nothing. The first scan ever only records `now`. `body` makes the JSON of
/// an item's event. Returns how many deliveries were queued.
pub async fn scan_scheduled(db: &Db, now: Timestamp, body: impl Fn(&Item) -> String) -> sqlx::Result<usize> {
    const READ: &str = "SELECT scanned_until FROM webhook_watermark WHERE id = 1";
    const MOVE: &str = "UPDATE webhook_watermark SET scanned_until = $2 WHERE id = 1 AND scanned_until = $1";
    const INSERT: &str = "INSERT INTO webhook_deliveries (webhook_id, message_id, event, payload, created_at,
                          next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)";
    let went_live = format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE status = 'published' AND published_at > $1
         AND published_at <= $2 AND published_at > updated_at ORDER BY published_at, id"
    );
    let hooks_sql =
        "SELECT id, url, events, enabled, secret, created_at, updated_at FROM webhooks WHERE enabled";
    let event = EventType::PostPublished;
    Ok(in_tx!(db, |tx| {
        let from: Timestamp = sqlx::query_scalar(READ).fetch_one(&mut *tx).await?;
        if from >= now {
            0
        } else if sqlx::query(MOVE).bind(from).bind(now).execute(&mut *tx).await?.rows_affected() != 1
            || from == 0
        {
            // Another process scanned this stretch, or this is the first scan.
            0
        } else {
            let items: Vec<Item> =
                sqlx::query_as(&went_live).bind(from).bind(now).fetch_all(&mut *tx).await?;
            let hooks: Vec<Hook> = sqlx::query_as(hooks_sql).fetch_all(&mut *tx).await?;
            let listening: Vec<i64> =
                hooks.iter().filter(|h| h.event_types().contains(&event)).map(|h| h.id).collect();
            let mut queued = 0;
            for item in &items {
                let payload = body(item);
                for hook in &listening {
                    sqlx::query(INSERT)
                        .bind(hook)
                        .bind(new_message_id())
                        .bind(event.as_str())
                        .bind(&payload)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    queued += 1;
                }
            }
            queued
        }
    }))
}
