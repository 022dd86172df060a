//! Questions from the audience, through the moderators, to the speakers: which session a
//! question is for, whether it may be asked, what a moderator's action or an attendee's
//! vote does, and every message the flow posts. Pure: the store and the clock stay with
//! the adapter, which passes `now` and the stored questions in.
//!
//! # The flow, for an adapter
//! - `!ask [#ID] TEXT`: [`session_for`] picks the session (a [`TargetRefusal`] is the reply
//!   otherwise); [`check_ask`] with the asker's stored questions refuses what is too long,
//!   too frequent or a repeat ([`AskRefusal`]); the store numbers the question; [`receipt`]
//!   answers the asker and [`relay`] goes to the moderators room. Store the event ids.
//! - A reaction: look the event up in the store ([`QuestionEvent`] says which post it was),
//!   then [`reaction`] says whether it is a vote or a moderator's [`Action`], or nothing.
//! - `!approve`/`!reject`/`!answered` or ✅/❌/💬: [`transition`] gives the new status and
//!   what to post ([`Transition`]); a [`TransitionRefusal`] is the reply otherwise.
//! - `!upvote` or 👍: [`vote`], then the store's one vote per user.
//! - `!questions [SESSION]`: [`listing_sessions`], then [`list`] with the stored questions.
//! - A redaction: of an `!ask`, [`withdrawal`] (redact its posts, store it withdrawn); of
//!   the reaction that set the status, [`revert`]; of a 👍, remove that vote.
//! - An edit (`m.replace`) of an `!ask`: [`edit`] says whether the new text applies.
//! - When sessions end: [`sessions_ended`], then [`leftovers`] in the speakers room, once
//!   each (keyed by [`leftovers_key`]).
//! - The board of a place: [`board_session`] says which session it shows, [`board()`] what
//!   is on it (`present::board` words it), [`board_key`] where the store keeps its event,
//!   and [`next_change`] when to edit it again if no question changes first.

use crate::access::Role;
use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::refusal::Refusal;
use crate::schedule::{Schedule, Session, SessionKind};
use crate::{duration, text};
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

mod board;
mod limits;
mod messages;
mod moderation;
mod redactions;
mod target;
#[cfg(test)]
mod testing;

pub use board::*;
pub use limits::*;
pub use messages::*;
pub use moderation::*;
pub use redactions::*;
pub use target::*;

use crate::present::render::{plural, short_instant};
use messages::{notify, About};

/// The longest question accepted by default, in characters.
pub const DEFAULT_MAX_LENGTH: usize = 1000;
/// The default rate limit per attendee.
pub const DEFAULT_PER_USER: Rate = Rate {
    count: 3,
    window: TimeDelta::minutes(1),
};
/// How much of a question the lists (`!questions`, leftovers) show, in characters.
pub const LIST_TEXT_LIMIT: usize = 200;

/// Where a question stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for a moderator.
    Pending,
    /// Passed on to the speakers.
    Approved,
    /// Not passed on, with the reason the moderator gave, if any.
    Rejected { reason: Option<String> },
    /// The speaker answered it (final).
    Answered,
    /// The asker took it back by redacting their `!ask` (final): its posts are redacted.
    Withdrawn,
}

impl Status {
    /// The word stored in the database and shown in lists: "pending", "approved"…
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected { .. } => "rejected",
            Status::Answered => "answered",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Reads a stored status back; `reason` only matters for "rejected".
    pub fn from_stored(status: &str, reason: Option<String>) -> Option<Status> {
        Some(match status {
            "pending" => Status::Pending,
            "approved" => Status::Approved,
            "rejected" => Status::Rejected { reason },
            "answered" => Status::Answered,
            "withdrawn" => Status::Withdrawn,
            _ => return None,
        })
    }

    /// The reject reason, if this is a rejection with one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Status::Rejected { reason } => reason.as_deref(),
            _ => None,
        }
    }

    /// Pending or approved: still to be dealt with, and open to votes.
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Pending | Status::Approved)
    }

    /// The status after a moderator's `action`, or why the action does not apply.
    /// Pending → approved, rejected or answered; approved → answered or rejected;
    /// rejected → approved (a moderator may change their mind); answered and withdrawn are
    /// final.
    pub fn after(&self, number: u64, action: &Action) -> Result<Status, TransitionRefusal> {
        let refuse = |status: &Status| TransitionRefusal::Already {
            number,
            status: status.as_str(),
        };
        match (self, action) {
            (Status::Answered, _) => Err(TransitionRefusal::Final { number }),
            (Status::Withdrawn, _) => Err(TransitionRefusal::Withdrawn { number }),
            (Status::Approved, Action::Approve) => Err(refuse(self)),
            (Status::Rejected { .. }, Action::Reject(_)) => Err(refuse(self)),
            (Status::Rejected { .. }, Action::Answered) => Err(TransitionRefusal::RejectedNotAnswered { number }),
            (_, Action::Approve) => Ok(Status::Approved),
            (_, Action::Reject(reason)) => Ok(Status::Rejected { reason: reason.clone() }),
            (_, Action::Answered) => Ok(Status::Answered),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A question as stored, with its number, status, votes and the events that link it to
/// chat (so a reaction on an old message still finds it after a restart).
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// "Q12" is number 12; numbers are never reused.
    pub number: u64,
    /// The `!ask` command's event: asking twice with the same event is one question.
    pub ask_event: String,
    pub session_id: String,
    /// The asker's Matrix ID.
    pub asker: String,
    /// The asker's display name when they asked (anyone can choose any name).
    pub asker_name: String,
    /// As typed.
    pub text: String,
    pub asked_at: DateTime<Tz>,
    pub status: Status,
    pub votes: u32,
    /// The receipt to the asker: 👍 on it is a vote.
    pub receipt_event: Option<String>,
    /// The post in the moderators room: ✅ ❌ 💬 on it moderate.
    pub relay_event: Option<String>,
    /// The post in the speakers room, once approved.
    pub speakers_event: Option<String>,
    /// The moderator's action that set the current status, while it stands.
    pub triage: Option<Triage>,
}

/// The moderator's action that set a question's status: who, when, with which event (a
/// reaction or a command), and the status before, to go back to if that reaction is
/// redacted while the status it set still stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Triage {
    pub event: String,
    /// The moderator's Matrix ID.
    pub by: String,
    pub at: DateTime<Tz>,
    pub before: Status,
}

/// A question command, as the question flow carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionCommand {
    /// `!ask [#SESSION] TEXT`.
    Ask { session: Option<String>, text: String },
    /// `!upvote N`.
    Upvote(u64),
    /// `!approve N`, `!reject N [REASON]`, `!answered N`.
    Moderate(u64, Action),
    /// `!questions [SESSION]`.
    List(Option<String>),
}

/// A question to store; the store gives it its number.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuestion {
    pub ask_event: String,
    pub session_id: String,
    pub asker: String,
    pub asker_name: String,
    pub text: String,
    pub asked_at: DateTime<Tz>,
}

/// Which of a question's posts an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionEvent {
    /// The receipt to the asker, in the room they asked in.
    Receipt,
    /// The question in the moderators room.
    Relay,
    /// The question in the speakers room.
    Speakers,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_survive_storage_words() {
        for status in [
            Status::Pending,
            Status::Approved,
            Status::Rejected {
                reason: Some("dup".into()),
            },
            Status::Answered,
            Status::Withdrawn,
        ] {
            let reason = status.reason().map(str::to_string);
            assert_eq!(Status::from_stored(status.as_str(), reason), Some(status));
        }
        assert_eq!(Status::from_stored("lost", None), None);
    }
}
