//! The timer that posts reminders and announcements: it sleeps until the next post falls
//! due on the bot's clock (no polling tick), posts it to its rooms with a transaction id
//! derived from its key (so a retry is never a second post), and records it in the store.
//! After downtime, posts overdue by less than `[reminders] grace` go out marked late; older
//! ones are skipped and listed once in the moderators room.

use super::{Bot, Outbox, SendError};
use crate::message::Message;
use crate::metrics::{PostKind, PostOutcome};
use crate::plan::{self, CatchUp, Post, What};
use crate::schedule::Schedule;
use crate::store::Outcome;
use chrono::TimeDelta;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How far back a (re)start looks for posts it never dealt with.
const LOOK_BACK: TimeDelta = TimeDelta::days(30);
/// How far ahead the next post is looked for.
const LOOK_AHEAD: TimeDelta = TimeDelta::days(400);

/// `first_start`: the bot never ran before, so what fell due earlier was not missed; it is
/// recorded as skipped without telling the moderators.
pub async fn post_until(bot: Bot, out: impl Outbox, first_start: bool, mut shutdown: watch::Receiver<bool>) {
    catch_up(&bot, &out, first_start).await;
    let mut last_due: Option<String> = None;
    // Every post due since the start that is not done yet: one whose sending failed (the
    // homeserver was down, or the loop was held up by rate limits) is tried again, late,
    // or listed as skipped, however long that lasted.
    let since = bot.clock.now() - bot.config.reminders.grace;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = bot.clock.now();
        let from_chat = bot.from_chat();
        let not_done = |post: &Post| !bot.store.post_done(&post.key).unwrap_or(false);
        let next = plan::posts(&bot.loaded().schedule, &bot.config, &from_chat, since, now + LOOK_AHEAD)
            .into_iter()
            .find(not_done);
        let wait = next
            .as_ref()
            .map_or(Duration::from_secs(3600), |post| bot.clock.real_until(post.due));
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.schedule_changed.notified() => continue,
            _ = tokio::time::sleep(wait) => {}
        }
        let Some(post) = next else { continue };
        if last_due.as_deref() != Some(post.key.as_str()) {
            // Counted once, however often sending it is retried.
            bot.metrics.post(kind(&post), PostOutcome::Due);
            last_due = Some(post.key.clone());
        }
        let outcome = match plan::catch_up(post.due, bot.clock.now(), bot.config.reminders.grace, on_time(&bot)) {
            CatchUp::Wait => continue,
            CatchUp::OnTime => Outcome::Sent,
            CatchUp::Late => Outcome::Late,
            CatchUp::Skip => {
                // Everything overdue beyond the grace period by now, in one list.
                let now = bot.clock.now();
                let grace = bot.config.reminders.grace;
                let overdue: Vec<Post> = plan::posts(&bot.loaded().schedule, &bot.config, &from_chat, since, now)
                    .into_iter()
                    .filter(|p| plan::catch_up(p.due, now, grace, on_time(&bot)) == CatchUp::Skip && not_done(p))
                    .collect();
                if !skip(&bot, &out, &overdue).await {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                continue;
            }
        };
        if !send_post(&bot, &out, &post, outcome).await {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

/// After a reload or a delay: posts the new schedule puts further back than the grace
/// period are not posts that were missed, and are recorded as skipped without a word
/// (a corrected time of a talk long over must not bring its reminders back).
pub(super) fn forget_overdue(bot: &Bot) {
    let now = bot.clock.now();
    let overdue: Vec<Post> = plan::posts(
        &bot.loaded().schedule,
        &bot.config,
        &bot.from_chat(),
        now - LOOK_BACK,
        now - bot.config.reminders.grace,
    )
    .into_iter()
    .filter(|post| !bot.store.post_done(&post.key).unwrap_or(false))
    .collect();
    record_skipped(bot, &overdue, false);
}

/// How overdue a post may be and still count as on time: one real second on the bot's clock.
fn on_time(bot: &Bot) -> TimeDelta {
    bot.clock.span(Duration::from_secs(1)).max(TimeDelta::seconds(1))
}

/// Deals with every post that fell due while the bot was not running.
async fn catch_up(bot: &Bot, out: &impl Outbox, first_start: bool) {
    let now = bot.clock.now();
    let from_chat = bot.from_chat();
    let overdue: Vec<Post> = plan::posts(&bot.loaded().schedule, &bot.config, &from_chat, now - LOOK_BACK, now)
        .into_iter()
        .filter(|post| !bot.store.post_done(&post.key).unwrap_or(false))
        .collect();
    let mut skipped = Vec::new();
    for post in overdue {
        let decision = plan::catch_up(post.due, now, bot.config.reminders.grace, on_time(bot));
        if !(first_start && decision == CatchUp::Skip) {
            bot.metrics.post(kind(&post), PostOutcome::Due);
        }
        match decision {
            CatchUp::Skip => skipped.push(post),
            CatchUp::Late => {
                send_post(bot, out, &post, Outcome::Late).await;
            }
            CatchUp::OnTime | CatchUp::Wait => {
                send_post(bot, out, &post, Outcome::Sent).await;
            }
        }
    }
    if first_start {
        info!(count = skipped.len(), "first start: posts due before it are not posted");
        record_skipped(bot, &skipped, false);
    } else if !skipped.is_empty() {
        skip(bot, out, &skipped).await;
    }
}

/// Lists posts once in the moderators room and records them as skipped. False, with
/// nothing recorded, when the list could not be sent (the homeserver is down): the posting
/// loop comes back to them, so that an outage cannot swallow the list.
async fn skip(bot: &Bot, out: &impl Outbox, posts: &[Post]) -> bool {
    if posts.is_empty() {
        return true;
    }
    let loaded = bot.loaded();
    let mut message = Message::new();
    message.text(&format!(
        "While I was away, {} post{} fell due more than {} ago; I skipped {}:",
        posts.len(),
        if posts.len() == 1 { "" } else { "s" },
        crate::duration::Compact(bot.config.reminders.grace),
        if posts.len() == 1 { "it" } else { "them" }
    ));
    for post in posts.iter().take(20) {
        message
            .line_break()
            .text(&format!("  {} ", crate::time::clock(&post.due)))
            .text(&describe(&loaded.schedule, post));
    }
    if posts.len() > 20 {
        message.line_break().text(&format!("…and {} more.", posts.len() - 20));
    }
    if let Some(moderators) = &bot.config.rooms.moderators {
        let key = format!("skipped:{}", posts[0].key);
        match out.post(moderators, &message, true, &key).await {
            Ok(_) => {}
            Err(err @ SendError::NoRoom(_)) => warn!(room = %moderators, error = %err, "listing the skipped posts"),
            Err(err) => {
                warn!(room = %moderators, error = %err, "listing the skipped posts; trying again");
                return false;
            }
        }
    }
    record_skipped(bot, posts, true);
    true
}

/// Records posts as skipped; `missed`: they were missed, not due before the first start.
fn record_skipped(bot: &Bot, posts: &[Post], missed: bool) {
    let now_ms = now_ms();
    for post in posts {
        if missed {
            bot.metrics.post(kind(post), PostOutcome::Skipped);
            info!(key = %post.key, "skipped: overdue beyond the grace period");
        }
        if let Err(err) = bot.store.record_post(&post.key, Outcome::Skipped, now_ms) {
            warn!(error = %err, "recording a skipped post");
        }
    }
}

fn kind(post: &Post) -> PostKind {
    match post.what {
        What::Reminder { .. } => PostKind::Reminder,
        What::Announcement { .. } => PostKind::Announcement,
        What::Personal { .. } => PostKind::Personal,
    }
}

/// Counts a post as sent (or late) once it is recorded.
fn record_sent(bot: &Bot, post: &Post, outcome: Outcome) {
    bot.metrics.post(
        kind(post),
        if outcome == Outcome::Late {
            PostOutcome::Late
        } else {
            PostOutcome::Sent
        },
    );
    if let Err(err) = bot.store.record_post(&post.key, outcome, now_ms()) {
        warn!(error = %err, "recording a post");
    }
}

/// One post in a few words, for lists.
pub fn describe(schedule: &Schedule, post: &Post) -> String {
    match &post.what {
        What::Reminder { session, lead } => {
            let title = schedule
                .session(session)
                .map_or(session.as_str(), |s| s.title.as_str())
                .to_string();
            format!("reminder {} before {title}", crate::duration::Compact(*lead))
        }
        What::Announcement { text, .. } => format!("announcement \"{}\"", crate::message::isolate(text)),
        What::Personal { user, session } => format!("reminder for {user} before {session}"),
    }
}

/// Sends one post to all its rooms; records it once every room has accepted it.
async fn send_post(bot: &Bot, out: &impl Outbox, post: &Post, outcome: Outcome) -> bool {
    let late = outcome == Outcome::Late;
    let loaded = bot.loaded();
    let (message, targets) = match &post.what {
        What::Reminder { session, lead } => {
            let Some(session) = loaded.schedule.session(session) else {
                return true; // gone from a reloaded schedule: nothing to remind of
            };
            let message =
                plan::reminder_message(&loaded.schedule, session, *lead, &bot.config.reminders.templates, late);
            let places = [&session.room, &session.track]
                .into_iter()
                .flatten()
                .map(String::as_str);
            let targets = bot.config.rooms.post_targets(places);
            (message, targets)
        }
        What::Announcement { text, room } => {
            let mut message = Message::new();
            if late {
                message.em("(late) ");
            }
            message.text(text);
            (message, bot.config.rooms.targets(room))
        }
        What::Personal { .. } => (Message::new(), Vec::new()),
    };
    let as_notice = bot.config.reminders.as_notice;
    if let What::Personal { user, session } = &post.what {
        return send_personal(bot, out, post, user, session, late).await;
    }
    for target in &targets {
        match out
            .post(target, &message, as_notice, &format!("{}|{target}", post.key))
            .await
        {
            Ok(_) => {}
            Err(err @ SendError::NoRoom(_)) => {
                warn!(room = %target, key = %post.key, error = %err, "cannot post there");
            }
            Err(err) => {
                warn!(room = %target, key = %post.key, error = %err, "posting failed; will retry");
                bot.metrics.post(kind(post), PostOutcome::Failed);
                return false;
            }
        }
    }
    let lateness_ms = (bot.clock.now() - post.due).num_milliseconds();
    info!(key = %post.key, late, lateness_ms, rooms = targets.len(), "posted");
    record_sent(bot, post, outcome);
    true
}

/// Sends a personal reminder to the attendee's direct room, opening one if needed.
async fn send_personal(bot: &Bot, out: &impl Outbox, post: &Post, user: &str, session: &str, late: bool) -> bool {
    let message = {
        let loaded = bot.loaded();
        let Some(session) = loaded.schedule.session(session) else {
            return true; // gone from a reloaded schedule
        };
        plan::personal_message(&loaded.schedule, session, bot.clock.now(), bot.zone_of(user), late)
    };
    if let Err(err) = out.direct(user, &message, false, &post.key).await {
        warn!(%user, key = %post.key, error = %err, "sending a personal reminder failed; will retry");
        bot.metrics.post(kind(post), PostOutcome::Failed);
        return false;
    }
    info!(key = %post.key, late, "posted");
    record_sent(bot, post, if late { Outcome::Late } else { Outcome::Sent });
    true
}

/// Now, by the real clock, in milliseconds since the Unix epoch: when a post was recorded.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
