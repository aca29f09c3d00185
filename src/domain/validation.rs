//! Per-field validation messages, collected so a form can show every problem at once, next to
//! the field it concerns.

/// Messages keyed by form field name, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (field, message) pair, for an error summary at the top of a form.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }
}

/// What is wrong with a piece of text a form sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Missing,
    /// More than this many characters (Unicode scalar values).
    TooLong(usize),
    ControlCharacters,
    /// A bidirectional override ([`is_bidi_override`]).
    DirectionOverride,
}

/// A [`TextProblem`] with the field it concerns, as the sentence to show: `what` names the
/// field within it ("a title", "each tag name").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextError {
    pub what: &'static str,
    pub problem: TextProblem,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = self.what;
        match self.problem {
            TextProblem::Missing => write!(f, "Enter {what}."),
            TextProblem::TooLong(max) => write!(f, "Keep {what} under {max} characters."),
            TextProblem::ControlCharacters => write!(f, "Remove the control characters from {what}."),
            TextProblem::DirectionOverride => {
                write!(f, "Remove the text-direction override characters from {what}.")
            }
        }
    }
}

impl From<TextError> for String {
    fn from(e: TextError) -> String {
        e.to_string()
    }
}

/// Trims `input` and checks it is 1..=`max` characters of text without control characters.
pub fn short_text(input: &str, max: usize, what: &'static str) -> Result<String, TextError> {
    let value = input.trim();
    let fail = |problem| Err(TextError { what, problem });
    if value.is_empty() {
        return fail(TextProblem::Missing);
    }
    if value.chars().count() > max {
        return fail(TextProblem::TooLong(max));
    }
    if value.chars().any(char::is_control) {
        return fail(TextProblem::ControlCharacters);
    }
    if value.chars().any(is_bidi_override) {
        return fail(TextProblem::DirectionOverride);
    }
    Ok(value.to_owned())
}

/// Like [`short_text`] but may be empty, and keeps line breaks (for bios and descriptions).
pub fn long_text(input: &str, max: usize, what: &'static str) -> Result<String, TextError> {
    let value = input.trim().replace("\r\n", "\n");
    let fail = |problem| Err(TextError { what, problem });
    if value.chars().count() > max {
        return fail(TextProblem::TooLong(max));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return fail(TextProblem::ControlCharacters);
    }
    Ok(value)
}

/// The explicit embeddings and overrides of Unicode's bidirectional algorithm (UAX #9, section
/// 2.2: LRE, RLE, PDF, LRO, RLO). They reorder the text after them on screen, so a name can
/// show as something it is not ("photo\u{202e}gpj.exe" reads "photoexe.jpg"); nobody types
/// them, unlike the marks and isolates that mixed-direction text needs.
pub fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}')
}

/// Every bidirectional formatting character (UAX #9, table 1: ALM, LRM, RLM, the embeddings and
/// overrides, and the isolates), for text with no business holding any, such as file names.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `input` if it is a path on this site (`/account`, `/posts/x?page=2`), else `None`. Guards
/// `?next=` against open redirects (no scheme, no `//host`, no backslashes, which browsers read
/// as slashes) and against targets that are not URIs at all: every character must be one RFC 3986
/// allows in a path, query or fragment (section 3.3–3.5: unreserved, sub-delims, `:@/?`, one `#`,
/// and `%` only before two hex digits), so a `"`, a space, a control character or raw non-ASCII
/// text is refused rather than put in a `Location` header.
pub fn local_path(input: &str) -> Option<&str> {
    let bytes = input.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%' || bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    let ok = input.starts_with('/')
        && !input.starts_with("//")
        && input.len() <= 2_000
        && input.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%#".contains(&b))
        && input.matches('#').count() <= 1
        && escapes_ok;
    ok.then_some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_errors_name_their_field() {
        let title = |input: &str| short_text(input, 5, "a title").map_err(|e| e.to_string());
        assert_eq!(title("  "), Err("Enter a title.".into()));
        assert_eq!(title("too long"), Err("Keep a title under 5 characters.".into()));
        assert_eq!(title("a\u{7}b"), Err("Remove the control characters from a title.".into()));
        assert_eq!(
            title("a\u{202e}b"),
            Err("Remove the text-direction override characters from a title.".into())
        );
        assert_eq!(title(" ok "), Ok("ok".into()));
        assert_eq!(long_text("a\r\nb", 5, "the bio"), Ok("a\nb".into()));
        let bell = long_text("\u{7}", 5, "the bio").unwrap_err();
        assert_eq!(bell.problem, TextProblem::ControlCharacters);
    }

    #[test]
    fn first_message_per_field_wins_and_order_is_kept() {
        let mut errors = FieldErrors::new();
        errors.add("email", "first");
        errors.add("email", "second");
        errors.add("password", "third");
        assert_eq!(errors.get("email"), Some("first"));
        assert_eq!(errors.iter().map(|(f, _)| f).collect::<Vec<_>>(), ["email", "password"]);
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        for good in ["/", "/account", "/posts/x?page=2#top", "/search?q=caf%C3%A9+au+lait", "/a(b)!~*'"] {
            assert_eq!(local_path(good), Some(good));
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/a\r\nLocation: x",
            "/ space",
            "/\"",
            "/<script>",
            "/caf\u{e9}",
            "/a%2",
            "/a%zz",
            "/a#b#c",
            "/nul\0",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(short_text("  Ada  ", 10, "a name"), Ok("Ada".into()));
        assert!(short_text(" ", 10, "a name").is_err());
        assert!(short_text("a\u{7}b", 10, "a name").is_err());
        assert!(short_text(&"x".repeat(11), 10, "a name").is_err());
        assert_eq!(long_text("line\r\nnext", 20, "a bio"), Ok("line\nnext".into()));
        assert!(long_text("bell\u{7}", 20, "a bio").is_err());
        assert!(short_text("photo\u{202e}gpj.exe", 40, "a name").is_err());
        assert_eq!(
            short_text("\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{200f}Ada", 40, "a name").map(|s| s.len()),
            Ok(15)
        );
        assert!(is_bidi_control('\u{2067}') && !is_bidi_override('\u{2067}'));
    }
}
