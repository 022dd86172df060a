//! The question board, as a speaker in a track's backstage sees it: one message per
//! session, edited in place as questions are approved, voted for, rejected and answered,
//! kept across a restart, pinned while its session runs; the next session gets its own.

use super::tracks::{posted, track};
use super::*;
use matrix_sdk::ruma::OwnedEventId;
use std::path::Path;
use std::time::Instant;
use support::Received;

/// How long after a change its board may be edited: the bot edits a board at most once
/// every 2 s, and the homeserver takes a moment to deliver the edit.
const BOARD_EDIT_WITHIN: Duration = Duration::from_millis(2500);

/// The next board message in `room` that `wanted` accepts, as `peer` sees it.
async fn board_where(
    peer: &Peer,
    room: &matrix_sdk::Room,
    bot: &Bot,
    what: &str,
    wanted: impl Fn(&Received) -> bool,
) -> Received {
    let deadline = Instant::now() + support::WAIT;
    let found = peer
        .message_within(deadline, |r| {
            r.room == room.room_id() && r.sender == bot.user && support::is_board(&r.body) && wanted(r)
        })
        .await;
    match found {
        Some(found) => found,
        None => {
            let seen: Vec<String> = (peer.drain().await.into_iter())
                .filter(|r| r.room == room.room_id())
                .map(|r| format!("{} (editing {:?}): {}", r.event_id, r.replaces, r.body))
                .collect();
            panic!(
                "no board in {} showing {what} in time; it showed {seen:#?}\n{}",
                room.room_id(),
                bot.log()
            )
        }
    }
}

/// A board as one client watches it: the room it is in, its message.
struct Watched<'a> {
    watcher: &'a Peer,
    room: &'a matrix_sdk::Room,
    event: OwnedEventId,
}

/// Sends `command` as `peer` in `room`: the bot's reply, which must begin with `reply`,
/// and the edit of `board` that `shows` accepts, which must come within
/// [`BOARD_EDIT_WITHIN`] of the command. The two are waited for together: when the
/// board's watcher is the one who sent the command, either may come first.
async fn step(
    (peer, room): (&Peer, &matrix_sdk::Room),
    command: &str,
    reply: &str,
    board: &Watched<'_>,
    shows: impl Fn(&str) -> bool,
    bot: &Bot,
) -> Received {
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    let (asked, sent) = peer.say(&room, command).await;
    let is_reply =
        |r: &Received| r.room == room.room_id() && r.sender == bot.user && r.in_reply_to.as_ref() == Some(&asked);
    let is_edit = |r: &Received| {
        r.room == board.room.room_id()
            && r.sender == bot.user
            && r.replaces.as_ref() == Some(&board.event)
            && shows(&r.body)
    };
    let (mut replied, mut edited) = (None, None);
    let deadline = Instant::now() + support::WAIT;
    if std::ptr::eq(peer, board.watcher) {
        while replied.is_none() || edited.is_none() {
            match peer.message_within(deadline, |r| is_reply(r) || is_edit(r)).await {
                Some(r) if is_reply(&r) => replied = Some(r),
                Some(r) => edited = Some(r),
                None => break,
            }
        }
    } else {
        replied = peer.message_within(deadline, is_reply).await;
        edited = board.watcher.message_within(deadline, is_edit).await;
    }
    let replied = replied.unwrap_or_else(|| panic!("no reply to {command} in time:\n{}", bot.log()));
    assert!(
        replied.body.starts_with(reply),
        "the reply to {command}: {}",
        replied.body
    );
    let Some(edited) = edited else {
        let seen: Vec<String> = (board.watcher.drain().await.into_iter())
            .filter(|r| r.room == board.room.room_id())
            .map(|r| format!("{} (editing {:?}): {}", r.event_id, r.replaces, r.body))
            .collect();
        panic!(
            "no edit of the board after {command} in time; it showed {seen:#?}\n{}",
            bot.log()
        );
    };
    let took = edited.at.duration_since(sent);
    assert!(took <= BOARD_EDIT_WITHIN, "the board changed {took:?} after {command}");
    edited
}

/// Whether a board's text has `line` as one of its lines.
fn has_line(line: &str) -> impl Fn(&str) -> bool + '_ {
    move |body| body.lines().any(|l| l == line)
}

/// Waits until `peer` sees exactly `pinned` pinned in `room`.
async fn pinned_are(peer: &Peer, room: &matrix_sdk::Room, pinned: &[&OwnedEventId], bot: &Bot) {
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    let deadline = Instant::now() + support::WAIT;
    loop {
        let now: Vec<OwnedEventId> = room.pinned_event_ids().unwrap_or_default();
        if now.iter().collect::<Vec<_>>() == pinned {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pinned in {}: {now:?}, not {pinned:?}\n{}",
            room.room_id(),
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `command` as `peer` in `room`, and waits for the bot's reply, which must begin
/// with `reply`.
async fn command(peer: &Peer, room: &matrix_sdk::Room, bot: &Bot, command: &str, reply: &str) {
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    let (asked, _) = peer.say(&room, command).await;
    let got = peer.reply_from(&room, &bot.user, Some(&asked)).await;
    assert!(got.body.starts_with(reply), "the reply to {command}: {}", got.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_board_follows_its_questions_and_a_restart_in_one_message_and_the_next_session_gets_its_own() {
    let kernel_mod = Peer::new("kernelmod").await;
    let web_mod = Peer::new("webmod").await;
    let ana = Peer::new("ana").await;
    let bo = Peer::new("bo").await;
    for (peer, name) in [(&ana, "Ana Asker"), (&bo, "Bo Voter")] {
        peer.client.account().set_display_name(Some(name)).await.unwrap();
    }
    let bot_user = support::register_user("confbot").await;
    let kernel = track("Kernel", &kernel_mod, &bot_user, &[&ana, &bo]).await;
    let web = track("Web", &web_mod, &bot_user, &[&ana]).await;
    for moderator in [&kernel_mod, &web_mod] {
        moderator.see_boards();
    }
    let tail = format!("[rooms.map]\n{}{}", kernel.entry, web.entry);
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.use_schedule(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml"));
    // 09:20: both tracks' first sessions run until 09:45.
    let origin = "2023-02-03T09:20:00";
    let started = Instant::now();
    bot.start(origin);
    for (moderator, track) in [(&kernel_mod, &kernel), (&web_mod, &web)] {
        for room in [&track.main, &track.mods, &track.backstage] {
            bot.joined(moderator, room).await;
        }
    }

    // Each backstage gets its session's board at once, pinned.
    let board = board_where(&kernel_mod, &kernel.backstage, &bot, "the first board", |r| {
        r.replaces.is_none()
    })
    .await;
    let heading = "The kernel for the curious · Hall A · 09:00–09:45 CET · ";
    assert!(board.body.starts_with(heading), "{}", board.body);
    assert!(
        board
            .body
            .ends_with(" minutes left\nNo questions yet: ask with !ask QUESTION."),
        "{}",
        board.body
    );
    assert_eq!(board.mentions, Some((false, 0)), "the board pings nobody");
    pinned_are(&kernel_mod, &kernel.backstage, &[&board.event_id], &bot).await;
    let web_board = board_where(&web_mod, &web.backstage, &bot, "the first board", |r| {
        r.replaces.is_none()
    })
    .await;
    assert!(
        web_board
            .body
            .starts_with("Web servers without tears · Hall B · 09:00–09:45 CET · "),
        "{}",
        web_board.body
    );
    pinned_are(&web_mod, &web.backstage, &[&web_board.event_id], &bot).await;

    // Three kernel questions and one for the web track.
    for (peer, question, number) in [
        (&ana, "Which scheduler do you run?", 1),
        (&bo, "Is Rust in the kernel yet?", 2),
        (&ana, "What is your favourite editor?", 3),
    ] {
        let reply = format!("Question Q{number} for 'The kernel for the curious' sent to the moderators.\n");
        command(peer, &kernel.main, &bot, &format!("!ask {question}"), &reply).await;
        posted(&kernel_mod, &kernel.mods, &bot).await;
    }
    let in_web = ana.client.get_room(web.main.room_id()).unwrap();
    let asked = ana.say(&in_web, "!ask Is HTTP/3 worth it?").await.0;
    ana.reply_from(&in_web, &bot.user, Some(&asked)).await;
    posted(&web_mod, &web.mods, &bot).await;

    // Approvals put questions on the board, oldest first among equal votes.
    let kernel_board = Watched {
        watcher: &kernel_mod,
        room: &kernel.backstage,
        event: board.event_id.clone(),
    };
    let mods = (&kernel_mod, &kernel.mods);
    let approved = "approved and passed on to the speakers.";
    step(
        mods,
        "!approve Q1",
        &format!("Q1 {approved}"),
        &kernel_board,
        has_line("1. Q1 · 0 votes · Ana Asker: Which scheduler do you run?"),
        &bot,
    )
    .await;
    step(
        mods,
        "!approve Q2",
        &format!("Q2 {approved}"),
        &kernel_board,
        has_line("2. Q2 · 0 votes · Bo Voter: Is Rust in the kernel yet?"),
        &bot,
    )
    .await;
    // A vote moves Q2 up.
    let edit = step(
        (&ana, &kernel.main),
        "!upvote Q2",
        "Your vote for Q2 is counted; it has 1 vote now.",
        &kernel_board,
        has_line("1. Q2 · 1 vote · Bo Voter: Is Rust in the kernel yet?"),
        &bot,
    )
    .await;
    assert!(
        edit.body
            .contains("\n2. Q1 · 0 votes · Ana Asker: Which scheduler do you run?"),
        "{}",
        edit.body
    );
    // Approved, then rejected: on the board, then off it.
    step(
        mods,
        "!approve Q3",
        &format!("Q3 {approved}"),
        &kernel_board,
        has_line("3. Q3 · 0 votes · Ana Asker: What is your favourite editor?"),
        &bot,
    )
    .await;
    step(
        mods,
        "!reject Q3 off topic",
        "Q3 rejected (off topic).",
        &kernel_board,
        |body| !body.contains("Q3"),
        &bot,
    )
    .await;
    // Answered: struck through, at the bottom.
    let edit = step(
        mods,
        "!answered Q2",
        "Q2 marked answered.",
        &kernel_board,
        has_line("✓ Q2 · 1 vote · Bo Voter: Is Rust in the kernel yet?"),
        &bot,
    )
    .await;
    let lines: Vec<&str> = edit.body.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "1. Q1 · 0 votes · Ana Asker: Which scheduler do you run?",
            "Answered:",
            "✓ Q2 · 1 vote · Bo Voter: Is Rust in the kernel yet?"
        ],
        "{}",
        edit.body
    );
    assert!(
        edit.html
            .as_deref()
            .is_some_and(|html| html.contains("<del>Q2 · 1 vote · Bo Voter: Is Rust in the kernel yet?</del>")),
        "{:?}",
        edit.html
    );

    // !questions in the backstage, from the track's moderator, shows the same ranking.
    let in_backstage = kernel_mod.client.get_room(kernel.backstage.room_id()).unwrap();
    let (asked, _) = kernel_mod.say(&in_backstage, "!questions").await;
    let listed = kernel_mod.reply_from(&in_backstage, &bot.user, Some(&asked)).await;
    assert!(listed.body.starts_with(heading), "{}", listed.body);
    assert_eq!(listed.body.lines().skip(1).collect::<Vec<_>>(), lines);

    // The web track's board has its own question, and none of the kernel's.
    let web_watched = Watched {
        watcher: &web_mod,
        room: &web.backstage,
        event: web_board.event_id.clone(),
    };
    step(
        (&web_mod, &web.mods),
        "!approve Q4",
        &format!("Q4 {approved}"),
        &web_watched,
        has_line("1. Q4 · 0 votes · Ana Asker: Is HTTP/3 worth it?"),
        &bot,
    )
    .await;

    // A restart: the same board is edited, no second one is posted.
    assert_eq!(bot.stop(), Some(0));
    let at = |since: Instant| {
        let origin = chrono::NaiveDateTime::parse_from_str(origin, "%Y-%m-%dT%H:%M:%S").unwrap();
        (origin + chrono::TimeDelta::milliseconds(since.elapsed().as_millis() as i64))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    bot.start(&at(started));
    step(
        (&bo, &kernel.main),
        "!upvote Q1",
        "Your vote for Q1 is counted; it has 1 vote now.",
        &kernel_board,
        has_line("1. Q1 · 1 vote · Ana Asker: Which scheduler do you run?"),
        &bot,
    )
    .await;
    pinned_are(&kernel_mod, &kernel.backstage, &[&board.event_id], &bot).await;

    // Just before the next session: the old board keeps its final state, unpinned, and
    // the next session gets a board of its own, pinned.
    assert_eq!(bot.stop(), Some(0));
    bot.start("2023-02-03T09:59:55");
    let last = board_where(&kernel_mod, &kernel.backstage, &bot, "the final state", |r| {
        r.replaces.as_ref() == Some(&board.event_id) && r.body.contains("ended at")
    })
    .await;
    assert_eq!(
        last.body,
        "* The kernel for the curious · Hall A · 09:00–09:45 CET · ended at 09:45 CET\n\
         1. Q1 · 1 vote · Ana Asker: Which scheduler do you run?\n\
         Answered:\n\
         ✓ Q2 · 1 vote · Bo Voter: Is Rust in the kernel yet?"
    );
    pinned_are(&kernel_mod, &kernel.backstage, &[], &bot).await;
    let next = board_where(&kernel_mod, &kernel.backstage, &bot, "the next session's board", |r| {
        r.replaces.is_none()
    })
    .await;
    assert_eq!(
        next.body,
        "How the scheduler picks · Hall A · 10:00–10:45 CET · 45 minutes left\nNo questions yet: ask with !ask QUESTION."
    );
    pinned_are(&kernel_mod, &kernel.backstage, &[&next.event_id], &bot).await;
    let next_web = board_where(&web_mod, &web.backstage, &bot, "the next session's board", |r| {
        r.replaces.is_none()
    })
    .await;
    assert!(
        next_web
            .body
            .starts_with("Caching the right things · Hall B · 10:00–10:45 CET · "),
        "{}",
        next_web.body
    );
    assert_eq!(bot.stop(), Some(0));

    // Exactly one board per session: nothing else posted a board; no track's board showed
    // the other's questions.
    for (moderator, track, other) in [(&kernel_mod, &kernel, "HTTP/3"), (&web_mod, &web, "scheduler")] {
        let boards: Vec<Received> = (moderator.drain().await.into_iter())
            .filter(|r| r.sender == bot.user && r.room == track.backstage.room_id() && support::is_board(&r.body))
            .collect();
        let new: Vec<_> = boards.iter().filter(|r| r.replaces.is_none()).collect();
        assert!(new.is_empty(), "a second board: {new:?}");
        let crossed: Vec<_> = boards.iter().filter(|r| r.body.contains(other)).collect();
        assert!(crossed.is_empty(), "another track's question on a board: {crossed:?}");
    }
}
