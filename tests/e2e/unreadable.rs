//! Messages the bot cannot decrypt when they come: read and answered once their key
//! arrives, or their sender told once what happened.

use super::*;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::Client;
use std::time::Instant;
use support::Trust;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_command_the_bot_cannot_decrypt_gets_its_sender_one_notice_after_30_seconds() {
    let metrics = support::free_port();
    let mut bot = Bot::register_with("", &format!("[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n")).await;
    bot.start(TEN_PAST_NINE);
    // A client that shares its room keys only with devices its user verified: never the bot's.
    let attendee = Peer::trusting("unverified", Trust::VerifiedOnly).await;
    let room = attendee.create_room(&[&bot.user], true).await;
    bot.joined(&attendee, &room).await;
    let (first, sent) = attendee.say(&room, "!next").await;
    attendee.say(&room, "!now").await;

    let notice = attendee
        .reply_before(&room, &bot.user, Some(&first), sent + Duration::from_secs(50))
        .await;
    assert!(
        notice.at.duration_since(sent) >= Duration::from_secs(30),
        "the bot waits 30 s for the key before it tells the sender: {:?}",
        notice.at.duration_since(sent)
    );
    assert!(notice.notice);
    assert!(
        notice
            .body
            .starts_with("I could not decrypt this message: its key never reached my device"),
        "{}",
        notice.body
    );
    assert_eq!(notice.mentions, Some((false, 1)), "it mentions its sender only");

    // The second message is given up with the first: its sender was just told.
    let log = || bot.log();
    let (_, text) = support::http_until(
        metrics,
        "/metrics",
        "both messages are given up",
        |_, body| body.contains("confbot_undecryptable_total{outcome=\"dropped\"} 1\n"),
        log,
    )
    .await;
    for line in [
        "confbot_undecryptable_total{outcome=\"kept\"} 2\n",
        "confbot_undecryptable_total{outcome=\"notified\"} 1\n",
        "confbot_undecryptable_total{outcome=\"decrypted\"} 0\n",
    ] {
        assert!(text.contains(line), "/metrics lacks {line:?}:\n{text}");
    }
    let more: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(more.is_empty(), "one notice, no answers: {more:?}");
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_command_the_bot_could_not_decrypt_is_answered_once_its_key_reaches_the_key_backup() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::trusting("unverified", Trust::VerifiedOnly).await;
    let room = attendee.create_room(&[&bot.user], true).await;
    bot.joined(&attendee, &room).await;
    let (asked, sent) = attendee.say(&room, "!ping").await;

    // The key reaches the bot's account another way: a second device of the account,
    // restored with the recovery key, imports a key export, and its key backup takes it.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("room-keys.txt");
    let room_id = room.room_id().to_owned();
    attendee
        .client
        .encryption()
        .export_room_keys(export.clone(), "passphrase", |session| session.room_id() == room_id)
        .await
        .unwrap();
    let other = Client::builder()
        .homeserver_url(support::homeserver())
        .sqlite_store(dir.path().join("store"), None)
        .build()
        .await
        .unwrap();
    other
        .matrix_auth()
        .login_username(bot.user.localpart(), &bot.password)
        .send()
        .await
        .expect("the bot's account logs in on a second device");
    other.sync_once(SyncSettings::default()).await.unwrap();
    let key = std::fs::read_to_string(bot.state_dir().join("recovery-key")).unwrap();
    other
        .encryption()
        .recovery()
        .recover(key.trim())
        .await
        .expect("recovered");
    let imported = other.encryption().import_room_keys(export, "passphrase").await.unwrap();
    assert_eq!(imported.imported_count, 1, "{imported:?}");
    other.encryption().backups().wait_for_steady_state().await.unwrap();

    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "pong");
    assert!(
        reply.at.duration_since(sent) < Duration::from_secs(30),
        "answered before any notice would go out"
    );
    assert!(
        bot.log().contains("decrypted a message once its key came"),
        "{}",
        bot.log()
    );
    // Answered once, and its sender is not told it could not be read.
    let later = Instant::now() + Duration::from_secs(35) - sent.elapsed().min(Duration::from_secs(35));
    let extra = attendee.reply_within(&room, &bot.user, Some(&asked), later).await;
    assert!(extra.is_none(), "{extra:?}");
    assert_eq!(bot.stop(), Some(0));
}
