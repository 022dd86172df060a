//! The words of every [`Refusal`]: what the bot answers when it will not do what was asked,
//! and how to do it right.

use super::message::{isolate, Message};
use super::render::{self, clock_zone, plural, short_instant, span, LIST_LIMIT};
use crate::access::Role;
use crate::command::{self, UsageError, MAX_ANNOUNCEMENT_CHARS, MAX_ARGUMENT_CHARS};
use crate::duration;
use crate::questions::{AskRefusal, Choice, TargetRefusal, TransitionRefusal, VoteRefusal};
use crate::refusal::Refusal;
use crate::schedule::Schedule;

/// The reply that says why not; `schedule` names the sessions and rooms it mentions.
pub fn message(schedule: &Schedule, refusal: &Refusal) -> Message {
    match refusal {
        Refusal::NoSuchPlace(place) => render::no_such_place(schedule, place),
        Refusal::SeveralSessions { words, ids } => {
            let many: Vec<_> = ids.iter().filter_map(|id| schedule.session(id)).collect();
            render::session_list(
                schedule,
                Message::plain(&format!(
                    "{} sessions match \"{}\"; name one by its ID:",
                    ids.len(),
                    isolate(words)
                )),
                &many,
                LIST_LIMIT,
                None,
            )
        }
        refusal => words(schedule, refusal),
    }
}

/// The reply as one line.
fn words(schedule: &Schedule, refusal: &Refusal) -> Message {
    let said = match refusal {
        Refusal::Usage(usage) => return usage_message(usage),
        Refusal::NotYours { command, needs } => {
            let who = match needs {
                Role::Moderator => "moderators",
                _ => "the conference organizers",
            };
            let mut message = Message::new();
            message
                .text("Sorry, ")
                .command(command)
                .text(&format!(" is for {who}. Send "))
                .command("help")
                .text(" for what you can use.");
            return message;
        }
        // Worded with the rooms or the sessions to choose from, by `message`.
        Refusal::NoSuchPlace(_) | Refusal::SeveralSessions { .. } => return message(schedule, refusal),
        Refusal::NoSuchTarget(target) => format!(
            "There is no room \"{}\" in the bot's [rooms]: use all, announcements, moderators, speakers, track NAME, a room of [rooms.map] or several joined by commas.",
            isolate(target)
        ),
        Refusal::Time(err) => err.to_string(),
        Refusal::NothingToConfirm { expired: None } => {
            "No announcement of yours is waiting to be confirmed.".to_string()
        }
        Refusal::NothingToConfirm { expired: Some(at) } => format!(
            "No announcement of yours is waiting to be confirmed: the last one waited until {} and was not sent. Send it again to go on.",
            render::instant(at)
        ),
        Refusal::NothingToDelay => "Nothing is running or left today there, so there is nothing to delay.".to_string(),
        Refusal::NoSuchSession(words) => {
            let words = isolate(words);
            let mut message = Message::plain(&format!("No session matches \"{words}\". Try "));
            message.command(&format!("search {words}"));
            return message;
        }
        Refusal::Started { session, now } => match schedule.session(session) {
            Some(session) => format!(
                "\"{}\" started {}; there is nothing to remind you of.",
                session.title,
                render::relative(*now, session.start)
            ),
            None => "That session has already started.".to_string(),
        },
        Refusal::NoSuchZone { name, closest } => {
            let hint = closest.as_ref().map(|z| format!(" Did you mean {z}?")).unwrap_or_default();
            format!(
                "\"{}\" is not a time zone I know.{hint} Write a zone of the tz database, like Europe/Paris or America/Chicago.",
                isolate(name)
            )
        }
        Refusal::NoSuchDay { written, days } => format!(
            "\"{}\" is not a day of the conference: write a date (YYYY-MM-DD) or day 1 to day {days}",
            isolate(written)
        ),
        Refusal::EmptySchedule => "The schedule has no sessions.".to_string(),
        Refusal::NoSuchAnnouncement(id) => {
            return Message::naming(&format!("There is no pending announcement {id}. Send "), "announcements", " for the list.");
        }
        Refusal::NoSuchReminder(session) => {
            return Message::naming(&format!("You have no reminder for {session}. Send "), "reminders", " for yours.");
        }
        Refusal::QuestionsOff => "This conference takes no questions through the bot.".to_string(),
        Refusal::NoModeratorsRoom => {
            "Questions cannot be relayed: the bot has no moderators room ([rooms] moderators).".to_string()
        }
        Refusal::OtherTrack(session) => format!(
            "{session} is another track's: its moderators or an organizer may do that."
        ),
        Refusal::NothingToList => {
            return Message::naming(
                "No session is running or coming up. Send ",
                "questions SESSION",
                " for the questions of one.",
            );
        }
        Refusal::Ask(refusal) => ask_words(refusal),
        Refusal::Target(refusal) => return target_words(refusal),
        Refusal::Moderation(refusal) => moderation_words(refusal),
        Refusal::Vote(refusal) => vote_words(refusal),
    };
    Message::plain(&said)
}

/// A refusal as plain text, for the command line: the same words as in chat.
pub fn text(schedule: &Schedule, refusal: &Refusal) -> String {
    message(schedule, refusal).body().to_string()
}

/// A command not understood, as its sender reads it.
pub fn usage_message(usage: &UsageError) -> Message {
    let mut message = Message::new();
    match usage {
        UsageError::Unknown { name, closest } => {
            message.text("Unknown command ").command(&isolate(name));
            match closest {
                None => message.text(". Send ").command("help").text(" for the list."),
                Some(command) => message.text(" — did you mean ").command(command).text("?"),
            };
        }
        UsageError::MissingArgument(spec) => {
            message
                .text("Usage: ")
                .command(&command::written(spec))
                .text(&format!(" — {}", spec.summary));
        }
        UsageError::TooLong(spec) => {
            message
                .text("That is too long for ")
                .command(spec.name)
                .text(&format!(": at most {MAX_ARGUMENT_CHARS} characters."));
        }
        UsageError::UnbalancedQuote(quote) => {
            message.text(&format!(
                "Unbalanced quote in the command: close it with a matching {quote}."
            ));
        }
        UsageError::AnnouncementTooLong => {
            message.text(&format!(
                "That announcement is too long: at most {MAX_ANNOUNCEMENT_CHARS} characters."
            ));
        }
        UsageError::SlowDown(rate) => {
            message.text(&format!(
                "You are sending commands faster than I answer them (at most {} in {}); I will answer again in a moment.",
                rate.count,
                duration::Compact(rate.window)
            ));
        }
    }
    message
}

fn ask_words(refusal: &AskRefusal) -> String {
    match refusal {
        AskRefusal::TooLong { length, max } => {
            format!("Your question is {length} characters long; the limit is {max}. Please shorten it and ask again.")
        }
        AskRefusal::RateLimited {
            count,
            window,
            until,
            wait,
        } => format!(
            "You have asked {} in the last {}; you can ask again at {} ({}).",
            plural(u64::from(*count), "question"),
            span(*window),
            short_instant(until, *until - *wait),
            render::relative(*until - *wait, *until)
        ),
        AskRefusal::Duplicate { number } => format!("You have already asked this question: it is Q{number}."),
    }
}

fn target_words(refusal: &TargetRefusal) -> Message {
    let said = match refusal {
        TargetRefusal::UnknownSession { id, suggestion } => {
            let mut message = Message::plain(&format!("There is no session #{}.", isolate(id)));
            match suggestion {
                Some((id, title)) => message
                    .text(&format!(" Did you mean #{id} ('{title}')? Send "))
                    .command("search WORDS")
                    .text(" to find a session's ID."),
                None => message
                    .text(" Send ")
                    .command("search WORDS")
                    .text(" to find a session's ID, then ")
                    .command("ask #ID QUESTION")
                    .text("."),
            };
            return message;
        }
        TargetRefusal::Ended { title, ended } => {
            format!("'{title}' ended at {}; it takes no more questions.", clock_zone(ended))
        }
        TargetRefusal::NoQuestions { title, kind } => {
            format!("'{title}' is a {}; it takes no questions.", kind.as_str())
        }
        TargetRefusal::Several { running, choices } => {
            let mut message = Message::plain(if *running {
                "Several sessions are running now"
            } else {
                "Nothing is running now and several sessions come next"
            });
            message
                .text("; say which one with ")
                .command("ask #ID QUESTION")
                .text(&format!(
                    ": {}.",
                    choices.iter().map(choice).collect::<Vec<_>>().join(", ")
                ));
            return message;
        }
        TargetRefusal::NothingLeft { place: Some(place) } => {
            return Message::naming(
                &format!("Nothing more is scheduled in {place} to take questions. Name a session with "),
                "ask #ID QUESTION",
                ".",
            );
        }
        TargetRefusal::NothingLeft { place: None } => {
            "No session is left to take questions: the conference is over.".to_string()
        }
    };
    Message::plain(&said)
}

fn choice(choice: &Choice) -> String {
    match &choice.room {
        Some(room) => format!("#{} '{}' ({room})", choice.id, choice.title),
        None => format!("#{} '{}'", choice.id, choice.title),
    }
}

fn moderation_words(refusal: &TransitionRefusal) -> String {
    match refusal {
        TransitionRefusal::NoSuchQuestion { number } => format!("There is no question Q{number}."),
        TransitionRefusal::Already { number, status } => format!("Q{number} is already {status}."),
        TransitionRefusal::Final { number } => format!("Q{number} was answered already; that is final."),
        TransitionRefusal::Withdrawn { number } => format!("Q{number} was withdrawn by its asker."),
        TransitionRefusal::OtherPlace { number } => {
            format!("Q{number} is about another track or room: its own moderators (or the conference's) decide on it.")
        }
        TransitionRefusal::RejectedNotAnswered { number } => {
            format!("Q{number} was rejected; approve it first if it should count as answered.")
        }
    }
}

fn vote_words(refusal: &VoteRefusal) -> String {
    match refusal {
        VoteRefusal::NoSuchQuestion { number } => format!("There is no question Q{number}."),
        VoteRefusal::OwnQuestion { number } => format!("You cannot vote for your own question Q{number}."),
        VoteRefusal::Closed { number, status } => format!("Q{number} is {status}; it takes no more votes."),
        VoteRefusal::AlreadyVoted { number } => format!("You have already voted for Q{number}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::centos;

    #[test]
    fn a_refusal_names_what_was_asked_for_and_how_to_ask_right() {
        let s = centos();
        let now = crate::time::parse_instant("2023-02-03T09:40", s.timezone()).unwrap();
        let said = |refusal: Refusal| message(&s, &refusal).body().to_string();
        assert_eq!(
            said(Refusal::Started {
                session: "rheldevel".into(),
                now
            }),
            "\"CentOS Stream: RHEL development in public\" started 40 minutes ago; there is nothing to remind you of."
        );
        assert_eq!(
            said(Refusal::NoSuchZone {
                name: "Europe/Pari".into(),
                closest: Some("Europe/Paris".into())
            }),
            "\"Europe/Pari\" is not a time zone I know. Did you mean Europe/Paris? Write a zone of the tz database, like Europe/Paris or America/Chicago."
        );
        assert_eq!(
            said(Refusal::NotYours {
                command: "approve".into(),
                needs: Role::Moderator
            }),
            "Sorry, !approve is for moderators. Send !help for what you can use."
        );
        let several = said(Refusal::SeveralSessions {
            words: "centos".into(),
            ids: vec!["rheldevel".into(), "alma".into()],
        });
        assert!(
            several.starts_with("2 sessions match \"centos\"; name one by its ID:\n"),
            "{several}"
        );
        assert_eq!(several.lines().count(), 3, "{several}");
    }

    #[test]
    fn words_a_user_wrote_are_isolated_in_the_reply() {
        let s = centos();
        let rlo = "\u{202E}lobby";
        assert_eq!(
            text(&s, &Refusal::NoSuchTarget(rlo.into())),
            "There is no room \"\u{2068}\u{202E}lobby\u{202C}\u{2069}\" in the bot's [rooms]: use all, announcements, moderators, speakers, track NAME, a room of [rooms.map] or several joined by commas."
        );
    }
}
