//! Answers to what attendees ask: what is on now, what is next, who is this speaker,
//! where is that session, what is on today. Pure: `now` is passed in.

use crate::refusal::Refusal;
use crate::schedule::{Schedule, Session, Speaker, Timeline};
use crate::{text, time};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

/// Where the conference stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing in this scope at all (an empty schedule, or a room with no sessions).
    Empty,
    /// Before the first session; it starts then.
    NotStarted { starts: DateTime<Tz> },
    /// Something is on.
    Running,
    /// A gap between sessions within a day.
    Between,
    /// The day's sessions are over; the next day's start.
    DayOver { next_starts: DateTime<Tz> },
    /// After the last session; it ended then.
    Over { ended: DateTime<Tz> },
}

/// What is on at an instant and what comes next, in one room or everywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsOn<'s> {
    pub phase: Phase,
    /// The sessions running at that instant.
    pub now: Vec<&'s Session>,
    /// The sessions starting next, all at the same instant (parallel rooms).
    pub next: Vec<&'s Session>,
}

/// What is on at `now` and next, everywhere (`place: None`) or in one room or track.
pub fn whats_on<'s>(schedule: &'s Schedule, now: DateTime<Tz>, place: Option<&str>) -> WhatsOn<'s> {
    let Some(timeline) = schedule.timeline(place).filter(|t| !t.positions.is_empty()) else {
        return WhatsOn {
            phase: Phase::Empty,
            now: Vec::new(),
            next: Vec::new(),
        };
    };
    let sessions = schedule.sessions();
    let at = |k: usize| &sessions[timeline.positions[k]];
    let started = timeline.positions.partition_point(|&i| sessions[i].start <= now);

    let playing = running(timeline, sessions, started, now);
    let next: Vec<&Session> = match timeline.positions.get(started) {
        Some(&first) => {
            let start = sessions[first].start;
            timeline.positions[started..]
                .iter()
                .map(|&i| &sessions[i])
                .take_while(|s| s.start == start)
                .collect()
        }
        None => Vec::new(),
    };
    let last_end = *timeline.latest_end.last().expect("timeline is not empty");
    let phase = if started == 0 {
        Phase::NotStarted { starts: at(0).start }
    } else if now >= last_end {
        Phase::Over { ended: last_end }
    } else if !playing.is_empty() {
        Phase::Running
    } else {
        match next.first() {
            Some(n) if n.start.date_naive() != now.date_naive() => Phase::DayOver { next_starts: n.start },
            _ => Phase::Between,
        }
    };
    WhatsOn {
        phase,
        now: playing,
        next,
    }
}

/// Sessions that started before position `started` and are still running at `now`.
fn running<'s>(timeline: &Timeline, sessions: &'s [Session], started: usize, now: DateTime<Tz>) -> Vec<&'s Session> {
    let mut playing = Vec::new();
    for k in (0..started).rev() {
        if timeline.latest_end[k] <= now {
            break;
        }
        let session = &sessions[timeline.positions[k]];
        if session.end > now {
            playing.push(session);
        }
    }
    playing.reverse();
    playing
}

/// A speaker and what they present.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerMatch<'s> {
    pub speaker: &'s Speaker,
    pub sessions: Vec<&'s Session>,
}

/// Speakers whose name matches `query`, ignoring case and accents; partial names match
/// ("samal" finds Adam Samalik). An exact full name or id returns just that speaker.
pub fn find_speakers<'s>(schedule: &'s Schedule, query: &str) -> Vec<SpeakerMatch<'s>> {
    let folded = text::fold(query.trim());
    let words = text::folded_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let speakers = schedule.speakers();
    let exact: Vec<usize> = (0..speakers.len())
        .filter(|&i| schedule.folded_speaker_name(i) == folded || speakers[i].id.eq_ignore_ascii_case(query.trim()))
        .collect();
    let positions = if exact.is_empty() {
        (0..speakers.len())
            .filter(|&i| {
                let name = schedule.folded_speaker_name(i);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .collect()
    } else {
        exact
    };
    positions
        .into_iter()
        .map(|i| SpeakerMatch {
            speaker: &speakers[i],
            sessions: schedule.sessions_of(&speakers[i].id),
        })
        .collect()
}

/// A session by its id, or the sessions whose title contains every word of `query`
/// (an exact title wins over partial matches).
pub fn find_sessions<'s>(schedule: &'s Schedule, query: &str) -> Vec<&'s Session> {
    let query = query.trim().trim_start_matches('#');
    if let Some(session) = schedule.session(query) {
        return vec![session];
    }
    let folded = text::fold(query);
    if let Some(session) = schedule.sessions().iter().find(|s| s.id.eq_ignore_ascii_case(query)) {
        return vec![session];
    }
    let words = text::folded_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let sessions = schedule.sessions();
    let exact: Vec<&Session> = sessions.iter().filter(|s| text::fold(&s.title) == folded).collect();
    if !exact.is_empty() {
        return exact;
    }
    (0..sessions.len())
        .filter(|&i| {
            let title = schedule.folded_title(i);
            words.iter().all(|w| title.contains(w.as_str()))
        })
        .map(|i| &sessions[i])
        .collect()
}

/// A day's sessions in order, everywhere or in one room or track.
pub fn agenda<'s>(schedule: &'s Schedule, day: NaiveDate, place: Option<&str>) -> Vec<&'s Session> {
    let Some(timeline) = schedule.timeline(place) else {
        return Vec::new();
    };
    let sessions = schedule.sessions();
    let first = timeline
        .positions
        .partition_point(|&i| sessions[i].start.date_naive() < day);
    timeline.positions[first..]
        .iter()
        .map(|&i| &sessions[i])
        .take_while(|s| s.start.date_naive() == day)
        .collect()
}

/// The day to show for "today": the day of `now` if it has sessions, else the next day
/// that has (or the last day, once the conference is over).
pub fn current_day(schedule: &Schedule, now: DateTime<Tz>) -> Option<NaiveDate> {
    let today = now.date_naive();
    let days = schedule.days();
    days.iter()
        .copied()
        .find(|&d| d >= today)
        .or_else(|| days.last().copied())
}

/// Sessions whose title, speakers or abstract contain every word of `query`;
/// title matches first, then the rest, each in schedule order.
pub fn search<'s>(schedule: &'s Schedule, query: &str) -> Vec<&'s Session> {
    let words = text::folded_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let sessions = schedule.sessions();
    let mut in_title = Vec::new();
    let mut elsewhere = Vec::new();
    for (i, session) in sessions.iter().enumerate() {
        let haystack = schedule.haystack(i);
        if !words.iter().all(|w| haystack.contains(w.as_str())) {
            continue;
        }
        let title = schedule.folded_title(i);
        if words.iter().all(|w| title.contains(w.as_str())) {
            in_title.push(session);
        } else {
            elsewhere.push(session);
        }
    }
    in_title.extend(elsewhere);
    in_title
}

/// A day of the conference as people write it: a date ("2023-02-03"), or its number ("2",
/// "day 2") for the conference's second day.
pub fn pick_day(schedule: &Schedule, written: &str) -> Result<NaiveDate, Refusal> {
    if let Some(date) = time::parse_date(written) {
        return Ok(date);
    }
    let days = schedule.days();
    let number = written.trim().trim_start_matches("day").trim();
    match number.parse::<usize>() {
        Ok(n) if (1..=days.len()).contains(&n) => Ok(days[n - 1]),
        _ => Err(Refusal::NoSuchDay {
            written: written.to_string(),
            days: days.len(),
        }),
    }
}

/// The one session `words` name (an id or words of its title).
pub fn one_session<'s>(schedule: &'s Schedule, words: &str) -> Result<&'s Session, Refusal> {
    match find_sessions(schedule, words).as_slice() {
        [one] => Ok(one),
        [] => Err(Refusal::NoSuchSession(words.to_string())),
        many => Err(Refusal::SeveralSessions {
            words: words.to_string(),
            ids: many.iter().map(|s| s.id.clone()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Conference, SessionKind};
    use crate::time::parse_instant;
    use chrono_tz::Europe::Brussels;

    fn at(s: &str) -> DateTime<Tz> {
        parse_instant(s, Brussels).unwrap()
    }

    fn session(id: &str, title: &str, start: &str, end: &str, room: &str, speakers: &[&str]) -> Session {
        Session {
            id: id.into(),
            title: title.into(),
            subtitle: None,
            kind: SessionKind::Talk,
            start: at(start),
            end: at(end),
            room: Some(room.into()),
            track: None,
            speakers: speakers.iter().map(|s| s.to_string()).collect(),
            abstract_text: Some(format!("All about {title}.")),
            url: None,
        }
    }

    fn speaker(id: &str, name: &str) -> Speaker {
        Speaker {
            id: id.into(),
            name: name.into(),
            bio: None,
            links: vec![],
            matrix: None,
        }
    }

    /// Two days, two rooms: A has a long workshop beside short talks in B.
    fn two_days() -> Schedule {
        Schedule::new(
            Conference {
                name: "Two Days".into(),
                timezone: Brussels,
                venue: None,
                url: None,
            },
            vec![
                session(
                    "ws",
                    "Rust workshop",
                    "2023-02-03T09:00",
                    "2023-02-03T12:00",
                    "A",
                    &["ff"],
                ),
                session(
                    "t1",
                    "Kernel news",
                    "2023-02-03T09:00",
                    "2023-02-03T09:30",
                    "B",
                    &["jm"],
                ),
                session(
                    "t2",
                    "Network management",
                    "2023-02-03T10:00",
                    "2023-02-03T10:30",
                    "B",
                    &["ff", "jm"],
                ),
                session(
                    "d2",
                    "Day two opening",
                    "2023-02-04T09:00",
                    "2023-02-04T09:15",
                    "A",
                    &[],
                ),
            ],
            vec![speaker("ff", "Fernando Fernández Mancera"), speaker("jm", "José María")],
        )
    }

    fn ids(sessions: &[&Session]) -> Vec<String> {
        sessions.iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn before_the_conference_it_says_when_it_starts() {
        let s = two_days();
        let on = whats_on(&s, at("2023-02-02T20:00"), None);
        assert_eq!(
            on.phase,
            Phase::NotStarted {
                starts: at("2023-02-03T09:00")
            }
        );
        assert!(on.now.is_empty());
        assert_eq!(ids(&on.next), ["ws", "t1"]);
    }

    #[test]
    fn a_long_session_stays_on_while_short_ones_come_and_go() {
        let s = two_days();
        let on = whats_on(&s, at("2023-02-03T09:40"), None);
        assert_eq!(on.phase, Phase::Running);
        assert_eq!(ids(&on.now), ["ws"]);
        assert_eq!(ids(&on.next), ["t2"]);
    }

    #[test]
    fn per_room_a_gap_is_between_sessions() {
        let s = two_days();
        let on = whats_on(&s, at("2023-02-03T09:40"), Some("b"));
        assert_eq!(on.phase, Phase::Between);
        assert!(on.now.is_empty());
        assert_eq!(ids(&on.next), ["t2"]);
        assert_eq!(
            whats_on(&s, at("2023-02-03T09:40"), Some("nowhere")).phase,
            Phase::Empty
        );
    }

    #[test]
    fn at_the_end_of_a_day_next_rolls_over_to_the_next_day() {
        let s = two_days();
        let on = whats_on(&s, at("2023-02-03T18:00"), None);
        assert_eq!(
            on.phase,
            Phase::DayOver {
                next_starts: at("2023-02-04T09:00")
            }
        );
        assert_eq!(ids(&on.next), ["d2"]);
    }

    #[test]
    fn after_the_last_session_it_is_over() {
        let s = two_days();
        let on = whats_on(&s, at("2023-02-04T09:15"), None);
        assert_eq!(
            on.phase,
            Phase::Over {
                ended: at("2023-02-04T09:15")
            }
        );
        assert!(on.now.is_empty() && on.next.is_empty());
    }

    #[test]
    fn speakers_are_found_by_partial_name_without_accents() {
        let s = two_days();
        let found = find_speakers(&s, "fernandez");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].speaker.name, "Fernando Fernández Mancera");
        assert_eq!(ids(&found[0].sessions), ["ws", "t2"]);
        let both = find_speakers(&s, "ma");
        assert_eq!(both.len(), 2, "several matches are all listed");
        assert!(find_speakers(&s, "nobody").is_empty());
        assert!(find_speakers(&s, "  ").is_empty());
    }

    #[test]
    fn sessions_are_found_by_id_or_title_words() {
        let s = two_days();
        assert_eq!(ids(&find_sessions(&s, "t2")), ["t2"]);
        assert_eq!(ids(&find_sessions(&s, "#WS")), ["ws"]);
        assert_eq!(ids(&find_sessions(&s, "management network")), ["t2"]);
        assert!(find_sessions(&s, "cooking").is_empty());
    }

    #[test]
    fn an_agenda_holds_one_day_and_one_room() {
        let s = two_days();
        let day = NaiveDate::from_ymd_opt(2023, 2, 3).unwrap();
        assert_eq!(ids(&agenda(&s, day, None)), ["ws", "t1", "t2"]);
        assert_eq!(ids(&agenda(&s, day, Some("B"))), ["t1", "t2"]);
        assert_eq!(current_day(&s, at("2023-02-03T23:00")), Some(day));
        assert_eq!(current_day(&s, at("2023-01-01T10:00")), Some(day));
        assert_eq!(
            current_day(&s, at("2024-01-01T10:00")),
            NaiveDate::from_ymd_opt(2023, 2, 4)
        );
    }

    #[test]
    fn search_covers_titles_speakers_and_abstracts() {
        let s = two_days();
        assert_eq!(ids(&search(&s, "network")), ["t2"]);
        assert_eq!(ids(&search(&s, "jose")), ["t1", "t2"]);
        assert_eq!(ids(&search(&s, "about opening")), ["d2"]);
        assert_eq!(ids(&search(&s, "kernel")), ["t1"]);
        assert!(search(&s, "").is_empty());
    }

    #[test]
    fn a_day_is_a_date_or_its_number_with_or_without_the_word_day() {
        let s = two_days();
        let days = s.days();
        assert_eq!(days.len(), 2, "{days:?}");
        for written in ["2", "day 2", " day2 ", &days[1].to_string()] {
            assert_eq!(pick_day(&s, written), Ok(days[1]), "{written}");
        }
        assert_eq!(
            pick_day(&s, "day 3"),
            Err(Refusal::NoSuchDay {
                written: "day 3".into(),
                days: 2
            })
        );
        assert_eq!(
            crate::present::refusal::text(&s, &pick_day(&s, "friday").unwrap_err()),
            "\"friday\" is not a day of the conference: write a date (YYYY-MM-DD) or day 1 to day 2"
        );
    }
}
