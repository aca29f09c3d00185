//! Readers' suggested corrections (issue 17): a private queue for editors, the same bot defence
//! as comments, and dated correction notices above the article, kept in the post's revisions.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{DAY, base, post};
use common::{Backend, TestApp, value_of};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

const ARTICLE: &str = "/posts/hello-world";
const FORM: &str = "/posts/hello-world/correction";
const POST_TO: &str = "/posts/hello-world/corrections";

async fn site(backend: Backend) -> TestApp {
    let mut bundle = base();
    bundle.posts = vec![post("Hello world", DAY, &["rust"])];
    TestApp::new(backend, bundle).await
}

async fn a_suggestion_reaches_editors_only_and_becomes_a_dated_notice(backend: Backend) {
    let app = site(backend).await;
    app.get(ARTICLE).await.assert_contains(r#"<a href="/posts/hello-world/correction""#);
    let reader = app.browser().await;
    let fields = [
        ("passage", "Rust was first released in 2012."),
        ("problem", "Rust 1.0 came out in May 2015."),
        ("email", ""),
    ];
    let sent = reader.submit_stamped(FORM, POST_TO, &fields).await;
    assert_eq!(sent.status, Status::SeeOther, "{}", sent.body);
    reader.get(FORM).await.assert_contains("The editors will look at your suggestion.");
    assert_eq!(app.count("SELECT COUNT(*) FROM corrections WHERE status = 'open'").await, 1);
    let article = app.browser().await.get(ARTICLE).await;
    article.assert_lacks("May 2015");

    let (_, author) = app.browser_as(Role::Author).await;
    assert_eq!(author.get("/admin/corrections").await.status, Status::Forbidden);
    let (_, editor) = app.browser_as(Role::Editor).await;
    editor.get("/admin").await.assert_contains(r#"<span class="count">1<span class="visually-hidden"> open"#);
    let queue = editor.get("/admin/corrections").await;
    queue.assert_contains("Rust 1.0 came out in May 2015.");
    let id = app.count("SELECT id FROM corrections").await;
    let post_id = app.count("SELECT id FROM posts WHERE slug = 'hello-world'").await;
    let notices = format!("/admin/posts/{post_id}/corrections");
    editor
        .get(&format!("{notices}?suggestion={id}"))
        .await
        .assert_contains("Rust was first released in 2012.");
    let empty = editor.submit(&notices, &[("body", " "), ("suggestion", &id.to_string())]).await;
    assert_eq!(empty.status, Status::UnprocessableEntity);
    let notice = "An earlier version said Rust was first released in 2012; Rust 1.0 came out in May 2015.";
    let added = editor.submit(&notices, &[("body", notice), ("suggestion", &id.to_string())]).await;
    assert_eq!(added.status, Status::SeeOther);
    assert_eq!(app.text("SELECT status FROM corrections").await, "resolved");

    let article = app.browser().await.get(ARTICLE).await;
    let today = folio::domain::dates::human(folio::domain::now());
    article.assert_contains(&format!(
        r#"<p class="correction"><strong>Correction, {today}:</strong> {notice}</p>"#
    ));
    assert!(
        article.body.find("class=\"correction\"").unwrap() < article.body.find("class=\"prose").unwrap(),
        "above the body"
    );
    article.assert_contains(r#""correction":[{"@type":"CorrectionComment""#);
    let revisions = app.count(&format!("SELECT COUNT(*) FROM post_revisions WHERE post_id = {post_id} AND note LIKE 'Correction notice added:%'")).await;
    assert_eq!(revisions, 1);
    editor.get(&format!("/admin/posts/{post_id}/revisions")).await.assert_contains("Correction notice added");

    let notice_id = app.count("SELECT id FROM correction_notices").await;
    let removed = editor.submit(&format!("{notices}/{notice_id}/delete"), &[]).await;
    assert_eq!(removed.status, Status::SeeOther);
    app.browser().await.get(ARTICLE).await.assert_lacks("Correction,");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM post_revisions WHERE post_id = {post_id} AND note LIKE 'Correction notice removed:%'")).await, 1);
    assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%correction notice%'").await >= 2);

    // Dismissed, then reopened.
    editor.submit(&format!("/admin/corrections/{id}"), &[("decision", "dismissed")]).await;
    assert_eq!(app.text("SELECT status FROM corrections").await, "dismissed");
    editor.get("/admin/corrections?status=dismissed").await.assert_contains("May 2015");
    editor.submit(&format!("/admin/corrections/{id}"), &[("decision", "open")]).await;
    assert_eq!(app.text("SELECT status FROM corrections").await, "open");
}

async fn suggestions_get_the_same_bot_defence_as_comments(backend: Backend) {
    let app = site(backend).await;
    app.sql("INSERT INTO site_settings (key, value) VALUES ('comment_blocklist', '@spam.example')").await;
    let app = app.restart(Figment::new()).await;
    let reader = app.browser().await;
    let bot = [("passage", "x"), ("problem", "buy now"), ("email", ""), ("website", "http://spam.example")];
    assert_eq!(reader.submit_stamped(FORM, POST_TO, &bot).await.status, Status::SeeOther);
    let blocked = [("passage", "x"), ("problem", "y"), ("email", "a@spam.example")];
    assert_eq!(reader.submit_stamped(FORM, POST_TO, &blocked).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM corrections").await, 0, "thanked, and nothing stored");

    let stamp = value_of(&reader.get(FORM).await.body, "stamp").unwrap();
    let hasty = [
        ("stamp", stamp.as_str()),
        ("passage", "the quoted words"),
        ("problem", "the explanation"),
        ("email", ""),
    ];
    let refused = reader.submit(POST_TO, &hasty).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("quicker than anyone");
    refused.assert_contains("the quoted words");
    refused.assert_contains("the explanation");
    let invalid =
        reader.submit_stamped(FORM, POST_TO, &[("passage", ""), ("problem", "p"), ("email", "nope")]).await;
    assert_eq!(invalid.status, Status::UnprocessableEntity);
    invalid.assert_contains("Enter the passage.");
    // htmx: the thanks in the form's place.
    let stamp = value_of(&reader.get_hx(FORM).await.body, "stamp").unwrap();
    reader.advance_clock(5);
    let token = reader.csrf().await;
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("passage", "a"),
        ("problem", "b"),
        ("email", ""),
    ];
    let thanks = reader.post(POST_TO, &fields, &[("HX-Request", "true")]).await;
    assert_eq!(thanks.status, Status::Ok);
    assert!(!thanks.body.contains("<html"));
    thanks.assert_contains("The editors will look at your suggestion.");
    assert_eq!(app.count("SELECT COUNT(*) FROM corrections").await, 1);
}

both_backends!(
    a_suggestion_reaches_editors_only_and_becomes_a_dated_notice,
    suggestions_get_the_same_bot_defence_as_comments,
);
