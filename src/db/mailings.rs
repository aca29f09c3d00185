//! Mailings: what is due to be sent (posts the editors chose to send, and digests), making a
//! mailing with one outbox row per subscriber in one transaction, the newsletter's shared pace,
//! and the per-mailing report.

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;

/// A post as its mail shows it.
#[derive(Debug, Clone, FromRow)]
pub struct MailPost {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    /// The text as written (Markdown reads well as plain text) and as HTML.
    pub body_md: String,
    pub body_html: String,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    /// When it went (or goes) out: its publication, or for a mail-only post its sending moment.
    pub published_at: Option<Timestamp>,
    pub author_name: String,
    /// `send` (also on the site) or `only` (mail only: no web version).
    pub newsletter: String,
}

const POST: &str =
    "SELECT p.id, p.slug, p.title, p.excerpt, p.body_md, p.body_html, p.cover_image, p.cover_alt,
    COALESCE(p.published_at, p.newsletter_at) AS published_at, u.display_name AS author_name, p.newsletter
    FROM posts p JOIN users u ON u.id = p.author_id";

/// Posts due to be mailed at `now` that have no mailing yet: published ones marked `send` once
/// they are visible, mail-only ones at their moment. Oldest first.
pub async fn due_posts(db: &Db, now: Timestamp) -> sqlx::Result<Vec<MailPost>> {
    let sql = due_posts_sql();
    on_pool!(db, |pool| sqlx::query_as(sql).bind(now).fetch_all(pool).await)
}

/// [`due_posts`]' statement (`$1`: now). Every process runs it every second, so it reads only
/// the posts marked for the newsletter: `newsletter <> ''` is the condition of the partial
/// index `posts_newsletter` (migration 0017), which SQLite uses only when the query repeats it.
fn due_posts_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{POST} WHERE p.newsletter <> '' AND p.newsletter IN ('send', 'only')
           AND ((p.newsletter = 'send' AND p.status = 'published' AND p.published_at <= $1)
                    OR (p.newsletter = 'only' AND p.newsletter_at <= $1))
           AND NOT EXISTS (SELECT 1 FROM mailings m WHERE m.post_id = p.id)
         ORDER BY p.id LIMIT 20"
        )
    });
    &SQL
}

/// The posts a digest between `from` (excluded) and `until` (included) lists, oldest first:
/// [`DIGEST_MAX`] at most, and one more if there are more (the mail then points to the site).
pub async fn digest_posts(db: &Db, from: Timestamp, until: Timestamp) -> sqlx::Result<Vec<MailPost>> {
    let sql = format!(
        "{POST} WHERE p.status = 'published' AND p.published_at > $1 AND p.published_at <= $2
         ORDER BY p.published_at, p.id LIMIT {}",
        DIGEST_MAX + 1
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(from).bind(until).fetch_all(pool).await)
}

/// Posts one digest lists at most.
pub const DIGEST_MAX: usize = 100;

/// Where the next digest's posts begin: the end of the last digest's, if any was made.
pub async fn last_digest_until(db: &Db) -> sqlx::Result<Option<Timestamp>> {
    const SQL: &str = "SELECT MAX(period_until) FROM mailings WHERE kind = 'digest'";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).fetch_one(pool).await)
}

/// Whether the digest named `key` was made.
pub async fn digest_exists(db: &Db, key: &str) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM mailings WHERE digest_key = $1";
    on_pool!(db, |pool| Ok(sqlx::query_scalar::<_, i64>(SQL).bind(key).fetch_one(pool).await? > 0))
}

/// A mailing about to be made. The bodies carry the per-subscriber placeholders.
#[derive(Debug, Clone)]
pub struct NewMailing<'a> {
    pub post_id: Option<i64>,
    /// The site's title now, for `List-Id`.
    pub site_title: &'a str,
    /// For a digest: its key and the period of its posts.
    pub digest: Option<(&'a str, Timestamp, Timestamp)>,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
}

/// Makes the mailing and queues it to every subscriber of `cadence` (`post` or `digest`) who is
/// subscribed now, in one transaction. The mailing is unique per post and per digest, and each
/// outbox row per mailing and subscriber, so a second process making the same mailing at the
/// same moment makes nothing. Returns the mailing's id and recipients, or `None` when it
/// already existed. A digest with no posts is made with no recipients, to mark it done.
/// `now` is the application's time (the managed clock); the outbox rows are due at once by
/// the wall clock, which the mail sender reads.
pub async fn create(
    db: &Db,
    m: &NewMailing<'_>,
    cadence: &str,
    send: bool,
    now: Timestamp,
) -> sqlx::Result<Option<(i64, u64)>> {
    const INSERT: &str =
        "INSERT INTO mailings (kind, post_id, digest_key, period_from, period_until, subject,
                          text_body, html_body, created_at, site_title)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id";
    const FAN_OUT: &str =
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at,
                           mailing_id, subscriber_id)
                           SELECT email, $2, '', '', $3, $3, $1, id FROM subscribers
                           WHERE status = 'subscribed' AND cadence = $4 ORDER BY id
                           ON CONFLICT DO NOTHING";
    const COUNT: &str = "UPDATE mailings SET recipients = $2 WHERE id = $1";
    let kind = if m.digest.is_some() { "digest" } else { "post" };
    Ok(in_tx!(db, |tx| {
        let id: Option<i64> = sqlx::query_scalar(INSERT)
            .bind(kind)
            .bind(m.post_id)
            .bind(m.digest.map(|d| d.0))
            .bind(m.digest.map(|d| d.1))
            .bind(m.digest.map(|d| d.2))
            .bind(m.subject)
            .bind(m.text_body)
            .bind(m.html_body)
            .bind(now)
            .bind(m.site_title)
            .fetch_optional(&mut *tx)
            .await?;
        match id {
            None => None,
            Some(id) => {
                let queued = if send {
                    sqlx::query(FAN_OUT)
                        .bind(id)
                        .bind(m.subject)
                        .bind(crate::domain::now())
                        .bind(cadence)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                } else {
                    0
                };
                sqlx::query(COUNT)
                    .bind(id)
                    .bind(i64::try_from(queued).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await?;
                Some((id, queued))
            }
        }
    }))
}

/// A mailing's stored bodies, for the sender.
#[derive(Debug, Clone, FromRow)]
pub struct Bodies {
    pub id: i64,
    pub subject: String,
    pub site_title: String,
    pub text_body: String,
    pub html_body: String,
}

pub async fn bodies(db: &Db, id: i64) -> sqlx::Result<Option<Bodies>> {
    const SQL: &str = "SELECT id, subject, site_title, text_body, html_body FROM mailings WHERE id = $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
}

/// Takes one slot of the newsletter's shared pace (the generic cell rate algorithm, with the
/// theoretical arrival time `tat` in microseconds): allowed when `tat` is at most `burst_us`
/// ahead of `now_us`, and then moved on by `interval_us`. `None` when allowed; otherwise how
/// many microseconds to wait.
pub async fn take_slot(db: &Db, now_us: i64, interval_us: i64, burst_us: i64) -> sqlx::Result<Option<i64>> {
    const TAKE: &str =
        "UPDATE newsletter_pace SET tat_us = (CASE WHEN tat_us > $1 THEN tat_us ELSE $1 END) + $2
                        WHERE id = 1 AND tat_us <= $1 + $3";
    const READ: &str = "SELECT tat_us FROM newsletter_pace WHERE id = 1";
    on_pool!(db, |pool| {
        let taken = sqlx::query(TAKE)
            .bind(now_us)
            .bind(interval_us)
            .bind(burst_us)
            .execute(pool)
            .await?
            .rows_affected();
        if taken == 1 {
            Ok(None)
        } else {
            let tat: i64 = sqlx::query_scalar(READ).fetch_one(pool).await?;
            Ok(Some((tat - burst_us - now_us).max(1)))
        }
    })
}

/// One mailing in the admin's list, with its report: queued (waiting), being sent (claimed by
/// a process; one left so by a process that stopped mid-message is never sent again on its
/// own, since it may have gone: "retry" sends it), sent, failed (given up on after retries,
/// without an answer, or skipped because the subscriber left) and bounced.
#[derive(Debug, Clone, FromRow)]
pub struct Report {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub created_at: Timestamp,
    pub recipients: i64,
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
}

/// The latest mailings, newest first, each with its report.
pub async fn reports(db: &Db, limit: i64) -> sqlx::Result<Vec<Report>> {
    const SQL: &str = "SELECT m.id, m.kind, m.subject, m.created_at, m.recipients,
        COUNT(o.id) FILTER (WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.claimed_until = 0) AS queued,
        COUNT(o.id) FILTER (WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.claimed_until > 0) AS sending,
        COUNT(o.id) FILTER (WHERE o.sent_at IS NOT NULL) AS sent,
        COUNT(o.id) FILTER (WHERE o.failed_at IS NOT NULL AND NOT o.bounced) AS failed,
        COUNT(o.id) FILTER (WHERE o.bounced) AS bounced
        FROM mailings m LEFT JOIN outbox o ON o.mailing_id = m.id
        GROUP BY m.id, m.kind, m.subject, m.created_at, m.recipients ORDER BY m.id DESC LIMIT $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(limit).fetch_all(pool).await)
}

/// Queues again a mailing's failed messages, and those a stopped process left claimed (their
/// lease, `now`, is over), but not bounced ones nor those to subscribers who left: "retry" in
/// the report. Returns how many.
pub async fn retry_failed(db: &Db, id: i64, now: Timestamp) -> sqlx::Result<u64> {
    const SQL: &str =
        "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $2, claimed_until = 0,
                       last_error = '' WHERE mailing_id = $1 AND sent_at IS NULL AND NOT bounced
                       AND (failed_at IS NOT NULL OR (claimed_until > 0 AND claimed_until <= $2))
                       AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'subscribed')";
    on_pool!(db, |pool| Ok(sqlx::query(SQL).bind(id).bind(now).execute(pool).await?.rows_affected()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::plans::assert_plan_bounded;

    /// The scan for posts to mail runs every second in every process: it reads the posts marked
    /// for the newsletter, not the archive (it read every post: 14 ms a second at 10,000 posts).
    #[rocket::async_test]
    async fn the_scan_for_posts_to_mail_reads_only_posts_marked_for_it() {
        assert_plan_bounded(due_posts_sql()).await;
    }
}
