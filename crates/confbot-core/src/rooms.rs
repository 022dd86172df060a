//! Where posts go: the `[rooms]` targets ("announcements", "moderators", "speakers"), and
//! the Matrix room `[rooms.map]` gives a place (a schedule room or track).
//!
//! The names: a *place* is a room or track of the schedule ("Pagoda room"); a *room* is a
//! Matrix room, by id or alias; a *target* is a name from `[rooms]` that stands for rooms.

use std::collections::BTreeMap;

/// `[rooms]`: the Matrix rooms the bot posts in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rooms {
    pub announcements: Vec<String>,
    pub moderators: Option<String>,
    pub speakers: Option<String>,
    /// Place (schedule room or track name) → Matrix room id or alias.
    pub map: BTreeMap<String, String>,
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
        self.map
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(place))
            .map(|(_, room)| room.as_str())
    }

    /// The Matrix rooms a target stands for: "announcements" (all of them), "moderators",
    /// "speakers", or a place of `[rooms.map]` as written there.
    pub fn targets(&self, target: &str) -> Vec<String> {
        match target {
            "announcements" => self.announcements.clone(),
            "moderators" => self.moderators.iter().cloned().collect(),
            "speakers" => self.speakers.iter().cloned().collect(),
            place => self.map.get(place).cloned().into_iter().collect(),
        }
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
                ("Pagoda room".into(), "#pagoda:ex.org".into()),
                ("Containers".into(), "#general:ex.org".into()),
            ]),
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
        assert_eq!(
            rooms.target_names().collect::<Vec<_>>(),
            ["announcements", "moderators", "speakers", "Containers", "Pagoda room"]
        );
    }
}
