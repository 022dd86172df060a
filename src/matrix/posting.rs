//! The timer that posts reminders and announcements: it sleeps until the next post falls
//! due on the bot's clock (no polling tick), posts it to its rooms with a transaction id
//! derived from its key (so a retry is never a second post), and records it in the store.
//! After downtime, posts overdue by less than `[reminders] grace` go out marked late; older
//! ones are skipped and listed once in the moderators room.

use super::Bot;
use crate::message::Message;
use crate::plan::{self, CatchUp, Post, What};
use crate::store::Outcome;
use chrono::TimeDelta;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedTransactionId, RoomId, UserId};
use matrix_sdk::{Client, Room};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How far back a (re)start looks for posts it never dealt with.
const LOOK_BACK: TimeDelta = TimeDelta::days(30);
/// How far ahead the next post is looked for.
const LOOK_AHEAD: TimeDelta = TimeDelta::days(400);

/// `first_start`: the bot never ran before, so what fell due earlier was not missed; it is
/// recorded as skipped without telling the moderators.
pub(super) async fn post_until(client: Client, bot: Bot, first_start: bool, mut shutdown: watch::Receiver<bool>) {
    let mut rooms = Rooms::default();
    catch_up(&client, &bot, &mut rooms, first_start).await;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = bot.clock.now();
        let from_chat = bot.from_chat();
        let next = {
            let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
            plan::posts(
                &loaded.schedule,
                &bot.config,
                &from_chat,
                now - TimeDelta::seconds(1),
                now + LOOK_AHEAD,
            )
            .into_iter()
            .find(|post| !bot.store.post_done(&post.key).unwrap_or(false))
        };
        let wait = next
            .as_ref()
            .map_or(Duration::from_secs(3600), |post| bot.clock.real_until(post.due));
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.schedule_changed.notified() => continue,
            _ = tokio::time::sleep(wait) => {}
        }
        let Some(post) = next else { continue };
        let outcome = match plan::catch_up(post.due, bot.clock.now(), bot.config.reminders.grace) {
            CatchUp::Wait => continue,
            CatchUp::OnTime => Outcome::Sent,
            CatchUp::Late => Outcome::Late,
            CatchUp::Skip => {
                skip(&client, &bot, &mut rooms, &[post]).await;
                continue;
            }
        };
        if !send_post(&client, &bot, &mut rooms, &post, outcome).await {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

/// Deals with every post that fell due while the bot was not running.
async fn catch_up(client: &Client, bot: &Bot, rooms: &mut Rooms, first_start: bool) {
    let now = bot.clock.now();
    let from_chat = bot.from_chat();
    let overdue: Vec<Post> = {
        let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
        plan::posts(&loaded.schedule, &bot.config, &from_chat, now - LOOK_BACK, now)
            .into_iter()
            .filter(|post| !bot.store.post_done(&post.key).unwrap_or(false))
            .collect()
    };
    let mut skipped = Vec::new();
    for post in overdue {
        match plan::catch_up(post.due, now, bot.config.reminders.grace) {
            CatchUp::Skip => skipped.push(post),
            CatchUp::Late => {
                send_post(client, bot, rooms, &post, Outcome::Late).await;
            }
            CatchUp::OnTime | CatchUp::Wait => {
                send_post(client, bot, rooms, &post, Outcome::Sent).await;
            }
        }
    }
    if first_start {
        info!(count = skipped.len(), "first start: posts due before it are not posted");
        record_skipped(bot, &skipped);
    } else if !skipped.is_empty() {
        skip(client, bot, rooms, &skipped).await;
    }
}

/// Records posts as skipped and lists them once in the moderators room.
async fn skip(client: &Client, bot: &Bot, rooms: &mut Rooms, posts: &[Post]) {
    let mut message = Message::new();
    message.text(&format!(
        "While I was away, {} post{} fell due more than {} ago; I skipped {}:",
        posts.len(),
        if posts.len() == 1 { "" } else { "s" },
        crate::duration::Compact(bot.config.reminders.grace),
        if posts.len() == 1 { "it" } else { "them" }
    ));
    for post in posts.iter().take(20) {
        message
            .line_break()
            .text(&format!("  {} ", crate::time::clock(&post.due)))
            .text(&describe(bot, post));
    }
    if posts.len() > 20 {
        message.line_break().text(&format!("…and {} more.", posts.len() - 20));
    }
    if let Some(moderators) = bot.config.rooms.moderators.clone() {
        if let Some(room) = rooms.get(client, &moderators).await {
            let key = format!("skipped:{}", posts[0].key);
            let _ = send(&room, &message, true, &key).await;
        }
    }
    record_skipped(bot, posts);
}

fn record_skipped(bot: &Bot, posts: &[Post]) {
    let now_ms = now_ms();
    for post in posts {
        info!(key = %post.key, "skipped: overdue beyond the grace period");
        if let Err(err) = bot.store.record_post(&post.key, Outcome::Skipped, now_ms) {
            warn!(error = %err, "recording a skipped post");
        }
    }
}

pub(super) fn describe(bot: &Bot, post: &Post) -> String {
    match &post.what {
        What::Reminder { session, lead } => {
            let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
            let title = loaded
                .schedule
                .session(session)
                .map_or(session.as_str(), |s| s.title.as_str())
                .to_string();
            format!("reminder {} before {title}", crate::duration::Compact(*lead))
        }
        What::Announcement { text, .. } => format!("announcement \"{text}\""),
        What::Personal { user, session } => format!("reminder for {user} before {session}"),
    }
}

/// Sends one post to all its rooms; records it once every room has accepted it.
async fn send_post(client: &Client, bot: &Bot, rooms: &mut Rooms, post: &Post, outcome: Outcome) -> bool {
    let late = outcome == Outcome::Late;
    let (message, targets) = match &post.what {
        What::Reminder { session, lead } => {
            let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
            let Some(session) = loaded.schedule.session(session) else {
                return true; // gone from a reloaded schedule: nothing to remind of
            };
            let message =
                plan::reminder_message(&loaded.schedule, session, *lead, &bot.config.reminders.templates, late);
            let places = [&session.room, &session.track]
                .into_iter()
                .flatten()
                .map(String::as_str);
            let targets = bot.config.rooms.post_targets(places);
            (message, targets)
        }
        What::Announcement { text, room } => {
            let mut message = Message::new();
            if late {
                message.em("(late) ");
            }
            message.text(text);
            (message, bot.config.rooms.targets(room))
        }
        What::Personal { .. } => (Message::new(), Vec::new()),
    };
    let as_notice = bot.config.reminders.as_notice;
    if let What::Personal { user, session } = &post.what {
        return send_personal(client, bot, post, user, session, late).await;
    }
    for target in &targets {
        let Some(room) = rooms.get(client, target).await else {
            warn!(room = %target, key = %post.key, "cannot post: the bot is not in that room");
            continue;
        };
        if let Err(err) = send(&room, &message, as_notice, &format!("{}|{target}", post.key)).await {
            warn!(room = %target, key = %post.key, error = %err, "posting failed; will retry");
            return false;
        }
    }
    let lateness_ms = (bot.clock.now() - post.due).num_milliseconds();
    info!(key = %post.key, late, lateness_ms, rooms = targets.len(), "posted");
    if let Err(err) = bot.store.record_post(&post.key, outcome, now_ms()) {
        warn!(error = %err, "recording a post");
    }
    true
}

/// Sends a personal reminder to the attendee's direct room, opening one if needed.
async fn send_personal(client: &Client, bot: &Bot, post: &Post, user: &str, session: &str, late: bool) -> bool {
    let message = {
        let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
        let Some(session) = loaded.schedule.session(session) else {
            return true; // gone from a reloaded schedule
        };
        let zone = UserId::parse(user).ok().and_then(|u| bot.zone_of(&u));
        plan::personal_message(&loaded.schedule, session, bot.clock.now(), zone, late)
    };
    let Some(room) = direct_room(client, bot, user).await else {
        return false;
    };
    if let Err(err) = send(&room, &message, false, &post.key).await {
        warn!(%user, key = %post.key, error = %err, "sending a personal reminder failed; will retry");
        return false;
    }
    info!(key = %post.key, late, "posted");
    let outcome = if late { Outcome::Late } else { Outcome::Sent };
    if let Err(err) = bot.store.record_post(&post.key, outcome, now_ms()) {
        warn!(error = %err, "recording a post");
    }
    true
}

/// The room the bot shares with only `user`: the one it knows, a direct room the client
/// knows, or a new one it invites them to.
pub(super) async fn direct_room(client: &Client, bot: &Bot, user: &str) -> Option<Room> {
    let Ok(user_id) = UserId::parse(user) else {
        warn!(%user, "not a Matrix ID: no direct message");
        return None;
    };
    if let Ok(Some(known)) = bot.store.direct_room(user) {
        if let Some(room) = RoomId::parse(&known).ok().and_then(|id| client.get_room(&id)) {
            let still_there = matches!(
                room.get_member_no_sync(&user_id).await,
                Ok(Some(member)) if matches!(member.membership(), MembershipState::Join | MembershipState::Invite)
            );
            if room.state() == matrix_sdk::RoomState::Joined && still_there {
                return Some(room);
            }
        }
    }
    let room = match client.get_dm_room(&user_id) {
        Some(room) => room,
        None => match client.create_dm(&user_id).await {
            Ok(room) => room,
            Err(err) => {
                warn!(%user, error = %err, "could not open a direct room");
                return None;
            }
        },
    };
    if let Err(err) = bot.store.set_direct_room(user, room.room_id().as_str()) {
        warn!(error = %err, "remembering a direct room");
    }
    Some(room)
}

pub(super) async fn send(room: &Room, message: &Message, as_notice: bool, key: &str) -> matrix_sdk::Result<()> {
    send_event(room, message, as_notice, key).await.map(|_| ())
}

/// Sends `message` (pinging nobody) with a transaction id derived from `key`; its event id.
pub(super) async fn send_event(
    room: &Room,
    message: &Message,
    as_notice: bool,
    key: &str,
) -> matrix_sdk::Result<OwnedEventId> {
    let content = if as_notice {
        RoomMessageEventContent::notice_html(message.body(), message.html())
    } else {
        RoomMessageEventContent::text_html(message.body(), message.html())
    }
    .add_mentions(Mentions::new());
    let sent = room.send(content).with_transaction_id(transaction_id(key)).await?;
    Ok(sent.response.event_id)
}

/// A transaction id derived from the post's key: the homeserver drops a repeat.
pub(super) fn transaction_id(key: &str) -> OwnedTransactionId {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    OwnedTransactionId::from(format!("confbot-{hash:016x}"))
}

pub(super) fn now_ms() -> i64 {
    u64::from(matrix_sdk::ruma::MilliSecondsSinceUnixEpoch::now().get()) as i64
}

/// Matrix rooms by the id or alias the config names them with.
#[derive(Default)]
pub(super) struct Rooms {
    resolved: HashMap<String, OwnedRoomId>,
}

impl Rooms {
    pub(super) async fn get(&mut self, client: &Client, name: &str) -> Option<Room> {
        if let Some(id) = self.resolved.get(name) {
            return client.get_room(id);
        }
        let id = if name.starts_with('!') {
            RoomId::parse(name).ok()?
        } else {
            let alias = OwnedRoomAliasId::try_from(name).ok()?;
            client.resolve_room_alias(&alias).await.ok()?.room_id
        };
        self.resolved.insert(name.to_string(), id.clone());
        client.get_room(&id)
    }
}
