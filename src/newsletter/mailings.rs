//! The scan that makes mailings, once a second in every process: each post whose moment came
//! and that the editors chose to send, and the digest when its moment came. Making a mailing
//! queues it to every subscriber in one transaction; uniqueness in the database makes a
//! second process's attempt a no-op ([`crate::db::mailings::create`]).

use std::time::Duration;

use askama::Template;

use super::delivery::Newsletter;
use crate::db::Db;
use crate::db::mailings::{self, MailPost, NewMailing};
use crate::domain::clock::Clock;
use crate::domain::newsletter::{MANAGE_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, digest_due};
use crate::domain::{Timestamp, dates};

/// How often the scan runs: a scheduled post's mail leaves within about this of its moment.
const POLL: Duration = Duration::from_secs(1);
/// A digest whose moment passed more than this long ago (the site was down) is not sent late.
const DIGEST_LATE: Timestamp = 2 * 86_400;

/// One post as a mail shows it.
struct Item {
    title: String,
    url: String,
    date: String,
    author: String,
    excerpt: String,
    cover: Option<(String, String)>,
    body_html: String,
    body_text: String,
}

#[derive(Template)]
#[template(path = "email/newsletter.html")]
struct HtmlIssue<'a> {
    m: &'a Issue,
}

#[derive(Template)]
#[template(path = "email/newsletter.txt")]
struct TextIssue<'a> {
    m: &'a Issue,
}

/// A mailing's content: one post in full, or a digest's list.
struct Issue {
    site_title: String,
    site_url: String,
    heading: String,
    /// The whole post (one item), or a digest (its items as a list).
    full: bool,
    items: Vec<Item>,
    /// The post on the site; none for a mail-only post.
    web_url: Option<String>,
    why: String,
    manage_url: &'static str,
    unsubscribe_url: &'static str,
}

/// Moves the template's `<style>` rules into each element's `style` attribute (css-inline), as
/// mail clients that drop `<style>` need; nothing is fetched.
fn inline_css(html: &str) -> Result<String, String> {
    css_inline::CSSInliner::options()
        .load_remote_stylesheets(false)
        .build()
        .inline(html)
        .map_err(|e| format!("cannot inline the mail's CSS: {e}"))
}

/// Makes `/media/…` and other site-relative addresses in a post's HTML absolute, as mail needs.
fn absolute(html: &str, base: &str) -> String {
    html.replace("src=\"/", &format!("src=\"{base}/")).replace("href=\"/", &format!("href=\"{base}/"))
}

fn item(post: &MailPost, base: &str) -> Item {
    let url = format!("{base}/posts/{}", post.slug);
    let cover = post.cover_image.as_ref().map(|c| {
        let src = if c.starts_with('/') { format!("{base}{c}") } else { c.clone() };
        (src, post.cover_alt.clone())
    });
    Item {
        title: post.title.clone(),
        url,
        date: post.published_at.map(dates::human).unwrap_or_default(),
        author: post.author_name.clone(),
        excerpt: post.excerpt.clone(),
        cover,
        body_html: absolute(&post.body_html, base),
        body_text: post.body_md.clone(),
    }
}

impl Newsletter {
    /// The site's title as readers see it now: the one saved in the admin's settings, if any.
    async fn title(&self, db: &Db) -> Result<String, String> {
        let saved = crate::db::settings::all(db).await.map_err(|e| e.to_string())?;
        let saved = saved.into_iter().find(|(k, v)| k == "site_title" && !v.is_empty());
        Ok(saved.map_or_else(|| self.site_title.clone(), |(_, v)| v))
    }

    fn issue(
        &self,
        title: &str,
        heading: String,
        full: bool,
        items: Vec<Item>,
        web_url: Option<String>,
        why: &str,
    ) -> Issue {
        Issue {
            site_title: title.to_owned(),
            site_url: self.site_url.clone(),
            heading,
            full,
            items,
            web_url,
            why: why.to_owned(),
            manage_url: MANAGE_PLACEHOLDER,
            unsubscribe_url: UNSUBSCRIBE_PLACEHOLDER,
        }
    }

    /// Mails each post that is due; returns how many mailings were made.
    pub async fn send_due_posts(&self, db: &Db, now: Timestamp) -> Result<usize, String> {
        let base = self.site_url.trim_end_matches('/');
        let due = mailings::due_posts(db, now).await.map_err(|e| e.to_string())?;
        if due.is_empty() {
            return Ok(0);
        }
        let title = self.title(db).await?;
        let mut made = 0;
        for post in due {
            let web_url = (post.newsletter == "send").then(|| format!("{base}/posts/{}", post.slug));
            let why = format!("You get this because you subscribed to every post of {title}.");
            let issue = self.issue(&title, post.title.clone(), true, vec![item(&post, base)], web_url, &why);
            // One post that cannot be made into mail (logged, and tried again each scan) must
            // not hold up the others nor the digest.
            match self.make(db, &issue, Some(post.id), None, now).await {
                Ok(new) => made += usize::from(new),
                Err(e) => rocket::warn!("newsletter: cannot mail post #{}: {e}", post.id),
            }
        }
        Ok(made)
    }

    /// Makes the digest if its moment has come and it was not made; `true` if this call made it.
    pub async fn send_due_digest(&self, db: &Db, now: Timestamp) -> Result<bool, String> {
        let s = &self.settings;
        let Some(due) = digest_due(s.newsletter_digest, s.newsletter_digest_hour, now) else {
            return Ok(false);
        };
        if now - due.at > DIGEST_LATE
            || mailings::digest_exists(db, &due.key).await.map_err(|e| e.to_string())?
        {
            return Ok(false);
        }
        let from = mailings::last_digest_until(db).await.map_err(|e| e.to_string())?.unwrap_or(due.previous);
        let mut posts = mailings::digest_posts(db, from, due.at).await.map_err(|e| e.to_string())?;
        let more = posts.len() > mailings::DIGEST_MAX;
        posts.truncate(mailings::DIGEST_MAX);
        let base = self.site_url.trim_end_matches('/');
        let title = self.title(db).await?;
        let count = match posts.len() {
            1 => "1 post".to_owned(),
            n if more => format!("more than {n} posts"),
            n => format!("{n} posts"),
        };
        let heading = format!("New on {title}: {count}");
        let why =
            format!("You get this because you subscribed to the {} digest of {title}.", s.digest_word());
        let send = !posts.is_empty();
        let items = posts.iter().map(|p| item(p, base)).collect();
        let issue = self.issue(&title, heading, false, items, None, &why);
        self.make(db, &issue, None, Some((due.key.as_str(), from, due.at)), now)
            .await
            .map(|made| made && send)
    }

    async fn make(
        &self,
        db: &Db,
        issue: &Issue,
        post_id: Option<i64>,
        digest: Option<(&str, Timestamp, Timestamp)>,
        now: Timestamp,
    ) -> Result<bool, String> {
        let html = inline_css(&HtmlIssue { m: issue }.render().map_err(|e| e.to_string())?)?;
        let text = TextIssue { m: issue }.render().map_err(|e| e.to_string())?;
        let new = NewMailing {
            post_id,
            site_title: &issue.site_title,
            digest,
            subject: &issue.heading,
            text_body: &text,
            html_body: &html,
        };
        let cadence = if digest.is_some() { "digest" } else { "post" };
        let send = !issue.items.is_empty();
        let made = mailings::create(db, &new, cadence, send, now).await.map_err(|e| e.to_string())?;
        Ok(made.is_some())
    }
}

/// Scans until `shutdown` resolves, judging what is due by `clock`; `wake` is told when a
/// mailing was made, so the sender starts at once.
pub async fn run(
    db: Db,
    newsletter: Newsletter,
    clock: Clock,
    wake: crate::mail::Mailer,
    shutdown: rocket::Shutdown,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let now = clock.now();
        // Each step on its own: a failure of one does not hold up the other.
        let posts = newsletter.send_due_posts(&db, now).await.unwrap_or_else(|e| {
            rocket::warn!("newsletter: cannot mail due posts: {e}");
            0
        });
        let digest = newsletter.send_due_digest(&db, now).await.unwrap_or_else(|e| {
            rocket::warn!("newsletter: cannot make the digest: {e}");
            false
        });
        if posts > 0 || digest {
            wake.wake();
        }
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = rocket::tokio::time::sleep(POLL) => {},
        }
    }
}
