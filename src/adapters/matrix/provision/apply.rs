//! Making the plan's writes, in the core's order, one request at a time: a line on stderr
//! for each, a 429 waited out with the time left shown, a failure named and the rest
//! carried on (a re-run picks up what is missing). Every room is created whole, marker
//! included, in one request, so an interrupted run leaves no half-made room.

use super::{once, room_id};
use crate::app::SendError;
use crate::provision::{Comparison, Kind, Marker, Options, Plan, RoomSpec, Step, Write, ADMIN, MARKER_TYPE, MODERATOR};
use anyhow::Context;
use matrix_sdk::ruma::api::client::alias::create_alias;
use matrix_sdk::ruma::api::client::discovery::get_capabilities;
use matrix_sdk::ruma::api::client::membership::invite_user;
use matrix_sdk::ruma::api::client::room::{create_room, Visibility};
use matrix_sdk::ruma::api::client::state::{get_state_event_for_key, send_state_event};
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, HttpError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write as _};
use std::time::{Duration, Instant};

/// What applying did.
pub struct Made {
    /// Every planned room that exists now: key → room id.
    pub ids: BTreeMap<String, String>,
    /// Writes that failed (each named on stderr).
    pub failures: usize,
}

/// Makes `comparison`'s writes.
pub async fn apply(client: &Client, plan: &Plan, options: &Options, server: &str, comparison: &Comparison) -> Made {
    let mut writer = Writer {
        client,
        plan,
        options,
        server,
        ids: comparison.existing.clone(),
        created: BTreeSet::new(),
        failed: BTreeSet::new(),
        failures: 0,
        requests: 0,
        creators_privileged: creators_privileged(client).await,
    };
    let total = comparison.steps.len();
    let started = Instant::now();
    for (n, step) in comparison.steps.iter().enumerate() {
        let room = plan.room(&step.key).expect("a planned room");
        let label = format!("[{}/{total}] {} #{}:{server}", n + 1, describe(&step.write), room.alias);
        if writer.failed.contains(&step.key)
            || room
                .parent
                .as_ref()
                .is_some_and(|p| writer.failed.contains(p) && step.write == Write::Child)
        {
            eprintln!("{label}: skipped, the room could not be made");
            continue;
        }
        eprintln!("{label}");
        if let Err(err) = writer.write(room, step).await {
            eprintln!("  failed: {err:#}");
            writer.failures += 1;
            if step.write == Write::Create {
                writer.failed.insert(step.key.clone());
            }
        }
    }
    eprintln!(
        "{total} writes in {:.1} s ({} requests, {} failed){}",
        started.elapsed().as_secs_f64(),
        writer.requests,
        writer.failures,
        if writer.failures > 0 {
            "; run again to carry on"
        } else {
            ""
        }
    );
    Made {
        ids: writer.ids,
        failures: writer.failures,
    }
}

fn describe(write: &Write) -> &'static str {
    match write {
        Write::Create => "create",
        Write::Mark => "mark",
        Write::Name => "name",
        Write::Alias => "alias",
        Write::Topic => "topic",
        Write::Power(_) => "power levels",
        Write::Child => "list in space",
        Write::Invite(_) => "invite",
    }
}

/// Whether the homeserver's default room version gives room creators a power above any
/// level (version 12 on): such a creator must not be listed in the power levels.
async fn creators_privileged(client: &Client) -> bool {
    match client.send(get_capabilities::v3::Request::new()).await {
        Ok(response) => (response.capabilities.room_versions.default.rules())
            .is_some_and(|rules| rules.authorization.explicitly_privilege_room_creators),
        Err(_) => false,
    }
}

struct Writer<'a> {
    client: &'a Client,
    plan: &'a Plan,
    options: &'a Options,
    server: &'a str,
    ids: BTreeMap<String, String>,
    /// Rooms created in this run: their parent link is already in their state.
    created: BTreeSet<String>,
    /// Rooms that could not be created: the writes on them are skipped.
    failed: BTreeSet<String>,
    failures: usize,
    requests: usize,
    creators_privileged: bool,
}

impl Writer<'_> {
    async fn write(&mut self, room: &RoomSpec, step: &Step) -> anyhow::Result<()> {
        if step.write == Write::Create {
            return self.create(room).await;
        }
        let id = room_id(&self.ids, &room.key).context("the room is not there")?;
        match &step.write {
            Write::Create => unreachable!("handled above"),
            Write::Mark => {
                let marker = serde_json::to_value(Marker::of(room, &self.options.conference))?;
                self.put_state(&id, MARKER_TYPE, "", marker).await
            }
            Write::Name => {
                self.put_state(&id, "m.room.name", "", json!({ "name": room.name }))
                    .await
            }
            Write::Topic => {
                self.put_state(&id, "m.room.topic", "", json!({ "topic": room.topic }))
                    .await
            }
            Write::Alias => self.alias(room, &id).await,
            Write::Power(users) => self.power(&id, users).await,
            Write::Child => self.child(room, &id).await,
            Write::Invite(users) => self.invite(&id, users).await,
        }
    }

    async fn create(&mut self, room: &RoomSpec) -> anyhow::Result<()> {
        let mut request = create_room::v3::Request::new();
        request.name = Some(room.name.clone());
        request.topic = room.topic.clone();
        request.room_alias_name = Some(room.alias.clone());
        request.preset = Some(if room.kind.public() {
            create_room::v3::RoomPreset::PublicChat
        } else {
            create_room::v3::RoomPreset::PrivateChat
        });
        // The conference's space is listed in the room directory; the rest are found in it.
        request.visibility = if room.kind == Kind::Space {
            Visibility::Public
        } else {
            Visibility::Private
        };
        if room.kind.is_space() {
            request.creation_content = Some(raw(json!({ "type": "m.space" }))?);
        }
        request.power_level_content_override = Some(raw(self.power_template(room))?);
        let marker = serde_json::to_value(Marker::of(room, &self.options.conference))?;
        let mut state = vec![
            json!({ "type": MARKER_TYPE, "state_key": "", "content": marker }),
            json!({ "type": "m.room.history_visibility", "state_key": "",
                    "content": { "history_visibility": room.kind.history_visibility() } }),
        ];
        if let Some(parent) = room.parent.as_deref().and_then(|p| self.ids.get(p)) {
            state.push(json!({ "type": "m.space.parent", "state_key": parent,
                               "content": { "via": [self.server], "canonical": true } }));
        }
        request.initial_state = state.into_iter().map(raw).collect::<anyhow::Result<_>>()?;
        request.invite = (room.invite.iter())
            .filter_map(|user| OwnedUserId::try_from(user.as_str()).ok())
            .collect();
        let created = self
            .send("creating the room", || {
                self.client.send(request.clone()).with_request_config(once())
            })
            .await;
        let id = match created {
            Ok(response) => response.room_id,
            // The alias is taken: by this very room when a run killed while creating it
            // reached the homeserver, which made it after this run looked.
            Err(err) if format!("{err:#}").contains("M_ROOM_IN_USE") => self.made_before(room).await.context(err)?,
            Err(err) => return Err(err),
        };
        self.ids.insert(room.key.clone(), id.to_string());
        self.created.insert(room.key.clone());
        Ok(())
    }

    /// The room holding `room`'s alias, if its marker says it is that room of this
    /// conference (made whole, in one request, by an earlier run).
    async fn made_before(&mut self, room: &RoomSpec) -> anyhow::Result<OwnedRoomId> {
        let alias: OwnedRoomAliasId = format!("#{}:{}", room.alias, self.server).try_into()?;
        let held = self.client.resolve_room_alias(&alias).await?.room_id;
        let marker = self.get_state(&held, MARKER_TYPE).await?;
        let marker: Option<Marker> = marker.and_then(|m| serde_json::from_value(m).ok());
        match marker {
            Some(m) if m.conference == self.options.conference && m.key == room.key => {
                eprintln!("  made by an earlier run that was stopped: {held}");
                Ok(held)
            }
            _ => anyhow::bail!("{alias} belongs to {held}, which is not this conference's {}", room.key),
        }
    }

    /// The power levels a new room starts with: the plan's users, everyone else 0, state
    /// changes at 50, and the bot's marker, the power levels and the history at 100.
    fn power_template(&self, room: &RoomSpec) -> Value {
        let users: BTreeMap<&String, &i64> = (room.power.iter())
            .filter(|(user, _)| !(self.creators_privileged && **user == self.options.bot))
            .collect();
        let moderator = MODERATOR;
        let admin = ADMIN;
        json!({
            "users": users,
            "users_default": 0,
            "events_default": if room.kind.is_space() { admin } else { 0 },
            "state_default": moderator,
            "invite": if room.kind.public() { 0 } else { moderator },
            "kick": moderator,
            "ban": moderator,
            "redact": moderator,
            "events": {
                "m.room.name": moderator,
                "m.room.topic": moderator,
                "m.room.avatar": moderator,
                "m.room.canonical_alias": moderator,
                "m.room.pinned_events": moderator,
                "m.space.child": moderator,
                "m.room.power_levels": admin,
                "m.room.history_visibility": admin,
                "m.room.join_rules": admin,
                "m.room.encryption": admin,
                "m.room.server_acl": admin,
                "m.room.tombstone": admin,
                "m.space.parent": admin,
                MARKER_TYPE: admin,
            },
        })
    }

    /// Adds the planned alias and makes it canonical; the old aliases stay as alternatives.
    async fn alias(&mut self, room: &RoomSpec, id: &OwnedRoomId) -> anyhow::Result<()> {
        let alias: OwnedRoomAliasId = format!("#{}:{}", room.alias, self.server).try_into()?;
        let held = self.client.resolve_room_alias(&alias).await.ok().map(|r| r.room_id);
        match held {
            Some(other) if other != *id => {
                anyhow::bail!("{alias} already belongs to {other}: the room keeps its aliases")
            }
            Some(_) => {}
            None => {
                let request = create_alias::v3::Request::new(alias.clone(), id.clone());
                self.send("adding the alias", || {
                    self.client.send(request.clone()).with_request_config(once())
                })
                .await?;
            }
        }
        let current = self.get_state(id, "m.room.canonical_alias").await?.unwrap_or(json!({}));
        let mut alt: Vec<String> = Vec::new();
        let old = current.get("alias").and_then(Value::as_str).map(str::to_string);
        let old_alt = current
            .get("alt_aliases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for other in old
            .into_iter()
            .chain(old_alt.iter().filter_map(|a| a.as_str().map(str::to_string)))
        {
            if other != alias.as_str() && !alt.contains(&other) {
                alt.push(other);
            }
        }
        self.put_state(
            id,
            "m.room.canonical_alias",
            "",
            json!({ "alias": alias, "alt_aliases": alt }),
        )
        .await
    }

    /// Gives `users` their levels, leaving everyone else's as they are.
    async fn power(&mut self, id: &OwnedRoomId, users: &[(String, i64)]) -> anyhow::Result<()> {
        let mut content = self.get_state(id, "m.room.power_levels").await?.unwrap_or(json!({}));
        let map = content
            .as_object_mut()
            .context("the power levels are not an object")?
            .entry("users")
            .or_insert(json!({}));
        for (user, level) in users {
            map[user] = json!(level);
        }
        self.put_state(id, "m.room.power_levels", "", content).await
    }

    /// Lists the room in its space, in the plan's order; a room made before links back.
    async fn child(&mut self, room: &RoomSpec, id: &OwnedRoomId) -> anyhow::Result<()> {
        let parent_key = room.parent.as_deref().context("no parent")?;
        let parent = room_id(&self.ids, parent_key).context("its space is not there")?;
        let order = self.plan.rooms.iter().position(|r| r.key == room.key).unwrap_or(0);
        let child = json!({ "via": [self.server], "order": format!("{order:04}") });
        self.put_state(&parent, "m.space.child", id.as_str(), child).await?;
        if !self.created.contains(&room.key) {
            let link = json!({ "via": [self.server], "canonical": true });
            self.put_state(id, "m.space.parent", parent.as_str(), link).await?;
        }
        Ok(())
    }

    async fn invite(&mut self, id: &OwnedRoomId, users: &[String]) -> anyhow::Result<()> {
        let mut failed = Vec::new();
        for user in users {
            let Ok(user_id) = OwnedUserId::try_from(user.as_str()) else {
                continue;
            };
            let recipient = invite_user::v3::InviteUserId::new(user_id);
            let request = invite_user::v3::Request::new(id.clone(), recipient.into());
            if let Err(err) = self
                .send("inviting", || {
                    self.client.send(request.clone()).with_request_config(once())
                })
                .await
            {
                failed.push(format!("{user}: {err:#}"));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("{}", failed.join("; "))
        }
    }

    async fn get_state(&mut self, id: &OwnedRoomId, event_type: &str) -> anyhow::Result<Option<Value>> {
        let request =
            get_state_event_for_key::v3::Request::new(id.clone(), StateEventType::from(event_type), String::new());
        match self
            .send("reading the room's state", || {
                self.client.send(request.clone()).with_request_config(once())
            })
            .await
        {
            Ok(response) => Ok(Some(serde_json::from_str(response.event_or_content.get())?)),
            Err(err) if err.to_string().contains("M_NOT_FOUND") => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn put_state(
        &mut self,
        id: &OwnedRoomId,
        event_type: &str,
        state_key: &str,
        content: Value,
    ) -> anyhow::Result<()> {
        let request = send_state_event::v3::Request::new_raw(
            id.clone(),
            StateEventType::from(event_type),
            state_key.to_string(),
            raw(content)?,
        );
        self.send(&format!("setting {event_type}"), || {
            self.client.send(request.clone()).with_request_config(once())
        })
        .await?;
        Ok(())
    }

    /// Sends one request, waiting out each rate limit with the time left on stderr.
    async fn send<T, F, R>(&mut self, doing: &str, request: F) -> anyhow::Result<T>
    where
        F: Fn() -> R,
        R: std::future::IntoFuture<Output = Result<T, HttpError>>,
    {
        loop {
            self.requests += 1;
            match request().await {
                Ok(response) => return Ok(response),
                Err(err) => match super::super::outbox::classify(err, doing) {
                    SendError::Busy { retry_after, .. } => wait_out(retry_after).await,
                    other => return Err(anyhow::Error::new(other)),
                },
            }
        }
    }
}

/// Waits `wait`, counting down on a terminal.
async fn wait_out(wait: Duration) {
    let until = Instant::now() + wait;
    let terminal = std::io::stderr().is_terminal();
    eprintln!(
        "  rate-limited by the homeserver: waiting {:.0} s",
        wait.as_secs_f64().ceil()
    );
    if !terminal {
        tokio::time::sleep(wait).await;
        return;
    }
    while let Some(left) = until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
        eprint!("\r  {:>3} s left ", left.as_secs() + 1);
        let _ = std::io::stderr().flush();
        tokio::time::sleep(left.min(Duration::from_secs(1))).await;
    }
    eprintln!("\r  carrying on   ");
}

fn raw<T>(value: Value) -> anyhow::Result<Raw<T>> {
    Ok(Raw::from_json(serde_json::value::to_raw_value(&value)?))
}
