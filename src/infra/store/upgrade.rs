//! The questions table as this version keeps it, and the upgrades that bring a store made
//! by an earlier version to it, each run once when the store opens and checked by what
//! the table holds (no version number to drift from the schema).

use rusqlite::Connection;

/// The questions table. `triage_*`: the moderator's action that set the status while it
/// stands (its event, who, when, the status before), so a redacted ✅ can revert it;
/// `edit_event`: the last edit applied to the text; `edit_notified`: the asker was told
/// an edit came too late.
const QUESTIONS: &str = "CREATE TABLE questions (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    ask_event TEXT UNIQUE NOT NULL,
    session_id TEXT NOT NULL,
    asker TEXT NOT NULL,
    asker_name TEXT NOT NULL,
    text TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected', 'answered', 'withdrawn')),
    reason TEXT,
    receipt_event TEXT,
    relay_event TEXT,
    speakers_event TEXT,
    moderations INTEGER NOT NULL DEFAULT 0,
    triage_event TEXT,
    triage_by TEXT,
    triage_at TEXT,
    triage_before TEXT,
    triage_before_reason TEXT,
    edit_event TEXT,
    edit_notified INTEGER NOT NULL DEFAULT 0
)";

/// The columns a store made before withdrawn questions has, all kept by the upgrade.
const EARLIER_COLUMNS: &str = "number, ask_event, session_id, asker, asker_name, text, asked_at, status, reason,
     receipt_event, relay_event, speakers_event, moderations";

/// Creates the questions table, or brings an earlier one to [`QUESTIONS`]: the
/// `moderations` count (added after the first release), then the withdrawn status and the
/// columns for redactions and edits (a CHECK constraint cannot be altered in SQLite, so
/// the table is copied), and the reaction event of each vote.
pub(super) fn questions(connection: &Connection) -> anyhow::Result<()> {
    let table: Option<String> = rusqlite::OptionalExtension::optional(connection.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'questions'",
        [],
        |row| row.get(0),
    ))?;
    match table {
        None => connection.execute_batch(QUESTIONS)?,
        Some(sql) if !sql.contains("'withdrawn'") => {
            if !has_column(connection, "questions", "moderations")? {
                connection.execute_batch("ALTER TABLE questions ADD COLUMN moderations INTEGER NOT NULL DEFAULT 0;")?;
            }
            connection.execute_batch(&format!(
                "BEGIN;
                 ALTER TABLE questions RENAME TO questions_before_withdrawn;
                 {QUESTIONS};
                 INSERT INTO questions ({EARLIER_COLUMNS}) SELECT {EARLIER_COLUMNS} FROM questions_before_withdrawn;
                 DROP TABLE questions_before_withdrawn;
                 COMMIT;"
            ))?;
        }
        Some(_) => {}
    }
    if !has_column(connection, "votes", "event_id")? {
        // Votes from before have no event: a redaction cannot find them, as before.
        connection.execute_batch("ALTER TABLE votes ADD COLUMN event_id TEXT;")?;
    }
    connection.execute_batch(
        "CREATE INDEX IF NOT EXISTS questions_by_session ON questions (session_id);
         CREATE INDEX IF NOT EXISTS questions_by_asker ON questions (asker);
         CREATE INDEX IF NOT EXISTS questions_by_receipt ON questions (receipt_event);
         CREATE INDEX IF NOT EXISTS questions_by_relay ON questions (relay_event);
         CREATE INDEX IF NOT EXISTS questions_by_speakers_event ON questions (speakers_event);
         CREATE INDEX IF NOT EXISTS questions_by_triage_event ON questions (triage_event);
         CREATE INDEX IF NOT EXISTS votes_by_event ON votes (event_id);",
    )?;
    Ok(())
}

pub(super) fn has_column(connection: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    connection
        .prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?
        .exists([table, column])
}

#[cfg(test)]
mod tests {
    use crate::infra::store::tests::store_file;
    use crate::infra::store::Store;
    use crate::questions::Status;

    #[test]
    fn a_store_from_before_withdrawn_questions_keeps_its_questions_and_votes() {
        let (_dir, path) = store_file();
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE questions (
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
             CREATE INDEX questions_by_relay ON questions (relay_event);
             CREATE TABLE votes (number INTEGER NOT NULL, voter TEXT NOT NULL, PRIMARY KEY (number, voter));
             INSERT INTO questions (ask_event, session_id, asker, asker_name, text, asked_at, status, relay_event)
                 VALUES ('$ask1', 'network', '@a:h', 'A', 'Why?', '2023-02-03T14:20:00+01:00', 'approved', '$relay1');
             INSERT INTO questions (ask_event, session_id, asker, asker_name, text, asked_at)
                 VALUES ('$ask2', 'network', '@a:h', 'A', 'How?', '2023-02-03T14:21:00+01:00');
             INSERT INTO votes (number, voter) VALUES (1, '@b:h');",
        )
        .unwrap();
        drop(old);
        let zone = chrono_tz::Europe::Brussels;
        let store = Store::open(&path).unwrap();
        let q = store.question(1, zone).unwrap().unwrap();
        assert_eq!(
            (q.status, q.votes, q.relay_event.as_deref()),
            (Status::Approved, 1, Some("$relay1"))
        );
        assert_eq!(store.question_by_event("$relay1", zone).unwrap().unwrap().0.number, 1);
        assert!(store.set_status(2, &Status::Pending, &Status::Withdrawn).unwrap());
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.question(2, zone).unwrap().unwrap().status, Status::Withdrawn);
    }
}
