//! Faults a review of the newsletter found (issue 18), each a test that failed before its fix.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{DAY, base, post};
use common::smtp::SmtpSink;
use common::{Backend, TestApp, editor_fields, with};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

async fn site(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let mut bundle = base();
    bundle.posts = vec![post("Hello world", DAY, &["rust"])];
    let app = TestApp::with_config(backend, bundle, Figment::new().merge(("smtp_url", sink.url()))).await;
    (app, sink)
}

async fn subscriber(app: &TestApp, email: &str, status: &str) {
    app.sql(&format!(
        "INSERT INTO subscribers (email, status, cadence, source, created_at, consent_at, changed_at, unsubscribed_at)
         VALUES ('{email}', '{status}', 'post', 'import', 1, 1, 1, {})",
        if status == "unsubscribed" { "5" } else { "NULL" }
    ))
    .await;
}

/// A stranger signing up an address that left must not erase that it left; its owner's
/// confirmation puts it back.
async fn a_sign_up_keeps_an_unsubscribed_address_unsubscribed_until_confirmed(backend: Backend) {
    let (app, sink) = site(backend).await;
    subscriber(&app, "left@example.org", "unsubscribed").await;
    let b = app.browser().await;
    let sent = b.submit_stamped("/subscribe", "/subscribe", &[("email", "left@example.org")]).await;
    assert_eq!(sent.header("Location"), Some("/subscribe/check-inbox"));
    let row = "SELECT status || '/' || COALESCE(unsubscribed_at, 0) FROM subscribers WHERE email = 'left@example.org'";
    assert_eq!(app.text(row).await, "unsubscribed/5");
    let mail = sink.wait_for_text("left@example.org", "Confirm your subscription").await;
    let link = mail.link("http://localhost:8000/subscribe/confirm/").unwrap();
    let confirmed = b.submit(link.trim_start_matches("http://localhost:8000"), &[]).await;
    assert_eq!(confirmed.status, Status::SeeOther, "{}", confirmed.body);
    assert_eq!(app.text(row).await, "subscribed/0");
}

/// The address typed into the box on an article is confirmed on /subscribe at once, without
/// "quicker than anyone can type"; a signed-in member finds their address filled in.
async fn confirming_a_prefilled_address_at_once_is_not_too_quick(backend: Backend) {
    let (app, sink) = site(backend).await;
    let b = app.browser().await;
    let page = b.get("/subscribe?email=quick%40example.org&source=article").await;
    let stamp = common::value_of(&page.body, "stamp").unwrap();
    let sent = b
        .submit("/subscribe", &[("stamp", &stamp), ("email", "quick@example.org"), ("source", "article")])
        .await;
    assert_eq!(sent.status, Status::SeeOther, "{}", sent.body);
    sink.wait_for_text("quick@example.org", "Confirm your subscription").await;
    let (member, m) = app.browser_as(Role::Member).await;
    m.get("/subscribe").await.assert_contains(&format!("value=\"{}\"", member.email));
}

/// Nonsense in a confirmation link's time is a dead link, not a server error.
async fn a_confirmation_link_with_an_absurd_time_is_not_found(backend: Backend) {
    let (app, _sink) = site(backend).await;
    for at in ["-9223372036854775808", "9223372036854775807"] {
        let page = app.get(&format!("/subscribe/confirm/1/{at}/x")).await;
        assert_eq!(page.status, Status::NotFound, "{at}");
    }
}

/// Whoever may not publish may not change a mail-only post once its sending is scheduled, and
/// bulk "Publish" does not put a mail-only post on the site.
async fn a_scheduled_mail_only_post_is_as_good_as_published(backend: Backend) {
    let (app, _sink) = site(backend).await;
    let (contributor, writer) = app.browser_as(Role::Contributor).await;
    let draft = with(editor_fields("Letter", "First words.", "save"), &[("newsletter", "only")]);
    assert_eq!(writer.submit("/admin/posts/save", &draft).await.status, Status::SeeOther);
    let id = app.count("SELECT id FROM posts WHERE title = 'Letter'").await;
    assert_eq!(app.count(&format!("SELECT author_id FROM posts WHERE id = {id}")).await, contributor.id);
    let at = folio::domain::editor::datetime_local(folio::domain::now() + 3600);
    let (_, editor) = app.browser_as(Role::Editor).await;
    let form = editor.get(&format!("/admin/posts/{id}/edit")).await;
    let version = common::value_of(&form.body, "version").unwrap();
    let id_text = id.to_string();
    let author = contributor.id.to_string();
    let schedule = with(
        editor_fields("Letter", "First words.", "schedule"),
        &[
            ("id", &id_text),
            ("version", &version),
            ("newsletter", "only"),
            ("publish_at", &at),
            ("author", &author),
        ],
    );
    let saved = editor.submit("/admin/posts/save", &schedule).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    assert!(
        app.count(&format!("SELECT COUNT(*) FROM posts WHERE id = {id} AND newsletter_at IS NOT NULL")).await
            == 1
    );
    // The contributor's edit is refused.
    let form = writer.get(&format!("/admin/posts/{id}/edit")).await;
    assert_eq!(form.status, Status::Forbidden);
    // Bulk "Publish" leaves it off the site.
    let bulk =
        [("action", "publish"), ("ids", id_text.as_str()), ("tag", ""), ("back", ""), ("confirm", "false")];
    editor.submit("/admin/posts/bulk", &bulk).await;
    assert_eq!(app.text(&format!("SELECT status FROM posts WHERE id = {id}")).await, "draft");
}

/// A newsletter message a stopped process left claimed may have gone: it is not sent again on
/// its own, the report shows it, and "retry" sends it.
async fn a_message_left_claimed_is_not_sent_again_until_retried(backend: Backend) {
    let (app, sink) = site(backend).await;
    subscriber(&app, "one@example.org", "subscribed").await;
    let now = folio::domain::now();
    app.sql(&format!(
        "INSERT INTO mailings (kind, subject, site_title, text_body, html_body, created_at, recipients)
         VALUES ('post', 'Half sent', 'Folio', 'Text', '<p>Text</p>', {now}, 1)"
    ))
    .await;
    let mailing = app.count("SELECT id FROM mailings").await;
    let sub = app.count("SELECT id FROM subscribers").await;
    // Claimed by a process whose lease ran out a second ago.
    app.sql(&format!(
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at, claimed_until,
                             mailing_id, subscriber_id)
         VALUES ('one@example.org', 'Half sent', '', '', {now}, {now}, {}, {mailing}, {sub})",
        now - 1
    ))
    .await;
    folio::mail::Mailer::wake(app.client.rocket().state::<folio::mail::Mailer>().unwrap());
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "sent again on its own");
    let (_, admin) = app.browser_as(Role::Admin).await;
    let report = admin.get("/admin/subscribers/mailings").await;
    report.assert_contains("Retry");
    admin.submit(&format!("/admin/subscribers/mailings/{mailing}/retry"), &[]).await;
    sink.wait_for_text("one@example.org", "Text").await;
}

/// A removed subscriber's address leaves the outbox too, and their unsent mail is dropped; on
/// SQLite their id is never given to someone else.
async fn removing_a_subscriber_forgets_their_address_everywhere(backend: Backend) {
    let (app, _sink) = site(backend).await;
    subscriber(&app, "gone@example.org", "subscribed").await;
    let id = app.count("SELECT id FROM subscribers").await;
    app.sql("INSERT INTO mailings (kind, subject, site_title, text_body, html_body, created_at) VALUES ('post', 'S', 'F', '', '', 1)")
        .await;
    app.sql(&format!(
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at, mailing_id, subscriber_id)
         VALUES ('gone@example.org', 'S', '', '', 1, 9999999999, (SELECT MAX(id) FROM mailings), {id})"
    ))
    .await;
    let (_, admin) = app.browser_as(Role::Admin).await;
    admin.submit("/admin/subscribers/remove", &[("ids", &id.to_string()), ("back", "")]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'gone@example.org'").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL AND failed_at IS NULL").await,
        0
    );
    subscriber(&app, "new@example.org", "subscribed").await;
    assert_ne!(app.count("SELECT id FROM subscribers WHERE email = 'new@example.org'").await, id);
}

both_backends!(
    a_sign_up_keeps_an_unsubscribed_address_unsubscribed_until_confirmed,
    confirming_a_prefilled_address_at_once_is_not_too_quick,
    a_confirmation_link_with_an_absurd_time_is_not_found,
    a_scheduled_mail_only_post_is_as_good_as_published,
    a_message_left_claimed_is_not_sent_again_until_retried,
    removing_a_subscriber_forgets_their_address_everywhere,
);
