//! Which session a question is for: the one running in the room it was asked in, the
//! plenary one, the next one, or the one named.

use super::*;

/// The session a question goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target<'s> {
    pub session: &'s Session,
    pub timing: Timing,
}

/// When the target session runs, relative to the question; the receipt says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// It is running now.
    Running,
    /// Nothing was running, so the question is kept for the next session.
    Next,
    /// The asker named a session that has not started yet.
    Upcoming,
}

impl Target<'_> {
    /// Whether the session is running now (otherwise the question waits for it).
    pub fn running(&self) -> bool {
        self.timing == Timing::Running
    }
}

/// Why no session could be chosen (`present::refusal` words the reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRefusal {
    UnknownSession {
        id: String,
        /// The closest session id and its title.
        suggestion: Option<(String, String)>,
    },
    Ended {
        title: String,
        ended: DateTime<Tz>,
    },
    NoQuestions {
        title: String,
        kind: SessionKind,
    },
    Several {
        /// Whether the choices are running (else they start next).
        running: bool,
        choices: Vec<Choice>,
    },
    NothingLeft {
        /// The schedule room or track asked from, if any.
        place: Option<String>,
    },
}

/// A session to choose from, in a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub title: String,
    pub room: Option<String>,
}

/// Whether a session takes questions: breaks and social events do not.
pub fn takes_questions(session: &Session) -> bool {
    !matches!(session.kind, SessionKind::Break | SessionKind::Social)
}

/// The session a question asked at `now` is for.
///
/// `named` (from `!ask #ID`) wins: it must exist, take questions and not have ended.
/// Otherwise, in a chat room mapped to a schedule room or track (`here`), the session
/// running there (or, when none is, a running plenary session); elsewhere (a direct message, an unmapped room, or a mapped place the
/// schedule does not know) the plenary session: the one running in no particular room, or
/// the only one running. When nothing runs, the next session there, or overall, keeps the
/// question. Breaks and social events are skipped.
pub fn session_for<'s>(
    schedule: &'s Schedule,
    here: Option<&str>,
    named: Option<&str>,
    now: DateTime<Tz>,
) -> Result<Target<'s>, TargetRefusal> {
    if let Some(id) = named {
        return named_session(schedule, id, now);
    }
    let place = here.filter(|p| schedule.timeline(Some(p)).is_some());
    let in_place: Vec<&Session> = match schedule.timeline(place) {
        Some(timeline) => timeline
            .positions
            .iter()
            .map(|&i| &schedule.sessions()[i])
            .filter(|s| takes_questions(s))
            .collect(),
        None => Vec::new(),
    };
    let running: Vec<&Session> = in_place
        .iter()
        .copied()
        .filter(|s| s.start <= now && now < s.end)
        .collect();
    if !running.is_empty() {
        return pick(running, true).map(|session| Target {
            session,
            timing: Timing::Running,
        });
    }
    if place.is_some() {
        // A plenary session is running, wherever the question comes from.
        let plenary: Vec<&Session> = schedule
            .sessions()
            .iter()
            .filter(|s| takes_questions(s) && s.room.is_none() && s.start <= now && now < s.end)
            .collect();
        if let [session] = plenary.as_slice() {
            return Ok(Target {
                session,
                timing: Timing::Running,
            });
        }
    }
    let Some(first) = in_place.iter().find(|s| s.start > now) else {
        return Err(TargetRefusal::NothingLeft {
            place: place.map(str::to_string),
        });
    };
    let next: Vec<&Session> = in_place.iter().copied().filter(|s| s.start == first.start).collect();
    pick(next, false).map(|session| Target {
        session,
        timing: Timing::Next,
    })
}

/// One of several simultaneous sessions: the one in no particular room, or the only one.
fn pick(candidates: Vec<&Session>, running: bool) -> Result<&Session, TargetRefusal> {
    let roomless: Vec<&Session> = candidates.iter().copied().filter(|s| s.room.is_none()).collect();
    match (candidates.as_slice(), roomless.as_slice()) {
        ([only], _) | (_, [only]) => Ok(only),
        _ => Err(TargetRefusal::Several {
            running,
            choices: candidates
                .iter()
                .map(|s| Choice {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    room: s.room.clone(),
                })
                .collect(),
        }),
    }
}

fn named_session<'s>(schedule: &'s Schedule, id: &str, now: DateTime<Tz>) -> Result<Target<'s>, TargetRefusal> {
    let id = id.trim().trim_start_matches('#');
    let found = schedule
        .session(id)
        .or_else(|| schedule.sessions().iter().find(|s| s.id.eq_ignore_ascii_case(id)));
    let Some(session) = found else {
        let suggestion = text::closest(id, schedule.sessions().iter().map(|s| s.id.as_str()))
            .and_then(|found| schedule.session(found))
            .map(|s| (s.id.clone(), s.title.clone()));
        return Err(TargetRefusal::UnknownSession {
            id: id.to_string(),
            suggestion,
        });
    };
    if !takes_questions(session) {
        return Err(TargetRefusal::NoQuestions {
            title: session.title.clone(),
            kind: session.kind,
        });
    }
    if now >= session.end {
        return Err(TargetRefusal::Ended {
            title: session.title.clone(),
            ended: session.end,
        });
    }
    let timing = if session.start <= now {
        Timing::Running
    } else {
        Timing::Upcoming
    };
    Ok(Target { session, timing })
}

/// The sessions `!questions` lists: the one `named` (an id or words of its title), or those
/// running at `now`, or, between sessions, the next ones. The reply says why when none.
pub fn listing_sessions<'s>(
    schedule: &'s Schedule,
    named: Option<&str>,
    now: DateTime<Tz>,
) -> Result<Vec<&'s Session>, Refusal> {
    if let Some(words) = named {
        return Ok(vec![crate::query::one_session(schedule, words)?]);
    }
    let sessions: Vec<&Session> = schedule.sessions().iter().filter(|s| takes_questions(s)).collect();
    let running: Vec<&Session> = sessions
        .iter()
        .copied()
        .filter(|s| s.start <= now && now < s.end)
        .collect();
    if !running.is_empty() {
        return Ok(running);
    }
    match sessions.iter().find(|s| s.start > now) {
        Some(first) => Ok(sessions.iter().copied().filter(|s| s.start == first.start).collect()),
        None => Err(Refusal::NothingToList),
    }
}

/// The sessions that take questions and ended in `(after, until]`, in schedule order: their
/// unanswered approved questions go to the speakers room ([`leftovers`]).
pub fn sessions_ended(schedule: &Schedule, after: DateTime<Tz>, until: DateTime<Tz>) -> Vec<&Session> {
    schedule
        .sessions()
        .iter()
        .filter(|s| takes_questions(s) && s.end > after && s.end <= until)
        .collect()
}

/// The key under which the adapter records that a session's leftovers were posted.
pub fn leftovers_key(session_id: &str) -> String {
    format!("question-leftovers:{session_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::testing::*;

    #[test]
    fn a_question_goes_to_the_session_running_in_the_room() {
        let s = schedule();
        assert_eq!(
            target(&s, Some("pagoda ROOM"), None, "2023-02-03T09:40"),
            Ok(("network", Timing::Running))
        );
        assert_eq!(
            target(&s, Some("Janson"), None, "2023-02-03T09:40"),
            Ok(("kernel", Timing::Running))
        );
        assert!(target(&s, Some("Janson"), None, "2023-02-03T09:40").unwrap().1 == Timing::Running);
    }

    #[test]
    fn elsewhere_a_question_goes_to_the_plenary_session() {
        let s = schedule();
        assert_eq!(
            target(&s, None, None, "2023-02-03T09:10"),
            Ok(("opening", Timing::Running)),
            "the session in no particular room"
        );
        assert_eq!(
            target(&s, Some("Pagoda room"), None, "2023-02-03T09:10"),
            Ok(("opening", Timing::Running)),
            "a plenary session also takes questions from a room where nothing runs"
        );
        assert_eq!(
            target(&s, None, None, "2023-02-03T11:10"),
            Ok(("late", Timing::Running)),
            "the only session running"
        );
        assert_eq!(
            target(&s, Some("Lobby"), None, "2023-02-03T11:10"),
            Ok(("late", Timing::Running)),
            "a place the schedule does not know counts as no place"
        );
        assert_eq!(
            target(&s, None, None, "2023-02-03T09:40"),
            Err("Several sessions are running now; say which one with !ask #ID QUESTION: #kernel 'Kernel news' (Janson), #network 'Network management in Enterprise Linux' (Pagoda room).".into())
        );
        let next = TargetRefusal::Several {
            running: false,
            choices: vec![Choice {
                id: "a".into(),
                title: "A".into(),
                room: None,
            }],
        };
        assert_eq!(
            said(next),
            "Nothing is running now and several sessions come next; say which one with !ask #ID QUESTION: #a 'A'."
        );
    }

    #[test]
    fn when_nothing_runs_the_next_session_keeps_the_question() {
        let s = schedule();
        assert_eq!(
            target(&s, Some("Pagoda room"), None, "2023-02-03T10:10"),
            Ok(("rust", Timing::Next)),
            "a break takes no questions"
        );
        assert_eq!(target(&s, None, None, "2023-02-03T10:10"), Ok(("rust", Timing::Next)));
        assert_eq!(
            target(&s, None, None, "2023-02-03T08:00"),
            Ok(("opening", Timing::Next))
        );
        assert_eq!(
            target(&s, None, None, "2023-02-03T18:00"),
            Ok(("saturday", Timing::Next)),
            "the next day's first session"
        );
        assert_eq!(
            target(&s, Some("Pagoda room"), None, "2023-02-03T11:10"),
            Err(
                "Nothing more is scheduled in Pagoda room to take questions. Name a session with !ask #ID QUESTION."
                    .into()
            )
        );
        assert_eq!(
            target(&s, None, None, "2023-02-04T09:30"),
            Err("No session is left to take questions: the conference is over.".into())
        );
    }

    #[test]
    fn a_named_session_must_exist_take_questions_and_not_be_over() {
        let s = schedule();
        assert_eq!(
            target(&s, Some("Janson"), Some("network"), "2023-02-03T09:40"),
            Ok(("network", Timing::Running)),
            "the name wins over the room"
        );
        assert_eq!(
            target(&s, None, Some("RUST"), "2023-02-03T09:40"),
            Ok(("rust", Timing::Upcoming))
        );
        assert_eq!(
            target(&s, None, Some("netwrk"), "2023-02-03T09:40"),
            Err("There is no session #netwrk. Did you mean #network ('Network management in Enterprise Linux')? Send !search WORDS to find a session's ID.".into())
        );
        assert_eq!(
            target(&s, None, Some("zzzzzzzzzz"), "2023-02-03T09:40"),
            Err(
                "There is no session #zzzzzzzzzz. Send !search WORDS to find a session's ID, then !ask #ID QUESTION."
                    .into()
            )
        );
        assert_eq!(
            target(&s, None, Some("coffee"), "2023-02-03T09:40"),
            Err("'Coffee' is a break; it takes no questions.".into())
        );
        assert_eq!(
            target(&s, None, Some("network"), "2023-02-03T10:00"),
            Err("'Network management in Enterprise Linux' ended at 10:00 CET; it takes no more questions.".into())
        );
    }

    #[test]
    fn listing_picks_the_running_or_next_sessions_or_the_named_one() {
        let s = schedule();
        let ids = |r: Result<Vec<&Session>, Refusal>| -> Vec<String> {
            r.map(|v| v.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_else(|refusal| vec![said(refusal)])
        };
        assert_eq!(
            ids(listing_sessions(&s, None, at("2023-02-03T09:40"))),
            ["kernel", "network"]
        );
        assert_eq!(ids(listing_sessions(&s, None, at("2023-02-03T10:10"))), ["rust"]);
        assert_eq!(
            ids(listing_sessions(&s, Some("kernel news"), at("2023-02-03T10:10"))),
            ["kernel"]
        );
        assert_eq!(
            ids(listing_sessions(&s, None, at("2023-02-05T10:10"))),
            ["No session is running or coming up. Send !questions SESSION for the questions of one."]
        );
    }
}
