//! The newest visible posts of a feed: the site's, a tag's, an author's or a series'. Visibility
//! is the public site's (`status = 'published' AND published_at <= now`, or a tag's
//! `visible_at`, kept equal to it), so drafts never reach a feed and scheduled posts join it at
//! their moment.

use sqlx::FromRow;

use super::posts::{TAGS_OF_P, parse_tags};
use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::feed::FeedPost;

/// Which posts a feed follows; the ids are a tag's, a user's or a series'.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Site,
    Tag(i64),
    Author(i64),
    Series(i64),
}

#[derive(FromRow)]
struct Row {
    id: i64,
    slug: String,
    title: String,
    excerpt: String,
    body_html: String,
    cover_image: Option<String>,
    cover_type: Option<String>,
    cover_length: Option<i64>,
    created_at: Timestamp,
    published_at: Timestamp,
    updated_at: Timestamp,
    author_name: String,
    author_slug: String,
    tag_list: Option<String>,
}

/// `$1` now, `$2` the limit, `$3` the scope's id (none for the site's): each picks its page of ids from one index range,
/// as the listings do (`db::posts::list`).
fn sql(scope: Scope) -> &'static str {
    use std::sync::LazyLock;
    fn with(page: &str) -> String {
        format!(
            "WITH page AS ({page} LIMIT $2)
SELECT p.id, p.slug, p.title, p.excerpt, p.body_html, p.cover_image,
       m.content_type AS cover_type, m.byte_size AS cover_length,
       p.created_at, p.published_at, p.updated_at,
       u.display_name AS author_name, u.slug AS author_slug, {TAGS_OF_P}
FROM page JOIN posts p ON p.id = page.id
JOIN users u ON u.id = p.author_id
LEFT JOIN media m ON p.cover_image LIKE '/media/%' AND m.stored_name = SUBSTR(p.cover_image, 8)
ORDER BY p.published_at DESC, p.id DESC"
        )
    }
    static SITE: LazyLock<String> = LazyLock::new(|| {
        with(
            "SELECT id FROM posts WHERE status = 'published' AND published_at <= $1
              ORDER BY published_at DESC, id DESC",
        )
    });
    static TAG: LazyLock<String> = LazyLock::new(|| {
        with(
            "SELECT post_id AS id FROM post_tags WHERE tag_id = $3 AND visible_at <= $1
              ORDER BY visible_at DESC, post_id DESC",
        )
    });
    static AUTHOR: LazyLock<String> = LazyLock::new(|| {
        with(
            "SELECT id FROM posts WHERE author_id = $3 AND status = 'published' AND published_at <= $1
              ORDER BY published_at DESC, id DESC",
        )
    });
    static SERIES: LazyLock<String> = LazyLock::new(|| {
        with(
            "SELECT id FROM posts WHERE series_id = $3 AND status = 'published' AND published_at <= $1
              ORDER BY published_at DESC, id DESC",
        )
    });
    match scope {
        Scope::Site => &SITE,
        Scope::Tag(_) => &TAG,
        Scope::Author(_) => &AUTHOR,
        Scope::Series(_) => &SERIES,
    }
}

/// Up to `limit` posts of `scope` visible at `now`, newest first, with their authors, tags and
/// (for a cover from the media library) the cover's type and size.
pub async fn newest(db: &Db, scope: Scope, now: Timestamp, limit: i64) -> sqlx::Result<Vec<FeedPost>> {
    let id = match scope {
        Scope::Site => None,
        Scope::Tag(id) | Scope::Author(id) | Scope::Series(id) => Some(id),
    };
    let sql = sql(scope);
    let rows: Vec<Row> = on_pool!(db, |pool| {
        let query = sqlx::query_as(sql).bind(now).bind(limit);
        let query = match id {
            Some(id) => query.bind(id),
            None => query,
        };
        query.fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| FeedPost {
            tags: parse_tags(r.tag_list.as_deref()).into_iter().map(|(_, t)| t.name).collect(),
            id: r.id,
            slug: r.slug,
            title: r.title,
            excerpt: r.excerpt,
            body_html: r.body_html,
            cover_image: r.cover_image,
            cover_type: r.cover_type,
            cover_length: r.cover_length,
            created_at: r.created_at,
            published_at: r.published_at,
            updated_at: r.updated_at,
            author_name: r.author_name,
            author_slug: r.author_slug,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::plans::assert_plan_bounded;

    /// Each feed reads one page of an index and its posts' rows, however large the archive.
    #[rocket::async_test]
    async fn feeds_read_no_more_rows_as_the_site_grows() {
        for scope in [Scope::Site, Scope::Tag(1), Scope::Author(1), Scope::Series(1)] {
            assert_plan_bounded(sql(scope)).await;
        }
    }
}
