//! What the bot does, whatever it talks through: answer a command, post reminders and
//! announcements when they fall due, relay questions, reload the schedule. It keeps its
//! state in the store and sends through an [`Outbox`], which the Matrix adapter
//! (`confbot run`) and the terminal (`confbot console`) each implement; the rules it acts
//! on are in the core (`answer`, `plan`, `questions`), so both adapters behave alike.

pub mod delivery;
pub mod posting;
pub mod questions;
#[cfg(test)]
mod testing;

use crate::answer::{self, Decision};
use crate::clock::Clock;
use crate::command::{Command, Role, UsageError};
use crate::config::Config;
use crate::message::Message;
use crate::metrics::Metrics;
use crate::schedule::Loaded;
use crate::source::{Location, Source};
use crate::store::Store;
use chrono::DateTime;
use chrono_tz::Tz;
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
    /// The schedule room or track the chat room is mapped to.
    pub place: Option<&'a str>,
    /// The id of the event that carried the command; a question keeps it.
    pub event: &'a str,
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub message: Message,
    /// The question this reply is the receipt of (a 👍 on it is a vote).
    pub receipt_of: Option<u64>,
}

impl Reply {
    fn plain(message: Message) -> Reply {
        Reply {
            message,
            receipt_of: None,
        }
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
    }

    /// Puts a newly loaded schedule in place (delays applied) and returns the announcement
    /// of what attendees will see changed, if anything.
    fn replace_schedule(&self, loaded: Loaded) -> Option<Message> {
        let before = self.loaded();
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
        self.apply_delays();
        posting::forget_overdue(self);
        let after = self.loaded();
        let changes = crate::changes::diff(&before.schedule, &after.schedule);
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

    /// Whether the post with this key is done (in every room); a store that cannot be read
    /// says no, in the log.
    pub fn post_done(&self, key: &str) -> bool {
        self.store.post_done(key).unwrap_or_else(|err| {
            warn!(error = %format!("{err:#}"), "reading the posts done");
            false
        })
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
            crate::message::isolate(first_line(message.body()))
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

    /// Answers one command from `from`: decides in the core, then stores, posts and
    /// replies as the decision says.
    ///
    /// A command that changes something is carried out once: its event id is stored with
    /// the change, and the same event again (a replay after a restart) changes nothing and
    /// gets the first reply again.
    pub async fn answer(&self, out: &impl Outbox, from: &Sender<'_>, command: &Result<Command, UsageError>) -> Reply {
        match self.store.acted(from.event) {
            Ok(Some(Some((body, html)))) => return Reply::plain(Message::stored(body, html)),
            Ok(Some(None)) => return Reply::plain(Message::plain("Done: I carried this out before I restarted.")),
            Ok(None) => {}
            Err(err) => warn!(error = %format!("{err:#}"), "reading the commands carried out"),
        }
        let mut reply = self.reply(out, from, command).await;
        reply.message = reply.message.fit(crate::message::MAX_BYTES);
        self.stored(
            self.store
                .keep_reply(from.event, reply.message.body(), reply.message.html()),
            "keeping a reply",
        );
        reply
    }

    async fn reply(&self, out: &impl Outbox, from: &Sender<'_>, command: &Result<Command, UsageError>) -> Reply {
        let command = match command {
            Ok(command) => command,
            Err(usage) => return Reply::plain(Message::plain(&usage.to_string())),
        };
        let zone = self.zone_of(from.user);
        let decision = answer::decide(
            &self.loaded().schedule,
            &self.config.rooms,
            command,
            from.role,
            self.clock.now(),
            from.place,
            zone,
        );
        match decision {
            Decision::Question(command) => questions::handle(self, out, from, &command).await,
            decision => Reply::plain(self.act(out, from, decision).await),
        }
    }

    /// Carries out a decision that needs the store or a post, and says what was done.
    async fn act(&self, out: &impl Outbox, from: &Sender<'_>, decision: Decision) -> Message {
        match decision {
            Decision::Reply(message) => message,
            Decision::Announce { due, room, text } => self.add_announcement(&due, &room, &text, from),
            Decision::ListAnnouncements => pending_announcements(&self.chat_announcements()),
            Decision::Cancel(id) => match self.store.act(from.event, |acts| acts.cancel_announcement(id as i64)) {
                Ok(true) => {
                    self.schedule_changed.notify_one();
                    Message::plain(&format!("Announcement {id} is cancelled."))
                }
                Ok(false) => Message::plain(&format!(
                    "There is no pending announcement {id}. Send !announcements for the list."
                )),
                Err(err) => sorry(err, "cancelling an announcement", "I could not cancel that"),
            },
            Decision::Status => self.status(),
            Decision::Remind(session) => self.remind(from, session),
            Decision::ListReminders => {
                let schedule = &self.loaded().schedule;
                match self.store.personal_reminders(Some(from.user), schedule.timezone()) {
                    Ok(mine) => crate::plan::personal_list(
                        schedule,
                        &mine,
                        crate::plan::personal_lead(&self.config),
                        self.zone_of(from.user),
                    ),
                    Err(err) => sorry(err, "reading personal reminders", "I could not read your reminders"),
                }
            }
            Decision::Forget(session) => match self
                .store
                .act(from.event, |acts| acts.forget_personal_reminder(from.user, &session))
            {
                Ok(true) => {
                    self.schedule_changed.notify_one();
                    Message::plain(&format!("Your reminder for {session} is cancelled."))
                }
                Ok(false) => Message::plain(&format!(
                    "You have no reminder for {session}. Send !reminders for yours."
                )),
                Err(err) => sorry(err, "forgetting a personal reminder", "I could not cancel that"),
            },
            Decision::ShowZone => zone_setting(self.clock.now(), self.zone_of(from.user)),
            Decision::SetZone(zone) => match self.store.act(from.event, |acts| acts.set_zone(from.user, zone)) {
                Ok(()) => zone_changed(self.clock.now(), zone),
                Err(err) => sorry(err, "storing an attendee's zone", "I could not store that"),
            },
            Decision::Question(command) => questions::handle(self, out, from, &command).await.message,
            Decision::Reload => self.reload(out).await,
            Decision::Delay(delay) => {
                let before = self.loaded();
                if let Err(err) = self.store.act(from.event, |acts| acts.add_delay(&delay)) {
                    return sorry(err, "storing a delay", "I could not store that delay");
                }
                self.apply_delays();
                posting::forget_overdue(self);
                let announcement = crate::delay::announcement(&before.schedule, &self.loaded().schedule, &delay);
                let targets = self.config.rooms.post_targets(delay.place.as_deref());
                // Each `!delay` is announced, however alike two of them are.
                let key = format!("delay:{}", from.event);
                self.announce(out, &targets, &announcement, &key);
                announcement
            }
        }
    }

    fn add_announcement(&self, due: &DateTime<Tz>, room: &str, text: &str, from: &Sender<'_>) -> Message {
        match self
            .store
            .act(from.event, |acts| acts.add_announcement(due, room, text, from.user))
        {
            Ok(id) => {
                self.schedule_changed.notify_one();
                let when = if *due <= self.clock.now() {
                    "now".to_string()
                } else {
                    format!("at {}", crate::render::instant(due))
                };
                Message::plain(&format!(
                    "Announcement {id} will go to {room} {when}. Cancel it with !cancel {id}."
                ))
            }
            Err(err) => sorry(err, "storing an announcement", "I could not store that announcement"),
        }
    }

    /// The bot's clock and the next five posts.
    fn status(&self) -> Message {
        let now = self.clock.now();
        let from_chat = self.from_chat();
        let loaded = self.loaded();
        let next: Vec<crate::plan::Post> = crate::plan::posts(
            &loaded.schedule,
            &self.config,
            &from_chat,
            now,
            now + chrono::TimeDelta::days(400),
        )
        .into_iter()
        .filter(|p| !self.post_done(&p.key))
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
                .text(&posting::describe(&loaded.schedule, post));
        }
        message
    }

    /// Stores `!remind`, and says when the direct message will come.
    fn remind(&self, from: &Sender<'_>, session_id: String) -> Message {
        let user = from.user;
        let loaded = self.loaded();
        let schedule = &loaded.schedule;
        let reminder = crate::plan::PersonalReminder {
            user: user.to_string(),
            session: session_id,
            asked_at: self.clock.now(),
        };
        let lead = crate::plan::personal_lead(&self.config);
        let (Some(session), Some(due)) = (schedule.session(&reminder.session), reminder.due(schedule, lead)) else {
            return Message::plain("That session has already started.");
        };
        match self.store.act(from.event, |acts| acts.add_personal_reminder(&reminder)) {
            Ok(added) => {
                self.schedule_changed.notify_one();
                let mut message = Message::new();
                message.text(if added {
                    "I will send you a direct message "
                } else {
                    "You already have a reminder: I will write "
                });
                message.text(&format!(
                    "at {}, {} before ",
                    crate::render::instant_for(&due, self.zone_of(user)),
                    crate::duration::Compact(session.start - due)
                ));
                message
                    .strong(&session.title)
                    .text(&format!(". !forget {} cancels it.", session.id));
                message
            }
            Err(err) => sorry(err, "storing a personal reminder", "I could not store that reminder"),
        }
    }

    /// `!reload`: loads the schedule again; a broken one keeps the running one.
    async fn reload(&self, out: &impl Outbox) -> Message {
        match self.source.load().await {
            Ok(loaded) => {
                let warnings = loaded.warnings.len();
                match self.replace_schedule(loaded) {
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
    /// question relay and schedule reloads. `first_start`: see [`posting::post_until`].
    pub fn spawn_tasks(&self, out: impl Outbox, first_start: bool, shutdown: watch::Receiver<bool>) -> Tasks {
        Tasks {
            posting: tokio::spawn(posting::post_until(
                self.clone(),
                out.clone(),
                first_start,
                shutdown.clone(),
            )),
            relaying: tokio::spawn(questions::relay(self.clone(), out.clone(), shutdown)),
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
                if now == seen {
                    continue;
                }
                seen = now;
            }
            match self.source.load().await {
                Ok(loaded) => {
                    if let Some(update) = self.replace_schedule(loaded) {
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
    relaying: JoinHandle<()>,
    refreshing: JoinHandle<()>,
}

impl Tasks {
    /// After shutdown turned true: lets the posting timer and the relay finish what they
    /// are sending (for `within` at most) and stops reloading.
    pub async fn finish(self, within: Duration) {
        self.refreshing.abort();
        let _ = tokio::time::timeout(within, self.posting).await;
        let _ = tokio::time::timeout(within, self.relaying).await;
    }
}

/// The first line of a text.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The reply when the store failed: the details go to the log, not to the chat.
fn sorry(err: anyhow::Error, doing: &str, what: &str) -> Message {
    warn!(error = %format!("{err:#}"), "{doing}");
    Message::plain(&format!("Sorry, {what}; see the bot's log."))
}

/// `!announcements`: the pending ones, with their ids.
fn pending_announcements(pending: &[crate::plan::ChatAnnouncement]) -> Message {
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
            .text(&crate::message::isolate(&a.text));
    }
    message
}

/// `!tz` without a zone: the sender's setting.
fn zone_setting(now: DateTime<Tz>, zone: Option<Tz>) -> Message {
    match zone {
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

/// `!tz ZONE` or `!tz off`, once stored.
fn zone_changed(now: DateTime<Tz>, zone: Option<Tz>) -> Message {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};

    fn brussels(h: u32, m: u32) -> DateTime<Tz> {
        chrono_tz::Europe::Brussels
            .with_ymd_and_hms(2023, 2, 3, h, m, 0)
            .unwrap()
    }

    #[test]
    fn the_zone_replies_show_both_clocks() {
        let chicago = chrono_tz::America::Chicago;
        assert_eq!(
            zone_setting(brussels(9, 10), Some(chicago)).body(),
            "Times are shown in CET and in your zone, America/Chicago (it is 02:10 CST there now). Send !tz off to stop."
        );
        assert_eq!(
            zone_changed(brussels(9, 10), None).body(),
            "From now on I show times in the conference's zone only (CET)."
        );
    }

    /// Sends `text` as `user` (with `role`) in the Pagoda room, as event `event`.
    async fn say(bot: &Bot, out: &impl Outbox, user: &str, role: Role, event: &str, text: &str) -> String {
        let from = Sender {
            user,
            name: "someone",
            role,
            place: Some("Pagoda room"),
            event,
        };
        let command = Command::parse(text).unwrap().unwrap();
        bot.answer(out, &from, &Ok(command)).await.message.body().to_string()
    }

    #[tokio::test]
    async fn a_replayed_delay_changes_nothing_and_gets_its_first_reply_again() {
        use testing::{bot, next, Recording};
        let bot = bot(
            "announcements = [\"#main:x\"]\n",
            (14, 20, 0),
            1.0,
            Store::in_memory().unwrap(),
        );
        let (out, mut inbox) = Recording::new(&[]);
        let start = |bot: &Bot| bot.loaded().schedule.session("rocky").unwrap().start;
        let before = start(&bot);
        let first = say(&bot, &out, "@org:x", Role::Organizer, "$delay-1", "!delay 10m").await;
        assert!(
            first.starts_with("Schedule change in Pagoda room: from 14:15 on, sessions run 10m later."),
            "{first}"
        );
        // The same event again, as a restart replays a command whose reply never went out.
        let again = say(&bot, &out, "@org:x", Role::Organizer, "$delay-1", "!delay 10m").await;
        assert_eq!(again, first);
        assert_eq!(start(&bot) - before, TimeDelta::minutes(10), "delayed once");
        // Another `!delay 10m`, a new event: a second delay, announced too.
        say(&bot, &out, "@org:x", Role::Organizer, "$delay-2", "!delay 10m").await;
        assert_eq!(start(&bot) - before, TimeDelta::minutes(20));
        let announced = [next(&mut inbox).await, next(&mut inbox).await];
        for (room, body) in &announced {
            assert_eq!(room, "#main:x");
            assert!(body.starts_with("Schedule change in Pagoda room"), "{body}");
        }
        assert_ne!(announced[0].1, announced[1].1, "each delay is announced");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(inbox.try_recv().is_err(), "the replay announced nothing");
    }

    #[tokio::test]
    async fn a_question_approved_rejected_and_approved_again_reaches_the_speakers_twice() {
        use testing::{bot, next, Recording};
        let bot = bot(
            "moderators = \"#mods:x\"\nspeakers = \"#speakers:x\"\n",
            (9, 10, 0),
            1.0,
            Store::in_memory().unwrap(),
        );
        let (out, mut inbox) = Recording::new(&[]);
        let (_stop, shutdown) = watch::channel(false);
        let _tasks = bot.spawn_tasks(out.clone(), true, shutdown);
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        assert_eq!(next(&mut inbox).await.0, "#mods:x");
        let moderator = |event: &'static str, text: &'static str| {
            let (bot, out) = (bot.clone(), out.clone());
            async move { say(&bot, &out, "@mod:x", Role::Moderator, event, text).await }
        };
        moderator("$approve-1", "!approve 1").await;
        let (room, first) = next(&mut inbox).await;
        assert_eq!(room, "#speakers:x");
        assert!(first.contains("How is RHEL built?"), "{first}");
        moderator("$reject", "!reject 1 off topic").await;
        moderator("$approve-2", "!approve 1").await;
        let (room, second) = next(&mut inbox).await;
        assert_eq!((room.as_str(), second.as_str()), ("#speakers:x", first.as_str()));
    }

    #[test]
    fn no_pending_announcements_says_so() {
        assert_eq!(pending_announcements(&[]).body(), "No announcements are pending.");
    }
}
