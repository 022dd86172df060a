//! The speakers' side of a two-track day at 60×, as the organizer's, the speakers' and the
//! moderators' clients see it: invitations to the backstage, the check-in word to the
//! moderators, cues that mention the speakers, `!noshow`, and the start-of-session
//! reminder that pings its own room (and only that room).

use super::*;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::OwnedRoomId;
use std::path::Path;
use std::time::Instant;
use tokio::sync::mpsc;

/// Sends each room `peer` is invited to, with the instant the invitation arrived.
fn invitations(peer: &Peer) -> mpsc::UnboundedReceiver<(OwnedRoomId, Instant)> {
    let (sent, invited) = mpsc::unbounded_channel();
    let own = peer.user.clone();
    peer.client
        .add_event_handler(move |event: StrippedRoomMemberEvent, room: matrix_sdk::Room| {
            let (own, sent) = (own.clone(), sent.clone());
            async move {
                if event.state_key == own {
                    let _ = sent.send((room.room_id().to_owned(), Instant::now()));
                }
            }
        });
    invited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_speakers_are_invited_checked_in_and_cued_on_time_a_noshow_silences_and_the_start_pings_its_room() {
    let organizer = Peer::new("organizer").await;
    let (ana, bo) = (Peer::new("ana").await, Peer::new("bo").await);
    let mut ana_invited = invitations(&ana);
    let mut bo_invited = invitations(&bo);
    let bot_user = support::register_user("confbot").await;
    let names = ["announce", "kernel", "kmods", "kback", "web", "wback"].map(support::unique);
    let mut rooms = Vec::new();
    for name in &names {
        // The bot may invite and ping the room (power level 50) wherever it works.
        rooms.push(
            organizer
                .create_room_with_power(&[&bot_user], name, &[(&bot_user, 50)])
                .await,
        );
    }
    let [announce, kernel, kmods, kback, web, wback] = rooms.try_into().ok().unwrap();
    let alias = |i: usize| format!("#{}:localhost", names[i]);
    let tail = format!(
        "organizers = [\"{org}\"]\n[reminders]\nnotify = {{ \"0m\" = \"room\" }}\n\
         [rooms]\nannouncements = [\"{}\"]\nmoderators = \"{}\"\ntopics = false\n[rooms.map]\n\
         \"Kernel\" = {{ room = \"{}\", backstage = \"{}\" }}\n\"Web\" = {{ room = \"{}\", backstage = \"{}\" }}\n\
         [speakers]\ninvite_before = \"20m\"\n[speakers.matrix]\n\"Bo Nilsson\" = \"{bo}\"\n",
        alias(0),
        alias(2),
        alias(1),
        alias(3),
        alias(4),
        alias(5),
        org = organizer.user,
        bo = bo.user,
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    // Ana's Matrix ID is in the schedule; Bo's comes from [speakers.matrix]; the web
    // track's speakers have none.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml");
    let text = std::fs::read_to_string(&fixture).unwrap().replace(
        "name = \"Ana Lima\"",
        &format!("name = \"Ana Lima\"\nmatrix = \"{}\"", ana.user),
    );
    let schedule = bot.state_dir().with_file_name("two-tracks.toml");
    std::fs::write(&schedule, text).unwrap();
    bot.use_schedule(&schedule);

    let speed = 60.0;
    let started = Instant::now();
    let due = |minutes_after_0835: f64| started + Duration::from_secs_f64(minutes_after_0835 * 60.0 / speed);
    let on_time = |what: &str, at: Instant, minutes: f64| {
        let late = at.duration_since(started).as_secs_f64() - due(minutes).duration_since(started).as_secs_f64();
        assert!((-0.5..1.0).contains(&late), "{what} came {late:.3} s from its instant");
    };
    bot.start_at_speed("2023-02-03T08:35:00", speed);
    for room in [&announce, &kernel, &kmods, &kback, &web, &wback] {
        bot.joined(&organizer, room).await;
    }
    let from_bot = |room: &matrix_sdk::Room, starts: &'static str| {
        let (room, bot) = (room.room_id().to_owned(), bot.user.clone());
        move |m: &support::Received| m.room == room && m.sender == bot && m.body.starts_with(starts)
    };
    let deadline = |minutes: f64| due(minutes) + support::WAIT;

    // 08:40: Ana is invited to the kernel backstage, 20 minutes before her session.
    let (room, at) = tokio::time::timeout(support::WAIT + Duration::from_secs(6), ana_invited.recv())
        .await
        .expect("Ana's invitation")
        .unwrap();
    assert_eq!(room, kback.room_id());
    on_time("Ana's invitation", at, 5.0);

    // 08:45: she has not said a word there, so the moderators hear of it, once.
    let word = organizer
        .message_within(deadline(10.0), from_bot(&kmods, "Not checked in yet"))
        .await
        .unwrap_or_else(|| panic!("no check-in word:\n{}", bot.log()));
    assert_eq!(
        word.body,
        format!(
            "Not checked in yet: Ana Lima ({}) for The kernel for the curious at 09:00 CET in Hall A. \
             If they will not come, !noshow kernel-intro silences the cues.",
            ana.user
        )
    );
    assert_eq!(word.mentions, Some((false, 0)), "the word pings nobody");
    on_time("the check-in word", word.at, 10.0);
    ana.client
        .join_room_by_id(kback.room_id())
        .await
        .expect("Ana joins the backstage");

    // 08:55: the cue mentions Ana (a pill); the web track's speaker is named, not pinged.
    let cue = ana
        .message_within(deadline(20.0), from_bot(&kback, "Ana Lima: you're on in 5 minutes"))
        .await
        .unwrap_or_else(|| panic!("no cue for Ana:\n{}", bot.log()));
    assert_eq!(
        cue.body,
        "Ana Lima: you're on in 5 minutes: The kernel for the curious, 09:00–09:45 CET."
    );
    assert_eq!(cue.mentions, Some((false, 1)));
    assert!(
        cue.html
            .as_deref()
            .unwrap_or("")
            .contains(&format!("https://matrix.to/#/{}", ana.user)),
        "{:?}",
        cue.html
    );
    on_time("Ana's cue", cue.at, 20.0);
    let chen = organizer
        .message_within(deadline(20.0), from_bot(&wback, "Chen Wei: you're on in 5 minutes"))
        .await
        .expect("the web track's cue");
    assert_eq!(chen.mentions, Some((false, 0)));

    // 09:00: the start-of-session reminder pings the kernel room, not the announcements room.
    let pinged = organizer
        .message_within(deadline(25.0), from_bot(&kernel, "@room "))
        .await
        .unwrap_or_else(|| panic!("no @room reminder in the kernel room:\n{}", bot.log()));
    assert_eq!(pinged.mentions, Some((true, 0)), "{}", pinged.body);
    assert!(pinged.body.contains("The kernel for the curious"), "{}", pinged.body);
    on_time("the @room reminder", pinged.at, 25.0);

    // Dara will not come: the organizer silences the 10:00 web session.
    let (asked, _) = organizer.say(&kmods, "!noshow web-cache").await;
    let reply = organizer.reply_from(&kmods, &bot.user, Some(&asked)).await;
    assert_eq!(
        reply.body,
        "No cues or check-in for Caching the right things (10:00 CET): its speakers will not come."
    );

    // 09:40: Bo is invited, joins and says hello: his 09:45 check-in says nothing.
    let (room, at) = tokio::time::timeout(Duration::from_secs(60), bo_invited.recv())
        .await
        .expect("Bo's invitation")
        .unwrap();
    assert_eq!(room, kback.room_id());
    on_time("Bo's invitation", at, 65.0);
    let joined = bo.client.join_room_by_id(kback.room_id()).await.expect("Bo joins");
    bo.say(&joined, "Bo here, ready when you are").await;
    let bo_cue = bo
        .message_within(deadline(80.0), from_bot(&kback, "Bo Nilsson: you're on in 5 minutes"))
        .await
        .unwrap_or_else(|| panic!("no cue for Bo:\n{}", bot.log()));
    assert_eq!(bo_cue.mentions, Some((false, 1)));
    on_time("Bo's cue", bo_cue.at, 80.0);
    tokio::time::sleep_until(tokio::time::Instant::from_std(due(83.0))).await;

    // Everything the bot said in the backstages and to the moderators, once each.
    let mut said: Vec<(OwnedRoomId, String)> = organizer
        .drain()
        .await
        .into_iter()
        .chain([word, chen, pinged])
        .filter(|m| m.sender == bot.user && m.replaces.is_none() && !support::is_board(&m.body))
        .filter(|m| [kmods.room_id(), kback.room_id(), wback.room_id()].contains(&m.room.as_ref()))
        .map(|m| (m.room, m.body))
        .collect();
    said.sort();
    let mut expected: Vec<(OwnedRoomId, String)> = [
        (
            &kback,
            "Ana Lima: you're on in 5 minutes: The kernel for the curious, 09:00–09:45 CET.",
        ),
        (
            &kback,
            "Ana Lima: 5 minutes left in The kernel for the curious (until 09:45 CET).",
        ),
        (&kback, "Ana Lima: Q&A: 1 minute left in The kernel for the curious."),
        (
            &kback,
            "Bo Nilsson: you're on in 5 minutes: How the scheduler picks, 10:00–10:45 CET.",
        ),
        (
            &wback,
            "Chen Wei: you're on in 5 minutes: Web servers without tears, 09:00–09:45 CET.",
        ),
        (
            &wback,
            "Chen Wei: 5 minutes left in Web servers without tears (until 09:45 CET).",
        ),
        (&wback, "Chen Wei: Q&A: 1 minute left in Web servers without tears."),
    ]
    .into_iter()
    .map(|(room, body)| (room.room_id().to_owned(), body.to_string()))
    .chain([(kmods.room_id().to_owned(), word_text(&ana))])
    .collect();
    expected.sort();
    assert_eq!(said, expected, "{}", bot.log());
    assert_eq!(bot.stop(), Some(0));
}

/// The check-in word about Ana, as the moderators get it.
fn word_text(ana: &Peer) -> String {
    format!(
        "Not checked in yet: Ana Lima ({}) for The kernel for the curious at 09:00 CET in Hall A. \
         If they will not come, !noshow kernel-intro silences the cues.",
        ana.user
    )
}
