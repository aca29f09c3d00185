//! Tags and series: the same list, edit and delete screens for both vocabularies.

use askama::Template;
use rocket::form::FromForm;
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::admin_content::{self, Term, Vocabulary, Written};
use crate::db::{Db, FolioDb};
use crate::domain::now;
use crate::domain::pages::check_term;
use crate::domain::roles::Action;
use crate::domain::validation::FieldErrors;
use crate::web::admin::confirm::DeletePrompt;
use crate::web::admin::{Desk, Shell, list_paging, parse_id, query_string};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::forms::form_fragment;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{Meta, Paging, Site};

/// Words for one vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub kind: Vocabulary,
    /// URL segment and navigation key: `tags` or `series`.
    pub path: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub name_label: &'static str,
}

const TAGS: Words =
    Words { kind: Vocabulary::Tags, path: "tags", plural: "Tags", singular: "tag", name_label: "Name" };
const SERIES: Words = Words {
    kind: Vocabulary::Series,
    path: "series",
    plural: "Series",
    singular: "series",
    name_label: "Title",
};

#[derive(Template)]
#[template(path = "admin/terms/index.html", blocks = ["form"])]
pub struct TermsPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    words: Words,
    terms: Vec<Term>,
    q: String,
    paging: Paging,
    /// The term being edited (None: the form creates one).
    id: Option<i64>,
    term_name: String,
    slug: String,
    description: String,
    errors: FieldErrors,
}

form_fragment!(TermsPage);

struct FormState {
    id: Option<i64>,
    name: String,
    slug: String,
    description: String,
    errors: FieldErrors,
}

impl FormState {
    fn empty() -> FormState {
        FormState {
            id: None,
            name: String::new(),
            slug: String::new(),
            description: String::new(),
            errors: FieldErrors::new(),
        }
    }
}

async fn page<'a>(
    db: &Db,
    desk: &'a Desk,
    words: Words,
    q: &str,
    raw_page: Option<&str>,
    form: FormState,
) -> AppResult<TermsPage<'a>> {
    let path = format!("/admin/{}", words.path);
    let mut paging = list_paging(raw_page, 100, &path, &query_string(&[("q", q)]));
    let terms = paging.trim(admin_content::terms(db, words.kind, q, paging.limit(), paging.offset()).await?);
    let (meta, shell) = desk.frame(words.path, words.plural, &format!("/admin/{}", words.path));
    Ok(TermsPage {
        site: &desk.site,
        meta,
        shell,
        words,
        terms,
        q: q.to_owned(),
        paging,
        id: form.id,
        term_name: form.name,
        slug: form.slug,
        description: form.description,
        errors: form.errors,
    })
}

async fn list(db: &Db, desk: &Desk, words: Words, q: Option<&str>, p: Option<&str>) -> AppResult<Html> {
    desk.require(Action::ManageTaxonomy)?;
    Html::page(&page(db, desk, words, q.unwrap_or("").trim(), p, FormState::empty()).await?)
}

async fn edit(db: &Db, desk: &Desk, words: Words, id: i64) -> AppResult<Html> {
    desk.require(Action::ManageTaxonomy)?;
    let term = admin_content::term(db, words.kind, id).await?.ok_or_else(AppError::not_found)?;
    let form = FormState {
        id: Some(id),
        name: term.name,
        slug: term.slug,
        description: term.description,
        errors: FieldErrors::new(),
    };
    Html::page(&page(db, desk, words, "", None, form).await?)
}

#[derive(FromForm)]
pub struct TermForm {
    #[field(default = String::new())]
    id: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    slug: String,
    #[field(default = String::new())]
    description: String,
}

async fn save(db: &Db, desk: &Desk, words: Words, form: &TermForm) -> AppResult<Answer> {
    desk.require(Action::ManageTaxonomy)?;
    let id = parse_id(Some(&form.id));
    if let Some(id) = id {
        admin_content::term(db, words.kind, id).await?.ok_or_else(AppError::not_found)?;
    }
    let mut state = FormState {
        id,
        name: form.name.clone(),
        slug: form.slug.clone(),
        description: form.description.clone(),
        errors: FieldErrors::new(),
    };
    let (name, slug, description) = match check_term(&form.name, &form.slug, &form.description) {
        Ok(checked) => checked,
        Err(errors) => {
            state.errors = errors;
            return Ok(
                crate::web::forms::invalid(desk.hx, &page(db, desk, words, "", None, state).await?)?.into()
            );
        }
    };
    match admin_content::save_term(db, words.kind, id, (&name, &slug, &description), now()).await? {
        Written::Done(_) => {
            let verb = if id.is_some() { "updated" } else { "created" };
            desk.audit(db, verb, &format!("{} “{name}”", words.singular), "").await?;
            Ok(done(
                desk.hx,
                format!("/admin/{}", words.path),
                format!("Saved the {} “{name}”.", words.singular),
            ))
        }
        Written::SlugTaken => {
            state.errors.add("slug", format!("Another {} already uses this slug.", words.singular));
            Ok(crate::web::forms::invalid(desk.hx, &page(db, desk, words, "", None, state).await?)?.into())
        }
        Written::Conflict => Err(AppError::not_found()),
    }
}

async fn confirm_delete(db: &Db, desk: &Desk, words: Words, id: i64) -> AppResult<Html> {
    desk.require(Action::ManageTaxonomy)?;
    let term = admin_content::term(db, words.kind, id).await?.ok_or_else(AppError::not_found)?;
    let action = format!("/admin/{}/{id}/delete", words.path);
    let heading = format!("Delete this {}?", words.singular);
    let mut view = DeletePrompt::new(desk, &heading, &action, &format!("/admin/{}", words.path));
    view.message = match words.kind {
        Vocabulary::Tags => {
            format!("“{}” will be removed from its {} posts; the posts stay.", term.name, term.posts)
        }
        Vocabulary::Series => {
            format!("“{}” will be deleted; its {} posts stay, outside any series.", term.name, term.posts)
        }
    };
    view.button = format!("Delete the {}", words.singular);
    Html::page(&view)
}

async fn delete(db: &Db, desk: &Desk, words: Words, id: i64) -> AppResult<Answer> {
    desk.require(Action::ManageTaxonomy)?;
    let term = admin_content::term(db, words.kind, id).await?.ok_or_else(AppError::not_found)?;
    admin_content::delete_term(db, words.kind, id).await?;
    desk.audit(db, "deleted", &format!("{} “{}”", words.singular, term.name), "").await?;
    Ok(done(
        desk.hx,
        format!("/admin/{}", words.path),
        format!("Deleted the {} “{}”.", words.singular, term.name),
    ))
}

#[get("/admin/tags?<q>&<page>")]
async fn tags(db: Connection<FolioDb>, desk: Desk, q: Option<&str>, page: Option<&str>) -> AppResult<Html> {
    list(&db, &desk, TAGS, q, page).await
}

#[get("/admin/tags/<id>/edit")]
async fn edit_tag(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    edit(&db, &desk, TAGS, id).await
}

#[post("/admin/tags/save", data = "<form>")]
async fn save_tag(db: Connection<FolioDb>, desk: Desk, form: Form<TermForm>) -> AppResult<Answer> {
    save(&db, &desk, TAGS, &form).await
}

#[get("/admin/tags/<id>/delete")]
async fn confirm_tag(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    confirm_delete(&db, &desk, TAGS, id).await
}

#[post("/admin/tags/<id>/delete")]
async fn delete_tag(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    delete(&db, &desk, TAGS, id).await
}

#[get("/admin/series?<q>&<page>")]
async fn series(db: Connection<FolioDb>, desk: Desk, q: Option<&str>, page: Option<&str>) -> AppResult<Html> {
    list(&db, &desk, SERIES, q, page).await
}

#[get("/admin/series/<id>/edit")]
async fn edit_series(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    edit(&db, &desk, SERIES, id).await
}

#[post("/admin/series/save", data = "<form>")]
async fn save_series(db: Connection<FolioDb>, desk: Desk, form: Form<TermForm>) -> AppResult<Answer> {
    save(&db, &desk, SERIES, &form).await
}

#[get("/admin/series/<id>/delete")]
async fn confirm_series(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    confirm_delete(&db, &desk, SERIES, id).await
}

#[post("/admin/series/<id>/delete")]
async fn delete_series(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Answer> {
    delete(&db, &desk, SERIES, id).await
}

pub fn routes() -> Vec<Route> {
    routes![
        tags,
        edit_tag,
        save_tag,
        confirm_tag,
        delete_tag,
        series,
        edit_series,
        save_series,
        confirm_series,
        delete_series
    ]
}
