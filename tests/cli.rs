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
    assert!(stdout(&first).contains("Added 40 posts, 5 authors"), "{}", stdout(&first));
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
    db.close().await;
    let again = folio(dir.path(), &test_db.url, &["demo"]);
    assert_one_line_error(&again, "already has content");
}

both_backends!(demo_fills_an_empty_database_once);
