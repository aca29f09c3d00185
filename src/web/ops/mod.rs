//! What operators and their machines read: `/readyz`, `/metrics`, the request log.
//! (`/healthz` and `robots.txt` live in [`crate::web::system`].)

pub mod request_log;

use std::sync::atomic::{AtomicBool, Ordering};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Orbit, Responder, Rocket, Route, State, get, routes};
use rocket_db_pools::Connection;
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::db::{Db, FolioDb, outbox};
use crate::metrics::{Metrics, TEXT_FORMAT};
use crate::web::http::page_cache::PageCache;

/// An answer about this process as it is now: never stored by any cache (RFC 9111, section
/// 5.2.2.5), the page cache included.
pub struct NoStore<R>(pub R);

impl<'r, 'o: 'r, R: rocket::response::Responder<'r, 'o>> rocket::response::Responder<'r, 'o> for NoStore<R> {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'o> {
        let mut res = self.0.respond_to(req)?;
        res.set_header(Header::new("Cache-Control", "no-store"));
        Ok(res)
    }
}

/// Whether this process should be sent requests: set once it has lifted off (migrations done,
/// settings and content generation read, [`Readiness::lifted`]), cleared as soon as shutdown
/// begins.
#[derive(Default)]
pub struct Readiness {
    serving: AtomicBool,
    stopping: AtomicBool,
}

impl Readiness {
    /// The process has read its content generation and may serve (called at liftoff, once that
    /// read is done: Rocket runs liftoff fairings side by side).
    pub fn lifted(&self) {
        self.serving.store(true, Ordering::SeqCst);
    }
}

/// Marks the process stopping as soon as shutdown begins.
pub struct ReadinessFairing;

#[rocket::async_trait]
impl Fairing for ReadinessFairing {
    fn info(&self) -> Info {
        Info { name: "Readiness", kind: Kind::Shutdown }
    }

    async fn on_shutdown(&self, rocket: &Rocket<Orbit>) {
        if let Some(readiness) = rocket.state::<Readiness>() {
            readiness.stopping.store(true, Ordering::SeqCst);
        }
    }
}

/// Liveness: 200 when the database answers, 503 when it does not; for load balancers and
/// monitors.
#[get("/healthz")]
async fn healthz(db: Connection<FolioDb>) -> NoStore<(Status, (ContentType, String))> {
    NoStore(match db.ping().await {
        Ok(()) => {
            (Status::Ok, (ContentType::JSON, format!(r#"{{"status":"ok","database":"{}"}}"#, db.backend())))
        }
        Err(e) => {
            rocket::warn!("health check failed: {e}");
            (Status::ServiceUnavailable, (ContentType::JSON, r#"{"status":"unavailable"}"#.to_owned()))
        }
    })
}

/// 200 when this process should get requests; 503 while it starts or shuts down, when the
/// database does not answer, or while the database lacks migrations this binary has (another
/// process is still migrating). `/healthz` stays the liveness check: it fails only when the
/// database does.
#[get("/readyz")]
async fn readyz(
    readiness: &State<Readiness>,
    db: Connection<FolioDb>,
) -> NoStore<(Status, (ContentType, String))> {
    NoStore(ready(readiness, &db).await)
}

async fn ready(readiness: &Readiness, db: &Db) -> (Status, (ContentType, String)) {
    let unready = |why: &str| {
        (
            Status::ServiceUnavailable,
            (ContentType::JSON, format!(r#"{{"status":"unavailable","reason":"{why}"}}"#)),
        )
    };
    if readiness.stopping.load(Ordering::SeqCst) {
        return unready("shutting down");
    }
    if !readiness.serving.load(Ordering::SeqCst) {
        return unready("starting");
    }
    match db.pending_migrations().await {
        Ok(0) => (Status::Ok, (ContentType::JSON, r#"{"status":"ready"}"#.to_owned())),
        Ok(_) => unready("migrations pending"),
        Err(e) => {
            rocket::warn!("readiness check: the database does not answer: {e}");
            unready("database unavailable")
        }
    }
}

/// The scrape is allowed: `metrics_token` is set and the request carries it as a bearer token
/// (RFC 6750, section 2.1). Unset, `/metrics` does not exist (404).
pub struct MetricsScrape;

/// A refused scrape: 401 with the challenge RFC 6750 (section 3) asks for.
#[derive(Responder)]
#[response(status = 401, content_type = "plain")]
pub struct Unauthorized {
    body: &'static str,
    challenge: Header<'static>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsScrape {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = req.rocket().state::<Config>().map_or("", |c| c.settings.metrics_token.as_str());
        if token.is_empty() {
            return Outcome::Forward(Status::NotFound);
        }
        let given = req.headers().get_one("Authorization").and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(given) if bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())) => {
                Outcome::Success(MetricsScrape)
            }
            _ => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// Every metric of this process, in Prometheus' text format. Scrape each process on its own
/// address: through the proxy each scrape would reach some process or other.
#[get("/metrics")]
async fn metrics(
    _scrape: MetricsScrape,
    metrics: &State<Metrics>,
    cache: &State<PageCache>,
    db: Connection<FolioDb>,
) -> NoStore<(ContentType, String)> {
    NoStore(scrape(metrics, cache, &db).await)
}

async fn scrape(metrics: &Metrics, cache: &PageCache, db: &Db) -> (ContentType, String) {
    metrics.page_cache_bytes.set(i64::try_from(cache.weighted_size()).unwrap_or(i64::MAX));
    let (open, idle, most) = db.pool_use();
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    metrics.pool_connections.with_label_values(&["idle"]).set(idle);
    metrics.pool_connections.with_label_values(&["in_use"]).set((i64::from(open) - idle).max(0));
    metrics.pool_max.set(i64::from(most));
    match db.probe_acquire().await {
        Ok(waited) => metrics.pool_acquire.observe(waited.as_secs_f64()),
        Err(_) => metrics.pool_timeouts.inc(),
    }
    match outbox::depth(db).await {
        Ok(depth) => {
            metrics.outbox_pending.set(depth.pending);
            metrics.outbox_oldest_age.set(depth.oldest.map_or(0, |t| (crate::domain::now() - t).max(0)));
            metrics.outbox_failed.set(depth.failed);
        }
        Err(e) => rocket::warn!("metrics: cannot read the outbox: {e}"),
    }
    (ContentType::parse_flexible(TEXT_FORMAT).unwrap_or(ContentType::Plain), metrics.render())
}

/// The 401 for a scrape without the right token (the catcher would answer with a page).
#[rocket::catch(401)]
fn refused() -> Unauthorized {
    Unauthorized {
        body: "a bearer token is required\n",
        challenge: Header::new("WWW-Authenticate", "Bearer"),
    }
}

pub fn routes() -> Vec<Route> {
    routes![healthz, readyz, metrics]
}

/// The catcher for `/metrics`, registered there only.
pub fn catchers() -> Vec<rocket::Catcher> {
    rocket::catchers![refused]
}
