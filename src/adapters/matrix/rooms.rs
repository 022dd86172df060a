//! The bot's rooms on Matrix: joining those the config names, answering invites, following
//! room upgrades, direct rooms, and what a room says about its sender's role and place.

use super::*;

/// Joins the rooms named in `[rooms]`, so the bot needs no invite to the rooms it serves.
pub(super) async fn join_configured_rooms(client: &Client, config: &Config, out: &MatrixOutbox) {
    let via = out.via();
    let joined = client.joined_rooms();
    for room in configured_rooms(config) {
        let Ok(id) = matrix_sdk::ruma::OwnedRoomOrAliasId::try_from(room) else {
            continue;
        };
        // A room the bot is in already needs no request: a provisioned event's hundred
        // rooms, joined one after another, held up the first answer of every start.
        let known = joined.iter().find(|r| {
            r.room_id().as_str() == id.as_str()
                || r.canonical_alias().is_some_and(|a| a.as_str() == id.as_str())
                || r.alt_aliases().iter().any(|a| a.as_str() == id.as_str())
        });
        if let Some(known) = known {
            debug!(%room, "in the configured room already");
            out.remember(room, known.room_id().to_owned());
            continue;
        }
        // An alias names its server; a room id of version 12 names none, so the join asks
        // the servers the bot and its organizers are on.
        let via: &[OwnedServerName] = if id.server_name().is_none() { &via } else { &[] };
        match client.join_room_by_id_or_alias(&id, via).await {
            Ok(joined) => {
                info!(%room, "joined configured room");
                out.remember(room, joined.room_id().to_owned());
            }
            Err(err) => warn!(%room, error = %err, "could not join configured room"),
        }
    }
}

/// The servers to ask for a room known only by an id without a server (room version 12):
/// the bot's own, then those of the organizers, moderators and `[access] invite`.
pub(super) fn via_servers(access: &Access, own_user: &UserId) -> Vec<OwnedServerName> {
    let mut servers = vec![own_user.server_name().to_owned()];
    for entry in access.named() {
        let server = match UserId::parse(entry) {
            Ok(user) => user.server_name().to_owned(),
            Err(_) => match OwnedServerName::try_from(entry.trim_start_matches(':')) {
                Ok(server) => server,
                Err(_) => continue,
            },
        };
        if !servers.contains(&server) {
            servers.push(server);
        }
    }
    servers
}

pub(super) async fn on_invite(event: StrippedRoomMemberEvent, room: Room, Ctx(bot): Ctx<Matrix>) {
    if event.state_key != bot.own_user || event.content.membership != MembershipState::Invite {
        return;
    }
    answer_invite(&bot, room, &event.sender).await;
}

/// Answers the invites that were waiting when the bot started: the first sync skips the
/// backlog before the handlers are in place, so those invites never reach `on_invite`.
pub(super) async fn answer_pending_invites(client: &Client, bot: &Matrix) {
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => answer_invite(bot, room, &invite.inviter_id).await,
            Err(err) => warn!(room = %room.room_id(), error = %err, "cannot read a pending invite"),
        }
    }
}

/// Joins `room` if `[access]` allows `inviter` to invite the bot, else declines.
pub(super) async fn answer_invite(bot: &Matrix, room: Room, inviter: &UserId) {
    if !bot
        .bot
        .config
        .access
        .may_invite(inviter.as_str(), inviter.server_name().as_str())
    {
        info!(room = %room.room_id(), %inviter, "declining an invite from someone [access] invite does not allow");
        if let Err(err) = room.leave().await {
            warn!(room = %room.room_id(), error = %err, "could not decline the invite");
        }
        return;
    }
    let inviter = inviter.to_owned();
    tokio::spawn(async move {
        // Synapse may deliver the invite before the join can succeed: retry with backoff.
        let mut delay = Duration::from_millis(500);
        loop {
            match room.join().await {
                Ok(()) => {
                    info!(room = %room.room_id(), %inviter, "joined on invite");
                    return;
                }
                Err(err) if delay < Duration::from_secs(60) => {
                    debug!(room = %room.room_id(), error = %err, "join failed; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(err) => {
                    warn!(room = %room.room_id(), error = %err, "giving up joining");
                    return;
                }
            }
        }
    });
}

/// Remembers the direct room the bot shares with only `user`, for their direct messages:
/// a room marked direct (`m.direct`) for them, never one the config names, however few
/// its members.
pub(super) async fn remember_direct_room(matrix: &Matrix, room: &Room, user: &UserId) {
    let bot = &matrix.bot;
    if !is_direct_with(matrix, room, user).await {
        return;
    }
    if let Ok(Some(known)) = bot.store.direct_room(user.as_str()) {
        if known == room.room_id().as_str() {
            return;
        }
    }
    if let Err(err) = bot.store.set_direct_room(user.as_str(), room.room_id().as_str()) {
        warn!(error = %err, "remembering a direct room");
    }
}

/// Whether `room` is the bot's direct room with `user`: marked direct for them, with no
/// one else in it, and not a room the config names.
pub(super) async fn is_direct_with(matrix: &Matrix, room: &Room, user: &UserId) -> bool {
    room.is_direct().await.unwrap_or(false)
        && room
            .direct_targets()
            .iter()
            .any(|target| target.as_str() == user.as_str())
        && room.joined_members_count() <= 2
        && !is_configured(matrix, room)
}

/// Drops remembered direct rooms that are not direct rooms (a moderators room with two
/// members, remembered by an older version) or that the bot has left: a personal reminder
/// must never go to a shared room.
pub(super) async fn forget_wrong_direct_rooms(client: &Client, matrix: &Matrix) {
    let store = &matrix.bot.store;
    let remembered = match store.direct_rooms() {
        Ok(remembered) => remembered,
        Err(err) => {
            warn!(error = %err, "reading the remembered direct rooms");
            return;
        }
    };
    let mut dropped = 0;
    for (user, room_id) in remembered {
        let room = matrix_sdk::ruma::RoomId::parse(&room_id)
            .ok()
            .and_then(|id| client.get_room(&id))
            .filter(|room| room.state() == RoomState::Joined);
        let right = match (room, UserId::parse(&user)) {
            (Some(room), Ok(user)) => is_direct_with(matrix, &room, &user).await,
            _ => false,
        };
        if !right {
            match store.forget_direct_room(&user) {
                Ok(()) => dropped += 1,
                Err(err) => warn!(error = %err, "forgetting a direct room"),
            }
        }
    }
    if dropped > 0 {
        info!(
            dropped,
            "forgot remembered direct rooms that are not (or no longer) direct rooms"
        );
    }
}

/// Whether `room` is a direct room, where a bare command is one: marked direct, and not
/// a room the config names.
pub(super) fn is_dm(matrix: &Matrix, room: &Room) -> bool {
    room.direct_targets_length() > 0 && !is_configured(matrix, room)
}

/// Whether `room` is one the config names: by its id or an alias, or as joined at start.
pub(super) fn is_configured(matrix: &Matrix, room: &Room) -> bool {
    let id = room.room_id().as_str();
    let alias = room.canonical_alias();
    let alt = room.alt_aliases();
    matrix.out.serves(room.room_id())
        || configured_rooms(&matrix.bot.config).iter().any(|name| {
            *name == id
                || alias.as_ref().is_some_and(|a| a.as_str() == *name)
                || alt.iter().any(|a| a.as_str() == *name)
        })
}

/// The bot was kicked from or banned in a room: in a room the config names, the
/// moderators room is told once (unless it is that room) and the metric counts it.
pub(super) async fn on_membership(event: OriginalSyncRoomMemberEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
    if event.state_key != matrix.own_user || event.sender == matrix.own_user {
        return;
    }
    let how = match event.content.membership {
        MembershipState::Ban => Removal::Banned,
        MembershipState::Leave => Removal::Kicked,
        _ => return,
    };
    if !is_configured(&matrix, &room) {
        info!(room = %room.room_id(), by = %event.sender, ?how, "removed from a room the config does not name");
        return;
    }
    let key = format!("removed:{}", event.event_id);
    if !matrix
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.clone())
    {
        return; // delivered again (in the state and the timeline of a sync)
    }
    let names = matrix.out.names_of(room.room_id());
    let shown = names.first().cloned().unwrap_or_else(|| room.room_id().to_string());
    warn!(room = %shown, by = %event.sender, ?how, "the bot was put out of a room the config names: it cannot post there");
    matrix.bot.metrics.removed(how);
    let Some(moderators) = matrix.bot.config.rooms.moderators.clone() else {
        return;
    };
    if names.contains(&moderators) || moderators == room.room_id().as_str() {
        return; // nowhere to tell: the log says it
    }
    let message = crate::present::replies::removed_from_room(
        event.sender.as_str(),
        &shown,
        event.content.reason.as_deref(),
        how == Removal::Banned,
    );
    matrix.bot.post_once(&matrix.out, &moderators, message, &key);
}

/// The user's role: organizer if listed in `[access] organizers` or with at least
/// `[access] organizer_power_level` in the moderators room; moderator likewise with
/// `[access] moderators` and `moderator_power_level`; else attendee.
pub(super) async fn role_of(matrix: &Matrix, user: &UserId) -> Role {
    let config = &matrix.bot.config;
    let access = &config.access;
    let listed = access.listed_role(user.as_str());
    if listed == Role::Organizer {
        return listed;
    }
    let Some(moderators) = &config.rooms.moderators else {
        return listed;
    };
    let Some(room) = matrix.out.joined(moderators).await else {
        return listed;
    };
    let role = role_by_power(matrix, user, &room).await;
    if role > Role::Attendee {
        matrix
            .roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_owned(), role);
    }
    role
}

/// The role the power level of `user` in `room` gives them, with the `[access]` lists.
/// A power level counts only for a member of the room: one left over from someone who
/// left, or set for a user never there, makes no moderator. The sync loads members
/// lazily: this asks the homeserver for the room's members once.
async fn role_by_power(matrix: &Matrix, user: &UserId, room: &Room) -> Role {
    let access = &matrix.bot.config.access;
    let member = matches!(
        room.get_member(user).await,
        Ok(Some(member)) if *member.membership() == MembershipState::Join
    );
    if !member {
        return access.listed_role(user.as_str());
    }
    let level = match room.get_user_power_level(user).await {
        Ok(UserPowerLevel::Infinite) => Some(PowerLevel::Infinite),
        Ok(UserPowerLevel::Int(level)) => Some(PowerLevel::Level(i64::from(level))),
        _ => None,
    };
    access.role(user.as_str(), level)
}

/// The role of `user` acting in `room` (a command there, or a reaction on a question
/// triaged there): their conference-wide role ([`role_of`]) or, in a place's own
/// moderators room or its backstage, moderator of the questions triaged in that
/// moderators room only (by their power there), with that room as the config names it
/// (the scope). Power in a place's room makes no organizer.
pub(super) async fn role_in(matrix: &Matrix, user: &UserId, room: &Room) -> (Role, Option<String>) {
    let role = role_of(matrix, user).await;
    if role > Role::Attendee {
        return (role, None);
    }
    let rooms = &matrix.bot.config.rooms;
    let names = matrix.out.names_of(room.room_id());
    let here = |name: &str| name == room.room_id().as_str() || names.iter().any(|n| n == name);
    let own = (rooms.map.values()).find_map(|place| {
        let moderators = place.moderators.as_deref()?;
        (here(moderators) || place.backstage.as_deref().is_some_and(here)).then_some(moderators)
    });
    let Some(scope) = own else {
        return (role, None);
    };
    let moderators = if here(scope) {
        room.clone()
    } else {
        match matrix.out.joined(scope).await {
            Some(moderators) => moderators,
            None => return (role, None),
        }
    };
    match role_by_power(matrix, user, &moderators).await.min(Role::Moderator) {
        Role::Moderator => (Role::Moderator, Some(scope.to_string())),
        role => (role, None),
    }
}

/// A room the bot serves was upgraded: join the new room, post there from now on, and
/// tell the moderators room once.
pub(super) async fn on_tombstone(event: OriginalSyncRoomTombstoneEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
    let names = matrix.out.forget(room.room_id());
    let configured = configured_rooms(&matrix.bot.config);
    let named_by_id = configured.iter().any(|name| *name == room.room_id().as_str());
    if names.is_empty() && !named_by_id {
        return; // not a room the config names
    }
    let old = room.room_id().to_owned();
    let Some(new) = matrix.out.follow(&room).await else {
        warn!(%old, new = %event.content.replacement_room, "a configured room was upgraded and the new one cannot be joined");
        return;
    };
    info!(%old, new = %new.room_id(), "a configured room was upgraded; posting in the new one");
    let Some(moderators) = matrix.bot.config.rooms.moderators.clone() else {
        return;
    };
    let shown = names.first().cloned().unwrap_or_else(|| old.to_string());
    let mut message = crate::present::message::Message::new();
    message.text(&format!(
        "{shown} was upgraded to a new room ({}); I joined it and post there from now on. \
         Update the config to name the new room when you can.",
        new.room_id()
    ));
    matrix
        .bot
        .post_once(&matrix.out, &moderators, message, &format!("upgraded:{old}"));
}

/// Every room the config names.
pub(super) fn configured_rooms(config: &Config) -> Vec<&str> {
    config.rooms.all()
}

/// The speakers room or backstage the config names that a Matrix room is, as the config
/// names it.
pub(super) fn backstage_of(config: &Config, room: &Room) -> Option<String> {
    let names = room_names(room);
    (config.rooms.speakers_rooms().into_iter())
        .find(|name| names.iter().any(|n| n == name))
        .map(str::to_string)
}

/// The names a config may give `room`: its id, its alias and its other aliases.
fn room_names(room: &Room) -> Vec<String> {
    let mut names = vec![room.room_id().to_string()];
    names.extend(room.canonical_alias().map(|a| a.to_string()));
    names.extend(room.alt_aliases().iter().map(|a| a.to_string()));
    names
}

/// The schedule room or track a Matrix room is mapped to in `[rooms.map]`.
pub(super) fn place_of(config: &Config, room: &Room) -> Option<String> {
    let names = room_names(room);
    (config.rooms.map.iter())
        .find(|(_, rooms)| names.contains(&rooms.room))
        .map(|(place, _)| place.clone())
}
