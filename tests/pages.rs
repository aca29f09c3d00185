//! Static pages at `/<slug>`, robots.txt, the health check, assets, error pages and headers.

mod common;

use common::fixtures::{self, slug};
use common::{Backend, TestApp};
use folio::domain::content::NewPage;
use folio::domain::state::Publication;
use rocket::http::Status;

async fn static_pages_render_and_drafts_hide(backend: Backend) {
    let mut content = fixtures::base();
    let mut draft = NewPage::published(slug("secret"), "Secret", "Hidden.");
    draft.status = Publication::Draft;
    content.pages.push(draft);
    let app = TestApp::new(backend, content).await;
    let page = app.get("/about").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains(r#"<h1 class="post__title">About us</h1>"#);
    page.assert_contains("<strong>write</strong>");
    page.assert_contains(r#"<link rel="canonical" href="http://localhost:8000/about">"#);
    assert_eq!(app.get("/secret").await.status, Status::NotFound);
    assert_eq!(app.get("/no-such-page").await.status, Status::NotFound);
    assert_eq!(app.get("/a/b/c").await.status, Status::NotFound);
}

async fn robots_and_health(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, Status::Ok);
    assert!(robots.body.starts_with("User-agent: *\n"));
    robots.assert_contains("Disallow: /admin/");
    let health = app.get("/healthz").await;
    assert_eq!(health.status, Status::Ok);
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(health.body, format!(r#"{{"status":"ok","database":"{backend_name}"}}"#));
}

async fn health_reports_an_unreachable_database(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    // The app's own pool is the one rocket_db_pools manages; closing it simulates losing the database.
    let pool = app.client.rocket().state::<folio::db::FolioDb>().expect("database attached");
    pool.close().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, Status::ServiceUnavailable);
    assert_eq!(health.body, r#"{"status":"unavailable"}"#);
    let home = app.get("/").await;
    assert_eq!(home.status, Status::ServiceUnavailable);
    home.assert_contains("Temporarily unavailable");
}

async fn assets_are_embedded_and_cacheable(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    let home = app.get("/").await;
    let start = home.body.find("/static/js/htmx.min.js?v=").expect("versioned htmx url");
    let url = &home.body[start..home.body[start..].find('"').map(|e| start + e).expect("end")];
    let js = app.get(url).await;
    assert_eq!(js.status, Status::Ok);
    assert_eq!(js.header("Content-Type"), Some("text/javascript"));
    assert_eq!(js.header("Cache-Control"), Some("public, max-age=31536000, immutable"));
    assert!(js.body.contains("htmx"));
    let unversioned = app.get("/static/js/htmx.min.js").await;
    assert_eq!(unversioned.header("Cache-Control"), Some("public, max-age=3600"));
    let etag = unversioned.header("ETag").expect("etag").to_owned();
    let not_modified = app
        .client
        .get("/static/js/htmx.min.js")
        .header(rocket::http::Header::new("If-None-Match", etag))
        .dispatch()
        .await;
    assert_eq!(not_modified.status(), Status::NotModified);
    assert_eq!(app.get("/static/../Cargo.toml").await.status, Status::NotFound);
    assert_eq!(app.get("/static/nope.css").await.status, Status::NotFound);
}

async fn every_response_carries_security_headers(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    for path in ["/", "/about", "/nope", "/robots.txt"] {
        let page = app.get(path).await;
        let csp = page.header("Content-Security-Policy").expect("csp");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        assert_eq!(page.header("X-Content-Type-Options"), Some("nosniff"), "{path}");
        assert_eq!(page.header("Referrer-Policy"), Some("strict-origin-when-cross-origin"));
        assert_eq!(page.header("Cross-Origin-Opener-Policy"), Some("same-origin"));
        // Served over plain HTTP in tests, so no HSTS.
        assert_eq!(page.header("Strict-Transport-Security"), None);
    }
}

async fn https_sites_send_hsts(backend: Backend) {
    let config = rocket::figment::Figment::new().merge(("base_url", "https://example.org"));
    let app = TestApp::with_config(backend, fixtures::base(), config).await;
    let page = app.get("/about").await;
    assert!(page.header("Strict-Transport-Security").is_some_and(|v| v.starts_with("max-age=")));
    page.assert_contains(r#"<link rel="canonical" href="https://example.org/about">"#);
}

async fn error_pages_are_templated(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    let missing = app.get("/posts/missing").await;
    assert_eq!(missing.status, Status::NotFound);
    missing.assert_contains("<h1>Page not found</h1>");
    missing.assert_contains(r#"<a class="brand" href="/">Folio</a>"#);
    // A post passes the CSRF check first; one that does finds no route here.
    assert_eq!(app.client.post("/").dispatch().await.status(), Status::Forbidden);
    assert_eq!(app.submit("/", &[]).await.status, Status::NotFound);
}

both_backends!(
    static_pages_render_and_drafts_hide,
    robots_and_health,
    health_reports_an_unreachable_database,
    assets_are_embedded_and_cacheable,
    every_response_carries_security_headers,
    https_sites_send_hsts,
    error_pages_are_templated,
);
