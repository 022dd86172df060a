//! The chat commands: one table that the parser and `!help` both read, one enum, one pure
//! parser. Adding a command is one table row, one variant, one parse arm, one handler arm.

pub use crate::access::Role;

pub mod address;
mod args;
mod table;
pub use args::question_number;
use args::{parse_announce, parse_ask, parse_delay, split_words};
use chrono::TimeDelta;
use std::fmt;
pub use table::{written, Spec, COMMANDS};

/// A command an attendee (or, later, a moderator or organizer) sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The commands this user may use, or how to use one.
    Help(Option<String>),
    Ping,
    /// What is on now, in a room or track, or where the command was sent.
    Now(Option<String>),
    Next(Option<String>),
    Speaker(String),
    Session(String),
    Today,
    Schedule(Option<String>),
    Search(String),
    /// Organizers: post TEXT now, after a delay, or at a time, to rooms of `[rooms]`
    /// (`None`: the announcements rooms).
    Announce {
        when: AnnounceWhen,
        to: Option<Audience>,
        text: String,
    },
    /// Organizers: send the announcement to several rooms that waits for this sender's ✅.
    Confirm,
    /// Organizers: the pending announcements, with ids.
    Announcements,
    /// Organizers: cancel a pending announcement.
    Cancel(u64),
    /// Organizers: the session running in ROOM (or the next) and all later ones that day move.
    Delay {
        place: Option<String>,
        shift: TimeDelta,
    },
    /// Organizers: the next posts due.
    Status,
    /// Organizers: read the schedule source again and announce what changed.
    Reload,
    /// A direct message to this attendee before the session (ID or words).
    Remind(String),
    /// This attendee's personal reminders.
    Reminders,
    /// Cancel a personal reminder.
    Forget(String),
    /// Show answers also in this zone; `None` shows the setting, "off" clears it.
    Tz(Option<String>),
    /// A question for the speaker, as typed; `session` when written `!ask #ID QUESTION`.
    Ask {
        session: Option<String>,
        text: String,
    },
    /// One vote for question N.
    Upvote(u64),
    /// Moderators: pass question N on to the speakers.
    Approve(u64),
    /// Moderators: turn question N down, with an optional reason for the asker.
    Reject {
        number: u64,
        reason: Option<String>,
    },
    /// Moderators: question N was answered.
    Answered(u64),
    /// Moderators: the open questions of the current session, or of SESSION.
    Questions(Option<String>),
    /// Moderators: SESSION's speakers will not come; its cues and check-in are silenced.
    NoShow(String),
}

/// When an announcement from chat goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnounceWhen {
    Now,
    In(TimeDelta),
    /// A local time as written: "14:30" (today) or "2023-02-03T14:30".
    At(String),
}

/// Whom an announcement from chat is for, as `!announce … to …` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `to all`: every room attendees read (the announcements rooms and each place's room).
    All,
    /// `to track NAME`: the rooms of a track's sessions.
    Track(String),
    /// `to ROOM[,ROOM…]`: targets of `[rooms]`, places of `[rooms.map]` or rooms of the config.
    Rooms(Vec<String>),
}

/// A command that could not be understood (`present::refusal` words the reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageError {
    /// `!NAME` that is no command: the name, cut to a line, and the command it is a typo
    /// of, if any.
    Unknown {
        name: String,
        closest: Option<&'static str>,
    },
    /// An argument missing or not readable: the reply is the command's usage.
    MissingArgument(&'static Spec),
    UnbalancedQuote(char),
    /// Arguments longer than [`MAX_ARGUMENT_CHARS`].
    TooLong(&'static Spec),
    /// An announcement longer than [`MAX_ANNOUNCEMENT_CHARS`].
    AnnouncementTooLong,
    /// More commands from one sender than `[commands] per_user` allows.
    SlowDown(crate::questions::Rate),
}

/// The most characters a command's arguments may have (a question has its own limit,
/// `[questions] max_length`, and an announcement's text [`MAX_ANNOUNCEMENT_CHARS`]).
/// Longer ones are refused before any lookup: no name, room or zone is that long, and
/// matching costs grow with the length.
pub const MAX_ARGUMENT_CHARS: usize = 500;

/// The most characters an announcement's text may have: it is written to be posted, so
/// it is longer than any name, but a room should not get pages of it.
pub const MAX_ANNOUNCEMENT_CHARS: usize = 4000;

/// The most characters of an unknown command's name that its reply echoes back.
const SHOWN_NAME_CHARS: usize = 40;

/// The command called `name` (lower case), by its name or an alias.
pub fn find(name: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|s| s.name == name || s.aliases.contains(&name))
}

/// The command `name` (lower case) is a typo of: one edit away from a name of four
/// letters or less, two from a longer one, and the closest such.
pub fn find_closest(name: &str) -> Option<&'static str> {
    let length = name.chars().count();
    if !(2..=20).contains(&length) {
        return None;
    }
    COMMANDS
        .iter()
        .flat_map(|spec| {
            std::iter::once(spec.name)
                .chain(spec.aliases.iter().copied())
                .map(move |n| (n, spec.name))
        })
        .map(|(written, command)| (crate::text::edit_distance(name, written), written, command))
        .filter(|(distance, written, _)| *distance <= if written.len() <= 4 { 1 } else { 2 })
        .min_by_key(|(distance, ..)| *distance)
        .map(|(.., command)| command)
}

/// The name as "Unknown command" shows it: whole, or its first [`SHOWN_NAME_CHARS`]
/// characters and "…", so that a 60,000-character name gets a one-line reply.
fn shown_name(name: &str) -> String {
    match name.char_indices().nth(SHOWN_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    }
}

impl Command {
    /// Reads a chat message written with the default prefix, as the command line and
    /// tests write them. Messages that do not start with `!` are not commands
    /// (`Ok(None)`); names are case-insensitive; arguments may be quoted.
    pub fn parse(message: &str) -> Result<Option<Command>, UsageError> {
        let Some(rest) = message.trim_start().strip_prefix(crate::config::DEFAULT_PREFIX) else {
            return Ok(None);
        };
        Command::read(rest)
    }

    /// Reads a command without its prefix, as [`address::Listener::hear`] gives it:
    /// "next Pagoda room". Nothing at all is no command (`Ok(None)`).
    pub fn read(text: &str) -> Result<Option<Command>, UsageError> {
        let rest = text.trim_start();
        // The name as written: quotes in it make it no command's name ("!\"ask\"").
        let Some(written) = rest.split_whitespace().next() else {
            return Ok(None);
        };
        let name = written.to_lowercase();
        let Some(spec) = find(&name) else {
            return Err(UsageError::Unknown {
                closest: find_closest(&name),
                name: shown_name(&name),
            });
        };
        // Lower case may be longer or shorter than the name as written (U+212A KELVIN SIGN
        // is three bytes, its lower case k one), so the arguments start after the written name.
        let rest = &rest[written.len()..];
        if spec.name == "ask" {
            // A question is kept as typed: quotes and apostrophes are text, not syntax.
            return parse_ask(rest.trim(), spec).map(Some);
        }
        // An announcement's text has its own limit, checked once it is split from the
        // time and room (which keep this one).
        if spec.name != "announce" && rest.trim().chars().nth(MAX_ARGUMENT_CHARS).is_some() {
            return Err(UsageError::TooLong(spec));
        }
        let args = split_words(rest)?;
        let joined = (!args.is_empty()).then(|| args.join(" "));
        let required = || joined.clone().ok_or(UsageError::MissingArgument(spec));
        let command = match spec.name {
            // "!help !ask" names the command as it is written, with whatever prefix.
            "help" => Command::Help(
                joined.map(|topic| topic.trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase()),
            ),
            "ping" => Command::Ping,
            "now" => Command::Now(joined),
            "next" => Command::Next(joined),
            "today" => Command::Today,
            "schedule" => Command::Schedule(joined),
            "speaker" => Command::Speaker(required()?),
            "session" => Command::Session(required()?),
            "search" => Command::Search(required()?),
            "announce" => parse_announce(&args, spec)?,
            "announcements" => Command::Announcements,
            "confirm" => Command::Confirm,
            "cancel" => {
                let id = required()?;
                Command::Cancel(
                    id.trim_start_matches('#')
                        .parse()
                        .map_err(|_| UsageError::MissingArgument(spec))?,
                )
            }
            "delay" => parse_delay(&args, spec)?,
            "status" => Command::Status,
            "reload" => Command::Reload,
            "remind" => Command::Remind(required()?),
            "reminders" => Command::Reminders,
            "forget" => Command::Forget(required()?),
            "tz" => Command::Tz(joined),
            "upvote" => Command::Upvote(question_number(args.first(), spec)?),
            "approve" => Command::Approve(question_number(args.first(), spec)?),
            "answered" => Command::Answered(question_number(args.first(), spec)?),
            "reject" => Command::Reject {
                number: question_number(args.first(), spec)?,
                reason: (args.len() > 1).then(|| args[1..].join(" ")),
            },
            "questions" => Command::Questions(joined),
            "noshow" => Command::NoShow(required()?),
            other => unreachable!("command {other} is in the table but has no parse arm"),
        };
        Ok(Some(command))
    }

    /// The name of the command, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help(_) => "help",
            Command::Ping => "ping",
            Command::Now(_) => "now",
            Command::Next(_) => "next",
            Command::Speaker(_) => "speaker",
            Command::Session(_) => "session",
            Command::Today => "today",
            Command::Schedule(_) => "schedule",
            Command::Search(_) => "search",
            Command::Announce { .. } => "announce",
            Command::Announcements => "announcements",
            Command::Confirm => "confirm",
            Command::Cancel(_) => "cancel",
            Command::Delay { .. } => "delay",
            Command::Status => "status",
            Command::Reload => "reload",
            Command::Remind(_) => "remind",
            Command::Reminders => "reminders",
            Command::Forget(_) => "forget",
            Command::Tz(_) => "tz",
            Command::Ask { .. } => "ask",
            Command::Upvote(_) => "upvote",
            Command::Approve(_) => "approve",
            Command::Reject { .. } => "reject",
            Command::Answered(_) => "answered",
            Command::Questions(_) => "questions",
            Command::NoShow(_) => "noshow",
        }
    }
}

impl Command {
    /// Who may use this command.
    pub fn role(&self) -> Role {
        COMMANDS
            .iter()
            .find(|s| s.name == self.name())
            .map_or(Role::Organizer, |s| s.role)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "!{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(usage: UsageError) -> String {
        crate::present::refusal::usage_message(&usage).body().to_string()
    }

    #[test]
    fn every_command_parses_and_names_itself() {
        for spec in COMMANDS {
            let optional = spec.args.is_empty() || (spec.args.starts_with('[') && spec.args.ends_with(']'));
            let args = match spec.name {
                _ if optional => "",
                "cancel" | "upvote" | "approve" | "reject" | "answered" => " 1",
                "delay" => " 5m",
                _ => " x",
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
    fn organizer_commands_parse_their_arguments() {
        assert_eq!(
            Command::parse("!announce in 15m to moderators Neil to the stage please"),
            Ok(Some(Command::Announce {
                when: AnnounceWhen::In(TimeDelta::minutes(15)),
                to: Some(Audience::Rooms(vec!["moderators".into()])),
                text: "Neil to the stage please".into()
            }))
        );
        assert_eq!(
            Command::parse("!announce at 12:55 Lunch ends in five minutes"),
            Ok(Some(Command::Announce {
                when: AnnounceWhen::At("12:55".into()),
                to: None,
                text: "Lunch ends in five minutes".into()
            }))
        );
        assert_eq!(
            Command::parse("!delay \"Pagoda room\" 10m"),
            Ok(Some(Command::Delay {
                place: Some("Pagoda room".into()),
                shift: TimeDelta::minutes(10)
            }))
        );
        assert_eq!(
            Command::parse("!delay -5m"),
            Ok(Some(Command::Delay {
                place: None,
                shift: TimeDelta::minutes(-5)
            }))
        );
        assert_eq!(Command::parse("!cancel #3"), Ok(Some(Command::Cancel(3))));
        assert_eq!(Command::parse("!status").unwrap().unwrap().role(), Role::Organizer);
        assert_eq!(Command::parse("!next").unwrap().unwrap().role(), Role::Attendee);
        let usage = |text: &str| match Command::parse(text) {
            Err(UsageError::MissingArgument(spec)) => spec.name,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(usage("!delay soon"), "delay");
        assert_eq!(usage("!announce in 5m"), "announce");
        // Past year 262143 chrono panics: deciding on these crashed the bot.
        assert_eq!(usage("!announce in 100000000d hello"), "announce");
        assert_eq!(usage("!delay 100000000d"), "delay");
    }

    #[test]
    fn a_question_is_kept_as_typed() {
        assert_eq!(
            Command::parse("!ask What's \"new\" in   <b>RHEL</b> @room?"),
            Ok(Some(Command::Ask {
                session: None,
                text: "What's \"new\" in   <b>RHEL</b> @room?".into()
            }))
        );
        assert_eq!(
            Command::parse("!ASK #rocky Is 9.2 out?"),
            Ok(Some(Command::Ask {
                session: Some("rocky".into()),
                text: "Is 9.2 out?".into()
            }))
        );
        assert_eq!(
            said(Command::parse("!ask").unwrap_err()),
            "Usage: !ask [#SESSION] QUESTION — a question for the speaker, through the moderators"
        );
        assert!(matches!(
            Command::parse("!ask #rocky"),
            Err(UsageError::MissingArgument(spec)) if spec.name == "ask"
        ));
        assert_eq!(
            Command::parse("!asking"),
            Err(UsageError::Unknown {
                name: "asking".into(),
                closest: None
            })
        );
    }

    #[test]
    fn a_quoted_or_unusually_cased_name_does_not_break_the_parser() {
        // Found by fuzzing: the quotes came off "ask" after the question check had passed.
        assert_eq!(
            said(Command::parse("!\"ask\" hello").unwrap_err()),
            "Unknown command !\"ask\". Send !help for the list."
        );
        assert_eq!(
            Command::parse("!\"\"q d").unwrap_err(),
            UsageError::Unknown {
                name: "\"\"q".into(),
                closest: None
            }
        );
        // U+212A KELVIN SIGN (three bytes) lower-cases to k (one byte).
        assert_eq!(
            Command::parse("!as\u{212A} 'Why?'"),
            Ok(Some(Command::Ask {
                session: None,
                text: "'Why?'".into()
            }))
        );
        assert_eq!(
            Command::parse("!NE\u{212A}T"),
            Err(UsageError::Unknown {
                name: "nekt".into(),
                closest: Some("next")
            })
        );
    }

    #[test]
    fn an_unknown_command_a_letter_or_two_from_a_real_one_names_it() {
        let closest = |message: &str| match Command::parse(message) {
            Err(UsageError::Unknown { closest, .. }) => closest,
            other => panic!("{message}: {other:?}"),
        };
        assert_eq!(closest("!nxt"), Some("next"));
        assert_eq!(closest("!speakr Adam"), Some("speaker"));
        assert_eq!(closest("!anounce hello"), Some("announce"));
        assert_eq!(closest("!tak rocky"), Some("session"), "an alias counts");
        // Other bots' commands and shouting are nothing like ours.
        assert_eq!(closest("!ban @spammer"), None);
        assert_eq!(closest("!!! stream is down"), None);
        assert_eq!(closest("!x"), None);
        assert_eq!(
            said(Command::parse("!nxt").unwrap_err()),
            "Unknown command !nxt — did you mean !next?"
        );
    }

    #[test]
    fn help_takes_a_command_name_with_or_without_its_prefix() {
        assert_eq!(Command::parse("!help"), Ok(Some(Command::Help(None))));
        assert_eq!(Command::parse("!help ASK"), Ok(Some(Command::Help(Some("ask".into())))));
        assert_eq!(
            Command::parse("!help !next"),
            Ok(Some(Command::Help(Some("next".into()))))
        );
        assert_eq!(
            Command::read("next Pagoda"),
            Ok(Some(Command::Next(Some("Pagoda".into()))))
        );
        assert_eq!(Command::read("   "), Ok(None));
    }

    #[test]
    fn question_commands_take_q_numbers() {
        assert_eq!(Command::parse("!upvote Q12"), Ok(Some(Command::Upvote(12))));
        assert_eq!(Command::parse("!approve q3"), Ok(Some(Command::Approve(3))));
        assert_eq!(Command::parse("!answered #4"), Ok(Some(Command::Answered(4))));
        assert_eq!(
            Command::parse("!noshow #kernel-sched"),
            Ok(Some(Command::NoShow("#kernel-sched".into())))
        );
        assert_eq!(
            Command::parse("!reject Q5 asked already"),
            Ok(Some(Command::Reject {
                number: 5,
                reason: Some("asked already".into())
            }))
        );
        assert_eq!(
            Command::parse("!reject 5"),
            Ok(Some(Command::Reject {
                number: 5,
                reason: None
            }))
        );
        assert!(matches!(
            Command::parse("!approve twelve"),
            Err(UsageError::MissingArgument(spec)) if spec.name == "approve"
        ));
        assert_eq!(Command::parse("!approve 1").unwrap().unwrap().role(), Role::Moderator);
        assert_eq!(Command::parse("!questions").unwrap().unwrap().role(), Role::Moderator);
        assert_eq!(Command::parse("!upvote 1").unwrap().unwrap().role(), Role::Attendee);
        assert_eq!(
            Command::parse("!tz Europe/Paris"),
            Ok(Some(Command::Tz(Some("Europe/Paris".into()))))
        );
        assert_eq!(
            Command::parse("!remind rocky"),
            Ok(Some(Command::Remind("rocky".into())))
        );
    }

    #[test]
    fn arguments_over_the_limit_are_refused_before_any_lookup() {
        let longest = format!("!tz {}", "a".repeat(MAX_ARGUMENT_CHARS));
        assert_eq!(
            Command::parse(&longest),
            Ok(Some(Command::Tz(Some("a".repeat(MAX_ARGUMENT_CHARS)))))
        );
        let started = std::time::Instant::now();
        let refused = Command::parse(&format!("!tz {}", "Europe/Brusels".repeat(60_000 / 14)));
        assert!(
            started.elapsed() < std::time::Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            said(refused.unwrap_err()),
            "That is too long for !tz: at most 500 characters."
        );
        assert_eq!(
            said(Command::parse(&format!("!search {}", "word ".repeat(12_000))).unwrap_err()),
            "That is too long for !search: at most 500 characters."
        );
        // A question has its own limit, checked with the asker's other questions.
        let question = "why ".repeat(200);
        assert!(matches!(
            Command::parse(&format!("!ask {question}")),
            Ok(Some(Command::Ask { .. }))
        ));
    }

    #[test]
    fn a_long_unknown_name_is_shortened_in_the_reply() {
        let started = std::time::Instant::now();
        let refused = Command::parse(&format!("!{} now", "x".repeat(60_000)));
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(50), "{took:?}");
        assert_eq!(
            said(refused.unwrap_err()),
            format!("Unknown command !{}…. Send !help for the list.", "x".repeat(40))
        );
        // Names of up to 40 characters are echoed whole.
        let forty = "y".repeat(40);
        assert_eq!(
            said(Command::parse(&format!("!{forty}")).unwrap_err()),
            format!("Unknown command !{forty}. Send !help for the list.")
        );
        assert_eq!(
            said(Command::parse("!ÅSK42").unwrap_err()),
            "Unknown command !åsk42. Send !help for the list."
        );
    }

    #[test]
    fn an_announcement_has_its_own_longer_limit() {
        let text = "Doors close in ten minutes. ".repeat(142);
        let text = text.trim_end();
        assert!(text.chars().count() > MAX_ARGUMENT_CHARS);
        let longest = format!("{text}{}", "!".repeat(MAX_ANNOUNCEMENT_CHARS - text.chars().count()));
        assert_eq!(
            Command::parse(&format!("!announce in 5m to moderators {longest}")),
            Ok(Some(Command::Announce {
                when: AnnounceWhen::In(TimeDelta::minutes(5)),
                to: Some(Audience::Rooms(vec!["moderators".into()])),
                text: longest.clone()
            }))
        );
        assert_eq!(
            said(Command::parse(&format!("!announce {longest}!")).unwrap_err()),
            "That announcement is too long: at most 4000 characters."
        );
        let started = std::time::Instant::now();
        let refused = Command::parse(&format!("!announce to main {}", "word ".repeat(12_000)));
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(50), "{took:?}");
        assert_eq!(
            said(refused.unwrap_err()),
            "That announcement is too long: at most 4000 characters."
        );
        // The other commands keep the 500-character limit, and a question its own.
        assert_eq!(
            said(Command::parse(&format!("!next {}", "a".repeat(MAX_ARGUMENT_CHARS + 1))).unwrap_err()),
            "That is too long for !next: at most 500 characters."
        );
        assert!(matches!(
            Command::parse(&format!("!ask {}", "why ".repeat(1_500))),
            Ok(Some(Command::Ask { .. }))
        ));
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
            said(Command::parse("!lunch").unwrap_err()),
            "Unknown command !lunch. Send !help for the list."
        );
        assert_eq!(
            said(Command::parse("!speaker").unwrap_err()),
            "Usage: !speaker NAME — a speaker's sessions and bio"
        );
        assert_eq!(
            said(Command::parse("!search \"open").unwrap_err()),
            "Unbalanced quote in the command: close it with a matching \"."
        );
    }
}
