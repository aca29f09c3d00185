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
