//! Tags, authors and series as the public site looks them up by slug.

use sqlx::FromRow;

use super::{Db, on_pool};

#[derive(Debug, Clone, FromRow)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub bio: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct Series {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
}

pub async fn tag_by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Tag>> {
    const SQL: &str = "SELECT id, slug, name, description FROM tags WHERE slug = $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(slug).fetch_optional(pool).await)
}

pub async fn author_by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Author>> {
    const SQL: &str = "SELECT id, slug, display_name, bio FROM users
                       WHERE slug = $1 AND role <> 'member' AND disabled_at IS NULL";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(slug).fetch_optional(pool).await)
}

pub async fn series_by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Series>> {
    const SQL: &str = "SELECT id, slug, title, description FROM series WHERE slug = $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(slug).fetch_optional(pool).await)
}
