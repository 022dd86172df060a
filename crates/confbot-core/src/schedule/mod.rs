//! The schedule model every format is read into: a conference, its sessions and speakers,
//! with the indexes that keep queries fast on schedules of any size.

mod diagnostic;
pub mod format;
pub mod frab_json;
pub mod ical;
pub mod import;
mod location;
pub mod native;
pub mod normalized;
pub mod xml;

pub(crate) use diagnostic::LineIndex;
pub use diagnostic::{Diagnostic, Loaded, ScheduleErrors, Severity};
pub use location::Location;

use crate::text;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The event as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Conference {
    pub name: String,
    /// Every time is shown in this zone.
    pub timezone: Tz,
    pub venue: Option<String>,
    pub url: Option<String>,
}

/// What a slot in the schedule is; breaks get their own wording in reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    #[default]
    Talk,
    Break,
    Keynote,
    Social,
    Other,
}

impl SessionKind {
    pub const ALL: [SessionKind; 5] = [
        SessionKind::Talk,
        SessionKind::Break,
        SessionKind::Keynote,
        SessionKind::Social,
        SessionKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Talk => "talk",
            SessionKind::Break => "break",
            SessionKind::Keynote => "keynote",
            SessionKind::Social => "social",
            SessionKind::Other => "other",
        }
    }
}

impl fmt::Display for SessionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One slot of the schedule: a talk, a break, a keynote…
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Stable across schedule versions: reminders and questions are keyed by it.
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub kind: SessionKind,
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    pub room: Option<String>,
    pub track: Option<String>,
    /// Ids into [`Schedule::speakers`].
    pub speakers: Vec<String>,
    pub abstract_text: Option<String>,
    pub url: Option<String>,
}

/// A person who presents one or more sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Speaker {
    pub id: String,
    pub name: String,
    pub bio: Option<String>,
    pub links: Vec<String>,
    /// Their Matrix ID ("@adam:fedoraproject.org"), when the schedule or the config gives
    /// one: cues in the backstage mention them, and they are invited to it.
    pub matrix: Option<String>,
}

/// A validated schedule: sessions ordered by start, then room, with lookup indexes.
/// Build one with [`Schedule::new`] from data a format has already checked.
#[derive(Debug, Clone)]
pub struct Schedule {
    conference: Conference,
    sessions: Vec<Session>,
    speakers: Vec<Speaker>,
    index: Index,
}

/// Where each session sits on a timeline: positions ordered by start, and for each
/// position the latest end of any session up to it, so "what is on at t" stops scanning
/// backwards as soon as nothing earlier can still be running.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    pub(crate) positions: Vec<usize>,
    pub(crate) latest_end: Vec<DateTime<Tz>>,
}

#[derive(Debug, Clone, Default)]
struct Index {
    session_by_id: HashMap<String, usize>,
    speaker_by_id: HashMap<String, usize>,
    sessions_by_speaker: HashMap<String, Vec<usize>>,
    all: Timeline,
    /// By folded room name and folded track name.
    places: HashMap<String, Timeline>,
    /// Folded title and subtitle of each session.
    titles: Vec<String>,
    /// Folded title, subtitle, speaker names and abstract of each session.
    haystacks: Vec<String>,
    folded_speaker_names: Vec<String>,
    days: Vec<NaiveDate>,
}

impl Schedule {
    /// Orders the sessions and builds the indexes. Session ids must be unique and every
    /// speaker id must name a speaker: the formats check this before calling.
    pub fn new(conference: Conference, mut sessions: Vec<Session>, speakers: Vec<Speaker>) -> Schedule {
        sessions.sort_by(|a, b| (a.start, &a.room, &a.id).cmp(&(b.start, &b.room, &b.id)));
        let index = Index::build(&sessions, &speakers);
        Schedule {
            conference,
            sessions,
            speakers,
            index,
        }
    }

    pub fn conference(&self) -> &Conference {
        &self.conference
    }

    pub fn timezone(&self) -> Tz {
        self.conference.timezone
    }

    /// All sessions, ordered by start, then room.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    pub fn speakers(&self) -> &[Speaker] {
        &self.speakers
    }

    pub fn session(&self, id: &str) -> Option<&Session> {
        self.index.session_by_id.get(id).map(|&i| &self.sessions[i])
    }

    pub fn speaker(&self, id: &str) -> Option<&Speaker> {
        self.index.speaker_by_id.get(id).map(|&i| &self.speakers[i])
    }

    /// The names of a session's speakers, in the order the schedule gives them.
    pub fn speaker_names<'a>(&'a self, session: &'a Session) -> Vec<&'a str> {
        session
            .speakers
            .iter()
            .map(|id| self.speaker(id).map_or(id.as_str(), |s| s.name.as_str()))
            .collect()
    }

    /// The sessions a speaker presents, in schedule order.
    pub fn sessions_of(&self, speaker_id: &str) -> Vec<&Session> {
        self.index
            .sessions_by_speaker
            .get(speaker_id)
            .map(|positions| positions.iter().map(|&i| &self.sessions[i]).collect())
            .unwrap_or_default()
    }

    /// The local dates on which sessions start, in order.
    pub fn days(&self) -> &[NaiveDate] {
        &self.index.days
    }

    /// The distinct room names, sorted.
    pub fn rooms(&self) -> Vec<&str> {
        let rooms: BTreeSet<&str> = self.sessions.iter().filter_map(|s| s.room.as_deref()).collect();
        rooms.into_iter().collect()
    }

    /// Whether `place` is a room or track of the schedule, however it is cased.
    pub fn has_place(&self, place: &str) -> bool {
        self.timeline(Some(place)).is_some()
    }

    pub(crate) fn timeline(&self, place: Option<&str>) -> Option<&Timeline> {
        match place {
            None => Some(&self.index.all),
            Some(place) => self.index.places.get(&text::fold(place.trim())),
        }
    }

    pub(crate) fn folded_title(&self, position: usize) -> &str {
        &self.index.titles[position]
    }

    pub(crate) fn haystack(&self, position: usize) -> &str {
        &self.index.haystacks[position]
    }

    pub(crate) fn folded_speaker_name(&self, position: usize) -> &str {
        &self.index.folded_speaker_names[position]
    }
}

/// Two schedules are the same when their conference, sessions and speakers are.
impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        self.conference == other.conference && self.sessions == other.sessions && self.speakers == other.speakers
    }
}

impl Timeline {
    fn push(&mut self, position: usize, session: &Session) {
        let latest = match self.latest_end.last() {
            Some(&previous) if previous > session.end => previous,
            _ => session.end,
        };
        self.positions.push(position);
        self.latest_end.push(latest);
    }
}

impl Index {
    fn build(sessions: &[Session], speakers: &[Speaker]) -> Index {
        let mut index = Index {
            speaker_by_id: speakers.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect(),
            folded_speaker_names: speakers.iter().map(|s| text::fold(&s.name)).collect(),
            ..Index::default()
        };
        let mut days = BTreeSet::new();
        for (position, session) in sessions.iter().enumerate() {
            index.session_by_id.insert(session.id.clone(), position);
            for speaker in &session.speakers {
                index
                    .sessions_by_speaker
                    .entry(speaker.clone())
                    .or_default()
                    .push(position);
            }
            index.all.push(position, session);
            let mut places: Vec<String> = [&session.room, &session.track]
                .into_iter()
                .flatten()
                .map(|p| text::fold(p.trim()))
                .collect();
            places.dedup();
            for place in places {
                index.places.entry(place).or_default().push(position, session);
            }
            let title = match &session.subtitle {
                Some(subtitle) => text::fold(&format!("{} {}", session.title, subtitle)),
                None => text::fold(&session.title),
            };
            let names: Vec<&str> = session
                .speakers
                .iter()
                .filter_map(|id| index.speaker_by_id.get(id))
                .map(|&i| speakers[i].name.as_str())
                .collect();
            index.haystacks.push(format!(
                "{title}\n{}\n{}",
                text::fold(&names.join(", ")),
                text::fold(session.abstract_text.as_deref().unwrap_or(""))
            ));
            index.titles.push(title);
            days.insert(session.start.date_naive());
        }
        index.days = days.into_iter().collect();
        index
    }
}
