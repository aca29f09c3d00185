//! Passwords: the policy a new password must meet, and argon2id hashing.
//!
//! The common-password list is Django's (`django/contrib/auth/common-passwords.txt.gz`, BSD
//! licence, from Royce Williams' list of 20,000 leaked passwords).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

/// argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19_456;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Why a new password was refused, phrased for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    ControlCharacters,
    TooCommon,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::TooShort => write!(f, "Use at least {MIN_CHARS} characters."),
            PasswordError::TooLong => write!(f, "Use at most {MAX_CHARS} characters."),
            PasswordError::ControlCharacters => f.write_str("Use letters, digits, spaces and symbols only."),
            PasswordError::TooCommon => {
                f.write_str("That password is too common; choose one that is harder to guess.")
            }
        }
    }
}

/// The form a password is hashed and compared in: Unicode NFKC, as NIST SP 800-63B (section
/// 5.1.1.2) asks, so "é" typed as one code point or as "e" + a combining accent (macOS and
/// some phone keyboards send the latter) is the same password.
pub fn normalise(password: &str) -> String {
    password.nfkc().collect()
}

/// Checks a new password against the policy. Every character counts (nothing is truncated), and
/// spaces are allowed so that pass phrases work.
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    let password = &normalise(password);
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::ControlCharacters);
    }
    if is_common(password) {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

/// A listed password, a listed word with digits or symbols tacked on (`password1234!`), or one
/// character repeated.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let mut chars = lower.chars();
    let first = chars.next();
    COMMON.contains(lower.as_str())
        || (stem.chars().count() >= 4 && COMMON.contains(stem))
        || chars.all(|c| Some(c) == first)
}

fn hasher() -> Argon2<'static> {
    // The constants are valid argon2 parameters; Params::new only fails outside argon2's ranges.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
/// Slow on purpose (tens of milliseconds): call it off the async executor.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&salt)?;
    Ok(hasher().hash_password(normalise(password).as_bytes(), &salt)?.to_string())
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Wrong,
    Right,
    /// Right, but hashed with weaker parameters than today's: store a new hash.
    RightNeedsRehash,
}

/// Checks `password` against `stored`. With no stored hash (unknown account, or one without a
/// password) it still spends the time of one verification, so timing does not tell them apart.
///
/// The password is compared in its [`normalise`]d form. Hashes made before passwords were
/// normalised hold whatever form was typed, so the composed (NFC) and decomposed (NFD) forms of
/// the input are tried as well; a match through them is [`Verdict::RightNeedsRehash`], so the
/// next sign-in stores the normalised hash. ASCII passwords are one form, and one verification.
pub fn verify(password: &str, stored: Option<&str>) -> Verdict {
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash("folio-dummy-password").unwrap_or_default());
    let Some(parsed) = PasswordHash::new(stored.unwrap_or(DUMMY.as_str())).ok() else {
        return Verdict::Wrong;
    };
    let normal = normalise(password);
    let mut tried: Vec<String> = Vec::with_capacity(3);
    for candidate in [normal.clone(), password.nfc().collect(), password.nfd().collect()] {
        if tried.contains(&candidate) {
            continue;
        }
        if hasher().verify_password(candidate.as_bytes(), &parsed).is_ok() {
            if stored.is_none() {
                return Verdict::Wrong;
            }
            let current = Params::try_from(&parsed).ok();
            let outdated = candidate != normal
                || parsed.algorithm.as_str() != "argon2id"
                || current.is_none_or(|p| p.m_cost() < MEMORY_KIB || p.t_cost() < PASSES);
            return if outdated { Verdict::RightNeedsRehash } else { Verdict::Right };
        }
        tried.push(candidate);
    }
    Verdict::Wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_long_common_and_control() {
        assert_eq!(check_new("short pass"), Err(PasswordError::TooShort));
        assert_eq!(check_new(&"x1".repeat(129)), Err(PasswordError::TooLong));
        assert_eq!(check_new("q1w2e3r4t5y6"), Err(PasswordError::TooCommon));
        assert_eq!(check_new("Password1234!"), Err(PasswordError::TooCommon));
        assert_eq!(check_new("aaaaaaaaaaaaaaaa"), Err(PasswordError::TooCommon));
        assert_eq!(check_new("tab\tinside password"), Err(PasswordError::ControlCharacters));
        assert_eq!(check_new("correct horse battery staple"), Ok(()));
        // 12 characters counted as characters, not bytes.
        assert_eq!(check_new("ŝŝŝŝŝŝŝŝŝŝŝx"), Ok(()));
        assert_eq!(check_new(&"x1".repeat(128)), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_with_the_documented_parameters_and_verify() {
        let stored = hash("correct horse battery staple").expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert_eq!(verify("correct horse battery staple", Some(&stored)), Verdict::Right);
        assert_eq!(verify("correct horse battery stapl", Some(&stored)), Verdict::Wrong);
        assert_eq!(verify("folio-dummy-password", None), Verdict::Wrong);
        assert_eq!(verify("anything", Some("not a hash")), Verdict::Wrong);
    }

    #[test]
    fn composed_and_decomposed_accents_are_one_password() {
        let composed = "cr\u{e8}me br\u{fb}l\u{e9}e au caf\u{e9}";
        let decomposed = "cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301}";
        let stored = hash(composed).expect("hash");
        assert_eq!(verify(decomposed, Some(&stored)), Verdict::Right);
        assert_eq!(verify(composed, Some(&stored)), Verdict::Right);
        let stored = hash(decomposed).expect("hash");
        assert_eq!(verify(composed, Some(&stored)), Verdict::Right);
        // Compatibility forms fold too: a full-width "Ａ" is an "A".
        assert_eq!(
            verify("\u{ff21}bc correct horse", Some(&hash("Abc correct horse").expect("hash"))),
            Verdict::Right
        );
        assert_eq!(
            check_new(
                "\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}\u{ff41}"
            ),
            Err(PasswordError::TooCommon)
        );
    }

    #[test]
    fn hashes_of_unnormalised_passwords_still_verify_and_are_upgraded() {
        // Before normalisation, a Mac's decomposed input was hashed as typed.
        let decomposed = "cafe\u{301} cre\u{300}me pass phrase";
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let old = hasher().hash_password(decomposed.as_bytes(), &salt).expect("hash").to_string();
        assert_eq!(verify("caf\u{e9} cr\u{e8}me pass phrase", Some(&old)), Verdict::RightNeedsRehash);
        assert_eq!(verify(decomposed, Some(&old)), Verdict::RightNeedsRehash);
        assert_eq!(verify("cafe cre me pass phrase", Some(&old)), Verdict::Wrong);
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        let long = format!("{}a", "b".repeat(200));
        let stored = hash(&long).expect("hash");
        assert_eq!(verify(&format!("{}c", "b".repeat(200)), Some(&stored)), Verdict::Wrong);
    }

    #[test]
    fn weaker_hashes_are_flagged_for_rehash() {
        let weak =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8192, 1, 1, None).expect("p"));
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let stored = weak.hash_password(b"some long password", &salt).expect("hash").to_string();
        assert_eq!(verify("some long password", Some(&stored)), Verdict::RightNeedsRehash);
    }
}
