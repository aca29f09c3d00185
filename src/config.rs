//! Folio's typed settings: read once from the Rocket figment at start-up, checked, then managed.

use rocket::figment::Figment;
use serde::Deserialize;

use crate::db::DbConfig;
use crate::db::sessions::Lifetimes;
use crate::domain::accounts::SignupMode;
use crate::domain::feed::{FEED_ITEMS_MAX, FeedContent};
use crate::mail::MailSettings;

const DAY: i64 = 86_400;

/// The shortest `metrics_token` accepted: 24 characters, as `openssl rand -base64 18` makes.
pub const METRICS_TOKEN_MIN: usize = 24;

/// A link in the site's main navigation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct NavLink {
    pub label: String,
    pub url: String,
}

/// What `request_log` in `Rocket.toml` asks for: the line written for each request
/// (`web::ops::request_log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// No request lines.
    Off,
    /// `2026-12-05T04:50:00.123Z 5f0c…0001 GET /posts/hello 200 1.234ms`
    #[default]
    Text,
    /// `{"time":…,"request_id":…,"method":…,"path":…,"status":…,"duration_ms":…}`
    Json,
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
    /// Entries in each feed (RSS, Atom, JSON Feed), newest first: 1 to 100.
    pub feed_items: u32,
    /// What a feed entry carries: `full` (the whole post) or `excerpt`.
    pub feed_content: FeedContent,
    /// Who may create a member account: `open`, `invite-only` or `closed`.
    pub signup: SignupMode,
    /// Staff must turn on two-factor sign-in before they can use the admin.
    pub require_staff_two_factor: bool,
    /// Seconds of inactivity after which a session ends.
    pub session_idle_timeout: i64,
    /// Seconds after sign-in after which a session ends, however active.
    pub session_max_age: i64,
    /// The header a trusted reverse proxy puts the client's address in (`X-Forwarded-For`,
    /// `X-Real-IP`, ...). Empty: use the connection's peer address and ignore such headers.
    pub client_ip_header: String,
    /// `smtp_url` and `mail_from`, at the top level of the file like every other key.
    #[serde(flatten)]
    pub mail: MailSettings,
    /// The newsletter's digest, rate, bounce limit and DKIM keys, also at the top level.
    #[serde(flatten)]
    pub newsletter: crate::newsletter::NewsletterSettings,
    /// Where uploaded media are kept: empty for the database (every instance reads them there),
    /// or a directory every instance shares.
    pub media_dir: String,
    /// The largest upload accepted, in bytes.
    pub upload_limit: u64,
    /// Bytes the whole process lets image work (decoding, resizing) use at once; uploads
    /// beyond it wait their turn. An image needing more than all of it is refused.
    pub image_memory: u64,
    /// Seconds an upload waits for image memory before it is refused as busy.
    pub image_wait: u64,
    /// Downloads of more than 1 MiB (`media::stream::LARGE`) the process serves at once; beyond
    /// them readers get 503 with `Retry-After` until one ends.
    pub large_downloads: usize,
    /// The most URLs one child sitemap lists before the next part begins (1 to 50,000, the
    /// protocol's limit; see `domain::sitemap::MAX_URLS`).
    pub sitemap_urls: u32,
    /// Bytes of search results kept in memory ([`crate::cache::SearchCache`]); 0 turns the
    /// cache off. A page of results takes about 4 KB.
    pub search_cache: u64,
    /// Bytes of rendered public pages kept in memory ([`crate::web::http::page_cache`]); 0
    /// turns the page cache off. A page takes about 15 KB.
    pub page_cache: u64,
    /// Origins whose pages may read the Content API from a browser (CORS), each an origin such
    /// as `https://example.com` (scheme, host and port; no path). Empty: none.
    pub api_cors_origins: Vec<String>,
    /// A key every Content API request must carry as `?key=…`; empty (the default) makes the
    /// API public.
    pub api_content_key: String,
    /// One line per request on standard output: `text`, `json` or `off`.
    pub request_log: LogFormat,
    /// The bearer token a Prometheus scrape of `/metrics` must carry; empty (the default) turns
    /// `/metrics` off. At least [`METRICS_TOKEN_MIN`] characters.
    pub metrics_token: String,
    /// Let webhooks reach loopback, private, link-local and other non-public addresses
    /// (`domain::webhooks::address`). Off by default: a hook must not reach inside the network.
    pub webhooks_allow_private: bool,
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
            feed_items: 20,
            feed_content: FeedContent::Full,
            signup: SignupMode::Open,
            require_staff_two_factor: false,
            session_idle_timeout: 7 * DAY,
            session_max_age: 30 * DAY,
            client_ip_header: String::new(),
            mail: MailSettings::default(),
            newsletter: crate::newsletter::NewsletterSettings::default(),
            media_dir: String::new(),
            upload_limit: 20 * 1024 * 1024,
            // Enough for one image at Pillow's 89-megapixel cap (330 MiB in 8-bit RGB, 430 MiB
            // with alpha), or five phone photos at once; see `media::images::working_memory`.
            image_memory: 512 * 1024 * 1024,
            image_wait: 30,
            // Each holds an open file, or a 1 MiB chunk and database queries: 64 MiB at most.
            large_downloads: 64,
            sitemap_urls: crate::domain::sitemap::MAX_URLS,
            search_cache: 8 * 1024 * 1024,
            page_cache: 64 * 1024 * 1024,
            api_cors_origins: Vec::new(),
            api_content_key: String::new(),
            webhooks_allow_private: false,
            request_log: LogFormat::Text,
            metrics_token: String::new(),
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
        if !(1..=crate::domain::sitemap::MAX_URLS).contains(&self.sitemap_urls) {
            return Err(format!("sitemap_urls must be between 1 and 50000, not {}", self.sitemap_urls));
        }
        if !(1..=FEED_ITEMS_MAX).contains(&self.feed_items) {
            return Err(format!(
                "feed_items must be between 1 and {FEED_ITEMS_MAX}, not {}",
                self.feed_items
            ));
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
        if !(60..=365 * DAY).contains(&self.session_idle_timeout)
            || !(60..=365 * DAY).contains(&self.session_max_age)
        {
            return Err(
                "session_idle_timeout and session_max_age must be between 60 seconds and a year".into()
            );
        }
        let header_ok = self.client_ip_header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !header_ok {
            return Err(format!("client_ip_header `{}` is not a header name", self.client_ip_header));
        }
        self.mail.check()?;
        self.newsletter.check()?;
        if !(1..=1024 * 1024 * 1024).contains(&self.upload_limit) {
            return Err("upload_limit must be between 1 byte and 1 GiB".into());
        }
        if !(16 * 1024 * 1024..=1024 * 1024 * 1024 * 1024).contains(&self.image_memory) {
            return Err("image_memory must be between 16 MiB and 1 TiB".into());
        }
        if self.image_wait > 600 {
            return Err("image_wait must be at most 600 seconds".into());
        }
        if !(1..=100_000).contains(&self.large_downloads) {
            return Err("large_downloads must be between 1 and 100000".into());
        }
        let token = &self.metrics_token;
        if !token.is_empty()
            && (token.len() < METRICS_TOKEN_MIN || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(format!(
                "metrics_token must be at least {METRICS_TOKEN_MIN} visible ASCII characters \
                 (make one with `openssl rand -base64 24`), or empty to turn /metrics off"
            ));
        }
        for origin in &self.api_cors_origins {
            check_origin(origin)?;
        }
        if !self.media_dir.is_empty() && !std::path::Path::new(&self.media_dir).is_dir() {
            return Err(format!("media_dir `{}` is not a directory", self.media_dir));
        }
        Ok(())
    }

    /// Whether the site is served over HTTPS (secure cookies, HSTS).
    pub fn https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn session_lifetimes(&self) -> Lifetimes {
        Lifetimes { idle: self.session_idle_timeout, absolute: self.session_max_age }
    }
}

/// Refuses anything in `api_cors_origins` that is not a serialised origin (RFC 6454, section
/// 6.1): `http` or `https`, a host, an optional port, and nothing after it — not even a `/`,
/// since browsers send `Origin` without one and the comparison is exact.
fn check_origin(origin: &str) -> Result<(), String> {
    let refused =
        || format!("api_cors_origins: `{origin}` is not an origin such as https://example.com (no path)");
    let url = url::Url::parse(origin).map_err(|_| refused())?;
    if !matches!(url.scheme(), "http" | "https") || url.origin().ascii_serialization() != origin {
        return Err(refused());
    }
    Ok(())
}

/// The key stamps are signed with, in managed state: HMAC-SHA256 of a fixed label under the
/// configured `secret_key` (a key of its own, so a stamp never doubles as anything the cookie
/// keys protect). Rocket does not hand out its key's bytes, so this reads the setting itself.
/// Without one (debug builds only: the release profile requires it) the key is random, and
/// stamps hold within this process only.
#[derive(Clone)]
pub struct StampKey([u8; 32]);

impl StampKey {
    pub fn from_figment(figment: &rocket::figment::Figment) -> StampKey {
        let material: Vec<u8> = figment
            .extract_inner::<String>("secret_key")
            .map(String::into_bytes)
            .ok()
            .or_else(|| figment.extract_inner::<Vec<u8>>("secret_key").ok())
            .filter(|m| m.iter().any(|b| *b != 0))
            .unwrap_or_else(|| crate::domain::secrets::token().into_bytes());
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&material)
            .expect("HMAC takes a key of any length");
        hmac::Mac::update(&mut mac, b"folio form stamps v1");
        StampKey(hmac::Mac::finalize(mac).into_bytes().into())
    }

    /// The key's bytes, for work outside a request that signs links the same way (the
    /// newsletter's sender).
    pub fn bytes(&self) -> [u8; 32] {
        self.0
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
        assert_eq!((config.settings.feed_items, config.settings.feed_content), (20, FeedContent::Full));
        assert_eq!(config.database.url, "sqlite://x.db");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let db = "\n[databases.folio]\nurl = 'sqlite://x.db'";
        for (toml, needle) in [
            ("posts_per_page = 0", "posts_per_page"),
            ("feed_items = 0", "feed_items"),
            ("feed_items = 101", "feed_items"),
            ("feed_content = 'summary'", "feed_content"),
            ("base_url = 'example.org'", "base_url"),
            ("base_url = 'ftp://example.org'", "base_url"),
            ("language = 'en us'", "language"),
            ("site_title = ' '", "site_title"),
            ("signup = 'sometimes'", "signup"),
            ("session_idle_timeout = 5", "session_idle_timeout"),
            ("client_ip_header = 'X-Real-IP: 1'", "client_ip_header"),
            ("smtp_url = 'http://mail.example.org'", "smtp_url"),
            ("mail_from = 'not an address'", "mail_from"),
            ("image_memory = 1000", "image_memory"),
            ("image_wait = 3600", "image_wait"),
            ("api_cors_origins = ['https://example.com/']", "api_cors_origins"),
            ("api_cors_origins = ['https://example.com/app']", "api_cors_origins"),
            ("api_cors_origins = ['example.com']", "api_cors_origins"),
            ("metrics_token = 'short'", "metrics_token"),
            ("request_log = 'xml'", "request_log"),
        ] {
            let err = parse(&format!("{toml}{db}")).expect_err(toml);
            assert!(err.contains(needle), "{err}");
        }
        let err = parse("site_title = 'x'").expect_err("no database");
        assert!(err.contains("databases.folio"), "{err}");
    }
}
