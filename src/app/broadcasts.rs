//! Announcements from chat to several rooms: `!announce … to all | to track NAME | to
//! ROOM,ROOM` answers with a preview and the room count, and the announcement is stored
//! for posting only once its sender confirms it, with ✅ on the preview (or the command)
//! or `!confirm`, within ten minutes. Each confirmation is stored with its event, so a
//! replayed ✅ or `!confirm` sends nothing twice.

use super::{Bot, Link, Outbox, Reply, Sender};
use crate::infra::store::{ActedBefore, Broadcast};
use crate::present::message::Message;
use crate::present::replies;
use crate::refusal::Refusal;
use chrono::DateTime;
use chrono_tz::Tz;
use tracing::{info, warn};

/// The reactions that confirm a broadcast.
const CONFIRMING: [&str; 3] = ["✅", "✔️", "✔"];

impl Bot {
    /// `!announce` as decided: to one room it is stored at once; to several it waits for
    /// its sender's confirmation, and the reply is its preview.
    pub(super) fn announce_from_chat(
        &self,
        from: &Sender<'_>,
        due: Option<DateTime<Tz>>,
        target: &str,
        text: &str,
    ) -> Reply {
        let now = self.clock.now();
        let rooms = self.config.rooms.targets(target);
        if rooms.len() <= 1 {
            return Reply::plain(self.add_announcement(&due.unwrap_or(now), target, text, from));
        }
        let until = now + replies::CONFIRM_WITHIN;
        let stored = self.store.act(from.event, |acts| {
            acts.add_broadcast(from.event, from.user, target, text, due.as_ref(), &until)
        });
        match stored {
            Ok(id) => {
                info!(
                    broadcast = id,
                    rooms = rooms.len(),
                    "an announcement to several rooms waits for its sender's confirmation"
                );
                Reply {
                    message: replies::broadcast_preview(text, &rooms, due, until),
                    link: Some(Link::Preview(id)),
                }
            }
            Err(err) => Reply::plain(super::commands::sorry(
                err,
                "storing an announcement to confirm",
                "I could not store that announcement",
            )),
        }
    }

    /// `!confirm`: the sender's latest broadcast, if it is still waiting.
    pub(super) fn confirm(&self, out: &impl Outbox, from: &Sender<'_>) -> Message {
        let zone = self.loaded().schedule.timezone();
        let waiting = match self.store.latest_unconfirmed(from.user, zone) {
            Ok(waiting) => waiting,
            Err(err) => {
                return super::commands::sorry(err, "reading announcements to confirm", "I could not read that")
            }
        };
        let Some(broadcast) = waiting else {
            return self.refused(&Refusal::NothingToConfirm { expired: None });
        };
        if broadcast.until < self.clock.now() {
            return self.refused(&Refusal::NothingToConfirm {
                expired: Some(broadcast.until),
            });
        }
        match self.send_broadcast(out, &broadcast, from.event) {
            Ok(Some(message)) => message,
            Ok(None) => self.refused(&Refusal::NothingToConfirm { expired: None }),
            Err(err) => super::commands::sorry(err, "confirming an announcement", "I could not store that"),
        }
    }

    /// Stores a confirmed broadcast as an announcement (once: `None` when it was
    /// confirmed before) and shows the confirmation in its preview; the words.
    fn send_broadcast(&self, out: &impl Outbox, broadcast: &Broadcast, by: &str) -> anyhow::Result<Option<Message>> {
        let due = broadcast.due.unwrap_or_else(|| self.clock.now());
        let Some(id) = self.store.act(by, |acts| acts.confirm_broadcast(broadcast.id, &due))? else {
            return Ok(None);
        };
        self.schedule_changed.notify_one();
        let rooms = self.config.rooms.targets(&broadcast.target).len();
        info!(
            broadcast = broadcast.id,
            announcement = id,
            rooms,
            "an announcement to several rooms confirmed"
        );
        let message = replies::broadcast_confirmed(id, &broadcast.text, rooms, broadcast.due)
            .with_prefix(&self.config.commands.prefix);
        if let (Some(room), Some(preview)) = (broadcast.room.clone(), broadcast.preview.clone()) {
            let (out, edited) = (out.clone(), message.clone());
            tokio::spawn(async move {
                let key = format!("confirmed:{preview}");
                if let Err(err) = out.edit(&room, &preview, &edited, true, &key).await {
                    warn!(error = %err, "could not show the confirmation in the preview");
                }
            });
        }
        Ok(Some(message))
    }
}

/// The broadcast whose preview or command is `event`, if any.
pub fn reacted_to(bot: &Bot, event: &str) -> Option<Broadcast> {
    let zone = bot.loaded().schedule.timezone();
    match bot.store.broadcast_of_event(event, zone) {
        Ok(broadcast) => broadcast,
        Err(err) => {
            warn!(error = %format!("{err:#}"), "reading the announcements to confirm");
            None
        }
    }
}

/// Links a broadcast to its preview, sent as event `event` in `room`.
pub fn link_preview(bot: &Bot, id: i64, room: &str, event: &str) {
    bot.stored(bot.store.link_preview(id, room, event), "linking a preview");
}

/// A reaction `key` from `user` (event `reaction`) on a broadcast's preview or command:
/// its sender's ✅ within its time sends it.
pub async fn react(bot: &Bot, out: &impl Outbox, broadcast: &Broadcast, key: &str, user: &str, reaction: &str) {
    if !CONFIRMING.contains(&key) || user != broadcast.sender {
        return;
    }
    if broadcast.until < bot.clock.now() {
        info!(
            broadcast = broadcast.id,
            "a ✅ after the announcement stopped waiting; not sent"
        );
        return;
    }
    match bot.send_broadcast(out, broadcast, reaction) {
        Ok(_) => {}
        Err(err) if err.is::<ActedBefore>() => {}
        Err(err) => warn!(error = %format!("{err:#}"), "confirming an announcement"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{bot, next, say, start, within};
    use crate::command::{Command, Role};
    use std::time::Duration;

    /// `text` from the organizer as event `event`, answered; the reply.
    async fn ask(bot: &Bot, out: &impl Outbox, event: &str, text: &str) -> Reply {
        let from = Sender {
            user: "@org:x",
            name: "Org",
            role: Role::Organizer,
            scope: None,
            place: None,
            backstage: None,
            event,
        };
        bot.answer(out, &from, &Ok(Command::parse(text).unwrap().unwrap()))
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn an_announcement_to_two_rooms_waits_for_its_senders_check_mark_and_goes_once() {
        let bot = bot(
            "announcements = [\"#a:x\", \"#b:x\"]\nmoderators = \"#mods:x\"\n",
            (9, 10, 0),
            1.0,
        );
        let mut run = start(&bot, &[], true);
        let out = run.out.clone();
        let preview = ask(&bot, &out, "$ask", "!announce to all Doors open").await;
        assert_eq!(
            preview.message.body(),
            "This announcement goes to 2 rooms as soon as you confirm: #a:x, #b:x. React ✅ to this message or send !confirm by 09:20 to send it; nothing goes out otherwise.\n> Doors open"
        );
        let Some(Link::Preview(id)) = preview.link else {
            panic!("{:?}", preview.link)
        };
        link_preview(&bot, id, "!hall:x", "$preview");
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(run.inbox.try_recv().is_err(), "nothing goes out unconfirmed");
        let waiting = reacted_to(&bot, "$preview").expect("the preview is known");
        // Someone else's ✅, and the sender's other reactions, send nothing.
        react(&bot, &out, &waiting, "✅", "@ann:x", "$other").await;
        react(&bot, &out, &waiting, "👍", "@org:x", "$thumb").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(run.inbox.try_recv().is_err());
        react(&bot, &out, &waiting, "✅", "@org:x", "$yes").await;
        let mut got = [
            next(&mut run.inbox).await,
            next(&mut run.inbox).await,
            next(&mut run.inbox).await,
        ];
        got.sort();
        assert_eq!(got[0], ("!hall:x".into(), "(edited $preview) Confirmed: announcement 1 goes to 2 rooms now. !cancel 1 takes it back while it waits.\n> Doors open".into()));
        assert_eq!(
            got[1..],
            [
                ("#a:x".into(), "Doors open".into()),
                ("#b:x".into(), "Doors open".into())
            ]
        );
        // The ✅ again (a replay), another ✅ and `!confirm`: nothing more goes out.
        let confirmed = reacted_to(&bot, "$ask").expect("found by its command too");
        react(&bot, &out, &confirmed, "✅", "@org:x", "$yes").await;
        react(&bot, &out, &confirmed, "✔️", "@org:x", "$yes-again").await;
        let reply = say(&bot, &out, "@org:x", Role::Organizer, "$confirm", "!confirm").await;
        assert_eq!(reply, "No announcement of yours is waiting to be confirmed.");
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(run.inbox.try_recv().is_err(), "sent once");
    }

    #[tokio::test(start_paused = true)]
    async fn confirm_sends_within_ten_minutes_and_not_after_and_one_room_needs_no_confirmation() {
        let bot = bot(
            "announcements = [\"#a:x\"]\nmoderators = \"#mods:x\"\n",
            (9, 10, 0),
            1.0,
        );
        let mut run = start(&bot, &[], true);
        let out = run.out.clone();
        let one = ask(&bot, &out, "$one", "!announce Coffee is ready").await;
        assert!(
            one.message
                .body()
                .starts_with("Announcement 1 will go to announcements now."),
            "{}",
            one.message.body()
        );
        assert_eq!(next(&mut run.inbox).await, ("#a:x".into(), "Coffee is ready".into()));
        let preview = ask(&bot, &out, "$two", "!announce in 30m to #a:x,moderators Lunch at noon").await;
        assert!(
            preview
                .message
                .body()
                .starts_with("This announcement goes to 2 rooms at Friday 3 February 2023 at 09:40 CET"),
            "{}",
            preview.message.body()
        );
        tokio::time::sleep(Duration::from_secs(9 * 60)).await;
        let confirmed = say(&bot, &out, "@org:x", Role::Organizer, "$ok", "!confirm").await;
        assert!(
            confirmed.starts_with("Confirmed: announcement 2 goes to 2 rooms at Friday 3 February 2023 at 09:40 CET."),
            "{confirmed}"
        );
        let late = ask(&bot, &out, "$three", "!announce to all,moderators Too late").await;
        assert!(late.message.body().contains("by 09:29"), "{}", late.message.body());
        tokio::time::sleep(Duration::from_secs(10 * 60 + 1)).await;
        let refused = say(&bot, &out, "@org:x", Role::Organizer, "$ok-2", "!confirm").await;
        assert_eq!(
            refused,
            "No announcement of yours is waiting to be confirmed: the last one waited until Friday 3 February 2023 at 09:29 CET and was not sent. Send it again to go on."
        );
        // At 09:40 the confirmed one goes to both rooms; the expired one never does.
        let hour = Duration::from_secs(3600);
        let mut got = Vec::new();
        while got.len() < 2 {
            let (room, body) = within(&mut run.inbox, hour).await;
            if body.contains("Lunch") {
                got.push((room, body)); // the schedule's reminders go on meanwhile
            }
        }
        got.sort();
        assert_eq!(
            got,
            [
                ("#a:x".into(), "Lunch at noon".into()),
                ("#mods:x".into(), "Lunch at noon".into())
            ]
        );
        assert_eq!(bot.clock.now().format("%H:%M").to_string(), "09:40");
        tokio::time::sleep(Duration::from_secs(60 * 60)).await;
        while let Ok((room, body)) = run.inbox.try_recv() {
            assert!(!body.contains("Too late"), "{room}: {body}");
        }
    }
}
