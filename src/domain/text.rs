//! Cutting text for excerpts, descriptions and snippets: between grapheme clusters (Unicode
//! UAX #29), so a cut never splits a flag, an accent from its letter or a family emoji.

use unicode_segmentation::UnicodeSegmentation;

/// Cuts `text` to at most `max` user-perceived characters (grapheme clusters) at a word
/// boundary, with an ellipsis when cut. Every excerpt, description and snippet goes through here.
pub fn truncate_words(text: &str, max: usize) -> String {
    let mut graphemes = text.grapheme_indices(true);
    let Some((end, _)) = graphemes.nth(max) else { return text.to_owned() };
    let cut = &text[..end];
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(truncate_words("short text", 10), "short text");
        assert_eq!(truncate_words("🇳🇴🇸🇪", 2), "🇳🇴🇸🇪", "two flags are two characters");
    }

    #[test]
    fn cuts_fall_between_words_and_never_inside_a_cluster() {
        assert_eq!(truncate_words("one two three four", 10), "one two…");
        // A flag is two code points; a cut by code point at 9 would keep half of it.
        let flagged = format!("{}🇳🇴🇳🇴", "a".repeat(8));
        let cut = truncate_words(&flagged, 9);
        assert_eq!(cut, format!("{}🇳🇴…", "a".repeat(8)));
        let family = "👨‍👩‍👧 family"; // one cluster of five code points
        assert_eq!(truncate_words(family, 1), "👨‍👩‍👧…");
        let accent = "cafe\u{301} au lait"; // e + combining acute
        assert_eq!(truncate_words(accent, 4), "cafe\u{301}…");
    }
}
