//! Faults a review of the comments work found (issue 17), each a test that failed first: mail an
//! author could cause on others' posts, edits that skipped the spam rules, article pages that
//! stayed in caches past a change, counts of comments nobody sees, lost text, a number that
//! overflowed, the first-comment rule fooled by a known address, links to comments on older
//! pages, and block-list entries lost to a stale copy.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{DAY, base, post};
use common::{Backend, Browser, Page, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

const ARTICLE: &str = "/posts/hello-world";
const FORM: &str = "/posts/hello-world/comment";
const POST_TO: &str = "/posts/hello-world/comments";

async fn site(backend: Backend, settings: &[(&str, &str)], extra: Figment) -> TestApp {
    let mut bundle = base();
    bundle.posts = vec![post("Hello world", DAY, &["rust"]), post("Second post", 2 * DAY, &[])];
    let app = TestApp::with_config(backend, bundle, extra.clone()).await;
    for (key, value) in settings {
        app.sql(&format!("INSERT INTO site_settings (key, value) VALUES ('{key}', '{value}')")).await;
    }
    app.restart(extra).await
}

async fn guest(b: &Browser, form: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    b.submit_stamped(form, action, fields).await
}

async fn id_of(app: &TestApp, body: &str) -> i64 {
    app.count(&format!("SELECT id FROM comments WHERE body_md = '{body}'")).await
}

async fn status_of(app: &TestApp, body: &str) -> String {
    app.text(&format!("SELECT status FROM comments WHERE body_md = '{body}'")).await
}

async fn approved(app: &TestApp, body: &str) {
    app.sql(&format!("UPDATE comments SET status = 'approved' WHERE body_md = '{body}'")).await;
}

/// An author's approval that moves nothing (a reply on another author's post) mails nobody.
async fn approving_what_one_may_not_moderate_sends_no_mail(backend: Backend) {
    let app = site(backend, &[], Figment::new()).await;
    let (author, author_b) = app.browser_as(Role::Author).await;
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE slug = 'second-post'", author.id)).await;
    let b = app.browser().await;
    let asks = [("name", "Ann"), ("email", "ann@example.org"), ("body", "asks"), ("notify", "true")];
    guest(&b, FORM, POST_TO, &asks).await;
    approved(&app, "asks").await;
    let parent = id_of(&app, "asks").await.to_string();
    let reply =
        [("name", "Bo"), ("email", "bo@example.org"), ("body", "answers"), ("parent", parent.as_str())];
    guest(&b, &format!("{FORM}?reply={parent}"), POST_TO, &reply).await;
    assert_eq!(status_of(&app, "answers").await, "pending");
    let before = app.count("SELECT COUNT(*) FROM outbox").await;
    let act = format!("approve:{}", id_of(&app, "answers").await);
    author_b.submit("/admin/comments", &[("back", ""), ("act", act.as_str())]).await;
    assert_eq!(status_of(&app, "answers").await, "pending", "not the author's post");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, before, "and no reply notice");
}

/// An edit goes through the block list and the link limit as a new comment does.
async fn an_edit_meets_the_spam_rules_again(backend: Backend) {
    let settings = [("comment_moderation", "none"), ("comment_blocklist", "viagra")];
    let app = site(backend, &settings, Figment::new()).await;
    let (_, member) = app.browser_as(Role::Member).await;
    guest(&member, FORM, POST_TO, &[("body", "Nice post")]).await;
    let id = id_of(&app, "Nice post").await;
    assert_eq!(status_of(&app, "Nice post").await, "approved");
    let links = "see [a](https://a.example) [b](https://b.example) [c](https://c.example)";
    member.submit(&format!("/comments/{id}/edit"), &[("body", links)]).await;
    assert_eq!(status_of(&app, links).await, "pending", "three links wait for a moderator");
    member.submit(&format!("/comments/{id}/edit"), &[("body", "buy viagra")]).await;
    assert_eq!(status_of(&app, "buy viagra").await, "spam");
    app.get(ARTICLE).await.assert_lacks("viagra");
}

/// The article's page-cache entry ends when the post stops taking comments.
async fn a_cached_article_ends_when_comments_close(backend: Backend) {
    let cache = Figment::new().merge(("page_cache", 8 << 20));
    let app = site(backend, &[("comment_close_days", "2")], cache).await;
    // Published a day ago: it closes in a day.
    let first = app.get(ARTICLE).await;
    first.assert_contains("Write a comment");
    assert!(first.header("Expires").is_some(), "a page that closes says when");
    assert_eq!(app.get(ARTICLE).await.header("Cache-Status"), Some("folio; hit"));
    app.advance_clock(DAY + 60);
    let later = app.get(ARTICLE).await;
    assert_ne!(later.header("Cache-Status"), Some("folio; hit"));
    later.assert_contains("Comments are closed");
}

/// `Last-Modified` moves with the comments and notices a page shows, so a client that only
/// sends `If-Modified-Since` is not told "not modified" about a page with a new comment.
async fn last_modified_follows_comments_and_notices(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    let modified = app.get(ARTICLE).await.header("Last-Modified").unwrap().to_owned();
    app.advance_clock(5);
    guest(
        &app.browser().await,
        FORM,
        POST_TO,
        &[("name", "Ann"), ("email", "a@example.org"), ("body", "new")],
    )
    .await;
    let since = app.send(rocket::http::Method::Get, ARTICLE, &[("If-Modified-Since", &modified)], None).await;
    assert_eq!(since.status, Status::Ok, "a new comment is a change");
    since.assert_contains("<p>new</p>");
}

/// A comment page number too large for any arithmetic is simply not found.
async fn a_huge_comment_page_is_not_found(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    guest(
        &app.browser().await,
        FORM,
        POST_TO,
        &[("name", "Ann"), ("email", "a@example.org"), ("body", "one")],
    )
    .await;
    for page in ["9223372036854775807", "-9223372036854775808", "0", "-1", "2"] {
        let answer = app.get(&format!("{ARTICLE}?comments={page}")).await;
        assert_eq!(answer.status, Status::NotFound, "?comments={page}");
    }
    assert_eq!(app.get(&format!("{ARTICLE}?comments=1")).await.status, Status::Ok);
}

/// Replies under a comment taken off the page are not counted as shown.
async fn counts_follow_what_is_shown(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    let b = app.browser().await;
    guest(&b, FORM, POST_TO, &[("name", "Ann"), ("email", "a@example.org"), ("body", "top")]).await;
    let top = id_of(&app, "top").await.to_string();
    let reply = [("name", "Bo"), ("email", "b@example.org"), ("body", "under"), ("parent", top.as_str())];
    guest(&b, &format!("{FORM}?reply={top}"), POST_TO, &reply).await;
    guest(&b, FORM, POST_TO, &[("name", "Cy"), ("email", "c@example.org"), ("body", "other")]).await;
    let count = || app.count("SELECT comment_count FROM posts WHERE slug = 'hello-world'");
    assert_eq!(count().await, 3);
    for status in ["trash", "spam", "pending"] {
        app.sql(&format!("UPDATE comments SET status = '{status}' WHERE body_md = 'top'")).await;
        assert_eq!(count().await, 1, "{status}: only 'other' is shown");
        app.get(ARTICLE).await.assert_contains("1 comment</h2>");
        app.sql("UPDATE comments SET status = 'approved' WHERE body_md = 'top'").await;
        assert_eq!(count().await, 3);
    }
}

/// An edit sent after the window comes back with the text, not a bare redirect.
async fn a_late_edit_keeps_the_text(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    let (_, member) = app.browser_as(Role::Member).await;
    guest(&member, FORM, POST_TO, &[("body", "first words")]).await;
    let id = id_of(&app, "first words").await;
    member.advance_clock(11 * 60);
    let late = member.submit(&format!("/comments/{id}/edit"), &[("body", "my careful rewrite")]).await;
    assert_eq!(late.status, Status::UnprocessableEntity);
    late.assert_contains("my careful rewrite");
    late.assert_contains("can be edited for 10 minutes");
}

/// The first-comment rule trusts a guest by name and address from an approved guest comment,
/// never a member's address; and only signed-in members (whose address is confirmed) may ask
/// for reply notices.
async fn a_known_address_does_not_skip_moderation(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "first")], Figment::new()).await;
    let (member, member_b) = app.browser_as(Role::Member).await;
    guest(&member_b, FORM, POST_TO, &[("body", "member speaks")]).await;
    approved(&app, "member speaks").await;
    let b = app.browser().await;
    let spoof = [("name", "Mallory"), ("email", member.email.as_str()), ("body", "spoofed")];
    guest(&b, FORM, POST_TO, &spoof).await;
    assert_eq!(status_of(&app, "spoofed").await, "pending", "a member's address is theirs alone");
    guest(&b, FORM, POST_TO, &[("name", "Ann"), ("email", "ann@example.org"), ("body", "ann one")]).await;
    approved(&app, "ann one").await;
    guest(&b, FORM, POST_TO, &[("name", "Eve"), ("email", "ann@example.org"), ("body", "eve as ann")]).await;
    assert_eq!(status_of(&app, "eve as ann").await, "pending", "another name with Ann's address");
    guest(&b, FORM, POST_TO, &[("name", "Ann"), ("email", "ann@example.org"), ("body", "ann two")]).await;
    assert_eq!(status_of(&app, "ann two").await, "approved");
    // Guests are not offered reply notices, and asking anyway subscribes nobody.
    b.get(FORM).await.assert_lacks("name=\"notify\"");
    let asks =
        [("name", "Ann"), ("email", "victim@example.org"), ("body", "subscribe her"), ("notify", "true")];
    guest(&b, FORM, POST_TO, &asks).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM comments WHERE body_md = 'subscribe her' AND notify_replies").await,
        0
    );
    member_b.get(FORM).await.assert_contains("name=\"notify\"");
}

/// `/comments/<id>` finds a comment on whichever page it has come to be.
async fn a_comment_link_finds_its_page(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    app.sql("INSERT INTO comments (post_id, author_name, body_md, body_html, status, created_at) SELECT p.id, 'Old', 'old ' || n.i, '<p>old</p>', 'approved', 1000 + n.i FROM posts p, (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 150) SELECT i FROM s) n WHERE p.slug = 'hello-world'").await;
    let oldest = id_of(&app, "old 1").await;
    let newest = id_of(&app, "old 150").await;
    let far = app.get(&format!("/comments/{oldest}")).await;
    assert_eq!(far.status, Status::SeeOther);
    assert_eq!(far.header("Location"), Some(format!("{ARTICLE}?comments=2#comment-{oldest}").as_str()));
    let near = app.get(&format!("/comments/{newest}")).await;
    assert_eq!(near.header("Location"), Some(format!("{ARTICLE}#comment-{newest}").as_str()));
    app.sql("UPDATE comments SET status = 'pending' WHERE body_md = 'old 2'").await;
    assert_eq!(app.get(&format!("/comments/{}", id_of(&app, "old 2").await)).await.status, Status::NotFound);
}

/// "Spam and block" adds to the list as saved, not to a process's older copy of it; and only
/// those who moderate every post may change the site's list.
async fn spam_and_block_keeps_what_was_saved_meanwhile(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")], Figment::new()).await;
    let b = app.browser().await;
    guest(&b, FORM, POST_TO, &[("name", "M"), ("email", "mallory@example.net"), ("body", "junk")]).await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    // Saved through another process a moment ago: this one has not read it yet.
    app.sql("INSERT INTO site_settings (key, value) VALUES ('comment_blocklist', 'saved elsewhere') ON CONFLICT (key) DO UPDATE SET value = 'saved elsewhere'").await;
    let act = format!("spam-block:{}", id_of(&app, "junk").await);
    editor.submit("/admin/comments", &[("back", ""), ("act", act.as_str())]).await;
    let list = app.text("SELECT value FROM site_settings WHERE key = 'comment_blocklist'").await;
    assert!(list.contains("saved elsewhere") && list.contains("mallory@example.net"), "{list}");
    assert!(
        app.text("SELECT detail FROM audit_log WHERE action LIKE '%blocked%'")
            .await
            .contains("mallory@example.net")
    );

    let (author, author_b) = app.browser_as(Role::Author).await;
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE slug = 'hello-world'", author.id)).await;
    guest(&b, FORM, POST_TO, &[("name", "N"), ("email", "nina@example.net"), ("body", "more junk")]).await;
    let act = format!("spam-block:{}", id_of(&app, "more junk").await);
    author_b.submit("/admin/comments", &[("back", ""), ("act", act.as_str())]).await;
    assert_eq!(status_of(&app, "more junk").await, "approved", "an author marks spam but blocks nobody");
    assert!(
        !app.text("SELECT value FROM site_settings WHERE key = 'comment_blocklist'").await.contains("nina")
    );
}

/// A public form shown again after an error keeps the stamp it was sent with, so fixing one
/// field does not restart the three seconds: the comment, correction and sign-up forms alike.
async fn a_form_shown_again_keeps_its_stamp(backend: Backend) {
    let app = site(backend, &[], Figment::new()).await;
    let forms = [
        (FORM, POST_TO, vec![("name", "Ann"), ("email", "not an address"), ("body", "hi")]),
        (
            "/posts/hello-world/correction",
            "/posts/hello-world/corrections",
            vec![("passage", ""), ("problem", "p"), ("email", "")],
        ),
        ("/sign-up", "/sign-up", vec![("display_name", "Reader"), ("email", "nope"), ("password", "short")]),
    ];
    for (form, action, fields) in forms {
        let stamp = app.stamp(form).await;
        let mut all = vec![("stamp", stamp.as_str())];
        all.extend(fields);
        let again = app.submit(action, &all).await;
        assert_eq!(again.status, Status::UnprocessableEntity, "{form}");
        assert_eq!(common::value_of(&again.body, "stamp").as_deref(), Some(stamp.as_str()), "{form}");
    }
}

both_backends!(
    a_form_shown_again_keeps_its_stamp,
    approving_what_one_may_not_moderate_sends_no_mail,
    an_edit_meets_the_spam_rules_again,
    a_cached_article_ends_when_comments_close,
    last_modified_follows_comments_and_notices,
    a_huge_comment_page_is_not_found,
    counts_follow_what_is_shown,
    a_late_edit_keeps_the_text,
    a_known_address_does_not_skip_moderation,
    a_comment_link_finds_its_page,
    spam_and_block_keeps_what_was_saved_meanwhile,
);
