//! `confbot provision` against the homeserver, checked by other users' clients: the plan
//! changes nothing, `--apply` makes the space, the rooms, their aliases, power levels and
//! invitations, a second run makes no write, a room renamed in the schedule keeps its room
//! and its old alias, and a run killed half-way is carried on by the next.

use super::*;
use matrix_sdk::ruma::api::client::state::{get_state_event_for_key, get_state_events};
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedRoomId};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// A bot configured to provision the two-track fixture, with an organizer invited to the
/// private rooms and a moderator of its own for the Kernel track.
async fn provisioning_bot(organizer: &Peer, moderator: &Peer) -> (Bot, String) {
    let bot_user = support::register_user("confbot").await;
    let prefix = support::unique("p");
    let tail = format!(
        "organizers = [\"{org}\"]\n[provision]\nalias_prefix = \"{prefix}-\"\ninvite = [\"{org}\"]\n\
         [provision.moderators]\n\"Kernel\" = [\"{kmod}\"]\n",
        org = organizer.user,
        kmod = moderator.user
    );
    let bot = Bot::for_user(bot_user, "", &tail);
    let schedule = bot.dir.path().join("two-tracks.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml"),
        &schedule,
    )
    .unwrap();
    bot.use_schedule(&schedule);
    bot.include_rooms_file();
    (bot, prefix)
}

/// The room `#PREFIX-SLUG:localhost` names, if any.
async fn room_of(peer: &Peer, prefix: &str, slug: &str) -> Option<OwnedRoomId> {
    let alias = OwnedRoomAliasId::try_from(format!("#{prefix}-{slug}:localhost")).unwrap();
    peer.client.resolve_room_alias(&alias).await.ok().map(|r| r.room_id)
}

/// A state event's content as `peer` reads it (public rooms are readable by anyone).
async fn state(peer: &Peer, room: &OwnedRoomId, event_type: &str, state_key: &str) -> Value {
    let request =
        get_state_event_for_key::v3::Request::new(room.clone(), StateEventType::from(event_type), state_key.into());
    let response = peer
        .client
        .send(request)
        .await
        .unwrap_or_else(|err| panic!("{event_type} of {room}: {err}"));
    serde_json::from_str(response.event_or_content.get()).unwrap()
}

/// The rooms a space lists as its children.
async fn children(peer: &Peer, space: &OwnedRoomId) -> Vec<String> {
    let response = peer
        .client
        .send(get_state_events::v3::Request::new(space.clone()))
        .await
        .unwrap();
    let mut children: Vec<String> = (response.room_state.iter())
        .filter(|e| e.get_field::<String>("type").ok().flatten().as_deref() == Some("m.space.child"))
        .filter_map(|e| e.get_field::<String>("state_key").ok().flatten())
        .collect();
    children.sort();
    children
}

const SLUGS: [&str; 11] = [
    "space",
    "announcements",
    "moderators",
    "speakers",
    "kernel-track",
    "web-track",
    "hall-a",
    "hall-a-backstage",
    "hall-a-moderators",
    "hall-b",
    "hall-b-backstage",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_provision_plans_then_makes_the_rooms_and_a_second_run_writes_nothing() {
    let organizer = Peer::new("organizer").await;
    let moderator = Peer::new("kmod").await;
    let (bot, prefix) = provisioning_bot(&organizer, &moderator).await;

    // The plan, on a server without these rooms, changes nothing.
    let (code, plan, err) = bot.provision(&[]).await;
    assert_eq!(code, Some(0), "{plan}\n{err}");
    assert!(
        plan.contains("11 rooms: 11 to create, 0 to correct, 0 as planned; 21 writes"),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("create  #{prefix}-hall-a-backstage:localhost")),
        "{plan}"
    );
    assert!(plan.contains("run again with --apply"), "{plan}");
    for slug in SLUGS {
        assert_eq!(
            room_of(&organizer, &prefix, slug).await,
            None,
            "{slug} made without --apply"
        );
    }

    let (code, out, err) = bot.provision(&["--apply"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(err.contains("[21/21]") && err.contains("21 writes in"), "{err}");
    let mut rooms = BTreeMap::new();
    for slug in SLUGS {
        let room = room_of(&organizer, &prefix, slug).await;
        rooms.insert(slug, room.unwrap_or_else(|| panic!("no room #{prefix}-{slug}\n{err}")));
    }
    let room = |slug: &str| rooms[slug].clone();

    // Names, and the spaces: the conference's lists the shared rooms and the tracks'
    // spaces, each track's space its rooms.
    assert_eq!(
        state(&organizer, &room("hall-a"), "m.room.name", "").await["name"],
        "Hall A"
    );
    assert_eq!(
        state(&organizer, &room("space"), "m.room.create", "").await["type"],
        "m.space"
    );
    let mut expected: Vec<String> = ["announcements", "moderators", "speakers", "kernel-track", "web-track"]
        .iter()
        .map(|slug| room(slug).to_string())
        .collect();
    expected.sort();
    assert_eq!(children(&organizer, &room("space")).await, expected);
    let mut kernel: Vec<String> = ["hall-a", "hall-a-backstage", "hall-a-moderators"]
        .iter()
        .map(|s| room(s).to_string())
        .collect();
    kernel.sort();
    assert_eq!(children(&organizer, &room("kernel-track")).await, kernel);

    // Power: the organizer 100 everywhere, the Kernel moderator 50 in the Kernel rooms
    // only, everyone else 0 and unable to change state.
    let levels = state(&organizer, &room("hall-a"), "m.room.power_levels", "").await;
    assert_eq!(levels["users"][organizer.user.as_str()], 100, "{levels}");
    assert_eq!(levels["users"][moderator.user.as_str()], 50, "{levels}");
    assert_eq!(
        (levels["users_default"].as_i64(), levels["state_default"].as_i64()),
        (Some(0), Some(50))
    );
    let web = state(&organizer, &room("hall-b"), "m.room.power_levels", "").await;
    assert!(web["users"].get(moderator.user.as_str()).is_none(), "{web}");
    assert_eq!(
        state(&organizer, &room("hall-a"), "m.room.history_visibility", "").await["history_visibility"],
        "world_readable"
    );

    // The private rooms: the organizer and the Kernel moderator were invited to the
    // Kernel backstage; the moderator was not invited to the Web one, nor can join it.
    organizer
        .client
        .join_room_by_id(&room("hall-a-backstage"))
        .await
        .expect("the organizer was invited");
    moderator
        .client
        .join_room_by_id(&room("hall-a-backstage"))
        .await
        .expect("the Kernel moderator was invited");
    assert!(moderator
        .client
        .join_room_by_id(&room("hall-b-backstage"))
        .await
        .is_err());
    let backstage = state(&organizer, &room("hall-a-backstage"), "m.room.join_rules", "").await;
    assert_eq!(backstage["join_rule"], "invite");

    // The rooms file, which the config includes: `confbot check` routes by it.
    let file = std::fs::read_to_string(bot.dir.path().join("rooms.generated.toml")).unwrap();
    let line = format!(
        "\"Hall A\" = {{ room = \"{}\", moderators = \"{}\", backstage = \"{}\" }}",
        room("hall-a"),
        room("hall-a-moderators"),
        room("hall-a-backstage")
    );
    assert!(file.contains(&line), "{file}");
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_confbot"))
        .args(["check", "--config", bot.config_path().to_str().unwrap()])
        .output()
        .unwrap();
    let checked = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{checked}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let route = format!(
        "Hall A: reminders to {}, {}; questions to {}, approved ones to {}",
        room("announcements"),
        room("hall-a"),
        room("hall-a-moderators"),
        room("hall-a-backstage")
    );
    assert!(checked.contains(&route), "{checked}");

    // A second run finds everything as planned.
    let (code, again, err) = bot.provision(&["--apply"]).await;
    assert_eq!(code, Some(0), "{again}\n{err}");
    assert!(
        again.contains("11 rooms: 0 to create, 0 to correct, 11 as planned; 0 writes"),
        "{again}"
    );
    assert!(err.contains("0 writes in"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_provision_killed_half_way_carries_on_and_a_renamed_room_keeps_its_room_and_old_alias() {
    let organizer = Peer::new("organizer").await;
    let moderator = Peer::new("kmod").await;
    let (bot, prefix) = provisioning_bot(&organizer, &moderator).await;

    // Killed (SIGKILL) while it creates the third room.
    let mut child = bot.provision_command(&["--apply"]).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let seen = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with("[3/21] create") {
                break;
            }
        }
        seen
    });
    let seen = tokio::time::timeout(support::WAIT, seen)
        .await
        .expect("provision reached the third room")
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let mut made = 0;
    for slug in SLUGS {
        made += usize::from(room_of(&organizer, &prefix, slug).await.is_some());
    }
    assert!((1..11).contains(&made), "{made} rooms made before the kill\n{seen}");

    // The next run creates the rest, and only the rest.
    let (code, out, err) = bot.provision(&["--apply"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    // What was made before the kill is not made again (a request under way at the kill may
    // still have made its room).
    let to_create: usize = (out.split("11 rooms: ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of rooms to create\n{out}"));
    assert!(
        (1..=11 - made).contains(&to_create),
        "{made} made before, {to_create} to create\n{out}"
    );
    let mut ids = std::collections::BTreeSet::new();
    for slug in SLUGS {
        ids.insert(
            room_of(&organizer, &prefix, slug)
                .await
                .unwrap_or_else(|| panic!("no {slug}\n{err}")),
        );
    }
    assert_eq!(ids.len(), SLUGS.len());
    let hall_a = room_of(&organizer, &prefix, "hall-a").await.expect("Hall A's room");
    let (_, again, _) = bot.provision(&[]).await;
    assert!(again.contains("; 0 writes"), "{again}");

    // The invited accept: the organizer joins Hall A's backstage, the Kernel moderator its
    // moderators room. A rename must not invite them again (the homeserver refuses to
    // invite a member).
    let backstage = room_of(&organizer, &prefix, "hall-a-backstage")
        .await
        .expect("the backstage");
    let moderators = room_of(&moderator, &prefix, "hall-a-moderators")
        .await
        .expect("the moderators room");
    organizer
        .client
        .join_room_by_id(&backstage)
        .await
        .expect("the organizer joins");
    moderator
        .client
        .join_room_by_id(&moderators)
        .await
        .expect("the moderator joins");

    // Hall A is renamed in the schedule: its room is renamed and gets the new alias, and
    // the old alias still leads to it.
    let schedule = bot.dir.path().join("two-tracks.toml");
    let text = std::fs::read_to_string(&schedule)
        .unwrap()
        .replace("\"Hall A\"", "\"Hall Alpha\"");
    std::fs::write(&schedule, text).unwrap();
    let (code, out, err) = bot.provision(&["--apply"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("renamed in the schedule (was public:Hall A)"), "{out}");
    assert!(out.contains("0 to create"), "{out}");
    assert!(!err.contains(" invite "), "no one is invited again\n{err}");
    assert_eq!(room_of(&organizer, &prefix, "hall-alpha").await.as_ref(), Some(&hall_a));
    assert_eq!(
        room_of(&organizer, &prefix, "hall-a").await.as_ref(),
        Some(&hall_a),
        "the old alias stays"
    );
    assert_eq!(
        state(&organizer, &hall_a, "m.room.name", "").await["name"],
        "Hall Alpha"
    );
    let aliases = state(&organizer, &hall_a, "m.room.canonical_alias", "").await;
    assert_eq!(aliases["alias"], format!("#{prefix}-hall-alpha:localhost"));
    assert_eq!(
        aliases["alt_aliases"],
        serde_json::json!([format!("#{prefix}-hall-a:localhost")])
    );
    let file = std::fs::read_to_string(bot.dir.path().join("rooms.generated.toml")).unwrap();
    assert!(
        file.contains(&format!("\"Hall Alpha\" = {{ room = \"{hall_a}\"")),
        "{file}"
    );
    let (_, again, _) = bot.provision(&[]).await;
    assert!(again.contains("; 0 writes"), "{again}");
}
