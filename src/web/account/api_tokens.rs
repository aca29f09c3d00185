//! `/account/tokens`: a member of staff's personal access tokens for the API. They create one
//! (name, scopes, expiry), see its secret once, list theirs and revoke any. Members have no API
//! access, so the page is for staff only ([`Staff`]).
//!
//! The secret is shown in the `200` answer to the POST that made it, with
//! `Cache-Control: no-store`: never in a URL (which logs and `Referer` keep) nor in a flash
//! cookie (which outlives the page). Reloading that answer asks to send the form again, which
//! would make another token, never show this one again.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Header;
use rocket::request::FlashMessage;
use rocket::{Responder, Route, get, post, routes};
use rocket_db_pools::Connection;

use super::visit::Visit;
use crate::db::api_tokens::{self, TokenInfo};
use crate::db::audit::{self, Event};
use crate::db::{Db, FolioDb};
use crate::domain::api_tokens::{NewApiToken, Scope, may_revoke};
use crate::domain::validation::FieldErrors;
use crate::domain::{Timestamp, dates, now};
use crate::web::auth::Staff;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{Notice, form_fragment, invalid, private_meta, show};
use crate::web::htmx::{Html, HxRequest};
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};

const PATH: &str = "/account/tokens";

/// The page: the secret just made (once), the form, and the user's tokens.
#[derive(Template)]
#[template(path = "account/tokens.html", blocks = ["form"])]
pub struct TokensPage<'a> {
    site: &'a Site,
    meta: Meta,
    notice: Option<Notice>,
    csrf: String,
    current: &'a crate::web::auth::CurrentUser,
    /// The scopes this user's role may give, for the checkboxes.
    offered: Vec<Scope>,
    form: TokenForm,
    errors: FieldErrors,
    /// The secret of the token just created: shown in this one answer only.
    created: Option<(String, String)>,
    tokens: Vec<TokenInfo>,
    now: Timestamp,
}

form_fragment!(TokensPage);

impl TokensPage<'_> {
    fn when(&self, at: &Timestamp) -> String {
        dates::utc_minute(*at)
    }

    /// A time, or "Never".
    fn maybe(&self, at: &Option<Timestamp>) -> String {
        at.map_or_else(|| "Never".to_owned(), dates::utc_minute)
    }

    fn expires(&self, token: &TokenInfo) -> String {
        match token.expires_at {
            Some(at) if at <= self.now => format!("{} (expired)", dates::utc_minute(at)),
            at => self.maybe(&at),
        }
    }

    fn checked(&self, scope: &Scope) -> bool {
        self.form.scopes.iter().any(|s| s == scope.as_str())
    }

    fn scope_list(&self, token: &TokenInfo) -> String {
        token.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The create form as typed; sent back as it was when it has errors.
#[derive(Debug, Clone, FromForm)]
pub struct TokenForm {
    name: String,
    scopes: Vec<String>,
    days: String,
}

impl TokenForm {
    fn empty() -> TokenForm {
        TokenForm { name: String::new(), scopes: Vec::new(), days: String::new() }
    }
}

#[derive(FromForm)]
pub struct RevokeForm {
    token: i64,
}

async fn page<'a>(
    db: &Db,
    visit: &'a Visit<'_>,
    staff: &'a Staff,
    form: TokenForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
) -> AppResult<TokensPage<'a>> {
    let current = &staff.0;
    Ok(TokensPage {
        meta: private_meta(&visit.site, "API tokens", PATH),
        site: &visit.site,
        notice: None,
        csrf: visit.csrf.0.clone(),
        current,
        offered: Scope::ALL.into_iter().filter(|s| s.fits(current.role())).collect(),
        form,
        errors,
        created,
        tokens: api_tokens::list_for_user(db, current.user.id).await?,
        now: now(),
    })
}

#[get("/account/tokens")]
async fn index(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    staff: Staff,
    flash: Option<FlashMessage<'_>>,
) -> AppResult<Html> {
    let mut view = page(&db, &visit, &staff, TokenForm::empty(), FieldErrors::new(), None).await?;
    view.notice = Notice::from_flash(flash);
    show(&view)
}

/// The answer that shows a new secret: no cache, browser's or proxy's, may keep it
/// (RFC 9111, section 5.2.2.5).
#[derive(Responder)]
pub struct Secret {
    page: Html,
    no_store: Header<'static>,
}

/// What the create form answers: the secret, or the form again (422).
#[derive(Responder)]
pub enum Created {
    Secret(Secret),
    Form(Answer),
}

#[post("/account/tokens", data = "<form>")]
async fn create(
    db: Connection<FolioDb>,
    visit: Visit<'_>,
    staff: Staff,
    form: Form<TokenForm>,
) -> AppResult<Created> {
    let form = form.into_inner();
    let user = &staff.0.user;
    let checked = NewApiToken::check(&form.name, &form.scopes, &form.days, user.role);
    let token = match checked {
        Ok(token) => token,
        Err(errors) => {
            let view = page(&db, &visit, &staff, form, errors, None).await?;
            return Ok(Created::Form(invalid(visit.hx, &view)?.into()));
        }
    };
    let at = now();
    let made = api_tokens::create(&db, user.id, &token, at).await?;
    let subject = format!("API token “{}”", token.name);
    let event = Event {
        actor: (user.id, &user.display_name),
        action: "created",
        subject: &subject,
        detail: &token.scopes.to_stored(),
    };
    audit::record(&db, &event, at).await?;
    let view =
        page(&db, &visit, &staff, TokenForm::empty(), FieldErrors::new(), Some((token.name, made.secret)))
            .await?;
    let page = Html::page_or_fragment(visit.hx, &view)?;
    Ok(Created::Secret(Secret { page, no_store: Header::new("Cache-Control", "private, no-store") }))
}

#[post("/account/tokens/revoke", data = "<form>")]
async fn revoke(
    db: Connection<FolioDb>,
    staff: Staff,
    hx: HxRequest,
    form: Form<RevokeForm>,
) -> AppResult<Answer> {
    let user = &staff.0.user;
    let Some((owner, _)) = api_tokens::find(&db, form.token).await? else {
        return Ok(failed(hx, PATH, "That token no longer exists."));
    };
    if !may_revoke(user.id, user.role, owner) {
        return Err(AppError::not_found());
    }
    let at = now();
    let Some(name) = api_tokens::revoke(&db, form.token, at).await? else {
        return Ok(failed(hx, PATH, "That token was already revoked."));
    };
    let subject = format!("API token “{name}”");
    let event =
        Event { actor: (user.id, &user.display_name), action: "revoked", subject: &subject, detail: "" };
    audit::record(&db, &event, at).await?;
    Ok(done(
        hx,
        PATH,
        format!("The token “{name}” is revoked; requests made with it are refused from now on."),
    ))
}

pub fn routes() -> Vec<Route> {
    routes![index, create, revoke]
}
