//! A public form's stamp: when the form was handed out and for what, signed with the site's key,
//! so a submission that comes back faster than a person types is refused without storing
//! anything per visitor. With the honeypot field ([`HONEYPOT`]) it keeps out the bots that fill
//! every field of every form they find and post at once.
//!
//! Shape: `<issued, Unix seconds>.<base64url HMAC-SHA256 of "<purpose>\n<issued>">`. The key
//! is derived from Rocket's `secret_key`, which every process of a site shares.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Timestamp;

/// The honeypot: a field hidden from people (off screen, out of the tab order, labelled "leave
/// this empty") that bots fill. Named like a field a bot wants to fill.
pub const HONEYPOT: &str = "website";
/// The fewest seconds between handing out a form and taking it back: nobody reads a post's
/// form, writes a comment and sends it in under three seconds.
pub const MIN_FILL_SECONDS: i64 = 3;
/// The most: a form open for a day is sent again from a fresh one, its text kept.
pub const MAX_AGE_SECONDS: i64 = 86_400;

/// What a stamp says about a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signed for this purpose, handed out long enough ago and not too long.
    Fine,
    /// Sent back within [`MIN_FILL_SECONDS`].
    TooFast,
    /// Older than [`MAX_AGE_SECONDS`].
    Expired,
    /// Missing, malformed, for another form, or not signed with this site's key.
    Forged,
}

fn mac(key: &[u8], purpose: &str, issued: Timestamp) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(purpose.as_bytes());
    mac.update(b"\n");
    mac.update(issued.to_string().as_bytes());
    mac
}

/// A stamp for a form serving `purpose` (`"comment:12"`, `"sign-up"`), handed out at `now`.
pub fn issue(key: &[u8], purpose: &str, now: Timestamp) -> String {
    let tag = mac(key, purpose, now).finalize().into_bytes();
    format!("{now}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// Checks `stamp` for `purpose` at `now`.
pub fn check(key: &[u8], purpose: &str, stamp: &str, now: Timestamp) -> Verdict {
    let Some((issued, tag)) = stamp.split_once('.') else { return Verdict::Forged };
    let (Ok(issued), Ok(tag)) = (issued.parse::<Timestamp>(), URL_SAFE_NO_PAD.decode(tag)) else {
        return Verdict::Forged;
    };
    if mac(key, purpose, issued).verify_slice(&tag).is_err() {
        return Verdict::Forged;
    }
    let age = now.saturating_sub(issued);
    if age < MIN_FILL_SECONDS {
        Verdict::TooFast
    } else if age > MAX_AGE_SECONDS {
        Verdict::Expired
    } else {
        Verdict::Fine
    }
}

/// A signature of `text` (a link's fixed part, such as `"replies:12"`), for links in mail that
/// must work without a session and without being guessable.
pub fn sign(key: &[u8], text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"link\n");
    mac.update(text.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is [`sign`]'s for `text`, compared in constant time.
pub fn verify(key: &[u8], text: &str, signature: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(signature) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"link\n");
    mac.update(text.as_bytes());
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_holds_for_its_purpose_and_its_time_only() {
        let key = b"k".repeat(32);
        let stamp = issue(&key, "comment:1", 1000);
        assert_eq!(check(&key, "comment:1", &stamp, 1000 + MIN_FILL_SECONDS), Verdict::Fine);
        assert_eq!(check(&key, "comment:1", &stamp, 1001), Verdict::TooFast);
        assert_eq!(check(&key, "comment:1", &stamp, 1000 + MAX_AGE_SECONDS + 1), Verdict::Expired);
        assert_eq!(check(&key, "comment:2", &stamp, 1010), Verdict::Forged);
        assert_eq!(check(&b"other".repeat(8), "comment:1", &stamp, 1010), Verdict::Forged);
        let backdated = stamp.replacen("1000.", "900.", 1);
        assert_eq!(check(&key, "comment:1", &backdated, 1010), Verdict::Forged);
        let sig = sign(&key, "replies:12");
        assert!(verify(&key, "replies:12", &sig));
        assert!(!verify(&key, "replies:13", &sig));
        assert!(!verify(&key, "replies:12", "nope"));
        for junk in ["", ".", "x.y", "1000", "1000.!!"] {
            assert_eq!(check(&key, "comment:1", junk, 1010), Verdict::Forged, "{junk}");
        }
    }
}
