//! Which bytes of a file a `Range` header asks for (RFC 9110, section 14). One byte range is
//! answered; several ranges, other units and malformed headers are ignored, which section 14.2
//! allows, and the whole file is sent.

/// How to answer a request for a file of some length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The whole file (200).
    Whole,
    /// Bytes `first..=last` (206 with `Content-Range: bytes first-last/len`).
    Part { first: u64, last: u64 },
    /// No byte of the file was asked for (416 with `Content-Range: bytes */len`).
    Unsatisfiable,
}

/// The answer to `range` (the `Range` header, if any) for a file of `len` bytes: `bytes=a-b`,
/// `bytes=a-` (to the end) and `bytes=-n` (the last `n` bytes), with `b` past the end meaning the
/// end (section 14.1.2).
pub fn answer(range: Option<&str>, len: u64) -> Answer {
    let Some((unit, set)) = range.and_then(|r| r.split_once('=')) else {
        return Answer::Whole;
    };
    if !unit.eq_ignore_ascii_case("bytes") || set.contains(',') {
        return Answer::Whole;
    }
    let Some((first, last)) = set.trim_matches([' ', '\t']).split_once('-') else {
        return Answer::Whole;
    };
    if first.is_empty() {
        return match number(last) {
            None => Answer::Whole,
            Some(0) => Answer::Unsatisfiable,
            Some(_) if len == 0 => Answer::Unsatisfiable,
            Some(suffix) => Answer::Part { first: len - suffix.min(len), last: len - 1 },
        };
    }
    let Some(first) = number(first) else { return Answer::Whole };
    let last = match last {
        "" => u64::MAX,
        last => match number(last) {
            Some(last) if last >= first => last,
            _ => return Answer::Whole,
        },
    };
    if first >= len {
        return Answer::Unsatisfiable;
    }
    Answer::Part { first, last: last.min(len - 1) }
}

/// Decimal digits, one at least; numbers too large for `u64` count as `u64::MAX`, which is past
/// the end of any file.
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_answered_as_section_14_1_2_says() {
        let part = |first, last| Answer::Part { first, last };
        assert_eq!(answer(Some("bytes=0-99"), 1000), part(0, 99));
        assert_eq!(answer(Some("bytes=500-"), 1000), part(500, 999));
        assert_eq!(answer(Some("bytes=-100"), 1000), part(900, 999));
        assert_eq!(answer(Some("bytes=-5000"), 1000), part(0, 999), "a suffix longer than the file");
        assert_eq!(answer(Some("bytes=990-5000"), 1000), part(990, 999), "a last byte past the end");
        assert_eq!(answer(Some("Bytes=0-0"), 1000), part(0, 0), "the unit is case-insensitive");
        assert_eq!(answer(Some("bytes=0-99999999999999999999999"), 10), part(0, 9));
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable() {
        for range in ["bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=99999999999999999999999-"] {
            assert_eq!(answer(Some(range), 1000), Answer::Unsatisfiable, "{range}");
        }
        assert_eq!(answer(Some("bytes=-5"), 0), Answer::Unsatisfiable);
    }

    #[test]
    fn anything_else_gets_the_whole_file() {
        for range in [
            "bytes=0-0,5-9",
            "bytes=abc",
            "items=0-9",
            "bytes=9-5",
            "bytes=--5",
            "bytes=",
            "bytes=-",
            "bytes 0-9",
            "bytes=+1-2",
        ] {
            assert_eq!(answer(Some(range), 1000), Answer::Whole, "{range}");
        }
        assert_eq!(answer(None, 1000), Answer::Whole);
    }
}
