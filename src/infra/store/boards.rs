//! The question boards: for each, the one message that shows it (its event id, so that a
//! restart edits the same message instead of posting a second board for the session),
//! what it last showed, and whether it has reached its final state.

use super::Store;
use rusqlite::{params, OptionalExtension};

/// One board as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBoard {
    /// `questions::board_key`: the room and the session.
    pub key: String,
    /// The room, as the config names it.
    pub room: String,
    pub session_id: String,
    /// The message that shows it.
    pub event_id: String,
    /// The plain body it last showed: the same text again needs no edit.
    pub shown: String,
    /// It shows its session ended: it is never edited again.
    pub ended: bool,
    /// How many times it was edited: the next edit's number names it, so that the same
    /// edit sent again after a crash is one edit, and a state shown again (a question
    /// approved, then rejected) is a new one.
    pub edits: u32,
}

const TABLE: &str = "CREATE TABLE IF NOT EXISTS boards (
    key TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    session_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    shown TEXT NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0,
    edits INTEGER NOT NULL DEFAULT 0
)";

/// Creates the boards table, or adds the edit count to one made before it.
pub(super) fn create(connection: &rusqlite::Connection) -> anyhow::Result<()> {
    connection.execute(TABLE, [])?;
    if !super::upgrade::has_column(connection, "boards", "edits")? {
        connection.execute_batch("ALTER TABLE boards ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;")?;
    }
    Ok(())
}

impl Store {
    /// The board `key`, if it was posted.
    pub fn board(&self, key: &str) -> anyhow::Result<Option<StoredBoard>> {
        Ok(self
            .connection()
            .query_row(
                "SELECT key, room, session_id, event_id, shown, ended, edits FROM boards WHERE key = ?1",
                params![key],
                read,
            )
            .optional()?)
    }

    /// The boards posted in `room` that have not reached their final state.
    pub fn open_boards(&self, room: &str) -> anyhow::Result<Vec<StoredBoard>> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT key, room, session_id, event_id, shown, ended, edits FROM boards WHERE room = ?1 AND ended = 0",
        )?;
        let boards = statement.query_map(params![room], read)?.collect::<Result<_, _>>()?;
        Ok(boards)
    }

    /// Records a board just posted as `event_id`, showing `shown`.
    pub fn add_board(
        &self,
        key: &str,
        room: &str,
        session_id: &str,
        event_id: &str,
        shown: &str,
    ) -> anyhow::Result<()> {
        self.connection().execute(
            "INSERT OR REPLACE INTO boards (key, room, session_id, event_id, shown, ended) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![key, room, session_id, event_id, shown],
        )?;
        Ok(())
    }

    /// Records what board `key` shows now, and whether that is its final state; a
    /// change of text counts as an edit.
    pub fn board_shown(&self, key: &str, shown: &str, ended: bool) -> anyhow::Result<()> {
        self.connection().execute(
            "UPDATE boards SET shown = ?2, ended = ?3, edits = edits + (shown != ?2) WHERE key = ?1",
            params![key, shown, ended],
        )?;
        Ok(())
    }
}

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBoard> {
    Ok(StoredBoard {
        key: row.get(0)?,
        room: row.get(1)?,
        session_id: row.get(2)?,
        event_id: row.get(3)?,
        shown: row.get(4)?,
        ended: row.get(5)?,
        edits: row.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_is_kept_edited_and_closed_across_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.board("board:#b:s1").unwrap(), None);
        store
            .add_board("board:#b:s1", "#b", "s1", "$one", "Talk · 3 votes")
            .unwrap();
        store.add_board("board:#c:s2", "#c", "s2", "$two", "Other").unwrap();
        store.board_shown("board:#b:s1", "Talk · 4 votes", false).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let board = store.board("board:#b:s1").unwrap().unwrap();
        assert_eq!(
            (board.event_id.as_str(), board.shown.as_str(), board.ended, board.edits),
            ("$one", "Talk · 4 votes", false, 1)
        );
        assert_eq!(store.open_boards("#b").unwrap(), [board]);
        store.board_shown("board:#b:s1", "Talk · ended", true).unwrap();
        assert_eq!(store.board("board:#b:s1").unwrap().unwrap().edits, 2);
        assert!(store.open_boards("#b").unwrap().is_empty());
        assert_eq!(store.open_boards("#c").unwrap().len(), 1);
    }
}
