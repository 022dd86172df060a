//! The posting plan: which reminders and announcements fall due when, each with a stable
//! key that makes it exactly-once, and what to do with one found overdue after downtime.
//! Pure; the timer that acts on it is the app's, and the words of each post are the
//! present layer's (`posts`).

mod announcements;
pub mod cues;
pub mod personal;

pub use announcements::{parse_cron, Announcement, At, When};
pub use cues::{Cue, SpeakerCues};
pub use personal::PersonalReminder;

use crate::schedule::{Schedule, Session, SessionKind};
use crate::time;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// `[reminders]`: when sessions are announced and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminders {
    /// How long before each session a reminder goes out, longest first.
    pub lead: Vec<TimeDelta>,
    /// How overdue a post may be and still go out (marked late) after downtime.
    pub grace: TimeDelta,
    /// Kinds of session that get no reminder.
    pub skip_kinds: Vec<SessionKind>,
    /// Post reminders and announcements as `m.notice` (the default) or as `m.text`.
    pub as_notice: bool,
    /// Leads whose reminders have a msgtype of their own: `true` for `m.notice`.
    pub notice_at: BTreeMap<TimeDelta, bool>,
    /// Leads whose reminder mentions `@room` in the session's own room.
    pub notify_room: Vec<TimeDelta>,
    /// Lead time, written compactly ("10m") → template with `{placeholders}`.
    pub templates: BTreeMap<String, String>,
}

impl Reminders {
    /// Whether the reminder `lead` before a session goes out as `m.notice`.
    pub fn as_notice_at(&self, lead: TimeDelta) -> bool {
        self.notice_at.get(&lead).copied().unwrap_or(self.as_notice)
    }

    /// Whether the reminder `lead` before a session mentions `@room` in the session's room.
    pub fn notifies_room_at(&self, lead: TimeDelta) -> bool {
        self.notify_room.contains(&lead)
    }

    /// The lead time of attendees' own reminders: the first one configured.
    pub fn personal_lead(&self) -> TimeDelta {
        self.lead.first().copied().unwrap_or_default()
    }
}

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

/// The session a reminder's key (see [`Reminder::key`]) is about; `None` for the key of
/// anything else. Read from the right, so a session id may hold any character.
pub fn reminder_session(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("reminder:")?;
    // `ID:LEAD:START`: the first colon after which a lead and a start follow.
    rest.match_indices(':').map(|(at, _)| at).find_map(|at| {
        let (lead, start) = rest[at + 1..].split_once(':')?;
        let well_formed = !lead.is_empty()
            && lead.bytes().all(|b| b.is_ascii_digit())
            && chrono::DateTime::parse_from_rfc3339(start).is_ok();
        (well_formed && at > 0).then(|| &rest[..at])
    })
}

/// An announcement an organizer scheduled from chat.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnnouncement {
    pub id: i64,
    pub due: DateTime<Tz>,
    /// A target from `[rooms]` ("announcements", or a place of `[rooms.map]`).
    pub target: String,
    pub text: String,
    pub author: String,
}

impl ChatAnnouncement {
    /// Its exactly-once key among the posts.
    pub fn key(&self) -> String {
        format!("chat-announcement:{}", self.id)
    }
}

/// What people asked for in chat and the store keeps: organizers' announcements and
/// attendees' own reminders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FromChat {
    pub announcements: Vec<ChatAnnouncement>,
    pub personal: Vec<PersonalReminder>,
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
    /// An organizer's announcement, to a target of `[rooms]`.
    Announcement { text: String, target: String },
    /// A direct message to `user` before `session`.
    Personal { user: String, session: String },
    /// An invitation of `user`, a speaker, to the backstage of `session`.
    Invite { session: String, user: String },
    /// A cue in the backstage of `session`, mentioning its speakers.
    Cue { session: String, cue: Cue },
    /// A word to the moderators of `session` about its speakers not checked in yet.
    CheckIn { session: String },
}

/// What the config says to post: the reminders' rules and the organizers' announcements.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'c> {
    pub reminders: &'c Reminders,
    pub announcements: &'c [Announcement],
    pub speakers: &'c SpeakerCues,
}

/// Every post falling due in `[from, until]`, in due order: the reminders of the schedule,
/// the announcements of the config (cron ones once per occurrence), those organizers
/// scheduled from chat and the attendees' own reminders.
pub fn posts(
    schedule: &Schedule,
    rules: Rules<'_>,
    from_chat: &FromChat,
    from: DateTime<Tz>,
    until: DateTime<Tz>,
) -> Vec<Post> {
    let mut posts: Vec<Post> = reminders(schedule, &rules.reminders.lead, &rules.reminders.skip_kinds)
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
    posts.extend(rules.speakers.posts(schedule, from, until));
    for announcement in rules.announcements {
        for due in announcement.times(schedule, from, until) {
            posts.push(Post {
                key: announcement.key(&due),
                due,
                what: What::Announcement {
                    text: announcement.text.clone(),
                    target: announcement.target.clone(),
                },
            });
        }
    }
    let lead = rules.reminders.personal_lead();
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
                target: announcement.target.clone(),
            },
        });
    }
    posts.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    posts
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::schedule::native;
    use crate::testing::centos;

    /// A four-day conference in America/New_York across the end of daylight saving time.
    pub(in crate::plan) fn fall() -> Schedule {
        native::parse(
            include_str!("../../../../tests/fixtures/fall-summit-2023.toml"),
            "fall",
            None,
        )
        .unwrap()
        .schedule
    }

    /// A config with announcements and moderators rooms, and `extra`.
    pub(in crate::plan) fn config(extra: &str) -> Config {
        Config::from_toml(
            &format!("[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\nmoderators = \"#m:h\"\n{extra}"),
            "bot.toml",
        )
        .unwrap()
    }

    /// `t` read in the schedule's zone.
    pub(in crate::plan) fn at(s: &Schedule, t: &str) -> DateTime<Tz> {
        time::parse_instant(t, s.timezone()).unwrap()
    }

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

    #[test]
    fn a_nine_oclock_reminder_fires_at_nine_local_on_both_sides_of_the_clock_change() {
        let s = fall();
        let c = config("");
        let due: Vec<String> = posts(
            &s,
            c.rules(),
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
    fn a_reminder_key_gives_back_its_session_whatever_its_id() {
        let s = fall();
        for reminder in reminders(&s, &[TimeDelta::minutes(10)], &[]) {
            assert_eq!(reminder_session(&reminder.key()), Some(reminder.session.id.as_str()));
        }
        assert_eq!(
            reminder_session("reminder:a:b:1:600:2023-02-03T09:00:00+01:00"),
            Some("a:b:1"),
            "an id with colons and digits"
        );
        for other in [
            "cue:x:600:2023-02-03T09:00:00+01:00",
            "reminder:",
            "reminder::600:2023-02-03T09:00:00+01:00",
            "reminder:x:6a:2023",
        ] {
            assert_eq!(reminder_session(other), None, "{other}");
        }
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
    fn a_personal_reminder_comes_at_the_first_lead_or_at_once_and_never_after_the_start() {
        let s = centos();
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
        let personal: Vec<(String, String)> = posts(
            &s,
            c.rules(),
            &chat,
            at(&s, "2023-02-03T00:00"),
            at(&s, "2023-02-04T00:00"),
        )
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
        let lead = c.reminders.personal_lead();
        assert_eq!(time::clock(&asked("2023-02-03T14:35").due(&s, lead).unwrap()), "14:35");
        assert_eq!(asked("2023-02-03T14:40").due(&s, lead), None);
    }
}
