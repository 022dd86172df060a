//! Schedule answers as messages (plain text and HTML), in the conference's zone with its
//! abbreviation. The terminal prints the plain text; Matrix sends both.

use crate::present::message::{isolate, Message};
use crate::query::{Phase, SpeakerMatch, WhatsOn};
use crate::schedule::{Schedule, Session};
use crate::{duration, text, time};
use chrono::{DateTime, NaiveDate, TimeDelta};
use chrono_tz::Tz;

/// "09:00–09:25 CET"; across a change of offset, "23:00 EDT–Sun 5 Nov 01:00 EST".
pub fn when(session: &Session) -> String {
    let same_day = session.start.date_naive() == session.end.date_naive();
    let end = if same_day {
        time::clock(&session.end)
    } else {
        session.end.format("%a %-d %b %H:%M").to_string()
    };
    let (start_zone, end_zone) = (
        time::zone_abbreviation(&session.start),
        time::zone_abbreviation(&session.end),
    );
    if start_zone == end_zone {
        format!("{}–{end} {start_zone}", time::clock(&session.start))
    } else {
        format!("{} {start_zone}–{end} {end_zone}", time::clock(&session.start))
    }
}

/// `when(session)` and, for a reader with their own zone that differs, the same span there:
/// "09:00–09:25 CET (03:00–03:25 EST)".
pub fn when_for(session: &Session, zone: Option<Tz>) -> String {
    let shown = when(session);
    match zone {
        Some(zone) if differs(&session.start, zone) => {
            let (start, end) = (session.start.with_timezone(&zone), session.end.with_timezone(&zone));
            let end_day = if start.date_naive() == end.date_naive() {
                String::new()
            } else {
                format!("{} ", end.format("%a"))
            };
            let start_day = if start.date_naive() == session.start.date_naive() {
                String::new()
            } else {
                format!("{} ", start.format("%a"))
            };
            format!(
                "{shown} ({start_day}{}–{end_day}{} {})",
                time::clock(&start),
                time::clock(&end),
                time::zone_abbreviation(&end)
            )
        }
        _ => shown,
    }
}

/// Whether a reader in `zone` sees `at` on a different clock than the conference's.
fn differs(at: &DateTime<Tz>, zone: Tz) -> bool {
    at.with_timezone(&zone).naive_local() != at.naive_local()
        || time::zone_abbreviation(&at.with_timezone(&zone)) != time::zone_abbreviation(at)
}

/// `instant(at)` and, for a reader with their own zone that differs, the time there:
/// "Friday 3 February 2023 at 09:00 CET (03:00 EST)".
pub fn instant_for(at: &DateTime<Tz>, zone: Option<Tz>) -> String {
    match zone {
        Some(zone) if differs(at, zone) => {
            let local = at.with_timezone(&zone);
            let day = if local.date_naive() == at.date_naive() {
                String::new()
            } else {
                format!("{} ", short_day(local.date_naive()))
            };
            format!(
                "{} ({day}{} {})",
                instant(at),
                time::clock(&local),
                time::zone_abbreviation(&local)
            )
        }
        _ => instant(at),
    }
}

/// "Friday 3 February 2023".
pub fn day(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// "Friday 3 February 2023 at 09:00 CET".
pub fn instant(at: &DateTime<Tz>) -> String {
    format!(
        "{} at {} {}",
        day(at.date_naive()),
        time::clock(at),
        time::zone_abbreviation(at)
    )
}

/// "in 12 minutes", "in 1 hour 5 minutes", "in 2 days", "now", "5 minutes ago".
pub fn relative(now: DateTime<Tz>, at: DateTime<Tz>) -> String {
    let delta = at - now;
    let ahead = delta >= TimeDelta::zero();
    let minutes = (delta.num_seconds().abs() + 59) / 60;
    if minutes == 0 {
        return "now".to_string();
    }
    let span = if minutes < 24 * 60 {
        minutes_span(minutes as u64)
    } else {
        plural(((minutes + 12 * 60) / (24 * 60)) as u64, "day")
    };
    if ahead {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// "12 minutes", "1 hour", "1 hour 5 minutes", "26 hours": whole minutes as people say
/// them, never rounded to days.
pub fn minutes_span(minutes: u64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => plural(m, "minute"),
        (h, 0) => plural(h, "hour"),
        (h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
    }
}

/// "09:00–09:25 CET  **Title** — Speaker, Speaker (Room)".
/// `zone` is the reader's own zone, if they set one.
pub fn session_line(message: &mut Message, schedule: &Schedule, session: &Session, zone: Option<Tz>) {
    message
        .text(&format!("{}  ", when_for(session, zone)))
        .strong(&isolate(&session.title));
    let speakers = speaker_names(schedule, session);
    if !speakers.is_empty() {
        message.text(&format!(" — {speakers}"));
    }
    if let Some(room) = &session.room {
        message.text(&format!(" ({})", isolate(room)));
    }
}

/// "Ada, Grace": a session's speakers, each name [`isolate`]d like any text the bot did not
/// write, so that one name cannot turn the next or the rest of the line around.
pub fn speaker_names(schedule: &Schedule, session: &Session) -> String {
    schedule
        .speaker_names(session)
        .into_iter()
        .map(isolate)
        .collect::<Vec<_>>()
        .join(", ")
}

fn session_lines(message: &mut Message, schedule: &Schedule, sessions: &[&Session], zone: Option<Tz>) {
    for session in sessions {
        message.line_break().text("  ");
        session_line(message, schedule, session, zone);
    }
}

/// A day's agenda: a heading, then one line a session.
pub fn agenda(schedule: &Schedule, date: NaiveDate, sessions: &[&Session], zone: Option<Tz>) -> Message {
    let mut message = Message::new();
    message.strong(&day(date));
    if sessions.is_empty() {
        message.line_break().text("  nothing scheduled");
    }
    session_lines(&mut message, schedule, sessions, zone);
    message
}

/// What is on and what is next at `now`, or where the conference stands.
pub fn whats_on(
    schedule: &Schedule,
    on: &WhatsOn<'_>,
    now: DateTime<Tz>,
    place: Option<&str>,
    zone: Option<Tz>,
) -> Message {
    let name = &schedule.conference().name;
    let mut message = Message::new();
    match on.phase {
        Phase::Empty => {
            message.text(&match place {
                Some(place) => format!("No sessions in {place}."),
                None => "The schedule has no sessions.".to_string(),
            });
            return message;
        }
        Phase::NotStarted { starts } => {
            message.text(&format!(
                "{name} starts on {}, {}.",
                instant_for(&starts, zone),
                relative(now, starts)
            ));
        }
        Phase::Over { ended } => {
            message.text(&format!(
                "{name} is over: the last session ended on {}. Thank you for coming!",
                instant_for(&ended, zone)
            ));
            return message;
        }
        Phase::Running => {
            message.text("Now:");
            session_lines(&mut message, schedule, &on.now, zone);
        }
        Phase::Between => {
            message.text("Nothing is on right now.");
        }
        Phase::DayOver { next_starts } => {
            message.text(&format!(
                "That's all for today. Sessions resume on {}.",
                instant_for(&next_starts, zone)
            ));
        }
    }
    if let Some(first) = on.next.first() {
        let heading = match on.phase {
            Phase::NotStarted { .. } => "First:".to_string(),
            _ => format!("Next, {}:", relative(now, first.start)),
        };
        message.line_break().text(&heading);
        session_lines(&mut message, schedule, &on.next, zone);
    }
    message
}

/// A speaker with their sessions, or the list of speakers that matched `query`, as typed.
pub fn speakers(schedule: &Schedule, found: &[SpeakerMatch<'_>], query: &str, zone: Option<Tz>) -> Message {
    let query = isolate(query);
    let mut message = Message::new();
    match found {
        [] => {
            message.text(&format!("No speaker matches \"{query}\"."));
        }
        [one] => {
            message.strong(&one.speaker.name);
            if let Some(bio) = &one.speaker.bio {
                message.line_break().text(&first_sentences(bio, 200));
            }
            for link in &one.speaker.links {
                message.line_break().link(link, link);
            }
            for session in &one.sessions {
                message
                    .line_break()
                    .text(&format!("  {}, ", short_day(session.start.date_naive())));
                session_line(&mut message, schedule, session, zone);
            }
        }
        many => {
            message.text(&format!("{} speakers match \"{query}\":", many.len()));
            for m in many {
                message.line_break().text("  ").strong(&m.speaker.name);
                let titles: Vec<&str> = m.sessions.iter().map(|s| s.title.as_str()).collect();
                if !titles.is_empty() {
                    message.text(&format!(" — {}", titles.join("; ")));
                }
            }
        }
    }
    message
}

/// One session in full: title, time, room, speakers, abstract (shortened), link.
pub fn session_detail(schedule: &Schedule, session: &Session, now: DateTime<Tz>, zone: Option<Tz>) -> Message {
    let mut message = Message::new();
    message.strong(&session.title);
    if let Some(subtitle) = &session.subtitle {
        message.text(" — ").em(subtitle);
    }
    message.line_break().text(&format!(
        "{}, {} ({})",
        short_day(session.start.date_naive()),
        when_for(session, zone),
        relative(now, session.start)
    ));
    if let Some(room) = &session.room {
        message.text(&format!(" · {room}"));
    }
    let speakers = schedule.speaker_names(session);
    if !speakers.is_empty() {
        message.line_break().text(&format!("With {}", speakers.join(", ")));
    }
    if let Some(text) = &session.abstract_text {
        message.line_break().text(&first_sentences(text, 400));
    }
    if let Some(url) = &session.url {
        message.line_break().link(url, url);
    }
    message
}

/// A list of sessions, at most `limit`, with a count of the rest.
pub fn session_list(
    schedule: &Schedule,
    heading: Message,
    sessions: &[&Session],
    limit: usize,
    zone: Option<Tz>,
) -> Message {
    let mut message = heading;
    for session in sessions.iter().take(limit) {
        message
            .line_break()
            .text(&format!("  {}, ", short_day(session.start.date_naive())));
        session_line(&mut message, schedule, session, zone);
        message.text(&format!(" [{}]", session.id));
    }
    if sessions.len() > limit {
        message
            .line_break()
            .text(&format!("…and {} more.", sessions.len() - limit));
    }
    message
}

/// "Fri 3 Feb".
pub fn short_day(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// The text on one line, cut at a sentence or word boundary near `limit` characters.
pub fn first_sentences(s: &str, limit: usize) -> String {
    let s = text::collapse_whitespace(s);
    if s.chars().count() <= limit {
        return s;
    }
    let cut: String = s.chars().take(limit).collect();
    let end = cut
        .rfind(". ")
        .map(|i| i + 1)
        .filter(|&i| i > limit / 3)
        .or_else(|| cut.rfind(' '))
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

/// The reply to a room or track the schedule does not have, with the closest name when
/// it looks like a typo, and the rooms there are.
pub fn no_such_place(schedule: &Schedule, place: &str) -> Message {
    let rooms = schedule.rooms();
    let hint = crate::text::closest(place, rooms.iter().copied())
        .map(|r| format!(" Did you mean {r}?"))
        .unwrap_or_default();
    Message::plain(&format!(
        "There is no room or track called \"{}\".{hint} Rooms: {}.",
        isolate(place),
        rooms.join(", ")
    ))
}

/// The most sessions a list in a reply shows; "and N more" says the rest.
pub const LIST_LIMIT: usize = 10;

/// "14:15 CET" on the day of `now`, else "Sat 4 Feb 09:00 CET".
pub fn short_instant(at: &DateTime<Tz>, now: DateTime<Tz>) -> String {
    if at.date_naive() == now.date_naive() {
        clock_zone(at)
    } else {
        format!("{} {}", short_day(at.date_naive()), clock_zone(at))
    }
}

/// "14:15 CET".
pub fn clock_zone(at: &DateTime<Tz>) -> String {
    format!("{} {}", time::clock(at), time::zone_abbreviation(at))
}

/// "1 vote", "3 votes".
pub fn plural(n: u64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// "minute", "30 seconds", "2 hours", "1h30m": a window as in "in the last …".
pub fn span(window: TimeDelta) -> String {
    let seconds = window.num_seconds();
    let units = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")];
    for (size, unit) in units {
        if seconds >= size && seconds % size == 0 {
            let n = seconds / size;
            return if n == 1 {
                unit.to_string()
            } else {
                plural(n as u64, unit)
            };
        }
    }
    duration::Compact(window).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query;
    use crate::schedule::native;
    use crate::time::parse_instant;

    fn schedule() -> Schedule {
        native::parse(
            r#"
[conference]
name = "Mini"
timezone = "America/New_York"
[[speakers]]
id = "am"
name = "Adam Miller"
bio = """Packager,
   release engineer."""
[[sessions]]
id = "flibs"
title = "Multi-Arch Container Layered Image Build System"
start = "2017-08-29T10:00"
duration = "50m"
room = "Room A"
speakers = ["am"]
[[sessions]]
id = "late"
title = "Late"
start = "2017-08-30T09:00"
duration = "30m"
room = "Room A"
"#,
            "mini.toml",
            None,
        )
        .unwrap()
        .schedule
    }

    #[test]
    fn lines_show_times_in_the_conference_zone() {
        let s = schedule();
        let mut m = Message::new();
        session_line(&mut m, &s, &s.sessions()[0], None);
        assert_eq!(
            m.body(),
            "10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
        assert!(m
            .html()
            .contains("<strong>Multi-Arch Container Layered Image Build System</strong>"));
    }

    #[test]
    fn the_phases_read_as_sentences() {
        let s = schedule();
        let tz = s.timezone();
        let text = |at: &str| {
            let now = parse_instant(at, tz).unwrap();
            whats_on(&s, &query::whats_on(&s, now, None), now, None, None)
                .body()
                .to_string()
        };
        assert_eq!(
            text("2017-08-29T08:00"),
            "Mini starts on Tuesday 29 August 2017 at 10:00 EDT, in 2 hours.\nFirst:\n  10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
        assert_eq!(
            text("2017-08-29T15:00"),
            "That's all for today. Sessions resume on Wednesday 30 August 2017 at 09:00 EDT.\nNext, in 18 hours:\n  09:00–09:30 EDT  Late (Room A)"
        );
        assert_eq!(
            text("2017-08-31T15:00"),
            "Mini is over: the last session ended on Wednesday 30 August 2017 at 09:30 EDT. Thank you for coming!"
        );
    }

    #[test]
    fn relative_times_round_up_to_the_minute() {
        let at = parse_instant("2023-02-03T09:25", chrono_tz::Europe::Brussels).unwrap();
        let rel = |m: i64| relative(at - TimeDelta::seconds(m), at);
        assert_eq!(rel(15 * 60), "in 15 minutes");
        assert_eq!(rel(14 * 60 + 1), "in 15 minutes");
        assert_eq!(rel(14 * 60), "in 14 minutes");
        assert_eq!(rel(0), "now");
        assert_eq!(rel(65 * 60), "in 1 hour 5 minutes");
        assert_eq!(rel(-300), "5 minutes ago");
        assert_eq!(rel(3 * 86_400), "in 3 days");
    }

    #[test]
    fn minutes_read_as_hours_and_minutes_never_days() {
        assert_eq!(minutes_span(1), "1 minute");
        assert_eq!(minutes_span(59), "59 minutes");
        assert_eq!(minutes_span(60), "1 hour");
        assert_eq!(minutes_span(61), "1 hour 1 minute");
        assert_eq!(minutes_span(26 * 60 + 5), "26 hours 5 minutes");
    }

    #[test]
    fn a_single_speaker_shows_bio_and_sessions() {
        let s = schedule();
        let found = query::find_speakers(&s, "miller");
        assert_eq!(
            speakers(&s, &found, "miller", None).body(),
            "Adam Miller\nPackager, release engineer.\n  Tue 29 Aug, 10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
    }

    #[test]
    fn a_reader_with_their_own_zone_sees_both_clocks() {
        let s = schedule();
        let first = &s.sessions()[0];
        assert_eq!(when_for(first, None), "10:00–10:50 EDT");
        assert_eq!(when_for(first, Some(chrono_tz::America::New_York)), "10:00–10:50 EDT");
        assert_eq!(
            when_for(first, Some(chrono_tz::Europe::Brussels)),
            "10:00–10:50 EDT (16:00–16:50 CEST)"
        );
        assert_eq!(
            when_for(first, Some(chrono_tz::Asia::Tokyo)),
            "10:00–10:50 EDT (23:00–23:50 JST)"
        );
        assert_eq!(
            instant_for(&first.start, Some(chrono_tz::Australia::Sydney)),
            "Tuesday 29 August 2017 at 10:00 EDT (Wed 30 Aug 00:00 AEST)"
        );
        let mut m = Message::new();
        session_line(&mut m, &s, first, Some(chrono_tz::America::Chicago));
        assert!(
            m.body().starts_with("10:00–10:50 EDT (09:00–09:50 CDT)  Multi-Arch"),
            "{}",
            m.body()
        );
    }

    #[test]
    fn long_text_is_cut_at_a_sentence() {
        let text = "First sentence here. Second sentence is longer than the limit allows for sure.";
        assert_eq!(first_sentences(text, 40), "First sentence here.…");
        assert_eq!(first_sentences("short", 40), "short");
    }
}
