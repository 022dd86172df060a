//! Second thoughts on questions: a redacted `!ask` withdraws its question (its posts are
//! redacted too), a redacted 👍 takes its vote back, a redacted ✅ ❌ 💬 reverts the status
//! it set while nothing changed since, and an edited `!ask` changes the text of a question
//! the moderators have not dealt with yet. The rules are in `crate::questions`; each change
//! is stored once, keyed by the redaction's or the edit's event id, so a replay does
//! nothing twice.

use super::relay::{show_status, withdraw, ChangedMeanwhile};
use super::{Bot, Outbox};
use crate::infra::store::ActedBefore;
use crate::questions::{self, Status, WITHDRAWN_REASON};
use tracing::{info, warn};

/// What a redaction did to the questions (or to a reminder asked for with 🔔).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redacted {
    /// The `!ask` of this question: it is withdrawn.
    Withdrew(u64),
    /// A vote for this question: it no longer counts.
    Unvoted(u64),
    /// The moderator's action that set this question's status: it is back as it was.
    Reverted(u64),
    /// A 🔔 on a reminder card: the reminder of this session is forgotten.
    Unrung(String),
}

/// The redaction `redaction` of event `redacted`: an `!ask`, a vote, or a moderator's
/// action, or nothing the questions know. What it did, if anything.
pub async fn redacted(bot: &Bot, out: &impl Outbox, redacted: &str, redaction: &str) -> Option<Redacted> {
    match super::bells::unrung(bot, redacted, redaction) {
        Ok(Some(session)) => return Some(Redacted::Unrung(session)),
        Ok(None) => {}
        Err(err) => warn!(error = %format!("{err:#}"), "acting on a redaction"),
    }
    if !bot.config.questions.enabled {
        return None;
    }
    let done = async {
        if let Some(number) = withdraw_question(bot, out, redacted, redaction).await? {
            return Ok(Some(Redacted::Withdrew(number)));
        }
        if let Some(number) = unvote(bot, redacted, redaction)? {
            return Ok(Some(Redacted::Unvoted(number)));
        }
        Ok(revert(bot, out, redacted, redaction).await?.map(Redacted::Reverted))
    };
    let done: anyhow::Result<Option<Redacted>> = done.await;
    done.unwrap_or_else(|err| {
        warn!(error = %format!("{err:#}"), "acting on a redaction");
        None
    })
}

/// Withdraws the question asked by `redacted`, if it is an `!ask` not withdrawn yet, and
/// redacts its posts in the moderators and speakers rooms.
async fn withdraw_question(
    bot: &Bot,
    out: &impl Outbox,
    redacted: &str,
    redaction: &str,
) -> anyhow::Result<Option<u64>> {
    for _ in 0..5 {
        let Some(question) = bot.store.question_by_ask(redacted, bot.zone())? else {
            return Ok(None);
        };
        let Some(withdrawal) = questions::withdrawal(&question) else {
            return Ok(None);
        };
        let number = withdrawal.number;
        let changed = bot.store.act(redaction, |acts| {
            if acts.set_status_untriaged(number, &withdrawal.from, &Status::Withdrawn)? {
                Ok(())
            } else {
                Err(ChangedMeanwhile.into())
            }
        });
        match changed {
            Ok(()) => {}
            Err(err) if err.is::<ChangedMeanwhile>() => continue,
            Err(err) if err.is::<ActedBefore>() => return Ok(None),
            Err(err) => return Err(err),
        }
        info!(question = number, "question withdrawn: its !ask was redacted");
        bot.boards_changed.notify_one();
        let rooms = bot.question_rooms(&question.session_id);
        if let (Some(moderators), Some(relay)) = (rooms.moderators, &withdrawal.relay_event) {
            if let Err(err) = out.withdraw(moderators, relay, WITHDRAWN_REASON).await {
                warn!(question = number, error = %err, "could not redact a withdrawn question in the moderators room");
            }
        }
        if let Some(speakers) = &withdrawal.speakers_event {
            withdraw(bot, out, &question.session_id, speakers, WITHDRAWN_REASON).await;
            bot.store.set_speakers_event(number, None)?;
        }
        return Ok(Some(number));
    }
    Ok(None)
}

/// Takes back the vote cast by `redacted`, if it was one.
fn unvote(bot: &Bot, redacted: &str, redaction: &str) -> anyhow::Result<Option<u64>> {
    if bot.store.vote_by_event(redacted)?.is_none() {
        return Ok(None);
    }
    match bot.store.act(redaction, |acts| acts.remove_vote(redacted)) {
        Ok(Some(number)) => {
            info!(question = number, "a vote was taken back");
            bot.questions_changed.notify_one();
            bot.boards_changed.notify_one();
            Ok(Some(number))
        }
        Ok(None) => Ok(None),
        Err(err) if err.is::<ActedBefore>() => Ok(None),
        Err(err) => Err(err),
    }
}

/// Reverts the status `redacted` set, if it was a moderator's action and nothing changed
/// since; the relay post shows the status it is back to.
async fn revert(bot: &Bot, out: &impl Outbox, redacted: &str, redaction: &str) -> anyhow::Result<Option<u64>> {
    let Some(question) = bot.store.question_by_triage(redacted, bot.zone())? else {
        return Ok(None);
    };
    let Some(revert) = questions::revert(&question, redacted) else {
        return Ok(None);
    };
    let number = revert.number;
    let changed = bot.store.act(redaction, |acts| {
        if acts.set_status_untriaged(number, &revert.from, &revert.to)? {
            Ok(())
        } else {
            Err(ChangedMeanwhile.into())
        }
    });
    match changed {
        Ok(()) => {}
        // Changed since it was read: not what the redacted action set any more.
        Err(err) if err.is::<ChangedMeanwhile>() || err.is::<ActedBefore>() => return Ok(None),
        Err(err) => return Err(err),
    }
    info!(
        question = number,
        status = revert.to.as_str(),
        "a moderation was taken back"
    );
    bot.boards_changed.notify_one();
    if let Some(speakers) = &revert.withdraw {
        withdraw(
            bot,
            out,
            &question.session_id,
            speakers,
            "the moderator took back the approval",
        )
        .await;
        bot.store.set_speakers_event(number, None)?;
    }
    if revert.to == Status::Approved {
        bot.questions_changed.notify_one();
    }
    show_status(bot, out, number).await;
    Ok(Some(number))
}

/// An edit (`edit`, by `sender` in `room`) of the `!ask` in event `original`, whose new
/// text is `text`: the question's text and its relay post change while it is pending;
/// after that the asker is told once that the edit is ignored. Whether the text changed.
pub async fn edited(
    bot: &Bot,
    out: &impl Outbox,
    original: &str,
    text: &str,
    edit: &str,
    sender: &str,
    room: &str,
) -> bool {
    if !bot.config.questions.enabled {
        return false;
    }
    let question = match bot.store.question_by_ask(original, bot.zone()) {
        Ok(Some(question)) if question.asker == sender => question,
        Ok(_) => return false,
        Err(err) => {
            warn!(error = %format!("{err:#}"), "reading an edited question");
            return false;
        }
    };
    let number = question.number;
    match questions::edit(&question, text, &bot.config.questions.rules()) {
        Ok(()) => {
            let changed = bot.store.act(edit, |acts| acts.edit_text(number, text.trim(), edit));
            match changed {
                Ok(true) => {
                    info!(question = number, "question edited");
                    show_status(bot, out, number).await;
                    true
                }
                Ok(false) => false,
                Err(err) if err.is::<ActedBefore>() => false,
                Err(err) => {
                    warn!(question = number, error = %format!("{err:#}"), "storing an edited question");
                    false
                }
            }
        }
        Err(refusal) => {
            let Some(notice) = questions::edit_ignored(&refusal) else {
                return false;
            };
            match bot.store.note_edit_refused(number) {
                Ok(true) => {
                    let key = format!("question-edit-ignored:{number}");
                    if let Err(err) = out.post(room, &notice, true, &key).await {
                        warn!(question = number, error = %err, "could not tell the asker their edit is ignored");
                    }
                }
                Ok(false) => {}
                Err(err) => warn!(question = number, error = %format!("{err:#}"), "noting an ignored edit"),
            }
            false
        }
    }
}

/// After question `number` was posted to the moderators room: if it was withdrawn while
/// the post was on its way, the post is redacted too.
pub(super) async fn after_relay(bot: &Bot, out: &impl Outbox, number: u64) {
    let Ok(Some(question)) = bot.store.question(number, bot.zone()) else {
        return;
    };
    let rooms = bot.question_rooms(&question.session_id);
    if let (Status::Withdrawn, Some(relay), Some(moderators)) =
        (&question.status, &question.relay_event, rooms.moderators)
    {
        if let Err(err) = out.withdraw(moderators, relay, WITHDRAWN_REASON).await {
            warn!(question = number, error = %err, "could not redact a withdrawn question in the moderators room");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::relay::react;
    use crate::app::testing::{bot, next, say, start, Running};
    use crate::command::Role;
    use crate::questions::QuestionEvent;
    use std::time::Duration;

    const ROOMS: &str = "moderators = \"#mods:x\"\nspeakers = \"#speakers:x\"\n";

    /// What the rooms got since the last look, once the bot is idle.
    async fn got(run: &mut Running) -> Vec<(String, String)> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut got = Vec::new();
        while let Ok(post) = run.inbox.try_recv() {
            got.push(post);
        }
        got
    }

    /// A bot at 09:10 with Ann's question Q1 relayed to the moderators; its relay event.
    async fn asked() -> (Bot, Running, String) {
        let bot = bot(ROOMS, (9, 10, 0), 1.0);
        let mut run = start(&bot, &[], true);
        let reply = say(
            &bot,
            &run.out,
            "@ann:x",
            Role::Attendee,
            "$ask",
            "!ask How is RHEL built?",
        )
        .await;
        assert!(reply.starts_with("Question Q1 "), "{reply}");
        assert_eq!(next(&mut run.inbox).await.0, "#mods:x");
        got(&mut run).await;
        let relay = bot.store.question(1, bot.zone()).unwrap().unwrap().relay_event.unwrap();
        (bot, run, relay)
    }

    #[tokio::test(start_paused = true)]
    async fn a_redacted_ask_withdraws_the_question_and_takes_back_its_posts_once() {
        let (bot, mut run, relay) = asked().await;
        let out = run.out.clone();
        say(&bot, &out, "@mod:x", Role::Moderator, "$approve", "!approve 1").await;
        got(&mut run).await;
        let speakers = bot
            .store
            .question(1, bot.zone())
            .unwrap()
            .unwrap()
            .speakers_event
            .unwrap();

        assert_eq!(
            redacted(&bot, &out, "$ask", "$redaction").await,
            Some(Redacted::Withdrew(1))
        );
        let mut taken = got(&mut run).await;
        taken.sort();
        let reason = "the question was withdrawn: the message that asked it was redacted";
        assert_eq!(
            taken,
            [
                ("#mods:x".to_string(), format!("(took back {relay}: {reason})")),
                ("#speakers:x".to_string(), format!("(took back {speakers}: {reason})")),
            ]
        );
        assert_eq!(redacted(&bot, &out, "$ask", "$redaction").await, None, "a replay");
        assert_eq!(
            redacted(&bot, &out, "$ask", "$another").await,
            None,
            "withdrawn already"
        );
        assert!(got(&mut run).await.is_empty());
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        assert_eq!((q.status, q.speakers_event), (Status::Withdrawn, None));
        let listed = say(&bot, &out, "@mod:x", Role::Moderator, "$list", "!questions").await;
        assert!(listed.contains("Not shown: 1 withdrawn."), "{listed}");
        assert!(!listed.contains("How is RHEL built"), "{listed}");
        let late = say(&bot, &out, "@mod:x", Role::Moderator, "$approve-2", "!approve 1").await;
        assert_eq!(late, "Q1 was withdrawn by its asker.");
    }

    #[tokio::test(start_paused = true)]
    async fn a_question_withdrawn_before_it_was_relayed_never_reaches_the_moderators() {
        let bot = bot(ROOMS, (9, 10, 0), 1.0);
        let (out, mut inbox) = crate::app::testing::Recording::new(&[]);
        say(&bot, &out, "@ann:x", Role::Attendee, "$ask", "!ask How is RHEL built?").await;
        assert_eq!(
            redacted(&bot, &out, "$ask", "$redaction").await,
            Some(Redacted::Withdrew(1))
        );
        let mut run = start(&bot, &[], true);
        assert!(got(&mut run).await.is_empty(), "nothing relayed");
        assert!(inbox.try_recv().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_redacted_vote_no_longer_counts() {
        let (bot, mut run, _) = asked().await;
        let out = run.out.clone();
        bot.store.set_receipt_event(1, "$receipt").unwrap();
        say(&bot, &out, "@bob:x", Role::Attendee, "$up", "!upvote 1").await;
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        react(
            &bot,
            &out,
            &q,
            QuestionEvent::Receipt,
            "👍",
            "@carol:x",
            (Role::Attendee, None),
            "$thumb",
        )
        .await;
        let votes = |bot: &Bot| bot.store.question(1, bot.zone()).unwrap().unwrap().votes;
        assert_eq!(votes(&bot), 2);
        assert_eq!(redacted(&bot, &out, "$thumb", "$r1").await, Some(Redacted::Unvoted(1)));
        assert_eq!(votes(&bot), 1, "Carol's 👍 is gone, Bob's !upvote stays");
        assert_eq!(redacted(&bot, &out, "$thumb", "$r1").await, None);
        assert_eq!(votes(&bot), 1);
        assert_eq!(redacted(&bot, &out, "$up", "$r2").await, Some(Redacted::Unvoted(1)));
        assert_eq!(votes(&bot), 0);
        assert!(got(&mut run).await.is_empty(), "votes post nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reaction_edits_the_relay_post_and_its_redaction_reverts_only_what_it_set() {
        let (bot, mut run, relay) = asked().await;
        let out = run.out.clone();
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        react(
            &bot,
            &out,
            &q,
            QuestionEvent::Relay,
            "✅",
            "@mod:x",
            (Role::Moderator, None),
            "$tick",
        )
        .await;
        let mut after_tick = got(&mut run).await;
        after_tick.sort();
        assert_eq!(after_tick.len(), 2, "{after_tick:?}");
        let (room, edit) = &after_tick[0];
        assert_eq!(room, "#mods:x", "the relay post, edited; no new notice");
        assert!(edit.starts_with(&format!("(edited {relay}) Q1 ")), "{edit}");
        assert!(edit.ends_with("\n✅ passed on by @mod:x at 09:10 CET"), "{edit}");
        assert_eq!(after_tick[1].0, "#speakers:x");
        let speakers = bot
            .store
            .question(1, bot.zone())
            .unwrap()
            .unwrap()
            .speakers_event
            .unwrap();
        // A second ✅ changes nothing and posts nothing.
        react(
            &bot,
            &out,
            &q,
            QuestionEvent::Relay,
            "✅",
            "@mod2:x",
            (Role::Moderator, None),
            "$tick-2",
        )
        .await;
        assert!(got(&mut run).await.is_empty());

        assert_eq!(
            redacted(&bot, &out, "$tick", "$undo").await,
            Some(Redacted::Reverted(1))
        );
        let mut reverted = got(&mut run).await;
        reverted.sort();
        assert_eq!(reverted.len(), 2, "{reverted:?}");
        assert!(
            reverted[0].1.ends_with("\nReact ✅ approve · ❌ reject · 💬 answered"),
            "{reverted:?}"
        );
        assert_eq!(
            reverted[1],
            (
                "#speakers:x".to_string(),
                format!("(took back {speakers}: the moderator took back the approval)")
            )
        );
        assert_eq!(
            bot.store.question(1, bot.zone()).unwrap().unwrap().status,
            Status::Pending
        );
        assert_eq!(redacted(&bot, &out, "$tick", "$undo").await, None, "a replay");

        // ✅ then ❌: redacting the ✅ changes nothing, the ❌ set the status since.
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        react(
            &bot,
            &out,
            &q,
            QuestionEvent::Relay,
            "✅",
            "@mod:x",
            (Role::Moderator, None),
            "$tick-3",
        )
        .await;
        react(
            &bot,
            &out,
            &q,
            QuestionEvent::Relay,
            "❌",
            "@mod:x",
            (Role::Moderator, None),
            "$cross",
        )
        .await;
        assert_eq!(redacted(&bot, &out, "$tick-3", "$undo-3").await, None);
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        assert_eq!(q.status, Status::Rejected { reason: None });
        assert_eq!(
            redacted(&bot, &out, "$cross", "$undo-4").await,
            Some(Redacted::Reverted(1))
        );
        assert_eq!(
            bot.store.question(1, bot.zone()).unwrap().unwrap().status,
            Status::Approved
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_edit_changes_a_pending_question_and_is_ignored_once_told_after() {
        let (bot, mut run, relay) = asked().await;
        let out = run.out.clone();
        assert!(edited(&bot, &out, "$ask", "How is CentOS built?", "$e1", "@ann:x", "!main").await);
        let q = bot.store.question(1, bot.zone()).unwrap().unwrap();
        assert_eq!(q.text, "How is CentOS built?");
        let edits = got(&mut run).await;
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert_eq!(edits[0].0, "#mods:x");
        assert!(
            edits[0].1.starts_with(&format!("(edited {relay}) Q1 ")) && edits[0].1.contains("\nHow is CentOS built?\n"),
            "{edits:?}"
        );
        assert!(!edited(&bot, &out, "$ask", "Mine now", "$e2", "@mallory:x", "!main").await);
        assert!(!edited(&bot, &out, "$ask", "How is CentOS built?", "$e1", "@ann:x", "!main").await);
        assert!(got(&mut run).await.is_empty(), "only the asker edits, once per edit");

        say(&bot, &out, "@mod:x", Role::Moderator, "$approve", "!approve 1").await;
        got(&mut run).await;
        assert!(!edited(&bot, &out, "$ask", "Something else", "$e3", "@ann:x", "!main").await);
        assert!(!edited(&bot, &out, "$ask", "Yet another", "$e4", "@ann:x", "!main").await);
        assert_eq!(
            got(&mut run).await,
            [(
                "!main".to_string(),
                "Your edit of Q1 is ignored: the moderators have dealt with the question (approved), so it stays as you first asked it.".to_string()
            )],
            "told once"
        );
        assert_eq!(
            bot.store.question(1, bot.zone()).unwrap().unwrap().text,
            "How is CentOS built?"
        );
    }
}
