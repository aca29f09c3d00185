//! The sender task: claims due messages from the outbox, delivers them over SMTP, and reschedules
//! failures with exponential backoff. Runs in every process; claims keep them from colliding.

use std::pin::Pin;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncTransport, Message};

use super::Mailer;
use crate::db::Db;
use crate::db::outbox::{self, Mail};
use crate::domain::now;
use crate::metrics::Metrics;

/// How long a claimed message stays reserved for the process that claimed it.
const LEASE_SECS: i64 = 120;
/// The longest one delivery may take, whatever the server does: well inside the lease, so no
/// other process can claim a message while it is still being sent.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts before a message is marked failed (the last one about 10 hours after the first).
const MAX_ATTEMPTS: i64 = 12;
/// How often the outbox is polled when nobody wakes the sender (retries, other processes).
const POLL: Duration = Duration::from_secs(5);
/// How long a delivery under way may go on once shutdown begins. After it the delivery is
/// dropped (an SMTP server discards a message whose DATA never ended, RFC 5321 section 4.1.1.4)
/// and the claim released, so another process sends the message at once, not after the lease.
/// Inside Rocket's default grace and mercy (5 s) and systemd's stop timeout (30 s).
pub const DRAIN: Duration = Duration::from_secs(4);

/// How a round of deliveries ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Round {
    /// Every due message was tried; this many were sent.
    Done(usize),
    /// Shutdown began; the message under way was finished or released.
    Stopped,
}

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... capped at 2 hours.
pub fn backoff(attempts: i64) -> i64 {
    30 * 2_i64.pow(u32::try_from(attempts.clamp(0, 8)).unwrap_or(8)).min(240)
}

/// Delivers mail until `shutdown` resolves, counting failed rounds in `metrics`.
pub async fn run(db: Db, mailer: Mailer, metrics: Metrics, shutdown: rocket::Shutdown) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Without SMTP (maybe until the admin's settings give some), messages wait in the outbox.
        if mailer.is_configured() {
            match deliver_due(&db, &mailer, shutdown.as_mut()).await {
                Ok(Round::Stopped) => return,
                Ok(Round::Done(_)) => {}
                Err(e) => {
                    rocket::warn!("mail: outbox unavailable: {e}");
                    metrics.task_failed("mail");
                }
            }
        }
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = mailer.wake.notified() => {},
            _ = rocket::tokio::time::sleep(POLL) => {},
        }
    }
}

/// One round: send every due message, each claimed on its own, recording each outcome, until
/// none is due or `shutdown` resolves.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    mut shutdown: Pin<&mut rocket::Shutdown>,
) -> sqlx::Result<Round> {
    let mut sent = 0;
    while let Some(mail) = outbox::claim_next(db, now(), LEASE_SECS).await? {
        let mut delivery = std::pin::pin!(async {
            rocket::tokio::time::timeout(SEND_TIMEOUT, deliver(mailer, &mail))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())))
        });
        rocket::tokio::select! {
            biased;
            delivered = &mut delivery => {
                sent += usize::from(record(db, &mail, delivered).await?);
            }
            _ = &mut shutdown => {
                match rocket::tokio::time::timeout(DRAIN, &mut delivery).await {
                    Ok(delivered) => {
                        record(db, &mail, delivered).await?;
                    }
                    Err(_) => {
                        rocket::warn!("mail #{}: unfinished at shutdown; released for another process", mail.id);
                        outbox::release(db, mail.id).await?;
                    }
                }
                return Ok(Round::Stopped);
            }
        }
    }
    Ok(Round::Done(sent))
}

/// Records one delivery's outcome; `true` when the message went.
async fn record(db: &Db, mail: &Mail, delivered: Result<(), String>) -> sqlx::Result<bool> {
    match delivered {
        Ok(()) => {
            outbox::mark_sent(db, mail.id, now()).await?;
            Ok(true)
        }
        Err(error) => {
            let attempts = mail.attempts + 1;
            let retry_at = (attempts < MAX_ATTEMPTS).then(|| now() + backoff(attempts));
            rocket::warn!("mail #{} to {}: attempt {attempts} failed: {error}", mail.id, mail.recipient);
            outbox::mark_failed(db, mail.id, &error, retry_at, now()).await?;
            Ok(false)
        }
    }
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
        // Rocket's default grace and mercy together are 5 s.
        assert!(super::DRAIN < std::time::Duration::from_secs(5));
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let waits: Vec<i64> = (1..=10).map(super::backoff).collect();
        assert_eq!(waits[..4], [60, 120, 240, 480]);
        assert_eq!(waits[9], 7200);
    }
}
