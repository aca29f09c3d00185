//! Re-renders stored post and page bodies once after the Markdown renderer's output changed
//! ([`markdown::VERSION`]), so fixes to rendering (ids, permalinks, links) reach what was
//! written before them, not only what is saved after. Runs in the background at start-up; a
//! body saved meanwhile is left as its save rendered it. Several processes may run it at once:
//! each write is the same.

use crate::db::Db;
use crate::db::rendering::{self, Kind};
use crate::domain::markdown;

/// Bodies read per query.
const BATCH: i64 = 100;

/// Brings every stored body to the current renderer version, then records it.
pub async fn run(db: Db) {
    match rendering::stored_version(&db).await {
        Ok(version) if version >= markdown::VERSION => return,
        Ok(_) => {}
        Err(e) => {
            rocket::warn!("cannot read the stored renderer version: {e}");
            return;
        }
    }
    let mut counts = [0usize; 2];
    for (kind, count) in [Kind::Post, Kind::Page].into_iter().zip(counts.iter_mut()) {
        match rerender(&db, kind).await {
            Ok(n) => *count = n,
            Err(e) => {
                rocket::warn!("re-rendering stored bodies stopped: {e}");
                return;
            }
        }
    }
    if let Err(e) = rendering::set_stored_version(&db, markdown::VERSION).await {
        rocket::warn!("cannot record the renderer version: {e}");
        return;
    }
    rocket::info!(
        "Re-rendered {} posts and {} pages for Markdown renderer version {}.",
        counts[0],
        counts[1],
        markdown::VERSION
    );
}

async fn rerender(db: &Db, kind: Kind) -> Result<usize, String> {
    let mut after = 0;
    let mut done = 0;
    loop {
        let batch = rendering::bodies(db, kind, after, BATCH).await.map_err(|e| e.to_string())?;
        let Some(&(last, _)) = batch.last() else { return Ok(done) };
        after = last;
        for (id, body_md) in batch {
            let (body_md, rendered) = rocket::tokio::task::spawn_blocking(move || {
                let rendered = markdown::render(&body_md);
                (body_md, rendered)
            })
            .await
            .map_err(|e| e.to_string())?;
            rendering::store(db, kind, id, &body_md, &rendered).await.map_err(|e| e.to_string())?;
            done += 1;
        }
    }
}
