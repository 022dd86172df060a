//! What the bot answers to each command: pure, from the schedule, the command, `now` and
//! the schedule room the command was sent from.

use crate::command::{AnnounceWhen, Command, Role, COMMANDS};
use crate::config::RoomsConfig;
use crate::delay::{self, Delay};
use crate::message::{isolate, Message};
use crate::schedule::Schedule;
use crate::{query, render, text, time};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

/// How many sessions a list answer shows before "…and N more".
const LIST_LIMIT: usize = 10;

/// What the bot does about a command: reply, or act on its own state (the adapter does
/// the storing and posting, then replies).
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Reply(Message),
    /// Store an announcement to post at `due` to the `[rooms]` name `room`.
    Announce {
        due: DateTime<Tz>,
        room: String,
        text: String,
    },
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
    Question(Command),
}

/// Decides about `command` from `role` at `now`. `here` is the schedule room or track the
/// chat room is mapped to, if any.
pub fn decide(
    schedule: &Schedule,
    rooms: &RoomsConfig,
    command: &Command,
    role: Role,
    now: DateTime<Tz>,
    here: Option<&str>,
    zone: Option<Tz>,
) -> Decision {
    if command.role() > role {
        let who = match command.role() {
            Role::Moderator => "moderators",
            _ => "the conference organizers",
        };
        return Decision::Reply(Message::plain(&format!(
            "Sorry, {command} is for {who}. Send !help for what you can use."
        )));
    }
    match command {
        Command::Help => Decision::Reply(help(role)),
        Command::Announce { when, room, text } => {
            let room = room.clone().unwrap_or_else(|| "announcements".to_string());
            if rooms.targets(&room).is_empty() {
                return Decision::Reply(Message::plain(&format!(
                    "There is no room \"{}\" in the bot's [rooms]: use announcements, moderators, speakers or a room of [rooms.map].",
                    isolate(&room)
                )));
            }
            let due = match when {
                AnnounceWhen::Now => now,
                AnnounceWhen::In(after) => now + *after,
                AnnounceWhen::At(at) => match at_time(at, now) {
                    Ok(due) => due,
                    Err(reply) => return Decision::Reply(Message::plain(&reply)),
                },
            };
            Decision::Announce {
                due,
                room,
                text: text.clone(),
            }
        }
        Command::Announcements => Decision::ListAnnouncements,
        Command::Cancel(id) => Decision::Cancel(*id),
        Command::Status => Decision::Status,
        Command::Reload => Decision::Reload,
        Command::Delay { place, shift } => match delay::plan(schedule, place.as_deref().or(here), *shift, now) {
            Ok(delay) => Decision::Delay(delay),
            Err(reply) => Decision::Reply(Message::plain(&reply)),
        },
        Command::Remind(words) | Command::Forget(words) => match one_session(schedule, words) {
            Ok(id) if matches!(command, Command::Forget(_)) => Decision::Forget(id),
            Ok(id) => match schedule.session(&id) {
                Some(session) if session.start <= now => Decision::Reply(Message::plain(&format!(
                    "\"{}\" started {}; there is nothing to remind you of.",
                    session.title,
                    render::relative(now, session.start)
                ))),
                _ => Decision::Remind(id),
            },
            Err(reply) => Decision::Reply(reply),
        },
        Command::Reminders => Decision::ListReminders,
        Command::Tz(None) => Decision::ShowZone,
        Command::Tz(Some(name)) if ["off", "none", "clear"].contains(&name.to_lowercase().as_str()) => {
            Decision::SetZone(None)
        }
        Command::Tz(Some(name)) => match time::zone(name) {
            Some(zone) => Decision::SetZone(Some(zone)),
            None => {
                let hint = time::closest_zone(name)
                    .map(|z| format!(" Did you mean {z}?"))
                    .unwrap_or_default();
                Decision::Reply(Message::plain(&format!(
                    "\"{}\" is not a time zone I know.{hint} Write a zone of the tz database, like Europe/Paris or America/Chicago.",
                    isolate(name)
                )))
            }
        },
        Command::Ask { .. }
        | Command::Upvote(_)
        | Command::Approve(_)
        | Command::Reject { .. }
        | Command::Answered(_)
        | Command::Questions(_) => Decision::Question(command.clone()),
        attendee => Decision::Reply(answer(schedule, attendee, now, here, zone)),
    }
}

/// The one session `words` names (an id or words of its title), or the reply that says why not.
pub fn one_session(schedule: &Schedule, words: &str) -> Result<String, Message> {
    let found = query::find_sessions(schedule, words);
    let words = isolate(words);
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(Message::plain(&format!(
            "No session matches \"{words}\". Try !search {words}"
        ))),
        many => Err(render::session_list(
            schedule,
            &format!("{} sessions match \"{words}\"; name one by its ID:", many.len()),
            many,
            LIST_LIMIT,
            None,
        )),
    }
}

/// "14:30" (today, in the conference's zone) or a full local time or RFC 3339 instant.
fn at_time(at: &str, now: DateTime<Tz>) -> Result<DateTime<Tz>, String> {
    if let Ok(clock) = chrono::NaiveTime::parse_from_str(at, "%H:%M") {
        let local = now.date_naive().and_time(clock);
        return time::resolve_local(local, now.timezone(), at).map_err(|e| e.to_string());
    }
    time::parse_instant(at, now.timezone()).map_err(|e| e.to_string())
}

/// The answer to an attendee's `command` at `now`. `here` is the schedule room or track the
/// chat room is mapped to, if any; `zone` the attendee's own zone, if they set one.
pub fn answer(
    schedule: &Schedule,
    command: &Command,
    now: DateTime<Tz>,
    here: Option<&str>,
    zone: Option<Tz>,
) -> Message {
    match command {
        Command::Help => help(Role::Attendee),
        Command::Ping => Message::plain("pong"),
        Command::Now(place) | Command::Next(place) => {
            let place = place.as_deref().or(here);
            if let Some(place) = place {
                if schedule.timeline(Some(place)).is_none() {
                    return no_such_place(schedule, place);
                }
            }
            let on = query::whats_on(schedule, now, place);
            let on = match command {
                Command::Now(_) => on,
                _ => query::WhatsOn { now: Vec::new(), ..on },
            };
            let on = match (command, on.phase) {
                (Command::Next(_), query::Phase::Running) => query::WhatsOn {
                    phase: query::Phase::Between,
                    ..on
                },
                _ => on,
            };
            if matches!(command, Command::Next(_)) && !on.next.is_empty() {
                let mut message = Message::new();
                message.text(&format!("Next, {}:", render::relative(now, on.next[0].start)));
                for session in &on.next {
                    message.line_break().text("  ");
                    render::session_line(&mut message, schedule, session, zone);
                }
                return message;
            }
            render::whats_on(schedule, &on, now, place, zone)
        }
        Command::Speaker(name) => {
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
        Command::Session(query_text) => {
            let found = query::find_sessions(schedule, query_text);
            let query_text = isolate(query_text);
            match found.as_slice() {
                [] => Message::plain(&format!(
                    "No session matches \"{query_text}\". Try !search {query_text}"
                )),
                [one] => render::session_detail(schedule, one, now, zone),
                many => render::session_list(
                    schedule,
                    &format!(
                        "{} sessions match \"{query_text}\"; send !session ID for one:",
                        many.len()
                    ),
                    many,
                    LIST_LIMIT,
                    zone,
                ),
            }
        }
        Command::Today => match query::current_day(schedule, now) {
            Some(day) => render::agenda(schedule, day, &query::agenda(schedule, day, here), zone),
            None => Message::plain("The schedule has no sessions."),
        },
        Command::Schedule(day) => {
            let day = match day {
                None => query::current_day(schedule, now),
                Some(day) => match pick_day(schedule, day) {
                    Ok(day) => Some(day),
                    Err(reply) => return Message::plain(&reply),
                },
            };
            match day {
                Some(day) => render::agenda(schedule, day, &query::agenda(schedule, day, None), zone),
                None => Message::plain("The schedule has no sessions."),
            }
        }
        Command::Announce { .. }
        | Command::Announcements
        | Command::Cancel(_)
        | Command::Delay { .. }
        | Command::Status
        | Command::Reload
        | Command::Remind(_)
        | Command::Reminders
        | Command::Forget(_)
        | Command::Tz(_)
        | Command::Ask { .. }
        | Command::Upvote(_)
        | Command::Approve(_)
        | Command::Reject { .. }
        | Command::Answered(_)
        | Command::Questions(_) => {
            Message::plain(&format!("{command} needs the bot's store; it is answered by decide()."))
        }
        Command::Search(words) => {
            let found = query::search(schedule, words);
            let words = isolate(words);
            if found.is_empty() {
                return Message::plain(&format!("No session mentions \"{words}\"."));
            }
            render::session_list(
                schedule,
                &format!(
                    "{} session{} match \"{words}\":",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                ),
                &found,
                LIST_LIMIT,
                zone,
            )
        }
    }
}

/// `!help`: the commands `role` may use, generated from the command table.
fn help(role: Role) -> Message {
    let mut message = Message::new();
    message.text("Commands:");
    for spec in COMMANDS.iter().filter(|spec| spec.role <= role) {
        let args = if spec.args.is_empty() {
            String::new()
        } else {
            format!(" {}", spec.args)
        };
        message
            .line_break()
            .text("  ")
            .code(&format!("!{}{args}", spec.name))
            .text(&format!(" — {}", spec.summary));
    }
    message
}

fn no_such_place(schedule: &Schedule, place: &str) -> Message {
    let rooms = schedule.rooms();
    let hint = text::closest(place, rooms.iter().copied())
        .map(|r| format!(" Did you mean {r}?"))
        .unwrap_or_default();
    Message::plain(&format!(
        "There is no room or track called \"{}\".{hint} Rooms: {}.",
        isolate(place),
        rooms.join(", ")
    ))
}

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

/// "2023-02-03", or "day 2" / "2" for the conference's second day.
pub fn pick_day(schedule: &Schedule, day: &str) -> Result<NaiveDate, String> {
    if let Some(date) = time::parse_date(day) {
        return Ok(date);
    }
    let days = schedule.days();
    let number = day.trim().trim_start_matches("day").trim();
    match number.parse::<usize>() {
        Ok(n) if (1..=days.len()).contains(&n) => Ok(days[n - 1]),
        _ => Err(format!(
            "\"{}\" is not a day of the conference: write a date (YYYY-MM-DD) or day 1 to day {}",
            isolate(day),
            days.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

    fn centos() -> Schedule {
        native::parse(include_str!("../data/centos-connect-2023.toml"), "centos", None)
            .unwrap()
            .schedule
    }

    fn ask(s: &Schedule, command: &str, at: &str, here: Option<&str>) -> Message {
        let now = time::parse_instant(at, s.timezone()).unwrap();
        answer(s, &Command::parse(command).unwrap().unwrap(), now, here, None)
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
            Command::parse("!\u{202E}txen").unwrap_err().to_string(),
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
            &RoomsConfig::default(),
            &Command::Help,
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
        let rooms = RoomsConfig {
            announcements: vec!["#a:h".into()],
            ..RoomsConfig::default()
        };
        let delay = Command::parse("!delay 10m").unwrap().unwrap();
        let Decision::Reply(refusal) = decide(&s, &rooms, &delay, Role::Attendee, now, None, None) else {
            panic!()
        };
        assert_eq!(
            refusal.body(),
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
            (time::rfc3339(&due).as_str(), room.as_str(), text.as_str()),
            ("2023-02-03T14:30:00+01:00", "announcements", "Coffee refill")
        );
        let nowhere = Command::parse("!announce to lobby hello").unwrap().unwrap();
        assert!(matches!(
            decide(&s, &rooms, &nowhere, Role::Organizer, now, None, None),
            Decision::Reply(_)
        ));
    }
}
