//! The audience's questions: each once per command, their statuses, votes, and the events
//! that link them to chat.

use super::{Acts, Store};
use crate::questions::{NewQuestion, Question, QuestionEvent, Status, Triage};
use anyhow::Context;
use chrono::DateTime;
use chrono_tz::Tz;
use rusqlite::{params, OptionalExtension};

/// The columns a [`Question`] is read from, with its vote count, each named as the field
/// of [`QuestionRow`] it goes to.
const QUESTION_COLUMNS: &str = "q.number, q.ask_event, q.session_id, q.asker, q.asker_name, q.text, q.asked_at,
     q.status, q.reason, q.receipt_event, q.relay_event, q.speakers_event,
     q.triage_event, q.triage_by, q.triage_at, q.triage_before, q.triage_before_reason,
     (SELECT COUNT(*) FROM votes v WHERE v.number = q.number) AS votes";

/// Builds a `$row_type` from a query's row, each field read from the column of the same
/// name (which an `AS` gives where the column differs), so no field depends on the order
/// of the columns. In a function returning `rusqlite::Result`.
macro_rules! from_row {
    ($row:expr => $row_type:ident { $($field:ident),+ $(,)? }) => {
        $row_type { $($field: $row.get(stringify!($field))?),+ }
    };
}

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
    triage_event: Option<String>,
    triage_by: Option<String>,
    triage_at: Option<String>,
    triage_before: Option<String>,
    triage_before_reason: Option<String>,
    votes: i64,
}

impl QuestionRow {
    /// Reads a row of [`QUESTION_COLUMNS`].
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<QuestionRow> {
        Ok(from_row!(row => QuestionRow {
            number, ask_event, session_id, asker, asker_name, text, asked_at,
            status, reason, receipt_event, relay_event, speakers_event,
            triage_event, triage_by, triage_at, triage_before, triage_before_reason, votes,
        }))
    }

    fn into_question(self, zone: Tz) -> anyhow::Result<Question> {
        let number = self.number;
        let asked_at = DateTime::parse_from_rfc3339(&self.asked_at)
            .with_context(|| format!("question Q{number} has a damaged time {}", self.asked_at))?
            .with_timezone(&zone);
        let status = Status::from_stored(&self.status, self.reason)
            .with_context(|| format!("question Q{number} has an unknown status {}", self.status))?;
        let triage = match (self.triage_event, self.triage_by, self.triage_at, self.triage_before) {
            (Some(event), Some(by), Some(at), Some(before)) => Some(Triage {
                event,
                by,
                at: DateTime::parse_from_rfc3339(&at)
                    .with_context(|| format!("question Q{number} has a damaged moderation time {at}"))?
                    .with_timezone(&zone),
                before: Status::from_stored(&before, self.triage_before_reason)
                    .with_context(|| format!("question Q{number} has an unknown earlier status {before}"))?,
            }),
            _ => None,
        };
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
            triage,
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
        let sql = format!("SELECT {QUESTION_COLUMNS} FROM questions q {clause}");
        self.select(&sql, parameters, |row| QuestionRow::read(row)?.into_question(zone))
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

    /// Records `voter`'s vote for question `number`, cast by `event` (a 👍 or an
    /// `!upvote`); false if they had voted already.
    pub fn add_vote(&self, number: u64, voter: &str, event: &str) -> anyhow::Result<bool> {
        Acts(&self.connection()).add_vote(number, voter, event)
    }

    /// The question whose `!ask` was `event`.
    pub fn question_by_ask(&self, event: &str, zone: Tz) -> anyhow::Result<Option<Question>> {
        Ok(self
            .select_questions("WHERE q.ask_event = ?1", params![event], zone)?
            .pop())
    }

    /// The question whose current status the moderator's `event` set.
    pub fn question_by_triage(&self, event: &str, zone: Tz) -> anyhow::Result<Option<Question>> {
        Ok(self
            .select_questions("WHERE q.triage_event = ?1", params![event], zone)?
            .pop())
    }

    /// The question the vote cast by `event` is for, if that vote counts.
    pub fn vote_by_event(&self, event: &str) -> anyhow::Result<Option<u64>> {
        let number: Option<i64> = self
            .connection()
            .query_row("SELECT number FROM votes WHERE event_id = ?1", params![event], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(number.map(|n| n as u64))
    }

    /// Notes that the asker of question `number` was told their edit came too late; false
    /// if they were told before.
    pub fn note_edit_refused(&self, number: u64) -> anyhow::Result<bool> {
        let changed = self.connection().execute(
            "UPDATE questions SET edit_notified = 1 WHERE number = ?1 AND edit_notified = 0",
            params![sql_number(number)],
        )?;
        Ok(changed == 1)
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
    /// number order; a question withdrawn before it was relayed never is.
    pub fn unrelayed_questions(&self, zone: Tz) -> anyhow::Result<Vec<Question>> {
        self.select_questions(
            "WHERE q.relay_event IS NULL AND q.status != 'withdrawn' ORDER BY q.number",
            [],
            zone,
        )
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
        self.select(
            "SELECT s.status, COUNT(q.number) AS count FROM
                 (SELECT 'pending' AS status UNION ALL SELECT 'approved'
                  UNION ALL SELECT 'rejected' UNION ALL SELECT 'answered'
                  UNION ALL SELECT 'withdrawn') s
             LEFT JOIN questions q ON q.status = s.status
             GROUP BY s.status ORDER BY s.status",
            [],
            |row| Ok((row.get("status")?, row.get::<_, i64>("count")? as u64)),
        )
    }

    /// Every question, or one session's, in number order: for the export.
    pub fn all_questions(&self, session_id: Option<&str>, zone: Tz) -> anyhow::Result<Vec<Question>> {
        match session_id {
            Some(id) => self.questions_of(id, zone),
            None => self.select_questions("ORDER BY q.number", [], zone),
        }
    }
}

impl Acts<'_> {
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

    /// A moderator's action: question `number` goes from `from` to `to` (if it is still
    /// `from`, as [`Acts::set_status`]), and `triage` is kept as what set it.
    pub fn moderate(&self, number: u64, from: &Status, to: &Status, triage: &Triage) -> anyhow::Result<bool> {
        let changed = self.0.execute(
            "UPDATE questions SET status = ?3, reason = ?4, moderations = moderations + 1,
                 triage_event = ?5, triage_by = ?6, triage_at = ?7, triage_before = ?8,
                 triage_before_reason = ?9
             WHERE number = ?1 AND status = ?2",
            params![
                sql_number(number),
                from.as_str(),
                to.as_str(),
                to.reason(),
                triage.event,
                triage.by,
                crate::time::rfc3339(&triage.at),
                triage.before.as_str(),
                triage.before.reason(),
            ],
        )?;
        Ok(changed == 1)
    }

    /// Puts question `number` back from `from` to `to` (a redacted moderation, or a
    /// withdrawal): no moderator's action stands for the status then.
    pub fn set_status_untriaged(&self, number: u64, from: &Status, to: &Status) -> anyhow::Result<bool> {
        let changed = self.0.execute(
            "UPDATE questions SET status = ?3, reason = ?4, moderations = moderations + 1,
                 triage_event = NULL, triage_by = NULL, triage_at = NULL, triage_before = NULL,
                 triage_before_reason = NULL
             WHERE number = ?1 AND status = ?2",
            params![sql_number(number), from.as_str(), to.as_str(), to.reason()],
        )?;
        Ok(changed == 1)
    }

    /// Records `voter`'s vote for question `number`, cast by `event`; false if they had
    /// voted already.
    pub fn add_vote(&self, number: u64, voter: &str, event: &str) -> anyhow::Result<bool> {
        let inserted = self.0.execute(
            "INSERT OR IGNORE INTO votes (number, voter, event_id) VALUES (?1, ?2, ?3)",
            params![sql_number(number), voter, event],
        )?;
        Ok(inserted == 1)
    }

    /// Takes back the vote cast by `event` (its 👍 was redacted); the question it was for.
    pub fn remove_vote(&self, event: &str) -> anyhow::Result<Option<u64>> {
        let number: Option<i64> = self
            .0
            .query_row(
                "DELETE FROM votes WHERE event_id = ?1 RETURNING number",
                params![event],
                |row| row.get(0),
            )
            .optional()?;
        Ok(number.map(|n| n as u64))
    }

    /// Replaces the text of question `number` with an edit's, if it is still pending.
    pub fn edit_text(&self, number: u64, text: &str, event: &str) -> anyhow::Result<bool> {
        let changed = self.0.execute(
            "UPDATE questions SET text = ?2, edit_event = ?3 WHERE number = ?1 AND status = 'pending'",
            params![sql_number(number), text, event],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::store::tests::store_file;

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

    /// An in-memory store with one question, pending, and its number.
    fn store_with_a_question() -> (Store, u64) {
        let store = Store::in_memory().unwrap();
        let (n, _) = store
            .add_question(&new_question("$a", "network", "@alice:h", "Why?", "2023-02-03T14:20"))
            .unwrap();
        (store, n)
    }

    #[test]
    fn a_question_is_stored_once_per_command_and_survives_reopening() {
        let (_dir, path) = store_file();
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
        assert!(store.add_vote(1, "@bob:h", "$up1").unwrap());
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
                triage: None,
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
        let (store, n) = store_with_a_question();
        assert!(store.add_vote(n, "@bob:h", "$b1").unwrap());
        assert!(!store.add_vote(n, "@bob:h", "$b2").unwrap(), "a second vote is refused");
        assert!(store.add_vote(n, "@carol:h", "$c1").unwrap());
        assert_eq!(store.question(n, ZONE).unwrap().unwrap().votes, 2);
    }

    #[test]
    fn a_vote_is_taken_back_by_the_event_that_cast_it_once() {
        let (store, n) = store_with_a_question();
        store.add_vote(n, "@bob:h", "$b1").unwrap();
        store.add_vote(n, "@carol:h", "$c1").unwrap();
        assert_eq!(store.vote_by_event("$b1").unwrap(), Some(n));
        let removed = store.act("$redaction", |acts| acts.remove_vote("$b1")).unwrap();
        assert_eq!(removed, Some(n));
        assert!(store
            .act("$redaction", |acts| acts.remove_vote("$c1"))
            .unwrap_err()
            .is::<crate::infra::store::ActedBefore>());
        assert_eq!(
            store.question(n, ZONE).unwrap().unwrap().votes,
            1,
            "only Bob's vote went"
        );
        assert!(store.add_vote(n, "@bob:h", "$b2").unwrap(), "Bob may vote again");
    }

    #[test]
    fn a_moderation_keeps_what_set_it_until_the_status_changes_otherwise() {
        let (store, n) = store_with_a_question();
        let triage = Triage {
            event: "$tick".into(),
            by: "@mod:h".into(),
            at: crate::time::parse_instant("2023-02-03T14:37", ZONE).unwrap(),
            before: Status::Pending,
        };
        store
            .act("$tick", |acts| {
                acts.moderate(n, &Status::Pending, &Status::Approved, &triage)
            })
            .unwrap();
        let q = store.question_by_triage("$tick", ZONE).unwrap().unwrap();
        assert_eq!((q.status, q.triage), (Status::Approved, Some(triage)));
        store
            .act("$undo", |acts| {
                acts.set_status_untriaged(n, &Status::Approved, &Status::Pending)
            })
            .unwrap();
        let q = store.question(n, ZONE).unwrap().unwrap();
        assert_eq!((q.status, q.triage), (Status::Pending, None));
        assert_eq!(store.question_by_triage("$tick", ZONE).unwrap(), None);
        assert!(store
            .act("$edit", |acts| acts.edit_text(n, "Why not?", "$edit"))
            .unwrap());
        assert_eq!(store.question_by_ask("$a", ZONE).unwrap().unwrap().text, "Why not?");
        store.set_status(n, &Status::Pending, &Status::Approved).unwrap();
        assert!(!store.act("$edit2", |acts| acts.edit_text(n, "Late", "$edit2")).unwrap());
        assert!(store.note_edit_refused(n).unwrap());
        assert!(!store.note_edit_refused(n).unwrap(), "told once");
    }

    #[test]
    fn a_status_changes_only_from_the_status_it_was_decided_on() {
        let (store, n) = store_with_a_question();
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
