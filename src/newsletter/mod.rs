//! The newsletter's machinery beside the web server: the settings of `Rocket.toml`, the scan that
//! turns posts due to be sent (and digests due) into mailings with one outbox row per
//! subscriber ([`mailings`]), and what the mail sender needs to send such a row ([`delivery`]).

pub mod delivery;
pub mod mailings;

use serde::Deserialize;

use crate::domain::newsletter::DigestPeriod;

/// The newsletter keys of `Rocket.toml`, part of [`crate::config::Settings`] (flattened, so at
/// the top level of the file like every other key).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct NewsletterSettings {
    /// How often digest subscribers get mail: `monthly` (on the 1st) or `weekly` (on Mondays).
    pub newsletter_digest: DigestPeriod,
    /// The hour (UTC, 0 to 23) digests go out.
    pub newsletter_digest_hour: u32,
    /// Newsletter messages sent per minute at most, by all processes together (1 to 100,000).
    /// Mail to one person (confirmations, password resets) goes first and is not counted.
    pub newsletter_rate: u32,
    /// Permanent refusals (SMTP 5xx) after which an address is marked bounced and skipped.
    pub newsletter_bounce_limit: u32,
    /// DKIM signing (RFC 6376) of all outgoing mail, for sites that send through their own mail
    /// server: the selector (`folio` for `folio._domainkey.example.org`) and the signing domain.
    /// Empty: no signature (a mail service usually signs for you).
    pub dkim_selector: String,
    pub dkim_domain: String,
    /// The DKIM private key's file: RSA in PKCS#1 PEM, or Ed25519 as base64.
    pub dkim_private_key: String,
}

impl Default for NewsletterSettings {
    fn default() -> NewsletterSettings {
        NewsletterSettings {
            newsletter_digest: DigestPeriod::Monthly,
            newsletter_digest_hour: 8,
            newsletter_rate: 600,
            newsletter_bounce_limit: 2,
            dkim_selector: String::new(),
            dkim_domain: String::new(),
            dkim_private_key: String::new(),
        }
    }
}

impl NewsletterSettings {
    /// Checks the settings at start-up; the error is one line for the operator.
    pub fn check(&self) -> Result<(), String> {
        if self.newsletter_digest_hour > 23 {
            return Err("newsletter_digest_hour must be an hour of the day, 0 to 23 (UTC)".into());
        }
        if !(1..=100_000).contains(&self.newsletter_rate) {
            return Err("newsletter_rate must be between 1 and 100000 messages per minute".into());
        }
        if !(1..=100).contains(&self.newsletter_bounce_limit) {
            return Err("newsletter_bounce_limit must be between 1 and 100".into());
        }
        let dkim = [&self.dkim_selector, &self.dkim_domain, &self.dkim_private_key];
        if dkim.iter().any(|v| !v.is_empty()) {
            if dkim.iter().any(|v| v.is_empty()) {
                return Err(
                    "DKIM needs all of dkim_selector, dkim_domain and dkim_private_key, or none".into()
                );
            }
            delivery::dkim_config(self)?;
        }
        Ok(())
    }

    /// The digest period as readers are told it: `monthly` or `weekly`.
    pub fn digest_word(&self) -> &'static str {
        match self.newsletter_digest {
            DigestPeriod::Monthly => "monthly",
            DigestPeriod::Weekly => "weekly",
        }
    }
}
