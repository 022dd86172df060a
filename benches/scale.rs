//! Scale: how long importing takes and how long the bot spends on a command, on every real
//! schedule in ../shared/schedules (when that folder is there) and on a generated
//! 100,000-session one. A command here is what the bot does between a message and its
//! reply, minus the network: parse, decide against the schedule, render. Prints figures.
//! `cargo bench --bench scale`, or scripts/bench.

use chrono::TimeDelta;
use chrono_tz::Europe::Brussels;
use confbot::answer::{decide, Decision};
use confbot::command::{Command, Role};
use confbot::rooms::Rooms;
use confbot::schedule::format::parse_any;
use confbot::schedule::Schedule;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const SESSIONS: usize = 100_000;
const ROOMS: usize = 40;

/// A generated Pentabarf XML schedule: 40 rooms, 25-minute slots from 09:00 to 18:00, as
/// many days as 100,000 sessions take, 5,000 speakers.
fn generated_xml() -> String {
    let slots_per_day = 9 * 60 / 25;
    let per_day = slots_per_day * ROOMS;
    let days = SESSIONS.div_ceil(per_day);
    let mut text = String::from(
        "<?xml version=\"1.0\"?>\n<schedule><conference><title>Generated</title>\
         <time_zone_name>Europe/Brussels</time_zone_name></conference>\n",
    );
    let mut id = 0;
    for day in 0..days {
        let date = chrono::NaiveDate::from_ymd_opt(2030, 3, 1).unwrap() + TimeDelta::days(day as i64);
        text.push_str(&format!("<day index=\"{}\" date=\"{date}\">\n", day + 1));
        for room in 0..ROOMS {
            text.push_str(&format!("<room name=\"Room {room}\">\n"));
            for slot in 0..slots_per_day {
                if id == SESSIONS {
                    break;
                }
                let minutes = 9 * 60 + slot * 25;
                text.push_str(&format!(
                    "<event id=\"{id}\"><start>{:02}:{:02}</start><duration>00:25</duration><room>Room {room}</room>\
                     <title>Session {id} on topic {}</title><track>Track {}</track><type>talk</type>\
                     <abstract>Abstract number {id} about subject {}</abstract>\
                     <persons><person id=\"{}\">Speaker Número {}</person></persons></event>\n",
                    minutes / 60,
                    minutes % 60,
                    id % 311,
                    room % 20,
                    id % 1013,
                    id % 5_000,
                    id % 5_000
                ));
                id += 1;
            }
            text.push_str("</room>\n");
        }
        text.push_str("</day>\n");
    }
    text.push_str("</schedule>\n");
    text
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// Imports `text`, timing it; the schedule and the median time.
fn import(name: &str, text: &str, runs: usize) -> Option<(Schedule, Duration)> {
    let loaded = match parse_any(text, name, None, Some(Brussels)) {
        Ok(loaded) => loaded,
        Err(err) => {
            println!("{name}: not imported: {}", err.to_string().lines().next().unwrap_or(""));
            return None;
        }
    };
    let took = median(runs, || {
        black_box(parse_any(black_box(text), name, None, Some(Brussels)).ok());
    });
    Some((loaded.schedule, took))
}

/// Times each command against `schedule` at instants spread over the conference.
fn commands(label: &str, schedule: &Schedule) {
    let sessions = schedule.sessions();
    let first = sessions[0].start;
    let span = (sessions[sessions.len() - 1].start - first).num_seconds().max(1);
    let speaker = schedule
        .speakers()
        .get(schedule.speakers().len() / 2)
        .map(|s| s.name.split_whitespace().next().unwrap_or("a").to_string())
        .unwrap_or_else(|| "a".to_string());
    let word = sessions[sessions.len() / 2]
        .title
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap_or("talk")
        .to_string();
    let rooms = Rooms::default();
    println!("{label}: per command (parse, decide, render), median of runs at instants across the conference");
    for (text, runs) in [
        ("!next".to_string(), 2_000),
        ("!now".to_string(), 2_000),
        (format!("!speaker {speaker}"), 200),
        (format!("!search {word}"), 100),
        ("!today".to_string(), 200),
    ] {
        let mut i = 0i64;
        let took = median(runs, || {
            i += 1;
            let now = first + TimeDelta::seconds((i * 7_919) % span);
            let command = Command::parse(&text).expect("parses").expect("a command");
            let decision = decide(schedule, &rooms, &command, Role::Attendee, now, None, None);
            if let Decision::Reply(message) = decision {
                black_box(message.html());
            }
        });
        println!("  {text:<32} {:>10.1} µs", took.as_secs_f64() * 1e6);
    }
}

fn main() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules");
    let mut largest: Option<(String, Schedule)> = None;
    if let Ok(entries) = std::fs::read_dir(&folder) {
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                [".xml", ".json", ".ics", ".xcal"].iter().any(|ext| name.ends_with(ext))
                    && !name.contains("schema")
                    && !name.ends_with(".xsd")
            })
            .collect();
        files.sort();
        println!("real schedules in {}: import time (median of 5)", folder.display());
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            if let Some((schedule, took)) = import(&name, &text, 5) {
                println!(
                    "  {name:<48} {:>6} KB {:>5} sessions {:>8.1} ms",
                    text.len() / 1024,
                    schedule.sessions().len(),
                    took.as_secs_f64() * 1e3
                );
                if largest
                    .as_ref()
                    .is_none_or(|(_, l)| schedule.sessions().len() > l.sessions().len())
                {
                    largest = Some((name, schedule));
                }
            }
        }
    } else {
        println!(
            "{} is absent: only the generated schedule is measured",
            folder.display()
        );
    }
    if let Some((name, schedule)) = &largest {
        println!();
        commands(&format!("{name} ({} sessions)", schedule.sessions().len()), schedule);
    }

    let text = generated_xml();
    let (schedule, took) = import("generated.xml", &text, 3).expect("the generated schedule imports");
    println!(
        "\ngenerated Pentabarf XML: {} KB, {} sessions, imported in {:.0} ms (median of 3)",
        text.len() / 1024,
        schedule.sessions().len(),
        took.as_secs_f64() * 1e3
    );
    commands("generated 100,000 sessions", &schedule);
}
