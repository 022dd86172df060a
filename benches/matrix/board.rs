//! The question board as a speaker sees it: how long from an attendee's vote to the edit
//! of the board in the backstage, against the homeserver's own two-hop delivery.

use super::*;

/// Votes are sent this far apart: more than the board's pace (one edit every 2 s), so that
/// each vote is shown by an edit of its own and the figure is the bot's and the
/// homeserver's, not the pace's. The minute's countdown edit still falls between votes now
/// and then; a vote that comes right after one waits for the pace, as it would for a user.
const SPACING: Duration = Duration::from_millis(2300);
const QUESTIONS: usize = 8;
const VOTERS: usize = 5;

pub(super) async fn board() -> bool {
    let moderator = Peer::new("moderator").await;
    let speaker = Peer::new("speaker").await;
    let asker = Peer::new("asker").await;
    let echo = Peer::new("echo").await;
    let mut voters = Vec::new();
    for _ in 0..VOTERS {
        voters.push(Peer::new("voter").await);
    }
    speaker.see_boards();
    echo.echo_replies();
    let bot_user = support::register_user("confbot").await;

    // One track: its room, moderators room and backstage, where the speaker watches the
    // board. The floor's room: the voters send, an echo client replies, the speaker reads.
    let (main, mods, backstage) = (
        support::unique("kernel-main"),
        support::unique("kernel-mods"),
        support::unique("kernel-backstage"),
    );
    let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![&bot_user, &asker.user];
    guests.extend(voters.iter().map(|v| -> &matrix_sdk::ruma::UserId { &v.user }));
    let main_room = moderator.create_room_with_alias(&guests, false, Some(&main)).await;
    let mods_room = moderator.create_room_with_alias(&[&bot_user], false, Some(&mods)).await;
    let backstage_room = moderator
        .create_room_with_power(&[&bot_user, &speaker.user], &backstage, &[(&bot_user, 50)])
        .await;
    let mut floor_guests: Vec<&matrix_sdk::ruma::UserId> = vec![&echo.user, &speaker.user];
    floor_guests.extend(voters.iter().map(|v| -> &matrix_sdk::ruma::UserId { &v.user }));
    let floor_room = moderator.create_room_with_alias(&floor_guests, false, None).await;
    let join = |peer: &Peer, room: &matrix_sdk::Room| {
        let (client, id) = (peer.client.clone(), room.room_id().to_owned());
        async move {
            tokio::time::timeout(WAIT, client.join_room_by_id(&id))
                .await
                .expect("a join in time")
                .expect("the join")
        }
    };
    join(&speaker, &backstage_room).await;
    join(&speaker, &floor_room).await;
    join(&echo, &floor_room).await;
    let asking_room = join(&asker, &main_room).await;
    let mut in_main = Vec::new();
    let mut in_floor = Vec::new();
    for voter in &voters {
        in_main.push(join(voter, &main_room).await);
        in_floor.push(join(voter, &floor_room).await);
        voter.stop_syncing();
    }
    asker.stop_syncing();

    // One asker asks all eight: no per-attendee limit on questions.
    let tail = format!(
        "[questions]\nper_user = \"off\"\n[rooms.map]\n\"Kernel\" = {{ room = \"#{main}:localhost\", moderators = \"#{mods}:localhost\", \
         backstage = \"#{backstage}:localhost\" }}\n"
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.without_command_limit();
    bot.use_schedule(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml"));
    // 09:05: "The kernel for the curious" runs until 09:45, time enough at 1×.
    bot.start("2023-02-03T09:05:00");
    for room in [&main_room, &mods_room, &backstage_room] {
        bot.joined(&moderator, room).await;
    }
    let Some(board) = speaker
        .message_within(Instant::now() + WAIT, |r| {
            r.room == backstage_room.room_id() && r.sender == bot.user && r.replaces.is_none()
        })
        .await
    else {
        println!("no board in the backstage:\n{}", bot.log());
        return false;
    };

    // Eight approved questions on the board.
    for q in 1..=QUESTIONS {
        asker
            .say(&asking_room, &format!("!ask Benchmark question number {q}?"))
            .await;
        if moderator
            .reply_within(&mods_room, &bot.user, None, Instant::now() + WAIT)
            .await
            .is_none()
        {
            println!("Q{q} never reached the moderators:\n{}", bot.log());
            return false;
        }
        let (approve, _) = moderator.say(&mods_room, &format!("!approve Q{q}")).await;
        let reply = moderator.reply_from(&mods_room, &bot.user, Some(&approve)).await;
        if !reply.body.starts_with(&format!("Q{q} approved")) {
            println!("the approval of Q{q}: {}", reply.body);
            return false;
        }
    }
    let edit_of_board =
        |r: &Received| r.room == backstage_room.room_id() && r.replaces.as_ref() == Some(&board.event_id);
    let all_on = speaker
        .message_within(Instant::now() + WAIT, |r| {
            edit_of_board(r) && r.body.contains(&format!("Q{QUESTIONS} · 0 votes"))
        })
        .await;
    if all_on.is_none() {
        println!("the board never showed all {QUESTIONS} questions:\n{}", bot.log());
        return false;
    }

    // Every voter votes for every question, one vote every SPACING; after each, one echo
    // round trip from the same voter to the same speaker (first in every other round).
    let (mut via_board, mut via_echo) = (Vec::new(), Vec::new());
    let mut missed = 0;
    let started = Instant::now();
    let mut i = 0;
    let mut last = None;
    for (round, (voter, (in_main, in_floor))) in voters.iter().zip(in_main.iter().zip(&in_floor)).enumerate() {
        for q in 1..=QUESTIONS {
            tokio::time::sleep_until(tokio::time::Instant::from_std(started + SPACING * i)).await;
            let floor = || async {
                let (sent_id, sent) = voter.say(in_floor, &format!("floor {i}")).await;
                let echoed = speaker
                    .message_within(Instant::now() + WAIT, |r| {
                        r.sender == echo.user && r.in_reply_to.as_ref() == Some(&sent_id)
                    })
                    .await;
                echoed.map(|r| ms(r.at - sent))
            };
            if i % 2 == 1 {
                via_echo.extend(floor().await);
            }
            let shows = format!("Q{q} · {} vote", round + 1);
            let (_, sent) = voter.say(in_main, &format!("!upvote Q{q}")).await;
            let edited = speaker
                .message_within(Instant::now() + WAIT, |r| {
                    edit_of_board(r) && r.body.lines().any(|line| line.contains(&shows))
                })
                .await;
            match edited {
                Some(edit) => {
                    if ms(edit.at - sent) > 1000.0 {
                        println!(
                            "vote {i} (Q{q}) shown after {:.0} ms, {:.1} s into the votes",
                            ms(edit.at - sent),
                            (sent - started).as_secs_f64()
                        );
                    }
                    via_board.push(ms(edit.at - sent));
                    last = Some((edit.origin_ms, edit.body));
                }
                None => {
                    println!("vote {i} (Q{q}) never showed on the board");
                    missed += 1;
                    via_board.push(f64::NAN);
                }
            }
            if i % 2 == 0 {
                via_echo.extend(floor().await);
            }
            i += 1;
        }
    }
    let took = started.elapsed();

    // Nothing more: one board message for the session, every question at five votes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rest = speaker.drain().await;
    let second = rest
        .iter()
        .filter(|r| {
            r.room == backstage_room.room_id()
                && r.sender == bot.user
                && r.replaces.is_none()
                && support::is_board(&r.body)
        })
        .count();
    // The newest edit by the homeserver's clock: a wait keeps what it passed over, so the
    // drained messages are not in the order they were sent.
    for edit in rest.iter().filter(|r| edit_of_board(r)) {
        if last.as_ref().is_none_or(|(at, _)| edit.origin_ms > *at) {
            last = Some((edit.origin_ms, edit.body.clone()));
        }
    }
    let last = last.map(|(_, body)| body);
    let final_ok = last
        .as_deref()
        .is_some_and(|body| (1..=QUESTIONS).all(|q| body.contains(&format!("Q{q} · {VOTERS} votes"))));
    if !final_ok {
        println!("the board at the end: {last:?}");
    }
    let mut via_board: Vec<f64> = via_board.into_iter().filter(|v| !v.is_nan()).collect();
    via_board.sort_by(f64::total_cmp);
    via_echo.sort_by(f64::total_cmp);
    println!(
        "{} votes by {VOTERS} attendees on {QUESTIONS} approved questions, one every {:.1} s over {:.0} s; \
         from the vote sent to the board's edit seen by the speaker's client (ms)",
        VOTERS * QUESTIONS,
        SPACING.as_secs_f64(),
        took.as_secs_f64()
    );
    if via_board.is_empty() || via_echo.is_empty() {
        println!("no figures");
        return false;
    }
    print_against_floor("vote → board", &via_board, "echo (floor)", &via_echo);
    // An edit waits for the board's 2 s pace, then travels to the speaker like any event.
    let p99 = quantile(&via_board, 0.99);
    let target = 2000.0 + quantile(&via_echo, 0.99);
    println!(
        "target: every vote on the board within the 2 s pace plus the floor's p99 (p99 {p99:.0} ms ≤ {target:.0} ms): {}",
        verdict(p99 <= target)
    );
    println!(
        "{missed} votes never shown; {second} second board messages; final board with {VOTERS} votes on every \
         question: {final_ok}"
    );
    bot.stop() == Some(0) && missed == 0 && second == 0 && final_ok && p99 <= target
}
