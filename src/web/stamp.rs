//! [`Stamper`]: the request guard that hands out and checks public forms' stamps and signs
//! links in mail ([`crate::domain::form_stamp`]), with a key derived from the configured
//! `secret_key` ([`StampKey`]), so every process of a site agrees and nothing is stored per
//! visitor.

use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};

pub use crate::config::StampKey;
use crate::domain::Timestamp;
use crate::domain::clock::Clock;
use crate::domain::form_stamp::{self, Verdict};

/// The stamp key and the application's time for this request.
pub struct Stamper {
    key: [u8; 32],
    now: Timestamp,
}

impl Stamper {
    /// A stamp for a form serving `purpose`, handed out now.
    pub fn issue(&self, purpose: &str) -> String {
        form_stamp::issue(&self.key, purpose, self.now)
    }

    /// A stamp for a form serving `purpose` whose fields were filled on another page (the
    /// newsletter box on an article): handed out as if [`form_stamp::MIN_FILL_SECONDS`] ago,
    /// so confirming at once is not too quick. The honeypot and rate limits still apply.
    pub fn issue_filled(&self, purpose: &str) -> String {
        form_stamp::issue(&self.key, purpose, self.now - form_stamp::MIN_FILL_SECONDS)
    }

    /// What the submitted `stamp` says about a form serving `purpose`.
    pub fn check(&self, purpose: &str, stamp: &str) -> Verdict {
        form_stamp::check(&self.key, purpose, stamp, self.now)
    }

    /// The stamp a form shown again carries: the one it was sent with while that still holds, so
    /// fixing a field does not restart the fill time; a new one for a new form or a dead stamp.
    pub fn kept_or_fresh(&self, purpose: &str, sent: &str) -> String {
        match self.check(purpose, sent) {
            Verdict::Fine | Verdict::TooFast => sent.to_owned(),
            Verdict::Expired | Verdict::Forged => self.issue(purpose),
        }
    }

    /// A signature for a link's fixed part ([`form_stamp::sign`]).
    pub fn sign(&self, text: &str) -> String {
        form_stamp::sign(&self.key, text)
    }

    pub fn verify(&self, text: &str, signature: &str) -> bool {
        form_stamp::verify(&self.key, text, signature)
    }

    /// The application's time ([`Clock`]) when the request arrived.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Stamper {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let (Some(clock), Some(key)) = (req.rocket().state::<Clock>(), req.rocket().state::<StampKey>())
        else {
            return request::Outcome::Error((Status::InternalServerError, ()));
        };
        request::Outcome::Success(Stamper { key: key.bytes(), now: clock.now() })
    }
}
