//! Site settings changed from the web; each overrides the configuration key of the same name.

use super::{Db, on_pool};

pub async fn all(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT key, value FROM site_settings ORDER BY key";
    on_pool!(db, |pool| sqlx::query_as(SQL).fetch_all(pool).await)
}

pub async fn set(db: &Db, key: &str, value: &str) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO site_settings (key, value) VALUES ($1, $2)
                       ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    on_pool!(db, |pool| sqlx::query(SQL).bind(key).bind(value).execute(pool).await.map(|_| ()))
}

/// Stores every pair in one transaction: a settings form is saved whole or not at all.
pub async fn set_many(db: &Db, pairs: &[(&str, String)]) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO site_settings (key, value) VALUES ($1, $2)
                       ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    super::in_tx!(db, |tx| {
        for (key, value) in pairs {
            sqlx::query(SQL).bind(*key).bind(value).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Changes the setting `key` to `change(current)` (current: `""` when unset) in one transaction
/// that holds the row against concurrent writers, so nothing saved meanwhile (by another
/// process) is lost to a stale copy. Returns (before, after).
pub async fn amend(
    db: &Db,
    key: &str,
    change: impl FnOnce(&str) -> String,
) -> sqlx::Result<(String, String)> {
    const READ: &str = "SELECT value FROM site_settings WHERE key = $1";
    const UPSERT: &str = "INSERT INTO site_settings (key, value) VALUES ($1, $2)
                          ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    // SQLite's transaction starts with BEGIN IMMEDIATE, its write lock taken before the read;
    // PostgreSQL takes a transaction lock on the key (the row may not exist yet to lock).
    let postgres = matches!(db, Db::Postgres(_));
    Ok(super::in_tx!(db, |tx| {
        if postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        let before: Option<String> = sqlx::query_scalar(READ).bind(key).fetch_optional(&mut *tx).await?;
        let before = before.unwrap_or_default();
        let after = change(&before);
        sqlx::query(UPSERT).bind(key).bind(&after).execute(&mut *tx).await?;
        (before, after)
    }))
}
