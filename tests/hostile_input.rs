//! Hostile input never reaches the database or a parser unchecked: control characters in any
//! URL or form, redirect targets that are not URIs, bodies larger than a route needs, and a busy
//! database, each answered with a 4xx or a 503, never a 500.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp};
use folio::db::Db;
use folio::domain::roles::Role;
use rocket::http::{ContentType, Header, Method, Status};

/// The POST routes that read a form, from their `data = "<…>"` in the source (the others read
/// no body at all), with dynamic segments filled in as [`routes_of`] does.
fn form_routes() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    let line = line.trim();
                    if let Some(rest) = line.strip_prefix("#[post(\"")
                        && line.contains("data = ")
                    {
                        let uri = &rest[..rest.find('"').unwrap()];
                        out.push(common::fill_segments(uri));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web")), &mut out);
    out
}

/// The routes that take a file (multipart, through Rocket's own form reader, whose limits
/// `upload_limit` raises): the media library and the subscribers' CSV import. A file is not a
/// text field, so the sweeps below check only that these never fail on hostile bodies.
const UPLOADS: [&str; 2] = ["/admin/media", "/admin/subscribers/import"];

/// Every route of `method`, with its dynamic segments filled in.
fn routes_of(app: &TestApp, method: Method) -> Vec<String> {
    app.route_paths(|m| m == method)
}

/// An owner's token with every scope: the API's write routes take a token, never the session, so
/// the sweeps below send them one.
async fn api_token(app: &TestApp, owner: &common::TestUser) -> String {
    use folio::domain::api_tokens::{NewApiToken, Scope, Scopes};
    let new = NewApiToken { name: "sweep".into(), scopes: Scopes::new([Scope::Admin]), days: None };
    folio::db::api_tokens::create(&app.db, owner.id, &new, folio::domain::now()).await.unwrap().secret
}

/// `body` of `content_type` posted to `path` with the bearer `secret`.
async fn bearer_post(
    app: &TestApp,
    path: &str,
    secret: &str,
    content_type: ContentType,
    body: Vec<u8>,
) -> Status {
    let req = app.client.post(path.to_owned()).header(content_type).body(body);
    req.header(Header::new("Authorization", format!("Bearer {secret}"))).dispatch().await.status()
}

async fn control_characters_in_any_url_or_form_are_refused(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let owner = app.signed_in(Role::Owner).await;
    let secret = api_token(&app, &owner).await;
    // The case from the report: a NUL in the admin's post search.
    assert_eq!(app.get("/admin/posts?q=a%00b").await.status, Status::BadRequest);
    for path in routes_of(&app, Method::Get) {
        for query in ["q=%00", "next=%0a", "page=%1F", "q=x%7f"] {
            let page = app.get(&format!("{path}?{query}")).await;
            assert_eq!(page.status, Status::BadRequest, "{path}?{query}");
            page.assert_contains("control character");
        }
    }
    let token = app.csrf().await;
    let forms = form_routes();
    assert!(forms.len() > 20, "{forms:?}");
    for path in routes_of(&app, Method::Post) {
        if !forms.contains(&path) || UPLOADS.contains(&path.as_str()) {
            continue;
        }
        if path.starts_with("/api/") {
            // The API reads JSON: the same text is refused by the same rules, member by member
            // (an upload, which takes no JSON, is refused as the wrong media type).
            let json = br#"{"title": "a\u0000b", "name": "x\u0007"}"#.to_vec();
            let status = bearer_post(&app, &path, &secret, ContentType::JSON, json).await;
            let expected = if path == "/api/v1/admin/media" { 415 } else { 422 };
            assert_eq!(status.code, expected, "POST {path}");
            continue;
        }
        let body = format!("_csrf={token}&title=a%00b&q=%00&email=x%00%40example.org");
        let page = app.post_raw(&path, body.into_bytes()).await;
        assert_eq!(page.status, Status::BadRequest, "POST {path}: {}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
}

async fn redirect_targets_that_are_not_uris_never_break_sign_in(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Author, "author@example.org").await;
    for next in ["/\"", "/<script>", "/a b", "/caf\u{e9}", "/%zz", "/\\evil", "//evil.example"] {
        let encoded = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
        let page = app.get(&format!("/sign-in?next={encoded}")).await;
        assert_eq!(page.status, Status::Ok, "{next}");
        let signed =
            app.submit("/sign-in", &[("email", &user.email), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(signed.status, Status::SeeOther, "{next}: {}", signed.body);
        assert!(signed.header("Set-Cookie").is_some_and(|c| c.contains("folio_session")), "{next}");
        let location = signed.header("Location").unwrap();
        assert!(location == "/admin" || location == "/account", "{next} → {location}");
        app.submit("/sign-out", &[]).await;
    }
}

async fn every_form_takes_no_more_than_it_needs(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let owner = app.signed_in(Role::Owner).await;
    let secret = api_token(&app, &owner).await;
    let filler = "x".repeat(100 * 1024);
    let forms = form_routes();
    for path in routes_of(&app, Method::Post) {
        if !forms.contains(&path) {
            continue;
        }
        let started = std::time::Instant::now();
        if path.starts_with("/api/") {
            // With a token: JSON routes take no form (415), the upload no 100 KiB of form fields
            // (413), and no route more JSON than a post needs.
            let form = format!("title={filler}").into_bytes();
            let status = bearer_post(&app, &path, &secret, ContentType::Form, form).await;
            let expected = if path == "/api/v1/admin/media" { 413 } else { 415 };
            assert_eq!(status.code, expected, "a form to {path}");
            if path != "/api/v1/admin/media" {
                let over = usize::try_from(folio::web::admin::editor::EDITOR_LIMIT).unwrap();
                let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(over)).into_bytes();
                let status = bearer_post(&app, &path, &secret, ContentType::JSON, huge).await;
                assert_eq!(status, Status::PayloadTooLarge, "more JSON than a post can be to {path}");
            }
            continue;
        }
        let page = app.upload(&path, &[("title", "x"), ("filler", &filler)], "x.txt", b"x").await;
        if UPLOADS.contains(&path.as_str()) {
            assert_ne!(page.status.class(), rocket::http::StatusClass::ServerError, "{path}");
            continue;
        }
        assert!(matches!(page.status.code, 413 | 415), "multipart to {path}: {}", page.status);
        let big = format!("_csrf={}&title={filler}", app.csrf().await);
        let page = app.post_raw(&path, big.into_bytes()).await;
        let editor =
            ["/admin/posts/save", "/admin/posts/autosave", "/admin/posts/preview", "/admin/pages/save"];
        if !editor.contains(&path.as_str()) {
            assert_eq!(page.status, Status::PayloadTooLarge, "100 KiB to {path}");
        }
        assert!(started.elapsed().as_secs() < 30);
    }
}

/// Holds the database's write lock (SQLite) or the sessions table (PostgreSQL) until dropped.
async fn hold_write_lock(db: &Db) -> Box<dyn std::any::Any + Send> {
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query("UPDATE users SET bio = bio").execute(&mut *tx).await.unwrap();
            Box::new(tx)
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await.unwrap();
            Box::new(tx)
        }
    }
}

async fn a_busy_database_answers_503_with_retry_after(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Author, "author@example.org").await;
    let token = app.csrf().await;
    let lock = hold_write_lock(&app.db).await;
    let started = std::time::Instant::now();
    let page = app
        .post(
            "/sign-in",
            &[("_csrf", &token), ("email", &user.email), ("password", PASSWORD), ("next", "")],
            &[],
        )
        .await;
    assert_eq!(page.status, Status::ServiceUnavailable, "{}", page.body);
    assert_eq!(page.header("Retry-After"), Some("5"));
    assert!(started.elapsed().as_secs() < 15, "gave up after the lock timeout");
    drop(lock);
    assert_eq!(
        app.sign_in(&user.email, PASSWORD).await.status,
        Status::SeeOther,
        "works once the lock is gone"
    );
}

both_backends!(
    control_characters_in_any_url_or_form_are_refused,
    redirect_targets_that_are_not_uris_never_break_sign_in,
    every_form_takes_no_more_than_it_needs,
    a_busy_database_answers_503_with_retry_after,
);
