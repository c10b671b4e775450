//! Escaping of untrusted text (labels, hostnames, reasons) for HTML and
//! Markdown, so that it always shows as text.

/// The HTML entity of a character that markup would interpret.
fn entity(c: char) -> Option<&'static str> {
    match c {
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '&' => Some("&amp;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Text safe in HTML element content and in quoted attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match entity(c) {
            Some(e) => out.push_str(e),
            None => out.push(c),
        }
    }
    out
}

/// Text safe in a Markdown table cell: HTML special characters become
/// entities, Markdown punctuation is backslash-escaped, line breaks become
/// spaces.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' | '>' | '&' => out.push_str(entity(c).unwrap_or_default()),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        let hostile = r#""><img src=x onerror=alert(1)><script>alert('x')</script>"#;
        let h = html(hostile);
        assert!(!h.contains('<') && !h.contains('>') && !h.contains('"') && !h.contains('\''), "{h}");
        assert_eq!(html("a & b"), "a &amp; b");
        let m = markdown(hostile);
        assert!(!m.contains('<') && !m.contains('>'), "{m}");
        assert_eq!(markdown("a|b\nc [x](y)"), r"a\|b c \[x\]\(y\)");
    }
}
