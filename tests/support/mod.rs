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
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

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
    /// `Some(empty)` when `m.mentions` is present and mentions nobody.
    pub mentions: Option<(bool, usize)>,
    pub at: Instant,
    /// When the homeserver accepted the event (`origin_server_ts`), ms since the epoch.
    pub origin_ms: u64,
}

/// An independent client: its own store, its own sync loop without delays.
pub struct Peer {
    pub client: Client,
    pub user: OwnedUserId,
    inbox: Arc<Mutex<mpsc::UnboundedReceiver<Received>>>,
    _dir: tempfile::TempDir,
    sync: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl Peer {
    /// Registers and logs in a new user, and starts syncing.
    pub async fn new(prefix: &str) -> Peer {
        let name = unique(prefix);
        let password = "attendee-password";
        register(&name, password).await;
        let dir = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url(homeserver())
            .sqlite_store(dir.path(), None)
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(&name, password)
            .send()
            .await
            .expect("login");
        let user = client.user_id().unwrap().to_owned();
        let (tx, rx) = mpsc::unbounded_channel();
        client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
            let tx = tx.clone();
            async move {
                let (body, html, notice) = match &event.content.msgtype {
                    MessageType::Text(t) => (t.body.clone(), t.formatted.as_ref().map(|f| f.body.clone()), false),
                    MessageType::Notice(n) => (n.body.clone(), n.formatted.as_ref().map(|f| f.body.clone()), true),
                    _ => return,
                };
                let in_reply_to = match &event.content.relates_to {
                    Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.clone()),
                    _ => None,
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
            inbox: Arc::new(Mutex::new(rx)),
            _dir: dir,
            sync,
        }
    }

    /// Stops this client's sync loop: a sender that reads nothing, as a benchmark's many
    /// attendees are, so that their clients do not load the machine being measured.
    pub fn stop_syncing(&self) {
        self.sync.abort();
    }

    /// Makes this client a plain echo bot: every text message from someone else gets a
    /// notice reply at once. The floor for latency: the homeserver's own two-hop delivery.
    pub fn echo_replies(&self) {
        self.echo(None);
    }

    /// Like [`Peer::echo_replies`], for `sender`'s messages only: a floor in a room where
    /// others talk too.
    pub fn echo_replies_to(&self, sender: &UserId) {
        self.echo(Some(sender.to_owned()));
    }

    fn echo(&self, only: Option<OwnedUserId>) {
        let own = self.user.clone();
        self.client
            .add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
                let (own, only) = (own.clone(), only.clone());
                async move {
                    let MessageType::Text(text) = &event.content.msgtype else {
                        return;
                    };
                    if event.sender == own || only.is_some_and(|only| event.sender != only) {
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
        let mut inbox = self.inbox.lock().await;
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            let received = tokio::time::timeout_at(deadline, inbox.recv())
                .await
                .ok()?
                .expect("inbox open");
            if received.room == room.room_id()
                && received.sender == from
                && to.is_none_or(|t| received.in_reply_to.as_ref() == Some(t))
            {
                return Some(received);
            }
        }
    }

    /// The next message from `from`, in any room.
    pub async fn reply_from_anywhere(&self, from: &UserId) -> Received {
        let mut inbox = self.inbox.lock().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let received = tokio::time::timeout_at(deadline, inbox.recv())
                .await
                .unwrap_or_else(|_| panic!("nothing from {from} within {WAIT:?}"))
                .expect("inbox open");
            if received.sender == from {
                return received;
            }
        }
    }

    /// The next message from anyone in any room, or `None` when nothing came by `deadline`.
    pub async fn next_within(&self, deadline: Instant) -> Option<Received> {
        let mut inbox = self.inbox.lock().await;
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), inbox.recv())
            .await
            .ok()?
    }

    /// Everything received so far that is still unread, without waiting.
    pub async fn drain(&self) -> Vec<Received> {
        let mut inbox = self.inbox.lock().await;
        let mut out = Vec::new();
        while let Ok(r) = inbox.try_recv() {
            out.push(r);
        }
        out
    }
}

/// The bot as a real process.
pub struct Bot {
    pub user: OwnedUserId,
    pub password: String,
    pub dir: tempfile::TempDir,
    /// `RUST_LOG` for the bot process.
    pub log_filter: String,
    child: Option<Child>,
}

const BOT_PASSWORD: &str = "bot-password";

/// Registers a user for a bot (before the rooms it is invited to exist).
pub async fn register_user(prefix: &str) -> OwnedUserId {
    register(&unique(prefix), BOT_PASSWORD).await
}

impl Bot {
    /// Registers a bot user and writes its config (CentOS Connect schedule, invites from
    /// anyone on the test server) with `extra` TOML appended to `[matrix]`.
    pub async fn register(extra_matrix: &str) -> Bot {
        Bot::register_with(extra_matrix, "").await
    }

    /// Like [`Bot::register`], with `tail` appended to the config (more sections).
    pub async fn register_with(extra_matrix: &str, tail: &str) -> Bot {
        let user = register_user("confbot").await;
        Bot::for_user(user, extra_matrix, tail)
    }

    /// A bot for a user [`register_user`] made, with `tail` appended to the config.
    pub fn for_user(user: OwnedUserId, extra_matrix: &str, tail: &str) -> Bot {
        let password = BOT_PASSWORD.to_string();
        let dir = tempfile::tempdir().unwrap();
        let schedule = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml");
        let config = format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{user}\"\nstate_dir = \"state\"\n{extra_matrix}\n\
             [schedule]\nsource = \"{}\"\n\n[access]\ninvite = [\"{}\"]\n{tail}\n",
            homeserver(),
            schedule.display(),
            user.server_name()
        );
        std::fs::write(dir.path().join("confbot.toml"), config).unwrap();
        Bot {
            user,
            password,
            dir,
            log_filter: "info,matrix_sdk=warn,matrix_sdk_base=warn,matrix_sdk_crypto=warn".to_string(),
            child: None,
        }
    }

    /// Lifts `[commands] per_user` for a test or benchmark whose one client sends commands
    /// as fast as the homeserver takes them (the limit is tested on its own).
    pub fn without_command_limit(&self) {
        let mut config = std::fs::read_to_string(self.config_path()).unwrap();
        config.push_str("\n[commands]\nper_user = \"off\"\n");
        std::fs::write(self.config_path(), config).unwrap();
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("confbot.toml")
    }

    /// Points the bot at another homeserver URL (a proxy in front of the test one).
    pub fn use_homeserver(&self, url: &str) {
        let config = std::fs::read_to_string(self.config_path()).unwrap();
        let config = config.replacen(
            &format!("homeserver = \"{}\"", homeserver()),
            &format!("homeserver = \"{url}\""),
            1,
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    /// Starts `confbot run` with the rehearsal clock at `now`.
    pub fn start(&mut self, now: &str) {
        self.start_at_speed(now, 1.0);
    }

    /// Starts `confbot run` with the rehearsal clock at `now`, running `speed` times faster.
    /// Each rehearsal carries on from the last one's records (`--keep-rehearsal`): the
    /// tests restart the bot and expect it to remember.
    pub fn start_at_speed(&mut self, now: &str, speed: f64) {
        self.spawn(&["--now", now, "--speed", &speed.to_string(), "--keep-rehearsal"]);
    }

    /// Starts `confbot run` on the real clock, with the real day's records.
    pub fn start_real(&mut self) {
        self.spawn(&[]);
    }

    /// Starts `confbot run --config … ARGS`.
    fn spawn(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "the bot is running already");
        let child = self.command(args).spawn().expect("confbot run starts");
        self.child = Some(child);
    }

    /// The `confbot run` command for this bot, its log appended to bot.log.
    pub fn command(&self, args: &[&str]) -> Command {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("bot.log"))
            .unwrap();
        // CONFBOT_BIN: another build of the bot (scripts/bench measures the dist one).
        let program = std::env::var("CONFBOT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confbot").to_string());
        let mut command = Command::new(program);
        command
            .args(["run", "--config", self.config_path().to_str().unwrap()])
            .args(args)
            .env("CONFBOT_PASSWORD", &self.password)
            .env("RUST_LOG", &self.log_filter)
            .stdout(Stdio::null())
            .stderr(log);
        command
    }

    /// Stops the bot with SIGTERM and returns its exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        unsafe_kill(child.id(), 15);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the bot did not stop within 20 s of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits up to `within` for the bot to exit by itself; its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the bot with SIGKILL, as a crash or the OOM killer would, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The running bot's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Uses another schedule file (any format `confbot import` reads).
    pub fn use_schedule(&self, path: &Path) {
        let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml");
        let config = std::fs::read_to_string(self.config_path()).unwrap();
        let config = config.replacen(
            &format!("source = \"{}\"", default.display()),
            &format!("source = \"{}\"", path.display()),
            1,
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    /// Waits until the bot has joined `room` as `peer` sees it; the bot's log on failure.
    pub async fn joined(&self, peer: &Peer, room: &Room) {
        let waited = tokio::time::timeout(WAIT + Duration::from_secs(1), async {
            let deadline = Instant::now() + WAIT;
            while Instant::now() < deadline {
                if let Ok(Some(member)) = room.get_member_no_sync(&self.user).await {
                    if *member.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join {
                        return true;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        })
        .await;
        assert!(
            waited == Ok(true),
            "the bot did not join {} within {WAIT:?} (seen by {}):\n{}",
            room.room_id(),
            peer.user,
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bot.log")).unwrap_or_default()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn unsafe_kill(pid: u32, signal: i32) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status();
}

/// A free TCP port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on `127.0.0.1:port`: the status code and the body.
pub async fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_string();
    Ok((status, body))
}

/// Polls `GET path` until `accept(status, body)` holds; the last answer, or a panic
/// naming `what` and showing `log()` after `WAIT`.
pub async fn http_until(
    port: u16,
    path: &str,
    what: &str,
    accept: impl Fn(u16, &str) -> bool,
    log: impl Fn() -> String,
) -> (u16, String) {
    let deadline = Instant::now() + WAIT + WAIT;
    let mut last = (0, String::new());
    while Instant::now() < deadline {
        if let Ok((status, body)) = http_get(port, path).await {
            if accept(status, &body) {
                return (status, body);
            }
            last = (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: GET {path} last answered {} {:?}\n{}", last.0, last.1, log());
}

/// A TCP forwarder on loopback in front of the homeserver, which a test can cut (every
/// connection dropped, new ones refused) and restore on the same port: an outage.
pub struct Proxy {
    pub port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let target = homeserver()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let port = free_port();
        let (up, mut is_up) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            loop {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("the proxy port is free again");
                let mut connections = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((mut client, _)) = accepted else { continue };
                            let target = target.clone();
                            connections.spawn(async move {
                                if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                        changed = is_up.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            break;
                        }
                    }
                }
                // Down: drop the listener and every connection, until told to come back.
                drop(listener);
                connections.shutdown().await;
                if is_up.wait_for(|up| *up).await.is_err() {
                    return;
                }
            }
        });
        Proxy { port, up }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}
