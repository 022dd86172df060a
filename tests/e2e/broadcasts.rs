//! Reactions on the bot's own posts, as attendees' and organizers' clients use them: 🔔 on
//! a reminder card asks for a personal reminder of its session, and an announcement to
//! several rooms goes out only once its organizer reacts ✅ to the preview.

use super::*;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId};
use questions::react;
use std::time::Instant;
use tokio::sync::mpsc;

/// Sends (reacted-to event, key, sender) of every reaction `peer` sees.
fn reactions(peer: &Peer) -> mpsc::UnboundedReceiver<(OwnedEventId, String, OwnedUserId)> {
    let (sent, seen) = mpsc::unbounded_channel();
    peer.client.add_event_handler(move |event: OriginalSyncReactionEvent| {
        let sent = sent.clone();
        async move {
            let relates = &event.content.relates_to;
            let _ = sent.send((relates.event_id.clone(), relates.key.clone(), event.sender.clone()));
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_bell_on_a_reminder_card_subscribes_with_a_direct_message_the_first_time_and_a_check_mark_later() {
    let organizer = Peer::new("organizer").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let mut seen = reactions(&attendee);
    let alias = support::unique("bells");
    let tail = format!(
        "[reminders]\nlead = [\"10m\", \"0m\"]\n[rooms]\nannouncements = [\"#{alias}:localhost\"]\ntopics = false\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    let room = organizer
        .create_room_with_alias(&[&bot.user, &attendee.user], false, Some(&alias))
        .await;
    attendee.client.join_room_by_id(room.room_id()).await.unwrap();
    // 08:48 at 60×: the 08:50 card of the 09:00 talk comes in 2 s, the 09:15 card of the
    // 09:25 talk 25 s later.
    bot.start_at_speed("2023-02-03T08:48:00", 60.0);
    bot.joined(&organizer, &room).await;
    let main = attendee.client.get_room(room.room_id()).unwrap();
    let card = |title: &'static str| {
        let (room, bot) = (room.room_id().to_owned(), bot.user.clone());
        move |m: &support::Received| {
            m.room == room && m.sender == bot && m.body.contains("In 10 minutes: ") && m.body.contains(title)
        }
    };
    let direct = |m: &support::Received| m.sender == bot.user && m.room != room.room_id();
    let reminder = |title: &'static str| {
        move |m: &support::Received| direct(m) && m.body.starts_with("Your reminder: ") && m.body.contains(title)
    };
    let first = attendee
        .message_within(Instant::now() + support::WAIT, card("CentOS Stream"))
        .await
        .unwrap_or_else(|| panic!("no card for the 09:00 talk:\n{}", bot.log()));

    // The first 🔔: a direct message says what it did; the reminder itself follows at
    // once, the talk being 10 minutes away.
    react(&attendee, &main, &first.event_id, "🔔").await;
    let told = attendee
        .message_within(Instant::now() + support::WAIT, |m| {
            direct(m) && m.body.starts_with("You reacted 🔔")
        })
        .await
        .unwrap_or_else(|| panic!("no direct message after the first bell:\n{}", bot.log()));
    assert!(
        told.body
            .starts_with("You reacted 🔔 to a reminder card. I will send you a direct message at "),
        "{}",
        told.body
    );
    assert!(
        told.body.contains("CentOS Stream: RHEL development in public"),
        "{}",
        told.body
    );
    assert_eq!(told.mentions, Some((false, 0)));
    attendee
        .message_within(Instant::now() + support::WAIT, reminder("CentOS Stream"))
        .await
        .unwrap_or_else(|| panic!("no reminder of the 09:00 talk:\n{}", bot.log()));

    // A later 🔔 on the next card: acknowledged with ✅ on the card, no second explanation.
    let second = attendee
        .message_within(Instant::now() + Duration::from_secs(40), card("AlmaLinux"))
        .await
        .unwrap_or_else(|| panic!("no card for the 09:25 talk:\n{}", bot.log()));
    react(&attendee, &main, &second.event_id, "🔔").await;
    let deadline = Instant::now() + support::WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (event, key, sender) = tokio::time::timeout(left, seen.recv())
            .await
            .unwrap_or_else(|_| panic!("no ✅ on the card:\n{}", bot.log()))
            .unwrap();
        if sender == bot.user {
            assert_eq!((event, key.as_str()), (second.event_id.clone(), "✅"));
            break;
        }
    }
    attendee
        .message_within(Instant::now() + support::WAIT, reminder("AlmaLinux"))
        .await
        .unwrap_or_else(|| panic!("no reminder of the 09:25 talk:\n{}", bot.log()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let explained: Vec<_> = (attendee.drain().await.into_iter())
        .filter(|m| direct(m) && m.body.starts_with("You reacted 🔔"))
        .collect();
    assert!(explained.is_empty(), "explained twice: {explained:?}");
    assert_eq!(bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_an_announcement_to_two_rooms_waits_for_the_organizers_check_mark_then_reaches_both_once() {
    let organizer = Peer::new("organizer").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let names = ["hall-a", "hall-b"].map(support::unique);
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms]\nannouncements = [\"#{}:localhost\", \"#{}:localhost\"]\ntopics = false\n",
        organizer.user, names[0], names[1]
    );
    let mut bot = Bot::register_with("", &tail).await;
    let mut rooms = Vec::new();
    for name in &names {
        let room = organizer
            .create_room_with_alias(&[&bot.user, &attendee.user], false, Some(name))
            .await;
        attendee.client.join_room_by_id(room.room_id()).await.unwrap();
        rooms.push(room);
    }
    bot.start("2023-02-03T12:00");
    for room in &rooms {
        bot.joined(&organizer, room).await;
    }
    let (asked, _) = organizer
        .say(&rooms[0], "!announce to all Doors close in 10 minutes")
        .await;
    let preview = organizer.reply_from(&rooms[0], &bot.user, Some(&asked)).await;
    assert!(
        preview
            .body
            .starts_with("This announcement goes to 2 rooms as soon as you confirm: "),
        "{}",
        preview.body
    );
    assert!(
        preview
            .body
            .ends_with("nothing goes out otherwise.\n> Doors close in 10 minutes"),
        "{}",
        preview.body
    );
    assert_eq!(preview.mentions, Some((false, 0)));
    let announced = |m: &support::Received| m.sender == bot.user && m.body == "Doors close in 10 minutes";

    // The attendee's ✅ is not the organizer's: nothing goes out.
    react(&attendee, &rooms[0], &preview.event_id, "✅").await;
    let early = attendee
        .message_within(Instant::now() + Duration::from_secs(3), announced)
        .await;
    assert!(early.is_none(), "sent without the organizer: {early:?}");

    // The organizer's ✅: both rooms get it, once, and the preview says so.
    let confirmed_at = Instant::now();
    react(&organizer, &rooms[0], &preview.event_id, "✅").await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let post = attendee
            .message_within(Instant::now() + support::WAIT, announced)
            .await
            .unwrap_or_else(|| panic!("the announcement reached {} rooms:\n{}", got.len(), bot.log()));
        assert!(post.at >= confirmed_at);
        assert_eq!(post.mentions, Some((false, 0)));
        got.push(post.room);
    }
    got.sort();
    let mut expected: Vec<_> = rooms.iter().map(|r| r.room_id().to_owned()).collect();
    expected.sort();
    assert_eq!(got, expected);
    let edited = organizer
        .message_within(Instant::now() + support::WAIT, |m| {
            m.replaces.as_ref() == Some(&preview.event_id)
        })
        .await
        .unwrap_or_else(|| panic!("the preview was not edited:\n{}", bot.log()));
    assert!(
        edited.body.contains("Confirmed: announcement 1 goes to 2 rooms now."),
        "{}",
        edited.body
    );

    // `!confirm` now has nothing to send; a second ✅ sends nothing either.
    react(&organizer, &rooms[0], &preview.event_id, "✔️").await;
    let (asked, _) = organizer.say(&rooms[0], "!confirm").await;
    let reply = organizer.reply_from(&rooms[0], &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "No announcement of yours is waiting to be confirmed.");

    // A second broadcast, confirmed with `!confirm` from the other room.
    let (asked, _) = organizer.say(&rooms[0], "!announce to all Lunch is served").await;
    organizer.reply_from(&rooms[0], &bot.user, Some(&asked)).await;
    let (asked, _) = organizer.say(&rooms[1], "!confirm").await;
    let reply = organizer.reply_from(&rooms[1], &bot.user, Some(&asked)).await;
    assert!(
        reply.body.starts_with("Confirmed: announcement 2 goes to 2 rooms now."),
        "{}",
        reply.body
    );
    let lunch = |m: &support::Received| m.sender == bot.user && m.body == "Lunch is served";
    for _ in 0..2 {
        attendee
            .message_within(Instant::now() + support::WAIT, lunch)
            .await
            .unwrap_or_else(|| panic!("lunch did not reach both rooms:\n{}", bot.log()));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again: Vec<_> = (attendee.drain().await.into_iter())
        .filter(|m| announced(m) || lunch(m))
        .collect();
    assert!(again.is_empty(), "sent twice: {again:?}");
    assert_eq!(bot.stop(), Some(0));
}
