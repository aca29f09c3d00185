//! The admin's side of the subscribers: the filtered, searched list with its counts, removal,
//! the rows an export writes, and adding rows from an import.

use super::admin_posts::like_pattern;
use super::subscribers::{COLUMNS, Subscriber};
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;

/// Which subscribers a list shows (the admin's filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    All,
    /// Subscribed, every post.
    EveryPost,
    /// Subscribed, digest.
    Digest,
    Unconfirmed,
    Bounced,
    Unsubscribed,
}

impl Show {
    pub const ALL: [Show; 6] =
        [Show::All, Show::EveryPost, Show::Digest, Show::Unconfirmed, Show::Bounced, Show::Unsubscribed];

    pub fn as_str(self) -> &'static str {
        match self {
            Show::All => "",
            Show::EveryPost => "post",
            Show::Digest => "digest",
            Show::Unconfirmed => "unconfirmed",
            Show::Bounced => "bounced",
            Show::Unsubscribed => "unsubscribed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Show::All => "All",
            Show::EveryPost => "Every post",
            Show::Digest => "Digest",
            Show::Unconfirmed => "Unconfirmed",
            Show::Bounced => "Bounced",
            Show::Unsubscribed => "Unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Show {
        Show::ALL.into_iter().find(|v| v.as_str() == s).unwrap_or(Show::All)
    }

    /// The condition, over `$1` (a LIKE pattern or NULL).
    fn condition(self) -> &'static str {
        match self {
            Show::All => "TRUE",
            Show::EveryPost => "status = 'subscribed' AND cadence = 'post'",
            Show::Digest => "status = 'subscribed' AND cadence = 'digest'",
            Show::Unconfirmed => "status = 'unconfirmed'",
            Show::Bounced => "status = 'bounced'",
            Show::Unsubscribed => "status = 'unsubscribed'",
        }
    }
}

/// One page of subscribers `show` and `search` (in the address) select, newest first, and how
/// many there are in all.
pub async fn list(
    db: &Db,
    show: Show,
    search: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Subscriber>, i64)> {
    let filter = format!("{} AND ($1 IS NULL OR email LIKE $1 ESCAPE '\\')", show.condition());
    let count = format!("SELECT COUNT(*) FROM subscribers WHERE {filter}");
    let rows =
        format!("SELECT {COLUMNS} FROM subscribers WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3");
    let pattern = (!search.trim().is_empty()).then(|| like_pattern(search));
    on_pool!(db, |pool| {
        let total: i64 = sqlx::query_scalar(&count).bind(pattern.as_deref()).fetch_one(pool).await?;
        let rows =
            sqlx::query_as(&rows).bind(pattern.as_deref()).bind(limit).bind(offset).fetch_all(pool).await?;
        Ok((rows, total))
    })
}

/// How many subscribers each filter of [`Show::ALL`] shows, in that order.
pub async fn counts(db: &Db) -> sqlx::Result<Vec<(Show, i64)>> {
    const SQL: &str = "SELECT COUNT(*),
        COUNT(*) FILTER (WHERE status = 'subscribed' AND cadence = 'post'),
        COUNT(*) FILTER (WHERE status = 'subscribed' AND cadence = 'digest'),
        COUNT(*) FILTER (WHERE status = 'unconfirmed'),
        COUNT(*) FILTER (WHERE status = 'bounced'),
        COUNT(*) FILTER (WHERE status = 'unsubscribed') FROM subscribers";
    let row: (i64, i64, i64, i64, i64, i64) =
        on_pool!(db, |pool| sqlx::query_as(SQL).fetch_one(pool).await?);
    let n = [row.0, row.1, row.2, row.3, row.4, row.5];
    Ok(Show::ALL.into_iter().zip(n).collect())
}

/// Subscribers one removal takes at most (a page of the list is 50); more are refused.
pub const REMOVE_MAX: usize = 500;

/// Deletes the subscribers `ids` (at most [`REMOVE_MAX`]). Their outbox rows stay, for the
/// mailings' reports, but without their address, and unsent ones are dropped. Returns how many
/// went.
pub async fn remove(db: &Db, ids: &[i64], now: Timestamp) -> sqlx::Result<u64> {
    let ids = &ids[..ids.len().min(REMOVE_MAX)];
    if ids.is_empty() {
        return Ok(0);
    }
    let list = super::placeholders(ids.len(), 2);
    let forget = format!(
        "UPDATE outbox SET recipient = '', failed_at = CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN $1
         ELSE failed_at END, last_error = CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 'subscriber removed'
         ELSE last_error END WHERE subscriber_id IN ({list})"
    );
    let delete = format!("DELETE FROM subscribers WHERE id IN ({})", super::placeholders(ids.len(), 1));
    Ok(in_tx!(db, |tx| {
        let mut q = sqlx::query(&forget).bind(now);
        for id in ids {
            q = q.bind(id);
        }
        q.execute(&mut *tx).await?;
        let mut q = sqlx::query(&delete);
        for id in ids {
            q = q.bind(id);
        }
        q.execute(&mut *tx).await?.rows_affected()
    }))
}

/// Every subscriber, oldest first, for the CSV export.
pub async fn export(db: &Db) -> sqlx::Result<Vec<Subscriber>> {
    let sql = format!("SELECT {COLUMNS} FROM subscribers ORDER BY id");
    on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

/// One row of an import, already checked.
#[derive(Debug, Clone)]
pub struct Imported {
    pub email: String,
    /// `post` or `digest`.
    pub cadence: &'static str,
    /// The file says the address was confirmed: subscribed at once. Otherwise unconfirmed
    /// (nothing is sent until it is).
    pub confirmed: bool,
}

/// Rows one import transaction adds: short transactions, so that on SQLite sign-ups and the
/// sender are not kept waiting for the database's write lock by a long import.
const IMPORT_CHUNK: usize = 500;

/// Adds `rows`, [`IMPORT_CHUNK`] to a transaction; an address already on the list is left as it
/// is. Returns, per row, whether it was added.
pub async fn import(db: &Db, rows: &[Imported], file: &str, now: Timestamp) -> sqlx::Result<Vec<bool>> {
    let mut added = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(IMPORT_CHUNK) {
        added.extend(import_chunk(db, chunk, file, now).await?);
    }
    Ok(added)
}
async fn import_chunk(db: &Db, rows: &[Imported], file: &str, now: Timestamp) -> sqlx::Result<Vec<bool>> {
    const SQL: &str = "INSERT INTO subscribers (email, status, cadence, source, created_at, consent_at, consent_how,
                       changed_at) VALUES ($1, $2, $3, 'import', $4, $5, $6, $4) ON CONFLICT (email) DO NOTHING";
    let how = format!("import of {file}: the file says confirmed");
    Ok(in_tx!(db, |tx| {
        let mut added = Vec::with_capacity(rows.len());
        for row in rows {
            let (status, at, how) = if row.confirmed {
                ("subscribed", Some(now), how.as_str())
            } else {
                ("unconfirmed", None, "")
            };
            let n = sqlx::query(SQL)
                .bind(&row.email)
                .bind(status)
                .bind(row.cadence)
                .bind(now)
                .bind(at)
                .bind(how)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            added.push(n == 1);
        }
        added
    }))
}
