//! What a moderator's action or an attendee's vote does to a question.

use super::*;

/// What a moderator does to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Approve,
    /// With the reason for the asker, if given.
    Reject(Option<String>),
    Answered,
}

/// What a reaction means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactionMeaning {
    Moderate(Action),
    Vote,
}

impl Action {
    /// ✅ (or ✔️ ☑️) approves, ❌ (or ✖️ 🚫) rejects, 💬 marks answered, 👍 (any skin tone)
    /// votes; with or without variation selectors. Anything else means nothing.
    pub fn from_reaction(key: &str) -> Option<ReactionMeaning> {
        let bare: String = key
            .trim()
            .chars()
            .filter(|&c| !matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}'))
            .collect();
        Some(match bare.as_str() {
            "\u{2705}" | "\u{2714}" | "\u{2611}" => ReactionMeaning::Moderate(Action::Approve),
            "\u{274C}" | "\u{2716}" | "\u{1F6AB}" => ReactionMeaning::Moderate(Action::Reject(None)),
            "\u{1F4AC}" => ReactionMeaning::Moderate(Action::Answered),
            "\u{1F44D}" => ReactionMeaning::Vote,
            _ => return None,
        })
    }
}

/// What a reaction with `key` on a question's post `on`, by someone with `role`, does:
/// a vote on the receipt (anyone; [`vote`] still checks), a moderator's action on the
/// post in the moderators room (moderators and organizers only). Others mean nothing.
pub fn reaction(key: &str, on: QuestionEvent, role: Role) -> Option<ReactionMeaning> {
    match (Action::from_reaction(key)?, on) {
        (ReactionMeaning::Vote, QuestionEvent::Receipt) => Some(ReactionMeaning::Vote),
        (ReactionMeaning::Moderate(action), QuestionEvent::Relay) if role >= Role::Moderator => {
            Some(ReactionMeaning::Moderate(action))
        }
        _ => None,
    }
}

/// Why a moderator's action does not apply (`present::refusal` words the reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionRefusal {
    /// When the store has no question with that number.
    NoSuchQuestion {
        number: u64,
    },
    Already {
        number: u64,
        status: &'static str,
    },
    Final {
        number: u64,
    },
    /// The asker withdrew it (redacted their `!ask`).
    Withdrawn {
        number: u64,
    },
    RejectedNotAnswered {
        number: u64,
    },
    /// A moderator of one place's questions acted on another place's.
    OtherPlace {
        number: u64,
    },
}

/// Whether a moderator whose power covers only the questions triaged in moderators room
/// `scope` (a place's own, as the config names it) may act on question `number`, triaged
/// in `triaged_in`. Without a scope (the conference's moderators and organizers) they
/// may act on any.
pub fn check_scope(number: u64, scope: Option<&str>, triaged_in: Option<&str>) -> Result<(), TransitionRefusal> {
    match scope {
        Some(scope) if triaged_in != Some(scope) => Err(TransitionRefusal::OtherPlace { number }),
        _ => Ok(()),
    }
}

/// What a moderator's action does: the status to store and what to post.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub number: u64,
    /// The status the decision was made from: store the new one only if it is still this
    /// (two moderators may act at once), else decide again.
    pub from: Status,
    /// The status to store.
    pub to: Status,
    /// Post in the speakers room (then store its event id as the speakers event).
    pub to_speakers: Option<Message>,
    /// The speakers-room post to redact: the question was approved, then rejected.
    pub withdraw: Option<String>,
    /// Tell the asker, when `[questions] notify_asker` is on.
    pub to_asker: Message,
    /// The confirmation for the moderator (a command's reply; a reaction needs none).
    pub reply: Message,
}

/// The decision on a moderator's `action` on `question`.
pub fn transition(schedule: &Schedule, question: &Question, action: Action) -> Result<Transition, TransitionRefusal> {
    let to = question.status.after(question.number, &action)?;
    let about = About::of(schedule, &question.session_id);
    let n = question.number;
    let reply = match &to {
        Status::Approved => format!("Q{n} approved and passed on to the speakers."),
        Status::Rejected { reason: Some(reason) } => format!("Q{n} rejected ({}).", isolate(reason)),
        Status::Rejected { reason: None } => format!("Q{n} rejected."),
        Status::Answered => format!("Q{n} marked answered."),
        Status::Pending | Status::Withdrawn => unreachable!("no action makes a question pending or withdrawn"),
    };
    Ok(Transition {
        number: n,
        from: question.status.clone(),
        to_speakers: (to == Status::Approved).then(|| to_speakers(schedule, question)),
        withdraw: match to {
            Status::Rejected { .. } => question.speakers_event.clone(),
            _ => None,
        },
        to_asker: notify(&about, n, &to),
        reply: Message::plain(&reply),
        to,
    })
}

/// Why a vote does not count (`present::refusal` words the reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteRefusal {
    /// When the store has no question with that number.
    NoSuchQuestion {
        number: u64,
    },
    OwnQuestion {
        number: u64,
    },
    Closed {
        number: u64,
        status: &'static str,
    },
    /// When the store already has this voter's vote.
    AlreadyVoted {
        number: u64,
    },
}

/// Whether `voter` may vote for `question`: not the asker, and only while it is pending or
/// approved. One vote per user is the store's to enforce ([`VoteRefusal::AlreadyVoted`]).
pub fn vote(question: &Question, voter: &str) -> Result<(), VoteRefusal> {
    if question.asker == voter {
        return Err(VoteRefusal::OwnQuestion {
            number: question.number,
        });
    }
    if !question.status.is_open() {
        return Err(VoteRefusal::Closed {
            number: question.number,
            status: question.status.as_str(),
        });
    }
    Ok(())
}

/// The reply to a counted `!upvote`: `votes` is the count with this vote.
pub fn voted(number: u64, votes: u32) -> Message {
    Message::plain(&format!(
        "Your vote for Q{number} is counted; it has {} now.",
        plural(u64::from(votes), "vote")
    ))
}

/// The one ranking of questions, wherever they are listed (`!questions`, the leftovers,
/// the speakers room, the [`board`]): most votes first; equal votes oldest first, by when
/// they were asked, then by number. Numbers follow the order the store received the
/// questions, which after a restart's catch-up need not be the order they were asked in.
pub fn by_votes(questions: &mut [Question]) {
    questions.sort_by(|a, b| {
        (b.votes.cmp(&a.votes))
            .then(a.asked_at.cmp(&b.asked_at))
            .then(a.number.cmp(&b.number))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::testing::*;

    #[test]
    fn a_places_own_moderators_act_only_on_its_questions() {
        assert_eq!(check_scope(3, None, Some("#mods:ex.org")), Ok(()));
        assert_eq!(
            check_scope(3, Some("#kernel-mods:ex.org"), Some("#kernel-mods:ex.org")),
            Ok(())
        );
        assert_eq!(
            check_scope(3, Some("#kernel-mods:ex.org"), Some("#mods:ex.org")),
            Err(TransitionRefusal::OtherPlace { number: 3 })
        );
        assert_eq!(
            said(TransitionRefusal::OtherPlace { number: 3 }),
            "Q3 is about another track or room: its own moderators (or the conference's) decide on it."
        );
    }

    #[test]
    fn reactions_are_read_with_or_without_variation_selectors() {
        let approve = Some(ReactionMeaning::Moderate(Action::Approve));
        let reject = Some(ReactionMeaning::Moderate(Action::Reject(None)));
        for key in ["✅", "✅\u{FE0F}", "✔️", "✔", "☑️", "☑"] {
            assert_eq!(Action::from_reaction(key), approve, "{key:?}");
        }
        for key in ["❌", "❌\u{FE0F}", "✖️", "✖", "🚫"] {
            assert_eq!(Action::from_reaction(key), reject, "{key:?}");
        }
        assert_eq!(
            Action::from_reaction("💬"),
            Some(ReactionMeaning::Moderate(Action::Answered))
        );
        for key in ["👍", "👍\u{FE0F}", "👍🏽", "👍🏿", "👍🏻\u{FE0F}"] {
            assert_eq!(Action::from_reaction(key), Some(ReactionMeaning::Vote), "{key:?}");
        }
        for key in ["❤️", "👎", "", "✅✅", "ok"] {
            assert_eq!(Action::from_reaction(key), None, "{key:?}");
        }
    }

    #[test]
    fn a_reaction_counts_only_on_the_right_post_from_the_right_people() {
        assert_eq!(
            reaction("👍", QuestionEvent::Receipt, Role::Attendee),
            Some(ReactionMeaning::Vote)
        );
        assert_eq!(reaction("👍", QuestionEvent::Relay, Role::Moderator), None);
        assert_eq!(
            reaction("✅", QuestionEvent::Relay, Role::Moderator),
            Some(ReactionMeaning::Moderate(Action::Approve))
        );
        assert_eq!(
            reaction("💬", QuestionEvent::Relay, Role::Organizer),
            Some(ReactionMeaning::Moderate(Action::Answered))
        );
        assert_eq!(reaction("✅", QuestionEvent::Relay, Role::Attendee), None);
        assert_eq!(reaction("✅", QuestionEvent::Receipt, Role::Moderator), None);
        assert_eq!(reaction("❌", QuestionEvent::Speakers, Role::Moderator), None);
    }

    #[test]
    fn approving_relays_to_the_speakers_once() {
        let s = schedule();
        let mut q = question(12, "network", "Is 1.42 in 9.2?", "2023-02-03T09:35");
        q.votes = 2;
        let t = transition(&s, &q, Action::Approve).unwrap();
        assert_eq!((t.number, &t.from, &t.to), (12, &Status::Pending, &Status::Approved));
        assert_eq!(
            t.to_speakers.as_ref().map(|m| m.body()),
            Some("Q12 for 'Network management in Enterprise Linux' (Pagoda room) · 2 votes\nIs 1.42 in 9.2?\nAsked by Alice")
        );
        assert_eq!(t.withdraw, None);
        assert_eq!(t.reply.body(), "Q12 approved and passed on to the speakers.");
        assert_eq!(
            t.to_asker.body(),
            "Your question Q12 for 'Network management in Enterprise Linux' was passed on to the speakers."
        );
        q.status = t.to;
        let twice = transition(&s, &q, Action::Approve).unwrap_err();
        assert_eq!(said(twice), "Q12 is already approved.", "a double ✅ relays nothing");
    }

    #[test]
    fn rejecting_tells_the_reason_and_withdraws_what_the_speakers_got() {
        let s = schedule();
        let mut q = question(7, "network", "Off topic", "2023-02-03T09:35");
        let t = transition(&s, &q, Action::Reject(Some("asked already as Q3".into()))).unwrap();
        assert_eq!(
            t.to,
            Status::Rejected {
                reason: Some("asked already as Q3".into())
            }
        );
        assert_eq!(t.to_speakers, None);
        assert_eq!(t.reply.body(), "Q7 rejected (asked already as Q3).");
        assert_eq!(
            t.to_asker.body(),
            "Your question Q7 for 'Network management in Enterprise Linux' was not passed on by the moderators. Reason: asked already as Q3"
        );
        q.status = Status::Approved;
        q.speakers_event = Some("$speakers7".into());
        let t = transition(&s, &q, Action::Reject(None)).unwrap();
        assert_eq!(t.withdraw.as_deref(), Some("$speakers7"), "approved, then rejected");
        assert_eq!(
            t.to_asker.body(),
            "Your question Q7 for 'Network management in Enterprise Linux' was not passed on by the moderators."
        );
        q.status = t.to;
        assert_eq!(
            said(transition(&s, &q, Action::Reject(Some("again".into()))).unwrap_err()),
            "Q7 is already rejected."
        );
        let back = transition(&s, &q, Action::Approve).unwrap();
        assert_eq!(back.to, Status::Approved, "a moderator may change their mind");
        assert!(back.to_speakers.is_some());
        assert_eq!(
            said(transition(&s, &q, Action::Answered).unwrap_err()),
            "Q7 was rejected; approve it first if it should count as answered."
        );
    }

    #[test]
    fn answered_is_final() {
        let s = schedule();
        let mut q = question(3, "network", "Why?", "2023-02-03T09:35");
        for from in [Status::Pending, Status::Approved] {
            q.status = from;
            let t = transition(&s, &q, Action::Answered).unwrap();
            assert_eq!(t.to, Status::Answered);
            assert_eq!(t.to_speakers, None);
            assert_eq!(t.reply.body(), "Q3 marked answered.");
            assert_eq!(
                t.to_asker.body(),
                "Your question Q3 for 'Network management in Enterprise Linux' was marked answered. Thank you for asking!"
            );
        }
        q.status = Status::Answered;
        for action in [Action::Approve, Action::Reject(None), Action::Answered] {
            assert_eq!(
                transition(&s, &q, action).unwrap_err(),
                TransitionRefusal::Final { number: 3 }
            );
        }
        assert_eq!(
            said(TransitionRefusal::Final { number: 3 }),
            "Q3 was answered already; that is final."
        );
    }

    #[test]
    fn votes_are_for_open_questions_of_others() {
        let mut q = question(12, "network", "Why?", "2023-02-03T09:35");
        assert_eq!(vote(&q, "@bob:example.org"), Ok(()));
        assert_eq!(
            said(vote(&q, "@alice:example.org").unwrap_err()),
            "You cannot vote for your own question Q12."
        );
        q.status = Status::Approved;
        assert_eq!(vote(&q, "@bob:example.org"), Ok(()));
        q.status = Status::Answered;
        assert_eq!(
            said(vote(&q, "@bob:example.org").unwrap_err()),
            "Q12 is answered; it takes no more votes."
        );
        q.status = Status::Rejected { reason: None };
        assert_eq!(
            said(vote(&q, "@bob:example.org").unwrap_err()),
            "Q12 is rejected; it takes no more votes."
        );
        assert_eq!(
            said(VoteRefusal::AlreadyVoted { number: 12 }),
            "You have already voted for Q12."
        );
        assert_eq!(voted(12, 1).body(), "Your vote for Q12 is counted; it has 1 vote now.");
    }

    #[test]
    fn most_votes_first_then_the_order_asked() {
        let mut qs: Vec<Question> = [(1, 0), (2, 5), (3, 5), (4, 1)]
            .into_iter()
            .map(|(n, v)| {
                let mut q = question(n, "network", "q", "2023-02-03T09:35");
                q.votes = v;
                q
            })
            .collect();
        qs.reverse();
        by_votes(&mut qs);
        assert_eq!(qs.iter().map(|q| q.number).collect::<Vec<_>>(), [2, 3, 4, 1]);
        // Equal votes: the one asked first wins, even with a later number.
        qs[0].asked_at = at("2023-02-03T09:36");
        qs[1].asked_at = at("2023-02-03T09:34");
        by_votes(&mut qs);
        assert_eq!(qs.iter().map(|q| q.number).collect::<Vec<_>>(), [3, 2, 4, 1]);
    }
}
