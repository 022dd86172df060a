//! What the speakers' cues depend on: the sessions a moderator marked as no-show, and when
//! each speaker was last seen (a message or a reaction) in each backstage, the check-in.

use super::{Acts, Store};
use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;
use rusqlite::{params, OptionalExtension};

pub(super) const TABLES: &str = "CREATE TABLE IF NOT EXISTS no_shows (
    session_id TEXT PRIMARY KEY,
    by_user TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS backstage_seen (
    room TEXT NOT NULL,
    user TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (room, user)
);";

impl Store {
    /// Whether `!noshow` silenced the cues of `session` (its id).
    pub fn no_show(&self, session: &str) -> anyhow::Result<bool> {
        Ok(self
            .connection()
            .query_row("SELECT 1 FROM no_shows WHERE session_id = ?1", params![session], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    /// Records that `user` spoke or reacted in `room` (a backstage, as the config names
    /// it) at `at`, on the conference's clock.
    pub fn seen_in_backstage(&self, room: &str, user: &str, at: DateTime<Tz>) -> anyhow::Result<()> {
        self.connection().execute(
            "INSERT INTO backstage_seen (room, user, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (room, user) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)",
            params![room, user, at.timestamp_millis()],
        )?;
        Ok(())
    }

    /// When `user` was last seen in `room`, in `zone`.
    pub fn last_seen_in_backstage(&self, room: &str, user: &str, zone: Tz) -> anyhow::Result<Option<DateTime<Tz>>> {
        let at_ms: Option<i64> = self
            .connection()
            .query_row(
                "SELECT at_ms FROM backstage_seen WHERE room = ?1 AND user = ?2",
                params![room, user],
                |row| row.get(0),
            )
            .optional()?;
        Ok(at_ms.and_then(|ms| zone.timestamp_millis_opt(ms).single()))
    }
}

impl Acts<'_> {
    /// Stores `!noshow SESSION`; false when it was silenced already.
    pub fn add_no_show(&self, session: &str, by: &str) -> anyhow::Result<bool> {
        let inserted = self.0.execute(
            "INSERT OR IGNORE INTO no_shows (session_id, by_user) VALUES (?1, ?2)",
            params![session, by],
        )?;
        Ok(inserted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_no_show_and_the_latest_sighting_are_kept_across_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let zone = chrono_tz::Europe::Brussels;
        let at = |h, m| zone.with_ymd_and_hms(2023, 2, 3, h, m, 0).unwrap();
        let store = Store::open(&path).unwrap();
        assert!(!store.no_show("kernel-sched").unwrap());
        assert!(store
            .act("$1", |acts| acts.add_no_show("kernel-sched", "@amy:x"))
            .unwrap());
        assert!(!store
            .act("$2", |acts| acts.add_no_show("kernel-sched", "@amy:x"))
            .unwrap());
        store.seen_in_backstage("#back:x", "@bo:x", at(9, 30)).unwrap();
        // An older sighting (a message read back after a restart) does not move it back.
        store.seen_in_backstage("#back:x", "@bo:x", at(9, 10)).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert!(store.no_show("kernel-sched").unwrap());
        assert!(!store.no_show("web-cache").unwrap());
        assert_eq!(
            store.last_seen_in_backstage("#back:x", "@bo:x", zone).unwrap(),
            Some(at(9, 30))
        );
        assert_eq!(store.last_seen_in_backstage("#other:x", "@bo:x", zone).unwrap(), None);
    }
}
