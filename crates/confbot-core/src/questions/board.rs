//! The question board: one message per session in its place's backstage, edited in place,
//! that shows the session's time left and its approved questions ranked, the answered
//! ones at the bottom. Here are its rules as data: which session a place's board shows,
//! what is on it at `now`, when its text next changes by the clock alone, and its key in
//! the store. `present::board` words it.

use super::*;
use crate::rooms::Rooms;

/// How long before a session's end the board counts down to it as question time: the
/// last ten minutes, when a host usually turns to the audience. A session shorter than
/// this is all countdown.
pub const QA_COUNTDOWN: TimeDelta = TimeDelta::minutes(10);

/// The live board of one session at an instant: its phase and its questions, as data.
#[derive(Debug, Clone, PartialEq)]
pub struct Board<'s> {
    pub session: &'s Session,
    pub phase: BoardPhase,
    /// The approved questions, best first ([`by_votes`]): rank 1 is `ranked[0]`.
    pub ranked: Vec<BoardEntry>,
    /// The answered questions, in the order they were answered (see [`board`]).
    pub answered: Vec<BoardEntry>,
}

/// Where a board's session stands. The times are whole minutes, rounded up ("1 minute
/// left" until the end, never "0"), so two boards of the same questions are equal exactly
/// when their text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardPhase {
    /// Not started yet.
    Upcoming { starts_in: TimeDelta },
    /// Running, more than [`QA_COUNTDOWN`] before its end.
    Running { left: TimeDelta },
    /// In its last [`QA_COUNTDOWN`], the end included: question time.
    QandA { left: TimeDelta },
    /// Over: the state the board keeps once the next session has its own.
    Ended,
}

/// A question as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardEntry {
    pub number: u64,
    pub votes: u32,
    /// The asker's Matrix ID, shown when they have no display name.
    pub asker: String,
    /// The asker's display name when they asked, as they typed it.
    pub asker_name: String,
    /// The question as typed.
    pub text: String,
}

impl BoardEntry {
    fn of(question: &Question) -> BoardEntry {
        BoardEntry {
            number: question.number,
            votes: question.votes,
            asker: question.asker.clone(),
            asker_name: question.asker_name.clone(),
            text: question.text.clone(),
        }
    }
}

/// The board of `session` at `now`, from the stored `questions` (any session, any status,
/// any order): its approved questions ranked by [`by_votes`], as `!questions` ranks them;
/// its answered ones in the order they were answered (the time of the moderator's action,
/// or, with none recorded, the time asked; then by number), so that a question just
/// answered drops to the very bottom and the list below reads as the session went.
/// Pending, rejected and withdrawn questions are not on the board.
pub fn board<'s>(session: &'s Session, questions: &[Question], now: DateTime<Tz>) -> Board<'s> {
    let of_status = |status: Status| -> Vec<Question> {
        questions
            .iter()
            .filter(|q| q.session_id == session.id && q.status == status)
            .cloned()
            .collect()
    };
    let mut ranked = of_status(Status::Approved);
    by_votes(&mut ranked);
    let mut answered = of_status(Status::Answered);
    answered.sort_by_key(|q| (q.triage.as_ref().map_or(q.asked_at, |t| t.at), q.number));
    Board {
        session,
        phase: board_phase(session, now),
        ranked: ranked.iter().map(BoardEntry::of).collect(),
        answered: answered.iter().map(BoardEntry::of).collect(),
    }
}

/// Where `session` stands at `now`: upcoming before its start, running from its start,
/// question time from [`QA_COUNTDOWN`] before its end, ended from its end.
pub fn board_phase(session: &Session, now: DateTime<Tz>) -> BoardPhase {
    if now < session.start {
        return BoardPhase::Upcoming {
            starts_in: minutes_up_to(session.start - now),
        };
    }
    if now >= session.end {
        return BoardPhase::Ended;
    }
    let left = minutes_up_to(session.end - now);
    if left <= QA_COUNTDOWN {
        BoardPhase::QandA { left }
    } else {
        BoardPhase::Running { left }
    }
}

/// `span` rounded up to whole minutes.
fn minutes_up_to(span: TimeDelta) -> TimeDelta {
    let whole = TimeDelta::minutes(span.num_minutes());
    if span > whole {
        whole + TimeDelta::minutes(1)
    } else {
        whole
    }
}

/// The next instant after `now` at which the board's text changes with no vote or
/// moderation: a minute of "left" or "starts in" goes by, the countdown begins, the
/// session starts or ends. `None` once it has ended: the board keeps its final state.
/// The adapter edits the board then.
pub fn next_change(board: &Board<'_>, now: DateTime<Tz>) -> Option<DateTime<Tz>> {
    let session = board.session;
    // The counted minutes run down to the start, then to the end; the countdown starts a
    // whole number of minutes before the end, so it falls on one of those instants.
    let (to, shown) = match board_phase(session, now) {
        BoardPhase::Upcoming { starts_in } => (session.start, starts_in),
        BoardPhase::Running { left } | BoardPhase::QandA { left } => (session.end, left),
        BoardPhase::Ended => return None,
    };
    Some(to - (shown - TimeDelta::minutes(1)))
}

/// The session a place's board shows at `now`, among `sessions` (those of one schedule
/// room or track, in any order): the one running, from its start included to its end
/// excluded, as for questions. When several overlap, the one that started last (a talk
/// inside a longer block), then the one that ends first, then the lowest id, so that the
/// order given never matters. Between sessions, and during breaks and social events (they
/// take no questions, see [`takes_questions`]), none: the last board keeps its final
/// state until the next session starts and gets a board of its own. A longer session that
/// runs on after a shorter one inside it is shown again, on its own board ([`board_key`]).
pub fn board_session<'s>(sessions: impl IntoIterator<Item = &'s Session>, now: DateTime<Tz>) -> Option<&'s Session> {
    sessions
        .into_iter()
        .filter(|s| takes_questions(s) && s.start <= now && now < s.end)
        .min_by(|a, b| (b.start.cmp(&a.start)).then(a.end.cmp(&b.end)).then(a.id.cmp(&b.id)))
}

/// The boards due at `now`: for each place a session is held in (its schedule room) and
/// each room its questions reach the speakers in (its place's backstage, or the
/// conference's speakers room, see [`Rooms::for_questions`]), the session
/// [`board_session`] picks, with that room as the config names it. Sessions in no
/// schedule room share one board per speakers room.
pub fn boards_due<'s>(schedule: &'s Schedule, rooms: &'s Rooms, now: DateTime<Tz>) -> Vec<(&'s str, &'s Session)> {
    /// A speakers room and a schedule room, with its sessions.
    type Group<'s> = ((&'s str, Option<&'s str>), Vec<&'s Session>);
    let mut groups: Vec<Group<'s>> = Vec::new();
    for session in schedule.sessions() {
        let places = [session.room.as_deref(), session.track.as_deref()];
        let Some(speakers) = rooms.for_questions(places.into_iter().flatten()).speakers else {
            continue;
        };
        let group = (speakers, session.room.as_deref());
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, sessions)) => sessions.push(session),
            None => groups.push((group, vec![session])),
        }
    }
    (groups.into_iter())
        .filter_map(|((room, _), sessions)| Some((room, board_session(sessions, now)?)))
        .collect()
}

/// The first instant after `now` at which a session with a board starts (one that takes
/// questions, in a place whose questions reach a speakers room): when a new board is due
/// though no board shown now changes by itself, as after a gap between two sessions.
pub fn next_board_start(schedule: &Schedule, rooms: &Rooms, now: DateTime<Tz>) -> Option<DateTime<Tz>> {
    (schedule.sessions().iter())
        .filter(|s| s.start > now && takes_questions(s))
        .filter(|s| {
            let places = [s.room.as_deref(), s.track.as_deref()];
            rooms.for_questions(places.into_iter().flatten()).speakers.is_some()
        })
        .map(|s| s.start)
        .min()
}

/// The key under which the store keeps the board message of `session_id` in the Matrix
/// room `room` (its id): "board:{room}:{session}", one per session and room, the same
/// across restarts, so that a restart edits the board it posted. A ":" (and "%") in the
/// session id is written "%3A" ("%25"), so that the key's last ":" always ends the room
/// and two pairs never share a key, though room ids have ":" of their own.
pub fn board_key(session_id: &str, room: &str) -> String {
    let session = session_id.replace('%', "%25").replace(':', "%3A");
    format!("board:{room}:{session}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, centos};

    fn q(number: u64, votes: u32, asked_at: &str, status: Status) -> Question {
        let mut question =
            crate::questions::testing::question(number, "alma", &format!("Question {number}?"), asked_at);
        question.votes = votes;
        question.status = status;
        question
    }

    fn numbers(entries: &[BoardEntry]) -> Vec<u64> {
        entries.iter().map(|e| e.number).collect()
    }

    #[test]
    fn approved_questions_rank_by_votes_then_age_then_number() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let questions = [
            q(1, 2, "2023-02-03T09:30", Status::Approved),
            q(2, 5, "2023-02-03T09:31", Status::Approved),
            // Equal votes: asked earlier wins over a lower number.
            q(3, 2, "2023-02-03T09:29", Status::Approved),
            // Equal votes and age: the lower number.
            q(5, 2, "2023-02-03T09:30", Status::Approved),
            q(4, 0, "2023-02-03T09:26", Status::Approved),
        ];
        let b = board(alma, &questions, at(&s, "2023-02-03T09:40"));
        assert_eq!(numbers(&b.ranked), [2, 3, 1, 5, 4]);
        assert!(b.answered.is_empty());
        assert_eq!(
            b.ranked[0],
            BoardEntry {
                number: 2,
                votes: 5,
                asker: "@alice:example.org".into(),
                asker_name: "Alice".into(),
                text: "Question 2?".into(),
            }
        );
        // `!questions` ranks the same questions the same way.
        let mut listed = questions.to_vec();
        by_votes(&mut listed);
        assert_eq!(listed.iter().map(|q| q.number).collect::<Vec<_>>(), numbers(&b.ranked));
    }

    #[test]
    fn only_this_sessions_approved_and_answered_questions_are_on_the_board() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let mut other = q(6, 9, "2023-02-03T09:30", Status::Approved);
        other.session_id = "ebranch".into();
        let questions = [
            q(1, 3, "2023-02-03T09:30", Status::Pending),
            q(2, 3, "2023-02-03T09:30", Status::Rejected { reason: None }),
            q(3, 3, "2023-02-03T09:30", Status::Withdrawn),
            q(4, 0, "2023-02-03T09:30", Status::Approved),
            q(5, 1, "2023-02-03T09:30", Status::Answered),
            other,
        ];
        let b = board(alma, &questions, at(&s, "2023-02-03T09:40"));
        assert_eq!(numbers(&b.ranked), [4]);
        assert_eq!(numbers(&b.answered), [5]);
    }

    #[test]
    fn answered_questions_go_to_the_bottom_in_the_order_answered() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let answered_at = |number: u64, when: Option<&str>| {
            let mut question = q(number, 10 - number as u32, "2023-02-03T09:30", Status::Answered);
            question.asked_at = at(&s, "2023-02-03T09:26") + TimeDelta::minutes(number as i64);
            question.triage = when.map(|when| Triage {
                event: format!("$answered{number}"),
                by: "@mod:example.org".into(),
                at: at(&s, when),
                before: Status::Approved,
            });
            question
        };
        let questions = [
            answered_at(1, Some("2023-02-03T09:45")),
            answered_at(2, Some("2023-02-03T09:35")),
            // No time recorded: taken as answered when asked (09:29).
            answered_at(3, None),
            answered_at(4, Some("2023-02-03T09:35")),
            q(9, 0, "2023-02-03T09:30", Status::Approved),
        ];
        let b = board(alma, &questions, at(&s, "2023-02-03T09:46"));
        assert_eq!(numbers(&b.ranked), [9]);
        assert_eq!(numbers(&b.answered), [3, 2, 4, 1]);
    }

    #[test]
    fn the_phase_changes_at_the_start_the_countdown_and_the_end() {
        let s = centos();
        // 09:25–09:50.
        let alma = s.session("alma").unwrap();
        let phase_at = |local: &str| board_phase(alma, at(&s, local));
        let m = TimeDelta::minutes;
        let second = TimeDelta::seconds(1);
        assert_eq!(phase_at("2023-02-03T09:20"), BoardPhase::Upcoming { starts_in: m(5) });
        assert_eq!(
            board_phase(alma, alma.start - second),
            BoardPhase::Upcoming { starts_in: m(1) }
        );
        assert_eq!(
            board_phase(alma, alma.start - TimeDelta::hours(25)),
            BoardPhase::Upcoming { starts_in: m(25 * 60) }
        );
        assert_eq!(phase_at("2023-02-03T09:25"), BoardPhase::Running { left: m(25) });
        assert_eq!(
            board_phase(alma, alma.start + second),
            BoardPhase::Running { left: m(25) },
            "rounded up"
        );
        assert_eq!(
            board_phase(alma, alma.end - QA_COUNTDOWN - TimeDelta::milliseconds(1)),
            BoardPhase::Running { left: m(11) }
        );
        assert_eq!(phase_at("2023-02-03T09:40"), BoardPhase::QandA { left: m(10) });
        assert_eq!(
            board_phase(alma, alma.end - TimeDelta::nanoseconds(1)),
            BoardPhase::QandA { left: m(1) }
        );
        assert_eq!(phase_at("2023-02-03T09:50"), BoardPhase::Ended);
        assert_eq!(phase_at("2023-02-04T09:50"), BoardPhase::Ended);
    }

    #[test]
    fn a_session_shorter_than_the_countdown_is_all_question_time() {
        let s = centos();
        let mut short = s.session("alma").unwrap().clone();
        short.end = short.start + TimeDelta::minutes(5);
        assert_eq!(
            board_phase(&short, short.start),
            BoardPhase::QandA {
                left: TimeDelta::minutes(5)
            }
        );
    }

    #[test]
    fn the_next_change_is_the_next_instant_the_phase_reads_differently() {
        let s = centos();
        let alma = s.session("alma").unwrap();
        let b = board(alma, &[], alma.start);
        let next = |local: &str| next_change(&b, at(&s, local)).map(|t| crate::time::clock(&t));
        assert_eq!(next("2023-02-03T09:10").as_deref(), Some("09:11"));
        assert_eq!(next("2023-02-03T09:24:30").as_deref(), Some("09:25"), "the start");
        assert_eq!(next("2023-02-03T09:25").as_deref(), Some("09:26"));
        assert_eq!(next("2023-02-03T09:39:59").as_deref(), Some("09:40"), "the countdown");
        assert_eq!(next("2023-02-03T09:49:00").as_deref(), Some("09:50"), "the end");
        assert_eq!(next("2023-02-03T09:50"), None);
        // Second by second from well before the start to after the end: the next change is
        // the first instant whose phase differs, and nothing changes before it.
        let mut now = alma.start - TimeDelta::minutes(15);
        while now <= alma.end {
            let change = next_change(&b, now).unwrap();
            assert!(change > now);
            assert_ne!(board_phase(alma, change), board_phase(alma, now), "at {now}");
            let mut t = now;
            while t < change {
                assert_eq!(board_phase(alma, t), board_phase(alma, now), "at {t}, before {change}");
                t += TimeDelta::seconds(1);
            }
            now += TimeDelta::seconds(7);
        }
    }

    fn pagoda(s: &Schedule) -> impl Iterator<Item = &Session> + Clone {
        s.sessions()
            .iter()
            .filter(|session| session.room.as_deref() == Some("Pagoda room"))
    }

    #[test]
    fn a_place_shows_the_board_of_its_running_session_from_start_to_end() {
        let s = centos();
        let shown = |local: &str| board_session(pagoda(&s), at(&s, local)).map(|session| session.id.as_str());
        assert_eq!(shown("2023-02-03T08:00"), None, "before the day");
        assert_eq!(shown("2023-02-03T08:45"), None, "the coffee break");
        assert_eq!(shown("2023-02-03T09:00"), Some("rheldevel"));
        assert_eq!(shown("2023-02-03T09:24:59"), Some("rheldevel"));
        assert_eq!(shown("2023-02-03T09:25"), Some("alma"), "back to back: the next one");
        assert_eq!(shown("2023-02-03T10:59:59"), Some("mirrormanager"));
        assert_eq!(shown("2023-02-03T11:00"), None, "a break has no board");
        assert_eq!(shown("2023-02-03T11:14:59"), None);
        assert_eq!(shown("2023-02-03T11:15"), Some("infra"));
        assert_eq!(shown("2023-02-03T17:59"), Some("board-ama"), "an AMA takes questions");
        assert_eq!(shown("2023-02-03T18:00"), None, "the day is over");
    }

    #[test]
    fn of_overlapping_sessions_the_one_that_started_last_has_the_board() {
        let s = crate::schedule::native::parse(
            r#"
[conference]
name = "Overlaps"
timezone = "Europe/Brussels"
[[sessions]]
id = "block"
title = "Lightning talks"
start = "2023-02-03T13:00"
duration = "2h"
room = "K"
[[sessions]]
id = "talk-b"
title = "One lightning talk"
start = "2023-02-03T13:30"
duration = "15m"
room = "K"
[[sessions]]
id = "talk-a"
title = "Another, same start"
start = "2023-02-03T13:30"
duration = "15m"
room = "K"
[[sessions]]
id = "demo"
title = "A longer demo, same start"
start = "2023-02-03T13:30"
duration = "20m"
room = "K"
"#,
            "overlaps.toml",
            None,
        )
        .unwrap()
        .schedule;
        let shown = |local: &str| {
            let now = at(&s, local);
            let forward = board_session(s.sessions(), now).map(|session| session.id.clone());
            let backward = board_session(s.sessions().iter().rev(), now).map(|session| session.id.clone());
            assert_eq!(forward, backward, "the order given does not matter");
            forward
        };
        assert_eq!(shown("2023-02-03T13:29").as_deref(), Some("block"));
        // Three start at 13:30: the ones ending first, then the lower id.
        assert_eq!(shown("2023-02-03T13:30").as_deref(), Some("talk-a"));
        assert_eq!(shown("2023-02-03T13:45").as_deref(), Some("demo"));
        assert_eq!(shown("2023-02-03T13:50").as_deref(), Some("block"), "the block runs on");
        assert_eq!(shown("2023-02-03T15:00"), None);
    }

    #[test]
    fn a_boards_key_is_one_per_session_and_room() {
        assert_eq!(
            board_key("alma", "!pagoda:example.org"),
            "board:!pagoda:example.org:alma"
        );
        assert_ne!(board_key("b:c", "!a:x"), board_key("c", "!a:x:b"));
        assert_eq!(board_key("b:c%", "!a:x"), "board:!a:x:b%3Ac%25");
        assert_ne!(board_key("%3A", "!a:x"), board_key(":", "!a:x"));
    }

    #[test]
    fn each_place_and_speakers_room_has_the_board_of_its_running_session() {
        use crate::rooms::PlaceRooms;
        let schedule = crate::schedule::native::parse(
            include_str!("../../../../tests/fixtures/two-tracks.toml"),
            "two-tracks",
            None,
        )
        .unwrap()
        .schedule;
        let rooms = Rooms {
            speakers: Some("#speakers:ex.org".into()),
            map: std::collections::BTreeMap::from([(
                "Kernel".into(),
                PlaceRooms {
                    room: "#kernel:ex.org".into(),
                    backstage: Some("#kernel-backstage:ex.org".into()),
                    ..PlaceRooms::default()
                },
            )]),
            ..Rooms::default()
        };
        let due = |local: &str| -> Vec<(&str, &str)> {
            let now = at(&schedule, local);
            (boards_due(&schedule, &rooms, now).into_iter())
                .map(|(room, session)| (room, session.id.as_str()))
                .collect()
        };
        assert_eq!(
            due("2023-02-03T09:10"),
            [
                ("#kernel-backstage:ex.org", "kernel-intro"),
                ("#speakers:ex.org", "web-intro")
            ]
        );
        assert_eq!(due("2023-02-03T09:50"), []);
        assert_eq!(
            due("2023-02-03T10:44"),
            [
                ("#kernel-backstage:ex.org", "kernel-sched"),
                ("#speakers:ex.org", "web-cache")
            ]
        );
        // Lunch takes no questions.
        assert_eq!(due("2023-02-03T12:30"), []);
        let nowhere = Rooms::default();
        assert!(boards_due(&schedule, &nowhere, at(&schedule, "2023-02-03T09:10")).is_empty());

        // Between sessions, the next board is due at the next start; lunch brings none.
        let next = |local: &str| next_board_start(&schedule, &rooms, at(&schedule, local));
        assert_eq!(next("2023-02-03T09:50"), Some(at(&schedule, "2023-02-03T10:00")));
        assert_eq!(next("2023-02-03T10:00"), None);
        assert_eq!(
            next_board_start(&schedule, &nowhere, at(&schedule, "2023-02-03T09:50")),
            None
        );
    }
}
