//! The question boards: for the session running in each place whose questions reach a
//! speakers room (its backstage, or the conference's), one message there that the bot
//! edits in place as questions are approved, voted for, answered or withdrawn, and as the
//! time left runs down. It is pinned while its session runs; when the next session
//! starts it gets a board of its own, and the old one keeps its final state. The rules
//! (which board is due, what is on it, when it changes by the clock) are in
//! `crate::questions::board`; the words in `crate::present::board`. Here: post, edit at
//! most once every [`BOARD_EVERY`] per board, pin, and remember each board's message in
//! the store, so that a restart edits the same message.

use super::{Bot, Outbox};
use crate::infra::store::StoredBoard;
use crate::present::message::Message;
use crate::questions;
use chrono::DateTime;
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

/// At most one edit of a board in this window: a storm of votes costs one edit per board
/// every two seconds, and the board is never more than two seconds behind.
pub const BOARD_EVERY: Duration = Duration::from_secs(2);

/// The longest the boards go unlooked at, whatever the clock says.
const LOOK_EVERY: Duration = Duration::from_secs(60);

/// Keeps the boards up to date until `shutdown`.
pub async fn keep_boards(bot: Bot, out: impl Outbox, mut shutdown: watch::Receiver<bool>) {
    let mut boards = Boards::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let wait = if bot.config.questions.enabled {
            boards.refresh(&bot, &out).await
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.boards_changed.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// When each board was last posted or edited in this run, and the boards whose room
/// refused them for good (no power, not there), left alone until the instant given.
#[derive(Default)]
struct Boards {
    touched: HashMap<String, Instant>,
    refused: HashMap<String, Instant>,
    /// The rooms that refused a pin: told once in the log, not at every board.
    unpinnable: HashSet<String>,
}

/// How long a board its room refused is left alone before it is tried again.
const AFTER_REFUSAL: Duration = Duration::from_secs(60);

impl Boards {
    /// Brings every board up to date (or as far as the pace allows); how long until one
    /// needs another look.
    async fn refresh(&mut self, bot: &Bot, out: &impl Outbox) -> Duration {
        let now = bot.clock.now();
        let loaded = bot.loaded();
        let schedule = &loaded.schedule;
        let mut wait = LOOK_EVERY;
        let due = questions::boards_due(schedule, &bot.config.rooms, now);
        if let Some(next) = questions::next_board_start(schedule, &bot.config.rooms, now) {
            wait = wait.min(bot.clock.real_until(next));
        }
        // Boards whose session is no longer the one shown: their final state, unpinned.
        for room in bot.config.rooms.speakers_rooms() {
            let open = bot.store.open_boards(room).unwrap_or_else(|err| {
                warn!(error = %format!("{err:#}"), "reading the open boards");
                Vec::new()
            });
            for stored in open {
                let still = due.iter().any(|(r, s)| questions::board_key(&s.id, r) == stored.key);
                if !still && !self.finish(bot, out, &stored).await {
                    wait = wait.min(BOARD_EVERY);
                }
            }
        }
        for (room, session) in due {
            let key = questions::board_key(&session.id, room);
            let asked = match bot.store.questions_of(&session.id, schedule.timezone()) {
                Ok(asked) => asked,
                Err(err) => {
                    warn!(error = %format!("{err:#}"), "reading a session's questions for its board");
                    wait = wait.min(BOARD_EVERY);
                    continue;
                }
            };
            let board = questions::board(session, &asked, now);
            if let Some(next) = questions::next_change(&board, now) {
                wait = wait.min(bot.clock.real_until(next));
            }
            let message = shown(bot, &board);
            let stored = match bot.store.board(&key) {
                Ok(stored) => stored,
                Err(err) => {
                    warn!(error = %format!("{err:#}"), "reading a board");
                    wait = wait.min(BOARD_EVERY);
                    continue;
                }
            };
            if let Some(later) = self.pace(&key).filter(|_| self.refused.contains_key(&key)) {
                wait = wait.min(later);
                continue;
            }
            let done = match stored {
                None => self.post(bot, out, room, &session.id, &key, &message).await,
                Some(stored) if stored.shown != message.body() => match self.pace(&key) {
                    Some(later) => {
                        wait = wait.min(later);
                        true
                    }
                    None => self.edit(bot, out, &stored, &message, false).await,
                },
                Some(_) => true,
            };
            if !done {
                wait = wait.min(BOARD_EVERY);
            }
        }
        wait.max(Duration::from_millis(50))
    }

    /// How long until board `key` may be posted or edited again, if it may not now.
    fn pace(&self, key: &str) -> Option<Duration> {
        if let Some(until) = self.refused.get(key).filter(|until| **until > Instant::now()) {
            return Some(*until - Instant::now());
        }
        let since = self.touched.get(key)?.elapsed();
        (since < BOARD_EVERY).then(|| BOARD_EVERY - since)
    }

    /// A failure on board `key`: one for good (the room refuses it) leaves the board
    /// alone for [`AFTER_REFUSAL`], instead of trying every two seconds. Always false:
    /// nothing was done.
    fn failed(&mut self, key: &str, err: &super::SendError) -> bool {
        if err.is_final() {
            self.refused.insert(key.to_string(), Instant::now() + AFTER_REFUSAL);
        }
        false
    }

    /// Posts a new board and pins it; false if it must be tried again.
    async fn post(
        &mut self,
        bot: &Bot,
        out: &impl Outbox,
        room: &str,
        session: &str,
        key: &str,
        message: &Message,
    ) -> bool {
        let event = match out.post(room, message, true, key).await {
            Ok(event) => event,
            Err(err) => {
                warn!(room, session, error = %err, "could not post a question board");
                return self.failed(key, &err);
            }
        };
        self.touched.insert(key.to_string(), Instant::now());
        if bot
            .stored(
                bot.store.add_board(key, room, session, &event, message.body()),
                "keeping a board",
            )
            .is_none()
        {
            return false;
        }
        info!(room, session, "posted a question board");
        let pinned = out.pin(room, Some(&event), &[]).await;
        self.pinned(room, pinned);
        true
    }

    /// Logs a failed pin or unpin in `room`: one the room refuses (the bot lacks the power
    /// to change its pinned events) once for the room, not at every board.
    fn pinned(&mut self, room: &str, result: Result<(), super::SendError>) {
        match result {
            Ok(()) => {
                self.unpinnable.remove(room);
            }
            Err(err) if err.is_final() => {
                if self.unpinnable.insert(room.to_string()) {
                    warn!(
                        room,
                        error = %err,
                        "cannot pin the question boards there: the bot needs the power to change its pinned events (m.room.pinned_events, power level 50 by default); the boards are posted and edited all the same"
                    );
                }
            }
            Err(err) => warn!(room, error = %err, "could not pin or unpin a question board"),
        }
    }

    /// Edits `stored` to show `message` (its final state if `ended`); false if it must be
    /// tried again.
    async fn edit(
        &mut self,
        bot: &Bot,
        out: &impl Outbox,
        stored: &StoredBoard,
        message: &Message,
        ended: bool,
    ) -> bool {
        // A key per edit, by its number: sent again after a crash, it is one edit; a
        // state shown before (a question approved, then rejected) is shown again.
        let key = format!("board-edit:{}:{}", stored.key, stored.edits + 1);
        if let Err(err) = out.edit(&stored.room, &stored.event_id, message, true, &key).await {
            warn!(room = %stored.room, error = %err, "could not edit a question board");
            return self.failed(&stored.key, &err);
        }
        self.touched.insert(stored.key.clone(), Instant::now());
        bot.stored(
            bot.store.board_shown(&stored.key, message.body(), ended),
            "recording a board's edit",
        )
        .is_some()
    }

    /// Gives `stored`, whose session is over or no longer shown, its final state and
    /// unpins it; false if it must be tried again.
    async fn finish(&mut self, bot: &Bot, out: &impl Outbox, stored: &StoredBoard) -> bool {
        let loaded = bot.loaded();
        let schedule = &loaded.schedule;
        let Some(session) = schedule.session(&stored.session_id) else {
            // Gone from the schedule: the board stays as it was.
            return bot
                .stored(
                    bot.store.board_shown(&stored.key, &stored.shown, true),
                    "closing a board",
                )
                .is_some();
        };
        let asked = match bot.store.questions_of(&session.id, schedule.timezone()) {
            Ok(asked) => asked,
            Err(err) => {
                warn!(error = %format!("{err:#}"), "reading a session's questions for its board");
                return false;
            }
        };
        // Its final state is as it stands at its end (or now, if it left the board early).
        let at = bot.clock.now().max(session.end);
        let message = shown(bot, &questions::board(session, &asked, at));
        if message.body() != stored.shown && self.pace(&stored.key).is_some() {
            return false;
        }
        let edited = if message.body() == stored.shown {
            bot.stored(
                bot.store.board_shown(&stored.key, &stored.shown, true),
                "closing a board",
            )
            .is_some()
        } else {
            self.edit(bot, out, stored, &message, true).await
        };
        if edited {
            info!(room = %stored.room, session = %session.id, "a question board keeps its final state");
            let unpinned = out
                .pin(&stored.room, None, std::slice::from_ref(&stored.event_id))
                .await;
            self.pinned(&stored.room, unpinned);
        }
        edited
    }
}

/// Whether every board due now shows what it should (the console waits for this, so
/// that a board prints before what follows it).
pub fn up_to_date(bot: &Bot) -> bool {
    if !bot.config.questions.enabled {
        return true;
    }
    let now = bot.clock.now();
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    questions::boards_due(schedule, &bot.config.rooms, now)
        .into_iter()
        .all(|(room, session)| {
            let key = questions::board_key(&session.id, room);
            let Ok(Some(stored)) = bot.store.board(&key) else {
                return false;
            };
            let asked = bot
                .store
                .questions_of(&session.id, schedule.timezone())
                .unwrap_or_default();
            stored.shown == shown(bot, &questions::board(session, &asked, now)).body()
        })
}

/// The boards due in `room` (as the config names it) at `now`, as `!questions` there
/// shows them: the ranking of the pinned board, one board after another; `None` when no
/// board is due there.
pub(super) fn boards_in(bot: &Bot, room: &str, now: DateTime<Tz>) -> anyhow::Result<Option<Message>> {
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    let due = questions::boards_due(schedule, &bot.config.rooms, now);
    let mut message: Option<Message> = None;
    for (_, session) in due.iter().filter(|(r, _)| *r == room) {
        let asked = bot.store.questions_of(&session.id, schedule.timezone())?;
        let board = crate::present::board::message(&questions::board(session, &asked, now));
        match &mut message {
            None => message = Some(board),
            Some(message) => {
                message.line_break().line_break().append(&board);
            }
        }
    }
    Ok(message)
}

/// The board as sent: worded, with the configured command prefix.
fn shown(bot: &Bot, board: &questions::Board<'_>) -> Message {
    crate::present::board::message(board).with_prefix(&bot.config.commands.prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{bot_on, say, Recording};
    use crate::command::Role;
    use crate::infra::store::Store;
    use tokio::sync::mpsc::UnboundedReceiver;

    const ROOMS: &str = "moderators = \"#mods:x\"\nspeakers = \"#speakers:x\"\n";

    /// The next thing the speakers room got, skipping what went elsewhere; within an hour
    /// of the bot's (paused) time.
    async fn in_speakers(inbox: &mut UnboundedReceiver<(String, String)>) -> String {
        loop {
            let (room, body) = tokio::time::timeout(Duration::from_secs(3600), inbox.recv())
                .await
                .expect("a post within the hour")
                .expect("the outbox is there");
            if room == "#speakers:x" {
                return body;
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_board_per_session_follows_its_questions_keeps_its_final_state_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        // 09:10: "CentOS Stream: RHEL development in public" runs until 09:25.
        let bot = bot_on(Store::open(&path).unwrap(), ROOMS, (9, 10, 0), 1.0);
        let (out, mut inbox) = Recording::with_boards(&[]);
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        say(&bot, &out, "@mod:x", Role::Moderator, "$ok", "!approve 1").await;
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(keep_boards(bot.clone(), out.clone(), shutdown));

        let posted = in_speakers(&mut inbox).await;
        assert_eq!(
            posted,
            "CentOS Stream: RHEL development in public · Pagoda room · 09:00–09:25 CET · 15 minutes left\n\
             1. Q1 · 0 votes · someone: How is RHEL built?"
        );
        let pinned = in_speakers(&mut inbox).await;
        assert!(pinned.starts_with("(pinned $event-"), "{pinned}");
        let event = pinned["(pinned ".len()..pinned.find(',').unwrap()].to_string();

        // Two votes in a row: one edit, at most one every two seconds.
        say(&bot, &out, "@bob:x", Role::Attendee, "$up1", "!upvote 1").await;
        let edited = in_speakers(&mut inbox).await;
        let first = tokio::time::Instant::now();
        assert_eq!(
            edited,
            format!(
                "(edited {event}) CentOS Stream: RHEL development in public · Pagoda room · 09:00–09:25 CET · 15 minutes left\n\
                 1. Q1 · 1 vote · someone: How is RHEL built?"
            )
        );
        say(&bot, &out, "@cat:x", Role::Attendee, "$up2", "!upvote 1").await;
        let edited = in_speakers(&mut inbox).await;
        assert!(
            edited.ends_with("1. Q1 · 2 votes · someone: How is RHEL built?"),
            "{edited}"
        );
        assert!(
            first.elapsed() >= BOARD_EVERY,
            "edited again after {:?}",
            first.elapsed()
        );

        // The clock: the countdown at 09:15, then its final state at 09:25, unpinned.
        let mut last = String::new();
        while !last.contains("ended at") {
            last = in_speakers(&mut inbox).await;
        }
        assert!(
            last.starts_with(&format!(
                "(edited {event}) CentOS Stream: RHEL development in public · Pagoda room · 09:00–09:25 CET · ended at 09:25 CET"
            )),
            "{last}"
        );
        assert_eq!(
            in_speakers(&mut inbox).await,
            format!("(pinned nothing, unpinned {event})")
        );
        // The next session, at once: a board of its own, pinned.
        let posted = in_speakers(&mut inbox).await;
        assert_eq!(
            posted,
            "AlmaLinux Build System and Project Updates · Pagoda room · 09:25–09:50 CET · 25 minutes left\n\
             No questions yet: ask with !ask QUESTION."
        );
        let pinned = in_speakers(&mut inbox).await;
        let next = pinned["(pinned ".len()..pinned.find(',').unwrap()].to_string();
        let _ = stop.send(true);
        task.await.unwrap();
        drop(bot);

        // A restart at 09:30: the same board is edited, never posted twice, and the old
        // one is left as it ended.
        let bot = bot_on(Store::open(&path).unwrap(), ROOMS, (9, 30, 0), 1.0);
        let (out, mut inbox) = Recording::with_boards(&[]);
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(keep_boards(bot.clone(), out.clone(), shutdown));
        let edited = in_speakers(&mut inbox).await;
        assert!(
            edited.starts_with(&format!(
                "(edited {next}) AlmaLinux Build System and Project Updates · Pagoda room · 09:25–09:50 CET · 20 minutes left"
            )),
            "{edited}"
        );
        let _ = stop.send(true);
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_state_shown_before_is_shown_again() {
        let bot = bot_on(Store::in_memory().unwrap(), ROOMS, (9, 10, 0), 1.0);
        let (out, mut inbox) = Recording::with_boards(&[]);
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_boards(bot.clone(), out.clone(), shutdown));
        let posted = in_speakers(&mut inbox).await;
        assert!(
            posted.ends_with("No questions yet: ask with !ask QUESTION."),
            "{posted}"
        );
        in_speakers(&mut inbox).await; // pinned
                                       // Approved, rejected, approved again: the board shows it, not, and it again.
        for (event, command, shows) in [
            ("$ok1", "!approve 1", true),
            ("$no", "!reject 1", false),
            ("$ok2", "!approve 1", true),
        ] {
            say(&bot, &out, "@mod:x", Role::Moderator, event, command).await;
            let said = tokio::time::Instant::now();
            let edited = in_speakers(&mut inbox).await;
            assert_eq!(edited.contains("1. Q1 · 0 votes"), shows, "after {command}: {edited}");
            assert!(
                said.elapsed() <= BOARD_EVERY,
                "edited {:?} after {command}",
                said.elapsed()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_room_that_refuses_its_board_is_tried_again_a_minute_later_not_every_two_seconds() {
        use crate::app::testing::Room;
        let bot = bot_on(Store::in_memory().unwrap(), ROOMS, (9, 10, 0), 1.0);
        let (out, _inbox) = Recording::with_boards(&[("#speakers:x", Room::Refuses)]);
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(keep_boards(bot.clone(), out.clone(), shutdown));
        let attempts = |out: &Recording| out.attempts.lock().unwrap().get("#speakers:x").copied().unwrap_or(0);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(attempts(&out), 1);
        // Votes and the clock wake the boards meanwhile; the refused one waits its minute.
        bot.boards_changed.notify_one();
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(attempts(&out), 1);
        tokio::time::sleep(Duration::from_secs(15)).await;
        assert_eq!(attempts(&out), 2);
    }
}
