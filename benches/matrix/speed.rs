//! How fast and how punctual: command latency against the homeserver's own echo, many
//! clients at once, reminder punctuality, a burst of questions.

use super::*;

// ---- 1. command latency

pub(super) async fn latency() -> bool {
    const ROUNDS: usize = 300;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    bot.start("2023-02-03T09:10");
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

    let round = |room: matrix_sdk::Room, from: matrix_sdk::ruma::OwnedUserId| {
        let attendee = &attendee;
        async move {
            let (id, sent) = attendee.say(&room, "!next").await;
            let reply = attendee.reply_from(&room, &from, Some(&id)).await;
            (reply.at - sent, reply.body)
        }
    };
    for _ in 0..10 {
        round(bot_room.clone(), bot.user.clone()).await;
        round(echo_room.clone(), echo.user.clone()).await;
    }
    // Alternate, each path first in every other round, so both see the same homeserver.
    let (mut via_bot, mut via_echo) = (Vec::new(), Vec::new());
    let mut answers_ok = true;
    for i in 0..ROUNDS {
        let bot_first = i % 2 == 0;
        if !bot_first {
            via_echo.push(ms(round(echo_room.clone(), echo.user.clone()).await.0));
        }
        let (took, body) = round(bot_room.clone(), bot.user.clone()).await;
        answers_ok &= body.starts_with("Next");
        via_bot.push(ms(took));
        if bot_first {
            via_echo.push(ms(round(echo_room.clone(), echo.user.clone()).await.0));
        }
    }
    via_bot.sort_by(f64::total_cmp);
    via_echo.sort_by(f64::total_cmp);
    println!("{ROUNDS} × !next, one at a time; from the send to the reply seen by the same client (ms)");
    print_against_floor("confbot", &via_bot, "echo (floor)", &via_echo);
    let ratio = |p: f64| ratio(&via_bot, &via_echo, p);
    println!(
        "target p50 ≤ 1.05 × floor: {}; p99 ≤ 1.2 × floor: {}",
        verdict(ratio(0.5) <= 1.05),
        verdict(ratio(0.99) <= 1.2)
    );
    if !answers_ok {
        println!("a reply was not the answer to !next");
    }
    bot.stop() == Some(0) && answers_ok
}

// ---- 1b. many clients at once

/// Every peer sends `!next` `each` times back to back into `room`, all peers at once; the
/// commands' event ids.
pub(super) async fn rush(
    peers: &[&Peer],
    room: &matrix_sdk::ruma::RoomId,
    each: usize,
) -> Vec<matrix_sdk::ruma::OwnedEventId> {
    let sends = peers.iter().map(|peer| {
        let room = peer.client.get_room(room).expect("joined");
        async move {
            let mut ids = Vec::new();
            for _ in 0..each {
                ids.push(peer.say(&room, "!next").await.0);
            }
            ids
        }
    });
    futures_util::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect()
}

pub(super) async fn concurrent() -> bool {
    const CLIENTS: usize = 20;
    const EACH: usize = 10;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    bot.start("2023-02-03T09:10");
    let host = Peer::new("host").await;
    let mut guests = Vec::new();
    for _ in 1..CLIENTS {
        guests.push(Peer::new("guest").await);
    }
    let mut invited: Vec<&matrix_sdk::ruma::UserId> = vec![&bot.user];
    invited.extend(guests.iter().map(|g| -> &matrix_sdk::ruma::UserId { &g.user }));
    let room = host.create_room(&invited, false).await;
    host.wait_for_join(&room, &bot.user).await;
    for guest in &guests {
        guest.client.join_room_by_id(room.room_id()).await.expect("guest joins");
        guest.stop_syncing();
    }
    let started = Instant::now();
    let senders: Vec<&Peer> = std::iter::once(&host).chain(guests.iter()).collect();
    let asked = rush(&senders, room.room_id(), EACH).await;
    let mut answered: HashMap<_, u32> = HashMap::new();
    let mut last = started;
    while answered.len() < asked.len() {
        let Some(reply) = host.reply_within(&room, &bot.user, None, Instant::now() + WAIT).await else {
            break;
        };
        last = reply.at;
        *answered.entry(reply.in_reply_to.clone()).or_default() += 1;
    }
    // Anything more would be an answer twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for r in host.drain().await.into_iter().filter(|r| r.sender == bot.user) {
        *answered.entry(r.in_reply_to.clone()).or_default() += 1;
    }
    let once = asked
        .iter()
        .filter(|id| answered.get(&Some((*id).clone())) == Some(&1))
        .count();
    let twice = answered.values().filter(|&&n| n > 1).count();
    let missing = asked
        .iter()
        .filter(|id| !answered.contains_key(&Some((*id).clone())))
        .count();
    println!(
        "{CLIENTS} clients × {EACH} !next back to back: {} sent, {once} answered once, {twice} more than once, \
         {missing} unanswered; the last answer {:.2} s after the first send",
        asked.len(),
        (last - started).as_secs_f64()
    );
    bot.stop() == Some(0) && once == asked.len()
}

// ---- 2. reminder punctuality

pub(super) async fn punctuality() -> bool {
    let speed = 60.0;
    let alias = support::unique("day");
    let tail = format!(
        "[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    bot.without_command_limit();
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room_with_alias(&[&bot.user], false, Some(&alias)).await;
    let schedule = centos();
    let expected = planned(&config_text(&bot), &schedule, at("08:15"), at("23:59"));
    bot.start_at_speed("2023-02-03T08:15:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    attendee.wait_for_join(&room, &bot.user).await;

    let mut lateness = Vec::new();
    let mut wrong = 0;
    for (key, due, text) in &expected {
        let deadline = instant_at(anchor.wall_of(*due)) + Duration::from_secs(10);
        let Some(post) = attendee.reply_within(&room, &bot.user, None, deadline).await else {
            println!("missed: {key}");
            wrong += 1;
            continue;
        };
        if &post.body != text {
            println!("out of order or wrong: expected {text:?}, got {:?}", post.body);
            wrong += 1;
        }
        lateness.push(post.origin_ms as f64 - anchor.wall_of(*due));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let extra = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .count();
    lateness.sort_by(f64::total_cmp);
    println!(
        "CentOS Connect 2023 rehearsed at {speed}× from 08:15: {} reminders planned, {} posted as planned, \
         {wrong} missing or wrong, {extra} extra",
        expected.len(),
        expected.len() - wrong
    );
    if !lateness.is_empty() {
        let p99 = quantile(&lateness, 0.99);
        println!(
            "lateness (origin_server_ts − due instant on the bot's clock, real ms): p50 {:.1}, p99 {p99:.1}, max {:.1}, min {:.1}",
            quantile(&lateness, 0.5),
            lateness[lateness.len() - 1],
            lateness[0]
        );
        println!("target p99 < 100 ms: {}", verdict(p99 < 100.0));
    }
    bot.stop() == Some(0) && wrong == 0 && extra == 0 && !lateness.is_empty()
}

// ---- 3. question burst

pub(super) async fn burst() -> bool {
    const ASKERS: usize = 50;
    const EACH: usize = 20;
    let moderator = Peer::new("moderator").await;
    let mut attendees = Vec::new();
    for _ in 0..ASKERS {
        attendees.push(Peer::new("attendee").await);
    }
    let bot_user = support::register_user("confbot").await;
    let refs: Vec<&Peer> = attendees.iter().collect();
    let rooms = rooms(&moderator, &bot_user, &refs, "").await;
    for attendee in &attendees {
        attendee.stop_syncing();
    }
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.without_command_limit();
    bot.start("2023-02-03T14:20");
    bot.joined(&moderator, &rooms.main).await;
    bot.joined(&moderator, &rooms.mods).await;

    // Each attendee asks every half second for ten seconds, the attendees 10 ms apart.
    let started = Instant::now();
    let sends = attendees.iter().enumerate().map(|(i, attendee)| {
        let room = attendee.client.get_room(rooms.main.room_id()).unwrap();
        async move {
            for k in 0..EACH {
                let when = started + Duration::from_millis((i * 10 + k * 500) as u64);
                tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
                attendee
                    .say(&room, &format!("!ask Burst question {k} from {}", attendee.user))
                    .await;
            }
            Instant::now()
        }
    });
    let last_sent = futures_util::future::join_all(sends).await.into_iter().max().unwrap();
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    let mut relayed = 0;
    let mut last = started;
    while relayed < ASKERS * EACH {
        let Some(message) = moderator
            .reply_within(&rooms.mods, &bot.user, None, Instant::now() + WAIT)
            .await
        else {
            break;
        };
        let Some(text) = relayed_text(&message) else {
            continue;
        };
        let Some((k, who)) = text
            .strip_prefix("Burst question ")
            .and_then(|rest| rest.split_once(" from "))
        else {
            continue;
        };
        seen.entry(who.to_string()).or_default().push(k.parse().unwrap());
        relayed += 1;
        last = message.at;
    }
    let drained = last - started;
    let in_order = seen.len() == ASKERS && seen.values().all(|order| *order == (0..EACH).collect::<Vec<_>>());

    // The floor: one client has the homeserver accept 1000 plain messages, one at a time,
    // in the room where the questions were asked (a send costs more the more members).
    let floor_started = Instant::now();
    for k in 0..ASKERS * EACH {
        moderator.say(&rooms.main, &format!("plain message {k}")).await;
    }
    let floor = floor_started.elapsed();
    println!(
        "{ASKERS} attendees × {EACH} !ask over {:.1} s: {relayed} relayed to the moderators, {} askers complete \
         and in order",
        (last_sent - started).as_secs_f64(),
        seen.values()
            .filter(|order| **order == (0..EACH).collect::<Vec<_>>())
            .count()
    );
    println!(
        "drained {:.2} s after the first question ({:.2} s after the last); floor: the homeserver accepts \
         {} plain messages from one client in {:.2} s; ratio {:.2}",
        drained.as_secs_f64(),
        last.saturating_duration_since(last_sent).as_secs_f64(),
        ASKERS * EACH,
        floor.as_secs_f64(),
        drained.as_secs_f64() / floor.as_secs_f64()
    );
    bot.stop() == Some(0) && in_order && relayed == ASKERS * EACH
}
