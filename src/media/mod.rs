//! Storing uploads: check the bytes, make resized copies of images within the process's
//! memory budget, and keep everything in the database (the default, so every instance sees it)
//! or in a shared directory.

pub mod budget;
pub mod images;
pub mod repair;
pub mod stream;

use std::path::{Path, PathBuf};

use rocket::fs::TempFile;

use crate::db::Db;
use crate::db::media::{self as rows, Media, NewMedia};
use crate::domain::media::{self, FileType, Refusal};
use crate::domain::now;
use crate::domain::{gif, jpeg, png, webp};
pub use budget::Budget;
use budget::Shortfall;

/// Where file contents live.
#[derive(Debug, Clone)]
pub enum Store {
    Database,
    Directory(PathBuf),
}

impl Store {
    pub fn from_setting(media_dir: &str) -> Store {
        if media_dir.is_empty() { Store::Database } else { Store::Directory(PathBuf::from(media_dir)) }
    }

    fn path(dir: &Path, name: &str, variant: u32) -> PathBuf {
        if variant == 0 { dir.join(name) } else { dir.join(format!("w{variant}-{name}")) }
    }
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Refused(Refusal),
    /// The bytes claim to be an image but do not decode as one.
    #[error("The image could not be read; it may be damaged.")]
    BrokenImage,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("could not store the file: {0}")]
    Io(#[from] std::io::Error),
}

/// Bytes read from the start of an upload to tell what it is (`ftyp` brands, an SVG's tag).
const HEAD: u64 = 4096;

/// Checks and stores `file`, uploaded as `uploaded_name` by user `by`. Returns the new row's id.
/// An image is read into memory, decoded and resized only with its share of `budget`, and is
/// refused when it cannot have it.
pub async fn upload(
    db: &Db,
    store: &Store,
    budget: &Budget,
    file: Option<&TempFile<'_>>,
    uploaded_name: &str,
    limit: u64,
    by: i64,
) -> Result<i64, UploadError> {
    let len = file.map_or(0, TempFile::len);
    let head = match file {
        Some(file) if len > 0 => read_file(file, Some(HEAD)).await?,
        _ => Vec::new(),
    };
    let kind = media::check_upload(&head, len, limit).map_err(UploadError::Refused)?;
    let file = file.ok_or(UploadError::Refused(Refusal::Empty))?;
    // An image's reservation is held until it is stored, since storing copies its bytes too.
    let (bytes, image, _reservation) = if kind.is_image() {
        let (bytes, image, reservation) = prepare_image(budget, file, kind).await?;
        (bytes, Some(image), Some(reservation))
    } else {
        (read_file(file, None).await?, None, None)
    };
    let moving = image.as_ref().is_some_and(|i| i.moving);
    let (size, variants) = image.map_or((None, Vec::new()), |i| (Some(i.size), i.variants));
    let stored_name = media::stored_name(kind, moving);
    let widths: Vec<String> = variants.iter().map(|v| v.width.to_string()).collect();
    let mut blobs: Vec<(i64, &str, &[u8])> = Vec::new();
    match store {
        Store::Database => {
            blobs.push((0, kind.content_type(), &bytes));
            for v in &variants {
                blobs.push((i64::from(v.width), v.kind.content_type(), &v.bytes));
            }
        }
        Store::Directory(dir) => {
            write_durably(&Store::path(dir, &stored_name, 0), &bytes).await?;
            for v in &variants {
                write_durably(&Store::path(dir, &stored_name, v.width), &v.bytes).await?;
            }
            sync_dir(dir).await?;
        }
    }
    let original_name = media::display_name(uploaded_name);
    let new = NewMedia {
        stored_name: &stored_name,
        original_name: &original_name,
        content_type: kind.content_type(),
        kind: if kind.is_image() { "image" } else { "file" },
        byte_size: bytes.len() as i64,
        size: size.map(|(w, h)| (i64::from(w), i64::from(h))),
        variants: &widths.join(","),
        uploaded_by: by,
        blobs,
    };
    Ok(rows::insert(db, &new, now()).await?)
}

/// The first `at_most` bytes of `file`, or all of it.
async fn read_file(file: &TempFile<'_>, at_most: Option<u64>) -> Result<Vec<u8>, UploadError> {
    use rocket::tokio::io::AsyncReadExt;
    let len = at_most.map_or(file.len(), |n| n.min(file.len()));
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.open().await?.take(len).read_to_end(&mut bytes).await?;
    Ok(bytes)
}

/// An image ready to store: its size upright, whether it moves, and its resized copies.
struct Prepared {
    size: (u32, u32),
    moving: bool,
    variants: Vec<images::Variant>,
}

/// Bytes an image upload of `len` bytes holds besides its pixels: the file and its cleaned copy
/// while it is processed, then the database driver's and SQLite's copies while it is stored.
fn held_bytes(len: u64) -> u64 {
    3 * len
}

/// Reserves memory for the file's bytes, reads it and its header, refuses it when it has too
/// many pixels, grows the reservation to what decoding and resizing need, then does that off the
/// async threads. When the reservation cannot grow at once, it is given back with the bytes and
/// the whole is waited for, so no upload holds memory while it waits. Originals lose where and
/// with what they were taken: losslessly when their structure allows, else (JPEG alone) drawn
/// again from their pixels. Returns the bytes to keep as the original, and the reservation.
async fn prepare_image(
    budget: &Budget,
    file: &TempFile<'_>,
    kind: FileType,
) -> Result<(Vec<u8>, Prepared, budget::Reservation), UploadError> {
    let deadline = budget.deadline();
    let held = held_bytes(file.len());
    // What the bytes need alone, at first; an image that cannot fit is refused with its size.
    let mut wanted = held.min(budget.total_bytes());
    let (bytes, probe, stripped, redraw, reservation) = loop {
        let reservation =
            budget.reserve(wanted, deadline).await.map_err(|_| UploadError::Refused(Refusal::Busy))?;
        let (bytes, probe, stripped) = inspect(read_file(file, None).await?, kind).await?;
        let (width, height) = probe.size;
        media::check_pixels(width, height).map_err(UploadError::Refused)?;
        let redraw = kind == FileType::Jpeg && stripped.is_none();
        let needed = images::working_memory(&probe, redraw) + held;
        match budget.try_grow(reservation, needed) {
            Ok(reservation) => break (bytes, probe, stripped, redraw, reservation),
            Err(Shortfall::Never) => {
                return Err(UploadError::Refused(Refusal::TooLargeToResize { width, height }));
            }
            Err(Shortfall::Busy) => wanted = needed,
        }
    };
    let (bytes, processed) = blocking(move || {
        let processed = images::process(&bytes, kind, &probe, redraw);
        (bytes, processed)
    })
    .await?;
    let processed = processed.map_err(|images::Unreadable| UploadError::BrokenImage)?;
    let original = processed.redrawn.or(stripped).unwrap_or(bytes);
    let prepared = Prepared { size: probe.size, moving: probe.moving, variants: processed.variants };
    Ok((original, prepared, reservation))
}

/// The image's header, and the file without its metadata (`None` when it cannot be taken out
/// losslessly: a JPEG is then drawn again, other images are refused as broken).
/// Quick, but not for an async thread.
async fn inspect(
    bytes: Vec<u8>,
    kind: FileType,
) -> Result<(Vec<u8>, images::Probe, Option<Vec<u8>>), UploadError> {
    let (bytes, probed) = blocking(move || {
        let probed = images::probe(&bytes, kind).map(|probe| {
            let orientation = probe.orientation.to_exif();
            let stripped = match kind {
                FileType::Jpeg => jpeg::strip_metadata(&bytes, orientation),
                FileType::Png => png::strip_metadata(&bytes, orientation),
                FileType::Webp => webp::strip_metadata(&bytes, orientation),
                FileType::Gif => gif::strip_metadata(&bytes),
                _ => None,
            };
            (probe, stripped)
        });
        (bytes, probed)
    })
    .await?;
    let (probe, stripped) = probed.map_err(|images::Unreadable| UploadError::BrokenImage)?;
    // Only a JPEG can be drawn again without its metadata (the others may be transparent,
    // lossless or moving); one whose blocks do not parse is not kept with what they may hold.
    if kind != FileType::Jpeg && stripped.is_none() {
        return Err(UploadError::BrokenImage);
    }
    Ok((bytes, probe, stripped))
}

/// Runs `work` on a blocking thread. A decoder that panics on a malformed file makes the image
/// unreadable, not the request a server error.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, UploadError> {
    match rocket::tokio::task::spawn_blocking(work).await {
        Ok(done) => Ok(done),
        Err(e) if e.is_panic() => Err(UploadError::BrokenImage),
        Err(e) => Err(UploadError::Io(std::io::Error::other(e))),
    }
}

/// Permissions of stored files: Folio reads and writes them, its group (a web server serving the
/// folder, a backup job) reads them, other users of the machine nothing, since a draft's images
/// are not public yet. The umask may take more away.
pub const FILE_MODE: u32 = 0o640;

/// Writes to a temporary file made with [`FILE_MODE`], syncs it, then renames it into place: a
/// crash leaves either the whole file or none. The rename is durable once [`sync_dir`] has run.
async fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use rocket::tokio::io::AsyncWriteExt;
    let tmp = path.with_extension("partial");
    let mut file = rocket::tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(&tmp)
        .await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    rocket::tokio::fs::rename(&tmp, path).await
}

/// Syncs `dir` itself, so the names renamed into it or removed from it survive a power cut: a
/// file's own fsync does not cover its directory entry (POSIX `fsync`; ext4 and XFS lose a
/// fresh rename without it). Called before the database row that names the files is committed,
/// which SQLite makes durable with `synchronous=FULL`.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    rocket::tokio::fs::File::open(dir).await?.sync_all().await
}

/// The bytes and type of `variant` (0: the original) of `m`; a missing variant falls back to
/// the original, so a `srcset` naming a width never made still shows the image.
pub async fn read(db: &Db, store: &Store, m: &Media, variant: u32) -> Result<(String, Vec<u8>), UploadError> {
    let variant = if m.variant_widths().contains(&variant) { variant } else { 0 };
    let bytes = match store {
        Store::Database => rows::blob(db, m.id, i64::from(variant)).await?,
        Store::Directory(dir) => {
            match rocket::tokio::fs::read(Store::path(dir, &m.stored_name, variant)).await {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let bytes = bytes.ok_or(UploadError::Io(std::io::ErrorKind::NotFound.into()))?;
    // A copy's type is read off its bytes, so copies made before a change of format still serve.
    let content_type = match variant {
        0 => m.content_type.clone(),
        _ => media::sniff(&bytes).map_or("application/octet-stream", FileType::content_type).to_owned(),
    };
    Ok((content_type, bytes))
}

/// Removes the row, and the files when kept in a directory.
pub async fn remove(db: &Db, store: &Store, m: &Media) -> Result<bool, UploadError> {
    let deleted = rows::delete(db, m.id).await?;
    if let Store::Directory(dir) = store {
        remove_files(dir, &m.stored_name, std::iter::once(0).chain(m.variant_widths())).await?;
    }
    Ok(deleted)
}

/// Removes the files of `variants` (0: the original) of `name` from `dir`, durably; missing ones
/// are already gone.
async fn remove_files(
    dir: &Path,
    name: &str,
    variants: impl IntoIterator<Item = u32>,
) -> std::io::Result<()> {
    for variant in variants {
        match rocket::tokio::fs::remove_file(Store::path(dir, name, variant)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    sync_dir(dir).await
}
