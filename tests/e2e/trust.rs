//! The bot as clients that exclude unverified devices (MSC4153) see it: a device
//! cross-signed by its account, an identity that survives a new machine through its
//! recovery key, and a start that refuses a login without its keys.

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;
use support::{Trust, WAIT};

/// The bot's master key and device as `peer` sees them after asking the homeserver.
async fn bot_identity(peer: &Peer, bot: &Bot) -> (String, Vec<(String, bool)>) {
    let encryption = peer.client.encryption();
    let identity = encryption
        .request_user_identity(&bot.user)
        .await
        .unwrap()
        .expect("the bot has a cross-signing identity");
    let master = identity.master_key().get_first_key().expect("a master key").to_base64();
    let devices = encryption.get_user_devices(&bot.user).await.unwrap();
    let mut signed: Vec<(String, bool)> = devices
        .devices()
        .map(|device| (device.device_id().to_string(), device.is_cross_signed_by_owner()))
        .collect();
    signed.sort();
    (master, signed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_client_that_shares_keys_only_with_cross_signed_devices_gets_answers_in_a_room_and_a_dm() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::trusting("strict", Trust::CrossSignedOnly).await;
    let room = attendee.create_room(&[&bot.user], true).await;
    bot.joined(&attendee, &room).await;
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

    let dm = attendee.create_dm(&bot.user).await;
    assert!(dm.latest_encryption_state().await.unwrap().is_encrypted());
    let (asked, _) = attendee.say(&dm, "!next").await;
    let reply = attendee.reply_from(&dm, &bot.user, Some(&asked)).await;
    assert!(
        reply
            .body
            .starts_with("Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates"),
        "{}",
        reply.body
    );

    // One device, signed by the bot's identity; the recovery key written once, privately.
    let (_, devices) = bot_identity(&attendee, &bot).await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert!(devices[0].1, "the bot's device is cross-signed: {devices:?}");
    let key_file = bot.state_dir().join("recovery-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!std::fs::read_to_string(&key_file).unwrap().trim().is_empty());
    assert_eq!(bot.log().matches("wrote the bot's recovery key").count(), 1);
    // Key backup is on from then: the SDK no longer warns on every sync that it has no key.
    let log = bot.log();
    let (_, after) = log.split_once("wrote the bot's recovery key").unwrap();
    assert!(!after.contains("no backup key was found"), "key backup is on:\n{log}");
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_new_machine_with_the_recovery_key_is_the_same_cross_signed_identity() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::trusting("strict", Trust::CrossSignedOnly).await;
    let room = attendee.create_room(&[&bot.user], true).await;
    bot.joined(&attendee, &room).await;
    let (first_ping, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&first_ping)).await;
    assert_eq!(bot.stop(), Some(0));
    let (master, first_devices) = bot_identity(&attendee, &bot).await;
    let state = bot.state_dir();
    let key = std::fs::read_to_string(state.join("recovery-key")).unwrap();
    let old_session = std::fs::read_to_string(state.join("session.json")).unwrap();

    // A new machine: nothing of the old state directory.
    std::fs::remove_dir_all(&state).unwrap();
    // Without the key the bot refuses to make a second identity.
    bot.start(TEN_PAST_NINE);
    assert_eq!(bot.wait_exit(WAIT), Some(1), "{}", bot.log());
    assert!(
        bot.log()
            .contains("already has a cross-signing identity, and this device"),
        "{}",
        bot.log()
    );
    // Given the key, the same state directory carries on: the device the refused start
    // made is signed, and no second one is made.
    bot.env
        .push(("CONFBOT_RECOVERY_KEY".to_string(), key.trim().to_string()));
    bot.start(TEN_PAST_NINE);
    // The same room, the same identity, a new device signed by it.
    let deadline = Instant::now() + WAIT;
    let reply = loop {
        let (asked, _) = attendee.say(&room, "!ping").await;
        if let Some(reply) = attendee
            .reply_within(&room, &bot.user, Some(&asked), Instant::now() + Duration::from_secs(5))
            .await
        {
            break reply;
        }
        assert!(Instant::now() < deadline, "no answer after the restore:\n{}", bot.log());
    };
    assert_eq!(reply.body, "pong");
    let (master_after, devices) = bot_identity(&attendee, &bot).await;
    assert_eq!(master_after, master, "the same identity");
    let new: Vec<_> = devices.iter().filter(|d| !first_devices.contains(d)).collect();
    assert_eq!(new.len(), 1, "one new device: {devices:?}");
    assert!(new[0].1, "signed by the identity: {devices:?}");
    assert!(
        bot.log().contains("restored the bot's cross-signing identity"),
        "{}",
        bot.log()
    );
    assert_eq!(bot.stop(), Some(0));
    // The command the old machine answered is not answered again by the new one.
    let again: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.in_reply_to.as_ref() == Some(&first_ping))
        .collect();
    assert!(again.is_empty(), "answered twice: {again:?}");

    // A saved login without its own keys is refused, saying what to do.
    std::fs::write(state.join("session.json"), &old_session).unwrap();
    bot.start(TEN_PAST_NINE);
    assert_eq!(bot.wait_exit(WAIT), Some(1), "{}", bot.log());
    assert!(bot.log().contains("belongs to device"), "{}", bot.log());
    std::fs::remove_dir_all(state.join("matrix")).unwrap();
    bot.start(TEN_PAST_NINE);
    assert_eq!(bot.wait_exit(WAIT), Some(1), "{}", bot.log());
    assert!(
        bot.log().contains("is there but the device's crypto store"),
        "{}",
        bot.log()
    );
}
