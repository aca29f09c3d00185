//! Settings editable in the admin: the form's fields checked and turned into the (key, value)
//! pairs stored in `site_settings`, and those pairs read back. Nothing here accepts markup or
//! script: the site's look comes from its templates, not from injected code.

use super::accounts::SignupMode;
use super::editor::optional_url;
use super::feed::{FEED_ITEMS_MAX, FeedContent};
use super::validation::{FieldErrors, long_text, short_text};

pub const NAV_MAX: usize = 12;
pub const POSTS_PER_PAGE_MAX: u32 = 100;
/// The longest a post may take comments after publication before the setting means "always":
/// ten years.
pub const CLOSE_DAYS_MAX: u32 = 3650;
/// The highest link limit the settings accept; above it the rule would never hold anything.
pub const LINK_LIMIT_MAX: u32 = 50;

/// Who may comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentPolicy {
    Open,
    Members,
    Closed,
}

impl CommentPolicy {
    pub const ALL: [CommentPolicy; 3] = [CommentPolicy::Open, CommentPolicy::Members, CommentPolicy::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentPolicy::Open => "open",
            CommentPolicy::Members => "members",
            CommentPolicy::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CommentPolicy::Open => "Anyone, with a name and email address",
            CommentPolicy::Members => "Signed-in members only",
            CommentPolicy::Closed => "Nobody: comments are closed",
        }
    }

    pub fn parse(s: &str) -> Option<CommentPolicy> {
        CommentPolicy::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How new comments reach the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    /// Every comment waits for approval.
    All,
    /// A commenter's first comment waits; later ones appear at once.
    FirstTime,
    /// Comments appear at once (spam checks still apply).
    None,
}

impl Moderation {
    pub const ALL: [Moderation; 3] = [Moderation::All, Moderation::FirstTime, Moderation::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::All => "all",
            Moderation::FirstTime => "first",
            Moderation::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Moderation::All => "Hold every comment for approval",
            Moderation::FirstTime => "Hold a commenter's first comment",
            Moderation::None => "Publish comments at once",
        }
    }

    pub fn parse(s: &str) -> Option<Moderation> {
        Moderation::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How the SMTP connection is secured.
pub const SMTP_SECURITY: [(&str, &str); 3] = [
    ("starttls", "STARTTLS (usually port 587)"),
    ("tls", "TLS (usually port 465)"),
    ("none", "None (local relays only)"),
];

/// The settings form as typed. `smtp_password` empty means "keep the saved one".
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub site_title: String,
    pub site_description: String,
    pub logo_url: String,
    pub nav: Vec<(String, String)>,
    pub posts_per_page: String,
    pub feed_items: String,
    pub feed_content: String,
    pub signup: String,
    pub comment_policy: String,
    pub comment_moderation: String,
    /// Days after publication that a post takes comments; 0: always.
    pub comment_close_days: String,
    /// Links a comment may hold before it waits for a moderator.
    pub comment_link_limit: String,
    /// The block list's text ([`super::spam::BlockList`]).
    pub comment_blocklist: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password: String,
    pub clear_smtp_password: bool,
    pub mail_from: String,
}

/// Checks the form against the `current` settings; the result is every (key, value) to store, or
/// a message per field. `smtp_password` is among them when a new one was typed, clearing was
/// asked for, or the server it was for changed (host, port, security or user: the saved password
/// never follows mail to another server).
pub fn check(
    input: &SettingsInput,
    current: &SettingsInput,
) -> Result<Vec<(&'static str, String)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut out: Vec<(&'static str, String)> = Vec::new();
    if let Some(v) = errors.check("site_title", short_text(&input.site_title, 120, "the site title")) {
        out.push(("site_title", v));
    }
    if let Some(v) =
        errors.check("site_description", long_text(&input.site_description, 300, "the description"))
    {
        out.push(("site_description", v));
    }
    if let Some(v) = errors.check("logo_url", optional_url(&input.logo_url, "the logo")) {
        out.push(("logo_url", v.unwrap_or_default()));
    }
    if let Some(nav) = errors.check("nav", check_nav(&input.nav)) {
        out.push(("nav", serde_json::to_string(&nav).unwrap_or_else(|_| "[]".into())));
    }
    match input.posts_per_page.trim().parse::<u32>() {
        Ok(n) if (1..=POSTS_PER_PAGE_MAX).contains(&n) => out.push(("posts_per_page", n.to_string())),
        _ => errors.add("posts_per_page", format!("Enter a whole number from 1 to {POSTS_PER_PAGE_MAX}.")),
    }
    match input.feed_items.trim().parse::<u32>() {
        Ok(n) if (1..=FEED_ITEMS_MAX).contains(&n) => out.push(("feed_items", n.to_string())),
        _ => errors.add("feed_items", format!("Enter a whole number from 1 to {FEED_ITEMS_MAX}.")),
    }
    match FeedContent::parse(&input.feed_content) {
        Some(c) => out.push(("feed_content", c.as_str().into())),
        None => errors.add("feed_content", "Choose what feeds carry."),
    }
    match parse_signup(&input.signup) {
        Some(mode) => out.push(("signup", mode.as_str().into())),
        None => errors.add("signup", "Choose one of the sign-up options."),
    }
    match CommentPolicy::parse(&input.comment_policy) {
        Some(p) => out.push(("comment_policy", p.as_str().into())),
        None => errors.add("comment_policy", "Choose who may comment."),
    }
    match Moderation::parse(&input.comment_moderation) {
        Some(m) => out.push(("comment_moderation", m.as_str().into())),
        None => errors.add("comment_moderation", "Choose how comments are moderated."),
    }
    match input.comment_close_days.trim().parse::<u32>() {
        Ok(n) if n <= CLOSE_DAYS_MAX => out.push(("comment_close_days", n.to_string())),
        _ => errors.add("comment_close_days", format!("Enter a number of days from 0 to {CLOSE_DAYS_MAX}.")),
    }
    match input.comment_link_limit.trim().parse::<u32>() {
        Ok(n) if n <= LINK_LIMIT_MAX => out.push(("comment_link_limit", n.to_string())),
        _ => errors.add("comment_link_limit", format!("Enter a whole number from 0 to {LINK_LIMIT_MAX}.")),
    }
    if let Some(v) = errors.check(
        "comment_blocklist",
        long_text(&input.comment_blocklist, super::spam::BLOCK_LIST_MAX, "the block list"),
    ) {
        out.push(("comment_blocklist", v));
    }
    check_smtp(input, &mut errors, &mut out);
    let server = |i: &SettingsInput| {
        (
            i.smtp_host.trim().to_owned(),
            i.smtp_port.trim().to_owned(),
            i.smtp_security.clone(),
            i.smtp_username.trim().to_owned(),
        )
    };
    if server(input) != server(current) && !out.iter().any(|(k, _)| *k == "smtp_password") {
        out.push(("smtp_password", String::new()));
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn check_smtp(input: &SettingsInput, errors: &mut FieldErrors, out: &mut Vec<(&'static str, String)>) {
    let host = input.smtp_host.trim();
    let host_ok = host.is_empty()
        || (host.len() <= 253 && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if host_ok {
        out.push(("smtp_host", host.to_owned()));
    } else {
        errors.add(
            "smtp_host",
            "Enter a host name like smtp.example.org, or leave it empty to use the configuration file.",
        );
    }
    let port = input.smtp_port.trim();
    match port.parse::<u16>() {
        Ok(p) if p > 0 => out.push(("smtp_port", p.to_string())),
        _ if port.is_empty() => out.push(("smtp_port", String::new())),
        _ => errors.add("smtp_port", "Enter a port number such as 587 or 465."),
    }
    match SMTP_SECURITY.iter().find(|(k, _)| *k == input.smtp_security) {
        Some((k, _)) if *k == "none" && !input.smtp_username.trim().is_empty() && !is_loopback(host) => {
            errors.add(
                "smtp_security",
                "Choose STARTTLS or TLS: a user name and password are never sent unencrypted, except to \
                 a mail server on this machine.",
            );
        }
        Some((k, _)) => out.push(("smtp_security", (*k).to_owned())),
        None => errors.add("smtp_security", "Choose how the connection is secured."),
    }
    if let Some(v) = errors.check("smtp_username", long_text(&input.smtp_username, 200, "the user name")) {
        out.push(("smtp_username", v));
    }
    if input.clear_smtp_password {
        out.push(("smtp_password", String::new()));
    } else if !input.smtp_password.is_empty() {
        if input.smtp_password.chars().any(char::is_control) || input.smtp_password.len() > 500 {
            errors.add(
                "smtp_password",
                "The password cannot contain control characters or exceed 500 characters.",
            );
        } else {
            out.push(("smtp_password", input.smtp_password.clone()));
        }
    }
    let from = input.mail_from.trim();
    if from.is_empty() {
        out.push(("mail_from", String::new()));
    } else if from.parse::<lettre::message::Mailbox>().is_ok() {
        out.push(("mail_from", from.to_owned()));
    } else {
        errors.add("mail_from", "Enter an address like Folio <news@example.org>.");
    }
}

/// Whether `host` names this machine (`localhost` or a loopback address).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A link of the main navigation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NavItem {
    pub label: String,
    pub url: String,
}

/// Rows left wholly empty are dropped; the rest keep their order.
pub fn check_nav(rows: &[(String, String)]) -> Result<Vec<NavItem>, String> {
    let mut items = Vec::new();
    for (label, url) in rows {
        let (label, url) = (label.trim(), url.trim());
        if label.is_empty() && url.is_empty() {
            continue;
        }
        let label = short_text(label, 40, "a label for every link")?;
        let url = optional_url(url, "each link")?.ok_or_else(|| format!("Enter where “{label}” leads."))?;
        items.push(NavItem { label, url });
    }
    if items.len() > NAV_MAX {
        return Err(format!("Keep the menu to {NAV_MAX} links."));
    }
    Ok(items)
}

pub fn parse_signup(s: &str) -> Option<SignupMode> {
    [SignupMode::Open, SignupMode::InviteOnly, SignupMode::Closed].into_iter().find(|m| m.as_str() == s)
}

/// The SMTP URL the saved parts describe; `None` when no host is saved (the configuration
/// file's `smtp_url` applies then).
pub fn smtp_url(host: &str, port: &str, security: &str, username: &str, password: &str) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    let scheme = if security == "tls" { "smtps" } else { "smtp" };
    let mut url = url::Url::parse(&format!("{scheme}://{host}")).ok()?;
    if let Ok(port) = port.parse::<u16>() {
        url.set_port(Some(port)).ok()?;
    }
    if !username.is_empty() {
        url.set_username(username).ok()?;
        url.set_password(Some(password).filter(|p| !p.is_empty())).ok()?;
    }
    if security == "starttls" {
        url.set_query(Some("tls=required"));
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SettingsInput {
        SettingsInput {
            site_title: "Notes".into(),
            posts_per_page: "10".into(),
            feed_items: "20".into(),
            feed_content: "excerpt".into(),
            signup: "open".into(),
            comment_policy: "open".into(),
            comment_moderation: "first".into(),
            comment_close_days: "0".into(),
            comment_link_limit: "2".into(),
            smtp_security: "starttls".into(),
            nav: vec![
                ("Home".into(), "/".into()),
                (String::new(), String::new()),
                ("About".into(), "/about".into()),
            ],
            ..SettingsInput::default()
        }
    }

    #[test]
    fn a_valid_form_becomes_pairs_and_keeps_the_saved_password() {
        let pairs = check(&valid(), &valid()).unwrap();
        let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("nav"), Some(r#"[{"label":"Home","url":"/"},{"label":"About","url":"/about"}]"#));
        assert_eq!(get("posts_per_page"), Some("10"));
        assert_eq!((get("feed_items"), get("feed_content")), (Some("20"), Some("excerpt")));
        assert_eq!(get("smtp_password"), None);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut bad = valid();
        bad.site_title = String::new();
        bad.posts_per_page = "0".into();
        bad.feed_items = "101".into();
        bad.feed_content = "some".into();
        bad.nav.push(("Evil".into(), "javascript:alert(1)".into()));
        bad.signup = "anyone".into();
        bad.smtp_port = "http".into();
        bad.mail_from = "not an address".into();
        bad.comment_close_days = "-1".into();
        bad.comment_link_limit = "many".into();
        let errors = check(&bad, &valid()).unwrap_err();
        for field in [
            "site_title",
            "posts_per_page",
            "feed_items",
            "feed_content",
            "nav",
            "signup",
            "smtp_port",
            "mail_from",
            "comment_close_days",
            "comment_link_limit",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn smtp_parts_make_a_url() {
        assert_eq!(smtp_url("", "", "tls", "", ""), None);
        assert_eq!(
            smtp_url("mail.example.org", "587", "starttls", "me@x", "p@ss word").as_deref(),
            Some("smtp://me%40x:p%40ss%20word@mail.example.org:587?tls=required")
        );
        assert_eq!(
            smtp_url("mail.example.org", "", "tls", "", "").as_deref(),
            Some("smtps://mail.example.org")
        );
    }
}
