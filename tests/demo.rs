//! The demo data set: varied, realistic Markdown, and a site that renders all of it.

mod common;

use common::{Backend, TestApp};
use rocket::http::Status;

#[test]
fn demo_content_is_varied_and_deterministic() {
    let now = 1_800_000_000;
    let bundle = folio::demo::bundle(120, now);
    assert_eq!(bundle.posts.len(), 120);
    assert_eq!(folio::demo::bundle(120, now).posts[17].body_md, bundle.posts[17].body_md);
    let all: String = bundle.posts.iter().map(|p| p.body_md.as_str()).collect();
    for feature in ["\n## ", "\n- ", "\n1. ", "```", "![", "](https://", "| Approach", "> "] {
        assert!(all.contains(feature), "demo bodies contain {feature:?}");
    }
    let words: Vec<usize> = bundle.posts.iter().map(|p| p.body_md.split_whitespace().count()).collect();
    assert!(words.iter().min() < Some(&300) && words.iter().max() > Some(&1200), "varied lengths: {words:?}");
    assert!(bundle.posts.iter().any(|p| p.published_at.is_none()), "some drafts");
    assert!(bundle.posts.iter().any(|p| p.published_at.is_some_and(|t| t > now)), "some scheduled");
    assert!(bundle.posts.iter().any(|p| p.series.is_some()));
    assert!(bundle.posts.iter().any(|p| p.cover_image.is_some()));
    let slugs: std::collections::HashSet<_> = bundle.posts.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs.len(), bundle.posts.len(), "unique slugs");
}

/// Only a scheduled post's publication lies ahead; nothing was written or changed in the future.
#[test]
fn demo_history_is_in_the_past() {
    let now = 1_800_000_000;
    for post in folio::demo::bundle(120, now).posts {
        assert!(
            post.created_at <= now && post.updated_at <= now,
            "{}: created {} changed {}",
            post.title,
            post.created_at,
            post.updated_at
        );
        assert!(post.created_at <= post.updated_at, "{}", post.title);
    }
}

async fn every_demo_page_renders(backend: Backend) {
    let bundle = folio::demo::bundle(80, folio::domain::now());
    let app = TestApp::new(backend, bundle.clone()).await;
    assert_eq!(app.get("/").await.status, Status::Ok);
    for post in &bundle.posts {
        let page = app.get(&format!("/posts/{}", post.slug)).await;
        let visible = post.published_at.is_some_and(|t| t <= folio::domain::now());
        let expected = if visible { Status::Ok } else { Status::NotFound };
        assert_eq!(page.status, expected, "{}", post.slug);
    }
    for tag in &bundle.tags {
        assert_eq!(app.get(&format!("/tags/{}", tag.slug)).await.status, Status::Ok);
    }
    for author in &bundle.authors {
        assert_eq!(app.get(&format!("/authors/{}", author.slug)).await.status, Status::Ok);
    }
    for series in &bundle.series {
        let page = app.get(&format!("/series/{}", series.slug)).await;
        assert_eq!(page.status, Status::Ok);
        page.assert_contains("<ol class=\"series-list\">");
    }
    assert_eq!(app.get("/about").await.status, Status::Ok);
}

/// `folio demo` gives the three newest posts a short discussion, with a staff reply.
async fn the_demo_shows_comments(backend: Backend) {
    let app = TestApp::new(backend, folio::domain::content::ContentBundle::default()).await;
    folio::demo::seed(&app.db, 20).await.expect("an empty database takes the demo");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments WHERE status = 'approved'").await, 9);
    let home = app.get("/").await;
    assert_eq!(home.count(">3 comments</a>"), 3, "{}", home.body);
    let slug =
        app.text("SELECT p.slug FROM posts p JOIN comments c ON c.post_id = p.id WHERE c.staff_reply").await;
    let page = app.get(&format!("/posts/{slug}")).await;
    page.assert_contains("3 comments</h2>");
    page.assert_contains(r#"<span class="badge">Staff</span>"#);
    page.assert_contains("<em>trade-offs</em>");
}

both_backends!(every_demo_page_renders, the_demo_shows_comments);
