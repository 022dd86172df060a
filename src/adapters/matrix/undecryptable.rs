//! Messages the bot could not decrypt when they came. Each is kept (a bounded number, and
//! only while a command would still be answered) and tried again as soon as a room key
//! arrives (a to-device message, or the key backup the SDK asks after a failure) and every
//! few seconds; once readable it goes through the queue like any message. One still
//! unreadable after [`NOTICE_AFTER`] gets its sender one notice, at most one per sender
//! per [`NOTICE_EVERY`], saying what happened and what to do.

use super::*;
use crate::infra::metrics::Undecryptable;
use futures_util::StreamExt;
use matrix_sdk::event_handler::RawEvent;
use matrix_sdk::ruma::events::room::encrypted::{EncryptedEventScheme, OriginalSyncRoomEncryptedEvent};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::OwnedEventId;
use std::collections::VecDeque;

/// How many unreadable messages are kept at most; past it the oldest is dropped.
pub(super) const KEPT_LIMIT: usize = 256;
/// How long a message may stay unreadable before its sender is told.
pub(super) const NOTICE_AFTER: Duration = Duration::from_secs(30);
/// A sender is told at most once in this long.
pub(super) const NOTICE_EVERY: Duration = Duration::from_secs(3600);
/// How many sessions' keys the key backup is asked for at each retry, at most.
const BACKUP_ASKS: usize = 16;
/// How often the kept messages are tried again without news of a key.
const RETRY_EVERY: Duration = Duration::from_secs(5);

/// The messages kept for a retry, oldest first, and when each sender was last told.
#[derive(Default)]
pub(super) struct Unreadable {
    kept: VecDeque<Kept>,
    told: HashMap<OwnedUserId, Instant>,
}

struct Kept {
    room: Room,
    event: Raw<OriginalSyncRoomEncryptedEvent>,
    event_id: OwnedEventId,
    sender: OwnedUserId,
    /// The Megolm session its key belongs to.
    session_id: Option<String>,
    sent: MilliSecondsSinceUnixEpoch,
    arrived: Instant,
}

/// A message the sync could not decrypt: kept for a retry, if it could still be a command
/// to answer.
pub(super) async fn on_encrypted(
    event: OriginalSyncRoomEncryptedEvent,
    room: Room,
    raw: RawEvent,
    Ctx(matrix): Ctx<Matrix>,
) {
    if event.sender == matrix.own_user || room.state() != RoomState::Joined {
        return;
    }
    if age(event.origin_server_ts).is_some_and(|age| age > command_max_age(&matrix.bot)) {
        return;
    }
    let session_id = match &event.content.scheme {
        EncryptedEventScheme::MegolmV1AesSha2(megolm) => Some(megolm.session_id.clone()),
        _ => None,
    };
    debug!(event = %event.event_id, room = %room.room_id(), ?session_id, "kept a message the bot cannot decrypt yet");
    let kept = Kept {
        room,
        event: Raw::from_json(raw.0),
        event_id: event.event_id,
        sender: event.sender,
        session_id,
        sent: event.origin_server_ts,
        arrived: Instant::now(),
    };
    let metrics = &matrix.bot.metrics;
    metrics.undecryptable(Undecryptable::Kept);
    let mut unreadable = matrix.unreadable.lock().unwrap_or_else(|p| p.into_inner());
    if unreadable.kept.iter().any(|k| k.event_id == kept.event_id) {
        return;
    }
    unreadable.kept.push_back(kept);
    while unreadable.kept.len() > KEPT_LIMIT {
        if let Some(dropped) = unreadable.kept.pop_front() {
            warn!(event = %dropped.event_id, "too many messages the bot cannot decrypt: dropping the oldest");
            metrics.undecryptable(Undecryptable::Dropped);
        }
    }
}

/// Tries the kept messages again when a room key arrives, and every [`RETRY_EVERY`];
/// tells the senders of those still unreadable after [`NOTICE_AFTER`]. Runs until
/// `stopping` turns true.
pub(super) async fn retry_unreadable(client: Client, matrix: Matrix, mut stopping: watch::Receiver<bool>) {
    let keys = client.encryption().room_keys_received_stream().await;
    let Some(keys) = keys else {
        warn!("no encryption: messages the bot cannot decrypt are not tried again");
        return;
    };
    tokio::pin!(keys);
    let mut tick = tokio::time::interval(RETRY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let keys_for: Option<Option<HashSet<String>>> = tokio::select! {
            _ = stopping.changed() => return,
            received = keys.next() => match received {
                Some(Ok(infos)) => Some(Some(infos.into_iter().map(|info| info.session_id).collect())),
                // Lagged behind: some keys went by unseen, so try everything.
                Some(Err(_)) => Some(None),
                None => return,
            },
            _ = tick.tick() => None,
        };
        match keys_for {
            Some(sessions) => retry(&matrix, sessions.as_ref()).await,
            None => {
                ask_backup(&client, &matrix).await;
                retry(&matrix, None).await;
                tell_senders(&matrix).await;
            }
        }
    }
}

/// Asks the key backup for the keys of the kept messages, a few sessions at a time: another
/// device of the bot's account may have put them there since. (The SDK asks it once on
/// the first failure, then not again for a long while.)
async fn ask_backup(client: &Client, matrix: &Matrix) {
    let backups = client.encryption().backups();
    if !backups.are_enabled().await {
        return;
    }
    let mut sessions: Vec<(matrix_sdk::ruma::OwnedRoomId, String)> = Vec::new();
    {
        let unreadable = matrix.unreadable.lock().unwrap_or_else(|p| p.into_inner());
        for kept in &unreadable.kept {
            let Some(session) = &kept.session_id else { continue };
            let key = (kept.room.room_id().to_owned(), session.clone());
            if !sessions.contains(&key) {
                sessions.push(key);
            }
            if sessions.len() == BACKUP_ASKS {
                break;
            }
        }
    }
    for (room, session) in sessions {
        if let Err(err) = backups.download_room_key(&room, &session).await {
            debug!(%room, %session, error = %err, "the key backup has no key for a message the bot cannot decrypt");
        }
    }
}

/// Tries again the kept messages of `sessions` (all of them when `None`); those now
/// readable go to the command queue.
async fn retry(matrix: &Matrix, sessions: Option<&HashSet<String>>) {
    let candidates: Vec<(OwnedEventId, Room, Raw<OriginalSyncRoomEncryptedEvent>)> = {
        let unreadable = matrix.unreadable.lock().unwrap_or_else(|p| p.into_inner());
        unreadable
            .kept
            .iter()
            .filter(|k| match (sessions, &k.session_id) {
                (None, _) => true,
                (Some(sessions), Some(session)) => sessions.contains(session),
                (Some(_), None) => false,
            })
            .map(|k| (k.event_id.clone(), k.room.clone(), k.event.clone()))
            .collect()
    };
    for (event_id, room, event) in candidates {
        let Ok(decrypted) = room.decrypt_event(&event, None).await else {
            continue;
        };
        if decrypted.encryption_info().is_none() {
            continue; // still unable to decrypt
        }
        let taken = {
            let mut unreadable = matrix.unreadable.lock().unwrap_or_else(|p| p.into_inner());
            let before = unreadable.kept.len();
            unreadable.kept.retain(|k| k.event_id != event_id);
            unreadable.kept.len() < before
        };
        if !taken {
            continue; // handled by another retry meanwhile
        }
        matrix.bot.metrics.undecryptable(Undecryptable::Decrypted);
        info!(event = %event_id, room = %room.room_id(), "decrypted a message once its key came");
        if let Ok(message) = decrypted
            .raw()
            .deserialize_as_unchecked::<OriginalSyncRoomMessageEvent>()
        {
            heard(matrix, room, message).await;
        }
    }
}

/// Lets go of the kept messages unreadable for [`NOTICE_AFTER`]: their senders are told,
/// unless told within [`NOTICE_EVERY`] or the message is too old to answer anyway.
async fn tell_senders(matrix: &Matrix) {
    let max_age = command_max_age(&matrix.bot);
    let now = Instant::now();
    let mut to_tell = Vec::new();
    {
        let mut unreadable = matrix.unreadable.lock().unwrap_or_else(|p| p.into_inner());
        let Unreadable { kept, told } = &mut *unreadable;
        while kept
            .front()
            .is_some_and(|k| now.duration_since(k.arrived) >= NOTICE_AFTER)
        {
            let Some(given_up) = kept.pop_front() else { break };
            let recently = told
                .get(&given_up.sender)
                .is_some_and(|at| now.duration_since(*at) < NOTICE_EVERY);
            let too_old = age(given_up.sent).is_none_or(|age| age > max_age);
            if recently || too_old {
                matrix.bot.metrics.undecryptable(Undecryptable::Dropped);
                continue;
            }
            told.insert(given_up.sender.clone(), now);
            to_tell.push(given_up);
        }
        told.retain(|_, at| now.duration_since(*at) < NOTICE_EVERY);
    }
    for given_up in to_tell {
        warn!(event = %given_up.event_id, sender = %given_up.sender, room = %given_up.room.room_id(),
            "could not decrypt a message in {}s: telling its sender", NOTICE_AFTER.as_secs());
        let notice = crate::present::replies::undecryptable();
        let mut content = RoomMessageEventContent::notice_html(notice.body(), notice.html())
            .add_mentions(Mentions::with_user_ids([given_up.sender.clone()]));
        content.relates_to = Some(Relation::Reply(
            matrix_sdk::ruma::events::relation::Reply::with_event_id(given_up.event_id.clone()),
        ));
        let transaction = outbox::transaction_id(&format!("undecryptable:{}", given_up.event_id));
        match given_up.room.send(content).with_transaction_id(transaction).await {
            Ok(_) => matrix.bot.metrics.undecryptable(Undecryptable::Notified),
            Err(err) => {
                warn!(error = %err, "could not tell a sender their message could not be decrypted");
                matrix.bot.metrics.undecryptable(Undecryptable::Dropped);
            }
        }
    }
}
