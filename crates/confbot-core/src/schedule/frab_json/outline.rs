//! An outline of a JSON document: where each value starts, found in one bounded pass, so
//! that a session's line can be named and a document nested too deep is refused before
//! serde reads it.

use super::*;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    pub(super) fn key(name: &str) -> Step {
        Step::Key(name.to_string())
    }
}

/// A step as the outline keeps it: a member name by its number in [`Outline::names`], so
/// that a name costs its length once, not once for every object under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Mark {
    Key(usize),
    Index(usize),
}

/// What a quick pass over the text finds: serde_json's `Value` keeps no positions.
#[derive(Default)]
pub(super) struct Outline {
    /// The member names on the paths kept, each once, with its number.
    pub(super) names: HashMap<String, usize>,
    /// Where each object and array starts, by path, for paths up to the given depth.
    pub(super) starts: HashMap<Vec<Mark>, usize>,
    /// The member names of the top-level object.
    pub(super) top_keys: Vec<String>,
}

impl Outline {
    /// The byte offset where the object or array at `path` starts.
    pub(super) fn start(&self, path: &[Step]) -> Option<usize> {
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
    pub(super) fn name(&mut self, name: String) -> usize {
        let next = self.names.len();
        *self.names.entry(name).or_insert(next)
    }
}

pub(super) enum Frame {
    Object { key: Option<usize>, expecting_key: bool },
    Array { index: usize },
}

/// Walks the text once, tracking strings and nesting; never fails, so it also outlines
/// broken or truncated JSON as far as it goes.
pub(super) fn outline(text: &str, max_depth: usize) -> Outline {
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
pub(super) fn string_end(bytes: &[u8], start: usize) -> usize {
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
    use super::super::testing::*;
    use super::*;

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
}
