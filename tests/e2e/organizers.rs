//! Organizers' day: reminders on time once across a restart, delays and announcements, a
//! changed schedule, attendees' own reminders and zones.

use super::*;

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
        include_str!("../../data/centos-connect-2023.toml"),
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
            let text =
                confbot::present::posts::reminder_message(&schedule, r.session, r.lead, &Default::default(), false);
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
