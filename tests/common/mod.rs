//! Test harness: a `TestApp` owns a fresh database (an SQLite file in a temp dir, or a new
//! PostgreSQL database) and a Rocket local client over it. `both_backends!` runs a test on each.
#![allow(dead_code, clippy::unwrap_used)]

pub mod fixtures;

use folio::db::{Db, DbConfig};
use folio::domain::content::ContentBundle;
use rocket::figment::Figment;
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use sqlx::Connection;

/// Where PostgreSQL tests create their databases, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const PG_ENV: &str = "FOLIO_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `NAME::sqlite` and `NAME::postgres` tests from `async fn NAME(backend: Backend)`.
/// PostgreSQL variants are ignored unless run with `--include-ignored` (scripts/test does so
/// when FOLIO_TEST_POSTGRES_URL is set), and then fail if PostgreSQL cannot be reached.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod both {
            $(
                mod $name {
                    #[rocket::async_test]
                    async fn sqlite() {
                        super::super::$name($crate::common::Backend::Sqlite).await
                    }

                    #[rocket::async_test]
                    #[ignore = "needs PostgreSQL: set FOLIO_TEST_POSTGRES_URL and pass --include-ignored"]
                    async fn postgres() {
                        super::super::$name($crate::common::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

/// A database of its own for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("folio.db").display());
                TestDb { url, _dir: Some(dir), pg_drop: None }
            }
            Backend::Postgres => {
                let admin = std::env::var(PG_ENV)
                    .unwrap_or_else(|_| panic!("{PG_ENV} must be set to run PostgreSQL tests"));
                let name = format!("folio_test_{}", uuid_like());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                TestDb { url: url.to_string(), _dir: None, pg_drop: Some((admin, name)) }
            }
        }
    }

    /// A migrated pool on this database.
    pub async fn connect(&self) -> Db {
        let db =
            Db::connect(&DbConfig { url: self.url.clone(), max_connections: Some(4), connect_timeout: 5 })
                .await
                .unwrap();
        db.migrate().await.unwrap();
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg_drop.take() else { return };
        // Drop runs inside the test's runtime; a thread with its own runtime may block on it.
        let _ = std::thread::spawn(move || {
            let rt = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Unique across concurrent tests and test processes.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The application under test, over its own database.
pub struct TestApp {
    pub client: Client,
    _test_db: TestDb,
}

/// A response, read whole.
pub struct Page {
    pub status: Status,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts that `needle` appears in the body, showing the body when it does not.
    pub fn assert_contains(&self, needle: &str) {
        assert!(self.body.contains(needle), "expected {needle:?} in:\n{}", self.body);
    }

    pub fn assert_lacks(&self, needle: &str) {
        assert!(!self.body.contains(needle), "did not expect {needle:?} in:\n{}", self.body);
    }

    /// How often `needle` occurs in the body.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

impl TestApp {
    /// An app over a fresh database holding `bundle`.
    pub async fn new(backend: Backend, bundle: ContentBundle) -> TestApp {
        TestApp::with_config(backend, bundle, Figment::new()).await
    }

    /// Like [`TestApp::new`], with configuration merged over the test defaults.
    pub async fn with_config(backend: Backend, bundle: ContentBundle, extra: Figment) -> TestApp {
        let test_db = TestDb::new(backend).await;
        let db = test_db.connect().await;
        folio::db::content::import(&db, &bundle, folio::domain::now()).await.unwrap();
        db.close().await;
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("databases.folio.url", test_db.url.clone()))
            .merge(("databases.folio.max_connections", 4))
            .merge(extra)
            // Merging a figment adopts its profile; select debug last so no secret key is needed.
            .select(rocket::Config::DEBUG_PROFILE);
        let client = Client::tracked(folio::rocket(figment)).await.unwrap();
        TestApp { client, _test_db: test_db }
    }

    pub async fn get(&self, path: &str) -> Page {
        read(self.client.get(path.to_owned()).dispatch().await).await
    }

    /// A GET as htmx sends it.
    pub async fn get_hx(&self, path: &str) -> Page {
        read(self.client.get(path.to_owned()).header(Header::new("HX-Request", "true")).dispatch().await)
            .await
    }
}

async fn read(res: rocket::local::asynchronous::LocalResponse<'_>) -> Page {
    let status = res.status();
    let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    let body = res.into_string().await.unwrap_or_default();
    Page { status, body, headers }
}
