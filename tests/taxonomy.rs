//! `/tags/<slug>`, `/authors/<slug>`, `/series/<slug>`: posts grouped three ways.

mod common;

use common::fixtures::{self, DAY, HOUR, post, slug};
use common::{Backend, TestApp};
use rocket::figment::Figment;
use rocket::http::Status;

async fn tag_page_lists_only_its_visible_posts(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = vec![
        post("Rusty new", HOUR, &["rust"]),
        post("Rusty old", DAY, &["design", "rust"]),
        post("Designy", HOUR, &["design"]),
        post("Rusty draft", HOUR, &["rust"]).into_draft(),
        post("Rusty future", -DAY, &["rust"]),
    ];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/tags/rust").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains(r#"<h1>Rust</h1>"#);
    page.assert_contains("All about rust.");
    assert!(page.body.find("Rusty new") < page.body.find("Rusty old"));
    page.assert_lacks("Designy");
    page.assert_lacks("Rusty draft");
    page.assert_lacks("Rusty future");
    page.assert_contains(r#"<link rel="canonical" href="http://localhost:8000/tags/rust">"#);
    page.assert_contains(r#""@type":"CollectionPage""#);
    assert_eq!(app.get("/tags/nope").await.status, Status::NotFound);
}

async fn tag_pages_paginate(backend: Backend) {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(5);
    let app = TestApp::with_config(backend, content, Figment::new().merge(("posts_per_page", 2))).await;
    let second = app.get("/tags/rust?page=2").await;
    second.assert_contains("Post 3");
    second.assert_contains(r#"href="/tags/rust?page=3" rel="next""#);
    second.assert_contains(r#"href="/tags/rust" rel="prev""#);
    second.assert_contains("<title>Rust — Folio — Page 2</title>");
    assert_eq!(app.get("/tags/rust?page=4").await.status, Status::NotFound);
    assert_eq!(app.get("/tags/rust?page=abc").await.status, Status::NotFound);
    let fragment = app.get_hx("/tags/rust?page=2").await;
    fragment.assert_lacks("<html");
    fragment.assert_contains(r#"data-hx-get="/tags/rust?page=3""#);
}

async fn author_page_lists_their_posts(backend: Backend) {
    let mut content = fixtures::base();
    let mut bos = post("By Bo", HOUR, &["news"]);
    bos.author = slug("bo");
    content.posts = vec![bos, post("By Ada", HOUR, &["news"])];
    let app = TestApp::new(backend, content).await;
    let page = app.get("/authors/bo").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("<h1>Bo Editor</h1>");
    page.assert_contains("Bo Editor writes here.");
    page.assert_contains("By Bo");
    page.assert_lacks("By Ada");
    page.assert_contains(r#"<meta property="og:type" content="profile">"#);
    page.assert_contains(r#""@type":"ProfilePage""#);
    assert_eq!(app.get("/authors/nobody").await.status, Status::NotFound);
}

async fn series_page_lists_parts_in_order(backend: Backend) {
    let mut content = fixtures::base();
    // Written out of order: positions, not dates, decide the order.
    for (n, age) in [(2, 3 * DAY), (1, DAY), (3, 2 * DAY)] {
        let mut p = post(&format!("Chapter {n}"), age, &["rust"]);
        p.series = Some((slug("learn-rust"), n));
        content.posts.push(p);
    }
    let mut draft = post("Chapter 4", HOUR, &["rust"]).into_draft();
    draft.series = Some((slug("learn-rust"), 4));
    content.posts.push(draft);
    let app = TestApp::new(backend, content).await;
    let page = app.get("/series/learn-rust").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("<h1>Learn Rust</h1>");
    page.assert_contains("Series · 3 parts");
    let (one, two, three) =
        (page.body.find("Chapter 1"), page.body.find("Chapter 2"), page.body.find("Chapter 3"));
    assert!(one.is_some() && one < two && two < three, "in series order");
    page.assert_lacks("Chapter 4");
    assert_eq!(app.get("/series/nope").await.status, Status::NotFound);
}

both_backends!(
    tag_page_lists_only_its_visible_posts,
    tag_pages_paginate,
    author_page_lists_their_posts,
    series_page_lists_parts_in_order,
);
