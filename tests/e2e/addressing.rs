//! How people address the bot in rooms shared with people and other bots: by `!`, by
//! name, by mention, bare in a direct message; in threads and replies; and silence for
//! commands that are not its own.

use super::*;
use matrix_sdk::ruma::events::receipt::ReceiptThread;
use matrix_sdk::ruma::events::receipt::ReceiptType;
use matrix_sdk::ruma::events::relation::{InReplyTo, Reply, Thread};
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::events::Mentions;
use std::time::Instant;
use support::WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_the_bot_answers_to_its_name_a_mention_and_a_bare_command_in_a_dm_and_leaves_other_bots_commands_alone() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    bot.joined(&attendee, &room).await;
    let next = "Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates";

    let by_name = attendee.say(&room, &format!("{}: next", bot.user.localpart())).await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&by_name)).await;
    assert!(reply.body.starts_with(next), "{}\n{}", reply.body, bot.log());
    let by_id = attendee.say(&room, &format!("{} ping", bot.user)).await.0;
    assert_eq!(attendee.reply_from(&room, &bot.user, Some(&by_id)).await.body, "pong");
    let mention = attendee
        .send(
            &room,
            RoomMessageEventContent::text_plain("next").add_mentions(Mentions::with_user_ids([bot.user.clone()])),
        )
        .await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&mention)).await;
    assert!(reply.body.starts_with(next), "{}", reply.body);

    // Other bots' commands and shouting get nothing; a typo of ours gets a hint; an
    // unknown command said to the bot by name gets an answer.
    let other_bot = attendee.say(&room, "!ban @spammer:localhost").await.0;
    let shout = attendee.say(&room, "!!! stream is down").await.0;
    let typo = attendee.say(&room, "!nxt").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&typo)).await;
    assert_eq!(reply.body, "Unknown command !nxt — did you mean !next?");
    let named = attendee
        .say(&room, &format!("{}: frobnicate", bot.user.localpart()))
        .await
        .0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&named)).await;
    assert_eq!(reply.body, "Unknown command !frobnicate. Send !help for the list.");

    // In a direct message, a bare command.
    let dm = attendee.create_dm(&bot.user).await;
    let bare = attendee.say(&dm, "next").await.0;
    let reply = attendee.reply_from(&dm, &bot.user, Some(&bare)).await;
    assert!(reply.body.starts_with(next), "{}", reply.body);
    assert_eq!(bot.stop(), Some(0));

    let unwanted: Vec<_> = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| {
            r.sender == bot.user
                && r.in_reply_to
                    .as_ref()
                    .is_some_and(|to| [&other_bot, &shout].contains(&to))
        })
        .collect();
    assert!(unwanted.is_empty(), "answered another bot's command: {unwanted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_bot_configured_with_another_prefix_answers_it_ignores_the_exclamation_mark_and_writes_its_own() {
    let mut bot = Bot::register_with("", "[commands]\nprefix = \"?\"\n").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    bot.joined(&attendee, &room).await;

    let other_bots = attendee.say(&room, "!next").await.0;
    let next = attendee.say(&room, "?next").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&next)).await;
    assert!(
        reply
            .body
            .starts_with("Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates"),
        "{}\n{}",
        reply.body,
        bot.log()
    );
    let typo = attendee.say(&room, "?nxt").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&typo)).await;
    assert_eq!(reply.body, "Unknown command ?nxt — did you mean ?next?");
    // By name, the prefix may be left out or written.
    let named = attendee
        .say(&room, &format!("{}: ?frobnicate", bot.user.localpart()))
        .await
        .0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&named)).await;
    assert_eq!(reply.body, "Unknown command ?frobnicate. Send ?help for the list.");

    let help = attendee.say(&room, "?help").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&help)).await;
    assert!(reply.body.contains("\n  ?next [ROOM] — "), "{}", reply.body);
    assert!(
        reply.body.ends_with("\nSend ?help COMMAND for one in full."),
        "{}",
        reply.body
    );
    assert!(
        !reply.body.contains("!"),
        "a command named with the default prefix: {}",
        reply.body
    );
    let html = reply.html.expect("the help has an HTML body");
    assert!(html.contains("<code>?help COMMAND</code>"), "{html}");
    let one = attendee.say(&room, "?help ?session").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&one)).await;
    assert_eq!(
        reply.body,
        "?session ID | WORDS — one session in full\nExample: ?session rocky\nAlso: ?talk"
    );
    // Text someone typed is shown as typed, `!` and all.
    let search = attendee.say(&room, "?session !nothing-like-this").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&search)).await;
    assert_eq!(
        reply.body,
        "No session matches \"!nothing-like-this\". Try ?search !nothing-like-this"
    );
    assert_eq!(bot.stop(), Some(0));

    let unwanted: Vec<_> = (attendee.drain().await.into_iter())
        .filter(|r| r.sender == bot.user && r.in_reply_to.as_ref() == Some(&other_bots))
        .collect();
    assert!(
        unwanted.is_empty(),
        "answered a command with the default prefix: {unwanted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_command_in_a_thread_is_answered_there_a_reply_is_read_without_its_quote_and_help_explains_one_command() {
    let mut bot = Bot::register("").await;
    bot.start(TEN_PAST_NINE);
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    bot.joined(&attendee, &room).await;

    let root = attendee.say(&room, "Schedule questions here, please").await.0;
    let mut in_thread = RoomMessageEventContent::text_plain("!now");
    in_thread.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    let asked = attendee.send(&room, in_thread).await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(
        reply.thread_root.as_ref(),
        Some(&root),
        "answered in the thread: {reply:?}"
    );
    assert!(reply.body.starts_with("Now:\n  09:00–09:25 CET"), "{}", reply.body);

    // A reply quoting another message (the legacy fallback) holds a command after the quote.
    let mut quoting = RoomMessageEventContent::text_plain(format!(
        "> <{}> Schedule questions here, please\n\n!ping",
        attendee.user
    ));
    quoting.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(root.clone()))));
    let asked = attendee.send(&room, quoting).await;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(reply.body, "pong");
    assert_eq!(reply.thread_root, None, "a reply outside a thread stays outside");

    let asked = attendee.say(&room, "!help session").await.0;
    let reply = attendee.reply_from(&room, &bot.user, Some(&asked)).await;
    assert_eq!(
        reply.body,
        "!session ID | WORDS — one session in full\nExample: !session rocky\nAlso: !talk"
    );

    // The command the bot acted on carries its read receipt.
    let deadline = Instant::now() + WAIT;
    loop {
        let receipt = room
            .load_user_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, &bot.user)
            .await
            .unwrap();
        if receipt.as_ref().map(|(event, _)| event) == Some(&asked) {
            break;
        }
        assert!(Instant::now() < deadline, "no read receipt on {asked}: {receipt:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(bot.stop(), Some(0));
}
