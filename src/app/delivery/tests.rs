//! Delivery's tests: one room's trouble (refused, failing for now, down past the grace
//! period, an attendee who never answers) holds up no other room, and is reported once.

use super::super::testing::{bot, bot_on, next, start, Room};
use super::*;
use crate::infra::store::Store;
use chrono::TimeZone;

/// The key of the reminder `lead` minutes before session `id`.
fn reminder(bot: &Bot, id: &str, lead: i64) -> String {
    let loaded = bot.loaded();
    let session = loaded.schedule.session(id).unwrap();
    format!("reminder:{id}:{}:{}", lead * 60, crate::time::rfc3339(&session.start))
}

fn first_line(post: &(String, String)) -> (&str, &str) {
    (post.0.as_str(), post.1.lines().next().unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_post_a_room_could_not_take_in_time_is_listed_to_the_moderators() {
    // 09:14:58 at 600×: the grace period (2m) is a fifth of a real second.
    let rooms = "announcements = [\"#down:x\", \"#open:x\"]\nmoderators = \"#mods:x\"\n";
    let bot = bot(rooms, (9, 14, 58), 600.0);
    let mut run = start(&bot, &[("#down:x", Room::FailsFirst(usize::MAX))], true);
    let listed = loop {
        let (room, body) = next(&mut run.inbox).await;
        if room == "#mods:x" {
            break body;
        }
        assert_eq!(room, "#open:x");
    };
    let lines: Vec<&str> = listed.lines().collect();
    assert!(
        lines[0].starts_with("I could not post in time: ") && lines[0].contains("fell due more than 2m ago"),
        "{listed}"
    );
    assert!(
        lines[1..].iter().all(|line| line.ends_with("(#down:x)")) && lines.len() > 1,
        "{listed}"
    );
    let key = reminder(&bot, "alma", 10);
    assert_eq!(
        bot.store.deliveries(&key).unwrap(),
        [
            ("#down:x".to_string(), "skipped".to_string()),
            ("#open:x".to_string(), "sent".to_string())
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_room_that_refuses_posts_holds_up_no_other_room_and_is_reported_once() {
    // 09:14:58 at 600×: the 09:15 and 09:25 reminders fall due within a second.
    let rooms = "announcements = [\"#blocked:x\", \"#open:x\"]\nmoderators = \"#mods:x\"\n";
    let bot = bot(rooms, (9, 14, 58), 600.0);
    let mut run = start(&bot, &[("#blocked:x", Room::Refuses)], true);
    let mut open = Vec::new();
    let mut reports = Vec::new();
    while open.len() < 2 {
        let post = next(&mut run.inbox).await;
        match post.0.as_str() {
            "#open:x" => open.push(post.1),
            "#mods:x" => reports.push(post.1),
            other => panic!("posted to {other}"),
        }
    }
    assert!(open[0].starts_with("In 10 minutes: AlmaLinux Build System"), "{open:?}");
    assert!(open[1].starts_with("Starting now: AlmaLinux Build System"), "{open:?}");
    while reports.is_empty() {
        reports.push(next(&mut run.inbox).await.1);
    }
    assert_eq!(
        reports[0],
        "I could not post to #blocked:x: 403 M_FORBIDDEN. It did not get reminder 10m before AlmaLinux Build System and Project Updates. \
         Other rooms are not held up; I will keep posting there and say nothing more until a post gets through."
    );
    // Both reminders are done, each recorded as failed in the room that refused it.
    for key in [reminder(&bot, "alma", 10), reminder(&bot, "alma", 0)] {
        assert_eq!(bot.post_done(&key), Some(true), "{key}");
        assert_eq!(
            bot.store.deliveries(&key).unwrap(),
            [
                ("#blocked:x".to_string(), "failed".to_string()),
                ("#open:x".to_string(), "sent".to_string())
            ]
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(run.inbox.try_recv().is_err(), "one report, not one per post");
}

#[tokio::test(start_paused = true)]
async fn a_room_that_fails_for_now_is_retried_alone_and_gets_each_post_once() {
    let bot = bot("announcements = [\"#flaky:x\", \"#open:x\"]\n", (9, 14, 59), 1.0);
    let started = tokio::time::Instant::now();
    let mut run = start(&bot, &[("#flaky:x", Room::FailsFirst(2))], true);
    let first = next(&mut run.inbox).await;
    assert_eq!(
        first_line(&first),
        ("#open:x", "In 10 minutes: AlmaLinux Build System and Project Updates — Jack Aboutboul · Pagoda room · 09:25–09:50 CET")
    );
    let on_time = started.elapsed();
    assert!(on_time < Duration::from_millis(1500), "{on_time:?}");
    // Backoff of 1 s, then 2 s: the flaky room gets it on the third attempt, once,
    // marked late.
    let second = next(&mut run.inbox).await;
    assert_eq!(second.0, "#flaky:x");
    assert_eq!(second.1, format!("(late) {}", first.1));
    assert_eq!(run.out.attempts.lock().unwrap()["#flaky:x"], 3);
    assert_eq!(bot.post_done(&reminder(&bot, "alma", 10)), Some(true));
}

#[tokio::test(start_paused = true)]
async fn an_undeliverable_skip_list_is_still_recorded_and_holds_up_nothing() {
    // A restart at 09:27:58: the 09:15 reminder is overdue beyond the grace period.
    let rooms = "announcements = [\"#open:x\"]\nmoderators = \"#mods:x\"\n";
    let bot = bot(rooms, (9, 39, 59), 1.0);
    let mut run = start(&bot, &[("#mods:x", Room::Refuses)], false);
    let post = next(&mut run.inbox).await;
    assert_eq!(
        first_line(&post),
        ("#open:x", "In 10 minutes: One year on: Experiences using ebranch to bring over Fedora packages to EPEL — Michel Salim · Pagoda room · 09:50–10:15 CET")
    );
    for key in [
        reminder(&bot, "alma", 10),
        reminder(&bot, "alma", 0),
        reminder(&bot, "ebranch", 10),
    ] {
        assert_eq!(bot.post_done(&key), Some(true), "{key}");
    }
    assert_eq!(
        run.out.attempts.lock().unwrap()["#mods:x"],
        1,
        "the refused list is not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn a_store_that_cannot_be_written_turns_health_red_and_resends_nothing() {
    let bot = bot("announcements = [\"#open:x\"]\n", (9, 14, 59), 1.0);
    bot.store.refuse_writes();
    let mut run = start(&bot, &[], true);
    let post = next(&mut run.inbox).await;
    assert_eq!(post.0, "#open:x");
    // Recorded (or not) right after the homeserver took it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let health = loop {
        // (No sync in an app test: "not yet synced" until the store's failure shows.)
        let health = bot.metrics.health(std::time::Instant::now());
        let about_store = matches!(&health, crate::infra::metrics::Health::Unhealthy(r) if r.contains("store"));
        if about_store || tokio::time::Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let crate::infra::metrics::Health::Unhealthy(reason) = health else {
        panic!("healthy with a store that cannot be written");
    };
    assert!(
        reason.starts_with(
            "the bot's store cannot be written (is the disk full or read-only?): attempt to write a readonly database"
        ),
        "{reason}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        run.out.attempts.lock().unwrap()["#open:x"],
        1,
        "sent once, not in a loop"
    );
}

#[tokio::test(start_paused = true)]
async fn a_personal_reminder_that_hangs_holds_up_no_public_post() {
    let store = Store::in_memory().unwrap();
    let asked_at = chrono_tz::Europe::Brussels
        .with_ymd_and_hms(2023, 2, 3, 9, 0, 0)
        .unwrap();
    store
        .add_personal_reminder(&crate::plan::PersonalReminder {
            user: "@stuck:x".into(),
            session: "alma".into(),
            asked_at,
        })
        .unwrap();
    let bot = bot_on(store, "announcements = [\"#open:x\"]\n", (9, 14, 59), 1.0);
    let started = tokio::time::Instant::now();
    let mut run = start(&bot, &[("@stuck:x", Room::Hangs)], false);
    let post = next(&mut run.inbox).await;
    assert_eq!(post.0, "#open:x");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    // The personal reminder, due at the same instant, is on its way and stuck there.
    while run.out.attempts.lock().unwrap().get("@stuck:x").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the personal reminder was never tried"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        Some(false),
        bot.post_done(&format!(
            "personal:@stuck:x:alma:{}",
            crate::time::rfc3339(&bot.loaded().schedule.session("alma").unwrap().start)
        ))
    );
}
