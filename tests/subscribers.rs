//! The newsletter's subscribers in the admin (issue 18): CSV import with a report of the rows
//! refused, consent kept as the file says, filters and search, removal, an export that a
//! spreadsheet cannot run as formulas, who may see it all, and a mailing's retry.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::smtp::SmtpSink;
use common::{Backend, TestApp, editor_fields, with};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

const FILE: &str = "Email,Name,cadence,confirmed\n\
ann@example.org,Ann,post,yes\n\
Bob@Example.org,Bob,digest,yes\n\
cy@example.org,Cy,,no\n\
not an address,Nobody,,yes\n\
ann@example.org,Ann again,,yes\n\
=1+2@example.org,Formula,post,yes\n\
-x@example.org,Dash,weekly,yes\n";

async fn imported(backend: Backend) -> (TestApp, common::Browser) {
    let app = TestApp::new(backend, base()).await;
    let (_, admin) = app.browser_as(Role::Admin).await;
    let report = admin.upload("/admin/subscribers/import", &[], "list.csv", FILE.as_bytes()).await;
    assert_eq!(report.status, Status::Ok, "{}", report.body);
    report.assert_contains("Added 4");
    report.assert_contains("refused: 3");
    // Each refused row with its line and why.
    report.assert_contains("<td>5</td><td>not an address</td>");
    report.assert_contains("in the file already");
    report.assert_contains("must be “post” or “digest”");
    (app, admin)
}

async fn an_import_keeps_consent_as_the_file_says_and_refuses_bad_rows(backend: Backend) {
    let (app, admin) = imported(backend).await;
    let status = |email: &'static str| {
        let app = &app;
        async move {
            app.text(&format!("SELECT status || '/' || cadence FROM subscribers WHERE email = '{email}'"))
                .await
        }
    };
    assert_eq!(status("ann@example.org").await, "subscribed/post");
    assert_eq!(status("bob@example.org").await, "subscribed/digest", "addresses are lowercased");
    assert_eq!(status("cy@example.org").await, "unconfirmed/post", "confirmed only when the file says so");
    let how = app.text("SELECT consent_how FROM subscribers WHERE email = 'ann@example.org'").await;
    assert!(how.contains("list.csv"), "{how}");

    // Importing the same file again adds nobody and changes nobody.
    let again = admin.upload("/admin/subscribers/import", &[], "list.csv", FILE.as_bytes()).await;
    again.assert_contains("Added 0");
    assert_eq!(app.count("SELECT COUNT(*) FROM subscribers").await, 4);

    // A file without an email column is refused whole, with the reason.
    let bad = admin.upload("/admin/subscribers/import", &[], "x.csv", b"name\nAnn\n").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("must name an “email” column");
}

async fn the_list_filters_searches_removes_and_exports_safely(backend: Backend) {
    let (app, admin) = imported(backend).await;
    let digest = admin.get("/admin/subscribers?show=digest").await;
    digest.assert_contains("bob@example.org");
    digest.assert_lacks("ann@example.org");
    let unconfirmed = admin.get("/admin/subscribers?show=unconfirmed").await;
    unconfirmed.assert_contains("cy@example.org");
    unconfirmed.assert_lacks("bob@example.org");
    let found = admin.get("/admin/subscribers?q=ANN").await;
    found.assert_contains("ann@example.org");
    found.assert_lacks("cy@example.org");

    let (status, headers, bytes) = admin.get_bytes("/admin/subscribers/export.csv").await;
    assert_eq!(status, Status::Ok);
    let header =
        |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    assert!(header("Content-Type").unwrap().starts_with("text/csv"));
    assert!(header("Content-Disposition").unwrap().starts_with("attachment"));
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let emails: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert!(emails.contains(&"'=1+2@example.org"), "formula cells are neutralised: {emails:?}");
    assert!(emails.contains(&"ann@example.org"));
    assert_eq!(&reader.headers().unwrap()[5], "consent_at");

    let id = app.count("SELECT id FROM subscribers WHERE email = 'cy@example.org'").await.to_string();
    let removed =
        admin.submit("/admin/subscribers/remove", &[("ids", &id), ("back", "show=unconfirmed")]).await;
    assert_eq!(removed.status, Status::SeeOther);
    assert_eq!(removed.header("Location"), Some("/admin/subscribers?show=unconfirmed"));
    assert_eq!(app.count("SELECT COUNT(*) FROM subscribers").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('imported', 'exported', 'removed')").await,
        3
    );
}

async fn only_administrators_see_subscribers(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    for role in [Role::Editor, Role::Author] {
        let (_, b) = app.browser_as(role).await;
        for path in ["/admin/subscribers", "/admin/subscribers/export.csv", "/admin/subscribers/mailings"] {
            assert_eq!(b.get(path).await.status, Status::Forbidden, "{role:?} {path}");
        }
        b.get("/admin").await.assert_lacks("/admin/subscribers");
    }
    let (_, admin) = app.browser_as(Role::Admin).await;
    admin.get("/admin").await.assert_contains("href=\"/admin/subscribers\"");
}

/// A message given up on is queued again from the report, and goes.
async fn a_mailing_s_failures_are_retried_from_its_report(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::with_config(backend, base(), Figment::new().merge(("smtp_url", sink.url()))).await;
    app.sql(
        "INSERT INTO subscribers (email, status, cadence, source, created_at, changed_at)
         VALUES ('late@example.org', 'subscribed', 'post', 'import', 1, 1)",
    )
    .await;
    sink.refuse(true);
    let (_, admin) = app.browser_as(Role::Admin).await;
    let fields = with(editor_fields("Retried news", "Text.", "publish"), &[("newsletter", "send")]);
    assert_eq!(admin.submit("/admin/posts/save", &fields).await.status, Status::SeeOther);
    app.eventually("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL AND attempts > 0", 1).await;
    // As after its last attempt.
    app.sql("UPDATE outbox SET failed_at = 1, last_error = 'gave up' WHERE mailing_id IS NOT NULL").await;
    let report = admin.get("/admin/subscribers/mailings").await;
    report.assert_contains("Retried news");
    report.assert_contains("Retry");
    sink.refuse(false);
    let id = app.count("SELECT id FROM mailings").await;
    let retried = admin.submit(&format!("/admin/subscribers/mailings/{id}/retry"), &[]).await;
    assert_eq!(retried.status, Status::SeeOther);
    sink.wait_for_text("late@example.org", "Retried news").await;
    app.eventually("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL AND sent_at IS NOT NULL", 1)
        .await;
}

both_backends!(
    an_import_keeps_consent_as_the_file_says_and_refuses_bad_rows,
    the_list_filters_searches_removes_and_exports_safely,
    only_administrators_see_subscribers,
    a_mailing_s_failures_are_retried_from_its_report,
);
