//! The media library's rows and, when media are kept in the database, their bytes.

use sqlx::FromRow;

use super::admin_posts::{Arg, bind_all, like_pattern};
use super::{Db, in_tx, on_pool};
use crate::domain::Timestamp;

/// An uploaded file.
#[derive(Debug, Clone, FromRow)]
pub struct Media {
    pub id: i64,
    pub stored_name: String,
    pub original_name: String,
    pub content_type: String,
    pub kind: String,
    pub byte_size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub variants: String,
    pub alt: String,
    pub uploaded_by: Option<i64>,
    pub created_at: Timestamp,
}

impl Media {
    pub fn is_image(&self) -> bool {
        self.kind == "image"
    }

    /// Widths of the resized copies, ascending.
    pub fn variant_widths(&self) -> Vec<u32> {
        self.variants.split(',').filter_map(|w| w.parse().ok()).collect()
    }
}

/// A file to record; `blobs` are (variant, content type, bytes) when stored in the database.
pub struct NewMedia<'a> {
    pub stored_name: &'a str,
    pub original_name: &'a str,
    pub content_type: &'a str,
    pub kind: &'a str,
    pub byte_size: i64,
    pub size: Option<(i64, i64)>,
    pub variants: &'a str,
    pub uploaded_by: i64,
    pub blobs: Vec<(i64, &'a str, &'a [u8])>,
}

const COLUMNS: &str =
    "id, stored_name, original_name, content_type, kind, byte_size, width, height, variants, alt,
    uploaded_by, created_at";

pub async fn insert(db: &Db, m: &NewMedia<'_>, now: Timestamp) -> sqlx::Result<i64> {
    const ROW: &str =
        "INSERT INTO media (stored_name, original_name, content_type, kind, byte_size, width, height,
        variants, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    const BLOB: &str =
        "INSERT INTO media_blobs (media_id, variant, content_type, bytes) VALUES ($1, $2, $3, $4)";
    Ok(in_tx!(db, |tx| {
        let id: i64 = sqlx::query_scalar(ROW)
            .bind(m.stored_name)
            .bind(m.original_name)
            .bind(m.content_type)
            .bind(m.kind)
            .bind(m.byte_size)
            .bind(m.size.map(|s| s.0))
            .bind(m.size.map(|s| s.1))
            .bind(m.variants)
            .bind(m.uploaded_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        for (variant, content_type, bytes) in &m.blobs {
            sqlx::query(BLOB)
                .bind(id)
                .bind(*variant)
                .bind(*content_type)
                .bind(*bytes)
                .execute(&mut *tx)
                .await?;
        }
        id
    }))
}

/// Which files the library lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Any,
    Images,
    Files,
}

/// Files whose name or description contains `search`, newest first.
pub async fn list(
    db: &Db,
    search: &str,
    kind: KindFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Media>> {
    let mut args = Vec::new();
    let mut filters = vec!["1 = 1".to_owned()];
    match kind {
        KindFilter::Any => {}
        KindFilter::Images => filters.push("kind = 'image'".into()),
        KindFilter::Files => filters.push("kind = 'file'".into()),
    }
    if !search.trim().is_empty() {
        args.push(Arg::Text(like_pattern(search)));
        filters.push("(LOWER(original_name) LIKE $1 ESCAPE '\\' OR LOWER(alt) LIKE $1 ESCAPE '\\')".into());
    }
    args.push(Arg::Int(limit));
    args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT {COLUMNS} FROM media WHERE {} ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
        filters.join(" AND "),
        args.len() - 1,
        args.len()
    );
    on_pool!(db, |pool| bind_all!(sqlx::query_as(&sql), &args).fetch_all(pool).await)
}

pub async fn find(db: &Db, id: i64) -> sqlx::Result<Option<Media>> {
    let sql = format!("SELECT {COLUMNS} FROM media WHERE id = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_name(db: &Db, stored_name: &str) -> sqlx::Result<Option<Media>> {
    let sql = format!("SELECT {COLUMNS} FROM media WHERE stored_name = $1");
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(stored_name).fetch_optional(pool).await)
}

/// The bytes of `variant` (0: the original) of file `id`, when kept in the database.
pub async fn blob(db: &Db, id: i64, variant: i64) -> sqlx::Result<Option<Vec<u8>>> {
    const SQL: &str = "SELECT bytes FROM media_blobs WHERE media_id = $1 AND variant = $2";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(id).bind(variant).fetch_optional(pool).await)
}

/// The length in bytes of `variant` (0: the original) of file `id`, when kept in the database.
/// Reads none of the bytes: SQLite's `length()` of a BLOB stops at the record header, and
/// PostgreSQL's at the TOAST pointer.
pub async fn blob_len(db: &Db, id: i64, variant: i64) -> sqlx::Result<Option<i64>> {
    const SQL: &str =
        "SELECT CAST(length(bytes) AS BIGINT) FROM media_blobs WHERE media_id = $1 AND variant = $2";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(id).bind(variant).fetch_optional(pool).await)
}

/// Up to `len` bytes of `variant` of file `id`, from byte `start` (counted from 0), when kept in
/// the database; `None` when the file is gone. Each dialect has its own slice of a BLOB/bytea,
/// both counting from 1: PostgreSQL reads only the TOAST chunks of the slice (bytea of images
/// and video does not compress, so it is stored uncompressed); SQLite reads the whole value into
/// memory for the statement (it loads a column whole unless it is asked only its length), so
/// the pool's size bounds how many such copies exist at once.
pub async fn blob_part(
    db: &Db,
    id: i64,
    variant: i64,
    start: i64,
    len: i64,
) -> sqlx::Result<Option<Vec<u8>>> {
    const SQLITE: &str = "SELECT substr(bytes, $3, $4) FROM media_blobs WHERE media_id = $1 AND variant = $2";
    const POSTGRES: &str = "SELECT substring(bytes FROM CAST($3 AS INTEGER) FOR CAST($4 AS INTEGER))
        FROM media_blobs WHERE media_id = $1 AND variant = $2";
    // The one statement that differs: each dialect names its slicing function differently.
    let sql = match db {
        Db::Sqlite(_) => SQLITE,
        Db::Postgres(_) => POSTGRES,
    };
    on_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(id)
        .bind(variant)
        .bind(start + 1)
        .bind(len)
        .fetch_optional(pool)
        .await)
}

pub async fn set_alt(db: &Db, id: i64, alt: &str) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE media SET alt = $2 WHERE id = $1";
    Ok(on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(alt).execute(pool).await?.rows_affected()) == 1)
}

/// Deletes the row and any bytes kept with it.
pub async fn delete(db: &Db, id: i64) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM media WHERE id = $1";
    Ok(on_pool!(db, |pool| sqlx::query(SQL).bind(id).execute(pool).await?.rows_affected()) == 1)
}

/// Recent images' URLs and descriptions, for the editor's cover image and the settings' logo.
pub async fn recent_images(db: &Db, limit: i64) -> sqlx::Result<Vec<(String, String)>> {
    const SQL: &str =
        "SELECT stored_name, alt FROM media WHERE kind = 'image' ORDER BY created_at DESC, id DESC LIMIT $1";
    on_pool!(db, |pool| sqlx::query_as(SQL).bind(limit).fetch_all(pool).await)
}

/// Up to `limit` files stored before animation was read from content and not yet checked
/// (see `migrations/sqlite/0005_moving_images.sql`), lowest id first.
pub async fn unchecked(db: &Db, limit: i64) -> sqlx::Result<Vec<Media>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM media WHERE id IN
         (SELECT media_id FROM media_unchecked ORDER BY media_id LIMIT $1) ORDER BY id"
    );
    on_pool!(db, |pool| sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)
}

/// Takes file `id` off the list of files to check; with `moving`, also forgets its resized
/// copies and deletes any kept in the database.
pub async fn checked(db: &Db, id: i64, moving: bool) -> sqlx::Result<()> {
    const UNLIST: &str = "DELETE FROM media_unchecked WHERE media_id = $1";
    const FORGET: &str = "UPDATE media SET variants = '' WHERE id = $1";
    const COPIES: &str = "DELETE FROM media_blobs WHERE media_id = $1 AND variant <> 0";
    in_tx!(db, |tx| {
        if moving {
            sqlx::query(FORGET).bind(id).execute(&mut *tx).await?;
            sqlx::query(COPIES).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query(UNLIST).bind(id).execute(&mut *tx).await?;
    });
    Ok(())
}
