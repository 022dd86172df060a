//! Sessions the schedule's fetches left out: once (kept until the next fetch says the
//! same), or for good (announced as cancelled, so that their return is a reinstatement).

use super::Store;
use rusqlite::params;
use std::collections::BTreeSet;

pub(super) const TABLE: &str = "CREATE TABLE IF NOT EXISTS missing_sessions (
    session_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('once', 'cancelled'))
)";

/// What the store knows of sessions left out of the schedule's fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missing {
    /// Left out of the last fetch, not before: still kept.
    pub once: BTreeSet<String>,
    /// Left out of two fetches in a row: announced as cancelled.
    pub cancelled: BTreeSet<String>,
}

impl Store {
    /// The sessions left out of the schedule's fetches.
    pub fn missing_sessions(&self) -> anyhow::Result<Missing> {
        let rows = self.select("SELECT session_id, state FROM missing_sessions", [], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut missing = Missing::default();
        for (id, state) in rows {
            if state == "once" {
                missing.once.insert(id);
            } else {
                missing.cancelled.insert(id);
            }
        }
        Ok(missing)
    }

    /// Replaces what is known of left-out sessions with `missing`, in one transaction.
    pub fn set_missing_sessions(&self, missing: &Missing) -> anyhow::Result<()> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        transaction.execute("DELETE FROM missing_sessions", [])?;
        for (ids, state) in [(&missing.once, "once"), (&missing.cancelled, "cancelled")] {
            for id in ids {
                transaction.execute(
                    "INSERT INTO missing_sessions (session_id, state) VALUES (?1, ?2)",
                    params![id, state],
                )?;
            }
        }
        transaction.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_out_sessions_are_kept_across_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confbot.sqlite");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.missing_sessions().unwrap(), Missing::default());
        let missing = Missing {
            once: BTreeSet::from(["alma".to_string()]),
            cancelled: BTreeSet::from(["hyperscale".to_string()]),
        };
        store.set_missing_sessions(&missing).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.missing_sessions().unwrap(), missing);
    }
}
