//! The bot's own persistent state, one SQLite file in the state directory beside
//! matrix-sdk's stores: which commands it has answered, which reminders and
//! announcements it has posted (so a restart repeats none and loses none), and the
//! audience's questions with their votes and the events that link them to chat.

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

mod boards;
mod broadcasts;
mod chat;
mod cues;
mod missing;
mod questions;
mod topics;
mod upgrade;

pub use boards::StoredBoard;
pub use broadcasts::Broadcast;
pub use missing::Missing;

pub struct Store {
    connection: Mutex<Connection>,
    /// Made when the store is created: tells this store's posts from those of a store that
    /// was reset or of a rehearsal's, which would otherwise reuse the same keys.
    instance: String,
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
                 CREATE TABLE IF NOT EXISTS announcements (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     due TEXT NOT NULL,
                     room TEXT NOT NULL,
                     text TEXT NOT NULL,
                     author TEXT NOT NULL,
                     cancelled INTEGER NOT NULL DEFAULT 0
                 );
                 CREATE TABLE IF NOT EXISTS delays (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     place TEXT,
                     day TEXT NOT NULL,
                     from_instant TEXT NOT NULL,
                     shift_seconds INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS posts (
                     key TEXT PRIMARY KEY,
                     outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'late', 'skipped')),
                     at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS votes (
                     number INTEGER NOT NULL,
                     voter TEXT NOT NULL,
                     PRIMARY KEY (number, voter)
                 );",
            )
            .with_context(|| format!("preparing the bot's store {}", path.display()))?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS personal_reminders (
                     user TEXT NOT NULL,
                     session_id TEXT NOT NULL,
                     asked_at TEXT NOT NULL,
                     PRIMARY KEY (user, session_id)
                 );
                 CREATE TABLE IF NOT EXISTS zones (
                     user TEXT PRIMARY KEY,
                     zone TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS direct_rooms (
                     user TEXT PRIMARY KEY,
                     room_id TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS acted (
                     event_id TEXT PRIMARY KEY,
                     body TEXT,
                     html TEXT,
                     at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS deliveries (
                     key TEXT NOT NULL,
                     room TEXT NOT NULL,
                     outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'late', 'failed', 'skipped')),
                     event_id TEXT,
                     at_ms INTEGER NOT NULL,
                     PRIMARY KEY (key, room)
                 );",
            )
            .with_context(|| format!("preparing the attendees' tables in {}", path.display()))?;
        upgrade::questions(&connection).with_context(|| format!("preparing the questions in {}", path.display()))?;
        boards::create(&connection).with_context(|| format!("preparing the question boards in {}", path.display()))?;
        connection
            .execute(topics::TABLE, [])
            .with_context(|| format!("preparing the room topics in {}", path.display()))?;
        connection
            .execute(missing::TABLE, [])
            .with_context(|| format!("preparing the sessions left out of the schedule in {}", path.display()))?;
        connection
            .execute_batch(cues::TABLES)
            .with_context(|| format!("preparing the speakers' cues in {}", path.display()))?;
        connection.execute_batch(broadcasts::TABLES).with_context(|| {
            format!(
                "preparing the announcements awaiting confirmation in {}",
                path.display()
            )
        })?;
        connection
            .execute(
                "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                [],
            )
            .with_context(|| format!("preparing the bot's store {}", path.display()))?;
        connection.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('instance', ?1)",
            params![new_instance()],
        )?;
        let instance: String =
            connection.query_row("SELECT value FROM meta WHERE name = 'instance'", [], |row| row.get(0))?;
        Ok(Store {
            connection: Mutex::new(connection),
            instance,
        })
    }

    /// What tells this store from any other, reset or rehearsal: it goes into the
    /// transaction ids of the bot's posts.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// From now on every write fails, as on a full or read-only disk (for tests).
    #[cfg(test)]
    pub fn refuse_writes(&self) {
        self.connection()
            .execute_batch("PRAGMA query_only = ON;")
            .expect("query_only");
    }

    /// Hides the record of posts until [`Store::show_posts`], so that reading it fails as
    /// on a damaged disk (for tests).
    #[cfg(test)]
    pub fn hide_posts(&self) {
        self.connection()
            .execute_batch("ALTER TABLE posts RENAME TO posts_hidden;")
            .expect("hiding the posts");
    }

    #[cfg(test)]
    pub fn show_posts(&self) {
        self.connection()
            .execute_batch("ALTER TABLE posts_hidden RENAME TO posts;")
            .expect("showing the posts");
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> anyhow::Result<Store> {
        Store::open(Path::new(":memory:"))
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The rows `sql` selects, each made a `T` by `read`: which fails on a damaged value
    /// as well as on a column it cannot get, and so fails the whole.
    fn select<T>(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
        mut read: impl FnMut(&rusqlite::Row<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<Vec<T>> {
        let connection = self.connection();
        let mut statement = connection.prepare(sql)?;
        let mut rows = statement.query(parameters)?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            found.push(read(row)?);
        }
        Ok(found)
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

/// A value no other store has: the time to the nanosecond and the process id.
fn new_instance() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}.{:x}", std::process::id())
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

/// What became of a post in one of its rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    Late,
    /// The homeserver refused it there for good (no permission, too large, no such room).
    Failed,
    /// It could not be sent there before it was overdue beyond the grace period.
    Skipped,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Late => "late",
            Delivery::Failed => "failed",
            Delivery::Skipped => "skipped",
        }
    }
}

impl Store {
    /// Whether the post with this key was dealt with in `room` (sent there, or given up on).
    pub fn delivered(&self, key: &str, room: &str) -> anyhow::Result<bool> {
        let found: Option<i64> = self
            .connection()
            .query_row(
                "SELECT 1 FROM deliveries WHERE key = ?1 AND room = ?2",
                params![key, room],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Records what became of a post in `room`; false if it was recorded already.
    pub fn record_delivery(
        &self,
        key: &str,
        room: &str,
        delivery: Delivery,
        event_id: Option<&str>,
        at_ms: i64,
    ) -> anyhow::Result<bool> {
        let inserted = self.connection().execute(
            "INSERT OR IGNORE INTO deliveries (key, room, outcome, event_id, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key, room, delivery.as_str(), event_id, at_ms],
        )?;
        Ok(inserted == 1)
    }

    /// What became of the post with this key in each room it was dealt with in.
    pub fn deliveries(&self, key: &str) -> anyhow::Result<Vec<(String, String)>> {
        self.select(
            "SELECT room, outcome FROM deliveries WHERE key = ?1 ORDER BY room",
            params![key],
            |row| Ok((row.get("room")?, row.get("outcome")?)),
        )
    }
}

/// The changes a command makes, run by [`Store::act`] in one transaction with the record
/// that the command was carried out.
pub struct Acts<'a>(&'a Connection);

/// A command that was carried out before (a replay after a restart): nothing is changed again.
#[derive(Debug, thiserror::Error)]
#[error("this command was carried out already")]
pub struct ActedBefore;

impl Store {
    /// Carries out the changes of the command in `event` once: `f`'s changes and the record
    /// of the command are one transaction, so a crash leaves both or neither, and a replay
    /// of the same event fails with [`ActedBefore`] having changed nothing.
    pub fn act<T>(&self, event: &str, f: impl FnOnce(&Acts) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let inserted = transaction.execute(
            "INSERT OR IGNORE INTO acted (event_id, at_ms) VALUES (?1, ?2)",
            params![event, crate::infra::clock::now_ms()],
        )?;
        if inserted == 0 {
            return Err(ActedBefore.into());
        }
        let done = f(&Acts(&transaction))?;
        transaction.commit()?;
        Ok(done)
    }

    /// The reply to a command carried out before, if it was: the reply as stored, or
    /// `Some(None)` when the bot stopped before storing it.
    pub fn acted(&self, event: &str) -> anyhow::Result<Option<Option<(String, String)>>> {
        let found: Option<(Option<String>, Option<String>)> = self
            .connection()
            .query_row(
                "SELECT body, html FROM acted WHERE event_id = ?1",
                params![event],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(found.map(|(body, html)| body.zip(html)))
    }

    /// Keeps the reply to a command that was carried out, to send again on a replay.
    pub fn keep_reply(&self, event: &str, body: &str, html: &str) -> anyhow::Result<()> {
        self.connection().execute(
            "UPDATE acted SET body = ?2, html = ?3 WHERE event_id = ?1",
            params![event, body, html],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Where to open a store that lasts until the directory (the first) is dropped: for
    /// the tests that reopen a store.
    pub(super) fn store_file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        (dir, path)
    }

    #[test]
    fn an_answer_is_recorded_once_and_survives_reopening() {
        let (_dir, path) = store_file();
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
