//! A room's topic as people read it: "Now: Title (Speakers) until 09:45 CET · Next: Title
//! at 10:00 CET · Stream: https://…". Plain text (a topic has no HTML), each title and
//! name cut and isolated like any text the bot did not write, and bounded: a topic stays
//! short however many sessions run at once.

use crate::present::message::isolate;
use crate::present::render::{short_instant, speaker_names};
use crate::questions::shorten;
use crate::schedule::{Schedule, Session};
use crate::topics::Topic;
use chrono::DateTime;
use chrono_tz::Tz;

/// How much of a session's title a topic shows, in characters.
const TITLE_LIMIT: usize = 120;
/// How much of a session's speakers a topic shows, in characters.
const SPEAKERS_LIMIT: usize = 100;
/// The most running sessions a topic names; "and N more" says the rest.
const NOW_LIMIT: usize = 3;

/// The topic's text at `now`.
pub fn text(schedule: &Schedule, topic: &Topic<'_>, now: DateTime<Tz>) -> String {
    let mut parts = Vec::new();
    if !topic.now.is_empty() {
        let mut running: Vec<String> = (topic.now.iter().take(NOW_LIMIT))
            .map(|session| {
                format!(
                    "{} until {}",
                    titled(schedule, session),
                    short_instant(&session.end, now)
                )
            })
            .collect();
        if topic.now.len() > NOW_LIMIT {
            running.push(format!("and {} more", topic.now.len() - NOW_LIMIT));
        }
        parts.push(format!("Now: {}", running.join("; ")));
    }
    match topic.next {
        Some(next) => parts.push(format!(
            "Next: {} at {}",
            titled(schedule, next),
            short_instant(&next.start, now)
        )),
        None if topic.now.is_empty() => parts.push("Nothing more on the schedule here".to_string()),
        None => {}
    }
    if let Some(stream) = topic.stream {
        parts.push(format!("Stream: {stream}"));
    }
    parts.join(" · ")
}

/// "Title (Ada, Grace)", or the title alone for a session without speakers.
fn titled(schedule: &Schedule, session: &Session) -> String {
    let title = isolate(&shorten(&session.title, TITLE_LIMIT)).into_owned();
    let speakers = speaker_names(schedule, session);
    if speakers.is_empty() {
        title
    } else {
        format!("{title} ({})", shorten(&speakers, SPEAKERS_LIMIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::{PlaceRooms, Rooms};
    use crate::testing::{at, centos};
    use crate::topics::topics;

    fn topic_at(local: &str, stream: Option<&str>) -> String {
        let schedule = centos();
        let mut rooms = Rooms::default();
        let mut place = PlaceRooms::room("#pagoda:x");
        place.stream = stream.map(str::to_string);
        rooms.map.insert("Pagoda room".into(), place);
        let now = at(&schedule, local);
        let shown = topics(&schedule, &rooms, now);
        text(&schedule, &shown[0].1, now)
    }

    #[test]
    fn a_topic_says_what_is_on_now_and_next_in_the_conferences_zone() {
        assert_eq!(
            topic_at("2023-02-03T09:10", None),
            "Now: CentOS Stream: RHEL development in public (Adam Samalik) until 09:25 CET \
             · Next: AlmaLinux Build System and Project Updates (Jack Aboutboul) at 09:25 CET"
        );
        // A break has no speakers; the stream is shown last.
        assert_eq!(
            topic_at("2023-02-03T12:10", Some("https://stream.x/pagoda")),
            "Now: Lunch (provided free) until 13:00 CET \
             · Next: From code to cloud - the journey of Openstack package (Karolina Kula) at 13:00 CET \
             · Stream: https://stream.x/pagoda"
        );
        assert_eq!(
            topic_at("2023-02-02T20:00", None),
            "Next: Connect over coffee at Fri 3 Feb 08:30 CET"
        );
        assert_eq!(topic_at("2023-02-03T23:00", None), "Nothing more on the schedule here");
    }
}
