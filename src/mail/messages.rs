//! The messages Folio sends. Each is one [`Content`] rendered twice, as plain text and as HTML,
//! by the templates `email/message.txt` and `email/message.html`.

use askama::Template;

use crate::db::outbox::NewMail;

/// What a message says; both bodies are rendered from it.
#[derive(Debug, Clone)]
pub struct Content {
    pub site_title: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// A button (HTML) or a bare link (text): (label, absolute URL).
    pub action: Option<(String, String)>,
    /// Small print: why this arrived and what to do if it was not expected.
    pub footer: String,
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextBody<'a> {
    m: &'a Content,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlBody<'a> {
    m: &'a Content,
}

impl Content {
    /// Renders both bodies into a message for `recipient`.
    pub fn to(&self, recipient: &str) -> askama::Result<NewMail> {
        Ok(NewMail {
            recipient: recipient.to_owned(),
            subject: format!("{} — {}", self.subject, self.site_title),
            text_body: TextBody { m: self }.render()?,
            html_body: HtmlBody { m: self }.render()?,
        })
    }
}

fn content(
    site: &str,
    subject: &str,
    paragraphs: &[&str],
    action: Option<(&str, &str)>,
    footer: &str,
) -> Content {
    Content {
        site_title: site.to_owned(),
        subject: subject.to_owned(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        action: action.map(|(label, url)| (label.to_owned(), url.to_owned())),
        footer: footer.to_owned(),
    }
}

/// Hours a password-reset link stays valid.
pub const RESET_HOURS: i64 = 1;
/// Days an invitation or an address confirmation stays valid.
pub const LINK_DAYS: i64 = 7;

pub fn password_reset(site: &str, url: &str) -> Content {
    content(
        site,
        "Reset your password",
        &[
            "Someone (we hope you) asked to reset the password of your account.",
            "The link below works once, for the next hour.",
        ],
        Some(("Choose a new password", url)),
        "If you did not ask for this, ignore this message: your password stays as it is.",
    )
}

pub fn invitation(site: &str, inviter: &str, role: &str, url: &str) -> Content {
    let line = format!("{inviter} invited you to join {site} as {role}.");
    content(
        site,
        "You are invited",
        &[&line, "Accept within seven days to create your account."],
        Some(("Accept the invitation", url)),
        "If you were not expecting this, you can ignore it.",
    )
}

pub fn confirm_address(site: &str, url: &str) -> Content {
    content(
        site,
        "Confirm your email address",
        &["Thanks for joining. Please confirm that this address is yours."],
        Some(("Confirm my address", url)),
        "If you did not create an account, ignore this message.",
    )
}

pub fn change_address(site: &str, url: &str) -> Content {
    content(
        site,
        "Confirm your new email address",
        &["Confirm this address to make it the one your account uses from now on."],
        Some(("Use this address", url)),
        "If you did not ask for this, ignore this message: nothing changes.",
    )
}

pub fn address_changed(site: &str, new_address: &str) -> Content {
    let line = format!("The email address of your account was changed to {new_address}.");
    content(
        site,
        "Your email address was changed",
        &[&line],
        None,
        "If you did not do this, reset your password at once and contact the site's owner.",
    )
}

pub fn password_changed(site: &str) -> Content {
    content(
        site,
        "Your password was changed",
        &["The password of your account was just changed, and your other sessions were ended."],
        None,
        "If you did not do this, reset your password at once and contact the site's owner.",
    )
}

pub fn already_registered(site: &str, sign_in_url: &str) -> Content {
    content(
        site,
        "You already have an account",
        &[
            "Someone (probably you) tried to sign up with this address, which already has an account.",
            "Sign in instead; if you forgot your password, the sign-in page lets you reset it.",
        ],
        Some(("Sign in", sign_in_url)),
        "If this was not you, you can ignore this message: nothing changed.",
    )
}

/// To a post's author: someone commented (`held`: and it waits for a moderator).
pub fn new_comment(
    site: &str,
    post_title: &str,
    commenter: &str,
    body: &str,
    held: bool,
    label: &str,
    url: &str,
) -> Content {
    let line = format!("{commenter} commented on “{post_title}”:");
    let quoted = crate::domain::text::truncate_words(body, 600);
    let state = if held { "The comment is waiting for a moderator." } else { "The comment is published." };
    content(
        site,
        "New comment",
        &[&line, &quoted, state],
        Some((label, url)),
        "You get this because you wrote the post. Turn these messages off on your account page.",
    )
}

/// To a commenter who asked: someone replied to their comment.
pub fn comment_reply(site: &str, post_title: &str, url: &str, unsubscribe: &str) -> Content {
    let line = format!("Someone replied to your comment on “{post_title}”.");
    let stop = format!("You asked to hear of replies to your comment. To stop, open {unsubscribe}");
    content(site, "New reply to your comment", &[&line], Some(("Read the reply", url)), &stop)
}

/// Double opt-in: the link that confirms a newsletter sign-up.
pub fn confirm_subscription(site: &str, url: &str) -> Content {
    let line =
        format!("Someone (we hope you) asked for the newsletter of {site} to be sent to this address.");
    content(
        site,
        "Confirm your subscription",
        &[&line, "Nothing will be sent until you confirm. The link works for seven days."],
        Some(("Confirm my subscription", url)),
        "If you did not ask for this, ignore this message: you will not be subscribed.",
    )
}

/// To an address already on the list that someone signed up again: the page to manage it. The
/// person who typed it is told only "check your inbox", whatever the case.
pub fn already_subscribed(site: &str, manage_url: &str) -> Content {
    content(
        site,
        "You are already subscribed",
        &["Someone (probably you) asked to subscribe this address, which already gets the newsletter."],
        Some(("Manage your subscription", manage_url)),
        "If this was not you, you can ignore this message: nothing changed.",
    )
}
