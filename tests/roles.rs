//! Each role against each protected route and action.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp, TestUser};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

async fn as_user(app: &TestApp, user: &TestUser) {
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status, Status::SeeOther, "{:?}", user.role);
}

async fn each_role_gets_what_it_may_and_403_otherwise(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let mut users = Vec::new();
    for role in Role::ALL {
        users.push(app.user(role, &format!("{}@example.org", role.as_str())).await);
    }
    for path in ["/admin", "/admin/users", "/account", "/account/sessions", "/account/two-factor"] {
        let page = app.get(path).await;
        assert_eq!(page.status, Status::SeeOther, "anonymous {path}");
        assert!(page.header("Location").unwrap().starts_with("/sign-in?next="), "{path}");
    }
    for user in &users {
        as_user(&app, user).await;
        let staff = user.role.is_staff();
        let manager = matches!(user.role, Role::Owner | Role::Admin);
        let expect = |allowed: bool| if allowed { Status::Ok } else { Status::Forbidden };
        assert_eq!(app.get("/account").await.status, Status::Ok, "{:?}", user.role);
        assert_eq!(app.get("/admin").await.status, expect(staff), "{:?} /admin", user.role);
        assert_eq!(app.get("/admin/users").await.status, expect(manager), "{:?} /admin/users", user.role);
        let invite =
            app.submit("/admin/users/invite", &[("email", "new@example.org"), ("role", "author")]).await;
        let invited = if manager { Status::SeeOther } else { Status::Forbidden };
        assert_eq!(invite.status, invited, "{:?} invite", user.role);
        let target = &users[3]; // the author
        let change = app.submit(&format!("/admin/users/{}/role", target.id), &[("role", "editor")]).await;
        let changed = if manager && user.id != target.id { Status::SeeOther } else { Status::Forbidden };
        assert_eq!(change.status, changed, "{:?} role change", user.role);
    }
    // The owner's and the admin's invitations to one address: the later replaced the earlier.
    assert_eq!(app.count("SELECT COUNT(*) FROM tokens WHERE purpose = 'invite'").await, 1);
}

async fn nobody_but_the_owner_touches_ownership(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let owner = app.user(Role::Owner, "owner@example.org").await;
    let admin = app.user(Role::Admin, "admin@example.org").await;
    let member = app.user(Role::Member, "member@example.org").await;
    as_user(&app, &admin).await;
    let demote_owner = app.submit(&format!("/admin/users/{}/role", owner.id), &[("role", "member")]).await;
    assert_eq!(demote_owner.status, Status::Forbidden);
    let crown = app.submit(&format!("/admin/users/{}/role", admin.id), &[("role", "owner")]).await;
    assert_eq!(crown.status, Status::Forbidden, "not even themselves");
    let invite_owner =
        app.submit("/admin/users/invite", &[("email", "x@example.org"), ("role", "owner")]).await;
    assert_eq!(invite_owner.status, Status::UnprocessableEntity);
    invite_owner.assert_contains("Choose one of the roles offered.");
    assert_eq!(
        app.submit(&format!("/admin/users/{}/ownership", admin.id), &[("current_password", PASSWORD)])
            .await
            .status,
        Status::Forbidden
    );

    as_user(&app, &owner).await;
    let with_password = [("current_password", PASSWORD), ("code", "")];
    let to_member = app.submit(&format!("/admin/users/{}/ownership", member.id), &with_password).await;
    assert_eq!(to_member.status, Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'owner' AND email = 'owner@example.org'").await,
        1
    );
    // A stolen session is not enough: the owner's password is asked for.
    let ask = app.get(&format!("/admin/users/{}/ownership", admin.id)).await;
    assert_eq!(ask.status, Status::Ok);
    ask.assert_contains(r#"name="current_password""#);
    for fields in [vec![], vec![("current_password", "not the password"), ("code", "")]] {
        let refused = app.submit(&format!("/admin/users/{}/ownership", admin.id), &fields).await;
        assert_eq!(refused.status, Status::UnprocessableEntity, "{fields:?}");
        refused.assert_contains("That is not your current password.");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE role = 'owner' AND email = 'owner@example.org'")
                .await,
            1
        );
    }
    let handed = app.submit(&format!("/admin/users/{}/ownership", admin.id), &with_password).await;
    assert_eq!(handed.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE role = 'owner'").await, 1);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM users WHERE role = 'owner' AND id = {}", admin.id)).await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM users WHERE role = 'admin' AND id = {}", owner.id)).await,
        1
    );
    // The former owner is an administrator now: the transfer is no longer theirs to make.
    assert_eq!(
        app.submit(&format!("/admin/users/{}/ownership", owner.id), &with_password).await.status,
        Status::Forbidden
    );
}

/// With two-factor sign-in on, handing on ownership also takes a code.
async fn handing_on_ownership_takes_the_second_factor_too(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let owner = app.user(Role::Owner, "owner@example.org").await;
    let admin = app.user(Role::Admin, "admin@example.org").await;
    as_user(&app, &owner).await;
    let secret = folio::domain::totp::new_secret();
    app.sql(&format!("UPDATE users SET totp_secret = '{secret}' WHERE id = {}", owner.id)).await;
    let path = format!("/admin/users/{}/ownership", admin.id);
    app.get(&path).await.assert_contains(r#"name="code""#);
    let no_code = app.submit(&path, &[("current_password", PASSWORD), ("code", "000000")]).await;
    assert_eq!(no_code.status, Status::UnprocessableEntity);
    no_code.assert_contains("That code is not right");
    let code = folio::domain::totp::code_at(&secret, folio::domain::now()).unwrap();
    let handed = app.submit(&path, &[("current_password", PASSWORD), ("code", &code)]).await;
    assert_eq!(handed.status, Status::SeeOther, "{}", handed.body);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM users WHERE role = 'owner' AND id = {}", admin.id)).await,
        1
    );
}

async fn staff_can_be_required_to_use_two_factor(backend: Backend) {
    let config = Figment::new().merge(("require_staff_two_factor", true));
    let app = TestApp::with_config(backend, base(), config).await;
    app.signed_in(Role::Editor).await;
    let admin = app.get("/admin").await;
    assert_eq!(admin.status, Status::SeeOther);
    assert_eq!(admin.header("Location"), Some("/account/two-factor?required=1"));
    app.get("/account/two-factor?required=1")
        .await
        .assert_contains("asks staff to turn on two-factor sign-in");
    let member = app.user(Role::Member, "reader@example.org").await;
    as_user(&app, &member).await;
    assert_eq!(app.get("/account").await.status, Status::Ok, "members are not staff");
}

both_backends!(
    each_role_gets_what_it_may_and_403_otherwise,
    nobody_but_the_owner_touches_ownership,
    handing_on_ownership_takes_the_second_factor_too,
    staff_can_be_required_to_use_two_factor,
);
