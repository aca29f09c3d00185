//! The sender task: claims due messages from the outbox, delivers them over SMTP, and reschedules
//! failures with exponential backoff. Runs in every process; claims keep them from colliding.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncTransport, Message};

use super::Mailer;
use crate::db::Db;
use crate::db::mailings::{self, Bodies};
use crate::db::outbox::{self, Mail, Queue};
use crate::db::subscribers;
use crate::domain::newsletter::{Refusal, refusal};
use crate::domain::now;
use crate::metrics::Metrics;
use crate::newsletter::delivery::{Newsletter, Skip};

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
    /// Newsletter messages wait for the pace ([`crate::db::mailings::take_slot`]): this many
    /// were sent, and the next may go after the duration.
    Paced(usize, Duration),
    /// Shutdown began; the message under way was finished or released.
    Stopped,
}

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... capped at 2 hours.
pub fn backoff(attempts: i64) -> i64 {
    30 * 2_i64.pow(u32::try_from(attempts.clamp(0, 8)).unwrap_or(8)).min(240)
}

/// Delivers mail until `shutdown` resolves, counting failed rounds in `metrics`. Newsletter
/// messages go too when `newsletter` is given.
pub async fn run(
    db: Db,
    mailer: Mailer,
    newsletter: Option<Newsletter>,
    metrics: Metrics,
    shutdown: rocket::Shutdown,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let mut wait = POLL;
        // Without SMTP (maybe until the admin's settings give some), messages wait in the outbox.
        if mailer.is_configured() {
            match deliver_due(&db, &mailer, newsletter.as_ref(), shutdown.as_mut()).await {
                Ok(Round::Stopped) => return,
                Ok(Round::Done(_)) => {}
                Ok(Round::Paced(_, next)) => wait = next.min(POLL),
                Err(e) => {
                    rocket::warn!("mail: outbox unavailable: {e}");
                    metrics.task_failed("mail");
                }
            }
        }
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = mailer.wake.notified() => {},
            _ = rocket::tokio::time::sleep(wait) => {},
        }
    }
}

/// The next message to send: mail to one person first, then, at the newsletter's pace, a
/// newsletter message. `Err` with the wait when only paced newsletter messages are due.
async fn claim(db: &Db, newsletter: Option<&Newsletter>) -> sqlx::Result<Result<Option<Mail>, Duration>> {
    if let Some(mail) = outbox::claim_next(db, Queue::Personal, now(), LEASE_SECS).await? {
        return Ok(Ok(Some(mail)));
    }
    let Some(newsletter) = newsletter else { return Ok(Ok(None)) };
    if !outbox::newsletter_due(db, now()).await? {
        return Ok(Ok(None));
    }
    let interval = newsletter.interval_us();
    // A burst of up to a second's worth of messages (at least one) may go at once.
    let burst = (1_000_000 - interval).max(0);
    if let Some(wait) = mailings::take_slot(db, now_us(), interval, burst).await? {
        return Ok(Err(Duration::from_micros(u64::try_from(wait).unwrap_or(1))));
    }
    Ok(Ok(outbox::claim_next(db, Queue::Newsletter, now(), LEASE_SECS).await?))
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// One round: send every due message, each claimed on its own, recording each outcome, until
/// none is due, the newsletter's pace says wait, or `shutdown` resolves.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    newsletter: Option<&Newsletter>,
    mut shutdown: Pin<&mut rocket::Shutdown>,
) -> sqlx::Result<Round> {
    let mut sent = 0;
    let mut bodies = HashMap::new();
    loop {
        let mail = match claim(db, newsletter).await? {
            Ok(Some(mail)) => mail,
            Ok(None) => return Ok(Round::Done(sent)),
            Err(wait) => return Ok(Round::Paced(sent, wait)),
        };
        let message = match build(db, mailer, newsletter, &mail, &mut bodies).await? {
            Ok(message) => message,
            Err(Built::Skip(why)) => {
                outbox::mark_dropped(db, mail.id, why, false, now()).await?;
                continue;
            }
            Err(Built::Bad(error)) => {
                record(db, &mail, Err(error), newsletter).await?;
                continue;
            }
        };
        let mut delivery = std::pin::pin!(async {
            rocket::tokio::time::timeout(SEND_TIMEOUT, deliver(mailer, message)).await.unwrap_or_else(|_| {
                Err(Failure::NoAnswer(format!(
                    "no answer within {} s: it may have been delivered",
                    SEND_TIMEOUT.as_secs()
                )))
            })
        });
        rocket::tokio::select! {
            biased;
            delivered = &mut delivery => {
                sent += usize::from(record(db, &mail, delivered, newsletter).await?);
            }
            _ = &mut shutdown => {
                match rocket::tokio::time::timeout(DRAIN, &mut delivery).await {
                    Ok(delivered) => {
                        record(db, &mail, delivered, newsletter).await?;
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
}

/// Why a delivery failed.
#[derive(Debug)]
enum Failure {
    /// Worth another try later (4xx, a connection that failed, our own credentials refused).
    Temporary(String),
    /// The server refused the message for good (5xx, RFC 5321 section 4.2.1).
    Permanent(String),
    /// Refused for good because of the recipient's mailbox ([`Refusal::Bounce`]).
    Bounce(String),
    /// The server did not answer in time: the message may or may not have gone.
    NoAnswer(String),
}

/// Why a message was not built.
enum Built {
    /// A newsletter message with nobody (any more) to send it to: dropped, not failed.
    Skip(&'static str),
    /// Something in the message itself is wrong (a bad address).
    Bad(Failure),
}

/// Records one delivery's outcome; `true` when the message went. A newsletter message is
/// tried again only when it surely did not go (a temporary refusal or a failed connection):
/// refused for good, it is given up on (and counts as a bounce when the mailbox was at fault);
/// without an answer, it may have gone, so it waits for the admin's retry. Mail to one person is
/// tried again in every case but success, up to [`MAX_ATTEMPTS`].
async fn record(
    db: &Db,
    mail: &Mail,
    delivered: Result<(), Failure>,
    newsletter: Option<&Newsletter>,
) -> sqlx::Result<bool> {
    let now = now();
    let error = match (delivered, mail.subscriber_id) {
        (Ok(()), subscriber) => {
            outbox::mark_sent(db, mail.id, now).await?;
            if let Some(subscriber) = subscriber {
                subscribers::delivered(db, subscriber).await?;
            }
            return Ok(true);
        }
        (Err(Failure::Bounce(error)), Some(subscriber)) => {
            let limit = newsletter.map_or(1, |n| i64::from(n.settings.newsletter_bounce_limit));
            subscribers::bounced(db, subscriber, &error, limit, now).await?;
            rocket::warn!("mail #{} to {}: refused for good: {error}", mail.id, mail.recipient);
            outbox::mark_dropped(db, mail.id, &error, true, now).await?;
            return Ok(false);
        }
        (Err(Failure::Permanent(error) | Failure::NoAnswer(error)), Some(_)) => {
            rocket::warn!("mail #{} to {}: given up: {error}", mail.id, mail.recipient);
            outbox::mark_dropped(db, mail.id, &error, false, now).await?;
            return Ok(false);
        }
        (
            Err(Failure::Temporary(e) | Failure::Permanent(e) | Failure::Bounce(e) | Failure::NoAnswer(e)),
            _,
        ) => e,
    };
    let attempts = mail.attempts + 1;
    let retry_at = (attempts < MAX_ATTEMPTS).then(|| now + backoff(attempts));
    rocket::warn!("mail #{} to {}: attempt {attempts} failed: {error}", mail.id, mail.recipient);
    outbox::mark_failed(db, mail.id, &error, retry_at, now).await?;
    Ok(false)
}

/// The message `mail` stands for: its own bodies, or for a newsletter row the mailing's with
/// the subscriber's links and the list headers; DKIM-signed when a key is configured.
async fn build(
    db: &Db,
    mailer: &Mailer,
    newsletter: Option<&Newsletter>,
    mail: &Mail,
    bodies: &mut HashMap<i64, Arc<Bodies>>,
) -> sqlx::Result<Result<Message, Built>> {
    let current = mailer.transport();
    let to: Mailbox = match mail.recipient.parse() {
        Ok(to) => to,
        Err(e) => return Ok(Err(Built::Bad(Failure::Permanent(format!("bad recipient: {e}"))))),
    };
    let mut builder = Message::builder().from(current.from.clone()).to(to);
    let (subject, text, html) = match (mail.mailing_id, newsletter) {
        (Some(_), Some(newsletter)) => match newsletter.personal(db, mail, bodies).await? {
            Ok(p) => {
                builder = builder.message_id(Some(p.message_id));
                for header in p.headers {
                    builder = builder.raw_header(header);
                }
                (p.subject, p.text_body, p.html_body)
            }
            Err(Skip::NotSubscribed) => return Ok(Err(Built::Skip("not subscribed when its turn came"))),
            Err(Skip::NoMailing) => return Ok(Err(Built::Skip("its mailing is gone"))),
        },
        (Some(_), None) => return Ok(Err(Built::Skip("the newsletter is not set up in this process"))),
        (None, _) => (mail.subject.clone(), mail.text_body.clone(), mail.html_body.clone()),
    };
    let message = builder.subject(subject).multipart(MultiPart::alternative_plain_html(text, html));
    let mut message = match message {
        Ok(m) => m,
        Err(e) => return Ok(Err(Built::Bad(Failure::Permanent(format!("cannot build message: {e}"))))),
    };
    if let Some(dkim) = newsletter.and_then(|n| n.dkim.as_deref()) {
        lettre::message::dkim::dkim_sign(&mut message, dkim);
    }
    Ok(Ok(message))
}

async fn deliver(mailer: &Mailer, message: Message) -> Result<(), Failure> {
    let current = mailer.transport();
    let Some(transport) = &current.smtp else {
        return Err(Failure::Temporary("no SMTP server configured".into()));
    };
    transport.send(message).await.map(|_| ()).map_err(|e| {
        let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
        match code.filter(|_| e.is_permanent()) {
            None => Failure::Temporary(e.to_string()),
            Some(code) => match refusal(code, &e.to_string()) {
                Refusal::Bounce => Failure::Bounce(e.to_string()),
                Refusal::OurSide => Failure::Temporary(e.to_string()),
                Refusal::Message => Failure::Permanent(e.to_string()),
            },
        }
    })
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
