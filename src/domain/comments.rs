//! Readers' comments: who may comment on a post and until when, what a comment may say, how its
//! Markdown becomes safe HTML, and which comments wait for a moderator.
//!
//! The spam rules (block list, link count) live in [`super::spam`]; the signed, timestamped form
//! token in [`super::form_stamp`].

use std::sync::LazyLock;

use pulldown_cmark::{Event, Parser, Tag, TagEnd, html};

use super::Timestamp;
use super::email::Email;
use super::site_settings::{CommentPolicy, Moderation};
use super::validation::{FieldErrors, long_text, short_text};

/// A comment's body, in characters: a long paragraph or two, not an article.
pub const BODY_MAX: usize = 5_000;
/// A commenter's name, in characters.
pub const NAME_MAX: usize = 80;
/// A commenter's website, in bytes.
pub const URL_MAX: usize = 300;
/// How long after posting a member may still edit their comment, in seconds (the issue's 10
/// minutes; deleting has no limit).
pub const EDIT_WINDOW: i64 = 10 * 60;
/// Approved comments per page of an article; older ones are on `?comments=N` pages.
pub const PER_PAGE: i64 = 100;

/// Where a comment stands. Only `Approved` comments are ever shown to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Spam,
    Trash,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Pending, Status::Approved, Status::Spam, Status::Trash];

    /// The stored name (the `comments.status` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Spam => "spam",
            Status::Trash => "trash",
        }
    }

    /// The moderation tab's name.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Awaiting moderation",
            Status::Approved => "Approved",
            Status::Spam => "Spam",
            Status::Trash => "Trash",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Who may comment on one post now, or why nobody may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Openness {
    /// Anyone: guests give a name and an email address.
    Anyone,
    /// Signed-in members (and staff) only.
    Members,
    /// Comments are off for this post or the whole site.
    Off,
    /// Comments closed `days` days after publication (the site's setting).
    Expired { days: u32 },
}

impl Openness {
    /// Whether a new comment may be written at all.
    pub fn accepts(self) -> bool {
        matches!(self, Openness::Anyone | Openness::Members)
    }

    /// What readers are told when the post takes no comments.
    pub fn reason(self) -> &'static str {
        match self {
            Openness::Anyone | Openness::Members => "",
            Openness::Off => "Comments are off for this post.",
            Openness::Expired { .. } => "Comments are closed: this post is no longer taking new ones.",
        }
    }
}

/// Who may comment on a post: its own policy (`None` follows the site's), closed `close_after`
/// days after `published_at` (0: never).
pub fn openness(
    site: CommentPolicy,
    post: Option<CommentPolicy>,
    close_after: u32,
    published_at: Timestamp,
    now: Timestamp,
) -> Openness {
    match post.unwrap_or(site) {
        CommentPolicy::Closed => Openness::Off,
        _ if close_after > 0 && now >= published_at.saturating_add(i64::from(close_after) * 86_400) => {
            Openness::Expired { days: close_after }
        }
        CommentPolicy::Members => Openness::Members,
        CommentPolicy::Open => Openness::Anyone,
    }
}

/// Whether the comment should wait for a moderator, under `moderation`, for an author who has
/// `approved_before` comments already approved. The spam rules may hold it too.
pub fn needs_approval(moderation: Moderation, approved_before: bool, staff: bool) -> bool {
    if staff {
        return false;
    }
    match moderation {
        Moderation::All => true,
        Moderation::FirstTime => !approved_before,
        Moderation::None => false,
    }
}

/// Whether a comment made at `created_at` may still be edited by its author at `now`.
pub fn editable(created_at: Timestamp, now: Timestamp) -> bool {
    now < created_at.saturating_add(EDIT_WINDOW)
}

/// A guest's name, address and website, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub name: String,
    pub email: Email,
    /// Empty, or an `http(s)://` address.
    pub url: String,
}

/// Checks a guest's fields, adding a message per field to `errors`.
pub fn check_guest(name: &str, email: &str, url: &str, errors: &mut FieldErrors) -> Option<Guest> {
    let name = errors.check("name", short_text(name, NAME_MAX, "your name"));
    let email = errors.check("email", Email::parse(email));
    let url = errors.check("url", check_url(url));
    Some(Guest { name: name?, email: email?, url: url? })
}

/// An optional website: empty, or an absolute `http(s)` URL without spaces or quotes.
pub fn check_url(input: &str) -> Result<String, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let parsed = url::Url::parse(value).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    match parsed {
        Some(u) if value.len() <= URL_MAX && u.host_str().is_some() => Ok(u.to_string()),
        _ => Err("Enter your website as an address starting with https://, or leave it empty.".into()),
    }
}

/// Checks a comment's text: 1 to [`BODY_MAX`] characters, line breaks kept.
pub fn check_body(input: &str) -> Result<String, String> {
    let body = long_text(input, BODY_MAX, "your comment").map_err(String::from)?;
    if body.is_empty() {
        return Err("Write your comment first.".into());
    }
    Ok(body)
}

/// The sanitiser for comments: the Markdown subset's own tags and nothing else. Links get
/// `rel="nofollow ugc noopener"` (Google's `ugc` marks user-generated links) and may only point
/// to `http`, `https` or `mailto`.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(&["p", "em", "strong", "a", "code", "pre", "blockquote", "ul", "ol", "li", "br"])
        .add_tag_attributes("a", &["href"])
        .add_url_schemes(&["http", "https", "mailto"])
        .link_rel(Some("nofollow ugc noopener"))
        .url_relative(ammonia::UrlRelative::Deny);
    b
});

/// A comment's Markdown as safe HTML: paragraphs, emphasis, links, inline code, code blocks,
/// quotes and lists. Headings become paragraphs, images their description, raw HTML shows as
/// the text it is; what remains goes through [`SANITIZER`].
pub fn render(source: &str) -> String {
    let events = Parser::new(source).map(|event| match event {
        Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => Event::Text("".into()),
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => Event::Text("".into()),
        Event::Rule => Event::Text("".into()),
        other => other,
    });
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SANITIZER.clean(&raw).to_string()
}

/// The links a comment's Markdown makes (inline, reference and autolinks, and bare addresses a
/// reader would paste), for the link-count rule.
pub fn link_count(source: &str) -> usize {
    let marked = Parser::new(source).filter(|e| matches!(e, Event::Start(Tag::Link { .. }))).count();
    let bare = source.matches("http://").count() + source.matches("https://").count();
    marked.max(bare)
}

/// The generated avatar: up to two initials and one of [`AVATAR_COLOURS`] picked from the name,
/// drawn by CSS, so showing it asks nothing of any other server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub initials: String,
    /// 0..[`AVATAR_COLOURS`], the `avatar--N` class.
    pub colour: u8,
}

/// How many avatar colours the stylesheet has (`.avatar--0` to `.avatar--7`).
pub const AVATAR_COLOURS: u8 = 8;

/// The avatar of someone called `name`: the first letters of its first and last words.
pub fn avatar(name: &str) -> Avatar {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = |w: &&str| w.chars().find(|c| c.is_alphanumeric());
    let mut initials = String::new();
    initials.extend(words.first().and_then(first).into_iter().flat_map(char::to_uppercase));
    if words.len() > 1 {
        initials.extend(words.last().and_then(first).into_iter().flat_map(char::to_uppercase));
    }
    if initials.is_empty() {
        initials.push('?');
    }
    // FNV-1a: stable across processes and releases, unlike std's randomised hasher.
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    Avatar { initials, colour: (hash % u32::from(AVATAR_COLOURS)) as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_markdown_keeps_only_the_subset() {
        let html = render(
            "# Big\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) ![p](https://e.x/a.png) \
             [ok](https://example.org) <img src=x onerror=alert(1)>\n\n> quoted `code`\n\n- a\n- b",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<h1"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "raw HTML shows as text: {html}");
        assert!(
            html.contains(r#"<a href="https://example.org" rel="nofollow ugc noopener">ok</a>"#),
            "{html}"
        );
        assert!(
            html.contains("<blockquote>")
                && html.contains("<code>code</code>")
                && html.contains("<li>a</li>")
        );
        assert!(render("[rel](/admin)").contains("rel"), "relative links lose their href, keep their text");
        assert!(!render("[rel](/admin)").contains("href"));
    }

    #[test]
    fn policy_and_closing_days() {
        let day: i64 = 86_400;
        let open = |post: Option<CommentPolicy>, close: u32, age: i64| {
            openness(CommentPolicy::Open, post, close, 0, age * day)
        };
        assert_eq!(open(None, 0, 1000), Openness::Anyone);
        assert_eq!(open(Some(CommentPolicy::Members), 0, 1), Openness::Members);
        assert_eq!(open(Some(CommentPolicy::Closed), 0, 1), Openness::Off);
        assert_eq!(open(None, 14, 13), Openness::Anyone);
        assert_eq!(open(None, 14, 14), Openness::Expired { days: 14 });
        assert_eq!(openness(CommentPolicy::Closed, Some(CommentPolicy::Open), 0, 0, 0), Openness::Anyone);
        assert_eq!(openness(CommentPolicy::Members, None, 0, 0, 0), Openness::Members);
    }

    #[test]
    fn moderation_rules() {
        assert!(needs_approval(Moderation::All, true, false));
        assert!(needs_approval(Moderation::FirstTime, false, false));
        assert!(!needs_approval(Moderation::FirstTime, true, false));
        assert!(!needs_approval(Moderation::None, false, false));
        assert!(!needs_approval(Moderation::All, false, true), "staff replies are never held");
        assert!(editable(100, 100 + EDIT_WINDOW - 1));
        assert!(!editable(100, 100 + EDIT_WINDOW));
    }

    #[test]
    fn fields_are_checked() {
        let mut errors = FieldErrors::new();
        assert!(check_guest("", "nope", "javascript:alert(1)", &mut errors).is_none());
        assert!(errors.get("name").is_some() && errors.get("email").is_some() && errors.get("url").is_some());
        let mut errors = FieldErrors::new();
        let guest = check_guest(" Ann Lee ", "ann@example.org", "https://ann.example", &mut errors).unwrap();
        assert_eq!((guest.name.as_str(), guest.url.as_str()), ("Ann Lee", "https://ann.example/"));
        assert!(check_body("  ").is_err());
        assert!(check_body(&"x".repeat(BODY_MAX + 1)).is_err());
        assert_eq!(check_body(" hi\r\nthere ").unwrap(), "hi\nthere");
    }

    #[test]
    fn links_are_counted_and_avatars_are_stable() {
        assert_eq!(link_count("see https://a.example and [b](https://b.example)"), 2);
        assert_eq!(link_count("[a](https://a.example) [b](https://b.example) [c](https://c.example)"), 3);
        assert_eq!(link_count("no links"), 0);
        assert_eq!(avatar("ann lee").initials, "AL");
        assert_eq!(avatar("Ann").initials, "A");
        assert_eq!(avatar("  ").initials, "?");
        assert_eq!(avatar("Ann Lee"), avatar("Ann Lee"));
        assert!(avatar("Ann Lee").colour < AVATAR_COLOURS);
    }
}
