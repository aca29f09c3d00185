//! Webhooks end to end: a real receiver on 127.0.0.1 gets signed deliveries, verified here by
//! the Standard Webhooks rules written out independently of Folio's signer; retries with the
//! managed clock; "send again"; SSRF refusals at save and at delivery; no redirects; scheduled
//! posts; who may manage hooks.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use common::fixtures::base;
use common::{Backend, TestApp, editor_fields, with};
use folio::domain::roles::Role;
use hmac::{Hmac, Mac};
use rocket::figment::Figment;
use rocket::http::Status;
use rocket::tokio::io::{AsyncReadExt, AsyncWriteExt};
use rocket::tokio::net::TcpListener;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A small HTTP/1.1 server on 127.0.0.1: answers each request with the next scripted status
/// (200 when the script is empty; a 3xx carries `Location: /elsewhere`), records everything.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<Mutex<usize>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            addr: listener.local_addr().unwrap(),
            received: Arc::default(),
            connections: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let me = receiver.clone();
        rocket::tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                *me.connections.lock().unwrap() += 1;
                let me = me.clone();
                rocket::tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else { return };
                    let status = me.script.lock().unwrap().pop_front().unwrap_or(200);
                    me.received.lock().unwrap().push(request);
                    let extra = if (300..400).contains(&status) { "Location: /elsewhere\r\n" } else { "" };
                    let answer = format!(
                        "HTTP/1.1 {status} Scripted\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nno"
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        receiver
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to 10 s for `n` requests, then returns them all.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.received().len() >= n {
                break;
            }
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.received();
        assert!(got.len() >= n, "expected {n} requests, got {}: {got:?}", got.len());
        got
    }
}

async fn read_request(stream: &mut rocket::tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received { path, headers, body: String::from_utf8_lossy(&body).to_string() })
}

/// Verifies a request as a receiver following the Standard Webhooks specification would:
/// `webhook-id` present, `webhook-timestamp` within five minutes of now, and one of the
/// space-separated `v1,` signatures equal to base64(HMAC-SHA256(key, "id.timestamp.body")), the
/// key being the base64-decoded part of the secret after `whsec_`.
fn verify(secret: &str, request: &Received) {
    let id = request.header("webhook-id");
    assert!(id.starts_with("msg_"), "webhook-id: {id:?}");
    let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((timestamp - now).abs() <= 300, "timestamp {timestamp} is not near {now}");
    let key =
        base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", request.body).as_bytes());
    let expected =
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    let signatures = request.header("webhook-signature");
    assert!(signatures.split(' ').any(|s| s == expected), "signature {signatures:?}, expected {expected}");
    assert_eq!(request.header("content-type"), "application/json");
}

/// An app whose hooks may reach loopback (`webhooks_allow_private = true`) or not.
async fn app(backend: Backend, allow_private: bool) -> TestApp {
    let config = Figment::new()
        .merge(("webhooks_allow_private", allow_private))
        .merge(("base_url", "https://blog.example"));
    let app = TestApp::with_config(backend, base(), config).await;
    app.signed_in(Role::Admin).await;
    app
}

/// Creates a hook through the form; returns its id and secret.
async fn create_hook(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let mut fields = vec![("id", ""), ("url", url), ("enabled", "true")];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let page = app.submit("/admin/webhooks/save", &fields).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let location = page.header("Location").unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/admin/webhooks/").parse().unwrap();
    (id, secret_of(&app.get(&location).await.body))
}

fn secret_of(html: &str) -> String {
    let start = html.find("whsec_").unwrap_or_else(|| panic!("no secret in:\n{html}"));
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// Publishes a new post through the editor; returns its id.
async fn publish(app: &TestApp, title: &str) -> i64 {
    let page = app.submit("/admin/posts/save", &editor_fields(title, "Some *text*.", "publish")).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let location = page.header("Location").unwrap();
    location.trim_start_matches("/admin/posts/").trim_end_matches("/edit").parse().unwrap()
}

async fn publishing_a_post_delivers_a_signed_post_published(backend: Backend) {
    let app = app(backend, true).await;
    let receiver = Receiver::start(&[]).await;
    let (hook, secret) =
        create_hook(&app, &receiver.url("/hooks"), &["post.published", "post.updated"]).await;
    let id = publish(&app, "Hello hooks").await;
    let got = receiver.wait_for(1).await;
    verify(&secret, &got[0]);
    assert_eq!(got[0].path, "/hooks");
    let body = got[0].json();
    assert_eq!(body["type"], "post.published");
    assert!(folio::domain::dates::parse_iso(body["timestamp"].as_str().unwrap()).is_some(), "{body}");
    let data = &body["data"];
    assert_eq!(data["id"], id);
    assert_eq!(data["title"], "Hello hooks");
    assert_eq!(data["slug"], "hello-hooks");
    assert_eq!(data["url"], "https://blog.example/posts/hello-hooks");
    assert_eq!(data["status"], "published");
    assert!(data["published_at"].is_string() && data["updated_at"].is_string(), "{data}");

    // Saving the published post again is post.updated, with a message id of its own.
    let edit = app.get(&format!("/admin/posts/{id}/edit")).await;
    let version =
        edit.body.split(r#"name="version" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let id_text = id.to_string();
    let update =
        with(editor_fields("Hello hooks", "New text.", "save"), &[("id", &id_text), ("version", &version)]);
    assert_eq!(app.submit("/admin/posts/save", &update).await.status, Status::SeeOther);
    let got = receiver.wait_for(2).await;
    verify(&secret, &got[1]);
    assert_eq!(got[1].json()["type"], "post.updated");
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // A draft is no event; the log shows both deliveries, answered 200 at the first attempt.
    let _ = app.submit("/admin/posts/save", &editor_fields("Quiet draft", "x", "save")).await;
    let log = app.get(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(log.count(r#"class="webhook-attempt""#), 2, "{}", log.body);
    log.assert_contains("post.updated");
    log.assert_contains("<td>200</td>");
    rocket::tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 2);
}

async fn a_failing_receiver_gets_retries_then_send_again_works(backend: Backend) {
    let app = app(backend, true).await;
    let receiver = Receiver::start(&[500, 503]).await;
    let (hook, secret) = create_hook(&app, &receiver.url("/flaky"), &["post.published"]).await;
    publish(&app, "Try again").await;
    receiver.wait_for(1).await;
    app.eventually("SELECT COUNT(*) FROM webhook_attempts", 1).await;
    // The next attempt waits 30 s by the clock the sender reads.
    rocket::tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1);
    app.advance_clock(31);
    receiver.wait_for(2).await;
    app.eventually("SELECT COUNT(*) FROM webhook_attempts", 2).await;
    app.advance_clock(61);
    let got = receiver.wait_for(3).await;
    app.eventually("SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL", 1).await;
    for request in &got {
        verify(&secret, request);
        assert_eq!(request.header("webhook-id"), got[0].header("webhook-id"), "stable across retries");
    }
    let log = app.get(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(log.count(r#"class="webhook-attempt""#), 3, "{}", log.body);
    log.assert_contains("<td>500</td>");
    log.assert_contains("<td>503</td>");
    log.assert_contains("<td>200</td>");
    log.assert_contains("delivered");

    // Send again: the same message id, a fourth attempt.
    let delivery = app.count("SELECT id FROM webhook_deliveries").await;
    let again = app.submit(&format!("/admin/webhooks/{hook}/deliveries/{delivery}/send-again"), &[]).await;
    assert_eq!(again.status, Status::SeeOther, "{}", again.body);
    let got = receiver.wait_for(4).await;
    verify(&secret, &got[3]);
    assert_eq!(got[3].header("webhook-id"), got[0].header("webhook-id"));
    app.eventually("SELECT COUNT(*) FROM webhook_attempts", 4).await;
    let log = app.get(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(log.count(r#"class="webhook-attempt""#), 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sent again'").await, 1);
}

async fn private_targets_are_refused_at_save_and_at_delivery(backend: Backend) {
    let app = app(backend, false).await;
    let receiver = Receiver::start(&[]).await;
    for url in [
        receiver.url("/x"),
        "http://10.0.0.1/x".into(),
        "http://[::1]/x".into(),
        "http://169.254.169.254/".into(),
    ] {
        let page = app.submit("/admin/webhooks/save", &[("url", &url), ("events", "post.published")]).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{url}: {}", page.body);
        page.assert_contains("webhooks go to public addresses only");
        page.assert_contains(&url.replace('&', "&amp;"));
    }
    for (url, events) in
        [("ftp://example.com/", "post.published"), ("https://user:pw@example.com/", "post.published")]
    {
        let page = app.submit("/admin/webhooks/save", &[("url", url), ("events", events)]).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{url}");
    }
    let no_events = app.submit("/admin/webhooks/save", &[("url", "https://example.com/")]).await;
    no_events.assert_contains("Choose at least one event.");
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 0);

    // A name is judged when resolved: localhost saves, but is refused at each attempt.
    let by_name = format!("http://localhost:{}/x", receiver.addr.port());
    create_hook(&app, &by_name, &["post.published"]).await;
    // A literal loopback address stored before the setting was turned off is refused too.
    app.sql(&format!(
        "INSERT INTO webhooks (url, events, enabled, secret, created_at, updated_at)
         VALUES ('{}', 'post.published', TRUE, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 0, 0)",
        receiver.url("/x")
    ))
    .await;
    publish(&app, "Not for you").await;
    app.eventually("SELECT COUNT(*) FROM webhook_attempts", 2).await;
    assert_eq!(*receiver.connections.lock().unwrap(), 0, "no connection may be made");
    for hook in [1, 2] {
        let log = app.get(&format!("/admin/webhooks/{hook}")).await;
        log.assert_contains("refused");
        log.assert_contains("a loopback address");
        log.assert_contains("<td>none</td>");
    }
}

async fn redirects_are_not_followed(backend: Backend) {
    let app = app(backend, true).await;
    let receiver = Receiver::start(&[302]).await;
    let (hook, _) = create_hook(&app, &receiver.url("/moved"), &["post.published"]).await;
    publish(&app, "Moved").await;
    app.eventually("SELECT COUNT(*) FROM webhook_attempts WHERE status_code = 302", 1).await;
    rocket::tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/moved");
    let log = app.get(&format!("/admin/webhooks/{hook}")).await;
    log.assert_contains("redirects are not followed");
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NULL").await, 1);
}

async fn a_scheduled_post_fires_once_when_its_moment_passes(backend: Backend) {
    let app = app(backend, true).await;
    let receiver = Receiver::start(&[]).await;
    let (_, secret) = create_hook(&app, &receiver.url("/later"), &["post.published"]).await;
    // Let the sender's first scan record where scanning starts.
    app.eventually("SELECT COUNT(*) FROM webhook_watermark WHERE scanned_until > 0", 1).await;
    let at = folio::domain::editor::datetime_local(folio::domain::now() + 2 * 3600);
    let schedule = with(editor_fields("Later on", "Soon.", "schedule"), &[("publish_at", &at)]);
    assert_eq!(app.submit("/admin/posts/save", &schedule).await.status, Status::SeeOther);
    rocket::tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.received().is_empty(), "scheduling is not publishing");
    app.advance_clock(3 * 3600);
    let got = receiver.wait_for(1).await;
    verify(&secret, &got[0]);
    assert_eq!(got[0].json()["type"], "post.published");
    assert_eq!(got[0].json()["data"]["title"], "Later on");
    rocket::tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1, "once only");
}

async fn only_administrators_manage_webhooks(backend: Backend) {
    let app = app(backend, true).await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    assert_eq!(editor.get("/admin/webhooks").await.status, Status::Forbidden);
    let refused = editor
        .submit("/admin/webhooks/save", &[("url", "https://example.com/"), ("events", "post.published")])
        .await;
    assert_eq!(refused.status, Status::Forbidden);
    assert!(!editor.get("/admin").await.body.contains("/admin/webhooks"));
    assert!(app.get("/admin").await.body.contains(r#"href="/admin/webhooks""#));

    // Without the CSRF token nothing is saved.
    let forged = app
        .post("/admin/webhooks/save", &[("url", "https://example.com/"), ("events", "post.published")], &[])
        .await;
    assert_eq!(forged.status, Status::Forbidden);
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 0);

    // Create, edit (errors keep the values typed; htmx gets the form only), new secret, delete.
    let (id, secret) = create_hook(&app, "https://example.com/a", &["page.published"]).await;
    let id_text = id.to_string();
    let bad = app
        .submit("/admin/webhooks/save", &[("id", &id_text), ("url", "nope"), ("events", "page.deleted")])
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains(r#"value="nope""#);
    bad.assert_contains(r#"value="page.deleted" checked"#);
    let token = app.csrf().await;
    let hx = app
        .post(
            "/admin/webhooks/save",
            &[("_csrf", &token), ("id", &id_text), ("url", "nope"), ("events", "page.deleted")],
            &[("HX-Request", "true")],
        )
        .await;
    assert_eq!(hx.status, Status::UnprocessableEntity);
    assert!(hx.body.trim_start().starts_with("<form"), "{}", hx.body);
    let saved = app
        .submit(
            "/admin/webhooks/save",
            &[("id", &id_text), ("url", "https://example.com/b"), ("events", "page.deleted")],
        )
        .await;
    assert_eq!(saved.status, Status::SeeOther);
    let page = app.get(&format!("/admin/webhooks/{id}")).await;
    page.assert_contains("https://example.com/b");
    page.assert_contains(r#"value="page.deleted" checked"#);
    assert!(!page.body.contains(r#"value="page.published" checked"#));
    assert_eq!(app.submit(&format!("/admin/webhooks/{id}/secret"), &[]).await.status, Status::SeeOther);
    let fresh = secret_of(&app.get(&format!("/admin/webhooks/{id}")).await.body);
    assert_ne!(fresh, secret);
    assert!(fresh.starts_with("whsec_") && fresh.len() >= 6 + 32);
    assert_eq!(app.get(&format!("/admin/webhooks/{id}/delete")).await.status, Status::Ok);
    assert_eq!(app.submit(&format!("/admin/webhooks/{id}/delete"), &[]).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM webhooks").await, 0);
    let audited = app.count("SELECT COUNT(*) FROM audit_log WHERE subject LIKE 'webhook%'").await;
    assert_eq!(audited, 4, "created, updated, new secret, deleted");
}

async fn pages_and_deletes_are_events_too(backend: Backend) {
    let app = app(backend, true).await;
    let receiver = Receiver::start(&[]).await;
    let events = ["post.deleted", "page.updated", "page.unpublished", "page.deleted", "post.unpublished"];
    create_hook(&app, &receiver.url("/all"), &events).await;
    let about = app.count("SELECT id FROM pages WHERE slug = 'about'").await;
    let about_text = about.to_string();
    let edit = app.get(&format!("/admin/pages/{about}/edit")).await;
    let version =
        edit.body.split(r#"name="version" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let fields = [
        ("id", about_text.as_str()),
        ("version", version.as_str()),
        ("title", "About us"),
        ("slug", "about"),
        ("body", "Changed."),
        ("seo_title", ""),
        ("seo_description", ""),
        ("published", "true"),
    ];
    assert_eq!(app.submit("/admin/pages/save", &fields).await.status, Status::SeeOther);
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].json()["type"], "page.updated");
    assert_eq!(got[0].json()["data"]["url"], "https://blog.example/about");
    assert_eq!(app.submit(&format!("/admin/pages/{about}/delete"), &[]).await.status, Status::SeeOther);
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].json()["type"], "page.deleted");
    assert_eq!(got[1].json()["data"]["title"], "About us");

    let post = publish(&app, "Short lived").await;
    let post_text = post.to_string();
    let bulk = app
        .submit(
            "/admin/posts/bulk",
            &[("action", "unpublish"), ("ids", &post_text), ("tag", ""), ("back", "")],
        )
        .await;
    assert_eq!(bulk.status, Status::SeeOther, "{}", bulk.body);
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].json()["type"], "post.unpublished");
    let gone = app.submit(&format!("/admin/posts/{post}/delete"), &[]).await;
    assert_eq!(gone.status, Status::SeeOther, "{}", gone.body);
    let got = receiver.wait_for(4).await;
    assert_eq!(got[3].json()["type"], "post.deleted");
    assert_eq!(got[3].json()["data"]["id"], post);
}

both_backends!(
    publishing_a_post_delivers_a_signed_post_published,
    a_failing_receiver_gets_retries_then_send_again_works,
    private_targets_are_refused_at_save_and_at_delivery,
    redirects_are_not_followed,
    a_scheduled_post_fires_once_when_its_moment_passes,
    only_administrators_manage_webhooks,
    pages_and_deletes_are_events_too,
);
