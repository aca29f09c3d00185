//! Full page or fragment: one guard to tell them apart, one responder that renders either and
//! always sends `Vary: HX-Request` so caches keep the two apart.

use std::sync::atomic::{AtomicUsize, Ordering};

use askama::Template;
use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};

use crate::web::error::AppResult;

/// Whether the request came from htmx (`HX-Request: true`) and wants a fragment.
#[derive(Debug, Clone, Copy)]
pub struct HxRequest(bool);

impl HxRequest {
    /// A request from a plain browser, or one answered with a whole page whatever it asked.
    pub const PAGE: HxRequest = HxRequest(false);

    /// Whether htmx asked, so the answer is a fragment (or, after a form, `HX-Redirect`).
    pub fn wants_fragment(self) -> bool {
        self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for HxRequest {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        // A history restore asks for the whole page, though htmx sends it.
        let headers = req.headers();
        let fragment = headers.get_one("HX-Request") == Some("true")
            && headers.get_one("HX-History-Restore-Request") != Some("true");
        request::Outcome::Success(HxRequest(fragment))
    }
}

/// A page template with a block that htmx requests on its own (askama's `blocks = [...]`).
pub trait Fragment: Template {
    fn render_fragment(&self) -> askama::Result<String>;
}

/// A rendered HTML document or fragment.
#[derive(Debug)]
pub struct Html {
    status: Status,
    body: String,
    /// When the page last changed, as Unix seconds, if known: sent as `Last-Modified`.
    last_modified: Option<i64>,
    /// When the page stops being true without any write (a relative date such as "5 minutes
    /// ago" changes), as Unix seconds: sent as `Expires`, which the page cache honours.
    expires: Option<i64>,
}

/// The length of the last whole page rendered, in bytes: the next page's buffer starts that large
/// (and a little more), so rendering a page does not grow its `String` from askama's estimate by
/// doubling, copying what it wrote each time (issue 15's "a buffer sized from the last render").
/// Pages differ, but a buffer a few kilobytes too large costs nothing; one too small costs copies.
static LAST_PAGE_LEN: AtomicUsize = AtomicUsize::new(0);

/// Renders `template` whole into a buffer sized from [`LAST_PAGE_LEN`] (at least askama's
/// `SIZE_HINT`), then records its length.
fn render_page<T: Template + ?Sized>(template: &T) -> askama::Result<String> {
    let last = LAST_PAGE_LEN.load(Ordering::Relaxed);
    let mut body = String::with_capacity(T::SIZE_HINT.max(last + last / 8));
    template.render_into(&mut body)?;
    LAST_PAGE_LEN.store(body.len(), Ordering::Relaxed);
    Ok(body)
}

impl Html {
    /// Renders a whole page.
    pub fn page<T: Template>(template: &T) -> AppResult<Html> {
        Ok(Html { status: Status::Ok, body: render_page(template)?, last_modified: None, expires: None })
    }

    /// Renders the whole page for a plain request, or just its fragment for an htmx one.
    pub fn page_or_fragment<T: Fragment>(hx: HxRequest, view: &T) -> AppResult<Html> {
        let body = if hx.wants_fragment() { view.render_fragment()? } else { render_page(view)? };
        Ok(Html { status: Status::Ok, body, last_modified: None, expires: None })
    }

    /// Wraps an already rendered body.
    pub fn plain(body: String) -> Html {
        Html { status: Status::Ok, body, last_modified: None, expires: None }
    }

    /// Sends `Last-Modified` (Unix seconds), which `If-Modified-Since` is then compared with
    /// ([`crate::web::http`]).
    pub fn last_modified(mut self, unix_seconds: i64) -> Html {
        self.last_modified = Some(unix_seconds);
        self
    }

    /// Sends `Expires` (RFC 9111, section 5.3): the page cache keeps the page no longer, and
    /// browsers, told `no-cache` by `Cache-Control`, still revalidate every time.
    pub fn expires(mut self, unix_seconds: Option<i64>) -> Html {
        self.expires = unix_seconds;
        self
    }

    pub fn with_status(mut self, status: Status) -> Html {
        self.status = status;
        self
    }
}

impl<'r> Responder<'r, 'static> for Html {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        if let Some(time) = self.last_modified {
            res.header(Header::new("Last-Modified", crate::web::http::conditions::http_date(time)));
        }
        if let Some(time) = self.expires {
            res.header(Header::new("Expires", crate::web::http::conditions::http_date(time)));
        }
        res.status(self.status)
            .header(ContentType::HTML)
            .header(Header::new("Vary", "HX-Request"))
            .sized_body(self.body.len(), std::io::Cursor::new(self.body))
            .ok()
    }
}
