//! The media library: upload (checked by content, never by the browser's word), list with
//! thumbnails, alt text, a Markdown snippet to copy, delete.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::{Route, State, get, post, routes};
use rocket_db_pools::Connection;

use crate::config::Config;
use crate::db::media::{self as rows, KindFilter, Media};
use crate::db::{Db, FolioDb};
use crate::domain::media::{ALT_MAX, human_size};
use crate::domain::roles::Action;
use crate::domain::validation::{FieldErrors, long_text};
use crate::domain::{Timestamp, dates};
use crate::media::{self as store, Budget, Store, UploadError};
use crate::web::admin::confirm::DeletePrompt;
use crate::web::admin::{Desk, Shell, list_paging, query_string};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form as SmallForm;
use crate::web::forms::form_fragment;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};
use crate::web::view::{Meta, Paging, Site};

#[derive(Template)]
#[template(path = "admin/media/index.html", blocks = ["form"])]
pub struct MediaPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    items: Vec<Media>,
    q: String,
    kind: String,
    paging: Paging,
    errors: FieldErrors,
    limit: String,
    me: i64,
    may_manage_all: bool,
}

form_fragment!(MediaPage);

impl MediaPage<'_> {
    fn size(&self, m: &Media) -> String {
        human_size(m.byte_size.max(0) as u64)
    }

    fn date(&self, at: &Timestamp) -> String {
        dates::human(*at)
    }

    fn srcset(&self, m: &Media) -> String {
        srcset(m)
    }

    fn snippet(&self, m: &Media) -> String {
        if m.is_image() {
            format!("![{}](/media/{})", m.alt.replace(['[', ']'], ""), m.stored_name)
        } else {
            format!("[{}](/media/{})", m.original_name.replace(['[', ']'], ""), m.stored_name)
        }
    }

    fn may_change(&self, m: &Media) -> bool {
        self.may_manage_all || m.uploaded_by == Some(self.me)
    }
}

/// The `srcset` of an image: its resized copies and the original.
pub fn srcset(m: &Media) -> String {
    let mut parts: Vec<String> =
        m.variant_widths().iter().map(|w| format!("/media/{w}/{} {w}w", m.stored_name)).collect();
    if let Some(width) = m.width {
        parts.push(format!("/media/{} {width}w", m.stored_name));
    }
    parts.join(", ")
}

async fn page<'a>(
    db: &Db,
    desk: &'a Desk,
    config: &Config,
    q: &str,
    kind: &str,
    raw_page: Option<&str>,
    errors: FieldErrors,
) -> AppResult<MediaPage<'a>> {
    let filter = match kind {
        "images" => KindFilter::Images,
        "files" => KindFilter::Files,
        _ => KindFilter::Any,
    };
    let query = query_string(&[("q", q), ("kind", kind)]);
    let mut paging = list_paging(raw_page, 40, "/admin/media", &query);
    let items = paging.trim(rows::list(db, q, filter, paging.limit(), paging.offset()).await?);
    let (meta, shell) = desk.frame("media", "Media", "/admin/media");
    Ok(MediaPage {
        site: &desk.site,
        meta,
        shell,
        items,
        q: q.to_owned(),
        kind: kind.to_owned(),
        paging,
        errors,
        limit: human_size(config.settings.upload_limit),
        me: desk.user().id,
        may_manage_all: desk.can(Action::EditAllContent),
    })
}

#[get("/admin/media?<q>&<kind>&<page>")]
async fn index(
    db: Connection<FolioDb>,
    desk: Desk,
    config: &State<Config>,
    q: Option<&str>,
    kind: Option<&str>,
    page: Option<&str>,
) -> AppResult<Html> {
    desk.require(Action::WriteOwnPosts)?;
    let view =
        self::page(&db, &desk, config, q.unwrap_or("").trim(), kind.unwrap_or(""), page, FieldErrors::new())
            .await?;
    Html::page(&view)
}

#[derive(FromForm)]
pub struct UploadForm<'r> {
    file: Option<TempFile<'r>>,
}

#[post("/admin/media", data = "<form>")]
async fn upload(
    db: Connection<FolioDb>,
    desk: Desk,
    config: &State<Config>,
    media_store: &State<Store>,
    budget: &State<Budget>,
    form: Form<UploadForm<'_>>,
) -> AppResult<Answer> {
    desk.require(Action::WriteOwnPosts)?;
    let form = form.into_inner();
    let name = form
        .file
        .as_ref()
        .and_then(|file| file.raw_name())
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned())
        .unwrap_or_default();
    let limit = config.settings.upload_limit;
    // A refusal, busy included, comes back as a message at the file field with the library
    // around it (422, which htmx swaps in): the writer sees why and what to do where they are,
    // where a bare 503 page would take the page away.
    match store::upload(&db, media_store, budget, form.file.as_ref(), &name, limit, desk.user().id).await {
        Ok(_) => {
            let shown = crate::domain::media::display_name(&name);
            desk.audit(&db, "uploaded", &format!("file “{shown}”"), "").await?;
            Ok(done(desk.hx, "/admin/media", format!("Uploaded “{shown}”.")))
        }
        Err(UploadError::Refused(reason)) => refuse(&db, &desk, config, reason.to_string()).await,
        Err(UploadError::BrokenImage) => {
            refuse(&db, &desk, config, UploadError::BrokenImage.to_string()).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

async fn refuse(db: &Db, desk: &Desk, config: &Config, message: String) -> AppResult<Answer> {
    let mut errors = FieldErrors::new();
    errors.add("file", message);
    let view = page(db, desk, config, "", "", None, errors).await?;
    Ok(crate::web::forms::invalid(desk.hx, &view)?.into())
}

/// The file if this user may change it (theirs, or anyone's for editors).
async fn owned(db: &Db, desk: &Desk, id: i64) -> AppResult<Media> {
    desk.require(Action::WriteOwnPosts)?;
    let m = rows::find(db, id).await?.ok_or_else(AppError::not_found)?;
    if desk.can(Action::EditAllContent) || m.uploaded_by == Some(desk.user().id) {
        Ok(m)
    } else {
        Err(AppError::forbidden())
    }
}

#[derive(FromForm)]
pub struct AltForm {
    #[field(default = String::new())]
    alt: String,
}

#[post("/admin/media/<id>/alt", data = "<form>")]
async fn set_alt(
    db: Connection<FolioDb>,
    desk: Desk,
    id: i64,
    form: SmallForm<AltForm>,
) -> AppResult<Answer> {
    let m = owned(&db, &desk, id).await?;
    let alt = match long_text(&form.alt, ALT_MAX, "the description") {
        Ok(alt) => alt.replace('\n', " "),
        Err(e) => return Ok(failed(desk.hx, "/admin/media", e)),
    };
    rows::set_alt(&db, id, &alt).await?;
    desk.audit(&db, "described", &format!("file “{}”", m.original_name), "").await?;
    Ok(done(desk.hx, "/admin/media", format!("Saved the description of “{}”.", m.original_name)))
}

#[get("/admin/media/<id>/delete")]
async fn confirm_delete(db: Connection<FolioDb>, desk: Desk, id: i64) -> AppResult<Html> {
    let m = owned(&db, &desk, id).await?;
    let action = format!("/admin/media/{id}/delete");
    let mut view = DeletePrompt::new(&desk, "Delete this file?", &action, "/admin/media");
    view.message = format!(
        "“{}” will be deleted, with its resized copies. Posts that show it will show a broken image.",
        m.original_name
    );
    view.button = "Delete the file".into();
    Html::page(&view)
}

#[post("/admin/media/<id>/delete")]
async fn delete(
    db: Connection<FolioDb>,
    desk: Desk,
    media_store: &State<Store>,
    id: i64,
) -> AppResult<Answer> {
    let m = owned(&db, &desk, id).await?;
    store::remove(&db, media_store, &m).await.map_err(AppError::internal)?;
    desk.audit(&db, "deleted", &format!("file “{}”", m.original_name), "").await?;
    Ok(done(desk.hx, "/admin/media", format!("Deleted “{}”.", m.original_name)))
}

pub fn routes() -> Vec<Route> {
    routes![index, upload, set_alt, confirm_delete, delete]
}
