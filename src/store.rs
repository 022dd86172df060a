//! The bot's own persistent state, one SQLite file in the state directory beside
//! matrix-sdk's stores: which commands it has answered and which reminders and
//! announcements it has posted (so a restart repeats none and loses none).

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
        let connection =
            Connection::open(path).with_context(|| format!("opening the bot's store {}", path.display()))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS answered (
                     event_id TEXT PRIMARY KEY,
                     answered_at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS posts (
                     key TEXT PRIMARY KEY,
                     outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'late', 'skipped')),
                     at_ms INTEGER NOT NULL
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
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the command in `event_id` was answered already.
    pub fn was_answered(&self, event_id: &str) -> anyhow::Result<bool> {
        let found: Option<i64> = self
            .connection()
            .query_row("SELECT 1 FROM answered WHERE event_id = ?1", params![event_id], |row| {
                row.get(0)
            })
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

/// What became of a planned post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Late,
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Late => "late",
            Outcome::Skipped => "skipped",
        }
    }
}

impl Store {
    /// Whether the post with this key was dealt with (sent, sent late, or skipped).
    pub fn post_done(&self, key: &str) -> anyhow::Result<bool> {
        let found: Option<i64> = self
            .connection()
            .query_row("SELECT 1 FROM posts WHERE key = ?1", params![key], |row| row.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    /// Records what became of a post; false if it was recorded already.
    pub fn record_post(&self, key: &str, outcome: Outcome, at_ms: i64) -> anyhow::Result<bool> {
        let inserted = self.connection().execute(
            "INSERT OR IGNORE INTO posts (key, outcome, at_ms) VALUES (?1, ?2, ?3)",
            params![key, outcome.as_str(), at_ms],
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

    #[test]
    fn a_post_is_recorded_once() {
        let store = Store::in_memory().unwrap();
        assert!(!store.post_done("reminder:a:600:x").unwrap());
        assert!(store.record_post("reminder:a:600:x", Outcome::Sent, 1).unwrap());
        assert!(!store.record_post("reminder:a:600:x", Outcome::Skipped, 2).unwrap());
        assert!(store.post_done("reminder:a:600:x").unwrap());
    }
}
