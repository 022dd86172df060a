//! No chat message may panic the bot's command handling: `Command::parse` returns a
//! command, no command, or a usage error whose text is the reply; an organizer's command is
//! decided on and, for a delay or a question, carried as far as the pure core goes. And
//! no typed text can carry its direction controls out of `message::isolate`.
#![no_main]

use chrono::DateTime;
use chrono_tz::Tz;
use confbot_core::answer::{self, Decision};
use confbot_core::command::{Command, Role};
use confbot_core::rooms::Rooms;
use confbot_core::present::message::isolate;
use confbot_core::present::refusal;
use confbot_core::questions::{self, Action, NewQuestion, Question, QuestionCommand, Rules, Status};
use confbot_core::schedule::{native, Schedule};
use confbot_core::{delay, time};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn schedule() -> &'static Schedule {
    static SCHEDULE: OnceLock<Schedule> = OnceLock::new();
    SCHEDULE.get_or_init(|| {
        native::parse(include_str!("../../data/centos-connect-2023.toml"), "centos", None)
            .expect("the bundled schedule parses")
            .schedule
    })
}

fn rooms() -> Rooms {
    Rooms {
        announcements: vec!["#all:example.org".into()],
        moderators: Some("#mods:example.org".into()),
        speakers: Some("#speakers:example.org".into()),
        map: [("Pagoda room".to_string(), "#pagoda:example.org".to_string())].into(),
    }
}

/// A question as the store would hand it back.
fn stored(new: NewQuestion, status: Status) -> Question {
    Question {
        number: 1,
        ask_event: new.ask_event,
        session_id: new.session_id,
        asker: new.asker,
        asker_name: new.asker_name,
        text: new.text,
        asked_at: new.asked_at,
        status,
        votes: 2,
        receipt_event: None,
        relay_event: None,
        speakers_event: Some("$speakers".into()),
        triage: None,
    }
}

fn ask(schedule: &Schedule, session: Option<&str>, text: &str, now: DateTime<Tz>) {
    let target = match questions::session_for(schedule, Some("Pagoda room"), session, now) {
        Ok(target) => target,
        Err(refused) => {
            let _ = refusal::message(schedule, &refused.into());
            return;
        }
    };
    if let Err(refused) = questions::check_ask(&Rules::default(), text, &target.session.id, &[], now) {
        let _ = refusal::message(schedule, &refused.into());
        return;
    }
    let _ = questions::receipt(1, &target, now);
    let new = NewQuestion {
        ask_event: "$ask".into(),
        session_id: target.session.id.clone(),
        asker: "@fuzz:example.org".into(),
        // Display names are as free as question texts.
        asker_name: text.chars().take(64).collect(),
        text: text.to_string(),
        asked_at: now,
    };
    let question = stored(new, Status::Pending);
    let _ = questions::relay(schedule, &question);
    let _ = questions::to_speakers(schedule, &question);
    let _ = questions::list(&[(target.session, vec![question.clone()])]);
    let approved = Question {
        status: Status::Approved,
        ..question
    };
    let _ = questions::leftovers(target.session, &[approved]);
}

/// Text without direction controls comes back unchanged; otherwise, on each line of what
/// comes back, the wrapper opened by the first character is closed by the last and by
/// nothing before it (the Unicode bidi algorithm's rules X1–X8, without overflow).
fn check_isolated(text: &str) {
    let out = isolate(text);
    if !text
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        assert_eq!(out, text);
        return;
    }
    for line in out.split(['\n', '\r', '\u{1C}', '\u{1D}', '\u{1E}', '\u{85}', '\u{2029}']) {
        let chars: Vec<char> = line.chars().collect();
        // true: an isolate; false: an embedding or override.
        let mut open: Vec<bool> = Vec::new();
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => open.push(false),
                '\u{2066}'..='\u{2068}' => open.push(true),
                '\u{202C}' if open.last() == Some(&false) => {
                    open.pop();
                }
                '\u{2069}' => {
                    let at = open.iter().rposition(|&isolate| isolate);
                    open.truncate(at.unwrap_or_else(|| panic!("a PDI with no isolate: {text:?} -> {out:?}")));
                }
                _ => {}
            }
            assert_eq!(open.is_empty(), i + 1 == chars.len(), "{text:?} -> {out:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_isolated(text);
    let command = match Command::parse(text) {
        Ok(Some(command)) => command,
        Ok(None) => return,
        Err(usage) => {
            let _ = refusal::usage_words(&usage);
            return;
        }
    };
    let _ = (command.name(), command.role(), command.to_string());
    let schedule = schedule();
    let now = time::parse_instant("2023-02-03T14:20", schedule.timezone()).expect("a valid instant");
    let decision = answer::decide(
        schedule,
        &rooms(),
        &command,
        Role::Organizer,
        now,
        Some("Pagoda room"),
        Some(chrono_tz::America::Chicago),
    );
    match decision {
        Decision::Refuse(refused) => {
            let _ = refusal::message(schedule, &refused);
        }
        Decision::Delay(planned) => {
            let moved = delay::apply(schedule, std::slice::from_ref(&planned));
            let _ = delay::announcement(schedule, &moved, &planned);
        }
        Decision::Question(QuestionCommand::Ask { session, text }) => ask(schedule, session.as_deref(), &text, now),
        Decision::Question(QuestionCommand::Moderate(number, action @ Action::Reject(_))) => {
            let question = stored(
                NewQuestion {
                    ask_event: "$ask".into(),
                    session_id: "network".into(),
                    asker: "@fuzz:example.org".into(),
                    asker_name: "Fuzz".into(),
                    text: "Why?".into(),
                    asked_at: now,
                },
                Status::Approved,
            );
            let question = Question { number, ..question };
            if let Ok(transition) = questions::transition(schedule, &question, action) {
                let _ = (transition.reply.html().len(), transition.to_asker.html().len());
            }
        }
        Decision::Question(QuestionCommand::List(named)) => {
            if let Err(refused) = questions::listing_sessions(schedule, named.as_deref(), now) {
                let _ = refusal::message(schedule, &refused);
            }
        }
        _ => {}
    }
});
