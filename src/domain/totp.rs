//! Time-based one-time passwords (RFC 6238) for two-factor sign-in: SHA-1, 6 digits, 30-second
//! steps, which is what every authenticator app supports. A code is accepted one step either side
//! of now, and never twice: the caller stores the step of the last accepted code.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::domain::Timestamp;
use crate::domain::secrets::random_bytes;

const STEP: u64 = 30;

/// A fresh 160-bit secret, base32-encoded as authenticator apps expect it.
pub fn new_secret() -> String {
    Secret::Raw(random_bytes::<20>().to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    // The otpauth URL format reserves ':' as the issuer/account separator.
    let issuer = issuer.replace(':', " ");
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, bytes, Some(issuer), account.replace(':', " ")).ok()
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn setup_url(secret: &str, issuer: &str, account: &str) -> Option<String> {
    Some(totp(secret, issuer, account)?.get_url())
}

/// The setup URL as an SVG QR code, rendered on the server (no script, no third party).
pub fn qr_svg(url: &str) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(220, 220)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

/// The code for a moment in time (for tests and for showing the current code nowhere else).
pub fn code_at(secret: &str, at: Timestamp) -> Option<String> {
    Some(totp(secret, "x", "x")?.generate(u64::try_from(at).ok()?))
}

/// Checks `code` at `now`. Returns the accepted time step, which must be later than
/// `last_step` (the step of the previously accepted code) so that a code works only once.
pub fn verify(secret: &str, code: &str, now: Timestamp, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "x", "x")?;
    let step = now.div_euclid(STEP as i64);
    (step - 1..=step + 1).find(|candidate| {
        last_step.is_none_or(|last| *candidate > last)
            && u64::try_from(candidate * STEP as i64)
                .is_ok_and(|t| crate::domain::secrets::same(&totp.generate(t), &code))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vector_matches() {
        // RFC 6238 appendix B: ASCII "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
    }

    #[test]
    fn codes_work_once_within_a_step_either_side() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let code = code_at(&secret, now).expect("code");
        let step = verify(&secret, &code, now, None).expect("accepted");
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replay");
        assert!(verify(&secret, &code, now + 30, None).is_some(), "one step late");
        assert_eq!(verify(&secret, &code, now + 90, None), None, "too late");
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn setup_url_and_qr_code() {
        let secret = new_secret();
        let url = setup_url(&secret, "My: Site", "ada@example.org").expect("url");
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&format!("secret={secret}")), "{url}");
        let svg = qr_svg(&url).expect("svg");
        assert!(svg.contains("<svg") && !svg.contains("<script"));
    }
}
