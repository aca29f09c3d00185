//! Mail that really goes out, to a real SMTP server: password reset, invitations, sign-up
//! confirmation, email change, retries while the server is down, and no SMTP at all.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::smtp::SmtpSink;
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let app = TestApp::with_config(backend, base(), Figment::new().merge(("smtp_url", sink.url()))).await;
    (app, sink)
}

/// The path of a link in `mail` to this site.
fn path_of(mail: &common::smtp::Received, prefix: &str) -> String {
    let link = mail
        .link(&format!("http://localhost:8000{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {}", mail.data));
    link.trim_start_matches("http://localhost:8000").to_owned()
}

async fn password_reset_by_mail(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in(Role::Editor).await;
    let other = app.browser().await;
    let known = app.submit("/password-reset", &[("email", &user.email)]).await;
    let unknown = app.submit("/password-reset", &[("email", "nobody@example.org")]).await;
    assert_eq!((known.status, known.header("Location")), (Status::SeeOther, Some("/password-reset/sent")));
    assert_eq!((unknown.status, unknown.header("Location")), (known.status, known.header("Location")));
    assert_eq!(known.body, unknown.body);
    let mail = sink.wait_for(&user.email).await;
    assert!(mail.data.contains("Subject: Reset your password"), "{}", mail.data);
    assert!(mail.data.contains("multipart/alternative") && mail.data.contains("text/html"), "{}", mail.data);
    let path = path_of(&mail, "/password-reset/");
    // Opening the link changes nothing: mail scanners follow links.
    assert_eq!(app.get(&path).await.status, Status::Ok);
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'reset'").await, 1);
    let weak = app.submit(&path, &[("password", "password")]).await;
    assert_eq!(weak.status, Status::UnprocessableEntity);
    let done = app.submit(&path, &[("password", "a completely new phrase")]).await;
    assert_eq!(done.header("Location"), Some("/sign-in"));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0, "every session ends");
    let again = app.submit(&path, &[("password", "yet another new phrase")]).await;
    again.assert_contains("This link no longer works");
    assert_eq!(app.sign_in(&user.email, "a completely new phrase").await.status, Status::SeeOther);
    sink.wait_for_text(&user.email, "password of your account was just changed").await;
    assert!(sink.received().iter().all(|m| !m.to.iter().any(|t| t == "nobody@example.org")));
    drop(other);
}

async fn expired_reset_links_do_not_work(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.user(Role::Author, "late@example.org").await;
    app.submit("/password-reset", &[("email", &user.email)]).await;
    let path = path_of(&sink.wait_for(&user.email).await, "/password-reset/");
    app.sql("UPDATE tokens SET expires_at = 0").await;
    app.get(&path).await.assert_contains("This link no longer works");
    app.submit(&path, &[("password", "a completely new phrase")])
        .await
        .assert_contains("This link no longer works");
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status, Status::SeeOther, "old password still works");
    app.get("/password-reset/not-a-token").await.assert_contains("This link no longer works");
}

async fn invitations_create_staff_accounts(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.signed_in(Role::Admin).await;
    let bad = app
        .submit("/admin/users/invite", &[("email", "a@b.c\r\nBcc: x@evil.example"), ("role", "editor")])
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Enter an email address such as");
    let sent =
        app.submit("/admin/users/invite", &[("email", "newbie@example.org"), ("role", "editor")]).await;
    assert_eq!(sent.status, Status::SeeOther);
    let mail = sink.wait_for("newbie@example.org").await;
    assert!(mail.data.contains("invited you to join"), "{}", mail.data);
    let path = path_of(&mail, "/invite/");
    let invitee = app.browser().await;
    let form = invitee.get(&path).await.body;
    assert!(form.contains("Editor") && form.contains("newbie@example.org"));
    let res = invitee.submit(&path, &[("display_name", "New Bie"), ("password", PASSWORD)]).await;
    assert_eq!(res.status, rocket::http::Status::SeeOther);
    assert_eq!(res.header("Location"), Some("/admin"));
    assert_eq!(invitee.get("/admin").await.status, Status::Ok);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'newbie@example.org' AND role = 'editor'").await,
        1
    );
    let reuse = invitee.get(&path).await.body;
    assert!(reuse.contains("This link no longer works"));
}

async fn open_sign_up_confirms_by_mail_without_revealing_accounts(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.user(Role::Member, "taken@example.org").await;
    let fields = |email: &'static str| [("display_name", "Reader"), ("email", email), ("password", PASSWORD)];
    let fresh = app.submit_stamped("/sign-up", "/sign-up", &fields("fresh@example.org")).await;
    let taken = app.submit_stamped("/sign-up", "/sign-up", &fields("taken@example.org")).await;
    assert_eq!((fresh.status, fresh.header("Location")), (taken.status, taken.header("Location")));
    sink.wait_for_text("taken@example.org", "already has an account").await;
    let mail = sink.wait_for("fresh@example.org").await;
    assert_eq!(
        app.sign_in("fresh@example.org", PASSWORD).await.status,
        Status::UnprocessableEntity,
        "not yet confirmed"
    );
    let path = path_of(&mail, "/confirm/");
    app.get(&path).await.assert_contains("Confirm and sign in");
    let confirmed = app.submit(&path, &[]).await;
    assert_eq!(confirmed.header("Location"), Some("/account"));
    app.get("/account").await.assert_contains("fresh@example.org");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'member' AND email_confirmed_at IS NOT NULL")
            .await,
        2
    );
}

async fn changing_the_email_address_is_confirmed_by_mail(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in(Role::Author).await;
    let wrong = app
        .submit("/account/email", &[("email", "moved@example.org"), ("current_password", "wrong password")])
        .await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    let asked =
        app.submit("/account/email", &[("email", "Moved@Example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!(asked.status, Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'moved@example.org'").await,
        0,
        "not before confirming"
    );
    let path = path_of(&sink.wait_for("moved@example.org").await, "/account/email/");
    app.submit(&path, &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'moved@example.org'").await, 1);
    sink.wait_for_text(&user.email, "was changed to moved@example.org").await;
}

async fn mail_is_retried_until_the_server_takes_it(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.user(Role::Author, "patient@example.org").await;
    sink.refuse(true);
    app.submit("/password-reset", &[("email", &user.email)]).await;
    let failed = "SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND sent_at IS NULL AND failed_at IS NULL AND last_error <> ''";
    for _ in 0..200 {
        if app.count(failed).await == 1 {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(failed).await, 1, "the failure is recorded and a retry scheduled");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE next_attempt_at > created_at + 30").await,
        1,
        "with backoff"
    );
    sink.refuse(false);
    app.sql("UPDATE outbox SET next_attempt_at = 0").await;
    sink.wait_for(&user.email).await;
}

async fn queued_mail_survives_a_restart(backend: Backend) {
    // An SMTP port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = Figment::new().merge(("smtp_url", format!("smtp://127.0.0.1:{closed}")));
    let app = TestApp::with_config(backend, base(), down).await;
    let user = app.user(Role::Author, "later@example.org").await;
    app.submit("/password-reset", &[("email", &user.email)]).await;
    app.eventually("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL", 1).await;
    let sink = SmtpSink::start();
    let app = app.restart(Figment::new().merge(("smtp_url", sink.url()))).await;
    app.sql("UPDATE outbox SET next_attempt_at = 0, claimed_until = 0").await;
    assert!(sink.wait_for(&user.email).await.data.contains("Reset your password"));
}

async fn without_smtp_mail_is_logged_and_the_page_says_so(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Author, "quiet@example.org").await;
    app.submit("/password-reset", &[("email", &user.email)]).await;
    app.get("/password-reset/sent").await.assert_contains("cannot send mail yet");
    app.eventually(
        "SELECT COUNT(*) FROM outbox WHERE recipient = 'quiet@example.org' AND sent_at IS NULL",
        1,
    )
    .await;
}

/// A mailed link is tied to the address and password it was sent for: changing either kills
/// every link still out (resets, address changes, confirmations, invitations to the old address).
async fn mailed_links_die_when_the_address_or_password_changes(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in(Role::Author).await;
    app.submit("/password-reset", &[("email", &user.email)]).await;
    let reset = path_of(&sink.wait_for(&user.email).await, "/password-reset/");
    let asked =
        app.submit("/account/email", &[("email", "moved@example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!(asked.status, Status::SeeOther);
    let change = path_of(&sink.wait_for("moved@example.org").await, "/account/email/");
    app.submit(&change, &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'moved@example.org'").await, 1);
    app.submit(&reset, &[("password", "the attacker's new phrase")])
        .await
        .assert_contains("This link no longer works");
    assert_eq!(
        app.sign_in("moved@example.org", "the attacker's new phrase").await.status,
        Status::UnprocessableEntity
    );
    assert_eq!(app.sign_in("moved@example.org", PASSWORD).await.status, Status::SeeOther);

    // A pending address change dies with a change of password.
    let asked =
        app.submit("/account/email", &[("email", "third@example.org"), ("current_password", PASSWORD)]).await;
    assert_eq!(asked.status, Status::SeeOther);
    let pending = path_of(&sink.wait_for("third@example.org").await, "/account/email/");
    let changed = app
        .submit(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "a fresh passphrase here")],
        )
        .await;
    assert_eq!(changed.status, Status::SeeOther, "{}", changed.body);
    app.submit(&pending, &[]).await.assert_contains("This link no longer works");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'third@example.org'").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens").await, 0);
}

/// A sent message keeps no body (its links would still work from a leaked backup), nor does one
/// given up on; old rows go. Each claim is one message, so a slow server cannot make a batch
/// outlive its lease.
async fn the_outbox_keeps_no_live_links(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.user(Role::Author, "kept@example.org").await;
    app.submit("/password-reset", &[("email", &user.email)]).await;
    sink.wait_for(&user.email).await;
    app.eventually(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND text_body = '' AND html_body = ''",
        1,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE text_body LIKE '%password-reset/%'").await, 0);
    // Given up on: the same.
    app.sql(
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at, attempts)
         VALUES ('gone@example.org', 'Reset', 'http://x/password-reset/abc', '<a>', 1, 1, 0)",
    )
    .await;
    let id = app.count("SELECT MAX(id) FROM outbox").await;
    folio::db::outbox::mark_failed(&app.db, id, "550 no such user", None, folio::domain::now())
        .await
        .unwrap();
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM outbox WHERE id = {id} AND text_body = ''")).await,
        1
    );
    // Pruned after 30 days.
    app.sql("UPDATE outbox SET created_at = 1, sent_at = CASE WHEN sent_at IS NULL THEN NULL ELSE 1 END, failed_at = CASE WHEN failed_at IS NULL THEN NULL ELSE 1 END").await;
    folio::db::outbox::prune(&app.db, folio::domain::now()).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    // One message per claim.
    for n in 0..3 {
        app.sql(&format!(
            "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES ('n{n}@example.org', 'S', 't', 'h', 1, 1)"
        ))
        .await;
    }
    let claimed =
        folio::db::outbox::claim_next(&app.db, folio::db::outbox::Queue::Personal, folio::domain::now(), 120)
            .await
            .unwrap();
    assert!(claimed.is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE claimed_until > 0").await, 1);
}

/// An invitation can be revoked, a new one to the same address replaces it, and an inviter's
/// invitations die with their power to invite (disabled, demoted or deleted).
async fn invitations_can_be_revoked_and_die_with_their_sender(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let owner = app.user(Role::Owner, "owner@example.org").await;
    let admin = app.user(Role::Admin, "admin@example.org").await;
    let live = |path: String| {
        let app = &app;
        async move { !app.get(&path).await.body.contains("This link no longer works") }
    };
    assert_eq!(app.sign_in(&admin.email, PASSWORD).await.status, Status::SeeOther);
    app.submit("/admin/users/invite", &[("email", "pat@example.org"), ("role", "editor")]).await;
    let first = path_of(&sink.wait_for("pat@example.org").await, "/invite/");
    app.submit("/admin/users/invite", &[("email", "Pat@Example.org"), ("role", "contributor")]).await;
    sink.wait_for_text("pat@example.org", "Contributor").await;
    assert!(!live(first.clone()).await, "a new invitation replaces the first");
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 1);
    app.get("/admin/users").await.assert_contains(r#"name="email" value="pat@example.org""#);
    let revoked = app.submit("/admin/users/invitations/revoke", &[("email", "pat@example.org")]).await;
    assert_eq!(revoked.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 0);
    app.get("/admin/users").await.assert_lacks(r#"name="email" value="pat@example.org""#);

    // Disabling, demoting or deleting the sender ends their invitations.
    for (what, fields) in [
        ("disabled", vec![("disabled", "true")]),
        ("role", vec![("role", "editor")]),
        ("delete", vec![("heir", "")]),
    ] {
        app.submit("/sign-out", &[]).await;
        assert_eq!(app.sign_in(&admin.email, PASSWORD).await.status, Status::SeeOther, "{what}");
        app.submit("/admin/users/invite", &[("email", "sam@example.org"), ("role", "author")]).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 1, "{what}");
        app.submit("/sign-out", &[]).await;
        assert_eq!(app.sign_in(&owner.email, PASSWORD).await.status, Status::SeeOther);
        let heir = owner.id.to_string();
        let fields: Vec<(&str, &str)> =
            fields.into_iter().map(|(k, v)| (k, if k == "heir" { heir.as_str() } else { v })).collect();
        let path = match what {
            "delete" => format!("/admin/users/{}/delete", admin.id),
            other => format!("/admin/users/{}/{other}", admin.id),
        };
        let done = app.submit(&path, &fields).await;
        assert_eq!(done.status, Status::SeeOther, "{what}: {}", done.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 0, "{what}");
        if what == "disabled" {
            app.submit(&format!("/admin/users/{}/disabled", admin.id), &[("disabled", "false")]).await;
        }
        if what == "role" {
            app.submit(&format!("/admin/users/{}/role", admin.id), &[("role", "admin")]).await;
        }
    }
}

/// Someone who signs up with another person's address cannot keep it: the owner's own sign-up
/// takes the unconfirmed account over with a fresh link, and a completed reset confirms it.
async fn unconfirmed_accounts_cannot_be_squatted(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let squat = [
        ("display_name", "Squatter"),
        ("email", "victim@example.org"),
        ("password", "squatter's own phrase"),
    ];
    assert_eq!(app.submit_stamped("/sign-up", "/sign-up", &squat).await.status, Status::SeeOther);
    sink.wait_for("victim@example.org").await;
    let mine = [("display_name", "Victim"), ("email", "victim@example.org"), ("password", PASSWORD)];
    assert_eq!(app.submit_stamped("/sign-up", "/sign-up", &mine).await.status, Status::SeeOther);
    // A fresh confirmation link, not "you already have an account".
    let links: Vec<String> = {
        let mut found = Vec::new();
        for _ in 0..100 {
            found = sink
                .received()
                .iter()
                .filter(|m| m.to.iter().any(|t| t == "victim@example.org"))
                .filter_map(|m| m.link("http://localhost:8000/confirm/"))
                .collect();
            if found.len() == 2 {
                break;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        found
    };
    assert_eq!(links.len(), 2, "a second confirmation link");
    assert!(sink.received().iter().all(|m| !m.data.contains("already has an account")));
    let latest = links[1].trim_start_matches("http://localhost:8000").to_owned();
    let first = links[0].trim_start_matches("http://localhost:8000").to_owned();
    app.submit(&first, &[]).await.assert_contains("This link no longer works");
    assert_eq!(app.submit(&latest, &[]).await.status, Status::SeeOther);
    app.submit("/sign-out", &[]).await;
    assert_eq!(
        app.sign_in("victim@example.org", "squatter's own phrase").await.status,
        Status::UnprocessableEntity
    );
    assert_eq!(app.sign_in("victim@example.org", PASSWORD).await.status, Status::SeeOther);
    assert_eq!(app.text("SELECT display_name FROM users WHERE email = 'victim@example.org'").await, "Victim");

    // A reset proves the mailbox too.
    app.submit("/sign-out", &[]).await;
    let squat =
        [("display_name", "Squatter"), ("email", "other@example.org"), ("password", "squatter's own phrase")];
    app.submit_stamped("/sign-up", "/sign-up", &squat).await;
    sink.wait_for("other@example.org").await;
    app.submit("/password-reset", &[("email", "other@example.org")]).await;
    let reset =
        path_of(&sink.wait_for_text("other@example.org", "Reset your password").await, "/password-reset/");
    app.submit(&reset, &[("password", "the owner's own phrase")]).await;
    assert_eq!(app.sign_in("other@example.org", "the owner's own phrase").await.status, Status::SeeOther);
}

/// Spending an invitation and making its account are one step, and invitees with the same name
/// accepting at once all get accounts (numbered slugs), never "you already have an account" nor
/// an error, however many there are.
async fn invitations_are_spent_with_the_account_they_make(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.signed_in(Role::Admin).await;
    let mut paths = Vec::new();
    for n in 0..12 {
        let email = format!("sam{n}@example.org");
        app.submit("/admin/users/invite", &[("email", email.as_str()), ("role", "author")]).await;
        paths.push(path_of(&sink.wait_for(&email).await, "/invite/"));
    }
    let browsers = rocket::futures::future::join_all((0..12).map(|_| app.browser())).await;
    // Every form is fetched first, so the twelve answers are sent at once.
    let mut tokens = Vec::new();
    for (browser, path) in browsers.iter().zip(&paths) {
        tokens.push(common::csrf_of(&browser.get(path).await.body));
    }
    let answers = rocket::futures::future::join_all(browsers.iter().zip(&paths).zip(&tokens).map(
        |((browser, path), token)| async move {
            let fields = [("_csrf", token.as_str()), ("display_name", "Sam Lee"), ("password", PASSWORD)];
            browser.post(path, &fields, &[]).await.status
        },
    ))
    .await;
    assert!(answers.iter().all(|s| *s == Status::SeeOther), "{answers:?}");
    assert_eq!(app.count("SELECT COUNT(DISTINCT slug) FROM users WHERE display_name = 'Sam Lee'").await, 12);
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 0);

    // An invitation to an address that has an account meanwhile is not used up by the refusal.
    app.submit("/admin/users/invite", &[("email", "late@example.org"), ("role", "author")]).await;
    let path = path_of(&sink.wait_for("late@example.org").await, "/invite/");
    app.user(Role::Member, "late@example.org").await;
    let late = app.browser().await;
    let answer = late.submit(&path, &[("display_name", "Late"), ("password", PASSWORD)]).await;
    assert!(answer.body.contains("You already have an account"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 1);
}

/// A link is spent only with the change it authorises: when the change cannot happen (the new
/// address went to another account meanwhile), the link is not used up, and nothing changes.
async fn a_link_is_spent_only_with_its_change(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in(Role::Author).await;
    app.submit("/account/email", &[("email", "wanted@example.org"), ("current_password", PASSWORD)]).await;
    let path = path_of(&sink.wait_for("wanted@example.org").await, "/account/email/");
    app.user(Role::Member, "wanted@example.org").await;
    let refused = app.submit(&path, &[]).await;
    assert_eq!(refused.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'email'").await, 1, "not spent");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE email = '{}'", user.email)).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE 'Your email address was changed%'").await,
        0
    );
}

both_backends!(
    a_link_is_spent_only_with_its_change,
    invitations_are_spent_with_the_account_they_make,
    unconfirmed_accounts_cannot_be_squatted,
    invitations_can_be_revoked_and_die_with_their_sender,
    the_outbox_keeps_no_live_links,
    mailed_links_die_when_the_address_or_password_changes,
    password_reset_by_mail,
    expired_reset_links_do_not_work,
    invitations_create_staff_accounts,
    open_sign_up_confirms_by_mail_without_revealing_accounts,
    changing_the_email_address_is_confirmed_by_mail,
    mail_is_retried_until_the_server_takes_it,
    queued_mail_survives_a_restart,
    without_smtp_mail_is_logged_and_the_page_says_so,
);
