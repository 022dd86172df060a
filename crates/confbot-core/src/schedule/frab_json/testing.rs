//! What the tests of this module share.

use super::*;
pub(super) use crate::schedule::{Schedule, Session, SessionKind};
pub(super) use chrono_tz::{America::New_York, Europe::Berlin};

pub(super) const FRAB_V1: &str = include_str!("../../../../../tests/fixtures/frab-v1.json");
pub(super) const PRETALX_NO_ZONE: &str = include_str!("../../../../../tests/fixtures/pretalx-no-zone.json");

/// A one-day v1 document (2024-06-14, change-over at 09:00) with `events` in room
/// "Main"; `zone` is the time_zone_name member, if any. The first event is on line 6.
pub(super) fn v1(zone: &str, events: &str) -> String {
    format!(
        r#"{{"schedule": {{"version": "1", "conference": {{
  "title": "Test Camp", "acronym": "tc", {zone}
  "days": [{{"index": 1, "date": "2024-06-14",
"day_start": "2024-06-14T09:00:00+02:00", "day_end": "2024-06-15T04:00:00+02:00",
"rooms": {{"Main": [
{events}
]}}}}]}}}}}}"#
    )
}

pub(super) const ZONE: &str = r#""time_zone_name": "Europe/Berlin","#;

pub(super) fn read(text: &str) -> Loaded {
    parse(text, "test.json", None).unwrap()
}

pub(super) fn errors(text: &str, fallback: Option<Tz>) -> Vec<String> {
    parse(text, "test.json", fallback)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

pub(super) fn warnings(loaded: &Loaded) -> Vec<String> {
    loaded.warnings.iter().map(ToString::to_string).collect()
}

pub(super) fn session<'a>(schedule: &'a Schedule, id: &str) -> &'a Session {
    schedule.session(id).unwrap_or_else(|| panic!("no session {id}"))
}

pub(super) fn times(session: &Session) -> (String, String) {
    (time::rfc3339(&session.start), time::rfc3339(&session.end))
}
