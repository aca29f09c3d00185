//! Signing a message as the Standard Webhooks specification says
//! (<https://www.standardwebhooks.com/>, `spec/standard-webhooks.md`, "Signature scheme"):
//! HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded
//! part of the secret after `whsec_`, sent as `webhook-signature: v1,<base64 of the MAC>`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SECRET_PREFIX;

/// Why a secret cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret must start with whsec_")]
    Prefix,
    #[error("the secret after whsec_ must be standard base64")]
    Base64,
    #[error("the secret's key must be 24 to 64 bytes")]
    Length,
}

/// The key inside a `whsec_…` secret: the bytes the base64 after the prefix encodes, 24 to 64
/// of them (the specification's range).
pub fn key(secret: &str) -> Result<Vec<u8>, SecretError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(SecretError::Prefix)?;
    let key = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
    if (24..=64).contains(&key.len()) { Ok(key) } else { Err(SecretError::Length) }
}

/// The `webhook-signature` header value for a message: `v1,` and the standard base64 of
/// HMAC-SHA256(`key`, `"{id}.{timestamp}.{body}"`). `timestamp` is Unix seconds, the same
/// value sent as `webhook-timestamp`; `body` the exact bytes sent.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length (RFC 2104, section 2): a longer one is hashed first.
    #[expect(clippy::expect_used, reason = "HMAC takes a key of any length, so this cannot fail")]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example the specification's reference libraries test against (e.g. the PHP
    /// library's `testSignFunctionWorks`).
    #[test]
    fn reproduces_the_reference_libraries_test_vector() {
        let key = key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret");
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn any_change_to_id_timestamp_or_body_changes_the_signature() {
        let key = key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid secret");
        let base = sign(&key, "msg_1", 10, b"{}");
        assert_ne!(base, sign(&key, "msg_2", 10, b"{}"));
        assert_ne!(base, sign(&key, "msg_1", 11, b"{}"));
        assert_ne!(base, sign(&key, "msg_1", 10, b"{ }"));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(SecretError::Prefix));
        assert_eq!(key("whsec_not base64!"), Err(SecretError::Base64));
        assert_eq!(key("whsec_c2hvcnQ="), Err(SecretError::Length));
        assert!(key(&super::super::new_secret()).is_ok());
    }
}
