//! The end-to-end harness: users registered on the test Synapse (scripts/synapse), the bot
//! as a real `confbot run` process, and independent matrix-sdk clients acting as attendees.

#![allow(dead_code)]

use matrix_sdk::config::SyncSettings;
use matrix_sdk::reqwest;
use matrix_sdk::ruma::api::client::room::create_room;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};
use matrix_sdk::{Client, Room};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

mod bot;
mod net;
mod topics;

// Each test binary uses its own share of the harness.
#[allow(unused_imports)]
pub use bot::*;
#[allow(unused_imports)]
pub use net::*;
#[allow(unused_imports)]
pub use topics::*;

pub const WAIT: Duration = Duration::from_secs(30);

/// The test homeserver's URL, from scripts/test.
pub fn homeserver() -> String {
    std::env::var("CONFBOT_TEST_HOMESERVER")
        .expect("CONFBOT_TEST_HOMESERVER is not set: run the end-to-end tests through scripts/test")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh user name, unique across test runs on one homeserver.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}{}{}",
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Registers a user (the test Synapse allows open registration) and returns its id.
pub async fn register(name: &str, password: &str) -> OwnedUserId {
    let url = format!("{}/_matrix/client/v3/register", homeserver());
    let body = serde_json::json!({
        "username": name,
        "password": password,
        "auth": {"type": "m.login.dummy"},
        "inhibit_login": true,
    });
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("register request");
    let status = response.status();
    let json: serde_json::Value =
        serde_json::from_str(&response.text().await.expect("register response")).expect("JSON");
    assert!(status.is_success(), "registering {name}: {status} {json}");
    UserId::parse(json["user_id"].as_str().unwrap()).unwrap()
}

/// A message as an attendee's client received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub room: OwnedRoomId,
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub notice: bool,
    pub body: String,
    pub html: Option<String>,
    pub in_reply_to: Option<OwnedEventId>,
    /// The thread the message is in (`m.thread`), by its root.
    pub thread_root: Option<OwnedEventId>,
    /// The message this one edits (`m.replace`); its `body` is then the fallback, "* …".
    pub replaces: Option<OwnedEventId>,
    /// `Some(empty)` when `m.mentions` is present and mentions nobody.
    pub mentions: Option<(bool, usize)>,
    pub at: Instant,
    /// When the homeserver accepted the event (`origin_server_ts`), ms since the epoch.
    pub origin_ms: u64,
}

/// Whether `body` is one of the speakers' cues in a backstage: "NAMES: you're on in 5
/// minutes: …", "NAMES: 5 minutes left in …", "NAMES: Q&A: 1 minute left in …".
pub fn is_cue(body: &str) -> bool {
    let body = body.strip_prefix("(late) ").unwrap_or(body);
    body.split_once(": ").is_some_and(|(_, cue)| {
        cue.starts_with("you're on in 5 minutes: ")
            || cue.starts_with("5 minutes left in ")
            || cue.starts_with("Q&A: 1 minute left in ")
    })
}

/// Whether `body` is a question board, or an edit of one: its first line is the session's
/// heading, "Title · Room · 09:00–09:25 CET · 15 minutes left" (or "Q&A: 4 minutes left",
/// "starts in 5 minutes", "ended at 09:25 CET").
pub fn is_board(body: &str) -> bool {
    let first = body
        .strip_prefix("* ")
        .unwrap_or(body)
        .lines()
        .next()
        .unwrap_or_default();
    let parts: Vec<&str> = first.split(" · ").collect();
    let [.., when, phase] = parts.as_slice() else {
        return false;
    };
    parts.len() >= 3
        && when.contains('–')
        && (phase.ends_with(" left") || phase.starts_with("ended at ") || phase.starts_with("starts in "))
}

/// What a peer received and no test has taken yet. A wait takes the first new message it
/// wants; those it passes over are kept, in order, for [`Peer::drain`], so that a reply or
/// a post that came twice is seen even when a wait for something else went past it. A
/// wait never takes a message an earlier wait passed over: each waits for what comes next.
struct Inbox {
    incoming: mpsc::UnboundedReceiver<Received>,
    /// Passed over by a wait since the last drain.
    passed: Vec<Received>,
}

impl Inbox {
    /// The first new message that `wanted` accepts, waiting until `deadline`.
    async fn take(&mut self, deadline: tokio::time::Instant, wanted: impl Fn(&Received) -> bool) -> Option<Received> {
        loop {
            let received = tokio::time::timeout_at(deadline, self.incoming.recv())
                .await
                .ok()?
                .expect("inbox open");
            if wanted(&received) {
                return Some(received);
            }
            self.passed.push(received);
        }
    }
}

/// An independent client: its own store, its own sync loop without delays.
pub struct Peer {
    pub client: Client,
    pub user: OwnedUserId,
    inbox: Arc<Mutex<Inbox>>,
    /// Whether question boards reach the inbox; see [`Peer::see_boards`].
    boards: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
    sync: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

/// How a peer's client trusts other devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// As legacy clients do: room keys to every device, messages from any device read.
    AnyDevice,
    /// As Element does when it excludes insecure devices (MSC4153): its own device is
    /// cross-signed; it shares room keys only with devices their owner cross-signed
    /// (identity-based sharing) and reads messages only from such devices.
    CrossSignedOnly,
    /// Shares room keys only with devices this user verified themselves: the bot, never
    /// verified by them, cannot read what they send.
    VerifiedOnly,
}

impl Peer {
    /// Registers and logs in a new user, and starts syncing.
    pub async fn new(prefix: &str) -> Peer {
        Peer::trusting(prefix, Trust::AnyDevice).await
    }

    /// Like [`Peer::new`], with a client that trusts devices as `trust` says.
    pub async fn trusting(prefix: &str, trust: Trust) -> Peer {
        use matrix_sdk_base::crypto::{CollectStrategy, DecryptionSettings, TrustRequirement};
        let name = unique(prefix);
        let password = "attendee-password";
        register(&name, password).await;
        let dir = tempfile::tempdir().unwrap();
        let mut builder = Client::builder()
            .homeserver_url(homeserver())
            .sqlite_store(dir.path(), None);
        if trust == Trust::CrossSignedOnly {
            builder = builder
                .with_encryption_settings(matrix_sdk::encryption::EncryptionSettings {
                    auto_enable_cross_signing: true,
                    ..Default::default()
                })
                .with_room_key_recipient_strategy(CollectStrategy::IdentityBasedStrategy)
                .with_decryption_settings(DecryptionSettings {
                    sender_device_trust_requirement: TrustRequirement::CrossSigned,
                });
        }
        if trust == Trust::VerifiedOnly {
            builder = builder.with_room_key_recipient_strategy(CollectStrategy::OnlyTrustedDevices);
        }
        let client = builder.build().await.unwrap();
        client
            .matrix_auth()
            .login_username(&name, password)
            .send()
            .await
            .expect("login");
        if trust == Trust::CrossSignedOnly {
            client.encryption().wait_for_e2ee_initialization_tasks().await;
            // The signature the bootstrap uploaded, as the homeserver now holds it.
            let me = client.user_id().unwrap().to_owned();
            client.encryption().request_user_identity(&me).await.unwrap();
            let own = client.encryption().get_own_device().await.unwrap().expect("own device");
            assert!(
                own.is_cross_signed_by_owner(),
                "the strict client's own device is cross-signed"
            );
        }
        let user = client.user_id().unwrap().to_owned();
        let (tx, rx) = mpsc::unbounded_channel();
        let boards = Arc::new(AtomicBool::new(false));
        let with_boards = boards.clone();
        client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
            let (tx, with_boards) = (tx.clone(), with_boards.clone());
            async move {
                let (body, html, notice) = match &event.content.msgtype {
                    MessageType::Text(t) => (t.body.clone(), t.formatted.as_ref().map(|f| f.body.clone()), false),
                    MessageType::Notice(n) => (n.body.clone(), n.formatted.as_ref().map(|f| f.body.clone()), true),
                    _ => return,
                };
                if is_board(&body) && !with_boards.load(Ordering::Relaxed) {
                    return;
                }
                let (in_reply_to, thread_root, replaces) = match &event.content.relates_to {
                    Some(Relation::Reply(reply)) => (Some(reply.in_reply_to.event_id.clone()), None, None),
                    Some(Relation::Thread(thread)) => (
                        thread.in_reply_to.as_ref().map(|r| r.event_id.clone()),
                        Some(thread.event_id.clone()),
                        None,
                    ),
                    Some(Relation::Replacement(replacement)) => (None, None, Some(replacement.event_id.clone())),
                    _ => (None, None, None),
                };
                let mentions = event.content.mentions.as_ref().map(|m| (m.room, m.user_ids.len()));
                let _ = tx.send(Received {
                    room: room.room_id().to_owned(),
                    event_id: event.event_id.clone(),
                    sender: event.sender.clone(),
                    notice,
                    body,
                    html,
                    in_reply_to,
                    thread_root,
                    replaces,
                    mentions,
                    at: Instant::now(),
                    origin_ms: u64::from(event.origin_server_ts.get()),
                });
            }
        });
        // Synapse sends at most 10 events a room per sync unless told otherwise: a client
        // that falls behind a burst would miss replies, as a test must not.
        let mut filter = matrix_sdk::ruma::api::client::filter::FilterDefinition::default();
        filter.room.timeline.limit = Some(matrix_sdk::ruma::UInt::from(1000u32));
        let filter = matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter::FilterDefinition(filter);
        client
            .sync_once(SyncSettings::default().filter(filter.clone()))
            .await
            .expect("first sync");
        let syncing = client.clone();
        let sync = tokio::spawn(async move {
            let settings = SyncSettings::default().filter(filter).timeout(Duration::from_secs(30));
            loop {
                if syncing.sync_once(settings.clone()).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        Peer {
            client,
            user,
            inbox: Arc::new(Mutex::new(Inbox {
                incoming: rx,
                passed: Vec::new(),
            })),
            boards,
            _dir: dir,
            sync,
        }
    }

    /// Lets the bot's question boards (their posts and edits) into this peer's inbox. A
    /// peer does not see them otherwise: a test of something else in a speakers room
    /// reads what it is about, not a board that happens to run beside it.
    pub fn see_boards(&self) {
        self.boards.store(true, Ordering::Relaxed);
    }

    /// Stops this client's sync loop: a sender that reads nothing, as a benchmark's many
    /// attendees are, so that their clients do not load the machine being measured.
    pub fn stop_syncing(&self) {
        self.sync.abort();
    }

    /// Makes this client a plain echo bot: every text message from someone else gets a
    /// notice reply at once. The floor for latency: the homeserver's own two-hop delivery.
    pub fn echo_replies(&self) {
        self.echo(|_, _| true);
    }

    /// Like [`Peer::echo_replies`], for `sender`'s messages only: a floor in a room where
    /// others talk too.
    pub fn echo_replies_to(&self, sender: &UserId) {
        let sender = sender.to_owned();
        self.echo(move |from, _| *from == sender);
    }

    /// Like [`Peer::echo_replies`], for commands ("!…") from anyone but `bot`: the floor
    /// beside the bot's own replies, in rooms where it posts too.
    pub fn echo_commands(&self, bot: &UserId) {
        let bot = bot.to_owned();
        self.echo(move |from, body| *from != bot && body.starts_with('!'));
    }

    fn echo(&self, wanted: impl Fn(&UserId, &str) -> bool + Clone + Send + Sync + 'static) {
        let own = self.user.clone();
        self.client
            .add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
                let (own, wanted) = (own.clone(), wanted.clone());
                async move {
                    let MessageType::Text(text) = &event.content.msgtype else {
                        return;
                    };
                    if event.sender == own || !wanted(&event.sender, &text.body) {
                        return;
                    }
                    let content = RoomMessageEventContent::notice_plain(format!("echo: {}", text.body))
                        .add_mentions(matrix_sdk::ruma::events::Mentions::new())
                        .make_reply_to(
                            &event,
                            matrix_sdk::ruma::events::room::message::ForwardThread::No,
                            matrix_sdk::ruma::events::room::message::AddMentions::No,
                        );
                    let _ = room.send(content).await;
                }
            });
    }

    /// Joins every room this user is invited to, as a person accepting a direct message would.
    pub fn accept_invites(&self) {
        let own = self.user.clone();
        self.client.add_event_handler(
            move |event: matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent, room: Room| {
                let own = own.clone();
                async move {
                    if event.state_key != own {
                        return;
                    }
                    for _ in 0..20 {
                        if room.join().await.is_ok() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
            },
        );
    }

    /// Creates a room (encrypted if asked) and invites `guests`.
    pub async fn create_room(&self, guests: &[&UserId], encrypted: bool) -> Room {
        self.create_room_with_alias(guests, encrypted, None).await
    }

    /// Creates a room with the alias `#name:server` (when given) and invites `guests`.
    pub async fn create_room_with_alias(&self, guests: &[&UserId], encrypted: bool, alias: Option<&str>) -> Room {
        let mut request = create_room::v3::Request::new();
        request.room_alias_name = alias.map(str::to_string);
        request.invite = guests.iter().map(|u| u.to_owned().to_owned()).collect();
        let room = self.client.create_room(request).await.expect("create room");
        if encrypted {
            room.enable_encryption().await.expect("enable encryption");
        }
        room
    }

    /// Opens a direct message with `user` as Element does (`m.direct`, encrypted), and
    /// waits until they have joined.
    pub async fn create_dm(&self, user: &UserId) -> Room {
        let room = self.client.create_dm(user).await.expect("create the direct room");
        self.wait_for_join(&room, user).await;
        room
    }

    /// Creates a room with the alias `#name:server`, invites `guests`, and gives the power
    /// levels `levels` (this user keeps 100).
    pub async fn create_room_with_power(&self, guests: &[&UserId], alias: &str, levels: &[(&UserId, i64)]) -> Room {
        let mut request = create_room::v3::Request::new();
        request.room_alias_name = Some(alias.to_string());
        request.invite = guests.iter().map(|u| u.to_owned().to_owned()).collect();
        let mut users = serde_json::Map::new();
        // From room version 12 on the creator outranks every power level and must not be
        // listed; before it, the creator's 100 has to be kept when the users map is replaced.
        let asked = matrix_sdk::ruma::api::client::discovery::get_capabilities::v3::Request::new();
        let capabilities = self.client.send(asked).await.expect("capabilities").capabilities;
        let version = capabilities.room_versions.default.as_str().parse::<u32>().unwrap_or(10);
        if version < 12 {
            users.insert(self.user.to_string(), 100.into());
        }
        for (user, level) in levels {
            users.insert(user.to_string(), (*level).into());
        }
        let levels = serde_json::value::to_raw_value(&serde_json::json!({ "users": users })).unwrap();
        request.power_level_content_override = Some(matrix_sdk::ruma::serde::Raw::from_json(levels));
        self.client.create_room(request).await.expect("create room")
    }

    /// Creates a public room with the alias `#name:server`, which anyone may join.
    pub async fn create_public_room(&self, alias: &str) -> Room {
        let mut request = create_room::v3::Request::new();
        request.room_alias_name = Some(alias.to_string());
        request.preset = Some(create_room::v3::RoomPreset::PublicChat);
        self.client.create_room(request).await.expect("create room")
    }

    /// Creates a room (in the homeserver's default version) where only power level 50 may
    /// send messages, and invites `guests` at power level 0: they may join but not post.
    pub async fn create_room_where_guests_may_not_post(&self, guests: &[&UserId]) -> Room {
        let mut request = create_room::v3::Request::new();
        request.invite = guests.iter().map(|u| u.to_owned().to_owned()).collect();
        let levels = serde_json::value::to_raw_value(&serde_json::json!({ "events_default": 50 })).unwrap();
        request.power_level_content_override = Some(matrix_sdk::ruma::serde::Raw::from_json(levels));
        self.client.create_room(request).await.expect("create room")
    }

    /// Waits until `user` has joined `room`, as this client's sync sees it.
    pub async fn wait_for_join(&self, room: &Room, user: &UserId) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(member)) = room.get_member_no_sync(user).await {
                if *member.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{user} did not join {} within {WAIT:?}",
                room.room_id()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a plain text message; returns its event id and the instant it was sent.
    pub async fn say(&self, room: &Room, text: &str) -> (OwnedEventId, Instant) {
        let sent = Instant::now();
        let response = room
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
        (response.response.event_id, sent)
    }

    /// Sends a message as built by the test (mentions, relations); its event id.
    pub async fn send(&self, room: &Room, content: RoomMessageEventContent) -> OwnedEventId {
        room.send(content).await.expect("send").response.event_id
    }

    /// The next message from `from` in `room` that replies to `to` (or any, with `None`).
    pub async fn reply_from(&self, room: &Room, from: &UserId, to: Option<&OwnedEventId>) -> Received {
        self.reply_before(room, from, to, Instant::now() + WAIT).await
    }

    /// Like [`Peer::reply_from`], waiting until `deadline`.
    pub async fn reply_before(
        &self,
        room: &Room,
        from: &UserId,
        to: Option<&OwnedEventId>,
        deadline: Instant,
    ) -> Received {
        self.reply_within(room, from, to, deadline)
            .await
            .unwrap_or_else(|| panic!("no reply from {from} to {to:?} in time"))
    }

    /// Like [`Peer::reply_before`], with `None` when nothing came by `deadline`.
    pub async fn reply_within(
        &self,
        room: &Room,
        from: &UserId,
        to: Option<&OwnedEventId>,
        deadline: Instant,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::from_std(deadline);
        self.inbox
            .lock()
            .await
            .take(deadline, |received| {
                received.room == room.room_id()
                    && received.sender == from
                    && to.is_none_or(|t| received.in_reply_to.as_ref() == Some(t))
            })
            .await
    }

    /// The next message from `from`, in any room.
    pub async fn reply_from_anywhere(&self, from: &UserId) -> Received {
        let deadline = tokio::time::Instant::now() + WAIT;
        self.inbox
            .lock()
            .await
            .take(deadline, |received| received.sender == from)
            .await
            .unwrap_or_else(|| panic!("nothing from {from} within {WAIT:?}"))
    }

    /// The next message that `wanted` accepts, or `None` when none came by `deadline`.
    pub async fn message_within(&self, deadline: Instant, wanted: impl Fn(&Received) -> bool) -> Option<Received> {
        let deadline = tokio::time::Instant::from_std(deadline);
        self.inbox.lock().await.take(deadline, wanted).await
    }

    /// The next message from anyone in any room, or `None` when nothing came by `deadline`.
    pub async fn next_within(&self, deadline: Instant) -> Option<Received> {
        let deadline = tokio::time::Instant::from_std(deadline);
        self.inbox.lock().await.take(deadline, |_| true).await
    }

    /// Everything received and not taken by a wait since the last drain, without waiting:
    /// what waits passed over, then what came after the last one.
    pub async fn drain(&self) -> Vec<Received> {
        let mut inbox = self.inbox.lock().await;
        let mut out = std::mem::take(&mut inbox.passed);
        while let Ok(r) = inbox.incoming.try_recv() {
            out.push(r);
        }
        out
    }
}
