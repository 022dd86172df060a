//! What the bot keeps from chat: organizers' announcements and delays, attendees' own
//! reminders, zones and direct rooms.

use super::{Acts, Store};
use crate::delay::Delay;
use crate::plan::{ChatAnnouncement, PersonalReminder};
use anyhow::Context;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Stores an announcement from chat; returns its id.
    pub fn add_announcement(&self, due: &DateTime<Tz>, room: &str, text: &str, author: &str) -> anyhow::Result<i64> {
        Acts(&self.connection()).add_announcement(due, room, text, author)
    }

    /// The announcements from chat that are neither cancelled nor posted yet, by due time.
    pub fn pending_announcements(&self, zone: Tz) -> anyhow::Result<Vec<ChatAnnouncement>> {
        self.select(
            "SELECT id, due, room, text, author FROM announcements
             WHERE cancelled = 0 AND ('chat-announcement:' || id) NOT IN (SELECT key FROM posts)
             ORDER BY due, id",
            [],
            |row| {
                let id: i64 = row.get("id")?;
                let due: String = row.get("due")?;
                Ok(ChatAnnouncement {
                    id,
                    due: DateTime::parse_from_rfc3339(&due)
                        .with_context(|| format!("announcement {id} has a damaged due time {due}"))?
                        .with_timezone(&zone),
                    target: row.get("room")?,
                    text: row.get("text")?,
                    author: row.get("author")?,
                })
            },
        )
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
        self.select(
            "SELECT place, day, from_instant, shift_seconds FROM delays ORDER BY id",
            [],
            |row| {
                let day: String = row.get("day")?;
                let from: String = row.get("from_instant")?;
                Ok(Delay {
                    place: row.get("place")?,
                    day: day
                        .parse()
                        .with_context(|| format!("a stored delay has a damaged day {day}"))?,
                    from: DateTime::parse_from_rfc3339(&from)
                        .with_context(|| format!("a stored delay has a damaged instant {from}"))?
                        .with_timezone(&zone),
                    shift: TimeDelta::seconds(row.get("shift_seconds")?),
                })
            },
        )
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
        self.select(
            "SELECT user, session_id, asked_at FROM personal_reminders
             WHERE ?1 IS NULL OR user = ?1 ORDER BY rowid",
            params![user],
            |row| {
                let user: String = row.get("user")?;
                let asked_at: String = row.get("asked_at")?;
                Ok(PersonalReminder {
                    asked_at: DateTime::parse_from_rfc3339(&asked_at)
                        .with_context(|| format!("a reminder of {user} has a damaged time {asked_at}"))?
                        .with_timezone(&zone),
                    user,
                    session: row.get("session_id")?,
                })
            },
        )
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

    /// Every remembered direct room, as `(user, room id)`.
    pub fn direct_rooms(&self) -> anyhow::Result<Vec<(String, String)>> {
        let connection = self.connection();
        let mut statement = connection.prepare("SELECT user, room_id FROM direct_rooms ORDER BY user")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets the direct room remembered for this user.
    pub fn forget_direct_room(&self, user: &str) -> anyhow::Result<()> {
        self.connection()
            .execute("DELETE FROM direct_rooms WHERE user = ?1", params![user])?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::store::tests::store_file;
    use crate::infra::store::Outcome;

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
    fn attendees_reminders_zones_and_direct_rooms_survive_reopening() {
        let (_dir, path) = store_file();
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
        store.set_direct_room("@bob:h", "!other:h").unwrap();
        assert_eq!(
            store.direct_rooms().unwrap(),
            [
                ("@ann:h".to_string(), "!dm:h".to_string()),
                ("@bob:h".to_string(), "!other:h".to_string())
            ]
        );
        store.forget_direct_room("@ann:h").unwrap();
        assert_eq!(store.direct_room("@ann:h").unwrap(), None);
    }
}
