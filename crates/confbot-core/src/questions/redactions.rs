//! Second thoughts: what redacting an `!ask` or a moderator's reaction, or editing an
//! `!ask`, does to a question.

use super::*;

/// The reason given with the redaction of a withdrawn question's posts.
pub const WITHDRAWN_REASON: &str = "the question was withdrawn: the message that asked it was redacted";

/// What the asker's redaction of their `!ask` does: the question becomes withdrawn and
/// its posts are taken back.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdrawal {
    pub number: u64,
    /// The status the decision was made from: store withdrawn only if it is still this.
    pub from: Status,
    /// The posts to redact (with [`WITHDRAWN_REASON`]): in the moderators room, and in the
    /// speakers room if it was passed on.
    pub relay_event: Option<String>,
    pub speakers_event: Option<String>,
}

/// The decision on the redaction of `question`'s `!ask`; `None` once it is withdrawn.
/// Any other status may be withdrawn: the asker takes their words back, whatever the
/// moderators did with them.
pub fn withdrawal(question: &Question) -> Option<Withdrawal> {
    (question.status != Status::Withdrawn).then(|| Withdrawal {
        number: question.number,
        from: question.status.clone(),
        relay_event: question.relay_event.clone(),
        speakers_event: question.speakers_event.clone(),
    })
}

/// What redacting the moderator's reaction (or command) that set a question's status
/// does: the status goes back to what it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Revert {
    pub number: u64,
    pub from: Status,
    pub to: Status,
    /// The speakers-room post to redact: the question was approved, and is no more.
    pub withdraw: Option<String>,
}

/// The decision on the redaction of event `redacted` for `question`: a revert only if
/// that event set the status the question has now (nothing changed since; a later action
/// replaces the record of which event set it). Withdrawn is final.
pub fn revert(question: &Question, redacted: &str) -> Option<Revert> {
    let triage = question.triage.as_ref().filter(|t| t.event == redacted)?;
    if question.status == Status::Withdrawn || triage.before == question.status {
        return None;
    }
    let withdraw = match (&question.status, &triage.before) {
        (Status::Approved, _) => question.speakers_event.clone(),
        _ => None,
    };
    Some(Revert {
        number: question.number,
        from: question.status.clone(),
        to: triage.before.clone(),
        withdraw,
    })
}

/// Why an edit of an `!ask` leaves the question as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditRefusal {
    /// The moderators have dealt with it: what they approved (or not) stays. The asker is
    /// told once ([`edit_ignored`]).
    Handled { number: u64, status: &'static str },
    /// Withdrawn: nothing to edit, nobody to tell.
    Withdrawn,
    /// The new text is over `[questions] max_length`: the first text stays.
    TooLong { number: u64, length: usize, max: usize },
    /// Empty once trimmed.
    Empty,
}

/// Whether an edit of `question`'s `!ask` to `text` applies: only while it is pending,
/// so that moderators never approve one text and pass on another.
pub fn edit(question: &Question, text: &str, rules: &Rules) -> Result<(), EditRefusal> {
    let number = question.number;
    match question.status {
        Status::Pending => {}
        Status::Withdrawn => return Err(EditRefusal::Withdrawn),
        ref status => {
            return Err(EditRefusal::Handled {
                number,
                status: status.as_str(),
            })
        }
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(EditRefusal::Empty);
    }
    let length = text.chars().count();
    if length > rules.max_length {
        return Err(EditRefusal::TooLong {
            number,
            length,
            max: rules.max_length,
        });
    }
    Ok(())
}

/// What the asker is told when their edit is ignored; `None` when nothing is said.
pub fn edit_ignored(refusal: &EditRefusal) -> Option<Message> {
    Some(Message::plain(&match refusal {
        EditRefusal::Handled { number, status } => format!(
            "Your edit of Q{number} is ignored: the moderators have dealt with the question ({status}), so it stays as you first asked it."
        ),
        EditRefusal::TooLong { number, length, max } => format!(
            "Your edit of Q{number} is ignored: it is {length} characters long; the limit is {max}."
        ),
        EditRefusal::Withdrawn | EditRefusal::Empty => return None,
    }))
}

/// The relay post's status line: what the moderators did and who, when. `None` while it is
/// pending (the post shows how to react instead) or withdrawn (the post is redacted).
pub fn status_line(question: &Question) -> Option<String> {
    let by = question
        .triage
        .as_ref()
        .map(|t| format!(" by {} at {}", t.by, render::clock_zone(&t.at)))
        .unwrap_or_default();
    Some(match &question.status {
        Status::Pending | Status::Withdrawn => return None,
        Status::Approved => format!("✅ passed on{by}"),
        Status::Rejected { reason: Some(reason) } => format!("❌ not passed on{by} ({})", isolate(reason)),
        Status::Rejected { reason: None } => format!("❌ not passed on{by}"),
        Status::Answered => format!("💬 marked answered{by}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::testing::*;

    fn triaged(status: Status, event: &str, before: Status) -> Question {
        let mut q = question(4, "network", "Why?", "2023-02-03T09:35");
        q.status = status;
        q.relay_event = Some("$relay4".into());
        q.triage = Some(Triage {
            event: event.into(),
            by: "@mod:example.org".into(),
            at: at("2023-02-03T09:37"),
            before,
        });
        q
    }

    #[test]
    fn a_redacted_ask_withdraws_the_question_and_its_posts_once() {
        let mut q = question(4, "network", "Why?", "2023-02-03T09:35");
        q.relay_event = Some("$relay4".into());
        let w = withdrawal(&q).unwrap();
        assert_eq!(
            (w.from, w.relay_event.as_deref(), w.speakers_event),
            (Status::Pending, Some("$relay4"), None)
        );
        q.status = Status::Approved;
        q.speakers_event = Some("$speakers4".into());
        let w = withdrawal(&q).unwrap();
        assert_eq!(
            w.speakers_event.as_deref(),
            Some("$speakers4"),
            "passed on: taken back too"
        );
        q.status = Status::Withdrawn;
        assert_eq!(withdrawal(&q), None, "a replayed redaction does nothing");
        assert_eq!(
            transition(&schedule(), &q, Action::Approve).unwrap_err(),
            TransitionRefusal::Withdrawn { number: 4 }
        );
        assert_eq!(
            said(TransitionRefusal::Withdrawn { number: 4 }),
            "Q4 was withdrawn by its asker."
        );
        assert_eq!(
            vote(&q, "@bob:example.org").unwrap_err(),
            VoteRefusal::Closed {
                number: 4,
                status: "withdrawn"
            }
        );
    }

    #[test]
    fn a_redacted_reaction_reverts_only_the_status_it_set() {
        let q = triaged(Status::Approved, "$tick", Status::Pending);
        assert_eq!(
            revert(&q, "$tick"),
            Some(Revert {
                number: 4,
                from: Status::Approved,
                to: Status::Pending,
                withdraw: None,
            })
        );
        assert_eq!(revert(&q, "$other"), None, "another moderator acted since");
        let mut passed = q.clone();
        passed.speakers_event = Some("$speakers4".into());
        assert_eq!(
            revert(&passed, "$tick").unwrap().withdraw.as_deref(),
            Some("$speakers4"),
            "the speakers no longer have it"
        );
        let rejected = triaged(Status::Rejected { reason: None }, "$cross", Status::Approved);
        let back = revert(&rejected, "$cross").unwrap();
        assert_eq!((back.to, back.withdraw), (Status::Approved, None));
        let mut gone = q.clone();
        gone.status = Status::Withdrawn;
        assert_eq!(revert(&gone, "$tick"), None, "withdrawn is final");
        let mut untracked = q;
        untracked.triage = None;
        assert_eq!(revert(&untracked, "$tick"), None);
    }

    #[test]
    fn an_edit_applies_only_while_pending_and_is_refused_once_said() {
        let rules = Rules::default();
        let mut q = question(4, "network", "Why?", "2023-02-03T09:35");
        assert_eq!(edit(&q, "Why not?", &rules), Ok(()));
        assert_eq!(edit(&q, "  ", &rules), Err(EditRefusal::Empty));
        let long = "a".repeat(1001);
        let too_long = edit(&q, &long, &rules).unwrap_err();
        assert_eq!(
            edit_ignored(&too_long).unwrap().body(),
            "Your edit of Q4 is ignored: it is 1001 characters long; the limit is 1000."
        );
        q.status = Status::Approved;
        let refusal = edit(&q, "Why not?", &rules).unwrap_err();
        assert_eq!(
            refusal,
            EditRefusal::Handled {
                number: 4,
                status: "approved"
            }
        );
        assert_eq!(
            edit_ignored(&refusal).unwrap().body(),
            "Your edit of Q4 is ignored: the moderators have dealt with the question (approved), so it stays as you first asked it."
        );
        q.status = Status::Withdrawn;
        assert_eq!(edit(&q, "Why not?", &rules), Err(EditRefusal::Withdrawn));
        assert_eq!(edit_ignored(&EditRefusal::Withdrawn), None);
    }

    #[test]
    fn the_status_line_says_what_was_done_by_whom_and_when() {
        let q = triaged(Status::Approved, "$tick", Status::Pending);
        assert_eq!(
            status_line(&q).as_deref(),
            Some("✅ passed on by @mod:example.org at 09:37 CET")
        );
        let q = triaged(
            Status::Rejected {
                reason: Some("<b>dup</b>".into()),
            },
            "$x",
            Status::Pending,
        );
        assert_eq!(
            status_line(&q).as_deref(),
            Some("❌ not passed on by @mod:example.org at 09:37 CET (<b>dup</b>)")
        );
        let q = triaged(Status::Answered, "$x", Status::Approved);
        assert_eq!(
            status_line(&q).as_deref(),
            Some("💬 marked answered by @mod:example.org at 09:37 CET")
        );
        let mut q = triaged(Status::Pending, "$x", Status::Pending);
        assert_eq!(status_line(&q), None);
        q.status = Status::Approved;
        q.triage = None;
        assert_eq!(status_line(&q).as_deref(), Some("✅ passed on"));
    }
}
