//! What operators rely on: a restart answers nothing twice, and /healthz and /metrics say
//! what the bot did and when the homeserver is out.

use super::*;

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
    assert_eq!(body, "ok\ndevice: cross-signed\n");

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
