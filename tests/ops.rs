//! What operators read (issue 16): `/metrics` behind its token, read by Prometheus' own
//! parser; `/readyz` following the schema; one log line per request with its id; and a
//! shutdown that finishes the requests under way and hands back the mail it was sending.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::fixtures::base;
use common::served::{Served, answers, exchange, get, read_response, sqlite_execute, sqlite_row};
use common::{Backend, TestApp};
use rocket::figment::Figment;
use rocket::http::Status;

const TOKEN: &str = "scrape-token-0123456789abcdef";

/// Every sample of a scrape as `(name{labels}, value)`, read by the Prometheus project's Python
/// client (`prometheus_client.parser`, Debian's python3-prometheus-client): a scrape it cannot
/// parse fails the test.
fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    const SCRIPT: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        out.append([f"{s.name}{{{labels}}}", s.value])
print(json.dumps(out))
"#;
    let python = std::env::var("FOLIO_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): apt install python3-prometheus-client"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the exposition does not parse: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sample(samples: &[(String, f64)], key: &str) -> f64 {
    samples.iter().find(|(k, _)| k == key).map(|(_, v)| *v).unwrap_or_else(|| panic!("no sample {key}"))
}

async fn metrics_are_off_until_a_token_is_set_then_need_it(backend: Backend) {
    let off = TestApp::new(backend, base()).await;
    assert_eq!(off.get("/metrics").await.status, Status::NotFound);

    let extra = Figment::new().merge(("metrics_token", TOKEN)).merge(("page_cache", 64 << 20));
    let app = TestApp::with_config(backend, base(), extra).await;
    for auth in [None, Some("Bearer wrong-token-wrong-token-wrong"), Some(TOKEN)] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let refused = app.send(rocket::http::Method::Get, "/metrics", &headers, None).await;
        assert_eq!(refused.status, Status::Unauthorized, "{auth:?}");
        assert_eq!(refused.header("WWW-Authenticate"), Some("Bearer"));
    }
    app.get("/").await;
    app.get("/").await;
    app.get("/no-such-page").await;
    let now = folio::domain::now();
    app.sql(&format!(
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES ('a@example.com', 's', 't', 'h', {0}, {0})",
        now - 90
    ))
    .await;
    let bearer = format!("Bearer {TOKEN}");
    let scrape = app.send(rocket::http::Method::Get, "/metrics", &[("Authorization", &bearer)], None).await;
    assert_eq!(scrape.status, Status::Ok);
    assert!(scrape.header("Content-Type").unwrap().starts_with("text/plain; version=0.0.4"));
    let samples = parse_exposition(&scrape.body);
    let requests = |route: &str, status: &str| {
        sample(
            &samples,
            &format!(r#"folio_http_requests_total{{method="GET",route="{route}",status="{status}"}}"#),
        )
    };
    assert_eq!(requests("/", "200"), 1.0, "the first home page was rendered");
    assert_eq!(requests("(page cache)", "200"), 1.0, "the second came from the cache");
    assert_eq!(requests("/metrics", "401"), 3.0);
    assert_eq!(sample(&samples, "folio_page_cache_hits_total{}"), 1.0);
    assert!(sample(&samples, "folio_page_cache_misses_total{}") >= 1.0);
    assert!(sample(&samples, "folio_page_cache_bytes{}") > 1000.0);
    assert_eq!(sample(&samples, r#"folio_http_request_duration_seconds_count{method="GET",route="/"}"#), 1.0);
    assert_eq!(sample(&samples, "folio_outbox_pending_messages{}"), 1.0);
    let age = sample(&samples, "folio_outbox_oldest_pending_age_seconds{}");
    assert!((90.0..120.0).contains(&age), "{age}");
    assert!(sample(&samples, "folio_db_pool_max_connections{}") >= 1.0);
    assert_eq!(sample(&samples, "folio_db_pool_acquire_seconds_count{}"), 1.0);
    assert!(sample(&samples, "process_resident_memory_bytes{}") > 1e6);
    let not_found =
        |(k, _): &&(String, f64)| k.starts_with("folio_http_requests_total") && k.contains(r#"status="404""#);
    assert!(samples.iter().any(|s| not_found(&s)), "a 404 is counted");
}

async fn readiness_waits_for_every_migration_of_this_binary(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (Status::Ok, r#"{"status":"ready"}"#));
    // As if another process had not finished migrating to this binary's schema.
    app.sql("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)").await;
    let behind = app.get("/readyz").await;
    assert_eq!(behind.status, Status::ServiceUnavailable);
    assert!(behind.body.contains("migrations pending"), "{}", behind.body);
    assert_eq!(app.get("/healthz").await.status, Status::Ok, "liveness does not depend on the schema");
}

both_backends!(
    metrics_are_off_until_a_token_is_set_then_need_it,
    readiness_waits_for_every_migration_of_this_binary
);

/// Each request gets one line with its id, which is also the `X-Request-Id` it was answered
/// with; a secret link's token never reaches the log; a proxy's id is kept only from a proxy
/// Folio is told to trust.
#[test]
fn each_request_is_logged_once_with_its_id_and_no_secret() {
    let mut served = Served::start(&[("ROCKET_REQUEST_LOG", "json")], |_| {});
    let mut conn = served.connect();
    let (_, home) = exchange(&mut conn, &get("/", ""));
    let (_, reset) = exchange(&mut conn, &get("/password-reset/SECRET-TOKEN-123", ""));
    let (_, forged) = exchange(&mut conn, &get("/healthz", "X-Request-Id: made-up-by-a-client\r\n"));
    let ids: Vec<String> = [&home, &reset, &forged]
        .iter()
        .map(|head| head.lines().find_map(|l| l.strip_prefix("x-request-id: ")).unwrap().trim().to_owned())
        .collect();
    assert_ne!(ids[2], "made-up-by-a-client", "no proxy is trusted: the client's id is not taken");
    let (status, out, _) = served.terminate();
    assert!(status.success());
    let lines: Vec<serde_json::Value> =
        out.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{out}");
    for (line, (id, path)) in lines.iter().zip(ids.iter().zip(["/", "/password-reset/<token>", "/healthz"])) {
        assert_eq!(line["request_id"], id.as_str());
        assert_eq!(line["path"], path);
        assert_eq!(line["method"], "GET");
        assert_eq!(line["status"], 200);
        assert!(line["duration_ms"].as_f64().unwrap() > 0.0);
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
    }
    assert!(!out.contains("SECRET-TOKEN-123"), "{out}");

    let mut behind_proxy = Served::start(&[("ROCKET_CLIENT_IP_HEADER", "X-Forwarded-For")], |_| {});
    let mut conn = behind_proxy.connect();
    let (_, head) =
        exchange(&mut conn, &get("/healthz", "X-Request-Id: 0f3a9c1e5b7d4e2f8a6c0b1d3e5f7a9c\r\n"));
    assert!(head.contains("x-request-id: 0f3a9c1e5b7d4e2f8a6c0b1d3e5f7a9c"), "{head}");
    let (_, out, _) = behind_proxy.terminate();
    let line = out.lines().find(|l| l.contains("/healthz")).unwrap();
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[1..5], ["0f3a9c1e5b7d4e2f8a6c0b1d3e5f7a9c", "GET", "/healthz", "200"], "{line}");
}

/// An SMTP server that takes a message's DATA and then never answers, as a stuck relay does.
/// Sends on `got_data` once the message's final dot has arrived.
fn stalling_smtp() -> (u16, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (got_data, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(b"220 stall.example ESMTP\r\n").unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut in_data = false;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let upper = line.to_ascii_uppercase();
            if in_data {
                if line == ".\r\n" {
                    let _ = got_data.send(());
                    std::thread::sleep(Duration::from_secs(60));
                    return;
                }
            } else if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                stream.write_all(b"250 stall.example\r\n").unwrap();
            } else if upper.starts_with("DATA") {
                stream.write_all(b"354 go on\r\n").unwrap();
                in_data = true;
            } else {
                stream.write_all(b"250 ok\r\n").unwrap();
            }
            line.clear();
        }
    });
    (port, receiver)
}

/// SIGTERM: a request under way is answered; idle connections are closed and new ones get no
/// answer; the message being sent to a stuck SMTP server is released for another process within the
/// drain time, not left claimed for the two-minute lease; the process exits cleanly.
#[test]
fn shutdown_finishes_requests_in_flight_and_releases_claimed_mail() {
    let (smtp, got_data) = stalling_smtp();
    let smtp_url = format!("smtp://127.0.0.1:{smtp}");
    let mut served = Served::start(&[("ROCKET_SMTP_URL", &smtp_url)], |url| {
        sqlite_execute(
            url,
            "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES ('reader@example.com', 'Hello', 'text', '<p>html</p>', 0, 0)",
        );
    });
    got_data.recv_timeout(Duration::from_secs(20)).expect("the sender reached DATA");
    let url = served.url.clone();
    let claimed = || -> (i64, Option<i64>, i64) {
        sqlite_row(&url, "SELECT claimed_until, sent_at, attempts FROM outbox")
    };
    assert!(claimed().0 > 0, "the message is claimed while it is being sent");

    let mut idle = served.connect();
    assert_eq!(exchange(&mut idle, &get("/healthz", "")).0, 200);
    let mut in_flight = served.connect();
    // A write through the API, whose token is looked up in the database after shutdown began.
    let body = r#"{"title": "Late but whole"}"#;
    let head = format!(
        "POST /api/v1/admin/posts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer folio_not_a_real_token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).unwrap();
    in_flight.write_all(&body.as_bytes()[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let port = served.port;
    let finisher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        in_flight.write_all(&body.as_bytes()[5..]).unwrap();
        let answered = read_response(&mut in_flight).0;
        (answered, !answers(port))
    });
    let (status, _, took) = served.terminate();
    let (answered, refused) = finisher.join().unwrap();
    assert_eq!(answered, 401, "the request under way was answered, with the database still open");
    assert!(refused, "no new request is served once shutdown began");
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).unwrap_or(0), 0, "the idle connection was closed");
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(12), "stopped in {took:?}");
    let (claimed_until, sent_at, attempts) = claimed();
    assert_eq!(
        (claimed_until, sent_at, attempts),
        (0, None, 0),
        "released, neither sent nor counted as tried"
    );
}
