//! `folio serve` as a process on a free port, and HTTP/1.1 spoken to it by hand: for what only
//! shows on the wire (headers hyper writes, connections, signals), which Rocket's local client
//! never reaches.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `folio serve` on a new SQLite file in its own directory, on a free port.
pub struct Served {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
    pub url: String,
}

impl Served {
    /// Migrates a new database, runs `before` with its URL, then serves it with `env` (`ROCKET_*`
    /// settings) and waits until the port answers.
    pub fn start(env: &[(&str, &str)], before: impl FnOnce(&str)) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("folio.db").display());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let command = |args: &[&str]| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
            cmd.args(args).current_dir(dir.path());
            // Only the settings given here: none from the environment the tests run in.
            for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROCKET_")) {
                cmd.env_remove(key);
            }
            cmd.env("DATABASE_URL", &url).env("ROCKET_PORT", port.to_string()).env("ROCKET_LOG_LEVEL", "off");
            for (key, value) in env {
                cmd.env(key, value);
            }
            cmd
        };
        assert!(command(&["migrate"]).output().unwrap().status.success());
        before(&url);
        let child = command(&["serve"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let served = Served { child, port, _dir: dir, url };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "folio serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream
    }

    /// SIGTERM, as systemd stops a service; then its exit and everything it printed.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, String, Duration) {
        let sent = Instant::now();
        assert!(
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success()
        );
        let status = self.child.wait().unwrap();
        let took = sent.elapsed();
        let mut out = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        (status, out, took)
    }
}

/// One HTTP/1.1 exchange on `stream`, kept alive: the status code and the headers, lowercased.
pub fn exchange(stream: &mut TcpStream, request: &str) -> (u16, String) {
    stream.write_all(request.as_bytes()).unwrap();
    read_response(stream)
}

pub fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let code = head.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (code, head)
}

pub fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n")
}

/// Whether a new connection to `port` gets an HTTP answer to a GET within 5 s.
pub fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    if stream.write_all(get("/healthz", "").as_bytes()).is_err() {
        return false;
    }
    let mut first = [0_u8; 5];
    stream.read_exact(&mut first).is_ok() && &first == b"HTTP/"
}

/// Runs `sql` on the SQLite database at `url`, as another process would (a connection of its own,
/// outside any application).
pub fn sqlite_execute(url: &str, sql: &str) {
    sqlite(url, |mut conn| async move {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    });
}

/// One row of `sql` on the SQLite database at `url`.
pub fn sqlite_row<T>(url: &str, sql: &str) -> T
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin + 'static,
{
    sqlite(url, |mut conn| async move { sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap() })
}

fn sqlite<T, F: std::future::Future<Output = T>>(
    url: &str,
    work: impl FnOnce(sqlx::SqliteConnection) -> F,
) -> T {
    use sqlx::Connection;
    let rt = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { work(sqlx::SqliteConnection::connect(url).await.unwrap()).await })
}
