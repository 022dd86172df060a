//! The command table: every command's name, aliases, arguments, help line and role, in
//! the order `!help` lists them. The parser and `!help` both read it.

use super::Role;

/// One row of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The arguments, as `!help` shows them: "[ROOM]", "NAME".
    pub args: &'static str,
    pub summary: &'static str,
    pub role: Role,
}

/// Every command, in the order `!help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "now",
        aliases: &[],
        args: "[ROOM]",
        summary: "what is on now (here, or in ROOM)",
        role: Role::Attendee,
    },
    Spec {
        name: "next",
        aliases: &[],
        args: "[ROOM]",
        summary: "what comes next (here, or in ROOM)",
        role: Role::Attendee,
    },
    Spec {
        name: "today",
        aliases: &[],
        args: "",
        summary: "today's agenda",
        role: Role::Attendee,
    },
    Spec {
        name: "schedule",
        aliases: &[],
        args: "[DATE | day N]",
        summary: "a day's agenda",
        role: Role::Attendee,
    },
    Spec {
        name: "speaker",
        aliases: &[],
        args: "NAME",
        summary: "a speaker's sessions and bio",
        role: Role::Attendee,
    },
    Spec {
        name: "session",
        aliases: &["talk"],
        args: "ID | WORDS",
        summary: "one session in full",
        role: Role::Attendee,
    },
    Spec {
        name: "search",
        aliases: &[],
        args: "WORDS",
        summary: "sessions whose title, speakers or abstract match",
        role: Role::Attendee,
    },
    Spec {
        name: "ask",
        aliases: &["q"],
        args: "[#SESSION] QUESTION",
        summary: "a question for the speaker, through the moderators",
        role: Role::Attendee,
    },
    Spec {
        name: "upvote",
        aliases: &["vote"],
        args: "Q-NUMBER",
        summary: "one vote for a question (or react 👍 to its receipt)",
        role: Role::Attendee,
    },
    Spec {
        name: "remind",
        aliases: &[],
        args: "SESSION",
        summary: "a direct message to you before SESSION starts",
        role: Role::Attendee,
    },
    Spec {
        name: "reminders",
        aliases: &[],
        args: "",
        summary: "your personal reminders",
        role: Role::Attendee,
    },
    Spec {
        name: "forget",
        aliases: &[],
        args: "SESSION",
        summary: "cancel your reminder for SESSION",
        role: Role::Attendee,
    },
    Spec {
        name: "tz",
        aliases: &["timezone"],
        args: "[ZONE | off]",
        summary: "also show times in your zone (Europe/Paris, America/Chicago…)",
        role: Role::Attendee,
    },
    Spec {
        name: "ping",
        aliases: &[],
        args: "",
        summary: "check that the bot is listening",
        role: Role::Attendee,
    },
    Spec {
        name: "help",
        aliases: &[],
        args: "",
        summary: "this list",
        role: Role::Attendee,
    },
    Spec {
        name: "questions",
        aliases: &[],
        args: "[SESSION]",
        summary: "the open questions of the current session, or SESSION, by votes (moderators)",
        role: Role::Moderator,
    },
    Spec {
        name: "approve",
        aliases: &[],
        args: "Q-NUMBER",
        summary: "pass a question on to the speakers, or react ✅ (moderators)",
        role: Role::Moderator,
    },
    Spec {
        name: "reject",
        aliases: &[],
        args: "Q-NUMBER [REASON]",
        summary: "turn a question down, or react ❌ (moderators)",
        role: Role::Moderator,
    },
    Spec {
        name: "answered",
        aliases: &[],
        args: "Q-NUMBER",
        summary: "mark a question answered, or react 💬 (moderators)",
        role: Role::Moderator,
    },
    Spec {
        name: "announce",
        aliases: &[],
        args: "[in DURATION | at TIME] [to ROOM] TEXT",
        summary: "post TEXT now, later, or at a time (organizers)",
        role: Role::Organizer,
    },
    Spec {
        name: "announcements",
        aliases: &[],
        args: "",
        summary: "the pending announcements (organizers)",
        role: Role::Organizer,
    },
    Spec {
        name: "cancel",
        aliases: &[],
        args: "ID",
        summary: "cancel a pending announcement (organizers)",
        role: Role::Organizer,
    },
    Spec {
        name: "delay",
        aliases: &[],
        args: "[ROOM] DURATION",
        summary: "the current session and the rest of the day move by DURATION (organizers)",
        role: Role::Organizer,
    },
    Spec {
        name: "status",
        aliases: &[],
        args: "",
        summary: "the next posts due (organizers)",
        role: Role::Organizer,
    },
    Spec {
        name: "reload",
        aliases: &[],
        args: "",
        summary: "read the schedule again and announce what changed (organizers)",
        role: Role::Organizer,
    },
];

/// "!speaker NAME — a speaker's sessions and bio".
pub fn usage(spec: &Spec) -> String {
    let args = if spec.args.is_empty() {
        String::new()
    } else {
        format!(" {}", spec.args)
    };
    format!("!{}{args} — {}", spec.name, spec.summary)
}
