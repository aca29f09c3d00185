//! `/api/v1/admin/posts`: posts in every state (drafts, scheduled, published) for their writers,
//! created, changed, published, scheduled, unpublished and deleted through the same save
//! sequence as the admin's editor ([`crate::web::writing::write`]), so the same role rules,
//! validation, slug rules and optimistic locking apply. A change names the version it started
//! from in `If-Match` (the `ETag` of the post's last answer); a stale one gets 412.

use rocket::{State, delete, get, patch, post};
use rocket_db_pools::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiToken;
use super::body::{ApiResult, IfMatch, JsonBody, Versioned};
use super::problem::Problem;
use super::writes::{Fields, PostStatus, StateList, nullable, paging, renamed};
use crate::db::admin_posts::{self, PostQuery, Sort, StatusFilter};
use crate::db::editing::{self, EditPost};
use crate::db::{Db, FolioDb};
use crate::domain::addresses::Kind;
use crate::domain::api_tokens::Scope;
use crate::domain::clock::Clock;
use crate::domain::editor::{Intent, PostInput};
use crate::domain::roles::{Action, PostChange};
use crate::domain::state::PostState;
use crate::domain::webhooks::Subject;
use crate::domain::{Timestamp, dates};
use crate::web::error::AppError;
use crate::web::view::{LiveSite, Site};
use crate::web::writing::{self, Mode, Outcome, Request, Writer, input_of};
use crate::webhooks;

/// A post as its writers see it, in any state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftPost {
    pub id: i64,
    /// `draft`, `scheduled` or `published`.
    pub status: String,
    pub slug: String,
    pub title: String,
    /// The post's absolute URL on the site (where it is, or will be, once published).
    #[schema(format = "uri")]
    pub url: String,
    /// The excerpt as typed; empty when listings take the start of the body.
    pub excerpt: String,
    pub body_markdown: String,
    /// Tag names, primary first.
    pub tags: Vec<String>,
    pub series_id: Option<i64>,
    pub series_position: Option<i64>,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub author_id: i64,
    pub author_name: String,
    /// When it went or goes live, RFC 3339 in UTC; `null` for a draft.
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Its version, also sent as the `ETag` `"v<version>"` for `If-Match`.
    pub version: i64,
    /// Who may comment: `open`, `members` or `closed`; `null` follows the site's setting.
    #[schema(value_type = Option<String>, pattern = "^(open|members|closed)$")]
    pub comment_policy: Option<String>,
    /// The newsletter choice: `""` (publish only), `send` (mailed to every-post subscribers
    /// when it goes live) or `only` (mailed, never on the site).
    #[schema(pattern = "^(|send|only)$")]
    pub newsletter: String,
    /// When its mailing was made (RFC 3339), `null` while it was not mailed.
    #[schema(format = DateTime)]
    pub mailed_at: Option<String>,
}

fn draft_post(site: &Site, post: &EditPost, now: Timestamp) -> DraftPost {
    DraftPost {
        id: post.id,
        status: PostState::of(post.status, post.published_at, now).as_str().to_owned(),
        url: site.url(&Kind::Post.path(&post.slug)),
        slug: post.slug.clone(),
        title: post.title.clone(),
        excerpt: post.excerpt.clone(),
        body_markdown: post.body_md.clone(),
        tags: post.tags.clone(),
        series_id: post.series_id,
        series_position: post.series_position,
        cover_image: post.cover_image.clone(),
        cover_alt: post.cover_alt.clone(),
        seo_title: post.seo_title.clone(),
        seo_description: post.seo_description.clone(),
        author_id: post.author_id,
        author_name: post.author_name.clone(),
        published_at: post.published_at.map(dates::iso),
        updated_at: dates::iso(post.updated_at),
        version: post.version,
        comment_policy: post.comment_policy.clone(),
        newsletter: post.newsletter.clone(),
        mailed_at: post.mailed_at.map(dates::iso),
    }
}

/// Post `id` as JSON with its version as `ETag`; `created` for a 201.
async fn answer(db: &Db, site: &Site, id: i64, now: Timestamp, created: bool) -> ApiResult<Versioned> {
    let post = editing::find(db, id).await?.ok_or_else(AppError::not_found)?;
    let json = serde_json::to_value(draft_post(site, &post, now)).map_err(AppError::internal)?;
    let created = created.then(|| site.url(&format!("/api/v1/admin/posts/{id}")));
    Ok(Versioned { json, version: Some(post.version), created })
}

/// A post's fields for a create or a change. On a change, a member left out keeps its value;
/// `null` clears `series_id` and `series_position`, and `""` clears a text.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostFields {
    pub title: Option<String>,
    /// Made from the title when empty on a new post.
    pub slug: Option<String>,
    /// CommonMark with GFM tables, footnotes and strikethrough; sanitised when rendered.
    pub body_markdown: Option<String>,
    pub excerpt: Option<String>,
    /// Tag names (made when new), primary first; at most 20.
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub series_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub series_position: Option<Option<i64>>,
    /// An image address (`/media/…` or absolute).
    pub cover_image: Option<String>,
    pub cover_alt: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Hand the post to this staff member (editors and above).
    pub author_id: Option<i64>,
    /// `published` publishes now (a post already out keeps its date); `scheduled` needs a future
    /// `published_at`; `draft` takes it back. Left out: the post stays as it is.
    pub status: Option<PostStatus>,
    /// With `status: scheduled`, when it goes live (RFC 3339).
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// Who may comment: `open`, `members` or `closed`; `null` follows the site's setting.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^(open|members|closed)$")]
    pub comment_policy: Option<Option<String>>,
    /// The newsletter choice: `""`, `send` or `only` (see the post's `newsletter`). Ignored
    /// from a token whose owner may not publish the post.
    #[schema(pattern = "^(|send|only)$")]
    pub newsletter: Option<String>,
}

/// The editor's names for the API's members, where they differ.
const RENAMED: &[(&str, &str)] =
    &[("body", "body_markdown"), ("publish_at", "published_at"), ("author", "author_id")];

impl PostFields {
    /// The editor's input: `base` (the saved post, or empty for a new one) with these members
    /// over it, and the intent `status` asks for. Refuses (422) what the editor's form could not
    /// express: a tag name with a comma, another author chosen by someone who may not, a
    /// `published_at` without `status: scheduled`.
    fn apply(
        self,
        base: PostInput,
        current: Option<&EditPost>,
        writer: &Writer,
        now: Timestamp,
    ) -> Result<(PostInput, Intent), AppError> {
        let mut fields = Fields::default();
        let mut input = base;
        let text = |target: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        text(&mut input.title, self.title);
        text(&mut input.slug, self.slug);
        text(&mut input.body, self.body_markdown);
        text(&mut input.excerpt, self.excerpt);
        text(&mut input.cover_image, self.cover_image);
        text(&mut input.cover_alt, self.cover_alt);
        text(&mut input.seo_title, self.seo_title);
        text(&mut input.seo_description, self.seo_description);
        if let Some(tags) = self.tags {
            if tags.iter().any(|t| t.contains(',')) {
                fields.refuse("tags", "A tag name cannot contain a comma.");
            }
            input.tags = tags.join(", ");
        }
        if let Some(policy) = self.comment_policy {
            input.comment_policy = policy.unwrap_or_default();
        }
        text(&mut input.newsletter, self.newsletter);
        if let Some(series) = self.series_id {
            input.series_id = series.map(|id| id.to_string()).unwrap_or_default();
        }
        if let Some(position) = self.series_position {
            input.series_position = position.map(|p| p.to_string()).unwrap_or_default();
        }
        if let Some(author) = self.author_id {
            let unchanged = current.map_or(writer.user_id, |p| p.author_id) == author;
            if !unchanged && !writer.can(Action::EditAllContent) {
                fields.refuse("author_id", "Only editors and above choose a post's author.");
            }
            input.author = author.to_string();
        }
        let state = current.map(|p| PostState::of(p.status, p.published_at, now));
        let intent = match self.status {
            None => Intent::Save,
            Some(PostStatus::Draft) if state.is_none_or(|s| s == PostState::Draft) => Intent::Save,
            Some(PostStatus::Draft) => Intent::Unpublish,
            Some(PostStatus::Published) => Intent::Publish,
            Some(PostStatus::Scheduled) => Intent::Schedule,
        };
        if intent == Intent::Schedule && state == Some(PostState::Published) {
            // As in the editor, which offers no Schedule for a live post: it would vanish until then.
            fields.refuse("status", "A published post cannot be scheduled; unpublish it first.");
        }
        let given = self.published_at.as_deref().map(|at| (at, dates::parse_iso(at)));
        match (given, intent) {
            (Some((_, None)), _) => {
                fields.refuse("published_at", "Give an RFC 3339 date-time such as 2030-01-31T09:00:00Z.")
            }
            (Some((_, Some(at))), Intent::Schedule) => {
                input.publish_at = dates::iso(at).trim_end_matches('Z').to_owned()
            }
            // Left out, a scheduled post keeps its date (the editor's Reschedule does the same), to
            // the second: the editor's field (`input_of`) holds only minutes.
            (None, Intent::Schedule) => {
                if let Some(at) = current.and_then(|p| p.published_at) {
                    input.publish_at = dates::iso(at).trim_end_matches('Z').to_owned();
                }
            }
            (None, _) => {}
            // The date a client read back and sends again unchanged is no request to move it.
            (Some((_, Some(at))), _) if current.and_then(|p| p.published_at) == Some(at) => {}
            (Some(_), _) => {
                fields.refuse("published_at", "Set when a post goes live with `status: scheduled`.")
            }
        }
        fields.finish()?;
        Ok((input, intent))
    }
}

/// The list's query parameters.
#[derive(Debug, rocket::FromForm, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `draft`, `scheduled` or `published`; all when left out.
    #[param(inline)]
    pub status: Option<StateList>,
    /// Posts per page, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The page, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
}

/// A page of posts in any state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftPostList {
    pub posts: Vec<DraftPostSummary>,
    pub meta: super::writes::PageMeta,
}

/// A post in a list, without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftPostSummary {
    pub id: i64,
    pub status: String,
    pub slug: String,
    pub title: String,
    pub author_id: i64,
    pub author_name: String,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Posts in every state, the last changed first; authors and contributors see their own.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_posts",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of posts; `meta.next` links the next one", body = DraftPostList),
        (status = 400, description = "A parameter could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope, or its owner is not staff", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/posts?<q..>")]
pub async fn index(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    q: ListQuery,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Read, Action::WriteOwnPosts)?;
    let site = live.get();
    let (limit, page) = paging(q.limit.as_deref(), q.page.as_deref())?;
    let status = q.status.map_or(StatusFilter::Any, |s| StatusFilter::parse(s.as_str()));
    let now = clock.now();
    let query = PostQuery {
        search: String::new(),
        status,
        // Authors and contributors work on their own posts only, as in the admin.
        author: (!writer.can(Action::EditAllContent)).then_some(writer.user_id),
        tag: None,
        series: None,
        sort: Sort::Updated,
        limit: limit + 1,
        offset: (page - 1) * limit,
    };
    let (mut rows, total) = admin_posts::list(&db, &query, now).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let posts = rows
        .into_iter()
        .map(|p| DraftPostSummary {
            id: p.id,
            status: p.state(now).as_str().to_owned(),
            slug: p.slug,
            title: p.title,
            author_id: p.author_id,
            author_name: p.author_name,
            published_at: p.published_at.map(dates::iso),
            updated_at: dates::iso(p.updated_at),
        })
        .collect();
    let next = more.then(|| {
        let status = q.status.map(|s| format!("status={}&", s.as_str())).unwrap_or_default();
        site.url(&format!("/api/v1/admin/posts?{status}limit={limit}&page={}", page + 1))
    });
    let meta = super::writes::PageMeta { limit, total: Some(total), next };
    let json = serde_json::to_value(DraftPostList { posts, meta }).map_err(AppError::internal)?;
    Ok(Versioned { json, version: None, created: None })
}

/// One post in any state, with its version as `ETag`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_post",
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = DraftPost, headers(("ETag" = String, description = "`\"v<version>\"`, for `If-Match`"))),
        (status = 403, description = "The token lacks the scope, or the post is someone else's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/admin/posts/<id>")]
pub async fn show(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    id: i64,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Read, Action::WriteOwnPosts)?;
    let post = editing::find(&db, id).await?.ok_or_else(AppError::not_found)?;
    if post.author_id != writer.user_id && !writer.can(Action::EditAllContent) {
        return Err(AppError::forbidden().into());
    }
    answer(&db, &live.get(), id, clock.now(), false).await
}

/// Creates a post: a draft, or published or scheduled as `status` asks (authors and above).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_post",
    request_body = PostFields,
    responses(
        (status = 201, description = "Created", body = DraftPost, headers(("ETag" = String, description = "`\"v<version>\"`"), ("Location" = String, description = "The post's address in this API"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or the role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[post("/api/v1/admin/posts", data = "<body>")]
pub async fn create(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    body: JsonBody<PostFields>,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Posts, Action::WriteOwnPosts)?;
    let now = clock.now();
    let (input, intent) = body.0.apply(PostInput::default(), None, &writer, now)?;
    let site = live.get();
    let request = Request { id: None, input, version: None, intent, mode: Mode::Button };
    let id = save(&db, &writer, &site, request, now).await?;
    answer(&db, &site, id, now, true).await
}

/// Changes a post: the members sent, and its state as `status` asks. `If-Match` must name the
/// version the change started from.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_post",
    params(
        ("id" = i64, Path, description = "The post's id"),
        ("If-Match" = String, Header, description = "The post's `ETag` (`\"v<version>\"`), or `*` for any version"),
    ),
    request_body = PostFields,
    responses(
        (status = 200, description = "Saved", body = DraftPost, headers(("ETag" = String, description = "`\"v<version>\"`"))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `posts` scope, or the role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The post changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[patch("/api/v1/admin/posts/<id>", data = "<body>")]
pub async fn update(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    if_match: IfMatch,
    id: i64,
    body: JsonBody<PostFields>,
) -> ApiResult<Versioned> {
    let writer = token.writer_for(Scope::Posts, Action::WriteOwnPosts)?;
    let now = clock.now();
    let current = writing::load(&db, &writer, id, PostChange::Edit).await?;
    // The precondition comes before the body (RFC 9110, section 13.2.1); the save then applies
    // to this version only, so a change made meanwhile is never written over with `*` either.
    let version = if_match.resolve(current.version)?;
    let (input, intent) = body.0.apply(input_of(&current), Some(&current), &writer, now)?;
    let site = live.get();
    save(
        &db,
        &writer,
        &site,
        Request { id: Some(id), input, version: Some(version), intent, mode: Mode::Button },
        now,
    )
    .await?;
    answer(&db, &site, id, now, false).await
}

/// Runs the save sequence and writes the audit entry; the saved post's id.
async fn save(db: &Db, writer: &Writer, site: &Site, request: Request, now: Timestamp) -> ApiResult<i64> {
    let (attempt, outcome) = writing::write(db, writer, &site.base_url, request, now).await?;
    match outcome {
        Outcome::Saved { id, draft, new_author, .. } => {
            let verb = writing::verb(attempt.intent, draft.status);
            let handed = new_author.map(|(_, name)| format!("author: {name}")).unwrap_or_default();
            writer.audit(db, verb, &format!("post “{}”", draft.title), &handed).await?;
            Ok(id)
        }
        Outcome::Invalid(errors) => Err(AppError::Unprocessable(renamed(&errors, RENAMED)).into()),
        Outcome::SlugTaken => {
            Err(AppError::unprocessable("slug", "Another post already uses this slug; choose another.")
                .into())
        }
        Outcome::Conflict { .. } => Err(AppError::PreconditionFailed.into()),
        Outcome::NotAutosaved => Err(AppError::internal("an API save was taken for an autosave").into()),
    }
}

/// Deletes a post for good. `If-Match`, when sent, must name its current version.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_post",
    params(
        ("id" = i64, Path, description = "The post's id"),
        ("If-Match" = Option<String>, Header, description = "The post's `ETag`, to delete only that version"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token lacks the `posts` scope, or the role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The post changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/admin/posts/<id>")]
pub async fn remove(
    db: Connection<FolioDb>,
    token: ApiToken,
    live: &State<LiveSite>,
    clock: &State<Clock>,
    if_match: IfMatch,
    id: i64,
) -> ApiResult<rocket::http::Status> {
    let writer = token.writer_for(Scope::Posts, Action::WriteOwnPosts)?;
    // Without `If-Match` a change made meanwhile is no reason to refuse: the permission is judged
    // again on the new version (a few tries, then 412 as if the client had named the first).
    for _ in 0..3 {
        let post = writing::load(&db, &writer, id, PostChange::Delete).await?;
        let version = if_match.condition(post.version)?;
        let before = webhooks::Before::take(&db, &live.get().base_url, Subject::Post, &[id]).await?;
        if editing::delete(&db, id, version).await? {
            writer.audit(&db, "deleted", &format!("post “{}”", post.title), "").await?;
            before.emit(&db, clock.now()).await?;
            return Ok(rocket::http::Status::NoContent);
        }
        if if_match != IfMatch::Absent {
            return Err(AppError::PreconditionFailed.into());
        }
    }
    Err(AppError::PreconditionFailed.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;

    fn writer(role: Role) -> Writer {
        Writer { user_id: 7, role, name: "Ann".into(), token: Some("CI".into()) }
    }

    #[test]
    fn status_asks_for_the_editors_intent() {
        let ask = |status| PostFields { title: Some("T".into()), status, ..PostFields::default() };
        let w = writer(Role::Author);
        let new = |status| ask(status).apply(PostInput::default(), None, &w, 100).map(|(_, i)| i).ok();
        assert_eq!(new(None), Some(Intent::Save));
        assert_eq!(new(Some(PostStatus::Draft)), Some(Intent::Save));
        assert_eq!(new(Some(PostStatus::Published)), Some(Intent::Publish));
        assert_eq!(new(Some(PostStatus::Scheduled)), Some(Intent::Schedule));
    }

    #[test]
    fn what_the_form_could_not_say_is_refused_by_field() {
        let w = writer(Role::Author);
        let refused = |fields: PostFields| match fields.apply(PostInput::default(), None, &w, 100) {
            Err(AppError::Unprocessable(list)) => list.into_iter().map(|i| i.name).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let comma = PostFields { tags: Some(vec!["a, b".into()]), ..PostFields::default() };
        assert_eq!(refused(comma), ["tags"]);
        let other_author = PostFields { author_id: Some(8), ..PostFields::default() };
        assert_eq!(refused(other_author), ["author_id"]);
        let date_alone =
            PostFields { published_at: Some("2030-01-01T00:00:00Z".into()), ..PostFields::default() };
        assert_eq!(refused(date_alone), ["published_at"]);
        let bad_date = PostFields {
            status: Some(PostStatus::Scheduled),
            published_at: Some("tomorrow".into()),
            ..PostFields::default()
        };
        assert_eq!(refused(bad_date), ["published_at"]);
    }
}
