//! confbot on a real Synapse (started by scripts/test), driven by independent clients.
//! `#[ignore]` keeps them out of a bare `cargo test`; scripts/test runs them.

mod support;

use std::time::Duration;
use support::{Bot, Peer};

const TEN_PAST_NINE: &str = "2023-02-03T09:10";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_answers_attendee_commands_as_notices_that_ping_nobody() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    attendee.wait_for_join(&room, &bot.user).await;

    let (asked, _) = attendee.say(&room, "!next").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(reply.notice, "replies are m.notice");
    assert_eq!(
        reply.body,
        "Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates — Jack Aboutboul (Pagoda room)"
    );
    assert!(
        reply
            .html
            .as_deref()
            .unwrap()
            .contains("<strong>AlmaLinux Build System and Project Updates</strong>"),
        "{:?}",
        reply.html
    );
    assert_eq!(
        reply.mentions,
        Some((false, 0)),
        "m.mentions is present and mentions nobody"
    );

    let (asked, _) = attendee.say(&room, "!speaker \"di stefano\"").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply
            .body
            .starts_with("Alessandro Di Stefano\nFOSS enthusiast since ever"),
        "{}",
        reply.body
    );

    let (asked, _) = attendee.say(&room, "!nxt").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "Unknown command !nxt. Send !help for the list.");

    // Markup in a command is escaped in the reply's HTML, and @room pings nobody.
    let (asked, _) = attendee.say(&room, "!search <b>@room</b>").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "No session mentions \"<b>@room</b>\".");
    assert_eq!(
        reply.html.as_deref(),
        Some("No session mentions &quot;&lt;b&gt;@room&lt;/b&gt;&quot;.")
    );
    assert_eq!(reply.mentions, Some((false, 0)));

    // Chat that is not a command gets no answer: the next reply answers the next command.
    attendee.say(&room, "thanks, see you at lunch").await;
    let (asked, _) = attendee.say(&room, "!ping").await;
    let reply = attendee.reply_from(&room, &bot.user, None).await;
    assert_eq!(reply.in_reply_to.as_ref(), Some(&asked));
    assert_eq!(reply.body, "pong");

    assert_eq!(bot.stop(), Some(0), "SIGTERM stops the bot cleanly:\n{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_answers_in_an_encrypted_room() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], true).await;
    attendee.wait_for_join(&room, &bot.user).await;
    let (asked, _) = attendee.say(&room, "!now").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply
            .body
            .starts_with("Now:\n  09:00–09:25 CET  CentOS Stream: RHEL development in public — Adam Samalik"),
        "{}\n{}",
        reply.body,
        bot.log()
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_restart_answers_nothing_twice_and_ignores_stale_commands() {
    let mut bot = Bot::register("command_max_age = \"3s\"").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    attendee.wait_for_join(&room, &bot.user).await;
    let (first, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&first)).await;
    assert_eq!(bot.stop(), Some(0));

    // While the bot is down: one command that will be stale, then (4 s later) a fresh one.
    let (stale, _) = attendee.say(&room, "!today").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (fresh, _) = attendee.say(&room, "!ping").await;
    bot.start(TEN_PAST_NINE);
    let reply = attendee.reply_from(&room, &bot.user, None).await;
    assert_eq!(
        reply.in_reply_to.as_ref(),
        Some(&fresh),
        "the first answer after the restart is to the fresh command"
    );
    let (last, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&last)).await;

    let late: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(late.is_empty(), "nothing else was answered: {late:?}");
    assert!(
        bot.log()
            .contains("ignoring a command older than [matrix] command_max_age"),
        "{}",
        bot.log()
    );
    let _ = stale;
    assert!(
        bot.log().contains("restored the saved session"),
        "the second start restores the session"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_answers_every_command_of_a_burst_once() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let host = Peer::new("host").await;
    let mut guests = Vec::new();
    for _ in 0..4 {
        guests.push(Peer::new("guest").await);
    }
    let mut invited: Vec<&matrix_sdk::ruma::UserId> = vec![&bot.user];
    invited.extend(guests.iter().map(|g| -> &matrix_sdk::ruma::UserId { &g.user }));
    let room = host.create_room(&invited, false).await;
    host.wait_for_join(&room, &bot.user).await;
    for guest in &guests {
        guest.client.join_room_by_id(room.room_id()).await.expect("guest joins");
    }
    // Five clients send five commands each, back to back, all at once.
    let mut asked = Vec::new();
    let senders: Vec<&Peer> = std::iter::once(&host).chain(guests.iter()).collect();
    let sends = senders.iter().map(|peer| {
        let room = peer.client.get_room(room.room_id()).expect("joined");
        async move {
            let mut ids = Vec::new();
            for n in 0..5 {
                ids.push(
                    peer.say(
                        &room,
                        &format!("!session {}", ["rocky", "okd", "alma", "kmods", "arm"][n]),
                    )
                    .await
                    .0,
                );
            }
            ids
        }
    });
    for ids in futures_util::future::join_all(sends).await {
        asked.extend(ids);
    }
    assert_eq!(asked.len(), 25);
    let mut answered = std::collections::HashMap::new();
    while answered.len() < asked.len() {
        let reply = host.reply_from(&room, &bot.user, None).await;
        *answered.entry(reply.in_reply_to.expect("a reply")).or_insert(0) += 1;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for r in host.drain().await.into_iter().filter(|r| r.sender == bot.user) {
        *answered.entry(r.in_reply_to.expect("a reply")).or_insert(0) += 1;
    }
    for id in &asked {
        assert_eq!(answered.get(id), Some(&1), "{id} answered exactly once");
    }
    assert_eq!(bot.stop(), Some(0));
}

/// Percentile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_answers_as_fast_as_the_homeserver_delivers() {
    const ROUNDS: usize = 40;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let echo = Peer::new("echo").await;
    echo.echo_replies();
    let bot_room = attendee.create_room(&[&bot.user], false).await;
    let echo_room = attendee.create_room(&[&echo.user], false).await;
    attendee.wait_for_join(&bot_room, &bot.user).await;
    echo.client
        .join_room_by_id(echo_room.room_id())
        .await
        .expect("echo joins");
    attendee.wait_for_join(&echo_room, &echo.user).await;

    // Warm up both paths, then alternate so that both see the same homeserver.
    for _ in 0..3 {
        let (id, _) = attendee.say(&bot_room, "!next").await;
        attendee.reply_from(&bot_room, &bot.user, Some(&id)).await;
        let (id, _) = attendee.say(&echo_room, "!next").await;
        attendee.reply_from(&echo_room, &echo.user, Some(&id)).await;
    }
    let (mut via_bot, mut via_echo) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (id, sent) = attendee.say(&bot_room, "!next").await;
        let reply = attendee.reply_from(&bot_room, &bot.user, Some(&id)).await;
        assert!(
            reply.body.contains("AlmaLinux") || reply.body.contains("Next"),
            "{}",
            reply.body
        );
        via_bot.push(reply.at - sent);
        let (id, sent) = attendee.say(&echo_room, "!next").await;
        let reply = attendee.reply_from(&echo_room, &echo.user, Some(&id)).await;
        via_echo.push(reply.at - sent);
    }
    via_bot.sort();
    via_echo.sort();
    let (bot50, echo50) = (percentile(&via_bot, 0.5), percentile(&via_echo, 0.5));
    let (bot95, echo95) = (percentile(&via_bot, 0.95), percentile(&via_echo, 0.95));
    println!(
        "latency over {ROUNDS} rounds: confbot !next p50 {bot50:.1} ms, p95 {bot95:.1} ms; \
         echo client (floor) p50 {echo50:.1} ms, p95 {echo95:.1} ms; ratio p50 {:.3}, p95 {:.3}",
        bot50 / echo50,
        bot95 / echo95
    );
    // A loose bound that never flakes but catches a sync loop that sleeps (1 s a reply).
    assert!(
        bot50 < echo50 * 2.0 + 50.0,
        "confbot p50 {bot50:.1} ms against a floor of {echo50:.1} ms"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_reminders_arrive_on_time_once_across_a_restart() {
    use chrono::NaiveTime;
    let alias = support::unique("announce");
    let tail = format!(
        "[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n\
         [[announcements]]\ntext = \"Coffee is ready on the eighth floor\"\nroom = \"announcements\"\nat = \"2023-02-03T09:20\"\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room_with_alias(&[&bot.user], false, Some(&alias)).await;

    // Rehearse at 60× from 09:14: one real second is one minute of the conference.
    let speed = 60.0;
    let origin = NaiveTime::from_hms_opt(9, 14, 0).unwrap();
    let started = std::time::Instant::now();
    bot.start_at_speed("2023-02-03T09:14:00", speed);
    attendee.wait_for_join(&room, &bot.user).await;
    let due = |h: u32, m: u32, from: NaiveTime, at: std::time::Instant| {
        let ahead = NaiveTime::from_hms_opt(h, m, 0).unwrap() - from;
        at + Duration::from_secs_f64(ahead.num_milliseconds() as f64 / 1000.0 / speed)
    };
    let mut lateness = Vec::new();
    for (h, m, text) in [
        (9, 15, "In 10 minutes: AlmaLinux Build System and Project Updates — Jack Aboutboul · Pagoda room · 09:25–09:50 CET"),
        (9, 20, "Coffee is ready on the eighth floor"),
        (9, 25, "Starting now: AlmaLinux Build System and Project Updates — Jack Aboutboul · Pagoda room · 09:25–09:50 CET"),
    ] {
        let post = attendee.reply_from(&room, &bot.user, None).await;
        assert_eq!(post.body.lines().next().unwrap(), text, "{}", bot.log());
        assert!(post.notice && post.mentions == Some((false, 0)));
        let late = post.at.duration_since(started).as_secs_f64() - due(h, m, origin, started).duration_since(started).as_secs_f64();
        lateness.push(late);
    }
    assert_eq!(bot.stop(), Some(0));

    // Restart at 09:41: the 09:40 reminder is a minute overdue (within the 2m grace).
    let restart = NaiveTime::from_hms_opt(9, 41, 0).unwrap();
    let restarted = std::time::Instant::now();
    bot.start_at_speed("2023-02-03T09:41:00", speed);
    let post = attendee.reply_from(&room, &bot.user, None).await;
    assert_eq!(
        post.body.lines().next().unwrap(),
        "(late) In 10 minutes: One year on: Experiences using ebranch to bring over Fedora packages to EPEL — Michel Salim · Pagoda room · 09:50–10:15 CET"
    );
    let post = attendee.reply_from(&room, &bot.user, None).await;
    assert!(post.body.starts_with("Starting now: One year on"), "{}", post.body);
    let late = post.at.duration_since(restarted).as_secs_f64()
        - due(9, 50, restart, restarted).duration_since(restarted).as_secs_f64();
    lateness.push(late);
    assert_eq!(bot.stop(), Some(0));
    println!("reminder lateness at 60x, seconds (arrival at the attendee against the due instant): {lateness:?}");
    for late in &lateness {
        assert!(
            *late > -0.5 && *late < 1.0,
            "a reminder arrived {late:.3} s from its due instant"
        );
    }
    let extra: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(extra.is_empty(), "nothing was posted twice: {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_organizers_delay_the_day_and_announce_attendees_cannot() {
    let organizer = Peer::new("organizer").await;
    let attendee = Peer::new("attendee").await;
    let alias = support::unique("main");
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[rooms.map]\n\"Pagoda room\" = \"#{alias}:localhost\"\n",
        organizer.user
    );
    let mut bot = Bot::register_with("", &tail).await;
    let room = organizer
        .create_room_with_alias(&[&bot.user, &attendee.user], false, Some(&alias))
        .await;
    attendee
        .client
        .join_room_by_id(room.room_id())
        .await
        .expect("attendee joins");
    bot.start("2023-02-03T14:20");
    organizer.wait_for_join(&room, &bot.user).await;
    let attendee_room = attendee.client.get_room(room.room_id()).expect("joined");

    let (asked, _) = attendee.say(&attendee_room, "!delay 10m").await;
    let reply = attendee.reply_from(&attendee_room, &bot.user, Some(&asked)).await;
    assert_eq!(
        reply.body,
        "Sorry, !delay is for the conference organizers. Send !help for what you can use."
    );

    let (asked, _) = organizer.say(&room, "!delay 10m").await;
    let reply = organizer.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply.body.starts_with("Schedule change in Pagoda room: from 14:15 on, sessions run 10m later.\n  14:25–14:50 CET  Network management"),
        "{}\n{}",
        reply.body,
        bot.log()
    );

    let next = "Next, in 5 minutes:\n  14:25–14:50 CET  Network management in Enterprise Linux: present and future — Fernando Fernandez Mancera (Pagoda room)";
    let (asked, _) = attendee.say(&attendee_room, "!next").await;
    assert_eq!(
        attendee.reply_from(&attendee_room, &bot.user, Some(&asked)).await.body,
        next
    );

    // The delay survives a restart.
    assert_eq!(bot.stop(), Some(0));
    bot.start("2023-02-03T14:20");
    let (asked, _) = attendee.say(&attendee_room, "!next").await;
    assert_eq!(
        attendee.reply_from(&attendee_room, &bot.user, Some(&asked)).await.body,
        next
    );

    // An announcement from chat goes out once, to the announcements room.
    let (asked, _) = organizer
        .say(&room, "!announce Coffee is refilled on the eighth floor")
        .await;
    let reply = organizer.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply.body.starts_with("Announcement 1 will go to announcements now."),
        "{}",
        reply.body
    );
    let posted = organizer.reply_from(&room, &bot.user, None).await;
    assert_eq!(posted.body, "Coffee is refilled on the eighth floor");
    assert_eq!(posted.mentions, Some((false, 0)));
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_changed_schedule_file_is_announced_and_a_broken_one_kept_out() {
    let organizer = Peer::new("organizer").await;
    let alias = support::unique("updates");
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms]\nannouncements = [\"#{alias}:localhost\"]\n",
        organizer.user
    );
    let mut bot = Bot::register_with("", &tail).await;
    // The bot reads its own copy of the schedule, which the organizer then edits.
    let original =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml"))
            .unwrap();
    let copy = bot.dir.path().join("schedule.toml");
    std::fs::write(&copy, &original).unwrap();
    let config = std::fs::read_to_string(bot.config_path()).unwrap();
    let config = config
        .lines()
        .map(|l| {
            if l.starts_with("source = ") {
                format!("source = \"{}\"", copy.display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(bot.config_path(), config).unwrap();
    let room = organizer
        .create_room_with_alias(&[&bot.user], false, Some(&alias))
        .await;
    bot.start("2023-02-03T14:20");
    organizer.wait_for_join(&room, &bot.user).await;

    let moved = original.replace(
        "start = \"2023-02-03T15:30\"\nroom = \"Pagoda room\"",
        "start = \"2023-02-03T15:35\"\nroom = \"Pagoda room\"",
    );
    assert_ne!(moved, original);
    std::fs::write(&copy, &moved).unwrap();
    let update = organizer.reply_from(&room, &bot.user, None).await;
    assert!(
        update.body.starts_with("Schedule update:"),
        "{}\n{}",
        update.body,
        bot.log()
    );
    assert!(
        update
            .body
            .contains("moved from 15:30–16:00 CET: 15:35–16:00 CET  Kmods SIG Update"),
        "{}",
        update.body
    );

    std::fs::write(
        &copy,
        moved.replace("timezone = \"Europe/Brussels\"", "timezone = \"Europe/Brusels\""),
    )
    .unwrap();
    let (asked, _) = organizer.say(&room, "!reload").await;
    let reply = organizer.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply
            .body
            .starts_with("The schedule could not be reloaded; the current one stays in use:"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("did you mean \"Europe/Brussels\"?"),
        "{}",
        reply.body
    );
    let (asked, _) = organizer.say(&room, "!session kmods").await;
    let reply = organizer.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(
        reply.body.contains("15:35–16:00 CET"),
        "the good new schedule stays in use: {}",
        reply.body
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_whole_day_at_60x_posts_every_reminder_once_in_order_on_time_across_a_restart() {
    use chrono::{NaiveTime, TimeDelta};
    let alias = support::unique("day");
    let tail = format!(
        "[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room_with_alias(&[&bot.user], false, Some(&alias)).await;

    // What the planner says the day holds: 18 sessions, two reminders each.
    let schedule = confbot::schedule::native::parse(
        include_str!("../data/centos-connect-2023.toml"),
        "centos-connect-2023.toml",
        None,
    )
    .unwrap()
    .schedule;
    let plan = confbot::plan::reminders(&schedule, &[TimeDelta::minutes(10), TimeDelta::zero()], &[]);
    assert_eq!(plan.len(), 36);
    let expected: Vec<(NaiveTime, String)> = plan
        .iter()
        .map(|r| {
            let text = confbot::plan::reminder_message(&schedule, r.session, r.lead, &Default::default(), false);
            (r.due.time(), text.body().to_string())
        })
        .collect();
    assert_eq!(expected[0].1, "Connect over coffee in 10 minutes, 08:30–09:00 CET.");

    // 08:15 to 17:00 at 60×: one real second is one conference minute, the day takes 9 minutes.
    let speed = 60.0;
    let origin = NaiveTime::from_hms_opt(8, 15, 0).unwrap();
    let started = std::time::Instant::now();
    bot.start_at_speed("2023-02-03T08:15:00", speed);
    attendee.wait_for_join(&room, &bot.user).await;
    let real_due =
        |due: NaiveTime| started + Duration::from_secs_f64((due - origin).num_milliseconds() as f64 / 1000.0 / speed);
    let lunch = expected
        .iter()
        .position(|(due, _)| *due == NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .unwrap();
    let mut lateness = Vec::new();
    for (i, (due, text)) in expected.iter().enumerate() {
        let deadline = real_due(*due) + Duration::from_secs(5);
        let post = attendee.reply_before(&room, &bot.user, None, deadline).await;
        assert_eq!(
            &post.body,
            text,
            "reminder {i} (due {due}) out of order or wrong\n{}",
            bot.log()
        );
        assert!(post.notice && post.mentions == Some((false, 0)));
        let target = real_due(*due);
        let late = if post.at >= target {
            post.at.duration_since(target).as_secs_f64()
        } else {
            -target.duration_since(post.at).as_secs_f64()
        };
        assert!(
            late > -0.5 && late < 1.0,
            "the {due} reminder arrived {late:.3} s from its due instant"
        );
        lateness.push(late);
        if i == lunch {
            // Stop at lunch and start again where the conference clock has got to.
            assert_eq!(bot.stop(), Some(0));
            let at = origin + TimeDelta::milliseconds((started.elapsed().as_secs_f64() * speed * 1000.0) as i64);
            bot.start_at_speed(&format!("2023-02-03T{}", at.format("%H:%M:%S")), speed);
        }
    }
    let (asked, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(bot.stop(), Some(0));
    let extra: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && r.in_reply_to.is_none())
        .collect();
    assert!(extra.is_empty(), "nothing was posted twice: {extra:?}");
    lateness.sort_by(f64::total_cmp);
    println!(
        "whole day at 60x: {} reminders, lateness p50 {:.3} s, max {:.3} s",
        lateness.len(),
        lateness[lateness.len() / 2],
        lateness[lateness.len() - 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_an_attendee_gets_a_direct_reminder_and_times_in_their_own_zone() {
    let mut bot = Bot::register_with("", "[reminders]\nlead = [\"10m\", \"0m\"]\n").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let other = Peer::new("other").await;
    let room = attendee.create_room(&[&bot.user, &other.user], false).await;
    other.client.join_room_by_id(room.room_id()).await.expect("joins");
    bot.start("2023-02-03T14:29:40");
    bot.joined(&attendee, &room).await;
    let bot_user = bot.user.clone();
    let ask = |text: &'static str| {
        let (attendee, room, bot_user) = (&attendee, &room, bot_user.clone());
        async move {
            let (asked, _) = attendee.say(room, text).await;
            attendee.reply_from(room, &bot_user, Some(&asked)).await.body
        }
    };

    assert_eq!(
        ask("!tz america/new_york").await,
        "From now on I also show times in America/New_York: it is 08:29 EST there now."
    );
    assert_eq!(
        ask("!tz Europe/Pariss").await,
        "\"Europe/Pariss\" is not a time zone I know. Did you mean Europe/Paris? Write a zone of the tz database, like Europe/Paris or America/Chicago."
    );
    assert_eq!(
        ask("!next").await,
        "Next, in 11 minutes:\n  14:40–15:05 CET (08:40–09:05 EST)  Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux — Neil Hanlon (Pagoda room)"
    );
    assert_eq!(
        ask("!remind rocky").await,
        "I will send you a direct message at Friday 3 February 2023 at 14:30 CET (08:30 EST), 10m before Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux. !forget rocky cancels it."
    );
    assert!(ask("!remind okd")
        .await
        .starts_with("\"Introducing CentOS Stream CoreOS and OKD Streams\" started 40 minutes ago"));
    assert!(ask("!remind kmods")
        .await
        .starts_with("I will send you a direct message at Friday 3 February 2023 at 15:20 CET (09:20 EST)"));
    assert_eq!(ask("!forget kmods").await, "Your reminder for kmods is cancelled.");
    let listed = ask("!reminders").await;
    assert!(
        listed.starts_with("Your reminders:\n  14:40–15:05 CET (08:40–09:05 EST)  Introduction to Rocky Linux"),
        "{listed}"
    );
    assert!(!listed.contains("Kmods"), "{listed}");

    // Across a restart the zone and the reminder are kept, and the message comes once, directly.
    assert_eq!(bot.stop(), Some(0));
    bot.start("2023-02-03T14:29:50");
    assert_eq!(
        ask("!tz").await,
        "Times are shown in CET and in your zone, America/New_York (it is 08:29 EST there now). Send !tz off to stop."
    );
    let direct = loop {
        let received = attendee.reply_from_anywhere(&bot.user).await;
        if received.room != room.room_id() {
            break received;
        }
    };
    assert!(
        direct
            .body
            .starts_with("Your reminder: in 10 minutes, Introduction to Rocky Linux and Peridot"),
        "{}",
        direct.body
    );
    assert!(
        direct
            .body
            .contains("· Pagoda room · 14:40–15:05 CET (08:40–09:05 EST)"),
        "{}",
        direct.body
    );
    assert_eq!(direct.mentions, Some((false, 0)));
    let dm = attendee
        .client
        .get_room(&direct.room)
        .expect("the attendee is in the direct room");
    let members = dm.members(matrix_sdk::RoomMemberships::JOIN).await.unwrap();
    let mut names: Vec<String> = members.iter().map(|m| m.user_id().to_string()).collect();
    names.sort();
    let mut expected = vec![attendee.user.to_string(), bot.user.to_string()];
    expected.sort();
    assert_eq!(names, expected, "the direct room holds the attendee and the bot only");
    assert!(
        dm.latest_encryption_state().await.unwrap().is_encrypted(),
        "the direct room is encrypted"
    );
    let (asked, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(bot.stop(), Some(0));
    let again: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && r.body.starts_with("Your reminder:"))
        .collect();
    assert!(again.is_empty(), "the direct reminder came once: {again:?}");
    assert!(
        other
            .drain()
            .await
            .iter()
            .all(|r| !r.body.starts_with("Your reminder:")),
        "nobody else got it"
    );
}

/// A moderator's three rooms for the question flow, with the bot and the given people invited.
struct QuestionRooms {
    main: matrix_sdk::Room,
    mods: matrix_sdk::Room,
    speakers: matrix_sdk::Room,
    tail: String,
}

async fn question_rooms(
    moderator: &Peer,
    bot: &matrix_sdk::ruma::UserId,
    attendees: &[&Peer],
    speaker: &Peer,
    extra: &str,
) -> QuestionRooms {
    let (main, mods, speakers) = (
        support::unique("main"),
        support::unique("mods"),
        support::unique("speakers"),
    );
    let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![bot];
    guests.extend(attendees.iter().map(|a| &*a.user));
    let main_room = moderator.create_room_with_alias(&guests, false, Some(&main)).await;
    let mods_room = moderator.create_room_with_alias(&[bot], false, Some(&mods)).await;
    let speakers_room = moderator
        .create_room_with_alias(&[bot, &speaker.user], false, Some(&speakers))
        .await;
    for attendee in attendees {
        attendee
            .client
            .join_room_by_id(main_room.room_id())
            .await
            .expect("attendee joins");
    }
    speaker
        .client
        .join_room_by_id(speakers_room.room_id())
        .await
        .expect("speaker joins");
    let tail = format!(
        "moderators = [\"{}\"]\n[questions]\n{extra}\n[rooms]\nmoderators = \"#{mods}:localhost\"\nspeakers = \"#{speakers}:localhost\"\n[rooms.map]\n\"Pagoda room\" = \"#{main}:localhost\"\n",
        moderator.user
    );
    QuestionRooms {
        main: main_room,
        mods: mods_room,
        speakers: speakers_room,
        tail,
    }
}

async fn react(peer: &Peer, room: &matrix_sdk::Room, event: &matrix_sdk::ruma::OwnedEventId, key: &str) {
    use matrix_sdk::ruma::events::reaction::ReactionEventContent;
    use matrix_sdk::ruma::events::relation::Annotation;
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    room.send(ReactionEventContent::new(Annotation::new(
        event.clone(),
        key.to_string(),
    )))
    .await
    .expect("reaction sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_question_travels_from_attendee_to_moderators_to_speakers() {
    use chrono::{NaiveTime, TimeDelta};
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let other = Peer::new("other").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = question_rooms(
        &moderator,
        &bot_user,
        &[&attendee, &other],
        &speaker,
        "notify_asker = true",
    )
    .await;
    // The other attendee is in the moderators room too, without a moderator's power.
    rooms.mods.invite_user_by_id(&other.user).await.unwrap();
    other.client.join_room_by_id(rooms.mods.room_id()).await.unwrap();
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);

    // 14:38 at 6×: Network management runs in the Pagoda room until 14:40, 20 real seconds away.
    let speed = 6.0;
    let origin = NaiveTime::from_hms_opt(14, 38, 0).unwrap();
    let started = std::time::Instant::now();
    bot.start_at_speed("2023-02-03T14:38:00", speed);
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let main = attendee.client.get_room(rooms.main.room_id()).unwrap();
    let question = "How does NetworkManager handle @room <b>bonds</b> and *teams*?";
    let (asked, _) = attendee.say(&main, &format!("!ask {question}")).await;
    let receipt = attendee.reply_from(&main, &bot.user, Some(&asked)).await;
    assert_eq!(
        receipt.body,
        "Question Q1 for 'Network management in Enterprise Linux: present and future' sent to the moderators.\nOthers can support it: react 👍 to this message or send !upvote Q1."
    );
    assert_eq!(receipt.mentions, Some((false, 0)));

    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    let lines: Vec<&str> = relayed.body.lines().collect();
    assert_eq!(
        lines[0],
        "Q1 for 'Network management in Enterprise Linux: present and future' (Pagoda room, 14:15–14:40 CET)"
    );
    assert!(
        lines[1].starts_with(&format!("From {} ({})", attendee.user.localpart(), attendee.user)),
        "{}",
        relayed.body
    );
    assert_eq!(lines[2], question, "shown as typed");
    assert_eq!(relayed.mentions, Some((false, 0)), "@room pings nobody");
    let html = relayed.html.clone().unwrap();
    assert!(
        html.contains("&lt;b&gt;bonds&lt;/b&gt;") && !html.contains("<b>bonds"),
        "{html}"
    );

    // A question over the limit is refused with the limit named; a repeat gets its number.
    let long = "x".repeat(1001);
    let (asked, _) = attendee.say(&main, &format!("!ask {long}")).await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        "Your question is 1001 characters long; the limit is 1000. Please shorten it and ask again."
    );
    let (asked, _) = attendee.say(&main, &format!("!ask {}", question.to_uppercase())).await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        "You have already asked this question: it is Q1."
    );

    // 👍 on the receipt is a vote; a non-moderator's ✅ and !approve change nothing.
    react(&other, &rooms.main, &receipt.event_id, "👍").await;
    react(&other, &rooms.mods, &relayed.event_id, "✅").await;
    let other_main = other.client.get_room(rooms.main.room_id()).unwrap();
    let (asked, _) = other.say(&other_main, "!approve Q1").await;
    assert_eq!(
        other.reply_from(&other_main, &bot.user, Some(&asked)).await.body,
        "Sorry, !approve is for moderators. Send !help for what you can use."
    );
    let (asked, _) = other.say(&other_main, "!upvote Q1").await;
    assert_eq!(
        other.reply_from(&other_main, &bot.user, Some(&asked)).await.body,
        "You have already voted for Q1.",
        "the 👍 counted"
    );

    // A restart between ask and approve loses nothing.
    assert_eq!(bot.stop(), Some(0));
    let at = origin + TimeDelta::milliseconds((started.elapsed().as_secs_f64() * speed * 1000.0) as i64);
    bot.start_at_speed(&format!("2023-02-03T{}", at.format("%H:%M:%S")), speed);
    let (asked, _) = moderator.say(&rooms.mods, "!questions").await;
    let listed = moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body;
    assert!(listed.contains("Q1 · 1 vote · pending · "), "{listed}\n{}", bot.log());

    react(&moderator, &rooms.mods, &relayed.event_id, "✅").await;
    let passed = tokio::time::timeout(
        Duration::from_secs(25),
        speaker.reply_from(&rooms.speakers, &bot.user, None),
    )
    .await
    .unwrap_or_else(|_| panic!("no passed post in time:\n{}", bot.log()));
    assert!(
        passed
            .body
            .starts_with("Q1 for 'Network management in Enterprise Linux: present and future' (Pagoda room)"),
        "{}",
        passed.body
    );
    assert!(passed.body.contains(question), "{}", passed.body);
    assert_eq!(passed.mentions, Some((false, 0)));
    let ack = tokio::time::timeout(
        Duration::from_secs(25),
        moderator.reply_from(&rooms.mods, &bot.user, None),
    )
    .await
    .unwrap_or_else(|_| panic!("no ack post in time:\n{}", bot.log()));
    assert_eq!(ack.body, "Q1 approved and passed on to the speakers.");
    let told = loop {
        let received = attendee.reply_from_anywhere(&bot.user).await;
        if received.room != rooms.main.room_id() {
            break received;
        }
    };
    assert!(told.body.contains("Q1"), "the asker is told: {}", told.body);

    // At 14:40 the session ends: its approved, unanswered question is listed once for the speaker.
    let leftovers = tokio::time::timeout(
        Duration::from_secs(25),
        speaker.reply_from(&rooms.speakers, &bot.user, None),
    )
    .await
    .unwrap_or_else(|_| panic!("no leftovers post in time:\n{}", bot.log()));
    assert!(
        leftovers
            .body
            .starts_with("'Network management in Enterprise Linux: present and future' (Pagoda room) has ended"),
        "{}",
        leftovers.body
    );
    assert!(leftovers.body.contains("Q1"), "{}", leftovers.body);
    let (asked, _) = moderator.say(&rooms.mods, "!answered Q1").await;
    assert_eq!(
        moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body,
        "Q1 marked answered."
    );
    assert_eq!(bot.stop(), Some(0));
    let again: Vec<_> = speaker
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(again.is_empty(), "each post in the speakers room came once: {again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_burst_of_200_questions_from_20_attendees_reaches_the_moderators_complete_and_in_order() {
    let moderator = Peer::new("moderator").await;
    let speaker = Peer::new("speaker").await;
    let mut attendees = Vec::new();
    for _ in 0..20 {
        attendees.push(Peer::new("attendee").await);
    }
    let bot_user = support::register_user("confbot").await;
    let refs: Vec<&Peer> = attendees.iter().collect();
    let rooms = question_rooms(&moderator, &bot_user, &refs, &speaker, "per_user = \"off\"").await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.start("2023-02-03T14:20");
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let started = std::time::Instant::now();
    let sends = attendees.iter().map(|attendee| {
        let room = attendee.client.get_room(rooms.main.room_id()).unwrap();
        async move {
            for i in 0..10 {
                attendee
                    .say(&room, &format!("!ask Question {i} from {}", attendee.user))
                    .await;
            }
        }
    });
    futures_util::future::join_all(sends).await;
    let mut seen: std::collections::HashMap<String, Vec<u32>> = std::collections::HashMap::new();
    for _ in 0..200 {
        let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
        let line = relayed.body.lines().nth(2).unwrap_or_default().to_string();
        let (i, who) = line
            .strip_prefix("Question ")
            .and_then(|rest| rest.split_once(" from "))
            .unwrap_or_else(|| panic!("not a relayed question: {}", relayed.body));
        seen.entry(who.to_string()).or_default().push(i.parse().unwrap());
    }
    let drained = started.elapsed();
    assert_eq!(seen.len(), 20, "every attendee's questions arrived");
    for (who, order) in &seen {
        assert_eq!(
            order,
            &(0..10).collect::<Vec<u32>>(),
            "{who}'s questions, each once, in order"
        );
    }
    let (asked, _) = moderator.say(&rooms.mods, "!ping").await;
    moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await;
    let extra: Vec<_> = moderator
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && r.in_reply_to.is_none())
        .collect();
    assert!(extra.is_empty(), "nothing relayed twice: {extra:?}");
    assert_eq!(bot.stop(), Some(0));
    println!(
        "200 questions from 20 attendees relayed in {:.2} s",
        drained.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_healthz_and_metrics_report_commands_posts_and_a_homeserver_outage() {
    let metrics = support::free_port();
    let proxy = support::Proxy::start().await;
    let user = support::register_user("confbot").await;
    let mut bot = Bot::for_user(
        user,
        "",
        &format!("[reminders]\nlead = [\"10m\"]\n\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n"),
    );
    bot.use_homeserver(&proxy.url());
    // Ten real seconds before the 09:15 reminder for the 09:25 session.
    bot.start("2023-02-03T09:14:50");
    let log = || bot.log();

    let (_, body) = support::http_until(metrics, "/healthz", "the bot becomes healthy", |s, _| s == 200, log).await;
    assert_eq!(body, "ok\n");

    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    bot.joined(&attendee, &room).await;
    let (asked, _) = attendee.say(&room, "!next").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(reply.body.starts_with("Next, in "), "{}", reply.body);

    let (_, text) = support::http_until(
        metrics,
        "/metrics",
        "the reminder is counted",
        |_, body| body.contains("confbot_posts_total{kind=\"reminder\",outcome=\"sent\"} 1\n"),
        log,
    )
    .await;
    for line in [
        "confbot_commands_total{command=\"next\"} 1\n",
        "confbot_replies_total{result=\"sent\"} 1\n",
        "confbot_command_latency_seconds_count 1\n",
        "confbot_posts_total{kind=\"reminder\",outcome=\"due\"} 1\n",
        "confbot_posts_total{kind=\"reminder\",outcome=\"late\"} 0\n",
        "confbot_questions{status=\"pending\"} 0\n",
        "confbot_sync_errors_total 0\n",
        "confbot_up 1\n",
    ] {
        assert!(text.contains(line), "/metrics lacks {line:?}:\n{text}");
    }

    // The homeserver goes away: health says so, with the reason, and comes back by itself.
    proxy.cut();
    let (_, reason) = support::http_until(metrics, "/healthz", "the outage is reported", |s, _| s == 503, log).await;
    assert!(reason.starts_with("sync failing since "), "{reason}");
    let (_, text) = support::http_until(
        metrics,
        "/metrics",
        "the outage is counted",
        |_, b| b.contains("confbot_up 0\n"),
        log,
    )
    .await;
    assert!(!text.contains("confbot_sync_errors_total 0\n"), "{text}");
    proxy.restore();
    support::http_until(metrics, "/healthz", "the bot recovers", |s, _| s == 200, log).await;
    let (asked, _) = attendee.say(&room, "!ping").await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "pong");

    assert_eq!(bot.stop(), Some(0), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_hostile_questions_are_refused_or_shown_as_typed_and_attendees_change_nothing() {
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = question_rooms(&moderator, &bot_user, &[&attendee], &speaker, "").await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    // One attendee tries a score of commands in a row; the flood limit has its own test.
    bot.without_command_limit();
    bot.start("2023-02-03T14:20");
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let main = attendee.client.get_room(rooms.main.room_id()).unwrap();
    let ask = |text: String| {
        let (attendee, main, bot) = (&attendee, &main, &bot.user);
        async move {
            let (asked, _) = attendee.say(main, &format!("!ask {text}")).await;
            attendee.reply_from(main, bot, Some(&asked)).await
        }
    };

    // A right-to-left override cannot turn the bot's own text around: the question is
    // shown as typed, inside an isolate that closes the override.
    let reversing = "Is this \u{202E}reversed?";
    let receipt = ask(reversing.to_string()).await;
    assert!(receipt.body.starts_with("Question Q1 for "), "{}", receipt.body);
    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    let lines: Vec<&str> = relayed.body.lines().collect();
    assert_eq!(lines[2], "\u{2068}Is this \u{202E}reversed?\u{202C}\u{2069}");
    assert_eq!(lines[3], "React ✅ approve · ❌ reject · 💬 answered");
    assert_eq!(relayed.mentions, Some((false, 0)));

    // Zero-width characters and @room arrive as typed; nobody is pinged; HTML stays text.
    let sneaky = "Zero\u{200B}width\u{2060}joiners\u{FEFF} for @room <img src=x onerror=alert(1)>";
    ask(sneaky.to_string()).await;
    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    assert_eq!(relayed.body.lines().nth(2), Some(sneaky));
    assert_eq!(relayed.mentions, Some((false, 0)));
    let html = relayed.html.unwrap();
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"),
        "{html}"
    );

    // 70 KB cannot even be sent (the homeserver refuses events over 64 KiB); 60 KB is
    // refused by the bot with the limit named, and so is a 60 KB search, before any lookup.
    let too_big = main
        .send(
            matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(format!(
                "!ask {}",
                "x".repeat(70 * 1024)
            )),
        )
        .await;
    assert!(too_big.is_err(), "the homeserver took a 70 KB event");
    let receipt = ask("y".repeat(60_000)).await;
    assert_eq!(
        receipt.body,
        "Your question is 60000 characters long; the limit is 1000. Please shorten it and ask again."
    );
    let (searched, _) = attendee
        .say(&main, &format!("!search {}", "word ".repeat(12_000)))
        .await;
    let found = attendee.reply_from(&main, &bot.user, Some(&searched)).await;
    assert_eq!(found.body, "That is too long for !search: at most 500 characters.");

    // An attendee's moderator and organizer commands are refused and change nothing.
    let (asked, _) = attendee.say(&main, "!next").await;
    let next_before = attendee.reply_from(&main, &bot.user, Some(&asked)).await.body;
    for (command, who) in [
        ("!approve Q1", "moderators"),
        ("!reject Q2 spam", "moderators"),
        ("!answered Q1", "moderators"),
        ("!delay 30m", "the conference organizers"),
        ("!announce in 1m Free beer in the lobby", "the conference organizers"),
        ("!reload", "the conference organizers"),
    ] {
        let (asked, _) = attendee.say(&main, command).await;
        let name = command.split_whitespace().next().unwrap();
        assert_eq!(
            attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
            format!("Sorry, {name} is for {who}. Send !help for what you can use.")
        );
    }
    let (asked, _) = attendee.say(&main, "!next").await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        next_before
    );
    let (asked, _) = moderator.say(&rooms.mods, "!questions").await;
    let listed = moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body;
    assert!(
        listed.contains("Q1 · 0 votes · pending") && listed.contains("Q2 · 0 votes · pending"),
        "{listed}"
    );
    assert_eq!(bot.stop(), Some(0));
    let posted: Vec<_> = speaker
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(posted.is_empty(), "nothing reached the speakers: {posted:?}");
}
