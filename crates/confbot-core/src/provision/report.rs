//! What `confbot provision` prints: each room and what it would do to it, the power-level
//! template, and the count of writes.

use super::{Comparison, Kind, Options, Plan, Write, ADMIN, MODERATOR};

/// Synapse's default room-creation limit: a burst of this many rooms, then one a minute.
pub const CREATION_BURST: usize = 10;

/// The plan for `options` against what `comparison` found, on `server`.
pub fn report(plan: &Plan, comparison: &Comparison, options: &Options, server: &str) -> String {
    let alias = |key: &str| {
        plan.room(key)
            .map(|r| format!("#{}:{server}", r.alias))
            .unwrap_or_default()
    };
    let width = plan
        .rooms
        .iter()
        .map(|r| r.alias.len() + server.len() + 2)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let (mut creating, mut correcting) = (0, 0);
    for room in &plan.rooms {
        let writes: Vec<&Write> = comparison.writes(&room.key).collect();
        let created = writes.contains(&&Write::Create);
        let status = if created {
            creating += 1;
            "create "
        } else if writes.is_empty() {
            "ok     "
        } else {
            correcting += 1;
            "correct"
        };
        let mut line = format!(
            "  {status} {:<width$}  {}: \"{}\"",
            alias(&room.key),
            room.kind.describe(),
            room.name
        );
        if let Some(parent) = &room.parent {
            line.push_str(&format!(", in {}", alias(parent)));
        }
        let mut changes: Vec<String> = Vec::new();
        if let Some(old) = comparison.renamed.get(&room.key) {
            changes.push(format!(
                "renamed in the schedule (was {old}): new name and alias, the old alias kept"
            ));
        }
        if comparison.adopted.contains(&room.key) {
            changes.push("made by hand: adopted".into());
        }
        for write in writes {
            match write {
                Write::Create | Write::Mark => {}
                Write::Name if comparison.renamed.contains_key(&room.key) => {}
                Write::Alias if comparison.renamed.contains_key(&room.key) => {}
                Write::Name => changes.push("name".into()),
                Write::Alias => changes.push(format!("add alias {}", alias(&room.key))),
                Write::Topic => changes.push("topic".into()),
                Write::Power(users) => {
                    let users: Vec<String> = users.iter().map(|(u, l)| format!("{u} {l}")).collect();
                    changes.push(format!("power levels ({})", users.join(", ")));
                }
                Write::Child if created => {}
                Write::Child => changes.push("list in its space".into()),
                Write::Invite(users) => changes.push(format!("invite {}", users.join(", "))),
            }
        }
        if !changes.is_empty() {
            line.push_str(&format!(" — {}", changes.join("; ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    let mut admins = vec![options.bot.clone()];
    for organizer in &options.organizers {
        if !admins.contains(organizer) {
            admins.push(organizer.clone());
        }
    }
    out.push_str(&format!(
        "power levels: {} {ADMIN} in every room; everyone else 0, and changing a room's state takes {MODERATOR}\n",
        admins.join(", ")
    ));
    if !options.conference_moderators.is_empty() {
        out.push_str(&format!(
            "  {} {MODERATOR} in the moderators and speakers rooms\n",
            options.conference_moderators.join(", ")
        ));
    }
    for (place, users) in &options.moderators {
        out.push_str(&format!("  {} {MODERATOR} in the rooms of {place}\n", users.join(", ")));
    }
    out.push_str(&format!(
        "history: public rooms readable by anyone ({}), private ones by their members ({})\n",
        Kind::Public.history_visibility(),
        Kind::Backstage.history_visibility()
    ));
    let ok = plan.rooms.len() - creating - correcting;
    out.push_str(&format!(
        "{} rooms: {creating} to create, {correcting} to correct, {ok} as planned; {} writes\n",
        plan.rooms.len(),
        comparison.steps.len()
    ));
    out
}

/// How long creating `rooms` rooms may take under Synapse's default limit, in minutes.
pub fn creation_minutes(rooms: usize) -> usize {
    rooms.saturating_sub(CREATION_BURST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::{compare, plan, tests::options, tests::two_tracks, Per};

    #[test]
    fn the_report_names_each_room_and_what_happens_to_it() {
        let plan = plan(&two_tracks(), &options(Per::Room));
        let comparison = compare(&plan, "two23", "x", &[]);
        let text = report(&plan, &comparison, &options(Per::Room), "x");
        assert!(
            text.contains("  create  #two23-hall-a-backstage:x   private backstage: \"Hall A: backstage\", in #two23-kernel-track:x\n"),
            "{text}"
        );
        assert!(text.contains("  @kmod:x 50 in the rooms of kernel\n"), "{text}");
        assert!(
            text.ends_with("11 rooms: 11 to create, 0 to correct, 0 as planned; 21 writes\n"),
            "{text}"
        );
        assert_eq!(creation_minutes(74), 64);
    }
}
