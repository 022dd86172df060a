//! Room topics: for each room `[rooms.map]` names, what runs in its place now and what
//! comes next, so that the many readers who never type a command see what is on. The
//! rules (which sessions a room's topic shows, when it changes) are here; the words in
//! [`crate::present::topic`].

use crate::rooms::Rooms;
use crate::schedule::{Schedule, Session};
use chrono::DateTime;
use chrono_tz::Tz;

/// What one room's topic shows at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic<'s> {
    /// The sessions running in its places, by start.
    pub now: Vec<&'s Session>,
    /// The first session to start after the instant (the first listed, when several
    /// start together).
    pub next: Option<&'s Session>,
    /// The video stream of its first place that has one.
    pub stream: Option<&'s str>,
}

/// The topic of every room `[rooms.map]` names, in the map's order, at `now`. A room that
/// several places share (a schedule room and a track, say) has one topic with the
/// sessions of all of them.
pub fn topics<'s>(schedule: &'s Schedule, rooms: &'s Rooms, now: DateTime<Tz>) -> Vec<(&'s str, Topic<'s>)> {
    let mut topics: Vec<(&'s str, Topic<'s>)> = Vec::new();
    for (place, place_rooms) in &rooms.map {
        let room = place_rooms.room.as_str();
        let at = match topics.iter().position(|(r, _)| *r == room) {
            Some(at) => at,
            None => {
                let empty = Topic {
                    now: Vec::new(),
                    next: None,
                    stream: None,
                };
                topics.push((room, empty));
                topics.len() - 1
            }
        };
        let topic = &mut topics[at].1;
        topic.stream = topic.stream.or(place_rooms.stream.as_deref());
        for session in sessions_in(schedule, place) {
            if session.start <= now && now < session.end {
                if !topic.now.iter().any(|s| s.id == session.id) {
                    topic.now.push(session);
                }
            } else if session.start > now && topic.next.is_none_or(|next| session.start < next.start) {
                topic.next = Some(session);
            }
        }
    }
    for (_, topic) in &mut topics {
        topic.now.sort_by_key(|s| s.start);
    }
    topics
}

/// The first instant after `now` at which a topic may change: the next start or end of a
/// session in a mapped place.
pub fn next_change(schedule: &Schedule, rooms: &Rooms, now: DateTime<Tz>) -> Option<DateTime<Tz>> {
    (rooms.map.keys())
        .flat_map(|place| sessions_in(schedule, place))
        .flat_map(|s| [s.start, s.end])
        .filter(|instant| *instant > now)
        .min()
}

/// The sessions of `place`: those in the schedule room or track of that name, however it
/// is cased.
fn sessions_in<'s>(schedule: &'s Schedule, place: &'s str) -> impl Iterator<Item = &'s Session> + 's {
    let is = move |name: &Option<String>| name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(place));
    (schedule.sessions().iter()).filter(move |s| is(&s.room) || is(&s.track))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::PlaceRooms;
    use crate::testing::{at, centos};

    fn pagoda(stream: Option<&str>) -> Rooms {
        let mut rooms = Rooms::default();
        let mut place = PlaceRooms::room("#pagoda:x");
        place.stream = stream.map(str::to_string);
        rooms.map.insert("pagoda ROOM".into(), place);
        rooms
    }

    fn titles(sessions: &[&Session]) -> Vec<String> {
        sessions.iter().map(|s| s.title.clone()).collect()
    }

    #[test]
    fn a_rooms_topic_shows_the_session_running_in_its_place_and_the_next_one() {
        let schedule = centos();
        let rooms = pagoda(Some("https://stream.x/pagoda"));
        let shown = topics(&schedule, &rooms, at(&schedule, "2023-02-03T09:10"));
        assert_eq!(shown.len(), 1);
        let (room, topic) = &shown[0];
        assert_eq!(*room, "#pagoda:x");
        assert_eq!(titles(&topic.now), ["CentOS Stream: RHEL development in public"]);
        assert_eq!(
            topic.next.map(|s| s.title.as_str()),
            Some("AlmaLinux Build System and Project Updates")
        );
        assert_eq!(topic.stream, Some("https://stream.x/pagoda"));
        // At the instant a session ends the next one runs.
        let (_, topic) = &topics(&schedule, &rooms, at(&schedule, "2023-02-03T09:25"))[0];
        assert_eq!(titles(&topic.now), ["AlmaLinux Build System and Project Updates"]);
        // Before the day: nothing now; after it, nothing next.
        let (_, topic) = &topics(&schedule, &rooms, at(&schedule, "2023-02-03T07:00"))[0];
        assert!(topic.now.is_empty());
        assert_eq!(topic.next.map(|s| s.title.as_str()), Some("Connect over coffee"));
        let (_, topic) = &topics(&schedule, &rooms, at(&schedule, "2023-02-03T23:00"))[0];
        assert_eq!((topic.now.len(), topic.next), (0, None));
    }

    #[test]
    fn a_topic_changes_only_at_a_start_or_an_end_in_a_mapped_place() {
        let schedule = centos();
        let rooms = pagoda(None);
        assert_eq!(
            next_change(&schedule, &rooms, at(&schedule, "2023-02-03T09:10")),
            Some(at(&schedule, "2023-02-03T09:25"))
        );
        assert_eq!(
            next_change(&schedule, &rooms, at(&schedule, "2023-02-03T09:25")),
            Some(at(&schedule, "2023-02-03T09:50"))
        );
        assert_eq!(next_change(&schedule, &rooms, at(&schedule, "2023-02-03T23:00")), None);
        // No place mapped: no topic, nothing to wake for.
        assert_eq!(
            next_change(&schedule, &Rooms::default(), at(&schedule, "2023-02-03T09:10")),
            None
        );
        assert!(topics(&schedule, &Rooms::default(), at(&schedule, "2023-02-03T09:10")).is_empty());
    }

    #[test]
    fn places_that_share_a_room_share_its_topic() {
        let schedule = centos();
        let mut rooms = pagoda(None);
        rooms.map.insert("Nowhere".into(), PlaceRooms::room("#pagoda:x"));
        rooms.map.insert("Elsewhere".into(), PlaceRooms::room("#elsewhere:x"));
        let shown = topics(&schedule, &rooms, at(&schedule, "2023-02-03T09:10"));
        let rooms: Vec<&str> = shown.iter().map(|(room, _)| *room).collect();
        assert_eq!(rooms, ["#elsewhere:x", "#pagoda:x"]);
        assert_eq!(shown[1].1.now.len(), 1);
        assert_eq!((shown[0].1.now.len(), shown[0].1.next), (0, None));
    }
}
