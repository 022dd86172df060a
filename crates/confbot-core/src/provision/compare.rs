//! The plan against the rooms the homeserver has: which planned rooms are there, and the
//! writes that make them as planned, in the order they are made.
//!
//! A room is recognised by its marker, the `org.confbot.room` state event naming the
//! conference and the room's key. A place the schedule renamed has a new key; its rooms
//! are recognised by the sessions their markers list. A room that carries the planned
//! alias and no marker (one made by hand) is adopted. Nothing found is ever removed:
//! a renamed room keeps its old alias, a room the plan no longer has is left alone.

use super::{Plan, RoomSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The type of the state event that marks a room as the conference's.
pub const MARKER_TYPE: &str = "org.confbot.room";

/// The content of a room's marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// [`super::Options::conference`].
    pub conference: String,
    /// [`RoomSpec::key`].
    pub key: String,
    /// The sessions it served when it was marked.
    #[serde(default)]
    pub sessions: Vec<String>,
}

impl Marker {
    pub fn of(room: &RoomSpec, conference: &str) -> Marker {
        Marker {
            conference: conference.to_string(),
            key: room.key.clone(),
            sessions: room.sessions.clone(),
        }
    }
}

/// A room the bot is in, as the homeserver has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub id: String,
    pub marker: Option<Marker>,
    pub name: Option<String>,
    pub topic: Option<String>,
    /// Its canonical alias and alternative aliases, in full: "#fosdem23-janson:fosdem.org".
    pub aliases: Vec<String>,
    /// The users with a power level of their own; everyone else has `users_default`.
    pub power: BTreeMap<String, i64>,
    pub users_default: i64,
    /// For a space: the rooms it lists as children.
    pub children: Vec<String>,
    /// Users in it, invited, or who were and left: never invited again.
    pub known: BTreeSet<String>,
}

/// One write, on the room with the step's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Create it, with its name, topic, alias, power levels, marker, parent and invitations.
    Create,
    /// Set its marker: a room adopted by its alias, or a renamed place's room.
    Mark,
    /// Set its name.
    Name,
    /// Add the planned alias and make it the canonical one; the old ones stay.
    Alias,
    Topic,
    /// Give these users these levels.
    Power(Vec<(String, i64)>),
    /// List it in its parent space.
    Child,
    Invite(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub key: String,
    pub write: Write,
}

/// What [`compare`] found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    /// Each planned room that exists: its key → the room's id.
    pub existing: BTreeMap<String, String>,
    /// Rooms recognised under a new key: the new key → the old one.
    pub renamed: BTreeMap<String, String>,
    /// Rooms with the planned alias and no marker, adopted.
    pub adopted: BTreeSet<String>,
    /// The writes, in order: creations, then names (markers and aliases with them),
    /// topics, power levels, space children, invitations.
    pub steps: Vec<Step>,
}

impl Comparison {
    /// The writes planned for the room with `key`.
    pub fn writes<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Write> {
        self.steps.iter().filter(move |s| s.key == key).map(|s| &s.write)
    }
}

/// Compares `plan` for `conference` with the rooms `found`; aliases are on `server`.
pub fn compare(plan: &Plan, conference: &str, server: &str, found: &[Found]) -> Comparison {
    let full_alias = |room: &RoomSpec| format!("#{}:{server}", room.alias);
    fn ours<'f>(f: &'f Found, conference: &str) -> Option<&'f Marker> {
        f.marker.as_ref().filter(|m| m.conference == conference)
    }
    let ours = |f| ours(f, conference);
    let mut taken = vec![false; found.len()];
    let mut matched: BTreeMap<&str, usize> = BTreeMap::new();
    let mut comparison = Comparison::default();
    // By marker.
    for room in &plan.rooms {
        let by_marker = (0..found.len()).find(|&i| !taken[i] && ours(&found[i]).is_some_and(|m| m.key == room.key));
        if let Some(i) = by_marker {
            taken[i] = true;
            matched.insert(&room.key, i);
        }
    }
    // Renamed: a marked room whose key the plan no longer has, of the same kind, sharing
    // the most sessions with a planned room not found.
    let kind_of = |key: &str| key.split_once(':').map(|(kind, _)| kind.to_string());
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (p, room) in plan.rooms.iter().enumerate() {
        if matched.contains_key(room.key.as_str()) || room.sessions.is_empty() {
            continue;
        }
        for (i, f) in found.iter().enumerate() {
            let Some(marker) = ours(f).filter(|_| !taken[i]) else {
                continue;
            };
            if plan.room(&marker.key).is_some() || kind_of(&marker.key) != kind_of(&room.key) {
                continue;
            }
            let shared = marker.sessions.iter().filter(|s| room.sessions.contains(s)).count();
            if shared > 0 {
                pairs.push((shared, p, i));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, p, i) in pairs {
        let key = plan.rooms[p].key.as_str();
        if taken[i] || matched.contains_key(key) {
            continue;
        }
        taken[i] = true;
        matched.insert(key, i);
        let old = ours(&found[i]).map(|m| m.key.clone()).unwrap_or_default();
        comparison.renamed.insert(key.to_string(), old);
    }
    // Adopted: no marker, and the planned alias.
    for room in &plan.rooms {
        if matched.contains_key(room.key.as_str()) {
            continue;
        }
        let alias = full_alias(room);
        let by_alias =
            (0..found.len()).find(|&i| !taken[i] && found[i].marker.is_none() && found[i].aliases.contains(&alias));
        if let Some(i) = by_alias {
            taken[i] = true;
            matched.insert(&room.key, i);
            comparison.adopted.insert(room.key.clone());
        }
    }

    let mut later: [Vec<Step>; 5] = Default::default();
    let [names, topics, powers, children, invites] = &mut later;
    for room in &plan.rooms {
        let step = |write: Write| Step {
            key: room.key.clone(),
            write,
        };
        let Some(&i) = matched.get(room.key.as_str()) else {
            comparison.steps.push(step(Write::Create));
            if room.parent.is_some() {
                children.push(step(Write::Child));
            }
            continue;
        };
        let f = &found[i];
        comparison.existing.insert(room.key.clone(), f.id.clone());
        if ours(f).is_none_or(|m| m.key != room.key) {
            names.push(step(Write::Mark));
        }
        if f.name.as_deref() != Some(room.name.as_str()) {
            names.push(step(Write::Name));
        }
        if !f.aliases.contains(&full_alias(room)) {
            names.push(step(Write::Alias));
        }
        if room.topic.is_some() && f.topic != room.topic {
            topics.push(step(Write::Topic));
        }
        let level = |user: &str| f.power.get(user).copied().unwrap_or(f.users_default);
        let wrong: Vec<(String, i64)> = (room.power.iter())
            .filter(|(user, want)| level(user) != **want)
            .map(|(user, want)| (user.clone(), *want))
            .collect();
        if !wrong.is_empty() {
            powers.push(step(Write::Power(wrong)));
        }
        let listed = room.parent.as_deref().is_some_and(|parent| {
            let parent = matched.get(parent).map(|&p| &found[p]);
            parent.is_some_and(|p| p.children.contains(&f.id))
        });
        if room.parent.is_some() && !listed {
            children.push(step(Write::Child));
        }
        let missing: Vec<String> = (room.invite.iter())
            .filter(|user| !f.known.contains(*user))
            .cloned()
            .collect();
        if !missing.is_empty() {
            invites.push(step(Write::Invite(missing)));
        }
    }
    comparison.steps.extend(later.into_iter().flatten());
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::{plan, tests::options, tests::two_tracks, Per};

    /// The rooms as a complete earlier run left them.
    fn made(plan: &Plan) -> Vec<Found> {
        let id = |key: &str| format!("!{}:x", super::super::slug(key));
        plan.rooms
            .iter()
            .map(|room| Found {
                id: id(&room.key),
                marker: Some(Marker::of(room, "two23")),
                name: Some(room.name.clone()),
                topic: room.topic.clone(),
                aliases: vec![format!("#{}:x", room.alias)],
                power: room.power.clone(),
                users_default: 0,
                children: (plan.rooms.iter())
                    .filter(|child| child.parent.as_deref() == Some(&room.key))
                    .map(|child| id(&child.key))
                    .collect(),
                known: room.invite.iter().cloned().collect(),
            })
            .collect()
    }

    #[test]
    fn on_an_empty_server_every_room_is_created_parents_first_then_listed_in_its_space() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let comparison = compare(&plan, "two23", "x", &[]);
        let creates: Vec<&str> = (comparison.steps.iter())
            .filter(|s| s.write == Write::Create)
            .map(|s| s.key.as_str())
            .collect();
        let keys: Vec<&str> = plan.rooms.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(creates, keys);
        let children = comparison.steps.iter().filter(|s| s.write == Write::Child).count();
        assert_eq!(children, plan.rooms.len() - 1, "all but the space");
        let first_child = comparison.steps.iter().position(|s| s.write == Write::Child).unwrap();
        assert_eq!(first_child, plan.rooms.len(), "after every creation");
    }

    #[test]
    fn a_second_run_over_what_the_first_made_writes_nothing() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let comparison = compare(&plan, "two23", "x", &made(&plan));
        assert_eq!(comparison.steps, []);
        assert_eq!(comparison.existing.len(), plan.rooms.len());
    }

    #[test]
    fn drift_in_name_topic_power_children_and_invitations_is_corrected_in_that_order() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let mut found = made(&plan);
        let at = |key: &str| plan.rooms.iter().position(|r| r.key == key).unwrap();
        found[at("public:Hall A")].name = Some("Hall Z".into());
        found[at("space")].topic = None;
        found[at("backstage:Hall A")].power.insert("@kmod:x".into(), 0);
        found[at("backstage:Hall A")].power.insert("@someone:x".into(), 100);
        found[at("track-space:Web")].children.clear();
        found[at("moderators")].known.clear();
        let comparison = compare(&plan, "two23", "x", &found);
        let steps: Vec<(&str, &Write)> = comparison.steps.iter().map(|s| (s.key.as_str(), &s.write)).collect();
        assert_eq!(
            steps,
            [
                ("public:Hall A", &Write::Name),
                ("space", &Write::Topic),
                ("backstage:Hall A", &Write::Power(vec![("@kmod:x".into(), 50)])),
                ("public:Hall B", &Write::Child),
                ("backstage:Hall B", &Write::Child),
                (
                    "moderators",
                    &Write::Invite(vec!["@org:x".into(), "@mod:x".into(), "@kmod:x".into()])
                ),
            ],
            "someone else's level is left alone"
        );
    }

    #[test]
    fn a_renamed_place_keeps_its_rooms_which_get_the_new_name_alias_and_marker() {
        let old = plan(&two_tracks(), &options(Per::Room));
        let found = made(&old);
        let text = include_str!("../../../../tests/fixtures/two-tracks.toml").replace("Hall A", "Hall Alpha");
        let schedule = crate::schedule::native::parse(&text, "two", None).unwrap().schedule;
        let new = plan(&schedule, &options(Per::Room));
        let comparison = compare(&new, "two23", "x", &found);
        assert_eq!(
            comparison.renamed.get("public:Hall Alpha").map(String::as_str),
            Some("public:Hall A")
        );
        assert_eq!(comparison.existing["backstage:Hall Alpha"], "!backstage-hall-a:x");
        assert!(comparison
            .writes("public:Hall Alpha")
            .eq([&Write::Mark, &Write::Name, &Write::Alias]));
        assert!(
            !comparison.steps.iter().any(|s| s.write == Write::Create),
            "{comparison:?}"
        );
    }

    #[test]
    fn a_room_with_the_alias_and_no_marker_is_adopted_and_another_conferences_is_not() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let mut found = made(&plan);
        found[0].marker = None;
        found[1].marker.as_mut().unwrap().conference = "other".into();
        found[1].aliases.clear();
        let comparison = compare(&plan, "two23", "x", &found);
        assert!(comparison.adopted.contains("space"));
        assert!(comparison.writes("space").eq([&Write::Mark]));
        assert!(comparison.writes("announcements").eq([&Write::Create, &Write::Child]));
    }
}
