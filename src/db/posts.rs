//! Reading published posts for the public site. Every query here filters on visibility
//! (`status = 'published' AND published_at <= now`), so drafts and scheduled posts cannot leak.

use sqlx::FromRow;

use super::{Db, Held, on_held, on_pool};
use crate::domain::Timestamp;

/// A tag as shown on a post: its name and where it links.
#[derive(Debug, Clone)]
pub struct TagRef {
    pub slug: String,
    pub name: String,
}

/// One post in a listing.
#[derive(Debug, Clone)]
pub struct PostCard {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub published_at: Timestamp,
    pub reading_minutes: i64,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub author_name: String,
    pub author_slug: String,
    pub tags: Vec<TagRef>,
    /// Approved comments (kept by migration 0015's triggers).
    pub comment_count: i64,
}

/// A listing row: a post with its tags folded into one column (see [`TAGS_OF_P`]).
#[derive(FromRow)]
struct CardRow {
    id: i64,
    slug: String,
    title: String,
    excerpt: String,
    published_at: Timestamp,
    reading_minutes: i64,
    cover_image: Option<String>,
    cover_alt: String,
    author_name: String,
    author_slug: String,
    comment_count: i64,
    tag_list: Option<String>,
}

impl From<CardRow> for PostCard {
    fn from(row: CardRow) -> PostCard {
        PostCard {
            id: row.id,
            slug: row.slug,
            title: row.title,
            excerpt: row.excerpt,
            published_at: row.published_at,
            reading_minutes: row.reading_minutes,
            cover_image: row.cover_image,
            cover_alt: row.cover_alt,
            author_name: row.author_name,
            author_slug: row.author_slug,
            tags: parse_tags(row.tag_list.as_deref()).into_iter().map(|(_, tag)| tag).collect(),
            comment_count: row.comment_count,
        }
    }
}

/// A post's tags as one string, `id US slug US name` joined by RS (ASCII unit and record
/// separators, which slugs cannot contain and tag names must not), primary tag first. One row per
/// post instead of one per post and tag: rows are what SQLite hands across threads one by one.
/// `string_agg … ORDER BY` is standard in PostgreSQL and in SQLite since 3.44.
pub(crate) const TAGS_OF_P: &str =
    "(SELECT string_agg(CAST(t.id AS TEXT) || '\u{1f}' || t.slug || '\u{1f}' || t.name,
     '\u{1e}' ORDER BY pt.position, t.id)
   FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id) AS tag_list";

/// Splits a [`TAGS_OF_P`] column into (id, tag) pairs.
pub(crate) fn parse_tags(list: Option<&str>) -> Vec<(i64, TagRef)> {
    list.unwrap_or_default()
        .split('\u{1e}')
        .filter_map(|entry| {
            let mut parts = entry.splitn(3, '\u{1f}');
            let id = parts.next()?.parse().ok()?;
            Some((id, TagRef { slug: parts.next()?.to_owned(), name: parts.next()?.to_owned() }))
        })
        .collect()
}

/// Which posts a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    All,
    Tag(i64),
    Author(i64),
}

/// The body of every listing: the page of post ids comes from the CTE, each bound to one index.
const CARD_COLUMNS: &str = "p.id, p.slug, p.title, p.excerpt, p.published_at, p.reading_minutes,
       p.cover_image, p.cover_alt, u.display_name AS author_name, u.slug AS author_slug, p.comment_count";

fn card_select(order: &str) -> String {
    format!(
        "SELECT {CARD_COLUMNS}, {TAGS_OF_P} FROM page JOIN posts p ON p.id = page.id
         JOIN users u ON u.id = p.author_id ORDER BY {order}"
    )
}

const NEWEST_FIRST: &str = "p.published_at DESC, p.id DESC";

fn listing_sql(listing: Listing) -> &'static str {
    use std::sync::LazyLock;
    static ALL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH page AS (SELECT id FROM posts WHERE status = 'published' AND published_at <= $1
             ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3) {}",
            card_select(NEWEST_FIRST)
        )
    });
    static TAG: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH page AS (SELECT post_id AS id FROM post_tags WHERE tag_id = $4 AND visible_at <= $1
             ORDER BY visible_at DESC, post_id DESC LIMIT $2 OFFSET $3) {}",
            card_select(NEWEST_FIRST)
        )
    });
    static AUTHOR: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH page AS (SELECT id FROM posts WHERE author_id = $4 AND status = 'published'
             AND published_at <= $1 ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3) {}",
            card_select(NEWEST_FIRST)
        )
    });
    match listing {
        Listing::All => &ALL,
        Listing::Tag(_) => &TAG,
        Listing::Author(_) => &AUTHOR,
    }
}

/// Up to `limit` visible posts of `listing`, newest first, skipping `offset`.
pub async fn list(
    db: &Db,
    listing: Listing,
    now: Timestamp,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PostCard>> {
    let filter = match listing {
        Listing::All => 0,
        Listing::Tag(id) | Listing::Author(id) => id,
    };
    let sql = listing_sql(listing);
    let rows: Vec<CardRow> = on_pool!(db, |pool| {
        let query = sqlx::query_as(sql).bind(now).bind(limit).bind(offset);
        let query = if matches!(listing, Listing::All) { query } else { query.bind(filter) };
        query.fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(PostCard::from).collect())
}

/// A published post with everything its page shows.
#[derive(Debug, Clone, FromRow)]
pub struct PostPage {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub excerpt: String,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
    pub reading_minutes: i64,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub author_name: String,
    pub author_slug: String,
    pub author_bio: String,
    pub series_id: Option<i64>,
    pub series_slug: Option<String>,
    pub series_title: Option<String>,
    pub series_position: Option<i64>,
    /// This post's place among the series' visible posts (counting itself, as a preview does),
    /// in position order; `None` outside a series or without a position.
    pub series_part: Option<i64>,
    /// How many posts the series has for readers (counting this one, as a preview does).
    pub series_count: i64,
    /// The post's own comment policy (`open`, `members`, `closed`), `None` following the site's.
    pub comment_policy: Option<String>,
    /// Approved comments shown.
    pub comment_count: i64,
    /// The last change to any of its comments (`comments.changed_at`), if it has any.
    pub comments_changed_at: Option<Timestamp>,
    tag_list: Option<String>,
    /// The correction notices, `created_at US body` joined by RS, oldest first (see
    /// [`PostPage::corrections`]).
    correction_list: Option<String>,
}

impl PostPage {
    /// The post's correction notices: (when, text), oldest first. Read with the page in one
    /// statement; a notice's text cannot hold the separators (`domain::corrections::check_notice`
    /// refuses control characters).
    pub fn corrections(&self) -> Vec<(Timestamp, String)> {
        self.correction_list
            .as_deref()
            .unwrap_or_default()
            .split('\u{1e}')
            .filter_map(|entry| {
                let (at, body) = entry.split_once('\u{1f}')?;
                Some((at.parse().ok()?, body.to_owned()))
            })
            .collect()
    }

    /// The post's tags with their ids, primary tag first.
    pub fn tags(&self) -> Vec<(i64, TagRef)> {
        parse_tags(self.tag_list.as_deref())
    }
}

/// Everything a post page shows, for the posts `condition` picks (`$1` is its argument, `$2` now).
fn post_page_sql(condition: &str) -> String {
    format!(
        "
SELECT p.id, p.slug, p.title, p.body_html, p.excerpt, p.cover_image, p.cover_alt,
       COALESCE(p.published_at, p.updated_at) AS published_at,
       p.updated_at, p.reading_minutes, p.seo_title, p.seo_description,
       u.display_name AS author_name, u.slug AS author_slug, u.bio AS author_bio,
       s.id AS series_id, s.slug AS series_slug, s.title AS series_title, p.series_position,
       CASE WHEN p.series_position IS NOT NULL THEN 1 + (SELECT COUNT(*) FROM posts q
        WHERE q.series_id = p.series_id AND q.status = 'published' AND q.published_at + 0 <= $2
        AND (q.series_position < p.series_position OR (q.series_position = p.series_position AND q.id < p.id)))
       END AS series_part,
       1 + (SELECT COUNT(*) FROM posts q WHERE q.series_id = p.series_id AND q.status = 'published'
        AND q.published_at + 0 <= $2 AND q.id <> p.id) AS series_count,
       p.comment_policy, p.comment_count, {TAGS_OF_P},
       (SELECT MAX(c.changed_at) FROM comments c WHERE c.post_id = p.id) AS comments_changed_at,
       (SELECT string_agg(CAST(n.created_at AS TEXT) || '\u{1f}' || n.body, '\u{1e}' ORDER BY n.created_at, n.id)
        FROM correction_notices n WHERE n.post_id = p.id) AS correction_list
FROM posts p
JOIN users u ON u.id = p.author_id
LEFT JOIN series s ON s.id = p.series_id
WHERE {condition}"
    )
}

/// The visible post at `slug`, if any, read on a held connection: its page goes on to read
/// [`surroundings`] on the same one.
pub async fn find_visible(db: &mut Held, slug: &str, now: Timestamp) -> sqlx::Result<Option<PostPage>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        post_page_sql("p.slug = $1 AND p.status = 'published' AND p.published_at <= $2")
    });
    on_held!(db, |conn| sqlx::query_as(SQL.as_str()).bind(slug).bind(now).fetch_optional(conn).await)
}

/// The post, whatever its state, that the private preview link `token` shows.
pub async fn find_by_preview_token(db: &Db, token: &str, now: Timestamp) -> sqlx::Result<Option<PostPage>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| post_page_sql("p.preview_token = $1"));
    on_pool!(db, |pool| sqlx::query_as(SQL.as_str()).bind(token).bind(now).fetch_optional(pool).await)
}

/// A link to another post.
#[derive(Debug, Clone)]
pub struct PostLink {
    pub slug: String,
    pub title: String,
    pub published_at: Timestamp,
}

/// The posts around one: by date across the site, by position within its series, and the
/// posts sharing most of its tags.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    pub newer: Option<PostLink>,
    pub older: Option<PostLink>,
    pub series_previous: Option<PostLink>,
    pub series_next: Option<PostLink>,
    pub related: Vec<PostLink>,
}

/// Tags considered when looking for related posts, and recent posts considered per tag: both
/// bounded, so the cost of a post page does not grow with the number of posts.
const RELATED_TAGS: usize = 4;
const RELATED_PER_TAG: usize = 40;
/// Related posts shown under an article.
const RELATED_SHOWN: usize = 3;

/// Finds everything around `post` in one round trip; every branch reads one bounded index range.
/// `tag_ids` are the post's tags, primary first.
pub async fn surroundings(
    db: &mut Held,
    post: &PostPage,
    tag_ids: &[i64],
    now: Timestamp,
) -> sqlx::Result<Surroundings> {
    static SQL: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..=RELATED_TAGS).map(surroundings_sql).collect());
    let tag_ids = &tag_ids[..tag_ids.len().min(RELATED_TAGS)];
    let rows: Vec<(String, String, String, Timestamp, i64)> = on_held!(db, |conn| {
        let mut query = sqlx::query_as(SQL[tag_ids.len()].as_str())
            .bind(now)
            .bind(post.published_at)
            .bind(post.id)
            .bind(post.series_id)
            .bind(post.series_position);
        for id in tag_ids {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await?
    });
    let mut found = Surroundings::default();
    let mut related = Vec::new();
    for (rel, slug, title, published_at, shared) in rows {
        let link = PostLink { slug, title, published_at };
        match rel.as_str() {
            "newer" => found.newer = Some(link),
            "older" => found.older = Some(link),
            "series_previous" => found.series_previous = Some(link),
            "series_next" => found.series_next = Some(link),
            _ => related.push((shared, link)),
        }
    }
    // A UNION does not promise to keep a branch's order; restore it.
    related.sort_by(|(a, x), (b, y)| b.cmp(a).then(y.published_at.cmp(&x.published_at)));
    found.related = related.into_iter().map(|(_, link)| link).collect();
    Ok(found)
}

/// Binds: `$1` now, `$2`/`$3` the post's date and id, `$4`/`$5` its series and position, `$6…`
/// one per tag (at most [`RELATED_TAGS`], so at most five statements exist).
/// In series branches `published_at + 0` keeps SQLite's planner off the date index (which would
/// scan every published post) and on `posts_by_series`; a series is small, so filtering is cheap.
fn surroundings_sql(tags: usize) -> String {
    let mut sql = String::from(
        "
SELECT * FROM (SELECT 'newer' AS rel, slug, title, published_at, CAST(0 AS BIGINT) AS shared FROM posts
  WHERE status = 'published' AND published_at <= $1 AND (published_at, id) > ($2, $3)
  ORDER BY published_at ASC, id ASC LIMIT 1) a
UNION ALL
SELECT * FROM (SELECT 'older', slug, title, published_at, 0 FROM posts
  WHERE status = 'published' AND (published_at, id) < ($2, $3)
  ORDER BY published_at DESC, id DESC LIMIT 1) b
UNION ALL
SELECT * FROM (SELECT 'series_previous', slug, title, published_at, 0 FROM posts
  WHERE series_id = $4 AND status = 'published' AND published_at + 0 <= $1 AND series_position < $5
  ORDER BY series_position DESC LIMIT 1) c
UNION ALL
SELECT * FROM (SELECT 'series_next', slug, title, published_at, 0 FROM posts
  WHERE series_id = $4 AND status = 'published' AND published_at + 0 <= $1 AND series_position > $5
  ORDER BY series_position ASC LIMIT 1) d",
    );
    if tags > 0 {
        let per_tag: Vec<String> = (0..tags)
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT post_id FROM post_tags WHERE tag_id = ${} AND visible_at <= $1
                     AND post_id <> $3 ORDER BY visible_at DESC, post_id DESC LIMIT {RELATED_PER_TAG}) t{i}",
                    i + 6
                )
            })
            .collect();
        sql.push_str(&format!(
            "
UNION ALL
SELECT * FROM (SELECT 'related', p.slug, p.title, p.published_at, cand.shared FROM
    (SELECT post_id, COUNT(*) AS shared FROM ({}) c GROUP BY post_id) cand
  JOIN posts p ON p.id = cand.post_id
  ORDER BY cand.shared DESC, p.published_at DESC, p.id DESC LIMIT {RELATED_SHOWN}) r",
            per_tag.join(" UNION ALL ")
        ));
    }
    sql
}

/// Every visible post of a series, in reading order (bounded: a series is a course, not a feed).
pub async fn in_series(db: &Db, series_id: i64, now: Timestamp) -> sqlx::Result<Vec<PostCard>> {
    let sql = in_series_sql();
    let rows: Vec<CardRow> =
        on_pool!(db, |pool| sqlx::query_as(sql).bind(now).bind(series_id).fetch_all(pool).await?);
    Ok(rows.into_iter().map(PostCard::from).collect())
}

/// [`in_series`]' statement: `$1` now, `$2` the series.
fn in_series_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "WITH page AS (SELECT id FROM posts WHERE series_id = $2 AND status = 'published'
             AND published_at + 0 <= $1 ORDER BY series_position, id LIMIT 500) {}",
            card_select("p.series_position, p.id")
        )
    });
    &SQL
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::plans::assert_plan_bounded;

    /// The reader's pages read as many rows at 100,000 posts as at 100: a post page its series'
    /// entries and its own row (the series counts once walked every published post, O(posts) per
    /// page view), a listing one page of an index, the posts around an article bounded ranges, a
    /// series page its own entries (500 at most).
    #[rocket::async_test]
    async fn readers_pages_read_no_more_rows_as_the_site_grows() {
        let post_page = post_page_sql("p.slug = $1 AND p.status = 'published' AND p.published_at <= $2");
        let listings = [Listing::All, Listing::Tag(1), Listing::Author(1)].map(|l| listing_sql(l).to_owned());
        let series = in_series_sql().to_owned();
        for sql in [post_page, surroundings_sql(RELATED_TAGS), series].iter().chain(&listings) {
            assert_plan_bounded(sql).await;
        }
    }
}
