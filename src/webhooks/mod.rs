//! Webhooks: events about posts and pages, queued in the database for every hook that asked
//! for them ([`crate::db::webhooks`]), then delivered by the [`sender`] task over HTTP, signed
//! as the Standard Webhooks specification says (<https://www.standardwebhooks.com/>).
//!
//! Write paths call one function after a write succeeds: [`saved`] after saving a post or page
//! whose state before is known, or [`Before::take`] before and [`Before::emit`] after a write
//! of several items or a delete. Both decide the event from what readers could see before and
//! after ([`crate::domain::webhooks::change`]); the admin and the JSON write API call the same.

pub mod client;
pub mod sender;

use serde_json::{Value, json};

use crate::db::Db;
use crate::db::webhook_events::{self, Item};
use crate::db::webhooks as queue;
use crate::domain::addresses::Kind;
use crate::domain::state::Publication;
use crate::domain::webhooks::{EventType, Subject, change, visible};
use crate::domain::{Timestamp, dates};

/// An event ready to queue: its type and the `data` of its body.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub data: Value,
}

/// Queues `event` for every enabled hook that asked for its type, as the body
/// `{"type": "post.published", "timestamp": "<RFC 3339>", "data": {...}}` (Standard Webhooks,
/// "Payload structure"); `now` is the event's time, Unix seconds. Returns how many deliveries
/// were queued (0 when no hook listens). Errors: the database's.
pub async fn emit(db: &Db, event: Event, now: Timestamp) -> sqlx::Result<usize> {
    queue::enqueue(db, event.kind, &body(event.kind, &event.data, now), now).await
}

/// The exact JSON sent for an event.
pub fn body(kind: EventType, data: &Value, now: Timestamp) -> String {
    json!({ "type": kind.as_str(), "timestamp": dates::iso(now), "data": data }).to_string()
}

/// The `data` of an item's event, as the Content API shows a post or page: `id`, `slug`,
/// `title`, `url` (absolute, from `site_url` such as `https://example.com`), `status`
/// (`draft`, `scheduled` or `published` at `now`), `published_at` (posts; RFC 3339 or null),
/// `updated_at` (RFC 3339), and a post's `excerpt`.
pub fn data(subject: Subject, item: &Item, site_url: &str, now: Timestamp) -> Value {
    let status =
        crate::domain::state::PostState::of(Publication::parse(&item.status), item.published_at, now);
    match subject {
        Subject::Post => json!({
            "id": item.id,
            "slug": item.slug,
            "title": item.title,
            "url": format!("{site_url}{}", Kind::Post.path(&item.slug)),
            "excerpt": item.excerpt,
            "status": status.as_str(),
            "published_at": item.published_at.map(dates::iso),
            "updated_at": dates::iso(item.updated_at),
        }),
        Subject::Page => json!({
            "id": item.id,
            "slug": item.slug,
            "title": item.title,
            "url": format!("{site_url}{}", Kind::Page.path(&item.slug)),
            "status": status.as_str(),
            "updated_at": dates::iso(item.updated_at),
        }),
    }
}

fn is_visible(item: &Item, now: Timestamp) -> bool {
    visible(Publication::parse(&item.status), item.published_at, now)
}

/// After saving post or page `id` of `subject`: queues `published`, `updated` or `unpublished`
/// as the save changed what readers see. `was_visible` is whether readers saw it before the
/// save (`None` for a new item). `site_url` is the site's base URL, for the `url` in `data`.
/// Errors: the database's.
pub async fn saved(
    db: &Db,
    site_url: &str,
    subject: Subject,
    id: i64,
    was_visible: Option<bool>,
    now: Timestamp,
) -> sqlx::Result<usize> {
    let after = webhook_events::items(db, subject, &[id]).await?;
    let Some(item) = after.first() else { return Ok(0) };
    match change(was_visible, Some(is_visible(item, now))) {
        Some(change) => {
            let event = Event { kind: subject.event(change), data: data(subject, item, site_url, now) };
            emit(db, event, now).await
        }
        None => Ok(0),
    }
}

/// Posts or pages as they were before a write of several of them, or a delete: [`Before::emit`]
/// after the write compares and queues each one's event.
#[derive(Debug, Clone)]
pub struct Before {
    subject: Subject,
    site_url: String,
    items: Vec<Item>,
}

impl Before {
    /// Reads items `ids` of `subject` (missing ones are skipped). Errors: the database's.
    pub async fn take(db: &Db, site_url: &str, subject: Subject, ids: &[i64]) -> sqlx::Result<Before> {
        let items = webhook_events::items(db, subject, ids).await?;
        Ok(Before { subject, site_url: site_url.to_owned(), items })
    }

    /// Reads the items again and queues each one's event: `deleted` (with the data from before)
    /// for those gone, `published`, `updated` or `unpublished` for those whose visibility or
    /// content readers see changed. Returns how many deliveries were queued.
    pub async fn emit(self, db: &Db, now: Timestamp) -> sqlx::Result<usize> {
        let ids: Vec<i64> = self.items.iter().map(|i| i.id).collect();
        let after = webhook_events::items(db, self.subject, &ids).await?;
        let mut queued = 0;
        for before in &self.items {
            let now_item = after.iter().find(|a| a.id == before.id);
            let unchanged =
                now_item.is_some_and(|a| a.updated_at == before.updated_at && a.status == before.status);
            if unchanged {
                continue;
            }
            let was = Some(is_visible(before, now));
            let Some(change) = change(was, now_item.map(|a| is_visible(a, now))) else { continue };
            let shown = now_item.unwrap_or(before);
            let event = Event {
                kind: self.subject.event(change),
                data: data(self.subject, shown, &self.site_url, now),
            };
            queued += emit(db, event, now).await?;
        }
        Ok(queued)
    }
}

/// Queues `post.published` for scheduled posts whose moment passed since the last scan (see
/// [`webhook_events::scan_scheduled`]: once across processes). Returns deliveries queued.
pub async fn scan_scheduled(db: &Db, site_url: &str, now: Timestamp) -> sqlx::Result<usize> {
    webhook_events::scan_scheduled(db, now, |item| {
        body(EventType::PostPublished, &data(Subject::Post, item, site_url, now), now)
    })
    .await
}
