//! Pages, tags and series as the admin lists and edits them.

use sqlx::FromRow;

use super::admin_posts::{Arg, bind_all, like_pattern};
use super::{Db, on_pool};
use crate::domain::Timestamp;
use crate::domain::pages::PageDraft;
use crate::domain::slug::Slug;
use crate::domain::state::Publication;

/// A page in the admin's list or editor.
#[derive(Debug, Clone)]
pub struct AdminPage {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub status: Publication,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub noindex: bool,
    pub updated_at: Timestamp,
    pub version: i64,
}

#[derive(FromRow)]
struct PageRow {
    id: i64,
    slug: String,
    title: String,
    body_md: String,
    status: String,
    seo_title: Option<String>,
    seo_description: Option<String>,
    noindex: bool,
    updated_at: i64,
    version: i64,
}

impl From<PageRow> for AdminPage {
    fn from(r: PageRow) -> AdminPage {
        AdminPage {
            id: r.id,
            slug: r.slug,
            title: r.title,
            body_md: r.body_md,
            status: Publication::parse(&r.status),
            seo_title: r.seo_title,
            seo_description: r.seo_description,
            noindex: r.noindex,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

const PAGE_COLUMNS: &str =
    "id, slug, title, body_md, status, seo_title, seo_description, noindex, updated_at, version";

/// Pages whose title contains `search`, last changed first.
pub async fn pages(db: &Db, search: &str, limit: i64, offset: i64) -> sqlx::Result<Vec<AdminPage>> {
    let mut args = Vec::new();
    let mut filter = String::from("1 = 1");
    if !search.trim().is_empty() {
        args.push(Arg::Text(like_pattern(search)));
        filter = "LOWER(title) LIKE $1 ESCAPE '\\'".into();
    }
    args.push(Arg::Int(limit));
    args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT {PAGE_COLUMNS} FROM pages WHERE {filter} ORDER BY updated_at DESC, id DESC LIMIT ${} OFFSET ${}",
        args.len() - 1,
        args.len()
    );
    let rows: Vec<PageRow> =
        on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await?);
    Ok(rows.into_iter().map(AdminPage::from).collect())
}

pub async fn page(db: &Db, id: i64) -> sqlx::Result<Option<AdminPage>> {
    let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1");
    let row: Option<PageRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    Ok(row.map(AdminPage::from))
}

/// What became of a write that has to be unique or current.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Done(i64),
    SlugTaken,
    /// The row changed since it was loaded (or is gone).
    Conflict,
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Runs an insert or update returning an id; a slug clash becomes [`Written::SlugTaken`].
macro_rules! write_unique {
    ($db:expr, |$pool:ident| $body:expr) => {{
        let result: sqlx::Result<Option<i64>> = on_pool!($db, |$pool| $body);
        match result {
            Ok(Some(id)) => Ok(Written::Done(id)),
            Ok(None) => Ok(Written::Conflict),
            Err(e) if unique_violation(&e) => Ok(Written::SlugTaken),
            Err(e) => Err(e),
        }
    }};
}

/// Creates a page (`id` None) or updates one still at `version`. Returns the page's id.
pub async fn save_page(
    db: &Db,
    id: Option<(i64, i64)>,
    d: &PageDraft,
    author: i64,
    now: Timestamp,
) -> sqlx::Result<Written> {
    // The page's columns are bound first, in this order, by both statements; the last,
    // updated_at, is also the new page's created_at.
    const COLUMNS: [&str; 10] = [
        "slug",
        "title",
        "body_md",
        "body_html",
        "status",
        "seo_title",
        "seo_description",
        "noindex",
        "body_text",
        "updated_at",
    ];
    let n = COLUMNS.len();
    let sql = match id {
        None => format!(
            "INSERT INTO pages ({}, author_id, created_at) VALUES ({}, ${}, ${n}) RETURNING id",
            COLUMNS.join(", "),
            super::placeholders(n, 1),
            n + 1
        ),
        Some(_) => format!(
            "UPDATE pages SET {}, version = version + 1 WHERE id = ${} AND version = ${} RETURNING id",
            super::assignments(&COLUMNS, 1),
            n + 1,
            n + 2
        ),
    };
    write_unique!(db, |pool| {
        let q = sqlx::query_scalar(&sql)
            .bind(d.slug.as_str())
            .bind(d.title.as_str())
            .bind(d.body_md.as_str())
            .bind(d.body_html.as_str())
            .bind(d.status.as_str())
            .bind(d.seo_title.as_deref())
            .bind(d.seo_description.as_deref())
            .bind(d.noindex)
            .bind(d.body_text.as_str())
            .bind(now);
        let q = match id {
            None => q.bind(author),
            Some((target, version)) => q.bind(target).bind(version),
        };
        q.fetch_optional(pool).await
    })
}

/// Deletes page `id` if it is still at `version` (the one the decision was made on); `false`
/// when it changed or went meanwhile.
pub async fn delete_page(db: &Db, id: i64, version: i64) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM pages WHERE id = $1 AND version = $2";
    Ok(on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(version).execute(pool).await?.rows_affected()) == 1)
}

/// Which vocabulary: tags or series share the list/edit screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Tags,
    Series,
}

impl Vocabulary {
    fn table(self) -> &'static str {
        match self {
            Vocabulary::Tags => "tags",
            Vocabulary::Series => "series",
        }
    }

    fn name_column(self) -> &'static str {
        match self {
            Vocabulary::Tags => "name",
            Vocabulary::Series => "title",
        }
    }

    fn post_count(self) -> &'static str {
        match self {
            Vocabulary::Tags => "(SELECT COUNT(*) FROM post_tags pt WHERE pt.tag_id = t.id)",
            Vocabulary::Series => "(SELECT COUNT(*) FROM posts p WHERE p.series_id = t.id)",
        }
    }
}

/// A tag or series with how many posts it holds.
#[derive(Debug, Clone, FromRow)]
pub struct Term {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub posts: i64,
}

/// Terms whose name contains `search`, alphabetically.
pub async fn terms(
    db: &Db,
    kind: Vocabulary,
    search: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Term>> {
    let (table, name, count) = (kind.table(), kind.name_column(), kind.post_count());
    let mut args = Vec::new();
    let mut filter = String::from("1 = 1");
    if !search.trim().is_empty() {
        args.push(Arg::Text(like_pattern(search)));
        filter = format!("LOWER(t.{name}) LIKE $1 ESCAPE '\\'");
    }
    args.push(Arg::Int(limit));
    args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT t.id, t.slug, t.{name} AS name, t.description, {count} AS posts FROM {table} t WHERE {filter}
         ORDER BY t.{name}, t.id LIMIT ${} OFFSET ${}",
        args.len() - 1,
        args.len()
    );
    on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await)
}

pub async fn term(db: &Db, kind: Vocabulary, id: i64) -> sqlx::Result<Option<Term>> {
    let (table, name, count) = (kind.table(), kind.name_column(), kind.post_count());
    let sql = format!(
        "SELECT t.id, t.slug, t.{name} AS name, t.description, {count} AS posts FROM {table} t WHERE t.id = $1"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Every term's id and name, for the editor's and filters' choices.
pub async fn all_names(db: &Db, kind: Vocabulary) -> sqlx::Result<Vec<(i64, String)>> {
    let sql =
        format!("SELECT id, {0} FROM {1} ORDER BY {0}, id LIMIT 2000", kind.name_column(), kind.table());
    on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
}

/// Creates (`id` None) or updates a term.
pub async fn save_term(
    db: &Db,
    kind: Vocabulary,
    id: Option<i64>,
    (name, slug, description): (&str, &Slug, &str),
    now: Timestamp,
) -> sqlx::Result<Written> {
    let (table, column) = (kind.table(), kind.name_column());
    // Both statements bind the slug, name and description first; then the creation time or the id.
    let sql = match id {
        None => format!(
            "INSERT INTO {table} (slug, {column}, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
        ),
        Some(_) => format!(
            "UPDATE {table} SET slug = $1, {column} = $2, description = $3 WHERE id = $4 RETURNING id"
        ),
    };
    write_unique!(db, |pool| {
        let q = sqlx::query_scalar(&sql).bind(slug.as_str()).bind(name).bind(description);
        let q = match id {
            None => q.bind(now),
            Some(id) => q.bind(id),
        };
        q.fetch_optional(pool).await
    })
}

/// Deletes a term; its posts lose the tag, or leave the series.
pub async fn delete_term(db: &Db, kind: Vocabulary, id: i64) -> sqlx::Result<bool> {
    let sql = format!("DELETE FROM {} WHERE id = $1", kind.table());
    Ok(on_pool!(db, |pool| sqlx::query(&sql).bind(id).execute(pool).await?.rows_affected()) == 1)
}
