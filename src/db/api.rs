//! What the Content API reads: published content only, by the public site's rules (a post is
//! visible when `status = 'published' AND published_at <= now`; a page when published; a tag,
//! author or series while it has a visible post, as in [`crate::db::sitemap`]).
//!
//! Lists are keyset-paginated: each page starts *after* the last row of the previous one, so a
//! page deep into 100,000 posts reads one bounded index range (`posts_by_date`, or
//! `post_tags_by_tag` for a tag) instead of skipping an OFFSET's worth of rows. The seek is
//! written `d < $x OR (d = $x AND id < $y)` rather than as a row comparison, a form both SQLite's
//! and PostgreSQL's planners turn into an index range.

use sqlx::FromRow;

use super::admin_posts::{Arg, bind_all};
use super::posts::{TAGS_OF_P, TagRef, parse_tags};
use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::addresses::Kind;

/// Where a post list starts: after the post with this (published_at, id), newest first.
pub type PostKey = (Timestamp, i64);

/// Which posts a list shows; every filter narrows it, and unknown slugs match nothing.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    pub tag: Option<String>,
    pub author: Option<String>,
    pub series: Option<String>,
    /// Only posts published strictly after this moment (Unix seconds).
    pub published_after: Option<Timestamp>,
    /// Only posts published strictly before this moment (Unix seconds).
    pub published_before: Option<Timestamp>,
}

/// Which rows of a kind to read: one by id or slug, or a page after a keyset position.
#[derive(Debug, Clone)]
pub enum Pick<K> {
    Id(i64),
    Slug(String),
    /// At most `limit` rows after `after` (from the start when `None`).
    Page {
        after: Option<K>,
        limit: i64,
    },
}

/// A visible post with everything the API shows of it.
#[derive(Debug, Clone, FromRow)]
pub struct ApiPost {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub body_md: String,
    pub body_html: String,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
    pub series_slug: Option<String>,
    pub series_position: Option<i64>,
    pub author_id: i64,
    pub author_slug: String,
    pub author_name: String,
    tag_list: Option<String>,
}

impl ApiPost {
    /// The post's tags with their ids, primary tag first.
    pub fn tags(&self) -> Vec<(i64, TagRef)> {
        parse_tags(self.tag_list.as_deref())
    }

    /// Where the next page starts if this post ends one.
    pub fn key(&self) -> PostKey {
        (self.published_at, self.id)
    }
}

const POST_COLUMNS: &str = "p.id, p.slug, p.title, p.excerpt, p.body_md, p.body_html, p.cover_image,
    p.cover_alt, p.published_at, p.updated_at, s.slug AS series_slug, p.series_position,
    u.id AS author_id, u.slug AS author_slug, u.display_name AS author_name";

/// Visible posts picked by `pick` among those `filter` keeps, newest first.
pub async fn posts(
    db: &Db,
    now: Timestamp,
    filter: &PostFilter,
    pick: &Pick<PostKey>,
) -> sqlx::Result<Vec<ApiPost>> {
    let mut args: Vec<Arg> = Vec::new();
    let mut arg = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    // A tag's posts are walked in `post_tags_by_tag` (tag, visible_at DESC, post_id DESC), where
    // visible_at mirrors published_at while the post is published; the rest in `posts_by_date`
    // or `posts_by_author`.
    let (mut page, date, id) = match &filter.tag {
        Some(tag) => (
            format!(
                "SELECT pt.post_id AS id FROM post_tags pt JOIN posts p ON p.id = pt.post_id
                 WHERE pt.tag_id = (SELECT id FROM tags WHERE slug = {}) AND pt.visible_at <= {}",
                arg(Arg::Text(tag.clone())),
                arg(Arg::Int(now))
            ),
            "pt.visible_at",
            "pt.post_id",
        ),
        None => (
            format!(
                "SELECT p.id FROM posts p WHERE p.status = 'published' AND p.published_at <= {}",
                arg(Arg::Int(now))
            ),
            "p.published_at",
            "p.id",
        ),
    };
    if let Some(author) = &filter.author {
        let a = arg(Arg::Text(author.clone()));
        page.push_str(&format!(
            " AND p.author_id = (SELECT id FROM users WHERE slug = {a} AND role <> 'member'
              AND disabled_at IS NULL)"
        ));
    }
    if let Some(series) = &filter.series {
        page.push_str(&format!(
            " AND p.series_id = (SELECT id FROM series WHERE slug = {})",
            arg(Arg::Text(series.clone()))
        ));
    }
    if let Some(after) = filter.published_after {
        page.push_str(&format!(" AND {date} > {}", arg(Arg::Int(after))));
    }
    if let Some(before) = filter.published_before {
        page.push_str(&format!(" AND {date} < {}", arg(Arg::Int(before))));
    }
    match pick {
        Pick::Id(n) => page.push_str(&format!(" AND {id} = {}", arg(Arg::Int(*n)))),
        Pick::Slug(s) => page.push_str(&format!(" AND p.slug = {}", arg(Arg::Text(s.clone())))),
        Pick::Page { after, limit } => {
            if let Some((d, i)) = after {
                let (d, i) = (arg(Arg::Int(*d)), arg(Arg::Int(*i)));
                page.push_str(&format!(" AND ({date} < {d} OR ({date} = {d} AND {id} < {i}))"));
            }
            page.push_str(&format!(" ORDER BY {date} DESC, {id} DESC LIMIT {}", arg(Arg::Int(*limit))));
        }
    }
    let sql = format!(
        "WITH page AS ({page}) SELECT {POST_COLUMNS}, {TAGS_OF_P}
         FROM page JOIN posts p ON p.id = page.id JOIN users u ON u.id = p.author_id
         LEFT JOIN series s ON s.id = p.series_id ORDER BY p.published_at DESC, p.id DESC"
    );
    on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await)
}

/// A published page.
#[derive(Debug, Clone, FromRow)]
pub struct ApiPage {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Published pages picked by `pick`, in id order (a page's key is its id).
pub async fn pages(db: &Db, pick: &Pick<i64>) -> sqlx::Result<Vec<ApiPage>> {
    let mut args: Vec<Arg> = Vec::new();
    let (condition, tail) = pick_condition(pick, "id", "slug", &mut args);
    let sql = format!(
        "SELECT id, slug, title, body_md, body_html, created_at, updated_at FROM pages
         WHERE status = 'published' {condition} {tail}"
    );
    on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await)
}

/// A tag, author or series with its number of visible posts.
#[derive(Debug, Clone, FromRow)]
pub struct ApiTerm {
    pub id: i64,
    pub slug: String,
    /// A tag's name, an author's display name, a series' title.
    pub name: String,
    /// A tag's or series' description, an author's bio.
    pub description: String,
    pub posts: i64,
}

/// Tags, authors or series (`kind`) with at least one post visible at `now`, in id order.
pub async fn terms(db: &Db, kind: Kind, now: Timestamp, pick: &Pick<i64>) -> sqlx::Result<Vec<ApiTerm>> {
    let mut args: Vec<Arg> = vec![Arg::Int(now)];
    let (condition, tail) = pick_condition(pick, "t.id", "t.slug", &mut args);
    const VISIBLE: &str = "p.status = 'published' AND p.published_at <= $1";
    // Whom the public author page serves: staff, not disabled (see db::taxonomy).
    let (from, name, about) = match kind {
        Kind::Series => {
            (format!("series t JOIN posts p ON p.series_id = t.id WHERE {VISIBLE}"), "title", "description")
        }
        Kind::Author => (
            format!(
                "users t JOIN posts p ON p.author_id = t.id
                 WHERE t.role <> 'member' AND t.disabled_at IS NULL AND {VISIBLE}"
            ),
            "display_name",
            "bio",
        ),
        // A tag's posts come from post_tags, whose visible_at is set while a post is published.
        _ => (
            "tags t JOIN post_tags pt ON pt.tag_id = t.id WHERE pt.visible_at <= $1".to_owned(),
            "name",
            "description",
        ),
    };
    let sql = format!(
        "SELECT t.id, t.slug, t.{name} AS name, t.{about} AS description, COUNT(*) AS posts
         FROM {from} {condition} GROUP BY t.id, t.slug, t.{name}, t.{about} {tail}"
    );
    on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await)
}

/// The `AND …` condition and the `ORDER BY … LIMIT …` tail of `pick` over an id-ordered
/// relation, binding after `args`.
fn pick_condition(pick: &Pick<i64>, id: &str, slug: &str, args: &mut Vec<Arg>) -> (String, String) {
    let mut arg = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    match pick {
        Pick::Id(n) => (format!("AND {id} = {}", arg(Arg::Int(*n))), String::new()),
        Pick::Slug(s) => (format!("AND {slug} = {}", arg(Arg::Text(s.clone()))), String::new()),
        Pick::Page { after, limit } => {
            let condition = match after {
                Some(last) => format!("AND {id} > {}", arg(Arg::Int(*last))),
                None => String::new(),
            };
            (condition, format!("ORDER BY {id} LIMIT {}", arg(Arg::Int(*limit))))
        }
    }
}
