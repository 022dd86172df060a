//! The posting plan: which reminders and announcements fall due when, each with a stable
//! key that makes it exactly-once, and what to do with one found overdue after downtime.
//! Pure; the timer that acts on it lives in the adapter.

use crate::config::{AnnouncementConfig, AnnouncementTime, Config};
use crate::message::{isolate, Message};
use crate::render;
use crate::schedule::{Schedule, Session, SessionKind};
use crate::{duration, time};
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;

/// One reminder: `lead` before `session` starts, due at `due`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder<'s> {
    pub session: &'s Session,
    pub lead: TimeDelta,
    pub due: DateTime<Tz>,
}

/// Every reminder of the schedule, ordered by due instant, then schedule order.
pub fn reminders<'s>(schedule: &'s Schedule, leads: &[TimeDelta], skip_kinds: &[SessionKind]) -> Vec<Reminder<'s>> {
    let mut plan: Vec<Reminder<'s>> = schedule
        .sessions()
        .iter()
        .filter(|session| !skip_kinds.contains(&session.kind))
        .flat_map(|session| {
            leads.iter().map(move |&lead| Reminder {
                session,
                lead,
                due: session.start - lead,
            })
        })
        .collect();
    plan.sort_by_key(|r| r.due);
    plan
}

impl Reminder<'_> {
    /// The exactly-once key: the session, the lead, and the start it was computed for (a
    /// moved session gets new reminders).
    pub fn key(&self) -> String {
        format!(
            "reminder:{}:{}:{}",
            self.session.id,
            self.lead.num_seconds(),
            time::rfc3339(&self.session.start)
        )
    }
}

/// An announcement an organizer scheduled from chat.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnnouncement {
    pub id: i64,
    pub due: DateTime<Tz>,
    /// A room name from `[rooms]`.
    pub room: String,
    pub text: String,
    pub author: String,
}

impl ChatAnnouncement {
    /// Its exactly-once key among the posts.
    pub fn key(&self) -> String {
        format!("chat-announcement:{}", self.id)
    }
}

/// An attendee's `!remind SESSION`: a direct message before the session starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalReminder {
    /// The attendee's Matrix ID.
    pub user: String,
    pub session: String,
    /// When they asked, on the bot's clock: the reminder is never due before that.
    pub asked_at: DateTime<Tz>,
}

impl PersonalReminder {
    /// When it falls due: `lead` before the session starts, or at once if asked later than
    /// that; `None` once the session has started or if it is no longer in the schedule.
    pub fn due(&self, schedule: &Schedule, lead: TimeDelta) -> Option<DateTime<Tz>> {
        let session = schedule.session(&self.session)?;
        (self.asked_at < session.start).then(|| (session.start - lead).max(self.asked_at))
    }

    /// The exactly-once key: the attendee, the session and the start it was computed for.
    pub fn key(&self, session: &Session) -> String {
        format!(
            "personal:{}:{}:{}",
            self.user,
            session.id,
            time::rfc3339(&session.start)
        )
    }
}

/// What people asked for in chat and the store keeps: organizers' announcements and
/// attendees' own reminders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FromChat {
    pub announcements: Vec<ChatAnnouncement>,
    pub personal: Vec<PersonalReminder>,
}

/// The lead time of personal reminders: the first one configured.
pub fn personal_lead(config: &Config) -> TimeDelta {
    config.reminders.lead.first().copied().unwrap_or_default()
}

/// Something to post at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Recorded in the store once the homeserver has accepted the post.
    pub key: String,
    pub due: DateTime<Tz>,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// A reminder `lead` before the session starts.
    Reminder { session: String, lead: TimeDelta },
    /// An organizer's announcement from the config, to a room named in `[rooms]`.
    Announcement { text: String, room: String },
    /// A direct message to `user` before `session`.
    Personal { user: String, session: String },
}

/// Every post falling due in `[from, until]`, in due order: the reminders of the schedule,
/// the announcements of the config (cron ones once per occurrence), those organizers
/// scheduled from chat and the attendees' own reminders.
pub fn posts(
    schedule: &Schedule,
    config: &Config,
    from_chat: &FromChat,
    from: DateTime<Tz>,
    until: DateTime<Tz>,
) -> Vec<Post> {
    let mut posts: Vec<Post> = reminders(schedule, &config.reminders.lead, &config.reminders.skip_kinds)
        .into_iter()
        .filter(|r| r.due >= from && r.due <= until)
        .map(|r| Post {
            key: r.key(),
            due: r.due,
            what: What::Reminder {
                session: r.session.id.clone(),
                lead: r.lead,
            },
        })
        .collect();
    for announcement in &config.announcements {
        for due in announcement_times(schedule, announcement, from, until) {
            posts.push(Post {
                key: format!(
                    "announcement:{:016x}:{}",
                    fingerprint(announcement),
                    time::rfc3339(&due)
                ),
                due,
                what: What::Announcement {
                    text: announcement.text.clone(),
                    room: announcement.room.clone(),
                },
            });
        }
    }
    let lead = personal_lead(config);
    for personal in &from_chat.personal {
        let (Some(due), Some(session)) = (personal.due(schedule, lead), schedule.session(&personal.session)) else {
            continue;
        };
        if due >= from && due <= until {
            posts.push(Post {
                key: personal.key(session),
                due,
                what: What::Personal {
                    user: personal.user.clone(),
                    session: personal.session.clone(),
                },
            });
        }
    }
    for announcement in from_chat
        .announcements
        .iter()
        .filter(|a| a.due >= from && a.due <= until)
    {
        posts.push(Post {
            key: announcement.key(),
            due: announcement.due,
            what: What::Announcement {
                text: announcement.text.clone(),
                room: announcement.room.clone(),
            },
        });
    }
    posts.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    posts
}

/// The instants in `[from, until]` at which an announcement falls due.
fn announcement_times(
    schedule: &Schedule,
    announcement: &AnnouncementConfig,
    from: DateTime<Tz>,
    until: DateTime<Tz>,
) -> Vec<DateTime<Tz>> {
    let zone = schedule.timezone();
    let within = |t: &DateTime<Tz>| *t >= from && *t <= until;
    match &announcement.when {
        AnnouncementTime::At(at) => time::parse_instant(at, zone).ok().filter(within).into_iter().collect(),
        AnnouncementTime::Session { session, offset } => schedule
            .session(session)
            .map(|s| s.start + *offset)
            .filter(within)
            .into_iter()
            .collect(),
        AnnouncementTime::Cron(expression) => {
            let Ok(cron) = crate::config::parse_cron(expression) else {
                return Vec::new();
            };
            let start = from.with_timezone(&zone) - TimeDelta::seconds(1);
            cron.iter_after(start)
                .take_while(|t| *t <= until)
                .take(10_000)
                .collect()
        }
    }
}

/// A stable hash of an announcement's text, room and time rule (FNV-1a): its identity in
/// the store, so that editing an announcement makes it a new one.
fn fingerprint(announcement: &AnnouncementConfig) -> u64 {
    let rule = match &announcement.when {
        AnnouncementTime::At(at) => format!("at {at}"),
        AnnouncementTime::Cron(cron) => format!("cron {cron}"),
        AnnouncementTime::Session { session, offset } => format!("session {session} {}", offset.num_seconds()),
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{}\u{0}{}\u{0}{rule}", announcement.text, announcement.room).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What to do with a post found overdue when the bot (re)starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// Not due yet.
    Wait,
    /// Due now (overdue by no more than the tolerance): post it.
    OnTime,
    /// Overdue by less than the grace period: post it, marked late.
    Late,
    /// Overdue by more: skip it, and list it once for the moderators.
    Skip,
}

/// What to do with a post due at `due`, at `now`. `tolerance` is how overdue a post may be
/// and still count as on time: a second of real time, which a rehearsal's clock stretches.
pub fn catch_up(due: DateTime<Tz>, now: DateTime<Tz>, grace: TimeDelta, tolerance: TimeDelta) -> CatchUp {
    let overdue = now - due;
    if overdue < TimeDelta::zero() {
        CatchUp::Wait
    } else if overdue <= tolerance {
        CatchUp::OnTime
    } else if overdue <= grace {
        CatchUp::Late
    } else {
        CatchUp::Skip
    }
}

/// The placeholders a reminder template may name.
pub const PLACEHOLDERS: [&str; 10] = [
    "title", "speakers", "room", "start", "end", "zone", "lead", "in", "url", "day",
];

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

/// The direct message of a personal reminder, sent at `at`, with the times also in the
/// attendee's own zone when they set one.
pub fn personal_message(
    schedule: &Schedule,
    session: &Session,
    at: DateTime<Tz>,
    zone: Option<Tz>,
    late: bool,
) -> Message {
    let mut message = Message::new();
    if late {
        message.em("(late) ");
    }
    message
        .text(&format!("Your reminder: {}, ", render::relative(at, session.start)))
        .strong(&isolate(&session.title));
    let speakers = render::speaker_names(schedule, session);
    if !speakers.is_empty() {
        message.text(&format!(" — {speakers}"));
    }
    message.text(" · ");
    if let Some(room) = &session.room {
        message.text(&format!("{} · ", isolate(room)));
    }
    message.text(&render::when_for(session, zone));
    if let Some(url) = &session.url {
        message.line_break().link(url, url);
    }
    message
}

/// `!reminders`: an attendee's own reminders, by start, with when each will be sent.
pub fn personal_list(schedule: &Schedule, mine: &[PersonalReminder], lead: TimeDelta, zone: Option<Tz>) -> Message {
    let mut upcoming: Vec<(&Session, DateTime<Tz>)> = mine
        .iter()
        .filter_map(|p| Some((schedule.session(&p.session)?, p.due(schedule, lead)?)))
        .collect();
    upcoming.sort_by_key(|(session, _)| session.start);
    let mut message = Message::new();
    if upcoming.is_empty() {
        message.text("You have no reminders. Send !remind SESSION for a direct message before it starts.");
        return message;
    }
    message.text("Your reminders:");
    for (session, due) in upcoming {
        message.line_break().text("  ");
        render::session_line(&mut message, schedule, session, zone);
        message.text(&format!(" — I will write at {} [{}]", time::clock(&due), session.id));
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
    use crate::config::Config;
    use crate::schedule::native;

    #[test]
    fn each_session_gets_one_reminder_per_lead_in_due_order() {
        let doc = r#"
[conference]
name = "C"
timezone = "Europe/Brussels"
[[sessions]]
id = "coffee"
title = "Coffee"
kind = "break"
start = "2023-02-03T08:30"
[[sessions]]
id = "a"
title = "A"
start = "2023-02-03T09:00"
[[sessions]]
id = "b"
title = "B"
start = "2023-02-03T09:05"
end = "2023-02-03T10:00"
"#;
        let schedule = native::parse(doc, "c.toml", None).unwrap().schedule;
        let leads = [TimeDelta::minutes(10), TimeDelta::zero()];
        let plan = reminders(&schedule, &leads, &[]);
        let seen: Vec<String> = plan
            .iter()
            .map(|r| format!("{} {}", r.due.format("%H:%M"), r.session.id))
            .collect();
        assert_eq!(
            seen,
            [
                "08:20 coffee",
                "08:30 coffee",
                "08:50 a",
                "08:55 b",
                "09:00 a",
                "09:05 b"
            ]
        );
        let no_breaks = reminders(&schedule, &leads, &[SessionKind::Break]);
        assert_eq!(no_breaks.len(), 4);
    }

    fn fall() -> Schedule {
        native::parse(include_str!("../tests/fixtures/fall-summit-2023.toml"), "fall", None)
            .unwrap()
            .schedule
    }

    fn config(extra: &str) -> Config {
        Config::from_toml(
            &format!("[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\nmoderators = \"#m:h\"\n{extra}"),
            "bot.toml",
        )
        .unwrap()
    }

    fn at(s: &Schedule, t: &str) -> DateTime<Tz> {
        time::parse_instant(t, s.timezone()).unwrap()
    }

    #[test]
    fn a_nine_oclock_reminder_fires_at_nine_local_on_both_sides_of_the_clock_change() {
        let s = fall();
        let c = config("");
        let due: Vec<String> = posts(
            &s,
            &c,
            &FromChat::default(),
            at(&s, "2023-11-03T00:00"),
            at(&s, "2023-11-06T23:00"),
        )
        .iter()
        .filter(|p| matches!(&p.what, What::Reminder { lead, .. } if lead.is_zero()))
        .map(|p| time::rfc3339(&p.due))
        .collect();
        assert!(due.contains(&"2023-11-03T09:00:00-04:00".to_string()), "{due:?}");
        assert!(due.contains(&"2023-11-05T09:00:00-05:00".to_string()), "{due:?}");
    }

    #[test]
    fn keys_change_when_a_session_moves() {
        let s = fall();
        let first = reminders(&s, &[TimeDelta::minutes(10)], &[]);
        assert_eq!(first[0].key(), "reminder:opening:600:2023-11-03T09:00:00-04:00");
    }

    #[test]
    fn overdue_posts_are_late_within_grace_and_skipped_after() {
        let s = fall();
        let due = at(&s, "2023-11-03T09:00");
        let grace = TimeDelta::minutes(2);
        let second = TimeDelta::seconds(1);
        assert_eq!(catch_up(due, due - TimeDelta::seconds(5), grace, second), CatchUp::Wait);
        assert_eq!(catch_up(due, due, grace, second), CatchUp::OnTime);
        assert_eq!(catch_up(due, due + second, grace, second), CatchUp::OnTime);
        assert_eq!(catch_up(due, due + TimeDelta::seconds(2), grace, second), CatchUp::Late);
        assert_eq!(
            catch_up(due, due + TimeDelta::seconds(90), grace, second),
            CatchUp::Late
        );
        assert_eq!(catch_up(due, due + TimeDelta::minutes(3), grace, second), CatchUp::Skip);
        // A rehearsal at 120x: a post the timer sends half a real second late is on time.
        let stretched = TimeDelta::seconds(120);
        assert_eq!(
            catch_up(due, due + TimeDelta::seconds(60), grace, stretched),
            CatchUp::OnTime
        );
    }

    #[test]
    fn announcements_fall_due_at_their_time_relative_to_sessions_and_on_cron() {
        let s = fall();
        let c = config(
            "[[announcements]]\ntext = \"Doors open\"\nroom = \"announcements\"\nat = \"2023-11-03T08:30\"\n\
             [[announcements]]\ntext = \"Backstage\"\nroom = \"moderators\"\nbefore = \"15m\"\nsession = \"sunday\"\n\
             [[announcements]]\ntext = \"Hydrate\"\nroom = \"announcements\"\ncron = \"0 12 * * *\"\n",
        );
        let found: Vec<String> = posts(
            &s,
            &c,
            &FromChat::default(),
            at(&s, "2023-11-03T00:00"),
            at(&s, "2023-11-06T00:00"),
        )
        .iter()
        .filter_map(|p| match &p.what {
            What::Announcement { text, .. } => Some(format!("{} {text}", time::rfc3339(&p.due))),
            _ => None,
        })
        .collect();
        assert_eq!(
            found,
            [
                "2023-11-03T08:30:00-04:00 Doors open",
                "2023-11-03T12:00:00-04:00 Hydrate",
                "2023-11-04T12:00:00-04:00 Hydrate",
                "2023-11-05T08:45:00-05:00 Backstage",
                "2023-11-05T12:00:00-05:00 Hydrate",
            ]
        );
    }

    #[test]
    fn reminders_read_well_and_breaks_have_their_own_wording() {
        let s = native::parse(include_str!("../data/centos-connect-2023.toml"), "c", None)
            .unwrap()
            .schedule;
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
            personal_message(&s, evil, at(&s, "2023-02-03T08:50"), None, false).body(),
            "Your reminder: in 10 minutes, \u{2068}Evil \u{202E}talk\u{202C}\u{2069} — \u{2068}Mallory \u{2067}\u{2069}\u{2069} · \
             \u{2068}Hall \u{202E}1\u{202C}\u{2069} · 09:00–09:30 CET"
        );
    }

    #[test]
    fn a_personal_reminder_comes_at_the_first_lead_or_at_once_and_never_after_the_start() {
        let s = native::parse(include_str!("../data/centos-connect-2023.toml"), "c", None)
            .unwrap()
            .schedule;
        let c = config("[reminders]\nlead = [\"10m\", \"0m\"]\n");
        let asked = |at_: &str| PersonalReminder {
            user: "@ann:example.org".into(),
            session: "rocky".into(),
            asked_at: at(&s, at_),
        };
        let chat = FromChat {
            announcements: Vec::new(),
            personal: vec![asked("2023-02-03T09:00")],
        };
        let personal: Vec<(String, String)> =
            posts(&s, &c, &chat, at(&s, "2023-02-03T00:00"), at(&s, "2023-02-04T00:00"))
                .into_iter()
                .filter(|p| matches!(p.what, What::Personal { .. }))
                .map(|p| (time::clock(&p.due), p.key))
                .collect();
        assert_eq!(
            personal,
            [(
                "14:30".to_string(),
                "personal:@ann:example.org:rocky:2023-02-03T14:40:00+01:00".to_string()
            )]
        );
        let lead = personal_lead(&c);
        assert_eq!(time::clock(&asked("2023-02-03T14:35").due(&s, lead).unwrap()), "14:35");
        assert_eq!(asked("2023-02-03T14:40").due(&s, lead), None);

        let rocky = s.session("rocky").unwrap();
        assert_eq!(
            personal_message(&s, rocky, at(&s, "2023-02-03T14:30"), Some(chrono_tz::America::New_York), false).body(),
            "Your reminder: in 10 minutes, Introduction to Rocky Linux and Peridot: Maintaining a downstream fork of Red Hat Enterprise Linux — Neil Hanlon · Pagoda room · 14:40–15:05 CET (08:40–09:05 EST)\nhttps://connect.centos.org/#rocky"
        );
        let listed = personal_list(&s, &[asked("2023-02-03T09:00")], lead, None);
        assert!(
            listed
                .body()
                .starts_with("Your reminders:\n  14:40–15:05 CET  Introduction to Rocky Linux"),
            "{}",
            listed.body()
        );
        assert!(
            listed.body().ends_with("— I will write at 14:30 [rocky]"),
            "{}",
            listed.body()
        );
        assert!(personal_list(&s, &[], lead, None)
            .body()
            .starts_with("You have no reminders."));
    }
}
