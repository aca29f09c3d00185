//! The rest of the admin: dashboard, pages, tags and series, users, settings and the audit log.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{base, post};
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use rocket::http::Status;

async fn every_screen_answers_by_role(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let screens = [
        ("/admin", "CAEAO"),
        ("/admin/posts", "CAEAO"),
        ("/admin/posts/new", "CAEAO"),
        ("/admin/media", "CAEAO"),
        ("/admin/pages", "--EAO"),
        ("/admin/pages/new", "--EAO"),
        ("/admin/tags", "--EAO"),
        ("/admin/series", "--EAO"),
        ("/admin/users", "---AO"),
        ("/admin/settings", "---AO"),
        ("/admin/audit", "---AO"),
        ("/admin/webhooks", "---AO"),
    ];
    let roles = [Role::Contributor, Role::Author, Role::Editor, Role::Admin, Role::Owner];
    let member = app.user(Role::Member, "member@example.org").await;
    app.sign_in(&member.email, PASSWORD).await;
    for (path, _) in screens {
        assert_eq!(app.get(path).await.status, Status::Forbidden, "member {path}");
    }
    for (i, role) in roles.into_iter().enumerate() {
        let user = app.user(role, &format!("{}@example.org", role.as_str())).await;
        app.submit("/sign-out", &[]).await;
        app.sign_in(&user.email, PASSWORD).await;
        for (path, allowed) in screens {
            let expected = if allowed.as_bytes()[i] == b'-' { Status::Forbidden } else { Status::Ok };
            let page = app.get(path).await;
            assert_eq!(page.status, expected, "{role:?} {path}");
            if expected == Status::Ok {
                page.assert_contains(r#"data-hx-headers='{&#34;X-CSRF-Token&#34;"#);
            }
        }
    }
}

async fn the_dashboard_counts_and_lists_work_in_progress(backend: Backend) {
    let mut bundle = base();
    bundle.posts = vec![post("Out there", 100, &[]), post("Half done", 50, &[]).into_draft()];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;
    let page = app.get("/admin").await;
    page.assert_contains("<strong>1</strong> published");
    page.assert_contains("<strong>1</strong> drafts");
    page.assert_contains("Half done");
    page.assert_contains("Nothing is scheduled.");
}

async fn pages_are_created_validated_locked_and_deleted(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let fields = |title: &'static str, slug: &'static str, version: &'static str, id: &'static str| {
        vec![
            ("id", id),
            ("version", version),
            ("title", title),
            ("slug", slug),
            ("body", "Hello **there**"),
            ("seo_title", ""),
            ("seo_description", ""),
            ("published", "true"),
        ]
    };
    let bad = app.submit("/admin/pages/save", &fields("", "admin", "0", "")).await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Enter a title.");
    bad.assert_contains("used by Folio itself");
    let taken = app.submit("/admin/pages/save", &fields("About", "about", "0", "")).await;
    assert_eq!(taken.status, Status::UnprocessableEntity);
    taken.assert_contains("Another page already uses this slug.");

    let created = app.submit("/admin/pages/save", &fields("Contact", "", "0", "")).await;
    assert_eq!(created.status, Status::SeeOther);
    app.get("/contact").await.assert_contains("<strong>there</strong>");
    let id = app.count("SELECT id FROM pages WHERE slug = 'contact'").await.to_string();
    let id: &'static str = Box::leak(id.into_boxed_str());
    assert_eq!(
        app.submit("/admin/pages/save", &fields("Contact us", "contact", "1", id)).await.status,
        Status::SeeOther
    );
    let stale = app.submit("/admin/pages/save", &fields("Contact them", "contact", "1", id)).await;
    assert_eq!(stale.status, Status::Conflict);
    stale.assert_contains("Someone else saved first");
    stale.assert_contains("Contact them");
    assert_eq!(app.text("SELECT title FROM pages WHERE slug = 'contact'").await, "Contact us");
    app.get("/admin/pages").await.assert_contains("Contact us");

    let ask = app.get(&format!("/admin/pages/{id}/delete")).await;
    ask.assert_contains("Delete the page");
    assert_eq!(
        app.submit(&format!("/admin/pages/{id}/delete"), &[("confirm", "true")]).await.status,
        Status::SeeOther
    );
    assert_eq!(app.get("/contact").await.status, Status::NotFound);
}

async fn tags_and_series_share_their_screens(backend: Backend) {
    let mut bundle = base();
    bundle.posts = vec![post("Tagged", 100, &["rust"])];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;
    let list = app.get("/admin/tags").await;
    list.assert_contains("Rust");
    list.assert_contains("Design");

    let bad = app
        .submit("/admin/tags/save", &[("id", ""), ("name", ""), ("slug", "Bad Slug"), ("description", "")])
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Enter a name.");
    let clash = app
        .submit(
            "/admin/tags/save",
            &[("id", ""), ("name", "Rust again"), ("slug", "rust"), ("description", "")],
        )
        .await;
    clash.assert_contains("Another tag already uses this slug.");
    let made = app
        .submit(
            "/admin/tags/save",
            &[("id", ""), ("name", "Web Dev"), ("slug", ""), ("description", "Sites")],
        )
        .await;
    assert_eq!(made.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM tags WHERE slug = 'web-dev'").await, 1);

    let rust = app.count("SELECT id FROM tags WHERE slug = 'rust'").await;
    let renamed = app
        .submit(
            "/admin/tags/save",
            &[("id", &rust.to_string()), ("name", "Rust lang"), ("slug", "rust-lang"), ("description", "")],
        )
        .await;
    assert_eq!(renamed.status, Status::SeeOther);
    app.get("/tags/rust-lang").await.assert_contains("Tagged");
    app.get(&format!("/admin/tags/{rust}/delete")).await.assert_contains("removed from its 1 posts");
    app.submit(&format!("/admin/tags/{rust}/delete"), &[("confirm", "true")]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM post_tags").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1, "the post stays");

    let series = app
        .submit(
            "/admin/series/save",
            &[("id", ""), ("name", "Deep Dives"), ("slug", ""), ("description", "")],
        )
        .await;
    assert_eq!(series.status, Status::SeeOther);
    app.get("/admin/series").await.assert_contains("Deep Dives");
    let author = app.user(Role::Author, "author@example.org").await;
    app.submit("/sign-out", &[]).await;
    app.sign_in(&author.email, PASSWORD).await;
    let refused = app
        .submit("/admin/series/save", &[("id", ""), ("name", "Mine"), ("slug", ""), ("description", "")])
        .await;
    assert_eq!(refused.status, Status::Forbidden);
}

async fn users_are_disabled_and_deleted_with_an_heir(backend: Backend) {
    let mut bundle = base();
    bundle.posts = vec![post("Ada's essay", 100, &[])];
    let app = TestApp::new(backend, bundle).await;
    let admin = app.signed_in(Role::Admin).await;
    let (writer, other) = app.browser_as(Role::Author).await;
    assert_eq!(other.get("/admin").await.status, Status::Ok);

    let disable = app.submit(&format!("/admin/users/{}/disabled", writer.id), &[("disabled", "true")]).await;
    assert_eq!(disable.status, Status::SeeOther);
    assert_eq!(other.get("/admin").await.status, Status::SeeOther, "their session ended");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = {}", writer.id)).await, 0);
    assert_eq!(
        app.submit(&format!("/admin/users/{}/disabled", admin.id), &[("disabled", "true")]).await.status,
        Status::Forbidden
    );
    app.submit(&format!("/admin/users/{}/disabled", writer.id), &[("disabled", "false")]).await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {} AND disabled_at IS NULL", writer.id))
            .await,
        1
    );
    // Enabling an account that is already enabled leaves its sessions alone.
    other.sign_in(&writer.email, PASSWORD).await;
    assert_eq!(other.get("/admin").await.status, Status::Ok);
    app.submit(&format!("/admin/users/{}/disabled", writer.id), &[("disabled", "false")]).await;
    assert_eq!(other.get("/admin").await.status, Status::Ok, "still signed in");

    let ada = app.count("SELECT id FROM users WHERE slug = 'ada'").await;
    let ask = app.get(&format!("/admin/users/{ada}/delete")).await;
    ask.assert_contains("Who receives their posts and pages?");
    let no_heir = app.submit(&format!("/admin/users/{ada}/delete"), &[("heir", "")]).await;
    assert_eq!(no_heir.status, Status::UnprocessableEntity);
    no_heir.assert_contains("Choose who receives their posts and pages.");
    let self_heir = app.submit(&format!("/admin/users/{ada}/delete"), &[("heir", &ada.to_string())]).await;
    assert_eq!(self_heir.status, Status::UnprocessableEntity, "not to themselves");
    let gone = app.submit(&format!("/admin/users/{ada}/delete"), &[("heir", &writer.id.to_string())]).await;
    assert_eq!(gone.status, Status::SeeOther);
    assert_eq!(app.count("SELECT author_id FROM posts WHERE title = 'Ada''s essay'").await, writer.id);
    let log = app.get("/admin/audit").await;
    log.assert_contains("deleted the account of");
    log.assert_contains("Ada Writer");
    log.assert_contains("disabled");
}

async fn settings_are_checked_saved_applied_and_never_echo_the_password(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    // Mail settings are the owner's (see mail_settings_cannot_be_turned_against_the_owner).
    app.signed_in(Role::Owner).await;
    let page = app.get("/admin/settings").await;
    page.assert_contains(r#"value="Folio""#);
    for field in [
        "comment_policy",
        "comment_moderation",
        "comment_close_days",
        "comment_link_limit",
        "comment_blocklist",
    ] {
        page.assert_contains(&format!(r#"name="{field}""#));
    }
    let form = |title: &'static str, per_page: &'static str, password: &'static str| {
        vec![
            ("site_title", title),
            ("site_description", "Notes from the field"),
            ("logo_url", ""),
            ("nav_label", "Home"),
            ("nav_url", "/"),
            ("nav_label", ""),
            ("nav_url", ""),
            ("nav_label", "About"),
            ("nav_url", "/about"),
            ("posts_per_page", per_page),
            ("signup", "closed"),
            ("comment_policy", "members"),
            ("comment_moderation", "all"),
            ("comment_close_days", if per_page == "0" { "-1" } else { "30" }),
            ("comment_link_limit", "1"),
            ("comment_blocklist", "spam@example.org\n198.51.100.0/24"),
            ("smtp_host", "mail.example.org"),
            ("smtp_port", "587"),
            ("smtp_security", "starttls"),
            ("smtp_username", "folio"),
            ("smtp_password", password),
            ("mail_from", "Field Notes <news@example.org>"),
        ]
    };
    let bad = app.submit("/admin/settings", &form("", "0", "s3cret-pass")).await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Enter the site title.");
    bad.assert_contains("Enter a whole number from 1 to 100.");
    bad.assert_contains("Enter a number of days from 0 to 3650.");
    bad.assert_contains("spam@example.org\n198.51.100.0/24</textarea>");
    bad.assert_form_lacks("s3cret-pass");
    bad.assert_contains(r#"value="mail.example.org""#);

    let saved = app.submit("/admin/settings", &form("Field Notes", "5", "s3cret-pass")).await;
    assert_eq!(saved.status, Status::SeeOther);
    let home = app.get("/").await;
    home.assert_contains("<title>Field Notes</title>");
    home.assert_contains(r#"<a href="/about">About</a>"#);
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_password'").await, "s3cret-pass");
    let shown = app.get("/admin/settings").await;
    shown.assert_lacks("s3cret-pass");
    shown.assert_contains("A password is saved.");
    app.get("/sign-up").await.assert_contains("not taking new members");
    for (key, value) in [
        ("comment_policy", "members"),
        ("comment_moderation", "all"),
        ("comment_close_days", "30"),
        ("comment_link_limit", "1"),
    ] {
        assert_eq!(app.text(&format!("SELECT value FROM site_settings WHERE key = '{key}'")).await, value);
    }
    shown.assert_contains(r#"id="comment_policy-members" name="comment_policy" value="members" checked"#);
    shown.assert_contains("spam@example.org\n198.51.100.0/24</textarea>");

    // An empty password field keeps the saved one; the box removes it.
    app.submit("/admin/settings", &form("Field Notes", "5", "")).await;
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_password'").await, "s3cret-pass");
    let mut clear = form("Field Notes", "5", "");
    clear.push(("clear_smtp_password", "true"));
    app.submit("/admin/settings", &clear).await;
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_password'").await, "");
    let entry = app
        .text("SELECT detail FROM audit_log WHERE subject = 'the site settings' ORDER BY id DESC LIMIT 1")
        .await;
    assert!(entry.contains("site_title") && !entry.contains("s3cret"), "{entry}");
}

/// Whoever controls the mail server reads every reset link: an administrator can neither
/// point mail elsewhere (nor carry the saved password there), and nobody sends the password
/// unencrypted except to this machine.
async fn mail_settings_cannot_be_turned_against_the_owner(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let owner = app.user(Role::Owner, "owner@example.org").await;
    let admin = app.user(Role::Admin, "admin@example.org").await;
    let smtp = |host: &'static str, security: &'static str, user: &'static str, password: &'static str| {
        vec![
            ("site_title", "Folio"),
            ("site_description", "d"),
            ("logo_url", ""),
            ("posts_per_page", "10"),
            ("signup", "open"),
            ("smtp_host", host),
            ("smtp_port", "587"),
            ("smtp_security", security),
            ("smtp_username", user),
            ("smtp_password", password),
            ("mail_from", ""),
        ]
    };
    assert_eq!(app.sign_in(&owner.email, PASSWORD).await.status, Status::SeeOther);
    let saved = app.submit("/admin/settings", &smtp("mail.example.org", "starttls", "folio", "s3cret")).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    // Without TLS, a password only goes to this machine.
    let plain = app.submit("/admin/settings", &smtp("mail.example.org", "none", "folio", "")).await;
    assert_eq!(plain.status, Status::UnprocessableEntity);
    plain.assert_contains("never sent unencrypted");
    let local = app.submit("/admin/settings", &smtp("localhost", "none", "folio", "s3cret")).await;
    assert_eq!(local.status, Status::SeeOther, "{}", local.body);
    // A new host does not inherit the saved password.
    app.submit("/admin/settings", &smtp("mail.example.org", "starttls", "folio", "s3cret")).await;
    app.submit("/admin/settings", &smtp("evil.example.net", "starttls", "folio", "")).await;
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_password'").await, "");

    app.submit("/admin/settings", &smtp("mail.example.org", "starttls", "folio", "s3cret")).await;
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&admin.email, PASSWORD).await.status, Status::SeeOther);
    let page = app.get("/admin/settings").await;
    page.assert_contains("Only the owner can change how mail is sent");
    page.assert_lacks(r#"name="smtp_host""#);
    let tried = app.submit("/admin/settings", &smtp("evil.example.net", "none", "", "")).await;
    assert_eq!(tried.status, Status::SeeOther, "the rest of the settings still save: {}", tried.body);
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_host'").await, "mail.example.org");
    assert_eq!(app.text("SELECT value FROM site_settings WHERE key = 'smtp_password'").await, "s3cret");
}

both_backends!(
    mail_settings_cannot_be_turned_against_the_owner,
    every_screen_answers_by_role,
    the_dashboard_counts_and_lists_work_in_progress,
    pages_are_created_validated_locked_and_deleted,
    tags_and_series_share_their_screens,
    users_are_disabled_and_deleted_with_an_heir,
    settings_are_checked_saved_applied_and_never_echo_the_password,
);
