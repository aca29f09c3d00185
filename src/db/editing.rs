//! Writing posts from the editor: create, update under optimistic locking, autosave, tags made on
//! the fly, series positions, revisions with restore, private preview links, deletion.

use sqlx::FromRow;

use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;
use crate::domain::editor::PostDraft;
use crate::domain::slug::ALLOCATION_ATTEMPTS;
use crate::domain::state::Publication;

/// A post as the editor loads it.
#[derive(Debug, Clone)]
pub struct EditPost {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub body_md: String,
    pub excerpt: String,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub status: Publication,
    pub published_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub author_id: i64,
    pub author_name: String,
    pub series_id: Option<i64>,
    pub series_position: Option<i64>,
    pub version: i64,
    pub preview_token: Option<String>,
    /// Tag names, primary first.
    pub tags: Vec<String>,
    /// The post's own comment policy, `None` following the site's.
    pub comment_policy: Option<String>,
    /// The newsletter choice (`domain::newsletter::Sending`), a mail-only post's moment, and
    /// when its mailing was made, if it was.
    pub newsletter: String,
    pub newsletter_at: Option<Timestamp>,
    pub mailed_at: Option<Timestamp>,
}

#[derive(FromRow)]
struct EditRow {
    id: i64,
    title: String,
    slug: String,
    body_md: String,
    excerpt_typed: String,
    cover_image: Option<String>,
    cover_alt: String,
    seo_title: Option<String>,
    seo_description: Option<String>,
    status: String,
    published_at: Option<i64>,
    updated_at: i64,
    author_id: i64,
    author_name: String,
    series_id: Option<i64>,
    series_position: Option<i64>,
    version: i64,
    preview_token: Option<String>,
    tag_names: Option<String>,
    comment_policy: Option<String>,
    newsletter: String,
    newsletter_at: Option<i64>,
    mailed_at: Option<i64>,
}

/// Why a save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// Someone saved the post since this editor loaded it (version `current` is newer).
    Conflict {
        current: i64,
    },
    SlugTaken,
    NotFound,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // Only the posts' own slug: a clash on another unique key is not the writer's to fix.
            // (PostgreSQL names the constraint; SQLite names the column in its message.)
            sqlx::Error::Database(d)
                if d.is_unique_violation()
                    && (d.constraint() == Some("posts_slug_key") || d.message().contains("posts.slug")) =>
            {
                SaveError::SlugTaken
            }
            _ => SaveError::Db(e),
        }
    }
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<EditPost>> {
    const SQL: &str = "SELECT p.id, p.title, p.slug, p.body_md, p.excerpt_typed, p.cover_image, p.cover_alt,
        p.seo_title, p.seo_description, p.status, p.published_at, p.updated_at, p.author_id,
        u.display_name AS author_name, p.series_id, p.series_position, p.version, p.preview_token,
        p.comment_policy, p.newsletter, p.newsletter_at,
        (SELECT MAX(m.created_at) FROM mailings m WHERE m.post_id = p.id) AS mailed_at, (SELECT string_agg(t.name, '\u{1e}' ORDER BY pt.position, t.id) FROM post_tags pt
         JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id) AS tag_names
        FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1";
    let row: Option<EditRow> = on_pool!(db, |pool| sqlx::query_as(SQL).bind(id).fetch_optional(pool).await?);
    Ok(row.map(|r| EditPost {
        id: r.id,
        title: r.title,
        slug: r.slug,
        body_md: r.body_md,
        excerpt: r.excerpt_typed,
        cover_image: r.cover_image,
        cover_alt: r.cover_alt,
        seo_title: r.seo_title,
        seo_description: r.seo_description,
        status: Publication::parse(&r.status),
        published_at: r.published_at,
        updated_at: r.updated_at,
        author_id: r.author_id,
        author_name: r.author_name,
        series_id: r.series_id,
        series_position: r.series_position,
        version: r.version,
        preview_token: r.preview_token,
        tags: r
            .tag_names
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        comment_policy: r.comment_policy,
        newsletter: r.newsletter,
        newsletter_at: r.newsletter_at,
        mailed_at: r.mailed_at,
    }))
}

/// Who saves, when, and whether the save is kept as a revision (autosaves are not).
#[derive(Debug, Clone, Copy)]
pub struct Save<'a> {
    pub by: i64,
    /// Hands the post to this user; `None` keeps its author (or makes `by` the author of a new one).
    pub author: Option<i64>,
    pub now: Timestamp,
    pub revision: bool,
    pub note: &'a str,
}

/// The columns a save writes, in the order [`bind_draft!`] binds them.
const POST_COLUMNS: [&str; 20] = [
    "title",
    "slug",
    "body_md",
    "body_html",
    "excerpt",
    "excerpt_typed",
    "cover_image",
    "cover_alt",
    "status",
    "published_at",
    "updated_at",
    "series_id",
    "series_position",
    "seo_title",
    "seo_description",
    "reading_minutes",
    "body_text",
    "comment_policy",
    "newsletter",
    "newsletter_at",
];

/// Binds a draft's [`POST_COLUMNS`] in order, with the slug to store.
macro_rules! bind_draft {
    ($query:expr, $d:expr, $slug:expr, $now:expr, $position:expr) => {
        $query
            .bind($d.title.as_str())
            .bind($slug.as_str())
            .bind($d.body_md.as_str())
            .bind($d.rendered.html.as_str())
            .bind($d.listing_excerpt())
            .bind($d.excerpt.as_str())
            .bind($d.cover_image.as_deref())
            .bind($d.cover_alt.as_str())
            .bind($d.status.as_str())
            .bind($d.published_at)
            .bind($now)
            .bind($d.series.map(|(id, _)| id))
            .bind($position)
            .bind($d.seo_title.as_deref())
            .bind($d.seo_description.as_deref())
            .bind($d.rendered.reading_minutes)
            .bind($d.rendered.text.as_str())
            .bind($d.comment_policy.as_deref())
            .bind($d.newsletter.as_str())
            .bind($d.newsletter_at)
    };
}

/// The id of the tag named `$name` (ignoring letter case; SQLite's `lower` folds ASCII only),
/// created when there is none: with slug `$slug`, or the first free `slug-N` when another tag
/// holds that slug under another name ("Go!" and "Go?"), so two names never share a tag silently.
/// This is how Ghost and WordPress add a tag by name. Two saves creating one new tag at once:
/// the second's insert yields (`ON CONFLICT DO NOTHING`, which waits for the first to commit),
/// then finds the tag by its name, or tries another slug
/// ([`crate::domain::slug::Slug::candidate`]).
macro_rules! tag_named {
    ($tx:ident, $slug:expr, $name:expr, $now:expr) => {{
        const BY_NAME: &str = "SELECT id FROM tags WHERE lower(name) = lower($1) ORDER BY id LIMIT 1";
        const TAKEN: &str = "SELECT slug FROM tags WHERE slug LIKE $1";
        const NEW: &str = "INSERT INTO tags (slug, name, description, created_at) VALUES ($1, $2, '', $3)
                           ON CONFLICT (slug) DO NOTHING RETURNING id";
        let base: &$crate::domain::slug::Slug = $slug;
        let name: &str = $name;
        let mut found = None;
        for attempt in 0..$crate::domain::slug::ALLOCATION_ATTEMPTS {
            found = sqlx::query_scalar::<_, i64>(BY_NAME).bind(name).fetch_optional(&mut *$tx).await?;
            if found.is_some() {
                break;
            }
            let taken: Vec<String> = sqlx::query_scalar(TAKEN)
                .bind(format!("{}%", base.family_prefix()))
                .fetch_all(&mut *$tx)
                .await?;
            let slug = base.candidate(attempt, |s| taken.iter().any(|t| t == s));
            found = sqlx::query_scalar::<_, i64>(NEW)
                .bind(slug.as_str())
                .bind(name)
                .bind($now)
                .fetch_optional(&mut *$tx)
                .await?;
            if found.is_some() {
                break;
            }
        }
        found.ok_or(sqlx::Error::RowNotFound)?
    }};
}
pub(crate) use tag_named;

/// Writes the post's tags (creating new ones), keeping their order, and a revision if asked.
macro_rules! finish_save {
    ($tx:ident, $id:expr, $version:expr, $d:expr, $save:expr) => {{
        const CLEAR: &str = "DELETE FROM post_tags WHERE post_id = $1";
        const LINK: &str =
            "INSERT INTO post_tags (post_id, tag_id, position, visible_at) VALUES ($1, $2, $3, $4)";
        const REVISION: &str =
            "INSERT INTO post_revisions (post_id, version, title, body_md, excerpt, saved_by,
                                saved_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let visible_at = if $d.status == Publication::Published { $d.published_at } else { None };
        sqlx::query(CLEAR).bind($id).execute(&mut *$tx).await?;
        for (position, (slug, name)) in $d.tags.iter().enumerate() {
            let tag = tag_named!($tx, slug, name, $save.now);
            sqlx::query(LINK)
                .bind($id)
                .bind(tag)
                .bind(position as i64)
                .bind(visible_at)
                .execute(&mut *$tx)
                .await?;
        }
        if $save.revision {
            sqlx::query(REVISION)
                .bind($id)
                .bind($version)
                .bind($d.title.as_str())
                .bind($d.body_md.as_str())
                .bind($d.excerpt.as_str())
                .bind($save.by)
                .bind($save.now)
                .bind($save.note)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// The slug to store for draft `$d` of post `$id` (0 for a new one) on attempt `$attempt` of
/// [`retrying_slug!`]: its own, or when another post has it and it was derived from the title,
/// another ([`crate::domain::slug::Slug::candidate`]); a typed slug that another post has is
/// refused. (`LIKE` rather than a range of strings: PostgreSQL orders text by the database's
/// collation, in which `-` may sort anywhere.)
macro_rules! free_slug {
    ($tx:ident, $d:expr, $id:expr, $attempt:expr) => {{
        const TAKEN: &str = "SELECT slug FROM posts WHERE slug LIKE $1 AND id <> $2";
        let base = $d.slug.as_str();
        let taken: Vec<String> = sqlx::query_scalar(TAKEN)
            .bind(format!("{}%", $d.slug.family_prefix()))
            .bind($id)
            .fetch_all(&mut *$tx)
            .await?;
        if taken.iter().any(|s| s == base) && !$d.slug_derived {
            return Err(SaveError::SlugTaken);
        }
        $d.slug.candidate($attempt, |s| taken.iter().any(|t| t == s))
    }};
}

/// Runs the save `$body` (a transaction) with `$attempt` = 0, 1, … again while the slug it
/// derived from the title for draft `$d` was taken meanwhile by a concurrent writer: the unique
/// index refuses it and the transaction rolls back, so nothing half-saved stays. A typed slug
/// that is taken is the writer's to fix and is not retried.
macro_rules! retrying_slug {
    ($d:expr, |$attempt:ident| $body:expr) => {{
        let mut result = Err(SaveError::SlugTaken);
        for $attempt in 0..ALLOCATION_ATTEMPTS {
            result = async { Ok::<_, SaveError>($body) }.await;
            if !(matches!(result, Err(SaveError::SlugTaken)) && $d.slug_derived) {
                break;
            }
        }
        result
    }};
}

/// The series position to store: the one typed, else the end of the series.
macro_rules! series_position {
    ($tx:ident, $d:expr, $id:expr) => {{
        const NEXT: &str =
            "SELECT COALESCE(MAX(series_position), 0) + 1 FROM posts WHERE series_id = $1 AND id <> $2";
        match $d.series {
            Some((_, Some(position))) => Some(position),
            Some((series, None)) => {
                Some(sqlx::query_scalar::<_, i64>(NEXT).bind(series).bind($id).fetch_one(&mut *$tx).await?)
            }
            None => None,
        }
    }};
}

/// Creates a post by `save.author`, else `save.by`; returns its id.
pub async fn create(db: &Db, d: &PostDraft, save: Save<'_>) -> Result<i64, SaveError> {
    // $1 the author, then the draft's columns, then the creation time.
    let n = POST_COLUMNS.len();
    let sql = format!(
        "INSERT INTO posts (author_id, {}, created_at, version) VALUES ($1, {}, ${}, 1) RETURNING id",
        POST_COLUMNS.join(", "),
        super::placeholders(n, 2),
        n + 2
    );
    retrying_slug!(d, |attempt| in_tx!(db, |tx| {
        let slug = free_slug!(tx, d, 0_i64, attempt);
        let position = series_position!(tx, d, 0_i64);
        let author = save.author.unwrap_or(save.by);
        let id: i64 = bind_draft!(sqlx::query_scalar(&sql).bind(author), d, slug, save.now, position)
            .bind(save.now)
            .fetch_one(&mut *tx)
            .await?;
        finish_save!(tx, id, 1_i64, d, save);
        id
    }))
}

/// Saves `d` over post `id` if it is still at `version`; returns the new version.
pub async fn update(db: &Db, id: i64, version: i64, d: &PostDraft, save: Save<'_>) -> Result<i64, SaveError> {
    // $1 the post, then the draft's columns, then the version it must still be at and the new
    // author (NULL keeps the current one).
    let n = POST_COLUMNS.len();
    let sql = format!(
        "UPDATE posts SET {}, author_id = COALESCE(${}, author_id), version = version + 1
         WHERE id = $1 AND version = ${}",
        super::assignments(&POST_COLUMNS, 2),
        n + 3,
        n + 2
    );
    const CURRENT: &str = "SELECT version FROM posts WHERE id = $1";
    retrying_slug!(d, |attempt| in_tx!(db, |tx| {
        let slug = free_slug!(tx, d, id, attempt);
        let position = series_position!(tx, d, id);
        let done = bind_draft!(sqlx::query(&sql).bind(id), d, slug, save.now, position)
            .bind(version)
            .bind(save.author)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done != 1 {
            let current: Option<i64> = sqlx::query_scalar(CURRENT).bind(id).fetch_optional(&mut *tx).await?;
            return Err(match current {
                Some(current) => SaveError::Conflict { current },
                None => SaveError::NotFound,
            });
        }
        finish_save!(tx, id, version + 1, d, save);
        version + 1
    }))
}

/// Deletes post `id` if it is still at `version` (the one its permission was judged on);
/// `false` when it changed or went meanwhile.
pub async fn delete(db: &Db, id: i64, version: i64) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM posts WHERE id = $1 AND version = $2";
    Ok(on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(version).execute(pool).await?.rows_affected()) == 1)
}

/// Gives the post a private preview link token (replacing any earlier one, which stops working).
pub async fn set_preview_token(db: &Db, id: i64, token: &str) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE posts SET preview_token = $2 WHERE id = $1";
    on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(token).execute(pool).await.map(|_| ()))
}
