//! The Matrix adapter: logs in (or restores its session), drives its own sync loop so a
//! command is answered as soon as the homeserver delivers it, joins rooms it is invited to
//! by allowed users, and turns commands into core calls and the core's answers into replies.

mod identity;
mod login;
mod outbox;
mod provision;

pub use provision::{provision, Provision};

use crate::access::{Access, PowerLevel};
use crate::app::{self, Bot, SendError, Sender};
use crate::command::address::{self, Listener};
use crate::command::{Command, Role, UsageError};
use crate::config::Config;
use crate::flood::{Admit, Flood, Turns};
use crate::infra::clock::Clock;
use crate::infra::metrics::Removal;
use crate::infra::source::Refresher;
use crate::infra::state::{StateDir, StoreKind};
use crate::infra::store::Store;
use anyhow::Context;
use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::encryption::VerificationState;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::{
    Filter as EventFilter, FilterDefinition, LazyLoadOptions, RoomEventFilter,
};
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
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

mod commands;
mod receipts;
mod redactions;
mod rooms;
mod undecryptable;
use commands::*;
use rooms::*;
use undecryptable::*;

/// How long one sync request waits for news; the homeserver answers at once when there is some.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff after a failed sync: doubles from the first value to the last.
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// A sync that returns nothing sooner than this after it was sent did not long-poll...
const EMPTY_SYNC_TOO_FAST: Duration = Duration::from_millis(100);
/// ...and the next one waits this long.
const EMPTY_SYNC_PAUSE: Duration = Duration::from_secs(1);

/// Whether a sync brought nothing at all.
fn is_empty(response: &matrix_sdk::sync::SyncResponse) -> bool {
    response.rooms.is_empty()
        && response.to_device.is_empty()
        && response.account_data.is_empty()
        && response.presence.is_empty()
}

/// What the event handlers share.
#[derive(Clone)]
struct Matrix {
    bot: Bot,
    out: MatrixOutbox,
    own_user: OwnedUserId,
    /// What people call the bot: its localpart, display name and MXID.
    names: Arc<Vec<String>>,
    commands: mpsc::Sender<Incoming>,
    /// `[commands] per_user`, when on.
    flood: Option<Arc<std::sync::Mutex<Flood>>>,
    /// The roles found from power levels, so that a moderator is never held to the rate.
    roles: Arc<std::sync::Mutex<HashMap<OwnedUserId, Role>>>,
    /// Messages the bot could not decrypt yet.
    unreadable: Arc<std::sync::Mutex<Unreadable>>,
    /// Keys of events handled once per run, though a sync may deliver them twice.
    seen: Arc<std::sync::Mutex<HashSet<String>>>,
    /// Read receipts due on commands.
    receipts: Arc<receipts::Receipts>,
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
    let (mut client, first_login) = login::connect(&matrix).await?;
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

    let filter = match client.get_or_upload_filter(SYNC_FILTER_NAME, sync_filter()).await {
        Ok(id) => Filter::FilterId(id),
        Err(err) => {
            warn!(error = %err, "could not upload the sync filter; sending it with every sync");
            Filter::FilterDefinition(sync_filter())
        }
    };
    let settings = SyncSettings::default().filter(filter).timeout(SYNC_TIMEOUT);
    if first_start {
        // Skip the backlog: commands sent before the bot ever ran are not for it.
        info!("first start: skipping the rooms' history");
        client
            .sync_once(settings.clone().timeout(Duration::ZERO))
            .await
            .context("first sync")?;
    }
    // After the first sync, which uploads a new device's keys: an identity can sign only
    // a device the homeserver knows.
    identity::ensure(&client, &matrix).await?;

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
    bot.metrics.device_cross_signed(true);
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
                client = login::log_in_again(&matrix, &device).await?;
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
    let mut names = vec![login.own_user.localpart().to_string(), login.own_user.to_string()];
    match client.account().get_display_name().await {
        Ok(Some(name)) if !name.trim().is_empty() => names.push(name),
        Ok(_) => {}
        Err(err) => warn!(error = %err, "reading the bot's display name: it answers to its user name only"),
    }
    let matrix = Matrix {
        flood: login.flood,
        roles: login.roles,
        bot: bot.clone(),
        out: out.clone(),
        own_user: login.own_user,
        names: Arc::new(names),
        commands,
        seen: Arc::default(),
        unreadable: Arc::default(),
        receipts: Arc::default(),
    };
    client.add_event_handler_context(matrix.clone());
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
    client.add_event_handler(on_reaction);
    client.add_event_handler(redactions::on_redaction);
    client.add_event_handler(on_tombstone);
    client.add_event_handler(on_membership);
    client.add_event_handler(on_encrypted);
    join_configured_rooms(client, &bot.config, &out).await;
    forget_wrong_direct_rooms(client, &matrix).await;
    answer_pending_invites(client, &matrix).await;
    // The history is read once the first sync is in, beside the later ones: read before
    // it, a hundred rooms' took a second before a restarted bot could answer anyone, and
    // read beside it, the reads held up the homeserver's answer to that sync (1 s in
    // FOSDEM's rooms with 2,000 members). A command both read back and delivered live is
    // answered once.
    let (first_synced, synced) = tokio::sync::oneshot::channel();
    let catch_up = (!login.first_start).then(|| {
        let (client, matrix) = (client.clone(), matrix.clone());
        tokio::spawn(async move {
            if synced.await.is_ok() {
                catch_up_commands(&client, &matrix).await;
            }
        })
    });
    // The first sync's responses are parsed and stored by now.
    crate::infra::memory::release_freed();

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
        tokio::spawn(crate::infra::metrics::serve(
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
    let verification = tokio::spawn(follow_verification(client.clone(), bot.metrics.clone()));
    let unreadable = tokio::spawn(retry_unreadable(client.clone(), matrix.clone(), stopping.clone()));
    let tasks = bot.spawn_tasks(out.clone(), login.first_start, stopping);
    let synced = sync_until(client, bot, settings, first_synced, shutdown.clone()).await;
    forward.abort();
    verification.abort();
    unreadable.abort();
    if let Some(catch_up) = catch_up {
        catch_up.abort();
    }
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

/// Keeps the cross-signing gauge and `/healthz` up to date: another device of the account
/// could reset its identity, leaving this device unsigned.
async fn follow_verification(client: Client, metrics: Arc<crate::infra::metrics::Metrics>) {
    let mut state = client.encryption().verification_state();
    while let Some(state) = state.next().await {
        match state {
            VerificationState::Verified => metrics.device_cross_signed(true),
            VerificationState::Unverified => {
                warn!("the bot's device is no longer cross-signed by its account: was the account's identity reset?");
                metrics.device_cross_signed(false);
            }
            VerificationState::Unknown => {}
        }
    }
}

/// Long-polls the homeserver: the next sync starts as soon as the last one returns, so a
/// command is handled as soon as it is delivered; only errors wait, with backoff. Fails
/// when the homeserver logged the bot out: syncing on would fail forever. `first_synced`
/// hears when the first sync's events have been handled.
async fn sync_until(
    client: &Client,
    bot: &Bot,
    settings: SyncSettings,
    first_synced: tokio::sync::oneshot::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Ended> {
    let mut first_synced = Some(first_synced);
    let mut backoff = BACKOFF_START;
    let mut failing = false;
    // The first sync returns at once (with whatever is new), so /healthz turns healthy as
    // soon as the bot is connected; the later ones wait for news.
    let mut timeout = Duration::ZERO;
    loop {
        let sync = client.sync_once(settings.clone().timeout(timeout));
        let started = Instant::now();
        tokio::select! {
            _ = shutdown.changed() => return Ok(Ended::Shutdown),
            result = sync => match result {
                Ok(response) => {
                    bot.metrics.sync_ok(Instant::now());
                    // Its events are handled (their commands queued) by now.
                    if let Some(first) = first_synced.take() {
                        let _ = first.send(());
                    }
                    // A homeserver (or proxy) that answers a long poll at once with
                    // nothing would have the bot spin: wait a moment before the next.
                    if timeout > Duration::ZERO && started.elapsed() < EMPTY_SYNC_TOO_FAST && is_empty(&response) {
                        debug!("an empty sync came back at once; waiting before the next");
                        tokio::select! {
                            _ = shutdown.changed() => return Ok(Ended::Shutdown),
                            _ = tokio::time::sleep(EMPTY_SYNC_PAUSE) => {}
                        }
                    }
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

/// The name the sync filter is kept under in the client's store: a new definition needs
/// a new name, or the stored id of the old one is used.
const SYNC_FILTER_NAME: &str = "confbot-sync-2";

/// What the bot syncs: room timelines and state with members loaded lazily (a room's
/// thousands of members are not sent with every join), account data (for `m.direct`),
/// to-device messages (room keys); no presence, typing or read receipts, which it never
/// reads.
fn sync_filter() -> FilterDefinition {
    let mut filter = FilterDefinition::default();
    // Enough that a burst of commands in one room between two syncs is never cut short.
    filter.room.timeline.limit = Some(UInt::from(500u32));
    let lazy = LazyLoadOptions::Enabled {
        include_redundant_members: false,
    };
    filter.room.state.lazy_load_options = lazy;
    filter.room.timeline.lazy_load_options = lazy;
    filter.room.ephemeral = RoomEventFilter::ignore_all();
    filter.presence = EventFilter::ignore_all();
    filter
}
