//! `/admin/subscribers`: the newsletter's subscribers (search, filter, remove, CSV export and
//! import) and each mailing's report with a retry for failures. Administrators only: the list
//! is personal data, as the user list is.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header};
use rocket::{Route, get, post, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::mailings::{self, Report};
use crate::db::subscriber_lists::{self as lists, Imported, Show};
use crate::db::subscribers::Subscriber;
use crate::domain::newsletter::Cadence;
use crate::domain::roles::Action;
use crate::domain::subscriber_csv::{self, Refused};
use crate::domain::{dates, now};
use crate::web::admin::{Desk, Shell, list_paging, parse_id, query_string};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form as SmallForm;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done};
use crate::web::view::{Meta, Paging, Site};

const PER_PAGE: u32 = 50;
/// Mailings the report lists.
const REPORTS: i64 = 50;

#[derive(Template)]
#[template(path = "admin/subscribers/index.html")]
struct ListPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    tabs: Vec<(Show, i64)>,
    show: Show,
    q: String,
    rows: Vec<Subscriber>,
    total: i64,
    paging: Paging,
    /// What the last import did, shown once.
    import: Option<ImportReport>,
}

impl ListPage<'_> {
    fn query(&self) -> String {
        query_string(&[("show", self.show.as_str()), ("q", &self.q)])
    }

    fn date(&self, at: &Option<i64>) -> String {
        at.map(dates::human).unwrap_or_default()
    }

    fn day(&self, at: &i64) -> String {
        dates::human(*at)
    }
}

/// The result of an import: counts, and the rows refused with their line and reason.
struct ImportReport {
    file: String,
    added: usize,
    known: usize,
    confirmed: usize,
    refused: Vec<Refused>,
}

async fn list_page<'a>(
    db: &crate::db::Db,
    desk: &'a Desk,
    show: Show,
    q: String,
    page: Option<&str>,
    import: Option<ImportReport>,
) -> AppResult<ListPage<'a>> {
    let mut paging = list_paging(
        page,
        PER_PAGE,
        "/admin/subscribers",
        &query_string(&[("show", show.as_str()), ("q", &q)]),
    );
    let (rows, total) = lists::list(db, show, &q, paging.limit(), paging.offset()).await?;
    let rows = paging.trim(rows);
    let (meta, shell) = desk.frame("subscribers", "Subscribers", "/admin/subscribers");
    Ok(ListPage {
        site: &desk.site,
        meta,
        shell,
        tabs: lists::counts(db).await?,
        show,
        q,
        rows,
        total,
        paging,
        import,
    })
}

#[get("/admin/subscribers?<show>&<q>&<page>")]
async fn index(
    db: Connection<FolioDb>,
    desk: Desk,
    show: Option<&str>,
    q: Option<&str>,
    page: Option<&str>,
) -> AppResult<Html> {
    desk.require(Action::ManageUsers)?;
    let show = Show::parse(show.unwrap_or(""));
    let view = list_page(&db, &desk, show, q.unwrap_or("").trim().to_owned(), page, None).await?;
    Html::page(&view)
}

#[derive(Debug, FromForm)]
struct RemoveForm {
    #[field(default = Vec::new())]
    ids: Vec<String>,
    #[field(default = String::new())]
    back: String,
}

#[post("/admin/subscribers/remove", data = "<form>")]
async fn remove(db: Connection<FolioDb>, desk: Desk, form: SmallForm<RemoveForm>) -> AppResult<Answer> {
    desk.require(Action::ManageUsers)?;
    let ids: Vec<i64> = form.ids.iter().filter_map(|id| parse_id(Some(id))).collect();
    let gone = lists::remove(&db, &ids, now()).await?;
    if gone > 0 {
        desk.audit(&db, "removed", &format!("{gone} subscriber(s)"), "").await?;
    }
    let back = format!("/admin/subscribers?{}", form.back.trim_start_matches('?'));
    let message = if gone == 0 {
        "Tick the subscribers to remove first.".to_owned()
    } else {
        format!("Removed {gone} subscriber(s).")
    };
    Ok(done(desk.hx, back, message))
}

/// The export: every subscriber with their consent, as CSV, cells neutralised.
struct CsvFile(Vec<u8>);

impl<'r> rocket::response::Responder<'r, 'static> for CsvFile {
    fn respond_to(self, _req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(ContentType::new("text", "csv").with_params(("charset", "utf-8")))
            .header(Header::new("Content-Disposition", "attachment; filename=\"subscribers.csv\""))
            .header(Header::new("Cache-Control", "private, no-store"))
            .sized_body(self.0.len(), std::io::Cursor::new(self.0))
            .ok()
    }
}

#[get("/admin/subscribers/export.csv")]
async fn export(db: Connection<FolioDb>, desk: Desk) -> AppResult<CsvFile> {
    desk.require(Action::ManageUsers)?;
    let rows = lists::export(&db).await?;
    desk.audit(&db, "exported", &format!("{} subscriber(s)", rows.len()), "").await?;
    let at = |t: Option<i64>| t.map(dates::iso).unwrap_or_default();
    let cells = rows.into_iter().map(|s| {
        [
            s.email,
            s.status,
            s.cadence,
            s.source,
            dates::iso(s.created_at),
            at(s.consent_at),
            s.consent_how,
            s.consent_addr,
            at(s.unsubscribed_at),
            s.bounces.to_string(),
        ]
    });
    Ok(CsvFile(subscriber_csv::write(cells).map_err(AppError::internal)?))
}

#[derive(FromForm)]
struct ImportForm<'r> {
    file: Option<TempFile<'r>>,
}

#[post("/admin/subscribers/import", data = "<form>")]
async fn import(db: Connection<FolioDb>, desk: Desk, form: Form<ImportForm<'_>>) -> AppResult<Html> {
    desk.require(Action::ManageUsers)?;
    let form = form.into_inner();
    let name = form
        .file
        .as_ref()
        .and_then(|f| f.raw_name())
        .map(|n| crate::domain::media::display_name(n.dangerous_unsafe_unsanitized_raw().as_str()))
        .unwrap_or_default();
    let bytes = match &form.file {
        Some(file) if file.len() > 0 => read(file).await?,
        _ => return refuse(&db, &desk, &name, "Choose a CSV file to import.").await,
    };
    let parsed = match subscriber_csv::parse(&bytes) {
        Ok(p) => p,
        Err(reason) => return refuse(&db, &desk, &name, &reason).await,
    };
    let rows: Vec<Imported> = parsed
        .rows
        .iter()
        .map(|r| Imported {
            email: r.email.clone(),
            cadence: if r.cadence == Cadence::Digest { "digest" } else { "post" },
            confirmed: r.confirmed,
        })
        .collect();
    let added = lists::import(&db, &rows, &name, now()).await?;
    let count = added.iter().filter(|a| **a).count();
    let confirmed = rows.iter().zip(&added).filter(|(r, a)| **a && r.confirmed).count();
    desk.audit(&db, "imported", &format!("{count} subscriber(s)"), &format!("from “{name}”")).await?;
    let report = ImportReport {
        file: name,
        added: count,
        known: rows.len() - count,
        confirmed,
        refused: parsed.refused,
    };
    Html::page(&list_page(&db, &desk, Show::All, String::new(), None, Some(report)).await?)
}

async fn read(file: &TempFile<'_>) -> AppResult<Vec<u8>> {
    use rocket::tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let mut reader = file.open().await.map_err(AppError::internal)?;
    reader.read_to_end(&mut bytes).await.map_err(AppError::internal)?;
    Ok(bytes)
}

async fn refuse(db: &crate::db::Db, desk: &Desk, file: &str, reason: &str) -> AppResult<Html> {
    let refused = vec![Refused { line: 0, value: String::new(), reason: reason.to_owned() }];
    let report = ImportReport { file: file.to_owned(), added: 0, known: 0, confirmed: 0, refused };
    let view = list_page(db, desk, Show::All, String::new(), None, Some(report)).await?;
    Ok(Html::page(&view)?.with_status(rocket::http::Status::UnprocessableEntity))
}

#[derive(Template)]
#[template(path = "admin/subscribers/mailings.html")]
struct MailingsPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    reports: Vec<Report>,
}

impl MailingsPage<'_> {
    fn date(&self, at: &i64) -> String {
        dates::human(*at)
    }
}

#[get("/admin/subscribers/mailings")]
async fn mailings_page(db: Connection<FolioDb>, desk: Desk) -> AppResult<Html> {
    desk.require(Action::ManageUsers)?;
    let (meta, shell) = desk.frame("subscribers", "Mailings", "/admin/subscribers/mailings");
    Html::page(&MailingsPage {
        site: &desk.site,
        meta,
        shell,
        reports: mailings::reports(&db, REPORTS).await?,
    })
}

#[post("/admin/subscribers/mailings/<id>/retry")]
async fn retry(
    db: Connection<FolioDb>,
    desk: Desk,
    mailer: &rocket::State<crate::mail::Mailer>,
    id: i64,
) -> AppResult<Answer> {
    desk.require(Action::ManageUsers)?;
    let n = mailings::retry_failed(&db, id, now()).await?;
    if n > 0 {
        desk.audit(&db, "retried", &format!("mailing #{id}"), &format!("{n} message(s)")).await?;
        mailer.wake();
    }
    Ok(done(desk.hx, "/admin/subscribers/mailings", format!("{n} failed message(s) queued again.")))
}

pub fn routes() -> Vec<Route> {
    routes![index, remove, export, import, mailings_page, retry]
}
