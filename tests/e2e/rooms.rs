//! The bot's rooms: a direct message goes only to a direct room, and being put out of a
//! room it serves is reported to the moderators once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_two_member_moderators_room_gets_no_direct_messages_and_a_kick_or_ban_is_reported_once() {
    let metrics = support::free_port();
    let organizer = Peer::new("organizer").await;
    organizer.accept_invites();
    let bot_user = support::register_user("confbot").await;
    let (mods, main, other) = (
        support::unique("mods"),
        support::unique("main"),
        support::unique("other"),
    );
    // The moderators room has two members: the organizer and the bot.
    let mods_room = organizer.create_room_with_alias(&[&bot_user], false, Some(&mods)).await;
    let main_room = organizer.create_room_with_alias(&[&bot_user], false, Some(&main)).await;
    let other_room = organizer
        .create_room_with_alias(&[&bot_user], false, Some(&other))
        .await;
    let tail = format!(
        "organizers = [\"{}\"]\n[reminders]\nlead = [\"10m\"]\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n\
         [rooms]\nmoderators = \"#{mods}:localhost\"\n[rooms.map]\n\"Pagoda room\" = \"#{main}:localhost\"\n\"Jupiter room\" = \"#{other}:localhost\"\n",
        organizer.user
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    // Ten seconds before the reminders for the 14:40 sessions.
    bot.start("2023-02-03T14:29:50");
    bot.joined(&organizer, &mods_room).await;
    bot.joined(&organizer, &main_room).await;
    bot.joined(&organizer, &other_room).await;

    // Asked for in the moderators room, the personal reminder comes in a direct room.
    let (asked, _) = organizer.say(&mods_room, "!remind rocky").await;
    let reply = organizer.reply_from(&mods_room, &bot.user, Some(&asked)).await;
    assert!(
        reply
            .body
            .starts_with("I will send you a direct message at Friday 3 February 2023 at 14:30 CET"),
        "{}",
        reply.body
    );
    let reminder = loop {
        let received = organizer.reply_from_anywhere(&bot.user).await;
        if received.body.starts_with("Your reminder:") {
            break received;
        }
    };
    assert_ne!(
        reminder.room,
        mods_room.room_id(),
        "a personal reminder in the moderators room"
    );
    let dm = organizer
        .client
        .get_room(&reminder.room)
        .expect("the organizer is in the direct room");
    assert!(dm.is_direct().await.unwrap(), "the bot opened a direct room");
    organizer.drain().await;

    // Kicked from one room it serves and banned from another: the moderators hear of each once.
    main_room.kick_user(&bot.user, Some("wrong room")).await.unwrap();
    let told = organizer.reply_from(&mods_room, &bot.user, None).await;
    assert_eq!(
        told.body,
        format!(
            "{} removed me from #{main}:localhost (reason: wrong room): I can no longer post there. Invite me back to carry on.",
            organizer.user
        )
    );
    assert_eq!(told.mentions, Some((false, 0)));
    other_room.ban_user(&bot.user, None).await.unwrap();
    let told = organizer.reply_from(&mods_room, &bot.user, None).await;
    assert_eq!(
        told.body,
        format!(
            "{} banned me from #{other}:localhost: I can no longer post there. Unban me and invite me back to carry on.",
            organizer.user
        )
    );
    let log = || bot.log();
    let (_, text) = support::http_until(
        metrics,
        "/metrics",
        "the ban is counted",
        |_, body| body.contains("confbot_removed_from_rooms_total{how=\"banned\"} 1\n"),
        log,
    )
    .await;
    assert!(
        text.contains("confbot_removed_from_rooms_total{how=\"kicked\"} 1\n"),
        "{text}"
    );
    assert_eq!(bot.stop(), Some(0));
    let again: Vec<_> = organizer
        .drain()
        .await
        .into_iter()
        .filter(|r| r.room == mods_room.room_id() && r.sender == bot.user)
        .collect();
    assert!(again.is_empty(), "told more than once: {again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_moderators_room_member_who_never_spoke_there_keeps_their_power_with_lazy_loaded_members() {
    let organizer = Peer::new("organizer").await;
    let chair = Peer::new("chair").await;
    let bot_user = support::register_user("confbot").await;
    let main = organizer
        .create_room_with_alias(&[&bot_user, &chair.user], false, Some(&support::unique("main")))
        .await;
    // The chair joins the moderators room, at an organizer's level, before the bot does,
    // and never says a word there: the bot's sync does not send their membership.
    let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
    request.invite = vec![chair.user.clone()];
    let levels = serde_json::json!({ "users": { chair.user.as_str(): 100 } });
    request.power_level_content_override = Some(matrix_sdk::ruma::serde::Raw::from_json(
        serde_json::value::to_raw_value(&levels).unwrap(),
    ));
    let mods = organizer.client.create_room(request).await.expect("create room");
    chair
        .client
        .join_room_by_id(mods.room_id())
        .await
        .expect("the chair joins");
    chair
        .client
        .join_room_by_id(main.room_id())
        .await
        .expect("the chair joins");
    organizer.say(&mods, "Welcome, moderators.").await;
    mods.invite_user_by_id(&bot_user).await.expect("invite the bot");
    let tail = format!(
        "[rooms]\nmoderators = \"{}\"\n[rooms.map]\n\"Pagoda room\" = \"{}\"\n",
        mods.room_id(),
        main.room_id()
    );
    let mut bot = Bot::for_user(bot_user.clone(), "", &tail);
    bot.start("2023-02-03T14:20");
    bot.joined(&organizer, &main).await;
    bot.joined(&organizer, &mods).await;
    let chair_main = chair.client.get_room(main.room_id()).unwrap();
    let (asked, _) = chair.say(&chair_main, "!delay 10m").await;
    let reply = chair.reply_from(&chair_main, &bot_user, Some(&asked)).await;
    assert!(!reply.body.starts_with("Sorry"), "{}\n{}", reply.body, bot.log());
    assert_eq!(bot.stop(), Some(0));
}
