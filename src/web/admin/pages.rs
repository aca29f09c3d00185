//! Static pages: list, edit (optimistic locking as for posts), delete. Editors and above.

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::admin_content::{self, AdminPage, Written};
use crate::db::{Db, FolioDb};
use crate::domain::pages::{PageInput, check_page};
use crate::domain::roles::Action;
use crate::domain::state::Publication;
use crate::domain::validation::FieldErrors;
use crate::domain::webhooks::Subject;
use crate::domain::{Timestamp, dates, markdown, now};
use crate::web::admin::confirm::DeletePrompt;
use crate::web::admin::editor::EDITOR_LIMIT;
use crate::web::admin::{Desk, Shell, list_paging, parse_id, query_string};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::form_fragment;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Paging, Site};
use crate::webhooks;

#[derive(Template)]
#[template(path = "admin/pages/index.html")]
pub struct PagesPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    pages: Vec<AdminPage>,
    q: String,
    paging: Paging,
}

impl PagesPage<'_> {
    fn date(&self, at: &Timestamp) -> String {
        dates::human(*at)
    }
}

#[get("/admin/pages?<q>&<page>")]
async fn index(db: Connection<FolioDb>, desk: Desk, q: Option<&str>, page: Option<&str>) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    let q = q.unwrap_or("").trim().to_owned();
    let mut paging = list_paging(page, 50, "/admin/pages", &query_string(&[("q", &q)]));
    let pages = paging.trim(admin_content::pages(&db, &q, paging.limit(), paging.offset()).await?);
    let (meta, shell) = desk.frame("pages", "Pages", "/admin/pages");
    Html::page(&PagesPage { site: &desk.site, meta, shell, pages, q, paging })
}

#[derive(Template)]
#[template(path = "admin/pages/edit.html", blocks = ["form"])]
pub struct PageEditor<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    id: Option<i64>,
    version: i64,
    input: PageInput,
    errors: FieldErrors,
    conflict: bool,
    preview_html: String,
}

form_fragment!(PageEditor);

fn editor<'a>(
    desk: &'a Desk,
    id: Option<i64>,
    version: i64,
    input: PageInput,
    errors: FieldErrors,
) -> PageEditor<'a> {
    let path = id.map_or("/admin/pages/new".to_owned(), |id| format!("/admin/pages/{id}/edit"));
    let (meta, shell) = desk.frame("pages", if id.is_some() { "Edit page" } else { "New page" }, &path);
    PageEditor {
        site: &desk.site,
        meta,
        shell,
        id,
        version,
        preview_html: markdown::render(&input.body).html,
        input,
        errors,
        conflict: false,
    }
}

/// The page editor's fields filled from a saved page (the API's changes start from them too).
pub fn input_of(page: &AdminPage) -> PageInput {
    PageInput {
        title: page.title.clone(),
        slug: page.slug.clone(),
        body: page.body_md.clone(),
        seo_title: page.seo_title.clone().unwrap_or_default(),
        seo_description: page.seo_description.clone().unwrap_or_default(),
        published: page.status == Publication::Published,
        noindex: page.noindex,
    }
}

async fn find(db: &Db, id: i64) -> AppResult<AdminPage> {
    admin_content::page(db, id).await?.ok_or_else(AppError::not_found)
}

#[get("/admin/pages/new")]
fn new(desk: Desk) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    Html::page(&editor(&desk, None, 0, PageInput::default(), FieldErrors::new()))
}

#[get("/admin/pages/<id>/edit")]
async fn edit(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    let page = find(&db, id).await?;
    Html::page(&editor(&desk, Some(id), page.version, input_of(&page), FieldErrors::new()))
}

#[derive(FromForm)]
pub struct PageForm {
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
    seo_title: String,
    #[field(default = String::new())]
    seo_description: String,
    published: bool,
    noindex: bool,
}

#[post("/admin/pages/save", data = "<form>")]
async fn save(
    db: Connection<FolioDb>,
    desk: Desk,
    form: Form<PageForm, { EDITOR_LIMIT }>,
) -> AppResult<Answer> {
    desk.require(Action::EditAllContent)?;
    let id = parse_id(Some(&form.id));
    let was_visible = match id {
        Some(id) => Some(find(&db, id).await?.status == Publication::Published),
        None => None,
    };
    let version: i64 = form.version.trim().parse().unwrap_or(0);
    let input = PageInput {
        title: form.title.clone(),
        slug: form.slug.clone(),
        body: form.body.clone(),
        seo_title: form.seo_title.clone(),
        seo_description: form.seo_description.clone(),
        published: form.published,
        noindex: form.noindex,
    };
    let draft = match check_page(&input) {
        Ok(draft) => draft,
        Err(errors) => {
            return Ok(
                crate::web::forms::invalid(desk.hx, &editor(&desk, id, version, input, errors))?.into()
            );
        }
    };
    match admin_content::save_page(&db, id.map(|id| (id, version)), &draft, desk.user().id, now()).await? {
        Written::Done(saved) => {
            let verb = if id.is_some() { "updated" } else { "created" };
            desk.audit(&db, verb, &format!("page “{}”", draft.title), "").await?;
            webhooks::saved(&db, &desk.site.base_url, Subject::Page, saved, was_visible, now()).await?;
            Ok(done(desk.hx, format!("/admin/pages/{saved}/edit"), "Page saved."))
        }
        Written::SlugTaken => {
            let mut errors = FieldErrors::new();
            errors.add("slug", "Another page already uses this slug.");
            Ok(crate::web::forms::invalid(desk.hx, &editor(&desk, id, version, input, errors))?.into())
        }
        Written::Conflict => {
            let current = find(&db, id.unwrap_or(0)).await?;
            let mut view = editor(&desk, id, current.version, input, FieldErrors::new());
            view.conflict = true;
            Ok(crate::web::htmx::Html::page_or_fragment(desk.hx, &view)?.with_status(Status::Conflict).into())
        }
    }
}

#[get("/admin/pages/<id>/delete")]
async fn confirm_delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    desk.require(Action::EditAllContent)?;
    let page = find(&db, id).await?;
    let action = format!("/admin/pages/{id}/delete");
    let mut view = DeletePrompt::new(&desk, "Delete this page?", &action, &format!("/admin/pages/{id}/edit"));
    view.message =
        format!("The page “{}” at /{} will be deleted. This cannot be undone.", page.title, page.slug);
    view.button = "Delete the page".into();
    Html::page(&view)
}

#[post("/admin/pages/<id>/delete")]
async fn delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    desk.require(Action::EditAllContent)?;
    let page = find(&db, id).await?;
    let before = webhooks::Before::take(&db, &desk.site.base_url, Subject::Page, &[id]).await?;
    if !admin_content::delete_page(&db, id, page.version).await? {
        let back = format!("/admin/pages/{id}/edit");
        return Ok(failed(desk.hx, back, "Someone changed this page just now; nothing was deleted."));
    }
    desk.audit(&db, "deleted", &format!("page “{}”", page.title), "").await?;
    before.emit(&db, now()).await?;
    Ok(done(desk.hx, "/admin/pages", format!("Deleted the page “{}”.", page.title)))
}

pub fn routes() -> Vec<Route> {
    routes![index, new, edit, save, confirm_delete, delete]
}
