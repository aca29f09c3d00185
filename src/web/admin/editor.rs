//! The post editor: one form for new and existing posts, saved as draft, published, scheduled or
//! unpublished; live preview and autosave through htmx; optimistic locking so two editors never
//! overwrite each other silently.

mod save;

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::admin_content::{self, Vocabulary};
use crate::db::editing::{self, EditPost};
use crate::db::{Db, FolioDb, media, users};
use crate::domain::editor::{self, PostInput, datetime_local};
use crate::domain::roles::{Action, PostChange};
use crate::domain::state::PostState;
use crate::domain::validation::FieldErrors;
use crate::domain::webhooks::Subject;
use crate::domain::{dates, markdown, now, secrets};
use crate::web::admin::confirm::DeletePrompt;
use crate::web::admin::{Desk, Shell};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{FORM_LIMIT, Form, limit_for};
use crate::web::forms::form_fragment;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Site};
use crate::web::writing::{self, input_of, ownership};

#[derive(Template)]
#[template(path = "admin/posts/editor.html", blocks = ["form"])]
pub struct EditorPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    id: Option<i64>,
    version: i64,
    input: PostInput,
    errors: FieldErrors,
    /// new, draft, scheduled or published.
    state: &'static str,
    /// Set when a save was refused because someone else saved first.
    conflict: Option<String>,
    series: Vec<(i64, String)>,
    tag_names: Vec<(i64, String)>,
    images: Vec<(String, String)>,
    preview_html: String,
    preview_url: Option<String>,
    view_url: Option<String>,
    author_name: String,
    /// Whom an editor may hand the post to; empty for everyone else.
    authors: Vec<(i64, String)>,
    updated: String,
    may_publish: bool,
    /// What the newsletter did with this post: "Mailed to 120 subscribers on …" once its
    /// mailing was made, or for a scheduled mail-only post when it goes.
    newsletter_note: Option<String>,
}

form_fragment!(EditorPage);

impl EditorPage<'_> {
    fn comment_policies(&self) -> [crate::domain::site_settings::CommentPolicy; 3] {
        crate::domain::site_settings::CommentPolicy::ALL
    }

    fn selected_series(&self, id: &i64) -> bool {
        self.input.series_id.trim() == id.to_string()
    }

    fn selected_author(&self, id: &i64) -> bool {
        self.input.author.trim() == id.to_string()
    }

    fn autosaves(&self) -> bool {
        matches!(self.state, "new" | "draft")
    }
}

/// The editor's fields as posted; every one defaults to empty so a partial post is still read.
#[derive(FromForm, Default)]
pub struct EditorForm {
    #[field(default = String::new())]
    id: String,
    #[field(default = String::new())]
    version: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    slug: String,
    #[field(default = String::new())]
    body: String,
    #[field(default = String::new())]
    excerpt: String,
    #[field(default = String::new())]
    tags: String,
    #[field(default = String::new())]
    series_id: String,
    #[field(default = String::new())]
    series_position: String,
    #[field(default = String::new())]
    cover_image: String,
    #[field(default = String::new())]
    cover_alt: String,
    #[field(default = String::new())]
    seo_title: String,
    #[field(default = String::new())]
    seo_description: String,
    #[field(default = String::new())]
    publish_at: String,
    #[field(default = String::new())]
    intent: String,
    #[field(default = String::new())]
    author: String,
    #[field(default = String::new())]
    comment_policy: String,
    #[field(default = String::new())]
    newsletter: String,
}

impl EditorForm {
    fn input(&self) -> PostInput {
        PostInput {
            title: self.title.clone(),
            slug: self.slug.clone(),
            body: self.body.clone(),
            excerpt: self.excerpt.clone(),
            tags: self.tags.clone(),
            series_id: self.series_id.clone(),
            series_position: self.series_position.clone(),
            cover_image: self.cover_image.clone(),
            cover_alt: self.cover_alt.clone(),
            seo_title: self.seo_title.clone(),
            seo_description: self.seo_description.clone(),
            publish_at: self.publish_at.clone(),
            author: self.author.clone(),
            comment_policy: self.comment_policy.clone(),
            newsletter: self.newsletter.clone(),
        }
    }
}

/// Loads post `id` for a `change` by this user: 404 if missing, 403 if the role rule refuses.
pub async fn load(db: &Db, desk: &Desk, id: i64, change: PostChange) -> AppResult<EditPost> {
    writing::load(db, &desk.writer(), id, change).await
}

/// Everything the editor shows besides the fields themselves.
struct Context {
    id: Option<i64>,
    version: i64,
    /// `None` for a post not saved yet.
    state: Option<PostState>,
    post: Option<EditPost>,
}

async fn page<'a>(
    db: &Db,
    desk: &'a Desk,
    ctx: Context,
    input: PostInput,
    errors: FieldErrors,
    conflict: Option<String>,
) -> AppResult<EditorPage<'a>> {
    let title = if ctx.id.is_some() { "Edit post" } else { "New post" };
    let path = ctx.id.map_or("/admin/posts/new".to_owned(), |id| format!("/admin/posts/{id}/edit"));
    let (meta, shell) = desk.frame("posts", title, &path);
    let post = ctx.post.as_ref();
    Ok(EditorPage {
        site: &desk.site,
        meta,
        shell,
        id: ctx.id,
        version: ctx.version,
        preview_html: markdown::render(&input.body).html,
        input,
        errors,
        state: ctx.state.map_or("new", PostState::as_str),
        conflict,
        series: admin_content::all_names(db, Vocabulary::Series).await?,
        tag_names: admin_content::all_names(db, Vocabulary::Tags).await?,
        images: media::recent_images(db, 50).await?,
        preview_url: post
            .and_then(|p| p.preview_token.as_ref())
            .map(|t| desk.site.url(&format!("/preview/{t}"))),
        view_url: post
            .filter(|_| ctx.state == Some(PostState::Published))
            .map(|p| format!("/posts/{}", p.slug)),
        author_name: post.map_or_else(|| desk.user().display_name.clone(), |p| p.author_name.clone()),
        authors: if desk.can(Action::EditAllContent) { author_choices(db, post).await? } else { Vec::new() },
        updated: post.map(|p| dates::human(p.updated_at)).unwrap_or_default(),
        may_publish: desk
            .may_change(post.map_or_else(|| desk.writer().new_post(), ownership), PostChange::Publish),
        newsletter_note: post.and_then(|p| match (p.mailed_at, p.newsletter_at) {
            (Some(at), _) => Some(format!("Mailed to subscribers on {}.", dates::human(at))),
            (None, Some(at)) => {
                Some(format!("To be mailed (only) at {} UTC.", datetime_local(at).replace('T', " ")))
            }
            (None, None) => None,
        }),
    })
}

/// A post this user is about to create.

#[get("/admin/posts/new")]
async fn new(db: Connection<FolioDb>, desk: Desk) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let ctx = Context { id: None, version: 0, state: None, post: None };
    let input = PostInput { author: desk.user().id.to_string(), ..PostInput::default() };
    Html::page(&page(&db, &desk, ctx, input, FieldErrors::new(), None).await?)
}

#[get("/admin/posts/<id>/edit")]
async fn edit(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let post = load(&db, &desk, id, PostChange::Edit).await?;
    let input = input_of(&post);
    let ctx = Context {
        id: Some(id),
        version: post.version,
        state: Some(PostState::of(post.status, post.published_at, now())),
        post: Some(post),
    };
    Html::page(&page(&db, &desk, ctx, input, FieldErrors::new(), None).await?)
}

/// Whom an editor may hand `post` to. Its own author stays first when no longer among them, so
/// the list never preselects someone else.
async fn author_choices(db: &Db, post: Option<&EditPost>) -> AppResult<Vec<(i64, String)>> {
    let mut staff = users::active_staff_names(db).await?;
    if let Some(post) = post
        && !staff.iter().any(|(id, _)| *id == post.author_id)
    {
        staff.insert(0, (post.author_id, post.author_name.clone()));
    }
    Ok(staff)
}

/// The editor's body limit: a body of [`editor::BODY_MAX`] characters and the other fields.
pub const EDITOR_LIMIT: u64 = limit_for(editor::BODY_MAX, FORM_LIMIT);

#[derive(FromForm)]
pub struct PreviewForm {
    #[field(default = String::new())]
    body: String,
}

/// The body rendered exactly as readers will see it (sanitised), for the preview pane.
#[post("/admin/posts/preview", data = "<form>")]
async fn preview(desk: Desk, form: Form<PreviewForm, { EDITOR_LIMIT }>) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let body = form.into_inner().body;
    if body.len() > editor::BODY_MAX * 4 {
        return Ok(Html::plain("<p>The body is too long to preview.</p>".into()));
    }
    let html = rocket::tokio::task::spawn_blocking(move || markdown::render(&body).html)
        .await
        .map_err(AppError::internal)?;
    Ok(Html::plain(html))
}

#[post("/admin/posts/<id>/preview-link")]
async fn preview_link(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    desk.require(Action::WriteOwnPosts)?;
    let post = load(&db, &desk, id, PostChange::Edit).await?;
    let token = secrets::token();
    editing::set_preview_token(&db, post.id, &token).await?;
    desk.audit(&db, "made a preview link for", &format!("post “{}”", post.title), "").await?;
    Ok(done(
        desk.hx,
        format!("/admin/posts/{id}/edit"),
        "A new private preview link is ready; any earlier link no longer works.",
    ))
}

#[get("/admin/posts/<id>/delete")]
async fn confirm_delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    // Whoever may edit a post may delete it; `load` refuses everyone else.
    let post = load(&db, &desk, id, PostChange::Delete).await?;
    let action = format!("/admin/posts/{id}/delete");
    let mut page = DeletePrompt::new(&desk, "Delete this post?", &action, &format!("/admin/posts/{id}/edit"));
    page.message = format!("“{}” and all its revisions will be deleted. This cannot be undone.", post.title);
    page.button = "Delete the post".into();
    Html::page(&page)
}

#[post("/admin/posts/<id>/delete")]
async fn delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    let post = load(&db, &desk, id, PostChange::Delete).await?;
    let before = crate::webhooks::Before::take(&db, &desk.site.base_url, Subject::Post, &[id]).await?;
    if !editing::delete(&db, id, post.version).await? {
        let back = format!("/admin/posts/{id}/edit");
        return Ok(failed(desk.hx, back, "Someone changed this post just now; nothing was deleted."));
    }
    desk.audit(&db, "deleted", &format!("post “{}”", post.title), "").await?;
    before.emit(&db, now()).await?;
    Ok(done(desk.hx, "/admin/posts", format!("Deleted “{}”.", post.title)))
}

pub fn routes() -> Vec<Route> {
    let mut all = routes![new, edit, preview, preview_link, confirm_delete, delete];
    all.extend(save::routes());
    all
}
