//! `confbot console` as a newcomer or an organizer uses it: commands piped in, answers,
//! posts and relayed questions read back from standard output.

use chrono::TimeDelta;
use confbot::plan::{self, FromChat, What};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const CENTOS: &str = "data/centos-connect-2023.toml";
const EXAMPLE: &str = "config/confbot.example.toml";

/// Runs `confbot console ARGS` with `input` on standard input, to the end.
fn console(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confbot"))
        .arg("console")
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("CONFBOT_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("confbot console starts");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().expect("confbot console ends")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_piped_command_is_answered_like_in_the_room_and_the_console_exits_at_the_end() {
    let out = console(&["--schedule", CENTOS, "--now", "2023-02-03T09:10"], "!next\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // First the running session's question board, as the speakers room gets it, pinned.
    let (board, rest) = text.split_at(text.find("[09:10 CET] @you:console").expect("the command echoed"));
    assert!(
        board.starts_with(
            "[09:10 CET] confbot in #speakers:console: CentOS Stream: RHEL development in public · Pagoda room · 09:00–09:25 CET · 15 minutes left\n    \
             No questions yet: ask with !ask QUESTION.\n\
             [09:10 CET] confbot in #speakers:console: (pinned $console-"
        ),
        "{text}"
    );
    assert_eq!(
        rest,
        "[09:10 CET] @you:console: !next\n\
         [09:10 CET] confbot: Next, in 15 minutes:\n      \
         09:25–09:50 CET  AlmaLinux Build System and Project Updates — Jack Aboutboul (Pagoda room)\n"
    );
}

#[test]
fn usage_errors_chat_and_console_controls() {
    let input = "hello everyone\n!remind\n/dance\n!speaker \"di stefano\"\n";
    let out = console(&["--schedule", CENTOS, "--now", "2023-02-03T09:10"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let replies: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("[09:10 CET] confbot: "))
        .collect();
    assert_eq!(
        replies.len(),
        2,
        "chat gets no answer; two commands get one each:\n{text}"
    );
    assert!(replies[0].contains("!remind SESSION"), "{}", replies[0]);
    assert!(replies[1].ends_with("confbot: Alessandro Di Stefano"), "{}", replies[1]);
    assert!(stderr(&out).contains("unknown /dance"), "{}", stderr(&out));
}

#[test]
fn a_question_goes_to_the_moderators_and_once_approved_to_the_speakers() {
    let input = "!ask What about <b>RISC-V</b>, @room?\n\
                 !approve 1\n\
                 /as @mod:example.org moderator\n\
                 !approve 1\n\
                 !questions\n";
    let out = console(
        &[
            "--config",
            EXAMPLE,
            "--now",
            "2023-02-03T09:10",
            "--room",
            "Pagoda room",
        ],
        input,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("missing: {line:?}\nin:\n{text}"))
    };
    let asked = at("[09:10 CET] @you:console: !ask What about <b>RISC-V</b>, @room?");
    let receipt =
        at("[09:10 CET] confbot: Question Q1 for 'CentOS Stream: RHEL development in public' sent to the moderators.");
    let relayed = at(
        "[09:10 CET] confbot in #centos-connect-moderators:example.org: Q1 for 'CentOS Stream: RHEL development in public' (Pagoda room, 09:00–09:25 CET)",
    );
    assert_eq!(
        lines[relayed + 2],
        "    What about <b>RISC-V</b>, @room?",
        "shown as typed:\n{text}"
    );
    let refused = at("[09:10 CET] @you:console: !approve 1");
    assert_eq!(
        lines[refused + 1],
        "[09:10 CET] confbot: Sorry, !approve is for moderators. Send !help for what you can use."
    );
    let approved = at("[09:10 CET] @mod:example.org: !approve 1");
    // The receipt and the relay come from two tasks, in either order; both before the next
    // line is read. Likewise the moderator's acknowledgement and the speakers' post.
    assert!(asked < receipt.min(relayed) && receipt.max(relayed) < refused, "{text}");
    assert!(approved < at("[09:10 CET] confbot: Q1 approved and passed on to the speakers."));
    assert!(
        approved
            < at("[09:10 CET] confbot in #centos-connect-speakers:example.org: Q1 for 'CentOS Stream: RHEL development in public' (Pagoda room)")
    );
    assert_eq!(
        text.matches("confbot in #centos-connect-speakers:example.org: Q1")
            .count(),
        1,
        "{text}"
    );
}

/// The console rehearses a stretch of the day: every post the planner has for it prints
/// once, in order, at its time, to each of its rooms, none marked late.
#[test]
fn a_rehearsal_at_speed_prints_every_planned_post_once_in_order_on_time() {
    let out = console(
        &[
            "--config",
            EXAMPLE,
            "--now",
            "2023-02-03T08:50",
            "--speed",
            "300",
            "--until",
            "09:30",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);

    let config =
        confbot::infra::config_file::load(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE).as_path()).unwrap();
    let schedule = confbot::infra::source::load_schedule(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(CENTOS).to_str().unwrap(),
        None,
        None,
    )
    .unwrap()
    .schedule;
    let from = confbot::time::parse_instant("2023-02-03T08:50", schedule.timezone()).unwrap();
    let until = from + TimeDelta::minutes(40);
    let mut expected = Vec::new();
    for post in plan::posts(&schedule, config.rules(), &FromChat::default(), from, until) {
        let rooms = match &post.what {
            What::Reminder { session, .. } => {
                let session = schedule.session(session).unwrap();
                config.rooms.post_targets(
                    [&session.room, &session.track]
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                )
            }
            What::Announcement { target, .. } => config.rooms.targets(target),
            What::Personal { .. } => unreachable!("nobody asked"),
            // The speakers' cues go to the speakers room, checked below; the example's
            // speakers have no Matrix IDs, so no invitations and no check-in.
            What::Cue { .. } => continue,
            What::Invite { .. } | What::CheckIn { .. } => unreachable!("{post:?}"),
        };
        for room in rooms {
            expected.push(format!("[{} CET] confbot in {room}", confbot::time::clock(&post.due)));
        }
    }
    // The question boards in the speakers room are printed too, and are not planned posts.
    let speakers = config.rooms.speakers.clone().unwrap();
    assert!(
        text.contains(&format!(
            "[09:00 CET] confbot in {speakers}: CentOS Stream: RHEL development in public · Pagoda room · 09:00–09:25 CET · 25 minutes left\n"
        )),
        "{text}"
    );
    // So are the speakers' cues: on in 5 minutes, and the countdown to the end.
    for cue in [
        "[08:55 CET] confbot in {speakers}: Adam Samalik: you're on in 5 minutes: CentOS Stream: RHEL development in public, 09:00–09:25 CET.",
        "[09:20 CET] confbot in {speakers}: Adam Samalik: 5 minutes left in CentOS Stream: RHEL development in public (until 09:25 CET).",
        "[09:24 CET] confbot in {speakers}: Adam Samalik: Q&A: 1 minute left in CentOS Stream: RHEL development in public.",
    ] {
        let cue = cue.replace("{speakers}", &speakers);
        assert_eq!(text.matches(&cue).count(), 1, "{cue}\n{text}");
    }
    // The Pagoda room's topic says what is on there: set at the start, then as each
    // session starts; it is not a planned post either.
    let pagoda = config.rooms.mapped("Pagoda room").unwrap();
    let topics: Vec<&str> = text.lines().filter(|l| l.contains(": (topic) ")).collect();
    assert_eq!(
        topics,
        [
            format!("[08:50 CET] confbot in {pagoda}: (topic) Now: Connect over coffee until 09:00 CET · Next: CentOS Stream: RHEL development in public (Adam Samalik) at 09:00 CET"),
            format!("[09:00 CET] confbot in {pagoda}: (topic) Now: CentOS Stream: RHEL development in public (Adam Samalik) until 09:25 CET · Next: AlmaLinux Build System and Project Updates (Jack Aboutboul) at 09:25 CET"),
            format!("[09:25 CET] confbot in {pagoda}: (topic) Now: AlmaLinux Build System and Project Updates (Jack Aboutboul) until 09:50 CET · Next: One year on: Experiences using ebranch to bring over Fedora packages to EPEL (Michel Salim) at 09:50 CET"),
        ],
        "{text}"
    );
    let printed: Vec<String> = text
        .lines()
        .filter(|l| !l.contains(": (topic) "))
        .filter_map(|l| l.split_once(": ").map(|(head, _)| head.to_string()))
        .filter(|head| head.contains("] confbot in ") && !head.contains(&format!("confbot in {speakers}")))
        .collect();
    assert!(
        expected.len() >= 8,
        "the stretch has reminders and announcements: {expected:?}"
    );
    // In time order, each post once in each of its rooms (posts due at the same minute may
    // print in any order).
    let mut sorted = printed.clone();
    sorted.sort_by_key(|head| head[1..6].to_string());
    assert_eq!(printed, sorted, "printed out of time order:\n{text}");
    let mut printed = printed;
    printed.sort();
    expected.sort();
    assert_eq!(printed, expected, "{text}");
    assert!(!text.contains("(late)"), "{text}");
}
