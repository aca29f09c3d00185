//! The read-only Content API (`/api/v1/…`) on both backends: shapes, visibility, filters,
//! keyset pages walked end to end, `fields`/`include`, problem documents, 304, CORS and the
//! content key.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::fixtures::{DAY, HOUR, base, post, slug};
use common::{Backend, Page, TestApp};
use folio::domain::content::NewPost;
use rocket::figment::Figment;
use rocket::http::{Header, Status};
use serde_json::Value;

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", page.body))
}

/// GETs `path`, expecting `status`, and returns the JSON body.
async fn get(app: &TestApp, path: &str, status: Status) -> Value {
    let page = app.get(path).await;
    assert_eq!(page.status, status, "{path}: {}", page.body);
    let expected = if status == Status::Ok { "application/json" } else { "application/problem+json" };
    assert_eq!(page.header("Content-Type"), Some(expected), "{path}");
    json(&page)
}

/// Asserts `body` is a 400 problem naming `param`.
fn refuses(body: &Value, param: &str) {
    assert_eq!(body["status"], 400, "{body}");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Bad Request");
    let names: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(names.contains(&param), "{body}");
}

fn titles(list: &Value, key: &str) -> Vec<String> {
    list[key].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
}

/// Ada's posts: "Newest" (rust, in the series, with a cover), "Middle" (design), "Oldest"
/// (rust); Bo's "By Bo"; a draft; and "Scheduled", due in two hours.
fn content() -> folio::domain::content::ContentBundle {
    let mut c = base();
    let mut newest = post("Newest", HOUR, &["rust", "news"]);
    newest.series = Some((slug("learn-rust"), 2));
    newest.cover_image = Some("/media/cover.jpg".into());
    newest.cover_alt = "A crab".into();
    let mut by_bo = post("By Bo", 3 * HOUR, &[]);
    by_bo.author = slug("bo");
    c.posts = vec![
        newest,
        post("Middle", 2 * DAY, &["design"]),
        by_bo,
        post("Oldest", 3 * DAY, &["rust"]),
        post("Draft", DAY, &["rust"]).into_draft(),
        post("Scheduled", -2 * HOUR, &["design", "news"]),
    ];
    c
}

async fn posts_show_what_readers_see_in_full(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let list = get(&app, "/api/v1/posts", Status::Ok).await;
    assert_eq!(titles(&list, "posts"), ["Newest", "By Bo", "Middle", "Oldest"], "newest first, visible only");
    assert_eq!(list["meta"], serde_json::json!({ "limit": 20, "next": null }));
    let newest = &list["posts"][0];
    assert_eq!(newest["url"], "http://localhost:8000/posts/newest");
    assert_eq!(newest["cover_image"], "http://localhost:8000/media/cover.jpg");
    assert_eq!(newest["cover_alt"], "A crab");
    assert_eq!(newest["series"], serde_json::json!({ "slug": "learn-rust", "position": 2 }));
    assert!(newest["body_markdown"].as_str().unwrap().contains("Body of *Newest*"));
    assert!(newest["body_html"].as_str().unwrap().contains("<em>Newest</em>"));
    let date = newest["published_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339).is_ok(),
        "{date}"
    );
    assert!(newest.get("tags").is_none() && newest.get("authors").is_none(), "not embedded by default");

    // One post, by id and by slug; drafts and scheduled posts are not found.
    let id = newest["id"].as_i64().unwrap();
    let by_id = get(&app, &format!("/api/v1/posts/{id}"), Status::Ok).await;
    assert_eq!(by_id["title"], "Newest");
    assert_eq!(get(&app, "/api/v1/posts/slug/newest", Status::Ok).await["id"], id);
    let draft = app.count("SELECT id FROM posts WHERE title = 'Draft'").await;
    let scheduled = app.count("SELECT id FROM posts WHERE title = 'Scheduled'").await;
    for path in [
        format!("/api/v1/posts/{draft}"),
        format!("/api/v1/posts/{scheduled}"),
        "/api/v1/posts/slug/draft".into(),
        "/api/v1/posts/slug/scheduled".into(),
        "/api/v1/posts/999999".into(),
        "/api/v1/nothing-here".into(),
    ] {
        let problem = get(&app, &path, Status::NotFound).await;
        assert_eq!(
            (problem["status"].as_i64(), problem["title"].as_str()),
            (Some(404), Some("Not Found")),
            "{path}"
        );
    }

    // An id that is not a number is refused as documented, still as a problem document.
    assert_eq!(get(&app, "/api/v1/posts/abc", Status::UnprocessableEntity).await["status"], 422);

    // A scheduled post appears at its moment, with no job running.
    app.advance_clock(2 * HOUR + 60);
    let list = get(&app, "/api/v1/posts", Status::Ok).await;
    assert_eq!(titles(&list, "posts")[0], "Scheduled");
    assert_eq!(get(&app, &format!("/api/v1/posts/{scheduled}"), Status::Ok).await["title"], "Scheduled");
}

async fn fields_and_include_shape_each_post(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let list = get(&app, "/api/v1/posts?include=tags,authors&limit=1", Status::Ok).await;
    let post = &list["posts"][0];
    let tags: Vec<&str> =
        post["tags"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(tags, ["rust", "news"], "primary tag first");
    assert_eq!(post["tags"][0]["name"], "Rust");
    assert!(post["tags"][0]["id"].is_i64());
    assert_eq!(post["authors"][0]["slug"], "ada");
    assert_eq!(post["authors"][0]["name"], "Ada Writer");

    let list = get(&app, "/api/v1/posts?fields=id,title", Status::Ok).await;
    let keys: HashSet<&str> = list["posts"][0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["id", "title"]));
    let one = get(&app, "/api/v1/posts/slug/newest?fields=title,tags&include=tags", Status::Ok).await;
    assert_eq!(one.as_object().unwrap().len(), 2, "{one}");

    refuses(&get(&app, "/api/v1/posts?fields=id,secret", Status::BadRequest).await, "fields");
    refuses(&get(&app, "/api/v1/posts?include=comments", Status::BadRequest).await, "include");
    refuses(&get(&app, "/api/v1/posts/slug/newest?fields=nope", Status::BadRequest).await, "fields");
    refuses(&get(&app, "/api/v1/pages?fields=tags", Status::BadRequest).await, "fields");
}

async fn filters_narrow_the_list_and_bad_parameters_are_named(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let of = |query: &'static str| {
        let app = &app;
        async move { titles(&get(app, &format!("/api/v1/posts?{query}"), Status::Ok).await, "posts") }
    };
    assert_eq!(of("tag=rust").await, ["Newest", "Oldest"]);
    assert_eq!(of("author=bo").await, ["By Bo"]);
    assert_eq!(of("series=learn-rust").await, ["Newest"]);
    assert_eq!(of("tag=rust&author=ada&series=learn-rust").await, ["Newest"]);
    assert!(of("tag=no-such-tag").await.is_empty());
    let day_ago = time::OffsetDateTime::from_unix_timestamp(folio::domain::now() - DAY).unwrap();
    let day_ago = day_ago.format(&time::format_description::well_known::Rfc3339).unwrap();
    let day_ago = day_ago.replace('+', "%2B");
    assert_eq!(
        titles(&get(&app, &format!("/api/v1/posts?published_after={day_ago}"), Status::Ok).await, "posts"),
        ["Newest", "By Bo"]
    );
    assert_eq!(
        titles(
            &get(&app, &format!("/api/v1/posts?published_before={day_ago}&tag=rust"), Status::Ok).await,
            "posts"
        ),
        ["Oldest"]
    );

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("published_after=yesterday", "published_after"),
        ("published_before=2026-13-01T00:00:00Z", "published_before"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=MTIz", "cursor"),
    ] {
        refuses(&get(&app, &format!("/api/v1/posts?{query}"), Status::BadRequest).await, param);
    }
    // Every refusal of one request is listed at once.
    let both = get(&app, "/api/v1/posts?limit=0&cursor=%21", Status::BadRequest).await;
    assert_eq!(both["errors"].as_array().unwrap().len(), 2, "{both}");
    refuses(&get(&app, "/api/v1/tags?limit=500", Status::BadRequest).await, "limit");
}

/// Walks `next` from `first`, returning every item's id in order.
async fn walk(app: &TestApp, first: &str, key: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let path = url.strip_prefix("http://localhost:8000").unwrap_or(&url).to_owned();
        let page = get(app, &path, Status::Ok).await;
        ids.extend(page[key].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
        next = page["meta"]["next"].as_str().map(str::to_owned);
        assert!(ids.len() <= 1000, "the walk does not end");
    }
    ids
}

async fn keyset_pages_cover_every_post_once(backend: Backend) {
    let mut c = base();
    // 40 posts an hour apart, and 9 that share one moment, so the id breaks ties across pages.
    c.posts = (1..=40)
        .map(|i| post(&format!("Post {i}"), i * HOUR, if i % 2 == 0 { &["rust"] } else { &[] }))
        .collect();
    let moment = folio::domain::now() - 5 * HOUR - 30;
    c.posts.extend((1..=9).map(|i| {
        let mut p: NewPost = post(&format!("Tied {i}"), 0, &["rust"]);
        p.published_at = Some(moment);
        p
    }));
    c.posts.push(post("A draft", HOUR, &["rust"]).into_draft());
    let app = TestApp::new(backend, c).await;

    let all = walk(&app, "/api/v1/posts?limit=7", "posts").await;
    assert_eq!(all.len(), 49, "every visible post");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 49, "no post twice");
    let whole = get(&app, "/api/v1/posts?limit=100", Status::Ok).await;
    let expected: Vec<i64> =
        whole["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(all, expected, "the pages in the one order");

    // `next` keeps the filters (and the shape) and is absolute.
    let first = get(&app, "/api/v1/posts?tag=rust&limit=4&fields=id", Status::Ok).await;
    let next = first["meta"]["next"].as_str().unwrap();
    assert!(next.starts_with("http://localhost:8000/api/v1/posts?"), "{next}");
    assert!(next.contains("tag=rust") && next.contains("limit=4") && next.contains("fields=id"), "{next}");
    let rust = walk(&app, "/api/v1/posts?tag=rust&limit=4", "posts").await;
    assert_eq!(rust.len(), 29, "20 even posts and 9 tied ones");
    assert_eq!(rust.iter().collect::<HashSet<_>>().len(), 29);

    let tags = walk(&app, "/api/v1/tags?limit=1", "tags").await;
    assert_eq!(tags.len(), 1, "only rust has a visible post");
}

async fn pages_tags_authors_and_series(backend: Backend) {
    let mut c = content();
    c.pages.push(folio::domain::content::NewPage::published(slug("contact"), "Contact", "Write."));
    let mut draft = folio::domain::content::NewPage::published(slug("secret"), "Secret", "Hidden.");
    draft.status = folio::domain::state::Publication::Draft;
    c.pages.push(draft);
    c.authors.push(common::fixtures::author("cy", "Cy Silent"));
    let app = TestApp::new(backend, c).await;

    let pages = get(&app, "/api/v1/pages?limit=1", Status::Ok).await;
    assert_eq!(titles(&pages, "pages"), ["About us"]);
    assert_eq!(pages["pages"][0]["url"], "http://localhost:8000/about");
    assert!(pages["pages"][0]["body_html"].as_str().unwrap().contains("<strong>write</strong>"));
    assert_eq!(walk(&app, "/api/v1/pages?limit=1", "pages").await.len(), 2, "published pages only");
    assert_eq!(get(&app, "/api/v1/pages/slug/contact", Status::Ok).await["title"], "Contact");
    get(&app, "/api/v1/pages/slug/secret", Status::NotFound).await;

    let tags = get(&app, "/api/v1/tags", Status::Ok).await;
    let counts: Vec<(String, i64)> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["slug"].as_str().unwrap().to_owned(), t["post_count"].as_i64().unwrap()))
        .collect();
    // rust: Newest and Oldest (the draft is not counted); news: Newest (Scheduled is not yet).
    assert_eq!(counts, [("rust".into(), 2), ("design".into(), 1), ("news".into(), 1)]);
    let rust = get(&app, "/api/v1/tags/slug/rust", Status::Ok).await;
    assert_eq!(rust["url"], "http://localhost:8000/tags/rust");
    assert_eq!(rust["description"], "All about rust.");
    let id = rust["id"].as_i64().unwrap();
    assert_eq!(get(&app, &format!("/api/v1/tags/{id}"), Status::Ok).await["name"], "Rust");

    let authors = get(&app, "/api/v1/authors", Status::Ok).await;
    assert_eq!(titles_of(&authors, "authors"), ["ada", "bo"], "Cy has no post");
    assert_eq!(get(&app, "/api/v1/authors/slug/ada", Status::Ok).await["post_count"], 3);
    assert_eq!(
        get(&app, "/api/v1/authors/slug/bo", Status::Ok).await["description"],
        "Bo Editor writes here."
    );
    get(&app, "/api/v1/authors/slug/cy", Status::NotFound).await;

    let series = get(&app, "/api/v1/series", Status::Ok).await;
    assert_eq!(titles_of(&series, "series"), ["learn-rust"]);
    assert_eq!(series["series"][0]["name"], "Learn Rust");
    assert_eq!(series["series"][0]["url"], "http://localhost:8000/series/learn-rust");
    get(&app, "/api/v1/series/slug/none", Status::NotFound).await;
    get(&app, "/api/v1/series/999", Status::NotFound).await;
}

fn titles_of(list: &Value, key: &str) -> Vec<String> {
    list[key].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap().to_owned()).collect()
}

async fn answers_304_to_a_matching_etag(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let first = app.get("/api/v1/posts").await;
    let etag = first.header("ETag").expect("an ETag on the JSON").to_owned();
    let again =
        app.client.get("/api/v1/posts").header(Header::new("If-None-Match", etag.clone())).dispatch().await;
    assert_eq!(again.status(), Status::NotModified);
    let other =
        app.client.get("/api/v1/posts?limit=1").header(Header::new("If-None-Match", etag)).dispatch().await;
    assert_eq!(other.status(), Status::Ok, "another list has another tag");
}

async fn cors_for_listed_origins_only(backend: Backend) {
    let config = Figment::new().merge(("api_cors_origins", ["https://app.example"]));
    let app = TestApp::with_config(backend, content(), config).await;
    let from = |origin: &'static str| app.client.get("/api/v1/posts").header(Header::new("Origin", origin));
    let allowed = from("https://app.example").dispatch().await;
    assert_eq!(allowed.status(), Status::Ok);
    assert_eq!(allowed.headers().get_one("Access-Control-Allow-Origin"), Some("https://app.example"));
    assert!(allowed.headers().get("Vary").any(|v| v.contains("Origin")));
    let denied = from("https://evil.example").dispatch().await;
    assert_eq!(denied.status(), Status::Ok);
    assert_eq!(denied.headers().get_one("Access-Control-Allow-Origin"), None);

    let preflight = |origin: &'static str| {
        app.client
            .options("/api/v1/posts")
            .header(Header::new("Origin", origin))
            .header(Header::new("Access-Control-Request-Method", "GET"))
            .header(Header::new("Access-Control-Request-Headers", "authorization"))
    };
    let ok = preflight("https://app.example").dispatch().await;
    assert_eq!(ok.status(), Status::NoContent);
    assert_eq!(ok.headers().get_one("Access-Control-Allow-Origin"), Some("https://app.example"));
    assert_eq!(ok.headers().get_one("Access-Control-Allow-Methods"), Some("GET, HEAD"));
    assert_eq!(ok.headers().get_one("Access-Control-Allow-Headers"), Some("Authorization"));
    let refused = preflight("https://evil.example").dispatch().await;
    assert_ne!(refused.status(), Status::NoContent);
    assert_eq!(refused.headers().get_one("Access-Control-Allow-Origin"), None);
    assert_eq!(refused.headers().get_one("Access-Control-Allow-Methods"), None);

    // With no origins configured (the default), nobody gets CORS headers.
    let closed = TestApp::new(backend, base()).await;
    let res = closed
        .client
        .get("/api/v1/posts")
        .header(Header::new("Origin", "https://app.example"))
        .dispatch()
        .await;
    assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), None);
}

async fn a_content_key_guards_the_api_when_set(backend: Backend) {
    let config = Figment::new().merge(("api_content_key", "k3y-123"));
    let app = TestApp::with_config(backend, content(), config).await;
    for path in ["/api/v1/posts", "/api/v1/posts?key=wrong", "/api/v1/tags/slug/rust?key=k3y-12"] {
        let problem = get(&app, path, Status::Unauthorized).await;
        assert_eq!(problem["status"], 401, "{path}");
    }
    let list = get(&app, "/api/v1/posts?key=k3y-123&limit=2", Status::Ok).await;
    let next = list["meta"]["next"].as_str().unwrap();
    assert!(next.contains("key=k3y-123"), "the next page works too: {next}");
    get(&app, "/api/v1/tags/slug/rust?key=k3y-123", Status::Ok).await;
    // The public site does not need it.
    assert_eq!(app.get("/").await.status, Status::Ok);
}

/// Found by schemathesis (`scripts/api-fuzz`): an escaped control character anywhere in an API
/// address was refused with the site's HTML 400 page, which no operation documented.
async fn control_characters_are_refused_with_a_problem(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    for path in [
        "/api/v1/posts?series=%00",
        "/api/v1/posts/slug/a%07b",
        "/api/v1/pages/1?fields=%17",
        "/api/v1/tags/slug/%15",
        "/api/v1/authors?cursor=%C2%8E%00",
        "/api/v1/me?x=%01",
        "/api/v1/openapi.json?%0A=1",
    ] {
        let problem = get(&app, path, Status::BadRequest).await;
        assert_eq!(problem["title"], "Bad Request", "{path}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("control character"), "{path}: {problem}");
    }
    // The site's pages keep their HTML refusal.
    let page = app.get("/search?q=%00").await;
    assert_eq!(page.status, Status::BadRequest);
    assert!(page.header("Content-Type").unwrap().starts_with("text/html"));
}

both_backends!(
    control_characters_are_refused_with_a_problem,
    posts_show_what_readers_see_in_full,
    fields_and_include_shape_each_post,
    filters_narrow_the_list_and_bad_parameters_are_named,
    keyset_pages_cover_every_post_once,
    pages_tags_authors_and_series,
    answers_304_to_a_matching_etag,
    cors_for_listed_origins_only,
    a_content_key_guards_the_api_when_set,
);
