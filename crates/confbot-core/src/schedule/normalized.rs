//! The normalized JSON form of a schedule (`confbot schedule --json`): one shape for every
//! input format, which tests and other tools rely on.

use super::Schedule;
use crate::time;
use serde::Serialize;

#[derive(Serialize)]
struct Document<'a> {
    conference: ConferenceOut<'a>,
    sessions: Vec<SessionOut<'a>>,
}

#[derive(Serialize)]
struct ConferenceOut<'a> {
    name: &'a str,
    timezone: &'a str,
}

#[derive(Serialize)]
struct SessionOut<'a> {
    id: &'a str,
    title: &'a str,
    kind: &'a str,
    start: String,
    end: String,
    room: Option<&'a str>,
    track: Option<&'a str>,
    speakers: Vec<&'a str>,
}

/// The schedule as pretty-printed JSON, sessions ordered by start, then room.
pub fn to_json(schedule: &Schedule) -> String {
    let conference = schedule.conference();
    let document = Document {
        conference: ConferenceOut {
            name: &conference.name,
            timezone: conference.timezone.name(),
        },
        sessions: schedule
            .sessions()
            .iter()
            .map(|s| SessionOut {
                id: &s.id,
                title: &s.title,
                kind: s.kind.as_str(),
                start: time::rfc3339(&s.start),
                end: time::rfc3339(&s.end),
                room: s.room.as_deref(),
                track: s.track.as_deref(),
                speakers: schedule.speaker_names(s),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&document).expect("the normalized schedule always serializes")
}
