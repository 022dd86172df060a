//! The `confbot` binary as an organizer runs it: `check` and `schedule` over the
//! CentOS Connect data and over broken files, and `questions` over a store.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn confbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confbot"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("CONFBOT_CONFIG")
        .output()
        .expect("confbot runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const CENTOS: &str = "data/centos-connect-2023.toml";

#[test]
fn json_lists_all_eighteen_sessions_in_the_normalized_shape() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(doc["conference"]["name"], "CentOS Connect at FOSDEM 2023");
    assert_eq!(doc["conference"]["timezone"], "Europe/Brussels");
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 18);
    assert_eq!(
        sessions[1],
        serde_json::json!({
            "id": "rheldevel",
            "title": "CentOS Stream: RHEL development in public",
            "kind": "talk",
            "start": "2023-02-03T09:00:00+01:00",
            "end": "2023-02-03T09:25:00+01:00",
            "room": "Pagoda room",
            "track": null,
            "speakers": ["Adam Samalik"]
        })
    );
    let first = &sessions[0];
    assert_eq!(
        (first["title"].as_str(), first["kind"].as_str()),
        (Some("Connect over coffee"), Some("break"))
    );
    assert_eq!(first["start"], "2023-02-03T08:30:00+01:00");
    let last = &sessions[17];
    assert_eq!(last["title"], "CentOS Board AMA");
    assert_eq!(last["end"], "2023-02-03T18:00:00+01:00");
    let okd = sessions.iter().find(|s| s["id"] == "okd").unwrap();
    assert_eq!(
        okd["speakers"],
        serde_json::json!(["Christian Glombek", "Alessandro Di Stefano"])
    );
    let breaks = sessions.iter().filter(|s| s["kind"] == "break").count();
    assert_eq!(breaks, 4, "coffee, two breaks and lunch");
    for pair in sessions.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["start"], "each entry ends when the next begins");
    }
}

#[test]
fn at_ten_past_nine_the_rhel_talk_is_on_and_almalinux_is_next() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--at", "2023-02-03T09:10"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "Now:\n  09:00–09:25 CET  CentOS Stream: RHEL development in public — Adam Samalik (Pagoda room)\n\
         Next, in 15 minutes:\n  09:25–09:50 CET  AlmaLinux Build System and Project Updates — Jack Aboutboul (Pagoda room)\n"
    );
}

#[test]
fn during_the_morning_break_the_infra_talk_is_next() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--at", "2023-02-03T10:05:00Z"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("Now:\n  11:00–11:15 CET  Break (Pagoda room)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "Next, in 10 minutes:\n  11:15–12:00 CET  Offered CentOS Infra services for SIGs — Fabian Arrotin"
        ),
        "{text}"
    );
}

#[test]
fn after_six_the_conference_is_over_and_before_it_says_when_it_starts() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--at", "2023-02-03T18:30"]);
    assert_eq!(
        stdout(&out),
        "CentOS Connect at FOSDEM 2023 is over: the last session ended on Friday 3 February 2023 at 18:00 CET. Thank you for coming!\n"
    );
    let out = confbot(&["schedule", "--schedule", CENTOS, "--at", "2023-02-02T20:00"]);
    assert!(
        stdout(&out).starts_with("CentOS Connect at FOSDEM 2023 starts on Friday 3 February 2023 at 08:30 CET, in 12 hours 30 minutes.\nFirst:\n  08:30–09:00 CET  Connect over coffee"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_agenda_of_a_day_lists_every_entry() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--day", "2023-02-03"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Friday 3 February 2023");
    assert_eq!(lines.len(), 19);
    assert_eq!(
        lines[18],
        "  17:00–18:00 CET  CentOS Board AMA — CentOS Board (Pagoda room)"
    );
}

#[test]
fn check_accepts_the_example_config_and_prints_the_plan() {
    let out = confbot(&["check", "--config", "config/confbot.example.toml"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{}", text, stderr(&out));
    assert!(
        text.contains("CentOS Connect at FOSDEM 2023 (Europe/Brussels)"),
        "{text}"
    );
    assert!(text.contains("1 day: Friday 3 February 2023"), "{text}");
    assert!(text.contains("1 room: Pagoda room"), "{text}");
    assert!(text.contains("18 sessions (13 talk, 4 break, 1 other)"), "{text}");
    assert!(text.contains("15 speakers"), "{text}");
    assert!(text.contains("36 reminders (10m, 0m before each session):"), "{text}");
    assert!(
        text.contains("Fri 3 Feb 08:20 CET   10m before  Connect over coffee"),
        "{text}"
    );
    assert!(
        text.contains("Fri 3 Feb 17:00 CET    0m before  CentOS Board AMA"),
        "{text}"
    );
    // The config's announcements: one at 08:25, one 15 minutes before Rocky, and the
    // hourly cron from 09:00 to 17:00.
    assert!(text.contains("11 announcements over the conference's days:"), "{text}");
    assert!(
        text.contains("  Fri 3 Feb 08:25 CET  to announcements: Good morning! Coffee is served"),
        "{text}"
    );
    assert!(
        text.contains("  Fri 3 Feb 14:25 CET  to moderators: Rocky Linux is next"),
        "{text}"
    );
    assert_eq!(text.matches("to announcements: The live stream").count(), 9, "{text}");
    assert!(
        text.contains("where each room's posts go:\n  Pagoda room: reminders to #centos-connect:example.org, #centos-connect-pagoda:example.org; questions to #centos-connect-moderators:example.org, approved ones to #centos-connect-speakers:example.org\n"),
        "{text}"
    );
}

#[test]
fn check_shows_where_each_tracks_questions_go_and_warns_of_a_room_mapped_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("confbot.toml");
    let schedule = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml");
    std::fs::write(
        &config,
        format!(
            "[schedule]\nsource = \"{}\"\n[rooms]\nannouncements = [\"#all:ex.org\"]\nmoderators = \"#mods:ex.org\"\n\
             [rooms.map]\n\"Kernel\" = {{ room = \"#kernel:ex.org\", moderators = \"#kernel-mods:ex.org\", backstage = \"#kernel-backstage:ex.org\" }}\n",
            schedule.display()
        ),
    )
    .unwrap();
    let out = confbot(&["check", "--config", config.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{}", text, stderr(&out));
    assert!(
        text.contains(
            "where each room's posts go:\n\
             \x20 Hall A (track Kernel): reminders to #all:ex.org, #kernel:ex.org; questions to #kernel-mods:ex.org, approved ones to #kernel-backstage:ex.org\n\
             \x20 Hall B: reminders to #all:ex.org; questions to #mods:ex.org, approved ones to no speakers room\n\
             warning: room \"Hall B\" of the schedule maps nowhere in [rooms.map] (nor do its tracks): its reminders go only to the announcements rooms\n"
        ),
        "{text}"
    );
}

#[test]
fn a_schedule_with_a_bad_zone_fails_with_the_fix() {
    let out = confbot(&["check", "--schedule", "tests/fixtures/broken-zone.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("tests/fixtures/broken-zone.toml:3: error: [conference] timezone \"Europe/Brusels\" is not a known time zone: did you mean \"Europe/Brussels\"?"),
        "{err}"
    );
}

#[test]
fn a_schedule_with_broken_sessions_names_each_session_and_fix() {
    let out = confbot(&["check", "--schedule", "tests/fixtures/broken-sessions.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("broken-sessions.toml:21: error: session 'alma': speaker \"jack\" is not defined: add a [[speakers]] entry with id = \"jack\" or fix the id in speakers"),
        "{err}"
    );
    assert!(
        err.contains("broken-sessions.toml:13: error: session 'rheldevel': end 09:00 is not after start 09:25: fix end, or write duration = \"25m\" instead"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");
    let out = confbot(&[
        "schedule",
        "--schedule",
        "tests/fixtures/broken-sessions.toml",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "nothing is printed from a broken schedule");
}

#[test]
fn a_config_with_an_unknown_key_names_it() {
    let out = confbot(&["check", "--config", "tests/fixtures/broken-config.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("tests/fixtures/broken-config.toml: error: line 6: unknown field `grace_period`, expected one of `lead`, `grace`, `skip_kinds`"),
        "{err}"
    );
}

#[test]
fn times_are_read_in_the_zone_of_a_multi_day_schedule() {
    let out = confbot(&[
        "schedule",
        "--schedule",
        "tests/fixtures/fall-summit-2023.toml",
        "--at",
        "2023-11-04T18:00",
    ]);
    assert_eq!(
        stdout(&out),
        "Nothing is on right now.\nNext, in 5 hours:\n  23:00 EDT–Sun 5 Nov 01:00 EST  Night owls session (Bar)\n"
    );
    let out = confbot(&[
        "schedule",
        "--schedule",
        "tests/fixtures/fall-summit-2023.toml",
        "--day",
        "3",
        "--room",
        "ballroom",
    ]);
    assert_eq!(
        stdout(&out),
        "Sunday 5 November 2023\n  09:00–09:45 EST  Sunday morning talks — María Rossi (Ballroom)\n"
    );
}

#[test]
fn a_bad_time_or_room_is_a_clear_error() {
    let out = confbot(&["schedule", "--schedule", CENTOS, "--at", "noon"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("--at: 'noon' is not a time"),
        "{}",
        stderr(&out)
    );
    let out = confbot(&["schedule", "--schedule", CENTOS, "--room", "Janson"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "--room Janson: no such room or track; the rooms are: Pagoda room\n"
    );
}

/// A config whose store, made with the library as the bot would, holds three questions.
fn store_with_questions(dir: &Path) -> std::path::PathBuf {
    use confbot::infra::store::Store;
    use confbot::questions::{NewQuestion, Status};
    let state = dir.join("state");
    std::fs::create_dir(&state).unwrap();
    let store = Store::open(&state.join("confbot.sqlite")).unwrap();
    let zone = chrono_tz::Europe::Brussels;
    let ask = |event: &str, session: &str, asker: &str, name: &str, text: &str, at: &str| {
        let asked_at = confbot::time::parse_instant(at, zone).unwrap();
        let new = NewQuestion {
            ask_event: event.into(),
            session_id: session.into(),
            asker: asker.into(),
            asker_name: name.into(),
            text: text.into(),
            asked_at,
        };
        store.add_question(&new).unwrap().0
    };
    let q1 = ask(
        "$1",
        "network",
        "@alice:example.org",
        "Alice",
        "Is Nmstate | NM \"1.42\" in 9.2?\nThanks!",
        "2023-02-03T14:20",
    );
    let q2 = ask(
        "$2",
        "network",
        "@bob:example.org",
        "Bob",
        "Spam, spam",
        "2023-02-03T14:21",
    );
    let q3 = ask(
        "$3",
        "rocky",
        "@bob:example.org",
        "Bob",
        "What is Peridot?",
        "2023-02-03T14:45",
    );
    store.add_vote(q1, "@bob:example.org", "$bob-vote").unwrap();
    store.add_vote(q1, "@carol:example.org", "$carol-vote").unwrap();
    store.set_status(q1, &Status::Pending, &Status::Approved).unwrap();
    store
        .set_status(
            q2,
            &Status::Pending,
            &Status::Rejected {
                reason: Some("not a question".into()),
            },
        )
        .unwrap();
    assert_eq!((q1, q2, q3), (1, 2, 3));
    let config = dir.join("bot.toml");
    std::fs::write(
        &config,
        format!(
            "[matrix]\nhomeserver = \"https://matrix.example.org\"\nuser = \"@confbot:example.org\"\nstate_dir = \"state\"\n[schedule]\nsource = \"{}/{CENTOS}\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    config
}

#[test]
fn questions_are_exported_as_csv_json_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let config = store_with_questions(dir.path());
    let config = config.to_str().unwrap();

    let out = confbot(&["questions", "--config", config, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "number,session,title,asker,asker_name,asked_at,status,reason,votes,text\r\n\
         1,network,Network management in Enterprise Linux: present and future,'@alice:example.org,Alice,2023-02-03T14:20:00+01:00,approved,,2,\"Is Nmstate | NM \"\"1.42\"\" in 9.2?\nThanks!\"\r\n\
         2,network,Network management in Enterprise Linux: present and future,'@bob:example.org,Bob,2023-02-03T14:21:00+01:00,rejected,not a question,0,\"Spam, spam\"\r\n\
         3,rocky,Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux,'@bob:example.org,Bob,2023-02-03T14:45:00+01:00,pending,,0,What is Peridot?\r\n"
    );
    assert!(stderr(&out).contains("exported 3 questions from"), "{}", stderr(&out));

    let out = confbot(&[
        "questions",
        "--config",
        config,
        "--format",
        "json",
        "--session",
        "rocky",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(
        doc,
        serde_json::json!([{
            "number": 3,
            "session": "rocky",
            "title": "Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux",
            "asker": "@bob:example.org",
            "asker_name": "Bob",
            "asked_at": "2023-02-03T14:45:00+01:00",
            "status": "pending",
            "reason": null,
            "votes": 0,
            "text": "What is Peridot?"
        }])
    );

    let out = confbot(&["questions", "--config", config, "--session", "network"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert_eq!(
        lines[2],
        "| Q1 | network | Network management in Enterprise Linux: present and future | Alice (@alice:example.org) | 2023-02-03 14:20 CET | approved | 2 | Is Nmstate \\| NM \"1.42\" in 9.2?<br>Thanks! |"
    );
    assert!(
        lines[3].contains("| rejected: not a question | 0 | Spam, spam |"),
        "{}",
        lines[3]
    );

    let out = confbot(&["questions", "--config", config, "--session", "rocy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "--session rocy: no session has this ID; did you mean rocky?\n"
    );
}

#[test]
fn exporting_without_a_store_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        format!(
            "[matrix]\nhomeserver = \"https://matrix.example.org\"\nuser = \"@confbot:example.org\"\nstate_dir = \"nowhere\"\n[schedule]\nsource = \"{}/{CENTOS}\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let out = confbot(&["questions", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "no store of questions at {}: has the bot run with this config's [matrix] state_dir?\n",
        dir.path().join("nowhere").join("confbot.sqlite").display()
    );
    assert_eq!(stderr(&out), expected);
    assert!(!dir.path().join("nowhere").exists(), "nothing is created");
}

#[test]
fn version_and_help_name_every_subcommand_and_option() {
    let out = confbot(&["--version"]);
    assert_eq!(stdout(&out), format!("confbot {}\n", env!("CARGO_PKG_VERSION")));
    let out = confbot(&["help"]);
    assert!(out.status.success());
    for sub in ["check", "schedule", "import", "questions", "run", "console"] {
        assert!(
            stdout(&out).contains(&format!("\n  {sub} ")),
            "help lacks {sub}:\n{}",
            stdout(&out)
        );
        let help = confbot(&[sub, "--help"]);
        assert!(help.status.success(), "{sub} --help: {}", stderr(&help));
        assert!(
            stdout(&help).contains("Usage: confbot "),
            "{sub} --help:\n{}",
            stdout(&help)
        );
    }
    let run = stdout(&confbot(&["run", "--help"]));
    for word in [
        "--config",
        "--now",
        "--speed",
        "--keep-rehearsal",
        "--dry-run",
        "--log-json",
        "CONFBOT_PASSWORD",
        "/healthz",
    ] {
        assert!(run.contains(word), "run --help lacks {word}:\n{run}");
    }
    let console = stdout(&confbot(&["console", "--help"]));
    for word in ["--schedule", "--as", "--role", "--room", "--until", "--state", "/wait"] {
        assert!(console.contains(word), "console --help lacks {word}:\n{console}");
    }
}
