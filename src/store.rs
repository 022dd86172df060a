//! The bot's own persistent state, one SQLite file in the state directory beside
//! matrix-sdk's stores: which commands it has answered (so a restart answers none twice).
//! Later: reminders, announcements and questions.

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

pub struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let connection = Connection::open(path)
            .with_context(|| format!("opening the bot's store {}", path.display()))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS answered (
                     event_id TEXT PRIMARY KEY,
                     answered_at_ms INTEGER NOT NULL
                 );",
            )
            .with_context(|| format!("preparing the bot's store {}", path.display()))?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> anyhow::Result<Store> {
        Store::open(Path::new(":memory:"))
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the command in `event_id` was answered already.
    pub fn was_answered(&self, event_id: &str) -> anyhow::Result<bool> {
        let found: Option<i64> = self
            .connection()
            .query_row(
                "SELECT 1 FROM answered WHERE event_id = ?1",
                params![event_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Records that the command in `event_id` was answered; false if it already was.
    pub fn mark_answered(&self, event_id: &str, at_ms: i64) -> anyhow::Result<bool> {
        let inserted = self.connection().execute(
            "INSERT OR IGNORE INTO answered (event_id, answered_at_ms) VALUES (?1, ?2)",
            params![event_id, at_ms],
        )?;
        Ok(inserted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_recorded_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let store = Store::open(&path).unwrap();
        assert!(!store.was_answered("$a").unwrap());
        assert!(store.mark_answered("$a", 1).unwrap());
        assert!(!store.mark_answered("$a", 2).unwrap());
        drop(store);
        let store = Store::open(&path).unwrap();
        assert!(store.was_answered("$a").unwrap());
        assert!(!store.was_answered("$b").unwrap());
    }
}
