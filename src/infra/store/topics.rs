//! The topic the bot last set in each room, so that a restart sets none again that
//! already shows, and a topic is set only when its text changes.

use super::Store;
use rusqlite::{params, OptionalExtension};

pub(super) const TABLE: &str = "CREATE TABLE IF NOT EXISTS topics (
    room TEXT PRIMARY KEY,
    shown TEXT NOT NULL
)";

impl Store {
    /// The topic the bot last set in `room` (as the config names it), if any.
    pub fn topic(&self, room: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .connection()
            .query_row("SELECT shown FROM topics WHERE room = ?1", params![room], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Records that `room`'s topic now reads `shown`.
    pub fn topic_shown(&self, room: &str, shown: &str) -> anyhow::Result<()> {
        self.connection().execute(
            "INSERT OR REPLACE INTO topics (room, shown) VALUES (?1, ?2)",
            params![room, shown],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rooms_topic_is_kept_across_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.topic("#a:x").unwrap(), None);
        store.topic_shown("#a:x", "Now: one").unwrap();
        store.topic_shown("#a:x", "Now: two").unwrap();
        store.topic_shown("#b:x", "Next: three").unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.topic("#a:x").unwrap().as_deref(), Some("Now: two"));
        assert_eq!(store.topic("#b:x").unwrap().as_deref(), Some("Next: three"));
    }
}
