//! What the app's tests share: an outbox that records what each room got (and can refuse,
//! fail or hang like a homeserver's room), and the CentOS Connect bot on a rehearsal clock.
//! The clock runs on tokio's time: a test on paused time (`#[tokio::test(start_paused =
//! true)]`) lives through a rehearsed morning in milliseconds, and each instant it checks
//! is the bot's own.

use super::{Bot, Outbox, SendError, Sender, Tasks};
use crate::command::{Command, Role};
use crate::config::Config;
use crate::infra::clock::Clock;
use crate::infra::source::{Location, Source};
use crate::infra::store::Store;
use crate::present::message::Message;
use chrono::{TimeZone, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// How a room of the recording outbox answers.
#[derive(Clone, Copy)]
pub enum Room {
    Takes,
    /// 403: the bot may not post there.
    Refuses,
    /// Fails for now this many times, then takes posts.
    FailsFirst(usize),
    /// Never answers.
    Hangs,
}

/// An outbox that records what each room got, like a homeserver: a key once.
#[derive(Clone)]
pub struct Recording {
    rooms: Arc<HashMap<String, Room>>,
    pub attempts: Arc<Mutex<HashMap<String, usize>>>,
    got: mpsc::UnboundedSender<(String, String)>,
    keys: Arc<Mutex<HashSet<String>>>,
    /// Whether the question boards (their posts, edits and pins) reach the inbox.
    boards: bool,
    /// Whether the rooms' topics reach the inbox.
    topics: bool,
}

impl Recording {
    /// An outbox whose inbox gets everything but the question boards, which run beside
    /// what most tests are about.
    pub fn new(rooms: &[(&str, Room)]) -> (Recording, mpsc::UnboundedReceiver<(String, String)>) {
        let (got, inbox) = mpsc::unbounded_channel();
        let rooms = rooms.iter().map(|(name, how)| (name.to_string(), *how)).collect();
        let recording = Recording {
            rooms: Arc::new(rooms),
            attempts: Arc::default(),
            got,
            keys: Arc::default(),
            boards: false,
            topics: false,
        };
        (recording, inbox)
    }

    /// Like [`Recording::new`], with the question boards in the inbox too.
    pub fn with_boards(rooms: &[(&str, Room)]) -> (Recording, mpsc::UnboundedReceiver<(String, String)>) {
        let (mut recording, inbox) = Recording::new(rooms);
        recording.boards = true;
        (recording, inbox)
    }

    /// Like [`Recording::new`], with the rooms' topics in the inbox too.
    pub fn with_topics(rooms: &[(&str, Room)]) -> (Recording, mpsc::UnboundedReceiver<(String, String)>) {
        let (mut recording, inbox) = Recording::new(rooms);
        recording.topics = true;
        (recording, inbox)
    }

    async fn take(&self, room: &str, message: &Message, key: &str) -> Result<String, SendError> {
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            let n = attempts.entry(room.to_string()).or_default();
            *n += 1;
            *n
        };
        match self.rooms.get(room).copied().unwrap_or(Room::Takes) {
            Room::Refuses => Err(SendError::Refused(anyhow::anyhow!("403 M_FORBIDDEN"))),
            Room::FailsFirst(n) if attempt <= n => Err(SendError::Failed(anyhow::anyhow!("502 Bad Gateway"))),
            Room::Hangs => std::future::pending().await,
            _ => {
                let board = key.starts_with("board") || key.starts_with("pin:");
                let topic = key.starts_with("topic:");
                let shown = (self.boards || !board) && (self.topics || !topic);
                if self.keys.lock().unwrap().insert(key.to_string()) && shown {
                    let _ = self.got.send((room.to_string(), message.body().to_string()));
                }
                Ok(format!("$event-{attempt}"))
            }
        }
    }
}

impl Outbox for Recording {
    async fn post(&self, room: &str, message: &Message, _notice: bool, key: &str) -> Result<String, SendError> {
        self.take(room, message, key).await
    }

    async fn direct(&self, user: &str, message: &Message, _notice: bool, key: &str) -> Result<(), SendError> {
        self.take(user, message, key).await.map(|_| ())
    }

    /// Recorded as "(took back EVENT: REASON)" in `room`.
    async fn withdraw(&self, room: &str, event: &str, reason: &str) -> Result<(), SendError> {
        let key = format!("withdraw:{room}:{event}");
        self.take(room, &Message::plain(&format!("(took back {event}: {reason})")), &key)
            .await
            .map(drop)
    }

    /// Recorded as "(edited EVENT) BODY" in `room`.
    async fn edit(
        &self,
        room: &str,
        event: &str,
        message: &Message,
        _notice: bool,
        key: &str,
    ) -> Result<(), SendError> {
        let shown = Message::plain(&format!("(edited {event}) {}", message.body()));
        self.take(room, &shown, key).await.map(drop)
    }

    /// Recorded as "(pinned EVENT, unpinned EVENTS)" in `room`.
    async fn pin(&self, room: &str, event: Option<&str>, unpin: &[String]) -> Result<(), SendError> {
        let shown = format!("(pinned {}, unpinned {})", event.unwrap_or("nothing"), unpin.join(" "));
        let key = format!("pin:{room}:{shown}");
        self.take(room, &Message::plain(&shown), &key).await.map(drop)
    }

    /// Recorded as "(topic) TEXT" in `room`; a topic set again is recorded again.
    async fn set_topic(&self, room: &str, topic: &str) -> Result<(), SendError> {
        let n = self.attempts.lock().unwrap().get(room).copied().unwrap_or(0);
        let key = format!("topic:{room}:{n}");
        self.take(room, &Message::plain(&format!("(topic) {topic}")), &key)
            .await
            .map(drop)
    }

    async fn invite(&self, room: &str, user: &str) -> Result<(), SendError> {
        let key = format!("invite:{room}:{user}");
        self.take(room, &Message::plain(&format!("(invites {user})")), &key)
            .await
            .map(drop)
    }

    async fn react(&self, room: &str, event: &str, key: &str) -> Result<(), SendError> {
        let reaction = format!("react:{room}:{event}:{key}");
        self.take(room, &Message::plain(&format!("(reacts {key} to {event})")), &reaction)
            .await
            .map(drop)
    }
}

/// The CentOS Connect bot with `rooms` (a `[rooms]` section), its clock at `now`
/// (Brussels) running `speed` times faster, on a store of its own in memory.
pub fn bot(rooms: &str, now: (u32, u32, u32), speed: f64) -> Bot {
    bot_on(Store::in_memory().unwrap(), rooms, now, speed)
}

/// [`bot`] on `store`, which the test prepared or keeps an eye on.
pub fn bot_on(store: Store, rooms: &str, now: (u32, u32, u32), speed: f64) -> Bot {
    let schedule = concat!(env!("CARGO_MANIFEST_DIR"), "/data/centos-connect-2023.toml");
    bot_reading(schedule, store, rooms, now, speed)
}

/// [`bot_on`] reading its schedule from `schedule`, a file the test may change.
pub fn bot_reading(schedule: &str, store: Store, rooms: &str, now: (u32, u32, u32), speed: f64) -> Bot {
    let config = Config::from_toml(
        &format!(
            "[schedule]\nsource = \"{schedule}\"\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n[rooms]\n{rooms}"
        ),
        "bot.toml",
    )
    .unwrap();
    let source = Source::new(Location::File(schedule.into()), None, None);
    let loaded = source.load_blocking().unwrap();
    let zone = chrono_tz::Europe::Brussels;
    let start = zone.with_ymd_and_hms(2023, 2, 3, now.0, now.1, now.2).unwrap();
    let clock = Clock::rehearsal(start.with_timezone(&Utc), speed, zone);
    Bot::new(config, loaded, source, clock, store)
}

/// The next post the recording outbox took: (room, plain body); at most 10 s away.
pub async fn next(inbox: &mut mpsc::UnboundedReceiver<(String, String)>) -> (String, String) {
    within(inbox, std::time::Duration::from_secs(10)).await
}

/// The next post the recording outbox took, at most `wait` away.
pub async fn within(
    inbox: &mut mpsc::UnboundedReceiver<(String, String)>,
    wait: std::time::Duration,
) -> (String, String) {
    tokio::time::timeout(wait, inbox.recv())
        .await
        .unwrap_or_else(|_| panic!("a post within {wait:?}"))
        .expect("the outbox is there")
}

/// A bot at work: its tasks running on a recording outbox whose rooms answer as `rooms`
/// say, until this is dropped. `first_start`: the bot never ran before.
pub struct Running {
    pub out: Recording,
    pub inbox: mpsc::UnboundedReceiver<(String, String)>,
    _stop: watch::Sender<bool>,
    _tasks: Tasks,
}

pub fn start(bot: &Bot, rooms: &[(&str, Room)], first_start: bool) -> Running {
    let (out, inbox) = Recording::new(rooms);
    let (stop, shutdown) = watch::channel(false);
    let tasks = bot.spawn_tasks(out.clone(), first_start, shutdown);
    Running {
        out,
        inbox,
        _stop: stop,
        _tasks: tasks,
    }
}

/// Sends `text` as `user` (with `role`) in the Pagoda room, as event `event`; the reply.
pub async fn say(bot: &Bot, out: &impl Outbox, user: &str, role: Role, event: &str, text: &str) -> String {
    let from = Sender {
        user,
        name: "someone",
        role,
        scope: None,
        place: Some("Pagoda room"),
        backstage: None,
        event,
    };
    let command = Command::parse(text).unwrap().unwrap();
    bot.answer(out, &from, &Ok(command)).await.message.body().to_string()
}
