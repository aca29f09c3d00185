//! Webhooks as plain rules: which events exist, which event a change of a post or page is,
//! how long to wait before the next attempt, and the secret's shape. Signing is in
//! [`signature`], the check of target addresses (SSRF) in [`address`].
//!
//! Names follow the Standard Webhooks specification (<https://www.standardwebhooks.com/>,
//! `spec/standard-webhooks.md`): a delivery is a *message* with a `webhook-id`, its body a JSON
//! object `{"type", "timestamp", "data"}`.

pub mod address;
pub mod signature;

use super::Timestamp;
use super::state::{PostState, Publication};

/// An event a hook can ask for, spelled as in the body's `type` (`post.published`, ...).
/// New kinds (`comment.created`, `subscriber.created`) are new variants here, added to
/// [`EventType::ALL`]; the table stores the spelling, so no migration is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    PostPublished,
    PostUpdated,
    PostUnpublished,
    PostDeleted,
    PagePublished,
    PageUpdated,
    PageUnpublished,
    PageDeleted,
}

impl EventType {
    /// Every event, in the order the admin lists them.
    pub const ALL: [EventType; 8] = [
        EventType::PostPublished,
        EventType::PostUpdated,
        EventType::PostUnpublished,
        EventType::PostDeleted,
        EventType::PagePublished,
        EventType::PageUpdated,
        EventType::PageUnpublished,
        EventType::PageDeleted,
    ];

    /// The spelling in payloads, forms and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PostPublished => "post.published",
            EventType::PostUpdated => "post.updated",
            EventType::PostUnpublished => "post.unpublished",
            EventType::PostDeleted => "post.deleted",
            EventType::PagePublished => "page.published",
            EventType::PageUpdated => "page.updated",
            EventType::PageUnpublished => "page.unpublished",
            EventType::PageDeleted => "page.deleted",
        }
    }

    /// The event spelled `name`, if there is one.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// A space-separated list as stored, read back: unknown names (from a newer version) are
    /// skipped, duplicates kept once, in [`EventType::ALL`]'s order.
    pub fn parse_list(stored: &str) -> Vec<EventType> {
        let named: Vec<&str> = stored.split_whitespace().collect();
        EventType::ALL.into_iter().filter(|e| named.contains(&e.as_str())).collect()
    }

    /// `events` as stored: space-separated, in [`EventType::ALL`]'s order.
    pub fn store_list(events: &[EventType]) -> String {
        let kept: Vec<&str> =
            EventType::ALL.into_iter().filter(|e| events.contains(e)).map(EventType::as_str).collect();
        kept.join(" ")
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Post,
    Page,
}

/// The four changes readers can see, per [`Subject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Published,
    Updated,
    Unpublished,
    Deleted,
}

impl Subject {
    /// The event for `change` of this subject.
    pub fn event(self, change: Change) -> EventType {
        match (self, change) {
            (Subject::Post, Change::Published) => EventType::PostPublished,
            (Subject::Post, Change::Updated) => EventType::PostUpdated,
            (Subject::Post, Change::Unpublished) => EventType::PostUnpublished,
            (Subject::Post, Change::Deleted) => EventType::PostDeleted,
            (Subject::Page, Change::Published) => EventType::PagePublished,
            (Subject::Page, Change::Updated) => EventType::PageUpdated,
            (Subject::Page, Change::Unpublished) => EventType::PageUnpublished,
            (Subject::Page, Change::Deleted) => EventType::PageDeleted,
        }
    }
}

/// Whether readers see an item stored as `publication` with `published_at` at `now` (pages
/// have no `published_at`: published is visible).
pub fn visible(publication: Publication, published_at: Option<Timestamp>, now: Timestamp) -> bool {
    PostState::of(publication, published_at, now) == PostState::Published
}

/// The change a write made, judged by what readers see: `before`/`after` are whether the item
/// was/is visible, `None` when it did not/does not exist.
///
/// - becoming visible is `published` (a scheduled post is published later, by the scan for
///   posts whose moment passed, not by the save that scheduled it);
/// - saving a visible item is `updated`;
/// - a visible item becoming a draft, or scheduled again, is `unpublished`;
/// - removing an item is `deleted`, whatever its state, as Ghost's `post.deleted`;
/// - a draft's saves are no event: nothing readers see changed.
pub fn change(before: Option<bool>, after: Option<bool>) -> Option<Change> {
    match (before, after) {
        (Some(_), None) => Some(Change::Deleted),
        (Some(true), Some(true)) => Some(Change::Updated),
        (Some(true), Some(false)) => Some(Change::Unpublished),
        (None | Some(false), Some(true)) => Some(Change::Published),
        (None | Some(false), Some(false)) | (None, None) => None,
    }
}

/// Attempts per round (the first, then retries) before a delivery is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// Seconds to wait after failed attempt number `attempt` (1-based) before the next: 30 s,
/// doubling (1 min, 2 min, ...), capped at 1 hour. With [`MAX_ATTEMPTS`] the last attempt is
/// about an hour after the first, so a receiver down for a deploy still gets the event.
pub fn backoff(attempt: i64) -> i64 {
    let doublings = u32::try_from(attempt.clamp(1, 16) - 1).unwrap_or(0);
    30_i64.saturating_mul(2_i64.saturating_pow(doublings)).min(3600)
}

/// The prefix of a secret (Standard Webhooks, "Signature scheme": symmetric secrets are
/// `whsec_` followed by base64).
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of a new secret's key. The specification asks for 24 to 64; 32 matches HMAC-SHA256's
/// output size.
pub const SECRET_BYTES: usize = 32;

/// A new secret, `whsec_` + standard base64 of [`SECRET_BYTES`] random bytes from the OS.
pub fn new_secret() -> String {
    use base64::Engine as _;
    let key = super::secrets::random_bytes::<SECRET_BYTES>();
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// A new message id for the `webhook-id` header: `msg_` and 128 random bits in hex, unique per
/// event and hook, the same on every attempt (Standard Webhooks, "Webhook-id").
pub fn new_message_id() -> String {
    let bytes = super::secrets::random_bytes::<16>();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_unknown_names_are_skipped() {
        for event in EventType::ALL {
            assert_eq!(EventType::parse(event.as_str()), Some(event));
        }
        assert_eq!(EventType::parse("comment.created"), None);
        let stored = "page.deleted post.published comment.created post.published";
        assert_eq!(EventType::parse_list(stored), [EventType::PostPublished, EventType::PageDeleted]);
        assert_eq!(
            EventType::store_list(&[EventType::PageDeleted, EventType::PostPublished]),
            "post.published page.deleted"
        );
    }

    #[test]
    fn changes_are_judged_by_what_readers_see() {
        assert_eq!(change(None, Some(true)), Some(Change::Published));
        assert_eq!(change(Some(false), Some(true)), Some(Change::Published));
        assert_eq!(change(Some(true), Some(true)), Some(Change::Updated));
        assert_eq!(change(Some(true), Some(false)), Some(Change::Unpublished));
        assert_eq!(change(Some(false), None), Some(Change::Deleted));
        assert_eq!(change(Some(true), None), Some(Change::Deleted));
        assert_eq!(change(Some(false), Some(false)), None);
        assert_eq!(change(None, Some(false)), None);
        assert_eq!(Subject::Page.event(Change::Unpublished), EventType::PageUnpublished);
    }

    #[test]
    fn a_scheduled_post_is_not_visible_until_its_moment() {
        assert!(!visible(Publication::Published, Some(200), 100));
        assert!(visible(Publication::Published, Some(100), 100));
        assert!(visible(Publication::Published, None, 100));
        assert!(!visible(Publication::Draft, Some(1), 100));
    }

    #[test]
    fn backoff_starts_at_30_seconds_doubles_and_caps_at_an_hour() {
        let waits: Vec<i64> = (1..=9).map(backoff).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(i64::MAX), 3600);
    }

    #[test]
    fn secrets_carry_the_prefix_and_enough_random_bytes() {
        use base64::Engine as _;
        let secret = new_secret();
        let key = secret.strip_prefix(SECRET_PREFIX).expect("prefix");
        let bytes = base64::engine::general_purpose::STANDARD.decode(key).expect("base64");
        assert_eq!(bytes.len(), SECRET_BYTES);
        assert!((24..=64).contains(&bytes.len()));
        assert_ne!(secret, new_secret());
        assert!(new_message_id().starts_with("msg_"));
    }
}
