//! Folio: a publishing platform in one binary. [`rocket`] is the one place routes are mounted.

pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod web;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use crate::config::Config;
use crate::db::FolioDb;
use crate::web::headers::SecurityHeaders;
use crate::web::view::Site;

/// The database used when none is configured: a file beside the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://folio.db";

/// Rocket's configuration sources (defaults, `Rocket.toml`, `ROCKET_*`), with `DATABASE_URL`
/// overriding `databases.folio.url` when set.
pub fn figment() -> Figment {
    let figment = rocket::Config::figment().join(("databases.folio.url", DEFAULT_DATABASE_URL));
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => figment.merge(("databases.folio.url", url)),
        _ => figment,
    }
}

/// Builds the application from `figment`: config check, database, routes, catchers, headers.
pub fn rocket(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(AdHoc::try_on_ignite("Folio configuration", |rocket| async {
            match Config::from_figment(rocket.figment()) {
                Ok(config) => {
                    let site = Site::new(&config.settings);
                    Ok(rocket.manage(site).manage(config))
                }
                Err(e) => {
                    rocket::error!("{e}");
                    Err(rocket)
                }
            }
        }))
        .attach(FolioDb::init())
        .attach(SecurityHeaders)
        // Our own fairing sets every security header; an empty Shield keeps Rocket's from doubling them.
        .attach(Shield::new())
        .mount("/", web::site::routes())
        .mount("/", web::system::routes())
        .mount("/", web::assets::routes())
        .register("/", web::errors::catchers())
}
