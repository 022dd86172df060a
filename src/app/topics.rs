//! The rooms' topics: for every room `[rooms.map]` names, a topic saying what runs there
//! now and what comes next, set when a session starts or ends, after a delay and after a
//! reload, and only when its text changes. What each topic shows is decided in
//! `crate::topics`; the words are in `crate::present::topic`. Here: set each topic that
//! changed, remember it in the store (a restart sets none again), and leave alone, with
//! one line in the log, a room where the bot may not change the topic.

use super::{Bot, Outbox, SendError};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// The longest the topics go unlooked at, whatever the clock says: a topic that names the
/// next session's day ("Sat 4 Feb") drops it within a minute of midnight.
const LOOK_EVERY: Duration = Duration::from_secs(60);

/// The longest one room's topic may take before it counts as failed for now.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// How soon a topic that failed for now (the homeserver unreachable or busy) is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Keeps the topics up to date until `shutdown`.
pub async fn keep_topics(bot: Bot, out: impl Outbox, mut shutdown: watch::Receiver<bool>) {
    let mut topics = Topics::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let wait = if bot.config.rooms.topics {
            topics.refresh(&bot, &out)
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.topics_changed.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            Some(done) = topics.setting.join_next(), if !topics.setting.is_empty() => {
                if let Ok((room, text, set)) = done {
                    topics.settle(&bot, room, text, set);
                }
            }
        }
    }
}

/// What one request to set a topic came to: the room, the text, and the outcome.
type Setting = (String, String, Result<(), SendError>);

/// What this run knows beyond the store: the topics being set, the text each refusing
/// room refused (not tried again until the topic changes), the rooms that failed for now
/// and when they are tried again, and the rooms already named in the log.
#[derive(Default)]
struct Topics {
    /// Every room's request runs on its own: a slow or hanging room holds up no other
    /// room's topic, and is not asked again while its request is out.
    setting: tokio::task::JoinSet<Setting>,
    in_flight: HashSet<String>,
    refused: HashMap<String, String>,
    retry_at: HashMap<String, tokio::time::Instant>,
    warned: HashSet<String>,
}

impl Topics {
    /// Starts setting every topic whose text changed; how long until one may change again.
    fn refresh(&mut self, bot: &Bot, out: &impl Outbox) -> Duration {
        let now = bot.clock.now();
        let loaded = bot.loaded();
        let schedule = &loaded.schedule;
        let mut wait = LOOK_EVERY;
        if let Some(next) = crate::topics::next_change(schedule, &bot.config.rooms, now) {
            wait = wait.min(bot.clock.real_until(next));
        }
        let instant = tokio::time::Instant::now();
        for (room, topic) in crate::topics::topics(schedule, &bot.config.rooms, now) {
            if self.in_flight.contains(room) {
                continue;
            }
            if let Some(at) = self.retry_at.get(room) {
                if *at > instant {
                    wait = wait.min(*at - instant);
                    continue;
                }
            }
            let text = crate::present::topic::text(schedule, &topic, now);
            match bot.store.topic(room) {
                Ok(Some(shown)) if shown == text => continue,
                Ok(_) => {}
                Err(err) => {
                    warn!(room, error = %format!("{err:#}"), "reading a room's topic");
                    wait = wait.min(RETRY_AFTER);
                    continue;
                }
            }
            if self.refused.get(room) == Some(&text) {
                continue;
            }
            self.in_flight.insert(room.to_string());
            let (out, room) = (out.clone(), room.to_string());
            self.setting.spawn(async move {
                let set = match tokio::time::timeout(ATTEMPT_TIMEOUT, out.set_topic(&room, &text)).await {
                    Ok(set) => set,
                    Err(_) => Err(SendError::Failed(anyhow::anyhow!(
                        "no answer within {ATTEMPT_TIMEOUT:?}"
                    ))),
                };
                (room, text, set)
            });
        }
        wait.max(Duration::from_millis(50))
    }

    /// Records what became of one room's request.
    fn settle(&mut self, bot: &Bot, room: String, text: String, set: Result<(), SendError>) {
        self.in_flight.remove(&room);
        let room = room.as_str();
        match set {
            Ok(()) => {
                self.refused.remove(room);
                self.warned.remove(room);
                self.retry_at.remove(room);
                if bot
                    .stored(bot.store.topic_shown(room, &text), "recording a topic")
                    .is_none()
                {
                    self.retry_at
                        .insert(room.to_string(), tokio::time::Instant::now() + RETRY_AFTER);
                }
                info!(room, topic = %text, "set the room's topic");
            }
            Err(err) if err.is_final() => {
                if self.warned.insert(room.to_string()) {
                    warn!(
                        room,
                        error = %err,
                        "cannot set the room's topic: the bot needs the power to change it (m.room.topic, power level 50 by default), or [rooms] topics = false; tried again when the topic next changes, not logged again"
                    );
                }
                self.refused.insert(room.to_string(), text);
            }
            Err(err) => {
                warn!(room, error = %err, "could not set the room's topic; trying again");
                self.retry_at
                    .insert(room.to_string(), tokio::time::Instant::now() + RETRY_AFTER);
            }
        }
    }
}

/// Whether every topic shows what it should now, or was refused (the console waits for
/// this, so that a topic prints before what follows it).
pub fn up_to_date(bot: &Bot) -> bool {
    if !bot.config.rooms.topics {
        return true;
    }
    let now = bot.clock.now();
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    crate::topics::topics(schedule, &bot.config.rooms, now)
        .into_iter()
        .all(|(room, topic)| {
            let text = crate::present::topic::text(schedule, &topic, now);
            matches!(bot.store.topic(room), Ok(Some(shown)) if shown == text)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{bot_on, say, Recording, Room};
    use crate::command::Role;
    use crate::infra::store::Store;
    use tokio::sync::mpsc::UnboundedReceiver;

    const ROOMS: &str =
        "[rooms.map]\n\"Pagoda room\" = { room = \"#pagoda:x\", stream = \"https://stream.x/pagoda\" }\n";

    /// The next topic set (posts, such as a delay's announcement, are passed over);
    /// within a day.
    async fn topic(inbox: &mut UnboundedReceiver<(String, String)>) -> (String, String) {
        loop {
            let (room, body) = crate::app::testing::within(inbox, Duration::from_secs(86_400)).await;
            if body.starts_with("(topic) ") {
                return (room, body);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_topic_follows_the_sessions_a_delay_and_a_restart_and_is_set_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        // 09:10: "CentOS Stream: RHEL development in public" runs until 09:25.
        let bot = bot_on(Store::open(&path).unwrap(), ROOMS, (9, 10, 0), 1.0);
        let (out, mut inbox) = Recording::with_topics(&[]);
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(keep_topics(bot.clone(), out.clone(), shutdown));
        let first = "(topic) Now: CentOS Stream: RHEL development in public (Adam Samalik) until 09:25 CET \
                     · Next: AlmaLinux Build System and Project Updates (Jack Aboutboul) at 09:25 CET \
                     · Stream: https://stream.x/pagoda";
        assert_eq!(topic(&mut inbox).await, ("#pagoda:x".to_string(), first.to_string()));

        // Nothing until the session ends, then at once.
        let set = tokio::time::Instant::now();
        let (_, next) = topic(&mut inbox).await;
        assert!(
            next.starts_with(
                "(topic) Now: AlmaLinux Build System and Project Updates (Jack Aboutboul) until 09:50 CET"
            ),
            "{next}"
        );
        assert_eq!(set.elapsed(), Duration::from_secs(15 * 60));

        // A delay moves what the topic says, at once: at 09:25, ten minutes late, the
        // session due now is next.
        let reply = say(&bot, &out, "@org:x", Role::Organizer, "$late", "!delay 10m").await;
        assert!(reply.contains("from 09:25 on, sessions run 10m later"), "{reply}");
        let (_, delayed) = topic(&mut inbox).await;
        assert_eq!(
            delayed,
            "(topic) Next: AlmaLinux Build System and Project Updates (Jack Aboutboul) at 09:35 CET \
             · Stream: https://stream.x/pagoda"
        );
        assert_eq!(set.elapsed(), Duration::from_secs(15 * 60));
        let _ = stop.send(true);
        task.await.unwrap();
        drop(bot);

        // A restart with the topic as it should be sets nothing; the next change is set.
        let bot = bot_on(Store::open(&path).unwrap(), ROOMS, (9, 30, 0), 1.0);
        let (out, mut inbox) = Recording::with_topics(&[]);
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_topics(bot.clone(), out.clone(), shutdown));
        let restarted = tokio::time::Instant::now();
        let (_, next) = topic(&mut inbox).await;
        assert!(
            next.starts_with(
                "(topic) Now: AlmaLinux Build System and Project Updates (Jack Aboutboul) until 10:00 CET"
            ),
            "{next}"
        );
        assert_eq!(restarted.elapsed(), Duration::from_secs(5 * 60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_room_that_refuses_its_topic_is_tried_once_per_change_and_named_once() {
        let bot = bot_on(Store::in_memory().unwrap(), ROOMS, (9, 10, 0), 1.0);
        let (out, _inbox) = Recording::with_topics(&[("#pagoda:x", Room::Refuses)]);
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_topics(bot.clone(), out.clone(), shutdown));
        let attempts = |out: &Recording| out.attempts.lock().unwrap().get("#pagoda:x").copied().unwrap_or(0);
        // Wakes and minutes pass: one attempt until the topic's text changes at 09:25.
        for _ in 0..5 {
            bot.topics_changed.notify_one();
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        assert_eq!(attempts(&out), 1);
        tokio::time::sleep(Duration::from_secs(11 * 60)).await;
        assert_eq!(attempts(&out), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_room_that_hangs_holds_up_no_other_rooms_topic() {
        // "Elsewhere" comes first in the map, and its room never answers.
        let rooms = format!("{ROOMS}\"Elsewhere\" = \"#hang:x\"\n");
        let bot = bot_on(Store::in_memory().unwrap(), &rooms, (9, 10, 0), 1.0);
        let (out, mut inbox) = Recording::with_topics(&[("#hang:x", Room::Hangs)]);
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_topics(bot.clone(), out.clone(), shutdown));
        let started = tokio::time::Instant::now();
        let (room, _) = topic(&mut inbox).await;
        assert_eq!((room.as_str(), started.elapsed()), ("#pagoda:x", Duration::ZERO));
        // At 09:25 on the dot, however long the other room has been hanging.
        let (room, next) = topic(&mut inbox).await;
        assert_eq!(room, "#pagoda:x");
        assert!(next.starts_with("(topic) Now: AlmaLinux"), "{next}");
        assert_eq!(started.elapsed(), Duration::from_secs(15 * 60));
        let asked = out.attempts.lock().unwrap().get("#hang:x").copied().unwrap_or(0);
        assert!(
            (1..=40).contains(&asked),
            "asked again only after each attempt gave up: {asked}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn topics_can_be_turned_off() {
        let rooms = format!("topics = false\n{ROOMS}");
        let bot = bot_on(Store::in_memory().unwrap(), &rooms, (9, 10, 0), 1.0);
        let (out, _inbox) = Recording::with_topics(&[]);
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_topics(bot.clone(), out.clone(), shutdown));
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(out.attempts.lock().unwrap().is_empty());
        assert!(up_to_date(&bot));
    }
}
