//! Reading the events of a frab or pretalx document (v1's days and rooms, or schedule 2.0's
//! flat lists with references) into draft sessions, each skipped with its place and reason
//! when it cannot be used.

use super::*;

pub(super) struct Reader<'a> {
    pub(super) source: &'a str,
    pub(super) zone: Tz,
    pub(super) lines: LineIndex,
    /// Where the objects are in the text (see [`outline`]).
    pub(super) outline: Outline,
    /// The language to pick from localized texts ({"en": …, "de": …}).
    pub(super) language: Option<String>,
    /// Room and track names by guid or slug, for schedule 2.0 references.
    pub(super) rooms: HashMap<String, String>,
    pub(super) tracks: HashMap<String, String>,
    /// Schedule 2.0 top-level persons by guid, id or code.
    pub(super) persons: HashMap<String, &'a Value>,
    /// The speaker ids whose listed biography and links were read.
    pub(super) described: RefCell<HashSet<String>>,
    pub(super) skipped: Vec<Diagnostic>,
}

/// Where an event sits in the document, and what its place says about it.
pub(super) struct Place {
    /// From the root, to find the line.
    pub(super) steps: Vec<Step>,
    /// As messages show it: `days[2].rooms["Curie"][3]`.
    pub(super) shown: String,
    /// The rooms key it is filed under (v1).
    pub(super) room: Option<String>,
    pub(super) day: Option<Day>,
}

/// A v1 day: its date and the wall-clock time at which it hands over to the next one
/// (day_start's time); events that start earlier belong to the next calendar date.
#[derive(Clone, Copy)]
pub(super) struct Day {
    pub(super) date: Option<NaiveDate>,
    pub(super) change_over: Option<NaiveTime>,
}

impl Reader<'_> {
    /// v1: schedule.conference.days[].rooms{ROOM: [event]}.
    pub(super) fn days(&mut self, conference: &Value, base: &[Step]) -> Vec<DraftSession> {
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
    pub(super) fn events(&mut self, events: &[Value], base: &[Step]) -> Vec<DraftSession> {
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
    pub(super) fn event(&mut self, event: &Value, place: &Place) -> Option<DraftSession> {
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
    pub(super) fn session(
        &self,
        event: &Value,
        place: &Place,
        id: Option<String>,
        title: &str,
    ) -> Result<DraftSession, String> {
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
    pub(super) fn start(&self, event: &Value, day: Option<Day>) -> Result<DateTime<Tz>, String> {
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
    pub(super) fn end(&self, event: &Value, start: DateTime<Tz>) -> Result<DateTime<Tz>, String> {
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
    pub(super) fn instant(&self, s: &str) -> Result<DateTime<Tz>, String> {
        if let Ok(instant) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
            return Ok(instant.with_timezone(&self.zone));
        }
        time::parse_instant(s, self.zone).map_err(|err| err.to_string())
    }

    /// A participant, with what the persons list says of it; `kept` is false for a
    /// session that import::finish will skip.
    pub(super) fn speaker(&self, person: &Value, kept: bool) -> Option<DraftSpeaker> {
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
    pub(super) fn reference(&self, value: Option<&Value>, names: &HashMap<String, String>) -> Option<String> {
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
    pub(super) fn localized(&self, value: Option<&Value>) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

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
}
