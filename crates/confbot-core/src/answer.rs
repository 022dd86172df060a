//! What the bot answers to each command: pure, from the schedule, the command, `now` and
//! the schedule room the command was sent from.

use crate::command::{self, AnnounceWhen, Audience, Command, Role, UsageError};
use crate::delay::{self, Delay};
use crate::plan::personal;
use crate::present::message::{isolate, Message};
use crate::present::{self, render};
use crate::questions::{Action, QuestionCommand};
use crate::refusal::Refusal;
use crate::rooms::Rooms;
use crate::schedule::Schedule;
use crate::{query, text, time};
use chrono::DateTime;
use chrono_tz::Tz;

/// How many sessions a list answer shows before "…and N more".
use render::LIST_LIMIT;

/// What the bot does about a command: reply, or act on its own state (the adapter does
/// the storing and posting, then replies).
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Reply(Message),
    /// Do nothing: the user got something wrong; `present::refusal` words the reply.
    Refuse(Refusal),
    /// Store an announcement to post at `due` (`None`: now) to the `[rooms]` target
    /// `room` (see [`Rooms::targets`]); to several rooms, once the sender confirms.
    Announce {
        due: Option<DateTime<Tz>>,
        room: String,
        text: String,
    },
    /// Send the sender's announcement waiting for confirmation.
    Confirm,
    ListAnnouncements,
    Cancel(u64),
    /// Store the delay, apply it, announce it.
    Delay(Delay),
    Status,
    Reload,
    /// Remind the sender by direct message before this session (its id).
    Remind(String),
    /// List the sender's personal reminders.
    ListReminders,
    /// Cancel the sender's reminder for this session (its id).
    Forget(String),
    /// Show the sender's zone setting.
    ShowZone,
    /// Store the sender's zone (`None` clears it).
    SetZone(Option<Tz>),
    /// A question command, for the question flow.
    Question(QuestionCommand),
    /// Silence the cues and check-in of this session (its id): its speakers will not come.
    NoShow(String),
}

/// Decides about `command` from `role` at `now`. `here` is the schedule room or track the
/// chat room is mapped to, if any.
pub fn decide(
    schedule: &Schedule,
    rooms: &Rooms,
    command: &Command,
    role: Role,
    now: DateTime<Tz>,
    here: Option<&str>,
    zone: Option<Tz>,
) -> Decision {
    if command.role() > role {
        return Decision::Refuse(Refusal::NotYours {
            command: command.name().to_string(),
            needs: command.role(),
        });
    }
    match command {
        Command::Help(None) => Decision::Reply(present::help::list(role)),
        Command::Help(Some(topic)) => match command::find(topic) {
            Some(spec) => Decision::Reply(present::help::one(spec)),
            None => Decision::Refuse(Refusal::Usage(UsageError::Unknown {
                name: topic.clone(),
                closest: command::find_closest(topic),
            })),
        },
        Command::Announce { when, to, text } => {
            let target = match to {
                None => "announcements".to_string(),
                Some(Audience::All) => "all".to_string(),
                Some(Audience::Track(track)) => {
                    let found = rooms.track_rooms(schedule, track);
                    if found.is_empty() {
                        return Decision::Refuse(Refusal::NoSuchTarget(format!("track {track}")));
                    }
                    found.join(",")
                }
                Some(Audience::Rooms(listed)) => {
                    if let Some(wrong) = listed.iter().find(|room| rooms.targets(room).is_empty()) {
                        return Decision::Refuse(Refusal::NoSuchTarget(wrong.clone()));
                    }
                    listed.join(",")
                }
            };
            if rooms.targets(&target).is_empty() {
                return Decision::Refuse(Refusal::NoSuchTarget(target));
            }
            let due = match when {
                AnnounceWhen::Now => now,
                AnnounceWhen::In(after) => now + *after,
                AnnounceWhen::At(at) => match time::parse_on(at, now) {
                    Ok(due) => due,
                    Err(err) => return Decision::Refuse(err.into()),
                },
            };
            Decision::Announce {
                due: (*when != AnnounceWhen::Now).then_some(due),
                room: target,
                text: text.clone(),
            }
        }
        Command::Confirm => Decision::Confirm,
        Command::Announcements => Decision::ListAnnouncements,
        Command::Cancel(id) => Decision::Cancel(*id),
        Command::Status => Decision::Status,
        Command::Reload => Decision::Reload,
        Command::Delay { place, shift } => match delay::plan(schedule, place.as_deref().or(here), *shift, now) {
            Ok(delay) => Decision::Delay(delay),
            Err(refusal) => Decision::Refuse(refusal),
        },
        Command::Remind(words) => match personal::remind(schedule, words, now) {
            Ok(session) => Decision::Remind(session.id.clone()),
            Err(refusal) => Decision::Refuse(refusal),
        },
        Command::Forget(words) => match personal::forget(schedule, words) {
            Ok(session) => Decision::Forget(session.id.clone()),
            Err(refusal) => Decision::Refuse(refusal),
        },
        Command::Reminders => Decision::ListReminders,
        Command::Tz(None) => Decision::ShowZone,
        Command::Tz(Some(name)) if ["off", "none", "clear"].contains(&name.to_lowercase().as_str()) => {
            Decision::SetZone(None)
        }
        Command::Tz(Some(name)) => match time::zone(name) {
            Some(zone) => Decision::SetZone(Some(zone)),
            None => Decision::Refuse(Refusal::NoSuchZone {
                name: name.clone(),
                closest: time::closest_zone(name).map(|zone| zone.to_string()),
            }),
        },
        Command::Ask { session, text } => Decision::Question(QuestionCommand::Ask {
            session: session.clone(),
            text: text.clone(),
        }),
        Command::Upvote(number) => Decision::Question(QuestionCommand::Upvote(*number)),
        Command::Approve(number) => Decision::Question(QuestionCommand::Moderate(*number, Action::Approve)),
        Command::Answered(number) => Decision::Question(QuestionCommand::Moderate(*number, Action::Answered)),
        Command::Reject { number, reason } => {
            Decision::Question(QuestionCommand::Moderate(*number, Action::Reject(reason.clone())))
        }
        Command::Questions(named) => Decision::Question(QuestionCommand::List(named.clone())),
        Command::NoShow(words) => match query::one_session(schedule, words.trim_start_matches('#')) {
            Ok(session) => Decision::NoShow(session.id.clone()),
            Err(refusal) => Decision::Refuse(refusal),
        },
        Command::Ping => Decision::Reply(Message::plain("pong")),
        Command::Now(place) => reply(whats_on(schedule, false, place.as_deref().or(here), now, zone)),
        Command::Next(place) => reply(whats_on(schedule, true, place.as_deref().or(here), now, zone)),
        Command::Speaker(name) => Decision::Reply(speaker(schedule, name, zone)),
        Command::Session(words) => reply(session(schedule, words, now, zone)),
        Command::Today => reply(agenda(schedule, None, now, here, zone)),
        Command::Schedule(day) => reply(agenda(schedule, day.as_deref(), now, None, zone)),
        Command::Search(words) => Decision::Reply(search(schedule, words, zone)),
    }
}

fn reply(answer: Result<Message, Refusal>) -> Decision {
    match answer {
        Ok(message) => Decision::Reply(message),
        Err(refusal) => Decision::Refuse(refusal),
    }
}

/// `!now` and `!next` (`next`), here or in `place`.
fn whats_on(
    schedule: &Schedule,
    next: bool,
    place: Option<&str>,
    now: DateTime<Tz>,
    zone: Option<Tz>,
) -> Result<Message, Refusal> {
    if let Some(place) = place {
        if !schedule.has_place(place) {
            return Err(Refusal::NoSuchPlace(place.to_string()));
        }
    }
    let on = query::whats_on(schedule, now, place);
    if !next {
        return Ok(render::whats_on(schedule, &on, now, place, zone));
    }
    let on = query::WhatsOn {
        now: Vec::new(),
        phase: match on.phase {
            query::Phase::Running => query::Phase::Between,
            phase => phase,
        },
        ..on
    };
    if on.next.is_empty() {
        return Ok(render::whats_on(schedule, &on, now, place, zone));
    }
    let mut message = Message::new();
    message.text(&format!("Next, {}:", render::relative(now, on.next[0].start)));
    for session in &on.next {
        message.line_break().text("  ");
        render::session_line(&mut message, schedule, session, zone);
    }
    Ok(message)
}

/// `!speaker NAME`: their sessions and bio, or the names it might have meant.
fn speaker(schedule: &Schedule, name: &str, zone: Option<Tz>) -> Message {
    let found = query::find_speakers(schedule, name);
    let mut message = render::speakers(schedule, &found, name, zone);
    if found.is_empty() {
        let suggestions = closest_speakers(schedule, name);
        if !suggestions.is_empty() {
            message.text(&format!(" Did you mean {}?", suggestions.join(", ")));
        }
    }
    message
}

/// `!session WORDS`: the one session they name in detail, or the list of those they match.
fn session(schedule: &Schedule, words: &str, now: DateTime<Tz>, zone: Option<Tz>) -> Result<Message, Refusal> {
    let found = query::find_sessions(schedule, words);
    match found.as_slice() {
        [] => Err(Refusal::NoSuchSession(words.to_string())),
        [one] => Ok(render::session_detail(schedule, one, now, zone)),
        many => Ok(render::session_list(
            schedule,
            Message::naming(
                &format!("{} sessions match \"{}\"; send ", many.len(), isolate(words)),
                "session ID",
                " for one:",
            ),
            many,
            LIST_LIMIT,
            zone,
        )),
    }
}

/// `!today` (here) and `!schedule [DAY]` (everywhere): a day's agenda.
fn agenda(
    schedule: &Schedule,
    day: Option<&str>,
    now: DateTime<Tz>,
    here: Option<&str>,
    zone: Option<Tz>,
) -> Result<Message, Refusal> {
    let day = match day {
        None => query::current_day(schedule, now).ok_or(Refusal::EmptySchedule)?,
        Some(day) => query::pick_day(schedule, day)?,
    };
    Ok(render::agenda(schedule, day, &query::agenda(schedule, day, here), zone))
}

/// `!search WORDS`: the sessions that mention them, title matches first.
fn search(schedule: &Schedule, words: &str, zone: Option<Tz>) -> Message {
    let found = query::search(schedule, words);
    let words = isolate(words);
    if found.is_empty() {
        return Message::plain(&format!("No session mentions \"{words}\"."));
    }
    render::session_list(
        schedule,
        Message::plain(&format!(
            "{} session{} match \"{words}\":",
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        )),
        &found,
        LIST_LIMIT,
        zone,
    )
}

/// `!help`: the commands `role` may use, generated from the command table.
/// Up to three speaker names close to `name`, for "did you mean".
fn closest_speakers(schedule: &Schedule, name: &str) -> Vec<String> {
    if name.chars().nth(text::TYPO_MAX_CHARS).is_some() {
        return Vec::new();
    }
    let wanted = text::fold(name);
    let mut scored: Vec<(usize, &str)> = schedule
        .speakers()
        .iter()
        .map(|s| {
            let folded = text::fold(&s.name);
            let best = std::iter::once(folded.as_str())
                .chain(folded.split(' '))
                .map(|part| text::edit_distance(&wanted, part))
                .min()
                .unwrap_or(usize::MAX);
            (best, s.name.as_str())
        })
        .filter(|(d, _)| *d <= 2.max(wanted.chars().count() / 3))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::COMMANDS;
    use crate::testing::centos;

    fn ask(s: &Schedule, command: &str, at: &str, here: Option<&str>) -> Message {
        let now = time::parse_instant(at, s.timezone()).unwrap();
        let command = Command::parse(command).unwrap().unwrap();
        match decide(s, &Rooms::default(), &command, Role::Attendee, now, here, None) {
            Decision::Reply(message) => message,
            Decision::Refuse(refusal) => crate::present::refusal::message(s, &refusal),
            other => panic!("{command} is not answered at once: {other:?}"),
        }
    }

    #[test]
    fn next_at_ten_past_nine_is_almalinux_in_fifteen_minutes() {
        let s = centos();
        assert_eq!(
            ask(&s, "!next", "2023-02-03T09:10", None).body(),
            "Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates — Jack Aboutboul (Pagoda room)"
        );
        let now = ask(&s, "!now", "2023-02-03T09:10", Some("Pagoda room"));
        assert!(
            now.body()
                .starts_with("Now:\n  09:00–09:25 CET  CentOS Stream: RHEL development in public"),
            "{}",
            now.body()
        );
    }

    #[test]
    fn an_unknown_room_lists_the_rooms() {
        let s = centos();
        assert_eq!(
            ask(&s, "!now pagda room", "2023-02-03T09:10", None).body(),
            "There is no room or track called \"pagda room\". Did you mean Pagoda room? Rooms: Pagoda room."
        );
        // !delay words it the same way, suggestion included.
        let now = time::parse_instant("2023-02-03T09:10", s.timezone()).unwrap();
        let delay = Command::parse("!delay \"pagda room\" 5m").unwrap().unwrap();
        let decision = decide(&s, &Rooms::default(), &delay, Role::Organizer, now, None, None);
        assert_eq!(decision, Decision::Refuse(Refusal::NoSuchPlace("pagda room".into())));
        let Decision::Refuse(refusal) = decision else {
            unreachable!()
        };
        assert_eq!(
            crate::present::refusal::message(&s, &refusal).body(),
            "There is no room or track called \"pagda room\". Did you mean Pagoda room? Rooms: Pagoda room."
        );
    }

    #[test]
    fn speakers_are_found_or_suggested() {
        let s = centos();
        let found = ask(&s, "!speaker glombek", "2023-02-03T09:10", None);
        assert!(
            found
                .body()
                .starts_with("Christian Glombek\nSenior Software Engineer at Red Hat"),
            "{}",
            found.body()
        );
        assert!(found
            .body()
            .contains("Fri 3 Feb, 13:50–14:15 CET  Introducing CentOS Stream CoreOS and OKD Streams"));
        assert_eq!(
            ask(&s, "!speaker Hanlan", "2023-02-03T09:10", None).body(),
            "No speaker matches \"Hanlan\". Did you mean Neil Hanlon?"
        );
    }

    #[test]
    fn a_session_is_shown_in_full_with_its_link() {
        let s = centos();
        let m = ask(&s, "!session rocky", "2023-02-03T14:00", None);
        assert!(m.body().starts_with(
            "Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux\nFri 3 Feb, 14:40–15:05 CET (in 40 minutes) · Pagoda room\nWith Neil Hanlon\nLearn about Peridot"
        ), "{}", m.body());
        assert!(m.body().ends_with("https://connect.centos.org/#rocky"));
        assert!(m.html().contains("<a href=\"https://connect.centos.org/#rocky\">"));
    }

    #[test]
    fn today_and_search_list_sessions() {
        let s = centos();
        let today = ask(&s, "!today", "2023-02-03T07:00", None);
        assert_eq!(today.body().lines().count(), 19);
        let found = ask(&s, "!search mastodon", "2023-02-03T07:00", None);
        assert_eq!(
            found.body(),
            "1 session match \"mastodon\":\n  Fri 3 Feb, 15:05–15:30 CET  Running Cloud Native Applications on CentOS on a Cloud Native Processor — Aaron Williams (Pagoda room) [arm]"
        );
        assert_eq!(
            ask(&s, "!schedule day 2", "2023-02-03T07:00", None).body(),
            "\"day 2\" is not a day of the conference: write a date (YYYY-MM-DD) or day 1 to day 1"
        );
    }

    #[test]
    fn words_echoed_back_keep_their_direction_controls_inside() {
        let s = centos();
        let rlo = "\u{202E}xyz";
        let shown = "\u{2068}\u{202E}xyz\u{202C}\u{2069}";
        for (command, reply) in [
            ("!speaker", format!("No speaker matches \"{shown}\".")),
            ("!search", format!("No session mentions \"{shown}\".")),
            (
                "!session",
                format!("No session matches \"{shown}\". Try !search {shown}"),
            ),
            (
                "!now",
                format!("There is no room or track called \"{shown}\". Rooms: Pagoda room."),
            ),
            (
                "!schedule",
                format!("\"{shown}\" is not a day of the conference: write a date (YYYY-MM-DD) or day 1 to day 1"),
            ),
        ] {
            assert_eq!(
                ask(&s, &format!("{command} {rlo}"), "2023-02-03T09:10", None).body(),
                reply
            );
        }
        assert_eq!(
            crate::present::refusal::text(&s, &Command::parse("!\u{202E}txen").unwrap_err().into()),
            "Unknown command !\u{2068}\u{202E}txen\u{202C}\u{2069}. Send !help for the list."
        );
        assert_eq!(
            ask(&s, "!search <b>x</b> @room", "2023-02-03T09:10", None).html(),
            "No session mentions &quot;&lt;b&gt;x&lt;/b&gt; @room&quot;.",
            "text without controls is unchanged, and escaped"
        );
    }

    #[test]
    fn help_lists_the_commands_of_the_users_role() {
        let attendee = ask(&centos(), "!help", "2023-02-03T07:00", None);
        for spec in COMMANDS {
            let listed = attendee.body().contains(&format!("!{} ", spec.name))
                || attendee.body().contains(&format!("!{}\u{20}—", spec.name));
            assert_eq!(listed, spec.role == Role::Attendee, "{}", spec.name);
        }
        let s = centos();
        let now = time::parse_instant("2023-02-03T07:00", s.timezone()).unwrap();
        let Decision::Reply(organizer) = decide(
            &s,
            &Rooms::default(),
            &Command::Help(None),
            Role::Organizer,
            now,
            None,
            None,
        ) else {
            panic!("help is a reply")
        };
        assert!(organizer.body().contains("!delay [ROOM] DURATION"));
    }

    #[test]
    fn organizer_commands_are_refused_to_attendees_and_decided_for_organizers() {
        let s = centos();
        let now = time::parse_instant("2023-02-03T14:20", s.timezone()).unwrap();
        let rooms = Rooms {
            announcements: vec!["#a:h".into()],
            ..Rooms::default()
        };
        let delay = Command::parse("!delay 10m").unwrap().unwrap();
        let Decision::Refuse(refusal) = decide(&s, &rooms, &delay, Role::Attendee, now, None, None) else {
            panic!()
        };
        assert_eq!(
            crate::present::refusal::text(&s, &refusal),
            "Sorry, !delay is for the conference organizers. Send !help for what you can use."
        );
        assert!(matches!(
            decide(&s, &rooms, &delay, Role::Organizer, now, Some("Pagoda room"), None),
            Decision::Delay(_)
        ));
        let announce = Command::parse("!announce at 14:30 Coffee refill").unwrap().unwrap();
        let Decision::Announce { due, room, text } = decide(&s, &rooms, &announce, Role::Organizer, now, None, None)
        else {
            panic!()
        };
        assert_eq!(
            (time::rfc3339(&due.unwrap()).as_str(), room.as_str(), text.as_str()),
            ("2023-02-03T14:30:00+01:00", "announcements", "Coffee refill")
        );
        let nowhere = Command::parse("!announce to lobby hello").unwrap().unwrap();
        assert_eq!(
            decide(&s, &rooms, &nowhere, Role::Organizer, now, None, None),
            Decision::Refuse(Refusal::NoSuchTarget("lobby".into()))
        );
    }

    #[test]
    fn an_announcement_goes_to_all_a_track_or_listed_rooms() {
        let s = crate::schedule::native::parse(include_str!("../../../tests/fixtures/two-tracks.toml"), "two", None)
            .unwrap()
            .schedule;
        let now = time::parse_instant("2023-02-03T08:20", s.timezone()).unwrap();
        let rooms = Rooms {
            announcements: vec!["#a:h".into()],
            moderators: Some("#mods:h".into()),
            map: [
                ("Hall A".to_string(), crate::rooms::PlaceRooms::room("#hall-a:h")),
                ("Hall B".to_string(), crate::rooms::PlaceRooms::room("#hall-b:h")),
            ]
            .into(),
            ..Rooms::default()
        };
        let target = |text: &str| match decide(
            &s,
            &rooms,
            &Command::parse(text).unwrap().unwrap(),
            Role::Organizer,
            now,
            None,
            None,
        ) {
            Decision::Announce { room, due, .. } => Ok((room, due)),
            Decision::Refuse(refusal) => Err(crate::present::refusal::text(&s, &refusal)),
            other => panic!("{other:?}"),
        };
        assert_eq!(target("!announce to all Doors open"), Ok(("all".into(), None)));
        assert_eq!(
            target("!announce to track KERNEL Doors open"),
            Ok(("#hall-a:h".into(), None)),
            "a track by the rooms of its sessions"
        );
        assert_eq!(
            target("!announce in 5m to #a:h, moderators Doors open"),
            Ok(("#a:h,moderators".into(), Some(now + chrono::TimeDelta::minutes(5))))
        );
        assert_eq!(
            target("!announce to track Cooking Doors open"),
            Err("There is no room \"track Cooking\" in the bot's [rooms]: use all, announcements, moderators, speakers, track NAME, a room of [rooms.map] or several joined by commas.".into())
        );
        assert!(target("!announce to #a:h,#elsewhere:h Doors open")
            .unwrap_err()
            .contains("#elsewhere:h"));
    }
}
