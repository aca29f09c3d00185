//! Static pages ("About", "Contact") served at the site root.

use sqlx::FromRow;

use super::{Db, on_pool};
use crate::domain::Timestamp;

#[derive(Debug, Clone, FromRow)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Asks search engines not to index it.
    pub noindex: bool,
    pub updated_at: Timestamp,
}

/// The published page at `slug`, if any.
pub async fn find_published(db: &Db, slug: &str) -> sqlx::Result<Option<Page>> {
    const SQL: &str = "SELECT slug, title, body_html, seo_title, seo_description, noindex, updated_at
                       FROM pages WHERE slug = $1 AND status = 'published'";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(slug).fetch_optional(pool).await)
}
