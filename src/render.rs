//! Schedule answers as plain text, in the conference's zone with its abbreviation.
//! The terminal prints these; the Matrix adapter sends them as the plain-text body.

use crate::query::{Phase, SpeakerMatch, WhatsOn};
use crate::schedule::{Schedule, Session};
use crate::{text, time};
use chrono::{DateTime, NaiveDate};
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
        format!(
            "{} {start_zone}–{end} {end_zone}",
            time::clock(&session.start)
        )
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

/// "09:00–09:25 CET  CentOS Stream: RHEL development in public — Adam Samalik (Pagoda room)".
pub fn session_line(schedule: &Schedule, session: &Session) -> String {
    let mut line = format!("{}  {}", when(session), session.title);
    let speakers = schedule.speaker_names(session);
    if !speakers.is_empty() {
        line.push_str(" — ");
        line.push_str(&speakers.join(", "));
    }
    if let Some(room) = &session.room {
        line.push_str(&format!(" ({room})"));
    }
    line
}

/// A day's agenda: a heading, then one line a session.
pub fn agenda(schedule: &Schedule, date: NaiveDate, sessions: &[&Session]) -> String {
    let mut out = day(date);
    if sessions.is_empty() {
        out.push_str("\n  nothing scheduled");
    }
    for session in sessions {
        out.push_str("\n  ");
        out.push_str(&session_line(schedule, session));
    }
    out
}

/// What is on and what is next, or where the conference stands.
pub fn whats_on(schedule: &Schedule, on: &WhatsOn<'_>, place: Option<&str>) -> String {
    let name = &schedule.conference().name;
    let lines = |sessions: &[&Session]| -> String {
        sessions
            .iter()
            .map(|s| format!("\n  {}", session_line(schedule, s)))
            .collect()
    };
    let mut out = match on.phase {
        Phase::Empty => {
            return match place {
                Some(place) => format!("No sessions in {place}."),
                None => "The schedule has no sessions.".to_string(),
            }
        }
        Phase::NotStarted { starts } => format!("{name} starts on {}.", instant(&starts)),
        Phase::Over { ended } => {
            return format!(
                "{name} is over: the last session ended on {}. Thank you for coming!",
                instant(&ended)
            )
        }
        Phase::Running => format!("Now:{}", lines(&on.now)),
        Phase::Between => "Nothing is on right now.".to_string(),
        Phase::DayOver { next_starts } => {
            format!(
                "That's all for today. Sessions resume on {}.",
                instant(&next_starts)
            )
        }
    };
    if !on.next.is_empty() {
        out.push_str(&format!("\nNext:{}", lines(&on.next)));
    }
    out
}

/// A speaker with their sessions, or the list of speakers that matched.
pub fn speakers(schedule: &Schedule, found: &[SpeakerMatch<'_>], query: &str) -> String {
    match found {
        [] => format!("No speaker matches \"{query}\"."),
        [one] => {
            let mut out = one.speaker.name.clone();
            if let Some(bio) = &one.speaker.bio {
                out.push_str(&format!("\n{}", text::collapse_whitespace(bio)));
            }
            for link in &one.speaker.links {
                out.push_str(&format!("\n{link}"));
            }
            for session in &one.sessions {
                out.push_str(&format!(
                    "\n  {}, {}",
                    day(session.start.date_naive()),
                    session_line(schedule, session)
                ));
            }
            out
        }
        many => {
            let mut out = format!("{} speakers match \"{query}\":", many.len());
            for m in many {
                out.push_str(&format!("\n  {}", m.speaker.name));
            }
            out
        }
    }
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
        assert_eq!(
            session_line(&s, &s.sessions()[0]),
            "10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
    }

    #[test]
    fn the_phases_read_as_sentences() {
        let s = schedule();
        let tz = s.timezone();
        let text = |at: &str| {
            whats_on(
                &s,
                &query::whats_on(&s, parse_instant(at, tz).unwrap(), None),
                None,
            )
        };
        assert_eq!(
            text("2017-08-29T08:00"),
            "Mini starts on Tuesday 29 August 2017 at 10:00 EDT.\nNext:\n  10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
        assert_eq!(
            text("2017-08-29T15:00"),
            "That's all for today. Sessions resume on Wednesday 30 August 2017 at 09:00 EDT.\nNext:\n  09:00–09:30 EDT  Late (Room A)"
        );
        assert_eq!(
            text("2017-08-31T15:00"),
            "Mini is over: the last session ended on Wednesday 30 August 2017 at 09:30 EDT. Thank you for coming!"
        );
    }

    #[test]
    fn a_single_speaker_shows_bio_and_sessions() {
        let s = schedule();
        let found = query::find_speakers(&s, "miller");
        assert_eq!(
            speakers(&s, &found, "miller"),
            "Adam Miller\nPackager, release engineer.\n  Tuesday 29 August 2017, 10:00–10:50 EDT  Multi-Arch Container Layered Image Build System — Adam Miller (Room A)"
        );
    }
}
