//! Whether a chat message speaks to the bot, and the command in it. People address a bot
//! as they address a person: `!next` where bots listen for commands, `confbot: next` or
//! `@confbot:example.org next` by name, a mention (`m.mentions`), or a bare `next` in a
//! direct message. A reply carries a quote of what it answers (the legacy reply
//! fallback); the command is what follows it.

/// Who the bot is to the people in one room.
#[derive(Debug, Clone, Copy)]
pub struct Listener<'a> {
    /// What a command starts with where it does not name the bot (`[commands] prefix`).
    pub prefix: &'a str,
    /// The names people call the bot by: its localpart, display name and MXID.
    pub names: &'a [&'a str],
    /// The message mentions the bot (`m.mentions.user_ids`).
    pub mentioned: bool,
    /// The room is a direct message with the bot.
    pub direct: bool,
}

/// A message that may hold a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard<'a> {
    /// The command as written, without prefix or name: "next Pagoda room".
    pub text: &'a str,
    /// The bot was spoken to (by name, by mention, in a direct message), not only
    /// `!word` in a room where other bots listen too: an unknown command gets an answer.
    pub called: bool,
}

impl Listener<'_> {
    /// The command `body` holds for the bot, if any.
    pub fn hear<'b>(&self, body: &'b str) -> Option<Heard<'b>> {
        let body = body.trim_start();
        if let Some(rest) = body.strip_prefix(self.prefix) {
            return Some(Heard {
                text: rest.trim_start(),
                called: self.mentioned || self.direct,
            });
        }
        if let Some(rest) = self.after_name(body) {
            let rest = rest.trim_start();
            return Some(Heard {
                text: rest.strip_prefix(self.prefix).unwrap_or(rest).trim_start(),
                called: true,
            });
        }
        (self.mentioned || self.direct).then_some(Heard {
            text: body,
            called: true,
        })
    }

    /// What follows the bot's name at the start of `body` and `:`, `,` or a space.
    fn after_name<'b>(&self, body: &'b str) -> Option<&'b str> {
        self.names.iter().filter(|name| !name.is_empty()).find_map(|name| {
            let head = body.get(..name.len())?;
            if !head.eq_ignore_ascii_case(name) && head.to_lowercase() != name.to_lowercase() {
                return None;
            }
            let rest = &body[name.len()..];
            let mut chars = rest.chars();
            match chars.next() {
                Some(':' | ',') => Some(chars.as_str()),
                Some(c) if c.is_whitespace() => Some(rest),
                _ => None,
            }
        })
    }
}

impl Heard<'_> {
    /// The command heard, or what was wrong with it: `None` when there is nothing to
    /// answer. An unknown command is answered only when the bot was called or it is a
    /// typo of one of its own; otherwise it is another bot's, or shouting ("!!!").
    pub fn command(&self) -> Option<Result<super::Command, super::UsageError>> {
        match super::Command::read(self.text) {
            Ok(None) => None,
            Ok(Some(command)) => Some(Ok(command)),
            Err(super::UsageError::Unknown { closest: None, .. }) if !self.called => None,
            Err(err) => Some(Err(err)),
        }
    }
}

/// The body of a reply without the quote of what it answers: the leading `> ` lines and
/// the blank line after them (the legacy reply fallback). Only for events that are
/// replies; a message that merely starts with a quote is left whole.
pub fn without_reply_fallback(body: &str) -> &str {
    let mut rest = body;
    let mut quoted = false;
    while rest.starts_with("> ") || rest.starts_with(">\n") || rest == ">" {
        quoted = true;
        rest = rest.split_once('\n').map_or("", |(_, tail)| tail);
    }
    if !quoted {
        return body;
    }
    rest.strip_prefix('\n').unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["confbot", "Conference Bot", "@confbot:example.org"];

    fn room() -> Listener<'static> {
        Listener {
            prefix: "!",
            names: NAMES,
            mentioned: false,
            direct: false,
        }
    }

    fn heard(text: &str, called: bool) -> Option<Heard<'_>> {
        Some(Heard { text, called })
    }

    #[test]
    fn a_prefixed_command_is_heard_but_only_a_named_one_is_called() {
        assert_eq!(room().hear("!next"), heard("next", false));
        assert_eq!(room().hear("  ! next Pagoda"), heard("next Pagoda", false));
        assert_eq!(room().hear("see you at lunch"), None);
        assert_eq!(room().hear("next"), None);
    }

    #[test]
    fn another_prefix_replaces_the_exclamation_mark() {
        let question = Listener { prefix: "?", ..room() };
        assert_eq!(question.hear("?next"), heard("next", false));
        assert_eq!(question.hear("!next"), None);
        assert_eq!(question.hear("confbot: ?now"), heard("now", true));
        let double = Listener { prefix: "!!", ..room() };
        assert_eq!(double.hear("!!next"), heard("next", false));
        assert_eq!(double.hear("!next"), None);
    }

    #[test]
    fn a_message_that_starts_with_the_bots_name_is_called() {
        assert_eq!(room().hear("confbot: next"), heard("next", true));
        assert_eq!(room().hear("ConfBot, !now Pagoda room"), heard("now Pagoda room", true));
        assert_eq!(room().hear("@confbot:example.org next"), heard("next", true));
        assert_eq!(room().hear("Conference Bot: help ask"), heard("help ask", true));
        // A name is a whole word: "confbots" is someone else.
        assert_eq!(room().hear("confbots are great"), None);
        assert_eq!(room().hear("confbot"), None);
    }

    #[test]
    fn a_mention_or_a_direct_message_needs_no_prefix() {
        let mentioned = Listener {
            mentioned: true,
            ..room()
        };
        assert_eq!(mentioned.hear("next"), heard("next", true));
        assert_eq!(mentioned.hear("!nxt"), heard("nxt", true));
        let direct = Listener { direct: true, ..room() };
        assert_eq!(direct.hear("  next"), heard("next", true));
        assert_eq!(direct.hear("!next"), heard("next", true));
    }

    #[test]
    fn an_unknown_command_is_answered_only_when_the_bot_was_called_or_it_is_a_typo() {
        assert_eq!(room().hear("!ban @spammer").unwrap().command(), None);
        assert_eq!(room().hear("!!! stream is down").unwrap().command(), None);
        assert!(matches!(room().hear("!nxt").unwrap().command(), Some(Err(_))));
        assert!(matches!(
            room().hear("confbot: frobnicate").unwrap().command(),
            Some(Err(_))
        ));
        assert_eq!(room().hear("!").unwrap().command(), None);
        assert_eq!(
            room().hear("!next").unwrap().command(),
            Some(Ok(super::super::Command::Next(None)))
        );
    }

    #[test]
    fn the_quote_a_reply_starts_with_is_not_part_of_its_command() {
        assert_eq!(
            without_reply_fallback("> <@alice:example.org> when is lunch?\n> at noon?\n\n!next"),
            "!next"
        );
        assert_eq!(without_reply_fallback("!next"), "!next");
        assert_eq!(without_reply_fallback("> <@a:b> quoted only"), "");
        assert_eq!(without_reply_fallback(">quote without space"), ">quote without space");
    }
}
