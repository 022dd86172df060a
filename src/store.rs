//! The bot's own persistent state, one SQLite file in the state directory beside
//! matrix-sdk's stores: which commands it has answered, which reminders and
//! announcements it has posted (so a restart repeats none and loses none), and the
//! audience's questions with their votes and the events that link them to chat.

use crate::delay::Delay;
use crate::plan::{ChatAnnouncement, PersonalReminder};
use crate::questions::{NewQuestion, Question, QuestionEvent, Status};
use anyhow::Context;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

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
                 CREATE TABLE IF NOT EXISTS questions (
                     number INTEGER PRIMARY KEY AUTOINCREMENT,
                     ask_event TEXT UNIQUE NOT NULL,
                     session_id TEXT NOT NULL,
                     asker TEXT NOT NULL,
                     asker_name TEXT NOT NULL,
                     text TEXT NOT NULL,
                     asked_at TEXT NOT NULL,
                     status TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'approved', 'rejected', 'answered')),
                     reason TEXT,
                     receipt_event TEXT,
                     relay_event TEXT,
                     speakers_event TEXT
                 );
                 CREATE INDEX IF NOT EXISTS questions_by_session ON questions (session_id);
                 CREATE INDEX IF NOT EXISTS questions_by_asker ON questions (asker);
                 CREATE INDEX IF NOT EXISTS questions_by_receipt ON questions (receipt_event);
                 CREATE INDEX IF NOT EXISTS questions_by_relay ON questions (relay_event);
                 CREATE INDEX IF NOT EXISTS questions_by_speakers_event ON questions (speakers_event);
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
        // Added after the first release: stores made before get the column.
        let has_moderations: bool = connection
            .prepare("SELECT 1 FROM pragma_table_info('questions') WHERE name = 'moderations'")?
            .exists([])?;
        if !has_moderations {
            connection
                .execute_batch("ALTER TABLE questions ADD COLUMN moderations INTEGER NOT NULL DEFAULT 0;")
                .with_context(|| format!("upgrading the questions table in {}", path.display()))?;
        }
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
        let connection = self.connection();
        let mut statement = connection.prepare("SELECT room, outcome FROM deliveries WHERE key = ?1 ORDER BY room")?;
        let rows = statement.query_map(params![key], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// Stores an announcement from chat; returns its id.
    pub fn add_announcement(&self, due: &DateTime<Tz>, room: &str, text: &str, author: &str) -> anyhow::Result<i64> {
        Acts(&self.connection()).add_announcement(due, room, text, author)
    }

    /// The announcements from chat that are neither cancelled nor posted yet, by due time.
    pub fn pending_announcements(&self, zone: Tz) -> anyhow::Result<Vec<ChatAnnouncement>> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT id, due, room, text, author FROM announcements
             WHERE cancelled = 0 AND ('chat-announcement:' || id) NOT IN (SELECT key FROM posts)
             ORDER BY due, id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?;
        let mut pending = Vec::new();
        for row in rows {
            let (id, due, room, text, author) = row?;
            let due = DateTime::parse_from_rfc3339(&due)
                .with_context(|| format!("announcement {id} has a damaged due time {due}"))?
                .with_timezone(&zone);
            pending.push(ChatAnnouncement {
                id,
                due,
                room,
                text,
                author,
            });
        }
        Ok(pending)
    }

    /// Cancels a pending announcement; false when there is none with that id.
    pub fn cancel_announcement(&self, id: i64) -> anyhow::Result<bool> {
        Acts(&self.connection()).cancel_announcement(id)
    }

    /// Stores a delay.
    pub fn add_delay(&self, delay: &Delay) -> anyhow::Result<()> {
        Acts(&self.connection()).add_delay(delay)
    }

    /// Every delay, in the order declared.
    pub fn delays(&self, zone: Tz) -> anyhow::Result<Vec<Delay>> {
        let connection = self.connection();
        let mut statement =
            connection.prepare("SELECT place, day, from_instant, shift_seconds FROM delays ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?;
        let mut delays = Vec::new();
        for row in rows {
            let (place, day, from, shift) = row?;
            delays.push(Delay {
                place,
                day: day
                    .parse()
                    .with_context(|| format!("a stored delay has a damaged day {day}"))?,
                from: DateTime::parse_from_rfc3339(&from)
                    .with_context(|| format!("a stored delay has a damaged instant {from}"))?
                    .with_timezone(&zone),
                shift: TimeDelta::seconds(shift),
            });
        }
        Ok(delays)
    }
}

/// What attendees asked the bot to keep for them.
impl Store {
    /// Stores `!remind SESSION`; false if this attendee already has that reminder.
    pub fn add_personal_reminder(&self, reminder: &PersonalReminder) -> anyhow::Result<bool> {
        Acts(&self.connection()).add_personal_reminder(reminder)
    }

    /// Removes a personal reminder; false if there was none.
    pub fn forget_personal_reminder(&self, user: &str, session: &str) -> anyhow::Result<bool> {
        Acts(&self.connection()).forget_personal_reminder(user, session)
    }

    /// Every attendee's reminders (`user: None`) or one attendee's, in the order asked.
    pub fn personal_reminders(&self, user: Option<&str>, zone: Tz) -> anyhow::Result<Vec<PersonalReminder>> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT user, session_id, asked_at FROM personal_reminders
             WHERE ?1 IS NULL OR user = ?1 ORDER BY rowid",
        )?;
        let rows = statement.query_map(params![user], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut found = Vec::new();
        for row in rows {
            let (user, session, asked_at) = row?;
            found.push(PersonalReminder {
                asked_at: DateTime::parse_from_rfc3339(&asked_at)
                    .with_context(|| format!("a reminder of {user} has a damaged time {asked_at}"))?
                    .with_timezone(&zone),
                user,
                session,
            });
        }
        Ok(found)
    }

    /// Sets (or with `None` clears) an attendee's own time zone.
    pub fn set_zone(&self, user: &str, zone: Option<Tz>) -> anyhow::Result<()> {
        Acts(&self.connection()).set_zone(user, zone)
    }

    /// An attendee's own time zone, if they set one.
    pub fn zone(&self, user: &str) -> anyhow::Result<Option<Tz>> {
        let name: Option<String> = self
            .connection()
            .query_row("SELECT zone FROM zones WHERE user = ?1", params![user], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(name.and_then(|name| crate::time::zone(&name)))
    }

    /// Remembers the room the bot shares with only this attendee.
    pub fn set_direct_room(&self, user: &str, room_id: &str) -> anyhow::Result<()> {
        self.connection().execute(
            "INSERT INTO direct_rooms (user, room_id) VALUES (?1, ?2) ON CONFLICT (user) DO UPDATE SET room_id = ?2",
            params![user, room_id],
        )?;
        Ok(())
    }

    /// The room the bot shares with only this attendee, if it knows one.
    pub fn direct_room(&self, user: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .connection()
            .query_row(
                "SELECT room_id FROM direct_rooms WHERE user = ?1",
                params![user],
                |row| row.get(0),
            )
            .optional()?)
    }
}

/// The columns a [`Question`] is read from, with its vote count.
const QUESTION_COLUMNS: &str = "q.number, q.ask_event, q.session_id, q.asker, q.asker_name, q.text, q.asked_at,
     q.status, q.reason, q.receipt_event, q.relay_event, q.speakers_event,
     (SELECT COUNT(*) FROM votes v WHERE v.number = q.number)";

/// A question row as stored, before its time and status are checked.
struct QuestionRow {
    number: i64,
    ask_event: String,
    session_id: String,
    asker: String,
    asker_name: String,
    text: String,
    asked_at: String,
    status: String,
    reason: Option<String>,
    receipt_event: Option<String>,
    relay_event: Option<String>,
    speakers_event: Option<String>,
    votes: i64,
}

impl QuestionRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<QuestionRow> {
        Ok(QuestionRow {
            number: row.get(0)?,
            ask_event: row.get(1)?,
            session_id: row.get(2)?,
            asker: row.get(3)?,
            asker_name: row.get(4)?,
            text: row.get(5)?,
            asked_at: row.get(6)?,
            status: row.get(7)?,
            reason: row.get(8)?,
            receipt_event: row.get(9)?,
            relay_event: row.get(10)?,
            speakers_event: row.get(11)?,
            votes: row.get(12)?,
        })
    }

    fn into_question(self, zone: Tz) -> anyhow::Result<Question> {
        let number = self.number;
        let asked_at = DateTime::parse_from_rfc3339(&self.asked_at)
            .with_context(|| format!("question Q{number} has a damaged time {}", self.asked_at))?
            .with_timezone(&zone);
        let status = Status::from_stored(&self.status, self.reason)
            .with_context(|| format!("question Q{number} has an unknown status {}", self.status))?;
        Ok(Question {
            number: u64::try_from(number).with_context(|| format!("question number {number} is negative"))?,
            ask_event: self.ask_event,
            session_id: self.session_id,
            asker: self.asker,
            asker_name: self.asker_name,
            text: self.text,
            asked_at,
            status,
            votes: u32::try_from(self.votes).unwrap_or(u32::MAX),
            receipt_event: self.receipt_event,
            relay_event: self.relay_event,
            speakers_event: self.speakers_event,
        })
    }
}

/// Question numbers as SQLite stores them.
fn sql_number(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a question and returns its number, and whether it was new. Idempotent on the
    /// `!ask` event: the same command processed twice (after a crash) is one question, and
    /// the second call returns the first's number with `false`.
    pub fn add_question(&self, question: &NewQuestion) -> anyhow::Result<(u64, bool)> {
        let connection = self.connection();
        // Look first: an ignored INSERT would still use up a number, leaving a gap (Q1, Q3).
        // The connection's lock keeps the look and the insert together.
        let existing: Option<i64> = connection
            .query_row(
                "SELECT number FROM questions WHERE ask_event = ?1",
                params![question.ask_event],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(number) = existing {
            return Ok((u64::try_from(number)?, false));
        }
        connection.execute(
            "INSERT INTO questions (ask_event, session_id, asker, asker_name, text, asked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                question.ask_event,
                question.session_id,
                question.asker,
                question.asker_name,
                question.text,
                crate::time::rfc3339(&question.asked_at)
            ],
        )?;
        Ok((u64::try_from(connection.last_insert_rowid())?, true))
    }

    /// Reads the questions a `WHERE`/`ORDER BY` clause selects, times in `zone`.
    fn select_questions(
        &self,
        clause: &str,
        parameters: impl rusqlite::Params,
        zone: Tz,
    ) -> anyhow::Result<Vec<Question>> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!("SELECT {QUESTION_COLUMNS} FROM questions q {clause}"))?;
        let rows = statement.query_map(parameters, QuestionRow::read)?;
        let mut questions = Vec::new();
        for row in rows {
            questions.push(row?.into_question(zone)?);
        }
        Ok(questions)
    }

    /// Question `number`, with its votes; times in `zone`.
    pub fn question(&self, number: u64, zone: Tz) -> anyhow::Result<Option<Question>> {
        Ok(self
            .select_questions("WHERE q.number = ?1", params![sql_number(number)], zone)?
            .pop())
    }

    /// The question one of whose posts is `event_id` (a reaction's target), and which post
    /// it is: the receipt, the moderators-room relay or the speakers-room post.
    pub fn question_by_event(&self, event_id: &str, zone: Tz) -> anyhow::Result<Option<(Question, QuestionEvent)>> {
        let found = self
            .select_questions(
                "WHERE q.receipt_event = ?1 OR q.relay_event = ?1 OR q.speakers_event = ?1",
                params![event_id],
                zone,
            )?
            .pop();
        Ok(found.map(|question| {
            let which = if question.relay_event.as_deref() == Some(event_id) {
                QuestionEvent::Relay
            } else if question.receipt_event.as_deref() == Some(event_id) {
                QuestionEvent::Receipt
            } else {
                QuestionEvent::Speakers
            };
            (question, which)
        }))
    }

    fn set_event(&self, column: &str, number: u64, event_id: Option<&str>) -> anyhow::Result<bool> {
        let changed = self.connection().execute(
            &format!("UPDATE questions SET {column} = ?2 WHERE number = ?1"),
            params![sql_number(number), event_id],
        )?;
        Ok(changed == 1)
    }

    /// Records the receipt's event id; false when there is no question `number`.
    pub fn set_receipt_event(&self, number: u64, event_id: &str) -> anyhow::Result<bool> {
        self.set_event("receipt_event", number, Some(event_id))
    }

    /// Records the moderators-room post's event id; false when there is no question `number`.
    pub fn set_relay_event(&self, number: u64, event_id: &str) -> anyhow::Result<bool> {
        self.set_event("relay_event", number, Some(event_id))
    }

    /// Records the speakers-room post's event id, or clears it (`None`) once that post was
    /// withdrawn; false when there is no question `number`.
    pub fn set_speakers_event(&self, number: u64, event_id: Option<&str>) -> anyhow::Result<bool> {
        self.set_event("speakers_event", number, event_id)
    }

    /// Sets question `number` to `to` if its status is still `from` (the one the decision
    /// was made on); false otherwise, when another moderator acted first or there is no
    /// such question: read it again and decide again. This is what keeps a double ✅ from
    /// relaying twice.
    pub fn set_status(&self, number: u64, from: &Status, to: &Status) -> anyhow::Result<bool> {
        Acts(&self.connection()).set_status(number, from, to)
    }

    /// How many times question `number` was moderated: what tells a second approval's
    /// posts from the first's.
    pub fn moderations(&self, number: u64) -> anyhow::Result<u64> {
        let count: Option<i64> = self
            .connection()
            .query_row(
                "SELECT moderations FROM questions WHERE number = ?1",
                params![sql_number(number)],
                |row| row.get(0),
            )
            .optional()?;
        Ok(count.unwrap_or(0) as u64)
    }

    /// Records `voter`'s vote for question `number`; false if they had voted already.
    pub fn add_vote(&self, number: u64, voter: &str) -> anyhow::Result<bool> {
        Acts(&self.connection()).add_vote(number, voter)
    }

    /// The questions for a session, in the order asked.
    pub fn questions_of(&self, session_id: &str, zone: Tz) -> anyhow::Result<Vec<Question>> {
        self.select_questions("WHERE q.session_id = ?1 ORDER BY q.number", params![session_id], zone)
    }

    /// The questions `asker` asked, all or those asked at or after `since`, in the order
    /// asked: the history [`crate::questions::check_ask`] needs.
    pub fn questions_by(&self, asker: &str, since: Option<DateTime<Tz>>, zone: Tz) -> anyhow::Result<Vec<Question>> {
        let mut questions = self.select_questions("WHERE q.asker = ?1 ORDER BY q.number", params![asker], zone)?;
        // Times are stored with the offset of their day, so they are compared here, not as text.
        if let Some(since) = since {
            questions.retain(|q| q.asked_at >= since);
        }
        Ok(questions)
    }

    /// The questions not yet posted in the moderators room (the bot stopped in between), in
    /// number order.
    pub fn unrelayed_questions(&self, zone: Tz) -> anyhow::Result<Vec<Question>> {
        self.select_questions("WHERE q.relay_event IS NULL ORDER BY q.number", [], zone)
    }

    /// The approved questions not yet posted in the speakers room, in number order.
    pub fn approved_not_delivered(&self, zone: Tz) -> anyhow::Result<Vec<Question>> {
        self.select_questions(
            "WHERE q.status = 'approved' AND q.speakers_event IS NULL ORDER BY q.number",
            [],
            zone,
        )
    }

    /// How many questions there are in each status, every status listed.
    pub fn question_counts(&self) -> anyhow::Result<Vec<(String, u64)>> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT s.status, COUNT(q.number) FROM
                 (SELECT 'pending' AS status UNION ALL SELECT 'approved'
                  UNION ALL SELECT 'rejected' UNION ALL SELECT 'answered') s
             LEFT JOIN questions q ON q.status = s.status
             GROUP BY s.status ORDER BY s.status",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every question, or one session's, in number order: for the export.
    pub fn all_questions(&self, session_id: Option<&str>, zone: Tz) -> anyhow::Result<Vec<Question>> {
        match session_id {
            Some(id) => self.questions_of(id, zone),
            None => self.select_questions("ORDER BY q.number", [], zone),
        }
    }
}

/// The changes a command makes, run by [`Store::act`] in one transaction with the record
/// that the command was carried out.
pub struct Acts<'a>(&'a Connection);

impl Acts<'_> {
    /// Stores an announcement from chat; returns its id.
    pub fn add_announcement(&self, due: &DateTime<Tz>, room: &str, text: &str, author: &str) -> anyhow::Result<i64> {
        let connection = self.0;
        connection.execute(
            "INSERT INTO announcements (due, room, text, author) VALUES (?1, ?2, ?3, ?4)",
            params![crate::time::rfc3339(due), room, text, author],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Cancels a pending announcement; false when there is none with that id.
    pub fn cancel_announcement(&self, id: i64) -> anyhow::Result<bool> {
        let changed = self.0.execute(
            "UPDATE announcements SET cancelled = 1
             WHERE id = ?1 AND cancelled = 0 AND ('chat-announcement:' || id) NOT IN (SELECT key FROM posts)",
            params![id],
        )?;
        Ok(changed == 1)
    }

    /// Stores a delay.
    pub fn add_delay(&self, delay: &Delay) -> anyhow::Result<()> {
        self.0.execute(
            "INSERT INTO delays (place, day, from_instant, shift_seconds) VALUES (?1, ?2, ?3, ?4)",
            params![
                delay.place,
                delay.day.to_string(),
                crate::time::rfc3339(&delay.from),
                delay.shift.num_seconds()
            ],
        )?;
        Ok(())
    }

    /// Stores `!remind SESSION`; false if this attendee already has that reminder.
    pub fn add_personal_reminder(&self, reminder: &PersonalReminder) -> anyhow::Result<bool> {
        let inserted = self.0.execute(
            "INSERT OR IGNORE INTO personal_reminders (user, session_id, asked_at) VALUES (?1, ?2, ?3)",
            params![
                reminder.user,
                reminder.session,
                crate::time::rfc3339(&reminder.asked_at)
            ],
        )?;
        Ok(inserted == 1)
    }

    /// Removes a personal reminder; false if there was none.
    pub fn forget_personal_reminder(&self, user: &str, session: &str) -> anyhow::Result<bool> {
        let deleted = self.0.execute(
            "DELETE FROM personal_reminders WHERE user = ?1 AND session_id = ?2",
            params![user, session],
        )?;
        Ok(deleted == 1)
    }

    /// Sets (or with `None` clears) an attendee's own time zone.
    pub fn set_zone(&self, user: &str, zone: Option<Tz>) -> anyhow::Result<()> {
        let connection = self.0;
        match zone {
            Some(zone) => connection.execute(
                "INSERT INTO zones (user, zone) VALUES (?1, ?2) ON CONFLICT (user) DO UPDATE SET zone = ?2",
                params![user, zone.name()],
            )?,
            None => connection.execute("DELETE FROM zones WHERE user = ?1", params![user])?,
        };
        Ok(())
    }

    /// Sets question `number` to `to` if its status is still `from` (the one the decision
    /// was made on); false otherwise, when another moderator acted first or there is no
    /// such question: read it again and decide again. This is what keeps a double ✅ from
    /// relaying twice.
    pub fn set_status(&self, number: u64, from: &Status, to: &Status) -> anyhow::Result<bool> {
        let changed = self.0.execute(
            "UPDATE questions SET status = ?3, reason = ?4, moderations = moderations + 1
             WHERE number = ?1 AND status = ?2",
            params![sql_number(number), from.as_str(), to.as_str(), to.reason()],
        )?;
        Ok(changed == 1)
    }

    /// Records `voter`'s vote for question `number`; false if they had voted already.
    pub fn add_vote(&self, number: u64, voter: &str) -> anyhow::Result<bool> {
        let inserted = self.0.execute(
            "INSERT OR IGNORE INTO votes (number, voter) VALUES (?1, ?2)",
            params![sql_number(number), voter],
        )?;
        Ok(inserted == 1)
    }
}

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
            params![event, crate::bot::posting::now_ms()],
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
    fn announcements_and_delays_are_kept() {
        let store = Store::in_memory().unwrap();
        let zone = chrono_tz::Europe::Brussels;
        let due = crate::time::parse_instant("2023-02-03T12:55", zone).unwrap();
        let id = store
            .add_announcement(&due, "announcements", "Lunch ends soon", "@org:h")
            .unwrap();
        let pending = store.pending_announcements(zone).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].id, pending[0].due, pending[0].text.as_str()),
            (id, due, "Lunch ends soon")
        );
        store.record_post(&pending[0].key(), Outcome::Sent, 1).unwrap();
        assert!(
            store.pending_announcements(zone).unwrap().is_empty(),
            "posted ones are no longer pending"
        );
        assert!(
            !store.cancel_announcement(id).unwrap(),
            "a posted announcement cannot be cancelled"
        );
        let other = store.add_announcement(&due, "moderators", "x", "@org:h").unwrap();
        assert!(store.cancel_announcement(other).unwrap());
        assert!(store.pending_announcements(zone).unwrap().is_empty());

        let delay = Delay {
            place: Some("Pagoda room".into()),
            day: due.date_naive(),
            from: due,
            shift: TimeDelta::minutes(-5),
        };
        store.add_delay(&delay).unwrap();
        assert_eq!(store.delays(zone).unwrap(), [delay]);
    }

    #[test]
    fn a_post_is_recorded_once() {
        let store = Store::in_memory().unwrap();
        assert!(!store.post_done("reminder:a:600:x").unwrap());
        assert!(store.record_post("reminder:a:600:x", Outcome::Sent, 1).unwrap());
        assert!(!store.record_post("reminder:a:600:x", Outcome::Skipped, 2).unwrap());
        assert!(store.post_done("reminder:a:600:x").unwrap());
    }

    #[test]
    fn attendees_reminders_zones_and_direct_rooms_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let zone = chrono_tz::Europe::Brussels;
        let asked_at = crate::time::parse_instant("2023-02-03T09:00", zone).unwrap();
        let reminder = |user: &str, session: &str| PersonalReminder {
            user: user.into(),
            session: session.into(),
            asked_at,
        };
        let store = Store::open(&path).unwrap();
        assert!(store.add_personal_reminder(&reminder("@ann:h", "rocky")).unwrap());
        assert!(!store.add_personal_reminder(&reminder("@ann:h", "rocky")).unwrap());
        assert!(store.add_personal_reminder(&reminder("@ann:h", "okd")).unwrap());
        assert!(store.add_personal_reminder(&reminder("@bob:h", "rocky")).unwrap());
        assert!(store.forget_personal_reminder("@ann:h", "okd").unwrap());
        assert!(!store.forget_personal_reminder("@ann:h", "okd").unwrap());
        store.set_zone("@ann:h", Some(chrono_tz::America::New_York)).unwrap();
        store.set_zone("@bob:h", Some(chrono_tz::Asia::Tokyo)).unwrap();
        store.set_zone("@bob:h", None).unwrap();
        store.set_direct_room("@ann:h", "!dm:h").unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.personal_reminders(Some("@ann:h"), zone).unwrap(),
            [reminder("@ann:h", "rocky")]
        );
        assert_eq!(store.personal_reminders(None, zone).unwrap().len(), 2);
        assert_eq!(store.zone("@ann:h").unwrap(), Some(chrono_tz::America::New_York));
        assert_eq!(store.zone("@bob:h").unwrap(), None);
        assert_eq!(store.direct_room("@ann:h").unwrap().as_deref(), Some("!dm:h"));
        assert_eq!(store.direct_room("@bob:h").unwrap(), None);
    }

    fn new_question(event: &str, session: &str, asker: &str, text: &str, asked_at: &str) -> NewQuestion {
        NewQuestion {
            ask_event: event.into(),
            session_id: session.into(),
            asker: asker.into(),
            asker_name: "Alice".into(),
            text: text.into(),
            asked_at: crate::time::parse_instant(asked_at, chrono_tz::Europe::Brussels).unwrap(),
        }
    }

    const ZONE: Tz = chrono_tz::Europe::Brussels;

    #[test]
    fn a_question_is_stored_once_per_command_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let store = Store::open(&path).unwrap();
        let asked = new_question(
            "$ask1",
            "network",
            "@alice:h",
            "Is it <b>fast</b>?\nReally?",
            "2023-02-03T14:20",
        );
        assert_eq!(store.add_question(&asked).unwrap(), (1, true));
        assert_eq!(
            store.add_question(&asked).unwrap(),
            (1, false),
            "the same command event again, after a crash, is the same question"
        );
        assert_eq!(
            store
                .add_question(&new_question("$ask2", "network", "@bob:h", "Why?", "2023-02-03T14:21"))
                .unwrap(),
            (2, true)
        );
        assert!(store.set_receipt_event(1, "$receipt1").unwrap());
        assert!(store.set_relay_event(1, "$relay1").unwrap());
        assert!(store.set_status(1, &Status::Pending, &Status::Approved).unwrap());
        assert!(store.set_speakers_event(1, Some("$speakers1")).unwrap());
        assert!(store.add_vote(1, "@bob:h").unwrap());
        assert!(!store.set_relay_event(99, "$nothing").unwrap(), "no question 99");
        drop(store);

        let store = Store::open(&path).unwrap();
        let q = store.question(1, ZONE).unwrap().unwrap();
        assert_eq!(
            q,
            Question {
                number: 1,
                ask_event: "$ask1".into(),
                session_id: "network".into(),
                asker: "@alice:h".into(),
                asker_name: "Alice".into(),
                text: "Is it <b>fast</b>?\nReally?".into(),
                asked_at: asked.asked_at,
                status: Status::Approved,
                votes: 1,
                receipt_event: Some("$receipt1".into()),
                relay_event: Some("$relay1".into()),
                speakers_event: Some("$speakers1".into()),
            }
        );
        for (event, which) in [
            ("$receipt1", QuestionEvent::Receipt),
            ("$relay1", QuestionEvent::Relay),
            ("$speakers1", QuestionEvent::Speakers),
        ] {
            let (found, kind) = store.question_by_event(event, ZONE).unwrap().unwrap();
            assert_eq!((found.number, kind), (1, which), "{event}");
        }
        assert_eq!(store.question_by_event("$ask1", ZONE).unwrap(), None);
        assert_eq!(store.question(3, ZONE).unwrap(), None);
        assert_eq!(
            store
                .add_question(&new_question("$ask3", "rocky", "@alice:h", "Next", "2023-02-03T14:45"))
                .unwrap(),
            (3, true),
            "numbering goes on after a restart"
        );
    }

    #[test]
    fn one_vote_per_user_per_question() {
        let store = Store::in_memory().unwrap();
        let (n, _) = store
            .add_question(&new_question("$a", "network", "@alice:h", "Why?", "2023-02-03T14:20"))
            .unwrap();
        assert!(store.add_vote(n, "@bob:h").unwrap());
        assert!(!store.add_vote(n, "@bob:h").unwrap(), "a second vote is refused");
        assert!(store.add_vote(n, "@carol:h").unwrap());
        assert_eq!(store.question(n, ZONE).unwrap().unwrap().votes, 2);
    }

    #[test]
    fn a_status_changes_only_from_the_status_it_was_decided_on() {
        let store = Store::in_memory().unwrap();
        let (n, _) = store
            .add_question(&new_question("$a", "network", "@alice:h", "Why?", "2023-02-03T14:20"))
            .unwrap();
        assert_eq!(store.question(n, ZONE).unwrap().unwrap().status, Status::Pending);
        let rejected = Status::Rejected {
            reason: Some("off topic".into()),
        };
        assert!(store.set_status(n, &Status::Pending, &rejected).unwrap());
        assert!(
            !store.set_status(n, &Status::Pending, &Status::Approved).unwrap(),
            "a second moderator deciding on the old status changes nothing"
        );
        assert_eq!(store.question(n, ZONE).unwrap().unwrap().status, rejected);
        assert!(store.set_status(n, &rejected, &Status::Approved).unwrap());
        let q = store.question(n, ZONE).unwrap().unwrap();
        assert_eq!((q.status, q.speakers_event), (Status::Approved, None));
        assert!(!store.set_status(42, &Status::Pending, &Status::Approved).unwrap());
    }

    #[test]
    fn questions_are_found_by_session_asker_and_what_is_left_to_post() {
        let store = Store::in_memory().unwrap();
        for (event, session, asker, at) in [
            ("$1", "network", "@alice:h", "2023-02-03T14:20"),
            ("$2", "rocky", "@alice:h", "2023-02-03T14:41"),
            ("$3", "network", "@bob:h", "2023-02-03T14:22"),
            ("$4", "network", "@alice:h", "2023-02-03T14:30"),
        ] {
            store
                .add_question(&new_question(event, session, asker, "text", at))
                .unwrap();
        }
        let numbers = |qs: Vec<Question>| qs.iter().map(|q| q.number).collect::<Vec<_>>();
        assert_eq!(numbers(store.questions_of("network", ZONE).unwrap()), [1, 3, 4]);
        assert_eq!(numbers(store.questions_by("@alice:h", None, ZONE).unwrap()), [1, 2, 4]);
        let since = crate::time::parse_instant("2023-02-03T13:30:00Z", ZONE).unwrap();
        assert_eq!(
            numbers(store.questions_by("@alice:h", Some(since), ZONE).unwrap()),
            [2, 4],
            "since is inclusive and compared as an instant"
        );
        assert_eq!(numbers(store.all_questions(None, ZONE).unwrap()), [1, 2, 3, 4]);
        assert_eq!(numbers(store.all_questions(Some("rocky"), ZONE).unwrap()), [2]);

        store.set_relay_event(1, "$r1").unwrap();
        store.set_relay_event(3, "$r3").unwrap();
        assert_eq!(numbers(store.unrelayed_questions(ZONE).unwrap()), [2, 4]);

        store.set_status(1, &Status::Pending, &Status::Approved).unwrap();
        store.set_status(3, &Status::Pending, &Status::Approved).unwrap();
        store.set_status(4, &Status::Pending, &Status::Answered).unwrap();
        store.set_speakers_event(3, Some("$s3")).unwrap();
        assert_eq!(numbers(store.approved_not_delivered(ZONE).unwrap()), [1]);
        store.set_speakers_event(3, None).unwrap();
        assert_eq!(
            numbers(store.approved_not_delivered(ZONE).unwrap()),
            [1, 3],
            "a withdrawn post is to be delivered again"
        );
    }
}
