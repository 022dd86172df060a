//! The one check that reads the whole schedule once it is built: sessions in one room
//! that overlap. A warning, not an error, and shared by every format.

use crate::schedule::{Diagnostic, Schedule, Session};
use crate::{text, time};
use std::collections::HashMap;

/// How much of another session's title and id an overlap warning quotes: one long
/// session overlapped by thousands would otherwise be copied into each warning.
const SHOWN_CHARS: usize = 60;

/// Sessions in one room that overlap: a warning, since some conferences mean it.
pub fn overlaps(schedule: &Schedule, source: &str) -> Vec<Diagnostic> {
    let mut last_by_room: HashMap<&str, &Session> = HashMap::new();
    let mut warnings = Vec::new();
    for session in schedule.sessions() {
        let Some(room) = session.room.as_deref() else {
            continue;
        };
        if let Some(previous) = last_by_room.get(room) {
            if session.start < previous.end {
                warnings.push(Diagnostic::warning(
                    source,
                    None,
                    Some(&session.id),
                    format!(
                        "starts at {} in \"{room}\" while \"{}\" ({}) runs there until {}",
                        time::clock(&session.start),
                        text::clip(&previous.title, SHOWN_CHARS),
                        text::clip(&previous.id, SHOWN_CHARS),
                        time::clock(&previous.end)
                    ),
                ));
            }
        }
        let keep = match last_by_room.get(room) {
            Some(previous) => previous.end >= session.end,
            None => false,
        };
        if !keep {
            last_by_room.insert(room, session);
        }
    }
    warnings
}
