//! When the day runs late: an organizer's `!delay` moves the session running in a room
//! (or the next one) and every later session in that room that day. Delays are kept in the
//! store and applied to the schedule as loaded, so they survive restarts and reloads.

use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::refusal::Refusal;
use crate::schedule::{Schedule, Session};
use crate::{query, text, time};
use chrono::{DateTime, NaiveDate, TimeDelta};
use chrono_tz::Tz;

/// One declared delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    /// The room or track; `None` for every room.
    pub place: Option<String>,
    pub day: NaiveDate,
    /// Sessions starting at or after this instant (before the delay) move.
    pub from: DateTime<Tz>,
    pub shift: TimeDelta,
}

/// The delay `!delay [place] shift` means at `now`: from the session running there (or
/// the next one that day).
pub fn plan(schedule: &Schedule, place: Option<&str>, shift: TimeDelta, now: DateTime<Tz>) -> Result<Delay, Refusal> {
    if let Some(place) = place {
        if !schedule.has_place(place) {
            return Err(Refusal::NoSuchPlace(place.to_string()));
        }
    }
    let on = query::whats_on(schedule, now, place);
    let first = on
        .now
        .first()
        .or(on.next.first().filter(|s| s.start.date_naive() == now.date_naive()))
        .ok_or(Refusal::NothingToDelay)?;
    Ok(Delay {
        place: place.map(str::to_string),
        day: first.start.date_naive(),
        from: first.start,
        shift,
    })
}

impl Delay {
    fn moves(&self, session: &Session) -> bool {
        let here = match &self.place {
            None => true,
            Some(place) => {
                let place = text::fold(place);
                [&session.room, &session.track]
                    .into_iter()
                    .flatten()
                    .any(|p| text::fold(p) == place)
            }
        };
        here && session.start.date_naive() == self.day && session.start >= self.from
    }
}

/// The schedule with every delay applied, in the order they were declared.
pub fn apply(schedule: &Schedule, delays: &[Delay]) -> Schedule {
    if delays.is_empty() {
        return schedule.clone();
    }
    let mut sessions = schedule.sessions().to_vec();
    for delay in delays {
        for session in sessions.iter_mut().filter(|s| delay.moves(s)) {
            session.start += delay.shift;
            session.end += delay.shift;
        }
    }
    Schedule::new(schedule.conference().clone(), sessions, schedule.speakers().to_vec())
}

/// The announcement of a delay: which sessions moved, with their new times.
pub fn announcement(before: &Schedule, after: &Schedule, delay: &Delay) -> Message {
    let moved: Vec<&Session> = before.sessions().iter().filter(|s| delay.moves(s)).collect();
    let mut message = Message::new();
    let direction = if delay.shift < TimeDelta::zero() {
        "earlier"
    } else {
        "later"
    };
    let amount = crate::duration::Compact(delay.shift.abs());
    let place = delay
        .place
        .as_deref()
        .map(|p| format!(" in {}", isolate(p)))
        .unwrap_or_default();
    message.strong(&format!("Schedule change{place}:")).text(&format!(
        " from {} on, sessions run {amount} {direction}.",
        time::clock(&delay.from)
    ));
    for old in moved.iter().take(10) {
        if let Some(new) = after.session(&old.id) {
            message.line_break().text("  ");
            render::session_line(&mut message, after, new, None);
        }
    }
    if moved.len() > 10 {
        message.line_break().text(&format!("…and {} more.", moved.len() - 10));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::centos;

    #[test]
    fn a_delay_moves_the_running_session_and_the_rest_of_the_day() {
        let s = centos();
        let now = time::parse_instant("2023-02-03T14:20", s.timezone()).unwrap();
        let delay = plan(&s, Some("pagoda room"), TimeDelta::minutes(10), now).unwrap();
        assert_eq!(time::clock(&delay.from), "14:15");
        let moved = apply(&s, std::slice::from_ref(&delay));
        assert_eq!(render::when(moved.session("network").unwrap()), "14:25–14:50 CET");
        assert_eq!(render::when(moved.session("board-ama").unwrap()), "17:10–18:10 CET");
        assert_eq!(
            render::when(moved.session("okd").unwrap()),
            "13:50–14:15 CET",
            "earlier sessions stay"
        );
        let next = query::whats_on(&moved, now, None);
        assert!(next.now.is_empty(), "14:20 is now a gap");
        assert_eq!(next.next[0].id, "network");
        let message = announcement(&s, &moved, &delay);
        assert!(message.body().starts_with("Schedule change in pagoda room: from 14:15 on, sessions run 10m later.\n  14:25–14:50 CET  Network management"), "{}", message.body());
    }

    #[test]
    fn nothing_left_today_cannot_be_delayed() {
        let s = centos();
        let now = time::parse_instant("2023-02-03T19:00", s.timezone()).unwrap();
        assert_eq!(plan(&s, None, TimeDelta::minutes(5), now), Err(Refusal::NothingToDelay));
        assert_eq!(
            plan(&s, Some("Janson"), TimeDelta::minutes(5), now),
            Err(Refusal::NoSuchPlace("Janson".into()))
        );
    }
}
