//! What changed between two versions of a schedule, in the words attendees need: a session
//! moved, changed room, was cancelled, or is new.

use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::schedule::{Schedule, Session};

/// One change a new schedule brings.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'s> {
    Moved { old: &'s Session, new: &'s Session },
    NewRoom { old: &'s Session, new: &'s Session },
    Cancelled(&'s Session),
    Added(&'s Session),
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
        }
    }
    if changes.len() > 15 {
        message
            .line_break()
            .text(&format!("…and {} more changes.", changes.len() - 15));
    }
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

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
