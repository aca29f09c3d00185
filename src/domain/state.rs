//! Where a post or page stands: what is stored, and what writers see as of a moment.

use super::Timestamp;

/// What is stored for a post or page: a draft is never shown; a published one is shown from its
/// `published_at`, so one with that moment still to come is *scheduled* ([`PostState`]) and
/// becomes visible on its own when it passes, with no background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    Draft,
    Published,
}

impl Publication {
    /// The stored spelling: `draft` or `published`.
    pub fn as_str(self) -> &'static str {
        match self {
            Publication::Draft => "draft",
            Publication::Published => "published",
        }
    }

    /// The stored spelling read back; anything but `published` is a draft, so an unknown value
    /// is never shown to readers.
    pub fn parse(stored: &str) -> Publication {
        if stored == Publication::Published.as_str() { Publication::Published } else { Publication::Draft }
    }
}

/// A post's state as the admin shows it, computed only by [`PostState::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostState {
    Draft,
    /// Published, with a `published_at` still to come.
    Scheduled,
    /// Visible to readers now.
    Published,
}

impl PostState {
    /// The state of a post stored as `publication` with `published_at`, at time `now`.
    pub fn of(publication: Publication, published_at: Option<Timestamp>, now: Timestamp) -> PostState {
        match (publication, published_at) {
            (Publication::Draft, _) => PostState::Draft,
            (Publication::Published, Some(at)) if at > now => PostState::Scheduled,
            (Publication::Published, _) => PostState::Published,
        }
    }

    /// `draft`, `scheduled` or `published`: the label the admin shows and its CSS modifier.
    pub fn as_str(self) -> &'static str {
        match self {
            PostState::Draft => "draft",
            PostState::Scheduled => "scheduled",
            PostState::Published => "published",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_post_is_scheduled_until_its_moment() {
        let of = |p, at| PostState::of(p, at, 100);
        assert_eq!(of(Publication::Draft, Some(200)), PostState::Draft);
        assert_eq!(of(Publication::Published, Some(101)), PostState::Scheduled);
        assert_eq!(of(Publication::Published, Some(100)), PostState::Published);
        assert_eq!(of(Publication::Published, None), PostState::Published);
        assert_eq!(Publication::parse("published"), Publication::Published);
        assert_eq!(Publication::parse("anything else"), Publication::Draft);
    }
}
