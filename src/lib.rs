//! Folio: a publishing platform in one binary. [`rocket`] is the one place routes are mounted.

pub mod cache;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod mail;
pub mod media;
pub mod metrics;
pub mod newsletter;
pub mod rerender;
pub mod tasks;
pub mod web;
pub mod webhooks;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use crate::config::Config;
use crate::db::FolioDb;
use crate::mail::Mailer;
use crate::web::csrf::CsrfProtection;
use crate::web::headers::SecurityHeaders;
use crate::web::view::LiveSite;

/// The database used when none is configured: a file beside the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://folio.db";

/// Rocket's configuration sources (defaults, `Rocket.toml`, `ROCKET_*`), with `DATABASE_URL`
/// overriding `databases.folio.url` when set.
pub fn figment() -> Figment {
    let figment = rocket::Config::figment()
        .join(("databases.folio.url", DEFAULT_DATABASE_URL))
        // Rocket trusts X-Real-IP by default, which any client can send; Folio reads the client's
        // address from the header named by `client_ip_header` only.
        .merge(("ip_header", false));
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => figment.merge(("databases.folio.url", url)),
        _ => figment,
    }
}

/// Builds the application from `figment`: config check, database, routes, catchers, headers.
pub fn rocket(figment: Figment) -> Rocket<Build> {
    // Rocket's own body limits sit above `upload_limit`, so an oversized upload reaches Folio's
    // check and gets a clear message instead of a bare error.
    let upload_limit =
        figment.extract_inner::<u64>("upload_limit").unwrap_or(config::Settings::default().upload_limit);
    let figment = figment
        .merge(("limits.file", upload_limit.saturating_add(64 * 1024)))
        .merge(("limits.data-form", upload_limit.saturating_add(1024 * 1024)));
    rocket::custom(figment)
        .manage(domain::clock::Clock::new())
        .manage(metrics::Metrics::new())
        .manage(web::ops::Readiness::default())
        .manage(tasks::Background::default())
        .attach(AdHoc::try_on_ignite("Folio configuration", |rocket| async {
            let built = Config::from_figment(rocket.figment())
                .and_then(|config| Ok((Mailer::new(&config.settings.mail)?, config)));
            match built {
                Ok((mailer, config)) => {
                    let site = LiveSite::new(&config.settings);
                    let store = media::Store::from_setting(&config.settings.media_dir);
                    let wait = std::time::Duration::from_secs(config.settings.image_wait);
                    let budget = media::Budget::new(config.settings.image_memory, wait);
                    let downloads = media::stream::Downloads::new(config.settings.large_downloads);
                    let search_cache = cache::SearchCache::new(config.settings.search_cache);
                    let page_cache = web::http::page_cache::PageCache::new(config.settings.page_cache);
                    let request_log = web::ops::request_log::RequestLog::new(
                        config.settings.request_log,
                        !config.settings.client_ip_header.is_empty(),
                    );
                    let stamp_key = web::stamp::StampKey::from_figment(rocket.figment());
                    Ok(rocket
                        .manage(stamp_key)
                        .manage(request_log)
                        .manage(site)
                        .manage(config)
                        .manage(mailer)
                        .manage(store)
                        .manage(budget)
                        .manage(downloads)
                        .manage(search_cache)
                        .manage(page_cache)
                        .manage(web::http::freshness::LiveFreshness::new()))
                }
                Err(e) => {
                    rocket::error!("{e}");
                    Err(rocket)
                }
            }
        }))
        .attach(FolioDb::init())
        .attach(AdHoc::try_on_ignite("Saved settings", |rocket| async {
            let (Some(db), Some(live), Some(mailer)) =
                (FolioDb::fetch(&rocket), rocket.state::<LiveSite>(), rocket.state::<Mailer>())
            else {
                return Err(rocket);
            };
            match db::settings::all(db).await {
                Ok(saved) => {
                    live.apply(&saved);
                    mailer.apply(&saved);
                    Ok(rocket)
                }
                Err(e) => {
                    rocket::error!("cannot read saved settings: {e}");
                    Err(rocket)
                }
            }
        }))
        .attach(AdHoc::on_liftoff("Content generation", |rocket| {
            Box::pin(async move {
                let (Some(db), Some(live), Some(clock), Some(metrics)) = (
                    FolioDb::fetch(rocket),
                    rocket.state::<web::http::freshness::LiveFreshness>(),
                    rocket.state::<domain::clock::Clock>(),
                    rocket.state::<metrics::Metrics>(),
                ) else {
                    return;
                };
                let db: db::Db = (**db).clone();
                if let Err(e) = live.refresh(&db, clock.now()).await {
                    rocket::warn!("cannot read the content generation: {e}");
                }
                if let Some(readiness) = rocket.state::<web::ops::Readiness>() {
                    readiness.lifted();
                }
                let watch = web::http::freshness::watch(
                    db,
                    live.clone(),
                    clock.clone(),
                    metrics.clone(),
                    rocket.shutdown(),
                );
                rocket::tokio::spawn(watch);
            })
        }))
        .attach(AdHoc::on_liftoff("Background tasks", |rocket| {
            let live = rocket.state::<LiveSite>().cloned();
            Box::pin(tasks::start(rocket, move |saved| {
                if let Some(live) = &live {
                    live.apply(saved);
                }
            }))
        }))
        // Shutdown waits for the mail sender to finish or release the message it is sending.
        .attach(AdHoc::on_shutdown("Background tasks", |rocket| {
            Box::pin(async move {
                if let Some(background) = rocket.state::<tasks::Background>() {
                    background.stopped().await;
                }
            })
        }))
        // /readyz answers 503 from the moment shutdown begins.
        .attach(web::ops::ReadinessFairing)
        .attach(web::params::ControlCharacters)
        .attach(CsrfProtection)
        .attach(SecurityHeaders)
        // After SecurityHeaders (their headers are stored and replayed), before HttpCaching (the
        // identity body is stored; HttpCaching leaves answers from the cache alone).
        .attach(web::http::page_cache::PageCacheFairing)
        // After SecurityHeaders, so a per-visitor response already says `private, no-store`.
        .attach(web::http::HttpCaching)
        .attach(web::api::cors::ApiCors)
        // Our own fairing sets every security header; an empty Shield keeps Rocket's from doubling them.
        .attach(Shield::new())
        // Last: it sees every other fairing's answer (the page cache's Cache-Status), and the
        // request id it adds is never stored with a cached page.
        .attach(web::ops::request_log::RequestLogFairing)
        .mount("/", web::http::page_cache::routes())
        .mount("/", web::site::routes())
        .mount("/", web::account::routes())
        .mount("/", web::admin::routes())
        .mount("/", web::csrf::routes())
        .mount("/", web::params::routes())
        .mount("/", web::system::routes())
        .mount("/", web::ops::routes())
        .mount("/", web::media::routes())
        .mount("/", web::assets::routes())
        .mount("/", web::api::routes())
        .register("/", web::error_pages::catchers())
        .register("/metrics", web::ops::catchers())
        // Errors under /api are problem details (RFC 9457), never pages or sign-in redirects.
        .register("/api", web::api::problem::catchers())
}
