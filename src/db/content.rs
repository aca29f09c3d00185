//! Writing content in bulk: the demo data set today, imports later.

use std::collections::HashMap;

use super::{Db, in_tx, on_pool};
use crate::domain::content::ContentBundle;
use crate::domain::slug::Slug;

/// Why an import did not happen (it is all or nothing).
#[derive(Debug)]
pub enum ImportError {
    Db(sqlx::Error),
    /// A post or page names an author, tag or series the bundle does not contain.
    UnknownReference(String),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Db(e)
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Db(e) => write!(f, "database error: {e}"),
            ImportError::UnknownReference(what) => write!(f, "unknown reference: {what}"),
        }
    }
}

impl std::error::Error for ImportError {}

fn lookup(ids: &HashMap<String, i64>, kind: &str, slug: &Slug) -> Result<i64, ImportError> {
    ids.get(slug.as_str()).copied().ok_or_else(|| ImportError::UnknownReference(format!("{kind} `{slug}`")))
}

/// Whether the database holds any authors, posts or pages.
pub async fn has_content(db: &Db) -> sqlx::Result<bool> {
    const SQL: &str = "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM posts)
                       + (SELECT COUNT(*) FROM pages)";
    let n: i64 = on_pool!(db, |pool| sqlx::query_scalar(SQL).fetch_one(pool).await?);
    Ok(n > 0)
}

/// Refreshes the planner's statistics after a bulk load. PostgreSQL also marks the new rows
/// visible to all in its visibility map, which index-only counts need; autovacuum would get there
/// later. SQLite's planner is steered by the queries themselves and keeps no statistics here.
pub async fn settle(db: &Db) -> sqlx::Result<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// Inserts the whole bundle in one transaction.
pub async fn import(db: &Db, bundle: &ContentBundle, now: i64) -> Result<(), ImportError> {
    const USER: &str = "INSERT INTO users (email, display_name, slug, bio, role, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    const TAG: &str = "INSERT INTO tags (slug, name, description, created_at) VALUES ($1, $2, $3, $4)
                       RETURNING id";
    const SERIES: &str = "INSERT INTO series (slug, title, description, created_at)
                          VALUES ($1, $2, $3, $4) RETURNING id";
    const PAGE: &str = "INSERT INTO pages (slug, title, body_md, body_html, status, author_id,
                        created_at, updated_at, body_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)";
    const POST: &str = "INSERT INTO posts (slug, title, body_md, body_html, excerpt, cover_image,
                        cover_alt, status, published_at, created_at, updated_at, author_id, series_id,
                        series_position, seo_title, seo_description, reading_minutes, body_text)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                        $16, $17, $18) RETURNING id";
    const POST_TAG: &str = "INSERT INTO post_tags (post_id, tag_id, position, visible_at)
                            VALUES ($1, $2, $3, $4)";
    in_tx!(db, |tx| {
        let mut authors = HashMap::new();
        for a in &bundle.authors {
            let id: i64 = sqlx::query_scalar(USER)
                .bind(&a.email)
                .bind(&a.display_name)
                .bind(a.slug.as_str())
                .bind(&a.bio)
                .bind(&a.role)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            authors.insert(a.slug.to_string(), id);
        }
        let mut tags = HashMap::new();
        for t in &bundle.tags {
            let id: i64 = sqlx::query_scalar(TAG)
                .bind(t.slug.as_str())
                .bind(&t.name)
                .bind(&t.description)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tags.insert(t.slug.to_string(), id);
        }
        let mut series = HashMap::new();
        for s in &bundle.series {
            let id: i64 = sqlx::query_scalar(SERIES)
                .bind(s.slug.as_str())
                .bind(&s.title)
                .bind(&s.description)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            series.insert(s.slug.to_string(), id);
        }
        for p in &bundle.pages {
            let author = match &p.author {
                Some(slug) => Some(lookup(&authors, "author", slug)?),
                None => None,
            };
            sqlx::query(PAGE)
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.body_md)
                .bind(&p.body_html)
                .bind(p.status.as_str())
                .bind(author)
                .bind(now)
                .bind(&p.body_text)
                .execute(&mut *tx)
                .await?;
        }
        for p in &bundle.posts {
            let author = lookup(&authors, "author", &p.author)?;
            let (series_id, position) = match &p.series {
                Some((slug, position)) => (Some(lookup(&series, "series", slug)?), Some(*position)),
                None => (None, None),
            };
            let id: i64 = sqlx::query_scalar(POST)
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.body_md)
                .bind(&p.rendered.html)
                .bind(&p.excerpt)
                .bind(&p.cover_image)
                .bind(&p.cover_alt)
                .bind(p.status.as_str())
                .bind(p.published_at)
                .bind(p.created_at)
                .bind(p.updated_at)
                .bind(author)
                .bind(series_id)
                .bind(position)
                .bind(&p.seo_title)
                .bind(&p.seo_description)
                .bind(p.rendered.reading_minutes)
                .bind(&p.rendered.text)
                .fetch_one(&mut *tx)
                .await?;
            for (position, tag) in (0_i64..).zip(&p.tags) {
                sqlx::query(POST_TAG)
                    .bind(id)
                    .bind(lookup(&tags, "tag", tag)?)
                    .bind(position)
                    .bind(p.visible_at())
                    .execute(&mut *tx)
                    .await?;
            }
        }
    });
    Ok(())
}
