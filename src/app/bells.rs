//! 🔔 on a reminder card: the same as `!remind` for the card's session. The card is known
//! by the event id its post was recorded with; the reminder is stored once per reaction
//! event. The first time an attendee uses 🔔 the bot tells them in a direct message what
//! it did; later it acknowledges with a ✅ on the card. Taking the 🔔 back (redacting it)
//! is `!forget` for that session.

use super::{delivery, Bot, Outbox};
use crate::infra::store::ActedBefore;
use crate::plan;
use tracing::{info, warn};

/// The reactions that ask for a reminder.
const BELLS: [&str; 2] = ["🔔", "🔔\u{fe0f}"];

/// The bot's acknowledgement on a card of a later 🔔.
const ACKNOWLEDGED: &str = "✅";

/// The redaction `redaction` of `redacted`: if that was a 🔔 that asked for a reminder,
/// the reminder is forgotten (once); the session.
pub fn unrung(bot: &Bot, redacted: &str, redaction: &str) -> anyhow::Result<Option<String>> {
    let Some((user, session)) = bot.store.bell(redacted)? else {
        return Ok(None);
    };
    match bot
        .store
        .act(redaction, |acts| acts.forget_personal_reminder(&user, &session))
    {
        Ok(forgot) => {
            if forgot {
                bot.schedule_changed.notify_one();
                info!(%session, "a 🔔 was taken back: its reminder is forgotten");
            }
            Ok(forgot.then_some(session))
        }
        Err(err) if err.is::<ActedBefore>() => Ok(None),
        Err(err) => Err(err),
    }
}

/// A reminder card the bot posted: its room, its event and the session it is about.
#[derive(Debug, Clone)]
pub struct Card<'a> {
    pub room: &'a str,
    pub event: &'a str,
    pub session: String,
}

/// The reminder card `event` in `room`, if the bot posted it as one.
pub fn card<'a>(bot: &Bot, room: &'a str, event: &'a str) -> Option<Card<'a>> {
    let key = match bot.store.post_of_event(event) {
        Ok(key) => key?,
        Err(err) => {
            warn!(error = %format!("{err:#}"), "reading which post an event was");
            return None;
        }
    };
    let session = plan::reminder_session(&key)?.to_string();
    Some(Card { room, event, session })
}

/// A reaction `key` from `user` (event `reaction`) on a reminder card: a 🔔 is `!remind`
/// for its session.
pub async fn react(bot: &Bot, out: &impl Outbox, card: Card<'_>, key: &str, user: &str, reaction: &str) {
    if !BELLS.contains(&key) {
        return;
    }
    let (reminder, due) = bot.personal_reminder(user, card.session);
    let loaded = bot.loaded();
    let (Some(session), Some(due)) = (loaded.schedule.session(&reminder.session), due) else {
        info!(session = %reminder.session, "a 🔔 on the card of a session that has started or is gone; nothing to remind of");
        return;
    };
    let added = match bot.store.act(reaction, |acts| {
        acts.add_bell(reaction, user, &reminder.session)?;
        acts.add_personal_reminder(&reminder)
    }) {
        Ok(added) => added,
        Err(err) if err.is::<ActedBefore>() => return, // the same reaction again, after a restart
        Err(err) => {
            warn!(error = %format!("{err:#}"), "storing a reminder asked for with 🔔");
            return;
        }
    };
    if added {
        bot.schedule_changed.notify_one();
    }
    info!(session = %session.id, added, "a reminder asked for with 🔔");
    match bot.stored(bot.store.first_bell(user), "recording a use of 🔔") {
        Some(true) => {
            let message = crate::present::personal::bell_first_use(session, due, added, bot.zone_of(user))
                .with_prefix(&bot.config.commands.prefix);
            let key = format!("bell:{user}");
            delivery::direct_now(bot, out, &key, user, message, false, "what 🔔 on a reminder card does");
        }
        _ => {
            if let Err(err) = out.react(card.room, card.event, ACKNOWLEDGED).await {
                warn!(room = %card.room, error = %err, "could not acknowledge a 🔔");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{bot, next, start, within};
    use crate::infra::store::Delivery;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_bell_on_a_reminder_card_is_remind_with_a_direct_message_the_first_time_and_a_check_mark_later() {
        let bot = bot("announcements = [\"#a:x\"]\n", (8, 40, 0), 1.0);
        let mut run = start(&bot, &[], true);
        let out = run.out.clone();
        // Two cards the posting loop sent, as the store recorded them.
        let zone = bot.loaded().schedule.timezone();
        for (session, card) in [("rheldevel", "$card-1"), ("alma", "$card-2")] {
            let start = crate::time::rfc3339(&bot.loaded().schedule.session(session).unwrap().start);
            let key = format!("reminder:{session}:600:{start}");
            bot.store
                .record_delivery(&key, "#a:x", Delivery::Sent, Some(card), 0)
                .unwrap();
        }
        let card = |event| super::card(&bot, "!a:x", event).expect("a card");
        assert_eq!(card("$card-1").session, "rheldevel");
        assert!(super::card(&bot, "!a:x", "$elsewhere").is_none());
        // A reaction that is not a bell does nothing.
        react(&bot, &out, card("$card-1"), "👍", "@ann:x", "$thumb").await;
        react(&bot, &out, card("$card-1"), "🔔", "@ann:x", "$bell-1").await;
        let (to, body) = next(&mut run.inbox).await;
        assert_eq!(to, "@ann:x");
        assert!(
            body.starts_with("You reacted 🔔 to a reminder card. I will send you a direct message at Friday 3 February 2023 at 08:50 CET, 10m before CentOS Stream: RHEL development in public. !forget rheldevel cancels it."),
            "{body}"
        );
        assert!(body.contains("!reminders lists yours"), "{body}");
        let mine = |bot: &Bot| bot.store.personal_reminders(Some("@ann:x"), zone).unwrap();
        assert_eq!(mine(&bot).len(), 1);
        // The same reaction again (a restart's replay): nothing new.
        react(&bot, &out, card("$card-1"), "🔔", "@ann:x", "$bell-1").await;
        // A later bell: acknowledged on the card, no second direct message.
        react(&bot, &out, card("$card-2"), "🔔\u{fe0f}", "@ann:x", "$bell-2").await;
        assert_eq!(
            next(&mut run.inbox).await,
            ("!a:x".into(), "(reacts ✅ to $card-2)".into())
        );
        assert_eq!(mine(&bot).len(), 2);
        // The reminder itself comes at 08:50.
        let mut direct = None;
        while direct.is_none() {
            let (to, body) = within(&mut run.inbox, Duration::from_secs(15 * 60)).await;
            if to == "@ann:x" {
                direct = Some(body);
            }
        }
        assert!(direct.unwrap().contains("CentOS Stream: RHEL development in public"));
        // Taking the second bell back forgets its reminder, once.
        use crate::app::redactions::{redacted, Redacted};
        assert_eq!(
            redacted(&bot, &out, "$bell-2", "$unbell").await,
            Some(Redacted::Unrung("alma".into()))
        );
        assert_eq!(redacted(&bot, &out, "$bell-2", "$unbell").await, None, "a replay");
        assert!(mine(&bot).iter().all(|r| r.session != "alma"), "{:?}", mine(&bot));
        assert_eq!(bot.clock.now().format("%H:%M").to_string(), "08:50");
    }
}
