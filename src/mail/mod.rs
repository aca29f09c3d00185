//! Outgoing mail. Every message goes into the database outbox first (so nothing is lost when the
//! process stops or the SMTP server is down); the [`sender`] task delivers it with retries.
//! Without an SMTP URL, messages are written to the log instead and stay in the outbox.

pub mod messages;
pub mod sender;

use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use rocket::tokio::sync::Notify;

use crate::config::Settings;
use crate::db::Db;
use crate::db::outbox::{self, NewMail};
use crate::domain::now;

/// Checks the mail settings at start-up; the error is one line for the operator.
pub fn check_config(smtp_url: &str, mail_from: &str) -> Result<(), String> {
    if !smtp_url.is_empty() {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("smtp_url is not usable ({e}): use smtp://HOST:PORT, add ?tls=required for STARTTLS, or smtps://HOST"))?;
    }
    mail_from.parse::<Mailbox>().map_err(|e| format!("mail_from `{mail_from}` is not an address: {e}"))?;
    Ok(())
}

/// The mail system as the application uses it: queue a message, and the sender is woken.
/// Clones share the transport and the wake-up signal.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    wake: Arc<Notify>,
}

impl Mailer {
    /// Builds the mailer from checked settings.
    pub fn new(settings: &Settings) -> Result<Mailer, String> {
        check_config(&settings.smtp_url, &settings.mail_from)?;
        let transport = if settings.smtp_url.is_empty() {
            None
        } else {
            let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
                .map_err(|e| format!("smtp_url: {e}"))?;
            Some(builder.timeout(Some(std::time::Duration::from_secs(20))).build())
        };
        let from = settings.mail_from.parse().map_err(|e| format!("mail_from: {e}"))?;
        Ok(Mailer { transport, from, wake: Arc::new(Notify::new()) })
    }

    /// Whether mail actually leaves the machine; pages that promise mail say so when it does not.
    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Stores `mail` in the outbox and wakes the sender. Returns once the message is durable.
    pub async fn queue(&self, db: &Db, mail: NewMail) -> sqlx::Result<()> {
        let id = outbox::enqueue(db, &mail, now()).await?;
        if self.is_configured() {
            self.wake.notify_one();
        } else {
            rocket::info!(
                "mail #{id} not sent (no smtp_url configured)\nTo: {}\nSubject: {}\n\n{}",
                mail.recipient,
                mail.subject,
                mail.text_body
            );
        }
        Ok(())
    }
}
