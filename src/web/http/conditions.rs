//! Validators and preconditions (RFC 9110, section 8.8 and 13): the strong ETag of a body, one
//! per content coding, and whether `If-None-Match` or `If-Modified-Since` lets a GET be answered
//! `304 Not Modified`. Plain functions over bytes and header values, so the page cache of issue 15
//! can compute a body's tag once and store it beside the body.

use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::encoding::Encoding;

/// The opaque part of a body's strong entity tag: the first 128 bits of its SHA-256, in hex
/// (32 characters), without quotes. A collision would show a reader an old page, so a
/// cryptographic hash rather than a checksum (SHA-256 is already built: the asset versions use
/// it); 128 bits keep the header short at no practical risk. It costs one pass over the body,
/// well under rendering it; the page cache will compute it once per body.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The strong entity tag, quoted, of the representation with `fingerprint` sent in `encoding`.
/// A strong tag must differ between the encodings of one resource (RFC 9110, section 8.8.3), so
/// a compressed one carries the coding as a suffix: `"abc…"`, `"abc…-br"`, `"abc…-gz"`.
pub fn entity_tag(fingerprint: &str, encoding: Encoding) -> String {
    match encoding.tag_suffix() {
        "" => format!("\"{fingerprint}\""),
        suffix => format!("\"{fingerprint}-{suffix}\""),
    }
}

/// Whether `if_none_match` (the header's values, comma-separated lists allowed) names the
/// representation tagged `etag`, by the weak comparison `If-None-Match` uses (RFC 9110, section
/// 13.1.2): `W/"x"` matches `"x"`, and `*` matches any current representation.
pub fn none_match_fails(if_none_match: &str, etag: &str) -> bool {
    let ours = opaque(etag);
    if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || (!tag.is_empty() && opaque(tag) == ours))
}

/// The quoted part of a tag, without a weakness indicator.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Whether a representation last modified at `last_modified` (an HTTP date, as sent) is unchanged
/// since the client's `If-Modified-Since`. A date that does not parse, or one in the future of
/// `now`, is ignored (RFC 9110, section 13.1.3), and so the answer is then "modified".
pub fn unmodified_since(if_modified_since: &str, last_modified: &str, now: SystemTime) -> bool {
    let (Ok(since), Ok(modified)) =
        (httpdate::parse_http_date(if_modified_since.trim()), httpdate::parse_http_date(last_modified))
    else {
        return false;
    };
    since <= now && modified <= since
}

/// An HTTP date (IMF-fixdate, RFC 9110, section 5.6.7) for a Unix time in seconds.
pub fn http_date(unix_seconds: i64) -> String {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(unix_seconds).unwrap_or(0));
    httpdate::fmt_http_date(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_per_coding_and_match_weakly() {
        let f = fingerprint(b"hello");
        assert_eq!(f.len(), 32);
        let plain = entity_tag(&f, Encoding::Identity);
        let br = entity_tag(&f, Encoding::Brotli);
        assert_ne!(plain, br);
        assert!(br.ends_with("-br\""));
        assert!(none_match_fails(&plain, &plain));
        assert!(none_match_fails(&format!("W/{plain}"), &plain));
        assert!(none_match_fails(&format!("\"x\", {br} , \"y\""), &br));
        assert!(none_match_fails("*", &br));
        assert!(!none_match_fails(&plain, &br));
        assert!(!none_match_fails("", &plain));
        assert!(!none_match_fails(&f, &plain), "an unquoted tag is not the tag");
    }

    #[test]
    fn dates_compare_and_bad_ones_are_ignored() {
        let now = SystemTime::now();
        let modified = http_date(1_700_000_000);
        assert_eq!(modified, "Tue, 14 Nov 2023 22:13:20 GMT");
        assert!(unmodified_since(&modified, &modified, now));
        assert!(unmodified_since(&http_date(1_700_000_100), &modified, now));
        assert!(!unmodified_since(&http_date(1_699_999_999), &modified, now));
        assert!(!unmodified_since("yesterday", &modified, now));
        assert!(!unmodified_since(&http_date(4_000_000_000), &modified, now), "a date in the future");
        // The obsolete formats recipients must still read (RFC 9110, section 5.6.7).
        assert!(unmodified_since("Tuesday, 14-Nov-23 22:13:20 GMT", &modified, now));
    }
}
