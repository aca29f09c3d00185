//! Moving images stored before animation was read from an image's content: a PNG or WebP got
//! still copies, which posts then showed through `srcset`. Each such file is checked once after
//! start-up; a moving one loses its copies, and every width then serves the original.

use super::{Store, UploadError, read};
use crate::db::Db;
use crate::db::media as rows;
use crate::domain::media::{animation, sniff};

/// Files checked per round.
const BATCH: i64 = 50;

/// Checks every listed file, then returns; a failure is logged and left for the next start.
pub async fn run(db: Db, store: Store) {
    loop {
        match check_some(&db, &store).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                rocket::warn!("checking stored images for animation failed: {e}");
                return;
            }
        }
    }
}

/// Checks up to [`BATCH`] listed files; returns how many were checked.
pub async fn check_some(db: &Db, store: &Store) -> Result<usize, UploadError> {
    let batch = rows::unchecked(db, BATCH).await?;
    for m in &batch {
        let moving = match read(db, store, m, 0).await {
            Ok((_, bytes)) => sniff(&bytes).is_ok_and(|kind| animation::is_animated(&bytes, kind)),
            Err(UploadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if moving && let Store::Directory(dir) = store {
            super::remove_files(dir, &m.stored_name, m.variant_widths()).await?;
        }
        rows::checked(db, m.id, moving).await?;
    }
    Ok(batch.len())
}
