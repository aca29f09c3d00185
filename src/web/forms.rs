//! How forms answer: success redirects (303, or `HX-Redirect` for htmx, which would otherwise
//! swap the next page into the form), failure re-renders the form with the user's values and a
//! message per field (422; just the form for htmx).

use askama::Template;
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder, Response};

use crate::domain::validation::local_path;
use crate::error::AppResult;
use crate::web::htmx::{Fragment, Html, HxRequest};

/// Where to go after a successful form.
#[derive(Debug)]
pub struct SeeOther {
    to: String,
    hx: bool,
}

impl SeeOther {
    pub fn to(hx: HxRequest, to: impl Into<String>) -> SeeOther {
        SeeOther { to: to.into(), hx: hx.wants_fragment() }
    }
}

impl<'r> Responder<'r, 'static> for SeeOther {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        // A target that is not a URI would make Rocket answer 500 and drop the response's
        // cookies (a new session, say); go home instead.
        let to = if rocket::http::uri::Reference::parse(&self.to).is_ok() {
            self.to
        } else {
            rocket::warn!("not a URI, redirecting home instead: {:?}", self.to);
            "/".to_owned()
        };
        if self.hx {
            Response::build()
                .status(Status::NoContent)
                .header(Header::new("HX-Redirect", to))
                .header(Header::new("Vary", "HX-Request"))
                .ok()
        } else {
            let mut res = Redirect::to(to).respond_to(req)?;
            res.set_header(Header::new("Vary", "HX-Request"));
            Ok(res)
        }
    }
}

/// The form page again, with errors: the whole page, or for htmx only its `form` block.
pub fn invalid<T: Fragment>(hx: HxRequest, view: &T) -> AppResult<Html> {
    Ok(Html::page_or_fragment(hx, view)?.with_status(Status::UnprocessableEntity))
}

/// A page of the form for the first time (or after an htmx swap of a valid step).
pub fn show<T: Template>(view: &T) -> AppResult<Html> {
    Html::page(view)
}

/// `?next=…` for `path`, or nothing when it is the home page or not a local path.
pub fn next_param(path: &str) -> String {
    match local_path(path) {
        Some(p) if p != "/" => {
            format!("?next={}", url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>())
        }
        _ => String::new(),
    }
}

/// The redirect target named by a submitted `next`, or `fallback`.
pub fn next_or(next: &str, fallback: &str) -> String {
    local_path(next).unwrap_or(fallback).to_owned()
}

/// A one-time message shown at the top of the next page (carried by Rocket's flash cookie).
#[derive(Debug, Clone)]
pub struct Notice {
    /// `success` or `error`: the CSS modifier.
    pub kind: String,
    pub message: String,
}

impl Notice {
    pub fn from_flash(flash: Option<rocket::request::FlashMessage<'_>>) -> Option<Notice> {
        flash.map(|f| Notice { kind: f.kind().to_owned(), message: f.message().to_owned() })
    }

    pub fn success(message: impl Into<String>) -> Option<Notice> {
        Some(Notice { kind: "success".into(), message: message.into() })
    }
}

/// Head metadata for a private page: never indexed.
pub fn private_meta(site: &crate::web::view::Site, title: &str, path: &str) -> crate::web::view::Meta {
    let mut meta = crate::web::view::Meta::new(site, title, title, path);
    meta.noindex = true;
    meta
}

/// Implements [`Fragment`] for form pages: htmx gets their `form` block.
macro_rules! form_fragment {
    ($($page:ident),* $(,)?) => {
        $(
            impl $crate::web::htmx::Fragment for $page<'_> {
                fn render_fragment(&self) -> askama::Result<String> {
                    askama::Template::render(&self.as_form())
                }
            }
        )*
    };
}
pub(crate) use form_fragment;

/// What a form route answers: a page (the form, maybe with errors), a redirect, or a redirect
/// carrying a one-time notice.
#[derive(Debug, rocket::Responder)]
pub enum Answer {
    Page(Html),
    Go(SeeOther),
    Flashed(rocket::response::Flash<SeeOther>),
}

impl From<Html> for Answer {
    fn from(html: Html) -> Answer {
        Answer::Page(html)
    }
}

impl From<SeeOther> for Answer {
    fn from(go: SeeOther) -> Answer {
        Answer::Go(go)
    }
}

impl From<rocket::response::Flash<SeeOther>> for Answer {
    fn from(flash: rocket::response::Flash<SeeOther>) -> Answer {
        Answer::Flashed(flash)
    }
}

/// A redirect to `to` with a success notice.
pub fn done(hx: HxRequest, to: impl Into<String>, message: impl Into<String>) -> Answer {
    Answer::Flashed(rocket::response::Flash::success(SeeOther::to(hx, to), message.into()))
}

/// A redirect to `to` with an error notice.
pub fn failed(hx: HxRequest, to: impl Into<String>, message: impl Into<String>) -> Answer {
    Answer::Flashed(rocket::response::Flash::error(SeeOther::to(hx, to), message.into()))
}
