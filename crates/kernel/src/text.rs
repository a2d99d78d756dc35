//! Clean-up of text people type, shared by every domain: one line (whitespace collapsed), long
//! text (line breaks kept), control characters, length limits and http(s) links.
//!
//! Control characters other than tab and line breaks never reach storage through these
//! helpers: [`clean`] and [`clean_text`] drop them rather than refuse the input, so pasting
//! from a terminal or a PDF does not fail a form.

/// Line breaks and tabs, which long text keeps.
fn is_layout(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t')
}

/// Whether `c` is a control character that text is never stored with (tab and line breaks
/// excepted, see [`clean_text`]).
pub fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !is_layout(c)
}

/// `s` without control characters other than tab and line breaks.
pub fn strip_control(s: &str) -> String {
    s.chars().filter(|c| !is_unwanted_control(*c)).collect()
}

/// Runs of whitespace (line breaks included) become one space; trimmed.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line: control characters dropped, whitespace collapsed, trimmed; empty becomes None.
pub fn clean(s: &str) -> Option<String> {
    let t = collapse_whitespace(&strip_control(s));
    (!t.is_empty()).then_some(t)
}

/// Long text: control characters but tab and line breaks dropped, trimmed (line breaks kept
/// inside); empty becomes None.
pub fn clean_text(s: &str) -> Option<String> {
    let t = strip_control(s);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Whether `s` has any control character (tab and line breaks included): a one-line value
/// such as a name must have none.
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// At most `max` characters of `s` (whole characters, never a cut UTF-8 sequence).
pub fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// An absolute http(s) URL without whitespace, quotes or angle brackets.
pub fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_values() {
        assert_eq!(
            clean("  Ada \n\t Lovelace ").as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(
            clean("Ada\u{0007}\u{001b} Byron").as_deref(),
            Some("Ada Byron")
        );
        assert_eq!(clean(" \u{0000} \n "), None);
        assert_eq!(clean(""), None);
    }

    #[test]
    fn long_text_keeps_its_lines() {
        assert_eq!(
            clean_text("\n  Line one\r\n\tLine\u{0008} two  \n").as_deref(),
            Some("Line one\r\n\tLine two")
        );
        assert_eq!(clean_text("\u{0001}  "), None);
        assert_eq!(strip_control("a\u{007f}b\nc"), "ab\nc");
        assert!(has_control("a\nb") && !has_control("a b"));
        assert!(is_unwanted_control('\u{0000}') && !is_unwanted_control('\n'));
    }

    #[test]
    fn lengths_and_links() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("hi", 10), "hi");
        assert!(is_http_url("https://example.com/a.png"));
        assert!(is_http_url("http://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https://exa mple.com"));
        assert!(!is_http_url("https://example.com/\"onload"));
    }
}
