//! Room topics as readers see them: each mapped room's topic says what is on now and
//! next, changes at the session boundaries, after a delay and after a reload, and at no
//! other time; a room where the bot may not change the topic is named once in the log.

use super::*;
use std::path::Path;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_topics_follow_the_sessions_a_delay_and_a_reload_at_60x_and_a_room_without_power_is_named_once() {
    let organizer = Peer::new("organizer").await;
    let topics = organizer.watch_topics();
    let bot_user = support::register_user("confbot").await;
    let (kernel_alias, web_alias) = (support::unique("kernel"), support::unique("web"));
    // The bot may change the kernel room's topic (power level 50), not the web room's.
    let kernel = organizer
        .create_room_with_power(&[&bot_user], &kernel_alias, &[(&bot_user, 50)])
        .await;
    let web = organizer
        .create_room_with_alias(&[&bot_user], false, Some(&web_alias))
        .await;
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms.map]\n\"Kernel\" = \"#{kernel_alias}:localhost\"\n\"Web\" = \"#{web_alias}:localhost\"\n",
        organizer.user
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml");
    let schedule = bot.state_dir().with_file_name("two-tracks.toml");
    std::fs::copy(&fixture, &schedule).unwrap();
    bot.use_schedule(&schedule);

    // 60× from 09:40: one real second is a minute of the conference.
    let speed = 60.0;
    let started = Instant::now();
    let due = |minutes_after_0940: u64| started + Duration::from_secs_f64(minutes_after_0940 as f64 * 60.0 / speed);
    bot.start_at_speed("2023-02-03T09:40:00", speed);
    bot.joined(&organizer, &kernel).await;
    bot.joined(&organizer, &web).await;
    let mut expected = vec![
        "Now: The kernel for the curious (Ana Lima) until 09:45 CET · Next: How the scheduler picks (Bo Nilsson) at 10:00 CET",
        "Next: How the scheduler picks (Bo Nilsson) at 10:00 CET",
    ];
    let seen = topics.wait_for(kernel.room_id(), 2, due(5) + support::WAIT).await;
    let shown: Vec<&str> = seen.iter().map(|c| c.topic.as_str()).collect();
    assert_eq!(shown, expected, "{}", bot.log());
    assert!(seen.iter().all(|c| c.sender == bot.user));
    let late = |change: &support::TopicChange, minutes| {
        change.at.duration_since(started).as_secs_f64() - due(minutes).duration_since(started).as_secs_f64()
    };
    let at_0945 = late(&seen[1], 5);
    assert!(
        (-0.5..1.0).contains(&at_0945),
        "the 09:45 topic came {at_0945:.3} s from its instant"
    );

    // A delay: the next session moves, and the topic with it, at once.
    let (asked, _) = organizer.say(&kernel, "!delay 10m").await;
    let reply = organizer.reply_from(&kernel, &bot.user, Some(&asked)).await;
    assert!(reply.body.starts_with("Schedule change"), "{}", reply.body);
    expected.push("Next: How the scheduler picks (Bo Nilsson) at 10:10 CET");
    let seen = topics
        .wait_for(kernel.room_id(), 3, Instant::now() + Duration::from_secs(3))
        .await;
    assert_eq!(
        seen.iter().map(|c| c.topic.as_str()).collect::<Vec<_>>(),
        expected,
        "{}",
        bot.log()
    );

    // A reload with a new title: the topic says it.
    let text = std::fs::read_to_string(&fixture)
        .unwrap()
        .replace("How the scheduler picks", "How the scheduler really picks");
    std::fs::write(&schedule, text).unwrap();
    let (asked, _) = organizer.say(&kernel, "!reload").await;
    organizer.reply_from(&kernel, &bot.user, Some(&asked)).await;
    expected.push("Next: How the scheduler really picks (Bo Nilsson) at 10:10 CET");
    let seen = topics
        .wait_for(kernel.room_id(), 4, Instant::now() + Duration::from_secs(3))
        .await;
    assert_eq!(
        seen.iter().map(|c| c.topic.as_str()).collect::<Vec<_>>(),
        expected,
        "{}",
        bot.log()
    );

    // 10:10: the delayed session starts.
    expected.push("Now: How the scheduler really picks (Bo Nilsson) until 10:55 CET");
    let seen = topics.wait_for(kernel.room_id(), 5, due(30) + support::WAIT).await;
    assert_eq!(
        seen.iter().map(|c| c.topic.as_str()).collect::<Vec<_>>(),
        expected,
        "{}",
        bot.log()
    );
    let at_1010 = late(&seen[4], 30);
    assert!(
        (-0.5..1.0).contains(&at_1010),
        "the 10:10 topic came {at_1010:.3} s from its instant"
    );

    // A restart sets nothing: the topic is as it should be until 10:55.
    assert_eq!(bot.stop(), Some(0));
    let now = chrono::NaiveTime::from_hms_opt(9, 40, 0).unwrap()
        + chrono::TimeDelta::milliseconds((started.elapsed().as_secs_f64() * speed * 1000.0) as i64);
    bot.start_at_speed(&format!("2023-02-03T{}", now.format("%H:%M:%S")), speed);
    bot.joined(&organizer, &kernel).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(bot.stop(), Some(0));
    let seen = topics.in_room(kernel.room_id());
    assert_eq!(
        seen.iter().map(|c| c.topic.as_str()).collect::<Vec<_>>(),
        expected,
        "{}",
        bot.log()
    );

    // The web room: never changed, and named once in each run's log, though its topic
    // was due at 09:40, 09:45 and 10:00.
    assert!(topics.in_room(web.room_id()).is_empty());
    let log = bot.log();
    let warnings = log
        .lines()
        .filter(|l| l.contains("cannot set the room's topic"))
        .count();
    assert_eq!(warnings, 2, "{log}");
    assert!(
        log.lines()
            .filter(|l| l.contains("cannot set the room's topic"))
            .all(|l| l.contains(&web_alias) && l.contains("power level 50")),
        "{log}"
    );
}
