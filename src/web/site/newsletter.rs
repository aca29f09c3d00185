//! The newsletter for readers: subscribing (double opt-in; a signed-in member with a confirmed
//! address in one click), the confirmation link, the page every mail links to for changing the
//! cadence or leaving, and RFC 8058's one-click unsubscribe.
//!
//! The home page and articles carry a plain GET form that leads here (`/subscribe?email=…`), so
//! they stay the same bytes for every reader; the form that posts, with its CSRF token and
//! stamp, is this page's (fetched into the page by htmx where JavaScript runs).

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use super::comment_posting::stamp_error;
use crate::db::FolioDb;
use crate::db::subscribers::{self, Joined, SignUp, Subscriber};
use crate::domain::email::Email;
use crate::domain::newsletter::{self as rules, Cadence, Status as SubStatus};
use crate::domain::throttle;
use crate::domain::validation::FieldErrors;
use crate::mail::{Mailer, messages};
use crate::web::account::visit::Visit;
use crate::web::account::{MessagePage, count_attempt, send};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, private_meta, show};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, SeeOther, done};
use crate::web::stamp::Stamper;
use crate::web::view::{Meta, Site, SiteRef};

/// The stamp purpose of the subscribe form.
const STAMP: &str = "subscribe";
/// Forms a sign-up may name as where it came from; anything else is recorded as `subscribe`.
const SOURCES: [&str; 3] = ["home", "article", "subscribe"];
const CHECK_INBOX: &str = "/subscribe/check-inbox";
/// Seconds by which the clocks of a site's processes may disagree.
const CLOCK_SKEW: i64 = 300;

#[derive(Template)]
#[template(path = "site/subscribe.html", blocks = ["form"])]
struct SubscribePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    stamp: String,
    form: SubscribeForm,
    errors: FieldErrors,
    /// A signed-in member's confirmed address: they subscribe with one click.
    member_email: Option<String>,
}

form_fragment!(SubscribePage);

/// The subscribe form, with the bot defence's `stamp` and honeypot `website`.
#[derive(Debug, Clone, Default, FromForm)]
struct SubscribeForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::from("post"))]
    cadence: String,
    #[field(default = String::new())]
    source: String,
    #[field(default = String::new())]
    stamp: String,
    #[field(default = String::new())]
    website: String,
}

/// A member's address, if they are signed in and it is confirmed.
fn member_email(member: Option<&CurrentUser>) -> Option<String> {
    member.filter(|m| m.user.email_confirmed_at.is_some()).map(|m| m.user.email.clone())
}

fn source_of(form: &SubscribeForm) -> &str {
    SOURCES.into_iter().find(|s| *s == form.source).unwrap_or("subscribe")
}

#[get("/subscribe?<email>&<source>")]
fn new(
    visit: Visit<'_>,
    stamper: Stamper,
    member: Option<CurrentUser>,
    flash: Option<FlashMessage<'_>>,
    email: Option<&str>,
    source: Option<&str>,
) -> AppResult<Html> {
    let mine = member_email(member.as_ref());
    // An address typed into the box on the home page or an article was filled in there: this
    // page only asks to confirm it, which takes a person less than the fill time.
    let stamp = if email.is_some() { stamper.issue_filled(STAMP) } else { stamper.issue(STAMP) };
    let email = email.map(str::to_owned).or_else(|| mine.clone()).unwrap_or_default();
    let form = SubscribeForm {
        email: email.chars().take(crate::domain::email::MAX_LEN).collect(),
        cadence: Cadence::EveryPost.as_str().into(),
        source: source.unwrap_or("subscribe").chars().take(16).collect(),
        ..Default::default()
    };
    let view = SubscribePage {
        meta: private_meta(&visit.site, "Subscribe", "/subscribe"),
        site: &visit.site,
        notice: Notice::from_flash(flash),
        csrf: visit.csrf.0,
        stamp,
        form,
        errors: FieldErrors::new(),
        member_email: mine,
    };
    Html::page_or_fragment(visit.hx, &view)
}

#[post("/subscribe", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    member: Option<CurrentUser>,
    form: Form<SubscribeForm>,
) -> AppResult<Answer> {
    let form = form.into_inner();
    let hx = visit.hx;
    // A bot that filled the honeypot is told what everyone is told, and nothing is sent.
    if !form.website.is_empty() {
        return Ok(SeeOther::to(hx, CHECK_INBOX).into());
    }
    let now = stamper.now();
    let mine = member_email(member.as_ref());
    let cadence = Cadence::parse(&form.cadence).unwrap_or_default();
    let mut errors = FieldErrors::new();
    // A signed-in member's own address needs no stamp: the session already shows a person.
    let own = mine.as_deref().is_some_and(|m| form.email.trim().eq_ignore_ascii_case(m));
    if !own && let Some(message) = stamp_error(stamper.check(STAMP, &form.stamp)) {
        errors.add("email", message);
    }
    let email = errors.check("email", Email::parse(&form.email));
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        let view = SubscribePage {
            meta: private_meta(&visit.site, "Subscribe", "/subscribe"),
            site: &visit.site,
            notice: None,
            csrf: visit.csrf.0.clone(),
            stamp: stamper.kept_or_fresh(STAMP, &form.stamp),
            form,
            errors,
            member_email: mine,
        };
        return Ok(crate::web::forms::invalid(hx, &view)?.into());
    };
    let member_id = member.as_ref().filter(|_| own).map(|m| m.user.id);
    if member_id.is_none() {
        // Counted with sign-ups: both mail a link to an address typed in.
        count_attempt(&db, &throttle::sign_up(email.as_str(), &visit.addr.0), now).await?;
    }
    let sign_up = SignUp {
        email: email.as_str(),
        cadence,
        source: source_of(&form),
        member: member_id,
        addr: &visit.addr.0,
    };
    let joined = subscribers::sign_up(&db, &sign_up, now).await?;
    let site = &visit.site;
    match joined {
        Joined::Unconfirmed { id, signed_up_at } => {
            let text = rules::confirm_text(id, email.as_str(), signed_up_at);
            let url = site.url(&format!("/subscribe/confirm/{id}/{signed_up_at}/{}", stamper.sign(&text)));
            send(&db, visit.mailer, &messages::confirm_subscription(&site.title, &url), email.as_str())
                .await?;
        }
        Joined::Subscribed { id, new: false } if member_id.is_none() => {
            let url = site.url(&manage_path(&stamper, id, email.as_str()));
            send(&db, visit.mailer, &messages::already_subscribed(&site.title, &url), email.as_str()).await?;
        }
        Joined::Subscribed { .. } => {
            return Ok(done(
                hx,
                "/subscribe",
                "You are subscribed. The next newsletter comes to your inbox.",
            ));
        }
    }
    Ok(SeeOther::to(hx, CHECK_INBOX).into())
}

#[get("/subscribe/check-inbox")]
fn check_inbox(site: SiteRef, mailer: &State<Mailer>) -> AppResult<Html> {
    let mut paragraphs =
        vec!["We sent a message to the address you gave. Follow its link to confirm your subscription."];
    if !mailer.is_configured() {
        paragraphs.push(crate::web::account::NO_MAIL);
    }
    show(&MessagePage::new(&site, CHECK_INBOX, "Check your inbox", &paragraphs))
}

/// The page a subscriber's mail links to, `/newsletter/<id>/<signature>`.
pub fn manage_path(stamper: &Stamper, id: i64, email: &str) -> String {
    rules::manage_path(id, &stamper.sign(&rules::link_text(id, email)))
}

/// The subscriber a mailed link names, if its signature holds for them.
async fn linked(
    db: &crate::db::Db,
    stamper: &Stamper,
    id: i64,
    signature: &str,
) -> AppResult<Option<Subscriber>> {
    let found = subscribers::find(db, id).await?;
    Ok(found.filter(|s| stamper.verify(&rules::link_text(s.id, &s.email), signature)))
}

/// The page a mailed link opens: what the button will do, and the button, which posts to
/// `path` (a GET, which mail scanners follow, changes nothing).
fn button_page(visit: Visit<'_>, title: &str, text: String, path: String, button: &str) -> AppResult<Html> {
    show(&crate::web::account::MailedLinkPage {
        meta: private_meta(&visit.site, title, &path),
        site: &visit.site,
        notice: None,
        csrf: visit.csrf.0,
        title,
        text,
        action: path,
        button,
    })
}

fn dead(site: &Site, path: &str) -> AppResult<Html> {
    let page = crate::web::account::dead_link(site, path);
    Ok(show(&page)?.with_status(Status::NotFound))
}

#[get("/subscribe/confirm/<id>/<at>/<signature>")]
async fn confirm_page(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    at: i64,
    signature: &str,
) -> AppResult<Html> {
    let path = format!("/subscribe/confirm/{id}/{at}/{signature}");
    let Some(s) = confirmable(&db, &stamper, id, at, signature).await? else {
        return dead(&visit.site, &path);
    };
    let text = format!("Confirm that {} should get the newsletter of {}.", s.email, visit.site.title);
    button_page(visit, "Confirm your subscription", text, path, "Confirm my subscription")
}

/// The subscriber a confirmation link names, while it holds ([`rules::CONFIRM_DAYS`]).
async fn confirmable(
    db: &crate::db::Db,
    stamper: &Stamper,
    id: i64,
    at: i64,
    signature: &str,
) -> AppResult<Option<Subscriber>> {
    // A link signed a little "ahead" is fine: another process's clock may be ahead of this one.
    let age = stamper.now().saturating_sub(at);
    let fresh = (-CLOCK_SKEW..=rules::CONFIRM_DAYS * 86_400).contains(&age);
    let found = subscribers::find(db, id).await?;
    Ok(found.filter(|s| fresh && stamper.verify(&rules::confirm_text(s.id, &s.email, at), signature)))
}

#[post("/subscribe/confirm/<id>/<at>/<signature>")]
async fn confirm(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    at: i64,
    signature: &str,
) -> AppResult<Answer> {
    let path = format!("/subscribe/confirm/{id}/{at}/{signature}");
    let Some(s) = confirmable(&db, &stamper, id, at, signature).await? else {
        return Ok(dead(&visit.site, &path)?.into());
    };
    if !subscribers::confirm(&db, s.id, at, &visit.addr.0, stamper.now()).await? {
        return Ok(dead(&visit.site, &path)?.into());
    }
    Ok(done(visit.hx, manage_path(&stamper, s.id, &s.email), "You are subscribed. Thank you!"))
}

#[derive(Template)]
#[template(path = "site/newsletter.html")]
struct ManagePage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    email: String,
    status: SubStatus,
    cadence: Cadence,
    action: String,
}

#[get("/newsletter/<id>/<signature>")]
async fn manage(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    signature: &str,
) -> AppResult<Html> {
    let path = rules::manage_path(id, signature);
    let Some(s) = linked(&db, &stamper, id, signature).await? else { return dead(&visit.site, &path) };
    show(&ManagePage {
        meta: private_meta(&visit.site, "Your newsletter", &path),
        site: &visit.site,
        notice: Notice::from_flash(flash),
        csrf: visit.csrf.0,
        email: s.email.clone(),
        status: s.status(),
        cadence: s.cadence(),
        action: path,
    })
}

#[derive(Debug, FromForm)]
struct ManageForm {
    /// `cadence`, `leave` or `rejoin`.
    #[field(default = String::new())]
    action: String,
    #[field(default = String::new())]
    cadence: String,
}

#[post("/newsletter/<id>/<signature>", data = "<form>")]
async fn change(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    signature: &str,
    form: Form<ManageForm>,
) -> AppResult<Answer> {
    let path = rules::manage_path(id, signature);
    let Some(s) = linked(&db, &stamper, id, signature).await? else {
        return Ok(dead(&visit.site, &path)?.into());
    };
    let now = stamper.now();
    let message = match form.action.as_str() {
        "cadence" => {
            let cadence = Cadence::parse(&form.cadence)
                .ok_or_else(|| AppError::bad_param("cadence", "Choose what to receive."))?;
            subscribers::set_cadence(&db, s.id, cadence, now).await?;
            match cadence {
                Cadence::EveryPost => "Saved: you will get each post as it is sent.",
                Cadence::Digest => "Saved: you will get one digest per period instead of each post.",
            }
        }
        "leave" => {
            subscribers::unsubscribe(&db, s.id, now).await?;
            "You are unsubscribed. Nothing more will be sent to you."
        }
        "rejoin" => {
            subscribers::resubscribe(&db, s.id, &visit.addr.0, now).await?;
            "Welcome back: you are subscribed again."
        }
        _ => return Err(AppError::bad_param("action", "Unknown action.")),
    };
    Ok(done(visit.hx, path, message))
}

/// RFC 8058's one-click address, as `List-Unsubscribe` gives it. A GET (which mail scanners
/// follow) only shows a button; the POST, from that button or straight from the mail client
/// with the body `List-Unsubscribe=One-Click`, unsubscribes. The POST is exempt from CSRF
/// checks (see `web::csrf`), so it needs neither a session nor a token: the signature in the
/// address is what proves the right.
#[get("/unsubscribe/<id>/<signature>")]
async fn one_click_page(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    stamper: Stamper,
    id: i64,
    signature: &str,
) -> AppResult<Html> {
    let path = rules::unsubscribe_path(id, signature);
    let Some(s) = linked(&db, &stamper, id, signature).await? else { return dead(&visit.site, &path) };
    let text = format!("Stop sending the newsletter of {} to {}?", visit.site.title, s.email);
    button_page(visit, "Unsubscribe", text, path, "Unsubscribe")
}

#[post("/unsubscribe/<id>/<signature>")]
async fn one_click(
    db: Connection<FolioDb>,
    site: SiteRef,
    stamper: Stamper,
    id: i64,
    signature: &str,
) -> AppResult<Html> {
    let path = rules::unsubscribe_path(id, signature);
    let Some(s) = linked(&db, &stamper, id, signature).await? else { return dead(&site, &path) };
    subscribers::unsubscribe(&db, s.id, stamper.now()).await?;
    let manage = manage_path(&stamper, s.id, &s.email);
    let line = format!("{} will get no more newsletters from {}.", s.email, site.title);
    show(
        &MessagePage::new(&site, &path, "You are unsubscribed", &[&line]).link("Changed your mind?", &manage),
    )
}

pub fn routes() -> Vec<Route> {
    routes![new, create, check_inbox, confirm_page, confirm, manage, change, one_click_page, one_click]
}
