//! Word to those who asked: an attendee holding a personal reminder hears, in a direct
//! message and once, that their session moved or was cancelled; a schedule file that
//! leaves a session out for one read cancels nothing, and two reads in a row do.

use super::*;
use std::path::Path;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_reminder_holder_hears_of_a_move_and_a_cancellation_once_and_one_read_without_a_session_cancels_nothing()
{
    let organizer = Peer::new("organizer").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let alias = support::unique("open");
    let tail = format!(
        "organizers = [\"{}\"]\n[rooms]\nannouncements = [\"#{alias}:localhost\"]\ntopics = false\n",
        organizer.user
    );
    let mut bot = Bot::register_with("", &tail).await;
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml")).unwrap();
    let copy = bot.state_dir().with_file_name("schedule.toml");
    std::fs::write(&copy, &original).unwrap();
    bot.use_schedule(&copy);
    let room = organizer
        .create_room_with_alias(&[&bot.user, &attendee.user], false, Some(&alias))
        .await;
    attendee.client.join_room_by_id(room.room_id()).await.unwrap();
    bot.start("2023-02-03T09:00");
    organizer.wait_for_join(&room, &bot.user).await;
    let main = attendee.client.get_room(room.room_id()).unwrap();

    let (asked, _) = attendee.say(&main, "!remind ebranch").await;
    let reply = attendee.reply_from(&main, &bot.user, Some(&asked)).await;
    assert!(reply.body.contains("One year on"), "{}", reply.body);
    let direct = |m: &support::Received| m.sender == bot.user && m.room != room.room_id();

    // !delay 10m at 09:00 moves every later session: the holder is told, once.
    let (asked, _) = organizer.say(&room, "!delay 10m").await;
    organizer.reply_from(&room, &bot.user, Some(&asked)).await;
    let told = attendee
        .message_within(Instant::now() + support::WAIT, direct)
        .await
        .unwrap_or_else(|| panic!("no direct message about the move:\n{}", bot.log()));
    assert_eq!(
        told.body,
        "A session you asked me to remind you of moved: One year on: Experiences using ebranch to bring over \
         Fedora packages to EPEL is now 10:00–10:25 CET (was 09:50–10:15 CET), Pagoda room. Your reminder moves with it."
    );
    assert_eq!(told.mentions, Some((false, 0)));
    let (asked, _) = attendee.say(&main, "!reminders").await;
    let mine = attendee.reply_from(&main, &bot.user, Some(&asked)).await;
    assert!(
        mine.body.contains("10:00"),
        "the reminder follows the session: {}",
        mine.body
    );

    // A half-written file without the session, read once, then whole again: nothing cancelled.
    let start = original.find("[[sessions]]\nid = \"ebranch\"").unwrap();
    let end = start + 1 + original[start + 1..].find("[[sessions]]").unwrap();
    let without = format!("{}{}", &original[..start], &original[end..]);
    std::fs::write(&copy, &without).unwrap();
    let deadline = Instant::now() + support::WAIT;
    while !bot.log().contains("left out of the schedule once") {
        assert!(Instant::now() < deadline, "the file was not read:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::write(&copy, &original).unwrap();
    let cancelled = |m: &support::Received| m.sender == bot.user && m.body.contains("cancelled");
    let early = organizer
        .message_within(Instant::now() + Duration::from_secs(8), cancelled)
        .await;
    assert!(early.is_none(), "cancelled after one read: {early:?}");
    assert!(attendee.message_within(Instant::now(), direct).await.is_none());

    // Left out for good: cancelled once the second read agrees, and the holder told once.
    std::fs::write(&copy, &without).unwrap();
    let update = organizer
        .message_within(Instant::now() + support::WAIT, cancelled)
        .await
        .unwrap_or_else(|| panic!("no cancellation:\n{}", bot.log()));
    assert!(update.body.contains("cancelled: One year on"), "{}", update.body);
    let told = attendee
        .message_within(Instant::now() + support::WAIT, direct)
        .await
        .expect("a direct message about the cancellation");
    assert!(told.body.ends_with("was cancelled: One year on: Experiences using ebranch to bring over Fedora packages to EPEL (10:00–10:25 CET). I dropped your reminder."), "{}", told.body);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let again: Vec<_> = attendee.drain().await.into_iter().filter(|m| direct(m)).collect();
    assert!(again.is_empty(), "told twice: {again:?}");
    assert_eq!(bot.stop(), Some(0));
}
