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

struct Reader<'a> {
    source: &'a str,
    zone: Tz,
    lines: LineIndex,
    /// Where the objects are in the text (see [`outline`]).
    outline: Outline,
    /// The language to pick from localized texts ({"en": …, "de": …}).
    language: Option<String>,
    /// Room and track names by guid or slug, for schedule 2.0 references.
    rooms: HashMap<String, String>,
    tracks: HashMap<String, String>,
    /// Schedule 2.0 top-level persons by guid, id or code.
    persons: HashMap<String, &'a Value>,
    /// The speaker ids whose listed biography and links were read.
    described: RefCell<HashSet<String>>,
    skipped: Vec<Diagnostic>,
}

/// Where an event sits in the document, and what its place says about it.
struct Place {
    /// From the root, to find the line.
    steps: Vec<Step>,
    /// As messages show it: `days[2].rooms["Curie"][3]`.
    shown: String,
    /// The rooms key it is filed under (v1).
    room: Option<String>,
    day: Option<Day>,
}

/// A v1 day: its date and the wall-clock time at which it hands over to the next one
/// (day_start's time); events that start earlier belong to the next calendar date.
#[derive(Clone, Copy)]
struct Day {
    date: Option<NaiveDate>,
    change_over: Option<NaiveTime>,
}

impl Reader<'_> {
    /// v1: schedule.conference.days[].rooms{ROOM: [event]}.
    fn days(&mut self, conference: &Value, base: &[Step]) -> Vec<DraftSession> {
        let mut sessions = Vec::new();
        let Some(days) = conference.get("days").and_then(Value::as_array) else {
            return sessions;
        };
        for (d, day) in days.iter().enumerate() {
            let Some(rooms) = day.get("rooms").and_then(Value::as_object) else {
                continue;
            };
            let info = Day {
                date: string(Some(day), "date").and_then(|s| time::parse_date(&s)),
                change_over: string(Some(day), "day_start")
                    .and_then(|s| self.instant(&s).ok())
                    .map(|start| start.time()),
            };
            for (room, events) in rooms {
                let length = room.chars().count();
                if length > MAX_NAME_CHARS {
                    // Every event would carry the name (and its warning would show it).
                    self.skipped.push(Diagnostic::warning(
                        self.source,
                        None,
                        None,
                        format!(
                            "days[{d}].rooms[{}] is skipped: its name is {length} characters long and a room name has at most {MAX_NAME_CHARS}",
                            Value::from(text::clip(room, 40))
                        ),
                    ));
                    continue;
                }
                let shown_room = format!("days[{d}].rooms[{}]", Value::from(room.as_str()));
                let Some(events) = events.as_array() else {
                    self.skipped.push(Diagnostic::warning(
                        self.source,
                        None,
                        None,
                        format!("{shown_room} is not a list of events; it is skipped"),
                    ));
                    continue;
                };
                for (j, event) in events.iter().enumerate() {
                    let mut steps = base.to_vec();
                    steps.extend([
                        Step::key("conference"),
                        Step::key("days"),
                        Step::Index(d),
                        Step::key("rooms"),
                        Step::key(room),
                        Step::Index(j),
                    ]);
                    let place = Place {
                        steps,
                        shown: format!("{shown_room}[{j}]"),
                        room: Some(room.clone()),
                        day: Some(info),
                    };
                    sessions.extend(self.event(event, &place));
                }
            }
        }
        sessions
    }

    /// Schedule 2.0: schedule.events[], with start and end instants.
    fn events(&mut self, events: &[Value], base: &[Step]) -> Vec<DraftSession> {
        let mut sessions = Vec::new();
        for (j, event) in events.iter().enumerate() {
            let mut steps = base.to_vec();
            steps.extend([Step::key("events"), Step::Index(j)]);
            let place = Place {
                steps,
                shown: format!("events[{j}]"),
                room: None,
                day: None,
            };
            sessions.extend(self.event(event, &place));
        }
        sessions
    }

    /// One event as a session, or a warning saying why it is skipped.
    fn event(&mut self, event: &Value, place: &Place) -> Option<DraftSession> {
        let line = self
            .outline
            .start(&place.steps)
            .map(|offset| self.lines.line_of(offset));
        let id = ["guid", "id", "code", "slug"]
            .into_iter()
            .find_map(|key| id_string(event.get(key)));
        let title = string(Some(event), "title");
        let read = match &title {
            _ if !event.is_object() => Err("it is not a JSON object".to_string()),
            None => Err("it has no title".to_string()),
            Some(title) => self.session(event, place, id.clone(), title),
        };
        match read {
            Ok(mut session) => {
                session.line = line;
                Some(session)
            }
            Err(reason) => {
                let named = title.map(|t| format!(" \"{t}\"")).unwrap_or_default();
                self.skipped.push(Diagnostic::warning(
                    self.source,
                    line,
                    id.as_deref(),
                    format!("{}{named} is skipped: {reason}", place.shown),
                ));
                None
            }
        }
    }

    /// `id` is the event's guid, id, code or slug, in that order of preference.
    fn session(&self, event: &Value, place: &Place, id: Option<String>, title: &str) -> Result<DraftSession, String> {
        let start = self.start(event, place.day)?;
        let end = self.end(event, start)?;
        let id = id.unwrap_or_else(|| import::slug(title));
        let kind = string(Some(event), "type").unwrap_or_default();
        let abstract_text = [event.get("abstract"), event.get("description")]
            .into_iter()
            .filter_map(|v| self.localized(v))
            .map(|html| import::html_to_text(&html))
            .find(|text| !text.is_empty());
        let url = http_url(event.get("url")).or_else(|| link_urls(event.get("links")).into_iter().next());
        // import::finish skips a session that ends when it starts, speakers and all.
        let kept = end > start;
        let speakers = event
            .get("persons")
            .or_else(|| event.get("participants"))
            .and_then(Value::as_array)
            .map(|people| people.iter().filter_map(|p| self.speaker(p, kept)).collect())
            .unwrap_or_default();
        Ok(DraftSession {
            id,
            title: title.to_string(),
            subtitle: self.localized(event.get("subtitle")),
            kind: import::kind_from_type(&kind, title),
            start,
            end,
            room: place
                .room
                .clone()
                .or_else(|| self.reference(event.get("room"), &self.rooms)),
            track: self.reference(event.get("track"), &self.tracks),
            speakers,
            abstract_text,
            url,
            line: None,
        })
    }

    /// The event's `date` (an instant with its offset) when it has one; else its day's
    /// date and `start` read in the zone, on the next date when `start` is before the
    /// day's change-over (a 01:30 event filed under the previous day).
    fn start(&self, event: &Value, day: Option<Day>) -> Result<DateTime<Tz>, String> {
        if let Some(date) = string(Some(event), "date") {
            return self.instant(&date).map_err(|err| format!("date: {err}"));
        }
        let Some(start) = string(Some(event), "start") else {
            return Err("it has no start (neither date nor start)".to_string());
        };
        if start.contains(['T', '-']) {
            return self.instant(&start).map_err(|err| format!("start: {err}"));
        }
        let clock = ["%H:%M", "%H:%M:%S"]
            .into_iter()
            .find_map(|format| NaiveTime::parse_from_str(&start, format).ok())
            .ok_or_else(|| format!("start '{start}' is not a time of day such as 09:30"))?;
        let Some(Day {
            date: Some(date),
            change_over,
        }) = day
        else {
            return Err(format!(
                "it starts at {start} but neither it nor its day has a date: give it a \"date\" such as \"2024-06-14T09:30:00+02:00\""
            ));
        };
        let date = match change_over {
            Some(change_over) if clock < change_over => date.succ_opt().unwrap_or(date),
            _ => date,
        };
        let shown = format!("{date}T{start}");
        time::resolve_local(date.and_time(clock), self.zone, &shown).map_err(|err| format!("start: {err}"))
    }

    /// `end` (schedule 2.0) or start + `duration` ("00:45", "0:30", "PT45M").
    fn end(&self, event: &Value, start: DateTime<Tz>) -> Result<DateTime<Tz>, String> {
        if let Some(end) = string(Some(event), "end") {
            let end = self.instant(&end).map_err(|err| format!("end: {err}"))?;
            if end < start {
                return Err(format!(
                    "it ends at {} before it starts at {}",
                    time::rfc3339(&end),
                    time::rfc3339(&start)
                ));
            }
            return Ok(end);
        }
        let length = match event.get("duration") {
            Some(Value::String(s)) if !s.trim().is_empty() => length(s.trim())?,
            Some(Value::Number(n)) => return Err(format!("duration {n} has no unit: write it as \"00:45\"")),
            _ => return Err("it has no duration (and no end)".to_string()),
        };
        start
            .checked_add_signed(length)
            .ok_or_else(|| "its duration is too long to place on a calendar".to_string())
    }

    /// An instant with its offset, moved into the zone; a local time is read in the zone.
    fn instant(&self, s: &str) -> Result<DateTime<Tz>, String> {
        if let Ok(instant) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
            return Ok(instant.with_timezone(&self.zone));
        }
        time::parse_instant(s, self.zone).map_err(|err| err.to_string())
    }

    /// A participant, with what the persons list says of it; `kept` is false for a
    /// session that import::finish will skip.
    fn speaker(&self, person: &Value, kept: bool) -> Option<DraftSpeaker> {
        if let Value::String(name) = person {
            return Some(DraftSpeaker {
                name: name.clone(),
                ..DraftSpeaker::default()
            });
        }
        let ids: Vec<String> = ["id", "guid", "code"]
            .into_iter()
            .filter_map(|key| id_string(person.get(key)))
            .filter(|id| id != "0")
            .collect();
        let known = ids.iter().find_map(|id| self.persons.get(id).copied());
        let name = ["public_name", "name"]
            .into_iter()
            .find_map(|key| string(Some(person), key).or_else(|| string(known, key)))?;
        // The schedule keeps what the first kept occurrence of a speaker id says
        // (import::finish), so a listed person's biography and links are read for that
        // one only, not again for every event that refers to the person.
        let known = known.filter(|_| {
            kept && ids
                .first()
                .is_some_and(|id| self.described.borrow_mut().insert(id.clone()))
        });
        let bio = [Some(person), known]
            .into_iter()
            .filter_map(|p| self.localized(p?.get("biography")))
            .map(|html| import::html_to_text(&html))
            .find(|bio| !bio.is_empty());
        let mut links: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for p in [Some(person), known].into_iter().flatten() {
            for link in link_urls(p.get("links")).into_iter().chain(http_url(p.get("url"))) {
                if !seen.contains(&link) {
                    seen.insert(link.clone());
                    links.push(link);
                }
            }
        }
        Some(DraftSpeaker {
            id: ids.into_iter().next(),
            name,
            bio,
            links,
        })
    }

    /// A room or track: its name, or a schedule 2.0 reference {guid, slug, name?} looked
    /// up in the conference's list.
    fn reference(&self, value: Option<&Value>, names: &HashMap<String, String>) -> Option<String> {
        match value? {
            Value::String(name) => Some(name.trim().to_string()).filter(|n| !n.is_empty()),
            reference @ Value::Object(_) => string(Some(reference), "name").or_else(|| {
                ["guid", "slug"]
                    .into_iter()
                    .filter_map(|key| string(Some(reference), key))
                    .find_map(|key| names.get(&key).cloned())
                    .or_else(|| string(Some(reference), "slug"))
            }),
            _ => None,
        }
    }

    /// A text that may be localized ({"en": "…", "de": "…"}): the conference's default
    /// language, else English, else the first one.
    fn localized(&self, value: Option<&Value>) -> Option<String> {
        let text = match value? {
            Value::String(s) => s.clone(),
            Value::Object(by_language) => {
                let preferred = [self.language.as_deref(), Some("en")]
                    .into_iter()
                    .flatten()
                    .find_map(|lang| by_language.get(lang).and_then(Value::as_str));
                preferred
                    .or_else(|| by_language.values().find_map(Value::as_str))?
                    .to_string()
            }
            _ => return None,
        };
        Some(text).filter(|t| !t.trim().is_empty())
    }
}

/// "00:45", "0:30", "01:00:30" as v1 writes durations, or ISO 8601 "PT45M".
fn length(s: &str) -> Result<TimeDelta, String> {
    if let Some(iso) = s.strip_prefix('P') {
        return iso_duration(iso).ok_or_else(|| format!("duration '{s}' is not an ISO 8601 duration such as PT45M"));
    }
    // duration::parse reads hours with TimeDelta::hours, which panics past ~2.5e15 hours.
    if s.split(':').any(|part| part.len() > 6) {
        return Err(format!("duration '{s}' is too long"));
    }
    duration::parse(s).map_err(|err| format!("duration: {err}"))
}

/// The part after "P" of an ISO 8601 duration: "T1H30M", "1DT2H", "2W". Years and
/// months are refused: their length depends on the calendar.
fn iso_duration(s: &str) -> Option<TimeDelta> {
    let mut total = TimeDelta::zero();
    let mut in_time = false;
    let mut number = String::new();
    let mut seen = false;
    for c in s.chars() {
        match c {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' => number.push(c),
            _ => {
                let seconds_per_unit: f64 = match (in_time, c) {
                    (false, 'W') => 604_800.0,
                    (false, 'D') => 86_400.0,
                    (true, 'H') => 3_600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                let n: f64 = number.parse().ok()?;
                number.clear();
                let millis = n * seconds_per_unit * 1000.0;
                if !(0.0..1e15).contains(&millis) {
                    return None;
                }
                total = total.checked_add(&TimeDelta::try_milliseconds(millis.round() as i64)?)?;
                seen = true;
            }
        }
    }
    (seen && number.is_empty()).then_some(total)
}

/// A non-empty string member, trimmed.
fn string(value: Option<&Value>, key: &str) -> Option<String> {
    let s = value?.get(key)?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// An id as text: formats write them as numbers or strings.
fn id_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value if it is an http(s) URL; schedules also carry labels like "Awesome Ada".
fn http_url(value: Option<&Value>) -> Option<String> {
    let url = value?.as_str()?.trim();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    (!rest.is_empty() && !url.contains(char::is_whitespace)).then(|| url.to_string())
}

/// The http(s) URLs of a links list: [{url, title}] or plain strings.
fn link_urls(value: Option<&Value>) -> Vec<String> {
    let Some(list) = value.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|link| match link {
            Value::String(_) => http_url(Some(link)),
            _ => http_url(link.get("url")),
        })
        .collect()
}

/// A warning when the name of a list entry (`entry` shows where) is too long to copy
/// into every event that refers to it; the entry is then ignored.
fn overlong(name: &str, entry: impl FnOnce() -> String, source: &str) -> Option<Diagnostic> {
    name.chars().nth(MAX_NAME_CHARS)?;
    Some(Diagnostic::warning(
        source,
        None,
        None,
        format!(
            "{} is ignored: its name is {} characters long and a name has at most {MAX_NAME_CHARS}",
            entry(),
            name.chars().count()
        ),
    ))
}

/// Names of a conference list (rooms, tracks; `shown` in messages) by each of the given
/// reference keys.
fn names_by_reference(
    list: Option<&Value>,
    shown: &str,
    keys: &[&str],
    source: &str,
    skipped: &mut Vec<Diagnostic>,
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for (i, item) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(name) = string(Some(item), "name") else {
            continue;
        };
        if let Some(warning) = overlong(&name, || format!("{shown}[{i}]"), source) {
            skipped.push(warning);
            continue;
        }
        for key in keys {
            if let Some(reference) = string(Some(item), key) {
                names.entry(reference).or_insert_with(|| name.clone());
            }
        }
    }
    names
}

/// Schedule 2.0 top-level persons, by guid, id and code.
fn persons_by_id<'a>(
    list: Option<&'a Value>,
    source: &str,
    skipped: &mut Vec<Diagnostic>,
) -> HashMap<String, &'a Value> {
    let mut persons = HashMap::new();
    for (i, person) in list.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let names = ["public_name", "name"].map(|key| string(Some(person), key));
        if let Some(warning) = names
            .iter()
            .flatten()
            .find_map(|name| overlong(name, || format!("persons[{i}]"), source))
        {
            skipped.push(warning);
            continue;
        }
        for key in ["guid", "id", "code"] {
            if let Some(id) = id_string(person.get(key)).filter(|id| id != "0") {
                persons.entry(id).or_insert(person);
            }
        }
    }
    persons
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    fn key(name: &str) -> Step {
        Step::Key(name.to_string())
    }
}

/// A step as the outline keeps it: a member name by its number in [`Outline::names`], so
/// that a name costs its length once, not once for every object under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mark {
    Key(usize),
    Index(usize),
}

/// What a quick pass over the text finds: serde_json's `Value` keeps no positions.
#[derive(Default)]
struct Outline {
    /// The member names on the paths kept, each once, with its number.
    names: HashMap<String, usize>,
    /// Where each object and array starts, by path, for paths up to the given depth.
    starts: HashMap<Vec<Mark>, usize>,
    /// The member names of the top-level object.
    top_keys: Vec<String>,
}

impl Outline {
    /// The byte offset where the object or array at `path` starts.
    fn start(&self, path: &[Step]) -> Option<usize> {
        let marks = path
            .iter()
            .map(|step| match step {
                Step::Key(name) => self.names.get(name).map(|&n| Mark::Key(n)),
                Step::Index(index) => Some(Mark::Index(*index)),
            })
            .collect::<Option<Vec<Mark>>>()?;
        self.starts.get(&marks).copied()
    }

    /// The number of `name`, given it if it is new.
    fn name(&mut self, name: String) -> usize {
        let next = self.names.len();
        *self.names.entry(name).or_insert(next)
    }
}

enum Frame {
    Object { key: Option<usize>, expecting_key: bool },
    Array { index: usize },
}

/// Walks the text once, tracking strings and nesting; never fails, so it also outlines
/// broken or truncated JSON as far as it goes.
fn outline(text: &str, max_depth: usize) -> Outline {
    let bytes = text.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    let mut found = Outline::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                let depth = frames.len();
                if let Some(Frame::Object {
                    key,
                    expecting_key: expecting @ true,
                }) = frames.last_mut()
                {
                    let raw = &text[i..end];
                    let name =
                        serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.trim_matches('"').to_string());
                    if depth == 1 {
                        found.top_keys.push(name.clone());
                    }
                    // Names deeper than the paths kept are never looked up.
                    *key = (depth <= max_depth).then(|| found.name(name));
                    *expecting = false;
                }
                i = end;
                continue;
            }
            open @ (b'{' | b'[') => {
                if frames.len() <= max_depth {
                    let path: Option<Vec<Mark>> = frames
                        .iter()
                        .map(|frame| match frame {
                            Frame::Object { key, .. } => key.map(Mark::Key),
                            Frame::Array { index } => Some(Mark::Index(*index)),
                        })
                        .collect();
                    if let Some(path) = path {
                        found.starts.insert(path, i);
                    }
                }
                frames.push(if open == b'{' {
                    Frame::Object {
                        key: None,
                        expecting_key: true,
                    }
                } else {
                    Frame::Array { index: 0 }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    found
}

/// The offset just past the string that starts at `start` (a quote), or the end.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Schedule, Session, SessionKind};
    use chrono_tz::{America::New_York, Europe::Berlin};

    const FRAB_V1: &str = include_str!("../../tests/fixtures/frab-v1.json");
    const PRETALX_NO_ZONE: &str = include_str!("../../tests/fixtures/pretalx-no-zone.json");

    /// A one-day v1 document (2024-06-14, change-over at 09:00) with `events` in room
    /// "Main"; `zone` is the time_zone_name member, if any. The first event is on line 6.
    fn v1(zone: &str, events: &str) -> String {
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

    const ZONE: &str = r#""time_zone_name": "Europe/Berlin","#;

    fn read(text: &str) -> Loaded {
        parse(text, "test.json", None).unwrap()
    }

    fn errors(text: &str, fallback: Option<Tz>) -> Vec<String> {
        parse(text, "test.json", fallback)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn warnings(loaded: &Loaded) -> Vec<String> {
        loaded.warnings.iter().map(ToString::to_string).collect()
    }

    fn session<'a>(schedule: &'a Schedule, id: &str) -> &'a Session {
        schedule.session(id).unwrap_or_else(|| panic!("no session {id}"))
    }

    fn times(session: &Session) -> (String, String) {
        (time::rfc3339(&session.start), time::rfc3339(&session.end))
    }

    #[test]
    fn reads_a_v1_event_in_the_conference_zone() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 7, "guid": "g-7", "date": "2024-06-14T10:00:00+02:00", "start": "10:00",
   "duration": "00:45", "room": "Main", "slug": "tc-7-radios", "url": "https://tc.example.org/7",
   "title": "Radios", "subtitle": "", "track": "Hardware", "type": "lecture",
   "abstract": "", "description": "<p>Cheap &amp; loud.</p><p>Really.</p>",
   "persons": [{"id": 3, "public_name": "Ada"}], "links": []}"#,
        ));
        let schedule = &loaded.schedule;
        assert_eq!(schedule.conference().name, "Test Camp");
        assert_eq!(schedule.timezone(), Berlin);
        let radios = session(schedule, "g-7");
        assert_eq!(
            times(radios),
            (
                "2024-06-14T10:00:00+02:00".to_string(),
                "2024-06-14T10:45:00+02:00".to_string()
            )
        );
        assert_eq!(radios.room.as_deref(), Some("Main"));
        assert_eq!(radios.track.as_deref(), Some("Hardware"));
        assert_eq!(radios.kind, SessionKind::Talk);
        assert_eq!(radios.subtitle, None);
        assert_eq!(radios.abstract_text.as_deref(), Some("Cheap & loud.\n\nReally."));
        assert_eq!(radios.url.as_deref(), Some("https://tc.example.org/7"));
        assert_eq!(radios.speakers, ["3"]);
        assert_eq!(schedule.speaker_names(radios), ["Ada"]);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

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
    fn an_event_before_the_change_over_belongs_to_the_next_date() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "Evening", "start": "22:00", "duration": "01:00"},
{"id": 2, "title": "Night", "start": "01:30", "duration": "00:45"},
{"id": 3, "title": "Morning", "start": "09:00", "duration": "00:30"}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(times(session(s, "1")).0, "2024-06-14T22:00:00+02:00");
        assert_eq!(
            times(session(s, "2")),
            (
                "2024-06-15T01:30:00+02:00".to_string(),
                "2024-06-15T02:15:00+02:00".to_string()
            )
        );
        assert_eq!(times(session(s, "3")).0, "2024-06-14T09:00:00+02:00");
    }

    #[test]
    fn a_date_with_another_offset_is_the_same_instant_in_the_zone() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "UTC", "date": "2024-06-14T08:00:00Z", "start": "08:00", "duration": "00:30"},
{"id": 2, "title": "Kolkata", "date": "2024-06-14T18:30:00+05:30", "start": "18:30", "duration": "00:30"},
{"id": 3, "title": "Filed late", "date": "2024-06-15T03:30:00+02:00", "start": "03:30", "duration": "00:30"}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(times(session(s, "1")).0, "2024-06-14T10:00:00+02:00");
        assert_eq!(times(session(s, "2")).0, "2024-06-14T15:00:00+02:00");
        assert_eq!(times(session(s, "3")).0, "2024-06-15T03:30:00+02:00");
    }

    #[test]
    fn short_hour_and_second_durations_are_read() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "Short", "start": "10:00", "duration": "0:30"},
{"id": 2, "title": "Long", "start": "11:00", "duration": "1:00:30"}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(times(session(s, "1")).1, "2024-06-14T10:30:00+02:00");
        assert_eq!(times(session(s, "2")).1, "2024-06-14T12:00:30+02:00");
    }

    #[test]
    fn speakers_without_usable_ids_are_known_by_name() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30",
   "persons": [{"id": 0, "public_name": "Wollmaus"}, {"public_name": "Kai Ünal"},
               {"code": "QX7P", "name": "Coded"}, {"id": "", "public_name": "  "}]},
{"id": 2, "title": "B", "start": "11:00", "duration": "00:30",
   "persons": [{"id": 0, "public_name": "Wollmaus", "biography": "Knits."}]}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(session(s, "1").speakers, ["wollmaus", "kai-unal", "QX7P"]);
        assert_eq!(session(s, "2").speakers, ["wollmaus"]);
        assert_eq!(s.speakers().len(), 3);
        assert_eq!(s.sessions_of("wollmaus").len(), 2);
    }

    #[test]
    fn links_that_are_not_urls_are_ignored() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "A", "start": "10:00", "duration": "00:30",
   "links": [{"url": "Awesome Ada", "title": "Awesome Ada"}, {"url": "https://pad.example.org/a", "title": "Pad"}]},
{"id": 2, "title": "B", "start": "11:00", "duration": "00:30", "url": "nymtech.net",
   "links": [{"url": "Awesome Ada", "title": "Awesome Ada"}]}"#,
        ));
        let s = &loaded.schedule;
        assert_eq!(session(s, "1").url.as_deref(), Some("https://pad.example.org/a"));
        assert_eq!(session(s, "2").url, None);
    }

    #[test]
    fn an_unusable_event_is_skipped_with_its_place_and_reason() {
        let loaded = read(&v1(
            ZONE,
            r#"{"id": 1, "title": "Good", "start": "10:00", "duration": "00:30"},
{"id": 2, "title": "Vague", "start": "11:00", "duration": "soon"},
{"id": 3, "start": "12:00", "duration": "00:30"},
{"guid": "g-4", "title": "When", "date": "next friday", "duration": "00:30"},
{"id": 5, "title": "Unsure", "duration": "00:30"},
{"id": 6, "title": "Odd", "start": "10:00", "duration": 30},
"not an event"
"#,
        ));
        assert_eq!(loaded.schedule.sessions().len(), 1);
        assert_eq!(
            warnings(&loaded),
            [
                "test.json:7: warning: session '2': days[0].rooms[\"Main\"][1] \"Vague\" is skipped: duration: 'soon' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\"",
                "test.json:8: warning: session '3': days[0].rooms[\"Main\"][2] is skipped: it has no title",
                "test.json:9: warning: session 'g-4': days[0].rooms[\"Main\"][3] \"When\" is skipped: date: 'next friday' is not a time: write a local time such as 2023-02-03T09:00 (read in Europe/Berlin) or an RFC 3339 instant such as 2023-02-03T09:00:00+01:00",
                "test.json:10: warning: session '5': days[0].rooms[\"Main\"][4] \"Unsure\" is skipped: it has no start (neither date nor start)",
                "test.json:11: warning: session '6': days[0].rooms[\"Main\"][5] \"Odd\" is skipped: duration 30 has no unit: write it as \"00:45\"",
                "test.json: warning: days[0].rooms[\"Main\"][6] is skipped: it is not a JSON object",
            ]
        );
        assert_eq!(loaded.schedule.sessions()[0].title, "Good");
    }

    #[test]
    fn local_times_the_zone_skips_or_repeats_are_skipped() {
        let doc = r#"{"schedule": {"conference": {"title": "Fall", "time_zone_name": "America/New_York",
  "days": [{"index": 1, "date": "2023-11-05", "day_start": "2023-11-05T00:00:00-04:00",
    "rooms": {"R": [
{"id": "twice", "title": "Twice", "start": "01:30", "duration": "00:20"},
{"id": "fine", "title": "Fine", "start": "09:00", "duration": "00:20"}
]}}]}}}"#;
        let loaded = read(doc);
        assert_eq!(
            warnings(&loaded),
            ["test.json:4: warning: session 'twice': days[0].rooms[\"R\"][0] \"Twice\" is skipped: start: 2023-11-05T01:30 happens twice in America/New_York: the clocks fall back; write the offset, 2023-11-05T01:30-04:00 for the first or 2023-11-05T01:30-05:00 for the second"]
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
    fn a_long_member_name_above_many_objects_costs_its_length_once() {
        // One 40,000-character name over 12,000 small objects: the outline kept a copy of
        // the name for every object under it (about a gigabyte here), and so did every
        // skipped event's place in its warning.
        let long = "k".repeat(40_000);
        let many = vec!["{}"; 12_000].join(",");
        let doc = format!(
            r#"{{"schedule": {{"{long}": [{many}], "conference": {{"title": "X", "time_zone_name": "UTC",
  "days": [{{"date": "2024-06-14", "rooms": {{"{long}": [{many}],
    "Main": [{{"id": 1, "title": "Kept", "start": "10:00", "duration": "00:30"}}]}}}}]}}}}}}"#
        );
        let started = std::time::Instant::now();
        let loaded = read(&doc);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        assert_eq!(loaded.schedule.sessions().len(), 1);
        assert_eq!(loaded.schedule.sessions()[0].title, "Kept");
        assert_eq!(
            warnings(&loaded),
            [format!(
                "test.json: warning: days[0].rooms[\"{}…\"] is skipped: its name is 40000 characters long and a room name has at most 200",
                "k".repeat(40)
            )]
        );
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
    fn truncated_or_mangled_json_never_panics() {
        let whole = FRAB_V1.trim_end().len();
        for (end, _) in FRAB_V1[..whole].char_indices().step_by(7) {
            let prefix = &FRAB_V1[..end];
            assert!(parse(prefix, "cut.json", Some(Berlin)).is_err(), "{end}");
            let _ = looks_like(prefix);
        }
        let odd = [
            r#"{"schedule": {"conference": {"title": "X", "days": {"a": 1}}}}"#,
            r#"{"schedule": {"conference": {"title": "X", "days": [null, 3, {"rooms": []}, {"rooms": {"R": 5}}]}}}"#,
            r#"{"schedule": {"conference": {"title": "X", "days": [{"date": 5, "day_start": [], "rooms": {"R": [{"title": "T", "start": "99:99", "duration": "00:30"}]}}]}}}"#,
            r#"{"schedule": {"conference": {"title": "X", "days": [{"date": "2024-01-01", "rooms": {"R": [{"title": "T", "start": "10:00", "duration": "99999999999999999:00"}]}}]}}}"#,
            r#"{"schedule": {"conference": {"title": "X", "days": [{"date": "+262143-12-31", "day_start": "x", "rooms": {"R": [{"title": "T", "start": "23:00", "duration": "9999999999999999d", "persons": "nobody", "links": {"url": 1}}]}}]}}}"#,
            r#"{"schedule": {"conference": {"title": "X"}, "events": [{"title": "T", "start": "2024-01-01T10:00:00Z", "duration": "P99999999999999999999DT1H"}, {"title": "U", "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T09:00:00Z"}, {"title": {"en": "V"}, "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00Z", "room": 7, "track": [], "participants": [1, null, {"guid": 3}]}]}}"#,
            "{\"schedule\": {\"conference\": {\"title\": \"X\\u00\"}}}",
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ];
        for doc in odd {
            let _ = parse(doc, "odd.json", Some(Berlin));
            let _ = looks_like(doc);
        }
    }

    #[test]
    fn schedule_2_0_events_are_read_with_their_references() {
        let doc = r#"{"schedule": {"version": "x", "conference": {
  "acronym": "hc", "title": "Hub Congress", "time_zone_name": "Europe/Berlin",
  "url": "https://hc.example.org/", "defaults": {"language": "de"},
  "tracks": [{"name": "Art & Beauty", "slug": "art-beauty"}],
  "rooms": [{"name": "Saal 1", "slug": "saal-1", "guid": "r-1"}],
  "days": [{"index": 1, "date": "2024-12-27", "start": "2024-12-27T09:30:00+00:00", "end": "2024-12-28T06:00:00+01:00"}]},
 "events": [
  {"guid": "e-1", "code": "AAAA", "type": "TALK", "start": "2024-12-28T00:15:00+01:00", "end": "2024-12-28T00:55:00+01:00",
   "room": {"guid": "r-1"}, "track": {"slug": "art-beauty"}, "title": "Late", "subtitle": null,
   "abstract": {"en": "In English.", "de": "Auf Deutsch."}, "url": "https://hc.example.org/e/1",
   "participants": [{"guid": "p-1", "name": "Gabi", "role": "SPEAKER"}, {"guid": "p-2", "role": "HOST"}]},
  {"guid": "e-2", "type": "BREAK", "start": "2024-12-27T13:00:00+01:00", "duration": "PT1H", "title": "Lunch",
   "room": {"name": "Foyer", "guid": "r-9"}}
 ],
 "persons": [
  {"guid": "p-1", "name": "Gabi", "biography": "Hacks things.", "links": [{"url": "https://social.example.net/@gabi"}], "url": "https://hc.example.org/user/p-1"},
  {"guid": "p-2", "name": "Host Person"}
 ]}}"#;
        assert!(looks_like(doc));
        let loaded = read(doc);
        let s = &loaded.schedule;
        assert_eq!(s.conference().url.as_deref(), Some("https://hc.example.org/"));
        let late = session(s, "e-1");
        assert_eq!(
            times(late),
            (
                "2024-12-28T00:15:00+01:00".to_string(),
                "2024-12-28T00:55:00+01:00".to_string()
            )
        );
        assert_eq!(late.room.as_deref(), Some("Saal 1"));
        assert_eq!(late.track.as_deref(), Some("Art & Beauty"));
        assert_eq!(late.abstract_text.as_deref(), Some("Auf Deutsch."));
        assert_eq!(late.kind, SessionKind::Talk);
        assert_eq!(s.speaker_names(late), ["Gabi", "Host Person"]);
        let gabi = s.speaker("p-1").unwrap();
        assert_eq!(gabi.bio.as_deref(), Some("Hacks things."));
        assert_eq!(
            gabi.links,
            ["https://social.example.net/@gabi", "https://hc.example.org/user/p-1"]
        );
        let lunch = session(s, "e-2");
        assert_eq!(times(lunch).1, "2024-12-27T14:00:00+01:00");
        assert_eq!(lunch.kind, SessionKind::Break);
        assert_eq!(lunch.room.as_deref(), Some("Foyer"));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
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
    fn sessions_carry_the_line_they_start_on() {
        let lines = |text: &str| -> Vec<(String, Option<usize>)> {
            draft(text, "test.json", Some(Berlin))
                .unwrap()
                .sessions
                .into_iter()
                .map(|s| (s.title, s.line))
                .collect()
        };
        let frab = lines(FRAB_V1);
        assert!(frab.contains(&("Opening".to_string(), Some(21))), "{frab:?}");
        assert!(
            frab.contains(&("Midnight Chiptune Set".to_string(), Some(64))),
            "{frab:?}"
        );
        assert!(
            frab.contains(&("Lockpicking Basics".to_string(), Some(182))),
            "{frab:?}"
        );
        let hub = r#"{"schedule": {"conference": {"title": "X", "time_zone_name": "UTC"},
"events": [
  {"guid": "a", "title": "A", "start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00Z"},
  {"guid": "b",
   "title": "B", "start": "2024-01-01T11:00:00Z", "end": "2024-01-01T12:00:00Z"}]}}"#;
        assert_eq!(lines(hub), [("A".to_string(), Some(3)), ("B".to_string(), Some(4))]);
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
