//! The timer that posts reminders and announcements: it sleeps until the next post falls
//! due on the bot's clock (no polling tick) and hands it to the couriers of its rooms
//! (`delivery`), which send it with a transaction id derived from its key (so a retry is
//! never a second post) and record it in the store. It never waits for a send: a room
//! that fails holds up no other room and no later post. After downtime, posts overdue by
//! less than `[reminders] grace` go out marked late; older ones are skipped and listed once
//! in the moderators room. The posts due at one instant are handed over together, so that
//! each room gets them as one message (`digest`).

use super::delivery::{self, Address, Parcel};
use super::{cues, Bot, Outbox};
use crate::infra::metrics::{PostKind, PostOutcome};
use crate::infra::store::Outcome;
use crate::plan::{self, CatchUp, Post, What};
use crate::present::message::Message;
use crate::present::posts;
use crate::schedule::Schedule;
use chrono::TimeDelta;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// How far back a (re)start looks for posts it never dealt with.
const LOOK_BACK: TimeDelta = TimeDelta::days(30);
/// How far ahead the next post is looked for.
const LOOK_AHEAD: TimeDelta = TimeDelta::days(400);
/// How long the posting loop waits before reading a store it could not read again.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// `first_start`: the bot never ran before, so what fell due earlier was not missed; it is
/// recorded as skipped without telling the moderators.
pub async fn post_until(bot: Bot, out: impl Outbox, first_start: bool, mut shutdown: watch::Receiver<bool>) {
    catch_up(&bot, &out, first_start);
    // Posts handed to the couriers and not yet done in every room: not handed over again.
    let mut handed = std::collections::HashSet::new();
    // Every post due since the start that is not done yet: one whose rooms could not all
    // take it (the homeserver was down, or the loop was held up) is still looked at, and
    // handed to the couriers late or listed as skipped.
    let since = bot.clock.now() - bot.config.reminders.grace;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let now = bot.clock.now();
        let from_chat = bot.from_chat();
        let not_done = |post: &Post| !handed.contains(&post.key) && bot.post_done(&post.key) == Some(false);
        // The next post not known to be done: one whose record cannot be read is waited for.
        let pending = |post: &Post| !handed.contains(&post.key) && bot.post_done(&post.key) != Some(true);
        let upcoming = plan::posts(
            &bot.loaded().schedule,
            bot.config.rules(),
            &from_chat,
            since,
            now + LOOK_AHEAD,
        );
        let next = upcoming.iter().find(|post| pending(post)).cloned();
        let wait = next
            .as_ref()
            .map_or(Duration::from_secs(3600), |post| bot.clock.real_until(post.due));
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = bot.schedule_changed.notified() => continue,
            _ = tokio::time::sleep(wait) => {}
        }
        let Some(post) = next else { continue };
        match bot.post_done(&post.key) {
            Some(false) => {}
            Some(true) => continue,
            None => {
                // The store cannot be read: try again in a moment.
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(STORE_RETRY) => continue,
                }
            }
        }
        let outcome = match plan::catch_up(post.due, bot.clock.now(), bot.config.reminders.grace, on_time(&bot)) {
            CatchUp::Wait => continue,
            CatchUp::OnTime => Outcome::Sent,
            CatchUp::Late => Outcome::Late,
            CatchUp::Skip => {
                bot.metrics.post(kind(&post), PostOutcome::Due);
                // Everything overdue beyond the grace period by now, in one list.
                let now = bot.clock.now();
                let grace = bot.config.reminders.grace;
                let overdue: Vec<Post> =
                    plan::posts(&bot.loaded().schedule, bot.config.rules(), &from_chat, since, now)
                        .into_iter()
                        .filter(|p| plan::catch_up(p.due, now, grace, on_time(&bot)) == CatchUp::Skip && not_done(p))
                        .collect();
                skip(&bot, &out, &overdue);
                continue;
            }
        };
        // Every post due at this instant, at once: one message for each room.
        let together: Vec<Post> = upcoming
            .into_iter()
            .filter(|other| other.due == post.due && not_done(other))
            .collect();
        for post in &together {
            bot.metrics.post(kind(post), PostOutcome::Due);
        }
        hand_over(&bot, &out, together.iter().map(|post| (post, outcome)));
        handed.extend(together.into_iter().map(|post| post.key));
    }
}

/// After a reload or a delay: posts the new schedule puts further back than the grace
/// period are not posts that were missed, and are recorded as skipped without a word
/// (a corrected time of a talk long over must not bring its reminders back).
pub(super) fn forget_overdue(bot: &Bot) {
    let now = bot.clock.now();
    let overdue: Vec<Post> = plan::posts(
        &bot.loaded().schedule,
        bot.config.rules(),
        &bot.from_chat(),
        now - LOOK_BACK,
        now - bot.config.reminders.grace,
    )
    .into_iter()
    .filter(|post| bot.post_done(&post.key) == Some(false))
    .collect();
    record_skipped(bot, &overdue, false);
}

/// How overdue a post may be and still count as on time: one real second on the bot's clock.
pub(super) fn on_time(bot: &Bot) -> TimeDelta {
    bot.clock.span(Duration::from_secs(1)).max(TimeDelta::seconds(1))
}

/// Deals with every post that fell due while the bot was not running.
fn catch_up(bot: &Bot, out: &impl Outbox, first_start: bool) {
    let now = bot.clock.now();
    let from_chat = bot.from_chat();
    let overdue: Vec<Post> = plan::posts(
        &bot.loaded().schedule,
        bot.config.rules(),
        &from_chat,
        now - LOOK_BACK,
        now,
    )
    .into_iter()
    .filter(|post| bot.post_done(&post.key) == Some(false))
    .collect();
    let mut skipped = Vec::new();
    let mut posting = Vec::new();
    for post in overdue {
        let decision = plan::catch_up(post.due, now, bot.config.reminders.grace, on_time(bot));
        if !(first_start && decision == CatchUp::Skip) {
            bot.metrics.post(kind(&post), PostOutcome::Due);
        }
        match decision {
            CatchUp::Skip => skipped.push(post),
            CatchUp::Late => posting.push((post, Outcome::Late)),
            CatchUp::OnTime | CatchUp::Wait => posting.push((post, Outcome::Sent)),
        }
    }
    hand_over(bot, out, posting.iter().map(|(post, outcome)| (post, *outcome)));
    if first_start {
        info!(count = skipped.len(), "first start: posts due before it are not posted");
        record_skipped(bot, &skipped, false);
    } else {
        skip(bot, out, &skipped);
    }
}

/// Records posts as skipped and lists them once in the moderators room. They are recorded
/// first: a list the moderators room cannot take is lost, the record of the skip is not.
fn skip(bot: &Bot, out: &impl Outbox, posts: &[Post]) {
    if posts.is_empty() {
        return;
    }
    record_skipped(bot, posts, true);
    let Some(moderators) = &bot.config.rooms.moderators else {
        return;
    };
    let loaded = bot.loaded();
    let message = skipped_list(
        bot,
        "While I was away, ",
        "",
        posts.iter().map(|post| (post.due, describe(&loaded.schedule, post))),
    );
    let key = format!("skipped:{}", posts[0].key);
    delivery::post_now(
        bot,
        out,
        &key,
        std::slice::from_ref(moderators),
        message,
        true,
        "the list of skipped posts",
    );
}

/// The moderators' list of skipped posts: `lead` and "N posts fell due more than GRACE
/// ago", `why`, then a line for each (due time and what), the first 20 of them.
pub(super) fn skipped_list(
    bot: &Bot,
    lead: &str,
    why: &str,
    posts: impl ExactSizeIterator<Item = (chrono::DateTime<chrono_tz::Tz>, String)>,
) -> Message {
    let count = posts.len();
    let mut message = Message::new();
    message.text(&format!(
        "{lead}{count} post{} fell due more than {} ago{why}; I skipped {}:",
        if count == 1 { "" } else { "s" },
        crate::duration::Compact(bot.config.reminders.grace),
        if count == 1 { "it" } else { "them" }
    ));
    for (due, what) in posts.take(20) {
        message
            .line_break()
            .text(&format!("  {} ", crate::time::clock(&due)))
            .text(&what);
    }
    if count > 20 {
        message.line_break().text(&format!("…and {} more.", count - 20));
    }
    message
}

/// Records posts as skipped; `missed`: they were missed, not due before the first start.
fn record_skipped(bot: &Bot, posts: &[Post], missed: bool) {
    let now_ms = crate::infra::clock::now_ms();
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
        What::Invite { .. } | What::Cue { .. } | What::CheckIn { .. } => PostKind::Cue,
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
        What::Announcement { text, .. } => format!("announcement \"{}\"", crate::present::message::isolate(text)),
        What::Personal { user, session } => format!("reminder for {user} before {session}"),
        What::Invite { user, session } => format!("invitation of {user} to the backstage of {session}"),
        What::Cue { session, .. } => format!("speakers' cue for {session}"),
        What::CheckIn { session } => format!("check-in of the speakers of {session}"),
    }
}

/// The parcels of a reminder whose lead notifies, with "@room" in the session's own rooms
/// (not in the announcements rooms, where it would ping everyone for every session).
fn notifying_room(bot: &Bot, schedule: &Schedule, post: &Post, mut parcels: Vec<Parcel>) -> Vec<Parcel> {
    let What::Reminder { session, lead } = &post.what else {
        return parcels;
    };
    let Some(session) = schedule.session(session) else {
        return parcels;
    };
    if !bot.config.reminders.notifies_room_at(*lead) {
        return parcels;
    }
    let rooms = &bot.config.rooms;
    let own: Vec<&str> = [&session.room, &session.track]
        .into_iter()
        .flatten()
        .filter_map(|place| rooms.mapped(place))
        .collect();
    for parcel in &mut parcels {
        if matches!(&parcel.to, Address::Room(room) if own.contains(&room.as_str())) {
            parcel.message = posts::notifying_room(&parcel.message);
            parcel.late = posts::notifying_room(&parcel.late);
        }
    }
    parcels
}

/// Hands posts to the couriers of their rooms, all at once so that those due at one
/// instant in one room go out there as one message; the couriers record each post once
/// every room of it has it.
fn hand_over<'a>(bot: &Bot, out: &impl Outbox, posts: impl IntoIterator<Item = (&'a Post, Outcome)>) {
    let parcels = posts
        .into_iter()
        .flat_map(|(post, outcome)| parcels_of(bot, out, post, outcome))
        .collect();
    delivery::dispatch(bot, out, parcels);
}

/// The parcels of one post, one for each of its rooms. A post with nothing to send
/// (an invitation, a check-in everyone did, no room for it) is dealt with here and has none.
fn parcels_of(bot: &Bot, out: &impl Outbox, post: &Post, outcome: Outcome) -> Vec<Parcel> {
    let late = outcome == Outcome::Late;
    let loaded = bot.loaded();
    let (message, late_message, rooms) = match &post.what {
        What::Reminder { session, lead } => {
            let Some(session) = loaded.schedule.session(session) else {
                return Vec::new(); // gone from a reloaded schedule: nothing to remind of
            };
            let templates = &bot.config.reminders.templates;
            let message = posts::reminder_message(&loaded.schedule, session, *lead, templates, late);
            let late_message = posts::reminder_message(&loaded.schedule, session, *lead, templates, true);
            let places = [&session.room, &session.track]
                .into_iter()
                .flatten()
                .map(String::as_str);
            let rooms = bot.config.rooms.post_targets(places);
            (message, late_message, rooms.into_iter().map(Address::Room).collect())
        }
        What::Announcement { text, target } => {
            let announcement = |late: bool| {
                let mut message = Message::new();
                if late {
                    message.em("(late) ");
                }
                message.text(text);
                message
            };
            let rooms = bot.config.rooms.targets(target);
            (
                announcement(late),
                announcement(true),
                rooms.into_iter().map(Address::Room).collect(),
            )
        }
        What::Personal { user, session } => {
            let Some(session) = loaded.schedule.session(session) else {
                return Vec::new(); // gone from a reloaded schedule
            };
            let zone = bot.zone_of(user);
            let now = bot.clock.now();
            (
                crate::present::personal::message(&loaded.schedule, session, now, zone, late),
                crate::present::personal::message(&loaded.schedule, session, now, zone, true),
                vec![Address::Direct(user.clone())],
            )
        }
        What::Invite { session, user } => {
            cues::invite(bot, out, post, session, user);
            return Vec::new();
        }
        What::Cue { session, cue } => {
            let Some(session) = loaded.schedule.session(session) else {
                return Vec::new();
            };
            if cues::silenced(bot, post, &session.id) {
                return Vec::new();
            }
            let speakers = bot.config.speakers.speakers(&loaded.schedule, session);
            let rooms = bot.question_rooms(&session.id).speakers.map(str::to_string);
            (
                crate::present::cue::message(session, *cue, &speakers, late),
                crate::present::cue::message(session, *cue, &speakers, true),
                rooms.into_iter().map(Address::Room).collect(),
            )
        }
        What::CheckIn { session } => {
            let Some(session) = loaded.schedule.session(session) else {
                return Vec::new();
            };
            if cues::silenced(bot, post, &session.id) {
                return Vec::new();
            }
            let Some(missing) = cues::not_checked_in(bot, &loaded.schedule, session) else {
                cues::nothing_to_say(bot, post, "every speaker has checked in");
                return Vec::new();
            };
            let rooms = bot.question_rooms(&session.id).moderators.map(str::to_string);
            (missing.clone(), missing, rooms.into_iter().map(Address::Room).collect())
        }
    };
    let notice = match post.what {
        What::Personal { .. } => false,
        What::Reminder { lead, .. } => bot.config.reminders.as_notice_at(lead),
        _ => bot.config.reminders.as_notice,
    };
    let summary = describe(&loaded.schedule, post);
    let parcels = delivery::parcels(
        &post.key,
        rooms,
        message,
        late_message,
        notice,
        post.due,
        kind(post),
        outcome,
        summary,
    );
    let parcels = notifying_room(bot, &loaded.schedule, post, parcels);
    if parcels.is_empty() {
        // No room to post to (none configured for it): done, as it always was.
        let recorded = bot.store.record_post(&post.key, outcome, crate::infra::clock::now_ms());
        if bot.stored(recorded, "recording a post") == Some(true) {
            let late = outcome == Outcome::Late;
            bot.metrics
                .post(kind(post), if late { PostOutcome::Late } else { PostOutcome::Sent });
            info!(key = %post.key, late, rooms = 0, "posted");
        }
    }
    parcels
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bot, bot_reading, next, start};
    use crate::infra::store::Store;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn sessions_starting_together_are_one_message_in_the_announcements_room() {
        // Two tracks side by side: at 08:50 both 09:00 sessions are 10 minutes away.
        let schedule = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two-tracks.toml");
        let rooms = "announcements = [\"#open:x\"]\n[rooms.map]\n\"Hall A\" = \"#a:x\"\n\"Hall B\" = \"#b:x\"\n";
        let bot = bot_reading(schedule, Store::in_memory().unwrap(), rooms, (8, 49, 59), 1.0);
        let mut run = start(&bot, &[], true);
        let mut posts = Vec::new();
        while posts.len() < 3 {
            posts.push(next(&mut run.inbox).await);
        }
        posts.sort();
        let kernel = "In 10 minutes: The kernel for the curious — Ana Lima · Hall A · 09:00–09:45 CET";
        let web = "In 10 minutes: Web servers without tears — Chen Wei · Hall B · 09:00–09:45 CET";
        let expected = [
            ("#a:x", kernel.to_string()),
            ("#b:x", web.to_string()),
            ("#open:x", format!("{kernel}\n{web}")),
        ];
        let posts: Vec<(&str, &str)> = posts
            .iter()
            .map(|(room, body)| (room.as_str(), body.as_str()))
            .collect();
        let expected: Vec<(&str, &str)> = expected.iter().map(|(room, body)| (*room, body.as_str())).collect();
        assert_eq!(posts, expected);
        // Nothing more until 09:00, and each reminder is recorded as posted in both its rooms.
        let more = tokio::time::timeout(Duration::from_secs(9 * 60), run.inbox.recv()).await;
        assert!(more.is_err(), "{more:?}");
        for (session, room) in [("kernel-intro", "#a:x"), ("web-intro", "#b:x")] {
            let key = format!("reminder:{session}:600:2023-02-03T09:00:00+01:00");
            assert_eq!(bot.post_done(&key), Some(true), "{key}");
            let mut rooms = bot.store.deliveries(&key).unwrap();
            rooms.sort();
            let sent = |room: &str| (room.to_string(), "sent".to_string());
            assert_eq!(rooms, [sent(room), sent("#open:x")]);
        }
        assert_eq!(run.out.attempts.lock().unwrap()["#open:x"], 1, "one send");
    }

    #[tokio::test(start_paused = true)]
    async fn a_post_whose_record_cannot_be_read_waits_and_goes_out_once_it_can() {
        // On paused time: the bot's clock moves only as the test's timers do. The 09:15
        // reminder of AlmaLinux falls due 2 s after the start.
        let bot = bot("announcements = [\"#open:x\"]\n", (9, 14, 58), 1.0);
        bot.store.hide_posts();
        let mut run = start(&bot, &[], false);
        // A store that cannot say whether a post was made must not be read as "not made":
        // a minute past its time, within the grace period, it has not gone out.
        let early = tokio::time::timeout(Duration::from_secs(60), run.inbox.recv()).await;
        assert!(early.is_err(), "posted while the store could not be read: {early:?}");
        bot.store.show_posts();
        let (room, body) = next(&mut run.inbox).await;
        assert_eq!(room, "#open:x");
        assert!(
            body.starts_with("(late) In 10 minutes: AlmaLinux Build System"),
            "{body}"
        );
        // At the first retry once the store came back: within a second of 09:15:58.
        let now = bot.clock.now().format("%H:%M:%S").to_string();
        assert!(("09:15:58".."09:16:00").contains(&now.as_str()), "{now}");
    }
}
