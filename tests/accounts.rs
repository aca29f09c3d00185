//! Accounts: setup, sign-in and out, sign-up, profile, password and email changes, deletion.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

async fn setup_creates_the_owner_once(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    assert_eq!(app.get("/setup").await.status, Status::Ok);
    let weak = app
        .submit(
            "/setup",
            &[
                ("site_title", "Field Notes"),
                ("display_name", "Olga"),
                ("email", "olga@example.org"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, Status::UnprocessableEntity);
    weak.assert_contains("Use at least 12 characters.");
    weak.assert_contains(r#"value="olga@example.org""#);
    weak.assert_form_lacks(r#"value="short""#);
    let done = app
        .submit(
            "/setup",
            &[
                ("site_title", "Field Notes"),
                ("display_name", "Olga"),
                ("email", "Olga@Example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.header("Location"), Some("/admin"));
    assert_eq!(app.get("/admin").await.status, Status::Ok);
    app.get("/").await.assert_contains("<title>Field Notes</title>");
    // Closed for good: the page, and the form, are gone.
    assert_eq!(app.get("/setup").await.status, Status::NotFound);
    let again = app
        .submit(
            "/setup",
            &[
                ("site_title", "X"),
                ("display_name", "Eve"),
                ("email", "eve@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, Status::NotFound);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE role = 'owner'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'olga@example.org'").await, 1);
}

async fn sign_in_and_out(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Author, "writer@example.org").await;
    assert_eq!(app.get("/account").await.status, Status::SeeOther);
    let page = app
        .submit(
            "/sign-in",
            &[("email", "WRITER@example.org"), ("password", PASSWORD), ("next", "/account/sessions")],
        )
        .await;
    assert_eq!(page.status, Status::SeeOther);
    assert_eq!(page.header("Location"), Some("/account/sessions"));
    let cookie = page.header("Set-Cookie").unwrap();
    assert!(
        cookie.starts_with("folio_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    app.get("/account").await.assert_contains(&user.email);
    let out = app.submit("/sign-out", &[]).await;
    assert_eq!(out.status, Status::SeeOther);
    assert_eq!(app.get("/account").await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn wrong_password_and_unknown_address_look_the_same(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.user(Role::Editor, "known@example.org").await;
    let wrong = app.sign_in("known@example.org", "not the right password").await;
    let unknown = app.sign_in("nobody@example.org", "not the right password").await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    assert_eq!(unknown.status, wrong.status);
    wrong.assert_contains("That email and password do not match an account.");
    let strip = |p: &common::Page| p.body.replace("known@example.org", "").replace("nobody@example.org", "");
    // The bodies differ only by the CSRF token (same session) and the echoed address.
    assert_eq!(strip(&wrong), strip(&unknown));
}

async fn next_only_goes_to_local_paths(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.user(Role::Author, "a@example.org").await;
    for hostile in ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"] {
        let page = app
            .submit("/sign-in", &[("email", "a@example.org"), ("password", PASSWORD), ("next", hostile)])
            .await;
        assert_eq!(page.header("Location"), Some("/admin"), "{hostile}");
        app.submit("/sign-out", &[]).await;
    }
    let form = app.get("/sign-in?next=https%3A%2F%2Fevil.example").await;
    form.assert_lacks("evil.example");
    let anonymous = app.get("/account/sessions").await;
    assert_eq!(anonymous.header("Location"), Some("/sign-in?next=%2Faccount%2Fsessions"));
}

/// Without a `next`, staff land in the admin and members on their account; `next` still wins.
async fn staff_land_in_the_admin_and_members_on_their_account(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    for (role, email, landing) in [
        (Role::Owner, "owner@example.org", "/admin"),
        (Role::Contributor, "contributor@example.org", "/admin"),
        (Role::Member, "member@example.org", "/account"),
    ] {
        app.user(role, email).await;
        let page = app.sign_in(email, PASSWORD).await;
        assert_eq!(page.header("Location"), Some(landing), "{role:?}");
        // Signed in, the sign-in page sends them to the same place.
        assert_eq!(app.get("/sign-in").await.header("Location"), Some(landing), "{role:?}");
        app.submit("/sign-out", &[]).await;
    }
    let page = app
        .submit("/sign-in", &[("email", "owner@example.org"), ("password", PASSWORD), ("next", "/account")])
        .await;
    assert_eq!(page.header("Location"), Some("/account"));
}

async fn disabled_and_unconfirmed_accounts_cannot_sign_in(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let disabled = app.user(Role::Editor, "gone@example.org").await;
    app.sql(&format!("UPDATE users SET disabled_at = 1 WHERE id = {}", disabled.id)).await;
    assert_eq!(app.sign_in("gone@example.org", PASSWORD).await.status, Status::UnprocessableEntity);
    let member = app.user(Role::Member, "new@example.org").await;
    app.sql(&format!("UPDATE users SET email_confirmed_at = NULL WHERE id = {}", member.id)).await;
    assert_eq!(app.sign_in("new@example.org", PASSWORD).await.status, Status::UnprocessableEntity);
    // Demo authors have no password at all.
    assert_eq!(app.sign_in("ada@example.com", "anything at all").await.status, Status::UnprocessableEntity);
}

async fn profile_is_validated_field_by_field(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let long_bio = "b".repeat(2001);
    let bad = app
        .submit(
            "/account",
            &[("display_name", "\u{7}bell"), ("bio", &long_bio), ("avatar_url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Remove the control characters from a name.");
    bad.assert_contains("Keep the bio under 2000 characters.");
    bad.assert_contains("Use an https:// address");
    bad.assert_contains(r#"aria-invalid="true""#);
    let hx = app
        .post(
            "/account",
            &[("_csrf", &app.csrf().await), ("display_name", ""), ("bio", ""), ("avatar_url", "")],
            &[("HX-Request", "true")],
        )
        .await;
    assert_eq!(hx.status, Status::UnprocessableEntity);
    assert!(hx.body.trim_start().starts_with("<form"), "{}", hx.body);
    let ok = app
        .submit(
            "/account",
            &[("display_name", "<b>Ada</b> Lovelace"), ("bio", "Writes.\r\nCodes."), ("avatar_url", "")],
        )
        .await;
    assert_eq!(ok.status, Status::SeeOther);
    let page = app.get("/account").await;
    page.assert_contains("Your profile is saved.");
    page.assert_contains("&#60;b&#62;Ada&#60;/b&#62; Lovelace");
    page.assert_lacks("<b>Ada");
}

async fn invalid_utf8_in_a_form_is_refused_cleanly(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let token = app.csrf().await;
    let mut body = format!("_csrf={token}&display_name=").into_bytes();
    body.extend_from_slice(b"%FF%FEab&bio=&avatar_url=");
    let page = app.post_raw("/account", body).await;
    assert!(page.status == Status::UnprocessableEntity || page.status == Status::SeeOther, "{}", page.status);
    assert!(page.status.code < 500);
}

async fn changing_the_password_ends_other_sessions(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.signed_in(Role::Editor).await;
    let other = app.browser().await;
    assert_eq!(other.sign_in(&user.email, PASSWORD).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 2);
    let wrong = app
        .submit(
            "/account/password",
            &[("current_password", "nope nope nope"), ("new_password", "a brand new pass phrase")],
        )
        .await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    wrong.assert_contains("That is not your current password.");
    let common = app
        .submit("/account/password", &[("current_password", PASSWORD), ("new_password", "password12345")])
        .await;
    common.assert_contains("too common");
    let ok = app
        .submit(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "a brand new pass phrase")],
        )
        .await;
    assert_eq!(ok.status, Status::SeeOther);
    assert_eq!(app.get("/account").await.status, Status::Ok, "this session stays");
    assert_eq!(other.get("/account").await.status, Status::SeeOther, "the other one ends");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&user.email, "a brand new pass phrase").await.status, Status::SeeOther);
}

async fn sessions_can_be_listed_and_ended(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.signed_in(Role::Author).await;
    let other = app.browser().await;
    other.sign_in(&user.email, PASSWORD).await;
    let list = app.get("/account/sessions").await;
    assert_eq!(list.count("<tr>"), 3, "header and two sessions");
    list.assert_contains("This session");
    let start = list.body.find(r#"name="session" value=""#).unwrap() + r#"name="session" value=""#.len();
    let other_id = &list.body[start..start + 64];
    let ended = app.submit("/account/sessions/end", &[("session", other_id)]).await;
    assert_eq!(ended.status, Status::SeeOther);
    assert_eq!(other.get("/account").await.status, Status::SeeOther);
    let again = app.submit("/account/sessions/end", &[("session", other_id)]).await;
    assert_eq!(again.status, Status::SeeOther);
    app.get("/account/sessions").await.assert_contains("That session had already ended.");
}

async fn members_delete_their_account_and_the_owner_cannot(backend: Backend) {
    let mut bundle = base();
    bundle.posts = common::fixtures::numbered_posts(2);
    let app = TestApp::new(backend, bundle).await;
    let owner = app.user(Role::Owner, "owner@example.org").await;
    let author = app.signed_in(Role::Author).await;
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE id IN (SELECT id FROM posts)", author.id)).await;
    let wrong = app.submit("/account/delete", &[("current_password", "wrong password!!")]).await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    let gone = app.submit("/account/delete", &[("current_password", PASSWORD)]).await;
    assert_eq!(gone.status, Status::SeeOther);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {}", author.id)).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(app.sign_in(&author.email, PASSWORD).await.status, Status::UnprocessableEntity);
    let inherited = format!("SELECT COUNT(*) FROM posts WHERE author_id = {}", owner.id);
    assert_eq!(app.count(&inherited).await, 2, "the owner inherits the posts");
    app.sign_in(&owner.email, PASSWORD).await;
    assert_eq!(
        app.submit("/account/delete", &[("current_password", PASSWORD)]).await.status,
        Status::Forbidden
    );
    app.get("/account/delete").await.assert_contains("Transfer ownership");
}

async fn sign_up_follows_the_configured_mode(backend: Backend) {
    // It promises only what a member account gives today: comments while they are open, no
    // newsletter yet.
    let open = TestApp::new(backend, base()).await;
    let page = open.get("/sign-up").await;
    page.assert_contains("comment on posts");
    page.assert_lacks("newsletter");
    open.sql("INSERT INTO site_settings (key, value) VALUES ('comment_policy', 'closed')").await;
    let closed = open.restart(Figment::new()).await;
    closed.get("/sign-up").await.assert_lacks("comment");
    let fields = [("display_name", "Reader"), ("email", "reader@example.org"), ("password", PASSWORD)];
    for (mode, status) in [("closed", Status::Forbidden), ("invite-only", Status::Forbidden)] {
        let app = TestApp::with_config(backend, base(), Figment::new().merge(("signup", mode))).await;
        app.get("/sign-up").await.assert_lacks("<form class=\"form\" method=\"post\" action=\"/sign-up\"");
        assert_eq!(app.submit("/sign-up", &fields).await.status, status, "{mode}");
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE role = 'member'").await, 0);
    }
}

/// A password set with a composed "é" works when typed as "e" + a combining accent, as macOS
/// and some phone keyboards send it (NFKC, NIST SP 800-63B).
async fn accented_passwords_work_from_any_keyboard(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.signed_in(Role::Author).await;
    let composed = "cr\u{e8}me br\u{fb}l\u{e9}e au caf\u{e9}";
    let decomposed = "cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301}";
    let changed =
        app.submit("/account/password", &[("current_password", PASSWORD), ("new_password", composed)]).await;
    assert_eq!(changed.status, Status::SeeOther, "{}", changed.body);
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&user.email, decomposed).await.status, Status::SeeOther);
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&user.email, composed).await.status, Status::SeeOther);
}

both_backends!(
    accented_passwords_work_from_any_keyboard,
    setup_creates_the_owner_once,
    sign_in_and_out,
    wrong_password_and_unknown_address_look_the_same,
    next_only_goes_to_local_paths,
    staff_land_in_the_admin_and_members_on_their_account,
    disabled_and_unconfirmed_accounts_cannot_sign_in,
    profile_is_validated_field_by_field,
    invalid_utf8_in_a_form_is_refused_cleanly,
    changing_the_password_ends_other_sessions,
    sessions_can_be_listed_and_ended,
    members_delete_their_account_and_the_owner_cannot,
    sign_up_follows_the_configured_mode,
);
