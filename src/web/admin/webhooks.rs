//! `/admin/webhooks`: administrators register hooks (a URL, the events it wants, a switch and
//! a signing secret), read each hook's delivery log, and send a delivery again. The sending is
//! [`crate::webhooks`]'s; this module only edits the table.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::config::Config;
use crate::db::webhooks::{self, Delivery, Hook, HookFields, LoggedAttempt};
use crate::db::{Db, FolioDb};
use crate::domain::clock::Clock;
use crate::domain::roles::Action;
use crate::domain::validation::FieldErrors;
use crate::domain::webhooks::address::check_url;
use crate::domain::webhooks::{EventType, new_secret};
use crate::domain::{Timestamp, dates, now};
use crate::web::admin::confirm::DeletePrompt;
use crate::web::admin::{Desk, Shell};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::{form_fragment, invalid};
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};

/// Deliveries and attempts a hook's page lists.
const LOG_LIMIT: i64 = 50;

/// What the hook form shows: the values typed (or stored) and a message per field.
struct FormState {
    id: Option<i64>,
    url: String,
    events: Vec<EventType>,
    enabled: bool,
    errors: FieldErrors,
}

impl FormState {
    fn empty() -> FormState {
        FormState {
            id: None,
            url: String::new(),
            events: vec![EventType::PostPublished],
            enabled: true,
            errors: FieldErrors::new(),
        }
    }

    fn of(hook: &Hook) -> FormState {
        FormState {
            id: Some(hook.id),
            url: hook.url.clone(),
            events: hook.event_types(),
            enabled: hook.enabled,
            errors: FieldErrors::new(),
        }
    }

    /// Every event with whether it is ticked: `(name, checked)`.
    fn choices(&self) -> Vec<(&'static str, bool)> {
        EventType::ALL.into_iter().map(|e| (e.as_str(), self.events.contains(&e))).collect()
    }
}

/// The list of hooks, with the form for a new one.
#[derive(Template)]
#[template(path = "admin/webhooks/index.html", blocks = ["form"])]
pub struct HooksPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    hooks: Vec<Hook>,
    id: Option<i64>,
    url: String,
    choices: Vec<(&'static str, bool)>,
    enabled: bool,
    errors: FieldErrors,
}

/// One hook: its form, its secret, its delivery log.
#[derive(Template)]
#[template(path = "admin/webhooks/edit.html", blocks = ["form"])]
pub struct HookPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    hook: Hook,
    id: Option<i64>,
    url: String,
    choices: Vec<(&'static str, bool)>,
    enabled: bool,
    errors: FieldErrors,
    deliveries: Vec<Delivery>,
    attempts: Vec<LoggedAttempt>,
}

form_fragment!(HooksPage, HookPage);

impl HookPage<'_> {
    fn at(&self, at: &Timestamp) -> String {
        dates::utc_minute(*at)
    }

    /// `delivered`, `failed` or `pending`: a delivery's state, also its badge's CSS modifier.
    fn state(&self, delivery: &Delivery) -> &'static str {
        if delivery.delivered_at.is_some() {
            "delivered"
        } else if delivery.failed_at.is_some() {
            "failed"
        } else {
            "pending"
        }
    }
}

impl HooksPage<'_> {
    /// A hook's events, comma-separated.
    fn events(&self, hook: &Hook) -> String {
        hook.event_types().iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
    }
}

async fn list_page<'a>(db: &Db, desk: &'a Desk, form: FormState) -> AppResult<HooksPage<'a>> {
    let (meta, shell) = desk.frame("webhooks", "Webhooks", "/admin/webhooks");
    Ok(HooksPage {
        site: &desk.site,
        meta,
        shell,
        hooks: webhooks::hooks(db).await?,
        id: form.id,
        url: form.url.clone(),
        choices: form.choices(),
        enabled: form.enabled,
        errors: form.errors,
    })
}

async fn hook_page<'a>(db: &Db, desk: &'a Desk, hook: Hook, form: FormState) -> AppResult<HookPage<'a>> {
    let path = format!("/admin/webhooks/{}", hook.id);
    let (meta, shell) = desk.frame("webhooks", "Webhook", &path);
    Ok(HookPage {
        site: &desk.site,
        meta,
        shell,
        deliveries: webhooks::deliveries(db, hook.id, LOG_LIMIT).await?,
        attempts: webhooks::attempts(db, hook.id, LOG_LIMIT).await?,
        hook,
        id: form.id,
        url: form.url.clone(),
        choices: form.choices(),
        enabled: form.enabled,
        errors: form.errors,
    })
}

async fn find(db: &Db, id: i64) -> AppResult<Hook> {
    webhooks::hook(db, id).await?.ok_or_else(AppError::not_found)
}

#[get("/admin/webhooks")]
async fn index(db: Connection<FolioDb>, desk: Desk) -> AppResult<Html> {
    desk.require(Action::ManageSettings)?;
    Html::page(&list_page(&db, &desk, FormState::empty()).await?)
}

#[get("/admin/webhooks/<id>")]
async fn show(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::ManageSettings)?;
    let hook = find(&db, id).await?;
    let form = FormState::of(&hook);
    Html::page(&hook_page(&db, &desk, hook, form).await?)
}

#[derive(FromForm)]
pub struct HookForm {
    #[field(default = String::new())]
    id: String,
    #[field(default = String::new())]
    url: String,
    events: Vec<String>,
    enabled: bool,
}

#[post("/admin/webhooks/save", data = "<form>")]
async fn save(
    db: Connection<FolioDb>,
    desk: Desk,
    config: &State<Config>,
    form: Form<HookForm>,
) -> AppResult<Answer> {
    desk.require(Action::ManageSettings)?;
    let existing = match crate::web::admin::parse_id(Some(&form.id)) {
        Some(id) => Some(find(&db, id).await?),
        None => None,
    };
    let events: Vec<EventType> = form.events.iter().filter_map(|e| EventType::parse(e)).collect();
    let mut state = FormState {
        id: existing.as_ref().map(|h| h.id),
        url: form.url.clone(),
        events: events.clone(),
        enabled: form.enabled,
        errors: FieldErrors::new(),
    };
    let url = state.errors.check("url", check_url(&form.url, config.settings.webhooks_allow_private));
    if events.is_empty() {
        state.errors.add("events", "Choose at least one event.");
    }
    let Some(url) = url.filter(|_| state.errors.is_empty()) else {
        return Ok(match existing {
            Some(hook) => invalid(desk.hx, &hook_page(&db, &desk, hook, state).await?)?.into(),
            None => invalid(desk.hx, &list_page(&db, &desk, state).await?)?.into(),
        });
    };
    let stored = EventType::store_list(&events);
    let fields = HookFields { url: url.as_str(), events: &stored, enabled: form.enabled };
    let (id, verb) = match existing {
        Some(hook) => {
            webhooks::update(&db, hook.id, &fields, now()).await?;
            (hook.id, "updated")
        }
        None => (webhooks::create(&db, &fields, &new_secret(), now()).await?, "created"),
    };
    desk.audit(&db, verb, &format!("webhook “{url}”"), &stored).await?;
    let message = match verb {
        "created" => "Webhook created. Give its secret, below, to the receiver to verify signatures.",
        _ => "Webhook saved.",
    };
    Ok(done(desk.hx, format!("/admin/webhooks/{id}"), message))
}

#[post("/admin/webhooks/<id>/secret")]
async fn regenerate(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    desk.require(Action::ManageSettings)?;
    let hook = find(&db, id).await?;
    webhooks::set_secret(&db, id, &new_secret(), now()).await?;
    desk.audit(&db, "regenerated the secret of", &format!("webhook “{}”", hook.url), "").await?;
    Ok(done(desk.hx, format!("/admin/webhooks/{id}"), "New secret made: the old one no longer verifies."))
}

#[get("/admin/webhooks/<id>/delete")]
async fn confirm_delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::ManageSettings)?;
    let hook = find(&db, id).await?;
    let action = format!("/admin/webhooks/{id}/delete");
    let mut view =
        DeletePrompt::new(&desk, "Delete this webhook?", &action, &format!("/admin/webhooks/{id}"));
    view.message = format!("Events will no longer be sent to {}; its delivery log goes too.", hook.url);
    view.button = "Delete the webhook".into();
    Html::page(&view)
}

#[post("/admin/webhooks/<id>/delete")]
async fn delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    desk.require(Action::ManageSettings)?;
    let hook = find(&db, id).await?;
    webhooks::delete(&db, id).await?;
    desk.audit(&db, "deleted", &format!("webhook “{}”", hook.url), "").await?;
    Ok(done(desk.hx, "/admin/webhooks", format!("Deleted the webhook to {}.", hook.url)))
}

#[post("/admin/webhooks/<id>/deliveries/<delivery>/send-again")]
async fn send_again(
    db: Connection<FolioDb>,
    desk: Desk,
    clock: &State<Clock>,
    id: i64,
    delivery: i64,
) -> AppResult<Answer> {
    desk.require(Action::ManageSettings)?;
    let hook = find(&db, id).await?;
    let back = format!("/admin/webhooks/{id}");
    // Due at the time the sender reads (the managed clock, which tests move).
    if !webhooks::send_again(&db, id, delivery, clock.now()).await? {
        return Ok(failed(desk.hx, back, "That delivery is being sent right now, or no longer exists."));
    }
    desk.audit(&db, "sent again", &format!("webhook delivery #{delivery} to “{}”", hook.url), "").await?;
    Ok(done(desk.hx, back, "Queued again: it goes out within seconds."))
}

pub fn routes() -> Vec<Route> {
    routes![index, show, save, regenerate, confirm_delete, delete, send_again]
}
