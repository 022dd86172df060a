//! A conference in tracks, each run by its own team: questions asked in a track reach
//! only that track's moderators room and backstage, and a track's moderators act only on
//! its own questions.

use super::questions::react;
use super::*;
use std::path::Path;

/// A track's rooms, made by its moderator (who holds power level 100 there): where its
/// attendees ask, its moderators room, and its backstage.
pub(super) struct Track {
    pub(super) main: matrix_sdk::Room,
    pub(super) mods: matrix_sdk::Room,
    pub(super) backstage: matrix_sdk::Room,
    /// The `[rooms.map]` entry.
    pub(super) entry: String,
}

/// The rooms of track `name`, which `attendees` join.
pub(super) async fn track(name: &str, moderator: &Peer, bot: &matrix_sdk::ruma::UserId, attendees: &[&Peer]) -> Track {
    let (main, mods, backstage) = (
        support::unique(&format!("{}-main", name.to_lowercase())),
        support::unique(&format!("{}-mods", name.to_lowercase())),
        support::unique(&format!("{}-backstage", name.to_lowercase())),
    );
    let mut guests = vec![bot];
    guests.extend(attendees.iter().map(|a| &*a.user));
    let main_room = moderator.create_room_with_alias(&guests, false, Some(&main)).await;
    let mods_room = moderator.create_room_with_alias(&[bot], false, Some(&mods)).await;
    // The bot may pin (a state event, power level 50) in the backstage, as the organizers
    // who make it would let it.
    let backstage_room = moderator.create_room_with_power(&[bot], &backstage, &[(bot, 50)]).await;
    for attendee in attendees {
        attendee
            .client
            .join_room_by_id(main_room.room_id())
            .await
            .expect("the attendee joins");
    }
    Track {
        main: main_room,
        mods: mods_room,
        backstage: backstage_room,
        entry: format!(
            "\"{name}\" = {{ room = \"#{main}:localhost\", moderators = \"#{mods}:localhost\", backstage = \"#{backstage}:localhost\" }}\n"
        ),
    }
}

/// The bot's next post in `room` as `peer` sees it; the bot's log if none comes.
pub(super) async fn posted(peer: &Peer, room: &matrix_sdk::Room, bot: &Bot) -> support::Received {
    let deadline = std::time::Instant::now() + support::WAIT;
    match peer.reply_within(room, &bot.user, None, deadline).await {
        Some(post) => post,
        None => panic!(
            "no post in {} ({:?}) for {} in time:\n{}",
            room.room_id(),
            room.canonical_alias(),
            peer.user,
            bot.log()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_each_tracks_questions_reach_only_its_own_moderators_and_backstage() {
    let kernel_mod = Peer::new("kernelmod").await;
    let web_mod = Peer::new("webmod").await;
    let attendee = Peer::new("attendee").await;
    let bot_user = support::register_user("confbot").await;
    let kernel = track("Kernel", &kernel_mod, &bot_user, &[&attendee]).await;
    let web = track("Web", &web_mod, &bot_user, &[&attendee]).await;
    // No conference-wide moderators room, and no one listed in [access]: a track's
    // moderators are those with power in its own moderators room.
    let tail = format!("[rooms.map]\n{}{}", kernel.entry, web.entry);
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.use_schedule(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml"));
    // 09:10: both tracks' first sessions are running.
    bot.start(TEN_PAST_NINE);
    for (moderator, track) in [(&kernel_mod, &kernel), (&web_mod, &web)] {
        for room in [&track.main, &track.mods, &track.backstage] {
            bot.joined(moderator, room).await;
        }
    }

    let in_kernel = attendee.client.get_room(kernel.main.room_id()).unwrap();
    let asked = attendee.say(&in_kernel, "!ask Which scheduler do you run?").await.0;
    let receipt = attendee.reply_from(&in_kernel, &bot.user, Some(&asked)).await;
    assert!(
        receipt
            .body
            .starts_with("Question Q1 for 'The kernel for the curious' sent to the moderators."),
        "{}\n{}",
        receipt.body,
        bot.log()
    );
    let in_web = attendee.client.get_room(web.main.room_id()).unwrap();
    let asked = attendee.say(&in_web, "!ask Is HTTP/3 worth it?").await.0;
    let receipt = attendee.reply_from(&in_web, &bot.user, Some(&asked)).await;
    assert!(
        receipt
            .body
            .starts_with("Question Q2 for 'Web servers without tears' sent to the moderators."),
        "{}",
        receipt.body
    );

    let q1 = posted(&kernel_mod, &kernel.mods, &bot).await;
    assert!(
        q1.body
            .starts_with("Q1 for 'The kernel for the curious' (Hall A, 09:00–09:45 CET)\n"),
        "{}",
        q1.body
    );
    let q2 = posted(&web_mod, &web.mods, &bot).await;
    assert!(
        q2.body
            .starts_with("Q2 for 'Web servers without tears' (Hall B, 09:00–09:45 CET)\n"),
        "{}",
        q2.body
    );

    // The web track's moderator cannot decide on the kernel track's question, by command;
    // the kernel track's can, by reaction, and it reaches the kernel backstage only.
    let refused = web_mod.say(&web.mods, "!approve Q1").await.0;
    let reply = web_mod.reply_from(&web.mods, &bot.user, Some(&refused)).await;
    assert_eq!(
        reply.body,
        "Q1 is about another track or room: its own moderators (or the conference's) decide on it."
    );
    react(&kernel_mod, &kernel.mods, &q1.event_id, "✅").await;
    let passed_on = posted(&kernel_mod, &kernel.backstage, &bot).await;
    assert!(
        passed_on.body.contains("Which scheduler do you run?"),
        "{}",
        passed_on.body
    );
    // And the web track's moderator approves their own.
    let approved = web_mod.say(&web.mods, "!approve Q2").await.0;
    // The reply and the post in the backstage, in whichever order they come.
    let (mut reply, mut passed_on) = (None, None);
    while reply.is_none() || passed_on.is_none() {
        let post = web_mod.reply_from_anywhere(&bot.user).await;
        if post.in_reply_to.as_ref() == Some(&approved) {
            reply = Some(post);
        } else if post.room == web.backstage.room_id() {
            passed_on = Some(post);
        }
    }
    assert_eq!(reply.unwrap().body, "Q2 approved and passed on to the speakers.");
    let passed_on = passed_on.unwrap();
    assert!(passed_on.body.contains("Is HTTP/3 worth it?"), "{}", passed_on.body);
    assert_eq!(bot.stop(), Some(0));

    // Nothing of one track in the other's rooms.
    for (moderator, track, other) in [(&kernel_mod, &kernel, "HTTP/3"), (&web_mod, &web, "scheduler")] {
        let crossed: Vec<_> = (moderator.drain().await.into_iter())
            .filter(|r| {
                r.sender == bot.user
                    && [track.mods.room_id(), track.backstage.room_id()].contains(&&*r.room)
                    && r.body.contains(other)
            })
            .collect();
        assert!(crossed.is_empty(), "another track's question: {crossed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_fosdem_rehearsal_with_three_devrooms_mapped_routes_each_devrooms_questions_to_its_own_moderators() {
    // FOSDEM 2025 as pretalx exported it: 943 sessions in dozens of devrooms. Three of
    // them are run by their own teams here; the others map nowhere.
    let corpus = std::env::var("CI").is_ok_and(|ci| ci == "true");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules/fosdem-2025-pentabarf-pretalx.xml");
    if !path.is_file() {
        assert!(!corpus, "{} is absent, and CI=true", path.display());
        eprintln!("note: {} is absent; this rehearsal checks nothing here", path.display());
        return;
    }
    let attendee = Peer::new("attendee").await;
    let bot_user = support::register_user("confbot").await;
    // Saturday 11:02: each of these devrooms has a talk running.
    let devrooms = [
        ("Go", "The Inner Workings of Go Generics", "Are generics slow?"),
        ("Rust", "Augurs: a time series toolkit for Rust", "Does it run on wasm?"),
        ("RISC-V", "RISC-V Hardware - Where are we?", "When do laptops ship?"),
    ];
    let mut teams = Vec::new();
    for (name, _, _) in &devrooms {
        let moderator = Peer::new(&format!("{}mod", name.to_lowercase().replace('-', ""))).await;
        let rooms = track(name, &moderator, &bot_user, &[&attendee]).await;
        teams.push((moderator, rooms));
    }
    let tail = format!(
        "[rooms.map]\n{}",
        teams.iter().map(|(_, rooms)| rooms.entry.as_str()).collect::<String>()
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.use_schedule(&path);
    bot.start("2025-02-01T11:02");
    for (moderator, rooms) in &teams {
        for room in [&rooms.main, &rooms.mods, &rooms.backstage] {
            bot.joined(moderator, room).await;
        }
    }

    for ((name, title, question), (moderator, rooms)) in devrooms.iter().zip(&teams) {
        let room = attendee.client.get_room(rooms.main.room_id()).unwrap();
        let asked = attendee.say(&room, &format!("!ask {question}")).await.0;
        let receipt = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
        assert!(
            receipt
                .body
                .contains(&format!(" for '{title}' sent to the moderators.")),
            "{name}: {}\n{}",
            receipt.body,
            bot.log()
        );
        let relayed = posted(moderator, &rooms.mods, &bot).await;
        assert!(
            relayed.body.contains(question) && relayed.body.contains(title),
            "{name}: {}",
            relayed.body
        );
    }
    assert_eq!(bot.stop(), Some(0));

    // No devroom's moderators saw another's question.
    for (i, (moderator, rooms)) in teams.iter().enumerate() {
        let crossed: Vec<_> = (moderator.drain().await.into_iter())
            .filter(|r| r.sender == bot.user && r.room == rooms.mods.room_id())
            .filter(|r| (devrooms.iter().enumerate()).any(|(j, (_, _, question))| j != i && r.body.contains(question)))
            .collect();
        assert!(
            crossed.is_empty(),
            "{}: another devroom's question: {crossed:?}",
            devrooms[i].0
        );
    }
}
