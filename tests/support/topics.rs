//! Room topics as an independent client sees them change: every `m.room.topic` event its
//! sync brings, once (a sync may hand over an event again in a room's state), in order,
//! with the instant it first arrived.

use super::Peer;
use matrix_sdk::ruma::events::room::topic::OriginalSyncRoomTopicEvent;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId};
use matrix_sdk::Room;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One change of a room's topic.
#[derive(Debug, Clone)]
pub struct TopicChange {
    pub room: OwnedRoomId,
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub topic: String,
    /// When this client received it.
    pub at: Instant,
    /// When the homeserver accepted it (ms since the epoch).
    pub origin_ms: u64,
}

/// The topic changes a peer has seen since [`Peer::watch_topics`].
#[derive(Clone, Default)]
pub struct Topics(Arc<Mutex<Vec<TopicChange>>>);

impl Topics {
    /// Every change seen in `room`, in order.
    pub fn in_room(&self, room: &RoomId) -> Vec<TopicChange> {
        let seen = self.0.lock().unwrap();
        seen.iter().filter(|c| c.room == room).cloned().collect()
    }

    /// Waits until `room` has seen `count` changes, at most until `deadline`; the changes.
    pub async fn wait_for(&self, room: &RoomId, count: usize, deadline: Instant) -> Vec<TopicChange> {
        loop {
            let seen = self.in_room(room);
            if seen.len() >= count || Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Peer {
    /// Starts recording the topic changes this client sees, in every room it is in.
    pub fn watch_topics(&self) -> Topics {
        let topics = Topics::default();
        let log = topics.0.clone();
        self.client
            .add_event_handler(move |event: OriginalSyncRoomTopicEvent, room: Room| {
                let log = log.clone();
                async move {
                    let mut log = log.lock().unwrap();
                    if log.iter().any(|c| c.event_id == event.event_id) {
                        return;
                    }
                    log.push(TopicChange {
                        room: room.room_id().to_owned(),
                        event_id: event.event_id.clone(),
                        sender: event.sender.clone(),
                        topic: event.content.topic.clone(),
                        at: Instant::now(),
                        origin_ms: u64::from(event.origin_server_ts.get()),
                    });
                }
            });
        topics
    }
}
