//! The newsletter's rules: a subscriber's status and cadence, the editor's sending choice, the
//! links every mail carries (signed, so nothing is stored per link), the digest's periods, and
//! CSV cells made safe for spreadsheets.

use time::{Date, Duration, Month, OffsetDateTime};

use super::Timestamp;

/// Where a subscriber stands. Stored as [`Status::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Signed up; the confirmation mail's link is not yet followed (double opt-in).
    Unconfirmed,
    Subscribed,
    Unsubscribed,
    /// Permanent refusals reached the limit; nothing more is sent.
    Bounced,
}

impl Status {
    pub const ALL: [Status; 4] =
        [Status::Unconfirmed, Status::Subscribed, Status::Unsubscribed, Status::Bounced];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unconfirmed => "unconfirmed",
            Status::Subscribed => "subscribed",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What a subscriber receives. Stored as [`Cadence::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cadence {
    /// Each post sent by the editors, when it is published.
    #[default]
    EveryPost,
    /// One mail per period ([`DigestPeriod`]) listing the posts published in it.
    Digest,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::EveryPost => "post",
            Cadence::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Cadence> {
        match s {
            "post" => Some(Cadence::EveryPost),
            "digest" => Some(Cadence::Digest),
            _ => None,
        }
    }
}

/// The editor's choice when saving a post. Stored in `posts.newsletter` as [`Sending::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sending {
    /// Publish only.
    #[default]
    None,
    /// Publish, and mail it to every-post subscribers when it becomes visible.
    Send,
    /// Mail only: the post stays a draft on the site and is mailed at its moment.
    Only,
}

impl Sending {
    pub fn as_str(self) -> &'static str {
        match self {
            Sending::None => "",
            Sending::Send => "send",
            Sending::Only => "only",
        }
    }

    pub fn parse(s: &str) -> Option<Sending> {
        match s {
            "" | "none" => Some(Sending::None),
            "send" => Some(Sending::Send),
            "only" => Some(Sending::Only),
            _ => None,
        }
    }
}

/// How often digests go out (`newsletter_digest` in `Rocket.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestPeriod {
    /// On the first day of each month.
    #[default]
    Monthly,
    /// On each Monday (ISO 8601 weeks).
    Weekly,
}

/// One digest: its name (unique per period, so two processes make it once) and its moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestDue {
    /// `2026-12` for the digest sent on 1 December 2026, `2026-W49` for the one sent on the
    /// Monday of ISO week 49.
    pub key: String,
    /// When it is sent (Unix seconds), and the end of the posts it lists.
    pub at: Timestamp,
    /// The previous digest's moment: where its posts begin when no digest was sent before.
    pub previous: Timestamp,
}

/// The latest digest moment at or before `now`: `hour` o'clock UTC on the first of the month or
/// on Monday.
pub fn digest_due(period: DigestPeriod, hour: u32, now: Timestamp) -> Option<DigestDue> {
    let today = OffsetDateTime::from_unix_timestamp(now).ok()?.date();
    let hour = u8::try_from(hour.min(23)).ok()?;
    let at = |d: Date| d.with_hms(hour, 0, 0).ok().map(|t| t.assume_utc().unix_timestamp());
    match period {
        DigestPeriod::Monthly => {
            let first = |y: i32, m: Month| Date::from_calendar_date(y, m, 1).ok();
            let back = |d: Date| {
                if d.month() == Month::January {
                    first(d.year() - 1, Month::December)
                } else {
                    first(d.year(), d.month().previous())
                }
            };
            let mut day = first(today.year(), today.month())?;
            if at(day)? > now {
                day = back(day)?;
            }
            let previous = at(back(day)?)?;
            Some(DigestDue {
                key: format!("{}-{:02}", day.year(), u8::from(day.month())),
                at: at(day)?,
                previous,
            })
        }
        DigestPeriod::Weekly => {
            let mut day = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
            if at(day)? > now {
                day -= Duration::days(7);
            }
            let (year, week, _) = day.to_iso_week_date();
            let previous = at(day - Duration::days(7))?;
            Some(DigestDue { key: format!("{year}-W{week:02}"), at: at(day)?, previous })
        }
    }
}

/// What a permanent SMTP refusal (5xx) of a newsletter message means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The recipient's mailbox: counts towards the subscriber's bounce limit.
    Bounce,
    /// Our side (authentication, the sender's address): not the reader's fault; try again later.
    OurSide,
    /// Anything else (policy, size): this message is given up on, with a retry in the report.
    Message,
}

/// Reads a 5xx reply: `code` and its text, which may start with an enhanced status code
/// (RFC 3463: `5.1.1` bad mailbox, `5.2.x` mailbox status, `5.7.x` security or policy).
/// Authentication replies (530, 534, 535, 538; RFC 4954) are [`Refusal::OurSide`]; 550, 551
/// and 553 (RFC 5321 section 4.2.3: mailbox unavailable, not local, name not allowed) and
/// `5.1.x` or `5.2.x` are bounces, unless the text says `5.7.x` (refused by policy).
pub fn refusal(code: u16, text: &str) -> Refusal {
    let enhanced = text.split_whitespace().find(|w| w.starts_with("5.") && w.split('.').count() == 3);
    let policy = enhanced.is_some_and(|e| e.starts_with("5.7."));
    let mailbox = enhanced.is_some_and(|e| e.starts_with("5.1.") || e.starts_with("5.2."));
    match code {
        530 | 534 | 535 | 538 => Refusal::OurSide,
        _ if policy => Refusal::Message,
        550 | 551 | 553 => Refusal::Bounce,
        _ if mailbox => Refusal::Bounce,
        _ => Refusal::Message,
    }
}

/// The signed text behind a subscriber's links (manage, one-click unsubscribe). The address is
/// part of it, so the links die if the row is ever given to another address.
pub fn link_text(subscriber_id: i64, email: &str) -> String {
    format!("newsletter\n{subscriber_id}\n{email}")
}

/// The subscriber's own page (cadence, leave, come back), `/newsletter/<id>/<signature>`, where
/// `signature` signs [`link_text`].
pub fn manage_path(subscriber_id: i64, signature: &str) -> String {
    format!("/newsletter/{subscriber_id}/{signature}")
}

/// RFC 8058's one-click address, `/unsubscribe/<id>/<signature>`, with the same signature.
pub fn unsubscribe_path(subscriber_id: i64, signature: &str) -> String {
    format!("/unsubscribe/{subscriber_id}/{signature}")
}

/// The signed text behind a confirmation link: it names the sign-up it confirms (`created_at`),
/// and holds for [`CONFIRM_DAYS`] from then.
pub fn confirm_text(subscriber_id: i64, email: &str, signed_up_at: Timestamp) -> String {
    format!("newsletter-confirm\n{subscriber_id}\n{email}\n{signed_up_at}")
}

/// Days a confirmation link holds, as an account's does (`mail::messages::LINK_DAYS`).
pub const CONFIRM_DAYS: i64 = 7;

/// The placeholders a mailing's stored bodies carry, filled per subscriber when sent: the page
/// to change the cadence or leave, and the one-click unsubscribe address.
pub const MANAGE_PLACEHOLDER: &str = "%%FOLIO_MANAGE_URL%%";
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%FOLIO_UNSUBSCRIBE_URL%%";

/// A cell as a CSV export writes it: one that a spreadsheet would read as a formula (it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP's "CSV
/// Injection" advice gives, so it shows as text.
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// Whether a CSV import's `confirmed` column says the address was confirmed: `yes`, `true`,
/// `1` or `confirmed`, in any case. Anything else (or no such column) means it was not.
pub fn says_confirmed(cell: &str) -> bool {
    matches!(cell.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "y" | "confirmed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i32, m: u8, d: u8, h: u8) -> Timestamp {
        let month = Month::try_from(m).expect("month");
        Date::from_calendar_date(y, month, d)
            .expect("date")
            .with_hms(h, 0, 0)
            .expect("time")
            .assume_utc()
            .unix_timestamp()
    }

    #[test]
    fn monthly_digests_fall_on_the_first_at_the_hour() {
        let due = digest_due(DigestPeriod::Monthly, 8, ts(2026, 12, 5, 10)).expect("due");
        assert_eq!(
            (due.key.as_str(), due.at, due.previous),
            ("2026-12", ts(2026, 12, 1, 8), ts(2026, 11, 1, 8))
        );
        // Before the hour on the first, the month before is the latest.
        let early = digest_due(DigestPeriod::Monthly, 8, ts(2027, 1, 1, 7)).expect("due");
        assert_eq!((early.key.as_str(), early.at), ("2026-12", ts(2026, 12, 1, 8)));
        let january = digest_due(DigestPeriod::Monthly, 8, ts(2027, 1, 1, 8)).expect("due");
        assert_eq!((january.key.as_str(), january.previous), ("2027-01", ts(2026, 12, 1, 8)));
    }

    #[test]
    fn weekly_digests_fall_on_mondays() {
        // 5 December 2026 is a Saturday; that week's Monday is 30 November (ISO week 49).
        let due = digest_due(DigestPeriod::Weekly, 6, ts(2026, 12, 5, 10)).expect("due");
        assert_eq!(
            (due.key.as_str(), due.at, due.previous),
            ("2026-W49", ts(2026, 11, 30, 6), ts(2026, 11, 23, 6))
        );
        let monday_early = digest_due(DigestPeriod::Weekly, 6, ts(2026, 11, 30, 5)).expect("due");
        assert_eq!(monday_early.key, "2026-W48");
    }

    #[test]
    fn only_mailbox_refusals_are_bounces() {
        assert_eq!(refusal(550, "Mailbox unavailable"), Refusal::Bounce);
        assert_eq!(refusal(550, "5.1.1 <x@example.org>: user unknown"), Refusal::Bounce);
        assert_eq!(refusal(552, "5.2.2 mailbox full"), Refusal::Bounce);
        assert_eq!(refusal(535, "5.7.8 Authentication credentials invalid"), Refusal::OurSide);
        assert_eq!(refusal(530, "Authentication required"), Refusal::OurSide);
        assert_eq!(refusal(550, "5.7.1 Sender address rejected: not owned by user"), Refusal::Message);
        assert_eq!(refusal(554, "Transaction failed"), Refusal::Message);
        assert_eq!(refusal(552, "Message size exceeds fixed limit"), Refusal::Message);
    }

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for bad in ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        for fine in ["ann@example.org", "", "2026-12-05", "a=b"] {
            assert_eq!(csv_cell(fine), fine);
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for c in [Cadence::EveryPost, Cadence::Digest] {
            assert_eq!(Cadence::parse(c.as_str()), Some(c));
        }
        for s in [Sending::None, Sending::Send, Sending::Only] {
            assert_eq!(Sending::parse(s.as_str()), Some(s));
        }
        assert!(says_confirmed(" Yes ") && !says_confirmed("no") && !says_confirmed(""));
    }
}
