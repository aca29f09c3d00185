//! Outgoing mail. Every message goes into the database outbox first (so nothing is lost when the
//! process stops or the SMTP server is down); the [`sender`] task delivers it with retries.
//! Without an SMTP URL, messages are written to the log instead and stay in the outbox.

pub mod messages;
pub mod sender;

use std::sync::{Arc, RwLock};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use rocket::tokio::sync::Notify;

use crate::db::Db;
use crate::db::outbox::{self, NewMail};
use crate::domain::now;
use crate::domain::site_settings;
use serde::Deserialize;

/// The mail keys of `Rocket.toml`, part of [`crate::config::Settings`] (documented there).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host:465`. Empty: mail is
    /// written to the log (and kept in the outbox) instead of sent.
    pub smtp_url: String,
    /// The From address of outgoing mail, e.g. `Folio <news@example.org>`.
    pub mail_from: String,
}

impl Default for MailSettings {
    fn default() -> MailSettings {
        MailSettings { smtp_url: String::new(), mail_from: "Folio <folio@localhost>".into() }
    }
}

impl MailSettings {
    /// Checks the settings at start-up; the error is one line for the operator.
    pub fn check(&self) -> Result<(), String> {
        check_config(&self.smtp_url, &self.mail_from)
    }
}

/// Checks an SMTP URL and a From address; the error is one line for the operator.
fn check_config(smtp_url: &str, mail_from: &str) -> Result<(), String> {
    if !smtp_url.is_empty() {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("smtp_url is not usable ({e}): use smtp://HOST:PORT, add ?tls=required for STARTTLS, or smtps://HOST"))?;
        // lettre's `smtp://` without `tls=required` is plain text: a password would cross the
        // network readable, unless the server is on this machine.
        if let Ok(url) = url::Url::parse(smtp_url) {
            let plain =
                url.scheme() == "smtp" && !url.query_pairs().any(|(k, v)| k == "tls" && v == "required");
            if plain
                && !url.username().is_empty()
                && !site_settings::is_loopback(url.host_str().unwrap_or(""))
            {
                return Err(
                    "smtp_url sends a password without TLS: use smtps://, or add ?tls=required".into()
                );
            }
        }
    }
    mail_from.parse::<Mailbox>().map_err(|e| format!("mail_from `{mail_from}` is not an address: {e}"))?;
    Ok(())
}

/// The SMTP connection and sender address in use.
pub struct Transport {
    pub smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub from: Mailbox,
    /// What `smtp` and `from` were built from, to notice a change.
    url: String,
    from_text: String,
}

impl Transport {
    fn build(smtp_url: &str, mail_from: &str) -> Result<Transport, String> {
        check_config(smtp_url, mail_from)?;
        let smtp = if smtp_url.is_empty() {
            None
        } else {
            let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
                .map_err(|e| format!("smtp_url: {e}"))?;
            Some(builder.timeout(Some(std::time::Duration::from_secs(20))).build())
        };
        let from = mail_from.parse().map_err(|e| format!("mail_from: {e}"))?;
        Ok(Transport { smtp, from, url: smtp_url.to_owned(), from_text: mail_from.to_owned() })
    }
}

/// The SMTP URL mail goes through: the one saved in the admin's settings if a host was saved
/// there, else `configured` (the configuration's `smtp_url`).
pub fn effective_smtp_url(configured: &str, saved: &[(String, String)]) -> String {
    let get = |key: &str| saved.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str());
    site_settings::smtp_url(
        get("smtp_host"),
        get("smtp_port"),
        get("smtp_security"),
        get("smtp_username"),
        get("smtp_password"),
    )
    .unwrap_or_else(|| configured.to_owned())
}

/// The mail system as the application uses it: queue a message, and the sender is woken.
/// The SMTP settings saved in the admin replace the configured ones while the process runs.
/// Clones share the transport and the wake-up signal.
#[derive(Clone)]
pub struct Mailer {
    configured: (String, String),
    current: Arc<RwLock<Arc<Transport>>>,
    wake: Arc<Notify>,
}

impl Mailer {
    /// Builds the mailer from checked settings.
    pub fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let transport = Transport::build(&settings.smtp_url, &settings.mail_from)?;
        Ok(Mailer {
            configured: (settings.smtp_url.clone(), settings.mail_from.clone()),
            current: Arc::new(RwLock::new(Arc::new(transport))),
            wake: Arc::new(Notify::new()),
        })
    }

    /// The transport in use now.
    pub fn transport(&self) -> Arc<Transport> {
        match self.current.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Applies the SMTP settings saved in the admin (`saved` are all site settings). A saved
    /// host replaces the configured `smtp_url`; an unusable combination keeps the current one.
    pub fn apply(&self, saved: &[(String, String)]) {
        let get = |key: &str| saved.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str());
        let url = effective_smtp_url(&self.configured.0, saved);
        let from = Some(get("mail_from")).filter(|f| !f.is_empty()).unwrap_or(&self.configured.1).to_owned();
        let current = self.transport();
        if current.url == url && current.from_text == from {
            return;
        }
        match Transport::build(&url, &from) {
            Ok(transport) => {
                let configured = transport.smtp.is_some();
                match self.current.write() {
                    Ok(mut t) => *t = Arc::new(transport),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(transport),
                }
                if configured {
                    self.wake.notify_one();
                }
            }
            Err(e) => rocket::warn!("saved mail settings not applied: {e}"),
        }
    }

    /// Wakes the sender: something is due (a mailing was just queued).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether mail actually leaves the machine; pages that promise mail say so when it does not.
    pub fn is_configured(&self) -> bool {
        self.transport().smtp.is_some()
    }

    /// Stores `mail` in the outbox and wakes the sender. Returns once the message is durable.
    pub async fn queue(&self, db: &Db, mail: NewMail) -> sqlx::Result<()> {
        let id = outbox::enqueue(db, &mail, now()).await?;
        self.queued(id, &mail);
        Ok(())
    }

    /// [`Mailer::queued`] for each of `mails`, stored as the outbox messages `ids` (in order) by
    /// the transaction of the change that caused them.
    pub fn queued_all(&self, ids: &[i64], mails: &[NewMail]) {
        for (id, mail) in ids.iter().zip(mails) {
            self.queued(*id, mail);
        }
    }

    /// Says that message `id` (`mail`) is in the outbox, written by a transaction of its own:
    /// wakes the sender, or without SMTP shows the operator the message.
    pub fn queued(&self, id: i64, mail: &NewMail) {
        if self.is_configured() {
            self.wake.notify_one();
        } else {
            // On standard error, not through Rocket's log: the release profile logs only critical
            // messages, and the operator must see the link to pass it on (`folio outbox` lists
            // these messages too).
            eprintln!(
                "folio: mail #{id} not sent (no SMTP server configured)\nTo: {}\nSubject: {}\n\n{}",
                mail.recipient, mail.subject, mail.text_body
            );
        }
    }
}
