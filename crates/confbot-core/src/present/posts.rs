//! The words of the bot's own posts: session reminders (the default wording, or the
//! organizers' templates) and attendees' personal reminders.

use crate::present::message::{isolate, Message};
use crate::present::render;
use crate::schedule::{Schedule, Session, SessionKind};
use crate::{duration, time};
use chrono::TimeDelta;

/// The placeholders a reminder template may name.
pub const PLACEHOLDERS: [&str; 10] = [
    "title", "speakers", "room", "start", "end", "zone", "lead", "in", "url", "day",
];

/// `message` opening with "@room", notifying everyone in the room it goes to
/// (`[reminders] notify = "room"`).
pub fn notifying_room(message: &Message) -> Message {
    let mut notifying = Message::new();
    notifying.mention_room().text(" ").append(message);
    notifying
}

/// The text of a reminder: the configured template for its lead time, or the default
/// wording (its own for breaks). `late` marks one posted after its time.
pub fn reminder_message(
    schedule: &Schedule,
    session: &Session,
    lead: TimeDelta,
    templates: &std::collections::BTreeMap<String, String>,
    late: bool,
) -> Message {
    let mut message = Message::new();
    if late {
        message.em("(late) ");
    }
    let speakers = render::speaker_names(schedule, session);
    if let Some(template) = templates.get(&duration::Compact(lead).to_string()) {
        let values = |name: &str| -> String {
            match name {
                "title" => isolate(&session.title).into_owned(),
                "speakers" => speakers.clone(),
                "room" => session.room.as_deref().map(isolate).unwrap_or_default().into_owned(),
                "start" => time::clock(&session.start),
                "end" => time::clock(&session.end),
                "zone" => time::zone_abbreviation(&session.start),
                "lead" => duration::Compact(lead).to_string(),
                "in" => render::relative(session.start - lead, session.start),
                "url" => session.url.clone().unwrap_or_default(),
                "day" => render::short_day(session.start.date_naive()),
                _ => String::new(),
            }
        };
        message.text(&fill(template, values));
        return message;
    }
    let when = render::when(session);
    if session.kind == SessionKind::Break {
        if lead.is_zero() {
            message
                .strong(&isolate(&session.title))
                .text(&format!(" starts now, back at {}.", time::clock(&session.end)));
        } else {
            message.strong(&isolate(&session.title)).text(&format!(
                " {}, {when}.",
                render::relative(session.start - lead, session.start)
            ));
        }
        return message;
    }
    if lead.is_zero() {
        message.text("Starting now: ");
    } else {
        message.text(&format!(
            "{}: ",
            capitalize(&render::relative(session.start - lead, session.start))
        ));
    }
    message.strong(&isolate(&session.title));
    if !speakers.is_empty() {
        message.text(&format!(" — {speakers}"));
    }
    message.text(" · ");
    if let Some(room) = &session.room {
        message.text(&format!("{} · ", isolate(room)));
    }
    message.text(&when);
    if let Some(url) = &session.url {
        message.line_break().link(url, url);
    }
    message
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Replaces `{name}` by its value; `{{` and `}}` are literal braces.
pub fn fill(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(close)) = (tail.starts_with('{'), tail.find('}')) {
            out.push_str(&value(&tail[1..close]));
            rest = &tail[close + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a template names that do not exist.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    fill(template, |name| {
        if !PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_string());
        }
        String::new()
    });
    unknown
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schedule::native;
    use crate::testing::{at, centos};

    #[test]
    fn reminders_read_well_and_breaks_have_their_own_wording() {
        let s = centos();
        let none = std::collections::BTreeMap::new();
        let rocky = s.session("rocky").unwrap();
        let m = reminder_message(&s, rocky, TimeDelta::minutes(10), &none, false);
        assert_eq!(
            m.body(),
            "In 10 minutes: Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux — Neil Hanlon · Pagoda room · 14:40–15:05 CET\nhttps://connect.centos.org/#rocky"
        );
        let lunch = s.session("lunch").unwrap();
        assert_eq!(
            reminder_message(&s, lunch, TimeDelta::zero(), &none, false).body(),
            "Lunch (provided free) starts now, back at 13:00."
        );
        assert_eq!(
            reminder_message(&s, lunch, TimeDelta::zero(), &none, true).body(),
            "(late) Lunch (provided free) starts now, back at 13:00."
        );
        let mut templates = std::collections::BTreeMap::new();
        templates.insert(
            "0m".to_string(),
            "{title} with {speakers}, {start}–{end} {zone} {{now}}".to_string(),
        );
        assert_eq!(
            reminder_message(&s, s.session("okd").unwrap(), TimeDelta::zero(), &templates, false).body(),
            "Introducing CentOS Stream CoreOS and OKD Streams with Christian Glombek, Alessandro Di Stefano, 13:50–14:15 CET {now}"
        );
    }

    /// A schedule whose title, speaker name and room end in direction controls: a right-to-
    /// left override (U+202E) and an isolate (U+2067) that nothing closes.
    pub(crate) const TURNED: &str = r#"
[conference]
name = "C"
timezone = "Europe/Brussels"
[[speakers]]
id = "m"
name = "Mallory \u2067"
[[sessions]]
id = "evil"
title = "Evil \u202Etalk"
room = "Hall \u202E1"
speakers = ["m"]
start = "2023-02-03T09:00"
end = "2023-02-03T09:30"
[[sessions]]
id = "tea"
title = "Tea \u202E"
kind = "break"
start = "2023-02-03T09:30"
end = "2023-02-03T10:00"
"#;

    #[test]
    fn schedule_text_cannot_turn_a_reminder_around() {
        let s = native::parse(TURNED, "c.toml", None).unwrap().schedule;
        let evil = s.session("evil").unwrap();
        let none = std::collections::BTreeMap::new();
        assert_eq!(
            reminder_message(&s, evil, TimeDelta::minutes(10), &none, false).body(),
            "In 10 minutes: \u{2068}Evil \u{202E}talk\u{202C}\u{2069} — \u{2068}Mallory \u{2067}\u{2069}\u{2069} · \
             \u{2068}Hall \u{202E}1\u{202C}\u{2069} · 09:00–09:30 CET"
        );
        assert_eq!(
            reminder_message(&s, s.session("tea").unwrap(), TimeDelta::zero(), &none, false).body(),
            "\u{2068}Tea \u{202E}\u{202C}\u{2069} starts now, back at 10:00."
        );
        let mut templates = std::collections::BTreeMap::new();
        templates.insert(
            "0m".to_string(),
            "{title} in {room} with {speakers} at {start}".to_string(),
        );
        assert_eq!(
            reminder_message(&s, evil, TimeDelta::zero(), &templates, false).body(),
            "\u{2068}Evil \u{202E}talk\u{202C}\u{2069} in \u{2068}Hall \u{202E}1\u{202C}\u{2069} with \
             \u{2068}Mallory \u{2067}\u{2069}\u{2069} at 09:00"
        );
        assert_eq!(
            crate::present::personal::message(&s, evil, at(&s, "2023-02-03T08:50"), None, false).body(),
            "Your reminder: in 10 minutes, \u{2068}Evil \u{202E}talk\u{202C}\u{2069} — \u{2068}Mallory \u{2067}\u{2069}\u{2069} · \
             \u{2068}Hall \u{202E}1\u{202C}\u{2069} · 09:00–09:30 CET"
        );
    }
}
