//! The sender task: claims due messages from the outbox, delivers them over SMTP, and reschedules
//! failures with exponential backoff. Runs in every process; claims keep them from colliding.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncTransport, Message};

use super::Mailer;
use crate::db::Db;
use crate::db::outbox::{self, Mail};
use crate::domain::now;

/// How long a claimed message stays reserved for the process that claimed it.
const LEASE_SECS: i64 = 120;
/// The longest one delivery may take, whatever the server does: well inside the lease, so no
/// other process can claim a message while it is still being sent.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts before a message is marked failed (the last one about 10 hours after the first).
const MAX_ATTEMPTS: i64 = 12;
/// How often the outbox is polled when nobody wakes the sender (retries, other processes).
const POLL: Duration = Duration::from_secs(5);

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... capped at 2 hours.
pub fn backoff(attempts: i64) -> i64 {
    30 * 2_i64.pow(u32::try_from(attempts.clamp(0, 8)).unwrap_or(8)).min(240)
}

/// Delivers mail until `shutdown` resolves.
pub async fn run(db: Db, mailer: Mailer, shutdown: rocket::Shutdown) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Without SMTP (maybe until the admin's settings give some), messages wait in the outbox.
        if mailer.is_configured()
            && let Err(e) = deliver_due(&db, &mailer).await
        {
            rocket::warn!("mail: outbox unavailable: {e}");
        }
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = mailer.wake.notified() => {},
            _ = rocket::tokio::time::sleep(POLL) => {},
        }
    }
}

/// One round: send every due message, each claimed on its own, recording each outcome.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> sqlx::Result<usize> {
    let mut sent = 0;
    while let Some(mail) = outbox::claim_next(db, now(), LEASE_SECS).await? {
        let delivered = rocket::tokio::time::timeout(SEND_TIMEOUT, deliver(mailer, &mail))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())));
        match delivered {
            Ok(()) => {
                outbox::mark_sent(db, mail.id, now()).await?;
                sent += 1;
            }
            Err(error) => {
                let attempts = mail.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS).then(|| now() + backoff(attempts));
                rocket::warn!("mail #{} to {}: attempt {attempts} failed: {error}", mail.id, mail.recipient);
                outbox::mark_failed(db, mail.id, &error, retry_at, now()).await?;
            }
        }
    }
    Ok(sent)
}

async fn deliver(mailer: &Mailer, mail: &Mail) -> Result<(), String> {
    let current = mailer.transport();
    let Some(transport) = &current.smtp else { return Err("no SMTP server configured".into()) };
    let to: Mailbox = mail.recipient.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let message = Message::builder()
        .from(current.from.clone())
        .to(to)
        .subject(&mail.subject)
        .multipart(MultiPart::alternative_plain_html(mail.text_body.clone(), mail.html_body.clone()))
        .map_err(|e| format!("cannot build message: {e}"))?;
    transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_delivery_ends_well_inside_its_lease() {
        assert!(super::SEND_TIMEOUT.as_secs() as i64 * 2 <= super::LEASE_SECS);
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let waits: Vec<i64> = (1..=10).map(super::backoff).collect();
        assert_eq!(waits[..4], [60, 120, 240, 480]);
        assert_eq!(waits[9], 7200);
    }
}
