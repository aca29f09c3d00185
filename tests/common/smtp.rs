//! A real SMTP server for tests (mailin-embedded on a free port) that keeps what it receives.
//! It can be told to refuse mail with a temporary error, to test retries; to refuse some
//! recipients for good (550), to test bounces; and to take its time over each message.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{Handler, Response, Server, response};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The raw message with quoted-printable soft line breaks undone, so links can be found.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The value of the header `name` (unfolded, RFC 5322 section 2.2.3), if the message has it.
    pub fn header(&self, name: &str) -> Option<String> {
        let unfolded = self.data.replace("\r\n ", " ").replace("\r\n\t", " ");
        let head = unfolded.split("\r\n\r\n").next().unwrap_or("");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        head.split("\r\n")
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The first URL in the message that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .map_or(text.len(), |e| start + e);
        Some(text[start..end].to_owned())
    }
}

#[derive(Clone)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicBool>,
    bounce: Arc<Mutex<Vec<String>>>,
    delay_ms: Arc<AtomicU64>,
    current: Option<Received>,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        let to = to.trim_matches(['<', '>']);
        if self.bounce.lock().unwrap().iter().any(|b| b == to) { response::NO_MAILBOX } else { response::OK }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        if self.refuse.load(Ordering::SeqCst) {
            return response::INTERNAL_ERROR;
        }
        self.current = Some(Received { to: to.to_vec(), data: String::new() });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        if let Some(done) = self.current.take() {
            self.inbox.lock().unwrap().push(done);
        }
        response::OK
    }
}

/// A running SMTP server; it lives until the test process ends.
pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicBool>,
    bounce: Arc<Mutex<Vec<String>>>,
    delay_ms: Arc<AtomicU64>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicBool::new(false));
        let bounce = Arc::new(Mutex::new(Vec::new()));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let sink = Sink {
            inbox: Arc::clone(&inbox),
            refuse: Arc::clone(&refuse),
            bounce: Arc::clone(&bounce),
            delay_ms: Arc::clone(&delay_ms),
            current: None,
        };
        let mut server = Server::new(sink);
        server.with_name("sink.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve().map_err(|e| e.to_string());
        });
        SmtpSink { port, inbox, refuse, bounce, delay_ms }
    }

    /// Refuses mail to `address` for good (550 at RCPT TO), as a server whose mailbox is gone.
    pub fn bounce(&self, address: &str) {
        self.bounce.lock().unwrap().push(address.to_owned());
    }

    /// Waits `ms` milliseconds before accepting each message's data.
    pub fn delay(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers every message with a temporary failure (451) until told otherwise.
    pub fn refuse(&self, refuse: bool) {
        self.refuse.store(refuse, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until a message to `to` has arrived, and returns the latest such.
    pub async fn wait_for(&self, to: &str) -> Received {
        self.wait_for_text(to, "").await
    }

    /// Waits (up to 10 s) for a message to `to` whose raw text contains `text`.
    pub async fn wait_for_text(&self, to: &str, text: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self
                .received()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == to) && m.text().contains(text));
            if let Some(found) = found {
                return found;
            }
            assert!(Instant::now() < deadline, "no mail to {to} arrived; got {:?}", self.received());
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
