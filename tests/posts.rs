//! `/posts/<slug>`: the article with its byline, tags, series and neighbours; hidden unless visible.

mod common;

use common::fixtures::{self, DAY, HOUR, post, slug};
use common::{Backend, TestApp};
use rocket::http::Status;

async fn shows_the_article_with_everything_around_it(backend: Backend) {
    let mut content = fixtures::base();
    let mut main = post("Main story", 2 * DAY, &["rust", "design"]);
    main.body_md = format!("Intro paragraph.\n\n## First part\n\n{}\n", "word ".repeat(600));
    main.rendered = folio::domain::markdown::render(&main.body_md);
    main.cover_image = Some("/static/img/demo/dunes.svg".into());
    main.cover_alt = "Dunes at dawn".into();
    content.posts =
        vec![post("Later story", DAY, &["news"]), main, post("Earlier story", 3 * DAY, &["news"])];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/posts/main-story").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.count("<h1"), 1);
    page.assert_contains(r#"<h1 class="post__title">Main story</h1>"#);
    page.assert_contains(r#"By <a rel="author" href="/authors/ada">Ada Writer</a>"#);
    page.assert_contains("3 min read");
    page.assert_contains(
        r##"<h2 id="user-content-first-part"><a class="anchor" href="#user-content-first-part" rel="noopener noreferrer">First part</a></h2>"##,
    );
    page.assert_contains(r#"<img src="/static/img/demo/dunes.svg" alt="Dunes at dawn""#);
    page.assert_contains(r#"<li><a href="/tags/rust">Rust</a></li>"#);
    page.assert_contains(r#"<li><a href="/tags/design">Design</a></li>"#);
    page.assert_contains("Ada Writer writes here.");
    page.assert_contains(r#"<span class="eyebrow">Newer</span>Later story"#);
    page.assert_contains(r#"<span class="eyebrow">Older</span>Earlier story"#);
    // Crawler metadata.
    page.assert_contains("<title>Main story — Folio</title>");
    page.assert_contains(r#"<link rel="canonical" href="http://localhost:8000/posts/main-story">"#);
    page.assert_contains(r#"<meta property="og:type" content="article">"#);
    page.assert_contains(
        r#"<meta property="og:image" content="http://localhost:8000/static/img/demo/dunes.svg">"#,
    );
    page.assert_contains(r#"<meta name="twitter:card" content="summary_large_image">"#);
    page.assert_contains(r#"<meta property="article:published_time""#);
    page.assert_contains(r#""@type":"BlogPosting""#);
    page.assert_contains(r#""@type":"BreadcrumbList""#);
    page.assert_contains(r#""name":"Rust","position":2"#);
}

async fn drafts_future_and_unknown_posts_are_not_found(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![
        post("Visible", HOUR, &["rust"]),
        post("Secret draft", HOUR, &["rust"]).into_draft(),
        post("Coming soon", -HOUR, &["rust"]),
    ];
    let app = TestApp::new(backend, content).await;
    for path in [
        "/posts/secret-draft",
        "/posts/coming-soon",
        "/posts/nope",
        "/posts/UPPER",
        &format!("/posts/{}", "a".repeat(300)),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, Status::NotFound, "{path}");
        page.assert_contains("Page not found");
        page.assert_contains(r#"<meta name="robots" content="noindex">"#);
    }
    // Nor are they linked from the visible post.
    let visible = app.get("/posts/visible").await;
    visible.assert_lacks("secret-draft");
    visible.assert_lacks("coming-soon");
}

async fn a_scheduled_post_appears_on_its_own(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![post("Soon", -60, &["rust"])];
    let app = TestApp::new(backend, content).await;
    assert_eq!(app.get("/posts/soon").await.status, Status::NotFound);
    app.get("/").await.assert_lacks("Soon");
    app.get("/tags/rust").await.assert_lacks("/posts/soon");
    // A minute passes for the site, and no one publishes anything.
    app.advance_clock(61);
    assert_eq!(app.get("/posts/soon").await.status, Status::Ok);
    app.get("/").await.assert_contains("/posts/soon");
    app.get("/tags/rust").await.assert_contains("/posts/soon");
}

async fn series_navigation_follows_positions(backend: Backend) {
    let mut content = fixtures::base();
    let mut parts = Vec::new();
    for (n, age) in [(1, 5 * DAY), (2, 4 * DAY), (3, 3 * DAY)] {
        let mut p = post(&format!("Part {n}"), age, &["rust"]);
        p.series = Some((slug("learn-rust"), n));
        parts.push(p);
    }
    let mut hidden = post("Part 4", HOUR, &["rust"]).into_draft();
    hidden.series = Some((slug("learn-rust"), 4));
    parts.push(hidden);
    content.posts = parts;
    let app = TestApp::new(backend, content).await;
    let middle = app.get("/posts/part-2").await;
    middle.assert_contains(r#"Part 2 of 3 in <a href="/series/learn-rust">Learn Rust</a>"#);
    middle.assert_contains(r#"<span class="eyebrow">Previous in series</span>Part 1"#);
    middle.assert_contains(r#"<span class="eyebrow">Next in series</span>Part 3"#);
    let last = app.get("/posts/part-3").await;
    last.assert_lacks("Next in series");
    last.assert_lacks("part-4");

    // With part 2 scheduled, parts are counted among what readers see: never "Part 3 of 2".
    app.sql("UPDATE posts SET published_at = published_at + 864000 WHERE slug = 'part-2'").await;
    let last = app.get("/posts/part-3").await;
    last.assert_contains(r#"Part 2 of 2 in <a href="/series/learn-rust">"#);
    last.assert_lacks("Part 3 of");
    app.get("/posts/part-1").await.assert_contains("Part 1 of 2 in");
}

async fn related_posts_share_the_most_tags(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![
        post("Subject", 10 * DAY, &["rust", "design", "news"]),
        post("Shares three", 5 * DAY, &["rust", "design", "news"]),
        post("Shares two", HOUR, &["rust", "design"]),
        post("Shares one", 2 * HOUR, &["news"]),
        post("Shares none", 3 * HOUR, &[]),
        post("Draft sharing all", HOUR, &["rust", "design", "news"]).into_draft(),
    ];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/posts/subject").await;
    let related = &page.body[page.body.find("Related posts").expect("related section")..];
    let three = related.find("Shares three").expect("three");
    let two = related.find("Shares two").expect("two");
    let one = related.find("Shares one").expect("one");
    assert!(three < two && two < one, "ordered by shared tags: {related}");
    assert!(!related.contains("Shares none"));
    assert!(!related.contains("Draft sharing all"));
}

async fn hostile_markdown_is_sanitised(backend: Backend) {
    let mut content = fixtures::base();
    let mut p = post("Hostile", HOUR, &["rust"]);
    p.body_md = "<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=\"alert(2)\">\n\n<iframe src=\"https://evil.example\"></iframe>".into();
    p.rendered = folio::domain::markdown::render(&p.body_md);
    p.seo_description = Some("</script><script>alert(3)</script>".into());
    content.posts = vec![p];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/posts/hostile").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_lacks("alert(1)</script>");
    page.assert_lacks("javascript:");
    page.assert_lacks("onerror");
    page.assert_lacks("<iframe");
    page.assert_lacks("<script>alert(3)");
    // The description is escaped in attributes and inside JSON-LD.
    page.assert_contains(r#"\u003c/script\u003e\u003cscript\u003ealert(3)"#);
    assert_eq!(page.count("<script"), 2, "only htmx and the JSON-LD block");
}

async fn seo_overrides_take_precedence(backend: Backend) {
    let mut content = fixtures::base();
    let mut p = post("Plain title", HOUR, &["rust"]);
    p.seo_title = Some("Search title".into());
    p.seo_description = Some("Search description".into());
    content.posts = vec![p];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/posts/plain-title").await;
    page.assert_contains("<title>Search title — Folio</title>");
    page.assert_contains(r#"<meta name="description" content="Search description">"#);
    page.assert_contains(r#"<h1 class="post__title">Plain title</h1>"#);
}

/// Bodies are stored rendered; after the renderer changes, every process brings the stored
/// ones up to date at start-up, leaving typed excerpts alone.
async fn stored_bodies_are_rendered_again_when_the_renderer_changes(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![post("Old post", DAY, &["rust"])];
    let app = TestApp::new(backend, content).await;
    let current = format!(
        "SELECT COUNT(*) FROM site_settings WHERE key = 'markdown_version' AND value = '{}'",
        folio::domain::markdown::VERSION
    );
    app.eventually(&current, 1).await;
    app.sql("UPDATE posts SET body_html = '<h2 id=\"section\">stale</h2>', excerpt = 'typed', excerpt_typed = 'typed'").await;
    app.sql("UPDATE pages SET body_html = 'stale', body_text = ''").await;
    app.sql("UPDATE posts SET body_text = ''").await;
    app.sql("UPDATE site_settings SET value = '1' WHERE key = 'markdown_version'").await;
    let app = app.restart(rocket::figment::Figment::new()).await;
    app.eventually("SELECT COUNT(*) FROM posts WHERE body_html LIKE '%id=\"user-content-section\"%'", 1)
        .await;
    app.eventually("SELECT COUNT(*) FROM pages WHERE body_html LIKE '%<strong>write</strong>%'", 1).await;
    // Search's plain text comes back with them (the renderer's version 3 added it).
    app.eventually("SELECT COUNT(*) FROM posts WHERE body_text LIKE '%More text.%'", 1).await;
    app.eventually("SELECT COUNT(*) FROM pages WHERE body_text = 'We write things.'", 1).await;
    assert_eq!(app.text("SELECT excerpt FROM posts").await, "typed");
    app.get("/posts/old-post").await.assert_contains(r##"href="#user-content-section""##);
}

/// What a writer pastes reads well: bare URLs become links, and an excerpt cut at its limit never
/// splits a flag (a cut by code point left half of one in the card and the description).
async fn bare_links_and_excerpts_cut_between_characters(backend: Backend) {
    let mut content = fixtures::base();
    // No space to cut at, and flags of two code points each after an odd start: a cut at 220
    // code points falls inside a flag.
    let body =
        format!("a{} end.\n\nSee https://example.org/docs for more.", "\u{1f1f3}\u{1f1f4}".repeat(150));
    content.posts = vec![fixtures::post_with_body("Flags and links", &body)];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/posts/flags-and-links").await;
    page.assert_contains(
        r#"<a href="https://example.org/docs" rel="noopener noreferrer">https://example.org/docs</a>"#,
    );
    let home = app.get("/").await;
    assert_eq!(home.status, Status::Ok);
    for text in [&page.body, &home.body] {
        // Regional indicators pair up into flags: a run of odd length holds half a flag.
        let mut run = 0;
        for c in text.chars().chain(['.']) {
            if ('\u{1f1e6}'..='\u{1f1ff}').contains(&c) {
                run += 1;
            } else {
                assert!(run % 2 == 0, "half a flag in:\n{text}");
                run = 0;
            }
        }
    }
}

both_backends!(
    bare_links_and_excerpts_cut_between_characters,
    stored_bodies_are_rendered_again_when_the_renderer_changes,
    shows_the_article_with_everything_around_it,
    drafts_future_and_unknown_posts_are_not_found,
    a_scheduled_post_appears_on_its_own,
    series_navigation_follows_positions,
    related_posts_share_the_most_tags,
    hostile_markdown_is_sanitised,
    seo_overrides_take_precedence,
);
