//! Cross-site request forgery protection for every state-changing request, enforced in one
//! place: a fairing that checks each POST, PUT, PATCH and DELETE before routing.
//!
//! Two independent checks must both pass:
//! 1. **Where it came from.** A browser's `Sec-Fetch-Site` must say `same-origin` (or `none`, a
//!    typed URL), and an `Origin` header, if sent, must be this site.
//! 2. **What it carries.** A token that only this site's pages know: the session's token for a
//!    signed-in user, otherwise a random one kept in an encrypted cookie. Forms send it as their
//!    first field, `_csrf` (the fairing reads it from the first bytes of the body, as Rocket does
//!    for `_method`); htmx requests may send it as the `X-CSRF-Token` header instead.
//!
//! Requests carrying `Authorization: Bearer` (the API) are exempt: no browser sends that header
//! cross-site by itself, and such a request is never authenticated by its cookies.
//!
//! One address is exempt besides: the newsletter's one-click unsubscribe, a POST to
//! `/unsubscribe/<id>/<signature>` ([`one_click`]). RFC 8058 (section 3.1) has the mail client
//! POST `List-Unsubscribe=One-Click` to the URL in the message's `List-Unsubscribe` header, with
//! no cookies and so no token; a CSRF check would refuse every such request, and Gmail and Yahoo
//! require it to work. The exemption is safe because what CSRF protects is authority carried by
//! cookies, and this request uses none: its authority is the HMAC signature in the address,
//! which only the subscriber's own mail holds, and all it can do is take that one address off
//! the list (which a forger holding the mail could do from its link anyway).
//!
//! A failed request is rerouted to a handler that answers 403 with a page saying why.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Method, Status, uri::Origin};
use rocket::request::{self, FromRequest, Request};
use rocket::{Data, Either, Route, post, routes};

use crate::config::Config;
use crate::domain::secrets;
use crate::web::api::problem::Problem;
use crate::web::auth::{Visitor, bearer_token, cookie, cookie_name};
use crate::web::htmx::Html;
use crate::web::view::SiteRef;

/// The form field and header that carry the token.
pub const FIELD: &str = "_csrf";
pub const HEADER: &str = "X-CSRF-Token";
const REJECTED_PATH: &str = "/__folio/csrf-rejected";

/// The token to embed in this request's forms. Creates the anonymous cookie when needed.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        crate::web::headers::PerVisitor::mark(req);
        if let Some(token) = expected(req).await {
            return request::Outcome::Success(CsrfToken(token));
        }
        let Some(config) = req.rocket().state::<Config>() else {
            return request::Outcome::Error((Status::InternalServerError, ()));
        };
        let token = secrets::token();
        req.cookies().add_private(cookie(config, "folio_csrf", token.clone(), None));
        request::Outcome::Success(CsrfToken(token))
    }
}

/// The token this request must present: its session's, else its anonymous cookie's.
async fn expected(req: &Request<'_>) -> Option<String> {
    if let Some((session, _)) = &Visitor::of(req).await.0 {
        return Some(session.csrf_token.clone());
    }
    let config = req.rocket().state::<Config>()?;
    let cookie = req.cookies().get_private(&cookie_name(config, "folio_csrf"))?;
    Some(cookie.value().to_owned()).filter(|t| secrets::is_token(t))
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    CrossSite,
    MissingToken,
    WrongToken,
}

impl Rejection {
    fn message(self) -> &'static str {
        match self {
            Rejection::CrossSite => "The request came from another site, so it was refused.",
            Rejection::MissingToken | Rejection::WrongToken => {
                "The form had expired or did not come from this site. Go back, reload the page and try again."
            }
        }
    }
}

/// The request's verdict, kept for the 403 handler.
struct Verdict(Option<Rejection>);

pub struct CsrfProtection;

#[rocket::async_trait]
impl Fairing for CsrfProtection {
    fn info(&self) -> Info {
        Info { name: "CSRF protection", kind: Kind::Request }
    }

    async fn on_request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
        if !matches!(req.method(), Method::Post | Method::Put | Method::Patch | Method::Delete) {
            return;
        }
        // A browser never adds `Authorization: Bearer` to a cross-site request on its own (a page
        // would need CORS's consent to set it), so such a request is not forgeable; and it is
        // never signed in by its cookies (`auth::Visitor`), only by its token (`api::auth`).
        if bearer_token(req).is_some() || one_click(req.method(), req.uri().path().as_str()) {
            return;
        }
        let rejection = check(req, data).await;
        if let Some(rejection) = rejection {
            req.local_cache(|| Verdict(Some(rejection)));
            crate::web::api::problem::remember_api(req);
            req.set_method(Method::Post);
            req.set_uri(Origin::parse(REJECTED_PATH).unwrap_or(Origin::ROOT));
        }
    }
}

/// Whether a request is RFC 8058's one-click unsubscribe, which is exempt (see the module's
/// docs): a POST to `/unsubscribe/<id>/<signature>`, exactly two segments after the prefix.
pub fn one_click(method: Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/unsubscribe/") else { return false };
    let mut parts = rest.split('/');
    method == Method::Post
        && parts.next().is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|sig| !sig.is_empty())
        && parts.next().is_none()
}

async fn check(req: &Request<'_>, data: &mut Data<'_>) -> Option<Rejection> {
    let config = req.rocket().state::<Config>()?;
    if !same_origin(req, &config.settings.base_url) {
        return Some(Rejection::CrossSite);
    }
    let sent = match req.headers().get_one(HEADER) {
        Some(token) => Some(token.to_owned()),
        None => token_in_body(req.content_type(), data.peek(512).await),
    };
    let Some(sent) = sent else { return Some(Rejection::MissingToken) };
    match expected(req).await {
        Some(expected) if secrets::same(&expected, &sent) => None,
        _ => Some(Rejection::WrongToken),
    }
}

/// `Sec-Fetch-Site` and `Origin`, when the browser sends them, must both point at this site.
/// `Origin` may match the configured base URL or the Host the request was sent to.
fn same_origin(req: &Request<'_>, base_url: &str) -> bool {
    if let Some(site) = req.headers().get_one("Sec-Fetch-Site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = req.headers().get_one("Origin") else { return true };
    if origin == base_url.trim_end_matches('/') {
        return true;
    }
    let host = req.headers().get_one("Host").unwrap_or("");
    !host.is_empty() && (origin == format!("https://{host}") || origin == format!("http://{host}"))
}

/// The `_csrf` field at the start of a urlencoded or multipart body.
fn token_in_body(content_type: Option<&ContentType>, head: &[u8]) -> Option<String> {
    let head = std::str::from_utf8(head).unwrap_or_else(|e| {
        // The peek may end inside a multi-byte character; what precedes it is valid.
        std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or("")
    });
    let content_type = content_type?;
    let token = if content_type.is_form() {
        head.strip_prefix("_csrf=")?.split('&').next()?
    } else if content_type.is_form_data() {
        let after = head.split_once("\r\n")?.1;
        let after = after.strip_prefix("Content-Disposition: form-data; name=\"_csrf\"")?;
        let value = after.split_once("\r\n\r\n")?.1;
        value.split("\r\n").next()?
    } else {
        return None;
    };
    secrets::is_token(token).then(|| token.to_owned())
}

/// The refused request, as the 403 handler sees it.
struct Refused(Rejection);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Refused {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let rejection = req.local_cache(|| Verdict(None)).0.unwrap_or(Rejection::WrongToken);
        request::Outcome::Success(Refused(rejection))
    }
}

/// Whether the refused request was addressed to the API (see `api::problem::remember_api`).
struct FromApi(bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for FromApi {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(FromApi(crate::web::api::problem::was_api(req)))
    }
}

/// 403 with a page saying why; under `/api`, a problem document telling the client to send its
/// token (an API request with `Authorization: Bearer` is never checked, see the module's docs).
#[post("/__folio/csrf-rejected")]
fn rejected(
    refused: Refused,
    site: SiteRef,
    api: FromApi,
) -> Either<Problem, crate::web::error::AppResult<Html>> {
    if api.0 {
        return Either::Left(Problem::new(
            Status::Forbidden,
            "A write to the API must carry a personal access token as `Authorization: Bearer <token>`; \
             without one it is refused as a possible cross-site request.",
        ));
    }
    Either::Right(page(&refused, &site))
}

fn page(refused: &Refused, site: &SiteRef) -> crate::web::error::AppResult<Html> {
    let meta = crate::web::forms::private_meta(site, "Request refused", REJECTED_PATH);
    let page = RefusedPage { site, meta, code: 403, title: "Request refused", detail: refused.0.message() };
    Ok(Html::page(&page)?.with_status(Status::Forbidden))
}

#[derive(askama::Template)]
#[template(path = "errors/error.html")]
struct RefusedPage<'a> {
    site: &'a crate::web::view::Site,
    meta: crate::web::view::Meta,
    code: u16,
    title: &'a str,
    detail: &'a str,
}

pub fn routes() -> Vec<Route> {
    routes![rejected]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_one_click_post_is_exempt() {
        assert!(one_click(Method::Post, "/unsubscribe/12/abcDEF-_"));
        for (method, path) in [
            (Method::Get, "/unsubscribe/12/abc"),
            (Method::Put, "/unsubscribe/12/abc"),
            (Method::Post, "/unsubscribe/12"),
            (Method::Post, "/unsubscribe/12/"),
            (Method::Post, "/unsubscribe/x/abc"),
            (Method::Post, "/unsubscribe/12/abc/more"),
            (Method::Post, "/newsletter/12/abc"),
            (Method::Post, "/admin/unsubscribe/12/abc"),
        ] {
            assert!(!one_click(method, path), "{method} {path}");
        }
    }

    #[test]
    fn token_is_found_as_first_field_of_either_encoding() {
        let t = secrets::token();
        let form = format!("_csrf={t}&email=a%40b.c");
        assert_eq!(token_in_body(Some(&ContentType::Form), form.as_bytes()), Some(t.clone()));
        let multipart = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{t}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\""
        );
        assert_eq!(token_in_body(Some(&ContentType::FormData), multipart.as_bytes()), Some(t.clone()));
        let later = format!("email=a%40b.c&_csrf={t}");
        assert_eq!(token_in_body(Some(&ContentType::Form), later.as_bytes()), None);
        assert_eq!(token_in_body(Some(&ContentType::JSON), form.as_bytes()), None);
        assert_eq!(token_in_body(Some(&ContentType::Form), b"_csrf=short"), None);
    }
}
