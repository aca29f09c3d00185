//! Webhooks: the hooks administrators register, and the durable queue of their deliveries.
//! A delivery is claimed with a lease (`claimed_until`), as the mail outbox's messages are, so
//! with several processes on one database each delivery is attempted by one process at a time;
//! its attempts are kept for the admin's delivery log.

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::webhooks::{EventType, new_message_id};

/// A registered hook. `events` is space-separated ([`EventType::store_list`]).
#[derive(Debug, Clone, FromRow)]
pub struct Hook {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    /// `whsec_…` (Standard Webhooks, "Signature scheme").
    pub secret: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Hook {
    /// The events this hook asked for.
    pub fn event_types(&self) -> Vec<EventType> {
        EventType::parse_list(&self.events)
    }
}

const HOOK_COLUMNS: &str = "id, url, events, enabled, secret, created_at, updated_at";

/// Every hook, oldest first.
pub async fn hooks(db: &Db) -> sqlx::Result<Vec<Hook>> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY id");
    on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

pub async fn hook(db: &Db, id: i64) -> sqlx::Result<Option<Hook>> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// What a hook's form sets: its URL (already checked), events (stored form) and switch.
#[derive(Debug, Clone)]
pub struct HookFields<'a> {
    pub url: &'a str,
    pub events: &'a str,
    pub enabled: bool,
}

/// Stores a new hook with `secret`; returns its id.
pub async fn create(db: &Db, fields: &HookFields<'_>, secret: &str, now: Timestamp) -> sqlx::Result<i64> {
    const SQL: &str = "INSERT INTO webhooks (url, events, enabled, secret, created_at, updated_at)
                       VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    on_pool!(db, |pool| sqlx::query_scalar(SQL)
        .bind(fields.url)
        .bind(fields.events)
        .bind(fields.enabled)
        .bind(secret)
        .bind(now)
        .fetch_one(pool)
        .await)
}

/// Changes a hook's URL, events and switch; false when there is no such hook.
pub async fn update(db: &Db, id: i64, fields: &HookFields<'_>, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str =
        "UPDATE webhooks SET url = $2, events = $3, enabled = $4, updated_at = $5 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(fields.url)
        .bind(fields.events)
        .bind(fields.enabled)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Replaces a hook's secret; false when there is no such hook. Deliveries still queued are
/// signed with the new one: the signature is made at each attempt.
pub async fn set_secret(db: &Db, id: i64, secret: &str, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE webhooks SET secret = $2, updated_at = $3 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(secret)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Deletes a hook with its deliveries and their log; false when there was none.
pub async fn delete(db: &Db, id: i64) -> sqlx::Result<bool> {
    // The cascade is spelled out: SQLite enforces foreign keys only where the pool turns them on.
    Ok(in_tx!(db, |tx| {
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN
             (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected()
            == 1
    }))
}

/// The enabled hooks that asked for `event`: `(id)`.
async fn listeners(db: &Db, event: EventType) -> sqlx::Result<Vec<i64>> {
    let all = hooks(db).await?;
    Ok(all.into_iter().filter(|h| h.enabled && h.event_types().contains(&event)).map(|h| h.id).collect())
}

/// Queues `body` (the JSON sent, exactly) for every enabled hook that asked for `event`, each
/// delivery with a message id of its own, due at `now`. Returns how many were queued.
pub async fn enqueue(db: &Db, event: EventType, body: &str, now: Timestamp) -> sqlx::Result<usize> {
    const SQL: &str = "INSERT INTO webhook_deliveries (webhook_id, message_id, event, payload, created_at,
                       next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)";
    let hooks = listeners(db, event).await?;
    if hooks.is_empty() {
        return Ok(0);
    }
    Ok(in_tx!(db, |tx| {
        for hook in &hooks {
            sqlx::query(SQL)
                .bind(hook)
                .bind(new_message_id())
                .bind(event.as_str())
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        hooks.len()
    }))
}

/// A delivery claimed for an attempt, with what sending it needs from its hook.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub id: i64,
    pub message_id: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one, in all rounds.
    pub attempts: i64,
    /// `attempts` when this round began (first queued, or sent again).
    pub round_start: i64,
    pub url: String,
    pub secret: String,
}

/// Claims the next due delivery of an enabled hook until `now + lease` (one at a time: see
/// [`super::outbox::claim_next`], whose claim this mirrors, re-checked in the outer WHERE so
/// that PostgreSQL re-evaluates it on a row another process claimed meanwhile).
pub async fn claim_next(db: &Db, now: Timestamp, lease: i64) -> sqlx::Result<Option<Due>> {
    const CLAIM: &str = "UPDATE webhook_deliveries SET claimed_until = $2
         WHERE claimed_until <= $1 AND delivered_at IS NULL AND failed_at IS NULL AND id IN (
             SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE w.enabled AND d.delivered_at IS NULL AND d.failed_at IS NULL
             AND d.next_attempt_at <= $1 AND d.claimed_until <= $1 ORDER BY d.id LIMIT 1)
         RETURNING id";
    const LOAD: &str =
        "SELECT d.id, d.message_id, d.event, d.payload, d.attempts, d.round_start, w.url, w.secret
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1";
    let claimed: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(CLAIM)
        .bind(now)
        .bind(now + lease)
        .fetch_optional(pool)
        .await?);
    let Some(id) = claimed else { return Ok(None) };
    on_pool!(db, |pool| sqlx::query_as(LOAD).bind(id).fetch_optional(pool).await)
}

/// One attempt's result, as the log shows it.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    /// 1-based, counting every round.
    pub attempt: i64,
    pub at: Timestamp,
    /// The HTTP status, if a response came.
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    /// Empty on success.
    pub error: &'a str,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(Timestamp),
    GiveUp,
}

/// Logs an attempt of delivery `id` and releases its claim, as `next` says.
pub async fn record(db: &Db, id: i64, attempt: &AttemptRecord<'_>, next: Next) -> sqlx::Result<()> {
    const LOG: &str =
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, duration_ms, error)
                       VALUES ($1, $2, $3, $4, $5, $6)";
    let (sql, at) = match next {
        Next::Delivered => (
            "UPDATE webhook_deliveries SET attempts = $2, delivered_at = $3, claimed_until = 0 WHERE id = $1",
            attempt.at,
        ),
        Next::RetryAt(when) => (
            "UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = $3, claimed_until = 0 WHERE id = $1",
            when,
        ),
        Next::GiveUp => (
            "UPDATE webhook_deliveries SET attempts = $2, failed_at = $3, claimed_until = 0 WHERE id = $1",
            attempt.at,
        ),
    };
    in_tx!(db, |tx| {
        sqlx::query(LOG)
            .bind(id)
            .bind(attempt.attempt)
            .bind(attempt.at)
            .bind(attempt.status_code)
            .bind(attempt.duration_ms)
            .bind(attempt.error)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql).bind(id).bind(attempt.attempt).bind(at).execute(&mut *tx).await?;
    });
    Ok(())
}

/// A delivery as the hook's log lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Delivery {
    pub id: i64,
    pub message_id: String,
    pub event: String,
    pub created_at: Timestamp,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
}

/// One logged attempt, with its delivery's event and message id.
#[derive(Debug, Clone, FromRow)]
pub struct LoggedAttempt {
    pub delivery_id: i64,
    pub message_id: String,
    pub event: String,
    pub attempt: i64,
    pub at: Timestamp,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: String,
}

/// The newest `limit` deliveries of hook `hook_id`, newest first.
pub async fn deliveries(db: &Db, hook_id: i64, limit: i64) -> sqlx::Result<Vec<Delivery>> {
    const SQL: &str =
        "SELECT id, message_id, event, created_at, attempts, next_attempt_at, delivered_at, failed_at
                       FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(hook_id).bind(limit).fetch_all(pool).await)
}

/// The newest `limit` attempts to deliver to hook `hook_id`, newest first.
pub async fn attempts(db: &Db, hook_id: i64, limit: i64) -> sqlx::Result<Vec<LoggedAttempt>> {
    const SQL: &str =
        "SELECT a.delivery_id, d.message_id, d.event, a.attempt, a.at, a.status_code, a.duration_ms,
                       a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                       WHERE d.webhook_id = $1 ORDER BY a.id DESC LIMIT $2";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(hook_id).bind(limit).fetch_all(pool).await)
}

/// Queues delivery `id` of hook `hook_id` again, due at `now`, with a fresh round of attempts
/// and the same message id (so a receiver that did get it can tell). False when there is no
/// such delivery or an attempt of it is under way.
pub async fn send_again(db: &Db, hook_id: i64, id: i64, now: Timestamp) -> sqlx::Result<bool> {
    const SQL: &str =
        "UPDATE webhook_deliveries SET delivered_at = NULL, failed_at = NULL, next_attempt_at = $3,
                       round_start = attempts, claimed_until = 0
                       WHERE id = $1 AND webhook_id = $2 AND claimed_until <= $3";
    on_pool!(db, |pool| sqlx::query(SQL)
        .bind(id)
        .bind(hook_id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// How long finished deliveries and their log are kept.
pub const KEEP_SECS: Timestamp = 30 * 86_400;

/// Housekeeping: deletes deliveries delivered or given up on more than [`KEEP_SECS`] ago.
pub async fn prune(db: &Db, now: Timestamp) -> sqlx::Result<u64> {
    const FINISHED: &str = "SELECT id FROM webhook_deliveries WHERE COALESCE(delivered_at, failed_at) <= $1";
    Ok(in_tx!(db, |tx| {
        let sql_attempts = format!("DELETE FROM webhook_attempts WHERE delivery_id IN ({FINISHED})");
        sqlx::query(&sql_attempts).bind(now - KEEP_SECS).execute(&mut *tx).await?;
        let sql_deliveries = format!("DELETE FROM webhook_deliveries WHERE id IN ({FINISHED})");
        sqlx::query(&sql_deliveries).bind(now - KEEP_SECS).execute(&mut *tx).await?.rows_affected()
    }))
}
