//! The question flow on Matrix: `!ask` stores a question and answers with a receipt; a
//! relay task posts each stored question once to the moderators room and each approved one
//! once to the speakers room; moderators act with commands or reactions; when a session
//! ends its unanswered approved questions are listed once for the speakers. The rules are
//! in `crate::questions`; this module only stores, sends and links event ids.

use super::{place_of, posting, role_of, Bot, Incoming};
use crate::command::{Command, Role};
use crate::message::Message;
use crate::questions::{self, Action, NewQuestion, QuestionEvent, ReactionMeaning, Status};
use crate::store::Outcome;
use chrono::TimeDelta;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::{EventId, OwnedEventId};
use matrix_sdk::{event_handler::Ctx, Client, Room};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How far back a (re)start looks for ended sessions whose leftovers were never listed.
const LEFTOVERS_LOOK_BACK: TimeDelta = TimeDelta::days(2);

/// The reply to a question command, and the question its receipt belongs to (to link the
/// sent reply's event id, on which 👍 is a vote).
pub(super) async fn handle(bot: &Bot, incoming: &Incoming, command: &Command, role: Role) -> (Message, Option<u64>) {
    let plain = |text: String| (Message::plain(&text), None);
    if !bot.config.questions.enabled {
        return plain("This conference takes no questions through the bot.".to_string());
    }
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    let zone = schedule.timezone();
    let now = bot.clock.now();
    let sender = incoming.event.sender.as_str();
    let result: anyhow::Result<(Message, Option<u64>)> = async {
        Ok(match command {
            Command::Ask { session, text } => {
                if bot.config.rooms.moderators.is_none() {
                    return Ok(plain(
                        "Questions cannot be relayed: the bot has no moderators room ([rooms] moderators).".to_string(),
                    ));
                }
                let here = place_of(&bot.config, &incoming.room);
                let target = match questions::session_for(&schedule, here.as_deref(), session.as_deref(), now) {
                    Ok(target) => target,
                    Err(refusal) => return Ok(plain(refusal.to_string())),
                };
                let history = bot.store.questions_by(sender, None, zone)?;
                if let Err(refusal) =
                    questions::check_ask(&bot.config.questions.rules(), text, &target.session.id, &history, now)
                {
                    return Ok(plain(refusal.to_string()));
                }
                let asker_name = match incoming.room.get_member_no_sync(&incoming.event.sender).await {
                    Ok(Some(member)) => member
                        .display_name()
                        .unwrap_or(member.user_id().localpart())
                        .to_string(),
                    _ => incoming.event.sender.localpart().to_string(),
                };
                let (number, created) = bot.store.add_question(&NewQuestion {
                    ask_event: incoming.event.event_id.to_string(),
                    session_id: target.session.id.clone(),
                    asker: sender.to_string(),
                    asker_name,
                    text: text.trim().to_string(),
                    asked_at: now,
                })?;
                if created {
                    info!(question = number, session = %target.session.id, "question asked");
                    bot.questions_changed.notify_one();
                }
                (questions::receipt(number, &target, now), Some(number))
            }
            Command::Upvote(number) => (vote(bot, *number, sender)?, None),
            Command::Approve(number) => (
                moderate(bot, &incoming.room.client(), *number, Action::Approve).await?,
                None,
            ),
            Command::Answered(number) => (
                moderate(bot, &incoming.room.client(), *number, Action::Answered).await?,
                None,
            ),
            Command::Reject { number, reason } => (
                moderate(bot, &incoming.room.client(), *number, Action::Reject(reason.clone())).await?,
                None,
            ),
            Command::Questions(named) => {
                let sessions = match questions::listing_sessions(&schedule, named.as_deref(), now) {
                    Ok(sessions) => sessions,
                    Err(reply) => return Ok((reply, None)),
                };
                let mut entries = Vec::new();
                for session in sessions {
                    entries.push((session, bot.store.questions_of(&session.id, zone)?));
                }
                (questions::list(&entries), None)
            }
            other => unreachable!("{other} is not a question command (role {role:?})"),
        })
    }
    .await;
    result.unwrap_or_else(|err| {
        warn!(error = %format!("{err:#}"), "question command");
        plain("Sorry, something went wrong with that question; see the bot's log.".to_string())
    })
}

/// One vote by `voter` for question `number`; the reply says how it stands.
fn vote(bot: &Bot, number: u64, voter: &str) -> anyhow::Result<Message> {
    let Some(question) = bot.store.question(number, bot.zone())? else {
        return Ok(Message::plain(
            &questions::VoteRefusal::NoSuchQuestion { number }.to_string(),
        ));
    };
    if let Err(refusal) = questions::vote(&question, voter) {
        return Ok(Message::plain(&refusal.to_string()));
    }
    if !bot.store.add_vote(number, voter)? {
        return Ok(Message::plain(
            &questions::VoteRefusal::AlreadyVoted { number }.to_string(),
        ));
    }
    bot.questions_changed.notify_one();
    Ok(questions::voted(number, question.votes + 1))
}

/// A moderator's action on question `number`: the new status is stored only if nobody
/// changed it meanwhile (two moderators reacting at once relay it once); the speakers
/// post of a rejected question is withdrawn; the asker is told if `notify_asker` is on.
async fn moderate(bot: &Bot, client: &Client, number: u64, action: Action) -> anyhow::Result<Message> {
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    for _ in 0..5 {
        let Some(question) = bot.store.question(number, schedule.timezone())? else {
            return Ok(Message::plain(
                &questions::TransitionRefusal::NoSuchQuestion { number }.to_string(),
            ));
        };
        let transition = match questions::transition(&schedule, &question, action.clone()) {
            Ok(transition) => transition,
            Err(refusal) => return Ok(Message::plain(&refusal.to_string())),
        };
        if !bot.store.set_status(number, &transition.from, &transition.to)? {
            continue; // changed under us: decide again on the new status
        }
        info!(question = number, status = transition.to.as_str(), "question moderated");
        if let Some(withdrawn) = &transition.withdraw {
            withdraw(bot, client, withdrawn).await;
            bot.store.set_speakers_event(number, None)?;
        }
        if transition.to == Status::Approved {
            bot.questions_changed.notify_one();
        }
        if bot.config.questions.notify_asker {
            let key = format!("question-notify:{number}:{}", transition.to.as_str());
            if let Some(room) = posting::direct_room(client, bot, &question.asker).await {
                if let Err(err) = posting::send(&room, &transition.to_asker, true, &key).await {
                    warn!(question = number, error = %err, "could not tell the asker");
                }
            }
        }
        return Ok(transition.reply);
    }
    Ok(Message::plain(&format!(
        "Q{number} keeps changing; try again in a moment."
    )))
}

/// Redacts a question's post in the speakers room.
async fn withdraw(bot: &Bot, client: &Client, event: &str) {
    let Some(speakers) = &bot.config.rooms.speakers else {
        return;
    };
    let (Some(room), Ok(event)) = (
        posting::Rooms::default().get(client, speakers).await,
        EventId::parse(event),
    ) else {
        return;
    };
    if let Err(err) = room.redact(&event, Some("the question was rejected"), None).await {
        warn!(error = %err, "could not withdraw a question from the speakers room");
    }
}

/// ✅ ❌ 💬 on a question in the moderators room, from a moderator; 👍 on a receipt.
pub(super) async fn on_reaction(event: OriginalSyncReactionEvent, room: Room, client: Client, Ctx(bot): Ctx<Bot>) {
    if event.sender == bot.own_user || !bot.config.questions.enabled {
        return;
    }
    let target = event.content.relates_to.event_id.as_str();
    let found = match bot.store.question_by_event(target, bot.zone()) {
        Ok(Some(found)) => found,
        Ok(None) => return,
        Err(err) => {
            warn!(error = %err, "looking up a reacted-to question");
            return;
        }
    };
    let (question, on) = found;
    let role = if on == QuestionEvent::Relay {
        role_of(&bot, &client, &event.sender).await
    } else {
        Role::Attendee
    };
    let Some(meaning) = questions::reaction(&event.content.relates_to.key, on, role) else {
        return;
    };
    let result = match meaning {
        ReactionMeaning::Vote => vote(&bot, question.number, event.sender.as_str()).map(|_| None),
        ReactionMeaning::Moderate(action) => moderate(&bot, &client, question.number, action).await.map(Some),
    };
    match result {
        Ok(Some(ack)) => {
            let key = format!("question-ack:{}", event.event_id);
            if let Err(err) = posting::send(&room, &ack, true, &key).await {
                warn!(error = %err, "could not confirm a moderator's reaction");
            }
        }
        Ok(None) => {}
        Err(err) => warn!(error = %format!("{err:#}"), "acting on a reaction"),
    }
}

/// Posts each stored question once to the moderators room (in number order, so each
/// asker's questions keep their order), each approved one once to the speakers room (by
/// votes), and the leftovers of each ended session once; sleeps until something changes
/// or the next session ends.
pub(super) async fn relay(client: Client, bot: Bot, mut shutdown: watch::Receiver<bool>) {
    let mut rooms = posting::Rooms::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut retry = false;
        if bot.config.questions.enabled {
            retry |= !to_moderators(&client, &bot, &mut rooms).await;
            retry |= !to_speakers(&client, &bot, &mut rooms).await;
            retry |= !leftovers(&client, &bot, &mut rooms).await;
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
    let loaded = bot.schedule.read().unwrap_or_else(|p| p.into_inner());
    loaded
        .schedule
        .sessions()
        .iter()
        .filter(|s| questions::takes_questions(s) && s.end > now)
        .map(|s| s.end)
        .min()
}

/// Relays the questions not yet in the moderators room; false if one must be retried.
async fn to_moderators(client: &Client, bot: &Bot, rooms: &mut posting::Rooms) -> bool {
    let Some(moderators) = bot.config.rooms.moderators.clone() else {
        return true;
    };
    let waiting = match bot.store.unrelayed_questions(bot.zone()) {
        Ok(waiting) if !waiting.is_empty() => waiting,
        Ok(_) => return true,
        Err(err) => {
            warn!(error = %err, "reading the questions to relay");
            return false;
        }
    };
    let Some(room) = rooms.get(client, &moderators).await else {
        warn!(room = %moderators, "cannot relay questions: the bot is not in the moderators room");
        return false;
    };
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    for question in waiting {
        let message = questions::relay(&schedule, &question);
        let key = format!("question-relay:{}", question.number);
        match posting::send_event(&room, &message, true, &key).await {
            Ok(event) => {
                if let Err(err) = bot.store.set_relay_event(question.number, event.as_str()) {
                    warn!(error = %err, "recording a relayed question");
                }
                info!(question = question.number, "relayed to the moderators");
            }
            Err(err) => {
                warn!(question = question.number, error = %err, "relaying a question failed; will retry");
                return false;
            }
        }
    }
    true
}

/// Posts the approved questions not yet in the speakers room, by votes.
async fn to_speakers(client: &Client, bot: &Bot, rooms: &mut posting::Rooms) -> bool {
    let Some(speakers) = bot.config.rooms.speakers.clone() else {
        return true;
    };
    let mut approved = match bot.store.approved_not_delivered(bot.zone()) {
        Ok(approved) if !approved.is_empty() => approved,
        Ok(_) => return true,
        Err(err) => {
            warn!(error = %err, "reading the approved questions");
            return false;
        }
    };
    let Some(room) = rooms.get(client, &speakers).await else {
        warn!(room = %speakers, "cannot pass questions on: the bot is not in the speakers room");
        return false;
    };
    questions::by_votes(&mut approved);
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    for question in approved {
        let message = questions::to_speakers(&schedule, &question);
        let key = format!(
            "question-speakers:{}:{}",
            question.number,
            question.relay_event.as_deref().unwrap_or("")
        );
        match posting::send_event(&room, &message, false, &key).await {
            Ok(event) => {
                if let Err(err) = bot.store.set_speakers_event(question.number, Some(event.as_str())) {
                    warn!(error = %err, "recording a question passed on");
                }
                info!(question = question.number, "passed on to the speakers");
            }
            Err(err) => {
                warn!(question = question.number, error = %err, "passing a question on failed; will retry");
                return false;
            }
        }
    }
    true
}

/// Lists, once per session, the approved questions left unanswered when it ended.
async fn leftovers(client: &Client, bot: &Bot, rooms: &mut posting::Rooms) -> bool {
    let Some(speakers) = bot.config.rooms.speakers.clone() else {
        return true;
    };
    let now = bot.clock.now();
    let schedule = bot.schedule.read().unwrap_or_else(|p| p.into_inner()).schedule.clone();
    for session in questions::sessions_ended(&schedule, now - LEFTOVERS_LOOK_BACK, now) {
        let key = questions::leftovers_key(&session.id);
        if bot.store.post_done(&key).unwrap_or(true) {
            continue;
        }
        let asked = match bot.store.questions_of(&session.id, schedule.timezone()) {
            Ok(asked) => asked,
            Err(err) => {
                warn!(error = %err, "reading a session's questions");
                return false;
            }
        };
        if let Some(message) = questions::leftovers(session, &asked) {
            let Some(room) = rooms.get(client, &speakers).await else {
                return false;
            };
            if let Err(err) = posting::send(&room, &message, true, &key).await {
                warn!(session = %session.id, error = %err, "listing leftover questions failed; will retry");
                return false;
            }
            info!(session = %session.id, "listed the unanswered questions for the speakers");
        }
        if let Err(err) = bot.store.record_post(&key, Outcome::Sent, posting::now_ms()) {
            warn!(error = %err, "recording leftover questions");
        }
    }
    true
}

/// Links a sent receipt to its question, so 👍 on it counts as a vote.
pub(super) fn link_receipt(bot: &Bot, number: u64, event: &OwnedEventId) {
    if let Err(err) = bot.store.set_receipt_event(number, event.as_str()) {
        warn!(error = %err, "linking a receipt to its question");
    }
}
