//! Requests and sessions: CSRF on every state-changing route, session cookies, expiry and
//! revocation, sign-in throttling, the client address, security headers.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::{Method, Status};

/// A named attempt: form fields and extra headers.
type Case = (&'static str, Vec<(&'static str, &'static str)>, Vec<(&'static str, &'static str)>);

/// Every route that changes state, with its dynamic segments filled in.
fn unsafe_routes(app: &TestApp) -> Vec<String> {
    app.route_paths(|method| !matches!(method, Method::Get | Method::Head | Method::Options))
}

async fn every_unsafe_route_requires_a_token_from_this_site(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Owner).await;
    let token = app.csrf().await;
    let routes = unsafe_routes(&app);
    assert!(routes.len() >= 20, "{routes:?}");
    let cases: [Case; 5] = [
        ("missing", vec![("display_name", "Changed")], vec![]),
        ("wrong", vec![("_csrf", "0".repeat(64).leak()), ("display_name", "Changed")], vec![]),
        ("not first", vec![("display_name", "Changed"), ("_csrf", token.clone().leak())], vec![]),
        ("cross-site", vec![("_csrf", token.clone().leak())], vec![("Sec-Fetch-Site", "cross-site")]),
        ("foreign origin", vec![("_csrf", token.clone().leak())], vec![("Origin", "https://evil.example")]),
    ];
    // RFC 8058's one-click unsubscribe is the one exemption (`web::csrf`, module docs): the mail
    // client's POST carries no cookie and no token. It is reached, and nothing else is.
    let (exempt, routes): (Vec<String>, Vec<String>) =
        routes.into_iter().partition(|p| folio::web::csrf::one_click(Method::Post, p));
    assert_eq!(exempt, ["/unsubscribe/1/1"]);
    for (name, fields, headers) in &cases {
        let page = app.post(&exempt[0], fields, headers).await;
        assert_eq!(page.status, Status::NotFound, "{name} on {}: a forged signature", exempt[0]);
    }
    for path in &routes {
        for (name, fields, headers) in &cases {
            let page = app.post(path, fields, headers).await;
            assert_eq!(page.status, Status::Forbidden, "{name} on {path}");
            // The API answers its refusal as a problem document (RFC 9457), the site as a page.
            let refused =
                if path.starts_with("/api/") { "possible cross-site request" } else { "Request refused" };
            assert!(page.body.contains(refused), "{name} on {path}: {}", page.body);
        }
    }
    // The header works for htmx, and nothing above changed anything.
    let via_header = app
        .post(
            "/account",
            &[("display_name", "Via Header"), ("bio", ""), ("avatar_url", "")],
            &[("X-CSRF-Token", &token)],
        )
        .await;
    assert_eq!(via_header.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Changed'").await, 0);
    let same_site = app
        .post(
            "/account",
            &[("_csrf", &token), ("display_name", "Same Origin"), ("bio", ""), ("avatar_url", "")],
            &[("Sec-Fetch-Site", "same-origin"), ("Origin", "http://localhost:8000")],
        )
        .await;
    assert_eq!(same_site.status, Status::SeeOther, "{}", same_site.body);
}

async fn anonymous_forms_use_a_cookie_token(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.user(Role::Author, "a@example.org").await;
    let no_token =
        app.post("/sign-in", &[("email", "a@example.org"), ("password", PASSWORD), ("next", "")], &[]).await;
    assert_eq!(no_token.status, Status::Forbidden);
    let stranger = app.browser().await;
    let foreign = common::csrf_of(&stranger.get("/sign-in").await.body);
    let wrong = app
        .post(
            "/sign-in",
            &[("_csrf", &foreign), ("email", "a@example.org"), ("password", PASSWORD), ("next", "")],
            &[],
        )
        .await;
    assert_eq!(wrong.status, Status::Forbidden, "another browser's token");
    assert_eq!(app.sign_in("a@example.org", PASSWORD).await.status, Status::SeeOther);
}

async fn https_sites_get_host_prefixed_secure_cookies(backend: Backend) {
    let config = Figment::new().merge(("base_url", "https://example.org"));
    let app = TestApp::with_config(backend, base(), config).await;
    app.user(Role::Author, "a@example.org").await;
    let form = app.get("/sign-in").await;
    let csrf_cookie = form.header("Set-Cookie").unwrap();
    assert!(csrf_cookie.starts_with("__Host-folio_csrf=") && csrf_cookie.contains("Secure"), "{csrf_cookie}");
    assert!(form.header("Strict-Transport-Security").is_some());
    let page = app.sign_in("a@example.org", PASSWORD).await;
    let cookie = page
        .headers
        .iter()
        .find(|(n, v)| n == "Set-Cookie" && v.contains("folio_session"))
        .unwrap()
        .1
        .clone();
    for flag in ["__Host-folio_session=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

async fn sessions_expire_and_can_be_revoked(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    assert_eq!(app.get("/account").await.status, Status::Ok);
    // Idle for more than the 7-day idle timeout.
    app.sql(
        "UPDATE sessions SET last_seen_at = last_seen_at - 8 * 86400, created_at = created_at - 8 * 86400",
    )
    .await;
    assert_eq!(app.get("/account").await.status, Status::SeeOther);
    app.signed_in_again().await;
    // Active, but older than the 30-day maximum age.
    app.sql("UPDATE sessions SET created_at = created_at - 31 * 86400").await;
    assert_eq!(app.get("/account").await.status, Status::SeeOther);
    app.signed_in_again().await;
    assert_eq!(app.get("/account").await.status, Status::Ok);
    app.sql("DELETE FROM sessions").await;
    assert_eq!(app.get("/account").await.status, Status::SeeOther, "revoked server-side");
    // A forged cookie is no session at all.
    app.client.cookies().add(rocket::http::Cookie::new("folio_session", "f".repeat(64)));
    assert_eq!(app.get("/account").await.status, Status::SeeOther);
}

async fn sign_in_is_throttled_per_account(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.user(Role::Editor, "target@example.org").await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("target@example.org", "wrong password 1").await.status,
            Status::UnprocessableEntity
        );
    }
    let blocked = app.sign_in("target@example.org", PASSWORD).await;
    assert_eq!(blocked.status, Status::TooManyRequests, "even the right password waits");
    let wait: u64 = blocked.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    blocked.assert_contains("Too many attempts");
    // Once the failures age out of the window, the right password works.
    app.sql("UPDATE sign_in_failures SET at = at - 901").await;
    assert_eq!(app.sign_in("target@example.org", PASSWORD).await.status, Status::SeeOther);
}

async fn sign_in_is_throttled_per_address_from_the_trusted_header_only(backend: Backend) {
    let proxied = Figment::new().merge(("client_ip_header", "X-Forwarded-For"));
    let app = TestApp::with_config(backend, base(), proxied).await;
    let token = app.csrf().await;
    let attempt = |email: String, addr: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            let fields = [
                ("_csrf", token.as_str()),
                ("email", email.as_str()),
                ("password", "wrong password 1"),
                ("next", ""),
            ];
            app.post("/sign-in", &fields, &[("X-Forwarded-For", addr)]).await.status
        }
    };
    for i in 0..20 {
        assert_eq!(
            attempt(format!("user{i}@example.org"), "198.51.100.7, 10.0.0.1").await,
            Status::UnprocessableEntity
        );
    }
    assert_eq!(attempt("fresh@example.org".into(), "203.0.113.9, 10.0.0.1").await, Status::TooManyRequests);
    assert_eq!(
        attempt("fresh@example.org".into(), "203.0.113.9, 10.0.0.2").await,
        Status::UnprocessableEntity
    );

    // Without a configured header, spoofed X-Real-IP / X-Forwarded-For values change nothing.
    let direct = TestApp::new(backend, base()).await;
    let token = direct.csrf().await;
    for i in 0..21 {
        let fields = [
            ("_csrf", token.as_str()),
            ("email", &*format!("u{i}@example.org")),
            ("password", "wrong password 1"),
            ("next", ""),
        ];
        let spoof = format!("192.0.2.{i}");
        let status = direct
            .post("/sign-in", &fields, &[("X-Real-IP", &spoof), ("X-Forwarded-For", &spoof)])
            .await
            .status;
        let expected = if i < 20 { Status::UnprocessableEntity } else { Status::TooManyRequests };
        assert_eq!(status, expected, "attempt {i}");
    }
}

async fn parallel_sign_ins_are_counted_before_any_password_is_checked(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.user(Role::Editor, "target@example.org").await;
    let token = app.csrf().await;
    let attempts = (0..40).map(|_| {
        let (app, token) = (&app, token.clone());
        async move {
            let fields = [
                ("_csrf", token.as_str()),
                ("email", "target@example.org"),
                ("password", "wrong password 1"),
                ("next", ""),
            ];
            app.post("/sign-in", &fields, &[]).await.status
        }
    });
    let statuses = rocket::futures::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == Status::UnprocessableEntity).count();
    let refused = statuses.iter().filter(|s| **s == Status::TooManyRequests).count();
    assert!(checked <= 5, "{checked} of 40 parallel attempts on one account reached the password check");
    assert_eq!(checked + refused, 40, "{statuses:?}");
}

async fn successful_sign_ins_do_not_count_against_the_address(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let user = app.user(Role::Editor, "office@example.org").await;
    // 20 is the per-address limit: an office behind one address signs in all day.
    for i in 0..25 {
        assert_eq!(app.sign_in(&user.email, PASSWORD).await.status, Status::SeeOther, "sign-in {i}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 0);
}

async fn ipv6_clients_are_counted_by_their_64_bit_prefix(backend: Backend) {
    let proxied = Figment::new().merge(("client_ip_header", "X-Forwarded-For"));
    let app = TestApp::with_config(backend, base(), proxied).await;
    let token = app.csrf().await;
    let attempt = |i: usize, addr: String| {
        let token = token.clone();
        let app = &app;
        async move {
            let email = format!("user{i}@example.org");
            let fields = [
                ("_csrf", token.as_str()),
                ("email", email.as_str()),
                ("password", "wrong password 1"),
                ("next", ""),
            ];
            app.post("/sign-in", &fields, &[("X-Forwarded-For", addr.as_str())]).await.status
        }
    };
    // One host may hold every address of its /64: each attempt from a new one.
    for i in 0..20 {
        assert_eq!(attempt(i, format!("2001:db8:1:2::{:x}", i + 1)).await, Status::UnprocessableEntity);
    }
    assert_eq!(attempt(20, "2001:db8:1:2:ffff:ffff:ffff:fffe".into()).await, Status::TooManyRequests);
    assert_eq!(attempt(21, "2001:db8:1:3::1".into()).await, Status::UnprocessableEntity, "the next /64");
    // IPv4 keeps its whole address, also when it arrives mapped into IPv6.
    for i in 0..20 {
        assert_eq!(attempt(30 + i, "::ffff:198.51.100.7".into()).await, Status::UnprocessableEntity);
    }
    assert_eq!(attempt(60, "198.51.100.7".into()).await, Status::TooManyRequests);
    assert_eq!(attempt(61, "198.51.100.8".into()).await, Status::UnprocessableEntity);
}

async fn sign_ups_are_throttled_per_address_and_per_recipient(backend: Backend) {
    let proxied = Figment::new().merge(("client_ip_header", "X-Forwarded-For"));
    let app = TestApp::with_config(backend, base(), proxied).await;
    app.user(Role::Member, "taken@example.org").await;
    let token = app.csrf().await;
    let stamp = app.stamp("/sign-up").await;
    let sign_up = |email: String, addr: &'static str| {
        let (app, token, stamp) = (&app, token.clone(), stamp.clone());
        async move {
            let fields = [
                ("_csrf", token.as_str()),
                ("stamp", stamp.as_str()),
                ("display_name", "Reader"),
                ("email", &email),
                ("password", PASSWORD),
            ];
            app.post("/sign-up", &fields, &[("X-Forwarded-For", addr)]).await
        }
    };
    // Per client address: 20 an hour, each a password hash and a mail.
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(sign_up(format!("reader{i}@example.org"), "198.51.100.7").await.status);
    }
    let accepted = statuses.iter().filter(|s| **s == Status::SeeOther).count();
    assert_eq!(accepted, 20, "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == Status::TooManyRequests), "{statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email LIKE 'reader%'").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient LIKE 'reader%'").await, 20);

    // Per recipient: 3 an hour from anywhere, and the same whether or not the address has an account.
    let clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];
    for email in ["taken@example.org", "fresh@example.org"] {
        for (i, addr) in clients.into_iter().enumerate() {
            let page = sign_up(email.to_owned(), addr).await;
            let expected = if i < 3 { Status::SeeOther } else { Status::TooManyRequests };
            assert_eq!(page.status, expected, "{email}, attempt {i}");
            if i == 3 {
                let wait: u64 = page.header("Retry-After").unwrap().parse().unwrap();
                assert!((1..=3600).contains(&wait), "{wait}");
                page.assert_contains("Too many attempts");
            }
        }
    }
    for email in ["taken@example.org", "fresh@example.org"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM outbox WHERE recipient = '{email}'")).await, 3);
    }
}

async fn email_changes_are_throttled_per_recipient_and_member(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Member).await;
    let change = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.submit("/account/email", &[("email", email), ("current_password", password)]).await.status
        }
    };
    // A wrong password sends nothing, so it uses up nothing of these limits.
    assert_eq!(change("moved@example.org", "wrong password!").await, Status::UnprocessableEntity);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(change("moved@example.org", PASSWORD).await);
    }
    assert_eq!(statuses, [Status::SeeOther, Status::SeeOther, Status::SeeOther, Status::TooManyRequests]);
    // Per member: 5 links an hour, whatever the addresses.
    let mut others = Vec::new();
    for email in ["other1@example.org", "other2@example.org", "other3@example.org"] {
        others.push(change(email, PASSWORD).await);
    }
    assert_eq!(others, [Status::SeeOther, Status::SeeOther, Status::TooManyRequests]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient IN ('moved@example.org', 'other1@example.org', 'other2@example.org', 'other3@example.org')").await,
        5
    );
}

async fn account_pages_send_security_headers(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    for path in ["/sign-in", "/sign-up", "/password-reset", "/setup"] {
        let page = app.get(path).await;
        let csp = page.header("Content-Security-Policy").unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && !csp.contains("unsafe-eval")
        );
        for needle in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(needle), "{path}: {csp}");
        }
        assert_eq!(page.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(page.header("Cross-Origin-Opener-Policy"), Some("same-origin"));
        assert!(page.header("Referrer-Policy").is_some());
        assert_eq!(page.header("Vary"), Some("HX-Request"));
        page.assert_contains(r#"<meta name="robots" content="noindex">"#);
        page.assert_lacks("<script>");
    }
}

/// Pages for one visitor (signed in, or carrying a CSRF token) are never stored by a cache;
/// public pages are.
async fn per_visitor_pages_are_never_stored(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    for path in ["/sign-in", "/sign-up", "/password-reset"] {
        assert_eq!(app.get(path).await.header("Cache-Control"), Some("private, no-store"), "{path}");
    }
    app.signed_in(Role::Editor).await;
    for path in ["/account", "/account/sessions", "/admin", "/admin/posts", "/admin/posts/new"] {
        let page = app.get(path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert_eq!(page.header("Cache-Control"), Some("private, no-store"), "{path}");
    }
    let home = app.get("/").await;
    assert_eq!(home.status, Status::Ok);
    assert!(
        !home.header("Cache-Control").unwrap_or("").contains("private"),
        "the home page is the same for everyone"
    );
}

both_backends!(
    per_visitor_pages_are_never_stored,
    every_unsafe_route_requires_a_token_from_this_site,
    anonymous_forms_use_a_cookie_token,
    https_sites_get_host_prefixed_secure_cookies,
    sessions_expire_and_can_be_revoked,
    sign_in_is_throttled_per_account,
    sign_in_is_throttled_per_address_from_the_trusted_header_only,
    parallel_sign_ins_are_counted_before_any_password_is_checked,
    successful_sign_ins_do_not_count_against_the_address,
    ipv6_clients_are_counted_by_their_64_bit_prefix,
    sign_ups_are_throttled_per_address_and_per_recipient,
    email_changes_are_throttled_per_recipient_and_member,
    account_pages_send_security_headers,
);
