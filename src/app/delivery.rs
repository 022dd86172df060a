//! Delivery, one room at a time: every room the bot posts to has its own courier, a task
//! that sends that room's posts in order. A room that is down or rate-limited holds up only
//! its own courier (retried with backoff); a room that refuses a post for good (no
//! permission, too large, gone) gets it recorded as failed, reported once in the moderators
//! room, and the courier moves on. Personal reminders go by a courier per attendee, with a
//! timeout, apart from the public rooms. A post is done once every one of its rooms is.
//! The posts handed over together that are due at one instant in one room go out there as
//! one message (`digest`).

use super::{Bot, Outbox, SendError};
use crate::infra::metrics::{PostKind, PostOutcome};
use crate::infra::store::{Delivery, Outcome};
use crate::plan::{self, CatchUp};
use crate::present::message::Message;
use chrono::DateTime;
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// The longest one attempt to send may take before it counts as failed for now.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a personal reminder may take, so that one attendee cannot hold up their courier.
const DIRECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff after a failed attempt in one room: doubles from the first value to the last.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Where a parcel goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A room as the config names it.
    Room(String),
    /// The direct room with an attendee.
    Direct(String),
}

impl Address {
    /// How the store and the logs name it.
    fn name(&self) -> String {
        match self {
            Address::Room(room) => room.clone(),
            Address::Direct(user) => format!("direct:{user}"),
        }
    }
}

/// One message for one room: one post, or the posts of a digest.
#[derive(Debug, Clone)]
pub struct Parcel {
    pub to: Address,
    pub message: Message,
    /// What goes out instead once the posts are late.
    pub late: Message,
    pub notice: bool,
    pub due: DateTime<Tz>,
    pub kind: PostKind,
    /// The posts it carries, in the order of the message: each is recorded as delivered
    /// in this room when the message is.
    pub parts: Vec<Part>,
    /// Whether it is skipped once overdue beyond the grace period: the schedule's posts
    /// are; the bot's own notices to the moderators are tried until they get through.
    pub expires: bool,
}

/// One post's share of a parcel.
#[derive(Debug, Clone)]
pub struct Part {
    /// The post's key; the transaction id adds the room.
    pub key: String,
    /// Every room of the post: it is done once each is.
    pub rooms: Arc<[Address]>,
    /// How the post was recorded when it was handed over (on time, or late already).
    pub outcome: Outcome,
    /// The post in a few words, for the moderators when a room refuses it.
    pub summary: String,
}

impl Parcel {
    /// Its posts' keys, for the logs and the transaction id: a single post's key alone.
    pub fn keys(&self) -> String {
        let keys: Vec<&str> = self.parts.iter().map(|part| part.key.as_str()).collect();
        keys.join("+")
    }

    /// Whether its posts were late already when they were handed over.
    pub fn late_already(&self) -> bool {
        self.parts.iter().any(|part| part.outcome == Outcome::Late)
    }
}

/// Posts a courier skipped (overdue beyond the grace period in its room), gathered for
/// one list to the moderators.
#[derive(Default)]
struct Skipped {
    posts: Vec<(DateTime<Tz>, String, String, String)>,
    listing: bool,
}

/// How long skipped posts are gathered before they are listed: the rooms of one outage
/// skip their posts within moments of each other.
const GATHER_SKIPPED: Duration = Duration::from_secs(3);

/// A room's courier: its queue, and the handle that stops it.
type Courier = (mpsc::UnboundedSender<Parcel>, tokio::task::AbortHandle);

/// The couriers, by room; started on first use.
#[derive(Clone, Default)]
pub struct Couriers {
    skipped: Arc<Mutex<Skipped>>,
    queues: Arc<Mutex<HashMap<Address, Courier>>>,
    /// Rooms already reported as refusing posts; a room leaves when a post gets through.
    reported: Arc<Mutex<HashSet<String>>>,
}

impl Couriers {
    fn queue(&self, bot: &Bot, out: &impl Outbox, to: &Address) -> mpsc::UnboundedSender<Parcel> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((queue, _)) = queues.get(to) {
            if !queue.is_closed() {
                return queue.clone();
            }
        }
        let (queue, parcels) = mpsc::unbounded_channel();
        let courier = tokio::spawn(carry(bot.clone(), out.clone(), parcels));
        queues.insert(to.clone(), (queue.clone(), courier.abort_handle()));
        queue
    }

    /// Stops every courier at once, with what it holds: the outbox they send through is
    /// gone (the login ended). What they had not delivered is not recorded as delivered,
    /// so the posting loop of the next login hands it to new couriers; a send cut short
    /// after the homeserver took it is dropped there as a repeated transaction.
    pub fn stop(&self) {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        for (_, (_, courier)) in queues.drain() {
            courier.abort();
        }
    }
}

/// Hands each parcel (of one post each) to its room's courier, those due at one instant
/// in one room as one digest; a room that has a post already is left out.
pub fn dispatch(bot: &Bot, out: &impl Outbox, parcels: Vec<Parcel>) {
    let mut waiting = Vec::with_capacity(parcels.len());
    for parcel in parcels {
        let to = parcel.to.name();
        let delivered = |part: &Part| bot.store.delivered(&part.key, &to).unwrap_or(false);
        if parcel.parts.iter().all(delivered) {
            for part in &parcel.parts {
                complete(bot, &parcel, part);
            }
        } else {
            waiting.push(parcel);
        }
    }
    for parcel in super::digest::merge(waiting) {
        let to = parcel.to.name();
        let queue = bot.couriers.queue(bot, out, &parcel.to);
        if let Err(err) = queue.send(parcel) {
            warn!(room = %to, "a courier stopped; the post is tried again at the next start");
            drop(err);
        }
    }
}

/// The parcels of one post: one for each room, each message cut to fit one event.
#[allow(clippy::too_many_arguments)]
pub fn parcels(
    key: &str,
    rooms: Vec<Address>,
    message: Message,
    late: Message,
    notice: bool,
    due: DateTime<Tz>,
    kind: PostKind,
    outcome: Outcome,
    summary: String,
) -> Vec<Parcel> {
    let message = message.fit(crate::present::message::MAX_BYTES);
    let late = late.fit(crate::present::message::MAX_BYTES);
    let part = Part {
        key: key.to_string(),
        rooms: rooms.clone().into(),
        outcome,
        summary,
    };
    rooms
        .into_iter()
        .map(|to| Parcel {
            to,
            message: message.clone(),
            late: late.clone(),
            notice,
            due,
            kind,
            parts: vec![part.clone()],
            expires: true,
        })
        .collect()
}

/// A courier: sends its room's parcels in order until the bot stops.
async fn carry(bot: Bot, out: impl Outbox, mut parcels: mpsc::UnboundedReceiver<Parcel>) {
    while let Some(parcel) = parcels.recv().await {
        deliver(&bot, &out, &parcel).await;
    }
}

/// Sends one parcel, retrying what may pass later, until it is sent, refused or overdue.
async fn deliver(bot: &Bot, out: &impl Outbox, parcel: &Parcel) {
    let to = parcel.to.name();
    let keys = parcel.keys();
    let transaction = format!("{keys}|{to}");
    let mut backoff = BACKOFF_START;
    loop {
        let now = bot.clock.now();
        let grace = bot.config.reminders.grace;
        let late = match plan::catch_up(parcel.due, now, grace, super::posting::on_time(bot)) {
            _ if !parcel.expires => false,
            CatchUp::Skip => {
                for part in &parcel.parts {
                    warn!(room = %to, key = %part.key, "could not post there before it was overdue beyond the grace period; skipped");
                    bot.metrics.post(parcel.kind, PostOutcome::Skipped);
                }
                record(bot, parcel, Delivery::Skipped, None);
                list_skipped(bot, out, parcel);
                return;
            }
            CatchUp::Late => true,
            CatchUp::OnTime | CatchUp::Wait => parcel.late_already(),
        };
        let message = if late { &parcel.late } else { &parcel.message };
        let sent = match &parcel.to {
            Address::Room(room) => {
                match tokio::time::timeout(ATTEMPT_TIMEOUT, out.post(room, message, parcel.notice, &transaction)).await
                {
                    Ok(result) => result.map(Some),
                    Err(_) => Err(SendError::Failed(anyhow::anyhow!(
                        "no answer within {ATTEMPT_TIMEOUT:?}"
                    ))),
                }
            }
            Address::Direct(user) => {
                match tokio::time::timeout(DIRECT_TIMEOUT, out.direct(user, message, parcel.notice, &keys)).await {
                    Ok(result) => result.map(|()| None),
                    Err(_) => Err(SendError::Failed(anyhow::anyhow!(
                        "no answer within {DIRECT_TIMEOUT:?}"
                    ))),
                }
            }
        };
        match sent {
            Ok(event) => {
                let delivery = if late { Delivery::Late } else { Delivery::Sent };
                record(bot, parcel, delivery, event.as_deref());
                bot.couriers
                    .reported
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&to);
                return;
            }
            Err(err) if err.is_final() => {
                warn!(room = %to, key = %keys, error = %err, "the homeserver refused the post there; not retrying");
                for _ in &parcel.parts {
                    bot.metrics.post(parcel.kind, PostOutcome::Failed);
                }
                record(bot, parcel, Delivery::Failed, None);
                report(bot, out, parcel, &err);
                return;
            }
            Err(SendError::Busy { error, retry_after }) => {
                // Rate-limited: the homeserver says when; waiting longer would only lose
                // the next free slot to the bot's own replies.
                info!(room = %to, key = %keys, error = %format!("{error:#}"), retry_in = ?retry_after, "rate-limited; trying again when the homeserver allows");
                tokio::time::sleep(retry_after).await;
            }
            Err(err) => {
                warn!(room = %to, key = %keys, error = %err, retry_in = ?backoff, "posting failed; retrying in this room");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// Records a parcel's fate for each of its posts and, in a post's last room, the post.
fn record(bot: &Bot, parcel: &Parcel, delivery: Delivery, event: Option<&str>) {
    for part in &parcel.parts {
        let recorded = bot.store.record_delivery(
            &part.key,
            &parcel.to.name(),
            delivery,
            event,
            crate::infra::clock::now_ms(),
        );
        // Not recorded (a full disk): the post stays handed over in this run, so it is not
        // sent again in a loop; a restart tries it again, with the same transaction id.
        if bot.stored(recorded, "recording a delivery").is_some() {
            complete(bot, parcel, part);
        }
    }
}

/// Records a post as done once every one of its rooms is dealt with.
fn complete(bot: &Bot, parcel: &Parcel, part: &Part) {
    let all_done = part
        .rooms
        .iter()
        .all(|room| bot.store.delivered(&part.key, &room.name()).unwrap_or(false));
    if !all_done {
        return;
    }
    // A post that reached no room (each refused it or it fell past the grace period there)
    // is recorded as skipped, and counted per room where it failed.
    let reached = bot.store.deliveries(&part.key).map_or(true, |rooms| {
        rooms.iter().any(|(_, outcome)| outcome == "sent" || outcome == "late")
    });
    if !reached {
        let recorded = bot
            .store
            .record_post(&part.key, Outcome::Skipped, crate::infra::clock::now_ms());
        bot.stored(recorded, "recording a post");
        return;
    }
    let recorded = bot
        .store
        .record_post(&part.key, part.outcome, crate::infra::clock::now_ms());
    if bot.stored(recorded, "recording a post") == Some(true) {
        let late = part.outcome == Outcome::Late;
        bot.metrics
            .post(parcel.kind, if late { PostOutcome::Late } else { PostOutcome::Sent });
        let lateness_ms = (bot.clock.now() - parcel.due).num_milliseconds();
        info!(key = %part.key, late, lateness_ms, rooms = part.rooms.len(), "posted");
    }
}

/// Lists a skipped post to the moderators, with the others skipped about then. A post
/// the moderators room itself could not take in time is listed there too, once it can.
fn list_skipped(bot: &Bot, out: &impl Outbox, parcel: &Parcel) {
    let Some(moderators) = bot.config.rooms.moderators.clone() else {
        return;
    };
    if matches!(parcel.to, Address::Direct(_)) {
        return; // an attendee's own reminder: their business, in the log
    }
    {
        let mut skipped = bot.couriers.skipped.lock().unwrap_or_else(|p| p.into_inner());
        for part in &parcel.parts {
            (skipped.posts).push((parcel.due, part.summary.clone(), parcel.to.name(), part.key.clone()));
        }
        if skipped.listing {
            return;
        }
        skipped.listing = true;
    }
    let (bot, out) = (bot.clone(), out.clone());
    tokio::spawn(async move {
        tokio::time::sleep(GATHER_SKIPPED).await;
        let posts = {
            let mut skipped = bot.couriers.skipped.lock().unwrap_or_else(|p| p.into_inner());
            skipped.listing = false;
            std::mem::take(&mut skipped.posts)
        };
        let Some((_, _, first_room, first_key)) = posts.first() else {
            return;
        };
        let message = super::posting::skipped_list(
            &bot,
            "I could not post in time: ",
            " and could not be delivered",
            posts
                .iter()
                .map(|(due, summary, room, _)| (*due, format!("{summary} ({room})"))),
        );
        let key = format!("skipped:{first_key}|{first_room}");
        post_now(
            &bot,
            &out,
            &key,
            &[moderators],
            message,
            true,
            "the list of skipped posts",
        );
    });
}

/// Tells the moderators room, once until a post gets through there again, that a room
/// refuses the bot's posts.
fn report(bot: &Bot, out: &impl Outbox, parcel: &Parcel, err: &SendError) {
    let Address::Room(room) = &parcel.to else {
        return; // an attendee's direct room: their business, in the log
    };
    let Some(moderators) = bot.config.rooms.moderators.clone() else {
        return;
    };
    if *room == moderators {
        return;
    }
    let first = bot
        .couriers
        .reported
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(room.clone());
    if !first {
        return;
    }
    let summaries: Vec<&str> = parcel.parts.iter().map(|part| part.summary.as_str()).collect();
    let why = match err {
        SendError::NoRoom(_) => "I am not in that room".to_string(),
        other => crate::present::message::isolate(&other.to_string()).into_owned(),
    };
    let mut message = Message::new();
    message
        .text(&format!("I could not post to {room}: "))
        .text(&why)
        .text(". It did not get ")
        .text(&summaries.join("; "))
        .text(
            ". Other rooms are not held up; I will keep posting there and say nothing more until a post gets through.",
        );
    let key = format!("undeliverable:{}:{room}", parcel.parts[0].key);
    post_now(bot, out, &key, &[moderators], message, true, "a report");
}

/// Posts `message` now, once, to each of `rooms` (as the config names them): the bot's
/// own notices and announcements, which are never late. `key` names it for good.
pub fn post_now(
    bot: &Bot,
    out: &impl Outbox,
    key: &str,
    rooms: &[String],
    message: Message,
    notice: bool,
    summary: &str,
) {
    send_now(
        bot,
        out,
        key,
        rooms.iter().cloned().map(Address::Room).collect(),
        message,
        notice,
        summary,
    );
}

/// Sends `message` once to `user` in the direct room with them, as [`post_now`] posts:
/// by the attendee's courier, so that a direct room that is slow to open (its encryption
/// set up first) holds up nothing else.
pub fn direct_now(bot: &Bot, out: &impl Outbox, key: &str, user: &str, message: Message, notice: bool, summary: &str) {
    send_now(
        bot,
        out,
        key,
        vec![Address::Direct(user.to_string())],
        message,
        notice,
        summary,
    );
}

fn send_now(
    bot: &Bot,
    out: &impl Outbox,
    key: &str,
    addresses: Vec<Address>,
    message: Message,
    notice: bool,
    summary: &str,
) {
    let parcels = parcels(
        key,
        addresses,
        message.clone(),
        message,
        notice,
        bot.clock.now(),
        PostKind::Announcement,
        Outcome::Sent,
        summary.to_string(),
    )
    .into_iter()
    .map(|parcel| Parcel {
        expires: false,
        ..parcel
    })
    .collect();
    dispatch(bot, out, parcels);
}

#[cfg(test)]
mod tests;
