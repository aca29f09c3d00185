//! Readers' suggested corrections: what a suggestion holds and what editors decide; the wording
//! of the dated notice an article then carries.

use super::Timestamp;
use super::email::Email;
use super::validation::{FieldErrors, long_text};

/// The quoted passage, in characters.
pub const PASSAGE_MAX: usize = 1_000;
/// What is wrong with it, in characters.
pub const PROBLEM_MAX: usize = 2_000;
/// A correction notice, in characters.
pub const NOTICE_MAX: usize = 1_000;

/// Where a suggestion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Open,
    Resolved,
    Dismissed,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Open, Decision::Resolved, Decision::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Open => "open",
            Decision::Resolved => "resolved",
            Decision::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Open => "Open",
            Decision::Resolved => "Resolved",
            Decision::Dismissed => "Dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A suggestion as checked: the passage, the problem, and an address to answer (or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub passage: String,
    pub problem: String,
    pub email: Option<Email>,
}

/// Checks a suggestion's fields, adding a message per field to `errors`.
pub fn check(passage: &str, problem: &str, email: &str, errors: &mut FieldErrors) -> Option<Suggestion> {
    let passage = errors.check("passage", required(passage, PASSAGE_MAX, "the passage"));
    let problem = errors.check("problem", required(problem, PROBLEM_MAX, "what is wrong"));
    let email = match email.trim() {
        "" => Some(None),
        typed => errors.check("email", Email::parse(typed)).map(Some),
    };
    Some(Suggestion { passage: passage?, problem: problem?, email: email? })
}

/// A notice's text, checked.
pub fn check_notice(body: &str) -> Result<String, String> {
    required(body, NOTICE_MAX, "the correction")
}

fn required(input: &str, max: usize, what: &'static str) -> Result<String, String> {
    let text = long_text(input, max, what).map_err(String::from)?;
    if text.is_empty() { Err(format!("Enter {what}.")) } else { Ok(text) }
}

/// "Correction, 3 December 2026:", the words a notice starts with.
pub fn heading(at: Timestamp) -> String {
    format!("Correction, {}:", super::dates::human(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_and_the_email_is_optional() {
        let mut errors = FieldErrors::new();
        let ok = check(" The moon is cheese ", "It is rock.", "", &mut errors).unwrap();
        assert_eq!((ok.passage.as_str(), ok.email), ("The moon is cheese", None));
        let mut errors = FieldErrors::new();
        assert!(check("", "x", "not-an-address", &mut errors).is_none());
        assert!(errors.get("passage").is_some() && errors.get("email").is_some());
        assert!(check_notice(&"x".repeat(NOTICE_MAX + 1)).is_err());
        assert_eq!(heading(0), "Correction, 1 January 1970:");
        assert_eq!(Decision::parse("resolved"), Some(Decision::Resolved));
    }
}
