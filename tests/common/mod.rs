//! Test harness: a `TestApp` owns a fresh database (an SQLite file in a temp dir, or a new
//! PostgreSQL database) and a [`Browser`] (a Rocket local client) over it; more browsers, each
//! with its own cookies, share that database. `both_backends!` runs a test on each.
#![allow(dead_code, clippy::unwrap_used)]

pub mod fixtures;
pub mod served;
pub mod smtp;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

use folio::db::users::{self, NewUser};
use folio::db::{Db, DbConfig};
use folio::domain::clock::Clock;
use folio::domain::content::ContentBundle;
use folio::domain::email::Email;
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::{Header, Method, Status};
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
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The application under test, over its own database.
///
/// A `TestApp` is also its first [`Browser`] (through `Deref`): `app.get(..)`, `app.submit(..)`
/// and `app.client` act in that browser. [`TestApp::browser`] opens more.
pub struct TestApp {
    browser: Browser,
    /// A pool on the same database, to arrange and inspect state directly.
    pub db: Db,
    figment: Figment,
    /// How many browsers [`TestApp::browser_as`] has signed in, to give each user its own address.
    signed_in_browsers: AtomicU32,
    _test_db: TestDb,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// One browser on the site under test: a tracked client with cookies of its own (its session,
/// its anonymous CSRF token), over the same database as every other browser of the [`TestApp`].
pub struct Browser {
    pub client: Client,
}

/// The password of every user [`TestApp::user`] creates.
pub const PASSWORD: &str = "correct horse battery staple";
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| folio::domain::password::hash(PASSWORD).unwrap());

/// A user created for a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
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

    /// Asserts that `needle` is absent from a form sent back with its errors (422), which is
    /// the page under test there.
    pub fn assert_form_lacks(&self, needle: &str) {
        assert_eq!(
            self.status,
            Status::UnprocessableEntity,
            "{needle:?}: not a form with errors:\n{}",
            self.body
        );
        assert!(!self.body.contains(needle), "did not expect {needle:?} in:\n{}", self.body);
    }

    /// Asserts that `needle` is absent from a page that loaded (2xx): a failed page lacks
    /// everything, so its absence there would prove nothing.
    pub fn assert_lacks(&self, needle: &str) {
        assert!(
            self.status.class().is_success(),
            "{needle:?} is absent from a {} page:\n{}",
            self.status,
            self.body
        );
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
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("databases.folio.url", test_db.url.clone()))
            .merge(("databases.folio.max_connections", 4))
            // Tests change content behind the application's back (SQL), which the page cache sees
            // only within a second; tests/page_cache.rs turns it on and tests it.
            .merge(("page_cache", 0))
            // Request lines would bury the test output; tests/ops.rs reads them from the binary.
            .merge(("request_log", "off"))
            // One key for every browser's instance, as every process of a site shares one: a
            // link signed by one instance (a mailed unsubscribe link) works on another.
            .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
            .merge(extra)
            // Merging a figment adopts its profile; select debug last so no secret key is needed.
            .select(rocket::Config::DEBUG_PROFILE);
        let browser = Browser::open(&figment).await;
        TestApp { browser, db, figment, signed_in_browsers: AtomicU32::new(0), _test_db: test_db }
    }

    /// Another browser on the same site and database, with its own cookies, signed in as no one.
    pub async fn browser(&self) -> Browser {
        Browser::open(&self.figment).await
    }

    /// Another browser, signed in as a new user with `role` (and the password [`PASSWORD`]).
    pub async fn browser_as(&self, role: Role) -> (TestUser, Browser) {
        let n = self.signed_in_browsers.fetch_add(1, Ordering::Relaxed) + 1;
        let user = self.user(role, &format!("{}-browser-{n}@example.org", role.as_str())).await;
        let browser = self.browser().await;
        browser.sign_in_as(&user).await;
        (user, browser)
    }

    /// The same database served again with `extra` configuration, as after a restart.
    pub async fn restart(mut self, extra: Figment) -> TestApp {
        // Stop the old instance's background tasks, as the end of its process would.
        self.client.rocket().shutdown().notify();
        self.figment = self.figment.merge(extra).select(rocket::Config::DEBUG_PROFILE);
        self.browser = Browser::open(&self.figment).await;
        self
    }

    /// Creates an account with `role` and the password [`PASSWORD`]; members are confirmed.
    pub async fn user(&self, role: Role, email: &str) -> TestUser {
        let parsed = Email::parse(email).unwrap();
        let name = email.split('@').next().unwrap();
        let new = NewUser {
            email: &parsed,
            display_name: name,
            role,
            password_hash: &PASSWORD_HASH,
            email_confirmed: true,
        };
        let id = users::create(&self.db, &new, folio::domain::now()).await.unwrap();
        TestUser { id, email: parsed.into_string(), role }
    }

    /// Creates a user with `role` and signs this app's browser in as them.
    pub async fn signed_in(&self, role: Role) -> TestUser {
        let user = self.user(role, &format!("{}@example.org", role.as_str())).await;
        self.sign_in_as(&user).await;
        user
    }

    /// Signs the user made by [`TestApp::signed_in`] in again after their session ended.
    pub async fn signed_in_again(&self) {
        let email: String = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT email FROM users ORDER BY id DESC LIMIT 1").fetch_one(pool).await
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT email FROM users ORDER BY id DESC LIMIT 1").fetch_one(pool).await
            }
        }
        .unwrap();
        assert_eq!(self.sign_in(&email, PASSWORD).await.status, Status::SeeOther);
    }

    /// Runs a query returning one text value.
    pub async fn text(&self, query: &str) -> String {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .unwrap()
    }

    /// Runs a statement against the test database (to age sessions, say).
    pub async fn sql(&self, statement: &str) {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query(statement).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(|_| ()),
        }
        .unwrap();
    }

    /// Runs a query returning one integer.
    pub async fn count(&self, query: &str) -> i64 {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .unwrap()
    }

    /// The paths of the mounted routes whose method `keep` accepts, sorted, with each dynamic
    /// segment (`<id>`) filled in as `1`.
    pub fn route_paths(&self, keep: impl Fn(rocket::http::Method) -> bool) -> Vec<String> {
        let mut paths: Vec<String> = self
            .client
            .rocket()
            .routes()
            .filter(|r| keep(r.method))
            .map(|r| fill_segments(r.uri.path()))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// Waits up to 10 s for `query` to count `expected` (work a request left to a background
    /// task), then asserts it does.
    pub async fn eventually(&self, query: &str, expected: i64) {
        for _ in 0..200 {
            if self.count(query).await == expected {
                return;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(self.count(query).await, expected, "{query}");
    }
}

impl Browser {
    /// Moves the time this browser's site reads `seconds` ahead (its managed [`Clock`]), as if
    /// that much time had passed. Only this instance: each [`TestApp::browser`] and a
    /// [`TestApp::restart`] start on the wall clock again.
    pub fn advance_clock(&self, seconds: i64) {
        self.client.rocket().state::<Clock>().expect("folio::rocket manages a Clock").advance(seconds);
    }

    /// The `stamp` of the form at `form_page`, after letting 5 seconds pass on this browser's site
    /// clock, as a person filling the form would (`folio::domain::form_stamp`).
    pub async fn stamp(&self, form_page: &str) -> String {
        let page = self.get(form_page).await;
        let stamp = value_of(&page.body, "stamp")
            .unwrap_or_else(|| panic!("no stamp in {form_page}:\n{}", page.body));
        self.advance_clock(5);
        stamp
    }

    /// Fills the stamped form at `form_page` as a person would ([`Browser::stamp`]) and posts
    /// `fields` with its CSRF token and stamp to `action`.
    /// A page without the form (comments closed, say) gives no stamp: the fields go without one.
    pub async fn submit_stamped(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let stamp = value_of(&self.get(form_page).await.body, "stamp").unwrap_or_default();
        self.advance_clock(5);
        let mut all = vec![("stamp", stamp.as_str())];
        all.extend_from_slice(fields);
        self.submit(action, &all).await
    }

    /// A client of its own over the app `figment` configures.
    async fn open(figment: &Figment) -> Browser {
        Browser { client: Client::tracked(folio::rocket(figment.clone())).await.unwrap() }
    }

    /// A GET, read whole.
    pub async fn get(&self, path: &str) -> Page {
        read(self.client.get(path.to_owned()).dispatch().await).await
    }

    /// A request with `headers` and, when given, a JSON `body`, read whole.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        json: Option<&str>,
    ) -> Page {
        let mut req = self.client.req(method, path.to_owned());
        for (name, value) in headers {
            req = req.header(Header::new(name.to_string(), value.to_string()));
        }
        if let Some(body) = json {
            req = req.header(rocket::http::ContentType::JSON).body(body);
        }
        read(req.dispatch().await).await
    }

    /// A GET as htmx sends it.
    pub async fn get_hx(&self, path: &str) -> Page {
        read(self.client.get(path.to_owned()).header(Header::new("HX-Request", "true")).dispatch().await)
            .await
    }

    /// A GET returning raw bytes and headers (for media).
    pub async fn get_bytes(&self, path: &str) -> (Status, Vec<(String, String)>, Vec<u8>) {
        let res = self.client.get(path.to_owned()).dispatch().await;
        let status = res.status();
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        (status, headers, res.into_bytes().await.unwrap_or_default())
    }

    /// The CSRF token this browser's forms carry now.
    pub async fn csrf(&self) -> String {
        csrf_of(&self.get("/password-reset").await.body)
    }

    /// Posts a form as a browser would: the CSRF token first, then `fields`.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf().await;
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all, &[]).await
    }

    /// Posts exactly `fields`, urlencoded, with extra `headers`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut req = self.client.post(path.to_owned()).header(rocket::http::ContentType::Form).body(body);
        for (name, value) in headers {
            req = req.header(Header::new(name.to_string(), value.to_string()));
        }
        read(req.dispatch().await).await
    }

    /// Posts a raw body with the form content type.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Page {
        let req = self.client.post(path.to_owned()).header(rocket::http::ContentType::Form).body(body);
        read(req.dispatch().await).await
    }

    /// Posts a multipart form as a browser would: the CSRF token first, then `fields`, then one
    /// file field `file` named `filename` holding `bytes`.
    pub async fn upload(&self, path: &str, fields: &[(&str, &str)], filename: &str, bytes: &[u8]) -> Page {
        const BOUNDARY: &str = "----folio-test-boundary-7MA4YWxkTrZu0gW";
        let token = self.csrf().await;
        let mut body: Vec<u8> = Vec::new();
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let content_type =
            rocket::http::ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY));
        let req = self.client.post(path.to_owned()).header(content_type).body(body);
        read(req.dispatch().await).await
    }

    /// Submits the sign-in form.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit("/sign-in", &[("email", email), ("password", password), ("next", "")]).await
    }

    /// Signs `user` in with the password [`PASSWORD`], asserting that it worked.
    pub async fn sign_in_as(&self, user: &TestUser) {
        let page = self.sign_in(&user.email, PASSWORD).await;
        assert_eq!(page.status, Status::SeeOther, "sign-in failed: {}", page.body);
    }
}

/// `path` with each dynamic segment (`<id>`) filled in as `1`.
pub fn fill_segments(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('<') { "1" } else { seg }).collect::<Vec<_>>().join("/")
}

/// The editor's fields for a post with `title` and `body`, as the form sends them.
pub fn editor_fields<'a>(title: &'a str, body: &'a str, intent: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", ""),
        ("body", body),
        ("excerpt", ""),
        ("tags", ""),
        ("series_id", ""),
        ("series_position", ""),
        ("cover_image", ""),
        ("cover_alt", ""),
        ("seo_title", ""),
        ("seo_description", ""),
        ("publish_at", ""),
        ("intent", intent),
    ]
}

/// `base` with each of `extra`'s fields set (replaced, or added when absent).
pub fn with<'a>(mut base: Vec<(&'a str, &'a str)>, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    for (name, value) in extra {
        match base.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => base.push((name, value)),
        }
    }
    base
}

/// The value of the first field named `name` in `html`.
pub fn value_of(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let rest = &html[html.find(&marker)? + marker.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The value of the first `_csrf` field in `html`.
pub fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="_csrf" value=""#).unwrap_or_else(|| panic!("no CSRF field in:\n{html}"));
    let rest = &html[start + r#"name="_csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn read(res: rocket::local::asynchronous::LocalResponse<'_>) -> Page {
    let status = res.status();
    let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    let body = res.into_string().await.unwrap_or_default();
    Page { status, body, headers }
}
