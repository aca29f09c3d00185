//! The admin's post list: filters, search, sort and bounded pagination over any number of posts,
//! bulk actions, and the dashboard's counts.

use sqlx::FromRow;

use super::editing::tag_named;
use super::posts::{TAGS_OF_P, TagRef, parse_tags};
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::roles::{PostChange, PostOwnership};
use crate::domain::slug::Slug;
use crate::domain::state::{PostState, Publication};
use plan::Plan;

mod plan;

/// Which posts by state; "scheduled" is published with a date still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Any,
    Draft,
    Published,
    Scheduled,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 4] =
        [StatusFilter::Any, StatusFilter::Draft, StatusFilter::Published, StatusFilter::Scheduled];

    pub fn parse(s: &str) -> StatusFilter {
        StatusFilter::ALL.into_iter().find(|f| f.as_str() == s).unwrap_or(StatusFilter::Any)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Any => "",
            StatusFilter::Draft => "draft",
            StatusFilter::Published => "published",
            StatusFilter::Scheduled => "scheduled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Any => "Any status",
            StatusFilter::Draft => "Drafts",
            StatusFilter::Published => "Published",
            StatusFilter::Scheduled => "Scheduled",
        }
    }
}

/// The list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Updated,
    Created,
    Title,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Updated, Sort::Created, Sort::Title];

    pub fn parse(s: &str) -> Sort {
        Sort::ALL.into_iter().find(|f| f.as_str() == s).unwrap_or(Sort::Updated)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Updated => "updated",
            Sort::Created => "created",
            Sort::Title => "title",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Updated => "Last changed",
            Sort::Created => "Newest first",
            Sort::Title => "Title A–Z",
        }
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::Updated => "p.updated_at DESC, p.id DESC",
            Sort::Created => "p.id DESC",
            Sort::Title => "p.title, p.id",
        }
    }
}

/// One query of the post list.
#[derive(Debug, Clone)]
pub struct PostQuery {
    /// Words the title must contain (case-insensitive); empty for all.
    pub search: String,
    pub status: StatusFilter,
    pub author: Option<i64>,
    pub tag: Option<i64>,
    pub series: Option<i64>,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

/// Counting stops here: "10,000+ posts" is as precise as a list of this size needs to be, and
/// counting every match of a broad filter over millions of rows is what makes admin lists slow.
pub const COUNT_CAP: i64 = 10_000;

/// A post in the list.
#[derive(Debug, Clone)]
pub struct PostRow {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub status: Publication,
    pub published_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub author_id: i64,
    pub author_name: String,
    pub series_title: Option<String>,
    pub tags: Vec<TagRef>,
}

impl PostRow {
    /// Its state as of `now`.
    pub fn state(&self, now: Timestamp) -> PostState {
        PostState::of(self.status, self.published_at, now)
    }
}

#[derive(FromRow)]
struct Row {
    id: i64,
    title: String,
    slug: String,
    status: String,
    published_at: Option<i64>,
    updated_at: i64,
    author_id: i64,
    author_name: String,
    series_title: Option<String>,
    tag_list: Option<String>,
}

/// A bound value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// Applies `args` to a query, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::db::admin_posts::Arg::Int(n) => q.bind(*n),
                $crate::db::admin_posts::Arg::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// `%text%` for LIKE, with LIKE's own wildcards escaped.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of posts matching `q`, and how many match in all (at most [`COUNT_CAP`] + 1).
pub async fn list(db: &Db, q: &PostQuery, now: Timestamp) -> sqlx::Result<(Vec<PostRow>, i64)> {
    let Plan { page, page_of_few, count, mut args } = plan::plan(q, now, matches!(db, Db::Sqlite(_)));
    let count: i64 =
        on_pool!(db, |pool| bind_all!(sqlx::query_scalar(&count), &args).fetch_one(pool).await?);
    if count == 0 || (count <= COUNT_CAP && q.offset >= count) {
        return Ok((Vec::new(), count));
    }
    let page = match page_of_few {
        Some(few) if count <= plan::FEW => few,
        _ => page,
    };
    args.push(Arg::Int(q.limit));
    args.push(Arg::Int(q.offset));
    let (limit, offset) = (args.len() - 1, args.len());
    let order = q.sort.order_by();
    // The page of ids is chosen first, so tags and names are looked up for that page only.
    // CROSS JOIN keeps `page` the outer loop: given a plain join, SQLite 3.46 walks every post in
    // the ORDER BY's index and probes `page` for each (200 ms at 100,000 posts instead of 2).
    let sql = format!(
        "WITH page AS ({page} LIMIT ${limit} OFFSET ${offset})
         SELECT p.id, p.title, p.slug, p.status, p.published_at, p.updated_at, p.author_id,
                u.display_name AS author_name, s.title AS series_title, {TAGS_OF_P}
         FROM page CROSS JOIN posts p JOIN users u ON u.id = p.author_id
         LEFT JOIN series s ON s.id = p.series_id WHERE p.id = page.id ORDER BY {order}"
    );
    let rows: Vec<Row> = on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await?);
    let rows = rows
        .into_iter()
        .map(|r| PostRow {
            id: r.id,
            title: r.title,
            slug: r.slug,
            status: Publication::parse(&r.status),
            published_at: r.published_at,
            updated_at: r.updated_at,
            author_id: r.author_id,
            author_name: r.author_name,
            series_title: r.series_title,
            tags: parse_tags(r.tag_list.as_deref()).into_iter().map(|(_, t)| t).collect(),
        })
        .collect();
    Ok((rows, count))
}

/// A change applied to many posts at once.
#[derive(Debug, Clone)]
pub enum Bulk {
    Publish,
    Unpublish,
    Delete,
    /// Adds the tag with this name (and this slug if it is new), creating it if needed.
    Tag(Slug, String),
}

/// Appends `(id, id, …)` to `query`, each id a bind parameter.
fn push_ids<'args, DB: sqlx::Database>(query: &mut sqlx::QueryBuilder<'args, DB>, ids: &[i64])
where
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    query.push("(");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

impl Bulk {
    /// What this action does to each post, in the terms of the role rule.
    pub fn change(&self) -> PostChange {
        match self {
            Bulk::Publish | Bulk::Unpublish => PostChange::Publish,
            Bulk::Delete => PostChange::Delete,
            Bulk::Tag(..) => PostChange::Edit,
        }
    }
}

/// The most posts one bulk action may name: the list shows 50 a page. A cap keeps one request
/// from holding SQLite's write lock for seconds, and keeps the statement under both databases'
/// bind-parameter limits (SQLite's 32,766, PostgreSQL's 65,535).
pub const BULK_MAX: usize = 200;

/// Applies `action` to those of `ids` (at most [`BULK_MAX`]) for which `allowed` says yes,
/// judged on each post's facts inside the same transaction as the change. Returns how many
/// posts changed. Publishing keeps the date of posts already out and of scheduled ones.
pub async fn bulk(
    db: &Db,
    action: &Bulk,
    ids: &[i64],
    allowed: impl Fn(PostOwnership) -> bool,
    now: Timestamp,
) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let ids = &ids[..ids.len().min(BULK_MAX)];
    let lock_rows = if matches!(db, Db::Postgres(_)) { " FOR UPDATE" } else { "" };
    Ok(in_tx!(db, |tx| {
        let mut facts = sqlx::QueryBuilder::new("SELECT id, author_id, status FROM posts WHERE id IN ");
        push_ids(&mut facts, ids);
        // The facts decide the change, so no other writer may change them before it: PostgreSQL
        // locks the rows; SQLite's BEGIN IMMEDIATE already keeps every other writer out.
        facts.push(lock_rows);
        let rows: Vec<(i64, i64, String)> = facts.build_query_as().fetch_all(&mut *tx).await?;
        let chosen: Vec<i64> = rows
            .into_iter()
            .filter(|(_, author_id, status)| {
                allowed(PostOwnership {
                    author_id: *author_id,
                    published: status != Publication::Draft.as_str(),
                })
            })
            .map(|(id, _, _)| id)
            .collect();
        if chosen.is_empty() {
            return Ok(0);
        }
        let mut change = sqlx::QueryBuilder::new(match action {
            Bulk::Publish => "UPDATE posts SET status = 'published', published_at = COALESCE(published_at, ",
            Bulk::Unpublish => "UPDATE posts SET status = 'draft', published_at = NULL, ",
            Bulk::Tag(..) => "UPDATE posts SET ",
            Bulk::Delete => "DELETE FROM posts ",
        });
        if matches!(action, Bulk::Publish) {
            change.push_bind(now).push("), ");
        }
        if !matches!(action, Bulk::Delete) {
            change.push("version = version + 1, updated_at = ").push_bind(now).push(" ");
        }
        change.push("WHERE id IN ");
        push_ids(&mut change, &chosen);
        change.push(match action {
            // A mail-only post stays off the site (it is published by mail, at its moment).
            Bulk::Publish => " AND status = 'draft' AND newsletter <> 'only'",
            Bulk::Unpublish => " AND status = 'published'",
            Bulk::Delete | Bulk::Tag(..) => "",
        });
        let changed = change.build().execute(&mut *tx).await?.rows_affected();
        match action {
            Bulk::Publish | Bulk::Unpublish => {
                let mut visible = sqlx::QueryBuilder::new(
                    "UPDATE post_tags SET visible_at = (SELECT CASE WHEN p.status = 'published' THEN \
                     p.published_at END FROM posts p WHERE p.id = post_tags.post_id) WHERE post_id IN ",
                );
                push_ids(&mut visible, &chosen);
                visible.build().execute(&mut *tx).await?;
            }
            Bulk::Tag(slug, name) => {
                let tag = tag_named!(tx, slug, name, now);
                let mut tag_posts = sqlx::QueryBuilder::new(
                    "INSERT INTO post_tags (post_id, tag_id, position, visible_at) SELECT p.id, ",
                );
                tag_posts.push_bind(tag).push(
                    ", 1000, CASE WHEN p.status = 'published' THEN p.published_at END FROM posts p \
                     WHERE p.id IN ",
                );
                push_ids(&mut tag_posts, &chosen);
                tag_posts.push(" ON CONFLICT (post_id, tag_id) DO NOTHING");
                tag_posts.build().execute(&mut *tx).await?;
            }
            Bulk::Delete => {}
        }
        changed
    }))
}

/// The dashboard's numbers.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Counts {
    pub published: i64,
    pub scheduled: i64,
    pub drafts: i64,
    pub pages: i64,
    pub media: i64,
    pub staff: i64,
    pub members: i64,
}

pub async fn counts(db: &Db, now: Timestamp) -> sqlx::Result<Counts> {
    const SQL: &str = "SELECT
        (SELECT COUNT(*) FROM posts WHERE status = 'published' AND published_at <= $1) AS published,
        (SELECT COUNT(*) FROM posts WHERE status = 'published' AND published_at > $1) AS scheduled,
        (SELECT COUNT(*) FROM posts WHERE status = 'draft') AS drafts,
        (SELECT COUNT(*) FROM pages) AS pages,
        (SELECT COUNT(*) FROM media) AS media,
        (SELECT COUNT(*) FROM users WHERE role <> 'member') AS staff,
        (SELECT COUNT(*) FROM users WHERE role = 'member') AS members";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(now).fetch_one(pool).await)
}
