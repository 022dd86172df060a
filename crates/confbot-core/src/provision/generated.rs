//! The rooms file `confbot provision` writes (`rooms.generated.toml`): the `[rooms]` of
//! the config, made from the rooms it provisioned, for the config to `include`.

use super::{Kind, Plan};
use std::collections::BTreeMap;

/// The `[rooms]` table for `plan`'s rooms, `ids` giving each key's room id; each line
/// notes the room's alias on `server`. Rooms are named by id, which no rename changes.
pub fn rooms_file(plan: &Plan, ids: &BTreeMap<String, String>, server: &str, conference: &str) -> String {
    let quote = |text: &str| toml::Value::String(text.to_string()).to_string();
    let id = |key: &str| ids.get(key).map(|id| quote(id));
    let alias = |key: &str| {
        plan.room(key)
            .map(|r| format!("#{}:{server}", r.alias))
            .unwrap_or_default()
    };
    let mut out = format!(
        "# The rooms of {conference}, written by `confbot provision`: run it again rather than\n\
         # editing this file. The config reads it with include = [\"rooms.generated.toml\"];\n\
         # a key the config sets itself wins.\n\n[rooms]\n"
    );
    if let Some(room) = id("announcements") {
        out.push_str(&format!("announcements = [{room}]  # {}\n", alias("announcements")));
    }
    for key in ["moderators", "speakers"] {
        if let Some(room) = id(key) {
            out.push_str(&format!("{key} = {room}  # {}\n", alias(key)));
        }
    }
    out.push_str("\n[rooms.map]\n");
    for room in plan.rooms.iter().filter(|r| r.kind == Kind::Public) {
        let (Some(place), Some(public)) = (&room.place, id(&room.key)) else {
            continue;
        };
        let mut parts = vec![format!("room = {public}")];
        for (part, key) in [
            ("moderators", format!("moderators:{place}")),
            ("backstage", format!("backstage:{place}")),
        ] {
            if let Some(room) = id(&key) {
                parts.push(format!("{part} = {room}"));
            }
        }
        let line = format!("{{ {} }}", parts.join(", "));
        out.push_str(&format!("{} = {line}  # {}\n", quote(place), alias(&room.key)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::provision::{plan, tests::options, tests::two_tracks, Per};

    #[test]
    fn the_rooms_file_is_a_rooms_table_the_config_reads_back() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let ids: BTreeMap<String, String> = (plan.rooms.iter().enumerate())
            .map(|(i, r)| (r.key.clone(), format!("!r{i}:x")))
            .collect();
        let text = rooms_file(&plan, &ids, "x", "Two \"Tracks\"");
        let config = Config::from_toml(&format!("[schedule]\nsource = \"s.toml\"\n{text}"), "generated").unwrap();
        assert_eq!(config.rooms.announcements, ["!r1:x"]);
        assert_eq!(config.rooms.moderators.as_deref(), Some("!r2:x"));
        let hall_a = &config.rooms.map["Hall A"];
        let hall_a = (
            hall_a.room.as_str(),
            hall_a.moderators.as_deref(),
            hall_a.backstage.as_deref(),
        );
        assert_eq!(hall_a, ("!r6:x", Some("!r8:x"), Some("!r7:x")));
        assert!(
            text.contains("\"Hall B\" = { room = \"!r9:x\", backstage = \"!r10:x\" }  # #two23-hall-b:x"),
            "{text}"
        );
    }
}
