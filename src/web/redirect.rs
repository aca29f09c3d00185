//! Where a request goes next: the 303 after a successful form (`HX-Redirect` for htmx), with
//! or without a one-time notice, and the `next` parameter that brings a visitor back to the
//! page they came from.

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder, Response};

use crate::domain::validation::local_path;
use crate::web::htmx::{Html, HxRequest};

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

/// A public page, or the `301 Moved Permanently` from an item's old slug to its address now.
#[derive(Debug, rocket::Responder)]
pub enum Shown {
    Page(Html),
    /// Boxed: a `Redirect` is several times the size of a page's `Html`.
    Moved(Box<Redirect>),
}

impl From<Html> for Shown {
    fn from(page: Html) -> Shown {
        Shown::Page(page)
    }
}
