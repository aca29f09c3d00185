//! Error pages: every error status is answered with a templated page, never Rocket's default.
//! 401 and 428 are not pages but redirects: to sign in, and to set up two-factor sign-in.

use askama::Template;
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder};
use rocket::{Catcher, catch, catchers};

use crate::metrics::Metrics;
use crate::web::error::{AppError, BUSY_RETRY_AFTER};
use crate::web::htmx::Html;
use crate::web::ops::request_log::RequestId;
use crate::web::redirect::next_param;
use crate::web::view::{LiveSite, Meta, Site};

#[derive(Template)]
#[template(path = "errors/404.html")]
struct NotFoundPage<'a> {
    site: &'a Site,
    meta: Meta,
}

#[derive(Template)]
#[template(path = "errors/500.html")]
struct ServerErrorPage<'a> {
    site: &'a Site,
    meta: Meta,
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    site: &'a Site,
    meta: Meta,
    code: u16,
    title: &'a str,
    detail: &'a str,
}

/// What a page for `status` says when the cause gives no detail.
fn explain(status: Status) -> (&'static str, &'static str) {
    match status.code {
        400 => ("The request could not be read", "Something in it is malformed or not allowed here."),
        403 => ("Not allowed", "Your account does not have permission to do this."),
        415 => ("Not a form this page takes", "Send the page's own form; nothing was changed."),
        422 => {
            ("The form could not be read", "Some of what was sent is not valid. Go back and check the form.")
        }
        413 => (
            "Too large",
            "What was sent is larger than this page accepts. Choose a smaller file, or shorten the text.",
        ),
        429 => ("Too many attempts", "Wait a while, then try again."),
        503 => ("Temporarily unavailable", "The site is busy or under maintenance. Try again in a minute."),
        _ => (status.reason_lossy(), "The request could not be completed."),
    }
}

/// Renders the page for `status`. Falls back to plain text only if the site is not configured.
pub fn render_error_page(status: Status, req: &Request<'_>) -> Html {
    render_error_page_saying(status, req, None)
}

/// [`render_error_page`] with `detail` in place of the status's generic explanation.
fn render_error_page_saying(status: Status, req: &Request<'_>, detail: Option<&str>) -> Html {
    match req.rocket().state::<LiveSite>().map(LiveSite::get) {
        Some(site) => render_error_page_with(status, req, &site, detail),
        None => Html::plain(status.reason_lossy().to_owned()).with_status(status),
    }
}

/// Every [`AppError`] is answered with its status's page, logged when it is the server's fault.
impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if status.class().is_server_error() {
            // The request id ties this line to the request's own line (`web::ops::request_log`).
            let id = &req.local_cache(|| RequestId(String::new())).0;
            rocket::error!("{} {} (request {id}): {}", req.method(), req.uri(), self.chain());
        }
        if let (AppError::Database(sqlx::Error::PoolTimedOut), Some(metrics)) =
            (&self, req.rocket().state::<Metrics>())
        {
            metrics.pool_timeouts.inc();
        }
        if crate::web::api::is_api(req) {
            return crate::web::api::problem::respond(&self, req);
        }
        let mut response = render_error_page_saying(status, req, self.detail()).respond_to(req)?;
        match self {
            AppError::TooManyRequests(seconds) => {
                response.set_header(Header::new("Retry-After", seconds.to_string()));
            }
            _ if status == Status::ServiceUnavailable => {
                response.set_header(Header::new("Retry-After", BUSY_RETRY_AFTER.to_string()));
            }
            _ => {}
        }
        Ok(response)
    }
}

/// The id of a status line that htmx fills in the background (the editor's autosave): its
/// requests answer errors with a line of text, since nothing else would show them.
pub const BACKGROUND_STATUS: &str = "autosave";

/// Renders the page for `status`, with `detail` in place of the generic explanation.
///
/// An htmx request aimed at the [`BACKGROUND_STATUS`] line gets that line instead, with 200 so
/// htmx swaps it in (it swaps no error responses, which would replace forms with error pages):
/// a writer must see that an autosave failed, whatever failed (a body over the limit, a busy
/// database, a lost session).
pub fn render_error_page_with(status: Status, req: &Request<'_>, site: &Site, detail: Option<&str>) -> Html {
    let (title, generic) = explain(status);
    if let Some(line) = background_line(req, title, detail.unwrap_or(generic)) {
        return line;
    }
    let mut meta = Meta::new(site, title, title, req.uri().path().as_str());
    meta.noindex = true;
    let rendered = match status.code {
        404 => NotFoundPage { site, meta }.render(),
        500..=599 if status != Status::ServiceUnavailable => ServerErrorPage { site, meta }.render(),
        code => ErrorPage { site, meta, code, title, detail: detail.unwrap_or(generic) }.render(),
    };
    match rendered {
        Ok(body) => Html::plain(body).with_status(status),
        Err(e) => {
            rocket::error!("rendering the {status} page failed: {e}");
            Html::plain(title.to_owned()).with_status(status)
        }
    }
}

/// The [`BACKGROUND_STATUS`] line saying why a background request failed, if `req` is one.
fn background_line(req: &Request<'_>, title: &str, detail: &str) -> Option<Html> {
    let hx = req.headers().get_one("HX-Request") == Some("true");
    if !hx || req.headers().get_one("HX-Target") != Some(BACKGROUND_STATUS) {
        return None;
    }
    let line = format!("Not autosaved: {title}. {detail} Save with the button to keep your text.");
    let escaped =
        askama::filters::escape(&line, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
    Some(Html::plain(format!("<span class=\"form-error\">{escaped}</span>")))
}

#[catch(default)]
fn any(status: Status, req: &Request<'_>) -> Html {
    render_error_page(status, req)
}

/// 401 → the sign-in page, coming back here afterwards (for a GET; a form post comes back to
/// the page the form was on, which the browser names in `Referer` only for same-origin posts).
fn sign_in_first<'r>(_: Status, req: &'r Request<'_>) -> rocket::catcher::BoxFuture<'r> {
    let signed_out = "You are signed out; sign in again in another tab.";
    if let Some(line) = background_line(req, "Signed out", signed_out) {
        return Box::pin(async move { line.respond_to(req) });
    }
    let back = if req.method() == rocket::http::Method::Get { req.uri().to_string() } else { "/".into() };
    let target = format!("/sign-in{}", next_param(&back));
    Box::pin(async move { Redirect::to(target).respond_to(req) })
}

/// 428 → two-factor setup, which this site requires of staff before they may use the admin.
fn two_factor_first<'r>(_: Status, req: &'r Request<'_>) -> rocket::catcher::BoxFuture<'r> {
    Box::pin(async move { Redirect::to("/account/two-factor?required=1").respond_to(req) })
}

pub fn catchers() -> Vec<Catcher> {
    let mut all = catchers![any];
    all.push(Catcher::new(401, sign_in_first));
    all.push(Catcher::new(428, two_factor_first));
    all
}
