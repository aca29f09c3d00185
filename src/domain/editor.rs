//! What the editor submits, checked: a post or page ready to be saved, or a message per field.
//! The same rules serve the admin's forms and (later) the JSON API.

use super::Timestamp;
use super::markdown::{self, Rendered};
use super::newsletter::Sending;
use super::slug::Slug;
use super::state::Publication;
use super::validation::{FieldErrors, long_text, short_text};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 1_000_000;
pub const EXCERPT_MAX: usize = 500;
pub const SEO_TITLE_MAX: usize = 300;
pub const SEO_DESCRIPTION_MAX: usize = 500;
pub const TAG_NAME_MAX: usize = 60;
pub const TAGS_MAX: usize = 20;
pub const URL_MAX: usize = 500;

/// What the writer asked for with the button they pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Keep the current state: a draft stays a draft, a published post is updated in place.
    Save,
    /// Publish now (or keep the original date of a post already out).
    Publish,
    /// Publish at the given future moment.
    Schedule,
    /// Take a published or scheduled post back to draft.
    Unpublish,
}

impl Intent {
    pub fn parse(s: &str) -> Intent {
        match s {
            "publish" => Intent::Publish,
            "schedule" => Intent::Schedule,
            "unpublish" => Intent::Unpublish,
            _ => Intent::Save,
        }
    }

    /// Whether this intent puts the post in front of readers (which needs the right to publish).
    pub fn publishes(self) -> bool {
        matches!(self, Intent::Publish | Intent::Schedule)
    }
}

/// The editor's fields exactly as typed.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub excerpt: String,
    pub tags: String,
    pub series_id: String,
    pub series_position: String,
    pub cover_image: String,
    pub cover_alt: String,
    pub seo_title: String,
    pub seo_description: String,
    /// `YYYY-MM-DDTHH:MM` (an HTML `datetime-local`), read as UTC.
    pub publish_at: String,
    /// The author's user id, as an editor chose it; the save checks it against the staff.
    pub author: String,
    /// Who may comment: `open`, `members` or `closed`; empty follows the site's setting.
    pub comment_policy: String,
    /// The newsletter choice ([`Sending`]): empty (publish only), `send` or `only`.
    pub newsletter: String,
}

/// A post that passed every rule.
#[derive(Debug, Clone)]
pub struct PostDraft {
    pub title: String,
    pub slug: Slug,
    /// The slug was made from the title (the field was empty): when another post has it, the
    /// post takes the first free `slug-N` instead of being refused.
    pub slug_derived: bool,
    pub body_md: String,
    pub rendered: Rendered,
    /// What was typed; empty means the excerpt is derived from the body.
    pub excerpt: String,
    pub tags: Vec<(Slug, String)>,
    pub series: Option<(i64, Option<i64>)>,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub status: Publication,
    pub published_at: Option<Timestamp>,
    /// The post's own comment policy (`CommentPolicy::as_str`), `None` following the site's.
    pub comment_policy: Option<String>,
    pub newsletter: Sending,
    /// For a mail-only post published or scheduled: when it is mailed.
    pub newsletter_at: Option<Timestamp>,
}

impl PostDraft {
    /// The excerpt listings show: the typed one, else the start of the body.
    pub fn listing_excerpt(&self) -> &str {
        if self.excerpt.is_empty() { &self.rendered.excerpt } else { &self.excerpt }
    }
}

/// Where the post stands before this save.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    pub status: Publication,
    pub published_at: Option<Timestamp>,
    /// A mail-only post's sending moment.
    pub newsletter_at: Option<Timestamp>,
}

/// Checks `input` for `intent`. `current` is `None` for a new post.
pub fn check_post(
    input: &PostInput,
    intent: Intent,
    current: Option<Current>,
    now: Timestamp,
) -> Result<PostDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", short_text(&input.title, TITLE_MAX, "a title"));
    let slug = slug_for(&input.slug, title.as_deref(), Slug::parse).and_then(|s| errors.check("slug", s));
    let body_md = errors.check("body", long_text(&input.body, BODY_MAX, "the body"));
    let excerpt = errors.check("excerpt", long_text(&input.excerpt, EXCERPT_MAX, "the excerpt"));
    let tags = errors.check("tags", parse_tags(&input.tags));
    let series = errors.check("series_position", parse_series(&input.series_id, &input.series_position));
    let cover_image = errors.check("cover_image", optional_url(&input.cover_image, "the cover image"));
    let cover_alt = errors.check("cover_alt", long_text(&input.cover_alt, 300, "the image description"));
    let seo_title = errors.check("seo_title", long_text(&input.seo_title, SEO_TITLE_MAX, "the SEO title"));
    let seo_description = errors.check(
        "seo_description",
        long_text(&input.seo_description, SEO_DESCRIPTION_MAX, "the SEO description"),
    );
    let comment_policy = match input.comment_policy.trim() {
        "" => None,
        typed => match super::site_settings::CommentPolicy::parse(typed) {
            Some(policy) => Some(policy.as_str().to_owned()),
            None => {
                errors.add("comment_policy", "Choose who may comment, or the site's setting.");
                None
            }
        },
    };
    let (status, published_at) = match intent {
        Intent::Save => match current {
            Some(c) => (c.status, c.published_at),
            None => (Publication::Draft, None),
        },
        Intent::Publish => {
            let already_out = current.and_then(|c| c.published_at.filter(|at| *at <= now));
            (Publication::Published, Some(already_out.unwrap_or(now)))
        }
        Intent::Schedule => match parse_datetime(&input.publish_at) {
            Some(at) if at > now => (Publication::Published, Some(at)),
            Some(_) => {
                errors.add("publish_at", "Choose a moment in the future, or publish now.");
                (Publication::Draft, None)
            }
            None => {
                errors.add("publish_at", "Enter the date and time to publish, like 2030-01-31 09:00 (UTC).");
                (Publication::Draft, None)
            }
        },
        Intent::Unpublish => (Publication::Draft, None),
    };
    let newsletter = Sending::parse(&input.newsletter).unwrap_or_else(|| {
        errors.add("newsletter", "Choose whether to send this post to subscribers.");
        Sending::None
    });
    // A mail-only post stays a draft on the site: publishing or scheduling it sets when it is
    // mailed instead. One already on the site cannot become mail-only.
    let kept_at = current.and_then(|c| c.newsletter_at);
    let (status, published_at, newsletter_at) = match (newsletter, intent) {
        (Sending::Only, Intent::Publish | Intent::Schedule | Intent::Save)
            if current.is_some_and(|c| c.status == Publication::Published) =>
        {
            errors
                .add("newsletter", "This post is on the site already: choose “Publish and send” to mail it.");
            (status, published_at, None)
        }
        (Sending::Only, Intent::Publish | Intent::Schedule) => (Publication::Draft, None, published_at),
        (Sending::Only, Intent::Save) => (status, published_at, kept_at),
        _ => (status, published_at, None),
    };
    let (Some(title), Some(slug), Some(body_md), Some(excerpt), Some(tags), Some(series)) =
        (title, slug, body_md, excerpt, tags, series)
    else {
        return Err(errors);
    };
    let (Some(cover_image), Some(cover_alt), Some(seo_title), Some(seo_description)) =
        (cover_image, cover_alt, seo_title, seo_description)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PostDraft {
        title,
        slug,
        slug_derived: input.slug.trim().is_empty(),
        rendered: markdown::render(&body_md),
        body_md,
        excerpt,
        tags,
        series,
        cover_image,
        cover_alt,
        seo_title: Some(seo_title).filter(|s| !s.is_empty()),
        seo_description: Some(seo_description).filter(|s| !s.is_empty()),
        status,
        published_at,
        comment_policy,
        newsletter,
        newsletter_at,
    })
}

/// The typed slug, or one made from the (valid) title when the field is left empty. `None` when
/// there is neither: the title's own message covers that one omission.
pub(super) fn slug_for(
    typed: &str,
    title: Option<&str>,
    parse: fn(&str) -> Result<Slug, super::slug::SlugError>,
) -> Option<Result<Slug, String>> {
    let typed = typed.trim();
    if typed.is_empty() {
        let derived = Slug::from_title(title?)
            .ok_or_else(|| "Enter a slug: the title has no letters or digits to make one from.".to_owned());
        return Some(derived.and_then(|d| parse(d.as_str()).map_err(|e| e.to_string())));
    }
    Some(parse(typed).map_err(|e| e.to_string()))
}

/// "Rust, Web dev" → [(rust, Rust), (web-dev, Web dev)], without duplicates.
pub fn parse_tags(input: &str) -> Result<Vec<(Slug, String)>, String> {
    let mut tags: Vec<(Slug, String)> = Vec::new();
    for raw in input.split(',') {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let name = short_text(name, TAG_NAME_MAX, "each tag name")?;
        let slug =
            Slug::from_title(&name).ok_or_else(|| format!("The tag “{name}” needs a letter or digit."))?;
        if !tags.iter().any(|(s, _)| s == &slug) {
            tags.push((slug, name));
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(format!("Use at most {TAGS_MAX} tags."));
    }
    Ok(tags)
}

fn parse_series(id: &str, position: &str) -> Result<Option<(i64, Option<i64>)>, String> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(None);
    }
    let id: i64 = id.parse().map_err(|_| "Choose a series from the list.".to_owned())?;
    let position = position.trim();
    if position.is_empty() {
        return Ok(Some((id, None)));
    }
    match position.parse::<i64>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(Some((id, Some(n)))),
        _ => Err("Enter the post's place in the series as a whole number from 1.".into()),
    }
}

/// Empty, a path on this site, or an http(s) URL.
pub fn optional_url(input: &str, what: &str) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let ok = value.len() <= URL_MAX
        && !value.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>')
        && (super::validation::local_path(value).is_some()
            || value.starts_with("https://")
            || value.starts_with("http://"));
    if ok {
        Ok(Some(value.to_owned()))
    } else {
        Err(format!("Enter {what} as a path like /media/… or an https:// address."))
    }
}

/// `2030-01-31T09:00` (seconds optional) as UTC seconds.
pub fn parse_datetime(input: &str) -> Option<Timestamp> {
    use time::macros::format_description;
    let input = input.trim().replace(' ', "T");
    let with_seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let without = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let parsed = time::PrimitiveDateTime::parse(&input, with_seconds)
        .or_else(|_| time::PrimitiveDateTime::parse(&input, without))
        .ok()?;
    Some(parsed.assume_utc().unix_timestamp())
}

/// The value an HTML `datetime-local` input shows for `ts` (UTC).
pub fn datetime_local(ts: Timestamp) -> String {
    use time::macros::format_description;
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.format(format).unwrap_or_default())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str) -> PostInput {
        PostInput { title: title.into(), body: "Hello *world*".into(), ..PostInput::default() }
    }

    #[test]
    fn a_new_post_saved_is_a_draft_with_a_slug_from_its_title() {
        let draft = check_post(&input("Hello, World!"), Intent::Save, None, 100).unwrap();
        assert_eq!(draft.slug.as_str(), "hello-world");
        assert_eq!(draft.status, Publication::Draft);
        assert_eq!(draft.published_at, None);
        assert!(draft.rendered.html.contains("<em>world</em>"));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let bad = PostInput {
            title: " ".into(),
            slug: "Not A Slug".into(),
            tags: format!("ok, {}", "x".repeat(61)),
            series_id: "1".into(),
            series_position: "zero".into(),
            cover_image: "javascript:alert(1)".into(),
            publish_at: "tomorrow".into(),
            ..PostInput::default()
        };
        let errors = check_post(&bad, Intent::Schedule, None, 100).unwrap_err();
        for field in ["title", "slug", "tags", "series_position", "cover_image", "publish_at"] {
            assert!(errors.get(field).is_some(), "no error for {field}: {errors:?}");
        }
    }

    #[test]
    fn publishing_keeps_an_earlier_date_and_scheduling_needs_the_future() {
        let out = Current { status: Publication::Published, published_at: Some(50), newsletter_at: None };
        let again = check_post(&input("T"), Intent::Publish, Some(out), 100).unwrap();
        assert_eq!(again.published_at, Some(50));
        let mut later = input("T");
        later.publish_at = "2030-01-31T09:00".into();
        let scheduled = check_post(&later, Intent::Schedule, None, 100).unwrap();
        assert_eq!((scheduled.status, scheduled.published_at), (Publication::Published, Some(1_896_080_400)));
        later.publish_at = "1970-01-01T00:00".into();
        assert!(check_post(&later, Intent::Schedule, None, 100).unwrap_err().get("publish_at").is_some());
        let pulled = check_post(&input("T"), Intent::Unpublish, Some(out), 100).unwrap();
        assert_eq!((pulled.status, pulled.published_at), (Publication::Draft, None));
    }

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        let tags = parse_tags(" Rust , web dev,rust,, ").unwrap();
        let names: Vec<_> = tags.iter().map(|(s, n)| (s.as_str(), n.as_str())).collect();
        assert_eq!(names, [("rust", "Rust"), ("web-dev", "web dev")]);
        assert!(parse_tags("!!!").is_err());
    }

    #[test]
    fn datetimes_round_trip() {
        assert_eq!(datetime_local(1_896_080_400), "2030-01-31T09:00");
        assert_eq!(parse_datetime("2030-01-31 09:00"), Some(1_896_080_400));
    }
}
