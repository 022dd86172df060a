//! A chat message built once and rendered twice: a plain-text body and an HTML body in
//! which every piece of schedule or user text is escaped.

/// A reply or announcement, as plain text and as HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    plain: String,
    html: String,
}

impl Message {
    pub fn new() -> Message {
        Message::default()
    }

    /// A message of one plain sentence.
    pub fn plain(text: &str) -> Message {
        let mut message = Message::new();
        message.text(text);
        message
    }

    pub fn text(&mut self, text: &str) -> &mut Message {
        self.plain.push_str(text);
        self.html.push_str(&escape(text));
        self
    }

    pub fn strong(&mut self, text: &str) -> &mut Message {
        self.plain.push_str(text);
        self.html.push_str(&format!("<strong>{}</strong>", escape(text)));
        self
    }

    pub fn em(&mut self, text: &str) -> &mut Message {
        self.plain.push_str(text);
        self.html.push_str(&format!("<em>{}</em>", escape(text)));
        self
    }

    pub fn code(&mut self, text: &str) -> &mut Message {
        self.plain.push_str(text);
        self.html.push_str(&format!("<code>{}</code>", escape(text)));
        self
    }

    /// A link: the URL in parentheses in plain text, an anchor in HTML. Only http(s) URLs
    /// become anchors.
    pub fn link(&mut self, text: &str, url: &str) -> &mut Message {
        if url.starts_with("https://") || url.starts_with("http://") {
            if text == url {
                self.plain.push_str(url);
            } else {
                self.plain.push_str(&format!("{text} ({url})"));
            }
            self.html
                .push_str(&format!("<a href=\"{}\">{}</a>", escape(url), escape(text)));
        } else {
            self.text(text);
        }
        self
    }

    pub fn line_break(&mut self) -> &mut Message {
        self.plain.push('\n');
        self.html.push_str("<br>\n");
        self
    }

    pub fn is_empty(&self) -> bool {
        self.plain.is_empty()
    }

    /// The plain-text body.
    pub fn body(&self) -> &str {
        &self.plain
    }

    /// The HTML body (`formatted_body`).
    pub fn html(&self) -> &str {
        &self.html
    }
}

/// Escapes the five characters that matter in HTML text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_html_and_kept_in_plain_text() {
        let mut m = Message::new();
        m.strong("<script>alert('x')</script>")
            .text(" & @room")
            .line_break()
            .link("docs", "https://example.org/?a=1&b=\"2\"");
        assert_eq!(
            m.body(),
            "<script>alert('x')</script> & @room\ndocs (https://example.org/?a=1&b=\"2\")"
        );
        assert_eq!(
            m.html(),
            "<strong>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</strong> &amp; @room<br>\n<a href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\">docs</a>"
        );
    }

    #[test]
    fn only_web_links_become_anchors() {
        let mut m = Message::new();
        m.link("click", "javascript:alert(1)");
        assert_eq!(m.html(), "click");
    }
}
