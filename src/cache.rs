//! Caches of what readers see, which are never stale: an entry is keyed by the content
//! generation it was computed at ([`crate::db::generation`]), which every write to posts and
//! pages changes in its own transaction, and it is not used from the next scheduled
//! publication on. Reading the generation first and the content after means an entry can only
//! ever hold content as new as its key or newer.
//!
//! Search results are cached because a query for a common word or a phrase costs tens of
//! milliseconds however it is indexed (bench/search.sh); the page cache of issue 15 will
//! join them here.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use moka::sync::Cache;

use crate::db::Db;
use crate::db::generation::{self, Freshness};
use crate::db::search::{self, Results};
use crate::domain::Timestamp;
use crate::domain::search::SearchQuery;

/// Which page of which query, at which generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SearchKey {
    generation: i64,
    /// The query as the database reads it ([`SearchQuery::fts5`]): queries typed differently
    /// that mean the same share an entry.
    query: String,
    offset: usize,
    limit: usize,
}

#[derive(Debug)]
struct Entry {
    results: Results,
    /// The next scheduled publication when it was computed: from then on it may be missing a post.
    until: Option<Timestamp>,
}

/// Search results by query and page, bounded by bytes (`search_cache` in `Rocket.toml`;
/// 0 turns it off). Held in Rocket's managed state.
pub struct SearchCache {
    entries: Option<Cache<SearchKey, Arc<Entry>>>,
    /// The newest generation a lookup has seen: entries of older ones can never be used again.
    newest: AtomicI64,
}

impl SearchCache {
    /// A cache holding up to about `bytes` of results (LRU-like, moka's TinyLFU), or none.
    pub fn new(bytes: u64) -> SearchCache {
        let entries = (bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(bytes)
                .weigher(|key: &SearchKey, entry: &Arc<Entry>| {
                    u32::try_from(key.query.len() + entry.results.size()).unwrap_or(u32::MAX)
                })
                .build()
        });
        SearchCache { entries, newest: AtomicI64::new(i64::MIN) }
    }

    /// Drops every entry once a newer generation is seen. Unused entries would otherwise stay
    /// until the byte bound pushed them out: an editor saving once a second filled the 8 MiB
    /// default within minutes, and a 10-minute soak (`bench/soak.py`) grew 9.2 MiB instead of
    /// shrinking 3.3 MiB with the cache off.
    fn note_generation(&self, entries: &Cache<SearchKey, Arc<Entry>>, generation: i64) {
        if self.newest.fetch_max(generation, Ordering::AcqRel) < generation {
            entries.invalidate_all();
        }
    }

    /// The results of [`search::search`], from the cache when they are still true at `now`.
    pub async fn search(
        &self,
        db: &Db,
        query: &SearchQuery,
        now: Timestamp,
        offset: usize,
        limit: usize,
    ) -> sqlx::Result<Results> {
        let Some(entries) = &self.entries else {
            return search::search(db, query, now, offset, limit).await;
        };
        let Freshness { generation, next_publication } = generation::current(db, now).await?;
        self.note_generation(entries, generation);
        let key = SearchKey { generation, query: query.fts5(), offset, limit };
        if let Some(entry) = entries.get(&key)
            && entry.until.is_none_or(|until| now < until)
        {
            return Ok(entry.results.clone());
        }
        let results = search::search(db, query, now, offset, limit).await?;
        entries.insert(key, Arc::new(Entry { results: results.clone(), until: next_publication }));
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_generation_empties_the_cache() {
        let cache = SearchCache::new(1 << 20);
        let entries = cache.entries.as_ref().expect("a cache");
        let entry = || Arc::new(Entry { results: Results::default(), until: None });
        let key =
            |generation, query: &str| SearchKey { generation, query: query.into(), offset: 0, limit: 10 };
        cache.note_generation(entries, 1);
        entries.insert(key(1, "rust"), entry());
        entries.insert(key(1, "sqlite"), entry());
        cache.note_generation(entries, 1);
        entries.run_pending_tasks();
        assert_eq!(entries.entry_count(), 2, "the same generation keeps its entries");
        cache.note_generation(entries, 2);
        entries.run_pending_tasks();
        assert_eq!(entries.entry_count(), 0);
        assert!(entries.get(&key(1, "rust")).is_none());
    }
}
