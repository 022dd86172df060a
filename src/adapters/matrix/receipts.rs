//! Read receipts on the commands the bot acts on, so that the sender sees the bot read
//! it, as people see of each other.
//!
//! A command's receipt goes [`RECEIPT_AFTER`] after it arrived: by then a quick answer is
//! already in the sender's client (a receipt sent with the answer races it there and
//! costs the sender a sync round trip), and a slow one is announced. In each room the
//! receipts go at most once every [`RECEIPT_EVERY`], each on the latest command heard
//! there: `m.read` on an event marks everything before it as read, so a busy room costs
//! one receipt per window, not one per command.

use matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType;
use matrix_sdk::ruma::events::receipt::ReceiptThread;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use matrix_sdk::Room;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::debug;

/// How long after a command arrives its read receipt goes.
pub(super) const RECEIPT_AFTER: Duration = Duration::from_millis(500);

/// At most one receipt per room in this window.
pub(super) const RECEIPT_EVERY: Duration = Duration::from_millis(500);

/// The receipts due, per room.
#[derive(Default)]
pub(super) struct Receipts {
    rooms: Mutex<HashMap<OwnedRoomId, Due>>,
}

#[derive(Default)]
struct Due {
    /// The latest command heard in the room that no receipt covers yet.
    latest: Option<OwnedEventId>,
    /// When the room's last receipt went.
    sent: Option<Instant>,
}

impl Receipts {
    /// The command `event`, just heard in `room`, gets its receipt in due course.
    pub(super) fn read(self: &Arc<Self>, room: Room, event: OwnedEventId) {
        let mut at = Instant::now() + RECEIPT_AFTER;
        self.rooms
            .lock()
            .unwrap()
            .entry(room.room_id().to_owned())
            .or_default()
            .latest = Some(event);
        let receipts = Arc::clone(self);
        tokio::spawn(async move {
            let event = loop {
                tokio::time::sleep_until(at.into()).await;
                let mut rooms = receipts.rooms.lock().unwrap();
                let Some(due) = rooms.get_mut(room.room_id()) else {
                    return;
                };
                if due.latest.is_none() {
                    return; // another command's receipt covered this one
                }
                match due.sent.map(|sent| sent + RECEIPT_EVERY) {
                    Some(next) if next > Instant::now() => at = next,
                    _ => {
                        due.sent = Some(Instant::now());
                        break due.latest.take();
                    }
                }
            };
            let Some(event) = event else { return };
            let sent = room
                .send_single_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, event)
                .await;
            if let Err(err) = sent {
                debug!(error = %err, "could not send a read receipt");
            }
        });
    }
}
