//! What every imported format has in common: readers turn a file into [`Draft`]s, and
//! [`finish`] turns those into a [`Schedule`], giving speakers ids, making session ids
//! unique, and reporting what it had to skip or change.

use super::{native, Conference, Diagnostic, Loaded, Schedule, ScheduleErrors, Session, SessionKind, Speaker};
use crate::text;
use chrono::DateTime;
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};

/// The longest name read where many sessions share one entry (a frab JSON `rooms` key or
/// an entry of its rooms, tracks or persons lists, a Pentabarf `<room name>`): each
/// session keeps its own copy, so a longer one is skipped, with a warning, rather than
/// copied into thousands of sessions.
pub const MAX_NAME_CHARS: usize = 200;

/// A session as a reader found it, times already placed in the conference's zone.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftSession {
    /// The format's own id (event id, guid, UID…); made unique by [`finish`].
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub kind: SessionKind,
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    pub room: Option<String>,
    pub track: Option<String>,
    pub speakers: Vec<DraftSpeaker>,
    /// Plain text (see [`html_to_text`]).
    pub abstract_text: Option<String>,
    pub url: Option<String>,
    /// Where the session starts in the file, for messages.
    pub line: Option<usize>,
}

/// A speaker as a reader found it: some formats give ids, some only names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DraftSpeaker {
    pub id: Option<String>,
    pub name: String,
    pub bio: Option<String>,
    pub links: Vec<String>,
}

/// A whole file as a reader found it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub conference: Conference,
    pub sessions: Vec<DraftSession>,
    /// Events the reader skipped, each with its place and reason (warnings).
    pub skipped: Vec<Diagnostic>,
}

/// Builds the schedule: speakers get stable ids (the format's id, else a slug of the
/// name), duplicate session ids get a suffix, and every change is a warning.
pub fn finish(draft: Draft, source: &str) -> Result<Loaded, ScheduleErrors> {
    let mut warnings = draft.skipped;
    if draft.sessions.is_empty() {
        let mut errors = warnings;
        errors.push(Diagnostic::error(
            source,
            None,
            None,
            "no sessions could be read from this file",
        ));
        return Err(ScheduleErrors(errors));
    }
    let mut speakers: Vec<Speaker> = Vec::new();
    let mut speaker_by_key: HashMap<String, usize> = HashMap::new();
    let mut speaker_ids = SpeakerIds::default();
    let mut session_ids: HashMap<String, usize> = HashMap::new();
    let mut sessions = Vec::with_capacity(draft.sessions.len());
    for draft_session in draft.sessions {
        if draft_session.end <= draft_session.start {
            warnings.push(Diagnostic::warning(
                source,
                draft_session.line,
                Some(&draft_session.id),
                "skipped: it ends when it starts (no duration)",
            ));
            continue;
        }
        let mut ids = Vec::new();
        let mut listed: HashSet<usize> = HashSet::new();
        for person in draft_session.speakers {
            let name = text::collapse_whitespace(&person.name);
            if name.is_empty() {
                continue;
            }
            let given = person.id.filter(|id| !id.trim().is_empty() && id.trim() != "0");
            let key = given.clone().unwrap_or_else(|| format!("name:{}", text::fold(&name)));
            let position = *speaker_by_key.entry(key).or_insert_with(|| {
                let base = given.unwrap_or_else(|| slug(&name));
                let id = speaker_ids.unique(&base);
                speakers.push(Speaker {
                    id,
                    name: name.clone(),
                    bio: person.bio.clone(),
                    links: person.links.clone(),
                    // Exports carry no Matrix IDs; [speakers.matrix] in the config gives them.
                    matrix: None,
                });
                speakers.len() - 1
            });
            if listed.insert(position) {
                ids.push(speakers[position].id.clone());
            }
        }
        let count = session_ids.entry(draft_session.id.clone()).or_insert(0);
        *count += 1;
        let id = if *count == 1 {
            draft_session.id.clone()
        } else {
            format!("{}-{}", draft_session.id, count)
        };
        sessions.push(Session {
            id,
            title: draft_session.title,
            subtitle: draft_session.subtitle.filter(|s| !s.trim().is_empty()),
            kind: draft_session.kind,
            start: draft_session.start,
            end: draft_session.end,
            room: draft_session.room.filter(|r| !r.trim().is_empty()),
            track: draft_session.track.filter(|t| !t.trim().is_empty()),
            speakers: ids,
            abstract_text: draft_session.abstract_text.filter(|a| !a.trim().is_empty()),
            url: draft_session.url.filter(|u| !u.trim().is_empty()),
        });
    }
    let mut shared: Vec<(&String, &usize)> = session_ids.iter().filter(|(_, &n)| n > 1).collect();
    shared.sort();
    for (id, n) in shared {
        warnings.push(Diagnostic::warning(
            source,
            None,
            Some(id),
            format!("{n} events share this id; they are imported as \"{id}\", \"{id}-2\" … \"{id}-{n}\""),
        ));
    }
    if sessions.is_empty() {
        warnings.push(Diagnostic::error(
            source,
            None,
            None,
            "no sessions could be read from this file",
        ));
        return Err(ScheduleErrors(warnings));
    }
    let schedule = Schedule::new(draft.conference, sessions, speakers);
    warnings.extend(native::overlaps(&schedule, source));
    Ok(Loaded { schedule, warnings })
}

/// The speaker ids given so far, and for each base the suffix its search got to.
#[derive(Default)]
struct SpeakerIds {
    used: HashSet<String>,
    next: HashMap<String, usize>,
}

impl SpeakerIds {
    /// `base`, else the first of `base-2`, `base-3`… not used yet. The search for a base
    /// goes on where it stopped (ids are never given back), so many speakers whose names
    /// slug alike cost linear work, not quadratic.
    fn unique(&mut self, base: &str) -> String {
        let mut n = self.next.get(base).copied().unwrap_or(1);
        let mut id = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.next.insert(base.to_string(), n + 1);
        self.used.insert(id.clone());
        id
    }
}

/// "María Rossi" → "maria-rossi".
pub fn slug(name: &str) -> String {
    let words = text::folded_words(name);
    if words.is_empty() {
        "speaker".to_string()
    } else {
        words.join("-")
    }
}

/// The session kind a format's free-text type suggests ("lecture", "Workshop", "break"…).
pub fn kind_from_type(kind: &str, title: &str) -> SessionKind {
    let kind = text::fold(kind);
    let title = text::fold(title);
    let has = |s: &str, words: &[&str]| words.iter().any(|w| s.contains(w));
    if has(&kind, &["keynote"]) {
        SessionKind::Keynote
    } else if has(&kind, &["break", "pause", "lunch", "coffee"])
        || (kind.is_empty() && has(&title, &["lunch break", "coffee break"]))
    {
        SessionKind::Break
    } else if has(&kind, &["social", "party", "meetup", "get-together", "concert"]) {
        SessionKind::Social
    } else if kind.is_empty()
        || has(
            &kind,
            &[
                "talk",
                "lecture",
                "lightning",
                "presentation",
                "performance",
                "panel",
                "workshop",
            ],
        )
    {
        SessionKind::Talk
    } else {
        SessionKind::Other
    }
}

/// Turns the HTML of schedule descriptions into plain text: paragraphs and line breaks
/// become newlines, tags go, entities are decoded, runs of spaces collapse.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = find_tag(rest) {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&decode_entities(&rest[open..]));
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        match name.as_str() {
            "br" => out.push('\n'),
            "p" | "div" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre" => {
                out.push_str("\n\n")
            }
            "li" if !tag.starts_with('/') => out.push_str("\n- "),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

/// Where the next tag starts: a '<' followed by a letter, '/' or '!' ("a < b" is text).
fn find_tag(s: &str) -> Option<usize> {
    s.match_indices('<')
        .map(|(i, _)| i)
        .find(|&i| s[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!'))
}

/// Collapses spaces within lines and blank-line runs to one blank line.
fn tidy(s: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in s.lines() {
        let line = text::collapse_whitespace(line);
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    paragraphs.join("\n\n")
}

/// Decodes `&amp;`, `&lt;`, `&#228;`, `&#xE4;` and the common named entities.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &after[..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "rdquo" => Some('”'),
                "ldquo" => Some('“'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_readable_text() {
        assert_eq!(
            html_to_text("<p>Welcome to   FOSDEM&nbsp;2023!</p><p>Two<br/>lines &amp; more: <a href='x'>link</a></p>"),
            "Welcome to FOSDEM 2023!\n\nTwo\nlines & more: link"
        );
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "- one\n- two");
        assert_eq!(html_to_text("if a < b > c then <b>yes</b>"), "if a < b > c then yes");
        assert_eq!(
            decode_entities("erz&#228;hlen &#xE4; &bogus; & so"),
            "erzählen ä &bogus; & so"
        );
    }

    #[test]
    fn types_map_to_kinds() {
        assert_eq!(kind_from_type("keynote", "Welcome"), SessionKind::Keynote);
        assert_eq!(
            kind_from_type("Talk/Performance (10 minutes + Q&A)", "x"),
            SessionKind::Talk
        );
        assert_eq!(kind_from_type("lecture", "x"), SessionKind::Talk);
        assert_eq!(kind_from_type("", "Lunch break"), SessionKind::Break);
        assert_eq!(kind_from_type("Meetup", "x"), SessionKind::Social);
        assert_eq!(kind_from_type("other", "x"), SessionKind::Other);
    }

    #[test]
    fn many_speakers_on_one_session_or_one_slug_cost_linear_work() {
        use chrono::TimeZone;
        let start = chrono_tz::UTC.with_ymd_and_hms(2024, 6, 14, 10, 0, 0).unwrap();
        let named = |name: String| DraftSpeaker {
            name,
            ..DraftSpeaker::default()
        };
        // 60,000 different speakers on one session, then 10,000 names that differ only
        // in punctuation, so that all of them slug to "ada": about 2 MB of schedule XML.
        // Each new speaker was compared with every one before it (11.6 s).
        let mut speakers: Vec<DraftSpeaker> = (0..60_000).map(|i| named(format!("Speaker {i}"))).collect();
        speakers.extend((0..10_000).map(|mut i| {
            let mut marks = String::new();
            loop {
                marks.push(['.', ',', ';', ':', '!'][i % 5]);
                i /= 5;
                if i == 0 {
                    break;
                }
            }
            named(format!("Ada{marks}"))
        }));
        let draft = Draft {
            conference: Conference {
                name: "X".into(),
                timezone: chrono_tz::UTC,
                venue: None,
                url: None,
            },
            sessions: vec![DraftSession {
                id: "crowd".into(),
                title: "Crowd".into(),
                subtitle: None,
                kind: SessionKind::Talk,
                start,
                end: start + chrono::TimeDelta::hours(1),
                room: None,
                track: None,
                speakers,
                abstract_text: None,
                url: None,
                line: Some(1),
            }],
            skipped: Vec::new(),
        };
        let started = std::time::Instant::now();
        let loaded = finish(draft, "test.json").unwrap();
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_millis(1000), "{took:?}");
        let s = &loaded.schedule;
        assert_eq!(s.speakers().len(), 70_000);
        let crowd = &s.sessions()[0];
        assert_eq!(crowd.speakers.len(), 70_000);
        assert_eq!(crowd.speakers[60_000..60_003], ["ada", "ada-2", "ada-3"]);
        assert_eq!(crowd.speakers.last().map(String::as_str), Some("ada-10000"));
    }

    #[test]
    fn speakers_without_ids_get_slugs() {
        assert_eq!(slug("María  Rossi"), "maria-rossi");
        assert_eq!(slug("  "), "speaker");
    }
}
