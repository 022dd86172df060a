//! `confbot provision`: reads the rooms the bot is in, has the core compare them with the
//! rooms the schedule needs, prints the plan and, with `--apply`, makes its writes one
//! after another (see [`apply`]), then writes the rooms file the config includes.

mod apply;

use crate::config::Config;
use crate::infra::state::StateDir;
use crate::provision::{self, Found, Marker, Options, Plan, Write, MARKER_TYPE};
use crate::schedule::Schedule;
use anyhow::Context;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedState;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedRoomId, UInt, UserId};
use matrix_sdk::{Client, Room};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

/// What `confbot provision` was asked to do.
pub struct Provision {
    /// Make the writes; else only print them.
    pub apply: bool,
    /// Where the rooms file goes.
    pub rooms_file: PathBuf,
}

/// Prints the plan for `schedule` and, when asked, applies it; false when some write
/// failed (each is named on stderr; a re-run carries on).
pub async fn provision(config: &Config, schedule: &Schedule, how: &Provision) -> anyhow::Result<bool> {
    let matrix = config.matrix.clone().context(
        "the config has no [matrix] section: provision makes the rooms as the bot, so it needs homeserver and user",
    )?;
    let state = StateDir::lock(&matrix.state_dir)?;
    let (client, _) = super::login::connect(&matrix).await?;
    let own = client.user_id().context("logged in without a user id")?.to_owned();
    let server = own.server_name().to_string();
    eprintln!("reading the rooms {own} is in on {}", matrix.homeserver);
    sync(&client).await?;
    let options = Options::from_config(config, schedule, own.as_str());
    let plan = provision::plan(schedule, &options);
    let mut found = read_marked(&client, &plan, &options.conference).await;
    let mut comparison = provision::compare(&plan, &options.conference, &server, &found);
    // A room to create whose alias is taken: a room made by hand is adopted when the bot
    // is in it or may join it; another is left alone, and its place is not provisioned.
    let mut blocked: BTreeMap<String, String> = BTreeMap::new();
    let creating: Vec<String> = (comparison.steps.iter())
        .filter(|s| s.write == Write::Create)
        .map(|s| s.key.clone())
        .collect();
    let mut adopted: Vec<(String, OwnedRoomAliasId, OwnedRoomId)> = Vec::new();
    for key in creating {
        let room = plan.room(&key).expect("a planned room");
        let alias: OwnedRoomAliasId = format!("#{}:{server}", room.alias)
            .try_into()
            .with_context(|| format!("the alias {} is not a valid alias", room.alias))?;
        let Ok(held) = client.resolve_room_alias(&alias).await else {
            continue;
        };
        let joined = client
            .get_room(&held.room_id)
            .filter(|r| r.state() == matrix_sdk::RoomState::Joined);
        if joined.is_none() {
            if let Err(err) = client.join_room_by_id(&held.room_id).await {
                let why = format!("{alias} is taken by {}, which the bot cannot join: {err}", held.room_id);
                blocked.insert(key, why);
                continue;
            }
        }
        adopted.push((key, alias, held.room_id));
    }
    if !adopted.is_empty() {
        // The rooms just joined, or made by a run stopped after this one's sync, have
        // their state in the next sync.
        sync(&client).await?;
        for (key, alias, id) in adopted {
            let Some(joined) = client.get_room(&id) else { continue };
            let marker = marker(&joined).await;
            if marker.as_ref().is_some_and(|m| m.conference != options.conference) {
                blocked.insert(key, format!("{alias} belongs to another conference's room ({id})"));
                continue;
            }
            if !found.iter().any(|f| f.id == id.as_str()) {
                found.push(read_room(&joined, &plan, marker).await);
            }
        }
        comparison = provision::compare(&plan, &options.conference, &server, &found);
    }
    comparison.steps.retain(|s| !blocked.contains_key(&s.key));
    println!(
        "{} on {server}, as {own}: rooms of the conference \"{}\"",
        schedule.conference().name,
        options.conference
    );
    print!("{}", provision::report(&plan, &comparison, &options, &server));
    for (key, why) in &blocked {
        println!("blocked: {key}: {why}");
    }
    let creations = comparison.steps.iter().filter(|s| s.write == Write::Create).count();
    if creations > provision::CREATION_BURST && !exempt(&client, &own).await {
        println!(
            "Synapse lets an account create {} rooms at once and then one a minute: creating {creations} may take about {} minutes, waited out here.\n\
             A server admin exempts the bot from rate limits with:\n  \
             curl -X POST -H \"Authorization: Bearer $ADMIN_TOKEN\" -d '{{\"messages_per_second\": 0, \"burst_count\": 0}}' \\\n    \
             {}/_synapse/admin/v1/users/{own}/override_ratelimit",
            provision::CREATION_BURST,
            provision::creation_minutes(creations),
            matrix.homeserver.trim_end_matches('/')
        );
    }
    if !how.apply {
        if !comparison.steps.is_empty() {
            println!("nothing was changed: run again with --apply to make these writes");
        }
        return Ok(blocked.is_empty());
    }
    let made = apply::apply(&client, &plan, &options, &server, &comparison).await;
    write_rooms_file(config, schedule, &plan, &made.ids, &server, how)?;
    drop(state);
    Ok(made.failures == 0 && blocked.is_empty())
}

/// Writes the rooms file, and says how the config reads it.
fn write_rooms_file(
    config: &Config,
    schedule: &Schedule,
    plan: &Plan,
    ids: &BTreeMap<String, String>,
    server: &str,
    how: &Provision,
) -> anyhow::Result<()> {
    let text = provision::rooms_file(plan, ids, server, &schedule.conference().name);
    if std::fs::read_to_string(&how.rooms_file).is_ok_and(|old| old == text) {
        eprintln!("{} is up to date", how.rooms_file.display());
    } else {
        std::fs::write(&how.rooms_file, text).with_context(|| format!("writing {}", how.rooms_file.display()))?;
        eprintln!("wrote the rooms to {}", how.rooms_file.display());
    }
    let included = config.include.iter().any(|file| same_file(file, &how.rooms_file));
    if !included {
        let name = how
            .rooms_file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        eprintln!("the config does not include it yet: add include = [\"{name}\"] at its top, so `confbot run` uses these rooms");
    }
    Ok(())
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// One sync that returns at once: the rooms' state lands in the client's store.
async fn sync(client: &Client) -> anyhow::Result<()> {
    let settings = SyncSettings::default()
        .filter(Filter::FilterDefinition(filter()))
        .timeout(Duration::ZERO);
    client
        .sync_once(settings)
        .await
        .context("syncing with the homeserver")?;
    Ok(())
}

/// What provisioning syncs: the bot's own filter (every joined room's state, members
/// loaded lazily), without the history.
fn filter() -> FilterDefinition {
    let mut filter = super::sync_filter();
    filter.room.timeline.limit = Some(UInt::from(1u32));
    filter
}

/// The rooms the bot is in that carry the conference's marker.
async fn read_marked(client: &Client, plan: &Plan, conference: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for room in client.joined_rooms() {
        let marker = marker(&room).await;
        if marker.as_ref().is_some_and(|m| m.conference == conference) {
            found.push(read_room(&room, plan, marker).await);
        }
    }
    found
}

async fn marker(room: &Room) -> Option<Marker> {
    let state = room
        .get_state_event(StateEventType::from(MARKER_TYPE), "")
        .await
        .ok()??;
    match state {
        RawAnySyncOrStrippedState::Sync(raw) => raw.get_field::<Marker>("content").ok()?,
        RawAnySyncOrStrippedState::Stripped(_) => None,
    }
}

/// A room as the homeserver has it, for the users the plan names.
async fn read_room(room: &Room, plan: &Plan, marker: Option<Marker>) -> Found {
    let users: BTreeSet<&String> = plan.rooms.iter().flat_map(|r| r.power.keys()).collect();
    let mut power = BTreeMap::new();
    let mut users_default = 0;
    if let Ok(levels) = room.power_levels().await {
        users_default = i64::from(levels.users_default);
        for user in users {
            let Ok(id) = <&UserId>::try_from(user.as_str()) else {
                continue;
            };
            let level = match levels.for_user(id) {
                // A creator of a room of version 12 or later outranks any level.
                UserPowerLevel::Infinite => provision::ADMIN,
                UserPowerLevel::Int(level) => i64::from(level),
                _ => continue,
            };
            power.insert(user.clone(), level);
        }
    }
    let mut children = Vec::new();
    if room.is_space() {
        for state in room
            .get_state_events(StateEventType::SpaceChild)
            .await
            .unwrap_or_default()
        {
            let RawAnySyncOrStrippedState::Sync(raw) = state else {
                continue;
            };
            let via: Vec<String> =
                raw.get_field("content")
                    .ok()
                    .flatten()
                    .map_or_else(Vec::new, |c: serde_json::Value| {
                        c.get("via")
                            .and_then(|v| v.as_array())
                            .map(|v| v.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                            .unwrap_or_default()
                    });
            if let (Ok(Some(child)), false) = (raw.get_field::<String>("state_key"), via.is_empty()) {
                children.push(child);
            }
        }
    }
    let mut known = BTreeSet::new();
    // Whom the room has seen, of all the plan invites anywhere: the comparison picks those
    // of the room the plan matches it to, which a rename or an adoption leaves unknown here.
    let invitees: BTreeSet<&String> = plan.rooms.iter().flat_map(|r| &r.invite).collect();
    for user in invitees {
        let Ok(id) = <&UserId>::try_from(user.as_str()) else {
            continue;
        };
        if let Ok(Some(_)) = room.get_member(id).await {
            known.insert(user.clone());
        }
    }
    let mut aliases: Vec<String> = room.canonical_alias().into_iter().map(|a| a.to_string()).collect();
    aliases.extend(room.alt_aliases().into_iter().map(|a| a.to_string()));
    Found {
        id: room.room_id().to_string(),
        marker,
        name: room.name(),
        topic: room.topic(),
        aliases,
        power,
        users_default,
        children,
        known,
    }
}

/// Whether the homeserver exempts the bot from rate limits (Synapse's admin API answers
/// only a server admin; anyone else is taken as limited).
async fn exempt(client: &Client, own: &UserId) -> bool {
    let Some(token) = client.access_token() else {
        return false;
    };
    let url = format!(
        "{}/_synapse/admin/v1/users/{}/override_ratelimit",
        client.homeserver().as_str().trim_end_matches('/'),
        urlencode(own.as_str())
    );
    let Ok(response) = matrix_sdk::reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
    else {
        return false;
    };
    let Ok(body) = response.text().await else { return false };
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&body) else {
        return false;
    };
    body.get("messages_per_second").and_then(|v| v.as_f64()) == Some(0.0)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// No retries by matrix-sdk: provisioning waits out a rate limit itself, and says so.
fn once() -> RequestConfig {
    RequestConfig::new().disable_retry().timeout(Duration::from_secs(30))
}

/// What an id of a room the plan made or found is.
fn room_id(ids: &BTreeMap<String, String>, key: &str) -> Option<OwnedRoomId> {
    ids.get(key).and_then(|id| OwnedRoomId::try_from(id.as_str()).ok())
}
