//! One log line per request, with a request id that is also sent back as `X-Request-Id`, and
//! the request counters and latency histogram of [`Metrics`].
//!
//! - **The id** is this process's random 64-bit prefix and a counter (24 hex digits or more):
//!   unique across processes without a system call per request. Behind a trusted proxy
//!   (`client_ip_header` set) an `X-Request-Id` the proxy sends is kept instead, so nginx's
//!   `$request_id` names the request in both logs (`deploy/nginx/folio.conf`).
//! - **The line** gives the time (RFC 3339, UTC), the id, method, path, status and duration, as
//!   text or as one JSON object (`request_log` in `Rocket.toml`). The query is left out and a
//!   path segment that is a secret link's token is written as `<token>`, so neither search terms
//!   nor password-reset links end up in logs. A request target cannot hold a space or a line
//!   break (RFC 9112, section 3.2), so a path cannot forge a line.
//! - **Lines are written by a thread of their own**, through a bounded queue, every 50 ms: a
//!   slow log reader never holds up a request. When the queue is full a line is dropped and
//!   counted, and the count is written with the next line that fits.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::Instant;

use crate::config::LogFormat;
use crate::metrics::Metrics;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

/// Lines waiting to be written before new ones are dropped: a third of a second at 50,000
/// requests a second, several [`FLUSH`]es.
const QUEUE: usize = 16 * 1024;
/// How often queued lines are written.
const FLUSH: std::time::Duration = std::time::Duration::from_millis(50);
/// The longest `X-Request-Id` taken from a proxy (nginx's `$request_id` has 32 characters).
const MAX_ID: usize = 64;

/// The `route` label of answers from the page cache, which stored them by path, not by route.
pub const CACHE_ROUTE: &str = "(page cache)";

/// The request's id, in its local cache from the moment it arrives.
pub struct RequestId(pub String);

/// When the request arrived.
struct Arrival(Instant);

/// Makes request ids and writes request lines; one per process, in Rocket's managed state.
pub struct RequestLog {
    format: LogFormat,
    trust_proxy_ids: bool,
    prefix: u64,
    counter: AtomicU64,
    lines: Option<SyncSender<String>>,
    writer: Option<std::thread::JoinHandle<()>>,
    dropped: AtomicU64,
}

impl RequestLog {
    /// `trust_proxy_ids`: keep an `X-Request-Id` the client sends (only behind a proxy that sets
    /// it). Starts the writer thread unless `format` is [`LogFormat::Off`].
    pub fn new(format: LogFormat, trust_proxy_ids: bool) -> RequestLog {
        let mut seed = [0_u8; 8];
        // Without the OS's randomness ids are still unique within the process.
        let _ = getrandom::fill(&mut seed);
        let (mut lines, mut writer) = (None, None);
        if format != LogFormat::Off {
            let (sender, receiver) = mpsc::sync_channel(QUEUE);
            let spawned = std::thread::Builder::new()
                .name("folio-request-log".into())
                .spawn(move || write_lines(&receiver));
            if let Ok(handle) = spawned {
                (lines, writer) = (Some(sender), Some(handle));
            }
        }
        RequestLog {
            format,
            trust_proxy_ids,
            prefix: u64::from_le_bytes(seed),
            counter: AtomicU64::new(0),
            lines,
            writer,
            dropped: AtomicU64::new(0),
        }
    }

    fn next_id(&self) -> String {
        format!("{:016x}{:08x}", self.prefix, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    fn write(&self, line: String) {
        let Some(lines) = &self.lines else { return };
        match lines.try_send(line) {
            Ok(()) => {
                let dropped = self.dropped.swap(0, Ordering::Relaxed);
                if dropped > 0 {
                    let _ = lines.try_send(format!(
                        "folio: {dropped} request log line(s) dropped: the log is not read fast enough"
                    ));
                }
            }
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Writes what queued every [`FLUSH`], in one write, until every sender is gone. The writer
/// sleeps instead of waiting on the queue, so a request never wakes it: woken per line, it cost
/// a fifth of the page cache's throughput (`bench/pages.sh`, 39,148 against 50,961 req/s).
/// Standard output is locked only while writing: the rest of the process prints there too.
fn write_lines(receiver: &Receiver<String>) {
    let mut batch = Vec::with_capacity(64 * 1024);
    loop {
        std::thread::park_timeout(FLUSH);
        batch.clear();
        let open = loop {
            match receiver.try_recv() {
                Ok(line) => {
                    batch.extend_from_slice(line.as_bytes());
                    batch.push(b'\n');
                }
                Err(TryRecvError::Empty) => break true,
                Err(TryRecvError::Disconnected) => break false,
            }
        };
        if !batch.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&batch).and_then(|()| out.flush());
        }
        if !open {
            return;
        }
    }
}

impl Drop for RequestLog {
    /// Writes the lines still queued before the process ends.
    fn drop(&mut self) {
        self.lines = None;
        if let Some(writer) = self.writer.take() {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

/// Whether `id` is a request id we may repeat in a header and a log line.
fn acceptable_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The fairing: attached last, so that the id it adds is never stored by the page cache.
pub struct RequestLogFairing;

#[rocket::async_trait]
impl Fairing for RequestLogFairing {
    fn info(&self) -> Info {
        Info { name: "Request log and metrics", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrival(Instant::now()));
        let Some(log) = req.rocket().state::<RequestLog>() else { return };
        let forwarded = req
            .headers()
            .get_one("X-Request-Id")
            .filter(|id| log.trust_proxy_ids && acceptable_id(id))
            .map(str::to_owned);
        let id = forwarded.unwrap_or_else(|| log.next_id());
        req.local_cache(|| RequestId(id));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let elapsed = req.local_cache(|| Arrival(Instant::now())).0.elapsed();
        let route = if crate::web::http::page_cache::served_from_cache(req) {
            CACHE_ROUTE
        } else {
            req.route().map_or("none", |route| route.uri.origin.path().as_str())
        };
        let status = res.status().code;
        if let Some(metrics) = req.rocket().state::<Metrics>() {
            record(metrics, req, res, route, elapsed.as_secs_f64());
        }
        let Some(log) = req.rocket().state::<RequestLog>() else { return };
        let id = &req.local_cache(|| RequestId(String::new())).0;
        if !id.is_empty() {
            res.set_header(Header::new("X-Request-Id", id.clone()));
        }
        if log.format == LogFormat::Off {
            return;
        }
        let path = logged_path(req.uri().path().as_str(), route);
        let time = crate::domain::dates::log_time_now();
        let millis = elapsed.as_secs_f64() * 1000.0;
        let method = req.method().as_str();
        let line = match log.format {
            LogFormat::Json => serde_json::json!({
                "time": time, "request_id": id, "method": method, "path": path,
                "status": status, "duration_ms": (millis * 1000.0).round() / 1000.0,
            })
            .to_string(),
            _ => format!("{time} {id} {method} {path} {status} {millis:.3}ms"),
        };
        log.write(line);
    }
}

fn record(metrics: &Metrics, req: &Request<'_>, res: &Response<'_>, route: &str, seconds: f64) {
    let method = req.method().as_str();
    let status = res.status().code.to_string();
    metrics.requests.with_label_values(&[method, route, status.as_str()]).inc();
    metrics.duration.with_label_values(&[method, route]).observe(seconds);
    match res.headers().get_one("Cache-Status") {
        Some(value) if value.ends_with("; hit") => metrics.page_cache_hits.inc(),
        Some(value) if value.contains("fwd=miss") => metrics.page_cache_misses.inc(),
        _ => {}
    }
}

/// The path as logged: each segment the route names `<token>` (a secret link's) is written as
/// `<token>`, the rest as requested.
fn logged_path(path: &str, route: &str) -> String {
    if !route.contains("<token>") {
        return path.to_owned();
    }
    let template: Vec<&str> = route.split('/').collect();
    path.split('/')
        .enumerate()
        .map(|(i, segment)| if template.get(i) == Some(&"<token>") { "<token>" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_links_are_not_logged() {
        assert_eq!(
            logged_path("/password-reset/abc123", "/password-reset/<token>"),
            "/password-reset/<token>"
        );
        assert_eq!(logged_path("/account/email/xyz", "/account/email/<token>"), "/account/email/<token>");
        assert_eq!(logged_path("/posts/hello", "/posts/<slug>"), "/posts/hello");
    }

    #[test]
    fn only_plain_ids_are_taken_from_a_proxy() {
        assert!(acceptable_id("0f3a9c1e5b7d4e2f8a6c0b1d3e5f7a9c"));
        for bad in ["", "a b", "x\r\nSet-Cookie: a=b", &"a".repeat(MAX_ID + 1), "é"] {
            assert!(!acceptable_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn ids_differ_and_share_the_process_prefix() {
        let log = RequestLog::new(LogFormat::Off, false);
        let (a, b) = (log.next_id(), log.next_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert_eq!(a[..16], b[..16]);
    }
}
