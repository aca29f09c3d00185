//! Reading the Content API's query parameters: page size, cursors, dates, `fields` and
//! `include`. Every refusal names its parameter, and all of a request's refusals are reported
//! together in one 400 ([`AppError::BadRequest`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::domain::{Timestamp, dates};
use crate::web::error::{AppError, AppResult, Invalid};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 20;
/// The largest page a client may ask for.
pub const MAX_LIMIT: i64 = 100;

/// Collects the refusals of one request's parameters.
#[derive(Debug, Default)]
pub struct Checks(Vec<Invalid>);

impl Checks {
    fn refuse(&mut self, name: &str, reason: &str) {
        self.0.push(Invalid { name: name.to_owned(), reason: reason.to_owned() });
    }

    /// `limit`: a whole number from 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
    pub fn limit(&mut self, value: Option<&str>) -> i64 {
        match value.map(str::parse::<i64>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                self.refuse("limit", "must be a whole number from 1 to 100");
                DEFAULT_LIMIT
            }
        }
    }

    /// An RFC 3339 date-time parameter (`published_after`, `published_before`).
    pub fn date(&mut self, name: &str, value: Option<&str>) -> Option<Timestamp> {
        let value = value?;
        let parsed = dates::parse_iso(value);
        if parsed.is_none() {
            self.refuse(name, "must be an RFC 3339 date-time such as 2026-11-23T09:30:00Z");
        }
        parsed
    }

    /// `cursor`: `parts` whole numbers, as [`encode_cursor`] wrote them; `None` when absent.
    pub fn cursor(&mut self, value: Option<&str>, parts: usize) -> Option<Vec<i64>> {
        let value = value?;
        let decoded = URL_SAFE_NO_PAD
            .decode(value)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.split('.').map(|n| n.parse::<i64>().ok()).collect::<Option<Vec<_>>>())
            .filter(|numbers| numbers.len() == parts);
        if decoded.is_none() {
            self.refuse("cursor", "is not a cursor this list gave out; use meta.next as it is");
        }
        decoded
    }

    /// A comma-separated list of names, each one of `allowed` (`fields`, `include`).
    pub fn names(&mut self, name: &str, value: Option<&str>, allowed: &[&str]) -> Option<Vec<String>> {
        let value = value?;
        let names: Vec<String> = value.split(',').map(|n| n.trim().to_owned()).collect();
        if names.iter().any(|n| !allowed.contains(&n.as_str())) {
            self.refuse(name, &format!("takes names among: {}", allowed.join(", ")));
        }
        Some(names)
    }

    /// `Ok` if nothing was refused, else the 400 listing every refusal.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::BadRequest(self.0)) }
    }
}

/// An opaque cursor for a keyset position: base64url (RFC 4648, section 5) of the numbers
/// joined by dots. Opaque so that clients pass it back rather than build it.
pub fn encode_cursor(numbers: &[i64]) -> String {
    let text: Vec<String> = numbers.iter().map(i64::to_string).collect();
    URL_SAFE_NO_PAD.encode(text.join("."))
}

/// Cuts `rows` (read with one row beyond `limit`) to the page and returns the cursor of the
/// next page, if that extra row showed there is one.
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> Vec<i64>) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    rows.last().filter(|_| more).map(|last| encode_cursor(&key(last)))
}

/// Keeps only `fields` of a serialised object, when a client chose them.
pub fn select(value: Value, fields: Option<&[String]>) -> Value {
    match (value, fields) {
        (Value::Object(object), Some(fields)) => {
            let kept: Map<String, Value> = object.into_iter().filter(|(k, _)| fields.contains(k)).collect();
            Value::Object(kept)
        }
        (value, _) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let mut checks = Checks::default();
        let cursor = encode_cursor(&[1_700_000_000, 42]);
        assert_eq!(checks.cursor(Some(&cursor), 2), Some(vec![1_700_000_000, 42]));
        assert_eq!(checks.cursor(Some(&cursor), 1), None);
        assert_eq!(checks.cursor(Some("!!"), 2), None);
        assert_eq!(checks.limit(Some("0")), DEFAULT_LIMIT);
        assert_eq!(checks.limit(Some("100")), 100);
        assert!(checks.finish().is_err());
    }
}
