//! Checking `[rooms]`: every room named by id or alias, and each `[rooms.map]` entry, a
//! room or a table of a place's own rooms.

use super::check::{is_server_name, Checker};
use super::raw::RawRooms;
use crate::rooms::{PlaceRooms, Rooms};
use crate::text;

impl Checker {
    pub(super) fn room(&mut self, key: &str, value: &str) {
        if !is_room_reference(value) {
            self.problems.push(format!(
                "{key}: \"{value}\" is not a Matrix room: write a room id (\"!abc…\", as Element shows it in the room's settings) or an alias (\"#name:server\")"
            ));
        }
    }

    pub(super) fn rooms(&mut self, raw: RawRooms) -> Rooms {
        for room in &raw.announcements {
            self.room("[rooms] announcements", room);
        }
        for (key, room) in [("moderators", &raw.moderators), ("speakers", &raw.speakers)] {
            if let Some(room) = room {
                self.room(&format!("[rooms] {key}"), room);
            }
        }
        let map = (raw.map.into_iter())
            .filter_map(|(place, value)| Some((place.clone(), self.place_rooms(&place, value)?)))
            .collect();
        Rooms {
            announcements: raw.announcements,
            moderators: raw.moderators,
            speakers: raw.speakers,
            map,
            topics: raw.topics.unwrap_or(true),
        }
    }

    /// One `[rooms.map]` entry: `"Place" = "#room"`, or a table with `room` and, for a
    /// place run by its own team, `moderators`, `backstage` and `stream`.
    fn place_rooms(&mut self, place: &str, value: toml::Value) -> Option<PlaceRooms> {
        let key = format!("[rooms.map] \"{place}\"");
        let table = match value {
            toml::Value::String(room) => {
                self.room(&key, &room);
                return Some(PlaceRooms::room(&room));
            }
            toml::Value::Table(table) => table,
            other => {
                self.problems.push(format!(
                    "{key}: write a room (\"#name:server\") or a table such as {{ room = \"#name:server\", moderators = \"#name-mods:server\", backstage = \"#name-backstage:server\" }}, not a {}",
                    other.type_str()
                ));
                return None;
            }
        };
        const KEYS: [&str; 4] = ["room", "moderators", "backstage", "stream"];
        let mut fine = true;
        for name in table.keys().filter(|name| !KEYS.contains(&name.as_str())) {
            let hint = text::closest(name, KEYS)
                .map(|k| format!("did you mean {k}?"))
                .unwrap_or_else(|| format!("the keys are {}", KEYS.join(", ")));
            self.problems.push(format!("{key}: unknown key {name}: {hint}"));
            fine = false;
        }
        let mut text = |name: &str| match table.get(name) {
            None => None,
            Some(toml::Value::String(value)) => Some(value.clone()),
            Some(other) => {
                self.problems
                    .push(format!("{key} {name}: write a string, not a {}", other.type_str()));
                fine = false;
                None
            }
        };
        let (room, moderators, backstage, stream) =
            (text("room"), text("moderators"), text("backstage"), text("stream"));
        let Some(room) = room else {
            if fine {
                self.problems
                    .push(format!("{key}: the table has no room: add room = \"#name:server\""));
            }
            return None;
        };
        self.room(&format!("{key} room"), &room);
        for (name, value) in [("moderators", &moderators), ("backstage", &backstage)] {
            if let Some(value) = value {
                self.room(&format!("{key} {name}"), value);
            }
        }
        if let Some(url) = &stream {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                self.problems.push(format!(
                    "{key} stream: \"{url}\" is not a web address: write it as \"https://…\""
                ));
            }
        }
        Some(PlaceRooms {
            room,
            moderators,
            backstage,
            stream,
        })
    }
}

fn is_room_reference(s: &str) -> bool {
    let no_space = |part: &str| !part.is_empty() && !part.chars().any(|c| c.is_whitespace() || c.is_control());
    if let Some(id) = s.strip_prefix('!') {
        return match id.split_once(':') {
            Some((local, server)) => no_space(local) && is_server_name(server),
            None => no_space(id),
        };
    }
    s.strip_prefix('#')
        .and_then(|alias| alias.split_once(':'))
        .is_some_and(|(local, server)| no_space(local) && is_server_name(server))
}

#[cfg(test)]
mod tests {
    use super::super::check::tests::problems;
    use crate::config::Config;
    use crate::rooms::PlaceRooms;

    #[test]
    fn rooms_are_named_by_id_of_any_room_version_or_by_alias() {
        let base = "[schedule]\nsource = \"s\"\n[rooms]\n";
        for room in [
            "!4ayXb8jVHBcdNKdgTxg9ObYjGA1oINp7CYnq5AVa8P8", // version 12: no server part
            "!abc:example.org",
            "!abc:example.org:8448",
            "#main:example.org",
        ] {
            let config = Config::from_toml(&format!("{base}moderators = \"{room}\"\n"), "bot.toml");
            assert_eq!(config.map(|c| c.rooms.moderators), Ok(Some(room.to_string())), "{room}");
        }
        for room in ["!", "#main", "!abc:", "! abc", "#:example.org", "main"] {
            let errs = problems(&format!("{base}moderators = \"{room}\"\n"));
            assert!(errs[0].contains("is not a Matrix room"), "{room}: {errs:?}");
        }
    }

    #[test]
    fn a_place_may_have_its_own_moderators_room_backstage_and_stream() {
        let base = "[schedule]\nsource = \"s\"\n[rooms.map]\n";
        let config = Config::from_toml(
            &format!("{base}\"Pagoda room\" = \"#pagoda:ex.org\"\n\"Jupiter\" = {{ room = \"#jupiter:ex.org\", moderators = \"#jupiter-mods:ex.org\", backstage = \"#jupiter-backstage:ex.org\", stream = \"https://stream.ex.org/jupiter\" }}\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(config.rooms.map["Pagoda room"], PlaceRooms::room("#pagoda:ex.org"));
        assert_eq!(
            config.rooms.map["Jupiter"],
            PlaceRooms {
                room: "#jupiter:ex.org".into(),
                moderators: Some("#jupiter-mods:ex.org".into()),
                backstage: Some("#jupiter-backstage:ex.org".into()),
                stream: Some("https://stream.ex.org/jupiter".into()),
            }
        );
        assert_eq!(
            problems(&format!("{base}\"Jupiter\" = {{ room = \"#jupiter:ex.org\", moderator = \"#m:ex.org\", backstage = \"jupiter\", stream = \"rtmp://x\" }}\n")),
            [
                "[rooms.map] \"Jupiter\": unknown key moderator: did you mean moderators?",
                "[rooms.map] \"Jupiter\" backstage: \"jupiter\" is not a Matrix room: write a room id (\"!abc…\", as Element shows it in the room's settings) or an alias (\"#name:server\")",
                "[rooms.map] \"Jupiter\" stream: \"rtmp://x\" is not a web address: write it as \"https://…\"",
            ]
        );
        assert_eq!(
            problems(&format!("{base}\"Jupiter\" = {{ moderators = \"#m:ex.org\" }}\n")),
            ["[rooms.map] \"Jupiter\": the table has no room: add room = \"#name:server\""]
        );
        assert_eq!(
            problems(&format!("{base}\"Jupiter\" = 3\n")),
            ["[rooms.map] \"Jupiter\": write a room (\"#name:server\") or a table such as { room = \"#name:server\", moderators = \"#name-mods:server\", backstage = \"#name-backstage:server\" }, not a integer"]
        );
    }
}
