//! `!remind SESSION`, `!reminders` and `!forget SESSION`: an attendee's own reminder, a
//! direct message before a session starts. What the commands decide and when each
//! reminder falls due are here; their words are in [`crate::present::personal`]; the app
//! stores them (`Store::act`, once per command event) and the posting timer sends them
//! with the other posts ([`super::posts`]).

use crate::query;
use crate::refusal::Refusal;
use crate::schedule::{Schedule, Session};
use crate::time;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;

/// An attendee's `!remind SESSION`: a direct message before the session starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalReminder {
    /// The attendee's Matrix ID.
    pub user: String,
    pub session: String,
    /// When they asked, on the bot's clock: the reminder is never due before that.
    pub asked_at: DateTime<Tz>,
}

impl PersonalReminder {
    /// When it falls due: `lead` before the session starts, or at once if asked later than
    /// that; `None` once the session has started or if it is no longer in the schedule.
    pub fn due(&self, schedule: &Schedule, lead: TimeDelta) -> Option<DateTime<Tz>> {
        let session = schedule.session(&self.session)?;
        (self.asked_at < session.start).then(|| (session.start - lead).max(self.asked_at))
    }

    /// The exactly-once key: the attendee, the session and the start it was computed for.
    pub fn key(&self, session: &Session) -> String {
        format!(
            "personal:{}:{}:{}",
            self.user,
            session.id,
            time::rfc3339(&session.start)
        )
    }
}

/// `!remind WORDS` at `now`: the one session the words name, if it has not started.
pub fn remind<'s>(schedule: &'s Schedule, words: &str, now: DateTime<Tz>) -> Result<&'s Session, Refusal> {
    let session = query::one_session(schedule, words)?;
    if session.start <= now {
        return Err(Refusal::Started {
            session: session.id.clone(),
            now,
        });
    }
    Ok(session)
}

/// `!forget WORDS`: the one session the words name, started or not (the store says
/// whether the sender has a reminder for it).
pub fn forget<'s>(schedule: &'s Schedule, words: &str) -> Result<&'s Session, Refusal> {
    query::one_session(schedule, words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::centos;

    #[test]
    fn a_reminder_is_for_one_session_that_has_not_started() {
        let s = centos();
        let at = |t: &str| time::parse_instant(t, s.timezone()).unwrap();
        assert_eq!(
            remind(&s, "almalinux", at("2023-02-03T09:10")).map(|s| s.id.as_str()),
            Ok("alma")
        );
        assert_eq!(
            remind(&s, "almalinux", at("2023-02-03T09:25")),
            Err(Refusal::Started {
                session: "alma".into(),
                now: at("2023-02-03T09:25")
            })
        );
        assert_eq!(forget(&s, "almalinux").map(|s| s.id.as_str()), Ok("alma"));
        assert_eq!(
            remind(&s, "zzzz", at("2023-02-03T09:10")),
            Err(Refusal::NoSuchSession("zzzz".into()))
        );
        assert!(matches!(
            remind(&s, "centos", at("2023-02-03T07:00")),
            Err(Refusal::SeveralSessions { .. })
        ));
    }
}
