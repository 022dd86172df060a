//! Where posts go: the `[rooms]` targets ("announcements", "moderators", "speakers"), and
//! the Matrix rooms `[rooms.map]` gives a place (a schedule room or track): its own room,
//! and, for a track run by its own team, its moderators room and backstage. Questions
//! about a session go to the moderators room and backstage of its place, or to the
//! conference's (`[rooms] moderators`, `speakers`) where its place has none.
//!
//! The names: a *place* is a room or track of the schedule ("Pagoda room"); a *room* is a
//! Matrix room, by id or alias; a *target* is a name from `[rooms]` that stands for rooms.

use crate::schedule::Schedule;
use std::collections::BTreeMap;

/// `[rooms]`: the Matrix rooms the bot posts in.
#[derive(Debug, Clone, PartialEq)]
pub struct Rooms {
    pub announcements: Vec<String>,
    pub moderators: Option<String>,
    pub speakers: Option<String>,
    /// Place (schedule room or track name) → its Matrix rooms.
    pub map: BTreeMap<String, PlaceRooms>,
    /// Whether the bot keeps each mapped room's topic saying what is on (`topics`, on
    /// unless turned off; a room where the bot lacks the power is left alone).
    pub topics: bool,
}

impl Default for Rooms {
    fn default() -> Rooms {
        Rooms {
            announcements: Vec::new(),
            moderators: None,
            speakers: None,
            map: BTreeMap::new(),
            topics: true,
        }
    }
}

/// The Matrix rooms of one place of `[rooms.map]`, by id or alias.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaceRooms {
    /// Where its reminders go and its attendees ask (`!now` there is about this place).
    pub room: String,
    /// Where its questions are triaged, by its own moderators; else `[rooms] moderators`.
    pub moderators: Option<String>,
    /// Where its speakers get the approved questions; else `[rooms] speakers`.
    pub backstage: Option<String>,
    /// The place's video stream, shown with it.
    pub stream: Option<String>,
}

impl PlaceRooms {
    /// A place with a room and nothing of its own: the plain `"Place" = "#room"` form.
    pub fn room(room: &str) -> PlaceRooms {
        PlaceRooms {
            room: room.to_string(),
            ..PlaceRooms::default()
        }
    }
}

/// Where the questions about one session go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRooms<'a> {
    /// Where they are triaged.
    pub moderators: Option<&'a str>,
    /// Where the approved ones reach the speakers.
    pub speakers: Option<&'a str>,
}

/// Where everything about one room of the schedule goes, as `confbot check` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a> {
    /// The schedule room.
    pub place: &'a str,
    /// The tracks of its sessions that `[rooms.map]` names.
    pub tracks: Vec<&'a str>,
    /// Where its reminders go: the announcements rooms, its own room, its tracks' rooms.
    pub reminders: Vec<String>,
    /// Where its questions go (its own rooms, its first track's, or the conference's).
    pub questions: QuestionRooms<'a>,
    /// `[rooms.map]` names neither it nor any of its tracks.
    pub unmapped: bool,
}

/// The targets every config has, whether or not it gives them rooms.
pub const TARGETS: [&str; 3] = ["announcements", "moderators", "speakers"];

impl Rooms {
    /// Where a post about something in `places` (a session's room and track) goes: the
    /// announcements rooms, and the Matrix room `[rooms.map]` gives each place.
    pub fn post_targets<'a>(&self, places: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut rooms = self.announcements.clone();
        for place in places {
            if let Some(room) = self.mapped(place) {
                if !rooms.iter().any(|r| r == room) {
                    rooms.push(room.to_string());
                }
            }
        }
        rooms
    }

    /// The Matrix room `[rooms.map]` gives `place`, however it is cased.
    pub fn mapped(&self, place: &str) -> Option<&str> {
        self.place(place).map(|rooms| rooms.room.as_str())
    }

    /// The Matrix rooms of `place`, however it is cased.
    pub fn place(&self, place: &str) -> Option<&PlaceRooms> {
        self.map
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(place))
            .map(|(_, rooms)| rooms)
    }

    /// Where questions about a session in `places` (its room, then its track) go: the
    /// moderators room and backstage of the first place that has its own, else the
    /// conference's.
    pub fn for_questions<'a>(&self, places: impl IntoIterator<Item = &'a str> + Clone) -> QuestionRooms<'_> {
        let own = |pick: fn(&PlaceRooms) -> Option<&String>| {
            (places.clone().into_iter())
                .filter_map(|place| self.place(place))
                .find_map(pick)
                .map(String::as_str)
        };
        QuestionRooms {
            moderators: own(|p| p.moderators.as_ref()).or(self.moderators.as_deref()),
            speakers: own(|p| p.backstage.as_ref()).or(self.speakers.as_deref()),
        }
    }

    /// Every moderators room: the conference's, then each place's own, once each.
    pub fn moderators_rooms(&self) -> Vec<&str> {
        self.with_own(&self.moderators, |place| &place.moderators)
    }

    /// Every speakers room: the conference's, then each place's backstage, once each.
    pub fn speakers_rooms(&self) -> Vec<&str> {
        self.with_own(&self.speakers, |place| &place.backstage)
    }

    /// `conference` and then the room `own` picks of each place, once each.
    fn with_own<'a>(&'a self, conference: &'a Option<String>, own: fn(&PlaceRooms) -> &Option<String>) -> Vec<&'a str> {
        let mut rooms: Vec<&str> = conference.iter().map(String::as_str).collect();
        for room in self.map.values().filter_map(|place| own(place).as_deref()) {
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
        rooms
    }

    /// Every room the config names, once each.
    pub fn all(&self) -> Vec<&str> {
        let mut rooms: Vec<&str> = Vec::new();
        let named = (self.announcements.iter().map(String::as_str))
            .chain(self.moderators_rooms())
            .chain(self.speakers_rooms())
            .chain(self.map.values().map(|p| p.room.as_str()));
        for room in named {
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
        rooms
    }

    /// Where everything about each room of `schedule` goes, in the schedule's order.
    pub fn routes<'a>(&'a self, schedule: &'a Schedule) -> Vec<Route<'a>> {
        schedule
            .rooms()
            .into_iter()
            .map(|place| {
                let mut tracks: Vec<&str> = Vec::new();
                let in_room = schedule.sessions().iter().filter(|s| s.room.as_deref() == Some(place));
                for track in in_room.filter_map(|s| s.track.as_deref()) {
                    if self.place(track).is_some() && !tracks.contains(&track) {
                        tracks.push(track);
                    }
                }
                let places = || std::iter::once(place).chain(tracks.iter().copied());
                Route {
                    place,
                    reminders: self.post_targets(places()),
                    questions: self.for_questions(places()),
                    unmapped: self.place(place).is_none() && tracks.is_empty(),
                    tracks,
                }
            })
            .collect()
    }

    /// The Matrix rooms a target stands for, once each: "announcements" (all of them),
    /// "moderators", "speakers", "all" (every room attendees read: the announcements
    /// rooms and each place's room), a place of `[rooms.map]`, a room the config names,
    /// or several of these joined by commas.
    pub fn targets(&self, target: &str) -> Vec<String> {
        let mut rooms: Vec<String> = Vec::new();
        for part in target.split(',') {
            let found = match part {
                "announcements" => self.announcements.clone(),
                "moderators" => self.moderators.iter().cloned().collect(),
                "speakers" => self.speakers.iter().cloned().collect(),
                "all" => (self.announcements.iter())
                    .chain(self.map.values().map(|p| &p.room))
                    .cloned()
                    .collect(),
                room if room.starts_with(['#', '!']) => self
                    .all()
                    .into_iter()
                    .filter(|r| *r == room)
                    .map(str::to_string)
                    .collect(),
                place => self.place(place).map(|p| p.room.clone()).into_iter().collect(),
            };
            if found.is_empty() {
                return Vec::new(); // one part that names nothing: the whole target is wrong
            }
            for room in found {
                if !rooms.contains(&room) {
                    rooms.push(room);
                }
            }
        }
        rooms
    }

    /// The rooms of `track`: its own in `[rooms.map]`, and those of the schedule rooms
    /// its sessions are in, however it is cased.
    pub fn track_rooms(&self, schedule: &Schedule, track: &str) -> Vec<String> {
        let mut rooms: Vec<String> = self.mapped(track).map(str::to_string).into_iter().collect();
        let of_track = (schedule.sessions().iter())
            .filter(|s| s.track.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(track)))
            .filter_map(|s| s.room.as_deref());
        for room in of_track.filter_map(|place| self.mapped(place)) {
            if !rooms.iter().any(|r| r == room) {
                rooms.push(room.to_string());
            }
        }
        rooms
    }

    /// The targets a post may name: the three of [`TARGETS`], and the places of
    /// `[rooms.map]`.
    pub fn target_names(&self) -> impl Iterator<Item = &str> {
        TARGETS.into_iter().chain(self.map.keys().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms() -> Rooms {
        Rooms {
            announcements: vec!["#general:ex.org".into()],
            moderators: Some("#mods:ex.org".into()),
            speakers: None,
            map: BTreeMap::from([
                ("Pagoda room".into(), PlaceRooms::room("#pagoda:ex.org")),
                ("Containers".into(), PlaceRooms::room("#general:ex.org")),
            ]),
            topics: true,
        }
    }

    #[test]
    fn a_post_goes_to_the_announcements_rooms_and_each_mapped_place_once() {
        let rooms = rooms();
        assert_eq!(
            rooms.post_targets(["pagoda ROOM", "Containers"]),
            ["#general:ex.org", "#pagoda:ex.org"]
        );
        assert_eq!(rooms.post_targets(["Nowhere"]), ["#general:ex.org"]);
    }

    #[test]
    fn a_target_stands_for_its_rooms() {
        let rooms = rooms();
        assert_eq!(rooms.targets("announcements"), ["#general:ex.org"]);
        assert_eq!(rooms.targets("moderators"), ["#mods:ex.org"]);
        assert!(rooms.targets("speakers").is_empty());
        assert_eq!(rooms.targets("Pagoda room"), ["#pagoda:ex.org"]);
        assert!(rooms.targets("Elsewhere").is_empty());
        assert_eq!(rooms.targets("all"), ["#general:ex.org", "#pagoda:ex.org"]);
        assert_eq!(
            rooms.targets("pagoda ROOM,#mods:ex.org,#general:ex.org,Containers"),
            ["#pagoda:ex.org", "#mods:ex.org", "#general:ex.org"]
        );
        assert!(rooms.targets("#pagoda:ex.org,Elsewhere").is_empty(), "one wrong part");
        assert!(
            rooms.targets("#stranger:ex.org").is_empty(),
            "a room the config does not name"
        );
        assert_eq!(
            rooms.target_names().collect::<Vec<_>>(),
            ["announcements", "moderators", "speakers", "Containers", "Pagoda room"]
        );
    }

    #[test]
    fn questions_go_to_the_rooms_of_their_place_or_else_the_conferences() {
        let mut rooms = rooms();
        rooms.speakers = Some("#speakers:ex.org".into());
        rooms.map.insert(
            "Jupiter".into(),
            PlaceRooms {
                room: "#jupiter:ex.org".into(),
                moderators: Some("#jupiter-mods:ex.org".into()),
                backstage: Some("#jupiter-backstage:ex.org".into()),
                stream: None,
            },
        );
        rooms.map.insert(
            "Kernel track".into(),
            PlaceRooms {
                room: "#kernel:ex.org".into(),
                moderators: Some("#kernel-mods:ex.org".into()),
                ..PlaceRooms::default()
            },
        );
        // The room's own rooms first, then the track's, then the conference's.
        assert_eq!(
            rooms.for_questions(["JUPITER", "Kernel track"]),
            QuestionRooms {
                moderators: Some("#jupiter-mods:ex.org"),
                speakers: Some("#jupiter-backstage:ex.org"),
            }
        );
        assert_eq!(
            rooms.for_questions(["Pagoda room", "Kernel track"]),
            QuestionRooms {
                moderators: Some("#kernel-mods:ex.org"),
                speakers: Some("#speakers:ex.org"),
            }
        );
        assert_eq!(
            rooms.for_questions(["Nowhere"]),
            QuestionRooms {
                moderators: Some("#mods:ex.org"),
                speakers: Some("#speakers:ex.org"),
            }
        );
        assert_eq!(
            rooms.moderators_rooms(),
            ["#mods:ex.org", "#jupiter-mods:ex.org", "#kernel-mods:ex.org"]
        );
        assert_eq!(
            rooms.speakers_rooms(),
            ["#speakers:ex.org", "#jupiter-backstage:ex.org"]
        );
        assert_eq!(rooms.targets("Jupiter"), ["#jupiter:ex.org"]);
        assert_eq!(rooms.all().len(), 9);
    }

    #[test]
    fn each_schedule_room_shows_where_its_reminders_and_questions_go() {
        let schedule = crate::schedule::native::parse(
            include_str!("../../../tests/fixtures/two-tracks.toml"),
            "two-tracks",
            None,
        )
        .unwrap()
        .schedule;
        let rooms = Rooms {
            announcements: vec!["#all:ex.org".into()],
            moderators: Some("#mods:ex.org".into()),
            speakers: Some("#speakers:ex.org".into()),
            map: BTreeMap::from([(
                "Kernel".into(),
                PlaceRooms {
                    room: "#kernel:ex.org".into(),
                    moderators: Some("#kernel-mods:ex.org".into()),
                    backstage: Some("#kernel-backstage:ex.org".into()),
                    stream: None,
                },
            )]),
            topics: true,
        };
        let routes = rooms.routes(&schedule);
        assert_eq!(
            routes[0],
            Route {
                place: "Hall A",
                tracks: vec!["Kernel"],
                reminders: vec!["#all:ex.org".into(), "#kernel:ex.org".into()],
                questions: QuestionRooms {
                    moderators: Some("#kernel-mods:ex.org"),
                    speakers: Some("#kernel-backstage:ex.org"),
                },
                unmapped: false,
            }
        );
        assert_eq!(
            routes[1],
            Route {
                place: "Hall B",
                tracks: vec![],
                reminders: vec!["#all:ex.org".into()],
                questions: QuestionRooms {
                    moderators: Some("#mods:ex.org"),
                    speakers: Some("#speakers:ex.org"),
                },
                unmapped: true,
            }
        );
        assert_eq!(routes.len(), 2);
    }
}
