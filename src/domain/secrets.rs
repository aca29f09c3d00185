//! Random tokens and their digests: session cookies, CSRF tokens, links sent by mail, recovery
//! codes. Tokens come from the operating system's CSPRNG; only their SHA-256 is ever stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh token of 256 random bits as 64 lowercase hex digits.
pub fn token() -> String {
    hex(&random_bytes::<32>())
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // getrandom only fails when the OS has no entropy source at all; nothing secure can run then.
    #[expect(clippy::expect_used, reason = "no secure fallback exists without an OS random source")]
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// The SHA-256 of `value` as hex: how tokens are stored and looked up.
pub fn digest(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether `value` has the shape of a [`token`]: checked before any lookup.
pub fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A recovery code such as `k3f9-x2m7-p8qa`: 60 bits, easy to read and type.
pub fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = random_bytes::<12>();
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed (any case, spaces or hyphens anywhere) in its canonical form.
pub fn normalise_recovery_code(input: &str) -> String {
    let compact: String =
        input.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    let chars: Vec<char> = compact.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_hex_and_recognised() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert!(is_token(&a) && is_token(&b));
        assert!(!is_token(&a.to_uppercase()));
        assert!(!is_token(&a[1..]));
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn comparison_and_recovery_codes() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        let code = recovery_code();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise_recovery_code(&code.to_uppercase().replace('-', " ")), code);
    }
}
