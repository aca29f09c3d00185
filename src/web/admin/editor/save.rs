//! Saving the editor's form. The buttons (save, publish, schedule, unpublish) and the background
//! autosave go through one sequence, [`write`]: load and check permission, validate, write with
//! the version the form started from. Each handler then answers in its own way: the buttons
//! with a redirect or the form again, autosave with a status line.

use rocket::http::{Header, Status};
use rocket::{Route, post, routes};
use rocket_db_pools::Connection;

use super::{Context, EDITOR_LIMIT, EditorForm, load, new_post, ownership, page};
use crate::db::admin_content::{self, Vocabulary};
use crate::db::editing::{self, EditPost, Save, SaveError};
use crate::db::{Db, FolioDb, users};
use crate::domain::editor::{Current, Intent, PostDraft, PostInput, check_post, datetime_local};
use crate::domain::roles::{self, Action, PostChange};
use crate::domain::state::{PostState, Publication};
use crate::domain::validation::FieldErrors;
use crate::domain::webhooks::{Subject, visible};
use crate::domain::{Timestamp, dates, now};
use crate::web::admin::{Desk, parse_id};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::webhooks;

/// How a save was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A button: keeps a revision, may publish and hand the post to another author.
    Button,
    /// The editor's background save of a draft: no revision, no change of state or author.
    Autosave,
}

/// The form a save started from.
struct Attempt {
    /// The post as loaded, `None` for a new one.
    existing: Option<EditPost>,
    input: PostInput,
    /// The version of the post the form was loaded at.
    version: i64,
    intent: Intent,
}

/// What a save came to.
enum Outcome {
    Saved {
        id: i64,
        version: i64,
        draft: Box<PostDraft>,
        new_author: Option<(i64, String)>,
    },
    /// The form has something to fix, said per field.
    Invalid(FieldErrors),
    SlugTaken,
    /// Someone saved the post since the form was loaded; it is at version `current` now.
    Conflict {
        current: i64,
    },
    /// An autosave of a post that is not a draft ([`roles::autosaves`]).
    NotAutosaved,
}

/// The one save sequence: loads the post the form names (404, or 403 when the role rule
/// refuses), asks [`roles::may_save_post`] about the intent, validates, and writes the post if
/// it is still at the version the form started from.
async fn write(
    db: &Db,
    desk: &Desk,
    form: &EditorForm,
    mode: Mode,
    now: Timestamp,
) -> AppResult<(Attempt, Outcome)> {
    desk.require(Action::WriteOwnPosts)?;
    let existing = match parse_id(Some(&form.id)) {
        Some(id) => Some(load(db, desk, id, PostChange::Edit).await?),
        None => None,
    };
    let intent = if mode == Mode::Autosave { Intent::Save } else { Intent::parse(&form.intent) };
    let facts = existing.as_ref().map_or_else(|| new_post(desk), ownership);
    if !desk.may_save(facts, intent) {
        return Err(AppError::forbidden());
    }
    let attempt =
        Attempt { input: form.input(), version: form.version.trim().parse().unwrap_or(0), intent, existing };
    if mode == Mode::Autosave && !roles::autosaves(attempt.existing.as_ref().map(|p| p.status)) {
        return Ok((attempt, Outcome::NotAutosaved));
    }
    let mut errors = FieldErrors::new();
    check_series(db, &attempt.input, &mut errors).await?;
    let new_author = match mode {
        Mode::Button => chosen_author(db, desk, &attempt.input, facts.author_id, &mut errors).await?,
        Mode::Autosave => None,
    };
    let current =
        attempt.existing.as_ref().map(|p| Current { status: p.status, published_at: p.published_at });
    let draft = match check_post(&attempt.input, intent, current, now) {
        Ok(draft) if errors.is_empty() => draft,
        Ok(_) => return Ok((attempt, Outcome::Invalid(errors))),
        Err(more) => {
            for (field, message) in more.iter() {
                errors.add(field, message);
            }
            return Ok((attempt, Outcome::Invalid(errors)));
        }
    };
    let by = desk.user().id;
    let save = match mode {
        Mode::Button => {
            Save { by, author: new_author.as_ref().map(|(id, _)| *id), now, revision: true, note: "" }
        }
        Mode::Autosave => Save { by, author: None, now, revision: false, note: "autosave" },
    };
    let result = match &attempt.existing {
        None => editing::create(db, &draft, save).await.map(|id| (id, 1)),
        // The permission was judged on the loaded version: the save applies to that version only.
        Some(post) if attempt.version != post.version => Err(SaveError::Conflict { current: post.version }),
        Some(post) => editing::update(db, post.id, post.version, &draft, save).await.map(|v| (post.id, v)),
    };
    let outcome = match result {
        Ok((id, version)) => Outcome::Saved { id, version, draft: Box::new(draft), new_author },
        Err(SaveError::SlugTaken) => Outcome::SlugTaken,
        Err(SaveError::Conflict { current }) => Outcome::Conflict { current },
        Err(SaveError::NotFound) => return Err(AppError::not_found()),
        Err(SaveError::Db(e)) => return Err(e.into()),
    };
    Ok((attempt, outcome))
}

#[post("/admin/posts/save", data = "<form>")]
async fn save(
    db: Connection<FolioDb>,
    desk: Desk,
    form: Form<EditorForm, { EDITOR_LIMIT }>,
) -> AppResult<Answer> {
    let now = now();
    let (attempt, outcome) = write(&db, &desk, &form, Mode::Button, now).await?;
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
    let verb = match (intent, draft.status) {
        (Intent::Publish, _) => "published",
        (Intent::Schedule, _) => "scheduled",
        (Intent::Unpublish, _) => "unpublished",
        (_, Publication::Draft) => "saved a draft of",
        (_, Publication::Published) => "updated",
    };
    let handed = new_author.map(|(_, name)| format!("author: {name}")).unwrap_or_default();
    desk.audit(&db, verb, &format!("post “{}”", draft.title), &handed).await?;
    webhooks::saved(
        &db,
        &desk.site.base_url,
        Subject::Post,
        id,
        existing.map(|p| visible(p.status, p.published_at, now)),
        now,
    )
    .await?;
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
    let (_, outcome) = write(&db, &desk, &form, Mode::Autosave, now).await?;
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

/// The author an editor chose, when it differs from `current`; it must be staff, who may write.
/// Others cannot hand a post on, whatever they send.
async fn chosen_author(
    db: &Db,
    desk: &Desk,
    input: &PostInput,
    current: i64,
    errors: &mut FieldErrors,
) -> AppResult<Option<(i64, String)>> {
    let Some(chosen) = parse_id(Some(&input.author)).filter(|id| *id != current) else {
        return Ok(None);
    };
    if !desk.can(Action::EditAllContent) {
        return Ok(None);
    }
    let staff = users::active_staff_names(db).await?;
    let found = staff.into_iter().find(|(id, _)| *id == chosen);
    if found.is_none() {
        errors.add("author", "Only staff can be a post's author; choose someone from the list.");
    }
    Ok(found)
}

/// The series chosen must exist (the list may be stale).
async fn check_series(db: &Db, input: &PostInput, errors: &mut FieldErrors) -> AppResult<()> {
    if let Some(id) = parse_id(Some(&input.series_id))
        && admin_content::term(db, Vocabulary::Series, id).await?.is_none()
    {
        errors.add("series_id", "That series no longer exists; choose another.");
    }
    Ok(())
}

pub fn routes() -> Vec<Route> {
    routes![save, autosave]
}
