//! confbot's own schedule format: TOML with local times read in the conference's zone.
//! See README.md, "The schedule format", for a complete example.

use super::{Conference, Diagnostic, LineIndex, Loaded, Schedule, ScheduleErrors, Session, SessionKind, Speaker};
use crate::{duration, text, time};
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;

mod overlaps;
mod write;

pub use overlaps::overlaps;
pub use write::to_toml;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    conference: RawConference,
    #[serde(default)]
    speakers: Vec<RawSpeaker>,
    #[serde(default)]
    sessions: Vec<RawSession>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConference {
    name: String,
    timezone: Option<Spanned<String>>,
    venue: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpeaker {
    id: Spanned<String>,
    name: String,
    bio: Option<String>,
    #[serde(default)]
    links: Vec<String>,
    matrix: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    id: Spanned<String>,
    title: Spanned<String>,
    subtitle: Option<String>,
    #[serde(default)]
    kind: SessionKind,
    start: Spanned<String>,
    end: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
    room: Option<String>,
    track: Option<String>,
    speakers: Option<Spanned<Vec<String>>>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    url: Option<String>,
}

/// Reads a schedule in confbot's TOML format. `source` names the document in messages;
/// `fallback_zone` is used only when the document names no zone.
pub fn parse(text: &str, source: &str, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
    let lines = LineIndex::new(text);
    let raw: RawDocument = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|span| lines.line_of(span.start));
        ScheduleErrors(vec![Diagnostic::error(
            source,
            line,
            None,
            err.message().trim().to_string(),
        )])
    })?;
    Reader {
        source,
        lines,
        diagnostics: Vec::new(),
    }
    .read(raw, fallback_zone)
}

struct Reader<'a> {
    source: &'a str,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
}

/// A session whose times have been read; `end` may still come from the next session.
struct Timed {
    raw: RawSession,
    start: DateTime<Tz>,
    end: Option<DateTime<Tz>>,
}

impl Reader<'_> {
    fn line<T>(&self, spanned: &Spanned<T>) -> Option<usize> {
        Some(self.lines.line_of(spanned.span().start))
    }

    fn error<T>(&mut self, at: &Spanned<T>, session: Option<&str>, message: String) {
        let line = self.line(at);
        self.diagnostics
            .push(Diagnostic::error(self.source, line, session, message));
    }

    fn read(mut self, raw: RawDocument, fallback_zone: Option<Tz>) -> Result<Loaded, ScheduleErrors> {
        let zone = self.zone(&raw.conference, fallback_zone);
        let speakers = self.speakers(raw.speakers);
        let known: HashMap<&str, ()> = speakers.iter().map(|s| (s.id.as_str(), ())).collect();
        self.check_sessions(&raw.sessions, &known);
        let Some(zone) = zone else {
            return Err(ScheduleErrors(self.diagnostics));
        };
        let timed = self.times(raw.sessions, zone);
        let sessions = self.fill_ends(timed);
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            self.diagnostics.sort_by_key(|d| d.line);
            return Err(ScheduleErrors(self.diagnostics));
        }
        let conference = Conference {
            name: raw.conference.name,
            timezone: zone,
            venue: raw.conference.venue,
            url: raw.conference.url,
        };
        let schedule = Schedule::new(conference, sessions, speakers);
        let mut warnings = self.diagnostics;
        warnings.extend(overlaps(&schedule, self.source));
        Ok(Loaded { schedule, warnings })
    }

    fn zone(&mut self, conference: &RawConference, fallback: Option<Tz>) -> Option<Tz> {
        let Some(name) = &conference.timezone else {
            if fallback.is_none() {
                self.diagnostics.push(Diagnostic::error(
                    self.source,
                    None,
                    None,
                    "[conference] has no timezone: add timezone = \"Europe/Brussels\" (any IANA zone name)".to_string(),
                ));
            }
            return fallback;
        };
        match name.get_ref().parse::<Tz>() {
            Ok(zone) => Some(zone),
            Err(_) => {
                let hint = time::closest_zone(name.get_ref())
                    .map(|zone| format!("did you mean \"{zone}\"?"))
                    .unwrap_or_else(|| {
                        "use an IANA zone name such as \"Europe/Brussels\" or \"America/New_York\"".to_string()
                    });
                self.error(
                    name,
                    None,
                    format!(
                        "[conference] timezone \"{}\" is not a known time zone: {hint}",
                        name.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn speakers(&mut self, raw: Vec<RawSpeaker>) -> Vec<Speaker> {
        let mut lines_by_id: HashMap<String, Option<usize>> = HashMap::new();
        let mut speakers = Vec::new();
        for speaker in raw {
            let id = speaker.id.get_ref().clone();
            if let Some(first) = lines_by_id.get(&id) {
                let message = format!(
                    "speaker id \"{id}\" is used twice (first{}): give each [[speakers]] entry its own id",
                    first.map(|l| format!(" on line {l}")).unwrap_or_default()
                );
                self.error(&speaker.id, None, message);
                continue;
            }
            lines_by_id.insert(id.clone(), self.line(&speaker.id));
            let matrix = speaker.matrix.and_then(|matrix| {
                if crate::config::is_user_id(matrix.get_ref()) {
                    return Some(matrix.into_inner());
                }
                let message = format!(
                    "speaker \"{id}\": matrix = \"{}\" is not a Matrix ID: write it as \"@name:server\"",
                    matrix.get_ref()
                );
                self.error(&matrix, None, message);
                None
            });
            speakers.push(Speaker {
                id,
                name: speaker.name,
                bio: speaker.bio,
                links: speaker.links,
                matrix,
            });
        }
        speakers
    }

    /// Checks that need no clock: unique ids, known speakers, non-empty titles.
    fn check_sessions(&mut self, sessions: &[RawSession], known: &HashMap<&str, ()>) {
        let mut first_line: HashMap<&str, Option<usize>> = HashMap::new();
        let mut hints = 0;
        for session in sessions {
            let id = session.id.get_ref().as_str();
            if id.trim().is_empty() {
                self.error(
                    &session.id,
                    None,
                    "id is empty: give every session a short stable id such as \"rheldevel\"".to_string(),
                );
            }
            if let Some(first) = first_line.get(id) {
                let message = format!(
                    "id \"{id}\" is used twice (first{}): give each session its own id",
                    first.map(|l| format!(" on line {l}")).unwrap_or_default()
                );
                self.error(&session.id, Some(id), message);
            } else {
                first_line.insert(id, self.line(&session.id));
            }
            if session.title.get_ref().trim().is_empty() {
                self.error(
                    &session.title,
                    Some(id),
                    "title is empty: every session needs a title".to_string(),
                );
            }
            let Some(speakers) = &session.speakers else {
                continue;
            };
            for speaker in speakers.get_ref() {
                if !known.contains_key(speaker.as_str()) {
                    hints += 1;
                    let hint = (hints <= MAX_SPEAKER_HINTS)
                        .then(|| text::closest(speaker, known.keys().copied()))
                        .flatten()
                        .map(|s| format!("did you mean \"{s}\"? "))
                        .unwrap_or_default();
                    let message = format!(
                        "speaker \"{speaker}\" is not defined: {hint}add a [[speakers]] entry with id = \"{speaker}\" or fix the id in speakers"
                    );
                    self.error(speakers, Some(id), message);
                }
            }
        }
    }

    fn times(&mut self, sessions: Vec<RawSession>, zone: Tz) -> Vec<Timed> {
        let mut timed = Vec::new();
        for raw in sessions {
            let id = raw.id.get_ref().clone();
            let start = match time::parse_instant(raw.start.get_ref(), zone) {
                Ok(start) => start,
                Err(err) => {
                    self.error(&raw.start, Some(&id), format!("start: {err}"));
                    continue;
                }
            };
            let end = match (&raw.end, &raw.duration) {
                (Some(end), Some(_)) => {
                    self.error(
                        end,
                        Some(&id),
                        "has both end and duration: keep one of them".to_string(),
                    );
                    continue;
                }
                (Some(end), None) => match time::parse_instant(end.get_ref(), zone) {
                    Ok(end) => Some(end),
                    Err(err) => {
                        self.error(end, Some(&id), format!("end: {err}"));
                        continue;
                    }
                },
                (None, Some(length)) => match duration::parse(length.get_ref()) {
                    Ok(length) => Some(start + length),
                    Err(err) => {
                        self.error(length, Some(&id), format!("duration: {err}"));
                        continue;
                    }
                },
                (None, None) => None,
            };
            if let Some(end) = end {
                if end <= start {
                    let message = format!(
                        "end {} is not after start {}: fix end, or write duration = \"25m\" instead",
                        time::clock(&end),
                        time::clock(&start)
                    );
                    let at = raw.end.as_ref().or(raw.duration.as_ref()).unwrap_or(&raw.start);
                    self.error(at, Some(&id), message);
                    continue;
                }
            }
            timed.push(Timed { raw, start, end });
        }
        timed
    }

    /// A session without an end ends when the next session in its room starts that day.
    fn fill_ends(&mut self, timed: Vec<Timed>) -> Vec<Session> {
        let mut by_room: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for (i, t) in timed.iter().enumerate() {
            by_room.entry(t.raw.room.clone()).or_default().push(i);
        }
        let mut ends: Vec<Option<DateTime<Tz>>> = timed.iter().map(|t| t.end).collect();
        for positions in by_room.values_mut() {
            positions.sort_by_key(|&i| timed[i].start);
            // For each position, the first later start in the room: found from the end,
            // so that many sessions starting together cost linear work.
            let mut next_starts: Vec<Option<DateTime<Tz>>> = vec![None; positions.len()];
            for k in (0..positions.len().saturating_sub(1)).rev() {
                let (this, after) = (timed[positions[k]].start, timed[positions[k + 1]].start);
                next_starts[k] = if after > this { Some(after) } else { next_starts[k + 1] };
            }
            for (k, &i) in positions.iter().enumerate() {
                if ends[i].is_some() {
                    continue;
                }
                let this = &timed[i];
                match next_starts[k] {
                    Some(next) if next.date_naive() == this.start.date_naive() => ends[i] = Some(next),
                    _ => {
                        let message = format!(
                            "has no end and is the last session of {} in {}: add end = \"{}\" or duration = \"25m\"",
                            this.start.date_naive(),
                            this.raw
                                .room
                                .as_deref()
                                .map(|r| format!("room \"{r}\""))
                                .unwrap_or_else(|| "its room".to_string()),
                            (this.start + TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M"),
                        );
                        let id = this.raw.id.get_ref().clone();
                        self.error(&this.raw.start, Some(&id), message);
                    }
                }
            }
        }
        timed
            .into_iter()
            .zip(ends)
            .filter_map(|(t, end)| {
                Some(Session {
                    id: t.raw.id.into_inner(),
                    title: t.raw.title.into_inner(),
                    subtitle: t.raw.subtitle,
                    kind: t.raw.kind,
                    start: t.start,
                    end: end?,
                    room: t.raw.room,
                    track: t.raw.track,
                    speakers: t.raw.speakers.map(Spanned::into_inner).unwrap_or_default(),
                    abstract_text: t.raw.abstract_text.map(|a| a.trim().to_string()),
                    url: t.raw.url,
                })
            })
            .collect()
    }
}

/// How many unknown speakers get a "did you mean" hint: each hint compares the id with
/// every known speaker, so a file full of unknown ids would cost their number times the
/// speakers'. The errors after these still name the speaker and the fix.
const MAX_SPEAKER_HINTS: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"
[conference]
name = "Test Conf"
timezone = "Europe/Brussels"

[[speakers]]
id = "ada"
name = "Ada Lovelace"
"#;

    fn read(sessions: &str) -> Result<Loaded, ScheduleErrors> {
        parse(&format!("{HEAD}{sessions}"), "test.toml", None)
    }

    #[test]
    fn a_speakers_matrix_id_is_read_and_a_malformed_one_is_named_with_its_line() {
        let doc = |matrix: &str| {
            HEAD.replace(
                "name = \"Ada Lovelace\"",
                &format!("name = \"Ada Lovelace\"\nmatrix = \"{matrix}\""),
            )
        };
        let loaded = parse(&doc("@ada:example.org"), "test.toml", None).unwrap();
        assert_eq!(
            loaded.schedule.speaker("ada").unwrap().matrix.as_deref(),
            Some("@ada:example.org")
        );
        let errs: Vec<String> = (parse(&doc("ada@example.org"), "test.toml", None).unwrap_err().0.iter())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            ["test.toml:9: error: speaker \"ada\": matrix = \"ada@example.org\" is not a Matrix ID: write it as \"@name:server\""]
        );
    }

    fn errors(sessions: &str) -> Vec<String> {
        read(sessions).unwrap_err().0.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn open_ended_sessions_end_when_the_next_in_their_room_starts() {
        let loaded = read(
            r#"
[[sessions]]
id = "a"
title = "First"
start = "2023-02-03T09:00"
room = "R"
[[sessions]]
id = "b"
title = "Second"
start = "2023-02-03T09:25"
duration = "20m"
room = "R"
"#,
        )
        .unwrap();
        let a = loaded.schedule.session("a").unwrap();
        assert_eq!(time::rfc3339(&a.end), "2023-02-03T09:25:00+01:00");
        let b = loaded.schedule.session("b").unwrap();
        assert_eq!(time::rfc3339(&b.end), "2023-02-03T09:45:00+01:00");
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn the_last_session_of_a_day_needs_an_end() {
        let errs = errors(
            r#"
[[sessions]]
id = "late"
title = "Last"
start = "2023-02-03T17:00"
room = "R"
"#,
        );
        assert_eq!(
            errs,
            ["test.toml:13: error: session 'late': has no end and is the last session of 2023-02-03 in room \"R\": add end = \"2023-02-03T18:00\" or duration = \"25m\""]
        );
    }

    #[test]
    fn every_error_names_the_line_the_session_and_the_fix() {
        let errs = errors(
            r#"
[[sessions]]
id = "backwards"
title = "Backwards"
start = "2023-02-03T09:25"
end = "2023-02-03T09:00"

[[sessions]]
id = "ghost"
title = "Ghost speaker"
start = "2023-02-03T10:00"
duration = "25m"
speakers = ["adda"]

[[sessions]]
id = "ghost"
title = "Twice"
start = "2023-02-03T11:00"
duration = "25m"
"#,
        );
        assert_eq!(
            errs,
            [
                "test.toml:14: error: session 'backwards': end 09:00 is not after start 09:25: fix end, or write duration = \"25m\" instead",
                "test.toml:21: error: session 'ghost': speaker \"adda\" is not defined: did you mean \"ada\"? add a [[speakers]] entry with id = \"adda\" or fix the id in speakers",
                "test.toml:24: error: session 'ghost': id \"ghost\" is used twice (first on line 17): give each session its own id",
            ]
        );
    }

    #[test]
    fn an_unknown_zone_suggests_the_intended_one() {
        let errs: Vec<String> = parse(
            "[conference]\nname = \"X\"\ntimezone = \"Europe/Brusels\"\n",
            "x.toml",
            None,
        )
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            errs,
            ["x.toml:3: error: [conference] timezone \"Europe/Brusels\" is not a known time zone: did you mean \"Europe/Brussels\"?"]
        );
    }

    #[test]
    fn a_missing_zone_falls_back_to_the_configured_one() {
        let doc = "[conference]\nname = \"X\"\n[[sessions]]\nid = \"a\"\ntitle = \"A\"\nstart = \"2023-07-01T10:00\"\nduration = \"1h\"\n";
        let errors = parse(doc, "x.toml", None).unwrap_err().to_string();
        assert!(errors.contains("timezone"), "{errors}");
        let loaded = parse(doc, "x.toml", Some(chrono_tz::America::New_York)).unwrap();
        assert_eq!(
            time::rfc3339(&loaded.schedule.sessions()[0].start),
            "2023-07-01T10:00:00-04:00"
        );
    }

    #[test]
    fn unknown_keys_and_kinds_are_named() {
        let errs = errors("[[sessions]]\nid = \"a\"\ntitle = \"A\"\nstart = \"2023-02-03T09:00\"\nlength = \"25m\"\n");
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with("test.toml:13: error: unknown field `length`"),
            "{}",
            errs[0]
        );
        let errs =
            errors("[[sessions]]\nid = \"a\"\ntitle = \"A\"\nkind = \"workshop\"\nstart = \"2023-02-03T09:00\"\n");
        assert!(errs[0].contains("unknown variant `workshop`"), "{}", errs[0]);
        assert!(errs[0].starts_with("test.toml:12:"), "{}", errs[0]);
    }

    #[test]
    fn overlapping_sessions_in_one_room_are_a_warning() {
        let loaded = read(
            r#"
[[sessions]]
id = "a"
title = "Long"
start = "2023-02-03T09:00"
duration = "1h"
room = "R"
[[sessions]]
id = "b"
title = "Clash"
start = "2023-02-03T09:30"
duration = "10m"
room = "R"
"#,
        )
        .unwrap();
        let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            ["test.toml: warning: session 'b': starts at 09:30 in \"R\" while \"Long\" (a) runs there until 10:00"]
        );
    }

    #[test]
    fn an_overlap_warning_shortens_a_long_title_and_id() {
        // Every session that starts during a long one was warned about with a copy of
        // its title and id: title length times sessions in memory.
        let mut doc = format!(
            "[[sessions]]\nid = \"{}\"\ntitle = \"{}\"\nstart = \"2023-02-03T09:00\"\nduration = \"8h\"\nroom = \"R\"\n",
            "i".repeat(10_000),
            "t".repeat(50_000)
        );
        for i in 0..5_000 {
            doc.push_str(&format!(
                "[[sessions]]\nid = \"s{i}\"\ntitle = \"Short\"\nstart = \"2023-02-03T10:00\"\nduration = \"5m\"\nroom = \"R\"\n"
            ));
        }
        let started = std::time::Instant::now();
        let loaded = read(&doc).unwrap();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        assert_eq!(loaded.warnings.len(), 5_000);
        assert_eq!(
            loaded.warnings[0].to_string(),
            format!(
                "test.toml: warning: session 's0': starts at 10:00 in \"R\" while \"{}…\" ({}…) runs there until 17:00",
                "t".repeat(60),
                "i".repeat(60)
            )
        );
    }

    #[test]
    fn many_open_ended_sessions_at_one_time_end_in_linear_work() {
        // Each session without an end looked through all later ones in its room for the
        // next start: quadratic when they all start together.
        let mut doc = String::new();
        for i in 0..40_000 {
            doc.push_str(&format!(
                "[[sessions]]\nid = \"s{i}\"\ntitle = \"T\"\nstart = \"2023-02-03T10:00\"\nroom = \"R\"\n"
            ));
        }
        doc.push_str("[[sessions]]\nid = \"next\"\ntitle = \"Next\"\nstart = \"2023-02-03T11:00\"\nduration = \"5m\"\nroom = \"R\"\n");
        let started = std::time::Instant::now();
        let loaded = read(&doc).unwrap();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(1000), "{took:?}");
        let s = &loaded.schedule;
        assert_eq!(s.sessions().len(), 40_001);
        assert_eq!(
            time::rfc3339(&s.session("s0").unwrap().end),
            "2023-02-03T11:00:00+01:00"
        );
        assert_eq!(
            time::rfc3339(&s.session("s39999").unwrap().end),
            "2023-02-03T11:00:00+01:00"
        );
    }

    #[test]
    fn hints_for_unknown_speakers_are_bounded() {
        // Each unknown speaker was compared with every known one for a hint.
        let mut doc = String::new();
        for i in 0..5_000 {
            doc.push_str(&format!("[[speakers]]\nid = \"s{i:05}\"\nname = \"N\"\n"));
        }
        let unknown: Vec<String> = (0..5_000).map(|i| format!("\"x{i:05}\"")).collect();
        doc.push_str(&format!(
            "[[sessions]]\nid = \"crowd\"\ntitle = \"Crowd\"\nstart = \"2023-02-03T10:00\"\nduration = \"5m\"\nspeakers = [{}]\n",
            unknown.join(", ")
        ));
        let started = std::time::Instant::now();
        let errs = errors(&doc);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(200), "{took:?}");
        assert_eq!(errs.len(), 5_000);
        assert_eq!(
            errs[0],
            "test.toml:15014: error: session 'crowd': speaker \"x00000\" is not defined: did you mean \"s00000\"? add a [[speakers]] entry with id = \"x00000\" or fix the id in speakers"
        );
        assert_eq!(
            errs[MAX_SPEAKER_HINTS],
            format!("test.toml:15014: error: session 'crowd': speaker \"x{MAX_SPEAKER_HINTS:05}\" is not defined: add a [[speakers]] entry with id = \"x{MAX_SPEAKER_HINTS:05}\" or fix the id in speakers")
        );
    }

    #[test]
    fn times_the_zone_skips_or_repeats_are_errors() {
        let doc = r#"
[conference]
name = "Fall"
timezone = "America/New_York"
[[sessions]]
id = "twice"
title = "Twice"
start = "2023-11-05T01:30"
duration = "20m"
[[sessions]]
id = "never"
title = "Never"
start = "2023-03-12T02:30"
duration = "20m"
"#;
        let errs: Vec<String> = parse(doc, "ny.toml", None)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0].starts_with("ny.toml:8: error: session 'twice': start: 2023-11-05T01:30 happens twice"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with("ny.toml:13: error: session 'never': start: 2023-03-12T02:30 does not exist"),
            "{}",
            errs[1]
        );
    }
}
