//! Readers' comments (issue 17): posting as a guest or a member, every policy and moderation
//! setting, the bot defence (honeypot, fill time, rate limits, links, block list), editing and
//! deleting one's own, moderation in the admin, mail, hostile input, and the article staying
//! the same bytes for every signed-out reader.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{DAY, base, post};
use common::smtp::SmtpSink;
use common::{Backend, Browser, Page, TestApp, value_of};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

const ARTICLE: &str = "/posts/hello-world";
const FORM: &str = "/posts/hello-world/comment";
const POST_TO: &str = "/posts/hello-world/comments";

/// A site with one post ("Hello world", a day old) and `settings` saved as the admin would.
async fn site(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
    site_with(backend, settings, Figment::new()).await
}

async fn site_with(backend: Backend, settings: &[(&str, &str)], extra: Figment) -> TestApp {
    let mut bundle = base();
    bundle.posts = vec![post("Hello world", DAY, &["rust"]), post("Second post", 2 * DAY, &[])];
    let app = TestApp::with_config(backend, bundle, extra.clone()).await;
    if settings.is_empty() {
        return app;
    }
    for (key, value) in settings {
        app.sql(&format!("INSERT INTO site_settings (key, value) VALUES ('{key}', '{value}')")).await;
    }
    app.restart(extra).await
}

/// A guest's comment with `body`, sent as a person would (the form read, then 5 s later sent).
async fn guest_comment(b: &Browser, name: &str, email: &str, body: &str) -> Page {
    b.submit_stamped(FORM, POST_TO, &[("name", name), ("email", email), ("url", ""), ("body", body)]).await
}

async fn member_comment(b: &Browser, body: &str) -> Page {
    b.submit_stamped(FORM, POST_TO, &[("body", body)]).await
}

async fn status_of(app: &TestApp, body: &str) -> String {
    app.text(&format!("SELECT status FROM comments WHERE body_md = '{body}'")).await
}

async fn id_of(app: &TestApp, body: &str) -> i64 {
    app.count(&format!("SELECT id FROM comments WHERE body_md = '{body}'")).await
}

/// What a new signed-out reader sees of the article.
async fn article(app: &TestApp) -> Page {
    let page = app.browser().await.get(ARTICLE).await;
    assert_eq!(page.status, Status::Ok);
    page
}

async fn moderate(b: &Browser, act: &str, id: i64) -> Page {
    b.submit("/admin/comments", &[("back", "status=pending"), ("act", &format!("{act}:{id}"))]).await
}

async fn a_guest_comment_waits_for_approval_then_appears_for_everyone(backend: Backend) {
    let app = site(backend, &[]).await;
    let guest = app.browser().await;
    let sent = guest_comment(&guest, "Ann Lee", "ann@example.org", "First! *Nice* post.").await;
    assert_eq!(sent.status, Status::SeeOther, "{}", sent.body);
    assert_eq!(sent.header("Location"), Some("/posts/hello-world#comments"));
    // Back on the article, the guest is told; the page is theirs then, and not stored.
    let back = guest.get(ARTICLE).await;
    back.assert_contains("Your comment is awaiting moderation.");
    assert_eq!(status_of(&app, "First! *Nice* post.").await, "pending");
    article(&app).await.assert_lacks("Nice");

    let (_, editor) = app.browser_as(Role::Editor).await;
    let queue = editor.get("/admin/comments").await;
    queue.assert_contains("First! <em>Nice</em> post.");
    queue.assert_contains("ann@example.org");
    let id = id_of(&app, "First! *Nice* post.").await;
    assert_eq!(moderate(&editor, "approve", id).await.status, Status::SeeOther);
    assert_eq!(status_of(&app, "First! *Nice* post.").await, "approved");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'approved'").await, 1);

    let page = article(&app).await;
    page.assert_contains(&format!("id=\"comment-{id}\""));
    page.assert_contains("<p>First! <em>Nice</em> post.</p>");
    page.assert_contains("1 comment</h2>");
    page.assert_contains(r#""commentCount":1"#);
    page.assert_contains(r#"<span class="avatar avatar--"#);
    page.assert_lacks("ann@example.org");
    app.get("/").await.assert_contains(r##"<a href="/posts/hello-world#comments">1 comment</a>"##);
}

async fn every_policy_and_closing_rule(backend: Backend) {
    for (site_policy, post_policy, guest_ok, member_ok) in [
        ("open", None, true, true),
        ("members", None, false, true),
        ("closed", None, false, false),
        ("closed", Some("open"), true, true),
        ("open", Some("members"), false, true),
        ("open", Some("closed"), false, false),
        ("members", Some("open"), true, true),
    ] {
        let app = site(backend, &[("comment_policy", site_policy), ("comment_moderation", "none")]).await;
        if let Some(policy) = post_policy {
            app.sql(&format!("UPDATE posts SET comment_policy = '{policy}' WHERE slug = 'hello-world'"))
                .await;
        }
        let case = format!("site {site_policy}, post {post_policy:?}");
        let guest = app.browser().await;
        let form = guest.get(FORM).await;
        assert_eq!(form.body.contains("name=\"body\""), guest_ok, "{case}: {}", form.body);
        let sent = guest_comment(&guest, "Gus", "gus@example.org", "guest says hi").await;
        assert_eq!(sent.status == Status::SeeOther, guest_ok, "{case}: {}", sent.status);
        if !guest_ok {
            assert_eq!(sent.status, Status::Forbidden, "{case}");
            sent.assert_contains("guest says hi");
        }
        let (_, member) = app.browser_as(Role::Member).await;
        let sent = member_comment(&member, "member says hi").await;
        assert_eq!(sent.status == Status::SeeOther, member_ok, "{case}: {}", sent.status);
        let page = article(&app).await;
        if member_ok {
            page.assert_contains("Write a comment");
        } else {
            page.assert_contains("Comments are off for this post.");
            page.assert_lacks("Write a comment");
        }
        let stored = app.count("SELECT COUNT(*) FROM comments").await;
        assert_eq!(stored, i64::from(guest_ok) + i64::from(member_ok), "{case}");
    }
    // Closed some days after publication (the post is a day old).
    let app = site(backend, &[("comment_close_days", "1")]).await;
    article(&app).await.assert_contains("Comments are closed");
    let sent = guest_comment(&app.browser().await, "Gus", "gus@example.org", "too late").await;
    assert_eq!(sent.status, Status::Forbidden);
    let app = site(backend, &[("comment_close_days", "2")]).await;
    article(&app).await.assert_contains("Write a comment");
}

async fn moderation_holds_all_the_first_or_none(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "all")]).await;
    let (_, member) = app.browser_as(Role::Member).await;
    member_comment(&member, "one").await;
    assert_eq!(status_of(&app, "one").await, "pending");

    let app = site(backend, &[("comment_moderation", "first")]).await;
    let guest = app.browser().await;
    guest_comment(&guest, "Ann", "ann@example.org", "first from ann").await;
    assert_eq!(status_of(&app, "first from ann").await, "pending");
    guest_comment(&guest, "Ann", "ann@example.org", "still held").await;
    assert_eq!(status_of(&app, "still held").await, "pending", "held until one is approved");
    app.sql("UPDATE comments SET status = 'approved' WHERE body_md = 'first from ann'").await;
    let sent = guest_comment(&guest, "Ann", "ann@example.org", "now trusted").await;
    assert!(sent.header("Location").unwrap().starts_with("/posts/hello-world#comment-"));
    assert_eq!(status_of(&app, "now trusted").await, "approved");
    guest_comment(&guest, "Bob", "bob@example.org", "bobs first").await;
    assert_eq!(status_of(&app, "bobs first").await, "pending");

    let app = site(backend, &[("comment_moderation", "none")]).await;
    guest_comment(&app.browser().await, "Cy", "cy@example.org", "straight in").await;
    assert_eq!(status_of(&app, "straight in").await, "approved");
}

async fn the_honeypot_drops_bots_silently_and_the_fill_time_refuses_haste(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")]).await;
    let guest = app.browser().await;
    let fields = [
        ("name", "Bot"),
        ("email", "bot@example.org"),
        ("body", "buy now"),
        ("website", "http://spam.example"),
    ];
    let bot = guest.submit_stamped(FORM, POST_TO, &fields).await;
    let person = guest_comment(&app.browser().await, "Ann", "ann@example.org", "held? no").await;
    assert_eq!(bot.status, Status::SeeOther);
    assert_eq!(bot.header("Location"), Some("/posts/hello-world#comments"), "looks like a held comment");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments WHERE author_name = 'Bot'").await, 0);
    assert_eq!(person.status, Status::SeeOther);

    // Sent within three seconds of the form being handed out.
    let page = guest.get(FORM).await;
    let stamp = value_of(&page.body, "stamp").unwrap();
    let hasty = [
        ("stamp", stamp.as_str()),
        ("name", "Zed"),
        ("email", "zed@example.org"),
        ("body", "typed in a flash"),
    ];
    let refused = guest.submit(POST_TO, &hasty).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("quicker than anyone");
    refused.assert_contains("typed in a flash");
    refused.assert_contains("value=\"Zed\"");
    // A forged stamp, and one for another post's form.
    for stamp in ["1.AAAA", "garbage", ""] {
        let forged = [("stamp", stamp), ("name", "Zed"), ("email", "zed@example.org"), ("body", "forged")];
        let page = guest.submit(POST_TO, &forged).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{stamp}");
        page.assert_contains("This form had expired");
    }
    let other = guest.stamp("/posts/second-post/comment").await;
    let page = guest
        .submit(POST_TO, &[("stamp", other.as_str()), ("name", "Zed"), ("email", "z@e.org"), ("body", "x")])
        .await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    // Too old: a day and more.
    let stamp = guest.stamp(FORM).await;
    guest.advance_clock(86_401);
    let page = guest
        .submit(
            POST_TO,
            &[("stamp", stamp.as_str()), ("name", "Zed"), ("email", "z@e.org"), ("body", "kept")],
        )
        .await;
    page.assert_contains("This form had expired. Your text is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM comments WHERE author_name = 'Zed'").await, 0);
}

async fn rate_limits_hold_per_address_and_per_account(backend: Backend) {
    let proxied = Figment::new().merge(("client_ip_header", "X-Forwarded-For"));
    let app = site_with(backend, &[("comment_moderation", "none")], proxied).await;
    let guest = app.browser().await;
    let stamp = guest.stamp(FORM).await;
    let token = guest.csrf().await;
    let send = |addr: &'static str, body: String| {
        let (b, stamp, token) = (&guest, stamp.clone(), token.clone());
        async move {
            let fields = [
                ("_csrf", token.as_str()),
                ("stamp", stamp.as_str()),
                ("name", "Ann"),
                ("email", "ann@example.org"),
                ("body", body.as_str()),
            ];
            b.post(POST_TO, &fields, &[("X-Forwarded-For", addr)]).await
        }
    };
    for i in 0..10 {
        assert_eq!(send("198.51.100.7", format!("c{i}")).await.status, Status::SeeOther, "{i}");
    }
    let eleventh = send("198.51.100.7", "the eleventh".into()).await;
    assert_eq!(eleventh.status, Status::TooManyRequests);
    eleventh.assert_contains("the eleventh");
    eleventh.assert_contains("many comments in a short time");
    assert_eq!(send("198.51.100.8", "another address".into()).await.status, Status::SeeOther);

    // A member moving from address to address is counted on their account.
    let (_, member) = app.browser_as(Role::Member).await;
    let stamp = member.stamp(FORM).await;
    let token = member.csrf().await;
    let mut statuses = Vec::new();
    for i in 0..11 {
        let body = format!("m{i}");
        let addr = format!("203.0.113.{i}");
        let fields = [("_csrf", token.as_str()), ("stamp", stamp.as_str()), ("body", body.as_str())];
        statuses.push(member.post(POST_TO, &fields, &[("X-Forwarded-For", addr.as_str())]).await.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == Status::SeeOther), "{statuses:?}");
    assert_eq!(statuses[10], Status::TooManyRequests);
}

async fn links_and_the_block_list_hold_or_bin_a_comment(backend: Backend) {
    let list = "# test list\n198.51.100.0/24\nbad@example.org\n@spam.example\ncheap pills";
    let proxied = Figment::new().merge(("client_ip_header", "X-Forwarded-For"));
    let app =
        site_with(backend, &[("comment_moderation", "none"), ("comment_blocklist", list)], proxied).await;
    let guest = app.browser().await;
    let links = "see [a](https://a.example) [b](https://b.example) https://c.example";
    guest_comment(&guest, "Ann", "ann@example.org", links).await;
    assert_eq!(status_of(&app, links).await, "pending");
    assert_eq!(app.text(&format!("SELECT held_for FROM comments WHERE body_md = '{links}'")).await, "links");
    guest_comment(&guest, "Ann", "ann@example.org", "one link https://a.example").await;
    assert_eq!(status_of(&app, "one link https://a.example").await, "approved");

    for (email, body) in [
        ("bad@example.org", "by email"),
        ("x@mail.spam.example", "by domain"),
        ("ok@example.org", "Cheap Pills here"),
    ] {
        let sent = guest_comment(&guest, "Spammer", email, body).await;
        assert_eq!(sent.header("Location"), Some("/posts/hello-world#comments"), "{body}: told it is held");
        assert_eq!(status_of(&app, body).await, "spam", "{body}");
    }
    let stamp = guest.stamp(FORM).await;
    let token = guest.csrf().await;
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "N"),
        ("email", "n@example.org"),
        ("body", "by address"),
    ];
    guest.post(POST_TO, &fields, &[("X-Forwarded-For", "198.51.100.9")]).await;
    assert_eq!(status_of(&app, "by address").await, "spam");
    assert!(
        app.text("SELECT held_for FROM comments WHERE body_md = 'by address'")
            .await
            .contains("198.51.100.0/24")
    );

    // "Spam and block" adds the author's address and email to the list.
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "M"),
        ("email", "mallory@example.net"),
        ("body", "sneaky"),
    ];
    guest.post(POST_TO, &fields, &[("X-Forwarded-For", "192.0.2.44")]).await;
    assert_eq!(status_of(&app, "sneaky").await, "approved");
    let (_, editor) = app.browser_as(Role::Editor).await;
    moderate(&editor, "spam-block", id_of(&app, "sneaky").await).await;
    assert_eq!(status_of(&app, "sneaky").await, "spam");
    let saved = app.text("SELECT value FROM site_settings WHERE key = 'comment_blocklist'").await;
    assert!(
        saved.starts_with(list) && saved.contains("192.0.2.44") && saved.contains("mallory@example.net"),
        "{saved}"
    );
    // Each process reads the saved list again within seconds; a restart reads it at once.
    let app = app.restart(Figment::new().merge(("client_ip_header", "X-Forwarded-For"))).await;
    let stamp = app.stamp(FORM).await;
    let token = app.csrf().await;
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "M"),
        ("email", "mallory@example.net"),
        ("body", "again"),
    ];
    app.post(POST_TO, &fields, &[("X-Forwarded-For", "192.0.2.45")]).await;
    assert_eq!(status_of(&app, "again").await, "spam", "the blocked email is caught from a new address");
}

async fn members_edit_for_ten_minutes_and_delete_any_time(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")]).await;
    let (_, member) = app.browser_as(Role::Member).await;
    member_comment(&member, "original words").await;
    let id = id_of(&app, "original words").await;
    member.get(FORM).await.assert_contains(&format!("/comments/{id}/edit"));
    let edit = format!("/comments/{id}/edit");
    let saved = member.submit(&edit, &[("body", "better words")]).await;
    assert_eq!(saved.status, Status::SeeOther);
    article(&app).await.assert_contains("better words");
    article(&app).await.assert_contains("· edited");
    let empty = member.submit(&edit, &[("body", "  ")]).await;
    assert_eq!(empty.status, Status::UnprocessableEntity);

    // Nobody else edits or deletes it.
    let (_, other) = app.browser_as(Role::Member).await;
    assert_eq!(other.submit(&edit, &[("body", "hijacked")]).await.status, Status::NotFound);
    assert_eq!(other.submit(&format!("/comments/{id}/delete"), &[]).await.status, Status::NotFound);

    // A reply under it; then ten minutes pass.
    let stamp = other.stamp(&format!("{FORM}?reply={id}")).await;
    other
        .submit(POST_TO, &[("stamp", stamp.as_str()), ("parent", &id.to_string()), ("body", "a reply")])
        .await;
    assert_eq!(app.count("SELECT parent_id FROM comments WHERE body_md = 'a reply'").await, id);
    member.advance_clock(10 * 60);
    let late = member.submit(&edit, &[("body", "too late")]).await;
    assert_eq!(late.status, Status::UnprocessableEntity, "too late: the text comes back to be copied");
    assert_eq!(app.text(&format!("SELECT body_md FROM comments WHERE id = {id}")).await, "better words");
    member.get(FORM).await.assert_lacks(&format!("/comments/{id}/edit"));

    assert_eq!(member.submit(&format!("/comments/{id}/delete"), &[]).await.status, Status::SeeOther);
    assert_eq!(app.text(&format!("SELECT body_md FROM comments WHERE id = {id}")).await, "");
    let page = article(&app).await;
    page.assert_lacks("better words");
    page.assert_contains("This comment was deleted.");
    page.assert_contains("a reply");
    page.assert_contains("1 comment</h2>");
}

async fn authors_moderate_only_comments_on_their_own_posts(backend: Backend) {
    let app = site(backend, &[]).await;
    let (author, author_b) = app.browser_as(Role::Author).await;
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE slug = 'hello-world'", author.id)).await;
    let guest = app.browser().await;
    guest_comment(&guest, "Ann", "ann@example.org", "on mine").await;
    let stamp = guest.stamp("/posts/second-post/comment").await;
    guest
        .submit(
            "/posts/second-post/comments",
            &[("stamp", stamp.as_str()), ("name", "Bo"), ("email", "bo@example.org"), ("body", "on theirs")],
        )
        .await;
    let queue = author_b.get("/admin/comments").await;
    queue.assert_contains("on mine");
    queue.assert_lacks("on theirs");
    moderate(&author_b, "approve", id_of(&app, "on theirs").await).await;
    assert_eq!(status_of(&app, "on theirs").await, "pending", "not theirs to approve");
    moderate(&author_b, "approve", id_of(&app, "on mine").await).await;
    assert_eq!(status_of(&app, "on mine").await, "approved");
    let (_, contributor) = app.browser_as(Role::Contributor).await;
    assert_eq!(contributor.get("/admin/comments").await.status, Status::Forbidden);
    contributor.get("/admin").await.assert_lacks("/admin/comments");
    // Editors see and count every post's queue.
    let (_, editor) = app.browser_as(Role::Editor).await;
    editor
        .get("/admin")
        .await
        .assert_contains(r#"<span class="count">1<span class="visually-hidden"> awaiting moderation"#);
}

async fn the_whole_moderation_cycle_and_bulk_actions(backend: Backend) {
    let app = site(backend, &[]).await;
    let guest = app.browser().await;
    for body in ["alpha", "beta", "gamma"] {
        guest_comment(&guest, "Ann", "ann@example.org", body).await;
    }
    let (_, editor) = app.browser_as(Role::Editor).await;
    let ids: Vec<String> =
        [id_of(&app, "alpha").await, id_of(&app, "beta").await].iter().map(i64::to_string).collect();
    let bulk = [
        ("back", ""),
        ("action", "approve"),
        ("ids", ids[0].as_str()),
        ("ids", ids[1].as_str()),
        ("act", "bulk"),
    ];
    let done = editor.submit("/admin/comments", &bulk).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM comments WHERE status = 'approved'").await, 2);
    assert_eq!(
        editor
            .submit("/admin/comments", &[("back", ""), ("action", "approve"), ("act", "bulk")])
            .await
            .status,
        Status::SeeOther
    );
    let gamma = id_of(&app, "gamma").await;
    moderate(&editor, "trash", gamma).await;
    editor.get("/admin/comments?status=trash").await.assert_contains("gamma");
    editor.get("/admin/comments?status=trash&q=GAM").await.assert_contains("gamma");
    editor.get("/admin/comments?status=trash&q=zzz").await.assert_lacks("gamma");
    moderate(&editor, "restore", gamma).await;
    assert_eq!(status_of(&app, "gamma").await, "pending");
    moderate(&editor, "purge", gamma).await;
    assert_eq!(status_of(&app, "gamma").await, "pending", "only spam and trash are deleted for good");
    moderate(&editor, "spam", gamma).await;
    moderate(&editor, "purge", gamma).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM comments WHERE body_md = 'gamma'").await, 0);
    // A staff reply, published at once and marked as staff.
    let alpha = id_of(&app, "alpha").await;
    let reply = editor.submit(&format!("/admin/comments/{alpha}/reply"), &[("body", "Thanks, Ann!")]).await;
    assert_eq!(reply.status, Status::SeeOther);
    let page = article(&app).await;
    page.assert_contains("Thanks, Ann!");
    page.assert_contains(r#"<span class="badge">Staff</span>"#);
    let filtered = editor
        .get(&format!(
            "/admin/comments?status=approved&post={}",
            app.count("SELECT id FROM posts WHERE slug = 'second-post'").await
        ))
        .await;
    filtered.assert_lacks("alpha");
    assert!(app.count("SELECT COUNT(*) FROM audit_log").await >= 6);
}

async fn mail_tells_the_author_and_repliers_with_an_unsubscribe_link(backend: Backend) {
    let sink = SmtpSink::start();
    let extra = Figment::new().merge(("smtp_url", sink.url()));
    let app = site_with(backend, &[("comment_moderation", "none")], extra).await;
    let (author, _) = app.browser_as(Role::Author).await;
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE slug = 'hello-world'", author.id)).await;
    // Reply notices are for members, whose address is confirmed.
    let ann_user = app.user(Role::Member, "ann@example.org").await;
    let guest = app.browser().await;
    guest.sign_in_as(&ann_user).await;
    let fields = [("body", "Ann asks"), ("notify", "true")];
    guest.submit_stamped(FORM, POST_TO, &fields).await;
    let told = sink.wait_for_text(&author.email, "Ann asks").await;
    assert!(told.text().contains("ann commented on"), "{}", told.text());
    let ann = id_of(&app, "Ann asks").await;

    let reply = [
        ("name", "Bob"),
        ("email", "bob@example.org"),
        ("body", "Bob answers"),
        ("parent", &ann.to_string()),
    ];
    let bob = app.browser().await;
    bob.submit_stamped(&format!("{FORM}?reply={ann}"), POST_TO, &reply).await;
    let mail = sink.wait_for("ann@example.org").await;
    assert!(mail.text().contains("Someone replied to your comment"), "{}", mail.text());
    // "Read the reply" leads to the comment's lasting address, whatever page it comes to be on.
    assert_eq!(
        mail.link("http://localhost:8000/comments/"),
        Some(format!("http://localhost:8000/comments/{ann}"))
    );
    let link = mail.link(&format!("http://localhost:8000/comments/{ann}/replies/")).unwrap();
    let path = link.trim_start_matches("http://localhost:8000").to_owned();
    // A link scanner's GET changes nothing; the button does.
    let ask = guest.get(&path).await;
    ask.assert_contains("Stop these messages");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM comments WHERE id = {ann} AND notify_replies")).await,
        1
    );
    guest.submit(&path, &[]).await.assert_contains("You will get no more mail");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM comments WHERE id = {ann} AND notify_replies")).await,
        0
    );
    assert_eq!(guest.get(&format!("/comments/{ann}/replies/forged")).await.status, Status::NotFound);
    // No more notices; and the author, who turned them off, hears nothing either.
    app.sql(&format!("UPDATE users SET notify_comments = FALSE WHERE id = {}", author.id)).await;
    let reply =
        [("name", "Cy"), ("email", "cy@example.org"), ("body", "Cy too"), ("parent", &ann.to_string())];
    app.browser().await.submit_stamped(&format!("{FORM}?reply={ann}"), POST_TO, &reply).await;
    assert_eq!(status_of(&app, "Cy too").await, "approved");
    rocket::tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.received().iter().filter(|m| m.to.iter().any(|t| t == "ann@example.org")).count(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE text_body LIKE '%Cy too%'").await, 0);
}

async fn hostile_comment_bodies_are_made_harmless(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")]).await;
    let guest = app.browser().await;
    let hostile = "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)> <a href=\"https://x.example\" onclick=\"alert(4)\">x</a>";
    guest
        .submit_stamped(
            FORM,
            POST_TO,
            &[
                ("name", "<b>Eve</b>"),
                ("email", "eve@example.org"),
                ("url", "javascript:alert(5)"),
                ("body", hostile),
            ],
        )
        .await
        .assert_contains("Enter your website as an address");
    guest
        .submit_stamped(
            FORM,
            POST_TO,
            &[
                ("name", "<b>Eve</b>"),
                ("email", "eve@example.org"),
                ("url", "https://eve.example"),
                ("body", hostile),
            ],
        )
        .await;
    let page = article(&app).await;
    let comments = &page.body[page.body.find("id=\"comments\"").unwrap()..];
    // What was markup shows as text; nothing of it is markup any more.
    for bad in ["<script", "href=\"javascript:", "<img", "<b>Eve"] {
        assert!(!comments.contains(bad), "{bad} in {comments}");
    }
    assert!(comments.contains("&lt;img src=x onerror=alert(3)&gt;"), "raw HTML shows as its text");
    // A Markdown link to script keeps its words and loses its target.
    guest
        .submit_stamped(
            FORM,
            POST_TO,
            &[("name", "Eve"), ("email", "eve@example.org"), ("body", "a [click](javascript:alert(2)) here")],
        )
        .await;
    let page = article(&app).await;
    page.assert_contains(r#"a <a rel="nofollow ugc noopener">click</a> here"#);
    assert!(comments.contains("&#60;b&#62;Eve&#60;/b&#62;"), "{comments}");
    assert!(comments.contains(r#"<a href="https://eve.example/" rel="nofollow ugc noopener">"#));
    assert!(comments.contains(r#"rel="nofollow ugc noopener""#));
    // Too long: a clear message with the text kept; far too long: refused before it is read.
    let long = "x".repeat(5_001);
    let page = guest
        .submit_stamped(FORM, POST_TO, &[("name", "Eve"), ("email", "eve@example.org"), ("body", &long)])
        .await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    page.assert_contains("under 5000 characters");
    let huge = "y".repeat(100 * 1024);
    let page = guest
        .submit_stamped(FORM, POST_TO, &[("name", "Eve"), ("email", "eve@example.org"), ("body", &huge)])
        .await;
    assert_eq!(page.status, Status::PayloadTooLarge);
    assert_eq!(app.count("SELECT COUNT(*) FROM comments").await, 2);
}

async fn every_signed_out_reader_gets_the_same_article_bytes(backend: Backend) {
    let app =
        site_with(backend, &[("comment_moderation", "none")], Figment::new().merge(("page_cache", 8 << 20)))
            .await;
    let guest = app.browser().await;
    guest_comment(&guest, "Ann", "ann@example.org", "cached or not").await;
    let (_, member) = app.browser_as(Role::Member).await;
    member.get(FORM).await;
    let first = app.browser().await.get(ARTICLE).await;
    let second = app.browser().await.get(ARTICLE).await;
    assert_eq!(first.body, second.body, "two signed-out readers");
    assert!(first.body.contains("cached or not"));
    for personal in ["_csrf", "name=\"stamp\"", "Signed in", "Commenting as"] {
        first.assert_lacks(personal);
    }
    assert!(first.header("Set-Cookie").is_none());
    assert!(first.header("Expires").is_some(), "a relative date says when the page stops being true");
    app.get(ARTICLE).await;
    assert_eq!(app.get(ARTICLE).await.header("Cache-Status"), Some("folio; hit"));
    // A signed-in member gets the same article too: per-visitor parts live on the comment page.
    assert_eq!(member.get(ARTICLE).await.body, first.body);
    // The cached page changes with a newly approved comment, and not with a pending one.
    let (_, editor) = app.browser_as(Role::Editor).await;
    app.sql("UPDATE site_settings SET value = 'all' WHERE key = 'comment_moderation'").await;
    let generation = app.count("SELECT value FROM content_generation").await;
    app.sql("INSERT INTO comments (post_id, author_name, body_md, body_html, status, created_at) SELECT id, 'P', 'pending one', '<p>pending one</p>', 'pending', 0 FROM posts WHERE slug = 'hello-world'").await;
    assert_eq!(
        app.count("SELECT value FROM content_generation").await,
        generation,
        "pending comments leave the cache alone"
    );
    moderate(&editor, "approve", id_of(&app, "pending one").await).await;
    assert!(app.count("SELECT value FROM content_generation").await > generation);
    // The approval went through another process (the editor's instance): within a second here.
    let mut page = app.get(ARTICLE).await;
    for _ in 0..30 {
        if page.body.contains("pending one") {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = app.get(ARTICLE).await;
    }
    page.assert_contains("pending one");
}

async fn htmx_gets_fragments_and_the_comment_in_place(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")]).await;
    let guest = app.browser().await;
    let fragment = guest.get_hx(FORM).await;
    assert!(!fragment.body.contains("<html"), "{}", fragment.body);
    fragment.assert_contains("comment-form-wrap");
    let stamp = value_of(&fragment.body, "stamp").unwrap();
    guest.advance_clock(5);
    let token = guest.csrf().await;
    let hx = [("HX-Request", "true")];
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "Ann"),
        ("email", "ann@example.org"),
        ("body", ""),
    ];
    let invalid = guest.post(POST_TO, &fields, &hx).await;
    assert_eq!(invalid.status, Status::UnprocessableEntity);
    assert!(!invalid.body.contains("<html"));
    invalid.assert_contains("Write your comment first.");
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "Ann"),
        ("email", "ann@example.org"),
        ("body", "in place"),
    ];
    let shown = guest.post(POST_TO, &fields, &hx).await;
    assert_eq!(shown.status, Status::Ok);
    shown.assert_contains("Your comment is published.");
    shown.assert_contains("<p>in place</p>");
    app.sql("INSERT INTO site_settings (key, value) VALUES ('comment_moderation', 'all') ON CONFLICT (key) DO UPDATE SET value = 'all'").await;
    let app = app.restart(Figment::new()).await;
    let stamp = app.stamp(FORM).await;
    let token = app.csrf().await;
    let fields = [
        ("_csrf", token.as_str()),
        ("stamp", stamp.as_str()),
        ("name", "Ann"),
        ("email", "ann@example.org"),
        ("body", "held in place"),
    ];
    let held = app.post(POST_TO, &fields, &hx).await;
    assert_eq!(held.status, Status::Ok);
    held.assert_contains("awaiting moderation");
}

async fn replies_stay_one_level_deep_and_pages_hold_a_hundred(backend: Backend) {
    let app = site(backend, &[("comment_moderation", "none")]).await;
    let guest = app.browser().await;
    guest_comment(&guest, "Ann", "ann@example.org", "top").await;
    let top = id_of(&app, "top").await;
    let reply =
        [("name", "Bob"), ("email", "bob@example.org"), ("body", "reply one"), ("parent", &top.to_string())];
    guest.submit_stamped(&format!("{FORM}?reply={top}"), POST_TO, &reply).await;
    let first = id_of(&app, "reply one").await;
    let deeper =
        [("name", "Cy"), ("email", "cy@example.org"), ("body", "reply two"), ("parent", &first.to_string())];
    guest.submit_stamped(&format!("{FORM}?reply={first}"), POST_TO, &deeper).await;
    assert_eq!(app.count("SELECT parent_id FROM comments WHERE body_md = 'reply two'").await, top);
    app.get(&format!("{FORM}?reply={first}")).await.assert_contains("Reply to Bob");

    app.sql("INSERT INTO comments (post_id, author_name, body_md, body_html, status, created_at) SELECT p.id, 'Old', 'old', '<p>old ' || n.i || '</p>', 'approved', 1000 + n.i FROM posts p, (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 104) SELECT i FROM s) n WHERE p.slug = 'hello-world'").await;
    let page = article(&app).await;
    page.assert_contains("107 comments</h2>");
    page.assert_contains("Older comments");
    assert_eq!(page.count("<p>old "), 99, "the newest hundred top-level comments: 99 old ones and 'top'");
    page.assert_contains("<p>old 104</p>");
    page.assert_lacks("<p>old 5</p>");
    let older = app.get(&format!("{ARTICLE}?comments=2")).await;
    older.assert_contains("<p>old 5</p>");
    older.assert_contains("<p>old 1</p>");
    older.assert_lacks("<p>old 6</p>");
    assert_eq!(app.get(&format!("{ARTICLE}?comments=3")).await.status, Status::NotFound);
}

async fn the_editor_sets_a_posts_policy(backend: Backend) {
    let app = site(backend, &[]).await;
    app.signed_in(Role::Editor).await;
    let id = app.count("SELECT id FROM posts WHERE slug = 'hello-world'").await.to_string();
    let editor = app.get(&format!("/admin/posts/{id}/edit")).await;
    editor.assert_contains("name=\"comment_policy\"");
    let version = value_of(&editor.body, "version").unwrap();
    let fields = common::editor_fields("Hello world", "Body.", "save");
    let extra = [
        ("id", id.as_str()),
        ("slug", "hello-world"),
        ("version", version.as_str()),
        ("comment_policy", "everyone"),
    ];
    let refused = app.submit("/admin/posts/save", &common::with(fields.clone(), &extra)).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("Choose who may comment");
    let extra = [
        ("id", id.as_str()),
        ("slug", "hello-world"),
        ("version", version.as_str()),
        ("comment_policy", "closed"),
    ];
    let saved = app.submit("/admin/posts/save", &common::with(fields, &extra)).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    assert_eq!(app.text(&format!("SELECT comment_policy FROM posts WHERE id = {id}")).await, "closed");
    article(&app).await.assert_contains("Comments are off for this post.");
    app.get(&format!("/admin/posts/{id}/edit")).await.assert_contains(r#"<option value="closed" selected>"#);
}

async fn sign_up_has_the_same_bot_defence(backend: Backend) {
    let app = site(backend, &[]).await;
    let person =
        [("display_name", "Reader"), ("email", "reader@example.org"), ("password", common::PASSWORD)];
    let mut bot = person.to_vec();
    bot.push(("website", "http://spam.example"));
    bot[1] = ("email", "bot@example.org");
    let dropped = app.submit_stamped("/sign-up", "/sign-up", &bot).await;
    assert_eq!(
        dropped.header("Location"),
        Some("/sign-up/check-inbox"),
        "a bot is told what everyone is told"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'bot@example.org'").await, 0);
    let page = app.get("/sign-up").await;
    let stamp = value_of(&page.body, "stamp").unwrap();
    let mut hasty = person.to_vec();
    hasty.push(("stamp", stamp.as_str()));
    let refused = app.submit("/sign-up", &hasty).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("quicker than anyone");
    refused.assert_contains("value=\"reader@example.org\"");
    assert_eq!(app.submit("/sign-up", &person).await.status, Status::UnprocessableEntity, "no stamp");
    assert_eq!(app.submit_stamped("/sign-up", "/sign-up", &person).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'reader@example.org'").await, 1);
}

both_backends!(
    a_guest_comment_waits_for_approval_then_appears_for_everyone,
    every_policy_and_closing_rule,
    moderation_holds_all_the_first_or_none,
    the_honeypot_drops_bots_silently_and_the_fill_time_refuses_haste,
    rate_limits_hold_per_address_and_per_account,
    links_and_the_block_list_hold_or_bin_a_comment,
    members_edit_for_ten_minutes_and_delete_any_time,
    authors_moderate_only_comments_on_their_own_posts,
    the_whole_moderation_cycle_and_bulk_actions,
    mail_tells_the_author_and_repliers_with_an_unsubscribe_link,
    hostile_comment_bodies_are_made_harmless,
    every_signed_out_reader_gets_the_same_article_bytes,
    htmx_gets_fragments_and_the_comment_in_place,
    replies_stay_one_level_deep_and_pages_hold_a_hundred,
    the_editor_sets_a_posts_policy,
    sign_up_has_the_same_bot_defence,
);
