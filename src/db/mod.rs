//! Every SQL statement Folio runs lives under this module, one submodule per aggregate.
//!
//! [`Db`] is an enum over sqlx's native SQLite and PostgreSQL pools. Queries are written once, in
//! SQL both dialects accept (`$N` placeholders, `RETURNING`, epoch-second integers), and the
//! [`on_pool!`] / [`in_tx!`] macros compile each body once per backend, so rows decode through the
//! native drivers (real NULLs, booleans) with no `Any` layer in between.

pub mod admin_content;
pub mod admin_posts;
pub mod api;
pub mod api_tokens;
pub mod audit;
pub mod comments;
pub mod content;
pub mod corrections;
pub mod editing;
pub mod feeds;
pub mod generation;
pub mod links;
pub mod mailings;
pub mod media;
pub mod moderation;
pub mod old_slugs;
pub mod outbox;
pub mod pages;
#[cfg(test)]
pub(crate) mod plans;
pub mod posts;
pub mod rendering;
pub mod revisions;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sitemap;
pub mod subscriber_lists;
pub mod subscribers;
pub mod taxonomy;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod webhook_events;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to the backend's native pool; the body is compiled for each.
///
/// The body is not a closure but code pasted into each arm of a `match`: `return` and `?` inside
/// it leave the *enclosing function*, and the macro's value is the body's value. So
/// `on_pool!(db, |pool| query.fetch_one(pool).await?)` yields the row and sends an error to the
/// caller, while `on_pool!(db, |pool| query.fetch_one(pool).await)` yields the `Result` itself.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` with `$conn` bound to the backend's native connection inside a [`Held`] (given as
/// `&mut Held`); pasted like [`on_pool!`]'s body, so `?` and `return` leave the enclosing function.
macro_rules! on_held {
    ($held:expr, |$conn:ident| $body:expr) => {
        match $held {
            $crate::db::Held::Sqlite(held) => {
                let $conn = &mut **held;
                $body
            }
            $crate::db::Held::Postgres(held) => {
                let $conn = &mut **held;
                $body
            }
        }
    };
}
pub(crate) use on_held;

/// One connection taken from the pool ([`Db::hold`]) and kept for several statements, given back
/// when dropped. Each statement run on the pool takes a connection and gives it back, and sqlx
/// pings a connection as it goes back: a round trip to SQLite's worker thread (two thread
/// switches) or to PostgreSQL's server. A page that runs several statements in a row (an
/// article: the post, then what surrounds it) pays that once on a held connection.
pub enum Held {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// Runs `$body` inside a write transaction bound to `$tx` and commits it; an early return (`?`)
/// rolls back. As with [`on_pool!`], the body is pasted in, not called: `return x` and `?` leave
/// the enclosing function (dropping, so rolling back, the transaction), and the macro's value is
/// the body's value once committed. To handle a failure inside instead, wrap the call in an
/// `async { … }` block, as `db::editing`'s `retrying_slug!` does. SQLite write transactions start with `BEGIN IMMEDIATE`: a deferred one that reads
/// first cannot later upgrade to a write under concurrent writers.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::db::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(crate) use in_tx;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// `a = $first, b = $first+1, …`: an UPDATE's assignments of `columns`, bound in their order
/// from placeholder `$first`, so that no placeholder is numbered by hand.
pub(crate) fn assignments(columns: &[&str], first: usize) -> String {
    let pairs: Vec<String> =
        columns.iter().enumerate().map(|(i, c)| format!("{c} = ${}", first + i)).collect();
    pairs.join(", ")
}

/// `$first, $first+1, …`: the placeholders of an INSERT's `count` values, bound in order.
pub(crate) fn placeholders(count: usize, first: usize) -> String {
    let marks: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    marks.join(", ")
}

/// How long a statement waits for another writer's lock before failing as busy (SQLite's
/// `busy_timeout`, PostgreSQL's `lock_timeout`).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `e` means the database is busy or out of reach for now, not that the request is
/// wrong: no free connection in time, a lock held past [`BUSY_TIMEOUT`], too many clients, a
/// dropped connection. These answer 503 with `Retry-After`, never 500.
///
/// Codes: SQLite's primary result codes `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), whose
/// extended codes keep them in the low byte (<https://sqlite.org/rescode.html>); PostgreSQL's
/// SQLSTATE classes 53 (insufficient resources), 57P (operator intervention: shutdown, cannot
/// connect now), 08 (connection exception) and `55P03` lock_not_available
/// (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
pub fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            match code.parse::<i64>() {
                Ok(sqlite) if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
                    matches!(sqlite & 0xff, 5 | 6)
                }
                _ => {
                    code == "55P03"
                        || code.starts_with("53")
                        || code.starts_with("57P")
                        || code.starts_with("08")
                }
            }
        }
        _ => false,
    }
}

/// Whether `e` means the database cannot write now, through no fault of the request: the disk
/// is full, the file system or the server is read-only, or an I/O error. These answer 503 with
/// a page saying so (`web::error`), and the write is not applied.
///
/// Codes: SQLite's primary result codes `SQLITE_READONLY` (8), `SQLITE_IOERR` (10) and
/// `SQLITE_FULL` (13) (<https://sqlite.org/rescode.html>); PostgreSQL's `53100` disk_full,
/// `25006` read_only_sql_transaction (a standby) and class `58` system errors such as `58030`
/// io_error (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
pub fn is_storage_fault(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else { return false };
    let code = d.code().unwrap_or_default();
    match code.parse::<i64>() {
        Ok(sqlite) if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            matches!(sqlite & 0xff, 8 | 10 | 13)
        }
        _ => code == "53100" || code == "25006" || code.starts_with("58"),
    }
}

/// How long a pooled connection may sit idle before it is pinged when taken again.
///
/// sqlx pings every connection it takes from the pool by default (`test_before_acquire`) and
/// again when one goes back: with one query per acquisition that is three round trips to the
/// connection (SQLite's worker thread, PostgreSQL's server) for every query, and the thread
/// hand-offs were the largest cost of a rendered page (`perf`, bench/README.md). A connection
/// in steady use was pinged when it was last given back, so only one that has waited longer
/// than this is pinged first (what sqlx's own documentation of `before_acquire` suggests).
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Checks a connection as it is taken from the pool: one idle for longer than
/// [`IDLE_BEFORE_PING`] must answer a ping (a server that restarted meanwhile has closed it),
/// and none may still count a transaction.
///
/// After a failed COMMIT (a full disk), SQLite may already have rolled the transaction back, so
/// the ROLLBACK sqlx sends when the transaction is dropped fails and sqlx's own count stays at
/// one: every later transaction on that connection failed with "begin_with at non-zero
/// transaction depth", and Folio never recovered once space was back (scripts/storage-faults).
/// The count is read from memory; such a connection is closed and another one opened, as is one
/// whose ping fails (`Err`).
fn sound<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if meta.idle_for > IDLE_BEFORE_PING {
            conn.ping().await?;
        }
        let sound = !conn.is_in_transaction();
        if !sound {
            rocket::warn!("closing a database connection left inside a failed transaction");
        }
        Ok(sound)
    })
}

/// A connection pool to whichever database the configured URL names.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The `databases.folio` table of the configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct DbConfig {
    pub url: String,
    /// Pool size; defaults to 8 for SQLite (readers run in parallel under WAL) and 16 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// Seconds to wait for a free connection before answering 503.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: u64,
}

fn default_connect_timeout() -> u64 {
    5
}

/// Why the database could not be opened; each message is one line for the operator.
#[derive(Debug)]
pub enum DbError {
    UnknownScheme(String),
    Connect(sqlx::Error),
    /// SQLite could not open its file because Folio may not write in the file's directory
    /// (a read-only mount, a missing `ReadWritePaths=`, the wrong owner).
    NotWritable(String, std::io::Error),
    Migrate(sqlx::migrate::MigrateError),
    Config(rocket::figment::Error),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::UnknownScheme(url) => {
                write!(f, "unsupported database URL `{url}`: use sqlite://FILE or postgres://USER@HOST/DB")
            }
            DbError::Connect(e) => write!(f, "cannot open the database: {e}"),
            DbError::NotWritable(dir, e) => write!(
                f,
                "cannot open the database: its directory {dir} is not writable ({e}); SQLite writes \
                 the database and its -wal and -shm files there"
            ),
            DbError::Migrate(e) => write!(f, "cannot migrate the database: {e}"),
            DbError::Config(e) => write!(f, "bad database configuration: {e}"),
        }
    }
}

impl std::error::Error for DbError {}

impl Db {
    /// Opens a pool for `config.url`. SQLite files are created on first use and run in WAL mode
    /// with foreign keys on, a busy timeout, and `synchronous=FULL` so an acknowledged write
    /// survives a power cut, not only a crash of the process.
    pub async fn connect(config: &DbConfig) -> Result<Db, DbError> {
        let url = config.url.as_str();
        let timeout = Duration::from_secs(config.connect_timeout);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(DbError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT);
            let filename = options.get_filename().to_owned();
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(config.max_connections.unwrap_or(8))
                .before_acquire(sound)
                .acquire_timeout(timeout)
                .connect_with(options)
                .await
                .map_err(|e| unwritable_directory(&filename).unwrap_or(DbError::Connect(e)))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // A statement waiting on a row lock gives up after as long as SQLite's busy timeout,
            // so a blocked writer answers 503 instead of hanging its request.
            let options = PgConnectOptions::from_str(url)
                .map_err(DbError::Connect)?
                .options([("lock_timeout", format!("{}ms", BUSY_TIMEOUT.as_millis()))]);
            let pool = PgPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(config.max_connections.unwrap_or(16))
                .before_acquire(sound)
                .acquire_timeout(timeout)
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnknownScheme(redact(url)))
        }
    }

    /// Applies pending migrations for this backend, then records a database holding no bodies
    /// as rendered by today's renderer ([`rendering::claim_if_empty`]).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(DbError::Migrate)?;
        rendering::claim_if_empty(self, crate::domain::markdown::VERSION)
            .await
            .map_err(|e| DbError::Migrate(sqlx::migrate::MigrateError::Execute(e)))
    }

    /// Takes a connection from the pool to run several statements on ([`Held`]); errors as any
    /// statement's would when none comes free within the pool's timeout.
    pub async fn hold(&self) -> sqlx::Result<Held> {
        Ok(match self {
            Db::Sqlite(pool) => Held::Sqlite(pool.acquire().await?),
            Db::Postgres(pool) => Held::Postgres(pool.acquire().await?),
        })
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Migrations this binary has that the database has not applied: non-zero while another
    /// process (a newer binary's, or this one's own start) has not finished migrating.
    pub async fn pending_migrations(&self) -> Result<usize, sqlx::Error> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";
        let (applied, migrator): (Vec<i64>, _) = match self {
            Db::Sqlite(pool) => (sqlx::query_scalar(SQL).fetch_all(pool).await?, &SQLITE_MIGRATIONS),
            Db::Postgres(pool) => (sqlx::query_scalar(SQL).fetch_all(pool).await?, &POSTGRES_MIGRATIONS),
        };
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .filter(|m| !applied.contains(&m.version))
            .count())
    }

    /// The pool's connections: `(open, idle, most)`.
    pub fn pool_use(&self) -> (u32, usize, u32) {
        on_pool!(self, |pool| (pool.size(), pool.num_idle(), pool.options().get_max_connections()))
    }

    /// How long taking a connection from the pool takes now (and gives it straight back).
    pub async fn probe_acquire(&self) -> Result<Duration, sqlx::Error> {
        let start = std::time::Instant::now();
        on_pool!(self, |pool| pool.acquire().await.map(drop))?;
        Ok(start.elapsed())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// Why SQLite could not open `file`, when the reason is its directory: SQLite's own message
/// ("unable to open database file") does not say that the directory is read-only.
fn unwritable_directory(file: &std::path::Path) -> Option<DbError> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let probe = dir.join(format!(".folio-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            Some(DbError::NotWritable(dir.display().to_string(), e))
        }
        Err(_) => None,
    }
}

/// Hides a password in a URL before it is printed.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The database as Rocket sees it: `Connection<FolioDb>` in a handler derefs to a [`Db`].
#[derive(rocket_db_pools::Database)]
#[database("folio")]
pub struct FolioDb(Db);

#[rocket::async_trait]
impl rocket_db_pools::Pool for Db {
    /// sqlx pools hand out connections per query, so a request holds a cheap clone of the pool.
    type Connection = Db;
    type Error = DbError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: DbConfig = figment.extract().map_err(DbError::Config)?;
        let db = Db::connect(&config).await?;
        db.migrate().await?;
        Ok(db)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        Ok(self.clone())
    }

    /// Does nothing: rocket_db_pools calls this as soon as shutdown begins, while requests
    /// under way (Rocket's grace period) and the mail sender releasing its claim still need
    /// the pool. `folio serve` closes it once Rocket has stopped.
    async fn close(&self) {}
}
