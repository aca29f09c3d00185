//! The page cache (issue 15): public answers served again without rendering, with validators and
//! compression; never stale after a write to any public table or at a scheduled post's moment;
//! nothing personal stored or served; bounded by bytes whatever the URLs.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{base, numbered_posts};
use common::{Backend, Browser, Page, TestApp, editor_fields};
use folio::db::api_tokens;
use folio::domain::api_tokens::{NewApiToken, Scope, Scopes};
use folio::domain::roles::Role;
use folio::web::http::page_cache::PageCache;
use rocket::figment::Figment;
use rocket::http::{Header, Method, Status};

async fn app(backend: Backend, posts: usize, bytes: u64) -> TestApp {
    let mut bundle = base();
    bundle.posts = numbered_posts(posts);
    TestApp::with_config(backend, bundle, Figment::new().merge(("page_cache", bytes))).await
}

fn cache_status(page: &Page) -> &str {
    page.header("Cache-Status").unwrap_or("")
}

async fn request(b: &Browser, method: Method, path: &str, headers: &[(&str, &str)]) -> Page {
    b.send(method, path, headers, None).await
}

/// Requests `path` until its answer comes from the cache (the second request at the latest).
async fn cached(app: &Browser, path: &str) -> Page {
    let first = app.get(path).await;
    assert_eq!(first.status, Status::Ok, "{path}");
    let again = app.get(path).await;
    assert_eq!(cache_status(&again), "folio; hit", "{path}");
    assert_eq!(again.body, first.body, "{path}: the same bytes");
    again
}

async fn answers_come_from_the_cache_with_validators_and_compression(backend: Backend) {
    let app = app(backend, 15, 64 << 20).await;
    let first = app.get("/").await;
    assert_eq!(cache_status(&first), "folio; fwd=miss; stored");
    let hit = cached(&app, "/").await;
    assert_eq!(hit.header("ETag"), first.header("ETag"));
    assert_eq!(hit.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(hit.header("Content-Security-Policy").is_some(), "the security headers are replayed");
    // What the cache did, and the request's own id, differ from one answer to the next.
    let replayed = |page: &Page| {
        let mut headers: Vec<_> = page
            .headers
            .iter()
            .filter(|(name, _)| name != "Cache-Status" && name != "X-Request-Id")
            .cloned()
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(replayed(&hit), replayed(&first), "a hit carries the headers of the answer it stored");
    assert_ne!(hit.header("X-Request-Id"), first.header("X-Request-Id"), "no request id is stored");
    let etag = hit.header("ETag").unwrap().to_owned();
    let not_modified = request(&app, Method::Get, "/", &[("If-None-Match", &etag)]).await;
    assert_eq!((not_modified.status, cache_status(&not_modified)), (Status::NotModified, "folio; hit"));
    let head = request(&app, Method::Head, "/", &[]).await;
    assert_eq!((head.status, head.body.as_str(), cache_status(&head)), (Status::Ok, "", "folio; hit"));
    let gzip = request(&app, Method::Get, "/", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!((gzip.header("Content-Encoding"), cache_status(&gzip)), (Some("gzip"), "folio; hit"));
    assert_eq!(gzip.header("ETag").map(str::to_owned), Some(format!("{}-gz\"", etag.trim_end_matches('"'))));
    // Each page of a list, the feed and a fragment for htmx are entries of their own.
    cached(&app, "/?page=2").await;
    cached(&app, "/feed.xml").await;
    let fragment = request(&app, Method::Get, "/", &[("HX-Request", "true")]).await;
    assert_eq!(cache_status(&fragment), "folio; fwd=miss; stored");
    assert!(fragment.body.len() < first.body.len());
    // Made-up query strings are not stored, so they cannot fill the cache.
    let tracked = app.get("/?utm_source=x").await;
    assert_eq!((tracked.status, cache_status(&tracked)), (Status::Ok, "folio; fwd=uri-miss"));
}

async fn every_write_to_public_content_drops_the_pages_before_it(backend: Backend) {
    let app = app(backend, 3, 64 << 20).await;
    // Through this process (the write API, so the reader's requests carry no cookie): the very
    // next request shows the change (the write's own answer reads the new generation first).
    cached(&app, "/").await;
    let editor = app.user(Role::Editor, "desk@example.org").await;
    let token = NewApiToken { name: "desk".into(), scopes: Scopes::new([Scope::Posts]), days: None };
    let secret = api_tokens::create(&app.db, editor.id, &token, folio::domain::now()).await.unwrap().secret;
    let body = r#"{"title": "Fresh from the desk", "status": "published"}"#;
    let saved = app
        .client
        .post("/api/v1/admin/posts")
        .header(Header::new("Authorization", format!("Bearer {secret}")))
        .header(rocket::http::ContentType::JSON)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(saved.status(), Status::Created);
    let after = app.get("/").await;
    assert_eq!(cache_status(&after), "folio; fwd=miss; stored");
    after.assert_contains("Fresh from the desk");

    // Through another process on the same database (another Rocket here): within a second, by
    // PostgreSQL's notification or the poll.
    let (_, elsewhere) = app.browser_as(Role::Editor).await;
    cached(&app, "/posts/fresh-from-the-desk").await;
    let id = app.count("SELECT id FROM posts WHERE slug = 'fresh-from-the-desk'").await.to_string();
    let version = app.count("SELECT version FROM posts WHERE slug = 'fresh-from-the-desk'").await.to_string();
    let fields = common::with(
        editor_fields("Fresh from the desk", "Body.", "unpublish"),
        &[("id", &id), ("version", &version)],
    );
    assert_eq!(elsewhere.submit("/admin/posts/save", &fields).await.status, Status::SeeOther);
    let started = std::time::Instant::now();
    while app.get("/posts/fresh-from-the-desk").await.status == Status::Ok {
        assert!(started.elapsed().as_millis() < 1500, "another process's write is seen within a second");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.get("/").await.assert_lacks("Fresh from the desk");

    // Behind the application's back (SQL, as another process or the command line would): every
    // public table's triggers bump the generation, and the poll sees it within a second.
    let writes = [
        ("/posts/post-1", "UPDATE posts SET title = 'Retitled' WHERE slug = 'post-1'", Some("Retitled")),
        ("/about", "UPDATE pages SET title = 'About them' WHERE slug = 'about'", Some("About them")),
        ("/tags/rust", "UPDATE tags SET name = 'Rustacean' WHERE slug = 'rust'", Some("Rustacean")),
        ("/series/learn-rust", "UPDATE series SET title = 'Rust, slowly' WHERE slug = 'learn-rust'", Some("Rust, slowly")),
        ("/authors/ada", "UPDATE users SET display_name = 'Ada Lovelace' WHERE slug = 'ada'", Some("Ada Lovelace")),
        ("/tags/rust", "DELETE FROM post_tags WHERE post_id = (SELECT id FROM posts WHERE slug = 'post-2')", None),
        ("/", "INSERT INTO site_settings (key, value) VALUES ('cache_test', 'x')", None),
        (
            "/",
            "INSERT INTO media (stored_name, original_name, content_type, kind, byte_size, variants, alt, created_at)
             VALUES ('aaaaaaaaaaaaaaaaaaaa.png', 'a.png', 'image/png', 'image', 1, '', '', 1)",
            None,
        ),
    ];
    for (path, sql, shows) in writes {
        cached(&app, path).await;
        app.sql(sql).await;
        let mut after = app.get(path).await;
        for _ in 0..30 {
            if cache_status(&after) != "folio; hit" {
                break;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            after = app.get(path).await;
        }
        assert_eq!(cache_status(&after), "folio; fwd=miss; stored", "{sql}");
        if let Some(text) = shows {
            after.assert_contains(text);
        }
    }
    // A sign-in (a write to users that changes no page) leaves the cache alone.
    cached(&app, "/").await;
    app.sql("UPDATE users SET totp_last_step = 1").await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(cache_status(&app.get("/").await), "folio; hit");
}

/// Through this process, each kind of write an editor makes is on the very next reader's request
/// (the write's own answer reads the new generation first), whatever page it changes.
async fn each_kind_of_write_shows_on_the_next_request(backend: Backend) {
    let app = app(backend, 3, 64 << 20).await;
    let editor = app.user(Role::Editor, "desk@example.org").await;
    let token = NewApiToken { name: "desk".into(), scopes: Scopes::new([Scope::Posts]), days: None };
    let secret = api_tokens::create(&app.db, editor.id, &token, folio::domain::now()).await.unwrap().secret;
    let auth = format!("Bearer {secret}");
    let post_1 =
        format!("/api/v1/admin/posts/{}", app.count("SELECT id FROM posts WHERE slug = 'post-1'").await);
    let post_2 =
        format!("/api/v1/admin/posts/{}", app.count("SELECT id FROM posts WHERE slug = 'post-2'").await);
    let rust = format!("/api/v1/admin/tags/{}", app.count("SELECT id FROM tags WHERE slug = 'rust'").await);
    // (the write, its request, the page cached before it, what that page shows after it)
    let writes = [
        (
            "edit",
            Method::Patch,
            &post_1,
            Some(r#"{"title": "Edited in place"}"#),
            "/posts/post-1",
            "Edited in place",
        ),
        ("retag", Method::Patch, &post_1, Some(r#"{"tags": ["Gardening"]}"#), "/posts/post-1", "Gardening"),
        (
            "slug change",
            Method::Patch,
            &post_1,
            Some(r#"{"slug": "moved-along"}"#),
            "/",
            "/posts/moved-along",
        ),
        ("tag rename", Method::Patch, &rust, Some(r#"{"name": "Rustacean"}"#), "/posts/post-2", "Rustacean"),
        ("unpublish", Method::Patch, &post_1, Some(r#"{"status": "draft"}"#), "/posts/moved-along", ""),
        ("delete", Method::Delete, &post_2, None, "/posts/post-2", ""),
    ];
    for (what, method, path, body, page, shows) in writes {
        cached(&app, page).await;
        let headers = [("Authorization", auth.as_str()), ("If-Match", "*")];
        let written = app.send(method, path, &headers, body).await;
        assert!(written.status.class().is_success(), "{what}: {} {}", written.status, written.body);
        let after = app.get(page).await;
        assert_ne!(cache_status(&after), "folio; hit", "{what}");
        if shows.is_empty() {
            assert_eq!(after.status, Status::NotFound, "{what}");
        } else {
            after.assert_contains(shows);
        }
    }
}

async fn a_scheduled_post_appears_at_its_moment_with_the_home_page_cached(backend: Backend) {
    let app = app(backend, 3, 64 << 20).await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    // A draft first, then its publication moved a second ahead of now, as a schedule would.
    let saved = editor.submit("/admin/posts/save", &editor_fields("Right on time", "Body.", "publish")).await;
    assert_eq!(saved.status, Status::SeeOther);
    let at = folio::domain::now() + 5;
    app.sql(&format!("UPDATE posts SET published_at = {at} WHERE slug = 'right-on-time'")).await;
    // Let the poll read the new next publication, then cache the home page without the post.
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let home = cached(&app, "/").await;
    home.assert_lacks("Right on time");
    app.advance_clock(6);
    app.get("/").await.assert_contains("Right on time");
}

async fn nothing_personal_is_stored_or_served(backend: Backend) {
    let app = app(backend, 3, 64 << 20).await;
    let (_, member) = app.browser_as(Role::Editor).await;
    cached(&app, "/").await;
    let signed_in = member.get("/").await;
    assert_eq!(cache_status(&signed_in), "folio; fwd=uri-miss", "a session cookie bypasses the cache");
    // A page with a CSRF token (a form) is made for its visitor: never stored.
    let form = app.get("/sign-in").await;
    assert_eq!(cache_status(&form), "folio; fwd=miss");
    assert_eq!(cache_status(&app.get("/sign-in").await), "folio; fwd=miss");
    // The admin is never stored either, whoever asks.
    assert_ne!(cache_status(&member.get("/admin").await), "folio; hit");
}

/// What answers one client because of what it sent (a bearer token, RFC 9111 section 3.5), and
/// what reports on the process now (health and readiness), is never stored nor served from the
/// cache: a stored `/healthz` said "ok" with the database gone, a stored `/metrics` went to
/// anyone without the token.
async fn authorized_answers_and_health_checks_are_never_cached(backend: Backend) {
    const TOKEN: &str = "a-metrics-token-of-24-characters";
    let extra = Figment::new().merge(("page_cache", 64 << 20)).merge(("metrics_token", TOKEN));
    let app = TestApp::with_config(backend, base(), extra).await;
    for path in ["/healthz", "/readyz"] {
        for _ in 0..2 {
            let page = app.get(path).await;
            assert_eq!(page.status, Status::Ok, "{path}");
            assert!(
                !cache_status(&page).contains("stored") && !cache_status(&page).contains("hit"),
                "{path}"
            );
            assert_eq!(page.header("Cache-Control"), Some("no-store"), "{path}");
        }
    }
    let bearer = format!("Bearer {TOKEN}");
    for _ in 0..2 {
        let scrape = request(&app, Method::Get, "/metrics", &[("Authorization", &bearer)]).await;
        assert_eq!(scrape.status, Status::Ok);
        assert_eq!(cache_status(&scrape), "folio; fwd=uri-miss");
    }
    let anonymous = app.get("/metrics").await;
    assert_eq!(
        anonymous.status,
        Status::Unauthorized,
        "the scrape is not handed to a client without the token"
    );
    assert!(!anonymous.body.contains("folio_http_requests_total"));
    let editor = app.user(Role::Editor, "desk@example.com").await;
    let token = NewApiToken { name: "desk".into(), scopes: Scopes::new([Scope::Read]), days: None };
    let secret = api_tokens::create(&app.db, editor.id, &token, folio::domain::now()).await.unwrap().secret;
    let with_token = format!("Bearer {secret}");
    for path in ["/api/v1/admin/posts", "/api/v1/posts"] {
        let first = request(&app, Method::Get, path, &[("Authorization", &with_token)]).await;
        assert_eq!(first.status, Status::Ok, "{path}");
        let again = request(&app, Method::Get, path, &[("Authorization", &with_token)]).await;
        assert_eq!(cache_status(&again), "folio; fwd=uri-miss", "{path}");
    }
    assert_eq!(app.get("/api/v1/admin/posts").await.status, Status::Unauthorized);
}

async fn the_byte_bound_holds_whatever_is_asked(backend: Backend) {
    let bound: u64 = 60_000;
    let app = app(backend, 40, bound).await;
    for n in 1..=40 {
        assert_eq!(app.get(&format!("/posts/post-{n}")).await.status, Status::Ok);
    }
    for n in 0..300 {
        app.get(&format!("/?q={n}")).await;
    }
    let cache = app.client.rocket().state::<PageCache>().unwrap();
    let held = cache.weighted_size();
    assert!(held > 0 && held <= bound, "{held} bytes held, bound {bound}");
}

/// How many connections of this test's database are listening for generation bumps.
const LISTENING: &str = "SELECT count(*) FROM pg_stat_activity \
    WHERE datname = current_database() AND query LIKE 'LISTEN%'";

/// Waits up to five seconds for `processes` listening connections (PostgreSQL).
async fn await_listeners(app: &TestApp, processes: i64) {
    let started = std::time::Instant::now();
    while app.count(LISTENING).await < processes {
        assert!(started.elapsed().as_secs() < 5, "each process listens again within five seconds");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn processes_see_each_others_writes_within_a_second_even_after_the_listener_is_killed(
    backend: Backend,
) {
    let app = app(backend, 3, 64 << 20).await;
    // Another process on the same database: its own cache and its own watcher.
    let other = app.browser().await;
    let postgres = backend == Backend::Postgres;
    if postgres {
        await_listeners(&app, 2).await;
    }
    for round in 1..=3 {
        if round == 3 && postgres {
            // Made again by sqlx: from here on, notifications arrive again.
            await_listeners(&app, 2).await;
        }
        if round == 2 && postgres {
            let killed = app
                .count(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                )
                .await;
            assert_eq!(killed, 2, "both processes' listening connections are killed");
        }
        for process in [&*app, &other] {
            cached(process, "/posts/post-1").await.assert_lacks(&format!("Round {round}"));
        }
        // Written behind both processes' backs, as a third process would.
        app.sql(&format!("UPDATE posts SET title = 'Round {round}' WHERE slug = 'post-1'")).await;
        // While PostgreSQL's notification arrives, at once (well inside the one-second poll, which
        // alone would meet this bound for both processes about one time in six); otherwise by the
        // poll, with room for a loaded machine.
        let notified = postgres && round != 2;
        let bound = if notified { 400 } else { 2000 };
        let written = std::time::Instant::now();
        for process in [&*app, &other] {
            while !process.get("/posts/post-1").await.body.contains(&format!("Round {round}")) {
                assert!(written.elapsed().as_millis() < bound, "round {round}: seen within {bound} ms");
                rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

both_backends!(
    each_kind_of_write_shows_on_the_next_request,
    processes_see_each_others_writes_within_a_second_even_after_the_listener_is_killed,
    answers_come_from_the_cache_with_validators_and_compression,
    every_write_to_public_content_drops_the_pages_before_it,
    a_scheduled_post_appears_at_its_moment_with_the_home_page_cached,
    nothing_personal_is_stored_or_served,
    authorized_answers_and_health_checks_are_never_cached,
    the_byte_bound_holds_whatever_is_asked,
);
