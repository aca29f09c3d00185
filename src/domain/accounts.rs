//! Account rules: what a profile may hold, and the settings that govern who may join.

use crate::domain::validation::{FieldErrors, TextError, long_text, short_text};

pub const DISPLAY_NAME_MAX: usize = 80;
pub const BIO_MAX: usize = 2_000;
pub const AVATAR_URL_MAX: usize = 500;

/// Who may create a member account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignupMode {
    /// Anyone may sign up as a member.
    Open,
    /// Only people holding an invitation.
    InviteOnly,
    /// Nobody; staff are still invited.
    Closed,
}

impl SignupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupMode::Open => "open",
            SignupMode::InviteOnly => "invite-only",
            SignupMode::Closed => "closed",
        }
    }
}

/// A profile as submitted, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    pub bio: String,
    pub avatar_url: String,
}

impl Profile {
    pub fn parse(display_name: &str, bio: &str, avatar_url: &str) -> Result<Profile, FieldErrors> {
        let mut errors = FieldErrors::new();
        let display_name = errors.check("display_name", display_name_rule(display_name));
        let bio = errors.check("bio", long_text(bio, BIO_MAX, "the bio"));
        let avatar_url = errors.check("avatar_url", avatar_url_rule(avatar_url));
        match (display_name, bio, avatar_url) {
            (Some(display_name), Some(bio), Some(avatar_url)) if errors.is_empty() => {
                Ok(Profile { display_name, bio, avatar_url })
            }
            _ => Err(errors),
        }
    }
}

/// The name shown for an account: 1–`DISPLAY_NAME_MAX` characters of text.
pub fn display_name_rule(input: &str) -> Result<String, TextError> {
    short_text(input, DISPLAY_NAME_MAX, "a name")
}

/// An avatar is an `https://` image URL or a path on this site; anything else (`javascript:`,
/// `data:`) could run or track.
fn avatar_url_rule(input: &str) -> Result<String, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let message = "Use an https:// address or a path on this site such as /static/img/me.png.";
    if value.len() > AVATAR_URL_MAX {
        return Err(format!("Keep the address under {AVATAR_URL_MAX} characters."));
    }
    let is_path = value.starts_with('/') && !value.starts_with("//") && !value.contains('\\');
    let is_https = url::Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
    let clean = !value.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<');
    if (is_path || is_https) && clean { Ok(value.to_owned()) } else { Err(message.into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_is_checked_field_by_field() {
        let ok = Profile::parse(" Ada ", "Writes.\r\nCodes.", "https://example.org/a.png").expect("valid");
        assert_eq!(ok.display_name, "Ada");
        assert_eq!(ok.bio, "Writes.\nCodes.");
        let errors = Profile::parse("", &"b".repeat(BIO_MAX + 1), "javascript:alert(1)").expect_err("bad");
        assert!(errors.get("display_name").is_some());
        assert!(errors.get("bio").is_some());
        assert!(errors.get("avatar_url").is_some());
        for bad in
            ["//evil.example/x.png", "http://example.org/a.png", "data:image/png;base64,AA", "/a b.png"]
        {
            assert!(Profile::parse("Ada", "", bad).is_err(), "{bad}");
        }
        assert!(Profile::parse("Ada", "", "/static/img/me.png").is_ok());
    }
}
