//! Site settings: identity, navigation, listing size, who may sign up, and the SMTP
//! server. Saved settings reach every process within seconds (see `crate::tasks`). The SMTP
//! password is never sent back to the browser; an empty field keeps the saved one.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::config::Config;
use crate::db::{Db, FolioDb, media, settings};
use crate::domain::feed::FeedContent;
use crate::domain::roles::Action;
use crate::domain::site_settings::{self, CommentPolicy, Moderation, SMTP_SECURITY, SettingsInput};
use crate::domain::validation::FieldErrors;
use crate::mail::Mailer;
use crate::web::admin::{Desk, Shell};
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::forms::form_fragment;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{LiveSite, Meta, Site};

/// Empty navigation rows offered beyond the saved links, for adding new ones without JavaScript.
const SPARE_NAV_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "admin/settings/index.html", blocks = ["form"])]
pub struct SettingsPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    input: SettingsInput,
    errors: FieldErrors,
    password_saved: bool,
    smtp_in_config: bool,
    /// Only the owner chooses the mail server ([`Action::ManageMail`]).
    may_manage_mail: bool,
    images: Vec<(String, String)>,
}

form_fragment!(SettingsPage);

impl SettingsPage<'_> {
    fn securities(&self) -> [(&'static str, &'static str); 3] {
        SMTP_SECURITY
    }

    fn feed_contents(&self) -> [FeedContent; 2] {
        FeedContent::ALL
    }

    fn comment_policies(&self) -> [CommentPolicy; 3] {
        CommentPolicy::ALL
    }

    fn moderations(&self) -> [Moderation; 3] {
        Moderation::ALL
    }

    fn signups(&self) -> [(&'static str, &'static str); 3] {
        [
            ("open", "Anyone may create a member account"),
            ("invite-only", "Only people with an invitation"),
            ("closed", "Nobody (staff are still invited)"),
        ]
    }
}

fn saved_value<'s>(saved: &'s [(String, String)], key: &str) -> Option<&'s str> {
    saved.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The form filled with what is in effect now.
fn current_input(site: &Site, config: &Config, saved: &[(String, String)]) -> SettingsInput {
    let get = |key: &str| saved_value(saved, key).unwrap_or("").to_owned();
    let mut nav: Vec<(String, String)> = site.nav.iter().map(|l| (l.label.clone(), l.url.clone())).collect();
    nav.extend(std::iter::repeat_n((String::new(), String::new()), SPARE_NAV_ROWS));
    SettingsInput {
        site_title: site.title.clone(),
        site_description: site.description.clone(),
        logo_url: site.logo_url.clone().unwrap_or_default(),
        nav,
        posts_per_page: site.posts_per_page.to_string(),
        feed_items: site.feed_items.to_string(),
        feed_content: site.feed_content.as_str().to_owned(),
        signup: site.signup.as_str().to_owned(),
        comment_policy: site.comment_policy.as_str().to_owned(),
        comment_moderation: site.comment_moderation.as_str().to_owned(),
        comment_close_days: site.comment_close_days.to_string(),
        comment_link_limit: site.comment_link_limit.to_string(),
        comment_blocklist: site.comment_blocklist_text.clone(),
        smtp_host: get("smtp_host"),
        smtp_port: get("smtp_port"),
        smtp_security: saved_value(saved, "smtp_security").unwrap_or("starttls").to_owned(),
        smtp_username: get("smtp_username"),
        smtp_password: String::new(),
        clear_smtp_password: false,
        mail_from: saved_value(saved, "mail_from")
            .filter(|v| !v.is_empty())
            .unwrap_or(&config.settings.mail.mail_from)
            .to_owned(),
    }
}

async fn page<'a>(
    db: &Db,
    desk: &'a Desk,
    config: &Config,
    input: SettingsInput,
    errors: FieldErrors,
) -> AppResult<SettingsPage<'a>> {
    let saved = settings::all(db).await?;
    let (meta, shell) = desk.frame("settings", "Settings", "/admin/settings");
    Ok(SettingsPage {
        site: &desk.site,
        meta,
        shell,
        input,
        errors,
        password_saved: saved_value(&saved, "smtp_password").is_some_and(|p| !p.is_empty()),
        may_manage_mail: desk.can(Action::ManageMail),
        smtp_in_config: !config.settings.mail.smtp_url.is_empty(),
        images: media::recent_images(db, 50).await?,
    })
}

#[get("/admin/settings")]
async fn show(db: Connection<FolioDb>, desk: Desk, config: &State<Config>) -> AppResult<Html> {
    desk.require(Action::ManageSettings)?;
    let saved = settings::all(&db).await?;
    let input = current_input(&desk.site, config, &saved);
    Html::page(&page(&db, &desk, config, input, FieldErrors::new()).await?)
}

#[derive(FromForm)]
pub struct SettingsForm {
    #[field(default = String::new())]
    site_title: String,
    #[field(default = String::new())]
    site_description: String,
    #[field(default = String::new())]
    logo_url: String,
    nav_label: Vec<String>,
    nav_url: Vec<String>,
    #[field(default = String::new())]
    posts_per_page: String,
    #[field(default = String::new())]
    feed_items: String,
    #[field(default = String::new())]
    feed_content: String,
    #[field(default = String::new())]
    signup: String,
    #[field(default = String::new())]
    comment_policy: String,
    #[field(default = String::new())]
    comment_moderation: String,
    #[field(default = String::new())]
    comment_close_days: String,
    #[field(default = String::new())]
    comment_link_limit: String,
    comment_blocklist: Option<String>,
    #[field(default = String::new())]
    smtp_host: String,
    #[field(default = String::new())]
    smtp_port: String,
    #[field(default = String::new())]
    smtp_security: String,
    #[field(default = String::new())]
    smtp_username: String,
    #[field(default = String::new())]
    smtp_password: String,
    clear_smtp_password: bool,
    #[field(default = String::new())]
    mail_from: String,
}

#[post("/admin/settings", data = "<form>")]
async fn save(
    db: Connection<FolioDb>,
    desk: Desk,
    config: &State<Config>,
    live: &State<LiveSite>,
    mailer: &State<Mailer>,
    form: Form<SettingsForm>,
) -> AppResult<Answer> {
    desk.require(Action::ManageSettings)?;
    let form = form.into_inner();
    let nav = form
        .nav_label
        .into_iter()
        .zip(form.nav_url.into_iter().chain(std::iter::repeat(String::new())))
        .collect();
    let input = SettingsInput {
        site_title: form.site_title,
        site_description: form.site_description,
        logo_url: form.logo_url,
        nav,
        posts_per_page: form.posts_per_page,
        // The form always sends both; a client that predates them keeps what is in effect.
        feed_items: or_current(form.feed_items, &desk.site.feed_items.to_string()),
        feed_content: or_current(form.feed_content, desk.site.feed_content.as_str()),
        signup: form.signup,
        // A client that predates the comment fields keeps what is in effect.
        comment_policy: or_current(form.comment_policy, desk.site.comment_policy.as_str()),
        comment_moderation: or_current(form.comment_moderation, desk.site.comment_moderation.as_str()),
        comment_close_days: or_current(form.comment_close_days, &desk.site.comment_close_days.to_string()),
        comment_link_limit: or_current(form.comment_link_limit, &desk.site.comment_link_limit.to_string()),
        // An emptied block list is a choice, so only an absent field keeps the saved one.
        comment_blocklist: form.comment_blocklist.unwrap_or_else(|| desk.site.comment_blocklist_text.clone()),
        smtp_host: form.smtp_host,
        smtp_port: form.smtp_port,
        smtp_security: form.smtp_security,
        smtp_username: form.smtp_username,
        smtp_password: form.smtp_password,
        clear_smtp_password: form.clear_smtp_password,
        mail_from: form.mail_from,
    };
    let saved = settings::all(&db).await?;
    let current = current_input(&desk.site, config, &saved);
    // Mail settings are the owner's: anyone else's form has no mail fields, and what it sends
    // for them counts for nothing.
    let may_manage_mail = desk.can(Action::ManageMail);
    let mut input = input;
    if !may_manage_mail {
        input.smtp_host.clone_from(&current.smtp_host);
        input.smtp_port.clone_from(&current.smtp_port);
        input.smtp_security.clone_from(&current.smtp_security);
        input.smtp_username.clone_from(&current.smtp_username);
        input.smtp_password.clear();
        input.clear_smtp_password = false;
        input.mail_from.clone_from(&current.mail_from);
    }
    let pairs = match site_settings::check(&input, &current) {
        Ok(pairs) => pairs,
        Err(errors) => {
            // The typed password is not sent back, as on every other render.
            let mut input = input;
            input.smtp_password.clear();
            let view = page(&db, &desk, config, input, errors).await?;
            return Ok(crate::web::forms::invalid(desk.hx, &view)?.into());
        }
    };
    settings::set_many(&db, &pairs).await?;
    // This process applies the change at once; the others within their next refresh.
    let saved = settings::all(&db).await?;
    live.apply(&saved);
    mailer.apply(&saved);
    let changed: Vec<&str> = pairs.iter().map(|(k, _)| *k).filter(|k| *k != "smtp_password").collect();
    desk.audit(&db, "changed", "the site settings", &changed.join(", ")).await?;
    Ok(done(desk.hx, "/admin/settings", "Settings saved."))
}

/// `typed`, or `current` when the form did not send the field.
fn or_current(typed: String, current: &str) -> String {
    if typed.is_empty() { current.to_owned() } else { typed }
}

pub fn routes() -> Vec<Route> {
    routes![show, save]
}
