//! Folio's typed settings: read once from the Rocket figment at start-up, checked, then managed.

use rocket::figment::Figment;
use serde::Deserialize;

use crate::db::DbConfig;

/// A link in the site's main navigation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct NavLink {
    pub label: String,
    pub url: String,
}

/// The Folio keys of `Rocket.toml` (documented there with their defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub site_title: String,
    pub site_description: String,
    /// Absolute URL the site is served at, without a trailing slash; canonical links use it.
    pub base_url: String,
    /// BCP 47 language tag for `<html lang>` and `og:locale`.
    pub language: String,
    pub posts_per_page: u32,
    pub nav: Vec<NavLink>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            site_title: "Folio".into(),
            site_description: "Stories, notes and guides.".into(),
            base_url: "http://localhost:8000".into(),
            language: "en".into(),
            posts_per_page: 10,
            nav: vec![NavLink { label: "Home".into(), url: "/".into() }],
        }
    }
}

/// Everything Folio reads from configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub database: DbConfig,
}

impl Config {
    /// Extracts and checks the configuration; the error is one line for the operator.
    pub fn from_figment(figment: &Figment) -> Result<Config, String> {
        let mut settings: Settings = figment.extract().map_err(|e| format!("invalid configuration: {e}"))?;
        let database: DbConfig = figment
            .extract_inner("databases.folio")
            .map_err(|e| format!("invalid database configuration (databases.folio): {e}"))?;
        settings.validate()?;
        settings.base_url = settings.base_url.trim_end_matches('/').to_owned();
        // Rocket's defaults supply an all-zero key, so "set" means present and non-zero.
        let key_set =
            figment.extract_inner::<rocket::config::SecretKey>("secret_key").is_ok_and(|key| !key.is_zero());
        if figment.profile() == "release" && !key_set {
            return Err("secret_key must be set in the release profile: generate one with \
                        `openssl rand -base64 32` and set ROCKET_SECRET_KEY"
                .into());
        }
        Ok(Config { settings, database })
    }
}

impl Settings {
    fn validate(&self) -> Result<(), String> {
        if self.site_title.trim().is_empty() {
            return Err("site_title must not be empty".into());
        }
        if !(1..=100).contains(&self.posts_per_page) {
            return Err(format!("posts_per_page must be between 1 and 100, not {}", self.posts_per_page));
        }
        let base = url::Url::parse(&self.base_url)
            .map_err(|e| format!("base_url `{}` is not an absolute URL: {e}", self.base_url))?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() {
            return Err(format!("base_url `{}` must be an http(s) URL without a query", self.base_url));
        }
        let lang_ok = !self.language.is_empty()
            && self.language.len() <= 35
            && self
                .language
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !lang_ok {
            return Err(format!(
                "language `{}` is not a language tag such as `en` or `pt-BR`",
                self.language
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::providers::{Format, Toml};

    fn parse(toml: &str) -> Result<Config, String> {
        Config::from_figment(&Figment::from(Toml::string(toml)))
    }

    #[test]
    fn defaults_apply_and_trailing_slash_is_dropped() {
        let config = parse("base_url = 'https://example.org/'\n[databases.folio]\nurl = 'sqlite://x.db'")
            .expect("valid");
        assert_eq!(config.settings.base_url, "https://example.org");
        assert_eq!(config.settings.posts_per_page, 10);
        assert_eq!(config.database.url, "sqlite://x.db");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let db = "\n[databases.folio]\nurl = 'sqlite://x.db'";
        for (toml, needle) in [
            ("posts_per_page = 0", "posts_per_page"),
            ("base_url = 'example.org'", "base_url"),
            ("base_url = 'ftp://example.org'", "base_url"),
            ("language = 'en us'", "language"),
            ("site_title = ' '", "site_title"),
        ] {
            let err = parse(&format!("{toml}{db}")).expect_err(toml);
            assert!(err.contains(needle), "{err}");
        }
        let err = parse("site_title = 'x'").expect_err("no database");
        assert!(err.contains("databases.folio"), "{err}");
    }
}
