//! The Matrix adapter: logs in (or restores its session), drives its own sync loop so a
//! command is answered as soon as the homeserver delivers it, joins rooms it is invited to
//! by allowed users, and turns commands into core calls and the core's answers into replies.

mod posting;
mod questions;
mod session;

use crate::answer::{self, Decision};
use crate::clock::Clock;
use crate::command::{Command, Role};
use crate::config::{AccessConfig, Config};
use crate::message::Message;
use crate::schedule::Loaded;
use crate::source::{Location, Refresher};
use crate::store::Store;
use anyhow::Context;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedUserId, UInt, UserId};
use matrix_sdk::{Client, Room, RoomState};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};
use tracing::{debug, info, warn};

/// How long one sync request waits for news; the homeserver answers at once when there is some.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff after a failed sync: doubles from the first value to the last.
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What the handlers share.
#[derive(Clone)]
struct Bot {
    config: Arc<Config>,
    clock: Clock,
    schedule: Arc<RwLock<Loaded>>,
    store: Arc<Store>,
    own_user: OwnedUserId,
    commands: mpsc::UnboundedSender<Incoming>,
    /// Wakes the posting timer when the schedule or the announcements change.
    schedule_changed: Arc<Notify>,
    /// Wakes the question relay when a question is asked, voted for or approved.
    questions_changed: Arc<Notify>,
    /// The schedule as loaded, before delays; `schedule` is this with the delays applied.
    base: Arc<RwLock<Loaded>>,
    /// Where the schedule comes from, for `!reload`.
    source: Arc<crate::source::Source>,
}

impl Bot {
    /// The pending announcements organizers scheduled from chat.
    fn chat_announcements(&self) -> Vec<crate::plan::ChatAnnouncement> {
        let zone = self.zone();
        self.store.pending_announcements(zone).unwrap_or_else(|err| {
            warn!(error = %err, "reading the announcements");
            Vec::new()
        })
    }

    /// What people asked for in chat: announcements and personal reminders.
    fn from_chat(&self) -> crate::plan::FromChat {
        let personal = self.store.personal_reminders(None, self.zone()).unwrap_or_else(|err| {
            warn!(error = %err, "reading the personal reminders");
            Vec::new()
        });
        crate::plan::FromChat {
            announcements: self.chat_announcements(),
            personal,
        }
    }

    /// The zone an attendee set with `!tz`, if any.
    fn zone_of(&self, user: &UserId) -> Option<chrono_tz::Tz> {
        self.store.zone(user.as_str()).unwrap_or_else(|err| {
            warn!(error = %err, "reading an attendee's zone");
            None
        })
    }

    fn zone(&self) -> chrono_tz::Tz {
        self.base.read().unwrap_or_else(|p| p.into_inner()).schedule.timezone()
    }

    /// Puts a newly loaded schedule in place (delays applied) and returns the announcement
    /// of what attendees will see changed, if anything.
    fn replace_schedule(&self, loaded: Loaded) -> Option<Message> {
        let before = self.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = loaded;
        self.apply_delays();
        let after = self.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
        let changes = crate::changes::diff(&before, &after);
        info!(
            changes = changes.len(),
            sessions = after.sessions().len(),
            "the schedule was reloaded"
        );
        crate::changes::announcement(&after, &changes)
    }

    /// Posts a schedule update to the announcements rooms, once.
    async fn announce_update(&self, client: &Client, message: &Message) {
        let key = format!("update:{}", message.body());
        let mut rooms = posting::Rooms::default();
        for target in &self.config.rooms.announcements {
            if let Some(room) = rooms.get(client, target).await {
                if let Err(err) = posting::send(
                    &room,
                    message,
                    self.config.reminders.as_notice,
                    &format!("{key}|{target}"),
                )
                .await
                {
                    warn!(room = %target, error = %err, "announcing the schedule update");
                }
            }
        }
    }

    /// Recomputes the running schedule: the loaded one with every stored delay applied.
    fn apply_delays(&self) {
        let base = self.base.read().unwrap_or_else(|p| p.into_inner()).clone();
        let delays = self.store.delays(base.schedule.timezone()).unwrap_or_else(|err| {
            warn!(error = %err, "reading the delays");
            Vec::new()
        });
        let effective = Loaded {
            schedule: crate::delay::apply(&base.schedule, &delays),
            warnings: base.warnings,
        };
        *self.schedule.write().unwrap_or_else(|p| p.into_inner()) = effective;
        self.schedule_changed.notify_one();
    }
}

/// A command to answer, queued by the sync handler for the answering task.
struct Incoming {
    room: Room,
    event: OriginalSyncRoomMessageEvent,
    command: Result<Command, crate::command::UsageError>,
}

/// Runs the bot on the schedule `refresher` holds until `shutdown` turns true; then
/// finishes the replies under way.
pub async fn run(
    config: Config,
    refresher: Refresher,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let matrix = config
        .matrix
        .clone()
        .context("the config has no [matrix] section: add homeserver and user (see config/confbot.example.toml)")?;
    std::fs::create_dir_all(&matrix.state_dir)
        .with_context(|| format!("creating the state directory {}", matrix.state_dir.display()))?;
    let schedule = Arc::new(RwLock::new(refresher.current().clone()));
    let (client, first_start) = session::connect(&matrix).await?;
    let own_user = client.user_id().context("logged in without a user id")?.to_owned();
    let store = Arc::new(Store::open(&matrix.state_dir.join("confbot.sqlite"))?);
    info!(user = %own_user, device = ?client.device_id(), "connected to {}", matrix.homeserver);

    let settings = SyncSettings::default()
        .filter(Filter::FilterDefinition(sync_filter()))
        .timeout(SYNC_TIMEOUT);
    if first_start {
        // Skip the backlog: commands sent before the bot ever ran are not for it.
        info!("first start: skipping the rooms' history");
        client
            .sync_once(settings.clone().timeout(Duration::ZERO))
            .await
            .context("first sync")?;
    }

    let (commands, queue) = mpsc::unbounded_channel();
    let bot = Bot {
        config: Arc::new(config),
        clock,
        schedule: schedule.clone(),
        store,
        own_user,
        commands,
        schedule_changed: Arc::new(Notify::new()),
        questions_changed: Arc::new(Notify::new()),
        base: Arc::new(RwLock::new(refresher.current().clone())),
        source: Arc::new(refresher.source().clone()),
    };
    bot.apply_delays();
    client.add_event_handler_context(bot.clone());
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
    client.add_event_handler(questions::on_reaction);
    join_configured_rooms(&client, &bot.config).await;
    answer_pending_invites(&client, &bot).await;

    let answering = tokio::spawn(answer_commands(bot.clone(), queue, shutdown.clone()));
    let posting = tokio::spawn(posting::post_until(
        client.clone(),
        bot.clone(),
        first_start,
        shutdown.clone(),
    ));
    let relaying = tokio::spawn(questions::relay(client.clone(), bot.clone(), shutdown.clone()));
    tokio::spawn(refresh_schedule(
        client.clone(),
        bot.clone(),
        bot.config.schedule.refresh,
    ));
    sync_until(&client, settings, &mut shutdown).await;

    info!("shutting down: finishing the replies under way");
    let _ = tokio::time::timeout(Duration::from_secs(10), answering).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), posting).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), relaying).await;
    info!("stopped");
    Ok(())
}

/// Long-polls the homeserver: the next sync starts as soon as the last one returns, so a
/// command is handled as soon as it is delivered; only errors wait, with backoff.
async fn sync_until(client: &Client, settings: SyncSettings, shutdown: &mut watch::Receiver<bool>) {
    let mut backoff = BACKOFF_START;
    let mut failing = false;
    loop {
        let sync = client.sync_once(settings.clone());
        tokio::select! {
            _ = shutdown.changed() => return,
            result = sync => match result {
                Ok(_) => {
                    if failing {
                        info!("the homeserver is back; syncing again");
                    }
                    failing = false;
                    backoff = BACKOFF_START;
                }
                Err(err) => {
                    warn!(error = %err, retry_in = ?backoff, "sync failed; is the homeserver reachable?");
                    failing = true;
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }
}

fn sync_filter() -> FilterDefinition {
    let mut filter = FilterDefinition::default();
    // Enough that a burst of commands in one room between two syncs is never cut short.
    filter.room.timeline.limit = Some(UInt::from(500u32));
    filter
}

/// Joins the rooms named in `[rooms]`, so the bot needs no invite to the rooms it serves.
async fn join_configured_rooms(client: &Client, config: &Config) {
    let rooms = &config.rooms;
    let named = rooms
        .announcements
        .iter()
        .chain(rooms.moderators.iter())
        .chain(rooms.speakers.iter())
        .chain(rooms.map.values());
    for room in named {
        let Ok(id) = matrix_sdk::ruma::OwnedRoomOrAliasId::try_from(room.as_str()) else {
            continue;
        };
        match client.join_room_by_id_or_alias(&id, &[]).await {
            Ok(_) => info!(%room, "joined configured room"),
            Err(err) => warn!(%room, error = %err, "could not join configured room"),
        }
    }
}

/// Whether `[access] invite` (or the organizer and moderator lists) allows `user` to invite the bot.
fn may_invite(access: &AccessConfig, user: &UserId) -> bool {
    let user_text = user.as_str();
    let server = user.server_name().as_str();
    access
        .organizers
        .iter()
        .chain(access.moderators.iter())
        .any(|u| u == user_text)
        || access
            .invite
            .iter()
            .any(|entry| entry == user_text || entry.trim_start_matches(':') == server)
}

async fn on_invite(event: StrippedRoomMemberEvent, room: Room, Ctx(bot): Ctx<Bot>) {
    if event.state_key != bot.own_user || event.content.membership != MembershipState::Invite {
        return;
    }
    answer_invite(&bot, room, &event.sender).await;
}

/// Answers the invites that were waiting when the bot started: the first sync skips the
/// backlog before the handlers are in place, so those invites never reach `on_invite`.
async fn answer_pending_invites(client: &Client, bot: &Bot) {
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => answer_invite(bot, room, &invite.inviter_id).await,
            Err(err) => warn!(room = %room.room_id(), error = %err, "cannot read a pending invite"),
        }
    }
}

/// Joins `room` if `[access]` allows `inviter` to invite the bot, else declines.
async fn answer_invite(bot: &Bot, room: Room, inviter: &UserId) {
    if !may_invite(&bot.config.access, inviter) {
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

async fn on_message(event: OriginalSyncRoomMessageEvent, room: Room, Ctx(bot): Ctx<Bot>) {
    if room.state() != RoomState::Joined || event.sender == bot.own_user {
        return;
    }
    let MessageType::Text(text) = &event.content.msgtype else {
        return; // notices (other bots), emotes, media
    };
    let command = match Command::parse(&text.body) {
        Ok(None) => return,
        Ok(Some(command)) => Ok(command),
        Err(err) => Err(err),
    };
    let max_age = bot
        .config
        .matrix
        .as_ref()
        .and_then(|m| m.command_max_age.to_std().ok())
        .unwrap_or(Duration::from_secs(300));
    if let Some(age) = age(event.origin_server_ts) {
        if age > max_age {
            info!(event = %event.event_id, age_s = age.as_secs(), "ignoring a command older than [matrix] command_max_age");
            return;
        }
    }
    let _ = bot.commands.send(Incoming { room, event, command });
}

/// How long ago, by the real clock, the homeserver received an event.
fn age(sent: MilliSecondsSinceUnixEpoch) -> Option<Duration> {
    let now = MilliSecondsSinceUnixEpoch::now();
    let ms = u64::from(now.get()).checked_sub(u64::from(sent.get()))?;
    Some(Duration::from_millis(ms))
}

/// Answers queued commands in order, each at most once; on shutdown, answers what is
/// queued and stops.
async fn answer_commands(bot: Bot, mut queue: mpsc::UnboundedReceiver<Incoming>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            while let Ok(incoming) = queue.try_recv() {
                answer_one(&bot, incoming).await;
            }
            return;
        }
        tokio::select! {
            biased;
            Some(incoming) = queue.recv() => answer_one(&bot, incoming).await,
            _ = shutdown.changed() => {}
        }
    }
}

async fn answer_one(bot: &Bot, incoming: Incoming) {
    {
        let event_id = incoming.event.event_id.as_str().to_string();
        match bot.store.was_answered(&event_id) {
            Ok(true) => return,
            Ok(false) => {}
            Err(err) => warn!(error = %err, "reading the store"),
        }
        let (reply, receipt_of) = match &incoming.command {
            Ok(command) => {
                let role = if command.role() > Role::Attendee || matches!(command, Command::Help) {
                    role_of(bot, &incoming.room.client(), &incoming.event.sender).await
                } else {
                    Role::Attendee
                };
                let here = place_of(&bot.config, &incoming.room);
                let zone = bot.zone_of(&incoming.event.sender);
                remember_direct_room(bot, &incoming.room, &incoming.event.sender).await;
                let decision = {
                    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
                    answer::decide(
                        &schedule.schedule,
                        &bot.config.rooms,
                        command,
                        role,
                        bot.clock.now(),
                        here.as_deref(),
                        zone,
                    )
                };
                match decision {
                    Decision::Question(command) => questions::handle(bot, &incoming, &command, role).await,
                    decision => (act(bot, &incoming, decision).await, None),
                }
            }
            Err(usage) => (Message::plain(&usage.to_string()), None),
        };
        let content = RoomMessageEventContent::notice_html(reply.body(), reply.html())
            .add_mentions(Mentions::new())
            .make_reply_to(&incoming.event, ForwardThread::No, AddMentions::No);
        // A transaction id from the command: a reply retried after a crash is not a second one.
        let transaction = posting::transaction_id(&format!("reply:{event_id}"));
        match incoming.room.send(content).with_transaction_id(transaction).await {
            Ok(sent) => {
                if let Some(number) = receipt_of {
                    questions::link_receipt(bot, number, &sent.response.event_id);
                }
                let command = incoming.command.as_ref().map(Command::name).unwrap_or("usage");
                info!(room = %incoming.room.room_id(), %command, "answered");
                let now_ms = u64::from(MilliSecondsSinceUnixEpoch::now().get()) as i64;
                if let Err(err) = bot.store.mark_answered(&event_id, now_ms) {
                    warn!(error = %err, "recording the answer");
                }
            }
            Err(err) => {
                warn!(room = %incoming.room.room_id(), error = %err, "could not send the answer")
            }
        }
    }
}

/// Stores `!remind`, and says when the direct message will come.
fn remind(bot: &Bot, user: &UserId, session_id: String) -> Message {
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    let reminder = crate::plan::PersonalReminder {
        user: user.to_string(),
        session: session_id,
        asked_at: bot.clock.now(),
    };
    let lead = crate::plan::personal_lead(&bot.config);
    let (Some(session), Some(due)) = (schedule.session(&reminder.session), reminder.due(&schedule, lead)) else {
        return Message::plain("That session has already started.");
    };
    match bot.store.add_personal_reminder(&reminder) {
        Ok(added) => {
            bot.schedule_changed.notify_one();
            let mut message = Message::new();
            message.text(if added {
                "I will send you a direct message "
            } else {
                "You already have a reminder: I will write "
            });
            message.text(&format!(
                "at {}, {} before ",
                crate::render::instant_for(&due, bot.zone_of(user)),
                crate::duration::Compact(session.start - due)
            ));
            message
                .strong(&session.title)
                .text(&format!(". !forget {} cancels it.", session.id));
            message
        }
        Err(err) => {
            warn!(error = %err, "storing a personal reminder");
            Message::plain("Sorry, I could not store that reminder; see the bot's log.")
        }
    }
}

/// Remembers a room the bot shares with only `user`, for their direct messages.
async fn remember_direct_room(bot: &Bot, room: &Room, user: &UserId) {
    if room.joined_members_count() != 2 || place_of(&bot.config, room).is_some() {
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

/// The user's role: organizer if listed in `[access] organizers` or with at least
/// `[access] organizer_power_level` in the moderators room; moderator likewise with
/// `[access] moderators` and `moderator_power_level`; else attendee.
async fn role_of(bot: &Bot, client: &Client, user: &UserId) -> Role {
    let access = &bot.config.access;
    if access.organizers.iter().any(|o| o == user.as_str()) {
        return Role::Organizer;
    }
    let listed = if access.moderators.iter().any(|m| m == user.as_str()) {
        Role::Moderator
    } else {
        Role::Attendee
    };
    let Some(moderators) = &bot.config.rooms.moderators else {
        return listed;
    };
    let Some(room) = posting::Rooms::default().get(client, moderators).await else {
        return listed;
    };
    let by_level = match room.get_user_power_level(user).await {
        Ok(UserPowerLevel::Infinite) => Role::Organizer,
        Ok(UserPowerLevel::Int(level)) if i64::from(level) >= access.organizer_power_level => Role::Organizer,
        Ok(UserPowerLevel::Int(level)) if i64::from(level) >= access.moderator_power_level => Role::Moderator,
        _ => Role::Attendee,
    };
    listed.max(by_level)
}

/// Carries out a decision that needs the store or a post, and says what was done.
async fn act(bot: &Bot, incoming: &Incoming, decision: Decision) -> Message {
    match decision {
        Decision::Reply(message) => message,
        Decision::Announce { due, room, text } => {
            match bot
                .store
                .add_announcement(&due, &room, &text, incoming.event.sender.as_str())
            {
                Ok(id) => {
                    bot.schedule_changed.notify_one();
                    Message::plain(&format!(
                        "Announcement {id} will go to {room} {}. Cancel it with !cancel {id}.",
                        if due <= bot.clock.now() {
                            "now".to_string()
                        } else {
                            format!("at {}", crate::render::instant(&due))
                        }
                    ))
                }
                Err(err) => {
                    warn!(error = %err, "storing an announcement");
                    Message::plain("Sorry, I could not store that announcement; see the bot's log.")
                }
            }
        }
        Decision::ListAnnouncements => {
            let pending = bot.chat_announcements();
            if pending.is_empty() {
                return Message::plain("No announcements are pending.");
            }
            let mut message = Message::new();
            message.text("Pending announcements:");
            for a in pending {
                message
                    .line_break()
                    .text(&format!(
                        "  {} — {} to {}: ",
                        a.id,
                        crate::render::instant(&a.due),
                        a.room
                    ))
                    .text(&a.text);
            }
            message
        }
        Decision::Cancel(id) => match bot.store.cancel_announcement(id as i64) {
            Ok(true) => {
                bot.schedule_changed.notify_one();
                Message::plain(&format!("Announcement {id} is cancelled."))
            }
            Ok(false) => Message::plain(&format!(
                "There is no pending announcement {id}. Send !announcements for the list."
            )),
            Err(err) => {
                warn!(error = %err, "cancelling an announcement");
                Message::plain("Sorry, I could not cancel that; see the bot's log.")
            }
        },
        Decision::Status => {
            let now = bot.clock.now();
            let from_chat = bot.from_chat();
            let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).clone();
            let next: Vec<crate::plan::Post> = crate::plan::posts(
                &loaded.schedule,
                &bot.config,
                &from_chat,
                now,
                now + chrono::TimeDelta::days(400),
            )
            .into_iter()
            .filter(|p| !bot.store.post_done(&p.key).unwrap_or(false))
            .take(5)
            .collect();
            let mut message = Message::new();
            message.text(&format!(
                "It is {} on the bot's clock. Next posts:",
                crate::render::instant(&now)
            ));
            if next.is_empty() {
                message.line_break().text("  none");
            }
            for post in &next {
                message
                    .line_break()
                    .text(&format!(
                        "  {} ({}): ",
                        crate::time::clock(&post.due),
                        crate::render::relative(now, post.due)
                    ))
                    .text(&posting::describe(bot, post));
            }
            message
        }
        Decision::Remind(session) => remind(bot, &incoming.event.sender, session),
        Decision::ListReminders => {
            let user = incoming.event.sender.as_str();
            let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
            match bot.store.personal_reminders(Some(user), schedule.timezone()) {
                Ok(mine) => crate::plan::personal_list(
                    &schedule,
                    &mine,
                    crate::plan::personal_lead(&bot.config),
                    bot.zone_of(&incoming.event.sender),
                ),
                Err(err) => {
                    warn!(error = %err, "reading personal reminders");
                    Message::plain("Sorry, I could not read your reminders; see the bot's log.")
                }
            }
        }
        Decision::Forget(session) => match bot
            .store
            .forget_personal_reminder(incoming.event.sender.as_str(), &session)
        {
            Ok(true) => {
                bot.schedule_changed.notify_one();
                Message::plain(&format!("Your reminder for {session} is cancelled."))
            }
            Ok(false) => Message::plain(&format!(
                "You have no reminder for {session}. Send !reminders for yours."
            )),
            Err(err) => {
                warn!(error = %err, "forgetting a personal reminder");
                Message::plain("Sorry, I could not cancel that; see the bot's log.")
            }
        },
        Decision::ShowZone => {
            let now = bot.clock.now();
            match bot.zone_of(&incoming.event.sender) {
                Some(zone) => Message::plain(&format!(
                    "Times are shown in {} and in your zone, {zone} (it is {} {} there now). Send !tz off to stop.",
                    crate::time::zone_abbreviation(&now),
                    crate::time::clock(&now.with_timezone(&zone)),
                    crate::time::zone_abbreviation(&now.with_timezone(&zone)),
                )),
                None => Message::plain(&format!(
                    "Times are shown in the conference's zone, {} ({}). Send !tz ZONE, like !tz America/Chicago, to see yours as well.",
                    now.timezone().name(),
                    crate::time::zone_abbreviation(&now)
                )),
            }
        }
        Decision::SetZone(zone) => match bot.store.set_zone(incoming.event.sender.as_str(), zone) {
            Ok(()) => {
                let now = bot.clock.now();
                match zone {
                    Some(zone) => Message::plain(&format!(
                        "From now on I also show times in {zone}: it is {} {} there now.",
                        crate::time::clock(&now.with_timezone(&zone)),
                        crate::time::zone_abbreviation(&now.with_timezone(&zone)),
                    )),
                    None => Message::plain(&format!(
                        "From now on I show times in the conference's zone only ({}).",
                        crate::time::zone_abbreviation(&now)
                    )),
                }
            }
            Err(err) => {
                warn!(error = %err, "storing an attendee's zone");
                Message::plain("Sorry, I could not store that; see the bot's log.")
            }
        },
        Decision::Question(command) => unreachable!("{command} is answered by the question flow"),
        Decision::Reload => match bot.source.load().await {
            Ok(loaded) => {
                let warnings = loaded.warnings.len();
                match bot.replace_schedule(loaded) {
                    Some(update) => {
                        bot.announce_update(&incoming.room.client(), &update).await;
                        update
                    }
                    None => Message::plain(&format!(
                        "Reloaded: nothing attendees see has changed ({warnings} warning{}).",
                        if warnings == 1 { "" } else { "s" }
                    )),
                }
            }
            Err(err) => {
                let mut message = Message::new();
                message.text("The schedule could not be reloaded; the current one stays in use:");
                for line in format!("{err:#}").lines() {
                    message.line_break().text(line);
                }
                message
            }
        },
        Decision::Delay(delay) => {
            let before = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
            if let Err(err) = bot.store.add_delay(&delay) {
                warn!(error = %err, "storing a delay");
                return Message::plain("Sorry, I could not store that delay; see the bot's log.");
            }
            bot.apply_delays();
            let after = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
            let announcement = crate::delay::announcement(&before, &after, &delay);
            let targets = bot.config.rooms.post_targets(delay.place.as_deref());
            let mut rooms = posting::Rooms::default();
            let key = format!(
                "delay:{}:{}:{}",
                delay.place.as_deref().unwrap_or("*"),
                crate::time::rfc3339(&delay.from),
                delay.shift.num_seconds()
            );
            for target in targets {
                if let Some(room) = rooms.get(&incoming.room.client(), &target).await {
                    if let Err(err) = posting::send(
                        &room,
                        &announcement,
                        bot.config.reminders.as_notice,
                        &format!("{key}|{target}"),
                    )
                    .await
                    {
                        warn!(room = %target, error = %err, "announcing the delay");
                    }
                }
            }
            announcement
        }
    }
}

/// The schedule room or track a Matrix room is mapped to in `[rooms.map]`.
fn place_of(config: &Config, room: &Room) -> Option<String> {
    let id = room.room_id().as_str();
    let alias = room.canonical_alias();
    let alt = room.alt_aliases();
    config
        .rooms
        .map
        .iter()
        .find(|(_, target)| {
            target.as_str() == id
                || alias.as_ref().is_some_and(|a| a.as_str() == target.as_str())
                || alt.iter().any(|a| a.as_str() == target.as_str())
        })
        .map(|(place, _)| place.clone())
}

/// Reloads a URL source every `[schedule] refresh`, and a file source whenever the file
/// changes (checked every few seconds); a broken new schedule keeps the running one.
async fn refresh_schedule(client: Client, bot: Bot, every: chrono::TimeDelta) {
    let is_file = matches!(bot.source.location, Location::File(_));
    let every = if is_file {
        Duration::from_secs(3)
    } else {
        every
            .to_std()
            .unwrap_or(Duration::from_secs(600))
            .max(Duration::from_secs(10))
    };
    let modified = |bot: &Bot| match &bot.source.location {
        Location::File(path) => std::fs::metadata(path).and_then(|m| m.modified()).ok(),
        Location::Url(_) => None,
    };
    let mut seen = modified(&bot);
    loop {
        tokio::time::sleep(every).await;
        if is_file {
            let now = modified(&bot);
            if now == seen {
                continue;
            }
            seen = now;
        }
        match bot.source.load().await {
            Ok(loaded) => {
                if let Some(update) = bot.replace_schedule(loaded) {
                    bot.announce_update(&client, &update).await;
                }
            }
            Err(err) => warn!(error = format!("{err:#}"), "keeping the last good schedule"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(invite: &[&str]) -> AccessConfig {
        AccessConfig {
            organizers: vec!["@org:example.org".into()],
            moderators: vec![],
            invite: invite.iter().map(|s| s.to_string()).collect(),
            organizer_power_level: 50,
            moderator_power_level: 50,
        }
    }

    #[test]
    fn invites_are_accepted_from_listed_users_and_servers_only() {
        let user = |s: &str| UserId::parse(s).unwrap();
        let a = access(&["@alice:other.org", "example.net"]);
        assert!(may_invite(&a, &user("@alice:other.org")));
        assert!(may_invite(&a, &user("@anyone:example.net")));
        assert!(may_invite(&a, &user("@org:example.org")), "organizers may invite");
        assert!(!may_invite(&a, &user("@mallory:evil.org")));
        assert!(!may_invite(&a, &user("@bob:other.org")));
        assert!(may_invite(&access(&[":localhost"]), &user("@x:localhost")));
    }
}
