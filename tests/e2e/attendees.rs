//! Attendees' commands: answered once, as notices that ping nobody, in plain and
//! encrypted rooms, in bursts, at the homeserver's own speed.

use super::*;

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
    assert_eq!(reply.body, "Unknown command !nxt — did you mean !next?");

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
