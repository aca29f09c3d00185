//! The write API (`/api/v1/admin/…`): posts and pages created, changed, published, scheduled,
//! unpublished and deleted through bearer tokens under the admin's role rules, with `If-Match`
//! optimistic locking (412, 428), problem+json validation errors (422) naming the members,
//! tags, series and media; the audit log names the token; a cookie alone cannot write.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, Browser, Page, TestApp, TestUser};
use folio::db::api_tokens::{self, Created};
use folio::domain::api_tokens::{NewApiToken, Scope, Scopes};
use folio::domain::roles::Role;
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{Value, json};

/// A token for `user` with `scopes`, stored directly (the forms are tested in `api_tokens.rs`).
async fn token(app: &TestApp, user: &TestUser, name: &str, scopes: &[Scope]) -> String {
    let new = NewApiToken { name: name.into(), scopes: Scopes::new(scopes.iter().copied()), days: None };
    let Created { secret, .. } =
        api_tokens::create(&app.db, user.id, &new, folio::domain::now()).await.unwrap();
    secret
}

/// A request with a bearer `secret` (when not empty), `headers` and a JSON `body`, read whole.
async fn call(
    b: &Browser,
    method: Method,
    path: &str,
    secret: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Page {
    let bearer = format!("Bearer {secret}");
    let mut all = headers.to_vec();
    if !secret.is_empty() {
        all.push(("Authorization", &bearer));
    }
    b.send(method, path, &all, body.map(|v| v.to_string()).as_deref()).await
}

fn json_of(page: &Page, status: Status) -> Value {
    assert_eq!(page.status, status, "{}", page.body);
    serde_json::from_str(&page.body).unwrap_or(Value::Null)
}

/// Asserts a problem document with `status` and returns the names its `errors` list.
fn problem(page: &Page, status: Status) -> Vec<String> {
    assert_eq!(page.status, status, "{}", page.body);
    assert_eq!(page.header("Content-Type"), Some("application/problem+json"), "{}", page.body);
    let json: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["status"], status.code, "{json}");
    json["errors"].as_array().map_or_else(Vec::new, |list| {
        list.iter().map(|e| e["name"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

async fn an_author_writes_publishes_unpublishes_and_deletes_a_post(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let author = app.user(Role::Author, "ann@example.org").await;
    let secret = token(&app, &author, "Writer", &[Scope::Read, Scope::Posts]).await;
    let b: &Browser = &app;

    let body = json!({"title": "From the API", "body_markdown": "Hello *API*.", "tags": ["Rust", "Tools"]});
    let created = call(b, Method::Post, "/api/v1/admin/posts", &secret, &[], Some(body)).await;
    let post = json_of(&created, Status::Created);
    let id = post["id"].as_i64().unwrap();
    assert_eq!(created.header("ETag"), Some("\"v1\""));
    assert!(created.header("Location").unwrap().ends_with(&format!("/api/v1/admin/posts/{id}")));
    assert_eq!(post["status"], "draft");
    assert_eq!(post["slug"], "from-the-api");
    assert_eq!(post["tags"], json!(["Rust", "Tools"]));
    assert_eq!(
        app.get("/api/v1/posts/slug/from-the-api").await.status,
        Status::NotFound,
        "a draft is not public"
    );

    let path = format!("/api/v1/admin/posts/{id}");
    let publish = json!({"status": "published"});
    problem(&call(b, Method::Patch, &path, &secret, &[], Some(publish.clone())).await, Status::new(428));
    let published =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "\"v1\"")], Some(publish.clone())).await;
    assert_eq!(json_of(&published, Status::Ok)["status"], "published");
    assert_eq!(published.header("ETag"), Some("\"v2\""));
    assert_eq!(app.get("/posts/from-the-api").await.status, Status::Ok);
    let public = json_of(&app.get("/api/v1/posts/slug/from-the-api").await, Status::Ok);
    assert!(public["body_html"].as_str().unwrap().contains("<em>API</em>"), "{public}");

    // A change made from version 1 after version 2 was saved is refused, never merged.
    let stale =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "\"v1\"")], Some(json!({"title": "Old"})))
            .await;
    problem(&stale, Status::PreconditionFailed);
    let weak =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "W/\"v2\"")], Some(json!({"title": "Old"})))
            .await;
    problem(&weak, Status::PreconditionFailed);
    // Strong comparison is of the exact tag: "v02" is not "v2".
    let padded =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "\"v02\"")], Some(json!({"title": "Old"})));
    problem(&padded.await, Status::PreconditionFailed);
    // The precondition is judged before the body: a stale change with a bad body is 412, not 422.
    let stale_bad =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "\"v1\"")], Some(json!({"tags": ["a,b"]})));
    problem(&stale_bad.await, Status::PreconditionFailed);
    assert_eq!(
        json_of(&call(b, Method::Get, &path, &secret, &[], None).await, Status::Ok)["title"],
        "From the API"
    );

    let renamed =
        // Any listed tag may name the current version (RFC 9110, section 13.1.1).
        call(b, Method::Patch, &path, &secret, &[("If-Match", "\"v1\", \"v2\"")], Some(json!({"title": "Renamed"})))
            .await;
    let renamed = json_of(&renamed, Status::Ok);
    assert_eq!((renamed["title"].as_str(), renamed["status"].as_str()), (Some("Renamed"), Some("published")));
    assert_eq!(renamed["body_markdown"], "Hello *API*.", "members left out keep their values");

    let draft =
        call(b, Method::Patch, &path, &secret, &[("If-Match", "*")], Some(json!({"status": "draft"}))).await;
    assert_eq!(json_of(&draft, Status::Ok)["status"], "draft");
    assert_eq!(app.get("/posts/from-the-api").await.status, Status::NotFound);

    let listed = json_of(
        &call(b, Method::Get, "/api/v1/admin/posts?status=draft", &secret, &[], None).await,
        Status::Ok,
    );
    assert!(listed["posts"].as_array().unwrap().iter().any(|p| p["id"] == id), "{listed}");

    problem(
        &call(b, Method::Delete, &path, &secret, &[("If-Match", "\"v1\"")], None).await,
        Status::PreconditionFailed,
    );
    assert_eq!(call(b, Method::Delete, &path, &secret, &[], None).await.status, Status::NoContent);
    problem(&call(b, Method::Get, &path, &secret, &[], None).await, Status::NotFound);

    for action in ["saved a draft of", "published", "updated", "unpublished", "deleted"] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND detail LIKE '%via API token “Writer”%'"
        );
        assert!(app.count(&sql).await >= 1, "{action} is in the audit log with the token's name");
    }
}

async fn the_admins_role_rules_hold_for_tokens(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let b: &Browser = &app;
    let contributor = app.user(Role::Contributor, "cora@example.org").await;
    let author = app.user(Role::Author, "ann@example.org").await;
    let editor = app.user(Role::Editor, "ed@example.org").await;
    let cora = token(&app, &contributor, "c", &[Scope::Posts, Scope::Read]).await;
    let ann = token(&app, &author, "a", &[Scope::Posts, Scope::Read]).await;
    let ed = token(&app, &editor, "e", &[Scope::Posts, Scope::Pages, Scope::Read]).await;
    let reader = token(&app, &author, "r", &[Scope::Read]).await;

    // A contributor writes drafts but cannot publish, now or later.
    let draft =
        call(b, Method::Post, "/api/v1/admin/posts", &cora, &[], Some(json!({"title": "Cora's"}))).await;
    let cora_post = json_of(&draft, Status::Created)["id"].as_i64().unwrap();
    let publish = call(
        b,
        Method::Post,
        "/api/v1/admin/posts",
        &cora,
        &[],
        Some(json!({"title": "Out", "status": "published"})),
    )
    .await;
    problem(&publish, Status::Forbidden);
    let path = format!("/api/v1/admin/posts/{cora_post}");
    problem(
        &call(b, Method::Patch, &path, &cora, &[("If-Match", "*")], Some(json!({"status": "published"})))
            .await,
        Status::Forbidden,
    );

    // An author cannot touch someone else's post; an editor can.
    problem(&call(b, Method::Get, &path, &ann, &[], None).await, Status::Forbidden);
    problem(
        &call(b, Method::Patch, &path, &ann, &[("If-Match", "*")], Some(json!({"title": "Mine"}))).await,
        Status::Forbidden,
    );
    problem(&call(b, Method::Delete, &path, &ann, &[], None).await, Status::Forbidden);
    let edited =
        call(b, Method::Patch, &path, &ed, &[("If-Match", "*")], Some(json!({"status": "published"}))).await;
    assert_eq!(json_of(&edited, Status::Ok)["status"], "published");
    // Published, the post is out of its contributor's hands.
    problem(
        &call(b, Method::Patch, &path, &cora, &[("If-Match", "*")], Some(json!({"title": "Again"}))).await,
        Status::Forbidden,
    );

    // Only editors hand a post to someone else.
    let handed = call(
        b,
        Method::Post,
        "/api/v1/admin/posts",
        &ann,
        &[],
        Some(json!({"title": "Gift", "author_id": editor.id})),
    )
    .await;
    assert_eq!(problem(&handed, Status::UnprocessableEntity), ["author_id"]);
    let handed = call(
        b,
        Method::Post,
        "/api/v1/admin/posts",
        &ed,
        &[],
        Some(json!({"title": "Gift", "author_id": author.id})),
    )
    .await;
    assert_eq!(json_of(&handed, Status::Created)["author_id"], author.id);

    // Authors see their own posts in the list; editors see everyone's.
    let own = json_of(&call(b, Method::Get, "/api/v1/admin/posts", &ann, &[], None).await, Status::Ok);
    assert!(own["posts"].as_array().unwrap().iter().all(|p| p["author_id"] == author.id), "{own}");
    let all = json_of(&call(b, Method::Get, "/api/v1/admin/posts", &ed, &[], None).await, Status::Ok);
    assert!(all["posts"].as_array().unwrap().iter().any(|p| p["author_id"] == contributor.id), "{all}");

    // A scope narrows what a token may try: a read-only token writes nothing.
    let refused =
        call(b, Method::Post, "/api/v1/admin/posts", &reader, &[], Some(json!({"title": "No"}))).await;
    problem(&refused, Status::Forbidden);
    assert!(refused.header("WWW-Authenticate").unwrap().contains("insufficient_scope"));
    // Pages, tags and series are for editors and above, whatever the scope.
    let page = call(b, Method::Post, "/api/v1/admin/pages", &ann, &[], Some(json!({"title": "About"}))).await;
    problem(&page, Status::Forbidden);
    problem(
        &call(b, Method::Post, "/api/v1/admin/tags", &ann, &[], Some(json!({"name": "T"}))).await,
        Status::Forbidden,
    );
}

async fn bad_bodies_are_problems_naming_each_member(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let author = app.user(Role::Author, "ann@example.org").await;
    let secret = token(&app, &author, "w", &[Scope::Posts]).await;
    let b: &Browser = &app;
    let post = |body: Value| call(b, Method::Post, "/api/v1/admin/posts", &secret, &[], Some(body));

    assert_eq!(problem(&post(json!({"title": "  "})).await, Status::UnprocessableEntity), ["title"]);
    let many = post(json!({"title": "T", "slug": "Not A Slug!", "cover_image": "javascript:alert(1)"})).await;
    let mut names = problem(&many, Status::UnprocessableEntity);
    names.sort();
    assert_eq!(names, ["cover_image", "slug"]);
    assert_eq!(
        problem(&post(json!({"title": "T", "status": "scheduled"})).await, Status::UnprocessableEntity),
        ["published_at"]
    );
    let unread = post(json!({"title": "T", "published_at": "tomorrow"})).await;
    assert_eq!(problem(&unread, Status::UnprocessableEntity), ["published_at"], "never silently dropped");
    let past =
        post(json!({"title": "T", "status": "scheduled", "published_at": "2001-01-01T00:00:00Z"})).await;
    assert_eq!(problem(&past, Status::UnprocessableEntity), ["published_at"]);
    let long = post(json!({"title": "T", "body_markdown": "x".repeat(1_000_001)})).await;
    assert_eq!(problem(&long, Status::UnprocessableEntity), ["body_markdown"]);
    problem(&post(json!({"title": "T", "colour": "red"})).await, Status::UnprocessableEntity);
    problem(&post(json!({"title": 5})).await, Status::UnprocessableEntity);
    let not_json = b
        .client
        .post("/api/v1/admin/posts")
        .header(Header::new("Authorization", format!("Bearer {secret}")))
        .header(ContentType::JSON)
        .body("{\"title\": ")
        .dispatch()
        .await;
    assert_eq!(not_json.status(), Status::BadRequest);
    let form = b
        .client
        .post("/api/v1/admin/posts")
        .header(Header::new("Authorization", format!("Bearer {secret}")))
        .header(ContentType::Form)
        .body("title=T")
        .dispatch()
        .await;
    assert_eq!(form.status(), Status::UnsupportedMediaType);

    // An id out of range is refused as documented (422), for every method.
    for method in [Method::Get, Method::Patch, Method::Delete] {
        let page =
            call(b, method, "/api/v1/admin/posts/9223372036854775808", &secret, &[], Some(json!({}))).await;
        problem(&page, Status::UnprocessableEntity);
    }

    json_of(&post(json!({"title": "Taken"})).await, Status::Created);
    assert_eq!(
        problem(&post(json!({"title": "Other", "slug": "taken"})).await, Status::UnprocessableEntity),
        ["slug"]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE title = 'Other'").await, 0, "nothing half-saved");
}

async fn a_scheduled_post_goes_live_at_its_time(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let author = app.user(Role::Author, "ann@example.org").await;
    let secret = token(&app, &author, "w", &[Scope::Posts, Scope::Read]).await;
    let at = folio::domain::dates::iso(folio::domain::now() + 3600);
    let body = json!({"title": "Later", "status": "scheduled", "published_at": at});
    let created = call(&app, Method::Post, "/api/v1/admin/posts", &secret, &[], Some(body)).await;
    let post = json_of(&created, Status::Created);
    assert_eq!(
        (post["status"].as_str(), post["published_at"].as_str()),
        (Some("scheduled"), Some(at.as_str()))
    );
    assert_eq!(app.get("/api/v1/posts/slug/later").await.status, Status::NotFound);
    // Sent again without a date, a scheduled post keeps its own (as the editor's Reschedule).
    let path = format!("/api/v1/admin/posts/{}", post["id"]);
    let again = call(
        &app,
        Method::Patch,
        &path,
        &secret,
        &[("If-Match", "*")],
        Some(json!({"status": "scheduled", "title": "Later"})),
    )
    .await;
    assert_eq!(json_of(&again, Status::Ok)["published_at"].as_str(), Some(at.as_str()));
    app.advance_clock(3601);
    assert_eq!(app.get("/api/v1/posts/slug/later").await.status, Status::Ok);
    // Live, it cannot be scheduled again: it would vanish until then (the editor offers no such button).
    let hide = call(&app, Method::Patch, &path, &secret, &[("If-Match", "*")], Some(json!({"status": "scheduled", "published_at": folio::domain::dates::iso(folio::domain::now() + 90_000)}))).await;
    assert_eq!(problem(&hide, Status::UnprocessableEntity), ["status"]);
}

async fn pages_tags_series_and_media(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let editor = app.user(Role::Editor, "ed@example.org").await;
    let secret = token(&app, &editor, "Desk", &[Scope::Read, Scope::Posts, Scope::Pages, Scope::Media]).await;
    let b: &Browser = &app;

    let page = call(
        b,
        Method::Post,
        "/api/v1/admin/pages",
        &secret,
        &[],
        Some(json!({"title": "Colophon", "body_markdown": "Set in type."})),
    )
    .await;
    let id = json_of(&page, Status::Created)["id"].as_i64().unwrap();
    let version = page.header("ETag").unwrap().to_owned();
    assert_eq!(app.get("/colophon").await.status, Status::NotFound, "a new page is a draft");
    let path = format!("/api/v1/admin/pages/{id}");
    let live = call(
        b,
        Method::Patch,
        &path,
        &secret,
        &[("If-Match", &version)],
        Some(json!({"status": "published"})),
    )
    .await;
    assert_eq!(json_of(&live, Status::Ok)["status"], "published");
    assert_eq!(app.get("/colophon").await.status, Status::Ok);
    problem(
        &call(b, Method::Patch, &path, &secret, &[("If-Match", &version)], Some(json!({"title": "X"}))).await,
        Status::PreconditionFailed,
    );
    let reserved = call(
        b,
        Method::Post,
        "/api/v1/admin/pages",
        &secret,
        &[],
        Some(json!({"title": "Admin", "slug": "admin"})),
    )
    .await;
    assert_eq!(problem(&reserved, Status::UnprocessableEntity), ["slug"]);
    // A deletion that names an old version deletes nothing.
    problem(
        &call(b, Method::Delete, &path, &secret, &[("If-Match", &version)], None).await,
        Status::PreconditionFailed,
    );
    assert_eq!(app.get("/colophon").await.status, Status::Ok);
    assert_eq!(call(b, Method::Delete, &path, &secret, &[], None).await.status, Status::NoContent);
    assert_eq!(app.get("/colophon").await.status, Status::NotFound);

    let tag =
        call(b, Method::Post, "/api/v1/admin/tags", &secret, &[], Some(json!({"name": "Field notes"}))).await;
    let location = tag.header("Location").unwrap().to_owned();
    let tag = json_of(&tag, Status::Created);
    let local = &location[location.find("/api/").unwrap()..];
    assert_eq!(
        json_of(&call(b, Method::Get, local, &secret, &[], None).await, Status::Ok)["name"],
        "Field notes"
    );
    assert_eq!(tag["slug"], "field-notes");
    let tag_path = format!("/api/v1/admin/tags/{}", tag["id"]);
    let renamed =
        call(b, Method::Patch, &tag_path, &secret, &[], Some(json!({"name": "Notes from the field"}))).await;
    assert_eq!(json_of(&renamed, Status::Ok)["name"], "Notes from the field");
    let clash = call(
        b,
        Method::Post,
        "/api/v1/admin/tags",
        &secret,
        &[],
        Some(json!({"name": "Again", "slug": "field-notes"})),
    )
    .await;
    assert_eq!(problem(&clash, Status::UnprocessableEntity), ["slug"]);
    assert_eq!(call(b, Method::Delete, &tag_path, &secret, &[], None).await.status, Status::NoContent);
    problem(&call(b, Method::Delete, &tag_path, &secret, &[], None).await, Status::NotFound);

    let series = call(
        b,
        Method::Post,
        "/api/v1/admin/series",
        &secret,
        &[],
        Some(json!({"name": "Learning Rust", "description": "In order."})),
    )
    .await;
    let series_id = json_of(&series, Status::Created)["id"].as_i64().unwrap();
    let in_series =
        json!({"title": "Part one", "series_id": series_id, "series_position": 1, "status": "published"});
    let part = call(b, Method::Post, "/api/v1/admin/posts", &secret, &[], Some(in_series)).await;
    let part = json_of(&part, Status::Created);
    assert_eq!((part["series_id"].as_i64(), part["series_position"].as_i64()), (Some(series_id), Some(1)));
    let out = call(
        b,
        Method::Patch,
        &format!("/api/v1/admin/posts/{}", part["id"]),
        &secret,
        &[("If-Match", "*")],
        Some(json!({"series_id": null})),
    )
    .await;
    assert_eq!(json_of(&out, Status::Ok)["series_id"], Value::Null);
    let gone = call(
        b,
        Method::Post,
        "/api/v1/admin/posts",
        &secret,
        &[],
        Some(json!({"title": "Lost", "series_id": 999_999})),
    )
    .await;
    assert_eq!(problem(&gone, Status::UnprocessableEntity), ["series_id"]);
    let series_path = format!("/api/v1/admin/series/{series_id}");
    assert_eq!(call(b, Method::Delete, &series_path, &secret, &[], None).await.status, Status::NoContent);

    let upload = |name: &'static str, bytes: Vec<u8>| {
        const BOUNDARY: &str = "----folio-api-boundary";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA red square\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let content_type = ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY));
        b.client
            .post("/api/v1/admin/media")
            .header(Header::new("Authorization", format!("Bearer {secret}")))
            .header(content_type)
            .body(body)
            .dispatch()
    };
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 0, 0]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let stored = upload("red.png", png.into_inner()).await;
    assert_eq!(stored.status(), Status::Created);
    let stored: Value = serde_json::from_str(&stored.into_string().await.unwrap()).unwrap();
    assert_eq!(
        (stored["kind"].as_str(), stored["width"].as_i64(), stored["alt"].as_str()),
        (Some("image"), Some(40), Some("A red square"))
    );
    let url = stored["url"].as_str().unwrap();
    let local = &url[url.find("/media/").unwrap()..];
    assert_eq!(app.get_bytes(local).await.0, Status::Ok);
    let junk = upload("script.png", b"#!/bin/sh\necho not an image\n".to_vec()).await;
    assert_eq!(junk.status(), Status::UnprocessableEntity);
    let media_path = format!("/api/v1/admin/media/{}", stored["id"]);
    assert_eq!(call(b, Method::Delete, &media_path, &secret, &[], None).await.status, Status::NoContent);
    assert_eq!(app.get_bytes(local).await.0, Status::NotFound);
}

async fn a_session_cookie_alone_cannot_write(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let csrf = app.csrf().await;
    let body = Some(json!({"title": "By cookie"}));
    let page = call(&app, Method::Post, "/api/v1/admin/posts", "", &[("X-CSRF-Token", &csrf)], body).await;
    problem(&page, Status::Unauthorized);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE title = 'By cookie'").await, 0);
}

async fn revoked_and_expired_tokens_write_nothing(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let editor = app.user(Role::Editor, "ed@example.org").await;
    let secret = token(&app, &editor, "old", &[Scope::Posts]).await;
    app.sql("UPDATE api_tokens SET revoked_at = 1").await;
    let body = Some(json!({"title": "Too late"}));
    let page = call(&app, Method::Post, "/api/v1/admin/posts", &secret, &[], body.clone()).await;
    problem(&page, Status::Unauthorized);
    let secret = token(&app, &editor, "short", &[Scope::Posts]).await;
    app.sql("UPDATE api_tokens SET expires_at = 1 WHERE name = 'short'").await;
    problem(&call(&app, Method::Post, "/api/v1/admin/posts", &secret, &[], body).await, Status::Unauthorized);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE title = 'Too late'").await, 0);
}

async fn api_writes_queue_the_admins_webhook_events(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let editor = app.user(Role::Editor, "ed@example.org").await;
    let secret = token(&app, &editor, "w", &[Scope::Posts, Scope::Pages]).await;
    let b: &Browser = &app;
    let all = "post.published post.updated post.unpublished post.deleted page.published page.updated page.unpublished page.deleted";
    app.sql(&format!(
        "INSERT INTO webhooks (url, events, enabled, secret, created_at, updated_at)
         VALUES ('http://127.0.0.1:9/hook', '{all}', TRUE, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 1, 1)"
    ))
    .await;
    let created =
        call(b, Method::Post, "/api/v1/admin/posts", &secret, &[], Some(json!({"title": "Hooked"}))).await;
    let path = format!("/api/v1/admin/posts/{}", json_of(&created, Status::Created)["id"]);
    for change in
        [json!({"status": "published"}), json!({"title": "Hooked again"}), json!({"status": "draft"})]
    {
        json_of(
            &call(b, Method::Patch, &path, &secret, &[("If-Match", "*")], Some(change)).await,
            Status::Ok,
        );
    }
    assert_eq!(call(b, Method::Delete, &path, &secret, &[], None).await.status, Status::NoContent);
    let page = call(
        b,
        Method::Post,
        "/api/v1/admin/pages",
        &secret,
        &[],
        Some(json!({"title": "Hooks", "status": "published"})),
    )
    .await;
    let page_path = format!("/api/v1/admin/pages/{}", json_of(&page, Status::Created)["id"]);
    assert_eq!(call(b, Method::Delete, &page_path, &secret, &[], None).await.status, Status::NoContent);
    let events: Vec<String> = match &app.db {
        folio::db::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT event FROM webhook_deliveries ORDER BY id").fetch_all(pool).await
        }
        folio::db::Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT event FROM webhook_deliveries ORDER BY id").fetch_all(pool).await
        }
    }
    .unwrap();
    assert_eq!(
        events,
        [
            "post.published",
            "post.updated",
            "post.unpublished",
            "post.deleted",
            "page.published",
            "page.deleted"
        ],
        "a draft's save is no event, as in the admin; a deletion is one whatever the state"
    );
}

both_backends!(
    api_writes_queue_the_admins_webhook_events,
    an_author_writes_publishes_unpublishes_and_deletes_a_post,
    the_admins_role_rules_hold_for_tokens,
    bad_bodies_are_problems_naming_each_member,
    a_scheduled_post_goes_live_at_its_time,
    pages_tags_series_and_media,
    a_session_cookie_alone_cannot_write,
    revoked_and_expired_tokens_write_nothing,
);
