//! Error pages: every error status is answered with a templated page, never Rocket's default.

use askama::Template;
use rocket::http::Status;
use rocket::request::Request;
use rocket::{Catcher, catch, catchers};

use crate::web::htmx::Html;
use crate::web::view::{Meta, Site};

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
    reason: &'static str,
}

/// Renders the page for `status`. Falls back to plain text only if the site is not configured.
pub fn render_error_page(status: Status, req: &Request<'_>) -> Html {
    let Some(site) = req.rocket().state::<Site>() else {
        return Html::plain(status.reason_lossy().to_owned()).with_status(status);
    };
    let reason = status.reason_lossy();
    let mut meta = Meta::new(site, reason, reason, req.uri().path().as_str());
    meta.noindex = true;
    let rendered = match status.code {
        404 => NotFoundPage { site, meta }.render(),
        500..=599 if status != Status::ServiceUnavailable => ServerErrorPage { site, meta }.render(),
        code => ErrorPage { site, meta, code, reason }.render(),
    };
    match rendered {
        Ok(body) => Html::plain(body).with_status(status),
        Err(e) => {
            rocket::error!("rendering the {status} page failed: {e}");
            Html::plain(reason.to_owned()).with_status(status)
        }
    }
}

#[catch(default)]
fn any(status: Status, req: &Request<'_>) -> Html {
    render_error_page(status, req)
}

pub fn catchers() -> Vec<Catcher> {
    catchers![any]
}
