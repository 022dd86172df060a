//! What the reactions on the bot's own posts act on: announcements to several rooms
//! waiting for their sender's ✅ (a *broadcast*, with its preview), the attendees who
//! have used 🔔 on a reminder card, and which post an event of the bot's is.

use super::{Acts, Store};
use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;
use rusqlite::{params, OptionalExtension, Row};

pub(super) const TABLES: &str = "CREATE TABLE IF NOT EXISTS broadcasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_event TEXT NOT NULL UNIQUE,
    preview_event TEXT UNIQUE,
    room TEXT,
    sender TEXT NOT NULL,
    target TEXT NOT NULL,
    text TEXT NOT NULL,
    due_ms INTEGER,
    until_ms INTEGER NOT NULL,
    announcement INTEGER
);
CREATE INDEX IF NOT EXISTS broadcasts_sender ON broadcasts (sender, until_ms);
CREATE TABLE IF NOT EXISTS bell_users (user TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS bells (
    event_id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    session_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);";

/// An announcement to several rooms, waiting for its sender's confirmation or sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub id: i64,
    /// The chat room its preview is in (a Matrix room id), once sent.
    pub room: Option<String>,
    pub sender: String,
    /// Its `[rooms]` target (see `Rooms::targets`).
    pub target: String,
    pub text: String,
    /// When it goes out; `None`: once confirmed.
    pub due: Option<DateTime<Tz>>,
    /// The last instant it may be confirmed.
    pub until: DateTime<Tz>,
    /// The preview's event, once sent.
    pub preview: Option<String>,
    /// The announcement it became once confirmed.
    pub announcement: Option<i64>,
}

fn broadcast(row: &Row<'_>, zone: Tz) -> rusqlite::Result<Broadcast> {
    let instant = |ms: i64| zone.timestamp_millis_opt(ms).single();
    let due: Option<i64> = row.get("due_ms")?;
    Ok(Broadcast {
        id: row.get("id")?,
        room: row.get("room")?,
        sender: row.get("sender")?,
        target: row.get("target")?,
        text: row.get("text")?,
        due: due.and_then(instant),
        until: instant(row.get("until_ms")?).unwrap_or_else(|| zone.timestamp_millis_opt(0).unwrap()),
        preview: row.get("preview_event")?,
        announcement: row.get("announcement")?,
    })
}

const COLUMNS: &str = "id, room, sender, target, text, due_ms, until_ms, preview_event, announcement";

impl Store {
    /// The broadcast whose command or preview is `event`.
    pub fn broadcast_of_event(&self, event: &str, zone: Tz) -> anyhow::Result<Option<Broadcast>> {
        Ok(self
            .connection()
            .query_row(
                &format!("SELECT {COLUMNS} FROM broadcasts WHERE command_event = ?1 OR preview_event = ?1"),
                params![event],
                |row| broadcast(row, zone),
            )
            .optional()?)
    }

    /// The latest broadcast `sender` asked for that is not confirmed, whether or not it
    /// is still within its time.
    pub fn latest_unconfirmed(&self, sender: &str, zone: Tz) -> anyhow::Result<Option<Broadcast>> {
        Ok(self
            .connection()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM broadcasts WHERE sender = ?1 AND announcement IS NULL
                     ORDER BY id DESC LIMIT 1"
                ),
                params![sender],
                |row| broadcast(row, zone),
            )
            .optional()?)
    }

    /// Links a broadcast to the event of its preview, in `room`.
    pub fn link_preview(&self, id: i64, room: &str, event: &str) -> anyhow::Result<()> {
        self.connection().execute(
            "UPDATE broadcasts SET preview_event = ?3, room = ?2 WHERE id = ?1",
            params![id, room, event],
        )?;
        Ok(())
    }

    /// The key of the post that the bot's event `event` carried, if it was one.
    pub fn post_of_event(&self, event: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .connection()
            .query_row(
                "SELECT key FROM deliveries WHERE event_id = ?1",
                params![event],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The attendee and session of the 🔔 reaction `event`, if it asked for a reminder.
    pub fn bell(&self, event: &str) -> anyhow::Result<Option<(String, String)>> {
        Ok(self
            .connection()
            .query_row(
                "SELECT user, session_id FROM bells WHERE event_id = ?1",
                params![event],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// Records that `user` used 🔔; true the first time.
    pub fn first_bell(&self, user: &str) -> anyhow::Result<bool> {
        let inserted = self
            .connection()
            .execute("INSERT OR IGNORE INTO bell_users (user) VALUES (?1)", params![user])?;
        Ok(inserted == 1)
    }
}

impl Acts<'_> {
    /// Records that the 🔔 reaction `event` asked for `user`'s reminder of `session`.
    pub fn add_bell(&self, event: &str, user: &str, session: &str) -> anyhow::Result<()> {
        self.0.execute(
            "INSERT OR IGNORE INTO bells (event_id, user, session_id) VALUES (?1, ?2, ?3)",
            params![event, user, session],
        )?;
        Ok(())
    }

    /// Stores an announcement to several rooms waiting for confirmation; its id.
    pub fn add_broadcast(
        &self,
        command_event: &str,
        sender: &str,
        target: &str,
        text: &str,
        due: Option<&DateTime<Tz>>,
        until: &DateTime<Tz>,
    ) -> anyhow::Result<i64> {
        self.0.execute(
            "INSERT INTO broadcasts (command_event, sender, target, text, due_ms, until_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                command_event,
                sender,
                target,
                text,
                due.map(DateTime::timestamp_millis),
                until.timestamp_millis()
            ],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    /// Confirms broadcast `id` as an announcement due at `due`: the announcement's id, or
    /// `None` when it was confirmed already.
    pub fn confirm_broadcast(&self, id: i64, due: &DateTime<Tz>) -> anyhow::Result<Option<i64>> {
        let (target, text, sender, announcement): (String, String, String, Option<i64>) = self.0.query_row(
            "SELECT target, text, sender, announcement FROM broadcasts WHERE id = ?1",
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        if announcement.is_some() {
            return Ok(None);
        }
        let announcement = self.add_announcement(due, &target, &text, &sender)?;
        self.0.execute(
            "UPDATE broadcasts SET announcement = ?2 WHERE id = ?1",
            params![id, announcement],
        )?;
        Ok(Some(announcement))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broadcast_is_confirmed_once_and_found_by_its_command_or_preview_across_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let zone = chrono_tz::Europe::Brussels;
        let at = |h, m| zone.with_ymd_and_hms(2023, 2, 3, h, m, 0).unwrap();
        let store = Store::open(&path).unwrap();
        let id = store
            .act("$ask", |acts| {
                acts.add_broadcast("$ask", "@org:h", "all", "Doors open", None, &at(9, 10))
            })
            .unwrap();
        store.link_preview(id, "!hall:h", "$preview").unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let found = store.broadcast_of_event("$preview", zone).unwrap().unwrap();
        assert_eq!(
            (found.id, found.target.as_str(), found.due, found.until),
            (id, "all", None, at(9, 10))
        );
        assert_eq!(found.room.as_deref(), Some("!hall:h"));
        assert_eq!(store.broadcast_of_event("$ask", zone).unwrap().unwrap().id, id);
        assert_eq!(store.latest_unconfirmed("@org:h", zone).unwrap().unwrap().id, id);
        assert_eq!(store.latest_unconfirmed("@other:h", zone).unwrap(), None);
        let first = store.act("$yes", |acts| acts.confirm_broadcast(id, &at(9, 5))).unwrap();
        let again = store
            .act("$yes-too", |acts| acts.confirm_broadcast(id, &at(9, 6)))
            .unwrap();
        assert!(first.is_some());
        assert_eq!(again, None, "confirmed once");
        assert_eq!(store.latest_unconfirmed("@org:h", zone).unwrap(), None);
        let pending = store.pending_announcements(zone).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].target.as_str(), pending[0].due), ("all", at(9, 5)));
    }

    #[test]
    fn a_bell_is_a_first_once_per_user_and_an_event_names_its_post() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("confbot.sqlite")).unwrap();
        assert!(store.first_bell("@ann:h").unwrap());
        assert!(!store.first_bell("@ann:h").unwrap());
        assert!(store.first_bell("@bo:h").unwrap());
        store
            .act("$bell", |acts| acts.add_bell("$bell", "@ann:h", "rocky"))
            .unwrap();
        assert_eq!(store.bell("$bell").unwrap(), Some(("@ann:h".into(), "rocky".into())));
        assert_eq!(store.bell("$other").unwrap(), None);
        store
            .record_delivery(
                "reminder:x:300:t",
                "#hall:h",
                super::super::Delivery::Sent,
                Some("$card"),
                1,
            )
            .unwrap();
        assert_eq!(
            store.post_of_event("$card").unwrap().as_deref(),
            Some("reminder:x:300:t")
        );
        assert_eq!(store.post_of_event("$other").unwrap(), None);
    }
}
