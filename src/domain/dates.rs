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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_both_ways() {
        assert_eq!(human(1_795_420_800), "23 November 2026");
        assert_eq!(iso(1_795_420_800), "2026-11-23T08:00:00Z");
        assert_eq!(utc_minute(1_795_420_800), "2026-11-23 08:00 UTC");
    }
}
