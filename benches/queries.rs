//! How long `next`, `now`, speaker lookup and search take on a 100,000-session schedule.
//! Prints figures; asserts nothing. Run with `cargo bench --bench queries`.

use chrono::{TimeDelta, TimeZone};
use chrono_tz::Europe::Brussels;
use confbot::query;
use confbot::schedule::{Conference, Schedule, Session, SessionKind, Speaker};
use std::hint::black_box;
use std::time::Instant;

const SESSIONS: usize = 100_000;
const ROOMS: usize = 40;

/// A synthetic conference: 40 rooms, 25-minute slots from 09:00 to 18:00, as many days as
/// it takes to hold 100,000 sessions, with a few all-day sessions mixed in.
fn generate() -> Schedule {
    let first = Brussels.with_ymd_and_hms(2030, 3, 1, 9, 0, 0).unwrap();
    let slots_per_day = 9 * 60 / 25;
    let speakers: Vec<Speaker> = (0..5_000)
        .map(|i| Speaker {
            id: format!("sp{i}"),
            name: format!("Speaker Número {i}"),
            bio: None,
            links: vec![],
        })
        .collect();
    let sessions = (0..SESSIONS)
        .map(|i| {
            let slot = i / ROOMS;
            let day = slot / slots_per_day;
            let start = first + TimeDelta::days(day as i64) + TimeDelta::minutes(25 * (slot % slots_per_day) as i64);
            let all_day = i % 997 == 0;
            Session {
                id: format!("s{i}"),
                title: format!("Session {i} on topic {}", i % 311),
                subtitle: None,
                kind: SessionKind::Talk,
                start,
                end: start
                    + if all_day {
                        TimeDelta::hours(8)
                    } else {
                        TimeDelta::minutes(25)
                    },
                room: Some(format!("Room {}", i % ROOMS)),
                track: None,
                speakers: vec![format!("sp{}", i % 5_000)],
                abstract_text: Some(format!("Abstract number {i} about subject {}", i % 1013)),
                url: None,
            }
        })
        .collect();
    Schedule::new(
        Conference {
            name: "Generated".into(),
            timezone: Brussels,
            venue: None,
            url: None,
        },
        sessions,
        speakers,
    )
}

fn per_query<F: FnMut(usize)>(name: &str, runs: usize, mut f: F) {
    let started = Instant::now();
    for i in 0..runs {
        f(i);
    }
    let each = started.elapsed() / runs as u32;
    println!("{name:<40} {:>10.3} µs/query ({runs} runs)", each.as_secs_f64() * 1e6);
}

fn main() {
    let started = Instant::now();
    let schedule = generate();
    println!(
        "built and indexed {} sessions in {:.1} ms",
        schedule.sessions().len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let span = schedule.sessions().last().unwrap().start - schedule.sessions()[0].start;
    let first = schedule.sessions()[0].start;
    let instant = |i: usize| first + TimeDelta::seconds((i as i64 * 7_919_311) % span.num_seconds());
    per_query("whats_on (now + next), everywhere", 100_000, |i| {
        black_box(query::whats_on(&schedule, instant(i), None));
    });
    per_query("whats_on (now + next), one room", 100_000, |i| {
        black_box(query::whats_on(&schedule, instant(i), Some("Room 7")));
    });
    per_query("agenda of a day, one room", 10_000, |i| {
        black_box(query::agenda(&schedule, instant(i).date_naive(), Some("Room 3")));
    });
    per_query("find_speakers (partial name)", 1_000, |i| {
        black_box(query::find_speakers(&schedule, &format!("numero {}", i % 5_000)));
    });
    per_query("find_sessions (by id)", 100_000, |i| {
        black_box(query::find_sessions(&schedule, &format!("s{}", i % SESSIONS)));
    });
    per_query("search (two words, full scan)", 100, |i| {
        black_box(query::search(&schedule, &format!("subject {}", i % 1013)));
    });
}
