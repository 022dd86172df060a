//! Cues for the people who present: an invitation to their track's backstage ahead of the
//! session, "you're on in 5 minutes" and the Q&A countdown posted there, and a word to the
//! moderators when a speaker has not checked in by a quarter of an hour before. Which
//! room each goes to is the app's business (the session's backstage and moderators room).

use super::{Post, What};
use crate::schedule::{Schedule, Session, Speaker};
use crate::text;
use crate::time;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// `[speakers]`: invitations and cues.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerCues {
    /// Whether speakers get invitations, cues and the check-in (`cues = true`, the default).
    pub enabled: bool,
    /// How long before their session speakers are invited to its backstage.
    pub invite_before: TimeDelta,
    /// `[speakers.matrix]`: a speaker's name or id, folded, → their Matrix ID, for
    /// schedules that carry none.
    pub matrix: BTreeMap<String, String>,
}

impl Default for SpeakerCues {
    fn default() -> SpeakerCues {
        SpeakerCues {
            enabled: true,
            invite_before: DEFAULT_INVITE_BEFORE,
            matrix: BTreeMap::new(),
        }
    }
}

/// The default `[speakers] invite_before`.
pub const DEFAULT_INVITE_BEFORE: TimeDelta = TimeDelta::hours(1);

/// How long before the start a speaker with a Matrix ID should have spoken or reacted in
/// the backstage; after that the moderators hear of it.
pub const CHECK_IN_BY: TimeDelta = TimeDelta::minutes(15);

/// One of the cues posted in a session's backstage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cue {
    /// Five minutes before the start.
    OnSoon,
    /// Five minutes before the end.
    FiveLeft,
    /// One minute before the end: the Q&A's last minute.
    LastMinute,
}

impl Cue {
    const ALL: [Cue; 3] = [Cue::OnSoon, Cue::FiveLeft, Cue::LastMinute];

    /// When it is due for `session`.
    pub fn due(self, session: &Session) -> DateTime<Tz> {
        match self {
            Cue::OnSoon => session.start - TimeDelta::minutes(5),
            Cue::FiveLeft => session.end - TimeDelta::minutes(5),
            Cue::LastMinute => session.end - TimeDelta::minutes(1),
        }
    }

    /// How its key names it.
    fn name(self) -> &'static str {
        match self {
            Cue::OnSoon => "on-in-5m",
            Cue::FiveLeft => "5m-left",
            Cue::LastMinute => "1m-left",
        }
    }
}

impl SpeakerCues {
    /// The Matrix ID of `speaker`: the schedule's, else `[speakers.matrix]`'s for their id
    /// or name.
    pub fn matrix_id<'a>(&'a self, speaker: &'a Speaker) -> Option<&'a str> {
        (speaker.matrix.as_deref())
            .or_else(|| self.matrix.get(&text::fold(&speaker.id)).map(String::as_str))
            .or_else(|| self.matrix.get(&text::fold(&speaker.name)).map(String::as_str))
    }

    /// The speakers of `session` with their Matrix IDs, where known, in schedule order.
    pub fn speakers<'s>(&'s self, schedule: &'s Schedule, session: &Session) -> Vec<(&'s Speaker, Option<&'s str>)> {
        (session.speakers.iter())
            .filter_map(|id| schedule.speaker(id))
            .map(|speaker| (speaker, self.matrix_id(speaker)))
            .collect()
    }

    /// Every invitation, cue and check-in due in `[from, until]`, for the sessions that
    /// have speakers. A cue of the end that would come before the start is left out.
    pub fn posts(&self, schedule: &Schedule, from: DateTime<Tz>, until: DateTime<Tz>) -> Vec<Post> {
        if !self.enabled {
            return Vec::new();
        }
        let within = |due: DateTime<Tz>| due >= from && due <= until;
        let mut posts = Vec::new();
        for session in schedule.sessions().iter().filter(|s| !s.speakers.is_empty()) {
            let start = time::rfc3339(&session.start);
            let with_ids: Vec<&str> = (self.speakers(schedule, session).into_iter())
                .filter_map(|(_, id)| id)
                .collect();
            let invited = session.start - self.invite_before;
            if within(invited) {
                for user in &with_ids {
                    posts.push(Post {
                        key: format!("invite:{}:{user}:{start}", session.id),
                        due: invited,
                        what: What::Invite {
                            session: session.id.clone(),
                            user: user.to_string(),
                        },
                    });
                }
            }
            let check_in = session.start - CHECK_IN_BY;
            if !with_ids.is_empty() && within(check_in) {
                posts.push(Post {
                    key: format!("check-in:{}:{start}", session.id),
                    due: check_in,
                    what: What::CheckIn {
                        session: session.id.clone(),
                    },
                });
            }
            for cue in Cue::ALL {
                let due = cue.due(session);
                if cue != Cue::OnSoon && due <= session.start {
                    continue; // a session too short for its countdown
                }
                if within(due) {
                    posts.push(Post {
                        key: format!("cue:{}:{}:{}", session.id, cue.name(), time::rfc3339(&due)),
                        due,
                        what: What::Cue {
                            session: session.id.clone(),
                            cue,
                        },
                    });
                }
            }
        }
        posts
    }
}

/// Whether a speaker last seen in the backstage at `seen` has checked in for a session
/// starting at `start`: seen there since their invitation was due.
pub fn checked_in(seen: Option<DateTime<Tz>>, start: DateTime<Tz>, invite_before: TimeDelta) -> bool {
    seen.is_some_and(|seen| seen >= start - invite_before.max(CHECK_IN_BY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::at;
    use crate::schedule::native;

    fn two_tracks() -> Schedule {
        let doc = include_str!("../../../../tests/fixtures/two-tracks.toml").replace(
            "id = \"bo\"\nname = \"Bo Nilsson\"",
            "id = \"bo\"\nname = \"Bo Nilsson\"\nmatrix = \"@bo:example.org\"",
        );
        native::parse(&doc, "two-tracks.toml", None).unwrap().schedule
    }

    fn listed(posts: &[Post]) -> Vec<String> {
        let mut posts: Vec<&Post> = posts.iter().collect();
        posts.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
        posts
            .iter()
            .map(|p| format!("{} {}", time::clock(&p.due), p.key))
            .collect()
    }

    #[test]
    fn a_session_with_speakers_gets_its_cues_and_those_with_matrix_ids_an_invitation_and_a_check_in() {
        let s = two_tracks();
        let mut cues = SpeakerCues::default();
        cues.matrix
            .insert("dara okafor".to_string(), "@dara:example.org".to_string());
        let posts = cues.posts(&s, at(&s, "2023-02-03T08:58"), at(&s, "2023-02-03T10:50"));
        assert_eq!(
            listed(&posts),
            [
                // Bo's id comes from the schedule, Dara's from [speakers.matrix] by name.
                "09:00 invite:kernel-sched:@bo:example.org:2023-02-03T10:00:00+01:00",
                "09:00 invite:web-cache:@dara:example.org:2023-02-03T10:00:00+01:00",
                "09:40 cue:kernel-intro:5m-left:2023-02-03T09:40:00+01:00",
                "09:40 cue:web-intro:5m-left:2023-02-03T09:40:00+01:00",
                "09:44 cue:kernel-intro:1m-left:2023-02-03T09:44:00+01:00",
                "09:44 cue:web-intro:1m-left:2023-02-03T09:44:00+01:00",
                "09:45 check-in:kernel-sched:2023-02-03T10:00:00+01:00",
                "09:45 check-in:web-cache:2023-02-03T10:00:00+01:00",
                "09:55 cue:kernel-sched:on-in-5m:2023-02-03T09:55:00+01:00",
                "09:55 cue:web-cache:on-in-5m:2023-02-03T09:55:00+01:00",
                "10:40 cue:kernel-sched:5m-left:2023-02-03T10:40:00+01:00",
                "10:40 cue:web-cache:5m-left:2023-02-03T10:40:00+01:00",
                "10:44 cue:kernel-sched:1m-left:2023-02-03T10:44:00+01:00",
                "10:44 cue:web-cache:1m-left:2023-02-03T10:44:00+01:00",
            ]
        );
        // The lunch has no speakers: nothing for it, however long the window.
        let all = cues.posts(&s, at(&s, "2023-02-03T00:00"), at(&s, "2023-02-04T00:00"));
        assert!(all.iter().all(|p| !p.key.contains("lunch")), "{:?}", listed(&all));
        // Turned off, nothing at all.
        let off = SpeakerCues {
            enabled: false,
            ..cues.clone()
        };
        assert!(off
            .posts(&s, at(&s, "2023-02-03T00:00"), at(&s, "2023-02-04T00:00"))
            .is_empty());
    }

    #[test]
    fn a_countdown_that_would_come_before_the_start_is_left_out() {
        let doc = "[conference]\nname = \"C\"\ntimezone = \"Europe/Brussels\"\n[[speakers]]\nid = \"a\"\nname = \"A\"\n\
                   [[sessions]]\nid = \"lightning\"\ntitle = \"L\"\nstart = \"2023-02-03T09:00\"\nduration = \"5m\"\nspeakers = [\"a\"]\n";
        let s = native::parse(doc, "c.toml", None).unwrap().schedule;
        let posts = SpeakerCues::default().posts(&s, at(&s, "2023-02-03T00:00"), at(&s, "2023-02-04T00:00"));
        assert_eq!(
            listed(&posts),
            [
                "08:55 cue:lightning:on-in-5m:2023-02-03T08:55:00+01:00",
                "09:04 cue:lightning:1m-left:2023-02-03T09:04:00+01:00",
            ]
        );
    }

    #[test]
    fn a_speaker_has_checked_in_once_seen_in_the_backstage_since_the_invitation() {
        let s = two_tracks();
        let start = at(&s, "2023-02-03T10:00");
        let hour = TimeDelta::hours(1);
        assert!(!checked_in(None, start, hour));
        assert!(!checked_in(Some(at(&s, "2023-02-03T08:59")), start, hour));
        assert!(checked_in(Some(at(&s, "2023-02-03T09:00")), start, hour));
        assert!(checked_in(Some(at(&s, "2023-02-03T09:44")), start, hour));
        // Invited only 5 minutes before: seen in the quarter of an hour before still counts.
        assert!(checked_in(
            Some(at(&s, "2023-02-03T09:46")),
            start,
            TimeDelta::minutes(5)
        ));
    }
}
