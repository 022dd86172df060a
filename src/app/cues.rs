//! The speakers' side of a session, carried out: their invitation to the backstage, the
//! check-in that needs what the store saw of them there, `!noshow`, and the sightings
//! themselves. The cues are posts like any other (`posting`); what is due when is the
//! core's (`plan::cues`).

use super::{Bot, Outbox, SendError, Sender};
use crate::infra::metrics::{PostKind, PostOutcome};
use crate::infra::store::Outcome;
use crate::plan::cues::checked_in;
use crate::plan::Post;
use crate::present::message::Message;
use crate::refusal::Refusal;
use crate::schedule::{Schedule, Session, Speaker};
use std::time::Duration;
use tracing::{info, warn};

/// How often an invitation the homeserver could not take for now is tried again.
const INVITE_ATTEMPTS: u32 = 5;

/// Invites `user` to the backstage of `session`, in a task of its own; the post is done
/// once they are invited (or in the room), or the room refuses it for good.
pub(super) fn invite(bot: &Bot, out: &impl Outbox, post: &Post, session: &str, user: &str) {
    let Some(room) = bot.question_rooms(session).speakers.map(str::to_string) else {
        return nothing_to_say(bot, post, "the session has no backstage");
    };
    let (bot, out, key, user) = (bot.clone(), out.clone(), post.key.clone(), user.to_string());
    tokio::spawn(async move {
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=INVITE_ATTEMPTS {
            match out.invite(&room, &user).await {
                Ok(()) => {
                    info!(%room, %user, "invited a speaker to the backstage");
                    return record(&bot, &key, Outcome::Sent, PostOutcome::Sent);
                }
                Err(err) if err.is_final() || attempt == INVITE_ATTEMPTS => {
                    warn!(%room, %user, error = %format!("{err:#}"), "could not invite a speaker to the backstage");
                    return record(&bot, &key, Outcome::Skipped, PostOutcome::Failed);
                }
                Err(SendError::Busy { retry_after, .. }) => tokio::time::sleep(retry_after).await,
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    });
}

fn record(bot: &Bot, key: &str, outcome: Outcome, counted: PostOutcome) {
    let recorded = bot.store.record_post(key, outcome, crate::infra::clock::now_ms());
    if bot.stored(recorded, "recording an invitation") == Some(true) {
        bot.metrics.post(PostKind::Cue, counted);
    }
}

/// Whether `!noshow` silenced `session`; then the post is recorded as done, unsent.
pub(super) fn silenced(bot: &Bot, post: &Post, session: &str) -> bool {
    match bot.store.no_show(session) {
        Ok(true) => {
            nothing_to_say(bot, post, "its speakers will not come (!noshow)");
            true
        }
        Ok(false) => false,
        Err(err) => {
            warn!(error = %format!("{err:#}"), "reading the sessions marked !noshow");
            false
        }
    }
}

/// Records `post` as done without a word, and says why in the log.
pub(super) fn nothing_to_say(bot: &Bot, post: &Post, why: &str) {
    info!(key = %post.key, "not posted: {why}");
    let recorded = bot
        .store
        .record_post(&post.key, Outcome::Skipped, crate::infra::clock::now_ms());
    bot.stored(recorded, "recording a post with nothing to say");
}

/// The moderators' word about the speakers of `session` (with Matrix IDs) not seen in its
/// backstage since their invitation; `None` when every one of them has been.
pub(super) fn not_checked_in(bot: &Bot, schedule: &Schedule, session: &Session) -> Option<Message> {
    let backstage = bot.question_rooms(&session.id).speakers?;
    let cues = &bot.config.speakers;
    let missing: Vec<(&Speaker, &str)> = (cues.speakers(schedule, session).into_iter())
        .filter_map(|(speaker, user)| Some((speaker, user?)))
        .filter(|(_, user)| {
            let seen = bot.store.last_seen_in_backstage(backstage, user, schedule.timezone());
            let seen = bot.stored(seen, "reading the backstage check-ins").flatten();
            !checked_in(seen, session.start, cues.invite_before)
        })
        .collect();
    (!missing.is_empty()).then(|| crate::present::cue::not_checked_in(session, &missing))
}

impl Bot {
    /// `user` spoke or reacted in `backstage` (a speakers room, as the config names it):
    /// they have checked in for their sessions there.
    pub fn seen_in_backstage(&self, backstage: &str, user: &str) {
        let seen = self.store.seen_in_backstage(backstage, user, self.clock.now());
        self.stored(seen, "recording a check-in");
    }

    /// `!noshow SESSION`: no cues or check-in for it from now on. A track's moderator may
    /// silence only their track's sessions.
    pub(super) fn no_show(&self, from: &Sender<'_>, session: &str) -> Message {
        if let Some(scope) = from.scope {
            if self.question_rooms(session).moderators != Some(scope) {
                return self.refused(&Refusal::OtherTrack(session.to_string()));
            }
        }
        let loaded = self.loaded();
        let Some(found) = loaded.schedule.session(session) else {
            return self.refused(&Refusal::NoSuchSession(session.to_string()));
        };
        match self.store.act(from.event, |acts| acts.add_no_show(session, from.user)) {
            Ok(_) => {
                info!(session, by = from.user, "no show: cues and check-in silenced");
                crate::present::cue::silenced(found)
            }
            Err(err) => super::commands::sorry(err, "storing a no-show", "I could not store that"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bot, say, start};
    use crate::command::Role;
    use std::time::Duration;
    use tokio::sync::mpsc;

    /// The next post, however far away on the paused clock: (room, plain body).
    async fn next(inbox: &mut mpsc::UnboundedReceiver<(String, String)>) -> (String, String) {
        crate::app::testing::within(inbox, Duration::from_secs(3 * 3600)).await
    }

    /// The CentOS day with a speakers room and a moderators room, and Matrix IDs for
    /// two of its speakers: Adam (09:00, by name) and Jack (09:25, by id).
    const ROOMS: &str = "speakers = \"#speakers:x\"\nmoderators = \"#mods:x\"\n\
                         [speakers.matrix]\n\"Adam Samalik\" = \"@adam:x\"\njack = \"@jack:x\"\n";

    #[tokio::test(start_paused = true)]
    async fn speakers_are_invited_cued_and_checked_in_and_a_no_show_silences_its_session() {
        let bot = bot(ROOMS, (8, 24, 58), 1.0);
        let mut run = start(&bot, &[], true);
        let started = tokio::time::Instant::now();
        let at = |minutes_after_0825: u64| Duration::from_secs(2 + minutes_after_0825 * 60);

        assert_eq!(
            next(&mut run.inbox).await,
            ("#speakers:x".into(), "(invites @jack:x)".into())
        );
        assert_eq!(started.elapsed(), at(0));
        let (room, word) = next(&mut run.inbox).await;
        assert_eq!(room, "#mods:x");
        assert_eq!(
            word,
            "Not checked in yet: Adam Samalik (@adam:x) for CentOS Stream: RHEL development in public at 09:00 CET \
             in Pagoda room. If they will not come, !noshow rheldevel silences the cues."
        );
        assert_eq!(started.elapsed(), at(20), "at 08:45");
        // Jack says hello in the backstage at 08:50, so his 09:10 check-in says nothing.
        tokio::time::sleep(at(25) - started.elapsed()).await;
        bot.seen_in_backstage("#speakers:x", "@jack:x");
        let (room, cue) = next(&mut run.inbox).await;
        assert_eq!(room, "#speakers:x");
        assert_eq!(
            cue,
            "Adam Samalik: you're on in 5 minutes: CentOS Stream: RHEL development in public, 09:00–09:25 CET."
        );
        assert_eq!(started.elapsed(), at(30), "at 08:55");

        // Jack will not come after all: nothing more about his session.
        tokio::time::sleep(at(35) - started.elapsed()).await;
        let reply = say(&bot, &run.out, "@amy:x", Role::Moderator, "$noshow", "!noshow alma").await;
        assert_eq!(
            reply,
            "No cues or check-in for AlmaLinux Build System and Project Updates (09:25 CET): its speakers will not come."
        );
        let rest: Vec<(Duration, String)> = {
            let mut rest = Vec::new();
            for _ in 0..3 {
                let (_, cue) = next(&mut run.inbox).await;
                rest.push((started.elapsed(), cue));
            }
            rest
        };
        assert_eq!(
            rest,
            [
                (
                    at(55),
                    "Adam Samalik: 5 minutes left in CentOS Stream: RHEL development in public (until 09:25 CET)."
                        .to_string()
                ),
                (
                    at(59),
                    "Adam Samalik: Q&A: 1 minute left in CentOS Stream: RHEL development in public.".to_string()
                ),
                // The 09:50 session's speaker has no Matrix ID: cued by name, not checked.
                (
                    at(80),
                    "Michel Salim: you're on in 5 minutes: One year on: Experiences using ebranch to bring over \
                     Fedora packages to EPEL, 09:50–10:15 CET."
                        .to_string()
                ),
            ]
        );
        // Only a moderator may silence a session.
        let refused = say(
            &bot,
            &run.out,
            "@ann:x",
            Role::Attendee,
            "$noshow2",
            "!noshow rheldevel",
        )
        .await;
        assert!(refused.contains("moderators"), "{refused}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_tracks_moderator_may_silence_only_that_tracks_sessions() {
        let rooms = "moderators = \"#mods:x\"\n[rooms.map]\n\"Pagoda room\" = { room = \"#pagoda:x\", moderators = \"#pagoda-mods:x\" }\n";
        let bot = bot(rooms, (8, 30, 0), 1.0);
        let run = start(&bot, &[], true);
        let no_show = |scope: &'static str, event: &'static str| {
            let (bot, out) = (bot.clone(), run.out.clone());
            async move {
                let from = crate::app::Sender {
                    user: "@mod:x",
                    name: "mod",
                    role: Role::Moderator,
                    scope: Some(scope),
                    place: None,
                    backstage: None,
                    event,
                };
                let command = crate::command::Command::parse("!noshow rheldevel").unwrap().unwrap();
                bot.answer(&out, &from, &Ok(command)).await.message.body().to_string()
            }
        };
        assert_eq!(
            no_show("#other-mods:x", "$1").await,
            "rheldevel is another track's: its moderators or an organizer may do that."
        );
        assert!(!bot.store.no_show("rheldevel").unwrap());
        assert!(no_show("#pagoda-mods:x", "$2")
            .await
            .starts_with("No cues or check-in for CentOS Stream"));
        assert!(bot.store.no_show("rheldevel").unwrap());
    }
}
