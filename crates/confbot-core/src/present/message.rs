//! A chat message built once and rendered twice: a plain-text body and an HTML body in
//! which every piece of schedule or user text is escaped. Text people typed (a question, a
//! display name, a search) passes through [`isolate`] first, so that its direction
//! controls stay inside it.
//!
//! The bot's own words name commands with [`Message::command`]: written with `!` here,
//! and given the configured `[commands] prefix` by [`Message::with_prefix`] on the way
//! out. Only those places change; a `!` someone typed stays as typed.

use std::borrow::Cow;

/// A reply or announcement, as plain text and as HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    plain: String,
    html: String,
    /// Where a command is named: the byte offsets of its `!` in `plain` and in `html`.
    commands: Vec<(usize, usize)>,
    mentions: Mentions,
}

/// Whom a message notifies (`m.mentions`): nobody, unless the bot's own words say so with
/// [`Message::mention_room`] or [`Message::mention`]. Text from a schedule or a person
/// never adds to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// The whole room (`@room`).
    pub room: bool,
    /// These Matrix IDs, each named in the text.
    pub users: Vec<String>,
}

/// How a message names a command until [`Message::with_prefix`] gives it the prefix
/// the bot was configured with.
const WRITTEN_PREFIX: &str = "!";

impl Message {
    pub fn new() -> Message {
        Message::default()
    }

    /// A message as it was built before, from its two renderings (kept in the store).
    pub fn stored(plain: String, html: String) -> Message {
        Message {
            plain,
            html,
            commands: Vec::new(),
            mentions: Mentions::default(),
        }
    }

    /// A message of one plain sentence.
    pub fn plain(text: &str) -> Message {
        let mut message = Message::new();
        message.text(text);
        message
    }

    /// A sentence that names one command: "Send " + "help" + " for the list." gives
    /// "Send !help for the list.".
    pub fn naming(before: &str, command: &str, after: &str) -> Message {
        let mut message = Message::plain(before);
        message.command(command).text(after);
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

    /// Text that no longer stands, as an answered question on the board: struck through
    /// in HTML (`<del>`), as it is in plain text, where the words around it say why.
    pub fn struck(&mut self, text: &str) -> &mut Message {
        self.plain.push_str(text);
        self.html.push_str(&format!("<del>{}</del>", escape(text)));
        self
    }

    /// "@room", notifying everyone in the room.
    pub fn mention_room(&mut self) -> &mut Message {
        self.mentions.room = true;
        self.text("@room")
    }

    /// `name` as a pill for the Matrix ID `user`, notifying them.
    pub fn mention(&mut self, user: &str, name: &str) -> &mut Message {
        if !self.mentions.users.iter().any(|u| u == user) {
            self.mentions.users.push(user.to_string());
        }
        self.plain.push_str(name);
        self.html.push_str(&format!(
            "<a href=\"https://matrix.to/#/{}\">{}</a>",
            escape(user),
            escape(name)
        ));
        self
    }

    /// Whom the message notifies.
    pub fn mentions(&self) -> &Mentions {
        &self.mentions
    }

    /// A command and its arguments, named in the bot's words: "!help ask" from "help ask".
    pub fn command(&mut self, text: &str) -> &mut Message {
        self.commands.push((self.plain.len(), self.html.len()));
        self.text(WRITTEN_PREFIX).text(text)
    }

    /// A command set apart as code (`<code>` in HTML), as `!help` lists them.
    pub fn command_code(&mut self, text: &str) -> &mut Message {
        self.html.push_str("<code>");
        self.command(text);
        self.html.push_str("</code>");
        self
    }

    /// The message with `prefix` wherever it names a command: what the bot sends once its
    /// `[commands] prefix` is known.
    pub fn with_prefix(self, prefix: &str) -> Message {
        if prefix == WRITTEN_PREFIX || self.commands.is_empty() {
            return Message {
                commands: Vec::new(),
                ..self
            };
        }
        let mentions = self.mentions.clone();
        let mut plain = String::with_capacity(self.plain.len() + self.commands.len() * prefix.len());
        let mut html = String::with_capacity(self.html.len() + self.commands.len() * prefix.len() * 6);
        let (mut from_plain, mut from_html) = (0, 0);
        let escaped = escape(prefix);
        for &(at_plain, at_html) in &self.commands {
            plain.push_str(&self.plain[from_plain..at_plain]);
            plain.push_str(prefix);
            html.push_str(&self.html[from_html..at_html]);
            html.push_str(&escaped);
            from_plain = at_plain + WRITTEN_PREFIX.len();
            from_html = at_html + WRITTEN_PREFIX.len();
        }
        plain.push_str(&self.plain[from_plain..]);
        html.push_str(&self.html[from_html..]);
        Message {
            mentions,
            ..Message::stored(plain, html)
        }
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

    /// `other` after this message, its commands still named.
    pub fn append(&mut self, other: &Message) -> &mut Message {
        let (plain, html) = (self.plain.len(), self.html.len());
        self.commands
            .extend(other.commands.iter().map(|&(p, h)| (plain + p, html + h)));
        self.mentions.room |= other.mentions.room;
        for user in &other.mentions.users {
            if !self.mentions.users.contains(user) {
                self.mentions.users.push(user.clone());
            }
        }
        self.plain.push_str(&other.plain);
        self.html.push_str(&other.html);
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

    /// The message within `max` bytes of plain and HTML body together: one too long keeps
    /// its first lines and ends with a line saying how many it left out. Matrix refuses
    /// events over 64 KiB, and a reply that cannot be sent is no answer at all.
    pub fn fit(self, max: usize) -> Message {
        if self.plain.len() + self.html.len() <= max {
            return self;
        }
        let mentions = self.mentions.clone();
        let plain: Vec<&str> = self.plain.split('\n').collect();
        let html: Vec<&str> = self.html.split('\n').collect();
        // Room for the closing line, whose count has at most 20 digits.
        let budget = max.saturating_sub(300);
        let mut kept = 0;
        let mut used = 0;
        if plain.len() == html.len() {
            for (p, h) in plain.iter().zip(&html) {
                used += p.len() + h.len() + 2;
                if used > budget {
                    break;
                }
                kept += 1;
            }
        }
        let mut fitted = if kept > 0 {
            let mut fitted = Message::stored(plain[..kept].join("\n"), html[..kept].join("\n"));
            let (plain_len, html_len) = (fitted.plain.len(), fitted.html.len());
            fitted.commands = (self.commands.iter())
                .filter(|&&(p, h)| p < plain_len && h < html_len)
                .copied()
                .collect();
            if !fitted.html.ends_with("<br>") {
                fitted.html.push_str("<br>");
            }
            fitted.plain.push('\n');
            fitted.html.push('\n');
            fitted
        } else {
            // One line too long (or lines that do not pair up): a cut of the plain text.
            let cut: String = self
                .plain
                .chars()
                .scan(0, |bytes, c| {
                    *bytes += c.len_utf8() * 7; // plain, and escaped in HTML at worst six times over
                    (*bytes <= budget).then_some(c)
                })
                .collect();
            let mut fitted = Message::plain(&cut);
            fitted.text("…").line_break();
            fitted
        };
        let left = match plain.len() - kept {
            _ if kept == 0 => "The rest is".to_string(),
            1 => "1 more line is".to_string(),
            n => format!("{n} more lines are"),
        };
        fitted.em(&format!(
            "{left} left out: that is all one message can hold. Narrow it down (a room, a day, other words)."
        ));
        fitted.mentions = mentions;
        fitted
    }
}

/// How much plain and HTML body together a message the bot sends may carry: half of
/// Matrix's 64 KiB event limit, which leaves room for the event's other fields and JSON.
pub const MAX_BYTES: usize = 32 * 1024;

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

/// First strong isolate and pop directional isolate: the wrapper [`isolate`] puts around
/// typed text.
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';
/// Pop directional formatting: closes an embedding or override.
const PDF: char = '\u{202C}';

/// Text someone typed, shown as typed but unable to turn the bot's own text around.
///
/// An explicit direction control (LRE, RLE, LRO, RLO U+202A–U+202E; LRI, RLI, FSI, PDI
/// U+2066–U+2069) in a display name or a question would otherwise reverse whatever follows
/// it on the line: "(@mallory:example.org) at 09:35" after a name ending in U+202E reads
/// backwards. Text with such a control is wrapped in FSI … PDI, balanced inside: a PDI with
/// no isolate to close is dropped (it would close the wrapper), and what is still open at
/// the end of each line is closed there (PDF for embeddings and overrides, PDI for
/// isolates). Text without one is returned unchanged.
pub fn isolate(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_direction_control) {
        return Cow::Borrowed(text);
    }
    /// Closes what is still open, innermost first, then the wrapper.
    fn close(out: &mut String, open: &mut Vec<char>) {
        out.extend(open.drain(..).rev());
        out.push(PDI);
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push(FSI);
    // For each control still open, the character that closes it.
    let mut open: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => open.push(PDF),
            '\u{2066}'..='\u{2068}' => open.push(PDI),
            // A PDF ends the innermost embedding only if no isolate opened after it; the
            // Unicode bidi algorithm ignores it otherwise, inside the wrapper too.
            PDF if open.last() == Some(&PDF) => {
                open.pop();
            }
            // A PDI closes its isolate and every embedding opened inside that isolate.
            PDI => match open.iter().rposition(|&closer| closer == PDI) {
                Some(at) => open.truncate(at),
                None => continue,
            },
            // A paragraph separator ends every embedding and isolate in the plain body, but
            // not in HTML, where a newline is a space: close them before it and open a new
            // wrapper after it, which holds either way.
            '\n' | '\r' | '\u{1C}'..='\u{1E}' | '\u{85}' | '\u{2029}' => {
                close(&mut out, &mut open);
                out.push(c);
                if c == '\r' && chars.peek() == Some(&'\n') {
                    out.push('\n');
                    chars.next();
                }
                out.push(FSI);
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    close(&mut out, &mut open);
    Cow::Owned(out)
}

/// The explicit embeddings, overrides and isolates, and their closers.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bots_own_words_mention_and_a_mention_survives_prefix_append_and_fit() {
        let mut typed = Message::new();
        typed.text("@room <b>@alice:x</b> ").command("next");
        assert_eq!(typed.mentions(), &Mentions::default());

        let mut cue = Message::new();
        cue.mention_room()
            .text(" ")
            .mention("@adam:fedoraproject.org", "Adam <Samalik>")
            .text(", ")
            .mention("@adam:fedoraproject.org", "Adam")
            .text(": ")
            .append(&typed);
        assert_eq!(cue.body(), "@room Adam <Samalik>, Adam: @room <b>@alice:x</b> !next");
        assert_eq!(
            cue.html(),
            "@room <a href=\"https://matrix.to/#/@adam:fedoraproject.org\">Adam &lt;Samalik&gt;</a>, \
             <a href=\"https://matrix.to/#/@adam:fedoraproject.org\">Adam</a>: @room &lt;b&gt;@alice:x&lt;/b&gt; !next"
        );
        let expected = Mentions {
            room: true,
            users: vec!["@adam:fedoraproject.org".to_string()],
        };
        assert_eq!(cue.mentions(), &expected);
        assert_eq!(cue.clone().with_prefix("?").mentions(), &expected);
        assert_eq!(cue.clone().with_prefix("!").mentions(), &expected);
        cue.line_break().text(&"x".repeat(400));
        assert_eq!(cue.fit(300).mentions(), &expected);
    }

    #[test]
    fn the_prefix_changes_where_the_bot_names_a_command_and_nowhere_else() {
        let mut message = Message::new();
        message
            .text("Q3 \"!important <b>\": send ")
            .command("upvote Q3")
            .text(" or ")
            .command_code("help ask")
            .text(".");
        assert_eq!(message.body(), "Q3 \"!important <b>\": send !upvote Q3 or !help ask.");
        let question = message.clone().with_prefix("?");
        assert_eq!(question.body(), "Q3 \"!important <b>\": send ?upvote Q3 or ?help ask.");
        assert_eq!(
            question.html(),
            "Q3 &quot;!important &lt;b&gt;&quot;: send ?upvote Q3 or <code>?help ask</code>."
        );
        // A prefix is escaped in HTML like any text, and may be longer than one byte.
        let marks = message.clone().with_prefix("<¡");
        assert_eq!(marks.body(), "Q3 \"!important <b>\": send <¡upvote Q3 or <¡help ask.");
        assert!(marks
            .html()
            .ends_with("send &lt;¡upvote Q3 or <code>&lt;¡help ask</code>."));
        assert_eq!(message.clone().with_prefix("!").body(), message.body());
    }

    #[test]
    fn a_cut_message_keeps_the_commands_it_still_names() {
        let mut message = Message::naming("Send ", "help", " for the list.");
        for _ in 0..50 {
            message.line_break().text(&"x".repeat(100)).command("next");
        }
        let fitted = message.fit(2_000).with_prefix("?");
        assert!(
            fitted.body().starts_with("Send ?help for the list.\n"),
            "{}",
            fitted.body()
        );
        assert!(fitted.body().contains("x?next\n"));
        assert!(!fitted.body().contains('!'));
        assert!(fitted
            .body()
            .ends_with("left out: that is all one message can hold. Narrow it down (a room, a day, other words)."));
    }

    #[test]
    fn a_message_too_long_for_one_event_keeps_its_first_lines_and_says_how_many_it_left_out() {
        let mut long = Message::new();
        long.strong("Saturday 1 February 2025");
        for i in 0..2_000 {
            long.line_break()
                .text(&format!("  09:{:02} Talk number {i} <about> things", i % 60));
        }
        let fitted = long.clone().fit(MAX_BYTES);
        assert!(fitted.body().len() + fitted.html().len() <= MAX_BYTES);
        let lines: Vec<&str> = fitted.body().lines().collect();
        assert_eq!(lines[0], "Saturday 1 February 2025");
        assert_eq!(lines[1], "  09:00 Talk number 0 <about> things");
        let kept = lines.len() - 2; // the heading and the closing line
        assert_eq!(
            lines[lines.len() - 1],
            format!(
                "{} more lines are left out: that is all one message can hold. Narrow it down (a room, a day, other words).",
                2_001 - 1 - kept
            )
        );
        assert_eq!(fitted.html().matches("<br>").count(), lines.len() - 1);
        assert!(fitted.html().contains("&lt;about&gt;"));
        assert!(fitted.html().ends_with("</em>"));
        // A message within the limit is left as it is.
        let short = Message::plain("Next: AlmaLinux");
        assert_eq!(short.clone().fit(MAX_BYTES), short);
    }

    #[test]
    fn a_single_line_too_long_is_cut() {
        let line = "é".repeat(40_000);
        let fitted = Message::plain(&line).fit(MAX_BYTES);
        assert!(fitted.body().len() + fitted.html().len() <= MAX_BYTES);
        assert!(fitted.body().starts_with("éé"));
        assert!(fitted.body().ends_with(
            "The rest is left out: that is all one message can hold. Narrow it down (a room, a day, other words)."
        ));
    }

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

    /// Whether `out` keeps every direction control inside the wrapper, as the Unicode bidi
    /// algorithm reads it (rules X1–X8, without overflow): on each line the first character
    /// opens an isolate that only the last character closes, and nothing is left open.
    fn contained(out: &str) -> bool {
        out.split(['\n', '\r', '\u{1C}', '\u{1D}', '\u{1E}', '\u{85}', '\u{2029}'])
            .filter(|line| !line.is_empty())
            .all(|line| {
                let chars: Vec<char> = line.chars().collect();
                // true: an isolate; false: an embedding or override.
                let mut stack: Vec<bool> = Vec::new();
                for (i, &c) in chars.iter().enumerate() {
                    match c {
                        '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => stack.push(false),
                        '\u{2066}'..='\u{2068}' => stack.push(true),
                        PDF if stack.last() == Some(&false) => {
                            stack.pop();
                        }
                        PDI => match stack.iter().rposition(|&isolate| isolate) {
                            Some(at) => stack.truncate(at),
                            None => return false,
                        },
                        _ => {}
                    }
                    if stack.is_empty() != (i == chars.len() - 1) {
                        return false;
                    }
                }
                chars[0] == FSI
            })
    }

    #[test]
    fn text_without_direction_controls_is_unchanged() {
        for text in [
            "Is <b>NM</b> 1.42 in *RHEL* 9.2? @room & \"nmstate\"",
            "שלום עולם and مرحبا",
            "zero\u{200B}width\u{2060}joiner\u{FEFF}",
            "",
        ] {
            assert!(matches!(isolate(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }

    #[test]
    fn an_override_is_isolated_and_closed() {
        // A display name ending in RLO would show the ID and time after it backwards.
        assert_eq!(isolate("Mallory \u{202E}"), "\u{2068}Mallory \u{202E}\u{202C}\u{2069}");
        assert_eq!(
            isolate("\u{202E}x\u{202C}y"),
            "\u{2068}\u{202E}x\u{202C}y\u{2069}",
            "closed already"
        );
        assert_eq!(
            isolate("\u{2067}a\u{202D}b"),
            "\u{2068}\u{2067}a\u{202D}b\u{202C}\u{2069}\u{2069}",
            "innermost first"
        );
        assert_eq!(
            isolate("\u{2067}\u{202B}a\u{2069}b"),
            "\u{2068}\u{2067}\u{202B}a\u{2069}b\u{2069}",
            "a PDI closes the embeddings inside its isolate"
        );
    }

    #[test]
    fn a_closer_with_nothing_to_close_cannot_end_the_wrapper() {
        assert_eq!(isolate("a\u{2069}\u{202E}b"), "\u{2068}a\u{202E}b\u{202C}\u{2069}");
        assert_eq!(isolate("\u{2069}\u{2069}"), "\u{2068}\u{2069}");
        // A stray PDF is ignored inside an isolate: kept as typed.
        assert_eq!(isolate("a\u{202C}"), "\u{2068}a\u{202C}\u{2069}");
    }

    #[test]
    fn each_line_is_closed_at_its_end() {
        assert_eq!(
            isolate("\u{202E}a\r\nb\u{2066}"),
            "\u{2068}\u{202E}a\u{202C}\u{2069}\r\n\u{2068}b\u{2066}\u{2069}\u{2069}"
        );
    }

    #[test]
    fn every_mix_of_controls_stays_inside() {
        let pieces = [
            "a", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}",
            "\u{2069}", "\n",
        ];
        // Every sequence of up to four pieces.
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}")))
                .collect();
            for text in &longer {
                let out = isolate(text);
                if text.chars().any(is_direction_control) {
                    assert!(contained(&out), "{text:?} -> {out:?}");
                    let typed: String = out.chars().filter(|&c| c != FSI && c != PDI && c != PDF).collect();
                    let kept: String = text.chars().filter(|&c| c != FSI && c != PDI && c != PDF).collect();
                    assert_eq!(typed, kept, "everything else as typed");
                }
            }
            texts = longer;
        }
    }

    #[test]
    fn isolated_text_is_still_escaped_in_html() {
        let mut m = Message::new();
        m.text("From ")
            .text(&isolate("<b>x</b> @room \u{202E}"))
            .text(" (")
            .code("@mallory:example.org")
            .text(")");
        assert_eq!(
            m.body(),
            "From \u{2068}<b>x</b> @room \u{202E}\u{202C}\u{2069} (@mallory:example.org)"
        );
        assert_eq!(
            m.html(),
            "From \u{2068}&lt;b&gt;x&lt;/b&gt; @room \u{202E}\u{202C}\u{2069} (<code>@mallory:example.org</code>)"
        );
    }

    #[test]
    fn an_appended_message_keeps_its_commands() {
        let mut m = Message::plain("First.");
        m.line_break();
        m.append(&Message::naming("Then ", "ask QUESTION", "."));
        let m = m.with_prefix("?");
        assert_eq!(m.body(), "First.\nThen ?ask QUESTION.");
        assert_eq!(m.html(), "First.<br>\nThen ?ask QUESTION.");
    }

    #[test]
    fn struck_text_is_deleted_in_html_and_kept_in_plain_text() {
        let mut m = Message::new();
        m.text("✓ ").struck("Q3 <b>&</b>");
        assert_eq!(m.body(), "✓ Q3 <b>&</b>");
        assert_eq!(m.html(), "✓ <del>Q3 &lt;b&gt;&amp;&lt;/b&gt;</del>");
    }

    #[test]
    fn only_web_links_become_anchors() {
        let mut m = Message::new();
        m.link("click", "javascript:alert(1)");
        assert_eq!(m.html(), "click");
    }
}
