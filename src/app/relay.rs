//! The question flow: `!ask` stores a question and answers with a receipt; a
//! relay task posts each stored question once to the moderators room and each approved one
//! once to the speakers room; moderators act with commands or reactions; when a session
//! ends its unanswered approved questions are listed once for the speakers. The rules are
//! in `crate::questions`; this module only stores, sends and links event ids.

use super::{Bot, Outbox, Reply, Sender};
use crate::command::Role;
use crate::infra::store::Outcome;
use crate::present::message::Message;
use crate::questions::{
    self, Action, NewQuestion, Question, QuestionCommand, QuestionEvent, ReactionMeaning, Status, TransitionRefusal,
    Triage, VoteRefusal,
};
use crate::refusal::Refusal;
use crate::rooms::QuestionRooms;
use chrono::TimeDelta;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How far back a (re)start looks for ended sessions whose leftovers were never listed.
const LEFTOVERS_LOOK_BACK: TimeDelta = TimeDelta::days(2);

/// The reply to a question command; a receipt names its question (to link the sent
/// reply's event id, on which 👍 is a vote).
pub(super) async fn handle(bot: &Bot, out: &impl Outbox, from: &Sender<'_>, command: &QuestionCommand) -> Reply {
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    match decide(bot, out, from, command).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(refusal)) => Reply::plain(crate::present::refusal::message(schedule, &refusal)),
        Err(err) => {
            warn!(error = %format!("{err:#}"), "question command");
            Reply::plain(Message::plain(
                "Sorry, something went wrong with that question; see the bot's log.",
            ))
        }
    }
}

/// Carries out a question command: its reply, or why not (the user's doing), or the
/// error that kept it from being carried out.
async fn decide(
    bot: &Bot,
    out: &impl Outbox,
    from: &Sender<'_>,
    command: &QuestionCommand,
) -> anyhow::Result<Result<Reply, Refusal>> {
    if !bot.config.questions.enabled {
        return Ok(Err(Refusal::QuestionsOff));
    }
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    let zone = schedule.timezone();
    let now = bot.clock.now();
    let sender = from.user;
    Ok(Ok(match command {
        QuestionCommand::Ask { session, text } => {
            let target = match questions::session_for(schedule, from.place, session.as_deref(), now) {
                Ok(target) => target,
                Err(refusal) => return Ok(Err(refusal.into())),
            };
            if bot.question_rooms(&target.session.id).moderators.is_none() {
                return Ok(Err(Refusal::NoModeratorsRoom));
            }
            let history = bot.store.questions_by(sender, None, zone)?;
            if let Err(refusal) =
                questions::check_ask(&bot.config.questions.rules(), text, &target.session.id, &history, now)
            {
                return Ok(Err(refusal.into()));
            }
            let (number, created) = bot.store.add_question(&NewQuestion {
                ask_event: from.event.to_string(),
                session_id: target.session.id.clone(),
                asker: sender.to_string(),
                asker_name: from.name.to_string(),
                text: text.trim().to_string(),
                asked_at: now,
            })?;
            if created {
                info!(question = number, session = %target.session.id, "question asked");
                bot.questions_changed.notify_one();
                bot.boards_changed.notify_one();
            }
            Reply {
                message: questions::receipt(number, &target, now),
                link: Some(super::Link::Receipt(number)),
            }
        }
        QuestionCommand::Upvote(number) => match vote(bot, *number, sender, from.event)? {
            Ok(message) => Reply::plain(message),
            Err(refusal) => return Ok(Err(refusal.into())),
        },
        QuestionCommand::Moderate(number, action) => {
            match moderate(bot, out, *number, action.clone(), from.event, sender, from.scope).await? {
                Ok(message) => Reply::plain(message),
                Err(refusal) => return Ok(Err(refusal.into())),
            }
        }
        QuestionCommand::List(named) => {
            // In a backstage, its boards: the ranking the speakers see.
            if let (None, Some(room)) = (named, from.backstage) {
                if let Some(boards) = super::boards::boards_in(bot, room, now)? {
                    return Ok(Ok(Reply::plain(boards)));
                }
            }
            let sessions = match questions::listing_sessions(schedule, named.as_deref(), now) {
                Ok(sessions) => sessions,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let mut entries = Vec::new();
            for session in sessions {
                entries.push((session, bot.store.questions_of(&session.id, zone)?));
            }
            Reply::plain(questions::list(&entries))
        }
    }))
}

/// One vote by `voter` for question `number`, cast by `event` (redacting it takes the vote
/// back); the reply says how it stands.
fn vote(bot: &Bot, number: u64, voter: &str, event: &str) -> anyhow::Result<Result<Message, VoteRefusal>> {
    let Some(question) = bot.store.question(number, bot.zone())? else {
        return Ok(Err(VoteRefusal::NoSuchQuestion { number }));
    };
    if let Err(refusal) = questions::vote(&question, voter) {
        return Ok(Err(refusal));
    }
    if !bot.store.add_vote(number, voter, event)? {
        return Ok(Err(VoteRefusal::AlreadyVoted { number }));
    }
    bot.questions_changed.notify_one();
    bot.boards_changed.notify_one();
    Ok(Ok(questions::voted(number, question.votes + 1)))
}

/// A moderator's action on question `number`: the new status is stored only if nobody
/// changed it meanwhile (two moderators reacting at once relay it once); the speakers
/// post of a rejected question is withdrawn; the relay post is edited to show its status
/// line; the asker is told if `notify_asker` is on. `event` is the command or reaction of
/// moderator `by`: the change is stored with it, once, and redacting it reverts the change
/// while nothing changed since. A moderator of one place only (`scope`) acts only on its
/// questions.
async fn moderate(
    bot: &Bot,
    out: &impl Outbox,
    number: u64,
    action: Action,
    event: &str,
    by: &str,
    scope: Option<&str>,
) -> anyhow::Result<Result<Message, TransitionRefusal>> {
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    for _ in 0..5 {
        let Some(question) = bot.store.question(number, schedule.timezone())? else {
            return Ok(Err(TransitionRefusal::NoSuchQuestion { number }));
        };
        let triaged_in = bot.question_rooms(&question.session_id).moderators;
        if let Err(refusal) = questions::check_scope(number, scope, triaged_in) {
            return Ok(Err(refusal));
        }
        let transition = match questions::transition(schedule, &question, action.clone()) {
            Ok(transition) => transition,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let triage = Triage {
            event: event.to_string(),
            by: by.to_string(),
            at: bot.clock.now(),
            before: transition.from.clone(),
        };
        let changed = bot.store.act(event, |acts| {
            if acts.moderate(number, &transition.from, &transition.to, &triage)? {
                Ok(())
            } else {
                Err(ChangedMeanwhile.into()) // undone with the record of the event
            }
        });
        match changed {
            Ok(()) => {}
            Err(err) if err.is::<ChangedMeanwhile>() => continue, // decide again on the new status
            Err(err) if err.is::<crate::infra::store::ActedBefore>() => return Ok(Ok(transition.reply)),
            Err(err) => return Err(err),
        }
        info!(question = number, status = transition.to.as_str(), "question moderated");
        bot.boards_changed.notify_one();
        if let Some(withdrawn) = &transition.withdraw {
            withdraw(bot, out, &question.session_id, withdrawn, "the question was rejected").await;
            bot.store.set_speakers_event(number, None)?;
        }
        if transition.to == Status::Approved {
            bot.questions_changed.notify_one();
        }
        show_status(bot, out, number).await;
        if bot.config.questions.notify_asker {
            // Approved, rejected, approved again: the asker hears of each.
            let key = format!(
                "question-notify:{number}:{}:{}",
                transition.to.as_str(),
                bot.store.moderations(number)?
            );
            // By the asker's courier: opening a direct room (its encryption first of all)
            // can take seconds, which held up every command queued behind this one.
            super::delivery::direct_now(
                bot,
                out,
                &key,
                &question.asker,
                transition.to_asker.clone(),
                true,
                "telling an asker of a decision on their question",
            );
        }
        return Ok(Ok(transition.reply));
    }
    Ok(Ok(Message::plain(&format!(
        "Q{number} keeps changing; try again in a moment."
    ))))
}

/// Another moderator changed the question between the decision and the change.
#[derive(Debug, thiserror::Error)]
#[error("the question changed meanwhile")]
pub(super) struct ChangedMeanwhile;

/// Takes a question's post back from the speakers room of its session `session_id`.
pub(super) async fn withdraw(bot: &Bot, out: &impl Outbox, session_id: &str, event: &str, reason: &str) {
    let Some(speakers) = bot.question_rooms(session_id).speakers else {
        return;
    };
    if let Err(err) = out.withdraw(speakers, event, reason).await {
        warn!(error = %err, "could not withdraw a question from the speakers room");
    }
}

/// Edits question `number`'s post in the moderators room to show it as it stands now
/// (its status line, its text): one post per question, whatever is done to it.
pub(super) async fn show_status(bot: &Bot, out: &impl Outbox, number: u64) {
    let question = match bot.store.question(number, bot.zone()) {
        Ok(Some(question)) => question,
        Ok(None) => return,
        Err(err) => {
            warn!(question = number, error = %format!("{err:#}"), "reading a question to show its status");
            return;
        }
    };
    let Some(relay_event) = &question.relay_event else {
        return; // the relay posts it as it is now
    };
    if question.status == Status::Withdrawn {
        return;
    }
    let Some(moderators) = bot.question_rooms(&question.session_id).moderators else {
        return;
    };
    let message = questions::relay(&bot.loaded().schedule, &question);
    let moderations = bot.store.moderations(number).unwrap_or_default();
    // A new key for each state the post shows: the same state twice is one edit.
    let key = format!("question-relay-edit:{number}:{moderations}:{}", message.body());
    if let Err(err) = out.edit(moderators, relay_event, &message, true, &key).await {
        warn!(question = number, error = %err, "could not edit a question's post in the moderators room");
    }
}

/// The question a reaction is on, if it is on one: its relay in the moderators room or
/// its receipt.
pub fn reacted_to(bot: &Bot, event: &str) -> Option<(Question, QuestionEvent)> {
    if !bot.config.questions.enabled {
        return None;
    }
    bot.store.question_by_event(event, bot.zone()).unwrap_or_else(|err| {
        warn!(error = %err, "looking up a reacted-to question");
        None
    })
}

/// A reaction `key` by `user` (with `role`, within `scope` for a moderator of one place
/// only) on `question`'s event `on`: ✅ ❌ 💬 from a moderator on the relay, 👍 on the
/// receipt. Nothing is posted in answer: the relay post
/// shows the new status (edited in place), and a reaction that changes nothing (a second
/// ✅) leaves it as it is.
#[allow(clippy::too_many_arguments)]
pub async fn react(
    bot: &Bot,
    out: &impl Outbox,
    question: &Question,
    on: QuestionEvent,
    key: &str,
    user: &str,
    (role, scope): (Role, Option<&str>),
    event: &str,
) {
    let Some(meaning) = questions::reaction(key, on, role) else {
        return;
    };
    let number = question.number;
    let result = match meaning {
        ReactionMeaning::Vote => vote(bot, number, user, event).map(|done| done.err().map(Refusal::from)),
        ReactionMeaning::Moderate(action) => moderate(bot, out, number, action, event, user, scope)
            .await
            .map(|done| done.err().map(Refusal::from)),
    };
    match result {
        Ok(None) => {}
        Ok(Some(refusal)) => {
            let said = crate::present::refusal::text(&bot.loaded().schedule, &refusal);
            info!(question = number, refusal = %said, "a reaction changed nothing");
        }
        Err(err) => warn!(error = %format!("{err:#}"), "acting on a reaction"),
    }
}

/// Posts each stored question once to the moderators room (in number order, so each
/// asker's questions keep their order), each approved one once to the speakers room (by
/// votes), and the leftovers of each ended session once; sleeps until something changes
/// or the next session ends.
pub async fn relay(bot: Bot, out: impl Outbox, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut retry = false;
        if bot.config.questions.enabled {
            retry |= !to_moderators(&bot, &out).await;
            retry |= !to_speakers(&bot, &out).await;
            retry |= !leftovers(&bot, &out).await;
        }
        let wait = if retry {
            Duration::from_secs(2)
        } else {
            next_session_end(&bot).map_or(Duration::from_secs(3600), |end| bot.clock.real_until(end))
        };
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.questions_changed.notified() => {}
            // Not `schedule_changed`: that `Notify` wakes one waiter, the posting timer. A
            // delay that moves a session's end is seen at the next wake-up.
            _ = tokio::time::sleep(wait.min(Duration::from_secs(60))) => {}
        }
    }
}

/// The end of the next session that takes questions, on the bot's clock.
fn next_session_end(bot: &Bot) -> Option<chrono::DateTime<chrono_tz::Tz>> {
    let now = bot.clock.now();
    bot.loaded()
        .schedule
        .sessions()
        .iter()
        .filter(|s| questions::takes_questions(s) && s.end > now)
        .map(|s| s.end)
        .min()
}

/// Relays the questions not yet in their moderators rooms; false if one must be retried.
/// A room that fails holds back only its own questions (which keep their order).
async fn to_moderators(bot: &Bot, out: &impl Outbox) -> bool {
    let Some(waiting) = to_post(
        bot.store.unrelayed_questions(bot.zone()),
        "reading the questions to relay",
    ) else {
        return false;
    };
    let loaded = bot.loaded();
    let mut failed: Vec<&str> = Vec::new();
    for question in waiting {
        let number = question.number;
        let Some(moderators) = bot.question_rooms(&question.session_id).moderators else {
            continue;
        };
        if failed.contains(&moderators) {
            continue;
        }
        let message = questions::relay(&loaded.schedule, &question);
        let key = format!("question-relay:{number}");
        let record = |event: &str| bot.store.set_relay_event(number, event);
        if !post_question(out, moderators, true, number, &message, &key, record).await {
            failed.push(moderators);
            continue;
        }
        // Withdrawn or moderated while it was on its way: the post follows.
        super::redactions::after_relay(bot, out, number).await;
    }
    failed.is_empty()
}

/// Posts the approved questions not yet in their speakers rooms, by votes; a room that
/// fails holds back only its own.
async fn to_speakers(bot: &Bot, out: &impl Outbox) -> bool {
    let Some(mut approved) = to_post(
        bot.store.approved_not_delivered(bot.zone()),
        "reading the approved questions",
    ) else {
        return false;
    };
    questions::by_votes(&mut approved);
    let loaded = bot.loaded();
    let mut failed: Vec<&str> = Vec::new();
    for question in approved {
        let number = question.number;
        let Some(speakers) = bot.question_rooms(&question.session_id).speakers else {
            continue;
        };
        if failed.contains(&speakers) {
            continue;
        }
        let message = questions::to_speakers(&loaded.schedule, &question);
        // A question approved again after a rejection is a new post: the first one was
        // withdrawn, and its transaction id would bring back only that. Without the count
        // the key is unknown, so the post waits for the store.
        let moderations = match bot.store.moderations(number) {
            Ok(moderations) => moderations,
            Err(err) => {
                warn!(question = number, error = %format!("{err:#}"), "reading a question's moderations");
                return false;
            }
        };
        let key = format!("question-speakers:{number}:{moderations}");
        let record = |event: &str| bot.store.set_speakers_event(number, Some(event));
        if !post_question(out, speakers, false, number, &message, &key, record).await {
            failed.push(speakers);
        }
    }
    failed.is_empty()
}

/// The questions a store read found, or `None` (logged) if it failed: the relay retries.
fn to_post(read: anyhow::Result<Vec<Question>>, doing: &str) -> Option<Vec<Question>> {
    read.map_err(|err| warn!(error = %format!("{err:#}"), "{doing}")).ok()
}

/// Posts question `number`'s `message` to `room` under `key` (one event, however often it
/// is retried), then stores the event id with `record`. False if the post failed: the
/// relay tries again later.
async fn post_question(
    out: &impl Outbox,
    room: &str,
    notice: bool,
    number: u64,
    message: &Message,
    key: &str,
    record: impl FnOnce(&str) -> anyhow::Result<bool>,
) -> bool {
    match out.post(room, message, notice, key).await {
        Ok(event) => {
            if let Err(err) = record(event.as_str()) {
                warn!(question = number, room, error = %format!("{err:#}"), "recording a question's post");
            }
            info!(question = number, room, "question posted");
            true
        }
        Err(err) => {
            warn!(question = number, room, error = %err, "posting a question failed; will retry");
            false
        }
    }
}

/// Lists, once per session, the approved questions left unanswered when it ended.
async fn leftovers(bot: &Bot, out: &impl Outbox) -> bool {
    let now = bot.clock.now();
    let loaded = bot.loaded();
    let schedule = &loaded.schedule;
    for session in questions::sessions_ended(schedule, now - LEFTOVERS_LOOK_BACK, now) {
        let key = questions::leftovers_key(&session.id);
        if bot.post_done(&key) != Some(false) {
            continue;
        }
        let Some(speakers) = bot.question_rooms(&session.id).speakers else {
            continue;
        };
        let asked = match bot.store.questions_of(&session.id, schedule.timezone()) {
            Ok(asked) => asked,
            Err(err) => {
                warn!(error = %err, "reading a session's questions");
                return false;
            }
        };
        if let Some(message) = questions::leftovers(session, &asked) {
            if let Err(err) = out.post(speakers, &message, true, &key).await {
                warn!(session = %session.id, error = %err, "listing leftover questions failed; will retry");
                return false;
            }
            info!(session = %session.id, "listed the unanswered questions for the speakers");
        }
        if let Err(err) = bot
            .store
            .record_post(&key, Outcome::Sent, crate::infra::clock::now_ms())
        {
            warn!(error = %err, "recording leftover questions");
        }
    }
    true
}

impl Bot {
    /// Where the questions about session `session_id` go: its place's moderators room and
    /// backstage, or the conference's.
    pub fn question_rooms(&self, session_id: &str) -> QuestionRooms<'_> {
        let loaded = self.loaded();
        let places: Vec<String> = match loaded.schedule.session(session_id) {
            Some(session) => [&session.room, &session.track].into_iter().flatten().cloned().collect(),
            None => Vec::new(),
        };
        self.config.rooms.for_questions(places.iter().map(String::as_str))
    }
}

/// Links a sent receipt to its question, so 👍 on it counts as a vote.
pub fn link_receipt(bot: &Bot, number: u64, event: &str) {
    if let Err(err) = bot.store.set_receipt_event(number, event) {
        warn!(error = %err, "linking a receipt to its question");
    }
}
