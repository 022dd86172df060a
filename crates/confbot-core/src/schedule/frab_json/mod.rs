//! frab / pretalx / c3voc schedule.json (v1) and the c3voc "schedule 2.0" JSON.
//! Read leniently: an event that cannot be placed on the clock is skipped with a warning
//! that says where it is and why, and the rest of the schedule imports.

use super::import::{self, Draft, DraftSession, DraftSpeaker, MAX_NAME_CHARS};
use super::{Conference, Diagnostic, LineIndex, Loaded, ScheduleErrors};
use crate::{duration, text, time};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta};
use chrono_tz::Tz;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

mod outline;
#[cfg(test)]
mod testing;
mod values;
use outline::*;
use values::*;

mod reader;
use reader::*;

/// Reads a schedule.json (frab, pretalx, c3voc tools) or a "schedule 2.0" document.
/// `source` names the document in messages; `fallback_zone` is used only when the
/// document names no zone.
pub fn parse(text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
    import::finish(draft(text, source, fallback_zone)?, source)
}

/// The document as drafts, before [`import::finish`] checks and indexes them.
fn draft(text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Draft, ScheduleErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text).map_err(|err| malformed(source, &err))?;
    let refuse = |message: &str| ScheduleErrors(vec![Diagnostic::error(source, None, None, message)]);
    let (schedule, base) = match root.get("schedule") {
        Some(schedule) if schedule.is_object() => (schedule, vec![Step::key("schedule")]),
        _ if root.get("conference").is_some() => (&root, Vec::new()),
        _ => {
            return Err(refuse(
                "this is not a schedule.json: there is no \"schedule\" object at the top (frab, pretalx and c3voc exports have one)",
            ))
        }
    };
    let Some(conference) = schedule.get("conference").filter(|c| c.is_object()) else {
        return Err(refuse(
            "\"schedule\" has no \"conference\" object: the export is incomplete; export the schedule again",
        ));
    };
    let (zone, zone_warning) = zone(conference, source, fallback_zone)?;
    let mut skipped: Vec<Diagnostic> = zone_warning.into_iter().collect();
    let rooms = conference.get("rooms");
    let rooms = names_by_reference(
        rooms,
        "conference.rooms",
        &["guid", "slug", "name"],
        source,
        &mut skipped,
    );
    let tracks = conference.get("tracks");
    let tracks = names_by_reference(
        tracks,
        "conference.tracks",
        &["slug", "guid", "name"],
        source,
        &mut skipped,
    );
    let persons = persons_by_id(schedule.get("persons"), source, &mut skipped);
    let mut reader = Reader {
        source,
        zone,
        lines: LineIndex::new(text),
        outline: outline(text, EVENT_DEPTH),
        language: string(conference.get("defaults"), "language"),
        rooms,
        tracks,
        persons,
        described: RefCell::new(HashSet::new()),
        skipped,
    };
    let sessions = match schedule.get("events").and_then(Value::as_array) {
        Some(events) => reader.events(events, &base),
        None => reader.days(conference, &base),
    };
    let name = string(Some(conference), "title")
        .or_else(|| string(Some(conference), "acronym"))
        .unwrap_or_else(|| source.to_string());
    let url = [conference.get("url"), schedule.get("base_url")]
        .into_iter()
        .find_map(http_url);
    Ok(Draft {
        conference: Conference {
            name,
            timezone: zone,
            venue: None,
            url,
        },
        sessions,
        skipped: reader.skipped,
    })
}

/// Whether `text` looks like a document [`parse`] reads: a JSON object with a top-level
/// "schedule" member, or a bare schedule ("conference" with "events" or "version").
/// Only the outline is looked at, so a truncated or broken file still counts and gets
/// its JSON error from [`parse`].
pub fn looks_like(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if !text.starts_with('{') {
        return false;
    }
    let keys = outline(text, 0).top_keys;
    let has = |name: &str| keys.iter().any(|k| k == name);
    has("schedule") || (has("conference") && (has("events") || has("version")))
}

/// How deep events sit: schedule.conference.days[d].rooms[R][j] is seven steps.
const EVENT_DEPTH: usize = 7;

fn malformed(source: &str, err: &serde_json::Error) -> ScheduleErrors {
    let full = err.to_string();
    // serde_json ends its messages with " at line L column C"; the line goes in front.
    let what = full.rsplit_once(" at line ").map_or(full.as_str(), |(what, _)| what);
    let line = (err.line() > 0).then_some(err.line());
    ScheduleErrors(vec![Diagnostic::error(
        source,
        line,
        None,
        format!(
            "not valid JSON at line {}, column {}: {what}; fix the file or export the schedule again",
            err.line(),
            err.column()
        ),
    )])
}

/// The conference's zone, else the configured one; a warning when the file's zone is
/// unknown but a configured one can stand in.
fn zone(conference: &Value, source: &str, fallback: Option<Tz>) -> Result<(Tz, Option<Diagnostic>), ScheduleErrors> {
    let Some(name) = string(Some(conference), "time_zone_name") else {
        return match fallback {
            Some(zone) => Ok((zone, None)),
            None => Err(ScheduleErrors(vec![Diagnostic::error(
                source,
                None,
                None,
                "the schedule names no time zone (conference.time_zone_name is missing) and confbot needs one to show times: pass --timezone Europe/Berlin or set [schedule] timezone = \"Europe/Berlin\" in the config (any IANA zone name)",
            )])),
        };
    };
    if let Ok(zone) = name.parse::<Tz>() {
        return Ok((zone, None));
    }
    let hint = time::closest_zone(&name)
        .map(|zone| format!(" (did you mean \"{zone}\"?)"))
        .unwrap_or_default();
    let unknown = format!("conference.time_zone_name \"{name}\" is not a known time zone{hint}");
    match fallback {
        Some(zone) => Ok((
            zone,
            Some(Diagnostic::warning(
                source,
                None,
                None,
                format!("{unknown}: times are read in {zone}, from --timezone or [schedule] timezone"),
            )),
        )),
        None => Err(ScheduleErrors(vec![Diagnostic::error(
            source,
            None,
            None,
            format!("{unknown}: pass --timezone Europe/Berlin or set [schedule] timezone = \"Europe/Berlin\" in the config (any IANA zone name)"),
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn without_a_zone_the_configured_one_is_used_or_the_fix_is_named() {
        let doc = v1("", r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30"}"#);
        let loaded = parse(&doc, "test.json", Some(New_York)).unwrap();
        assert_eq!(times(session(&loaded.schedule, "1")).0, "2024-06-14T10:00:00-04:00");
        assert_eq!(
            errors(&doc, None),
            ["test.json: error: the schedule names no time zone (conference.time_zone_name is missing) and confbot needs one to show times: pass --timezone Europe/Berlin or set [schedule] timezone = \"Europe/Berlin\" in the config (any IANA zone name)"]
        );
    }

    #[test]
    fn an_unknown_zone_name_is_an_error_unless_one_is_configured() {
        let doc = v1(
            r#""time_zone_name": "Europe/Berln","#,
            r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30"}"#,
        );
        assert_eq!(
            errors(&doc, None),
            ["test.json: error: conference.time_zone_name \"Europe/Berln\" is not a known time zone (did you mean \"Europe/Berlin\"?): pass --timezone Europe/Berlin or set [schedule] timezone = \"Europe/Berlin\" in the config (any IANA zone name)"]
        );
        let loaded = parse(&doc, "test.json", Some(Berlin)).unwrap();
        assert_eq!(
            warnings(&loaded),
            ["test.json: warning: conference.time_zone_name \"Europe/Berln\" is not a known time zone (did you mean \"Europe/Berlin\"?): times are read in Europe/Berlin, from --timezone or [schedule] timezone"]
        );
    }

    #[test]
    fn malformed_json_names_the_line_and_column() {
        let doc = "{\"schedule\": {\n  \"conference\": {\n    \"title\": \"X\",,\n  }\n}}";
        assert_eq!(
            errors(doc, Some(Berlin)),
            ["test.json:3: error: not valid JSON at line 3, column 18: key must be a string; fix the file or export the schedule again"]
        );
        assert_eq!(
            errors("", None),
            ["test.json:1: error: not valid JSON at line 1, column 0: EOF while parsing a value; fix the file or export the schedule again"]
        );
    }

    #[test]
    fn documents_that_are_not_schedules_are_refused() {
        assert_eq!(
            errors("[1, 2]", Some(Berlin)),
            ["test.json: error: this is not a schedule.json: there is no \"schedule\" object at the top (frab, pretalx and c3voc exports have one)"]
        );
        assert_eq!(
            errors(r#"{"schedule": {"version": "1"}}"#, Some(Berlin)),
            ["test.json: error: \"schedule\" has no \"conference\" object: the export is incomplete; export the schedule again"]
        );
        let empty = errors(
            r#"{"schedule": {"conference": {"title": "X", "days": []}}}"#,
            Some(Berlin),
        );
        assert_eq!(empty, ["test.json: error: no sessions could be read from this file"]);
    }

    #[test]
    fn a_speaker_with_many_links_costs_linear_work() {
        // Each link was compared with every link kept before it.
        let links: Vec<String> = (0..60_000)
            .map(|i| format!(r#"{{"url": "https://e.org/{i}"}}"#))
            .collect();
        let doc = format!(
            r#"{{"schedule": {{"conference": {{"title": "X", "time_zone_name": "UTC"}},
"events": [{{"guid": "a", "title": "A", "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00Z",
  "participants": [{{"guid": "p", "name": "Linky", "url": "https://e.org/0", "links": [{}]}}]}}]}}}}"#,
            links.join(", ")
        );
        let started = std::time::Instant::now();
        let loaded = read(&doc);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(500), "{took:?}");
        let linky = loaded.schedule.speaker("p").unwrap();
        assert_eq!(linky.links.len(), 60_000);
        assert_eq!(linky.links[..2], ["https://e.org/0", "https://e.org/1"]);
    }

    #[test]
    fn long_entries_of_the_conference_lists_are_not_copied_into_every_event() {
        // Each of 2,000 events referring to a room and a person of the conference's lists
        // got its own copy of their names.
        let events: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"guid": "e{i}", "title": "A", "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00Z", "room": {{"guid": "r"}}, "participants": [{{"guid": "p"}}, {{"guid": "q"}}]}}"#))
            .collect();
        let doc = format!(
            r#"{{"schedule": {{"conference": {{"title": "X", "time_zone_name": "UTC", "rooms": [{{"guid": "r", "name": "{}"}}]}},
"events": [{}],
"persons": [{{"guid": "p", "name": "{}"}}, {{"guid": "q", "name": "Quinn"}}]}}}}"#,
            "r".repeat(100_000),
            events.join(",\n"),
            "n".repeat(100_000),
        );
        let started = std::time::Instant::now();
        let loaded = read(&doc);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        assert_eq!(
            warnings(&loaded),
            [
                "test.json: warning: conference.rooms[0] is ignored: its name is 100000 characters long and a name has at most 200",
                "test.json: warning: persons[0] is ignored: its name is 100000 characters long and a name has at most 200",
            ]
        );
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 2_000);
        let last = session(s, "e1999");
        assert_eq!(last.room, None);
        assert_eq!(s.speaker_names(last), ["Quinn"]);
    }

    #[test]
    fn a_listed_biography_is_read_once_however_many_events_refer_to_it() {
        // Each reference converted and copied the whole biography again. The first event
        // ends when it starts and is skipped: the biography must come with the second.
        let events: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"guid": "e{i}", "title": "A", "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T1{}:00:00Z", "participants": [{{"guid": "q"}}]}}"#, if i == 0 { 0 } else { 1 }))
            .collect();
        let doc = format!(
            r#"{{"schedule": {{"conference": {{"title": "X", "time_zone_name": "UTC"}},
"events": [{}],
"persons": [{{"guid": "q", "name": "Quinn", "biography": "{}", "links": [{{"url": "https://e.org/q"}}]}}]}}}}"#,
            events.join(",\n"),
            "<p>b</p> ".repeat(20_000)
        );
        let started = std::time::Instant::now();
        let loaded = read(&doc);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 1_999);
        assert_eq!(s.speaker_names(session(s, "e1999")), ["Quinn"]);
        let quinn = s.speaker("q").unwrap();
        assert_eq!(quinn.bio.as_ref().map(String::len), Some(20_000 * 3 - 2));
        assert_eq!(quinn.links, ["https://e.org/q"]);
    }

    #[test]
    fn content_sniffing_finds_schedule_json() {
        assert!(looks_like(FRAB_V1));
        assert!(looks_like(PRETALX_NO_ZONE));
        assert!(looks_like("\u{feff}  {\"schedule\": {"));
        assert!(looks_like(
            r#"{"version": "1", "conference": {"title": "X"}, "events": []}"#
        ));
        assert!(!looks_like(r#"{"conference": {"schedule": 1}}"#));
        assert!(!looks_like(r#"{"data": {"schedule": {}}}"#));
        assert!(!looks_like("[conference]\nname = \"X\"\n"));
        assert!(!looks_like("<?xml version=\"1.0\"?><schedule/>"));
        assert!(!looks_like("BEGIN:VCALENDAR"));
        assert!(!looks_like(r#"{"title": "a \"schedule\": {"}"#));
    }

    #[test]
    fn the_frab_fixture_imports_both_days_and_rooms() {
        let loaded = parse(FRAB_V1, "frab-v1.json", None).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let s = &loaded.schedule;
        assert_eq!(s.conference().name, "Lakeside Hacker Days 2024");
        assert_eq!(s.timezone(), chrono_tz::Europe::Vienna);
        assert_eq!(
            s.conference().url.as_deref(),
            Some("https://lakeside.example.org/2024/schedule/")
        );
        assert_eq!(s.sessions().len(), 8);
        assert_eq!(s.rooms(), ["Hall A", "Workshop Room"]);
        assert_eq!(s.days().len(), 2);

        let chiptune = session(s, "6b1d7f0e-0003-4c1a-9a51-1a2b3c4d5e03");
        assert_eq!(
            times(chiptune),
            (
                "2024-06-15T00:30:00+02:00".to_string(),
                "2024-06-15T01:30:00+02:00".to_string()
            )
        );
        assert_eq!(chiptune.kind, SessionKind::Social);

        let keynote = session(s, "6b1d7f0e-0201-4c1a-9a51-1a2b3c4d5e21");
        assert_eq!(times(keynote).0, "2024-06-15T11:00:00+02:00");
        assert_eq!(keynote.kind, SessionKind::Keynote);
        assert_eq!(
            s.speaker("15").unwrap().bio.as_deref(),
            Some("Physicist. Measures lakes & lasers.")
        );

        let opening = session(s, "6b1d7f0e-0001-4c1a-9a51-1a2b3c4d5e01");
        assert_eq!(
            opening.abstract_text.as_deref(),
            Some("Doors open at 09:30.\n\nCoffee & tea outside the hall.")
        );
        let mesh = session(s, "6b1d7f0e-0002-4c1a-9a51-1a2b3c4d5e02");
        assert_eq!(mesh.subtitle.as_deref(), Some("LoRa for the rest of us"));
        assert_eq!(s.speaker_names(mesh), ["Tomas Lindqvist", "Mira Okafor"]);
        assert_eq!(s.sessions_of("11").len(), 3);
        let lockpicking = session(s, "6b1d7f0e-0203-4c1a-9a51-1a2b3c4d5e23");
        assert_eq!(times(lockpicking).1, "2024-06-15T13:00:00+02:00");
        let coffee = session(s, "6b1d7f0e-0005-4c1a-9a51-1a2b3c4d5e05");
        assert_eq!(coffee.kind, SessionKind::Break);
        assert_eq!(coffee.track, None);
    }

    #[test]
    fn the_pretalx_fixture_needs_a_zone_and_skips_its_broken_event() {
        let errs = errors(PRETALX_NO_ZONE, None);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("pass --timezone"), "{}", errs[0]);

        let loaded = parse(PRETALX_NO_ZONE, "pretalx-no-zone.json", Some(Berlin)).unwrap();
        assert_eq!(
            warnings(&loaded),
            ["pretalx-no-zone.json:104: warning: session '0f5e3a52-7c1e-5b0a-9f3c-000000009001': days[0].rooms[\"Self-organized\"][0] \"Broken Session\" is skipped: duration: 'soon' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\""]
        );
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 7);
        assert_eq!(s.timezone(), Berlin);
        let id = |n: u32| format!("0f5e3a52-7c1e-5b0a-9f3c-{n:012}");

        let gardening = session(s, &id(2));
        assert_eq!(
            times(gardening),
            (
                "2024-09-20T18:30:00+02:00".to_string(),
                "2024-09-20T19:00:00+02:00".to_string()
            )
        );
        assert_eq!(
            gardening.url.as_deref(),
            Some("https://pretalx.example.org/row-2024/talk/PL4M8T/")
        );
        assert_eq!(
            times(session(s, &id(3))),
            (
                "2024-09-21T01:00:00+02:00".to_string(),
                "2024-09-21T02:00:00+02:00".to_string()
            )
        );
        let radio = session(s, &id(4));
        assert_eq!(times(radio).0, "2024-09-21T18:00:00+02:00");
        assert_eq!(radio.subtitle.as_deref(), Some("A dish on the balcony"));
        let repair = session(s, &id(9003));
        assert_eq!(repair.title, "Repair Café");
        assert_eq!(times(repair).1, "2024-09-21T16:00:00+02:00");
        assert_eq!(repair.speakers, ["wollmaus", "kai"]);
        assert_eq!(
            session(s, &id(9002)).url.as_deref(),
            Some("https://wiki.example.org/sessions")
        );
        assert_eq!(s.sessions_of("wollmaus").len(), 3);
        assert_eq!(s.speakers().len(), 6);
        assert_eq!(
            s.speaker("31").unwrap().bio.as_deref(),
            Some("Organizer of the weekend.")
        );
    }
}
