//! Changing posts, from the admin's editor and from the JSON API alike: who is writing
//! ([`Writer`]), and the one save sequence ([`write`]) both go through, so that the role rules of
//! [`crate::domain::roles`], the validation of [`crate::domain::editor`] and the optimistic
//! locking of [`crate::db::editing`] cannot differ between the two.

use crate::db::admin_content::{self, Vocabulary};
use crate::db::audit::{self as audit_log, Event};
use crate::db::editing::{self, EditPost, Save, SaveError};
use crate::db::{Db, users};
use crate::domain::editor::{Current, Intent, PostDraft, PostInput, check_post, datetime_local};
use crate::domain::roles::{self, Action, PostChange, PostOwnership, Role, may_change_post};
use crate::domain::state::Publication;
use crate::domain::validation::FieldErrors;
use crate::domain::webhooks::{Subject, visible};
use crate::domain::{Timestamp, now};
use crate::web::error::{AppError, AppResult};
use crate::web::params::parse_id;
use crate::webhooks;

/// The person behind a change, and through what: the admin (a session) or the API (a token).
#[derive(Debug, Clone)]
pub struct Writer {
    pub user_id: i64,
    /// Their role now; every change is judged by it.
    pub role: Role,
    /// Their display name, for the audit log.
    pub name: String,
    /// The API token's name when the change comes through the API; the audit log says so.
    pub token: Option<String>,
}

impl Writer {
    pub fn can(&self, action: Action) -> bool {
        self.role.can(action)
    }

    /// Refuses (403) unless the role allows `action`.
    pub fn require(&self, action: Action) -> AppResult<()> {
        if self.can(action) { Ok(()) } else { Err(AppError::forbidden()) }
    }

    /// Whether this writer may make `change` to a post with `post`'s facts ([`may_change_post`]).
    pub fn may_change(&self, post: PostOwnership, change: PostChange) -> bool {
        may_change_post(self.role, self.user_id, post, change)
    }

    /// Whether this writer may save a post with `post`'s facts as `intent` asks
    /// ([`roles::may_save_post`]).
    pub fn may_save(&self, post: PostOwnership, intent: Intent) -> bool {
        roles::may_save_post(self.role, self.user_id, post, intent)
    }

    /// The facts of a post this writer is about to create.
    pub fn new_post(&self) -> PostOwnership {
        PostOwnership { author_id: self.user_id, published: false }
    }

    /// Records what this writer just did in the audit log; a change through the API names the
    /// token in the detail (`via API token “CI”`).
    pub async fn audit(&self, db: &Db, action: &str, subject: &str, detail: &str) -> AppResult<()> {
        let detail = match &self.token {
            None => detail.to_owned(),
            Some(token) if detail.is_empty() => format!("via API token “{token}”"),
            Some(token) => format!("{detail}; via API token “{token}”"),
        };
        let event = Event { actor: (self.user_id, &self.name), action, subject, detail: &detail };
        audit_log::record(db, &event, now()).await.map_err(AppError::from)
    }
}

/// The editor's fields filled from a saved post.
pub fn input_of(post: &EditPost) -> PostInput {
    PostInput {
        title: post.title.clone(),
        slug: post.slug.clone(),
        body: post.body_md.clone(),
        excerpt: post.excerpt.clone(),
        tags: post.tags.join(", "),
        series_id: post.series_id.map(|id| id.to_string()).unwrap_or_default(),
        series_position: post.series_position.map(|p| p.to_string()).unwrap_or_default(),
        cover_image: post.cover_image.clone().unwrap_or_default(),
        cover_alt: post.cover_alt.clone(),
        seo_title: post.seo_title.clone().unwrap_or_default(),
        seo_description: post.seo_description.clone().unwrap_or_default(),
        publish_at: post.published_at.map(datetime_local).unwrap_or_default(),
        author: post.author_id.to_string(),
        comment_policy: post.comment_policy.clone().unwrap_or_default(),
        newsletter: post.newsletter.clone(),
    }
}

/// The facts of `post` that [`may_change_post`] decides by. A mail-only post with its sending
/// moment set counts as published: it goes to every subscriber, so whoever may not publish may
/// no longer change it.
pub fn ownership(post: &EditPost) -> PostOwnership {
    let mailing = post.newsletter == "only" && post.newsletter_at.is_some();
    PostOwnership { author_id: post.author_id, published: post.status != Publication::Draft || mailing }
}

/// Loads post `id` for a `change` by `writer`: 404 if missing, 403 if the role rule refuses.
pub async fn load(db: &Db, writer: &Writer, id: i64, change: PostChange) -> AppResult<EditPost> {
    let post = editing::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if writer.may_change(ownership(&post), change) { Ok(post) } else { Err(AppError::forbidden()) }
}

/// How a save was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A deliberate save (the editor's buttons, an API request): keeps a revision, may publish
    /// and hand the post to another author.
    Button,
    /// The editor's background save of a draft: no revision, no change of state or author.
    Autosave,
}

/// A save as asked: the post (`None`: a new one), the fields, the version the writer started
/// from (`None`: whatever is current, as `If-Match: *` asks) and what to do.
pub struct Request {
    pub id: Option<i64>,
    pub input: PostInput,
    pub version: Option<i64>,
    pub intent: Intent,
    pub mode: Mode,
}

/// The save a sequence started from, with the post as it was loaded.
pub struct Attempt {
    /// The post as loaded, `None` for a new one.
    pub existing: Option<EditPost>,
    pub input: PostInput,
    /// The version the writer started from (the loaded one when the request named none).
    pub version: i64,
    pub intent: Intent,
}

/// What a save came to.
pub enum Outcome {
    Saved {
        id: i64,
        version: i64,
        draft: Box<PostDraft>,
        new_author: Option<(i64, String)>,
    },
    /// The fields have something to fix, said per field (the editor's field names).
    Invalid(FieldErrors),
    SlugTaken,
    /// Someone saved the post since the writer loaded it; it is at version `current` now.
    Conflict {
        current: i64,
    },
    /// An autosave of a post that is not a draft ([`roles::autosaves`]).
    NotAutosaved,
}

/// The one save sequence: loads the post the request names (404, or 403 when the role rule
/// refuses), asks [`roles::may_save_post`] about the intent (403), validates, and writes the
/// post if it is still at the version the request started from; a save that changes what
/// readers see queues its webhook events ([`webhooks::saved`]; `site_url` makes the payload's
/// addresses absolute).
pub async fn write(
    db: &Db,
    writer: &Writer,
    site_url: &str,
    request: Request,
    now: Timestamp,
) -> AppResult<(Attempt, Outcome)> {
    let Request { id, input, version, intent, mode } = request;
    writer.require(Action::WriteOwnPosts)?;
    let existing = match id {
        Some(id) => Some(load(db, writer, id, PostChange::Edit).await?),
        None => None,
    };
    let intent = if mode == Mode::Autosave { Intent::Save } else { intent };
    let facts = existing.as_ref().map_or_else(|| writer.new_post(), ownership);
    if !writer.may_save(facts, intent) {
        return Err(AppError::forbidden());
    }
    let loaded = existing.as_ref().map_or(0, |p| p.version);
    let mut input = input;
    // Mailing a post to every subscriber is publishing it: whoever may not publish it keeps the
    // choice as saved (the admin shows them no control; the API's value is ignored).
    if !writer.may_change(facts, PostChange::Publish) {
        input.newsletter = existing.as_ref().map(|p| p.newsletter.clone()).unwrap_or_default();
    }
    let attempt = Attempt { input, version: version.unwrap_or(loaded), intent, existing };
    if mode == Mode::Autosave && !roles::autosaves(attempt.existing.as_ref().map(|p| p.status)) {
        return Ok((attempt, Outcome::NotAutosaved));
    }
    let mut errors = FieldErrors::new();
    check_series(db, &attempt.input, &mut errors).await?;
    let new_author = match mode {
        Mode::Button => chosen_author(db, writer, &attempt.input, facts.author_id, &mut errors).await?,
        Mode::Autosave => None,
    };
    let current = attempt.existing.as_ref().map(|p| Current {
        status: p.status,
        published_at: p.published_at,
        newsletter_at: p.newsletter_at,
    });
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
    let by = writer.user_id;
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
        Ok((id, version)) => {
            let was_visible = attempt.existing.as_ref().map(|p| visible(p.status, p.published_at, now));
            webhooks::saved(db, site_url, Subject::Post, id, was_visible, now).await?;
            Outcome::Saved { id, version, draft: Box::new(draft), new_author }
        }
        Err(SaveError::SlugTaken) => Outcome::SlugTaken,
        Err(SaveError::Conflict { current }) => Outcome::Conflict { current },
        Err(SaveError::NotFound) => return Err(AppError::not_found()),
        Err(SaveError::Db(e)) => return Err(e.into()),
    };
    Ok((attempt, outcome))
}

/// The audit log's verb for a save of `intent` that left the post in `status`.
pub fn verb(intent: Intent, status: Publication) -> &'static str {
    match (intent, status) {
        (Intent::Publish, _) => "published",
        (Intent::Schedule, _) => "scheduled",
        (Intent::Unpublish, _) => "unpublished",
        (_, Publication::Draft) => "saved a draft of",
        (_, Publication::Published) => "updated",
    }
}

/// The author an editor chose, when it differs from `current`; it must be staff, who may write.
/// Others cannot hand a post on, whatever they send.
async fn chosen_author(
    db: &Db,
    writer: &Writer,
    input: &PostInput,
    current: i64,
    errors: &mut FieldErrors,
) -> AppResult<Option<(i64, String)>> {
    let Some(chosen) = parse_id(Some(&input.author)).filter(|id| *id != current) else {
        return Ok(None);
    };
    if !writer.can(Action::EditAllContent) {
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
