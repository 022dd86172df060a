//! Second thoughts from chat: redactions (of an `!ask`, a 👍, a moderator's ✅ ❌ 💬, a 🔔
//! on a reminder card) and edits (`m.replace`) of an `!ask`, handed to the app. An edit is never
//! taken for a new command.

use super::*;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::serde::Raw;

/// A redaction by anyone but the bot: whatever it takes back of the questions or reminders.
pub(super) async fn on_redaction(event: OriginalSyncRoomRedactionEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
    if event.sender == matrix.own_user {
        return; // the bot's own, of a question's posts
    }
    // Where the redacted id is depends on the room version (`content.redacts` from v11).
    let rules = room.clone_info().room_version_rules_or_default().redaction;
    let redacted = event.redacts(&rules);
    let done = app::redactions::redacted(&matrix.bot, &matrix.out, redacted.as_str(), event.event_id.as_str()).await;
    if let Some(done) = done {
        debug!(?done, redacted = %redacted, "acted on a redaction");
    }
}

/// Whether a message replaces another (`m.replace`): an edit, not a command.
pub(super) fn is_edit(event: &OriginalSyncRoomMessageEvent) -> bool {
    matches!(event.content.relates_to, Some(Relation::Replacement(_)))
}

/// Whether an event from the history was redacted (`unsigned.redacted_because`): a
/// command taken back is not answered.
pub(super) fn was_redacted<T>(event: &Raw<T>) -> bool {
    #[derive(serde::Deserialize)]
    struct Unsigned {
        redacted_because: Option<serde::de::IgnoredAny>,
    }
    matches!(
        event.get_field::<Unsigned>("unsigned"),
        Ok(Some(Unsigned {
            redacted_because: Some(_)
        }))
    )
}

/// An edit: if it edits an `!ask` into another `!ask`, the question's text may change.
pub(super) async fn on_edit(event: OriginalSyncRoomMessageEvent, room: Room, matrix: &Matrix) {
    if room.state() != RoomState::Joined || event.sender == matrix.own_user {
        return;
    }
    let Some(Relation::Replacement(replacement)) = &event.content.relates_to else {
        return;
    };
    let MessageType::Text(text) = &replacement.new_content.msgtype else {
        return;
    };
    let Some(Ok(Command::Ask { text, .. })) =
        hear(matrix, &room, &text.body, replacement.new_content.mentions.as_ref())
    else {
        return; // no longer a question: the question stays as asked
    };
    app::redactions::edited(
        &matrix.bot,
        &matrix.out,
        replacement.event_id.as_str(),
        &text,
        event.event_id.as_str(),
        event.sender.as_str(),
        room.room_id().as_str(),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_event_from_the_history_is_told_from_a_live_one() {
        let redacted: Raw<serde_json::Value> = serde_json::from_str(
            r#"{"type":"m.room.message","content":{},"sender":"@a:h","event_id":"$1","origin_server_ts":1,
                "unsigned":{"redacted_because":{"type":"m.room.redaction","sender":"@a:h"}}}"#,
        )
        .unwrap();
        let live: Raw<serde_json::Value> = serde_json::from_str(
            r#"{"type":"m.room.message","content":{"msgtype":"m.text","body":"!ask x"},"sender":"@a:h",
                "event_id":"$2","origin_server_ts":1,"unsigned":{"age":5}}"#,
        )
        .unwrap();
        assert!(was_redacted(&redacted));
        assert!(!was_redacted(&live));
    }

    #[test]
    fn an_edit_of_an_ask_is_not_a_command() {
        let edit: OriginalSyncRoomMessageEvent = serde_json::from_value(serde_json::json!({
            "type": "m.room.message", "sender": "@a:h", "event_id": "$2", "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "!ask Why not?",
                "m.new_content": {"msgtype": "m.text", "body": "!ask Why not?"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$1"}}
        }))
        .unwrap();
        assert!(is_edit(&edit));
        let ask: OriginalSyncRoomMessageEvent = serde_json::from_value(serde_json::json!({
            "type": "m.room.message", "sender": "@a:h", "event_id": "$1", "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "!ask Why?"}
        }))
        .unwrap();
        assert!(!is_edit(&ask));
    }
}
