//! iCalendar (RFC 5545) schedules, as pretalx and calendar tools export them.
//! Content lines are unfolded and split by hand, every VEVENT becomes a session in the
//! calendar's zone, and an event that cannot be used is skipped with a warning.

use super::import::{self, Draft, DraftSession, DraftSpeaker};
use super::{Conference, Diagnostic, Loaded, ScheduleErrors};
use crate::time;
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use std::collections::HashSet;
use std::path::Path;

mod lines;
#[cfg(test)]
mod testing;
mod when;
use lines::*;
use when::*;

mod event;

const BOM: char = '\u{feff}';

/// The deepest nesting of components read. A schedule needs three (VCALENDAR, VEVENT,
/// VALARM); past this an END line is missing, and finding what each END closes would
/// take work that grows with the depth.
const MAX_DEPTH: usize = 16;

/// True when `text` is iCalendar: its first non-empty line is `BEGIN:VCALENDAR`.
pub fn looks_like(text: &str) -> bool {
    first_line(text).is_some_and(|(_, line)| line.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
}

/// Reads an iCalendar schedule. `source` names the file in messages and gives the
/// conference its name when the calendar has no X-WR-CALNAME; `fallback_zone` is used
/// only when the calendar names no zone.
pub fn parse(text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
    let error = |line: Option<usize>, message: String| {
        Err(ScheduleErrors(vec![Diagnostic::error(source, line, None, message)]))
    };
    let Some((first, line)) = first_line(text) else {
        return error(
            None,
            "the file is empty: expected an iCalendar file starting with BEGIN:VCALENDAR".into(),
        );
    };
    if !line.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        let shown: String = line.chars().take(40).collect();
        return error(
            Some(first),
            format!("this is not an iCalendar file: expected BEGIN:VCALENDAR, found \"{shown}\""),
        );
    }
    let mut calendar = Calendar::read(text, source)?;
    if calendar.events.is_empty() {
        return error(
            None,
            "the calendar has no VEVENT: an iCalendar schedule lists each session as BEGIN:VEVENT … END:VEVENT".into(),
        );
    }
    let mut warnings = std::mem::take(&mut calendar.warnings);
    let zone = match calendar.zone(fallback_zone) {
        Ok(zone) => zone,
        Err(message) => {
            warnings.push(Diagnostic::error(source, None, None, message));
            return Err(ScheduleErrors(warnings));
        }
    };
    let pretalx = calendar
        .prodid
        .as_deref()
        .is_some_and(|p| p.to_ascii_lowercase().contains("pretalx"));
    let mut sessions = Vec::new();
    for event in &calendar.events {
        match event.session(zone, pretalx) {
            Ok(session) => sessions.push(session),
            Err(reason) => {
                let title = event
                    .text("SUMMARY")
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(" \"{s}\""))
                    .unwrap_or_default();
                warnings.push(Diagnostic::warning(
                    source,
                    Some(event.line),
                    event.id().as_deref(),
                    format!("VEVENT{title} skipped: {reason}"),
                ));
            }
        }
    }
    let name = calendar
        .name
        .clone()
        .or_else(|| {
            Path::new(source)
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .filter(|stem| !stem.trim().is_empty())
        })
        .unwrap_or_else(|| "Conference".to_string());
    let draft = Draft {
        conference: Conference {
            name,
            timezone: zone,
            venue: None,
            url: None,
        },
        sessions,
        skipped: warnings,
    };
    import::finish(draft, source)
}

/// What the reader keeps of a calendar: its own properties and its events.
#[derive(Debug, Default)]
struct Calendar {
    prodid: Option<String>,
    name: Option<String>,
    /// TZIDs of VTIMEZONE components, in file order.
    vtimezones: Vec<String>,
    wr_timezone: Option<String>,
    /// `VTIMEZONE: Europe/Rome` written as a property, as MOCA's export does.
    zone_property: Option<String>,
    events: Vec<Event>,
    /// Lines the reader could not use, and events it had to close itself.
    warnings: Vec<Diagnostic>,
}

/// One VEVENT: its own properties (not those of a VALARM inside it).
#[derive(Debug)]
struct Event {
    /// Where BEGIN:VEVENT is.
    line: usize,
    properties: Vec<Property>,
    /// False when no END:VEVENT closed it: the file ended, or the calendar did.
    complete: bool,
}

impl Calendar {
    /// The calendar, or an error when components nest past [`MAX_DEPTH`] (with the
    /// warnings found until then).
    fn read(text: &str, source: &str) -> Result<Calendar, ScheduleErrors> {
        let mut calendar = Calendar::default();
        let mut stack: Vec<String> = Vec::new();
        let mut event: Option<Event> = None;
        for (line, content) in unfold(text) {
            let Some(property) = property(line, &content) else {
                let shown: String = content.chars().take(40).collect();
                calendar.warnings.push(Diagnostic::warning(
                    source,
                    Some(line),
                    None,
                    format!("\"{shown}\" is not an iCalendar content line (NAME:value); ignored"),
                ));
                continue;
            };
            let component = property.value.trim().to_ascii_uppercase();
            match property.name.as_str() {
                "BEGIN" => {
                    if component == "VEVENT" {
                        if let Some(open) = event.take() {
                            calendar.warnings.push(Diagnostic::warning(
                                source,
                                Some(open.line),
                                None,
                                format!("this VEVENT has no END:VEVENT before the next BEGIN:VEVENT on line {line}; it is read as if it ended there"),
                            ));
                            calendar.events.push(Event { complete: true, ..open });
                            if let Some(depth) = stack.iter().rposition(|c| c == "VEVENT") {
                                stack.truncate(depth);
                            }
                        }
                        event = Some(Event {
                            line,
                            properties: Vec::new(),
                            complete: false,
                        });
                    }
                    if stack.len() == MAX_DEPTH {
                        let shown: String = component.chars().take(40).collect();
                        let mut errors = calendar.warnings;
                        errors.push(Diagnostic::error(
                            source,
                            Some(line),
                            None,
                            format!(
                                "BEGIN:{shown} opens a component {} levels deep and confbot reads at most {MAX_DEPTH} (a schedule needs three: VCALENDAR, VEVENT, VALARM): an END line is missing above this one",
                                MAX_DEPTH + 1
                            ),
                        ));
                        return Err(ScheduleErrors(errors));
                    }
                    stack.push(component);
                }
                "END" => {
                    let Some(depth) = stack.iter().rposition(|c| *c == component) else {
                        calendar.warnings.push(Diagnostic::warning(
                            source,
                            Some(line),
                            None,
                            format!("END:{component} closes nothing that was opened; ignored"),
                        ));
                        continue;
                    };
                    stack.truncate(depth);
                    if !stack.iter().any(|c| c == "VEVENT") {
                        if let Some(mut done) = event.take() {
                            done.complete = component == "VEVENT";
                            calendar.events.push(done);
                        }
                    }
                }
                _ => match stack.last().map(String::as_str) {
                    Some("VEVENT") => {
                        if let Some(open) = event.as_mut() {
                            open.properties.push(property);
                        }
                    }
                    Some("VTIMEZONE") if property.name == "TZID" => {
                        calendar.vtimezones.push(property.text());
                    }
                    Some("VCALENDAR") | None => calendar.calendar_property(property),
                    Some(_) => {}
                },
            }
        }
        if let Some(open) = event {
            calendar.events.push(open);
        }
        Ok(calendar)
    }

    fn calendar_property(&mut self, property: Property) {
        let value = Some(property.text()).filter(|v| !v.is_empty());
        let slot = match property.name.as_str() {
            "PRODID" => &mut self.prodid,
            "X-WR-CALNAME" => &mut self.name,
            "X-WR-TIMEZONE" => &mut self.wr_timezone,
            "VTIMEZONE" | "TZID" => &mut self.zone_property,
            _ => return,
        };
        if slot.is_none() {
            *slot = value;
        }
    }

    /// The zone every time is shown in: the calendar's own, else `fallback`, else (when
    /// no time is floating) the one the events name.
    fn zone(&self, fallback: Option<Tz>) -> Result<Tz, String> {
        let named: Vec<&String> = self
            .vtimezones
            .iter()
            .chain(&self.wr_timezone)
            .chain(&self.zone_property)
            .collect();
        if let Some(zone) = named.iter().find_map(|name| lookup_zone(name)) {
            return Ok(zone);
        }
        if let Some(zone) = fallback {
            return Ok(zone);
        }
        let floating = self
            .events
            .iter()
            .flat_map(|e| &e.properties)
            .any(|p| is_time(p) && p.param("TZID").is_none() && !is_utc(&p.value));
        if !floating {
            let event_zone = self
                .events
                .iter()
                .flat_map(|e| &e.properties)
                .filter(|p| is_time(p))
                .filter_map(|p| p.first_param("TZID"))
                .find_map(lookup_zone);
            if let Some(zone) = event_zone {
                return Ok(zone);
            }
        }
        let found = match named.first() {
            Some(name) => format!("names the zone \"{name}\", which is not an IANA time zone name"),
            None if floating => {
                "names no time zone (no VTIMEZONE, no X-WR-TIMEZONE) and has floating local times".to_string()
            }
            None => "names no time zone (no VTIMEZONE, no X-WR-TIMEZONE)".to_string(),
        };
        Err(format!(
            "the calendar {found}; the bot needs a zone to show times in: pass --timezone Europe/Berlin (any IANA zone name) or set [schedule] timezone in the config"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn the_vtimezone_component_names_the_zone() {
        let text = calendar(
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Lisbon\r\nBEGIN:STANDARD\r\nTZID:ignored\r\nDTSTART:19701025T020000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240201T093000\r\nDTEND:20240201T100000\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, Some(Berlin));
        assert_eq!(loaded.schedule.timezone(), chrono_tz::Europe::Lisbon);
        assert_eq!(rfc3339(&only(&loaded).start), "2024-02-01T09:30:00+00:00");
    }

    #[test]
    fn a_calendar_without_a_zone_is_an_error() {
        let floating = calendar(
            "",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240201T093000\r\nDTEND:20240201T100000\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let utc = floating.replace("093000", "093000Z").replace("100000", "100000Z");
        for text in [floating, utc] {
            let errors = errors(&text, None);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].is_error());
            assert!(
                errors[0].message.starts_with("the calendar names no time zone"),
                "{}",
                errors[0].message
            );
            assert!(errors[0].message.contains("pass --timezone"));
            assert!(errors[0].message.contains("set [schedule] timezone in the config"));
        }
        let unknown = calendar(
            "X-WR-TIMEZONE:Central Europe Standard Time\r\n",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240201T093000Z\r\nDTEND:20240201T100000Z\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let errors = errors(&unknown, None);
        assert!(errors[0]
            .message
            .contains("\"Central Europe Standard Time\", which is not an IANA time zone name"));
    }

    #[test]
    fn without_a_calendar_zone_the_events_tzid_is_used() {
        let text = calendar(
            "",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Europe/Paris:20240201T093000\r\nDTEND;TZID=Europe/Paris:20240201T100000\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(loaded.schedule.timezone(), chrono_tz::Europe::Paris);
    }

    #[test]
    fn a_bad_event_is_skipped_with_a_warning_naming_its_line() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Good\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:backwards\r\nDTSTART:20240913T120000\r\nDTEND:20240913T110000\r\nSUMMARY:Backwards\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:Unplaced\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:baddate\r\nDTSTART:20241332T100000\r\nSUMMARY:Bad date\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:untitled\r\nDTSTART:20240913T100000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:gap\r\nDTSTART:20240331T023000\r\nDTEND:20240331T040000\r\nSUMMARY:In the gap\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(only(&loaded).id, "good");
        let shown: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            shown,
            [
                "test.ics:11: warning: session 'backwards': VEVENT \"Backwards\" skipped: it ends (2024-09-13T11:00:00+02:00) before it starts (2024-09-13T12:00:00+02:00)",
                "test.ics:17: warning: session 'nostart': VEVENT \"Unplaced\" skipped: it has no DTSTART, so it is not placed in time",
                "test.ics:21: warning: session 'baddate': VEVENT \"Bad date\" skipped: DTSTART \"20241332T100000\" is not an iCalendar date-time (such as 20240913T100000, 20240913T100000Z or 20240913)",
                "test.ics:26: warning: session 'untitled': VEVENT skipped: it has no SUMMARY, so the session would have no title",
                "test.ics:30: warning: session 'gap': VEVENT \"In the gap\" skipped: 2024-03-31T02:30 does not exist in Europe/Berlin: the clocks jump forward over it; pick a time before or after the gap",
            ]
        );
        assert!(loaded.warnings.iter().all(|w| w.severity == Severity::Warning));
    }

    #[test]
    fn a_file_that_is_not_icalendar_is_an_error() {
        let errors = errors("\n[conference]\nname = \"Demo\"\n", None);
        assert_eq!(
            errors[0].to_string(),
            "test.ics:2: error: this is not an iCalendar file: expected BEGIN:VCALENDAR, found \"[conference]\""
        );
        let errors = errors_of("");
        assert!(errors[0].message.starts_with("the file is empty"));
        let errors = errors_of("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
        assert!(errors[0].message.starts_with("the calendar has no VEVENT"));
    }

    #[test]
    fn a_calendar_of_only_bad_events_is_an_error() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:Unplaced\r\nEND:VEVENT\r\n",
        );
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, Some(5));
        assert_eq!(errors[1].message, "no sessions could be read from this file");
    }

    #[test]
    fn a_truncated_event_is_skipped_and_an_unclosed_one_kept() {
        let text = "BEGIN:VCALENDAR\nX-WR-TIMEZONE:Europe/Berlin\n\
                    BEGIN:VEVENT\nUID:open\nDTSTART:20240913T100000\nDTEND:20240913T110000\nSUMMARY:Open\n\
                    BEGIN:VEVENT\nUID:cut\nDTSTART:20240913T120000\nDTEND:20240913T1300";
        let loaded = load(text, None);
        assert_eq!(only(&loaded).id, "open");
        let messages: Vec<&str> = loaded.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "this VEVENT has no END:VEVENT before the next BEGIN:VEVENT on line 8; it is read as if it ended there",
                "VEVENT skipped: it has no END:VEVENT; the file may be truncated",
            ]
        );
    }

    #[test]
    fn components_nested_past_the_limit_are_refused_quickly() {
        // 5 MB: 290,000 components opened and as many closed with a name that closes
        // nothing. Each END searched every open component: minutes of work.
        let begins = "BEGIN:X\r\n".repeat(290_000);
        let ends = "END:Y\r\n".repeat(290_000);
        let text = calendar(BERLIN_HEAD, &format!("{begins}{ends}"));
        assert!(text.len() > 4_500_000);
        let started = std::time::Instant::now();
        let refused = errors_of(&text);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        let shown: Vec<String> = refused.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["test.ics:20: error: BEGIN:X opens a component 17 levels deep and confbot reads at most 16 (a schedule needs three: VCALENDAR, VEVENT, VALARM): an END line is missing above this one"]
        );
        // Real nesting still reads.
        let alarm = "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Kept\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n";
        assert_eq!(only(&load(&calendar(BERLIN_HEAD, alarm), None)).title, "Kept");
    }

    #[test]
    fn many_attendees_of_one_event_cost_linear_work() {
        // Each attendee's name was compared with every name before it.
        let attendees: String = (0..50_000)
            .map(|i| format!("ATTENDEE;CN=Person {i}:mailto:p{i}@example.org\r\n"))
            .collect();
        let text = calendar(
            BERLIN_HEAD,
            &format!("BEGIN:VEVENT\r\nUID:crowd\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Crowd\r\n{attendees}ATTENDEE;CN=Person 0:mailto:again@example.org\r\nEND:VEVENT\r\n"),
        );
        let started = std::time::Instant::now();
        let loaded = load(&text, None);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(1000), "{took:?}");
        let crowd = only(&loaded);
        let names = speaker_names(&loaded, crowd);
        assert_eq!(names.len(), 50_000);
        assert_eq!(names[..2], ["Person 0", "Person 1"]);
        assert_eq!(names.last().map(String::as_str), Some("Person 49999"));
    }

    #[test]
    fn truncated_or_garbled_input_never_panics() {
        let samples = [
            PRETALX,
            QUIRKS,
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=\"Europe/Berl\nDTSTART:2024ä09T1000Z\nDURATION:PTäH\nSUMMARY:ü - \\\nEND:VEVENT",
            "BEGIN:VCALENDAR\n \n\t\nEND:VEVENT\nEND:VEVENT\nBEGIN:\n:\n;\n;=\nX;A=\"\"\"\nBEGIN:VEVENT\nDTSTART:99999999T999999\nDURATION:-P9999999999W\nEND:VCALENDAR",
        ];
        for sample in samples {
            let boundaries = sample.char_indices().map(|(i, _)| i).chain([sample.len()]);
            for end in boundaries {
                let _ = parse(&sample[..end], "fuzz.ics", None);
                let _ = parse(&sample[..end], "fuzz.ics", Some(Berlin));
            }
        }
    }

    #[test]
    fn the_pretalx_fixture_reads_like_pretalx() {
        let loaded = parse(PRETALX, "fixtures/ical-pretalx.ics", None).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let schedule = &loaded.schedule;
        assert_eq!(schedule.conference().name, "ical-pretalx");
        assert_eq!(schedule.timezone(), Berlin);
        assert_eq!(schedule.sessions().len(), 4);
        let opening = schedule.session("QX7RTA").unwrap();
        assert_eq!(opening.title, "Opening, with a comma");
        assert_eq!(rfc3339(&opening.start), "2025-03-29T10:00:00+01:00");
        assert_eq!(speaker_names(&loaded, opening), ["Ada Example", "Bo Sample"]);
        assert_eq!(opening.room.as_deref(), Some("Hall Ørsted"));
        assert_eq!(
            opening.abstract_text.as_deref(),
            Some("We open the doors; we tell you what the next two days hold, from the first talk to the last party.\n\nSee https://pretalx.example.org/democon-2025/")
        );
        assert_eq!(
            opening.url.as_deref(),
            Some("https://pretalx.example.org/democon-2025/talk/QX7RTA/")
        );
        let boards = schedule.session("BRD9KQ").unwrap();
        assert_eq!(
            boards.title,
            "Breadboards - from idea to board, and everything that goes wrong in between"
        );
        assert_eq!(speaker_names(&loaded, boards), ["Dot Solder", "Rey Flux"]);
        assert_eq!(
            boards.abstract_text.as_deref(),
            Some("Från idé till kretskort: we take a breadboard prototype all the way to a manufactured board, with ünïcödé in the middle of a fold.")
        );
        let night = schedule.session("NGHT42").unwrap();
        assert_eq!(night.title, "Night owls - a session across the clock change");
        assert_eq!(rfc3339(&night.start), "2025-03-30T01:30:00+01:00");
        assert_eq!(rfc3339(&night.end), "2025-03-30T03:30:00+02:00");
        assert_eq!(speaker_names(&loaded, night), ["Cy Owl"]);
    }

    #[test]
    fn the_quirks_fixture_reads_despite_its_flaws() {
        let loaded = parse(QUIRKS, "ical-quirks.ics", None).unwrap();
        let schedule = &loaded.schedule;
        assert_eq!(schedule.conference().name, "Quirky Camp 2025");
        assert_eq!(schedule.timezone(), chrono_tz::America::Chicago);
        let ids: Vec<&str> = schedule.sessions().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["777", "777-2", "lunch", "777-3"]);
        let first = schedule.session("777").unwrap();
        assert_eq!(first.title, "Soldering for beginners");
        assert_eq!(rfc3339(&first.start), "2025-06-06T09:00:00-05:00");
        assert_eq!(first.room.as_deref(), Some("Barn"));
        assert_eq!(speaker_names(&loaded, first), ["Dot Solder", "Rey Flux"]);
        assert!(first.abstract_text.as_deref().unwrap().len() > 1000);
        assert!(first
            .abstract_text
            .as_deref()
            .unwrap()
            .ends_with("bring safety glasses."));
        let skipped: Vec<String> = loaded
            .warnings
            .iter()
            .filter(|w| w.message.contains("skipped"))
            .map(|w| w.to_string())
            .collect();
        assert_eq!(
            skipped,
            ["ical-quirks.ics:30: warning: session '778': VEVENT \"Time travel\" skipped: it ends (2025-06-06T10:00:00-05:00) before it starts (2025-06-06T11:00:00-05:00)"]
        );
        // The shared UID is reported by import::finish.
        assert!(loaded
            .warnings
            .iter()
            .any(|w| w.session.as_deref() == Some("777") && w.message.contains("777-3")));
    }
}
