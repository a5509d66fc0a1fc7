//! Limits on free text that clients send and the platform stores, echoes and delivers: a size
//! cap per kind of field, and no characters that hide or reorder what a person reads (control
//! characters, bidirectional overrides). One rule set for both API faces.

/// Names, labels, titles: one line of at most this many characters.
pub const NAME_MAX_CHARS: usize = 200;
/// URLs (webhooks, postbacks, product pages): at most this many bytes.
pub const URL_MAX_BYTES: usize = 2048;
/// Structured client data kept with a record (`referenceData`): at most this many bytes of
/// compact JSON.
pub const REFERENCE_DATA_MAX_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRule {
    /// One line: no control character at all (tab and newline included).
    Line { max_chars: usize },
    /// Several lines: tab, newline and carriage return are allowed, other controls are not.
    Multiline { max_chars: usize },
    /// A URL: at most `URL_MAX_BYTES` bytes, no control character (whether it parses as a URL
    /// is the caller's check, with its own error).
    Url,
}

impl TextRule {
    pub const NAME: TextRule = TextRule::Line {
        max_chars: NAME_MAX_CHARS,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is at most {max} {unit}")]
    TooLong { max: usize, unit: &'static str },
    #[error("contains a control character or a bidirectional override")]
    InvalidCharacters,
}

/// Bidirectional formatting characters: they make text display in another order than it is
/// stored (a "Trojan Source" payee name), so they are refused wherever text is shown to people.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_forbidden(c: char, rule: TextRule) -> bool {
    if is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') {
        return true;
    }
    match rule {
        TextRule::Multiline { .. } => c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
        TextRule::Line { .. } => c.is_control(),
        TextRule::Url => c.is_control(),
    }
}

/// Checks `s` against `rule`. The size is checked first, so an oversized value is not scanned.
pub fn check(s: &str, rule: TextRule) -> Result<(), TextError> {
    match rule {
        TextRule::Url if s.len() > URL_MAX_BYTES => {
            return Err(TextError::TooLong {
                max: URL_MAX_BYTES,
                unit: "bytes",
            });
        }
        TextRule::Line { max_chars } | TextRule::Multiline { max_chars }
            // Cheap bound first: a string of more than 4 × max bytes has more than max chars.
            if s.len() > max_chars.saturating_mul(4) || s.chars().count() > max_chars =>
        {
            return Err(TextError::TooLong {
                max: max_chars,
                unit: "characters",
            });
        }
        _ => {}
    }
    if s.chars().any(|c| is_forbidden(c, rule)) {
        return Err(TextError::InvalidCharacters);
    }
    Ok(())
}

/// Checks the serialized size of structured client data.
pub fn check_serialized_len(len: usize, max_bytes: usize) -> Result<(), TextError> {
    if len > max_bytes {
        return Err(TextError::TooLong {
            max: max_bytes,
            unit: "bytes",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_bounded_and_visible() {
        assert_eq!(check("Budi Santoso", TextRule::NAME), Ok(()));
        assert_eq!(check(&"é".repeat(200), TextRule::NAME), Ok(()));
        assert_eq!(
            check(&"é".repeat(201), TextRule::NAME),
            Err(TextError::TooLong {
                max: 200,
                unit: "characters"
            })
        );
        for bad in [
            "a\u{202E}b",
            "a\u{2067}b",
            "a\u{0000}",
            "a\nb",
            "a\u{7F}",
            "a\u{2028}",
        ] {
            assert_eq!(
                check(bad, TextRule::NAME),
                Err(TextError::InvalidCharacters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn multiline_text_allows_line_breaks_only() {
        let rule = TextRule::Multiline { max_chars: 10 };
        assert_eq!(check("a\nb\tc\r", rule), Ok(()));
        assert_eq!(
            check("a\u{1B}[31m", rule),
            Err(TextError::InvalidCharacters)
        );
        assert!(check(&"x".repeat(11), rule).is_err());
    }

    #[test]
    fn urls_are_bounded_in_bytes() {
        let ok = format!("https://e.com/{}", "a".repeat(URL_MAX_BYTES - 14));
        assert_eq!(check(&ok, TextRule::Url), Ok(()));
        assert!(matches!(
            check(&format!("{ok}a"), TextRule::Url),
            Err(TextError::TooLong { .. })
        ));
        assert_eq!(
            check("https://e.com/a\nb", TextRule::Url),
            Err(TextError::InvalidCharacters)
        );
    }

    proptest! {
        #[test]
        fn accepted_names_fit_and_are_free_of_hidden_characters(s in "\\PC{0,250}|.{0,50}") {
            if check(&s, TextRule::NAME).is_ok() {
                prop_assert!(s.chars().count() <= NAME_MAX_CHARS);
                prop_assert!(!s.chars().any(|c| c.is_control() || is_bidi_control(c)));
            }
        }
    }
}
