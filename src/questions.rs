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
//! - When sessions end: [`sessions_ended`], then [`leftovers`] in the speakers room, once
//!   each (keyed by [`leftovers_key`]).

use crate::command::Role;
use crate::message::{isolate, Message};
use crate::schedule::{Schedule, Session, SessionKind};
use crate::{answer, duration, render, text, time};
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

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
}

impl Status {
    /// The word stored in the database and shown in lists: "pending", "approved"…
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected { .. } => "rejected",
            Status::Answered => "answered",
        }
    }

    /// Reads a stored status back; `reason` only matters for "rejected".
    pub fn from_stored(status: &str, reason: Option<String>) -> Option<Status> {
        Some(match status {
            "pending" => Status::Pending,
            "approved" => Status::Approved,
            "rejected" => Status::Rejected { reason },
            "answered" => Status::Answered,
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
    /// rejected → approved (a moderator may change their mind); answered is final.
    pub fn after(&self, number: u64, action: &Action) -> Result<Status, TransitionRefusal> {
        let refuse = |status: &Status| TransitionRefusal::Already {
            number,
            status: status.as_str(),
        };
        match (self, action) {
            (Status::Answered, _) => Err(TransitionRefusal::Final { number }),
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

// ---------------------------------------------------------------------------------------
// Limits

/// At most `count` questions per `window`: "3/1m".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window: TimeDelta,
}

/// A rate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{input}\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\"")]
pub struct RateError {
    pub input: String,
}

impl FromStr for Rate {
    type Err = RateError;

    /// "3/1m", "10/1h", "5/30s": a count of at least 1 and a duration longer than zero.
    fn from_str(input: &str) -> Result<Rate, RateError> {
        let err = || RateError {
            input: input.to_string(),
        };
        let (count, window) = input.split_once('/').ok_or_else(err)?;
        let count: u32 = count.trim().parse().map_err(|_| err())?;
        let window = duration::parse(window).map_err(|_| err())?;
        if count == 0 || window <= TimeDelta::zero() {
            return Err(err());
        }
        Ok(Rate { count, window })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, duration::Compact(self.window))
    }
}

/// What an attendee may ask: from `[questions]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// In characters (not bytes), before any escaping.
    pub max_length: usize,
    /// `None`: no rate limit.
    pub per_user: Option<Rate>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            max_length: DEFAULT_MAX_LENGTH,
            per_user: Some(DEFAULT_PER_USER),
        }
    }
}

/// Why a question is not taken; `Display` is the reply to the asker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AskRefusal {
    #[error("Your question is {length} characters long; the limit is {max}. Please shorten it and ask again.")]
    TooLong { length: usize, max: usize },
    #[error("You have asked {} in the last {}; you can ask again at {} ({}).",
        plural(u64::from(*count), "question"), span(*window), short_instant(until, *until - *wait), render::relative(*until - *wait, *until))]
    RateLimited {
        /// The limit's count and window, as configured.
        count: u32,
        window: TimeDelta,
        /// When the asker may ask again.
        until: DateTime<Tz>,
        /// How long that is from now.
        wait: TimeDelta,
    },
    #[error("You have already asked this question: it is Q{number}.")]
    Duplicate { number: u64 },
}

/// Whether `asker_history` allows asking `text` for `session_id` at `now` under `rules`.
///
/// `asker_history` holds the asker's stored questions: at least those for `session_id` and
/// those asked within the rate window (all of them is simplest: they are few). A question
/// of exactly `max_length` characters is accepted; the rate window is half-open, so a
/// question asked exactly one window ago no longer counts. A repeat (same session, same
/// words ignoring case and spacing) is reported before the rate limit, so asking the same
/// thing again gets its number rather than "wait".
pub fn check_ask(
    rules: &Rules,
    text: &str,
    session_id: &str,
    asker_history: &[Question],
    now: DateTime<Tz>,
) -> Result<(), AskRefusal> {
    let length = text.trim().chars().count();
    if length > rules.max_length {
        return Err(AskRefusal::TooLong {
            length,
            max: rules.max_length,
        });
    }
    let wanted = comparable(text);
    if let Some(earlier) = asker_history
        .iter()
        .filter(|q| q.session_id == session_id && comparable(&q.text) == wanted)
        .min_by_key(|q| q.number)
    {
        return Err(AskRefusal::Duplicate { number: earlier.number });
    }
    if let Some(rate) = rules.per_user {
        let since = now - rate.window;
        let mut recent: Vec<DateTime<Tz>> = asker_history
            .iter()
            .map(|q| q.asked_at)
            .filter(|&at| at > since && at <= now)
            .collect();
        let allowed = rate.count as usize;
        if recent.len() >= allowed {
            recent.sort();
            // Asking is possible again once enough of the recent questions leave the window.
            let until = recent[recent.len() - allowed] + rate.window;
            return Err(AskRefusal::RateLimited {
                count: rate.count,
                window: rate.window,
                until,
                wait: until - now,
            });
        }
    }
    Ok(())
}

/// The text as compared for repeats: trimmed, runs of whitespace as one space, lower case.
fn comparable(text: &str) -> String {
    text::collapse_whitespace(text).to_lowercase()
}

// ---------------------------------------------------------------------------------------
// Which session

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

/// Why no session could be chosen; `Display` is the reply to the asker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefusal {
    #[error("There is no session #{}.{}", isolate(id), unknown_hint(suggestion))]
    UnknownSession {
        id: String,
        /// The closest session id and its title.
        suggestion: Option<(String, String)>,
    },
    #[error("'{title}' ended at {}; it takes no more questions.", clock_zone(ended))]
    Ended { title: String, ended: DateTime<Tz> },
    #[error("'{title}' is a {}; it takes no questions.", kind.as_str())]
    NoQuestions { title: String, kind: SessionKind },
    #[error("{}; say which one with !ask #ID QUESTION: {}.",
        if *running { "Several sessions are running now" } else { "Nothing is running now and several sessions come next" },
        choices_text(choices))]
    Several {
        /// Whether the choices are running (else they start next).
        running: bool,
        choices: Vec<Choice>,
    },
    #[error("{}", nothing_left(place))]
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

fn unknown_hint(suggestion: &Option<(String, String)>) -> String {
    match suggestion {
        Some((id, title)) => format!(" Did you mean #{id} ('{title}')? Send !search WORDS to find a session's ID."),
        None => " Send !search WORDS to find a session's ID, then !ask #ID QUESTION.".to_string(),
    }
}

fn choices_text(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| match &c.room {
            Some(room) => format!("#{} '{}' ({room})", c.id, c.title),
            None => format!("#{} '{}'", c.id, c.title),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn nothing_left(place: &Option<String>) -> String {
    match place {
        Some(place) => {
            format!("Nothing more is scheduled in {place} to take questions. Name a session with !ask #ID QUESTION.")
        }
        None => "No session is left to take questions: the conference is over.".to_string(),
    }
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
) -> Result<Vec<&'s Session>, Message> {
    if let Some(words) = named {
        let id = answer::one_session(schedule, words)?;
        return Ok(schedule.session(&id).into_iter().collect());
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
        None => Err(Message::plain(
            "No session is running or coming up. Send !questions SESSION for the questions of one.",
        )),
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

// ---------------------------------------------------------------------------------------
// Moderation and votes

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

/// Why a moderator's action does not apply; `Display` is the reply to the moderator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefusal {
    /// When the store has no question with that number.
    #[error("There is no question Q{number}.")]
    NoSuchQuestion { number: u64 },
    #[error("Q{number} is already {status}.")]
    Already { number: u64, status: &'static str },
    #[error("Q{number} was answered already; that is final.")]
    Final { number: u64 },
    #[error("Q{number} was rejected; approve it first if it should count as answered.")]
    RejectedNotAnswered { number: u64 },
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
        Status::Pending => unreachable!("no action makes a question pending"),
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

/// Why a vote does not count; `Display` is the reply to the voter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteRefusal {
    /// When the store has no question with that number.
    #[error("There is no question Q{number}.")]
    NoSuchQuestion { number: u64 },
    #[error("You cannot vote for your own question Q{number}.")]
    OwnQuestion { number: u64 },
    #[error("Q{number} is {status}; it takes no more votes.")]
    Closed { number: u64, status: &'static str },
    /// When the store already has this voter's vote.
    #[error("You have already voted for Q{number}.")]
    AlreadyVoted { number: u64 },
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

/// Most votes first; equal votes in the order asked.
pub fn by_votes(questions: &mut [Question]) {
    questions.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.number.cmp(&b.number)));
}

// ---------------------------------------------------------------------------------------
// Messages

/// A question's session as the messages show it; a session the schedule no longer has
/// (changed by a reload) is shown by its id.
struct About<'s> {
    id: &'s str,
    session: Option<&'s Session>,
}

impl<'s> About<'s> {
    fn of(schedule: &'s Schedule, id: &'s str) -> About<'s> {
        About {
            id,
            session: schedule.session(id),
        }
    }

    /// "'Title'", or "session #id".
    fn title(&self) -> String {
        match self.session {
            Some(s) => format!("'{}'", s.title),
            None => format!("session #{}", self.id),
        }
    }

    /// "'Title' (Pagoda room)".
    fn title_room(&self) -> String {
        match self.session.and_then(|s| s.room.as_deref()) {
            Some(room) => format!("{} ({room})", self.title()),
            None => self.title(),
        }
    }

    /// "'Title' (Pagoda room, 14:15–14:40 CET)".
    fn title_room_time(&self) -> String {
        let Some(session) = self.session else {
            return self.title();
        };
        let mut parts: Vec<String> = session.room.iter().cloned().collect();
        parts.push(render::when(session));
        format!("{} ({})", self.title(), parts.join(", "))
    }
}

/// The reply to the asker once their question is stored as `number`.
pub fn receipt(number: u64, target: &Target<'_>, now: DateTime<Tz>) -> Message {
    let session = target.session;
    let starts = || {
        let mut parts: Vec<String> = session.room.iter().cloned().collect();
        parts.push(format!(
            "{}, {}",
            short_instant(&session.start, now),
            render::relative(now, session.start)
        ));
        parts.join(", ")
    };
    let first = match target.timing {
        Timing::Running => format!("Question Q{number} for '{}' sent to the moderators.", session.title),
        Timing::Next => format!(
            "No session is running here now, so question Q{number} is kept for the next one, '{}' ({}), and sent to the moderators.",
            session.title,
            starts()
        ),
        Timing::Upcoming => format!(
            "Question Q{number} for '{}' ({}) sent to the moderators; it waits for the session to start.",
            session.title,
            starts()
        ),
    };
    let mut message = Message::new();
    message.text(&first).line_break().text(&format!(
        "Others can support it: react 👍 to this message or send !upvote Q{number}."
    ));
    message
}

/// The question in the moderators room: number, session and room, who asked (display name
/// and Matrix ID, since names can be spoofed), when, and the text as typed, line breaks
/// kept, never shortened. The adapter sets `m.mentions` so that nobody is pinged.
pub fn relay(schedule: &Schedule, question: &Question) -> Message {
    let about = About::of(schedule, &question.session_id);
    let mut message = Message::new();
    message
        .strong(&format!("Q{}", question.number))
        .text(&format!(" for {}", about.title_room_time()))
        .line_break()
        .text("From ");
    asker(&mut message, question);
    let reference = about.session.map_or(question.asked_at, |s| s.start);
    message.text(&format!(" at {}", short_instant(&question.asked_at, reference)));
    if about.session.is_some_and(|s| question.asked_at < s.start) {
        message.text(", before the session started");
    }
    message.line_break();
    as_typed(&mut message, &question.text);
    message.line_break().text("React ✅ approve · ❌ reject · 💬 answered");
    message
}

/// An approved question in the speakers room, one message each, in full.
pub fn to_speakers(schedule: &Schedule, question: &Question) -> Message {
    let about = About::of(schedule, &question.session_id);
    let mut message = Message::new();
    message
        .strong(&format!("Q{}", question.number))
        .text(&format!(" for {}", about.title_room()));
    if question.votes > 0 {
        message.text(&format!(" · {}", plural(u64::from(question.votes), "vote")));
    }
    message.line_break();
    as_typed(&mut message, &question.text);
    message.line_break().text(&format!("Asked by {}", shown_name(question)));
    message
}

/// `!questions`: the open questions of each session, by votes, each text on one line and
/// cut near [`LIST_TEXT_LIMIT`] characters. `entries` pairs each session with its stored
/// questions (any status, any order).
pub fn list(entries: &[(&Session, Vec<Question>)]) -> Message {
    let mut message = Message::new();
    for (i, (session, questions)) in entries.iter().enumerate() {
        if i > 0 {
            message.line_break();
        }
        let about = About {
            id: &session.id,
            session: Some(session),
        };
        let mut open: Vec<Question> = questions.iter().filter(|q| q.status.is_open()).cloned().collect();
        by_votes(&mut open);
        if open.is_empty() {
            message.text(&format!("No open questions for {}.", about.title_room_time()));
        } else {
            message.text(&format!("Open questions for {}, by votes:", about.title_room_time()));
        }
        for question in &open {
            message.line_break().text(&format!(
                "  Q{} · {} · {} · ",
                question.number,
                plural(u64::from(question.votes), "vote"),
                question.status
            ));
            asker(&mut message, question);
            message.text(&format!(": {}", isolate(&shorten(&question.text, LIST_TEXT_LIMIT))));
        }
        let closed: Vec<String> = ["answered", "rejected"]
            .iter()
            .map(|status| {
                (
                    status,
                    questions.iter().filter(|q| q.status.as_str() == *status).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        if !closed.is_empty() {
            message
                .line_break()
                .text(&format!("  Not shown: {}.", closed.join(", ")));
        }
    }
    message
}

/// The speakers-room list when `session` has ended: its approved questions not marked
/// answered, by votes; `None` when there are none. Texts are cut as in [`list`]: each was
/// posted in full when approved.
pub fn leftovers(session: &Session, questions: &[Question]) -> Option<Message> {
    let mut left: Vec<Question> = questions
        .iter()
        .filter(|q| q.status == Status::Approved)
        .cloned()
        .collect();
    if left.is_empty() {
        return None;
    }
    by_votes(&mut left);
    let about = About {
        id: &session.id,
        session: Some(session),
    };
    let mut message = Message::new();
    message.text(&format!(
        "{} has ended with {} not marked answered, by votes:",
        about.title_room(),
        plural(left.len() as u64, "approved question")
    ));
    for question in &left {
        message
            .line_break()
            .text("  ")
            .strong(&format!("Q{}", question.number))
            .text(&format!(
                " · {}: {}",
                plural(u64::from(question.votes), "vote"),
                isolate(&shorten(&question.text, LIST_TEXT_LIMIT))
            ));
    }
    Some(message)
}

/// What the asker is told when `question` becomes `status` (when `[questions] notify_asker`
/// is on): passed on, answered, or rejected with the reason. [`transition`] includes it.
pub fn notify_asker(schedule: &Schedule, question: &Question, status: &Status) -> Message {
    notify(&About::of(schedule, &question.session_id), question.number, status)
}

fn notify(about: &About<'_>, number: u64, status: &Status) -> Message {
    let about = about.title();
    Message::plain(&match status {
        Status::Approved => format!("Your question Q{number} for {about} was passed on to the speakers."),
        Status::Answered => format!("Your question Q{number} for {about} was marked answered. Thank you for asking!"),
        Status::Rejected { reason: Some(reason) } => {
            format!(
                "Your question Q{number} for {about} was not passed on by the moderators. Reason: {}",
                isolate(reason)
            )
        }
        Status::Rejected { reason: None } => {
            format!("Your question Q{number} for {about} was not passed on by the moderators.")
        }
        Status::Pending => format!("Your question Q{number} for {about} is waiting for the moderators."),
    })
}

/// "Alice (@alice:example.org)", or just the ID when the name adds nothing. The name is put
/// on one line and isolated: a display name must not be able to fake a line of the message
/// or turn the ID after it around.
fn asker(message: &mut Message, question: &Question) {
    let name = shown_name(question);
    if name == question.asker {
        message.code(&question.asker);
    } else {
        message.text(&format!("{name} (")).code(&question.asker).text(")");
    }
}

fn shown_name(question: &Question) -> String {
    let name = text::collapse_whitespace(&question.asker_name);
    if name.is_empty() {
        question.asker.clone()
    } else {
        isolate(&name).into_owned()
    }
}

/// The text as typed: every line kept, HTML and markdown shown rather than rendered, and
/// direction controls kept to their line. Every line after the first starts with "> ", in
/// the plain body and in HTML, so that no line of a question can pass for one of the
/// message's own ("React ✅ approve…", "Asked by …"). Any character a client may show as a
/// line break counts as one, not only "\n".
fn as_typed(message: &mut Message, text: &str) {
    let text = text.trim().replace("\r\n", "\n");
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{1C}'..='\u{1E}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    for (i, line) in text.split(breaks).enumerate() {
        if i > 0 {
            message.line_break().text("> ");
        }
        message.text(&isolate(line));
    }
}

/// The text on one line, cut at a word boundary near `limit` characters, with "…".
pub fn shorten(text: &str, limit: usize) -> String {
    let line = text::collapse_whitespace(text);
    if line.chars().count() <= limit {
        return line;
    }
    let cut: String = line.chars().take(limit).collect();
    let end = cut.rfind(' ').filter(|&i| i > limit / 2).unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

/// "14:15 CET" on the day of `now`, else "Sat 4 Feb 09:00 CET".
fn short_instant(at: &DateTime<Tz>, now: DateTime<Tz>) -> String {
    if at.date_naive() == now.date_naive() {
        clock_zone(at)
    } else {
        format!("{} {}", render::short_day(at.date_naive()), clock_zone(at))
    }
}

fn clock_zone(at: &DateTime<Tz>) -> String {
    format!("{} {}", time::clock(at), time::zone_abbreviation(at))
}

fn plural(n: u64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// "minute", "30 seconds", "2 hours", "1h30m": a window as in "in the last …".
fn span(window: TimeDelta) -> String {
    let seconds = window.num_seconds();
    let units = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")];
    for (size, unit) in units {
        if seconds >= size && seconds % size == 0 {
            let n = seconds / size;
            return if n == 1 {
                unit.to_string()
            } else {
                plural(n as u64, unit)
            };
        }
    }
    duration::Compact(window).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::native;

    /// Two rooms, a keynote in no particular room, a break, and a talk on the next day.
    fn schedule() -> Schedule {
        native::parse(
            r#"
[conference]
name = "Mini"
timezone = "Europe/Brussels"
[[speakers]]
id = "ff"
name = "Fernando Fernández Mancera"
[[sessions]]
id = "opening"
title = "Opening keynote"
kind = "keynote"
start = "2023-02-03T09:00"
duration = "30m"
[[sessions]]
id = "network"
title = "Network management in Enterprise Linux"
start = "2023-02-03T09:30"
duration = "30m"
room = "Pagoda room"
speakers = ["ff"]
[[sessions]]
id = "kernel"
title = "Kernel news"
start = "2023-02-03T09:30"
duration = "30m"
room = "Janson"
[[sessions]]
id = "coffee"
title = "Coffee"
kind = "break"
start = "2023-02-03T10:00"
duration = "30m"
room = "Pagoda room"
[[sessions]]
id = "rust"
title = "Rust in the kernel"
start = "2023-02-03T10:30"
duration = "30m"
room = "Pagoda room"
[[sessions]]
id = "late"
title = "Late talk"
start = "2023-02-03T11:00"
duration = "30m"
room = "Janson"
[[sessions]]
id = "saturday"
title = "Saturday morning"
start = "2023-02-04T09:00"
duration = "30m"
room = "Janson"
"#,
            "mini.toml",
            None,
        )
        .unwrap()
        .schedule
    }

    fn at(s: &str) -> DateTime<Tz> {
        time::parse_instant(s, chrono_tz::Europe::Brussels).unwrap()
    }

    fn question(number: u64, session: &str, text: &str, asked_at: &str) -> Question {
        Question {
            number,
            ask_event: format!("$ask{number}"),
            session_id: session.into(),
            asker: "@alice:example.org".into(),
            asker_name: "Alice".into(),
            text: text.into(),
            asked_at: at(asked_at),
            status: Status::Pending,
            votes: 0,
            receipt_event: None,
            relay_event: None,
            speakers_event: None,
        }
    }

    fn target<'s>(
        s: &'s Schedule,
        here: Option<&str>,
        named: Option<&str>,
        now: &str,
    ) -> Result<(&'s str, Timing), String> {
        session_for(s, here, named, at(now))
            .map(|t| (t.session.id.as_str(), t.timing))
            .map_err(|e| e.to_string())
    }

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
            next.to_string(),
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
    fn the_length_limit_counts_characters_and_accepts_exactly_the_limit() {
        let rules = Rules {
            max_length: 1000,
            per_user: None,
        };
        let now = at("2023-02-03T09:40");
        let exactly = "é".repeat(1000);
        assert_eq!(check_ask(&rules, &exactly, "network", &[], now), Ok(()));
        let over = "é".repeat(1001);
        let refusal = check_ask(&rules, &over, "network", &[], now).unwrap_err();
        assert_eq!(
            refusal,
            AskRefusal::TooLong {
                length: 1001,
                max: 1000
            }
        );
        assert_eq!(
            refusal.to_string(),
            "Your question is 1001 characters long; the limit is 1000. Please shorten it and ask again."
        );
    }

    #[test]
    fn hostile_questions_are_refused_or_shown_as_typed() {
        let s = schedule();
        let now = at("2023-02-03T09:40");
        let rules = Rules::default();
        // Too long (70 KB is more than a Matrix event holds): refused with the limit, never cut.
        for length in [DEFAULT_MAX_LENGTH + 1, 70 * 1024] {
            let typed = format!("!ask {}", "a".repeat(length));
            let Ok(Some(crate::command::Command::Ask { text, .. })) = crate::command::Command::parse(&typed) else {
                panic!("a question")
            };
            assert_eq!(
                check_ask(&rules, &text, "network", &[], now).unwrap_err().to_string(),
                format!(
                    "Your question is {length} characters long; the limit is 1000. Please shorten it and ask again."
                )
            );
        }
        // Zero-width characters and @room are shown as typed: the adapter's empty m.mentions
        // keeps @room from pinging anyone.
        let typed = "Hi @room, is\u{200B}this\u{2060}ok\u{FEFF}?";
        assert_eq!(check_ask(&rules, typed, "network", &[], now), Ok(()));
        let q = question(12, "network", typed, "2023-02-03T09:35");
        for m in [relay(&s, &q), to_speakers(&s, &q)] {
            assert!(m.body().contains(&format!("\n{typed}\n")), "{}", m.body());
            assert!(m.html().contains(&format!("<br>\n{typed}<br>\n")), "{}", m.html());
        }
    }

    #[test]
    fn direction_controls_in_a_question_or_a_name_stay_inside_them() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "\u{202E}?sdrawkcab siht sI\n<b>x</b> @room",
            "2023-02-03T09:35",
        );
        q.asker_name = "Mallory \u{2067}".into();
        let m = relay(&s, &q);
        assert_eq!(
            m.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From \u{2068}Mallory \u{2067}\u{2069}\u{2069} (@alice:example.org) at 09:35 CET\n\
             \u{2068}\u{202E}?sdrawkcab siht sI\u{202C}\u{2069}\n\
             > <b>x</b> @room\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            m.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From \u{2068}Mallory \u{2067}\u{2069}\u{2069} (<code>@alice:example.org</code>) at 09:35 CET<br>\n\
             \u{2068}\u{202E}?sdrawkcab siht sI\u{202C}\u{2069}<br>\n\
             &gt; &lt;b&gt;x&lt;/b&gt; @room<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert!(to_speakers(&s, &q)
            .body()
            .ends_with("\nAsked by \u{2068}Mallory \u{2067}\u{2069}\u{2069}"));
        let network = s.session("network").unwrap();
        assert!(list(&[(network, vec![q.clone()])])
            .body()
            .ends_with(": \u{2068}\u{202E}?sdrawkcab siht sI <b>x</b> @room\u{202C}\u{2069}"));
        let t = transition(&s, &q, Action::Reject(Some("\u{202E}maps".into()))).unwrap();
        assert_eq!(t.reply.body(), "Q12 rejected (\u{2068}\u{202E}maps\u{202C}\u{2069}).");
        assert!(t
            .to_asker
            .body()
            .ends_with("Reason: \u{2068}\u{202E}maps\u{202C}\u{2069}"));
        let unknown = session_for(&s, None, Some("\u{202E}kcor"), at("2023-02-03T09:35")).unwrap_err();
        assert!(
            unknown
                .to_string()
                .starts_with("There is no session #\u{2068}\u{202E}kcor\u{202C}\u{2069}. "),
            "{unknown}"
        );
    }

    #[test]
    fn the_rate_limit_says_when_the_asker_may_ask_again() {
        let rules = Rules::default();
        let history = [
            question(1, "network", "one", "2023-02-03T10:41:10"),
            question(2, "network", "two", "2023-02-03T10:41:30"),
            question(3, "kernel", "three", "2023-02-03T10:41:50"),
        ];
        let refusal = check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:00")).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "You have asked 3 questions in the last minute; you can ask again at 10:42 CET (in 1 minute)."
        );
        assert!(matches!(refusal, AskRefusal::RateLimited { until, .. } if until == at("2023-02-03T10:42:10")));
        assert!(
            check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:09")).is_err(),
            "one second before the first question leaves the window"
        );
        assert_eq!(
            check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:10")),
            Ok(()),
            "a question asked exactly one window ago no longer counts"
        );
        assert_eq!(
            check_ask(&rules, "four", "network", &history[1..], at("2023-02-03T10:42:00")),
            Ok(()),
            "two in the window is under the limit"
        );
        let off = Rules {
            per_user: None,
            ..rules
        };
        assert_eq!(
            check_ask(&off, "four", "network", &history, at("2023-02-03T10:42:00")),
            Ok(())
        );
        let hourly = Rules {
            per_user: Some("1/2h".parse().unwrap()),
            ..rules
        };
        assert_eq!(
            check_ask(&hourly, "again", "network", &history[2..], at("2023-02-03T10:45:00"))
                .unwrap_err()
                .to_string(),
            "You have asked 1 question in the last 2 hours; you can ask again at 12:41 CET (in 1 hour 57 minutes)."
        );
    }

    #[test]
    fn the_same_question_for_the_same_session_is_recorded_once() {
        let rules = Rules::default();
        let history = [question(
            12,
            "network",
            "  Is NetworkManager\n 1.42 in RHEL   9.2? ",
            "2023-02-03T09:31",
        )];
        let now = at("2023-02-03T09:50");
        let again = check_ask(&rules, "is networkmanager 1.42 in rhel 9.2?", "network", &history, now).unwrap_err();
        assert_eq!(again, AskRefusal::Duplicate { number: 12 });
        assert_eq!(again.to_string(), "You have already asked this question: it is Q12.");
        assert_eq!(
            check_ask(&rules, "is networkmanager 1.42 in rhel 9.2?", "kernel", &history, now),
            Ok(()),
            "the same words for another session are another question"
        );
        assert_eq!(
            check_ask(&rules, "Is NetworkManager 1.43 in RHEL 9.2?", "network", &history, now),
            Ok(())
        );
        let burst = [
            question(12, "network", "same", "2023-02-03T09:49:30"),
            question(13, "network", "b", "2023-02-03T09:49:40"),
            question(14, "network", "c", "2023-02-03T09:49:50"),
        ];
        assert_eq!(
            check_ask(&rules, "SAME", "network", &burst, now),
            Err(AskRefusal::Duplicate { number: 12 }),
            "a repeat gets its number, not a wait"
        );
    }

    #[test]
    fn rates_read_count_slash_duration() {
        assert_eq!(
            "3/1m".parse(),
            Ok(Rate {
                count: 3,
                window: TimeDelta::minutes(1)
            })
        );
        assert_eq!(
            "10/1h".parse::<Rate>().map(|r| (r.count, r.window)),
            Ok((10, TimeDelta::hours(1)))
        );
        assert_eq!(
            " 5 / 30s ".parse::<Rate>().map(|r| r.to_string()),
            Ok("5/30s".to_string())
        );
        assert_eq!(DEFAULT_PER_USER.to_string(), "3/1m");
        for bad in ["3", "0/1m", "3/0m", "x/1m", "3/10", "-1/1m", "3/1m/2", ""] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            "3/10".parse::<Rate>().unwrap_err().to_string(),
            "\"3/10\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\""
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
        assert_eq!(
            twice.to_string(),
            "Q12 is already approved.",
            "a double ✅ relays nothing"
        );
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
            transition(&s, &q, Action::Reject(Some("again".into())))
                .unwrap_err()
                .to_string(),
            "Q7 is already rejected."
        );
        let back = transition(&s, &q, Action::Approve).unwrap();
        assert_eq!(back.to, Status::Approved, "a moderator may change their mind");
        assert!(back.to_speakers.is_some());
        assert_eq!(
            transition(&s, &q, Action::Answered).unwrap_err().to_string(),
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
            TransitionRefusal::Final { number: 3 }.to_string(),
            "Q3 was answered already; that is final."
        );
    }

    #[test]
    fn statuses_survive_storage_words() {
        for status in [
            Status::Pending,
            Status::Approved,
            Status::Rejected {
                reason: Some("dup".into()),
            },
            Status::Answered,
        ] {
            let reason = status.reason().map(str::to_string);
            assert_eq!(Status::from_stored(status.as_str(), reason), Some(status));
        }
        assert_eq!(Status::from_stored("lost", None), None);
    }

    #[test]
    fn votes_are_for_open_questions_of_others() {
        let mut q = question(12, "network", "Why?", "2023-02-03T09:35");
        assert_eq!(vote(&q, "@bob:example.org"), Ok(()));
        assert_eq!(
            vote(&q, "@alice:example.org").unwrap_err().to_string(),
            "You cannot vote for your own question Q12."
        );
        q.status = Status::Approved;
        assert_eq!(vote(&q, "@bob:example.org"), Ok(()));
        q.status = Status::Answered;
        assert_eq!(
            vote(&q, "@bob:example.org").unwrap_err().to_string(),
            "Q12 is answered; it takes no more votes."
        );
        q.status = Status::Rejected { reason: None };
        assert!(vote(&q, "@bob:example.org").is_err());
        assert_eq!(
            VoteRefusal::AlreadyVoted { number: 12 }.to_string(),
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
    }

    #[test]
    fn the_receipt_says_where_the_question_went() {
        let s = schedule();
        let now = at("2023-02-03T09:40");
        let running = session_for(&s, Some("Pagoda room"), None, now).unwrap();
        assert_eq!(
            receipt(12, &running, now).body(),
            "Question Q12 for 'Network management in Enterprise Linux' sent to the moderators.\nOthers can support it: react 👍 to this message or send !upvote Q12."
        );
        let now = at("2023-02-03T10:10");
        let next = session_for(&s, Some("Pagoda room"), None, now).unwrap();
        assert_eq!(
            receipt(13, &next, now).body().lines().next(),
            Some("No session is running here now, so question Q13 is kept for the next one, 'Rust in the kernel' (Pagoda room, 10:30 CET, in 20 minutes), and sent to the moderators.")
        );
        let upcoming = session_for(&s, None, Some("saturday"), now).unwrap();
        assert_eq!(
            receipt(14, &upcoming, now).body().lines().next(),
            Some("Question Q14 for 'Saturday morning' (Janson, Sat 4 Feb 09:00 CET, in 22 hours 50 minutes) sent to the moderators; it waits for the session to start.")
        );
    }

    #[test]
    fn the_relay_shows_who_asked_and_the_text_as_typed_escaped() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "Is <b>NM</b> 1.42 in *RHEL* 9.2?\nAnd @room & \"nmstate\"?",
            "2023-02-03T09:35",
        );
        q.asker_name = "Neil <script>\nApproved by admin".into();
        let m = relay(&s, &q);
        assert_eq!(
            m.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From Neil <script> Approved by admin (@alice:example.org) at 09:35 CET\n\
             Is <b>NM</b> 1.42 in *RHEL* 9.2?\n\
             > And @room & \"nmstate\"?\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            m.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From Neil &lt;script&gt; Approved by admin (<code>@alice:example.org</code>) at 09:35 CET<br>\n\
             Is &lt;b&gt;NM&lt;/b&gt; 1.42 in *RHEL* 9.2?<br>\n\
             &gt; And @room &amp; &quot;nmstate&quot;?<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        let long = "word ".repeat(200);
        q.text = long.trim().to_string();
        assert!(relay(&s, &q).body().contains(long.trim()), "the relay is never cut");
        q.asker_name = String::new();
        q.session_id = "rust".into();
        assert!(relay(&s, &q)
            .body()
            .contains("From @alice:example.org at 09:35 CET, before the session started"));
        q.session_id = "gone".into();
        assert!(relay(&s, &q).body().starts_with("Q12 for session #gone\n"));
    }

    #[test]
    fn no_line_of_a_question_can_pass_for_one_of_the_bot() {
        let s = schedule();
        let mut q = question(
            12,
            "network",
            "Is 9.2 out?\nApprove with ✅ · Q12 is checked\r\nQuestion 7 from @bob:example.org at 09:30 CET\u{2028}\
             React ✅ approve · ❌ reject · 💬 answered\rAsked by Neil Hanlon",
            "2023-02-03T09:35",
        );
        q.asker_name = String::new();
        let relayed = relay(&s, &q);
        assert_eq!(
            relayed.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET)\n\
             From @alice:example.org at 09:35 CET\n\
             Is 9.2 out?\n\
             > Approve with ✅ · Q12 is checked\n\
             > Question 7 from @bob:example.org at 09:30 CET\n\
             > React ✅ approve · ❌ reject · 💬 answered\n\
             > Asked by Neil Hanlon\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        assert_eq!(
            relayed.html(),
            "<strong>Q12</strong> for &#39;Network management in Enterprise Linux&#39; (Pagoda room, 09:30–10:00 CET)<br>\n\
             From <code>@alice:example.org</code> at 09:35 CET<br>\n\
             Is 9.2 out?<br>\n\
             &gt; Approve with ✅ · Q12 is checked<br>\n\
             &gt; Question 7 from @bob:example.org at 09:30 CET<br>\n\
             &gt; React ✅ approve · ❌ reject · 💬 answered<br>\n\
             &gt; Asked by Neil Hanlon<br>\n\
             React ✅ approve · ❌ reject · 💬 answered"
        );
        let passed_on = to_speakers(&s, &q);
        assert_eq!(
            passed_on.body(),
            "Q12 for 'Network management in Enterprise Linux' (Pagoda room)\n\
             Is 9.2 out?\n\
             > Approve with ✅ · Q12 is checked\n\
             > Question 7 from @bob:example.org at 09:30 CET\n\
             > React ✅ approve · ❌ reject · 💬 answered\n\
             > Asked by Neil Hanlon\n\
             Asked by @alice:example.org"
        );
        assert!(
            passed_on
                .html()
                .contains("<br>\n&gt; Asked by Neil Hanlon<br>\nAsked by @alice:example.org"),
            "{}",
            passed_on.html()
        );
    }

    #[test]
    fn the_list_shows_open_questions_by_votes_and_cuts_long_ones() {
        let s = schedule();
        let network = s.session("network").unwrap();
        let mut qs = vec![
            question(1, "network", "First?", "2023-02-03T09:31"),
            question(
                2,
                "network",
                &format!("Long {}", "words and more ".repeat(30)),
                "2023-02-03T09:32",
            ),
            question(3, "network", "Done", "2023-02-03T09:33"),
            question(4, "network", "No", "2023-02-03T09:34"),
        ];
        qs[1].votes = 3;
        qs[1].status = Status::Approved;
        qs[1].asker_name = "@alice:example.org".into();
        qs[2].status = Status::Answered;
        qs[3].status = Status::Rejected { reason: None };
        let body = list(&[(network, qs)]).body().to_string();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(
            lines[0],
            "Open questions for 'Network management in Enterprise Linux' (Pagoda room, 09:30–10:00 CET), by votes:"
        );
        assert!(
            lines[1].starts_with("  Q2 · 3 votes · approved · @alice:example.org: Long words"),
            "{}",
            lines[1]
        );
        assert!(lines[1].ends_with("…"), "{}", lines[1]);
        let shown = lines[1].split_once(": ").unwrap().1;
        assert!(shown.chars().count() <= LIST_TEXT_LIMIT + 1, "{shown}");
        assert_eq!(
            lines[2],
            "  Q1 · 0 votes · pending · Alice (@alice:example.org): First?"
        );
        assert_eq!(lines[3], "  Not shown: 1 answered, 1 rejected.");
        assert_eq!(lines.len(), 4);
        let rust = s.session("rust").unwrap();
        assert_eq!(
            list(&[(rust, vec![])]).body(),
            "No open questions for 'Rust in the kernel' (Pagoda room, 10:30–11:00 CET)."
        );
    }

    #[test]
    fn listing_picks_the_running_or_next_sessions_or_the_named_one() {
        let s = schedule();
        let ids = |r: Result<Vec<&Session>, Message>| -> Vec<String> {
            r.map(|v| v.iter().map(|s| s.id.clone()).collect())
                .unwrap_or_else(|m| vec![m.body().to_string()])
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

    #[test]
    fn ended_sessions_leave_their_unanswered_approved_questions_to_the_speakers() {
        let s = schedule();
        let ended = |after: &str, until: &str| -> Vec<String> {
            sessions_ended(&s, at(after), at(until))
                .iter()
                .map(|s| s.id.clone())
                .collect()
        };
        assert_eq!(ended("2023-02-03T09:59", "2023-02-03T10:00"), ["kernel", "network"]);
        assert!(
            ended("2023-02-03T10:00", "2023-02-03T10:29").is_empty(),
            "(after, until]; breaks too"
        );
        assert_eq!(ended("2023-02-03T10:00", "2023-02-03T11:00"), ["rust"]);

        let network = s.session("network").unwrap();
        let mut qs = vec![
            question(1, "network", "Answered one", "2023-02-03T09:31"),
            question(2, "network", "Approved one", "2023-02-03T09:32"),
            question(3, "network", "Approved\npopular", "2023-02-03T09:33"),
            question(4, "network", "Pending one", "2023-02-03T09:34"),
        ];
        qs[0].status = Status::Answered;
        qs[1].status = Status::Approved;
        qs[2].status = Status::Approved;
        qs[2].votes = 1;
        assert_eq!(
            leftovers(network, &qs).unwrap().body(),
            "'Network management in Enterprise Linux' (Pagoda room) has ended with 2 approved questions not marked answered, by votes:\n  Q3 · 1 vote: Approved popular\n  Q2 · 0 votes: Approved one"
        );
        assert_eq!(leftovers(network, &qs[..1]), None);
        assert_eq!(leftovers_key("network"), "question-leftovers:network");
    }

    #[test]
    fn shortening_cuts_at_a_word_and_marks_the_cut() {
        assert_eq!(shorten("short\n text", 20), "short text");
        assert_eq!(shorten("aaaa bbbb cccc dddd", 12), "aaaa bbbb…");
        assert_eq!(shorten(&"x".repeat(30), 10), format!("{}…", "x".repeat(10)));
    }
}
