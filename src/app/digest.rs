//! A digest: the posts due at one instant in one room go out there as one message, a line
//! or two for each. At the top of an hour at FOSDEM dozens of sessions start at once, and
//! an announcements room that got a message for each would get them one after another
//! from its courier, a round trip each, the last one seconds late (and marked late); one
//! message is one send, and one notification for the people in the room. Only reminders
//! (the room's and an attendee's own) are gathered: a speaker's cue speaks to one speaker,
//! and an announcement is an organizer's own words.

use super::delivery::Parcel;
use crate::infra::metrics::PostKind;
use crate::present::message::MAX_BYTES;

/// `parcels`, of one post each, with those for one room due at the same instant merged in
/// the order they came, as long as the message fits one event.
pub fn merge(parcels: Vec<Parcel>) -> Vec<Parcel> {
    let mut merged: Vec<Parcel> = Vec::with_capacity(parcels.len());
    for parcel in parcels {
        match merged
            .iter_mut()
            .find(|digest| together(digest, &parcel) && fits(digest, &parcel))
        {
            Some(digest) => {
                digest.message.line_break().append(&parcel.message);
                digest.late.line_break().append(&parcel.late);
                digest.parts.extend(parcel.parts);
            }
            None => merged.push(parcel),
        }
    }
    merged
}

/// Whether two parcels can be one message: reminders for the same room at the same
/// instant, sent the same way (as a notice or not, notifying the same people, late or not).
fn together(digest: &Parcel, parcel: &Parcel) -> bool {
    matches!(parcel.kind, PostKind::Reminder | PostKind::Personal)
        && digest.to == parcel.to
        && digest.due == parcel.due
        && digest.kind == parcel.kind
        && digest.notice == parcel.notice
        && digest.expires == parcel.expires
        && digest.late_already() == parcel.late_already()
        && digest.message.mentions() == parcel.message.mentions()
}

/// Whether the digest with the parcel still fits one event, in both its forms.
fn fits(digest: &Parcel, parcel: &Parcel) -> bool {
    // A line break is one byte of plain text and five of HTML.
    let size = |a: &crate::present::message::Message, b: &crate::present::message::Message| {
        a.body().len() + a.html().len() + b.body().len() + b.html().len() + 6
    };
    size(&digest.message, &parcel.message) <= MAX_BYTES && size(&digest.late, &parcel.late) <= MAX_BYTES
}

#[cfg(test)]
mod tests {
    use super::super::delivery::{parcels, Address};
    use super::*;
    use crate::infra::store::Outcome;
    use crate::present::message::Message;
    use chrono::{DateTime, TimeZone};
    use chrono_tz::Tz;

    fn at(minute: u32) -> DateTime<Tz> {
        chrono_tz::Europe::Brussels
            .with_ymd_and_hms(2023, 2, 4, 10, minute, 0)
            .unwrap()
    }

    fn room(name: &str) -> Address {
        Address::Room(name.to_string())
    }

    /// The parcels of the reminder of session `n`, due at `due`, in its own room and in the
    /// announcements room.
    fn reminder(n: usize, due: DateTime<Tz>, text: &str) -> Vec<Parcel> {
        parcels(
            &format!("reminder:s{n}"),
            vec![room(&format!("#room{n}:x")), room("#announce:x")],
            Message::plain(text),
            Message::plain(&format!("(late) {text}")),
            true,
            due,
            PostKind::Reminder,
            Outcome::Sent,
            format!("reminder before s{n}"),
        )
    }

    #[test]
    fn twenty_three_sessions_due_at_once_are_one_message_in_the_announcements_room() {
        let handed: Vec<Parcel> = (0..23)
            .flat_map(|n| reminder(n, at(25), &format!("In 5 minutes: session {n}")))
            .collect();
        let merged = merge(handed);
        let announce: Vec<&Parcel> = merged.iter().filter(|p| p.to == room("#announce:x")).collect();
        assert_eq!(announce.len(), 1, "one send to the announcements room");
        let lines: Vec<String> = (0..23).map(|n| format!("In 5 minutes: session {n}")).collect();
        assert_eq!(announce[0].message.body(), lines.join("\n"));
        let late: Vec<String> = lines.iter().map(|line| format!("(late) {line}")).collect();
        assert_eq!(announce[0].late.body(), late.join("\n"));
        let keys: Vec<&str> = announce[0].parts.iter().map(|part| part.key.as_str()).collect();
        assert_eq!(keys.len(), 23);
        assert_eq!((keys[0], keys[22]), ("reminder:s0", "reminder:s22"));
        // Each session's own room still gets its own message: 23 of them, and 1.
        assert_eq!(merged.len(), 24);
    }

    #[test]
    fn posts_due_at_other_instants_sent_otherwise_or_not_reminders_are_not_merged() {
        let mut handed = reminder(1, at(25), "In 5 minutes: one");
        handed.extend(reminder(2, at(30), "Starting now: two"));
        let mut late = reminder(3, at(25), "(late) In 5 minutes: three");
        for parcel in &mut late {
            parcel.parts[0].outcome = Outcome::Late;
        }
        handed.extend(late);
        let mut loud = reminder(4, at(25), "In 5 minutes: four");
        for parcel in &mut loud {
            parcel.notice = false;
        }
        handed.extend(loud);
        let mut cues = reminder(5, at(25), "Ann: you're on in 5 minutes");
        cues.extend(reminder(6, at(25), "Bob: 5 minutes left"));
        for parcel in &mut cues {
            parcel.kind = PostKind::Cue;
        }
        handed.extend(cues);
        let announce = merge(handed)
            .into_iter()
            .filter(|p| p.to == room("#announce:x"))
            .count();
        assert_eq!(announce, 6);
    }

    #[test]
    fn a_digest_that_would_not_fit_one_event_goes_out_as_two() {
        let long = "x".repeat(MAX_BYTES / 3);
        let handed: Vec<Parcel> = (0..2).flat_map(|n| reminder(n, at(25), &long)).collect();
        let announce: Vec<Parcel> = merge(handed)
            .into_iter()
            .filter(|p| p.to == room("#announce:x"))
            .collect();
        assert_eq!(announce.len(), 2);
        assert!(announce
            .iter()
            .all(|p| p.message.body().len() + p.message.html().len() <= MAX_BYTES));
    }
}
