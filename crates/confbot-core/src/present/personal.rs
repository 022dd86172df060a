//! The words of an attendee's own reminders (`!remind`, `!reminders`, `!forget`, and the
//! direct message itself); what they decide is in [`crate::plan::personal`].

use crate::duration;
use crate::plan::PersonalReminder;
use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::schedule::{Schedule, Session};
use crate::time;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;

/// The reply to `!remind`, once stored: when the direct message will come (`added`:
/// false if the attendee had it already), in the attendee's zone if they set one.
pub fn set(session: &Session, due: DateTime<Tz>, added: bool, zone: Option<Tz>) -> Message {
    let mut message = Message::new();
    message.text(if added {
        "I will send you a direct message "
    } else {
        "You already have a reminder: I will write "
    });
    message.text(&format!(
        "at {}, {} before ",
        render::instant_for(&due, zone),
        duration::Compact(session.start - due)
    ));
    message
        .strong(&session.title)
        .text(". ")
        .command(&format!("forget {}", session.id))
        .text(" cancels it.");
    message
}

/// The direct message to an attendee the first time they react 🔔 to a reminder card:
/// what it did (as `!remind` would say) and how to use and undo it.
pub fn bell_first_use(session: &Session, due: DateTime<Tz>, added: bool, zone: Option<Tz>) -> Message {
    let mut message = Message::plain("You reacted 🔔 to a reminder card. ");
    message.append(&set(session, due, added, zone));
    message
        .line_break()
        .text("🔔 on any reminder card does the same; I confirm later ones with a ✅ on the card. ")
        .command("reminders")
        .text(" lists yours.");
    message
}

/// The reply to `!forget`, once the reminder is gone.
pub fn forgotten(session: &str) -> String {
    format!("Your reminder for {session} is cancelled.")
}

/// The direct message of a personal reminder, sent at `at`, with the times also in the
/// attendee's own zone when they set one.
pub fn message(schedule: &Schedule, session: &Session, at: DateTime<Tz>, zone: Option<Tz>, late: bool) -> Message {
    let mut message = Message::new();
    if late {
        message.em("(late) ");
    }
    message
        .text(&format!("Your reminder: {}, ", render::relative(at, session.start)))
        .strong(&isolate(&session.title));
    let speakers = render::speaker_names(schedule, session);
    if !speakers.is_empty() {
        message.text(&format!(" — {speakers}"));
    }
    message.text(" · ");
    if let Some(room) = &session.room {
        message.text(&format!("{} · ", isolate(room)));
    }
    message.text(&render::when_for(session, zone));
    if let Some(url) = &session.url {
        message.line_break().link(url, url);
    }
    message
}

/// `!reminders`: an attendee's own reminders, by start, with when each will be sent.
pub fn list(schedule: &Schedule, mine: &[PersonalReminder], lead: TimeDelta, zone: Option<Tz>) -> Message {
    let mut upcoming: Vec<(&Session, DateTime<Tz>)> = mine
        .iter()
        .filter_map(|p| Some((schedule.session(&p.session)?, p.due(schedule, lead)?)))
        .collect();
    upcoming.sort_by_key(|(session, _)| session.start);
    let mut message = Message::new();
    if upcoming.is_empty() {
        return Message::naming(
            "You have no reminders. Send ",
            "remind SESSION",
            " for a direct message before it starts.",
        );
    }
    message.text("Your reminders:");
    for (session, due) in upcoming {
        message.line_break().text("  ");
        render::session_line(&mut message, schedule, session, zone);
        message.text(&format!(" — I will write at {} [{}]", time::clock(&due), session.id));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, centos};

    #[test]
    fn a_personal_reminder_gives_the_time_in_the_attendees_zone_too() {
        let s = centos();
        let asked = |at_: &str| PersonalReminder {
            user: "@ann:example.org".into(),
            session: "rocky".into(),
            asked_at: at(&s, at_),
        };
        let lead = TimeDelta::minutes(10);
        let rocky = s.session("rocky").unwrap();
        assert_eq!(
            message(&s, rocky, at(&s, "2023-02-03T14:30"), Some(chrono_tz::America::New_York), false).body(),
            "Your reminder: in 10 minutes, Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux — Neil Hanlon · Pagoda room · 14:40–15:05 CET (08:40–09:05 EST)\nhttps://connect.centos.org/#rocky"
        );
        let listed = list(&s, &[asked("2023-02-03T09:00")], lead, None);
        assert!(
            listed
                .body()
                .starts_with("Your reminders:\n  14:40–15:05 CET  Introduction to Rocky Linux"),
            "{}",
            listed.body()
        );
        assert!(
            listed.body().ends_with("— I will write at 14:30 [rocky]"),
            "{}",
            listed.body()
        );
        assert!(list(&s, &[], lead, None).body().starts_with("You have no reminders."));
        let due = at(&s, "2023-02-03T14:30");
        assert_eq!(
            set(rocky, due, true, Some(chrono_tz::America::New_York)).body(),
            "I will send you a direct message at Friday 3 February 2023 at 14:30 CET (08:30 EST), 10m before Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux. !forget rocky cancels it."
        );
        assert!(set(rocky, due, false, None).body().starts_with(
            "You already have a reminder: I will write at Friday 3 February 2023 at 14:30 CET, 10m before "
        ));
    }
}
