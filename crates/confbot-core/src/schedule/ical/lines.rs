//! iCalendar's content lines: unfolding, `NAME;PARAM=a,b:value`, and text values with
//! their escapes.

use super::*;

/// The first non-empty line and its 1-based number, without a byte-order mark.
pub(super) fn first_line(text: &str) -> Option<(usize, &str)> {
    text.strip_prefix(BOM)
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .find(|(_, line)| !line.is_empty())
}

/// One unfolded content line: `NAME;PARAM=a,b:value`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Property {
    /// Where the content line starts in the file.
    pub(super) line: usize,
    /// Upper case.
    pub(super) name: String,
    /// Parameter names in upper case, with their values unquoted.
    pub(super) params: Vec<(String, Vec<String>)>,
    /// As written, escapes and all, without leading spaces.
    pub(super) value: String,
}

impl Property {
    pub(super) fn param(&self, name: &str) -> Option<&[String]> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, values)| values.as_slice())
    }

    pub(super) fn first_param(&self, name: &str) -> Option<&str> {
        self.param(name)?.first().map(String::as_str)
    }

    /// The value as TEXT, escapes decoded.
    pub(super) fn text(&self) -> String {
        unescape(&self.value).trim().to_string()
    }
}

/// Joins folded lines (a line starting with a space or tab continues the one before) and
/// numbers each result by the line it starts on. Empty lines go.
pub(super) fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.strip_prefix(BOM).unwrap_or(text).lines().enumerate() {
        let continued = raw.starts_with([' ', '\t']);
        match lines.last_mut() {
            // The first byte is an ASCII space or tab, so slicing after it is safe.
            Some((_, previous)) if continued => previous.push_str(&raw[1..]),
            _ if raw.trim().is_empty() => {}
            _ => lines.push((i + 1, raw.trim_start().to_string())),
        }
    }
    lines
}

/// Splits a content line into name, parameters and value; None when it is not one.
pub(super) fn property(line: usize, content: &str) -> Option<Property> {
    let name_end = content.find([';', ':'])?;
    let name = &content[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &content[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let param_end = after.find(['=', ';', ':'])?;
        let param = after[..param_end].trim().to_ascii_uppercase();
        rest = &after[param_end..];
        let mut values = Vec::new();
        if let Some(mut list) = rest.strip_prefix('=') {
            loop {
                let (value, after_value) = match list.strip_prefix('"') {
                    Some(quoted) => {
                        let close = quoted.find('"')?;
                        (&quoted[..close], &quoted[close + 1..])
                    }
                    None => {
                        let end = list.find([',', ';', ':'])?;
                        (&list[..end], &list[end..])
                    }
                };
                values.push(value.to_string());
                match after_value.strip_prefix(',') {
                    Some(next) => list = next,
                    None => {
                        rest = after_value;
                        break;
                    }
                }
            }
        }
        params.push((param, values));
    }
    let value = rest.strip_prefix(':')?;
    Some(Property {
        line,
        name: name.to_ascii_uppercase(),
        params,
        value: value.trim_start().to_string(),
    })
}

/// Decodes TEXT escapes: `\,` `\;` `\\` and `\n` / `\N` for a newline.
pub(super) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a TEXT list (CATEGORIES) on the commas that are not escaped.
pub(super) fn text_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push('\\');
                current.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            ',' => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .iter()
        .map(|item| unescape(item).trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn looks_like_reads_the_first_line_past_a_bom() {
        assert!(looks_like("\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(looks_like("\n\n  begin:vcalendar\n"));
        assert!(!looks_like("[conference]\nname = \"x\"\n"));
        assert!(!looks_like(""));
        assert!(!looks_like("VERSION:2.0\nBEGIN:VCALENDAR\n"));
    }

    #[test]
    fn folded_lines_are_joined_with_crlf_or_lf() {
        for newline in ["\r\n", "\n"] {
            let text = calendar(
                BERLIN_HEAD,
                "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T1\r\n 10000\r\nSUMMARY:A very lo\r\n ng title that\r\n\t wraps\r\nDESCRIPTION:Erzä\r\n hlen\r\nEND:VEVENT\r\n",
            )
            .replace("\r\n", newline);
            let loaded = load(&text, None);
            let session = only(&loaded);
            assert_eq!(session.title, "A very long title that wraps");
            assert_eq!(session.abstract_text.as_deref(), Some("Erzählen"));
            assert_eq!(rfc3339(&session.end), "2024-09-13T11:00:00+02:00");
        }
    }

    #[test]
    fn text_escapes_are_decoded_and_leading_spaces_trimmed() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:  Commas\\, semicolons\\; and \\\\ backslashes\r\nDESCRIPTION: One\\nTwo\\NThree\r\nLOCATION:   Room A\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.title, "Commas, semicolons; and \\ backslashes");
        assert_eq!(session.abstract_text.as_deref(), Some("One\nTwo\nThree"));
        assert_eq!(session.room.as_deref(), Some("Room A"));
    }

    #[test]
    fn parameters_may_be_quoted_and_hold_separators() {
        let p = property(7, "ORGANIZER;CN=\"Doe, Jane: PhD\";ROLE=CHAIR:mailto:jane@example.org").unwrap();
        assert_eq!(p.line, 7);
        assert_eq!(p.name, "ORGANIZER");
        assert_eq!(p.param("CN"), Some(&["Doe, Jane: PhD".to_string()][..]));
        assert_eq!(p.first_param("ROLE"), Some("CHAIR"));
        assert_eq!(p.value, "mailto:jane@example.org");
        assert_eq!(property(1, "no colon here"), None);
        assert_eq!(property(1, "BAD NAME:x"), None);
        assert_eq!(property(1, "X;CN=\"unterminated:x"), None);
    }
}
