//! Sending on Matrix: rooms named by id or alias (resolved once), every message with
//! `m.mentions` empty and a transaction id derived from its key, direct rooms opened on
//! demand and remembered in the store.

use crate::app::{Outbox, SendError};
use crate::infra::store::Store;
use crate::present::message::Message;
use anyhow::Context;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{ReplacementMetadata, RoomMessageEventContent};
use matrix_sdk::ruma::events::room::pinned_events::RoomPinnedEventsEventContent;
use matrix_sdk::ruma::events::{Mentions, StateEventType, TimelineEventType};
use matrix_sdk::ruma::{
    EventId, OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedServerName, OwnedTransactionId, RoomId, RoomOrAliasId,
    UserId,
};
use matrix_sdk::{Client, Room, RoomState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::{info, warn};

#[derive(Clone)]
pub(super) struct MatrixOutbox {
    client: Client,
    store: Arc<Store>,
    /// Room ids by the id or alias the config names them with.
    resolved: Arc<Mutex<HashMap<String, OwnedRoomId>>>,
    /// The servers to ask when joining a room known only by an id without a server.
    via: Vec<OwnedServerName>,
    /// Print posts on standard output instead of sending them (`confbot run --dry-run`).
    dry_run: bool,
    /// Until when a scheduled post waits for the homeserver's rate limit: replies hold
    /// back until then, so the free slots go to the reminders first.
    posts_held: Arc<std::sync::Mutex<Option<Instant>>>,
}

/// How many upgrades in a row the bot follows from a configured room.
const MAX_UPGRADES: usize = 5;

impl MatrixOutbox {
    pub(super) fn new(client: Client, store: Arc<Store>, via: Vec<OwnedServerName>, dry_run: bool) -> MatrixOutbox {
        MatrixOutbox {
            client,
            store,
            resolved: Arc::default(),
            via,
            dry_run,
            posts_held: Arc::default(),
        }
    }

    /// Waits while a scheduled post is held by the homeserver's rate limit (at most
    /// `patience`): a reply can wait, a reminder that misses its minute cannot.
    pub(super) async fn after_posts(&self, patience: Duration) {
        let deadline = Instant::now() + patience;
        loop {
            let held = *self.posts_held.lock().unwrap_or_else(|p| p.into_inner());
            match held {
                Some(until) if until > Instant::now() && Instant::now() < deadline => {
                    tokio::time::sleep(until.min(deadline) - Instant::now()).await;
                }
                _ => return,
            }
        }
    }

    /// Notes how a post's attempt went: held by a rate limit, or through.
    fn note_post(&self, sent: &Result<OwnedEventId, SendError>) {
        let mut held = self.posts_held.lock().unwrap_or_else(|p| p.into_inner());
        match sent {
            // The slot after the homeserver's wait, and a moment more for the post to take it.
            Err(SendError::Busy { retry_after, .. }) => {
                *held = Some(Instant::now() + *retry_after + Duration::from_secs(1));
            }
            Ok(_) => *held = None,
            Err(_) => {}
        }
    }

    /// A dry run's post: printed with where it would have gone.
    fn print(&self, to: &str, message: &Message) -> String {
        let mut text = format!("[dry run] to {to}:");
        for line in message.body().lines() {
            text.push_str("\n    ");
            text.push_str(line);
        }
        println!("{text}");
        format!("$dry-run-{:x}", crate::infra::clock::now_ms())
    }

    /// The joined room `name` (an id or alias) stands for. `NoRoom` when the alias names no
    /// room or the bot is not in it; `Failed` when the homeserver could not be asked (the
    /// post is tried again, not taken as undeliverable).
    pub(super) async fn room(&self, name: &str) -> Result<Room, SendError> {
        let known = self
            .resolved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        let id = match known {
            Some(id) => id,
            None => {
                let id = if name.starts_with('!') {
                    RoomId::parse(name).map_err(|_| SendError::NoRoom(name.to_string()))?
                } else {
                    let alias = OwnedRoomAliasId::try_from(name).map_err(|_| SendError::NoRoom(name.to_string()))?;
                    match self.client.resolve_room_alias(&alias).await {
                        Ok(response) => response.room_id,
                        Err(err) => {
                            return Err(match classify(err, &format!("resolving {name}")) {
                                SendError::Refused(_) => SendError::NoRoom(name.to_string()),
                                other => other,
                            })
                        }
                    }
                };
                self.resolved
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_string(), id.clone());
                id
            }
        };
        let room = self
            .client
            .get_room(&id)
            .filter(|room| room.state() == RoomState::Joined)
            .ok_or_else(|| SendError::NoRoom(name.to_string()))?;
        Ok(self.successor(room).await)
    }

    /// The room that replaced `room` after upgrades (joined if need be), or `room` itself.
    async fn successor(&self, mut room: Room) -> Room {
        // A chain of upgrades is short; a loop of tombstones must not hang the bot.
        for _ in 0..MAX_UPGRADES {
            let Some(next) = room.successor_room() else {
                break;
            };
            let joined = match self.client.get_room(&next.room_id) {
                Some(next) if next.state() == RoomState::Joined => Some(next),
                _ => {
                    let via = self.via.clone();
                    match self
                        .client
                        .join_room_by_id_or_alias(<&RoomOrAliasId>::from(&*next.room_id), &via)
                        .await
                    {
                        Ok(next) => {
                            info!(old = %room.room_id(), new = %next.room_id(), "joined the room that replaced an upgraded one");
                            Some(next)
                        }
                        Err(err) => {
                            warn!(old = %room.room_id(), new = %next.room_id, error = %err, "cannot join the room that replaced an upgraded one");
                            None
                        }
                    }
                }
            };
            match joined {
                Some(next) => room = next,
                None => break,
            }
        }
        room
    }

    /// The servers to ask when joining a room known only by an id without a server.
    pub(super) fn via(&self) -> Vec<OwnedServerName> {
        self.via.clone()
    }

    /// Remembers which room `name` stands for (the bot just joined it by that name).
    pub(super) fn remember(&self, name: &str, id: OwnedRoomId) {
        self.resolved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), id);
    }

    /// After `old` was upgraded: the names that stood for it, now resolved afresh (an
    /// alias usually moves to the new room; an id leads there through the tombstone).
    pub(super) fn forget(&self, old: &RoomId) -> Vec<String> {
        let mut resolved = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        let names: Vec<String> = resolved
            .iter()
            .filter(|(_, id)| id.as_str() == old.as_str())
            .map(|(name, _)| name.clone())
            .collect();
        for name in &names {
            resolved.remove(name);
        }
        names
    }

    /// The room `old` was upgraded to, joined; `None` if it cannot be joined.
    pub(super) async fn follow(&self, old: &Room) -> Option<Room> {
        let next = self.successor(old.clone()).await;
        (next.room_id() != old.room_id()).then_some(next)
    }

    /// Whether `id` is a room the config names, as resolved so far.
    pub(super) fn serves(&self, id: &RoomId) -> bool {
        self.resolved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|known| known.as_str() == id.as_str())
    }

    /// The names in the config that stand for the room `id`, as resolved so far.
    pub(super) fn names_of(&self, id: &RoomId) -> Vec<String> {
        let resolved = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = resolved
            .iter()
            .filter(|(_, known)| known.as_str() == id.as_str())
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_unstable();
        names
    }

    /// The joined room `name` stands for, if it can be told now.
    pub(super) async fn joined(&self, name: &str) -> Option<Room> {
        self.room(name).await.ok()
    }

    /// The room the bot shares with only `user`: the one it knows, a direct room the client
    /// knows, or a new one it invites them to.
    async fn direct_room(&self, user: &str) -> Result<Room, SendError> {
        let user_id = UserId::parse(user).with_context(|| format!("{user} is not a Matrix ID"))?;
        if let Ok(Some(known)) = self.store.direct_room(user) {
            if let Some(room) = RoomId::parse(&known).ok().and_then(|id| self.client.get_room(&id)) {
                let still_there = matches!(
                    room.get_member(&user_id).await,
                    Ok(Some(member)) if matches!(member.membership(), MembershipState::Join | MembershipState::Invite)
                );
                let direct = room.is_direct().await.unwrap_or(false) && !self.serves(room.room_id());
                if room.state() == RoomState::Joined && still_there && direct {
                    return Ok(room);
                }
            }
        }
        // A room the config names is never a direct room, even if marked so.
        let room = match self
            .client
            .get_dm_room(&user_id)
            .filter(|room| !self.serves(room.room_id()))
        {
            Some(room) => room,
            None => self
                .client
                .create_dm(&user_id)
                .await
                .with_context(|| format!("opening a direct room with {user}"))?,
        };
        if let Err(err) = self.store.set_direct_room(user, room.room_id().as_str()) {
            warn!(error = %err, "remembering a direct room");
        }
        Ok(room)
    }
}

impl Outbox for MatrixOutbox {
    async fn post(&self, room: &str, message: &Message, notice: bool, key: &str) -> Result<String, SendError> {
        if self.dry_run {
            return Ok(self.print(room, message));
        }
        let joined = self.room(room).await?;
        let sent = send_event(&joined, message, notice, self.store.instance(), key).await;
        self.note_post(&sent);
        Ok(sent?.to_string())
    }

    async fn direct(&self, user: &str, message: &Message, notice: bool, key: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(&format!("{user} (direct message)"), message);
            return Ok(());
        }
        let room = self.direct_room(user).await?;
        let sent = send_event(&room, message, notice, self.store.instance(), key).await;
        self.note_post(&sent);
        sent.map(drop)
    }

    async fn withdraw(&self, room: &str, event: &str, reason: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(room, &Message::plain(&format!("(took back {event}: {reason})")));
            return Ok(());
        }
        let joined = self.room(room).await?;
        let event = EventId::parse(event).with_context(|| format!("{event} is not an event id"))?;
        joined
            .redact(&event, Some(reason), None)
            .await
            .map_err(|err| classify(err, "redacting"))?;
        Ok(())
    }

    async fn edit(&self, room: &str, event: &str, message: &Message, notice: bool, key: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(&format!("{room}, editing {event}"), message);
            return Ok(());
        }
        let joined = self.room(room).await?;
        let event = EventId::parse(event).with_context(|| format!("{event} is not an event id"))?;
        let content = if notice {
            RoomMessageEventContent::notice_html(message.body(), message.html())
        } else {
            RoomMessageEventContent::text_html(message.body(), message.html())
        }
        // On the new content and on the edit itself: the edit pings nobody either.
        .add_mentions(Mentions::new())
        .make_replacement(ReplacementMetadata::new(event, Some(Mentions::new())))
        .add_mentions(Mentions::new());
        let sent = room_send(&joined, content, self.store.instance(), key).await;
        self.note_post(&sent);
        sent.map(drop)
    }

    async fn pin(&self, room: &str, event: Option<&str>, unpin: &[String]) -> Result<(), SendError> {
        if self.dry_run {
            let pinned = event.map(|e| format!("(pinned {e})")).unwrap_or_default();
            self.print(
                room,
                &Message::plain(&format!("{pinned} (unpinned {})", unpin.join(" "))),
            );
            return Ok(());
        }
        let joined = self.room(room).await?;
        // The sync hands over a joined room's whole state (lazy loading spares only
        // members): with no pinned events there, none are pinned. Asking the homeserver
        // would only earn a 404, logged as an error by the SDK.
        let mut pinned = joined.pinned_event_ids().unwrap_or_default();
        let before = pinned.clone();
        pinned.retain(|id| !unpin.iter().any(|u| u == id.as_str()));
        if let Some(event) = event {
            let event = EventId::parse(event).with_context(|| format!("{event} is not an event id"))?;
            if !pinned.contains(&event) {
                pinned.push(event);
            }
        }
        if pinned == before {
            return Ok(());
        }
        joined
            .send_state_event(RoomPinnedEventsEventContent::new(pinned))
            .await
            .map_err(|err| classify(err, "pinning"))?;
        Ok(())
    }

    async fn set_topic(&self, room: &str, topic: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(room, &Message::plain(&format!("(topic) {topic}")));
            return Ok(());
        }
        let joined = self.room(room).await?;
        // The synced state says what the topic is and who may change it: a topic that
        // reads so already (set before a crash, or by hand) is not sent again, and a room
        // where the bot lacks the power is refused without a request.
        if joined.topic().as_deref() == Some(topic) {
            return Ok(());
        }
        if let (Ok(levels), Some(me)) = (joined.power_levels().await, self.client.user_id()) {
            if !levels.user_can_send_state(me, StateEventType::RoomTopic) {
                let needed = (levels.events.get(&TimelineEventType::RoomTopic))
                    .unwrap_or(&levels.state_default)
                    .to_string();
                return Err(SendError::Refused(anyhow::anyhow!(
                    "the bot may not change the topic of {room}: that takes power level {needed}"
                )));
            }
        }
        joined
            .set_room_topic(topic)
            .await
            .map_err(|err| classify(err, "setting the topic"))?;
        Ok(())
    }

    async fn invite(&self, room: &str, user: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(room, &Message::plain(&format!("(invites {user})")));
            return Ok(());
        }
        let user_id =
            UserId::parse(user).map_err(|_| SendError::Refused(anyhow::anyhow!("{user} is not a Matrix ID")))?;
        let joined = self.room(room).await?;
        // In the room or invited already (by the bot before a crash, or by hand): done.
        if let Ok(Some(member)) = joined.get_member_no_sync(&user_id).await {
            if matches!(member.membership(), MembershipState::Join | MembershipState::Invite) {
                return Ok(());
            }
        }
        if let (Ok(levels), Some(me)) = (joined.power_levels().await, self.client.user_id()) {
            if !levels.user_can_invite(me) {
                return Err(SendError::Refused(anyhow::anyhow!(
                    "the bot may not invite to {room}: that takes power level {}",
                    levels.invite
                )));
            }
        }
        joined
            .invite_user_by_id(&user_id)
            .await
            .map_err(|err| classify(err, &format!("inviting {user}")))?;
        Ok(())
    }

    async fn react(&self, room: &str, event: &str, key: &str) -> Result<(), SendError> {
        if self.dry_run {
            self.print(room, &Message::plain(&format!("(reacts {key} to {event})")));
            return Ok(());
        }
        let joined = self.room(room).await?;
        let event_id = EventId::parse(event).with_context(|| format!("{event} is not an event id"))?;
        let content = ReactionEventContent::new(Annotation::new(event_id, key.to_string()));
        let sent = joined
            .send(content)
            .with_transaction_id(transaction_id(&format!(
                "react:{}:{event}:{key}",
                self.store.instance()
            )))
            .with_request_config(RequestConfig::new().retry_limit(2))
            .await;
        match sent {
            Ok(_) => Ok(()),
            // Reacted so before (a retry after a crash): the homeserver keeps one.
            Err(err) if err.to_string().contains("M_DUPLICATE_ANNOTATION") => Ok(()),
            Err(err) => Err(classify(err, &format!("reacting in {room}"))),
        }
    }
}

/// Sends `message` (pinging nobody) with a transaction id derived from `key`; its event id.
/// The SDK's own retries are capped so that a room that keeps failing hands the retrying
/// back to the bot, which retries that room alone.
/// `instance` is the store's: a reset store or a rehearsal never reuses the ids of another.
async fn send_event(
    room: &Room,
    message: &Message,
    as_notice: bool,
    instance: &str,
    key: &str,
) -> Result<OwnedEventId, SendError> {
    let content = if as_notice {
        RoomMessageEventContent::notice_html(message.body(), message.html())
    } else {
        RoomMessageEventContent::text_html(message.body(), message.html())
    }
    .add_mentions(mentions(message));
    room_send(room, content, instance, key).await
}

/// The message's `m.mentions`: empty, unless the bot's own words mention the room or users.
fn mentions(message: &Message) -> Mentions {
    let wanted = message.mentions();
    let mut mentions = Mentions::with_user_ids(wanted.users.iter().filter_map(|user| UserId::parse(user).ok()));
    mentions.room = wanted.room;
    mentions
}

/// Sends `content` with a transaction id derived from `key`, as [`send_event`] does.
async fn room_send(
    room: &Room,
    content: RoomMessageEventContent,
    instance: &str,
    key: &str,
) -> Result<OwnedEventId, SendError> {
    let sent = room
        .send(content)
        .with_transaction_id(transaction_id(&format!("{instance}|{key}")))
        .with_request_config(RequestConfig::new().retry_limit(2).timeout(SEND_TIMEOUT))
        .await
        .map_err(|err| classify(err, &format!("sending to {}", room.room_id())))?;
    Ok(sent.response.event_id)
}

/// How long one attempt to send may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the homeserver refused for good: any 4xx but 401 (the bot's login, which a
/// new one mends), 408 (timeout) and 429 (rate limit): no permission (403, M_FORBIDDEN),
/// too large (413, M_TOO_LARGE), malformed (400), unknown room (404). Everything else (no
/// connection, 5xx) may pass later.
fn is_final(err: &matrix_sdk::Error) -> bool {
    err.as_client_api_error()
        .is_some_and(|api| refuses_for_good(api.status_code.as_u16(), api.error_kind()))
}

fn refuses_for_good(status: u16, kind: Option<&ErrorKind>) -> bool {
    (400..500).contains(&status)
        && ![401, 408, 429].contains(&status)
        && !matches!(
            kind,
            Some(ErrorKind::LimitExceeded(_) | ErrorKind::UnknownToken(_) | ErrorKind::MissingToken)
        )
}

/// A failed request as the bot's retry rules see it.
pub(super) fn classify(err: impl Into<matrix_sdk::Error>, doing: &str) -> SendError {
    let err: matrix_sdk::Error = err.into();
    if let Some(ErrorKind::LimitExceeded(limit)) = err.client_api_error_kind() {
        use matrix_sdk::ruma::api::error::RetryAfter;
        let retry_after = match limit.retry_after {
            Some(RetryAfter::Delay(wait)) => wait,
            Some(RetryAfter::DateTime(at)) => at.duration_since(std::time::SystemTime::now()).unwrap_or_default(),
            None => Duration::from_secs(1),
        };
        return SendError::Busy {
            error: anyhow::Error::new(err).context(doing.to_string()),
            retry_after: retry_after.clamp(Duration::from_millis(50), Duration::from_secs(60)),
        };
    }
    let refused = is_final(&err);
    let err = anyhow::Error::new(err).context(doing.to_string());
    if refused {
        SendError::Refused(err)
    } else {
        SendError::Failed(err)
    }
}

/// A transaction id derived from a message's key: the homeserver drops a repeat.
pub(super) fn transaction_id(key: &str) -> OwnedTransactionId {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    OwnedTransactionId::from(format!("confbot-{hash:016x}"))
}

#[cfg(test)]
mod tests {
    use super::refuses_for_good;

    #[test]
    fn a_lost_login_is_not_a_room_refusing_the_post() {
        // 401: the access token expired or was revoked. Recorded as failed, the post would
        // be lost for a room that would take it once the bot logs in again.
        assert!(!refuses_for_good(401, None));
        for passes_later in [408, 429, 500, 502, 503] {
            assert!(!refuses_for_good(passes_later, None), "{passes_later}");
        }
        for refused in [400, 403, 404, 413] {
            assert!(refuses_for_good(refused, None), "{refused}");
        }
    }
}
