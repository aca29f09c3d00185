//! Email addresses, checked strictly enough that one can never smuggle a header or a second
//! recipient into an outgoing message.

use std::fmt;

/// Longest address accepted (RFC 5321's path limit less the angle brackets).
pub const MAX_LEN: usize = 254;

/// A syntactically valid address, lowercased so that lookups and uniqueness ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an address was refused, phrased for the person who typed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    TooLong,
    Invalid,
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EmailError::Empty => "Enter an email address.",
            EmailError::TooLong => "That email address is too long.",
            EmailError::Invalid => "Enter an email address such as name@example.org.",
        })
    }
}

impl Email {
    /// Accepts `local@domain` where the local part uses the unquoted characters of RFC 5322 and the
    /// domain is dot-separated labels of letters, digits and hyphens (or IDN in Unicode letters).
    /// Quoted local parts, comments and IP literals are refused: nobody signs up with them, and
    /// they are where header injection hides.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = input.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c == '-' || c.is_alphanumeric())
            });
        if !local_ok || !domain_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Email(input.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_and_lowercased() {
        for (input, stored) in [
            ("Ada@Example.org", "ada@example.org"),
            ("  first.last+tag@mail.example.co.uk ", "first.last+tag@mail.example.co.uk"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("user@bücher.example", "user@bücher.example"),
        ] {
            assert_eq!(Email::parse(input).expect(input).as_str(), stored);
        }
    }

    #[test]
    fn injection_and_malformed_addresses_are_refused() {
        for input in [
            "a@example.org\r\nBcc: victim@example.org",
            "a@example.org\nX: y",
            "a@example.org, b@example.org",
            "A <a@example.org>",
            "\"quoted\"@example.org",
            "a b@example.org",
            "a@localhost",
            "a@@example.org",
            "@example.org",
            "a@",
            "a.@example.org",
            "a..b@example.org",
            "a@-example.org",
            "a@exa_mple.org",
            "a@example..org",
            "a\u{0}@example.org",
            "a@[127.0.0.1]",
        ] {
            assert_eq!(Email::parse(input), Err(EmailError::Invalid), "{input:?}");
        }
        assert_eq!(Email::parse(" "), Err(EmailError::Empty));
        let long = format!("{}@{}.org", "a".repeat(64), "b".repeat(200));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
