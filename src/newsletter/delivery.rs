//! What the mail sender needs to send a newsletter message: the mailing's bodies with the
//! subscriber's own links filled in, the list headers mail clients and Gmail's and Yahoo's
//! bulk-sender rules (2024) ask for, and the DKIM key.

use std::collections::HashMap;
use std::sync::Arc;

use lettre::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
use lettre::message::header::{HeaderName, HeaderValue};

use super::NewsletterSettings;
use crate::db::mailings::{self, Bodies};
use crate::db::outbox::Mail;
use crate::db::{Db, subscribers};
use crate::domain::form_stamp;
use crate::domain::newsletter::{self as rules, MANAGE_PLACEHOLDER, Status, UNSUBSCRIBE_PLACEHOLDER};

/// Fixed at start-up: where links point, the key they are signed with, the pace and the
/// bounce limit, and the DKIM key if one is configured.
#[derive(Clone)]
pub struct Newsletter {
    pub site_url: String,
    pub site_title: String,
    /// The key of `config::StampKey` (so the web's pages accept these links).
    pub link_key: [u8; 32],
    pub settings: NewsletterSettings,
    pub dkim: Option<Arc<DkimConfig>>,
}

impl std::fmt::Debug for Newsletter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Newsletter").field("site_url", &self.site_url).finish_non_exhaustive()
    }
}

/// A newsletter message ready to hand to SMTP.
pub struct Personal {
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// `List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id` (RFC 2369, RFC 8058, RFC 2919).
    pub headers: Vec<HeaderValue>,
    /// `<mailing-7.subscriber-42@example.org>`: the same on every attempt (RFC 5322 section
    /// 3.6.4), so a client that got a message twice shows it once.
    pub message_id: String,
}

/// Why a newsletter message is not sent.
pub enum Skip {
    /// The subscriber left, bounced or was removed after the mailing was queued.
    NotSubscribed,
    /// The mailing was deleted.
    NoMailing,
}

impl Newsletter {
    /// The interval between two messages at the configured rate, in microseconds (exact to
    /// within 0.002 % at the highest rate, 100,000 a minute).
    pub fn interval_us(&self) -> i64 {
        60_000_000 / i64::from(self.settings.newsletter_rate.max(1))
    }

    fn host(&self) -> String {
        url::Url::parse(&self.site_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into())
    }

    /// `mail` (a newsletter row) as it goes to its subscriber, with the mailing's bodies taken
    /// from `cache` (loaded once per mailing).
    pub async fn personal(
        &self,
        db: &Db,
        mail: &Mail,
        cache: &mut HashMap<i64, Arc<Bodies>>,
    ) -> sqlx::Result<Result<Personal, Skip>> {
        let (Some(mailing_id), Some(subscriber_id)) = (mail.mailing_id, mail.subscriber_id) else {
            return Ok(Err(Skip::NoMailing));
        };
        let subscriber = subscribers::find(db, subscriber_id).await?;
        // The address the row was queued for: a subscriber removed and their id given to someone
        // else (it is not, but the check costs nothing) must not get the new one's links.
        let subscriber = subscriber.filter(|s| s.status() == Status::Subscribed && s.email == mail.recipient);
        let Some(subscriber) = subscriber else {
            return Ok(Err(Skip::NotSubscribed));
        };
        let bodies = match cache.get(&mailing_id) {
            Some(b) => Arc::clone(b),
            None => {
                let Some(b) = mailings::bodies(db, mailing_id).await? else {
                    return Ok(Err(Skip::NoMailing));
                };
                let b = Arc::new(b);
                cache.insert(mailing_id, Arc::clone(&b));
                b
            }
        };
        let signature = form_stamp::sign(&self.link_key, &rules::link_text(subscriber.id, &subscriber.email));
        let base = self.site_url.trim_end_matches('/');
        let manage = format!("{base}{}", rules::manage_path(subscriber.id, &signature));
        let unsubscribe = format!("{base}{}", rules::unsubscribe_path(subscriber.id, &signature));
        let fill = |body: &str| {
            body.replace(MANAGE_PLACEHOLDER, &manage).replace(UNSUBSCRIBE_PLACEHOLDER, &unsubscribe)
        };
        let host = self.host();
        let header =
            |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        let list_name = bodies.site_title.replace(['"', '\\', '\r', '\n'], "");
        Ok(Ok(Personal {
            subject: bodies.subject.clone(),
            text_body: fill(&bodies.text_body),
            html_body: fill(&bodies.html_body),
            headers: vec![
                header("List-Unsubscribe", format!("<{unsubscribe}>")),
                header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
                header("List-Id", format!("\"{list_name}\" <newsletter.{host}>")),
            ],
            message_id: format!("<mailing-{mailing_id}.subscriber-{}@{host}>", subscriber.id),
        }))
    }
}

/// The DKIM signing configuration `settings` give, or `None` when DKIM is off. The key file
/// holds an RSA key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`; `openssl rsa -traditional`
/// converts a PKCS#8 one), or an Ed25519 key as base64 (RFC 8463); the error is one line for the
/// operator.
pub fn dkim_config(settings: &NewsletterSettings) -> Result<Option<DkimConfig>, String> {
    if settings.dkim_private_key.is_empty() {
        return Ok(None);
    }
    let pem = std::fs::read_to_string(&settings.dkim_private_key)
        .map_err(|e| format!("dkim_private_key `{}` cannot be read: {e}", settings.dkim_private_key))?;
    let algorithm = if pem.trim_start().starts_with("-----") {
        DkimSigningAlgorithm::Rsa
    } else {
        DkimSigningAlgorithm::Ed25519
    };
    let key = DkimSigningKey::new(pem.trim(), algorithm).map_err(|e| {
        format!("dkim_private_key is not an RSA key in PKCS#1 PEM nor an Ed25519 key in base64: {e}")
    })?;
    let headers =
        ["From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"]
            .into_iter()
            .map(HeaderName::new_from_ascii_str)
            .collect();
    let canonicalization = lettre::message::dkim::DkimCanonicalization {
        header: lettre::message::dkim::DkimCanonicalizationType::Relaxed,
        body: lettre::message::dkim::DkimCanonicalizationType::Relaxed,
    };
    Ok(Some(DkimConfig::new(
        settings.dkim_selector.clone(),
        settings.dkim_domain.clone(),
        key,
        headers,
        canonicalization,
    )))
}
