//! What the bot does, whatever it talks through: answer a command, post reminders and
//! announcements when they fall due, relay questions, reload the schedule. It keeps its
//! state in the store and sends through an [`Outbox`], which the Matrix adapter
//! (`confbot run`) and the terminal (`confbot console`) each implement; the rules it acts
//! on are in the core (`answer`, `plan`, `questions`), so both adapters behave alike.

pub mod bells;
pub mod boards;
pub mod broadcasts;
mod commands;
mod cues;
pub mod delivery;
mod digest;
pub mod posting;
pub mod redactions;
pub mod relay;
#[cfg(test)]
mod testing;
pub mod topics;

use crate::command::Role;
use crate::config::Config;
use crate::infra::clock::Clock;
use crate::infra::metrics::Metrics;
use crate::infra::source::{Location, Source};
use crate::infra::store::{Missing, Store};
use crate::present::message::Message;
use crate::schedule::Loaded;
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Where the bot's messages go. `room` is a room as the config names it (an id, an alias,
/// or a console name); `key` names the message for good: sending the same key twice must
/// deliver it once (Matrix: the transaction id).
pub trait Outbox: Clone + Send + Sync + 'static {
    /// Posts `message` to `room`; the posted event's id.
    fn post(
        &self,
        room: &str,
        message: &Message,
        notice: bool,
        key: &str,
    ) -> impl Future<Output = Result<String, SendError>> + Send;

    /// Sends `message` to the room the bot shares with only `user`, opening one if needed.
    fn direct(
        &self,
        user: &str,
        message: &Message,
        notice: bool,
        key: &str,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Takes back an event the bot posted in `room`.
    fn withdraw(&self, room: &str, event: &str, reason: &str) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Replaces the content of `event`, which the bot posted in `room`, with `message`
    /// (Matrix: an `m.replace` with `m.new_content`, pinging nobody); `key` as for `post`.
    fn edit(
        &self,
        room: &str,
        event: &str,
        message: &Message,
        notice: bool,
        key: &str,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Pins `event` (one the bot posted) in `room` and unpins `unpin` (Matrix:
    /// `m.room.pinned_events`); the room's other pins stay as they are.
    fn pin(
        &self,
        room: &str,
        event: Option<&str>,
        unpin: &[String],
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Sets the topic of `room` to `topic` (plain text). A room where the bot may not
    /// change the topic refuses it for good (`Refused`).
    fn set_topic(&self, room: &str, topic: &str) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Invites `user` to `room`; done already when they are in it or invited. A room
    /// where the bot may not invite refuses it for good (`Refused`).
    fn invite(&self, room: &str, user: &str) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Reacts `key` (an emoji) to `event` in `room`; done already when the bot reacted so.
    fn react(&self, room: &str, event: &str, key: &str) -> impl Future<Output = Result<(), SendError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The bot cannot reach that room: it is not in it, or the name resolves to nothing.
    #[error("the bot is not in {0}")]
    NoRoom(String),
    /// The homeserver refused this message for good (no permission, too large, malformed,
    /// the room is gone): sending it again would fail again.
    #[error("{0:#}")]
    Refused(anyhow::Error),
    /// Sending failed for now (the homeserver is unreachable, rate-limits the bot, or
    /// failed itself); worth retrying.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
    /// The homeserver rate-limits the bot: worth trying again after `retry_after`, which
    /// is the homeserver's wait, not a backoff that grows.
    #[error("{error:#}")]
    Busy {
        error: anyhow::Error,
        retry_after: std::time::Duration,
    },
}

impl SendError {
    /// Whether trying the same message in the same room again cannot help.
    pub fn is_final(&self) -> bool {
        !matches!(self, SendError::Failed(_) | SendError::Busy { .. })
    }
}

/// Who sent a command, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub user: &'a str,
    /// The name to show for them (their display name).
    pub name: &'a str,
    pub role: Role,
    /// For a moderator only of one place's questions (by power in its own moderators
    /// room): that room, as the config names it. Their moderation covers only the
    /// questions triaged there.
    pub scope: Option<&'a str>,
    /// The schedule room or track the chat room is mapped to.
    pub place: Option<&'a str>,
    /// When the chat room is a speakers room or a place's backstage: that room, as the
    /// config names it. `!questions` there shows its question boards.
    pub backstage: Option<&'a str>,
    /// The id of the event that carried the command; a question keeps it.
    pub event: &'a str,
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub message: Message,
    /// What a reaction on this reply acts on, once it is sent.
    pub link: Option<Link>,
}

/// What the bot's reply to a command stands for, to the reactions on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The receipt of question N: a 👍 on it is a vote.
    Receipt(u64),
    /// The preview of broadcast N: its sender's ✅ on it sends it.
    Preview(i64),
}

impl Reply {
    fn plain(message: Message) -> Reply {
        Reply { message, link: None }
    }
}

/// The bot's state, shared by its tasks; cheap to clone.
#[derive(Clone)]
pub struct Bot {
    pub config: Arc<Config>,
    pub clock: Clock,
    pub store: Arc<Store>,
    /// The schedule as loaded, before delays.
    base: Arc<RwLock<Arc<Loaded>>>,
    /// `base` with the stored delays applied: what attendees see.
    current: Arc<RwLock<Arc<Loaded>>>,
    /// Where the schedule comes from, for `!reload`.
    source: Arc<Source>,
    /// Wakes the posting timer when the schedule, announcements or reminders change.
    pub schedule_changed: Arc<Notify>,
    /// Wakes the question relay when a question is asked, voted for or approved.
    pub questions_changed: Arc<Notify>,
    /// Wakes the question boards when a question changes in any way.
    pub boards_changed: Arc<Notify>,
    /// Wakes the room topics when the running schedule changes (a delay, a reload).
    pub topics_changed: Arc<Notify>,
    /// What it did, for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Who carries posts to each room.
    couriers: delivery::Couriers,
}

impl Bot {
    pub fn new(config: Config, loaded: Loaded, source: Source, clock: Clock, store: Store) -> Bot {
        let loaded = Arc::new(loaded);
        let bot = Bot {
            config: Arc::new(config),
            clock,
            store: Arc::new(store),
            base: Arc::new(RwLock::new(loaded.clone())),
            current: Arc::new(RwLock::new(loaded)),
            source: Arc::new(source),
            schedule_changed: Arc::new(Notify::new()),
            questions_changed: Arc::new(Notify::new()),
            boards_changed: Arc::new(Notify::new()),
            topics_changed: Arc::new(Notify::new()),
            metrics: Arc::new(Metrics::new()),
            couriers: delivery::Couriers::default(),
        };
        bot.apply_delays();
        bot
    }

    /// The running schedule (delays applied).
    pub fn loaded(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The conference's zone.
    pub fn zone(&self) -> Tz {
        self.loaded().schedule.timezone()
    }

    /// The zone an attendee set with `!tz`, if any.
    pub fn zone_of(&self, user: &str) -> Option<Tz> {
        self.store.zone(user).unwrap_or_else(|err| {
            warn!(error = %err, "reading an attendee's zone");
            None
        })
    }

    /// The pending announcements organizers scheduled from chat.
    fn chat_announcements(&self) -> Vec<crate::plan::ChatAnnouncement> {
        self.store.pending_announcements(self.zone()).unwrap_or_else(|err| {
            warn!(error = %err, "reading the announcements");
            Vec::new()
        })
    }

    /// What people asked for in chat: announcements and personal reminders.
    pub fn from_chat(&self) -> crate::plan::FromChat {
        let personal = self.store.personal_reminders(None, self.zone()).unwrap_or_else(|err| {
            warn!(error = %err, "reading the personal reminders");
            Vec::new()
        });
        crate::plan::FromChat {
            announcements: self.chat_announcements(),
            personal,
        }
    }

    /// Recomputes the running schedule: the loaded one with every stored delay applied.
    fn apply_delays(&self) {
        let base = self.base.read().unwrap_or_else(|p| p.into_inner()).clone();
        let delays = self.store.delays(base.schedule.timezone()).unwrap_or_else(|err| {
            warn!(error = %err, "reading the delays");
            Vec::new()
        });
        // Without delays the running schedule is the loaded one, not a copy of it.
        let effective = if delays.is_empty() {
            base
        } else {
            Arc::new(Loaded {
                schedule: crate::delay::apply(&base.schedule, &delays),
                warnings: base.warnings.clone(),
            })
        };
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = effective;
        self.schedule_changed.notify_one();
        self.boards_changed.notify_one();
        self.topics_changed.notify_one();
    }

    /// Puts a newly loaded schedule in place (delays applied) and returns the announcement
    /// of what attendees will see changed, if anything.
    /// A session the new schedule leaves out is kept until the next fetch leaves it out
    /// too; then it is cancelled, and its return is a reinstatement. Whoever holds a
    /// personal reminder for a changed session is told in a direct message.
    fn replace_schedule(&self, out: &impl Outbox, loaded: Loaded) -> Option<Message> {
        let before = self.loaded();
        let base_before = self.base.read().unwrap_or_else(|p| p.into_inner()).clone();
        let known = self.store.missing_sessions().unwrap_or_else(|err| {
            warn!(error = %format!("{err:#}"), "reading the sessions left out of the schedule");
            Missing::default()
        });
        let (schedule, once) = crate::changes::carry_over(&base_before.schedule, loaded.schedule, &known.once);
        let back: BTreeSet<String> = (known.cancelled.iter())
            .filter(|id| schedule.session(id).is_some())
            .cloned()
            .collect();
        let cancelled = (known.cancelled.iter().chain(&known.once))
            .filter(|id| schedule.session(id).is_none())
            .cloned()
            .collect();
        let missing = Missing { once, cancelled };
        self.stored(
            self.store.set_missing_sessions(&missing),
            "recording the sessions left out",
        );
        if !missing.once.is_empty() {
            info!(sessions = ?missing.once, "left out of the schedule once: kept until the next fetch");
        }
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Loaded {
            schedule,
            warnings: loaded.warnings,
        });
        self.apply_delays();
        posting::forget_overdue(self);
        let after = self.loaded();
        let changes = crate::changes::reinstated(crate::changes::diff(&before.schedule, &after.schedule), &back);
        self.tell_reminder_holders(out, &changes);
        info!(
            changes = changes.len(),
            sessions = after.schedule.sessions().len(),
            "the schedule was reloaded"
        );
        crate::changes::announcement(&after.schedule, &changes)
    }

    /// The result of a write to the store, logged and reported to `/healthz` when it
    /// failed (a full or read-only disk); `None` then.
    pub fn stored<T>(&self, written: anyhow::Result<T>, doing: &str) -> Option<T> {
        match written {
            Ok(value) => {
                self.metrics.store_written(None);
                Some(value)
            }
            Err(err) => {
                let reason = format!("{err:#}");
                warn!(error = %reason, "{doing}: the store cannot be written");
                self.metrics.store_written(Some(&reason));
                None
            }
        }
    }

    /// Whether the post with this key is done (in every room); `None`, in the log, when
    /// the store cannot be read. That is never taken for "not done": a post whose record
    /// cannot be read waits, rather than risk going out twice.
    pub fn post_done(&self, key: &str) -> Option<bool> {
        self.store
            .post_done(key)
            .map_err(|err| warn!(error = %format!("{err:#}"), key, "reading the posts done"))
            .ok()
    }

    /// Posts `message` once to `room` through its courier; `key` names it for good.
    pub fn post_once(&self, out: &impl Outbox, room: &str, message: Message, key: &str) {
        delivery::post_now(self, out, key, &[room.to_string()], message, true, "a notice");
    }

    /// Posts `message` once to each of `targets` through their couriers; `key` names it
    /// for good. It does not wait for the rooms: one that fails holds up nothing else.
    fn announce(&self, out: &impl Outbox, targets: &[String], message: &Message, key: &str) {
        let summary = format!(
            "the announcement \"{}\"",
            crate::present::message::isolate(first_line(message.body()))
        );
        delivery::post_now(
            self,
            out,
            key,
            targets,
            message.clone(),
            self.config.reminders.as_notice,
            &summary,
        );
    }

    /// `!reload`: loads the schedule again; a broken one keeps the running one.
    async fn reload(&self, out: &impl Outbox) -> Message {
        match self.source.load().await {
            Ok(loaded) => {
                let warnings = loaded.warnings.len();
                match self.replace_schedule(out, loaded) {
                    Some(update) => {
                        self.announce_update(out, &update);
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
        }
    }

    /// Tells everyone holding a personal reminder for a session `changes` moved, re-roomed
    /// or cancelled, once per change; a cancelled session's reminders are dropped.
    fn tell_reminder_holders(&self, out: &impl Outbox, changes: &[crate::changes::Change<'_>]) {
        use crate::changes::Change;
        if changes.is_empty() {
            return;
        }
        let zone = self.loaded().schedule.timezone();
        let Some(holders) = self.stored(self.store.personal_reminders(None, zone), "reading personal reminders") else {
            return;
        };
        let rfc = crate::time::rfc3339;
        for change in changes {
            let Some(message) = crate::changes::to_reminder_holder(change) else {
                continue;
            };
            let session = change.session();
            let what = match change {
                Change::Moved { old, new } => format!("moved:{}:{}", rfc(&old.start), rfc(&new.start)),
                Change::NewRoom { new, .. } => format!("room:{}", new.room.as_deref().unwrap_or("")),
                _ => format!("cancelled:{}", rfc(&session.start)),
            };
            for holder in holders.iter().filter(|h| h.session == session.id) {
                let key = format!("change:{}:{}:{what}", holder.user, session.id);
                let summary = format!("the change of {} told to {}", session.id, holder.user);
                delivery::direct_now(self, out, &key, &holder.user, message.clone(), false, &summary);
                if matches!(change, Change::Cancelled(_)) {
                    let dropped = self.store.forget_personal_reminder(&holder.user, &session.id);
                    self.stored(dropped, "dropping a cancelled session's reminder");
                }
            }
        }
    }

    /// Posts a schedule update to the announcements rooms, once.
    fn announce_update(&self, out: &impl Outbox, message: &Message) {
        let key = format!("update:{}", message.body());
        self.announce(out, &self.config.rooms.announcements, message, &key);
    }

    /// Stops the couriers: the outbox they send through is gone (the login ended). The
    /// posts they held are handed to new ones by the next login's posting loop.
    pub fn stop_deliveries(&self) {
        self.couriers.stop();
    }

    /// Starts the bot's own work, which every adapter runs alike: the posting timer, the
    /// question relay, the question boards, the rooms' topics and schedule reloads. `first_start`: see
    /// [`posting::post_until`].
    pub fn spawn_tasks(&self, out: impl Outbox, first_start: bool, shutdown: watch::Receiver<bool>) -> Tasks {
        Tasks {
            boards: tokio::spawn(boards::keep_boards(self.clone(), out.clone(), shutdown.clone())),
            topics: tokio::spawn(topics::keep_topics(self.clone(), out.clone(), shutdown.clone())),
            posting: tokio::spawn(posting::post_until(
                self.clone(),
                out.clone(),
                first_start,
                shutdown.clone(),
            )),
            relaying: tokio::spawn(relay::relay(self.clone(), out.clone(), shutdown)),
            refreshing: tokio::spawn(self.clone().refresh_schedule(out)),
        }
    }

    /// Reloads a URL source every `[schedule] refresh`, and a file source whenever the
    /// file changes (checked every few seconds); a broken new schedule keeps the running one.
    pub async fn refresh_schedule(self, out: impl Outbox) {
        let is_file = matches!(self.source.location, Location::File(_));
        let every = if is_file {
            Duration::from_secs(3)
        } else {
            self.config
                .schedule
                .refresh
                .to_std()
                .unwrap_or(Duration::from_secs(600))
                .max(Duration::from_secs(10))
        };
        let modified = |source: &Source| match &source.location {
            Location::File(path) => std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            Location::Url(_) => None,
        };
        let mut seen = modified(&self.source);
        loop {
            tokio::time::sleep(every).await;
            if is_file {
                let now = modified(&self.source);
                // A file that left sessions out is read once more, unchanged or not: two
                // reads in a row without them cancel them.
                let confirming = self.store.missing_sessions().is_ok_and(|m| !m.once.is_empty());
                if now == seen && !confirming {
                    continue;
                }
                seen = now;
            }
            match self.source.load().await {
                Ok(loaded) => {
                    if let Some(update) = self.replace_schedule(&out, loaded) {
                        self.announce_update(&out, &update);
                    }
                }
                Err(err) => warn!(error = format!("{err:#}"), "keeping the last good schedule"),
            }
        }
    }
}

/// The bot's running tasks.
pub struct Tasks {
    posting: JoinHandle<()>,
    boards: JoinHandle<()>,
    topics: JoinHandle<()>,
    relaying: JoinHandle<()>,
    refreshing: JoinHandle<()>,
}

impl Tasks {
    /// After shutdown turned true: lets the posting timer, the relay, the boards and the
    /// topics finish what they are sending (for `within` at most) and stops reloading.
    pub async fn finish(self, within: Duration) {
        self.refreshing.abort();
        let _ = tokio::time::timeout(within, self.posting).await;
        let _ = tokio::time::timeout(within, self.relaying).await;
        let _ = tokio::time::timeout(within, self.boards).await;
        let _ = tokio::time::timeout(within, self.topics).await;
    }
}

/// The first line of a text.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::testing::{bot_reading, say, start};
    use crate::command::Role;
    use crate::infra::store::Store;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn reminder_holders_hear_of_a_move_and_a_session_is_cancelled_only_when_two_fetches_leave_it_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("centos.toml");
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/centos-connect-2023.toml")).unwrap();
        std::fs::write(&path, &text).unwrap();
        let rooms = "announcements = [\"#open:x\"]\n";
        let bot = bot_reading(
            path.to_str().unwrap(),
            Store::in_memory().unwrap(),
            rooms,
            (9, 0, 0),
            1.0,
        );
        let mut run = start(&bot, &[], true);
        let attendee = |event| say(&bot, &run.out, "@ann:x", Role::Attendee, event, "!remind ebranch");
        assert!(attendee("$r1").await.contains("ebranch"), "a reminder for 09:50");
        // What the attendee got in direct messages since the last look.
        let drained = |inbox: &mut tokio::sync::mpsc::UnboundedReceiver<(String, String)>| {
            let mut got = Vec::new();
            while let Ok(post) = inbox.try_recv() {
                got.push(post);
            }
            got.retain(|(to, _)| to == "@ann:x");
            got
        };
        let settle = || tokio::time::sleep(Duration::from_millis(50));
        settle().await;
        drained(&mut run.inbox);

        // A delay moves it: the holder is told once, in a direct message.
        let organizer = |event, text| say(&bot, &run.out, "@org:x", Role::Organizer, event, text);
        organizer("$d", "!delay 10m").await;
        settle().await;
        let dms = drained(&mut run.inbox);
        assert_eq!(dms.len(), 1, "{dms:?}");
        assert!(
            dms[0].1.contains("moved: One year on") && dms[0].1.contains("10:00–10:25 CET (was 09:50–10:15 CET)"),
            "{dms:?}"
        );

        // A fetch without it: kept, nothing said to anyone.
        let without = text.replace("id = \"ebranch\"", "id = \"ebranch-2\"");
        std::fs::write(&path, &without).unwrap();
        let reply = organizer("$l1", "!reload").await;
        assert!(!reply.contains("cancelled"), "{reply}");
        assert!(bot.loaded().schedule.session("ebranch").is_some());
        settle().await;
        assert_eq!(drained(&mut run.inbox), []);

        // A second fetch in a row without it: cancelled, the holder told, the reminder dropped.
        let reply = organizer("$l2", "!reload").await;
        assert!(reply.contains("cancelled: One year on"), "{reply}");
        settle().await;
        let dms = drained(&mut run.inbox);
        assert_eq!(dms.len(), 1, "{dms:?}");
        assert!(
            dms[0].1.contains("was cancelled") && dms[0].1.ends_with("I dropped your reminder."),
            "{dms:?}"
        );
        let zone = bot.loaded().schedule.timezone();
        assert!(bot.store.personal_reminders(Some("@ann:x"), zone).unwrap().is_empty());

        // It comes back: announced as reinstated, not as new.
        std::fs::write(&path, &text).unwrap();
        let reply = organizer("$l3", "!reload").await;
        assert!(
            reply.contains("back on the schedule: ") && reply.contains("One year on"),
            "{reply}"
        );
        assert!(!reply.contains("new: 10:00–10:25 CET  One year on"), "{reply}");
    }
}
