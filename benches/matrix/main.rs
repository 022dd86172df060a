//! confbot against a real Synapse on loopback: the figures and scenarios of BENCHMARKS.md.
//!
//! Run through `scripts/bench`, which builds everything, starts the homeservers and passes
//! them in:
//!
//! - `CONFBOT_TEST_HOMESERVER`: the Synapse to use (rate limits off, as scripts/synapse
//!   makes it, except for `ratelimit`, which wants one with Synapse's defaults);
//! - `CONFBOT_BENCH_SYNAPSE_DIR`: for `outage`, that Synapse's data folder, which the
//!   scenario stops and starts again on the same port.
//!
//! The arguments name the scenarios (default: the measurements and `restarts`):
//! `latency concurrent punctuality burst board hour memory start restarts fosdem outage ratelimit
//! provision-limits hostile`.
//! Every figure is printed next to a floor taken in the same run where there is one; each
//! scenario ends with a PASS or FAIL line, and any FAIL makes the exit status 1.

#[path = "../../tests/support/mod.rs"]
mod support;

mod board;
mod crowd;
mod footprint;
mod fosdem;
mod hostile;
mod hour;
mod reliability;
mod saturday;
mod speed;

use board::*;
use footprint::*;
use fosdem::*;
use hostile::*;
use hour::*;
use reliability::*;
use speed::*;

use chrono::{DateTime, FixedOffset, TimeDelta};
use chrono_tz::Tz;
use confbot::config::Config;
use confbot::plan::{self, FromChat, What};
use confbot::present;
use confbot::schedule::Schedule;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{Bot, Peer, Received, WAIT};

const DEFAULT: &[&str] = &[
    "latency",
    "concurrent",
    "punctuality",
    "burst",
    "board",
    "hour",
    "memory",
    "start",
    "restarts",
];

fn main() {
    // `cargo bench` passes `--bench`; everything else names a scenario.
    let mut names: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if names.is_empty() {
        names = DEFAULT.iter().map(|s| s.to_string()).collect();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut failed = Vec::new();
    for name in &names {
        println!("\n== {name}");
        let started = Instant::now();
        let passed = runtime.block_on(async {
            match name.as_str() {
                "latency" => run(latency()).await,
                "concurrent" => run(concurrent()).await,
                "punctuality" => run(punctuality()).await,
                "burst" => run(burst()).await,
                "board" => run(board()).await,
                "hour" => run(hour()).await,
                "fosdem" => run(fosdem()).await,
                "memory" => run(memory()).await,
                "start" => run(start()).await,
                "restarts" => run(restarts()).await,
                "outage" => run(outage()).await,
                "ratelimit" => run(ratelimit()).await,
                "provision-limits" => run(provision_limited()).await,
                "hostile" => run(hostile()).await,
                other => {
                    println!(
                        "unknown scenario {other}; known: {DEFAULT:?}, fosdem, outage, ratelimit, provision-limits, hostile"
                    );
                    false
                }
            }
        });
        println!(
            "{name}: {} ({:.0} s)",
            if passed { "PASS" } else { "FAIL" },
            started.elapsed().as_secs_f64()
        );
        if !passed {
            failed.push(name.clone());
        }
    }
    if failed.is_empty() {
        println!("\nbench: {} scenarios, all passed", names.len());
    } else {
        println!("\nbench: failed: {}", failed.join(" "));
        std::process::exit(1);
    }
}

/// Runs a scenario as its own task, so that a panic (a reply that never came) is a FAIL
/// of that scenario and the next one still runs.
async fn run(scenario: impl Future<Output = bool> + Send + 'static) -> bool {
    match tokio::spawn(scenario).await {
        Ok(passed) => passed,
        Err(err) => {
            println!("the scenario broke off: {err}");
            false
        }
    }
}

// ---- figures

/// The `p` quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints p50, p95, p99 and max of `values` beside the same for `floor` (both sorted, the
/// floor named `floor_label`), and the ratio of each quantile to the floor's.
fn print_against_floor(label: &str, values: &[f64], floor_label: &str, floor: &[f64]) {
    println!("                 p50      p95      p99      max");
    for (label, values) in [(label, values), (floor_label, floor)] {
        println!(
            "{label:<14} {:>7.1}  {:>7.1}  {:>7.1}  {:>7.1}",
            quantile(values, 0.5),
            quantile(values, 0.95),
            quantile(values, 0.99),
            values[values.len() - 1]
        );
    }
    println!(
        "ratio          {:>7.3}  {:>7.3}  {:>7.3}",
        ratio(values, floor, 0.5),
        ratio(values, floor, 0.95),
        ratio(values, floor, 0.99)
    );
}

/// The `p` quantile of sorted `values` over the same quantile of sorted `floor`.
fn ratio(values: &[f64], floor: &[f64], p: f64) -> f64 {
    quantile(values, p) / quantile(floor, p)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn wall_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1e3
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

// ---- the conference

fn centos() -> Schedule {
    confbot::schedule::native::parse(
        include_str!("../../data/centos-connect-2023.toml"),
        "centos-connect-2023.toml",
        None,
    )
    .expect("the CentOS Connect schedule")
    .schedule
}

fn at(time: &str) -> DateTime<Tz> {
    confbot::time::parse_instant(&format!("2023-02-03T{time}"), chrono_tz::Europe::Brussels).unwrap()
}

/// The rehearsal clock of a bot process, as its log announced it: the wall-clock instant
/// the clock started and the conference instant it started at.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    wall_ms: f64,
    conference: DateTime<FixedOffset>,
    speed: f64,
}

impl Anchor {
    /// Every clock the bot's log announced, in order (one per start).
    fn all(log: &str, speed: f64) -> Vec<Anchor> {
        log.lines()
            .filter(|line| line.contains("rehearsal clock"))
            .filter_map(|line| {
                let stamp = DateTime::parse_from_rfc3339(line.split_whitespace().next()?).ok()?;
                let now = line.split_whitespace().find_map(|w| w.strip_prefix("now="))?;
                Some(Anchor {
                    wall_ms: stamp.timestamp_micros() as f64 / 1e3,
                    conference: DateTime::parse_from_rfc3339(now).ok()?,
                    speed,
                })
            })
            .collect()
    }

    /// Waits for the latest start's line in the bot's log.
    async fn latest(bot: &Bot, starts: usize, speed: f64) -> Anchor {
        let deadline = Instant::now() + WAIT;
        loop {
            let anchors = Anchor::all(&bot.log(), speed);
            if anchors.len() >= starts {
                return anchors[starts - 1];
            }
            assert!(
                Instant::now() < deadline,
                "no rehearsal clock in the log:\n{}",
                bot.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The wall-clock instant (ms since the epoch) the conference instant `due` falls on.
    fn wall_of(&self, due: DateTime<Tz>) -> f64 {
        self.wall_ms + (due.fixed_offset() - self.conference).num_microseconds().unwrap() as f64 / 1e3 / self.speed
    }

    /// The conference instant at the wall-clock instant `wall` (ms since the epoch).
    fn conference_at(&self, wall: f64) -> DateTime<FixedOffset> {
        self.conference + TimeDelta::microseconds(((wall - self.wall_ms) * 1e3 * self.speed) as i64)
    }
}

/// An `Instant` for a wall-clock instant (ms since the epoch).
fn instant_at(wall: f64) -> Instant {
    let now = wall_ms();
    if wall >= now {
        Instant::now() + Duration::from_secs_f64((wall - now) / 1e3)
    } else {
        Instant::now()
    }
}

/// What the bot will post in `[from, until]` under `config_text`, each post's key with the
/// text it should carry, in due order, for reminders only.
fn planned(
    config_text: &str,
    schedule: &Schedule,
    from: DateTime<Tz>,
    until: DateTime<Tz>,
) -> Vec<(String, DateTime<Tz>, String)> {
    let config = Config::from_toml(config_text, "bench").expect("the bench config");
    plan::posts(schedule, config.rules(), &FromChat::default(), from, until)
        .into_iter()
        .filter_map(|post| {
            let What::Reminder { session, lead } = &post.what else {
                return None;
            };
            let session = schedule.session(session)?;
            let text = present::posts::reminder_message(schedule, session, *lead, &config.reminders.templates, false);
            Some((post.key.clone(), post.due, text.body().to_string()))
        })
        .collect()
}

/// A relayed question in the moderators room: its text (the third line), if it is one.
fn relayed_text(message: &Received) -> Option<&str> {
    let mut lines = message.body.lines();
    let first = lines.next()?;
    let number = first.strip_prefix('Q')?.split(' ').next()?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    lines.nth(1)
}

/// The rooms of the question flow: `main` (announcements and the Pagoda room), `mods`.
struct Rooms {
    main: matrix_sdk::Room,
    mods: matrix_sdk::Room,
    tail: String,
}

async fn rooms(moderator: &Peer, bot: &matrix_sdk::ruma::UserId, attendees: &[&Peer], extra: &str) -> Rooms {
    let (main, mods) = (support::unique("main"), support::unique("mods"));
    let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![bot];
    guests.extend(attendees.iter().map(|a| &*a.user));
    let main_room = moderator.create_room_with_alias(&guests, false, Some(&main)).await;
    let mods_room = moderator.create_room_with_alias(&[bot], false, Some(&mods)).await;
    for attendee in attendees {
        attendee
            .client
            .join_room_by_id(main_room.room_id())
            .await
            .expect("attendee joins");
    }
    let tail = format!(
        "moderators = [\"{}\"]\n[questions]\nper_user = \"off\"\n[rooms]\nannouncements = [\"#{main}:localhost\"]\n\
         moderators = \"#{mods}:localhost\"\n[rooms.map]\n\"Pagoda room\" = \"#{main}:localhost\"\n{extra}",
        moderator.user
    );
    Rooms {
        main: main_room,
        mods: mods_room,
        tail,
    }
}

/// The config `Bot::for_user` wrote, for the planner.
fn config_text(bot: &Bot) -> String {
    std::fs::read_to_string(bot.config_path()).unwrap()
}

/// A small deterministic generator for the kill moments, seeded from the clock and printed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
