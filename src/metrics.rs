//! Folio's own measurements, in the Prometheus data model: one [`Metrics`] per process (in
//! Rocket's managed state), read at `/metrics` (`web::ops::metrics`) in the text exposition
//! format. Metric names follow Prometheus' naming guide: a `folio_` prefix, base units (seconds,
//! bytes) in the name, `_total` on counters.
//!
//! What is counted as it happens lives here; what is a state (pool use, outbox depth, cache
//! size) is read when `/metrics` is scraped, so nothing is kept up to date for nobody.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Upper bounds of the request-duration buckets, in seconds: from a page-cache hit (well under
/// a millisecond here, README "Performance") to the 30 s an upload may wait for image memory.
const DURATION_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0];

/// Every metric of one process, registered in its own [`Registry`] (not the global one, so that
/// several applications in one test process count apart).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Answers by `method`, `route` (the route's path template, such as `/posts/<slug>`, or
    /// `none` when no route matched) and `status`.
    pub requests: IntCounterVec,
    /// Seconds from the request's arrival to its answer's headers, by `method` and `route`.
    pub duration: HistogramVec,
    /// Answers served from the page cache, and answers it could have kept but did not have.
    pub page_cache_hits: IntCounter,
    pub page_cache_misses: IntCounter,
    /// Bytes the page cache holds (set at each scrape).
    pub page_cache_bytes: IntGauge,
    /// Pool connections by `state`: `idle` or `in_use` (set at each scrape).
    pub pool_connections: IntGaugeVec,
    /// The most connections the pool opens.
    pub pool_max: IntGauge,
    /// How long taking a connection from the pool took at the last scrape, in seconds: sqlx
    /// takes one inside each query, so this probe is how a waiting pool shows.
    pub pool_acquire: Histogram,
    /// Requests answered 503 because no pool connection came within `connect_timeout`, and
    /// scrapes whose probe got none.
    pub pool_timeouts: IntCounter,
    /// Mail waiting to be sent, and how long the oldest of it has waited, in seconds.
    pub outbox_pending: IntGauge,
    pub outbox_oldest_age: IntGauge,
    /// Mail given up on after its last attempt.
    pub outbox_failed: IntGauge,
    /// Rounds of a background task that failed, by `task` (`mail`, `webhooks`, `settings`,
    /// `housekeeping`, `freshness`).
    pub task_failures: IntCounterVec,
}

impl Metrics {
    /// Registers every metric, and the process collector (resident memory, CPU seconds, open
    /// files; Linux only).
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let metrics = Metrics {
            requests: IntCounterVec::new(
                Opts::new("folio_http_requests_total", "HTTP answers by method, route and status."),
                &["method", "route", "status"],
            )
            .expect("static metric definition"),
            duration: HistogramVec::new(
                HistogramOpts::new(
                    "folio_http_request_duration_seconds",
                    "Seconds from a request's arrival to its answer, by method and route.",
                )
                .buckets(DURATION_BUCKETS.to_vec()),
                &["method", "route"],
            )
            .expect("static metric definition"),
            page_cache_hits: counter("folio_page_cache_hits_total", "Answers served from the page cache."),
            page_cache_misses: counter(
                "folio_page_cache_misses_total",
                "Cacheable answers rendered because the page cache did not hold them.",
            ),
            page_cache_bytes: gauge("folio_page_cache_bytes", "Bytes held by the page cache."),
            pool_connections: IntGaugeVec::new(
                Opts::new("folio_db_pool_connections", "Database connections by state (idle, in_use)."),
                &["state"],
            )
            .expect("static metric definition"),
            pool_max: gauge("folio_db_pool_max_connections", "The most connections the pool opens."),
            pool_acquire: Histogram::with_opts(
                HistogramOpts::new(
                    "folio_db_pool_acquire_seconds",
                    "Seconds taken to get a pool connection, probed at each scrape.",
                )
                .buckets(DURATION_BUCKETS.to_vec()),
            )
            .expect("static metric definition"),
            pool_timeouts: counter(
                "folio_db_pool_timeouts_total",
                "Queries refused because no connection came within connect_timeout.",
            ),
            outbox_pending: gauge("folio_outbox_pending_messages", "Mail waiting to be sent."),
            outbox_oldest_age: gauge(
                "folio_outbox_oldest_pending_age_seconds",
                "Seconds the oldest mail waiting to be sent has waited (0 when none waits).",
            ),
            outbox_failed: gauge("folio_outbox_failed_messages", "Mail given up on after its last attempt."),
            task_failures: IntCounterVec::new(
                Opts::new("folio_background_task_failures_total", "Failed rounds of background tasks."),
                &["task"],
            )
            .expect("static metric definition"),
            registry,
        };
        metrics.register_all();
        metrics
    }

    fn register_all(&self) {
        let collectors: [Box<dyn prometheus::core::Collector>; 13] = [
            Box::new(self.requests.clone()),
            Box::new(self.duration.clone()),
            Box::new(self.page_cache_hits.clone()),
            Box::new(self.page_cache_misses.clone()),
            Box::new(self.page_cache_bytes.clone()),
            Box::new(self.pool_connections.clone()),
            Box::new(self.pool_max.clone()),
            Box::new(self.pool_acquire.clone()),
            Box::new(self.pool_timeouts.clone()),
            Box::new(self.outbox_pending.clone()),
            Box::new(self.outbox_oldest_age.clone()),
            Box::new(self.outbox_failed.clone()),
            Box::new(self.task_failures.clone()),
        ];
        for collector in collectors {
            // Names are static and distinct, so registering cannot fail.
            let _ = self.registry.register(collector);
        }
        #[cfg(target_os = "linux")]
        let _ = self.registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()));
    }

    /// Counts one failed round of background `task`.
    pub fn task_failed(&self, task: &str) {
        self.task_failures.with_label_values(&[task]).inc();
    }

    /// Every metric in the text exposition format, version 0.0.4 (Prometheus' "Exposition
    /// formats"); serve it as [`TEXT_FORMAT`].
    pub fn render(&self) -> String {
        let mut out = Vec::with_capacity(16 * 1024);
        // Writing to a Vec fails only on a metric family with no metrics, which gather() skips.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// The media type of [`Metrics::render`]'s text.
pub const TEXT_FORMAT: &str = prometheus::TEXT_FORMAT;

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).expect("static metric definition")
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("static metric definition")
}
