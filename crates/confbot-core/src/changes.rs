//! What changed between two versions of a schedule, in the words attendees need: a session
//! moved, changed room, was cancelled, is new, or is back. A session one fetch leaves out
//! is kept until a second fetch in a row leaves it out too ([`carry_over`]): a source that
//! drops a session by mistake for one fetch cancels nothing.

use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::schedule::{Schedule, Session};
use std::collections::BTreeSet;

/// One change a new schedule brings.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'s> {
    Moved {
        old: &'s Session,
        new: &'s Session,
    },
    NewRoom {
        old: &'s Session,
        new: &'s Session,
    },
    Cancelled(&'s Session),
    Added(&'s Session),
    /// Announced as cancelled before, and back in this schedule.
    Reinstated(&'s Session),
}

impl Change<'_> {
    /// The session as it stands after the change (as it was, when cancelled).
    pub fn session(&self) -> &Session {
        match self {
            Change::Moved { new, .. } | Change::NewRoom { new, .. } => new,
            Change::Cancelled(session) | Change::Added(session) | Change::Reinstated(session) => session,
        }
    }
}

/// `new` with the sessions of `old` that it leaves out for the first time put back (with
/// their speakers); and the ids it leaves out now for the first time. `missing_once` holds
/// those the fetch before left out: left out again, they are gone for good.
pub fn carry_over(old: &Schedule, new: Schedule, missing_once: &BTreeSet<String>) -> (Schedule, BTreeSet<String>) {
    let left_out: Vec<&Session> = (old.sessions().iter())
        .filter(|s| new.session(&s.id).is_none() && !missing_once.contains(&s.id))
        .collect();
    if left_out.is_empty() {
        return (new, BTreeSet::new());
    }
    let mut sessions = new.sessions().to_vec();
    let mut speakers = new.speakers().to_vec();
    for session in &left_out {
        for id in &session.speakers {
            if new.speaker(id).is_none() && !speakers.iter().any(|s| &s.id == id) {
                speakers.extend(old.speaker(id).cloned());
            }
        }
        sessions.push((*session).clone());
    }
    let ids = left_out.iter().map(|s| s.id.clone()).collect();
    (Schedule::new(new.conference().clone(), sessions, speakers), ids)
}

/// `changes` with each addition of a session in `cancelled` (announced as cancelled
/// before) told as its reinstatement.
pub fn reinstated<'s>(changes: Vec<Change<'s>>, cancelled: &BTreeSet<String>) -> Vec<Change<'s>> {
    (changes.into_iter())
        .map(|change| match change {
            Change::Added(session) if cancelled.contains(&session.id) => Change::Reinstated(session),
            other => other,
        })
        .collect()
}

/// The changes from `old` to `new`, by session id, in the new schedule's order (cancelled
/// sessions last).
pub fn diff<'s>(old: &'s Schedule, new: &'s Schedule) -> Vec<Change<'s>> {
    let mut changes = Vec::new();
    for session in new.sessions() {
        match old.session(&session.id) {
            None => changes.push(Change::Added(session)),
            Some(before) if before.start != session.start || before.end != session.end => changes.push(Change::Moved {
                old: before,
                new: session,
            }),
            Some(before) if before.room != session.room => changes.push(Change::NewRoom {
                old: before,
                new: session,
            }),
            Some(_) => {}
        }
    }
    changes.extend(
        old.sessions()
            .iter()
            .filter(|s| new.session(&s.id).is_none())
            .map(Change::Cancelled),
    );
    changes
}

/// The announcement of a new schedule's changes; `None` when nothing attendees see changed.
pub fn announcement(new: &Schedule, changes: &[Change<'_>]) -> Option<Message> {
    if changes.is_empty() {
        return None;
    }
    let mut message = Message::new();
    message.strong("Schedule update:");
    for change in changes.iter().take(15) {
        message.line_break().text("  ");
        match change {
            Change::Moved { old, new: session } => {
                message.text(&format!("moved from {}: ", render::when(old)));
                render::session_line(&mut message, new, session, None);
            }
            Change::NewRoom { old, new: session } => {
                let from = old.room.as_deref().map_or("no room".into(), isolate);
                message.text(&format!("new room (was {from}): "));
                render::session_line(&mut message, new, session, None);
            }
            Change::Cancelled(session) => {
                message
                    .text("cancelled: ")
                    .strong(&isolate(&session.title))
                    .text(&format!(" ({})", render::when(session)));
            }
            Change::Added(session) => {
                message.text("new: ");
                render::session_line(&mut message, new, session, None);
            }
            Change::Reinstated(session) => {
                message.text("back on the schedule: ");
                render::session_line(&mut message, new, session, None);
            }
        }
    }
    if changes.len() > 15 {
        message
            .line_break()
            .text(&format!("…and {} more changes.", changes.len() - 15));
    }
    Some(message)
}

/// The direct message to someone holding a personal reminder for the session `change`
/// is about; `None` for a change that leaves their reminder as it was (a new session).
pub fn to_reminder_holder(change: &Change<'_>) -> Option<Message> {
    let mut message = Message::new();
    message.text("A session you asked me to remind you of ");
    match change {
        Change::Moved { old, new } => {
            message.text("moved: ").strong(&isolate(&new.title)).text(&format!(
                " is now {} (was {}){}. Your reminder moves with it.",
                render::when(new),
                render::when(old),
                new.room
                    .as_deref()
                    .map(|r| format!(", {}", isolate(r)))
                    .unwrap_or_default()
            ));
        }
        Change::NewRoom { old, new } => {
            message
                .text("changed room: ")
                .strong(&isolate(&new.title))
                .text(&format!(
                    " is now in {} (was {}), {}. Your reminder stays.",
                    new.room.as_deref().map_or("no room".into(), isolate),
                    old.room.as_deref().map_or("no room".into(), isolate),
                    render::when(new)
                ));
        }
        Change::Cancelled(session) => {
            message
                .text("was cancelled: ")
                .strong(&isolate(&session.title))
                .text(&format!(" ({}). I dropped your reminder.", render::when(session)));
        }
        Change::Added(_) | Change::Reinstated(_) => return None,
    }
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

    #[test]
    fn a_session_left_out_once_is_kept_and_left_out_twice_is_cancelled_and_its_return_is_a_reinstatement() {
        let text = include_str!("../../../data/centos-connect-2023.toml");
        let full = native::parse(text, "full", None).unwrap().schedule;
        let without = native::parse(&text.replace("id = \"alma\"", "id = \"alma-x\""), "w", None)
            .unwrap()
            .schedule;
        // The first fetch without it: kept, speakers and all, and noted as left out once.
        let (first, once) = carry_over(&full, without.clone(), &BTreeSet::new());
        assert_eq!(once, BTreeSet::from(["alma".to_string()]));
        assert_eq!(first.session("alma"), full.session("alma"));
        assert!(first.speaker("jack").is_some());
        let kinds = |changes: &[Change<'_>]| -> Vec<String> {
            changes
                .iter()
                .map(|c| format!("{:?} {}", std::mem::discriminant(c), c.session().id))
                .collect()
        };
        let changes = diff(&full, &first);
        assert_eq!(changes.len(), 1, "only the renamed copy is new: {:?}", kinds(&changes));
        // The second fetch in a row without it: gone, and announced as cancelled.
        let (second, once) = carry_over(&first, without, &BTreeSet::from(["alma".to_string()]));
        assert!(once.is_empty());
        assert!(second.session("alma").is_none());
        let changes = diff(&first, &second);
        assert!(matches!(changes.as_slice(), [Change::Cancelled(s)] if s.id == "alma"));
        // It comes back: reinstated, not new.
        let changes = reinstated(diff(&second, &full), &BTreeSet::from(["alma".to_string()]));
        let back: Vec<&Change<'_>> = changes.iter().filter(|c| c.session().id == "alma").collect();
        assert!(
            matches!(back.as_slice(), [Change::Reinstated(_)]),
            "{:?}",
            kinds(&changes)
        );
        assert!(announcement(&full, &changes)
            .unwrap()
            .body()
            .contains("back on the schedule: 09:25–09:50 CET  AlmaLinux Build System"));
    }

    #[test]
    fn a_reminder_holder_is_told_what_changed_and_what_became_of_their_reminder() {
        let text = include_str!("../../../data/centos-connect-2023.toml");
        let old = native::parse(text, "old", None).unwrap().schedule;
        let alma = old.session("alma").unwrap();
        let mut later = alma.clone();
        later.start += chrono::TimeDelta::minutes(10);
        later.end += chrono::TimeDelta::minutes(10);
        let mut elsewhere = alma.clone();
        elsewhere.room = Some("Room 2".into());
        let said = |change: Change<'_>| to_reminder_holder(&change).map(|m| m.body().to_string());
        assert_eq!(
            said(Change::Moved { old: alma, new: &later }).as_deref(),
            Some("A session you asked me to remind you of moved: AlmaLinux Build System and Project Updates is now 09:35–10:00 CET (was 09:25–09:50 CET), Pagoda room. Your reminder moves with it.")
        );
        assert_eq!(
            said(Change::NewRoom { old: alma, new: &elsewhere }).as_deref(),
            Some("A session you asked me to remind you of changed room: AlmaLinux Build System and Project Updates is now in Room 2 (was Pagoda room), 09:25–09:50 CET. Your reminder stays.")
        );
        assert_eq!(
            said(Change::Cancelled(alma)).as_deref(),
            Some("A session you asked me to remind you of was cancelled: AlmaLinux Build System and Project Updates (09:25–09:50 CET). I dropped your reminder.")
        );
        assert_eq!(said(Change::Added(alma)), None);
    }

    #[test]
    fn moves_room_changes_cancellations_and_additions_are_announced() {
        let text = include_str!("../../../data/centos-connect-2023.toml");
        let old = native::parse(text, "old", None).unwrap().schedule;
        let changed = text
            .replace("start = \"2023-02-03T15:30\"\nroom = \"Pagoda room\"", "start = \"2023-02-03T15:35\"\nroom = \"Pagoda room\"")
            .replace(
                "id = \"automotive\"\ntitle = \"A year in review 2023 - CentOS Automotive SIG\"\nstart = \"2023-02-03T16:15\"\nroom = \"Pagoda room\"",
                "id = \"automotive\"\ntitle = \"A year in review 2023 - CentOS Automotive SIG\"\nstart = \"2023-02-03T16:15\"\nroom = \"Room 2\"\nend = \"2023-02-03T17:00\"",
            )
            .replace("id = \"hyperscale\"", "id = \"hyperscale-sig\"");
        let new = native::parse(&changed, "new", None).unwrap().schedule;
        let changes = diff(&old, &new);
        let kinds: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::Moved { new, .. } => format!("moved {}", new.id),
                Change::NewRoom { new, .. } => format!("room {}", new.id),
                Change::Cancelled(s) => format!("cancelled {}", s.id),
                Change::Added(s) => format!("added {}", s.id),
                Change::Reinstated(s) => format!("reinstated {}", s.id),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "added hyperscale-sig",
                "moved arm",
                "moved kmods",
                "moved break-afternoon",
                "room automotive",
                "cancelled hyperscale"
            ],
            "open-ended sessions move their end with the next start"
        );
        let message = announcement(&new, &changes).unwrap();
        assert!(
            message
                .body()
                .contains("moved from 15:30–16:00 CET: 15:35–16:00 CET  Kmods SIG Update"),
            "{}",
            message.body()
        );
        assert!(
            message
                .body()
                .contains("new room (was Pagoda room): 16:15–17:00 CET  A year in review 2023"),
            "{}",
            message.body()
        );
        assert!(announcement(&old, &diff(&old, &old)).is_none());
    }

    #[test]
    fn schedule_text_cannot_turn_an_update_around() {
        let text = crate::present::posts::tests::TURNED;
        let old = native::parse(text, "old", None).unwrap().schedule;
        let changed = text
            .replace("room = \"Hall \\u202E1\"", "room = \"Hall \\u202E2\"")
            .replace("id = \"tea\"", "id = \"tea-time\"");
        let new = native::parse(&changed, "new", None).unwrap().schedule;
        let message = announcement(&new, &diff(&old, &new)).unwrap();
        assert_eq!(
            message.body(),
            "Schedule update:\n  \
             new room (was \u{2068}Hall \u{202E}1\u{202C}\u{2069}): 09:00–09:30 CET  \u{2068}Evil \u{202E}talk\u{202C}\u{2069} — \
             \u{2068}Mallory \u{2067}\u{2069}\u{2069} (\u{2068}Hall \u{202E}2\u{202C}\u{2069})\n  \
             new: 09:30–10:00 CET  \u{2068}Tea \u{202E}\u{202C}\u{2069}\n  \
             cancelled: \u{2068}Tea \u{202E}\u{202C}\u{2069} (09:30–10:00 CET)"
        );
    }
}
