//! The Matrix adapter: logs in (or restores its session), drives its own sync loop so a
//! command is answered as soon as the homeserver delivers it, joins rooms it is invited to
//! by allowed users, and turns commands into core calls and the core's answers into replies.

mod outbox;
mod session;

use crate::bot::{self, Bot, SendError, Sender};
use crate::clock::Clock;
use crate::command::{Command, Role, UsageError};
use crate::config::{AccessConfig, Config};
use crate::flood::{Admit, Flood, Turns};
use crate::source::Refresher;
use crate::state::{StateDir, StoreKind};
use crate::store::Store;
use anyhow::Context;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::events::room::tombstone::OriginalSyncRoomTombstoneEvent;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedServerName, OwnedUserId, UInt, UserId};
use matrix_sdk::{Client, Room, RoomState};
use outbox::MatrixOutbox;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

/// How long one sync request waits for news; the homeserver answers at once when there is some.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff after a failed sync: doubles from the first value to the last.
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What the event handlers share.
#[derive(Clone)]
struct Matrix {
    bot: Bot,
    out: MatrixOutbox,
    own_user: OwnedUserId,
    commands: mpsc::Sender<Incoming>,
    /// `[commands] per_user`, when on.
    flood: Option<Arc<std::sync::Mutex<Flood>>>,
    /// The roles found from power levels, so that a moderator is never held to the rate.
    roles: Arc<std::sync::Mutex<HashMap<OwnedUserId, Role>>>,
}

/// Commands waiting to be answered, at most: a flood beyond this is dropped, not queued.
const QUEUE_LIMIT: usize = 4096;

/// A command to answer, queued by the sync handler for the answering task.
struct Incoming {
    room: Room,
    event: OriginalSyncRoomMessageEvent,
    command: Result<Command, crate::command::UsageError>,
    /// When the sync delivered it: command latency counts from here.
    received: Instant,
}

/// How `confbot run` runs: on the real day's records or a rehearsal's, sending or printing.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub store: StoreKind,
    /// Print posts instead of sending them.
    pub dry_run: bool,
}

/// Runs the bot on the schedule `refresher` holds until `shutdown` turns true; then
/// finishes the replies under way.
pub async fn run(
    config: Config,
    refresher: Refresher,
    clock: Clock,
    options: RunOptions,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let matrix = config
        .matrix
        .clone()
        .context("the config has no [matrix] section: add homeserver and user (see config/confbot.example.toml)")?;
    let state = StateDir::lock(&matrix.state_dir)?;
    let (mut client, first_login) = session::connect(&matrix).await?;
    let own_user = client.user_id().context("logged in without a user id")?.to_owned();
    let store_path = state.store(options.store)?;
    // A new store (a rehearsal's, or one reset by hand) knows nothing was posted or
    // answered: it starts as on the first day, without catching up on the rooms' past.
    let first_start = first_login || !store_path.exists();
    let store = Store::open(&store_path)?;
    info!(user = %own_user, device = ?client.device_id(), "connected to {}", matrix.homeserver);
    if let StoreKind::Rehearsal { keep } = options.store {
        info!(
            store = %store_path.display(),
            "rehearsal: what it posts and answers is recorded apart from the real day's, {}; {}",
            if keep { "carrying on from the last rehearsal" } else { "started afresh" },
            if options.dry_run { "posts are printed, not sent" } else { "posts go to the configured rooms" }
        );
    }

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

    let mut metrics_listener = match config.metrics.listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("[metrics] listen: cannot listen on {address}"))?,
        ),
        None => None,
    };
    let (source, loaded) = refresher.into_parts();
    let bot = Bot::new(config, loaded, source, clock, store);
    // Kept across logins: who may command at what rate, and who holds which role.
    let flood = bot
        .config
        .commands
        .per_user
        .map(|rate| Arc::new(std::sync::Mutex::new(Flood::new(rate))));
    let roles = Arc::default();
    let mut first_start = first_start;
    loop {
        let login = Login {
            client: client.clone(),
            own_user: own_user.clone(),
            first_start,
            dry_run: options.dry_run,
            flood: flood.clone(),
            roles: Arc::clone(&roles),
        };
        match serve(login, &bot, settings.clone(), &mut metrics_listener, &shutdown).await? {
            Ended::Shutdown => break,
            Ended::SoftLogout => {
                let device = client.device_id().context("logged in without a device id")?.to_owned();
                warn!(%device, "the homeserver let the bot's login expire (soft logout); logging in again as the same device");
                client = session::log_in_again(&matrix, &device).await?;
                first_start = false;
            }
        }
    }
    info!("stopped");
    drop(state);
    Ok(())
}

/// One login's share of a run: the client and what outlives it.
struct Login {
    client: Client,
    own_user: OwnedUserId,
    first_start: bool,
    dry_run: bool,
    flood: Option<Arc<std::sync::Mutex<Flood>>>,
    roles: Arc<std::sync::Mutex<HashMap<OwnedUserId, Role>>>,
}

/// Why serving on one login ended.
enum Ended {
    Shutdown,
    /// The access token expired; the device is still the bot's.
    SoftLogout,
}

/// Serves on one login until the bot shuts down (then finishes the replies under way) or
/// the login expires (then stops at once: what was not sent is sent on the next login).
async fn serve(
    login: Login,
    bot: &Bot,
    settings: SyncSettings,
    metrics_listener: &mut Option<tokio::net::TcpListener>,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<Ended> {
    let client = &login.client;
    let (commands, queue) = mpsc::channel(QUEUE_LIMIT);
    let out = MatrixOutbox::new(
        client.clone(),
        bot.store.clone(),
        via_servers(&bot.config.access, &login.own_user),
        login.dry_run,
    );
    let matrix = Matrix {
        flood: login.flood,
        roles: login.roles,
        bot: bot.clone(),
        out: out.clone(),
        own_user: login.own_user,
        commands,
    };
    client.add_event_handler_context(matrix.clone());
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
    client.add_event_handler(on_reaction);
    client.add_event_handler(on_tombstone);
    join_configured_rooms(client, &bot.config, &out).await;
    answer_pending_invites(client, &matrix).await;
    if !login.first_start {
        catch_up_commands(client, &matrix).await;
    }
    // The first sync's responses are parsed and stored by now.
    crate::memory::release_freed();

    if let Some(listener) = metrics_listener.take() {
        bot.metrics.started(Instant::now());
        info!(address = ?listener.local_addr().ok(), "serving /metrics and /healthz");
        let store = bot.store.clone();
        let questions = move || {
            store.question_counts().unwrap_or_else(|err| {
                warn!(error = %err, "counting the questions");
                Vec::new()
            })
        };
        tokio::spawn(crate::metrics::serve(
            listener,
            bot.metrics.clone(),
            questions,
            shutdown.clone(),
        ));
    } else if login.first_start {
        bot.metrics.started(Instant::now());
    }
    // This login's tasks stop when the bot shuts down or the login ends.
    let (stop, stopping) = watch::channel(false);
    let forward = {
        let (mut shutdown, stop) = (shutdown.clone(), stop.clone());
        tokio::spawn(async move {
            let _ = shutdown.wait_for(|down| *down).await;
            stop.send_replace(true);
        })
    };
    let answering = tokio::spawn(answer_commands(matrix.clone(), queue, stopping.clone()));
    let tasks = bot.spawn_tasks(out.clone(), login.first_start, stopping);
    let synced = sync_until(client, bot, settings, shutdown.clone()).await;
    forward.abort();
    match synced {
        Ok(Ended::Shutdown) => {
            info!("shutting down: finishing the replies under way");
            stop.send_replace(true);
            let _ = tokio::time::timeout(Duration::from_secs(10), answering).await;
            tasks.finish(Duration::from_secs(10)).await;
            Ok(Ended::Shutdown)
        }
        ended => {
            // Stop this login's work at once: sending on with a token the homeserver
            // refuses loses nothing (nothing is recorded as sent). Commands not answered
            // are read back by the next login; a hard logout exits for a supervisor.
            stop.send_replace(true);
            answering.abort();
            tasks.finish(Duration::ZERO).await;
            bot.stop_deliveries();
            ended
        }
    }
}

/// Long-polls the homeserver: the next sync starts as soon as the last one returns, so a
/// command is handled as soon as it is delivered; only errors wait, with backoff. Fails
/// when the homeserver logged the bot out: syncing on would fail forever.
async fn sync_until(
    client: &Client,
    bot: &Bot,
    settings: SyncSettings,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Ended> {
    let mut backoff = BACKOFF_START;
    let mut failing = false;
    // The first sync returns at once (with whatever is new), so /healthz turns healthy as
    // soon as the bot is connected; the later ones wait for news.
    let mut timeout = Duration::ZERO;
    loop {
        let sync = client.sync_once(settings.clone().timeout(timeout));
        tokio::select! {
            _ = shutdown.changed() => return Ok(Ended::Shutdown),
            result = sync => match result {
                Ok(_) => {
                    bot.metrics.sync_ok(Instant::now());
                    timeout = SYNC_TIMEOUT;
                    if failing {
                        info!("the homeserver is back; syncing again");
                    }
                    failing = false;
                    backoff = BACKOFF_START;
                }
                Err(err) => {
                    bot.metrics.sync_failed(&err.to_string(), Instant::now());
                    if let Some(ErrorKind::UnknownToken(token)) = err.client_api_error_kind() {
                        if token.soft_logout {
                            return Ok(Ended::SoftLogout);
                        }
                        anyhow::bail!(
                            "the homeserver no longer accepts the bot's access token (the login was revoked, or its device deleted): \
                             remove session.json and the matrix/ folder from the state directory and start the bot again; it logs in afresh, as a new device"
                        );
                    }
                    warn!(error = %err, retry_in = ?backoff, "sync failed; is the homeserver reachable?");
                    failing = true;
                    tokio::select! {
                        _ = shutdown.changed() => return Ok(Ended::Shutdown),
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
async fn join_configured_rooms(client: &Client, config: &Config, out: &MatrixOutbox) {
    let via = out.via();
    for room in configured_rooms(config) {
        let Ok(id) = matrix_sdk::ruma::OwnedRoomOrAliasId::try_from(room) else {
            continue;
        };
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
fn via_servers(access: &AccessConfig, own_user: &UserId) -> Vec<OwnedServerName> {
    let mut servers = vec![own_user.server_name().to_owned()];
    let listed = access
        .organizers
        .iter()
        .chain(access.moderators.iter())
        .chain(access.invite.iter());
    for entry in listed {
        let server = match UserId::parse(entry.as_str()) {
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

async fn on_invite(event: StrippedRoomMemberEvent, room: Room, Ctx(bot): Ctx<Matrix>) {
    if event.state_key != bot.own_user || event.content.membership != MembershipState::Invite {
        return;
    }
    answer_invite(&bot, room, &event.sender).await;
}

/// Answers the invites that were waiting when the bot started: the first sync skips the
/// backlog before the handlers are in place, so those invites never reach `on_invite`.
async fn answer_pending_invites(client: &Client, bot: &Matrix) {
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => answer_invite(bot, room, &invite.inviter_id).await,
            Err(err) => warn!(room = %room.room_id(), error = %err, "cannot read a pending invite"),
        }
    }
}

/// Joins `room` if `[access]` allows `inviter` to invite the bot, else declines.
async fn answer_invite(bot: &Matrix, room: Room, inviter: &UserId) {
    if !may_invite(&bot.bot.config.access, inviter) {
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

async fn on_message(event: OriginalSyncRoomMessageEvent, room: Room, Ctx(bot): Ctx<Matrix>) {
    enqueue(&bot, room, event, true);
}

/// Whether a command from `user` is answered under `[commands] per_user`; a sender over
/// the rate gets one "slow down" (`Some(SlowDown)`), then nothing. Organizers and
/// moderators are not limited.
fn admit(bot: &Matrix, user: &UserId) -> Admit {
    let Some(flood) = &bot.flood else {
        return Admit::Answer;
    };
    let known = bot.roles.lock().unwrap_or_else(|p| p.into_inner()).get(user).copied();
    let role = bot
        .bot
        .config
        .access
        .listed_role(user.as_str())
        .max(known.unwrap_or(Role::Attendee));
    if role >= Role::Moderator {
        return Admit::Answer;
    }
    let admit = flood
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .admit(user.as_str(), chrono::Utc::now());
    if admit != Admit::Answer {
        bot.bot.metrics.command_dropped(admit == Admit::SlowDown);
    }
    admit
}

/// Queues a command for answering; anything else, and commands too old to answer, are
/// left alone. `live`: it came with the sync (not from the history a restart reads back),
/// and counts towards its sender's rate.
fn enqueue(bot: &Matrix, room: Room, event: OriginalSyncRoomMessageEvent, live: bool) {
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
    if too_old(bot, &event) {
        return;
    }
    let command = match live.then(|| admit(bot, &event.sender)) {
        None | Some(Admit::Answer) => command,
        Some(Admit::SlowDown) => Err(UsageError::SlowDown(
            bot.bot.config.commands.per_user.expect("a flood has a rate"),
        )),
        Some(Admit::Drop) => return,
    };
    let queued = bot.commands.try_send(Incoming {
        room,
        event,
        command,
        received: Instant::now(),
    });
    if let Err(mpsc::error::TrySendError::Full(dropped)) = queued {
        warn!(event = %dropped.event.event_id, "the command queue is full ({QUEUE_LIMIT}); dropping a command");
        bot.bot.metrics.command_dropped(false);
    }
}

/// Whether a command is older than `[matrix] command_max_age` (sent while the bot was
/// down, or waiting too long in the queue); such a command is not answered.
fn too_old(bot: &Matrix, event: &OriginalSyncRoomMessageEvent) -> bool {
    let max_age = command_max_age(&bot.bot);
    match age(event.origin_server_ts) {
        Some(age) if age > max_age => {
            info!(event = %event.event_id, age_s = age.as_secs(), "ignoring a command older than [matrix] command_max_age");
            true
        }
        _ => false,
    }
}

/// `[matrix] command_max_age`: older commands are not answered.
fn command_max_age(bot: &Bot) -> Duration {
    bot.config
        .matrix
        .as_ref()
        .and_then(|m| m.command_max_age.to_std().ok())
        .unwrap_or(Duration::from_secs(300))
}

/// How many pages of history a restart reads back in each room, at most.
const CATCH_UP_PAGES: usize = 10;

/// Commands the last run never answered: it may have stopped or crashed after the sync
/// had taken them in (the sync token already past them) but before the answer went out,
/// or been away long enough that the sync skipped part of a busy room. Each joined room's
/// history back to `[matrix] command_max_age` goes through the queue again, oldest first;
/// whatever was answered before is skipped there.
async fn catch_up_commands(client: &Client, matrix: &Matrix) {
    let max_age = command_max_age(&matrix.bot);
    for room in client.joined_rooms() {
        let mut events = Vec::new();
        let mut from: Option<String> = None;
        for _ in 0..CATCH_UP_PAGES {
            let mut options = MessagesOptions::backward().from(from.as_deref());
            options.limit = UInt::from(100u32);
            let page = match room.messages(options).await {
                Ok(page) => page,
                Err(err) => {
                    warn!(room = %room.room_id(), error = %err, "reading the history for unanswered commands");
                    break;
                }
            };
            let mut reached_old = false;
            for event in &page.chunk {
                if let Ok(event) = event.raw().deserialize_as_unchecked::<OriginalSyncRoomMessageEvent>() {
                    if age(event.origin_server_ts).is_some_and(|age| age > max_age) {
                        reached_old = true;
                        break;
                    }
                    events.push(event);
                }
            }
            match page.end {
                Some(end) if !reached_old && !page.chunk.is_empty() => from = Some(end),
                _ => break,
            }
        }
        for event in events.into_iter().rev() {
            enqueue(matrix, room.clone(), event, false);
        }
    }
}

/// How long ago, by the real clock, the homeserver received an event.
fn age(sent: MilliSecondsSinceUnixEpoch) -> Option<Duration> {
    let now = MilliSecondsSinceUnixEpoch::now();
    let ms = u64::from(now.get()).checked_sub(u64::from(sent.get()))?;
    Some(Duration::from_millis(ms))
}

/// How many replies may be on their way to the homeserver at once. Each takes a round
/// trip (tens of milliseconds in a large room); sending them one by one made a burst of
/// questions drain at the homeserver's latency rather than at its throughput.
const REPLIES_IN_FLIGHT: usize = 16;

/// Answers queued commands, each at most once. Commands wait their sender's turn
/// ([`Turns`]): one sender's in the order they came, and the sender served least recently
/// first, so a flood delays only those who send it. Each is decided and acted on in
/// that order (questions get their numbers in it), and the replies are sent
/// concurrently, though one sender's replies still in order. On shutdown, answers what is
/// queued, waits for the replies under way and stops.
async fn answer_commands(bot: Matrix, mut queue: mpsc::Receiver<Incoming>, mut shutdown: watch::Receiver<bool>) {
    let mut replies = Replies::default();
    let mut turns = Turns::new(QUEUE_LIMIT);
    let mut queue_open = true;
    loop {
        // Take in everything queued, then answer in turns while replies can go out.
        while let Ok(incoming) = queue.try_recv() {
            wait_turn(&bot, &mut turns, incoming);
        }
        while replies.sending.len() < REPLIES_IN_FLIGHT {
            let Some(incoming) = turns.pop() else { break };
            replies.answer(&bot, incoming).await;
        }
        if *shutdown.borrow() {
            while let Some(incoming) = turns.pop() {
                replies.answer(&bot, incoming).await;
            }
            while replies.next_sent().await {}
            return;
        }
        tokio::select! {
            biased;
            incoming = queue.recv(), if queue_open => match incoming {
                Some(incoming) => wait_turn(&bot, &mut turns, incoming),
                None => queue_open = false,
            },
            true = replies.next_sent(), if !replies.sending.is_empty() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Queues a command for its sender's turn; one dropped to make room is counted.
fn wait_turn(bot: &Matrix, turns: &mut Turns<Incoming>, incoming: Incoming) {
    let sender = incoming.event.sender.to_string();
    if let Some(dropped) = turns.push(&sender, incoming) {
        warn!(event = %dropped.event.event_id, sender = %dropped.event.sender,
            "the command queue is full ({QUEUE_LIMIT}); dropping the newest command of the sender with the most waiting");
        bot.bot.metrics.command_dropped(false);
    }
}

/// The replies under way (by the event id of their command), and for each sender a
/// signal that its latest reply is out.
#[derive(Default)]
struct Replies {
    sending: tokio::task::JoinSet<String>,
    latest: HashMap<OwnedUserId, oneshot::Receiver<()>>,
    under_way: HashSet<String>,
}

impl Replies {
    /// Waits for a reply under way to be out; false when none was.
    async fn next_sent(&mut self) -> bool {
        match self.sending.join_next().await {
            Some(Ok(event_id)) => {
                self.under_way.remove(&event_id);
                true
            }
            Some(Err(err)) => {
                warn!(error = %err, "a reply task failed");
                true
            }
            None => false,
        }
    }

    async fn answer(&mut self, matrix: &Matrix, incoming: Incoming) {
        while self.sending.len() >= REPLIES_IN_FLIGHT {
            self.next_sent().await;
        }
        let event_id = incoming.event.event_id.to_string();
        if self.under_way.contains(&event_id) {
            return; // delivered twice by the sync while its reply is on its way
        }
        let Some(reply) = decide_one(matrix, &incoming).await else {
            return;
        };
        self.under_way.insert(event_id.clone());
        let sender = incoming.event.sender.clone();
        let before = self.latest.remove(&sender);
        let (done, after) = oneshot::channel();
        self.latest.insert(sender, after);
        let matrix = matrix.clone();
        self.sending.spawn(async move {
            if let Some(before) = before {
                let _ = before.await;
            }
            send_reply(&matrix, incoming, reply).await;
            let _ = done.send(());
            event_id
        });
    }
}

/// Decides and acts on one command; `None` when it was answered before.
async fn decide_one(matrix: &Matrix, incoming: &Incoming) -> Option<bot::Reply> {
    let bot = &matrix.bot;
    let event_id = incoming.event.event_id.as_str();
    // Checked again when taken: a command may have waited in the queue.
    if too_old(matrix, &incoming.event) {
        return None;
    }
    match bot.store.was_answered(event_id) {
        Ok(true) => return None,
        Ok(false) => {}
        Err(err) => warn!(error = %err, "reading the store"),
    }
    let sender = &incoming.event.sender;
    let role = match &incoming.command {
        Ok(command) if command.role() > Role::Attendee || matches!(command, Command::Help) => {
            role_of(matrix, sender).await
        }
        _ => Role::Attendee,
    };
    let place = place_of(&bot.config, &incoming.room);
    let name = match incoming.room.get_member_no_sync(sender).await {
        Ok(Some(member)) => member.display_name().unwrap_or(sender.localpart()).to_string(),
        _ => sender.localpart().to_string(),
    };
    remember_direct_room(bot, &incoming.room, sender).await;
    let from = Sender {
        user: sender.as_str(),
        name: &name,
        role,
        place: place.as_deref(),
        event: event_id,
    };
    Some(bot.answer(&matrix.out, &from, &incoming.command).await)
}

/// Sends the reply to one command and records it as answered.
async fn send_reply(matrix: &Matrix, incoming: Incoming, reply: bot::Reply) {
    let bot = &matrix.bot;
    let event_id = incoming.event.event_id.as_str();
    let content = RoomMessageEventContent::notice_html(reply.message.body(), reply.message.html())
        .add_mentions(Mentions::new())
        .make_reply_to(&incoming.event, ForwardThread::No, AddMentions::No);
    // A transaction id from the command: a reply retried after a crash is not a second one.
    let transaction = outbox::transaction_id(&format!("reply:{event_id}"));
    // Retried here, not in the SDK: under a rate limit, each try first lets the reminders
    // held by it go (a reply can wait; a reminder that misses its minute cannot).
    let patience = command_max_age(bot);
    let give_up = Instant::now() + patience;
    let mut backoff = BACKOFF_START;
    let sent = loop {
        matrix
            .out
            .after_posts(give_up.saturating_duration_since(Instant::now()))
            .await;
        let sent = incoming
            .room
            .send(content.clone())
            .with_transaction_id(transaction.clone())
            .with_request_config(RequestConfig::new().retry_limit(0).timeout(Duration::from_secs(30)))
            .await
            .map_err(|err| outbox::classify(err, &format!("answering in {}", incoming.room.room_id())));
        let wait = match &sent {
            Err(SendError::Busy { retry_after, .. }) => *retry_after,
            Err(SendError::Failed(_)) => {
                backoff = (backoff * 2).min(BACKOFF_MAX);
                backoff / 2
            }
            _ => break sent,
        };
        if Instant::now() + wait >= give_up {
            break sent;
        }
        tokio::time::sleep(wait).await;
    };
    match sent {
        Ok(sent) => {
            if let Some(number) = reply.receipt_of {
                bot::questions::link_receipt(bot, number, sent.response.event_id.as_str());
            }
            let command = incoming.command.as_ref().map(Command::name).unwrap_or("usage");
            bot.metrics.reply_sent();
            bot.metrics.command(command, incoming.received.elapsed());
            info!(room = %incoming.room.room_id(), %command, "answered");
            if let Err(err) = bot.store.mark_answered(event_id, bot::posting::now_ms()) {
                warn!(error = %err, "recording the answer");
            }
        }
        Err(err) => {
            bot.metrics.reply_failed();
            warn!(room = %incoming.room.room_id(), error = %err, "could not send the answer")
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
async fn role_of(matrix: &Matrix, user: &UserId) -> Role {
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
    // A power level counts only for a member of the moderators room: one left over from
    // someone who left, or set for a user never there, makes no moderator.
    let member = matches!(
        room.get_member_no_sync(user).await,
        Ok(Some(member)) if *member.membership() == MembershipState::Join
    );
    if !member {
        return listed;
    }
    let by_level = match room.get_user_power_level(user).await {
        Ok(UserPowerLevel::Infinite) => Role::Organizer,
        Ok(UserPowerLevel::Int(level)) if i64::from(level) >= access.organizer_power_level => Role::Organizer,
        Ok(UserPowerLevel::Int(level)) if i64::from(level) >= access.moderator_power_level => Role::Moderator,
        _ => Role::Attendee,
    };
    let role = listed.max(by_level);
    if role > Role::Attendee {
        matrix
            .roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_owned(), role);
    }
    role
}

/// ✅ ❌ 💬 on a question in the moderators room (from a moderator), 👍 on a receipt.
async fn on_reaction(event: OriginalSyncReactionEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
    if event.sender == matrix.own_user {
        return;
    }
    let bot = &matrix.bot;
    let Some((question, on)) = bot::questions::reacted_to(bot, event.content.relates_to.event_id.as_str()) else {
        return;
    };
    let role = if on == crate::questions::QuestionEvent::Relay {
        role_of(&matrix, &event.sender).await
    } else {
        Role::Attendee
    };
    let key = &event.content.relates_to.key;
    let ack = bot::questions::react(
        bot,
        &matrix.out,
        &question,
        on,
        key,
        event.sender.as_str(),
        role,
        event.event_id.as_str(),
    )
    .await;
    if let Some(ack) = ack {
        let content = RoomMessageEventContent::notice_html(ack.body(), ack.html()).add_mentions(Mentions::new());
        let transaction = outbox::transaction_id(&format!("question-ack:{}", event.event_id));
        if let Err(err) = room.send(content).with_transaction_id(transaction).await {
            warn!(error = %err, "could not confirm a moderator's reaction");
        }
    }
}

/// A room the bot serves was upgraded: join the new room, post there from now on, and
/// tell the moderators room once.
async fn on_tombstone(event: OriginalSyncRoomTombstoneEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
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
    let mut message = crate::message::Message::new();
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
fn configured_rooms(config: &Config) -> Vec<&str> {
    let rooms = &config.rooms;
    rooms
        .announcements
        .iter()
        .chain(rooms.moderators.iter())
        .chain(rooms.speakers.iter())
        .chain(rooms.map.values())
        .map(String::as_str)
        .collect()
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
