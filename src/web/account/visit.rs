//! [`Visit`]: what an account handler needs about the request, as the admin's `Desk` is for
//! the admin.

use std::sync::Arc;

use rocket::http::{CookieJar, Status};
use rocket::request::{self, FromRequest, Request};

use crate::config::Config;
use crate::mail::Mailer;
use crate::web::account::sign_in::UserAgent;
use crate::web::auth::ClientAddr;
use crate::web::csrf::CsrfToken;
use crate::web::htmx::HxRequest;
use crate::web::view::{Site, SiteRef};

/// The request's context on the account pages, signed in or not: the site as it is now, the
/// CSRF token for the page's forms, whether htmx asked, the client's address and `User-Agent`
/// (for throttling and the list of sessions), the cookies (sessions), the configuration and
/// the mailer. Who is signed in stays a guard of its own (`CurrentUser`), so a handler still
/// says whether it needs someone.
pub struct Visit<'r> {
    pub site: Arc<Site>,
    pub csrf: CsrfToken,
    pub hx: HxRequest,
    pub addr: ClientAddr,
    pub agent: UserAgent<'r>,
    pub cookies: &'r CookieJar<'r>,
    pub config: &'r Config,
    pub mailer: &'r Mailer,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Visit<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let (Some(site), Some(csrf), Some(hx), Some(addr), Some(agent)) = (
            req.guard::<SiteRef>().await.succeeded(),
            req.guard::<CsrfToken>().await.succeeded(),
            req.guard::<HxRequest>().await.succeeded(),
            req.guard::<ClientAddr>().await.succeeded(),
            req.guard::<UserAgent<'r>>().await.succeeded(),
        ) else {
            return request::Outcome::Error((Status::InternalServerError, ()));
        };
        let (Some(config), Some(mailer)) = (req.rocket().state::<Config>(), req.rocket().state::<Mailer>())
        else {
            return request::Outcome::Error((Status::InternalServerError, ()));
        };
        request::Outcome::Success(Visit {
            site: site.arc(),
            csrf,
            hx,
            addr,
            agent,
            cookies: req.cookies(),
            config,
            mailer,
        })
    }
}
