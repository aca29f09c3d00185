//! Personal access tokens: made at `/account/tokens` (shown once) and by `folio token create`,
//! listed, revoked, expired; bearer authentication of `/api/v1/me` and
//! `DELETE /api/v1/tokens/current`; the CSRF exemption of bearer requests and the cookie that
//! never authenticates the API; the per-token rate limit; problem+json answers.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, Browser, Page, TestApp, TestDb};
use folio::domain::api_tokens::PREFIX;
use folio::domain::roles::Role;
use rocket::http::{Method, Status};

/// A request with `headers`, read whole.
async fn call(b: &Browser, method: Method, path: &str, headers: &[(&str, &str)]) -> Page {
    b.send(method, path, headers, None).await
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

/// `GET /api/v1/me` with `secret`.
async fn me(b: &Browser, secret: &str) -> Page {
    call(b, Method::Get, "/api/v1/me", &[("Authorization", &bearer(secret))]).await
}

/// Asserts an RFC 9457 problem with `status`, and returns its JSON.
fn problem(page: &Page, status: Status) -> serde_json::Value {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(page.header("Content-Type"), Some("application/problem+json"), "{}", page.body);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["status"], status.code, "{json}");
    assert_eq!(json["type"], "about:blank");
    assert!(json["title"].is_string() && json["detail"].is_string(), "{json}");
    json
}

/// Submits the create form in `b` and returns the answer.
async fn create(b: &Browser, name: &str, scopes: &[&str], days: &str) -> Page {
    let mut fields = vec![("name", name)];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    fields.push(("days", days));
    b.submit("/account/tokens", &fields).await
}

/// The secret shown in a create answer.
fn secret_in(page: &Page) -> String {
    let start = page.body.find(PREFIX).unwrap_or_else(|| panic!("no secret in:\n{}", page.body));
    page.body[start..start + PREFIX.len() + 64].to_owned()
}

/// Creates a token in `b` and returns its secret.
async fn token(b: &Browser, name: &str, scopes: &[&str], days: &str) -> String {
    let page = create(b, name, scopes, days).await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    secret_in(&page)
}

async fn a_token_made_in_the_browser_is_shown_once_and_speaks_for_its_owner(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let author = app.signed_in(Role::Author).await;
    let form = app.get("/account/tokens").await;
    assert_eq!(form.status, Status::Ok);
    for offered in ["value=\"read\"", "value=\"posts\"", "value=\"media\""] {
        form.assert_contains(offered);
    }
    form.assert_lacks("value=\"admin\"");
    assert!(
        app.get("/account").await.body.contains("href=\"/account/tokens\""),
        "linked from the account nav"
    );

    let made = create(&app, "  CI notes ", &["posts", "read"], "30").await;
    assert_eq!(made.status, Status::Ok, "{}", made.body);
    assert!(made.header("Cache-Control").is_some_and(|c| c.contains("no-store")), "{:?}", made.headers);
    assert!(made.header("Location").is_none());
    let secret = secret_in(&made);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 1);
    let digest = folio::domain::secrets::digest(&secret);
    let stored =
        format!("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{digest}' AND name = 'CI notes'");
    assert_eq!(app.count(&stored).await, 1, "only the hash is kept");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{secret}'")).await, 0);
    let expires = app.count("SELECT expires_at - created_at FROM api_tokens").await;
    assert_eq!(expires, 30 * 86_400);

    let list = app.get("/account/tokens").await;
    list.assert_contains("CI notes");
    list.assert_contains("read, posts");
    list.assert_lacks(&secret);
    list.assert_lacks(PREFIX);

    let stranger = app.browser().await;
    let who = me(&stranger, &secret).await;
    assert_eq!(who.status, Status::Ok, "{}", who.body);
    let json: serde_json::Value = serde_json::from_str(&who.body).unwrap();
    assert_eq!(json["id"], author.id);
    assert_eq!(json["name"], "author");
    assert_eq!(json["role"], "author");
    assert_eq!(json["token_name"], "CI notes");
    assert_eq!(json["scopes"], serde_json::json!(["read", "posts"]));
    assert!(who.header("Cache-Control").is_some_and(|c| c.contains("no-store")), "{:?}", who.headers);
    assert!(who.header("ETag").is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL").await, 1);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'created' AND subject LIKE '%CI notes%'";
    assert_eq!(app.count(audited).await, 1);
    let lower =
        call(&stranger, Method::Get, "/api/v1/me", &[("Authorization", &format!("bearer {secret}"))]).await;
    assert_eq!(lower.status, Status::Ok, "the scheme is case-insensitive (RFC 9110, section 11.1)");

    // With htmx, the answer is the page's tokens block, secret and all, swapped in place.
    let csrf = app.csrf().await;
    let fields = [("_csrf", csrf.as_str()), ("name", "Via htmx"), ("scopes", "media"), ("days", "")];
    let hx = app.post("/account/tokens", &fields, &[("HX-Request", "true")]).await;
    assert_eq!(hx.status, Status::Ok, "{}", hx.body);
    assert!(hx.body.trim_start().starts_with("<div id=\"tokens\">"), "a fragment: {}", hx.body);
    assert!(hx.header("Cache-Control").is_some_and(|c| c.contains("no-store")));
    let via_htmx = secret_in(&hx);
    assert_eq!(me(&stranger, &via_htmx).await.status, Status::Ok);
    hx.assert_contains("Via htmx");
}

async fn a_form_with_mistakes_comes_back_with_a_message_per_field(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Contributor).await;
    let page = create(&app, " ", &[], "0").await;
    assert_eq!(page.status, Status::UnprocessableEntity, "{}", page.body);
    page.assert_contains("Enter a name for the token.");
    page.assert_contains("Choose at least one scope.");
    page.assert_contains("from 1 to 3650");
    let beyond = create(&app, "Deploy", &["pages", "posts"], "").await;
    beyond.assert_contains("Your role cannot use the pages scope.");
    beyond.assert_contains("value=\"Deploy\"");
    beyond.assert_contains("value=\"posts\" checked");
    beyond.assert_form_lacks(PREFIX);
    let token = app.csrf().await;
    let hx = app
        .post(
            "/account/tokens",
            &[("_csrf", &token), ("name", ""), ("scopes", "read"), ("days", "")],
            &[("HX-Request", "true")],
        )
        .await;
    assert_eq!(hx.status, Status::UnprocessableEntity);
    assert!(hx.body.trim_start().starts_with("<div id=\"tokens\">"), "a fragment: {}", hx.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);
}

async fn members_have_no_api_tokens(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Member).await;
    assert_eq!(app.get("/account/tokens").await.status, Status::Forbidden);
    assert_eq!(create(&app, "x", &["read"], "").await.status, Status::Forbidden);
    app.get("/account").await.assert_lacks("/account/tokens");
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);
}

async fn a_session_cookie_never_calls_the_api_and_a_bearer_token_needs_no_csrf_token(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let secret = token(&app, "Script", &["read"], "").await;

    // The signed-in browser's cookie alone: 401 on both, with a valid CSRF token or without one
    // (then the CSRF check refuses it first, as it refuses every cookie-authenticated write).
    let cookie_only = call(&app, Method::Get, "/api/v1/me", &[]).await;
    problem(&cookie_only, Status::Unauthorized);
    assert_eq!(cookie_only.header("WWW-Authenticate"), Some(r#"Bearer realm="folio""#));
    let csrf = app.csrf().await;
    let with_csrf = call(&app, Method::Delete, "/api/v1/tokens/current", &[("X-CSRF-Token", &csrf)]).await;
    problem(&with_csrf, Status::Unauthorized);
    // Refused as a problem document, not the site's HTML page (schemathesis found the page, a
    // status and a type the document did not list).
    let without = call(&app, Method::Delete, "/api/v1/tokens/current", &[]).await;
    let refused = problem(&without, Status::Forbidden);
    assert!(refused["detail"].as_str().unwrap().contains("Authorization: Bearer"), "{refused}");

    // A cookie-authenticated form without its CSRF token is refused as before, and a bearer
    // header does not turn the cookie into a way past the check.
    let profile = [("display_name", "Forged"), ("bio", ""), ("avatar_url", "")];
    assert_eq!(app.post("/account", &profile, &[]).await.status, Status::Forbidden);
    let smuggled = app.post("/account", &profile, &[("Authorization", &bearer(&secret))]).await;
    assert!(smuggled.header("Location").is_some_and(|l| l.starts_with("/sign-in")), "signed out, not saved");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Forged'").await, 0);

    // The token, from a client with no cookies and no CSRF token, revokes itself.
    let script = app.browser().await;
    let revoked =
        call(&script, Method::Delete, "/api/v1/tokens/current", &[("Authorization", &bearer(&secret))]).await;
    assert_eq!(revoked.status, Status::NoContent, "{}", revoked.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL").await, 1);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'revoked' AND subject LIKE '%Script%'";
    assert_eq!(app.count(audited).await, 1);
    let after = problem(&me(&script, &secret).await, Status::Unauthorized);
    assert!(after["detail"].as_str().unwrap().contains("revoked"), "{after}");
}

async fn revoked_expired_disabled_and_malformed_tokens_are_refused(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let editor = app.signed_in(Role::Editor).await;
    let day = token(&app, "One day", &["read"], "1").await;
    let forever = token(&app, "Forever", &["read"], "").await;
    let client = app.browser().await;
    assert_eq!(me(&client, &day).await.status, Status::Ok);

    for garbage in ["nonsense", &forever[PREFIX.len()..], &format!("{PREFIX}{}", "0".repeat(64))] {
        let refused = me(&client, garbage).await;
        problem(&refused, Status::Unauthorized);
        let challenge = refused.header("WWW-Authenticate").unwrap();
        assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
    }
    let basic = call(&client, Method::Get, "/api/v1/me", &[("Authorization", "Basic YTpi")]).await;
    problem(&basic, Status::Unauthorized);

    // Two days on, the one-day token has expired (the app's clock moves, not the test's).
    app.advance_clock(2 * 86_400);
    problem(&me(&app, &day).await, Status::Unauthorized);
    assert_eq!(me(&app, &forever).await.status, Status::Ok, "a token without expiry lives on");
    app.sql("UPDATE api_tokens SET expires_at = 1 WHERE name = 'One day'").await;
    app.get("/account/tokens").await.assert_contains("(expired)");

    app.sql(&format!("UPDATE users SET role = 'member' WHERE id = {}", editor.id)).await;
    problem(&me(&client, &forever).await, Status::Unauthorized);
    app.sql(&format!("UPDATE users SET role = 'editor', disabled_at = 1 WHERE id = {}", editor.id)).await;
    problem(&me(&client, &forever).await, Status::Unauthorized);
    app.sql(&format!("UPDATE users SET disabled_at = NULL WHERE id = {}", editor.id)).await;
    assert_eq!(me(&client, &forever).await.status, Status::Ok);
}

async fn tokens_are_revoked_by_their_owner_or_an_administrator(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let first = token(&app, "First", &["read"], "").await;
    let second = token(&app, "Second", &["posts"], "").await;
    let id_of = |name: &str| format!("SELECT id FROM api_tokens WHERE name = '{name}'");
    let (first_id, second_id) = (app.count(&id_of("First")).await, app.count(&id_of("Second")).await);

    let (_, other) = app.browser_as(Role::Editor).await;
    let theirs = other.submit("/account/tokens/revoke", &[("token", &first_id.to_string())]).await;
    assert_eq!(theirs.status, Status::NotFound, "an editor cannot revoke another's token");
    assert_eq!(me(&other, &first).await.status, Status::Ok);

    let mine = app.submit("/account/tokens/revoke", &[("token", &first_id.to_string())]).await;
    assert_eq!(mine.status, Status::SeeOther);
    assert_eq!(mine.header("Location"), Some("/account/tokens"));
    problem(&me(&other, &first).await, Status::Unauthorized);
    app.get("/account/tokens").await.assert_contains("Revoked ");
    let again = app.submit("/account/tokens/revoke", &[("token", &first_id.to_string())]).await;
    assert_eq!(again.status, Status::SeeOther, "already revoked: a notice, nothing else");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'revoked'").await, 1);

    let (_, admin) = app.browser_as(Role::Admin).await;
    let by_admin = admin.submit("/account/tokens/revoke", &[("token", &second_id.to_string())]).await;
    assert_eq!(by_admin.status, Status::SeeOther);
    problem(&me(&other, &second).await, Status::Unauthorized);
}

async fn each_token_has_its_own_rate_limit(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let busy = token(&app, "Busy", &["read"], "").await;
    let calm = token(&app, "Calm", &["read"], "").await;
    let id = app.count("SELECT id FROM api_tokens WHERE name = 'Busy'").await;
    let client = app.browser().await;
    assert_eq!(me(&client, &busy).await.status, Status::Ok, "the first request of the minute");
    // 599 more in the same minute fill the limit of 600.
    let now = folio::domain::now();
    let rows: Vec<String> = (0..599).map(|_| format!("('api-token:{id}', {now})")).collect();
    app.sql(&format!("INSERT INTO sign_in_failures (scope, at) VALUES {}", rows.join(", "))).await;
    let limited = me(&client, &busy).await;
    problem(&limited, Status::TooManyRequests);
    let wait: u64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(me(&client, &calm).await.status, Status::Ok, "another token counts apart");
}

async fn api_errors_are_problems_never_pages_or_redirects(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let missing = call(&app, Method::Get, "/api/v1/nowhere", &[]).await;
    problem(&missing, Status::NotFound);
    let anonymous = call(&app, Method::Get, "/api/v1/me", &[]).await;
    let json = problem(&anonymous, Status::Unauthorized);
    assert_eq!(json["title"], "Unauthorized");
    assert!(anonymous.header("Location").is_none());
}

async fn the_command_line_creates_a_token_and_prints_it_once(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.connect().await;
    let email = folio::domain::email::Email::parse("ci@example.org").unwrap();
    let new = folio::db::users::NewUser {
        email: &email,
        display_name: "CI",
        role: Role::Editor,
        password_hash: "x",
        email_confirmed: true,
    };
    folio::db::users::create(&db, &new, folio::domain::now()).await.unwrap();
    let run = |args: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
            .current_dir(dir.path())
            .args(args)
            .env("DATABASE_URL", &test_db.url)
            .env("ROCKET_LOG_LEVEL", "off")
            .output()
            .unwrap()
    };
    let args = ["token", "create", "--email", "ci@example.org", "--scope", "posts", "--scope", "pages"];
    let out = run(&[&args[..], &["--expires", "7", "--name", "Releases"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let secret = stdout.trim();
    assert!(secret.starts_with(PREFIX), "{secret}");
    let found =
        folio::db::api_tokens::authenticate(&db, secret, folio::domain::now()).await.unwrap().unwrap();
    assert_eq!(found.token_name, "Releases");
    assert_eq!(found.scopes.to_stored(), "posts pages");

    let bad = run(&["token", "create", "--email", "ci@example.org", "--scope", "admin", "--expires", "0"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--scope: Your role cannot use the admin scope.") && err.contains("--expires"),
        "{err}"
    );
    let nobody = run(&["token", "create", "--email", "nobody@example.org", "--scope", "read"]);
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no account uses nobody@example.org"));
    assert!(!run(&["token", "create", "--email", "ci@example.org"]).status.success(), "a scope is required");
    let count: i64 = match &db {
        folio::db::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens").fetch_one(pool).await
        }
        folio::db::Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens").fetch_one(pool).await
        }
    }
    .unwrap();
    assert_eq!(count, 1);
}

both_backends!(
    a_token_made_in_the_browser_is_shown_once_and_speaks_for_its_owner,
    a_form_with_mistakes_comes_back_with_a_message_per_field,
    members_have_no_api_tokens,
    a_session_cookie_never_calls_the_api_and_a_bearer_token_needs_no_csrf_token,
    revoked_expired_disabled_and_malformed_tokens_are_refused,
    tokens_are_revoked_by_their_owner_or_an_administrator,
    each_token_has_its_own_rate_limit,
    api_errors_are_problems_never_pages_or_redirects,
    the_command_line_creates_a_token_and_prints_it_once,
);
