//! `/`: the latest published posts, paged with plain links that htmx turns into "load more".

mod common;

use common::fixtures::{self, DAY, HOUR, post};
use common::{Backend, TestApp};
use rocket::figment::Figment;
use rocket::http::Status;

fn three_per_page() -> Figment {
    Figment::new().merge(("posts_per_page", 3))
}

async fn lists_newest_published_posts_first(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![
        post("Older story", 2 * DAY, &["rust"]),
        post("Newest story", HOUR, &["design", "rust"]),
        post("Draft story", HOUR, &[]).into_draft(),
        post("Scheduled story", -DAY, &["rust"]),
    ];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/").await;
    assert_eq!(page.status, Status::Ok);
    let newest = page.body.find("Newest story").expect("newest listed");
    let older = page.body.find("Older story").expect("older listed");
    assert!(newest < older, "newest first");
    page.assert_lacks("Draft story");
    page.assert_lacks("Scheduled story");
    page.assert_lacks("/posts/draft-story");
    page.assert_lacks("/posts/scheduled-story");
    page.assert_contains(r#"<a href="/authors/ada">Ada Writer</a>"#);
    page.assert_contains(r#"<a class="kicker" href="/tags/design">Design</a>"#);
    page.assert_contains(r#"<li><a href="/tags/rust">Rust</a></li>"#);
    page.assert_contains("min read");
    assert_eq!(page.count("<h1"), 1);
    assert_eq!(page.header("Vary"), Some("HX-Request, Accept-Encoding"));
}

async fn paginates_with_plain_links(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(7);
    let app = TestApp::with_config(backend, content, three_per_page()).await;

    let first = app.get("/").await;
    assert_eq!(first.count("<article class=\"card"), 3);
    first.assert_contains(r#"href="/?page=2" rel="next""#);
    first.assert_lacks(r#"rel="prev""#);
    first.assert_contains(r#"<link rel="canonical" href="http://localhost:8000/">"#);

    let second = app.get("/?page=2").await;
    assert_eq!(second.status, Status::Ok);
    second.assert_contains("Post 4");
    second.assert_lacks(">Post 3<");
    second.assert_contains(r#"href="/" rel="prev""#);
    second.assert_contains(r#"href="/?page=3" rel="next""#);
    second.assert_contains(r#"<link rel="canonical" href="http://localhost:8000/?page=2">"#);

    let last = app.get("/?page=3").await;
    assert_eq!(last.count("<article class=\"card"), 1);
    last.assert_contains("Post 7");
    last.assert_lacks(r#"rel="next""#);
    last.assert_contains(r#"href="/?page=2" rel="prev""#);
}

async fn bad_page_numbers_are_not_found(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(4);
    let app = TestApp::with_config(backend, content, three_per_page()).await;
    for path in [
        "/?page=0",
        "/?page=-1",
        "/?page=x",
        "/?page=",
        "/?page=3",
        "/?page=100000",
        "/?page=99999999999999999999999",
        "/?page=1.5",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, Status::NotFound, "{path}");
        page.assert_contains("Page not found");
    }
}

async fn htmx_gets_only_the_next_entries(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(7);
    let app = TestApp::with_config(backend, content, three_per_page()).await;
    let fragment = app.get_hx("/?page=2").await;
    assert_eq!(fragment.status, Status::Ok);
    assert_eq!(fragment.header("Vary"), Some("HX-Request, Accept-Encoding"));
    fragment.assert_lacks("<html");
    fragment.assert_lacks("<h1");
    assert_eq!(fragment.count("<article class=\"card"), 3);
    fragment.assert_contains("Post 4");
    // The new pager replaces the old one and only offers more, never "newer".
    fragment.assert_contains(r#"id="f-pager""#);
    fragment.assert_contains(r#"data-hx-get="/?page=3""#);
    fragment.assert_lacks(r#"rel="prev""#);
    let last = app.get_hx("/?page=3").await;
    last.assert_lacks("f-pager");
}

async fn empty_site_says_so(backend: Backend) {
    let app = TestApp::new(backend, fixtures::base()).await;
    let page = app.get("/").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("No posts here yet.");
}

async fn hostile_titles_are_escaped(backend: Backend) {
    let mut content = fixtures::base();
    let mut hostile = post("x", HOUR, &["rust"]);
    hostile.title = "<script>alert('t')</script> & \"quotes\"".into();
    hostile.excerpt = "<img src=x onerror=alert(1)>".into();
    content.posts = vec![hostile];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/").await;
    page.assert_lacks("<script>alert");
    page.assert_lacks("<img src=x");
    page.assert_contains("&#60;script&#62;alert(&#39;t&#39;)&#60;/script&#62; &#38; &#34;quotes&#34;");
}

async fn head_has_seo_metadata(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(1);
    let app = TestApp::new(backend, content).await;
    let page = app.get("/").await;
    page.assert_contains(r#"<html lang="en">"#);
    page.assert_contains("<title>Folio</title>");
    page.assert_contains(r#"<meta name="description" content="Stories, notes and guides.">"#);
    page.assert_contains(r#"<meta property="og:type" content="website">"#);
    page.assert_contains(r#"<meta name="twitter:card" content="summary">"#);
    page.assert_contains(r#""@type":"WebSite""#);
}

both_backends!(
    lists_newest_published_posts_first,
    paginates_with_plain_links,
    bad_page_numbers_are_not_found,
    htmx_gets_only_the_next_entries,
    empty_site_says_so,
    hostile_titles_are_escaped,
    head_has_seo_metadata,
);
