//! Two-factor sign-in: setup by QR code, the second step, replay, recovery codes, turning off.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use folio::domain::{now, totp};
use rocket::http::Status;

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} not in {html}")) + start.len();
    &html[from..from + html[from..].find(end).unwrap()]
}

async fn two_factor_sign_in_end_to_end(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.signed_in(Role::Author).await;
    let setup = app.get("/account/two-factor").await;
    setup.assert_contains("<svg");
    let secret = between(&setup.body, r#"<code class="secret">"#, "</code>").to_owned();
    let wrong =
        app.submit("/account/two-factor/enable", &[("current_password", PASSWORD), ("code", "000000")]).await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    wrong.assert_contains("That code does not match");
    let code = totp::code_at(&secret, now()).unwrap();
    let on =
        app.submit("/account/two-factor/enable", &[("current_password", PASSWORD), ("code", &code)]).await;
    assert_eq!(on.status, Status::Ok);
    assert_eq!(on.count("<li><code>"), 10);
    let recovery = between(&on.body, "<li><code>", "</code>").to_owned();

    app.submit("/sign-out", &[]).await;
    let first = app.sign_in(&user.email, PASSWORD).await;
    assert_eq!(first.header("Location"), Some("/sign-in/two-factor"));
    assert_eq!(app.get("/account").await.status, Status::SeeOther, "no session before the code");
    let replay = app.submit("/sign-in/two-factor", &[("code", &code)]).await;
    assert_eq!(replay.status, Status::UnprocessableEntity, "the code used at setup works once");
    let next = totp::code_at(&secret, now() + 30).unwrap();
    let second = app.submit("/sign-in/two-factor", &[("code", &next)]).await;
    assert_eq!(second.status, Status::SeeOther);
    assert_eq!(app.get("/account").await.status, Status::Ok);

    app.submit("/sign-out", &[]).await;
    app.sign_in(&user.email, PASSWORD).await;
    let with_recovery = app.submit("/sign-in/two-factor", &[("code", &recovery.to_uppercase())]).await;
    assert_eq!(with_recovery.status, Status::SeeOther);
    app.submit("/sign-out", &[]).await;
    app.sign_in(&user.email, PASSWORD).await;
    assert_eq!(
        app.submit("/sign-in/two-factor", &[("code", &recovery)]).await.status,
        Status::UnprocessableEntity
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 9);

    // The second step has no session of its own to fall back on.
    let stranger = app.browser().await;
    let page = stranger.get("/sign-in/two-factor").await;
    assert_eq!(page.status, Status::SeeOther);
}

async fn two_factor_can_be_turned_off_with_the_password(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.signed_in(Role::Member).await;
    let secret = totp::new_secret();
    app.sql(&format!("UPDATE users SET totp_secret = '{secret}' WHERE id = {}", user.id)).await;
    let refused = app.submit("/account/two-factor/disable", &[("current_password", "wrong password!")]).await;
    assert_eq!(refused.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL").await, 1);
    app.submit("/account/two-factor/disable", &[("current_password", PASSWORD)]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL").await, 0);
}

/// On a shared computer, the next person must not enrol a secret the previous one scanned: the
/// setup secret belongs to one account and goes at sign-out.
async fn a_setup_secret_belongs_to_one_account_and_one_session(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let first = app.user(Role::Author, "first@example.org").await;
    let second = app.user(Role::Author, "second@example.org").await;
    assert_eq!(app.sign_in(&first.email, PASSWORD).await.status, Status::SeeOther);
    let page = app.get("/account/two-factor").await;
    let scanned = between(&page.body, r#"<code class="secret">"#, "</code>").to_owned();
    let kept = page
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("Set-Cookie") && v.starts_with("folio_totp="))
        .map(|(_, v)| v.trim_start_matches("folio_totp=").split(';').next().unwrap_or("").to_owned())
        .expect("the setup cookie");
    let again = app.get("/account/two-factor").await;
    assert_eq!(between(&again.body, r#"<code class="secret">"#, "</code>"), scanned, "kept while setting up");
    let out = app.submit("/sign-out", &[]).await;
    assert!(
        out.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("Set-Cookie") && v.starts_with("folio_totp=;")),
        "sign-out removes the setup cookie: {:?}",
        out.headers
    );
    assert_eq!(app.sign_in(&second.email, PASSWORD).await.status, Status::SeeOther);
    let theirs = app.get("/account/two-factor").await;
    assert_ne!(between(&theirs.body, r#"<code class="secret">"#, "</code>"), scanned);
    // Even the first account's setup cookie, kept and sent again, is not the second's to enrol.
    let code = totp::code_at(&scanned, now()).unwrap();
    let body =
        format!("_csrf={}&current_password={}&code={code}", app.csrf().await, PASSWORD.replace(' ', "+"));
    let enrolled = app
        .client
        .post("/account/two-factor/enable")
        .header(rocket::http::ContentType::Form)
        .cookie(rocket::http::Cookie::new("folio_totp", kept))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(enrolled.status(), Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL").await, 0);
}

/// Wrong codes count on their own: signing in with the right password again does not reset them.
async fn codes_have_their_own_counter_that_the_password_does_not_clear(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Author, "two@example.org").await;
    let secret = totp::new_secret();
    app.sql(&format!("UPDATE users SET totp_secret = '{secret}' WHERE id = {}", user.id)).await;
    // Someone who knows the password signs in again after every few wrong codes.
    let mut statuses = Vec::new();
    for round in 0..3 {
        let first = app.sign_in(&user.email, PASSWORD).await;
        assert_eq!(first.header("Location"), Some("/sign-in/two-factor"), "round {round}");
        for _ in 0..4 {
            statuses.push(app.submit("/sign-in/two-factor", &[("code", "000000")]).await.status);
        }
    }
    let checked = statuses.iter().filter(|s| **s == Status::UnprocessableEntity).count();
    assert_eq!(checked, 5, "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == Status::TooManyRequests), "{statuses:?}");

    // Once the failures age out, a right code signs in and forgets them.
    app.sql("UPDATE sign_in_failures SET at = at - 901").await;
    let code = totp::code_at(&secret, now()).unwrap();
    assert_eq!(app.submit("/sign-in/two-factor", &[("code", &code)]).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures WHERE scope LIKE 'totp:%'").await, 0);
}

both_backends!(
    two_factor_sign_in_end_to_end,
    two_factor_can_be_turned_off_with_the_password,
    a_setup_secret_belongs_to_one_account_and_one_session,
    codes_have_their_own_counter_that_the_password_does_not_clear
);
