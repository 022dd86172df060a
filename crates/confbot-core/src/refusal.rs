//! Why the bot will not do what someone asked: the one type for the errors a user caused,
//! whatever the command. Its variants carry the data the reply needs and no text;
//! [`crate::present::refusal`] words them. Everything that is not the user's doing (a store
//! that cannot be read, a homeserver that is down) is an `anyhow::Error` in the app,
//! logged, and answered with a "sorry".

use crate::access::Role;
use crate::command::UsageError;
use crate::questions::{AskRefusal, TargetRefusal, TransitionRefusal, VoteRefusal};
use crate::time::TimeError;
use chrono::DateTime;
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The message is no command, or not one written right.
    Usage(UsageError),
    /// The command (its name, "approve") is for `needs` and up.
    NotYours {
        command: String,
        needs: Role,
    },
    /// No room or track of the schedule is called that.
    NoSuchPlace(String),
    /// `!announce … to NAME` where `[rooms]` has no such target.
    NoSuchTarget(String),
    /// `!confirm` with no announcement of the sender's waiting; the last one that expired
    /// unconfirmed, if any, and when.
    NothingToConfirm {
        expired: Option<DateTime<Tz>>,
    },
    /// A time that cannot be read, or that the zone skips or repeats.
    Time(TimeError),
    /// `!delay` where nothing is running or left that day.
    NothingToDelay,
    /// No session matches the words.
    NoSuchSession(String),
    /// Several sessions match the words where one is needed: their ids.
    SeveralSessions {
        words: String,
        ids: Vec<String>,
    },
    /// `!remind` for a session (its id) that started before `now`.
    Started {
        session: String,
        now: DateTime<Tz>,
    },
    /// `!tz NAME` where NAME is no zone of the tz database; the closest one.
    NoSuchZone {
        name: String,
        closest: Option<String>,
    },
    /// A day written that is not one of the conference's `days`.
    NoSuchDay {
        written: String,
        days: usize,
    },
    /// The schedule has no sessions at all.
    EmptySchedule,
    /// `!cancel N` with no pending announcement N.
    NoSuchAnnouncement(u64),
    /// `!forget SESSION` (its id) without a reminder for it.
    NoSuchReminder(String),
    /// `[questions] enabled = false`.
    QuestionsOff,
    /// A question, but no `[rooms] moderators` to take it.
    NoModeratorsRoom,
    /// `!questions` with nothing running or coming up.
    NothingToList,
    /// A track's moderator acting on a session (its id) of another track.
    OtherTrack(String),
    Ask(AskRefusal),
    Target(TargetRefusal),
    Moderation(TransitionRefusal),
    Vote(VoteRefusal),
}

/// Nests the refusals of each part in a `Refusal`, for `?` and `.into()`.
macro_rules! nest {
    ($($part:ty => $variant:ident),* $(,)?) => {$(
        impl From<$part> for Refusal {
            fn from(refusal: $part) -> Refusal {
                Refusal::$variant(refusal)
            }
        }
    )*};
}

nest!(
    UsageError => Usage,
    TimeError => Time,
    AskRefusal => Ask,
    TargetRefusal => Target,
    TransitionRefusal => Moderation,
    VoteRefusal => Vote,
);
