//! Reading stored files to serve them, one range at a time and never whole: from a directory
//! through the file's own seek, from the database [`CHUNK`] bytes per query. Large downloads
//! are counted, so many readers of big files cannot take the process's memory and connections.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rocket::futures::future::BoxFuture;
use rocket::tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, ReadBuf};
use rocket::tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Store, UploadError};
use crate::db::Db;
use crate::db::media::{self as rows, Media};
use crate::domain::media::{self, FileType};

/// Bytes read from the database per query: large enough that a 20 MiB file takes 20 queries,
/// small enough that a download holds little memory.
pub const CHUNK: u64 = 1024 * 1024;

/// A download of more bytes than this is large, and needs one of the `large_downloads` places.
pub const LARGE: u64 = 1024 * 1024;

/// A stored file, opened: its type, its length in bytes, and where its bytes are.
pub struct Opened {
    pub content_type: String,
    pub len: u64,
    source: Source,
}

enum Source {
    File(rocket::tokio::fs::File),
    Database { db: Db, id: i64, variant: i64 },
}

/// Opens `variant` (0: the original) of `m`; a missing variant falls back to the original, so a
/// `srcset` naming a width never made still shows the image. A copy's type is read off its first
/// bytes, so copies made before a change of format still serve. A missing file is
/// [`io::ErrorKind::NotFound`].
pub async fn open(db: &Db, store: &Store, m: &Media, variant: u32) -> Result<Opened, UploadError> {
    let variant = if m.variant_widths().contains(&variant) { variant } else { 0 };
    let (len, mut source) = match store {
        Store::Database => {
            let (id, variant) = (m.id, i64::from(variant));
            let len =
                rows::blob_len(db, id, variant).await?.ok_or(io::Error::from(io::ErrorKind::NotFound))?;
            (u64::try_from(len).unwrap_or(0), Source::Database { db: db.clone(), id, variant })
        }
        Store::Directory(dir) => {
            let file = rocket::tokio::fs::File::open(Store::path(dir, &m.stored_name, variant)).await?;
            (file.metadata().await?.len(), Source::File(file))
        }
    };
    let content_type = if variant == 0 {
        m.content_type.clone()
    } else {
        let head = read_head(&mut source).await?;
        media::sniff(&head).map_or("application/octet-stream", FileType::content_type).to_owned()
    };
    Ok(Opened { content_type, len, source })
}

/// The first bytes of a file, enough to tell its type.
async fn read_head(source: &mut Source) -> Result<Vec<u8>, UploadError> {
    const HEAD: u64 = 64;
    match source {
        Source::File(file) => {
            let mut head = Vec::new();
            (&mut *file).take(HEAD).read_to_end(&mut head).await?;
            file.rewind().await?;
            Ok(head)
        }
        Source::Database { db, id, variant } => {
            Ok(rows::blob_part(db, *id, *variant, 0, HEAD as i64).await?.unwrap_or_default())
        }
    }
}

impl Opened {
    /// A reader of the `count` bytes from byte `first` on, holding `permit` (if any) until it is
    /// dropped.
    pub async fn body(
        self,
        first: u64,
        count: u64,
        permit: Option<OwnedSemaphorePermit>,
    ) -> io::Result<Body> {
        let reader: Pin<Box<dyn AsyncRead + Send>> = match self.source {
            Source::File(mut file) => {
                file.seek(io::SeekFrom::Start(first)).await?;
                Box::pin(file.take(count))
            }
            Source::Database { db, id, variant } => Box::pin(BlobReader {
                db,
                id,
                variant,
                next: first,
                end: first + count,
                chunk: Vec::new(),
                at: 0,
                fetching: None,
            }),
        };
        Ok(Body { reader, _permit: permit })
    }
}

/// A response body of a length told to Rocket beforehand (`Response::sized_body`), which then
/// never seeks it: Rocket seeks a sized body only to learn a length it was not told.
pub struct Body {
    reader: Pin<Box<dyn AsyncRead + Send>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl AsyncRead for Body {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.reader.as_mut().poll_read(cx, buf)
    }
}

impl AsyncSeek for Body {
    fn start_seek(self: Pin<&mut Self>, _: io::SeekFrom) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::ErrorKind::Unsupported.into()))
    }
}

/// Bytes `next..end` of a file kept in the database, fetched [`CHUNK`] bytes at a time.
struct BlobReader {
    db: Db,
    id: i64,
    variant: i64,
    next: u64,
    end: u64,
    chunk: Vec<u8>,
    at: usize,
    fetching: Option<BoxFuture<'static, sqlx::Result<Option<Vec<u8>>>>>,
}

impl AsyncRead for BlobReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.at < this.chunk.len() {
                let n = buf.remaining().min(this.chunk.len() - this.at);
                buf.put_slice(&this.chunk[this.at..this.at + n]);
                this.at += n;
                return Poll::Ready(Ok(()));
            }
            if this.next >= this.end {
                return Poll::Ready(Ok(()));
            }
            let (db, id, variant) = (this.db.clone(), this.id, this.variant);
            let (start, len) = (this.next as i64, CHUNK.min(this.end - this.next) as i64);
            let fetching = this.fetching.get_or_insert_with(|| {
                Box::pin(async move { rows::blob_part(&db, id, variant, start, len).await })
            });
            let fetched = match fetching.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(fetched) => fetched,
            };
            this.fetching = None;
            let bytes = fetched.map_err(io::Error::other)?.unwrap_or_default();
            if bytes.is_empty() {
                // Deleted, or shorter than its length said, while it was being read.
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.next += bytes.len() as u64;
            this.chunk = bytes;
            this.at = 0;
        }
    }
}

/// The places for large downloads (over [`LARGE`] bytes) the process serves at once, from the
/// `large_downloads` setting. Each holds a file open and, from the database, a [`CHUNK`] of it
/// and a connection for each query.
#[derive(Clone)]
pub struct Downloads(Arc<Semaphore>);

/// Every place for a large download is taken.
#[derive(Debug)]
pub struct Full;

impl Downloads {
    pub fn new(places: usize) -> Downloads {
        Downloads(Arc::new(Semaphore::new(places)))
    }

    /// A place for sending `count` bytes: none needed for a small download, one taken for a large
    /// one, or [`Full`] at once (readers are asked to come back rather than queue holding a
    /// connection).
    pub fn start(&self, count: u64) -> Result<Option<OwnedSemaphorePermit>, Full> {
        if count <= LARGE {
            return Ok(None);
        }
        self.0.clone().try_acquire_owned().map(Some).map_err(|_| Full)
    }
}
