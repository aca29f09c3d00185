//! Presenting timestamps: human dates for readers, RFC 3339 for machines.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, macros::format_description};

use super::Timestamp;

fn to_datetime(ts: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "23 November 2026".
pub fn human(ts: Timestamp) -> String {
    let format = format_description!("[day padding:none] [month repr:long] [year]");
    to_datetime(ts).format(format).unwrap_or_default()
}

/// "2026-11-23T09:30:00Z", for `<time datetime>`, JSON-LD and OpenGraph.
pub fn iso(ts: Timestamp) -> String {
    to_datetime(ts).format(&Rfc3339).unwrap_or_default()
}

/// The moment an RFC 3339 date-time (`2026-11-23T09:30:00Z`, `…+01:00`) names, in Unix
/// seconds (fractions dropped); `None` if it is not one (RFC 3339, section 5.6).
pub fn parse_iso(text: &str) -> Option<Timestamp> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// The current time to the millisecond, "2026-12-05T04:50:00.123Z", for log lines (RFC 3339
/// with a fixed three-digit fraction, so lines sort as text).
pub fn log_time_now() -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::now_utc().format(format).unwrap_or_default()
}

/// "2026-11-23 09:30 UTC", for the admin's logs and histories.
pub fn utc_minute(ts: Timestamp) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    to_datetime(ts).format(format).unwrap_or_default()
}

/// How long ago `then` was at `now`, as readers say it ("just now", "5 minutes ago", "3 hours
/// ago", "yesterday", "12 days ago", "2 months ago", "3 years ago"), with the moment the words
/// next change. A page showing the words is true until then (the page cache keeps it no longer).
pub fn relative(then: Timestamp, now: Timestamp) -> (String, Timestamp) {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const MONTH: i64 = 30 * DAY;
    const YEAR: i64 = 365 * DAY;
    let age = now.saturating_sub(then).max(0);
    let plural =
        |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    // Each band: below `limit`, counted in `unit`; the words change at the next whole unit.
    let (words, unit) = match age {
        a if a < MINUTE => ("just now".to_owned(), MINUTE),
        a if a < HOUR => (plural(a / MINUTE, "minute"), MINUTE),
        a if a < DAY => (plural(a / HOUR, "hour"), HOUR),
        a if a < 2 * DAY => ("yesterday".to_owned(), DAY),
        a if a < MONTH => (plural(a / DAY, "day"), DAY),
        a if a < YEAR => (plural(a / MONTH, "month"), MONTH),
        a => (plural(a / YEAR, "year"), YEAR),
    };
    let mut next = then.saturating_add((age / unit + 1) * unit);
    if unit == MONTH {
        // Twelve 30-day months are 360 days: "1 year ago" comes at 365, before a 13th month.
        next = next.min(then.saturating_add(YEAR));
    }
    (words, next)
}

/// "3 December 2026 at 14:05 UTC", for a comment's exact time.
pub fn human_time(ts: Timestamp) -> String {
    let format = format_description!("[day padding:none] [month repr:long] [year] at [hour]:[minute] UTC");
    to_datetime(ts).format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_words_and_when_they_change() {
        assert_eq!(relative(1000, 1010), ("just now".to_owned(), 1060));
        assert_eq!(relative(0, 60), ("1 minute ago".to_owned(), 120));
        assert_eq!(relative(0, 3599), ("59 minutes ago".to_owned(), 3600));
        assert_eq!(relative(0, 7200), ("2 hours ago".to_owned(), 10_800));
        assert_eq!(relative(0, 86_400 + 5), ("yesterday".to_owned(), 2 * 86_400));
        assert_eq!(relative(0, 5 * 86_400), ("5 days ago".to_owned(), 6 * 86_400));
        assert_eq!(relative(0, 400 * 86_400).0, "1 year ago");
        // "12 months ago" turns into "1 year ago" at 365 days, not at 13 × 30.
        assert_eq!(relative(0, 360 * 86_400), ("12 months ago".to_owned(), 365 * 86_400));
        assert_eq!(relative(100, 50).0, "just now", "a clock behind the comment never says 'in'");
        assert_eq!(human_time(0), "1 January 1970 at 00:00 UTC");
    }

    #[test]
    fn formats_both_ways() {
        assert_eq!(human(1_795_420_800), "23 November 2026");
        assert_eq!(iso(1_795_420_800), "2026-11-23T08:00:00Z");
        assert_eq!(utc_minute(1_795_420_800), "2026-11-23 08:00 UTC");
    }
}
