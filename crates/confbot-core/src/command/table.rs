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
    /// One use of it, without the prefix, as `!help NAME` shows it: "next".
    pub example: &'static str,
    pub role: Role,
}

/// Every command, in the order `!help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "now",
        aliases: &[],
        args: "[ROOM]",
        summary: "what is on now (here, or in ROOM)",
        example: "now Pagoda room",
        role: Role::Attendee,
    },
    Spec {
        name: "next",
        aliases: &[],
        args: "[ROOM]",
        summary: "what comes next (here, or in ROOM)",
        example: "next",
        role: Role::Attendee,
    },
    Spec {
        name: "today",
        aliases: &[],
        args: "",
        summary: "today's agenda",
        example: "today",
        role: Role::Attendee,
    },
    Spec {
        name: "schedule",
        aliases: &[],
        args: "[DATE | day N]",
        summary: "a day's agenda",
        example: "schedule day 1",
        role: Role::Attendee,
    },
    Spec {
        name: "speaker",
        aliases: &[],
        args: "NAME",
        summary: "a speaker's sessions and bio",
        example: "speaker Samalik",
        role: Role::Attendee,
    },
    Spec {
        name: "session",
        aliases: &["talk"],
        args: "ID | WORDS",
        summary: "one session in full",
        example: "session rocky",
        role: Role::Attendee,
    },
    Spec {
        name: "search",
        aliases: &[],
        args: "WORDS",
        summary: "sessions whose title, speakers or abstract match",
        example: "search kernel modules",
        role: Role::Attendee,
    },
    Spec {
        name: "ask",
        aliases: &["q"],
        args: "[#SESSION] QUESTION",
        summary: "a question for the speaker, through the moderators",
        example: "ask #3 How do I join the SIG?",
        role: Role::Attendee,
    },
    Spec {
        name: "upvote",
        aliases: &["vote"],
        args: "Q-NUMBER",
        summary: "one vote for a question (or react 👍 to its receipt)",
        example: "upvote Q3",
        role: Role::Attendee,
    },
    Spec {
        name: "remind",
        aliases: &[],
        args: "SESSION",
        summary: "a direct message to you before SESSION starts",
        example: "remind rocky",
        role: Role::Attendee,
    },
    Spec {
        name: "reminders",
        aliases: &[],
        args: "",
        summary: "your personal reminders",
        example: "reminders",
        role: Role::Attendee,
    },
    Spec {
        name: "forget",
        aliases: &[],
        args: "SESSION",
        summary: "cancel your reminder for SESSION",
        example: "forget rocky",
        role: Role::Attendee,
    },
    Spec {
        name: "tz",
        aliases: &["timezone"],
        args: "[ZONE | off]",
        summary: "also show times in your zone (Europe/Paris, America/Chicago…)",
        example: "tz America/New_York",
        role: Role::Attendee,
    },
    Spec {
        name: "ping",
        aliases: &[],
        args: "",
        summary: "check that the bot is listening",
        example: "ping",
        role: Role::Attendee,
    },
    Spec {
        name: "help",
        aliases: &[],
        args: "[COMMAND]",
        summary: "this list",
        example: "help ask",
        role: Role::Attendee,
    },
    Spec {
        name: "questions",
        aliases: &[],
        args: "[SESSION]",
        summary: "the open questions of the current session, or SESSION, by votes (moderators)",
        example: "questions",
        role: Role::Moderator,
    },
    Spec {
        name: "approve",
        aliases: &[],
        args: "Q-NUMBER",
        summary: "pass a question on to the speakers, or react ✅ (moderators)",
        example: "approve Q3",
        role: Role::Moderator,
    },
    Spec {
        name: "reject",
        aliases: &[],
        args: "Q-NUMBER [REASON]",
        summary: "turn a question down, or react ❌ (moderators)",
        example: "reject Q3 answered in the talk",
        role: Role::Moderator,
    },
    Spec {
        name: "answered",
        aliases: &[],
        args: "Q-NUMBER",
        summary: "mark a question answered, or react 💬 (moderators)",
        example: "answered Q3",
        role: Role::Moderator,
    },
    Spec {
        name: "noshow",
        aliases: &[],
        args: "SESSION",
        summary: "the speakers of SESSION will not come: no cues or check-in for it (moderators)",
        example: "noshow kernel-sched",
        role: Role::Moderator,
    },
    Spec {
        name: "announce",
        aliases: &[],
        args: "[in DURATION | at TIME] [to all | to track NAME | to ROOM[,ROOM…]] TEXT",
        summary: "post TEXT now, later, or at a time; to several rooms once you confirm (organizers)",
        example: "announce in 10m Lunch is served in the hall",
        role: Role::Organizer,
    },
    Spec {
        name: "confirm",
        aliases: &[],
        args: "",
        summary: "send your announcement waiting to go to several rooms (organizers)",
        example: "confirm",
        role: Role::Organizer,
    },
    Spec {
        name: "announcements",
        aliases: &[],
        args: "",
        summary: "the pending announcements (organizers)",
        example: "announcements",
        role: Role::Organizer,
    },
    Spec {
        name: "cancel",
        aliases: &[],
        args: "ID",
        summary: "cancel a pending announcement (organizers)",
        example: "cancel 2",
        role: Role::Organizer,
    },
    Spec {
        name: "delay",
        aliases: &[],
        args: "[ROOM] DURATION",
        summary: "the current session and the rest of the day move by DURATION (organizers)",
        example: "delay Pagoda room 10m",
        role: Role::Organizer,
    },
    Spec {
        name: "status",
        aliases: &[],
        args: "",
        summary: "the next posts due (organizers)",
        example: "status",
        role: Role::Organizer,
    },
    Spec {
        name: "reload",
        aliases: &[],
        args: "",
        summary: "read the schedule again and announce what changed (organizers)",
        example: "reload",
        role: Role::Organizer,
    },
];

/// How to write it: "speaker NAME", without the prefix.
pub fn written(spec: &Spec) -> String {
    if spec.args.is_empty() {
        spec.name.to_string()
    } else {
        format!("{} {}", spec.name, spec.args)
    }
}
