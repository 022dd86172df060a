//! The chat commands: one table that the parser and `!help` both read, one enum, one pure
//! parser. Adding a command is one table row, one variant, one parse arm, one handler arm.

use std::fmt;

/// A command an attendee (or, later, a moderator or organizer) sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Ping,
    /// What is on now, in a room or track, or where the command was sent.
    Now(Option<String>),
    Next(Option<String>),
    Speaker(String),
    Session(String),
    Today,
    Schedule(Option<String>),
    Search(String),
}

/// One row of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The arguments, as `!help` shows them: "[ROOM]", "NAME".
    pub args: &'static str,
    pub summary: &'static str,
}

/// Every command, in the order `!help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "now",
        aliases: &[],
        args: "[ROOM]",
        summary: "what is on now (here, or in ROOM)",
    },
    Spec {
        name: "next",
        aliases: &[],
        args: "[ROOM]",
        summary: "what comes next (here, or in ROOM)",
    },
    Spec {
        name: "today",
        aliases: &[],
        args: "",
        summary: "today's agenda",
    },
    Spec {
        name: "schedule",
        aliases: &[],
        args: "[DATE | day N]",
        summary: "a day's agenda",
    },
    Spec {
        name: "speaker",
        aliases: &[],
        args: "NAME",
        summary: "a speaker's sessions and bio",
    },
    Spec {
        name: "session",
        aliases: &["talk"],
        args: "ID | WORDS",
        summary: "one session in full",
    },
    Spec {
        name: "search",
        aliases: &[],
        args: "WORDS",
        summary: "sessions whose title, speakers or abstract match",
    },
    Spec {
        name: "ping",
        aliases: &[],
        args: "",
        summary: "check that the bot is listening",
    },
    Spec {
        name: "help",
        aliases: &[],
        args: "",
        summary: "this list",
    },
];

/// A command that could not be understood; `Display` is the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("Unknown command !{0}. Send !help for the list.")]
    Unknown(String),
    #[error("Usage: {}", usage(.0))]
    MissingArgument(&'static Spec),
    #[error("Unbalanced quote in the command: close it with a matching {0}.")]
    UnbalancedQuote(char),
}

/// "!speaker NAME — a speaker's sessions and bio".
pub fn usage(spec: &Spec) -> String {
    let args = if spec.args.is_empty() {
        String::new()
    } else {
        format!(" {}", spec.args)
    };
    format!("!{}{args} — {}", spec.name, spec.summary)
}

impl Command {
    /// Reads a chat message. Messages that do not start with `!` are not commands
    /// (`Ok(None)`); names are case-insensitive; arguments may be quoted.
    pub fn parse(message: &str) -> Result<Option<Command>, UsageError> {
        let Some(rest) = message.trim_start().strip_prefix('!') else {
            return Ok(None);
        };
        let words = split_words(rest)?;
        let Some((name, args)) = words.split_first() else {
            return Ok(None);
        };
        let name = name.to_lowercase();
        let Some(spec) = COMMANDS
            .iter()
            .find(|s| s.name == name || s.aliases.contains(&name.as_str()))
        else {
            return Err(UsageError::Unknown(name));
        };
        let joined = (!args.is_empty()).then(|| args.join(" "));
        let required = || joined.clone().ok_or(UsageError::MissingArgument(spec));
        let command = match spec.name {
            "help" => Command::Help,
            "ping" => Command::Ping,
            "now" => Command::Now(joined),
            "next" => Command::Next(joined),
            "today" => Command::Today,
            "schedule" => Command::Schedule(joined),
            "speaker" => Command::Speaker(required()?),
            "session" => Command::Session(required()?),
            "search" => Command::Search(required()?),
            other => unreachable!("command {other} is in the table but has no parse arm"),
        };
        Ok(Some(command))
    }

    /// The name of the command, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Ping => "ping",
            Command::Now(_) => "now",
            Command::Next(_) => "next",
            Command::Speaker(_) => "speaker",
            Command::Session(_) => "session",
            Command::Today => "today",
            Command::Schedule(_) => "schedule",
            Command::Search(_) => "search",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "!{}", self.name())
    }
}

/// Splits on whitespace, keeping "quoted words" and 'quoted words' together.
fn split_words(s: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'' | '“' | '”') => {
                quote = Some(if c == '“' { '”' } else { c });
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(UsageError::UnbalancedQuote(q));
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_and_names_itself() {
        for spec in COMMANDS {
            let args = if spec.args.is_empty() || spec.args.starts_with('[') {
                ""
            } else {
                " x"
            };
            let command = Command::parse(&format!("!{}{args}", spec.name)).unwrap().unwrap();
            assert_eq!(command.name(), spec.name);
            assert!(!spec.summary.is_empty());
        }
    }

    #[test]
    fn names_are_case_insensitive_and_arguments_may_be_quoted() {
        assert_eq!(Command::parse("!NEXT"), Ok(Some(Command::Next(None))));
        assert_eq!(
            Command::parse("  !next  Pagoda room "),
            Ok(Some(Command::Next(Some("Pagoda room".into()))))
        );
        assert_eq!(
            Command::parse("!speaker \"Di Stefano\""),
            Ok(Some(Command::Speaker("Di Stefano".into())))
        );
        assert_eq!(
            Command::parse("!talk rocky"),
            Ok(Some(Command::Session("rocky".into())))
        );
        assert_eq!(
            Command::parse("!search 'it''s'"),
            Ok(Some(Command::Search("its".into())))
        );
    }

    #[test]
    fn plain_chat_is_not_a_command() {
        assert_eq!(Command::parse("what is next?"), Ok(None));
        assert_eq!(Command::parse("!"), Ok(None));
        assert_eq!(Command::parse(""), Ok(None));
    }

    #[test]
    fn mistakes_get_usage_help() {
        assert_eq!(
            Command::parse("!nxt").unwrap_err().to_string(),
            "Unknown command !nxt. Send !help for the list."
        );
        assert_eq!(
            Command::parse("!speaker").unwrap_err().to_string(),
            "Usage: !speaker NAME — a speaker's sessions and bio"
        );
        assert_eq!(
            Command::parse("!search \"open").unwrap_err().to_string(),
            "Unbalanced quote in the command: close it with a matching \"."
        );
    }
}
