//! The webhook sender task: each second it queues `post.published` for scheduled posts whose
//! moment passed, then claims due deliveries one at a time, POSTs each signed, logs the attempt
//! and reschedules failures with exponential backoff ([`crate::domain::webhooks::backoff`]).
//! Runs in every process; leases keep them from sending one delivery at once.

use std::time::{Duration, Instant};

use crate::db::Db;
use crate::db::webhooks::{self as queue, AttemptRecord, Due, Next};
use crate::domain::clock::Clock;
use crate::domain::webhooks::{MAX_ATTEMPTS, backoff, signature};
use crate::domain::{Timestamp, now};

use super::client::{describe, literal_refusal};

/// How long a claimed delivery stays reserved: several times the longest attempt
/// ([`super::client::REQUEST_TIMEOUT`]), so no other process claims it while it is under way.
const LEASE_SECS: i64 = 60;
/// How often the queue is polled. Short, so an event goes out within about a second; an idle
/// poll is one indexed UPDATE that matches nothing.
const POLL: Duration = Duration::from_secs(1);
/// Bytes of a failed response's body kept for the log; the rest is never read.
const BODY_CAP: usize = 512;

/// What the sender needs, fixed at start-up.
#[derive(Debug, Clone)]
pub struct Sender {
    pub db: Db,
    pub client: reqwest::Client,
    /// The managed clock: what is due, and which scheduled posts went live, is judged by it.
    pub clock: Clock,
    /// The site's base URL, for the `url` of scheduled posts' events.
    pub site_url: String,
    /// `webhooks_allow_private`: let hooks reach loopback and private addresses.
    pub allow_private: bool,
    /// Where failed rounds are counted (`task="webhooks"`).
    pub metrics: crate::metrics::Metrics,
}

/// Scans and delivers until `shutdown` resolves.
pub async fn run(sender: Sender, shutdown: rocket::Shutdown) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        if let Err(e) = super::scan_scheduled(&sender.db, &sender.site_url, sender.clock.now()).await {
            rocket::warn!("webhooks: cannot scan for scheduled posts: {e}");
            sender.metrics.task_failed("webhooks");
        }
        if let Err(e) = deliver_due(&sender).await {
            rocket::warn!("webhooks: queue unavailable: {e}");
            sender.metrics.task_failed("webhooks");
        }
        rocket::tokio::select! {
            _ = &mut shutdown => return,
            _ = rocket::tokio::time::sleep(POLL) => {},
        }
    }
}

/// One round: attempt every due delivery, each claimed on its own. Returns how many succeeded.
pub async fn deliver_due(sender: &Sender) -> sqlx::Result<usize> {
    let mut delivered = 0;
    while let Some(due) = queue::claim_next(&sender.db, sender.clock.now(), LEASE_SECS).await? {
        let started = Instant::now();
        let at = sender.clock.now();
        let result = attempt(sender, &due).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let number = due.attempts + 1;
        let (status_code, error) = match &result {
            Ok(code) => (Some(*code), String::new()),
            Err((code, error)) => (*code, error.clone()),
        };
        let round = number - due.round_start;
        let next = match result {
            Ok(_) => {
                delivered += 1;
                Next::Delivered
            }
            Err(_) if round < MAX_ATTEMPTS => Next::RetryAt(at + backoff(round)),
            Err(_) => Next::GiveUp,
        };
        if next != Next::Delivered {
            rocket::warn!("webhook {} ({}) attempt {number} failed: {error}", due.message_id, due.event);
        }
        let record = AttemptRecord { attempt: number, at, status_code, duration_ms, error: &error };
        queue::record(&sender.db, due.id, &record, next).await?;
    }
    Ok(delivered)
}

/// One POST of `due`: the status of a 2xx answer, else the status (if any) and what went wrong.
async fn attempt(sender: &Sender, due: &Due) -> Result<i64, (Option<i64>, String)> {
    let url = url::Url::parse(&due.url).map_err(|e| (None, format!("not a URL: {e}")))?;
    // Judged again at every attempt: the setting may have changed since the hook was saved.
    if let Some(refused) = literal_refusal(&url, sender.allow_private) {
        return Err((None, refused));
    }
    let key = signature::key(&due.secret).map_err(|e| (None, e.to_string()))?;
    // The receiver compares webhook-timestamp with its own clock: the wall clock's, not the
    // managed clock's (the same in production).
    let timestamp: Timestamp = now();
    let signed = signature::sign(&key, &due.message_id, timestamp, due.payload.as_bytes());
    let response = sender
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &due.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signed)
        .body(due.payload.clone())
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    let status = response.status();
    let code = Some(i64::from(status.as_u16()));
    if status.is_success() {
        return Ok(i64::from(status.as_u16()));
    }
    if status.is_redirection() {
        let to = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        return Err((code, format!("HTTP {status}: redirects are not followed (Location: {to})")));
    }
    Err((code, format!("HTTP {status}: {}", snippet(response).await)))
}

/// The start of a response body, at most [`BODY_CAP`] bytes read, as text.
async fn snippet(mut response: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < BODY_CAP {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(BODY_CAP - kept.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&kept).trim().chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_attempt_ends_well_inside_its_lease() {
        assert!(crate::webhooks::client::REQUEST_TIMEOUT.as_secs() as i64 * 3 <= super::LEASE_SECS);
    }
}
