//! Schedule XML as Pentabarf, frab and pretalx export it (`schedule.xml`), and the
//! Pentabarf-flavoured xCal (`schedule.xcal`) pretalx also offers.

use super::import::{self, Draft, DraftSession, DraftSpeaker, MAX_NAME_CHARS};
use super::{Conference, Diagnostic, LineIndex, Loaded, ScheduleErrors};
use crate::{duration, text, time};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use chrono_tz::Tz;
use roxmltree::{Document, Node};

/// Whether `text` is schedule XML or xCal, judged by its root element.
pub fn looks_like(text: &str) -> bool {
    let head: String = text.trim_start_matches('\u{feff}').chars().take(4096).collect();
    let head = head.trim_start();
    head.starts_with('<') && (head.contains("<schedule") || head.contains("<iCalendar") || head.contains("<vcalendar"))
}

/// Reads schedule XML or xCal. `fallback_zone` is used when the file names no zone.
pub fn parse(text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
    let text = text.trim_start_matches('\u{feff}');
    // No DTD: its entities are expanded as the file is read, and a few that reference each
    // other ("billion laughs") make a file of some KB cost gigabytes. No export needs one.
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(|err| {
        let diagnostic = match err {
            roxmltree::Error::DtdDetected => Diagnostic::error(
                source,
                Some(LineIndex::new(text).line_of(doctype_offset(text))),
                None,
                "the file has a document type declaration (<!DOCTYPE …>): DTDs are not accepted, \
                 since their entities can make a small file cost gigabytes to read; remove the \
                 <!DOCTYPE …> declaration (schedule exports do not need it)",
            ),
            err => Diagnostic::error(
                source,
                Some(err.pos().row as usize),
                None,
                format!("not well-formed XML: {err}"),
            ),
        };
        ScheduleErrors(vec![diagnostic])
    })?;
    let root = document.root_element();
    let reader = Reader {
        source,
        lines: LineIndex::new(text),
    };
    let draft = match root.tag_name().name() {
        "schedule" => reader.pentabarf(root, fallback_zone)?,
        "iCalendar" | "vcalendar" => reader.xcal(root, fallback_zone)?,
        other => {
            return Err(reader.fail(
                root,
                format!("the root element is <{other}>: expected <schedule> (Pentabarf, frab or pretalx XML) or <iCalendar> (xCal)"),
            ))
        }
    };
    import::finish(draft, source)
}

/// Where the `<!DOCTYPE` of the prolog starts: after the XML declaration, comments and
/// processing instructions, as the parser finds it (roxmltree reports no position for it).
fn doctype_offset(text: &str) -> usize {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        let skip = if trimmed.starts_with("<!DOCTYPE") {
            return at;
        } else if trimmed.starts_with("<!--") {
            trimmed.find("-->").map(|end| end + 3)
        } else if trimmed.starts_with("<?") {
            trimmed.find("?>").map(|end| end + 2)
        } else {
            None
        };
        match skip {
            Some(skip) => at += skip,
            None => return text.find("<!DOCTYPE").unwrap_or(0),
        }
    }
}

struct Reader<'a> {
    source: &'a str,
    lines: LineIndex,
}

/// The text of the first direct child named `name`, trimmed; `None` when absent or empty.
fn child_text(node: Node, name: &str) -> Option<String> {
    let child = node
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == name)?;
    let text: String = child
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn children<'a, 'input>(node: Node<'a, 'input>, name: &'a str) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

impl Reader<'_> {
    fn line(&self, node: Node) -> usize {
        self.lines.line_of(node.range().start)
    }

    fn fail(&self, node: Node, message: String) -> ScheduleErrors {
        ScheduleErrors(vec![Diagnostic::error(
            self.source,
            Some(self.line(node)),
            None,
            message,
        )])
    }

    fn skip(&self, skipped: &mut Vec<Diagnostic>, node: Node, event: &str, reason: String) {
        skipped.push(Diagnostic::warning(
            self.source,
            Some(self.line(node)),
            Some(event),
            format!("skipped: {reason}"),
        ));
    }

    fn zone(&self, named: Option<String>, fallback: Option<Tz>, at: Node) -> Result<Tz, ScheduleErrors> {
        match named {
            Some(name) => name.parse::<Tz>().map_err(|_| {
                self.fail(at, format!("time_zone_name \"{name}\" is not a known time zone: pass --timezone or set [schedule] timezone"))
            }),
            None => fallback.ok_or_else(|| {
                self.fail(at, "the file names no time zone: pass --timezone (e.g. --timezone Europe/Brussels) or set [schedule] timezone in the config".to_string())
            }),
        }
    }

    fn pentabarf(&self, root: Node, fallback: Option<Tz>) -> Result<Draft, ScheduleErrors> {
        let conference_node = children(root, "conference").next().ok_or_else(|| {
            self.fail(
                root,
                "<schedule> has no <conference>: expected <conference><title>…".to_string(),
            )
        })?;
        let zone = self.zone(child_text(conference_node, "time_zone_name"), fallback, conference_node)?;
        let day_change = child_text(conference_node, "day_change").and_then(|t| parse_clock(&t));
        let venue = [
            child_text(conference_node, "venue"),
            child_text(conference_node, "city"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let conference = Conference {
            name: child_text(conference_node, "title")
                .or_else(|| child_text(conference_node, "acronym"))
                .unwrap_or_else(|| self.source.to_string()),
            timezone: zone,
            venue: (!venue.is_empty()).then_some(venue),
            url: child_text(conference_node, "base_url").or_else(|| child_text(conference_node, "url")),
        };
        let mut sessions = Vec::new();
        let mut skipped = Vec::new();
        for day in children(root, "day") {
            let date = day.attribute("date").and_then(time::parse_date);
            let change = day
                .attribute("start")
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|s| s.with_timezone(&zone).time())
                .or(day_change);
            for room in children(day, "room") {
                let room_name = room.attribute("name");
                if let Some(name) = room_name.filter(|name| name.chars().nth(MAX_NAME_CHARS).is_some()) {
                    skipped.push(Diagnostic::warning(
                        self.source,
                        Some(self.line(room)),
                        None,
                        format!(
                            "<room name=\"{}\"> is skipped: its name is {} characters long and a room name has at most {MAX_NAME_CHARS}",
                            text::clip(name, 40),
                            name.chars().count()
                        ),
                    ));
                    continue;
                }
                for event in children(room, "event") {
                    match self.pentabarf_event(event, zone, date, change, room_name) {
                        Ok(session) => sessions.push(session),
                        Err((label, reason)) => self.skip(&mut skipped, event, &label, reason),
                    }
                }
            }
        }
        Ok(Draft {
            conference,
            sessions,
            skipped,
        })
    }

    /// One `<event>`; on failure, the event's label and why it was skipped.
    fn pentabarf_event(
        &self,
        event: Node,
        zone: Tz,
        day: Option<NaiveDate>,
        change: Option<NaiveTime>,
        room: Option<&str>,
    ) -> Result<DraftSession, (String, String)> {
        let title = child_text(event, "title");
        let id = event
            .attribute("id")
            .filter(|id| !id.trim().is_empty())
            .or(event.attribute("guid"))
            .map(str::to_string)
            .or_else(|| child_text(event, "slug"))
            .or_else(|| title.clone())
            .unwrap_or_else(|| format!("line-{}", self.line(event)));
        let fail = |reason: String| (id.clone(), reason);
        let title = title.ok_or_else(|| fail("it has no <title>".to_string()))?;
        let start = match child_text(event, "date") {
            Some(date) => DateTime::parse_from_rfc3339(&date)
                .map(|d| d.with_timezone(&zone))
                .map_err(|_| fail(format!("<date> \"{date}\" is not an RFC 3339 date and time")))?,
            None => {
                let clock =
                    child_text(event, "start").ok_or_else(|| fail("it has no <start> and no <date>".to_string()))?;
                let at = parse_clock(&clock)
                    .ok_or_else(|| fail(format!("<start> \"{clock}\" is not a time of day (HH:MM)")))?;
                let day = day.ok_or_else(|| fail("its <day> has no date attribute".to_string()))?;
                let day = match change {
                    Some(change) if at < change => day + TimeDelta::days(1),
                    _ => day,
                };
                let local = NaiveDateTime::new(day, at);
                time::resolve_local(local, zone, &local.format("%Y-%m-%dT%H:%M").to_string())
                    .map_err(|err| fail(err.to_string()))?
            }
        };
        let length = child_text(event, "duration").ok_or_else(|| fail("it has no <duration>".to_string()))?;
        let length = duration::parse(&length).map_err(|err| fail(format!("<duration>: {err}")))?;
        let kind = import::kind_from_type(child_text(event, "type").as_deref().unwrap_or(""), &title);
        let speakers = children(event, "persons")
            .flat_map(|persons| children(persons, "person"))
            .map(|person| DraftSpeaker {
                id: person.attribute("id").or(person.attribute("guid")).map(str::to_string),
                name: person.text().unwrap_or("").trim().to_string(),
                ..DraftSpeaker::default()
            })
            .collect();
        let abstract_text = child_text(event, "abstract")
            .or_else(|| child_text(event, "description"))
            .map(|html| import::html_to_text(&html));
        Ok(DraftSession {
            id,
            title,
            subtitle: child_text(event, "subtitle"),
            kind,
            start,
            end: start + length,
            room: child_text(event, "room").or_else(|| room.map(str::to_string)),
            track: child_text(event, "track"),
            speakers,
            abstract_text,
            url: child_text(event, "url"),
            line: Some(self.line(event)),
        })
    }

    fn xcal(&self, root: Node, fallback: Option<Tz>) -> Result<Draft, ScheduleErrors> {
        let calendar = if root.tag_name().name() == "vcalendar" {
            root
        } else {
            children(root, "vcalendar")
                .next()
                .ok_or_else(|| self.fail(root, "<iCalendar> has no <vcalendar>".to_string()))?
        };
        let zone = self.zone(child_text(calendar, "x-wr-timezone"), fallback, calendar)?;
        let conference = Conference {
            name: child_text(calendar, "x-wr-calname").unwrap_or_else(|| self.source.to_string()),
            timezone: zone,
            venue: None,
            url: None,
        };
        let mut sessions = Vec::new();
        let mut skipped = Vec::new();
        for event in children(calendar, "vevent") {
            match self.xcal_event(event, zone) {
                Ok(session) => sessions.push(session),
                Err((label, reason)) => self.skip(&mut skipped, event, &label, reason),
            }
        }
        Ok(Draft {
            conference,
            sessions,
            skipped,
        })
    }

    fn xcal_event(&self, event: Node, zone: Tz) -> Result<DraftSession, (String, String)> {
        let title = child_text(event, "summary").or_else(|| child_text(event, "title"));
        let id = child_text(event, "uid")
            .map(|uid| uid.split('@').next().unwrap_or_default().to_string())
            .filter(|uid| !uid.is_empty())
            .or_else(|| title.clone())
            .unwrap_or_else(|| format!("line-{}", self.line(event)));
        let fail = |reason: String| (id.clone(), reason);
        let title = title.ok_or_else(|| fail("it has no <summary>".to_string()))?;
        let instant = |name: &str| -> Result<Option<DateTime<Tz>>, (String, String)> {
            let Some(value) = child_text(event, name) else {
                return Ok(None);
            };
            ical_instant(&value, zone)
                .map(Some)
                .map_err(|reason| fail(format!("<{name}> {reason}")))
        };
        let start = instant("dtstart")?.ok_or_else(|| fail("it has no <dtstart>".to_string()))?;
        let end = instant("dtend")?.ok_or_else(|| fail("it has no <dtend>".to_string()))?;
        if end <= start {
            return Err(fail("<dtend> is not after <dtstart>".to_string()));
        }
        let speakers = children(event, "attendee")
            .filter_map(|a| a.text())
            .map(|name| DraftSpeaker {
                name: name.trim().to_string(),
                ..DraftSpeaker::default()
            })
            .collect();
        let category = child_text(event, "category").unwrap_or_default();
        Ok(DraftSession {
            id,
            kind: import::kind_from_type(&category, &title),
            subtitle: child_text(event, "subtitle"),
            title,
            start,
            end,
            room: child_text(event, "location"),
            track: None,
            speakers,
            abstract_text: child_text(event, "description").map(|d| import::html_to_text(&d)),
            url: child_text(event, "url"),
            line: Some(self.line(event)),
        })
    }
}

/// "09:30", "9:30" or "09:30:00".
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// An iCalendar date-time as xCal writes it: "20210402T100000" (floating, read in `zone`)
/// or "20210402T080000Z" (UTC).
fn ical_instant(value: &str, zone: Tz) -> Result<DateTime<Tz>, String> {
    let value = value.trim();
    if let Some(utc) = value.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("\"{value}\" is not a date-time like 20210402T100000Z"))?;
        return Ok(naive.and_utc().with_timezone(&zone));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("\"{value}\" is not a date-time like 20210402T100000"))?;
    time::resolve_local(naive, zone, value).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::{Berlin, Brussels};

    fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics.iter().map(ToString::to_string).collect()
    }

    const FROSTCON: &str = include_str!("../../../../tests/fixtures/pentabarf-no-zone.xml");
    const HUB: &str = include_str!("../../../../tests/fixtures/frab-hub.xml");
    const XCAL: &str = include_str!("../../../../tests/fixtures/pretalx.xcal");

    #[test]
    fn a_file_without_zone_uses_the_fallback_or_says_what_to_do() {
        let errors = parse(FROSTCON, "f.xml", None).unwrap_err();
        assert_eq!(
            messages(&errors.0),
            ["f.xml:3: error: the file names no time zone: pass --timezone (e.g. --timezone Europe/Brussels) or set [schedule] timezone in the config"]
        );
        let loaded = parse(FROSTCON, "f.xml", Some(Brussels)).unwrap();
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 4);
        let welcome = s.session("101").unwrap();
        assert_eq!(time::rfc3339(&welcome.start), "2024-02-03T09:30:00+01:00");
        assert_eq!(time::rfc3339(&welcome.end), "2024-02-03T09:55:00+01:00");
        assert_eq!(welcome.kind, crate::schedule::SessionKind::Keynote);
        assert_eq!(s.speaker_names(welcome), ["Åsa Öberg", "Jean-Luc D'Arc"]);
        assert_eq!(
            welcome.abstract_text.as_deref(),
            Some("Welcome & opening.\n\nSecond paragraph.")
        );
    }

    #[test]
    fn durations_with_an_unpadded_hour_and_seconds_are_read() {
        let loaded = parse(FROSTCON, "f.xml", Some(Brussels)).unwrap();
        let workshop = loaded.schedule.session("102").unwrap();
        assert_eq!((workshop.end - workshop.start).num_minutes(), 90);
        let short = loaded.schedule.session("103").unwrap();
        assert_eq!((short.end - short.start).num_seconds(), 15 * 60 + 30);
    }

    #[test]
    fn a_long_room_name_is_skipped_not_copied_into_every_event() {
        // Every event of a room carried its own copy of the room's name: a 40,000-character
        // name over 12,000 events was half a gigabyte.
        let event = "<event><title>T</title><start>10:00</start><duration>00:30</duration></event>";
        let doc = format!(
            "<schedule><conference><title>X</title><time_zone_name>UTC</time_zone_name></conference>\n<day date=\"2024-06-14\">\n<room name=\"{}\">{}</room>\n<room name=\"Main\"><event id=\"1\"><title>Kept</title><start>11:00</start><duration>00:30</duration></event></room>\n</day></schedule>",
            "k".repeat(40_000),
            event.repeat(12_000)
        );
        let started = std::time::Instant::now();
        let loaded = parse(&doc, "x.xml", None).unwrap();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        assert_eq!(loaded.schedule.sessions().len(), 1);
        assert_eq!(loaded.schedule.sessions()[0].title, "Kept");
        assert_eq!(
            messages(&loaded.warnings),
            [format!(
                "x.xml:3: warning: <room name=\"{}…\"> is skipped: its name is 40000 characters long and a room name has at most 200",
                "k".repeat(40)
            )]
        );
    }

    #[test]
    fn a_bad_event_is_skipped_with_its_line_and_the_rest_import() {
        let loaded = parse(FROSTCON, "f.xml", Some(Brussels)).unwrap();
        assert_eq!(
            messages(&loaded.warnings),
            ["f.xml:56: warning: session '104': skipped: <duration>: 'soon' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\""]
        );
    }

    #[test]
    fn an_event_after_midnight_trusts_its_date_or_rolls_past_the_change_over() {
        let loaded = parse(HUB, "hub.xml", None).unwrap();
        let s = &loaded.schedule;
        assert_eq!(s.timezone(), Berlin);
        let late = s.session("2001").unwrap();
        assert_eq!(
            time::rfc3339(&late.start),
            "2024-12-28T01:30:00+01:00",
            "the <date> wins"
        );
        let rolled = s.session("2002").unwrap();
        assert_eq!(
            time::rfc3339(&rolled.start),
            "2024-12-28T02:00:00+01:00",
            "02:00 is before the day's 06:00 start"
        );
    }

    #[test]
    fn nested_elements_named_like_event_fields_are_not_the_events() {
        let loaded = parse(HUB, "hub.xml", None).unwrap();
        let opening = loaded.schedule.session("2000").unwrap();
        assert_eq!(opening.title, "Opening");
        assert_eq!(opening.kind, crate::schedule::SessionKind::Talk);
        assert_eq!(opening.room.as_deref(), Some("Saal 1"));
        assert_eq!(loaded.schedule.speaker_names(opening), ["Ada", "Grace"]);
        assert_eq!(loaded.schedule.speakers()[0].id, "5f1e7c2a-0000-4000-8000-000000000001");
    }

    #[test]
    fn single_quoted_attributes_and_numeric_entities_are_read() {
        let loaded = parse(HUB, "hub.xml", None).unwrap();
        let talk = loaded.schedule.session("2001").unwrap();
        assert_eq!(talk.title, "Über Nachtschichten");
    }

    #[test]
    fn xcal_floating_times_are_read_in_the_fallback_zone() {
        let errors = parse(XCAL, "p.xcal", None).unwrap_err();
        assert!(
            messages(&errors.0)[0].contains("pass --timezone"),
            "{:?}",
            messages(&errors.0)
        );
        let loaded = parse(XCAL, "p.xcal", Some(Berlin)).unwrap();
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 2);
        let opening = s.session("ABC123").unwrap();
        assert_eq!(time::rfc3339(&opening.start), "2021-04-02T10:00:00+02:00");
        assert_eq!(time::rfc3339(&opening.end), "2021-04-02T10:15:00+02:00");
        assert_eq!(s.speaker_names(opening), ["hexe", "Nick"]);
        assert_eq!(opening.room.as_deref(), Some("Stage"));
    }

    #[test]
    fn malformed_xml_names_the_line_and_never_panics() {
        let errors = parse("<schedule>\n<conference>\n<title>x</titel>", "bad.xml", None).unwrap_err();
        assert!(
            messages(&errors.0)[0].starts_with("bad.xml:3: error: not well-formed XML"),
            "{:?}",
            errors
        );
        let errors = parse("<html><body/></html>", "page.xml", None).unwrap_err();
        assert_eq!(
            messages(&errors.0),
            ["page.xml:1: error: the root element is <html>: expected <schedule> (Pentabarf, frab or pretalx XML) or <iCalendar> (xCal)"]
        );
        for cut in (0..FROSTCON.len())
            .step_by(97)
            .filter(|&i| FROSTCON.is_char_boundary(i))
        {
            // A cut document is refused with a located error, never read in part.
            let errors = parse(&FROSTCON[..cut], "cut.xml", Some(Brussels)).unwrap_err();
            assert!(
                errors
                    .0
                    .iter()
                    .any(|e| e.is_error() && e.to_string().starts_with("cut.xml:")),
                "{cut}: {:?}",
                messages(&errors.0)
            );
        }
    }

    #[test]
    fn a_dtd_is_refused_at_its_line_before_any_entity_is_expanded() {
        let refused = |line: usize| {
            vec![format!(
                "laughs.xml:{line}: error: the file has a document type declaration (<!DOCTYPE …>): \
                 DTDs are not accepted, since their entities can make a small file cost gigabytes to \
                 read; remove the <!DOCTYPE …> declaration (schedule exports do not need it)"
            )]
        };
        // Billion laughs, cut to four levels. roxmltree's own limits (ten levels, 255
        // references within one) stop the full one, but not what keeps under them.
        let nested = "<?xml version=\"1.0\"?>\n\
            <!-- an export -->\n\
            <!DOCTYPE schedule [\n\
            <!ENTITY lol \"lol\">\n\
            <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
            <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n\
            <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n\
            ]>\n\
            <schedule><conference><title>&lol3;</title></conference></schedule>\n";
        let errors = parse(nested, "laughs.xml", Some(Brussels)).unwrap_err();
        assert_eq!(messages(&errors.0), refused(3));
        // The shape those limits let through: one flat entity of 200 references, referenced
        // again and again. With a 10 KB `lol` and a thousand `&wide;`, a file under 20 KB is
        // 2 GB of text; cut down here so that even a reader that expands it gets through.
        let wide = format!(
            "<!DOCTYPE schedule [<!ENTITY lol \"{}\">\n<!ENTITY wide \"{}\">]>\n\
             <schedule><conference><title>{}</title></conference></schedule>",
            "lol".repeat(20),
            "&lol;".repeat(200),
            "&wide;".repeat(20)
        );
        let errors = parse(&wide, "laughs.xml", Some(Brussels)).unwrap_err();
        assert_eq!(messages(&errors.0), refused(1));
    }

    #[test]
    fn content_sniffing_recognises_both_dialects() {
        assert!(looks_like(FROSTCON));
        assert!(looks_like(XCAL));
        assert!(!looks_like("[conference]\nname = \"x\""));
    }
}
