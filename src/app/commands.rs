//! The chat commands, carried out: each decided in the core ([`crate::answer`]), then
//! stored, posted and replied to here, once per command event.

use super::{posting, relay, Bot, Outbox, Reply, Sender};
use crate::answer::{self, Decision};
use crate::command::{Command, UsageError};
use crate::infra::store::Acts;
use crate::present::message::Message;
use crate::present::replies;
use crate::refusal::Refusal;
use chrono::DateTime;
use chrono_tz::Tz;
use tracing::warn;

impl Bot {
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
        // What is stored is what was sent: the configured prefix, and cut to fit.
        reply.message = (reply.message)
            .with_prefix(&self.config.commands.prefix)
            .fit(crate::present::message::MAX_BYTES);
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
            Err(usage) => return Reply::plain(self.refused(&Refusal::Usage(usage.clone()))),
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
            Decision::Question(command) => relay::handle(self, out, from, &command).await,
            Decision::Announce { due, room, text } => self.announce_from_chat(from, due, &room, &text),
            decision => Reply::plain(self.act(out, from, decision).await),
        }
    }

    /// Carries out a decision that needs the store or a post, and says what was done.
    async fn act(&self, out: &impl Outbox, from: &Sender<'_>, decision: Decision) -> Message {
        match decision {
            Decision::Reply(message) => message,
            Decision::Refuse(refusal) => self.refused(&refusal),
            Decision::Announce { due, room, text } => self.announce_from_chat(from, due, &room, &text).message,
            Decision::Confirm => self.confirm(out, from),
            Decision::ListAnnouncements => replies::pending_announcements(&self.chat_announcements()),
            Decision::Cancel(id) => self.cancel(
                from,
                "cancelling an announcement",
                |acts| acts.cancel_announcement(id as i64),
                &replies::announcement_cancelled(id),
                Refusal::NoSuchAnnouncement(id),
            ),
            Decision::Status => self.status(),
            Decision::Remind(session) => self.remind(from, session),
            Decision::ListReminders => {
                let schedule = &self.loaded().schedule;
                match self.store.personal_reminders(Some(from.user), schedule.timezone()) {
                    Ok(mine) => crate::present::personal::list(
                        schedule,
                        &mine,
                        self.config.reminders.personal_lead(),
                        self.zone_of(from.user),
                    ),
                    Err(err) => sorry(err, "reading personal reminders", "I could not read your reminders"),
                }
            }
            Decision::Forget(session) => self.cancel(
                from,
                "forgetting a personal reminder",
                |acts| acts.forget_personal_reminder(from.user, &session),
                &crate::present::personal::forgotten(&session),
                Refusal::NoSuchReminder(session.clone()),
            ),
            Decision::ShowZone => replies::zone_setting(self.clock.now(), self.zone_of(from.user)),
            Decision::SetZone(zone) => match self.store.act(from.event, |acts| acts.set_zone(from.user, zone)) {
                Ok(()) => replies::zone_changed(self.clock.now(), zone),
                Err(err) => sorry(err, "storing an attendee's zone", "I could not store that"),
            },
            Decision::Question(command) => relay::handle(self, out, from, &command).await.message,
            Decision::NoShow(session) => self.no_show(from, &session),
            Decision::Reload => self.reload(out).await,
            Decision::Delay(delay) => {
                let before = self.loaded();
                if let Err(err) = self.store.act(from.event, |acts| acts.add_delay(&delay)) {
                    return sorry(err, "storing a delay", "I could not store that delay");
                }
                self.apply_delays();
                posting::forget_overdue(self);
                let after = self.loaded();
                self.tell_reminder_holders(out, &crate::changes::diff(&before.schedule, &after.schedule));
                let announcement = crate::delay::announcement(&before.schedule, &after.schedule, &delay);
                let targets = self.config.rooms.post_targets(delay.place.as_deref());
                // Each `!delay` is announced, however alike two of them are.
                let key = format!("delay:{}", from.event);
                self.announce(out, &targets, &announcement, &key);
                announcement
            }
        }
    }

    /// The reply to a refusal, worded in present.
    pub(super) fn refused(&self, refusal: &Refusal) -> Message {
        crate::present::refusal::message(&self.loaded().schedule, refusal)
    }

    /// Cancels something the sender scheduled, once per command event: `cancel` says
    /// whether there was such a thing (else `nothing` is the reply).
    fn cancel(
        &self,
        from: &Sender<'_>,
        doing: &str,
        cancel: impl FnOnce(&Acts) -> anyhow::Result<bool>,
        done: &str,
        nothing: Refusal,
    ) -> Message {
        match self.store.act(from.event, cancel) {
            Ok(true) => {
                self.schedule_changed.notify_one();
                Message::plain(done)
            }
            Ok(false) => self.refused(&nothing),
            Err(err) => sorry(err, doing, "I could not cancel that"),
        }
    }

    pub(super) fn add_announcement(&self, due: &DateTime<Tz>, room: &str, text: &str, from: &Sender<'_>) -> Message {
        match self
            .store
            .act(from.event, |acts| acts.add_announcement(due, room, text, from.user))
        {
            Ok(id) => {
                self.schedule_changed.notify_one();
                replies::announcement_scheduled(id, room, *due, self.clock.now())
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
            self.config.rules(),
            &from_chat,
            now,
            now + chrono::TimeDelta::days(400),
        )
        .into_iter()
        .filter(|p| self.post_done(&p.key) != Some(true))
        .take(5)
        .collect();
        let next: Vec<_> = next
            .iter()
            .map(|post| (post.due, posting::describe(&loaded.schedule, post)))
            .collect();
        replies::status(now, &next)
    }

    /// `user`'s own reminder of `session_id`, asked for now, and when it falls due (at the
    /// first `[reminders] lead`); `None` when the session has started or is gone. `!remind`
    /// and a 🔔 on a reminder card both ask this way.
    pub(super) fn personal_reminder(
        &self,
        user: &str,
        session_id: String,
    ) -> (crate::plan::PersonalReminder, Option<DateTime<Tz>>) {
        let reminder = crate::plan::PersonalReminder {
            user: user.to_string(),
            session: session_id,
            asked_at: self.clock.now(),
        };
        let due = reminder.due(&self.loaded().schedule, self.config.reminders.personal_lead());
        (reminder, due)
    }

    /// Stores `!remind`, and says when the direct message will come.
    fn remind(&self, from: &Sender<'_>, session_id: String) -> Message {
        let user = from.user;
        let loaded = self.loaded();
        let schedule = &loaded.schedule;
        let (reminder, due) = self.personal_reminder(user, session_id);
        let (Some(session), Some(due)) = (schedule.session(&reminder.session), due) else {
            return self.refused(&Refusal::Started {
                session: reminder.session,
                now: reminder.asked_at,
            });
        };
        match self.store.act(from.event, |acts| acts.add_personal_reminder(&reminder)) {
            Ok(added) => {
                self.schedule_changed.notify_one();
                crate::present::personal::set(session, due, added, self.zone_of(user))
            }
            Err(err) => sorry(err, "storing a personal reminder", "I could not store that reminder"),
        }
    }
}

/// The reply when the store failed: the details go to the log, not to the chat.
pub(super) fn sorry(err: anyhow::Error, doing: &str, what: &str) -> Message {
    warn!(error = %format!("{err:#}"), "{doing}");
    Message::plain(&format!("Sorry, {what}; see the bot's log."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Role;
    use chrono::TimeDelta;
    use std::time::Duration;

    use crate::app::testing::say;

    #[tokio::test(start_paused = true)]
    async fn a_replayed_delay_changes_nothing_and_gets_its_first_reply_again() {
        use crate::app::testing::{bot, next, Recording};
        let bot = bot("announcements = [\"#main:x\"]\n", (14, 20, 0), 1.0);
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

    #[tokio::test(start_paused = true)]
    async fn a_question_approved_rejected_and_approved_again_reaches_the_speakers_twice() {
        use crate::app::testing::{bot, next, start};
        let rooms = "moderators = \"#mods:x\"\nspeakers = \"#speakers:x\"\n";
        let bot = bot(rooms, (9, 10, 0), 1.0);
        let mut run = start(&bot, &[], true);
        let out = run.out.clone();
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        assert_eq!(next(&mut run.inbox).await.0, "#mods:x");
        let moderator = |event: &'static str, text: &'static str| {
            let (bot, out) = (bot.clone(), out.clone());
            async move { say(&bot, &out, "@mod:x", Role::Moderator, event, text).await }
        };
        // The posts, without the edits of the relay post and the redactions.
        async fn posted(inbox: &mut tokio::sync::mpsc::UnboundedReceiver<(String, String)>) -> (String, String) {
            loop {
                let (room, body) = next(inbox).await;
                if !body.starts_with("(edited ") && !body.starts_with("(took back ") {
                    return (room, body);
                }
            }
        }
        moderator("$approve-1", "!approve 1").await;
        let (room, first) = posted(&mut run.inbox).await;
        assert_eq!(room, "#speakers:x");
        assert!(first.contains("How is RHEL built?"), "{first}");
        moderator("$reject", "!reject 1 off topic").await;
        moderator("$approve-2", "!approve 1").await;
        let (room, second) = posted(&mut run.inbox).await;
        assert_eq!((room.as_str(), second.as_str()), ("#speakers:x", first.as_str()));
    }

    #[tokio::test(start_paused = true)]
    async fn telling_the_asker_of_a_decision_holds_up_no_command() {
        use crate::app::testing::{bot, next, start, Room};
        // The asker's direct room never answers, as one whose encryption is still being
        // set up: the approval is answered all the same, and so is the next command.
        let rooms = "moderators = \"#mods:x\"\n[questions]\nnotify_asker = true\n";
        let bot = bot(rooms, (9, 10, 0), 1.0);
        let mut run = start(&bot, &[("@ann:x", Room::Hangs)], true);
        let out = run.out.clone();
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        assert_eq!(next(&mut run.inbox).await.0, "#mods:x");
        let within = |text: &'static str, event: &'static str| {
            let (bot, out) = (bot.clone(), out.clone());
            async move {
                let answer = say(&bot, &out, "@mod:x", Role::Moderator, event, text);
                tokio::time::timeout(Duration::from_secs(2), answer)
                    .await
                    .unwrap_or_else(|_| panic!("{text} was held up by the asker's direct room"))
            }
        };
        let approved = within("!approve 1", "$approve").await;
        assert!(approved.starts_with("Q1 approved"), "{approved}");
        let next_command = within("!next", "$next").await;
        assert!(next_command.starts_with("Next"), "{next_command}");
    }
}
