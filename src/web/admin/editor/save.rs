//! Saving the editor's form. The buttons (save, publish, schedule, unpublish) and the background
//! autosave go through the one sequence the API uses too, [`write`]: load and check permission,
//! validate, write with the version the form started from, queue the webhooks. Each handler then
//! answers in its own way: the buttons with a redirect or the form again, autosave with a status
//! line.

use rocket::http::{Header, Status};
use rocket::{Route, post, routes};
use rocket_db_pools::Connection;

use super::{Context, EDITOR_LIMIT, EditorForm, page};
use crate::db::Db;
use crate::db::FolioDb;
use crate::db::editing::{self, EditPost};
use crate::domain::editor::{Intent, PostInput, datetime_local};
use crate::domain::state::{PostState, Publication};
use crate::domain::validation::FieldErrors;
use crate::domain::{dates, now};
use crate::web::admin::{Desk, parse_id};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::writing::{self, Attempt, Mode, Outcome, Request, write};

/// The editor's form as a save request of `mode`.
fn request(form: &EditorForm, mode: Mode) -> Request {
    Request {
        id: parse_id(Some(&form.id)),
        input: form.input(),
        version: Some(form.version.trim().parse().unwrap_or(0)),
        intent: Intent::parse(&form.intent),
        mode,
    }
}

#[post("/admin/posts/save", data = "<form>")]
async fn save(
    db: Connection<FolioDb>,
    desk: Desk,
    form: Form<EditorForm, { EDITOR_LIMIT }>,
) -> AppResult<Answer> {
    let now = now();
    let writer = desk.writer();
    let (attempt, outcome) =
        write(&db, &writer, &desk.site.base_url, request(&form, Mode::Button), now).await?;
    let ctx = |post: Option<EditPost>, version| Context {
        id: post.as_ref().map(|p| p.id),
        version,
        state: post.as_ref().map(|p| PostState::of(p.status, p.published_at, now)),
        post,
    };
    let Attempt { existing, input, version, intent } = attempt;
    let (id, draft, new_author) = match outcome {
        Outcome::Saved { id, draft, new_author, .. } => (id, draft, new_author),
        Outcome::Invalid(errors) => return invalid(&db, &desk, ctx(existing, version), input, errors).await,
        Outcome::SlugTaken => {
            let mut errors = FieldErrors::new();
            errors.add("slug", "Another post already uses this slug; change it or the title.");
            return invalid(&db, &desk, ctx(existing, version), input, errors).await;
        }
        Outcome::Conflict { current } => {
            let post = existing.ok_or_else(AppError::not_found)?;
            let fresh = editing::find(&db, post.id).await?.ok_or_else(AppError::not_found)?;
            let message = format!(
                "Not saved: someone else saved this post (at {} UTC) after you opened it. Your text is below, \
                 unchanged. Compare it with the saved version in the history, then save again to replace \
                 theirs with yours.",
                dates::iso(fresh.updated_at)
            );
            let errors = FieldErrors::new();
            let view = page(&db, &desk, ctx(Some(fresh), current), input, errors, Some(message)).await?;
            return Ok(Html::page_or_fragment(desk.hx, &view)?.with_status(Status::Conflict).into());
        }
        Outcome::NotAutosaved => return Err(AppError::internal("a button save was taken for an autosave")),
    };
    let verb = writing::verb(intent, draft.status);
    let handed = new_author.map(|(_, name)| format!("author: {name}")).unwrap_or_default();
    writer.audit(&db, verb, &format!("post “{}”", draft.title), &handed).await?;
    let message = match intent {
        Intent::Publish => format!("Published: it is live at /posts/{}.", draft.slug),
        Intent::Schedule => format!(
            "Scheduled for {} UTC.",
            draft.published_at.map(|at| datetime_local(at).replace('T', " ")).unwrap_or_default()
        ),
        Intent::Unpublish => "Unpublished: the post is a draft again.".to_owned(),
        Intent::Save if draft.status == Publication::Draft => "Draft saved.".to_owned(),
        Intent::Save => "Changes saved.".to_owned(),
    };
    Ok(done(desk.hx, format!("/admin/posts/{id}/edit"), message))
}

async fn invalid(
    db: &Db,
    desk: &Desk,
    ctx: Context,
    input: PostInput,
    errors: FieldErrors,
) -> AppResult<Answer> {
    let view = page(db, desk, ctx, input, errors, None).await?;
    Ok(crate::web::forms::invalid(desk.hx, &view)?.into())
}

/// An autosave's answer: a status line, plus the post's id and version swapped into the form
/// out of band, and for a new post its editor's URL put in the address bar.
struct Autosaved {
    body: Html,
    url: Option<Header<'static>>,
}

impl<'r> rocket::response::Responder<'r, 'static> for Autosaved {
    fn respond_to(self, req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut res = self.body.respond_to(req)?;
        if let Some(url) = self.url {
            res.set_header(url);
        }
        Ok(res)
    }
}

fn autosaved(message: &str, saved: Option<(i64, i64)>) -> Autosaved {
    let escaped =
        askama::filters::escape(message, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
    let mut body = format!("<span>{escaped}</span>");
    let mut url = None;
    if let Some((id, version)) = saved {
        body.push_str(&format!(
            r#"<input type="hidden" id="f-id" name="id" value="{id}" data-hx-swap-oob="true"><input type="hidden" id="f-version" name="version" value="{version}" data-hx-swap-oob="true">"#
        ));
        url = Some(Header::new("HX-Replace-Url", format!("/admin/posts/{id}/edit")));
    }
    Autosaved { body: Html::plain(body), url }
}

#[post("/admin/posts/autosave", data = "<form>")]
async fn autosave(
    db: Connection<FolioDb>,
    desk: Desk,
    form: Form<EditorForm, { EDITOR_LIMIT }>,
) -> AppResult<Autosaved> {
    let now = now();
    let site = &desk.site.base_url;
    let (_, outcome) = write(&db, &desk.writer(), site, request(&form, Mode::Autosave), now).await?;
    let time = datetime_local(now).split('T').nth(1).unwrap_or_default().to_owned();
    Ok(match outcome {
        Outcome::Saved { id, version, .. } => {
            autosaved(&format!("Draft autosaved at {time} UTC."), Some((id, version)))
        }
        Outcome::NotAutosaved => autosaved("Published posts are not autosaved: use Save changes.", None),
        Outcome::Invalid(_) => {
            autosaved("Not autosaved yet: the form has something to fix. Save to see what.", None)
        }
        Outcome::SlugTaken => autosaved("Not autosaved: another post already uses this slug.", None),
        Outcome::Conflict { .. } => {
            autosaved("Not autosaved: someone else changed this post. Save to compare.", None)
        }
    })
}

pub fn routes() -> Vec<Route> {
    routes![save, autosave]
}
