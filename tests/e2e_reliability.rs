//! Delivery on a real Synapse (started by scripts/test): rooms named by id in the
//! homeserver's default room version, and one room that refuses the bot holding up nothing.
//! `#[ignore]` keeps them out of a bare `cargo test`; scripts/test runs them.

mod support;

use std::time::{Duration, Instant};
use support::{Bot, Peer};

/// Synapse's default room version (12) makes room ids without a server part.
fn is_v12_id(room: &matrix_sdk::Room) -> bool {
    room.room_id().server_name().is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_room_that_refuses_the_bot_holds_up_no_other_room_and_rooms_are_named_by_id() {
    let organizer = Peer::new("organizer").await;
    let bot_user = support::register_user("confbot").await;
    let alias = support::unique("pagoda");
    let pagoda = organizer
        .create_room_with_alias(&[&bot_user], false, Some(&alias))
        .await;
    // An announcements room where the bot may join but not post (events_default 50), and
    // a moderators room, both named in the config by id as Element shows it.
    let blocked = organizer.create_room_where_guests_may_not_post(&[&bot_user]).await;
    let moderators = organizer.create_room(&[&bot_user], false).await;
    assert!(is_v12_id(&blocked) && is_v12_id(&moderators), "{}", blocked.room_id());
    let tail = format!(
        "[rooms]\nannouncements = [\"{}\"]\nmoderators = \"{}\"\n[rooms.map]\n\"Pagoda room\" = \"#{alias}:localhost\"\n\
         [reminders]\nlead = [\"10m\", \"0m\"]\n",
        blocked.room_id(),
        moderators.room_id()
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);

    // At 60× from 14:28: the Rocky Linux reminders fall due 2 s and 12 s after the start.
    let started = Instant::now();
    bot.start_at_speed("2023-02-03T14:28:00", 60.0);
    let mut in_pagoda = Vec::new();
    let mut in_moderators = Vec::new();
    let deadline = started + Duration::from_secs(40);
    while in_pagoda.len() < 2 || in_moderators.is_empty() {
        let Some(got) = organizer.next_within(deadline).await else {
            panic!(
                "by 14:40 on the bot's clock: Pagoda room {in_pagoda:?}, moderators {in_moderators:?}\n{}",
                bot.log()
            );
        };
        if got.sender != bot_user {
            continue;
        }
        if got.room == pagoda.room_id() {
            in_pagoda.push((got.body.lines().next().unwrap().to_string(), got.at - started));
        } else if got.room == moderators.room_id() {
            in_moderators.push(got.body);
        } else {
            panic!("the bot posted where it may not: {got:?}");
        }
    }
    assert!(
        in_pagoda[0]
            .0
            .starts_with("In 10 minutes: Introduction to Rocky Linux and Peridot"),
        "{in_pagoda:?}"
    );
    assert!(
        in_pagoda[1]
            .0
            .starts_with("Starting now: Introduction to Rocky Linux and Peridot"),
        "{in_pagoda:?}"
    );
    // Due 2 s and 12 s after the start (the process starts within a second or two).
    assert!(in_pagoda[1].1 < Duration::from_secs(16), "{in_pagoda:?}");
    assert_eq!(in_moderators.len(), 1, "{in_moderators:?}");
    assert!(
        in_moderators[0].starts_with(&format!("I could not post to {}: ", blocked.room_id())),
        "{in_moderators:?}"
    );
    assert!(in_moderators[0].contains("M_FORBIDDEN"), "{in_moderators:?}");

    // One report, however many posts the room refused.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let more: Vec<_> = organizer
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot_user && r.room == moderators.room_id())
        .collect();
    assert!(more.is_empty(), "one report only: {more:?}");
    assert_eq!(bot.stop(), Some(0));
}

/// A schedule of one session, "Soon", starting `ahead` from now (Brussels time, to the
/// second) in the Main room; written beside the bot's config. Its start, as written.
fn schedule_starting_in(bot: &Bot, ahead: Duration) -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    let start = (Utc::now() + ahead)
        .with_timezone(&chrono_tz::Europe::Brussels)
        .naive_local()
        .trunc_subsecs(0);
    let path = bot.dir.path().join("soon.toml");
    std::fs::write(
        &path,
        format!(
            "[conference]\nname = \"Soon\"\ntimezone = \"Europe/Brussels\"\n\n\
             [[sessions]]\nid = \"soon\"\ntitle = \"Soon\"\nstart = \"{}\"\nduration = \"30m\"\nroom = \"Main\"\n",
            start.format("%Y-%m-%dT%H:%M:%S")
        ),
    )
    .unwrap();
    bot.use_schedule(&path);
    start
}

/// The real instant a Brussels local time stands for.
fn real_instant(local: chrono::NaiveDateTime) -> std::time::SystemTime {
    use chrono::TimeZone;
    let utc = chrono_tz::Europe::Brussels
        .from_local_datetime(&local)
        .unwrap()
        .timestamp_millis();
    std::time::UNIX_EPOCH + Duration::from_millis(utc as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_rehearsal_leaves_the_real_day_alone_and_one_bot_at_a_time_runs_on_a_state_dir() {
    let attendee = Peer::new("attendee").await;
    let bot_user = support::register_user("confbot").await;
    let alias = support::unique("main");
    let room = attendee.create_room_with_alias(&[&bot_user], false, Some(&alias)).await;
    let tail = format!("[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"0m\"]\n");
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    let start = schedule_starting_in(&bot, Duration::from_secs(25));

    // The day before: rehearse the start of the session, two seconds ahead of it.
    let rehearse_from = (start - chrono::TimeDelta::seconds(2))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    bot.start_at_speed(&rehearse_from, 1.0);
    let rehearsed = attendee.reply_from(&room, &bot_user, None).await;
    assert!(rehearsed.body.starts_with("Starting now: Soon"), "{}", rehearsed.body);
    assert_eq!(bot.stop(), Some(0));
    assert!(
        bot.log()
            .contains("rehearsal: what it posts and answers is recorded apart from the real day's"),
        "a rehearsal says so at the start:\n{}",
        bot.log()
    );

    // The real day: the same reminder comes, on time.
    bot.start_real();
    let deadline = Instant::now() + Duration::from_secs(20);
    while bot.log().matches("connected to").count() < 2 {
        assert!(Instant::now() < deadline, "the bot did not connect:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A second bot on the same state directory is refused at once, naming the first.
    let mut second = bot.command(&[]).spawn().expect("a second confbot runs");
    let refused = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second bot ran on the same state directory:\n{}", bot.log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(refused.code(), Some(1));
    let log = bot.log();
    let pid = bot.pid().unwrap();
    assert!(
        log.contains(&format!("is in use by process {pid}: one bot at a time may run on it")),
        "{log}"
    );

    let real = attendee
        .reply_before(&room, &bot_user, None, Instant::now() + Duration::from_secs(40))
        .await;
    assert!(real.body.starts_with("Starting now: Soon"), "{}", real.body);
    let due = real_instant(start);
    let lateness = std::time::UNIX_EPOCH + Duration::from_millis(real.origin_ms);
    let late_ms = lateness
        .duration_since(due)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_else(|e| -(e.duration().as_millis() as i64));
    assert!(
        (-500..1000).contains(&late_ms),
        "the real reminder came {late_ms} ms from due"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_delay_whose_reply_was_refused_is_not_made_again_by_a_restart() {
    let organizer = Peer::new("organizer").await;
    let attendee = Peer::new("attendee").await;
    let bot_user = support::register_user("confbot").await;
    let alias = support::unique("main");
    let main = organizer
        .create_room_with_alias(&[&bot_user, &attendee.user], false, Some(&alias))
        .await;
    // The organizer types `!delay` in a room where the bot may read but not reply.
    let quiet = organizer.create_room_where_guests_may_not_post(&[&bot_user]).await;
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[rooms.map]\n\"Pagoda room\" = \"#{alias}:localhost\"\n",
        organizer.user
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    attendee
        .client
        .join_room_by_id(main.room_id())
        .await
        .expect("attendee joins");
    let attendee_main = attendee.client.get_room(main.room_id()).unwrap();
    bot.start("2023-02-03T14:20");
    organizer.wait_for_join(&main, &bot_user).await;
    organizer.wait_for_join(&quiet, &bot_user).await;

    organizer.say(&quiet, "!delay 10m").await;
    let announced = organizer.reply_from(&main, &bot_user, None).await;
    assert!(
        announced.body.starts_with("Schedule change"),
        "{}\n{}",
        announced.body,
        bot.log()
    );
    let (asked, _) = attendee.say(&attendee_main, "!next").await;
    let delayed_once = attendee.reply_from(&attendee_main, &bot_user, Some(&asked)).await.body;
    // The bot could not reply; a restart finds the command unanswered and replays it.
    assert_eq!(bot.stop(), Some(0));
    bot.start("2023-02-03T14:20");
    organizer.wait_for_join(&main, &bot_user).await;
    let (asked, _) = attendee.say(&attendee_main, "!next").await;
    let next = attendee.reply_from(&attendee_main, &bot_user, Some(&asked)).await;
    assert_eq!(next.body, delayed_once, "delayed once, not twice");
    let more: Vec<_> = organizer
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot_user && r.room == main.room_id())
        .collect();
    assert!(
        more.iter().all(|r| !r.body.starts_with("Schedule change")),
        "one announcement: {more:?}"
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_the_bot_follows_a_room_upgrade_and_tells_the_moderators_once() {
    use matrix_sdk::ruma::api::client::room::upgrade_room;
    let organizer = Peer::new("organizer").await;
    let bot_user = support::register_user("confbot").await;
    let alias = support::unique("main");
    let main = organizer.create_public_room(&alias).await;
    let moderators = organizer.create_room(&[&bot_user], false).await;
    let tail = format!(
        "[rooms]\nannouncements = [\"{}\"]\nmoderators = \"{}\"\n[reminders]\nlead = [\"10m\", \"0m\"]\n",
        main.room_id(),
        moderators.room_id()
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    // At 30× from 14:29:30: the Rocky Linux reminders fall due after 1 s and 21 s.
    bot.start_at_speed("2023-02-03T14:29:30", 30.0);
    let first = organizer.reply_from(&main, &bot_user, None).await;
    assert!(
        first.body.starts_with("In 10 minutes: Introduction to Rocky Linux"),
        "{}",
        first.body
    );

    // The organizer upgrades the room; the config still names the old one by id.
    let upgraded = organizer
        .client
        .send(upgrade_room::v3::Request::new(
            main.room_id().to_owned(),
            matrix_sdk::ruma::RoomVersionId::V12,
        ))
        .await
        .expect("upgrade");
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut told = Vec::new();
    let mut in_new = None;
    while in_new.is_none() || told.is_empty() {
        let Some(got) = organizer.next_within(deadline).await else {
            panic!("moderators told {told:?}; in the new room {in_new:?}\n{}", bot.log());
        };
        if got.sender != bot_user {
            continue;
        }
        if got.room == moderators.room_id() {
            told.push(got.body);
        } else if got.room == upgraded.replacement_room {
            in_new = Some(got.body);
        } else {
            panic!("posted in {}: {}", got.room, got.body);
        }
    }
    assert!(
        in_new
            .as_deref()
            .unwrap()
            .starts_with("Starting now: Introduction to Rocky Linux"),
        "{in_new:?}"
    );
    assert_eq!(
        told,
        [format!(
            "{} was upgraded to a new room ({}); I joined it and post there from now on. Update the config to name the new room when you can.",
            main.room_id(),
            upgraded.replacement_room
        )]
    );
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_bot_the_homeserver_logged_out_exits_with_what_to_do() {
    let mut bot = Bot::register("").await;
    bot.start("2023-02-03T09:10");
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    attendee.wait_for_join(&room, &bot.user).await;

    // The bot's account logs out everywhere (an admin revoking its sessions).
    let other = matrix_sdk::Client::builder()
        .homeserver_url(support::homeserver())
        .build()
        .await
        .unwrap();
    other
        .matrix_auth()
        .login_username(bot.user.as_str(), &bot.password)
        .send()
        .await
        .expect("log in as the bot");
    other
        .send(matrix_sdk::ruma::api::client::session::logout_all::v3::Request::new())
        .await
        .expect("log out everywhere");

    // Not a sync loop forever: the bot exits non-zero, saying what to do.
    let code = bot.wait_exit(Duration::from_secs(60));
    assert_eq!(code, Some(1), "{}", bot.log());
    assert!(
        bot.log().contains("the homeserver no longer accepts the bot's access token (the login was revoked, or its device deleted): remove session.json"),
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_flooding_attendee_is_told_once_to_slow_down_then_ignored_while_others_are_answered() {
    let mut bot = Bot::register("").await;
    bot.start("2023-02-03T09:10");
    let flooder = Peer::new("flooder").await;
    let quiet = Peer::new("quiet").await;
    let room = flooder.create_room(&[&bot.user, &quiet.user], false).await;
    quiet.client.join_room_by_id(room.room_id()).await.expect("joins");
    flooder.wait_for_join(&room, &bot.user).await;
    let quiet_room = quiet.client.get_room(room.room_id()).unwrap();

    // Twelve commands at once: ten answered (the default 10/10s), one "slow down", one not.
    let started = Instant::now();
    for n in 0..12 {
        flooder.say(&room, &format!("!search flood{n}")).await;
    }
    let mut replies = Vec::new();
    while replies.len() < 11 {
        replies.push(flooder.reply_from(&room, &bot.user, None).await.body);
    }
    assert!(started.elapsed() < Duration::from_secs(10), "all within the window");
    assert!(
        replies[..10].iter().all(|r| r.starts_with("No session mentions \"")),
        "{replies:?}"
    );
    assert_eq!(
        replies[10],
        "You are sending commands faster than I answer them (at most 10 in 10s); I will answer again in a moment."
    );
    // Someone else is answered meanwhile; the twelfth command never is.
    let (asked, _) = quiet.say(&quiet_room, "!ping").await;
    assert_eq!(
        quiet.reply_from(&quiet_room, &bot.user, Some(&asked)).await.body,
        "pong"
    );
    let more: Vec<_> = flooder
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && r.in_reply_to.as_ref() != Some(&asked))
        .collect();
    assert!(more.is_empty(), "nothing more for the flooder: {more:?}");
    // Once the window has room again, the flooder is answered.
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(started.elapsed()) + Duration::from_millis(500)).await;
    let (asked, _) = flooder.say(&room, "!ping").await;
    assert_eq!(flooder.reply_from(&room, &bot.user, Some(&asked)).await.body, "pong");
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_question_approved_rejected_and_approved_again_reaches_the_speakers_twice() {
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let main = moderator
        .create_room_with_alias(&[&bot_user, &attendee.user], false, Some(&support::unique("main")))
        .await;
    let mods = moderator.create_room(&[&bot_user], false).await;
    let speakers = moderator.create_room(&[&bot_user, &speaker.user], false).await;
    attendee
        .client
        .join_room_by_id(main.room_id())
        .await
        .expect("attendee joins");
    speaker
        .client
        .join_room_by_id(speakers.room_id())
        .await
        .expect("speaker joins");
    let tail = format!(
        "moderators = [\"{}\"]\n[rooms]\nmoderators = \"{}\"\nspeakers = \"{}\"\n[rooms.map]\n\"Pagoda room\" = \"{}\"\n",
        moderator.user,
        mods.room_id(),
        speakers.room_id(),
        main.room_id()
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    bot.start("2023-02-03T14:20");
    for room in [&main, &mods, &speakers] {
        bot.joined(&moderator, room).await;
    }
    let attendee_main = attendee.client.get_room(main.room_id()).unwrap();
    attendee.say(&attendee_main, "!ask Is Nmstate in 9.2?").await;
    moderator.reply_from(&mods, &bot_user, None).await;

    let speaker_room = speaker.client.get_room(speakers.room_id()).unwrap();
    moderator.say(&mods, "!approve 1").await;
    let first = speaker.reply_from(&speaker_room, &bot_user, None).await.body;
    assert!(first.contains("Is Nmstate in 9.2?"), "{first}");
    moderator.say(&mods, "!reject 1 asked already").await;
    // The homeserver would hand back the first, withdrawn post for a reused transaction id.
    moderator.say(&mods, "!approve 1").await;
    let second = speaker.reply_from(&speaker_room, &bot_user, None).await.body;
    assert_eq!(
        second,
        first,
        "approved again: the speakers see it again\n{}",
        bot.log()
    );
    assert_eq!(bot.stop(), Some(0));
}

/// A Synapse of the test's own (scripts/synapse with `env`), stopped when dropped. While it
/// runs, the support helpers use it: the e2e tests run one at a time.
struct OwnSynapse {
    dir: tempfile::TempDir,
    shared: String,
}

impl OwnSynapse {
    fn start(env: &[(&str, &str)]) -> OwnSynapse {
        let dir = tempfile::tempdir().unwrap();
        let output = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/synapse"))
            .arg("start")
            .arg(dir.path())
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("scripts/synapse runs");
        assert!(output.status.success(), "scripts/synapse start failed");
        let line = String::from_utf8(output.stdout).unwrap();
        let url = line
            .trim()
            .strip_prefix("CONFBOT_TEST_HOMESERVER=")
            .unwrap_or_else(|| panic!("scripts/synapse printed {line:?}"));
        let shared = support::homeserver();
        std::env::set_var("CONFBOT_TEST_HOMESERVER", url);
        OwnSynapse { dir, shared }
    }
}

impl Drop for OwnSynapse {
    fn drop(&mut self) {
        std::env::set_var("CONFBOT_TEST_HOMESERVER", &self.shared);
        let _ = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/synapse"))
            .arg("stop")
            .arg(self.dir.path())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The saved session's device id and access token.
fn saved_session(bot: &Bot) -> (String, String) {
    let text = std::fs::read_to_string(bot.dir.path().join("state/session.json")).unwrap();
    let session: serde_json::Value = serde_json::from_str(&text).unwrap();
    (
        session["device_id"].as_str().unwrap().to_string(),
        session["access_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_login_the_homeserver_lets_expire_is_renewed_as_the_same_device() {
    // Every access token expires 20 s after its login, and is then refused with
    // M_UNKNOWN_TOKEN and soft_logout: true.
    let _synapse = OwnSynapse::start(&[("CONFBOT_SYNAPSE_SESSION_LIFETIME", "20s")]);
    let organizer = Peer::new("organizer").await;
    let alias = support::unique("hall");
    let room = organizer.create_public_room(&alias).await;
    let mut bot = Bot::register_with("", &format!("[rooms]\nannouncements = [\"#{alias}:localhost\"]\n")).await;
    bot.start("2023-02-03T09:10");
    organizer.wait_for_join(&room, &bot.user).await;
    let (device, token) = saved_session(&bot);

    let deadline = Instant::now() + Duration::from_secs(90);
    while !bot.log().contains("logged in again as the same device") {
        assert!(Instant::now() < deadline, "no new login:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        bot.log()
            .contains("the homeserver let the bot's login expire (soft logout)"),
        "{}",
        bot.log()
    );
    let (device_after, token_after) = saved_session(&bot);
    assert_eq!(device_after, device, "the same device, so its keys stay valid");
    assert_ne!(token_after, token, "a new access token, saved for the next start");

    // The organizer's login has expired as well: a newcomer asks.
    let attendee = Peer::new("attendee").await;
    let joined = attendee
        .client
        .join_room_by_id_or_alias(room.room_id().into(), &[])
        .await
        .expect("joins the public room");
    let (asked, _) = attendee.say(&joined, "!ping").await;
    assert_eq!(
        attendee.reply_from(&joined, &bot.user, Some(&asked)).await.body,
        "pong",
        "{}",
        bot.log()
    );
    assert!(bot.wait_exit(Duration::ZERO).is_none(), "still running:\n{}", bot.log());
    assert_eq!(bot.stop(), Some(0), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_power_level_in_the_moderators_room_counts_only_for_its_members() {
    let organizer = Peer::new("organizer").await;
    let stranger = Peer::new("stranger").await;
    let bot_user = support::register_user("confbot").await;
    let main = organizer
        .create_room_with_alias(&[&bot_user, &stranger.user], false, Some(&support::unique("main")))
        .await;
    // The moderators room gives the stranger an organizer's power level, but the stranger
    // is only invited (as a level left over from someone who left would be).
    let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
    request.invite = vec![bot_user.clone(), stranger.user.clone()];
    // (In room version 12 the creator's level is implicit and may not be listed.)
    let levels = serde_json::json!({ "users": { stranger.user.as_str(): 100 } });
    request.power_level_content_override = Some(matrix_sdk::ruma::serde::Raw::from_json(
        serde_json::value::to_raw_value(&levels).unwrap(),
    ));
    let mods = organizer.client.create_room(request).await.expect("create room");
    stranger
        .client
        .join_room_by_id(main.room_id())
        .await
        .expect("stranger joins the main room");
    let tail = format!(
        "[rooms]\nmoderators = \"{}\"\nannouncements = [\"{}\"]\n[rooms.map]\n\"Pagoda room\" = \"{}\"\n",
        mods.room_id(),
        main.room_id(),
        main.room_id()
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    bot.start("2023-02-03T14:20");
    bot.joined(&organizer, &main).await;
    bot.joined(&organizer, &mods).await;
    let stranger_main = stranger.client.get_room(main.room_id()).unwrap();

    let (asked, _) = stranger.say(&stranger_main, "!delay 10m").await;
    let refused = stranger.reply_from(&stranger_main, &bot_user, Some(&asked)).await;
    assert_eq!(
        refused.body,
        "Sorry, !delay is for the conference organizers. Send !help for what you can use.",
        "{}",
        bot.log()
    );

    // Once a member of the moderators room, the same level makes an organizer.
    stranger
        .client
        .join_room_by_id(mods.room_id())
        .await
        .expect("stranger joins the moderators room");
    organizer.wait_for_join(&mods, &stranger.user).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (asked, _) = stranger.say(&stranger_main, "!delay 10m").await;
        let reply = stranger.reply_from(&stranger_main, &bot_user, Some(&asked)).await;
        if !reply.body.starts_with("Sorry, !delay is for") {
            assert!(!reply.body.starts_with("Sorry"), "{}", reply.body);
            break;
        }
        // The bot may not have synced the join yet.
        assert!(Instant::now() < deadline, "still refused after joining:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(bot.stop(), Some(0));
}
