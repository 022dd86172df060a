//! What the questions' tests share: a small schedule and questions in it.

use super::*;
use crate::schedule::native;

/// Two rooms, a keynote in no particular room, a break, and a talk on the next day.
pub fn schedule() -> Schedule {
    native::parse(
        r#"
[conference]
name = "Mini"
timezone = "Europe/Brussels"
[[speakers]]
id = "ff"
name = "Fernando Fernández Mancera"
[[sessions]]
id = "opening"
title = "Opening keynote"
kind = "keynote"
start = "2023-02-03T09:00"
duration = "30m"
[[sessions]]
id = "network"
title = "Network management in Enterprise Linux"
start = "2023-02-03T09:30"
duration = "30m"
room = "Pagoda room"
speakers = ["ff"]
[[sessions]]
id = "kernel"
title = "Kernel news"
start = "2023-02-03T09:30"
duration = "30m"
room = "Janson"
[[sessions]]
id = "coffee"
title = "Coffee"
kind = "break"
start = "2023-02-03T10:00"
duration = "30m"
room = "Pagoda room"
[[sessions]]
id = "rust"
title = "Rust in the kernel"
start = "2023-02-03T10:30"
duration = "30m"
room = "Pagoda room"
[[sessions]]
id = "late"
title = "Late talk"
start = "2023-02-03T11:00"
duration = "30m"
room = "Janson"
[[sessions]]
id = "saturday"
title = "Saturday morning"
start = "2023-02-04T09:00"
duration = "30m"
room = "Janson"
"#,
        "mini.toml",
        None,
    )
    .unwrap()
    .schedule
}

pub fn at(s: &str) -> DateTime<Tz> {
    crate::time::parse_instant(s, chrono_tz::Europe::Brussels).unwrap()
}

pub fn question(number: u64, session: &str, text: &str, asked_at: &str) -> Question {
    Question {
        number,
        ask_event: format!("$ask{number}"),
        session_id: session.into(),
        asker: "@alice:example.org".into(),
        asker_name: "Alice".into(),
        text: text.into(),
        asked_at: at(asked_at),
        status: Status::Pending,
        votes: 0,
        receipt_event: None,
        relay_event: None,
        speakers_event: None,
        triage: None,
    }
}

pub fn target<'s>(
    s: &'s Schedule,
    here: Option<&str>,
    named: Option<&str>,
    now: &str,
) -> Result<(&'s str, Timing), String> {
    session_for(s, here, named, at(now))
        .map(|t| (t.session.id.as_str(), t.timing))
        .map_err(|e| crate::present::refusal::text(s, &e.into()))
}

/// The reply a refusal gets, as the asker or moderator reads it.
pub fn said(refusal: impl Into<Refusal>) -> String {
    crate::present::refusal::text(&schedule(), &refusal.into())
}
