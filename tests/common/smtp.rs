//! A real SMTP server for tests (mailin-embedded on a free port) that keeps what it receives.
//! It can be told to refuse mail with a temporary error, to test retries.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
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
    current: Option<Received>,
}

impl Handler for Sink {
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
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicBool::new(false));
        let sink = Sink { inbox: Arc::clone(&inbox), refuse: Arc::clone(&refuse), current: None };
        let mut server = Server::new(sink);
        server.with_name("sink.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve().map_err(|e| e.to_string());
        });
        SmtpSink { port, inbox, refuse }
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
