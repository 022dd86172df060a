//! Sending on Matrix: rooms named by id or alias (resolved once), every message with
//! `m.mentions` empty and a transaction id derived from its key, direct rooms opened on
//! demand and remembered in the store.

use crate::bot::{Outbox, SendError};
use crate::message::Message;
use crate::store::Store;
use anyhow::Context;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedTransactionId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tracing::warn;

#[derive(Clone)]
pub(super) struct MatrixOutbox {
    client: Client,
    store: Arc<Store>,
    /// Room ids by the id or alias the config names them with.
    resolved: Arc<Mutex<HashMap<String, OwnedRoomId>>>,
}

impl MatrixOutbox {
    pub(super) fn new(client: Client, store: Arc<Store>) -> MatrixOutbox {
        MatrixOutbox {
            client,
            store,
            resolved: Arc::default(),
        }
    }

    /// The joined room `name` (an id or alias) stands for.
    pub(super) async fn room(&self, name: &str) -> Option<Room> {
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
                    RoomId::parse(name).ok()?
                } else {
                    let alias = OwnedRoomAliasId::try_from(name).ok()?;
                    self.client.resolve_room_alias(&alias).await.ok()?.room_id
                };
                self.resolved
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_string(), id.clone());
                id
            }
        };
        self.client
            .get_room(&id)
            .filter(|room| room.state() == RoomState::Joined)
    }

    /// The room the bot shares with only `user`: the one it knows, a direct room the client
    /// knows, or a new one it invites them to.
    async fn direct_room(&self, user: &str) -> Result<Room, SendError> {
        let user_id = UserId::parse(user).with_context(|| format!("{user} is not a Matrix ID"))?;
        if let Ok(Some(known)) = self.store.direct_room(user) {
            if let Some(room) = RoomId::parse(&known).ok().and_then(|id| self.client.get_room(&id)) {
                let still_there = matches!(
                    room.get_member_no_sync(&user_id).await,
                    Ok(Some(member)) if matches!(member.membership(), MembershipState::Join | MembershipState::Invite)
                );
                if room.state() == RoomState::Joined && still_there {
                    return Ok(room);
                }
            }
        }
        let room = match self.client.get_dm_room(&user_id) {
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
        let Some(joined) = self.room(room).await else {
            return Err(SendError::NoRoom(room.to_string()));
        };
        Ok(send_event(&joined, message, notice, key).await?.to_string())
    }

    async fn direct(&self, user: &str, message: &Message, notice: bool, key: &str) -> Result<(), SendError> {
        let room = self.direct_room(user).await?;
        send_event(&room, message, notice, key).await?;
        Ok(())
    }

    async fn withdraw(&self, room: &str, event: &str, reason: &str) -> Result<(), SendError> {
        let Some(joined) = self.room(room).await else {
            return Err(SendError::NoRoom(room.to_string()));
        };
        let event = EventId::parse(event).with_context(|| format!("{event} is not an event id"))?;
        joined.redact(&event, Some(reason), None).await.context("redacting")?;
        Ok(())
    }
}

/// Sends `message` (pinging nobody) with a transaction id derived from `key`; its event id.
async fn send_event(room: &Room, message: &Message, as_notice: bool, key: &str) -> anyhow::Result<OwnedEventId> {
    let content = if as_notice {
        RoomMessageEventContent::notice_html(message.body(), message.html())
    } else {
        RoomMessageEventContent::text_html(message.body(), message.html())
    }
    .add_mentions(Mentions::new());
    let sent = room
        .send(content)
        .with_transaction_id(transaction_id(key))
        .await
        .with_context(|| format!("sending to {}", room.room_id()))?;
    Ok(sent.response.event_id)
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
