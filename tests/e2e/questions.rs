//! Questions from attendees through moderators to speakers, in bursts and from hostile
//! senders.

use super::*;

/// A moderator's three rooms for the question flow, with the bot and the given people invited.
pub(super) struct QuestionRooms {
    pub(super) main: matrix_sdk::Room,
    pub(super) mods: matrix_sdk::Room,
    pub(super) speakers: matrix_sdk::Room,
    pub(super) tail: String,
}

pub(super) async fn question_rooms(
    moderator: &Peer,
    bot: &matrix_sdk::ruma::UserId,
    attendees: &[&Peer],
    speaker: &Peer,
    extra: &str,
) -> QuestionRooms {
    let (main, mods, speakers) = (
        support::unique("main"),
        support::unique("mods"),
        support::unique("speakers"),
    );
    let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![bot];
    guests.extend(attendees.iter().map(|a| &*a.user));
    let main_room = moderator.create_room_with_alias(&guests, false, Some(&main)).await;
    let mods_room = moderator.create_room_with_alias(&[bot], false, Some(&mods)).await;
    let speakers_room = moderator
        .create_room_with_alias(&[bot, &speaker.user], false, Some(&speakers))
        .await;
    for attendee in attendees {
        attendee
            .client
            .join_room_by_id(main_room.room_id())
            .await
            .expect("attendee joins");
    }
    speaker
        .client
        .join_room_by_id(speakers_room.room_id())
        .await
        .expect("speaker joins");
    let tail = format!(
        "moderators = [\"{}\"]\n[questions]\n{extra}\n[rooms]\nmoderators = \"#{mods}:localhost\"\nspeakers = \"#{speakers}:localhost\"\n[rooms.map]\n\"Pagoda room\" = \"#{main}:localhost\"\n",
        moderator.user
    );
    QuestionRooms {
        main: main_room,
        mods: mods_room,
        speakers: speakers_room,
        tail,
    }
}

/// Reacts with `key` to `event`; the reaction's event id.
pub(super) async fn react(
    peer: &Peer,
    room: &matrix_sdk::Room,
    event: &matrix_sdk::ruma::OwnedEventId,
    key: &str,
) -> matrix_sdk::ruma::OwnedEventId {
    use matrix_sdk::ruma::events::reaction::ReactionEventContent;
    use matrix_sdk::ruma::events::relation::Annotation;
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    room.send(ReactionEventContent::new(Annotation::new(
        event.clone(),
        key.to_string(),
    )))
    .await
    .expect("reaction sent")
    .response
    .event_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_question_travels_from_attendee_to_moderators_to_speakers() {
    use chrono::{NaiveTime, TimeDelta};
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    attendee.accept_invites();
    let other = Peer::new("other").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = question_rooms(
        &moderator,
        &bot_user,
        &[&attendee, &other],
        &speaker,
        "notify_asker = true",
    )
    .await;
    // The other attendee is in the moderators room too, without a moderator's power.
    rooms.mods.invite_user_by_id(&other.user).await.unwrap();
    other.client.join_room_by_id(rooms.mods.room_id()).await.unwrap();
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);

    // 14:38 at 6×: Network management runs in the Pagoda room until 14:40, 20 real seconds away.
    let speed = 6.0;
    let origin = NaiveTime::from_hms_opt(14, 38, 0).unwrap();
    let started = std::time::Instant::now();
    bot.start_at_speed("2023-02-03T14:38:00", speed);
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let main = attendee.client.get_room(rooms.main.room_id()).unwrap();
    let question = "How does NetworkManager handle @room <b>bonds</b> and *teams*?";
    let (asked, _) = attendee.say(&main, &format!("!ask {question}")).await;
    let receipt = attendee.reply_from(&main, &bot.user, Some(&asked)).await;
    assert_eq!(
        receipt.body,
        "Question Q1 for 'Network management in Enterprise Linux: present and future' sent to the moderators.\nOthers can support it: react 👍 to this message or send !upvote Q1."
    );
    assert_eq!(receipt.mentions, Some((false, 0)));

    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    let lines: Vec<&str> = relayed.body.lines().collect();
    assert_eq!(
        lines[0],
        "Q1 for 'Network management in Enterprise Linux: present and future' (Pagoda room, 14:15–14:40 CET)"
    );
    assert!(
        lines[1].starts_with(&format!("From {} ({})", attendee.user.localpart(), attendee.user)),
        "{}",
        relayed.body
    );
    assert_eq!(lines[2], question, "shown as typed");
    assert_eq!(relayed.mentions, Some((false, 0)), "@room pings nobody");
    let html = relayed.html.clone().unwrap();
    assert!(
        html.contains("&lt;b&gt;bonds&lt;/b&gt;") && !html.contains("<b>bonds"),
        "{html}"
    );

    // A question over the limit is refused with the limit named; a repeat gets its number.
    let long = "x".repeat(1001);
    let (asked, _) = attendee.say(&main, &format!("!ask {long}")).await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        "Your question is 1001 characters long; the limit is 1000. Please shorten it and ask again."
    );
    let (asked, _) = attendee.say(&main, &format!("!ask {}", question.to_uppercase())).await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        "You have already asked this question: it is Q1."
    );

    // 👍 on the receipt is a vote; a non-moderator's ✅ and !approve change nothing.
    react(&other, &rooms.main, &receipt.event_id, "👍").await;
    react(&other, &rooms.mods, &relayed.event_id, "✅").await;
    let other_main = other.client.get_room(rooms.main.room_id()).unwrap();
    let (asked, _) = other.say(&other_main, "!approve Q1").await;
    assert_eq!(
        other.reply_from(&other_main, &bot.user, Some(&asked)).await.body,
        "Sorry, !approve is for moderators. Send !help for what you can use."
    );
    let (asked, _) = other.say(&other_main, "!upvote Q1").await;
    assert_eq!(
        other.reply_from(&other_main, &bot.user, Some(&asked)).await.body,
        "You have already voted for Q1.",
        "the 👍 counted"
    );

    // A restart between ask and approve loses nothing.
    assert_eq!(bot.stop(), Some(0));
    let at = origin + TimeDelta::milliseconds((started.elapsed().as_secs_f64() * speed * 1000.0) as i64);
    bot.start_at_speed(&format!("2023-02-03T{}", at.format("%H:%M:%S")), speed);
    let (asked, _) = moderator.say(&rooms.mods, "!questions").await;
    let listed = moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body;
    assert!(listed.contains("Q1 · 1 vote · pending · "), "{listed}\n{}", bot.log());

    react(&moderator, &rooms.mods, &relayed.event_id, "✅").await;
    let passed = tokio::time::timeout(
        Duration::from_secs(25),
        for_speaker(&speaker, &rooms.speakers, &bot.user),
    )
    .await
    .unwrap_or_else(|_| panic!("no passed post in time:\n{}", bot.log()));
    assert!(
        passed
            .body
            .starts_with("Q1 for 'Network management in Enterprise Linux: present and future' (Pagoda room)"),
        "{}",
        passed.body
    );
    assert!(passed.body.contains(question), "{}", passed.body);
    assert_eq!(passed.mentions, Some((false, 0)));
    // The ✅ is acknowledged by an edit of the relay post, not by a new notice.
    let edited = tokio::time::timeout(
        Duration::from_secs(25),
        moderator.reply_from(&rooms.mods, &bot.user, None),
    )
    .await
    .unwrap_or_else(|_| panic!("no edit of the relay post in time:\n{}", bot.log()));
    assert!(edited.body.starts_with("* Q1 for "), "{}", edited.body);
    let status = edited.body.lines().last().unwrap_or_default();
    assert!(
        status.starts_with(&format!("✅ passed on by {} at ", moderator.user)),
        "{}",
        edited.body
    );
    assert_eq!(edited.mentions, Some((false, 0)));
    let told = loop {
        let received = attendee.reply_from_anywhere(&bot.user).await;
        if received.room != rooms.main.room_id() {
            break received;
        }
    };
    assert!(told.body.contains("Q1"), "the asker is told: {}", told.body);

    // At 14:40 the session ends: its approved, unanswered question is listed once for the speaker.
    let leftovers = tokio::time::timeout(
        Duration::from_secs(25),
        for_speaker(&speaker, &rooms.speakers, &bot.user),
    )
    .await
    .unwrap_or_else(|_| panic!("no leftovers post in time:\n{}", bot.log()));
    assert!(
        leftovers
            .body
            .starts_with("'Network management in Enterprise Linux: present and future' (Pagoda room) has ended"),
        "{}",
        leftovers.body
    );
    assert!(leftovers.body.contains("Q1"), "{}", leftovers.body);
    let (asked, _) = moderator.say(&rooms.mods, "!answered Q1").await;
    assert_eq!(
        moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body,
        "Q1 marked answered."
    );
    assert_eq!(bot.stop(), Some(0));
    let again: Vec<_> = speaker
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && !support::is_cue(&r.body))
        .collect();
    assert!(again.is_empty(), "each post in the speakers room came once: {again:?}");
}

/// The next post from `bot` in the speakers room that is not one of the speakers' cues.
async fn for_speaker(speaker: &Peer, room: &matrix_sdk::Room, bot: &matrix_sdk::ruma::UserId) -> support::Received {
    let deadline = std::time::Instant::now() + support::WAIT;
    speaker
        .message_within(deadline, |m| {
            m.room == room.room_id() && m.sender == bot && !support::is_cue(&m.body)
        })
        .await
        .unwrap_or_else(|| panic!("nothing from {bot} in the speakers room within {:?}", support::WAIT))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_burst_of_200_questions_from_20_attendees_reaches_the_moderators_complete_and_in_order() {
    let moderator = Peer::new("moderator").await;
    let speaker = Peer::new("speaker").await;
    let mut attendees = Vec::new();
    for _ in 0..20 {
        attendees.push(Peer::new("attendee").await);
    }
    let bot_user = support::register_user("confbot").await;
    let refs: Vec<&Peer> = attendees.iter().collect();
    let rooms = question_rooms(&moderator, &bot_user, &refs, &speaker, "per_user = \"off\"").await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.start("2023-02-03T14:20");
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let started = std::time::Instant::now();
    let sends = attendees.iter().map(|attendee| {
        let room = attendee.client.get_room(rooms.main.room_id()).unwrap();
        async move {
            for i in 0..10 {
                attendee
                    .say(&room, &format!("!ask Question {i} from {}", attendee.user))
                    .await;
            }
        }
    });
    futures_util::future::join_all(sends).await;
    let mut seen: std::collections::HashMap<String, Vec<u32>> = std::collections::HashMap::new();
    for _ in 0..200 {
        let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
        let line = relayed.body.lines().nth(2).unwrap_or_default().to_string();
        let (i, who) = line
            .strip_prefix("Question ")
            .and_then(|rest| rest.split_once(" from "))
            .unwrap_or_else(|| panic!("not a relayed question: {}", relayed.body));
        seen.entry(who.to_string()).or_default().push(i.parse().unwrap());
    }
    let drained = started.elapsed();
    assert_eq!(seen.len(), 20, "every attendee's questions arrived");
    for (who, order) in &seen {
        assert_eq!(
            order,
            &(0..10).collect::<Vec<u32>>(),
            "{who}'s questions, each once, in order"
        );
    }
    let (asked, _) = moderator.say(&rooms.mods, "!ping").await;
    moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await;
    let extra: Vec<_> = moderator
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user && r.room == rooms.mods.room_id() && r.in_reply_to.is_none())
        .collect();
    assert!(extra.is_empty(), "nothing relayed twice: {extra:?}");
    assert_eq!(bot.stop(), Some(0));
    println!(
        "200 questions from 20 attendees relayed in {:.2} s",
        drained.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_hostile_questions_are_refused_or_shown_as_typed_and_attendees_change_nothing() {
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = question_rooms(&moderator, &bot_user, &[&attendee], &speaker, "").await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    // One attendee tries a score of commands in a row; the flood limit has its own test.
    bot.without_command_limit();
    bot.start("2023-02-03T14:20");
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let main = attendee.client.get_room(rooms.main.room_id()).unwrap();
    let ask = |text: String| {
        let (attendee, main, bot) = (&attendee, &main, &bot.user);
        async move {
            let (asked, _) = attendee.say(main, &format!("!ask {text}")).await;
            attendee.reply_from(main, bot, Some(&asked)).await
        }
    };

    // A right-to-left override cannot turn the bot's own text around: the question is
    // shown as typed, inside an isolate that closes the override.
    let reversing = "Is this \u{202E}reversed?";
    let receipt = ask(reversing.to_string()).await;
    assert!(receipt.body.starts_with("Question Q1 for "), "{}", receipt.body);
    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    let lines: Vec<&str> = relayed.body.lines().collect();
    assert_eq!(lines[2], "\u{2068}Is this \u{202E}reversed?\u{202C}\u{2069}");
    assert_eq!(lines[3], "React ✅ approve · ❌ reject · 💬 answered");
    assert_eq!(relayed.mentions, Some((false, 0)));

    // Zero-width characters and @room arrive as typed; nobody is pinged; HTML stays text.
    let sneaky = "Zero\u{200B}width\u{2060}joiners\u{FEFF} for @room <img src=x onerror=alert(1)>";
    ask(sneaky.to_string()).await;
    let relayed = moderator.reply_from(&rooms.mods, &bot.user, None).await;
    assert_eq!(relayed.body.lines().nth(2), Some(sneaky));
    assert_eq!(relayed.mentions, Some((false, 0)));
    let html = relayed.html.unwrap();
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"),
        "{html}"
    );

    // 70 KB cannot even be sent (the homeserver refuses events over 64 KiB); 60 KB is
    // refused by the bot with the limit named, and so is a 60 KB search, before any lookup.
    let too_big = main
        .send(
            matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(format!(
                "!ask {}",
                "x".repeat(70 * 1024)
            )),
        )
        .await;
    assert!(too_big.is_err(), "the homeserver took a 70 KB event");
    let receipt = ask("y".repeat(60_000)).await;
    assert_eq!(
        receipt.body,
        "Your question is 60000 characters long; the limit is 1000. Please shorten it and ask again."
    );
    let (searched, _) = attendee
        .say(&main, &format!("!search {}", "word ".repeat(12_000)))
        .await;
    let found = attendee.reply_from(&main, &bot.user, Some(&searched)).await;
    assert_eq!(found.body, "That is too long for !search: at most 500 characters.");

    // An attendee's moderator and organizer commands are refused and change nothing.
    let (asked, _) = attendee.say(&main, "!next").await;
    let next_before = attendee.reply_from(&main, &bot.user, Some(&asked)).await.body;
    for (command, who) in [
        ("!approve Q1", "moderators"),
        ("!reject Q2 spam", "moderators"),
        ("!answered Q1", "moderators"),
        ("!delay 30m", "the conference organizers"),
        ("!announce in 1m Free beer in the lobby", "the conference organizers"),
        ("!reload", "the conference organizers"),
    ] {
        let (asked, _) = attendee.say(&main, command).await;
        let name = command.split_whitespace().next().unwrap();
        assert_eq!(
            attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
            format!("Sorry, {name} is for {who}. Send !help for what you can use.")
        );
    }
    let (asked, _) = attendee.say(&main, "!next").await;
    assert_eq!(
        attendee.reply_from(&main, &bot.user, Some(&asked)).await.body,
        next_before
    );
    let (asked, _) = moderator.say(&rooms.mods, "!questions").await;
    let listed = moderator.reply_from(&rooms.mods, &bot.user, Some(&asked)).await.body;
    assert!(
        listed.contains("Q1 · 0 votes · pending") && listed.contains("Q2 · 0 votes · pending"),
        "{listed}"
    );
    assert_eq!(bot.stop(), Some(0));
    let posted: Vec<_> = speaker
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .collect();
    assert!(posted.is_empty(), "nothing reached the speakers: {posted:?}");
}
