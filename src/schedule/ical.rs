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

/// The first non-empty line and its 1-based number, without a byte-order mark.
fn first_line(text: &str) -> Option<(usize, &str)> {
    text.strip_prefix(BOM)
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .find(|(_, line)| !line.is_empty())
}

/// One unfolded content line: `NAME;PARAM=a,b:value`.
#[derive(Debug, Clone, PartialEq)]
struct Property {
    /// Where the content line starts in the file.
    line: usize,
    /// Upper case.
    name: String,
    /// Parameter names in upper case, with their values unquoted.
    params: Vec<(String, Vec<String>)>,
    /// As written, escapes and all, without leading spaces.
    value: String,
}

impl Property {
    fn param(&self, name: &str) -> Option<&[String]> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, values)| values.as_slice())
    }

    fn first_param(&self, name: &str) -> Option<&str> {
        self.param(name)?.first().map(String::as_str)
    }

    /// The value as TEXT, escapes decoded.
    fn text(&self) -> String {
        unescape(&self.value).trim().to_string()
    }
}

/// Joins folded lines (a line starting with a space or tab continues the one before) and
/// numbers each result by the line it starts on. Empty lines go.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.strip_prefix(BOM).unwrap_or(text).lines().enumerate() {
        let continued = raw.starts_with([' ', '\t']);
        match lines.last_mut() {
            // The first byte is an ASCII space or tab, so slicing after it is safe.
            Some((_, previous)) if continued => previous.push_str(&raw[1..]),
            _ if raw.trim().is_empty() => {}
            _ => lines.push((i + 1, raw.trim_start().to_string())),
        }
    }
    lines
}

/// Splits a content line into name, parameters and value; None when it is not one.
fn property(line: usize, content: &str) -> Option<Property> {
    let name_end = content.find([';', ':'])?;
    let name = &content[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = &content[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let param_end = after.find(['=', ';', ':'])?;
        let param = after[..param_end].trim().to_ascii_uppercase();
        rest = &after[param_end..];
        let mut values = Vec::new();
        if let Some(mut list) = rest.strip_prefix('=') {
            loop {
                let (value, after_value) = match list.strip_prefix('"') {
                    Some(quoted) => {
                        let close = quoted.find('"')?;
                        (&quoted[..close], &quoted[close + 1..])
                    }
                    None => {
                        let end = list.find([',', ';', ':'])?;
                        (&list[..end], &list[end..])
                    }
                };
                values.push(value.to_string());
                match after_value.strip_prefix(',') {
                    Some(next) => list = next,
                    None => {
                        rest = after_value;
                        break;
                    }
                }
            }
        }
        params.push((param, values));
    }
    let value = rest.strip_prefix(':')?;
    Some(Property {
        line,
        name: name.to_ascii_uppercase(),
        params,
        value: value.trim_start().to_string(),
    })
}

/// Decodes TEXT escapes: `\,` `\;` `\\` and `\n` / `\N` for a newline.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a TEXT list (CATEGORIES) on the commas that are not escaped.
fn text_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push('\\');
                current.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            ',' => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .iter()
        .map(|item| unescape(item).trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
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

fn is_time(property: &Property) -> bool {
    matches!(property.name.as_str(), "DTSTART" | "DTEND")
}

fn is_utc(value: &str) -> bool {
    value.trim().ends_with(['Z', 'z'])
}

/// An IANA zone for a TZID as producers write it: `Europe/Berlin`, `"Europe/Berlin"`,
/// `/Europe/Berlin`, `/mozilla.org/20050126_1/Europe/Berlin`, `europe/berlin`.
fn lookup_zone(name: &str) -> Option<Tz> {
    let mut rest = name.trim().trim_matches('"').trim().trim_start_matches('/');
    loop {
        if let Ok(zone) = rest.parse::<Tz>() {
            return Some(zone);
        }
        if let Some(zone) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|zone| zone.name().eq_ignore_ascii_case(rest))
        {
            return Some(*zone);
        }
        rest = rest.split_once('/')?.1;
    }
}

/// A DTSTART or DTEND as written.
#[derive(Debug, Clone, PartialEq)]
enum When {
    /// All day: the day starts at local midnight.
    Date(NaiveDate),
    /// Ends in Z.
    Utc(NaiveDateTime),
    /// With a TZID, or floating (read in the calendar's zone).
    Local(NaiveDateTime, Option<String>),
}

impl When {
    fn read(property: &Property) -> Result<When, String> {
        let value = property.value.trim();
        let bad = || {
            format!(
                "{} \"{value}\" is not an iCalendar date-time (such as 20240913T100000, 20240913T100000Z or 20240913)",
                property.name
            )
        };
        let (body, utc) = match value.strip_suffix(['Z', 'z']) {
            Some(body) => (body, true),
            None => (value, false),
        };
        let compact: String = body.chars().filter(|c| !matches!(c, '-' | ':')).collect();
        let (date, clock) = match compact.split_once(['T', 't']) {
            Some((date, clock)) => (date, Some(clock)),
            None => (compact.as_str(), None),
        };
        let date = date_of(date).ok_or_else(bad)?;
        match clock {
            None if !utc => Ok(When::Date(date)),
            None => Err(bad()),
            Some(clock) => {
                let at = date.and_time(time_of(clock).ok_or_else(bad)?);
                if utc {
                    Ok(When::Utc(at))
                } else {
                    let zone = property.first_param("TZID").map(str::to_string);
                    Ok(When::Local(at, zone))
                }
            }
        }
    }

    /// The instant, in the zone it was written in (UTC for Z times).
    fn place(&self, calendar_zone: Tz) -> Result<DateTime<Tz>, String> {
        match self {
            When::Date(date) => local(date.and_time(NaiveTime::MIN), calendar_zone),
            When::Utc(at) => Ok(chrono_tz::UTC.from_utc_datetime(at)),
            When::Local(at, None) => local(*at, calendar_zone),
            When::Local(at, Some(name)) => {
                let zone = lookup_zone(name).ok_or_else(|| {
                    format!("TZID \"{name}\" is not a known time zone: use an IANA name such as Europe/Berlin")
                })?;
                local(*at, zone)
            }
        }
    }
}

/// YYYYMMDD.
fn date_of(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits[..4].parse().ok()?,
        digits[4..6].parse().ok()?,
        digits[6..].parse().ok()?,
    )
}

/// HHMMSS or HHMM.
fn time_of(digits: &str) -> Option<NaiveTime> {
    if !matches!(digits.len(), 4 | 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = match digits.get(4..) {
        Some("") | None => 0,
        Some(s) => s.parse().ok()?,
    };
    NaiveTime::from_hms_opt(digits[..2].parse().ok()?, digits[2..4].parse().ok()?, seconds)
}

fn local(at: NaiveDateTime, zone: Tz) -> Result<DateTime<Tz>, String> {
    let shown = at.format("%Y-%m-%dT%H:%M").to_string();
    time::resolve_local(at, zone, &shown).map_err(|err| err.to_string())
}

/// An ISO 8601 duration as iCalendar writes it (`PT1H30M`, `P1D`, `P2W`, `-PT5M`):
/// whole days, which keep the wall clock, and seconds.
fn duration_of(value: &str) -> Option<(i64, i64)> {
    let value = value.trim();
    let (sign, rest) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds) = (0i64, 0i64);
    let mut in_time = false;
    let mut digits = String::new();
    let mut parts = 0;
    for c in rest.chars().map(|c| c.to_ascii_uppercase()) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c == 'T' && digits.is_empty() && !in_time {
            in_time = true;
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let (add_days, add_seconds) = match (in_time, c) {
            (false, 'W') => (n.checked_mul(7)?, 0),
            (false, 'D') => (n, 0),
            (true, 'H') => (0, n.checked_mul(3600)?),
            (true, 'M') => (0, n.checked_mul(60)?),
            (true, 'S') => (0, n),
            _ => return None,
        };
        days = days.checked_add(add_days)?;
        seconds = seconds.checked_add(add_seconds)?;
        parts += 1;
    }
    if !digits.is_empty() || parts == 0 {
        return None;
    }
    Some((sign * days, sign * seconds))
}

/// `start` plus a duration: days move the wall clock in the start's zone, seconds the instant.
fn add_duration(start: DateTime<Tz>, days: i64, seconds: i64) -> Result<DateTime<Tz>, String> {
    let too_far = || "the DURATION reaches past the calendar's range".to_string();
    let mut end = start;
    if days != 0 {
        let wall = start.naive_local();
        let wall = if days > 0 {
            wall.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            wall.checked_sub_days(Days::new(days.unsigned_abs()))
        }
        .ok_or_else(too_far)?;
        end = local(wall, start.timezone())?;
    }
    end.checked_add_signed(TimeDelta::try_seconds(seconds).ok_or_else(too_far)?)
        .ok_or_else(too_far)
}

impl Event {
    fn get(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(Property::text)
    }

    fn uid(&self) -> Option<String> {
        self.text("UID").filter(|uid| !uid.is_empty())
    }

    /// The session id the UID gives: pretalx's submission code, else the part before '@'.
    fn id(&self) -> Option<String> {
        let uid = self.uid()?;
        let local = uid.split('@').next().unwrap_or_default().trim();
        let id = match local.strip_prefix("pretalx-") {
            Some(rest) => rest.rsplit('-').next().unwrap_or(rest),
            None => local,
        };
        Some(if id.is_empty() { uid.as_str() } else { id }.to_string())
    }

    /// The session, or why this event cannot be one.
    fn session(&self, zone: Tz, calendar_is_pretalx: bool) -> Result<DraftSession, String> {
        if !self.complete {
            return Err("it has no END:VEVENT; the file may be truncated".to_string());
        }
        if self.text("STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")) {
            return Err("its STATUS is CANCELLED".to_string());
        }
        let summary = self
            .text("SUMMARY")
            .filter(|s| !s.is_empty())
            .ok_or("it has no SUMMARY, so the session would have no title")?;
        let start_property = self
            .get("DTSTART")
            .ok_or("it has no DTSTART, so it is not placed in time")?;
        let start_when = When::read(start_property)?;
        let start = start_when.place(zone)?;
        let end = match (self.get("DTEND"), self.get("DURATION")) {
            (Some(end), _) => When::read(end)?.place(zone)?,
            (None, Some(length)) => {
                let (days, seconds) = duration_of(&length.value).ok_or_else(|| {
                    format!(
                        "DURATION \"{}\" is not an iCalendar duration (such as PT1H30M or P1D)",
                        length.value.trim()
                    )
                })?;
                add_duration(start, days, seconds)?
            }
            (None, None) if matches!(start_when, When::Date(_)) => add_duration(start, 1, 0)?,
            (None, None) => start,
        };
        if end < start {
            return Err(format!(
                "it ends ({}) before it starts ({})",
                time::rfc3339(&end.with_timezone(&zone)),
                time::rfc3339(&start.with_timezone(&zone))
            ));
        }
        let pretalx = calendar_is_pretalx
            || self
                .uid()
                .is_some_and(|uid| uid.to_ascii_lowercase().starts_with("pretalx-"));
        let (title, speakers) = if pretalx {
            pretalx_summary(&summary)
        } else {
            (summary, self.people())
        };
        let categories = self
            .properties
            .iter()
            .filter(|p| p.name == "CATEGORIES")
            .flat_map(|p| text_list(&p.value))
            .collect::<Vec<_>>();
        let start = start.with_timezone(&zone);
        let id = self
            .id()
            .unwrap_or_else(|| import::slug(&format!("{title} {}", start.format("%Y-%m-%d %H:%M"))));
        Ok(DraftSession {
            id,
            kind: import::kind_from_type(&categories.join(" "), &title),
            title,
            subtitle: None,
            start,
            end: end.with_timezone(&zone),
            room: self.text("LOCATION").filter(|r| !r.is_empty()),
            track: categories.into_iter().next(),
            speakers: speakers
                .into_iter()
                .map(|name| DraftSpeaker {
                    name,
                    ..DraftSpeaker::default()
                })
                .collect(),
            abstract_text: self.abstract_text(),
            url: self
                .get("URL")
                .map(|p| p.value.trim().to_string())
                .filter(|u| !u.is_empty()),
            line: Some(self.line),
        })
    }

    /// The CN of ORGANIZER and ATTENDEE, each name once.
    fn people(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for property in &self.properties {
            if !matches!(property.name.as_str(), "ORGANIZER" | "ATTENDEE") {
                continue;
            }
            for cn in property.param("CN").unwrap_or_default() {
                let name = person_name(cn);
                if !name.is_empty() && !seen.contains(&name) {
                    seen.insert(name.clone());
                    names.push(name);
                }
            }
        }
        names
    }

    /// DESCRIPTION as plain text; X-ALT-DESC (HTML) when there is no DESCRIPTION.
    fn abstract_text(&self) -> Option<String> {
        let text = match self.text("DESCRIPTION").filter(|d| !d.is_empty()) {
            Some(description) if looks_like_html(&description) => import::html_to_text(&description),
            Some(description) => description,
            None => import::html_to_text(&self.text("X-ALT-DESC")?),
        };
        Some(text.trim().to_string()).filter(|t| !t.is_empty())
    }
}

/// pretalx writes "Title - A, B": the speakers follow the last " - ".
fn pretalx_summary(summary: &str) -> (String, Vec<String>) {
    let summary = summary.trim();
    if let Some(title) = summary.strip_suffix(" -") {
        return (title.trim().to_string(), Vec::new());
    }
    match summary.rsplit_once(" - ") {
        Some((title, names)) if !title.trim().is_empty() => (
            title.trim().to_string(),
            names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => (summary.to_string(), Vec::new()),
    }
}

/// A CN parameter as a name: RFC 6868 `^n` `^'` `^^` and stray TEXT escapes decoded.
fn person_name(cn: &str) -> String {
    let mut out = String::with_capacity(cn.len());
    let mut chars = cn.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('^', Some('n' | 'N')) => out.push(' '),
            ('^', Some('\'')) => out.push('"'),
            ('^', Some('^')) => out.push('^'),
            ('\\', Some('n' | 'N')) => out.push(' '),
            ('\\', Some(next @ (',' | ';' | '\\'))) => out.push(next),
            _ => {
                out.push(c);
                continue;
            }
        }
        chars.next();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn looks_like_html(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["</", "<br", "<p>", "<p ", "<ul>", "<li>", "<div", "<a href"]
        .iter()
        .any(|tag| lower.contains(tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Session, SessionKind, Severity};
    use crate::time::rfc3339;
    use chrono_tz::Europe::Berlin;

    const PRETALX: &str = include_str!("../../tests/fixtures/ical-pretalx.ics");
    const QUIRKS: &str = include_str!("../../tests/fixtures/ical-quirks.ics");

    /// A calendar around `events`, with the given calendar-level lines.
    fn calendar(head: &str, events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n{head}{events}END:VCALENDAR\r\n")
    }

    fn load(text: &str, fallback: Option<Tz>) -> Loaded {
        match parse(text, "test.ics", fallback) {
            Ok(loaded) => loaded,
            Err(errors) => panic!("{errors}"),
        }
    }

    fn only(loaded: &Loaded) -> &Session {
        assert_eq!(loaded.schedule.sessions().len(), 1, "{:?}", loaded.schedule.sessions());
        &loaded.schedule.sessions()[0]
    }

    fn speaker_names(loaded: &Loaded, session: &Session) -> Vec<String> {
        loaded
            .schedule
            .speaker_names(session)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn errors(text: &str, fallback: Option<Tz>) -> Vec<Diagnostic> {
        match parse(text, "test.ics", fallback) {
            Ok(loaded) => panic!("expected an error, read {} sessions", loaded.schedule.sessions().len()),
            Err(ScheduleErrors(diagnostics)) => diagnostics,
        }
    }

    fn errors_of(text: &str) -> Vec<Diagnostic> {
        errors(text, Some(Berlin))
    }

    const BERLIN_HEAD: &str = "X-WR-TIMEZONE:Europe/Berlin\r\n";

    #[test]
    fn looks_like_reads_the_first_line_past_a_bom() {
        assert!(looks_like("\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(looks_like("\n\n  begin:vcalendar\n"));
        assert!(!looks_like("[conference]\nname = \"x\"\n"));
        assert!(!looks_like(""));
        assert!(!looks_like("VERSION:2.0\nBEGIN:VCALENDAR\n"));
    }

    #[test]
    fn folded_lines_are_joined_with_crlf_or_lf() {
        for newline in ["\r\n", "\n"] {
            let text = calendar(
                BERLIN_HEAD,
                "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T1\r\n 10000\r\nSUMMARY:A very lo\r\n ng title that\r\n\t wraps\r\nDESCRIPTION:Erzä\r\n hlen\r\nEND:VEVENT\r\n",
            )
            .replace("\r\n", newline);
            let loaded = load(&text, None);
            let session = only(&loaded);
            assert_eq!(session.title, "A very long title that wraps");
            assert_eq!(session.abstract_text.as_deref(), Some("Erzählen"));
            assert_eq!(rfc3339(&session.end), "2024-09-13T11:00:00+02:00");
        }
    }

    #[test]
    fn text_escapes_are_decoded_and_leading_spaces_trimmed() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:  Commas\\, semicolons\\; and \\\\ backslashes\r\nDESCRIPTION: One\\nTwo\\NThree\r\nLOCATION:   Room A\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.title, "Commas, semicolons; and \\ backslashes");
        assert_eq!(session.abstract_text.as_deref(), Some("One\nTwo\nThree"));
        assert_eq!(session.room.as_deref(), Some("Room A"));
    }

    #[test]
    fn parameters_may_be_quoted_and_hold_separators() {
        let p = property(7, "ORGANIZER;CN=\"Doe, Jane: PhD\";ROLE=CHAIR:mailto:jane@example.org").unwrap();
        assert_eq!(p.line, 7);
        assert_eq!(p.name, "ORGANIZER");
        assert_eq!(p.param("CN"), Some(&["Doe, Jane: PhD".to_string()][..]));
        assert_eq!(p.first_param("ROLE"), Some("CHAIR"));
        assert_eq!(p.value, "mailto:jane@example.org");
        assert_eq!(property(1, "no colon here"), None);
        assert_eq!(property(1, "BAD NAME:x"), None);
        assert_eq!(property(1, "X;CN=\"unterminated:x"), None);
    }

    #[test]
    fn tzid_times_are_converted_into_the_calendar_zone() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:ny\r\nDTSTART;TZID=America/New_York:20240913T100000\r\nDTEND;TZID=\"America/New_York\":20240913T110000\r\nSUMMARY:From New York\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:slash\r\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20240914T100000\r\nDTEND;TZID=/Europe/London:20240914T110000\r\nSUMMARY:From London\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let sessions = loaded.schedule.sessions();
        assert_eq!(loaded.schedule.timezone(), Berlin);
        assert_eq!(rfc3339(&sessions[0].start), "2024-09-13T16:00:00+02:00");
        assert_eq!(rfc3339(&sessions[0].end), "2024-09-13T17:00:00+02:00");
        assert_eq!(rfc3339(&sessions[1].start), "2024-09-14T11:00:00+02:00");
    }

    #[test]
    fn an_unknown_tzid_skips_the_event() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Mars/Olympus:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:On Mars\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:On Earth\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(only(&loaded).title, "On Earth");
        assert_eq!(
            loaded.warnings[0].message,
            "VEVENT \"On Mars\" skipped: TZID \"Mars/Olympus\" is not a known time zone: use an IANA name such as Europe/Berlin"
        );
    }

    #[test]
    fn utc_times_are_moved_into_the_calendar_zone() {
        let text = calendar(
            "VTIMEZONE: Europe/Rome\r\n",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000Z\r\nDTEND:20240913T110000Z\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(loaded.schedule.timezone(), chrono_tz::Europe::Rome);
        assert_eq!(rfc3339(&only(&loaded).start), "2024-09-13T12:00:00+02:00");
    }

    #[test]
    fn floating_times_are_read_in_the_fallback_zone() {
        let text = calendar(
            "",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240201T093000\r\nDTEND:20240201T100000\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, Some(chrono_tz::America::New_York));
        assert_eq!(rfc3339(&only(&loaded).start), "2024-02-01T09:30:00-05:00");
    }

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
    fn date_only_events_last_whole_days() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:camp\r\nDTSTART;VALUE=DATE:20240913\r\nDTEND;VALUE=DATE:20240915\r\nSUMMARY:Camp\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:day\r\nDTSTART:20241027\r\nSUMMARY:Clocks go back\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let camp = loaded.schedule.session("camp").unwrap();
        assert_eq!(rfc3339(&camp.start), "2024-09-13T00:00:00+02:00");
        assert_eq!(rfc3339(&camp.end), "2024-09-15T00:00:00+02:00");
        let day = loaded.schedule.session("day").unwrap();
        assert_eq!(rfc3339(&day.start), "2024-10-27T00:00:00+02:00");
        assert_eq!(rfc3339(&day.end), "2024-10-28T00:00:00+01:00");
    }

    #[test]
    fn duration_gives_the_end() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:talk\r\nDTSTART:20240913T100000\r\nDURATION:PT1H30M\r\nSUMMARY:Talk\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:hack\r\nDTSTART:20241026T120000\r\nDURATION:P1D\r\nSUMMARY:Hackathon\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:week\r\nDTSTART:20240101T090000Z\r\nDURATION:P1WT1S\r\nSUMMARY:Week\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let end = |id: &str| rfc3339(&loaded.schedule.session(id).unwrap().end);
        assert_eq!(end("talk"), "2024-09-13T11:30:00+02:00");
        // A day keeps the wall clock across the end of summer time.
        assert_eq!(end("hack"), "2024-10-27T12:00:00+01:00");
        assert_eq!(end("week"), "2024-01-08T10:00:01+01:00");
        assert_eq!(duration_of("-PT5M"), Some((0, -300)));
        for bad in ["", "P", "PT", "1H", "PT1D", "P1H", "PT5", "P99999999999999999999D"] {
            assert_eq!(duration_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pretalx_summaries_are_split_into_title_and_speakers() {
        let text = "BEGIN:VCALENDAR\r\nPRODID:-//pretalx//pretalx.example.org//\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
             BEGIN:VEVENT\r\nUID:pretalx-democon-2024-AB3XYZ@pretalx.example.org\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\n\
             SUMMARY:Tables - a story\\, with commas - Ada Example\\, Bo Sample\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let loaded = load(text, None);
        let session = only(&loaded);
        assert_eq!(session.id, "AB3XYZ");
        assert_eq!(session.title, "Tables - a story, with commas");
        assert_eq!(speaker_names(&loaded, session), ["Ada Example", "Bo Sample"]);
        assert_eq!(pretalx_summary("Untitled -"), ("Untitled".to_string(), vec![]));
        assert_eq!(pretalx_summary("No speakers"), ("No speakers".to_string(), vec![]));
    }

    #[test]
    fn organizer_and_attendee_names_become_speakers() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Panel - open questions\r\n\
             ORGANIZER;CN=Ada Example, Bo Sample:MAILTO:info@example.org\r\n\
             ATTENDEE;ROLE=REQ-PARTICIPANT;CN=\"Sample, Cy\":mailto:cy@example.org\r\n\
             ATTENDEE:mailto:nameless@example.org\r\nATTENDEE;CN=Dee Trailing\\n:mailto:d@example.org\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.title, "Panel - open questions");
        assert_eq!(
            speaker_names(&loaded, session),
            ["Ada Example", "Bo Sample", "Sample, Cy", "Dee Trailing"]
        );
    }

    #[test]
    fn ids_come_from_the_uid_or_the_title() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:12345@example.org\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:One\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nDTSTART:20240913T110000\r\nDTEND:20240913T120000\r\nSUMMARY:Coffee break\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let sessions = loaded.schedule.sessions();
        assert_eq!(sessions[0].id, "12345");
        assert_eq!(sessions[1].id, "coffee-break-2024-09-13-11-00");
        assert_eq!(sessions[1].kind, SessionKind::Break);
    }

    #[test]
    fn categories_give_track_and_kind_and_html_becomes_text() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:Welcome\r\nCATEGORIES:Keynote,Main\\, big\r\n\
             DESCRIPTION:<p>Hello &amp; welcome</p><p>Two</p>\r\nURL: https://example.org/a\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let session = only(&loaded);
        assert_eq!(session.track.as_deref(), Some("Keynote"));
        assert_eq!(session.kind, SessionKind::Keynote);
        assert_eq!(session.abstract_text.as_deref(), Some("Hello & welcome\n\nTwo"));
        assert_eq!(session.url.as_deref(), Some("https://example.org/a"));
        assert_eq!(text_list("Main\\, big,,Other"), ["Main, big", "Other"]);
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
