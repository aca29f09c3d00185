//! The `folio` binary: help, argument and configuration errors, migrate and demo. Each run starts
//! in an empty directory, so it also proves Folio needs no files beside the binary.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::process::{Command, Output};

use common::{Backend, TestDb};

fn folio(dir: &std::path::Path, database_url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    cmd.current_dir(dir).args(args).env("DATABASE_URL", database_url).env("ROCKET_LOG_LEVEL", "off");
    for (key, _) in std::env::vars() {
        if key.starts_with("ROCKET_") && key != "ROCKET_LOG_LEVEL" {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("run folio")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts a failure reported as one clear line, not a panic or a trace.
fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success());
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("folio: "), "{err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = folio(dir.path(), "sqlite://unused.db", &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for cmd in ["serve", "migrate", "demo"] {
        assert!(help.contains(cmd), "{help}");
    }
    let demo_help = stdout(&folio(dir.path(), "sqlite://unused.db", &["demo", "--help"]));
    assert!(demo_help.contains("--posts"), "{demo_help}");
}

#[test]
fn bad_arguments_exit_with_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in
        [&["demo", "--posts", "0"][..], &["demo", "--posts", "many"], &["frobnicate"], &["serve", "--bogus"]]
    {
        let out = folio(dir.path(), "sqlite://unused.db", args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("error:"), "{args:?}: {}", stderr(&out));
    }
    assert!(!dir.path().join("unused.db").exists(), "nothing touched on bad arguments");
}

#[test]
fn bad_configuration_stops_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_line_error(
        &folio(dir.path(), "mysql://localhost/x", &["migrate"]),
        "unsupported database URL",
    );
    assert_one_line_error(
        &folio(dir.path(), "sqlite:///no/such/dir/folio.db", &["migrate"]),
        "cannot open the database",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .current_dir(dir.path())
        .args(["migrate"])
        .env("DATABASE_URL", "sqlite://x.db")
        .env("ROCKET_POSTS_PER_PAGE", "0")
        .output()
        .unwrap();
    assert_one_line_error(&out, "posts_per_page");
    // A password over plain SMTP to another machine would cross the network readable.
    for (url, refused) in [
        ("smtp://folio:pw@mail.example.org:25", true),
        ("smtp://folio:pw@mail.example.org:587?tls=required", false),
        ("smtps://folio:pw@mail.example.org", false),
        ("smtp://folio:pw@127.0.0.1:25", false),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_folio"))
            .current_dir(dir.path())
            .args(["migrate"])
            .env("DATABASE_URL", "sqlite://x.db")
            .env("ROCKET_SMTP_URL", url)
            .output()
            .unwrap();
        if refused {
            assert_one_line_error(&out, "without TLS");
        } else {
            assert!(out.status.success(), "{url}: {}", stderr(&out));
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .current_dir(dir.path())
        .args(["migrate"])
        .env("DATABASE_URL", "sqlite://x.db")
        .env("ROCKET_PROFILE", "release")
        .env_remove("ROCKET_SECRET_KEY")
        .output()
        .unwrap();
    assert_one_line_error(&out, "secret_key");
}

#[rocket::async_test]
async fn migrate_creates_an_sqlite_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let out = folio(dir.path(), "sqlite://site.db", &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("up to date (sqlite)"));
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let db =
        folio::db::Db::connect(&folio::db::DbConfig { url, max_connections: Some(1), connect_timeout: 5 })
            .await
            .unwrap();
    let folio::db::Db::Sqlite(pool) = &db else { panic!("sqlite") };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    assert_eq!(mode, "wal");
    let tables: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('posts', 'tags', 'users')")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(tables, 3);
}

async fn demo_fills_an_empty_database_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::new(backend).await;
    let first = folio(dir.path(), &test_db.url, &["demo", "--posts", "40"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Added 40 posts, 9 comments, 5 authors"), "{}", stdout(&first));
    let db = test_db.connect().await;
    let posts: i64 = match &db {
        folio::db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(p).await.unwrap()
        }
        folio::db::Db::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(p).await.unwrap()
        }
    };
    assert_eq!(posts, 40);
    // The demo's bodies are rendered by today's renderer, so serving them must not re-render
    // every one in the background (100,000 of them took the server's CPU for minutes).
    let version: Option<String> = match &db {
        folio::db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT value FROM site_settings WHERE key = 'markdown_version'")
                .fetch_optional(p)
                .await
                .unwrap()
        }
        folio::db::Db::Postgres(p) => {
            sqlx::query_scalar("SELECT value FROM site_settings WHERE key = 'markdown_version'")
                .fetch_optional(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        version,
        Some(folio::domain::markdown::VERSION.to_string()),
        "the bodies are recorded as current"
    );
    db.close().await;
    let again = folio(dir.path(), &test_db.url, &["demo"]);
    assert_one_line_error(&again, "already has content");
}

both_backends!(demo_fills_an_empty_database_once);

fn folio_with_stdin(dir: &std::path::Path, database_url: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .current_dir(dir)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ROCKET_LOG_LEVEL", "off")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn create_admin_makes_the_owner_then_admins_with_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let args = ["create-admin", "--email", "Root@Example.org", "--password-stdin"];
    let first = folio_with_stdin(dir.path(), &url, &args, "correct horse battery staple\n");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Created the owner: root <root@example.org>"), "{}", stdout(&first));
    let again = folio_with_stdin(dir.path(), &url, &args, "correct horse battery staple\n");
    assert_one_line_error(&again, "an account already uses root@example.org");
    let admin_args = ["create-admin", "--email", "two@example.org", "--name", "Second", "--password-stdin"];
    let second = folio_with_stdin(dir.path(), &url, &admin_args, "another fine pass phrase\n");
    assert!(stdout(&second).contains("Created an administrator: Second"), "{}", stdout(&second));
    let weak = folio_with_stdin(
        dir.path(),
        &url,
        &["create-admin", "--email", "w@example.org", "--password-stdin"],
        "password\n",
    );
    assert_one_line_error(&weak, "Use at least 12 characters");
    // Passwords never come from the command line.
    let argv = folio(
        dir.path(),
        &url,
        &["create-admin", "--email", "x@example.org", "--password", "correct horse battery"],
    );
    assert_eq!(argv.status.code(), Some(2));
}

#[test]
fn check_lists_deployment_problems_and_fails_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let out = folio(dir.path(), &url, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    for needle in [
        "[FAIL] secret_key is not set",
        "[FAIL] base_url is http",
        "[FAIL] cookies are not Secure",
        "[FAIL] smtp_url is not set",
    ] {
        assert!(report.contains(needle), "{needle} in {report}");
    }
    let sink = common::smtp::SmtpSink::start();
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_folio"))
            .current_dir(dir.path())
            .arg("check")
            .env("DATABASE_URL", &url)
            .env("ROCKET_LOG_LEVEL", "off")
            .env("ROCKET_SECRET_KEY", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=")
            .env("ROCKET_BASE_URL", "https://example.org")
            .env("ROCKET_CLIENT_IP_HEADER", "X-Forwarded-For")
            .env("ROCKET_SMTP_URL", sink.url())
            .env("ROCKET_REQUIRE_STAFF_TWO_FACTOR", "true")
            .output()
            .unwrap()
    };
    // No owner yet: whoever opens /setup first becomes the owner.
    assert!(folio(dir.path(), &url, &["migrate"]).status.success());
    let open = check();
    assert_eq!(open.status.code(), Some(1));
    assert!(stdout(&open).contains("[FAIL] no owner yet"), "{}", stdout(&open));
    let made = folio_with_stdin(
        dir.path(),
        &url,
        &["create-admin", "--email", "o@example.org", "--password-stdin"],
        "correct horse battery staple\n",
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let good = check();
    let report = stdout(&good);
    assert!(good.status.success(), "{report}{}", stderr(&good));
    assert!(!report.contains("FAIL") && report.contains("[ok  ] the SMTP server answers"), "{report}");
    assert!(report.contains("[ok  ] the site has an owner"), "{report}");
    // SMTP settings saved in the admin override the file, so they are the ones checked.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    save_smtp_settings(&url, closed);
    let saved = check();
    assert_eq!(saved.status.code(), Some(1), "{}", stdout(&saved));
    assert!(stdout(&saved).contains(&format!("127.0.0.1:{closed}")), "{}", stdout(&saved));
}

/// Saves SMTP settings pointing at `port` on loopback, as the admin's settings screen does.
fn save_smtp_settings(url: &str, port: u16) {
    let sql = format!(
        "INSERT INTO site_settings (key, value) VALUES ('smtp_host', '127.0.0.1'), ('smtp_port', '{port}'), \
         ('smtp_security', 'none')"
    );
    let rt = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    });
}

/// `folio check` looks at `media_dir`: files in it must not be open to every user of the machine,
/// nor the folder writable by them, and Folio must be able to write there.
#[test]
fn check_looks_at_the_media_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_folio"))
            .current_dir(dir.path())
            .arg("check")
            .env("DATABASE_URL", &url)
            .env("ROCKET_LOG_LEVEL", "off")
            .env("ROCKET_MEDIA_DIR", &media)
            .output()
            .unwrap();
        stdout(&out)
    };
    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o750)).unwrap();
    let report = run();
    assert!(report.contains("[ok  ] media_dir"), "{report}");

    std::fs::write(media.join("old.jpg"), b"x").unwrap();
    std::fs::set_permissions(media.join("old.jpg"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = run();
    assert!(report.contains("[WARN] media_dir") && report.contains("1 file"), "{report}");

    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o777)).unwrap();
    let report = run();
    assert!(report.contains("[FAIL] media_dir") && report.contains("every user"), "{report}");

    // A folder Folio cannot write to (root may write anywhere, so only checked as another user).
    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o550)).unwrap();
    if std::fs::write(media.join("probe"), b"x").is_err() {
        let report = run();
        assert!(report.contains("[FAIL] media_dir") && report.contains("cannot write"), "{report}");
    }
    std::fs::set_permissions(&media, std::fs::Permissions::from_mode(0o750)).unwrap();
}

/// `serve` raises the open-files soft limit to the hard one (each connection takes a file) and
/// says so, started here under a soft limit of 256.
#[test]
fn serve_raises_the_open_files_limit() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("sqlite://{}", dir.path().join("folio.db").display());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -Sn 256 && exec '{}' serve", env!("CARGO_BIN_EXE_folio")))
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_LOG_LEVEL", "off")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let limits = format!("/proc/{}/limits", child.id());
    let hard_and_soft = || -> Option<(String, String)> {
        let text = std::fs::read_to_string(&limits).ok()?;
        let line = text.lines().find(|l| l.starts_with("Max open files"))?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        Some((fields[3].to_owned(), fields[4].to_owned()))
    };
    let mut raised = None;
    for _ in 0..100 {
        if let Some((soft, hard)) = hard_and_soft()
            && soft != "256"
        {
            raised = Some((soft, hard));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Serving means the start-up line was printed before.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let (soft, hard) = raised.expect("the soft limit stayed at 256");
    assert_eq!(soft, hard);
    assert!(stdout(&out).contains(&format!("Open files: up to {soft}")), "{}", stdout(&out));
}

/// Without SMTP, `folio outbox` shows the operator what is waiting, links included.
#[test]
fn outbox_lists_the_mail_waiting_to_be_sent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let empty = folio(dir.path(), &url, &["outbox"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert!(stdout(&empty).contains("No mail is waiting"), "{}", stdout(&empty));
    common::served::sqlite_execute(
        &url,
        "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES ('ada@example.org', 'Reset your password', 'Open http://x/password-reset/abc', '', 1, 1)",
    );
    let listed = folio(dir.path(), &url, &["outbox"]);
    let text = stdout(&listed);
    assert!(listed.status.success(), "{}", stderr(&listed));
    for needle in
        ["1 message(s) waiting", "To: ada@example.org", "Subject: Reset your password", "/password-reset/abc"]
    {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}
