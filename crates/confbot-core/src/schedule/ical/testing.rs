//! What the tests of this module share.

use super::*;
pub(super) use crate::schedule::{Session, SessionKind, Severity};
pub(super) use crate::time::rfc3339;
pub(super) use chrono_tz::Europe::Berlin;

pub(super) const PRETALX: &str = include_str!("../../../../../tests/fixtures/ical-pretalx.ics");
pub(super) const QUIRKS: &str = include_str!("../../../../../tests/fixtures/ical-quirks.ics");

/// A calendar around `events`, with the given calendar-level lines.
pub(super) fn calendar(head: &str, events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n{head}{events}END:VCALENDAR\r\n")
}

pub(super) fn load(text: &str, fallback: Option<Tz>) -> Loaded {
    match parse(text, "test.ics", fallback) {
        Ok(loaded) => loaded,
        Err(errors) => panic!("{errors}"),
    }
}

pub(super) fn only(loaded: &Loaded) -> &Session {
    assert_eq!(loaded.schedule.sessions().len(), 1, "{:?}", loaded.schedule.sessions());
    &loaded.schedule.sessions()[0]
}

pub(super) fn speaker_names(loaded: &Loaded, session: &Session) -> Vec<String> {
    loaded
        .schedule
        .speaker_names(session)
        .into_iter()
        .map(str::to_string)
        .collect()
}

pub(super) fn errors(text: &str, fallback: Option<Tz>) -> Vec<Diagnostic> {
    match parse(text, "test.ics", fallback) {
        Ok(loaded) => panic!("expected an error, read {} sessions", loaded.schedule.sessions().len()),
        Err(ScheduleErrors(diagnostics)) => diagnostics,
    }
}

pub(super) fn errors_of(text: &str) -> Vec<Diagnostic> {
    errors(text, Some(Berlin))
}

pub(super) const BERLIN_HEAD: &str = "X-WR-TIMEZONE:Europe/Berlin\r\n";
