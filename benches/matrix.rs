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
//! `latency concurrent punctuality burst memory start restarts outage ratelimit hostile`.
//! Every figure is printed next to a floor taken in the same run where there is one; each
//! scenario ends with a PASS or FAIL line, and any FAIL makes the exit status 1.

#[path = "../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, FixedOffset, TimeDelta};
use chrono_tz::Tz;
use confbot::config::Config;
use confbot::plan::{self, FromChat, What};
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
                "memory" => run(memory()).await,
                "start" => run(start()).await,
                "restarts" => run(restarts()).await,
                "outage" => run(outage()).await,
                "ratelimit" => run(ratelimit()).await,
                "hostile" => run(hostile()).await,
                other => {
                    println!("unknown scenario {other}; known: {DEFAULT:?}, outage, ratelimit, hostile");
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
        include_str!("../data/centos-connect-2023.toml"),
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
    plan::posts(schedule, &config, &FromChat::default(), from, until)
        .into_iter()
        .filter_map(|post| {
            let What::Reminder { session, lead } = &post.what else {
                return None;
            };
            let session = schedule.session(session)?;
            let text = plan::reminder_message(schedule, session, *lead, &config.reminders.templates, false);
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

// ---- 1. command latency

async fn latency() -> bool {
    const ROUNDS: usize = 300;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    bot.start("2023-02-03T09:10");
    let attendee = Peer::new("attendee").await;
    let echo = Peer::new("echo").await;
    echo.echo_replies();
    let bot_room = attendee.create_room(&[&bot.user], false).await;
    let echo_room = attendee.create_room(&[&echo.user], false).await;
    attendee.wait_for_join(&bot_room, &bot.user).await;
    echo.client
        .join_room_by_id(echo_room.room_id())
        .await
        .expect("echo joins");
    attendee.wait_for_join(&echo_room, &echo.user).await;

    let round = |room: matrix_sdk::Room, from: matrix_sdk::ruma::OwnedUserId| {
        let attendee = &attendee;
        async move {
            let (id, sent) = attendee.say(&room, "!next").await;
            let reply = attendee.reply_from(&room, &from, Some(&id)).await;
            (reply.at - sent, reply.body)
        }
    };
    for _ in 0..10 {
        round(bot_room.clone(), bot.user.clone()).await;
        round(echo_room.clone(), echo.user.clone()).await;
    }
    // Alternate, each path first in every other round, so both see the same homeserver.
    let (mut via_bot, mut via_echo) = (Vec::new(), Vec::new());
    let mut answers_ok = true;
    for i in 0..ROUNDS {
        let bot_first = i % 2 == 0;
        if !bot_first {
            via_echo.push(ms(round(echo_room.clone(), echo.user.clone()).await.0));
        }
        let (took, body) = round(bot_room.clone(), bot.user.clone()).await;
        answers_ok &= body.starts_with("Next");
        via_bot.push(ms(took));
        if bot_first {
            via_echo.push(ms(round(echo_room.clone(), echo.user.clone()).await.0));
        }
    }
    via_bot.sort_by(f64::total_cmp);
    via_echo.sort_by(f64::total_cmp);
    println!("{ROUNDS} × !next, one at a time; from the send to the reply seen by the same client (ms)");
    println!("                 p50      p95      p99      max");
    for (label, values) in [("confbot", &via_bot), ("echo (floor)", &via_echo)] {
        println!(
            "{label:<14} {:>7.1}  {:>7.1}  {:>7.1}  {:>7.1}",
            quantile(values, 0.5),
            quantile(values, 0.95),
            quantile(values, 0.99),
            values[values.len() - 1]
        );
    }
    let ratio = |p: f64| quantile(&via_bot, p) / quantile(&via_echo, p);
    println!(
        "ratio          {:>7.3}  {:>7.3}  {:>7.3}",
        ratio(0.5),
        ratio(0.95),
        ratio(0.99)
    );
    println!(
        "target p50 ≤ 1.05 × floor: {}; p99 ≤ 1.2 × floor: {}",
        verdict(ratio(0.5) <= 1.05),
        verdict(ratio(0.99) <= 1.2)
    );
    if !answers_ok {
        println!("a reply was not the answer to !next");
    }
    bot.stop() == Some(0) && answers_ok
}

// ---- 1b. many clients at once

/// Every peer sends `!next` `each` times back to back into `room`, all peers at once; the
/// commands' event ids.
async fn rush(peers: &[&Peer], room: &matrix_sdk::ruma::RoomId, each: usize) -> Vec<matrix_sdk::ruma::OwnedEventId> {
    let sends = peers.iter().map(|peer| {
        let room = peer.client.get_room(room).expect("joined");
        async move {
            let mut ids = Vec::new();
            for _ in 0..each {
                ids.push(peer.say(&room, "!next").await.0);
            }
            ids
        }
    });
    futures_util::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn concurrent() -> bool {
    const CLIENTS: usize = 20;
    const EACH: usize = 10;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    bot.start("2023-02-03T09:10");
    let host = Peer::new("host").await;
    let mut guests = Vec::new();
    for _ in 1..CLIENTS {
        guests.push(Peer::new("guest").await);
    }
    let mut invited: Vec<&matrix_sdk::ruma::UserId> = vec![&bot.user];
    invited.extend(guests.iter().map(|g| -> &matrix_sdk::ruma::UserId { &g.user }));
    let room = host.create_room(&invited, false).await;
    host.wait_for_join(&room, &bot.user).await;
    for guest in &guests {
        guest.client.join_room_by_id(room.room_id()).await.expect("guest joins");
        guest.stop_syncing();
    }
    let started = Instant::now();
    let senders: Vec<&Peer> = std::iter::once(&host).chain(guests.iter()).collect();
    let asked = rush(&senders, room.room_id(), EACH).await;
    let mut answered: HashMap<_, u32> = HashMap::new();
    let mut last = started;
    while answered.len() < asked.len() {
        let Some(reply) = host.reply_within(&room, &bot.user, None, Instant::now() + WAIT).await else {
            break;
        };
        last = reply.at;
        *answered.entry(reply.in_reply_to.clone()).or_default() += 1;
    }
    // Anything more would be an answer twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for r in host.drain().await.into_iter().filter(|r| r.sender == bot.user) {
        *answered.entry(r.in_reply_to.clone()).or_default() += 1;
    }
    let once = asked
        .iter()
        .filter(|id| answered.get(&Some((*id).clone())) == Some(&1))
        .count();
    let twice = answered.values().filter(|&&n| n > 1).count();
    let missing = asked
        .iter()
        .filter(|id| !answered.contains_key(&Some((*id).clone())))
        .count();
    println!(
        "{CLIENTS} clients × {EACH} !next back to back: {} sent, {once} answered once, {twice} more than once, \
         {missing} unanswered; the last answer {:.2} s after the first send",
        asked.len(),
        (last - started).as_secs_f64()
    );
    bot.stop() == Some(0) && once == asked.len()
}

// ---- 2. reminder punctuality

async fn punctuality() -> bool {
    let speed = 60.0;
    let alias = support::unique("day");
    let tail = format!(
        "[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    bot.without_command_limit();
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room_with_alias(&[&bot.user], false, Some(&alias)).await;
    let schedule = centos();
    let expected = planned(&config_text(&bot), &schedule, at("08:15"), at("23:59"));
    bot.start_at_speed("2023-02-03T08:15:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    attendee.wait_for_join(&room, &bot.user).await;

    let mut lateness = Vec::new();
    let mut wrong = 0;
    for (key, due, text) in &expected {
        let deadline = instant_at(anchor.wall_of(*due)) + Duration::from_secs(10);
        let Some(post) = attendee.reply_within(&room, &bot.user, None, deadline).await else {
            println!("missed: {key}");
            wrong += 1;
            continue;
        };
        if &post.body != text {
            println!("out of order or wrong: expected {text:?}, got {:?}", post.body);
            wrong += 1;
        }
        lateness.push(post.origin_ms as f64 - anchor.wall_of(*due));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let extra = attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot.user)
        .count();
    lateness.sort_by(f64::total_cmp);
    println!(
        "CentOS Connect 2023 rehearsed at {speed}× from 08:15: {} reminders planned, {} posted as planned, \
         {wrong} missing or wrong, {extra} extra",
        expected.len(),
        expected.len() - wrong
    );
    if !lateness.is_empty() {
        let p99 = quantile(&lateness, 0.99);
        println!(
            "lateness (origin_server_ts − due instant on the bot's clock, real ms): p50 {:.1}, p99 {p99:.1}, max {:.1}, min {:.1}",
            quantile(&lateness, 0.5),
            lateness[lateness.len() - 1],
            lateness[0]
        );
        println!("target p99 < 100 ms: {}", verdict(p99 < 100.0));
    }
    bot.stop() == Some(0) && wrong == 0 && extra == 0 && !lateness.is_empty()
}

// ---- 3. question burst

async fn burst() -> bool {
    const ASKERS: usize = 50;
    const EACH: usize = 20;
    let moderator = Peer::new("moderator").await;
    let mut attendees = Vec::new();
    for _ in 0..ASKERS {
        attendees.push(Peer::new("attendee").await);
    }
    let bot_user = support::register_user("confbot").await;
    let refs: Vec<&Peer> = attendees.iter().collect();
    let rooms = rooms(&moderator, &bot_user, &refs, "").await;
    for attendee in &attendees {
        attendee.stop_syncing();
    }
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.without_command_limit();
    bot.start("2023-02-03T14:20");
    bot.joined(&moderator, &rooms.main).await;
    bot.joined(&moderator, &rooms.mods).await;

    // Each attendee asks every half second for ten seconds, the attendees 10 ms apart.
    let started = Instant::now();
    let sends = attendees.iter().enumerate().map(|(i, attendee)| {
        let room = attendee.client.get_room(rooms.main.room_id()).unwrap();
        async move {
            for k in 0..EACH {
                let when = started + Duration::from_millis((i * 10 + k * 500) as u64);
                tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
                attendee
                    .say(&room, &format!("!ask Burst question {k} from {}", attendee.user))
                    .await;
            }
            Instant::now()
        }
    });
    let last_sent = futures_util::future::join_all(sends).await.into_iter().max().unwrap();
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    let mut relayed = 0;
    let mut last = started;
    while relayed < ASKERS * EACH {
        let Some(message) = moderator
            .reply_within(&rooms.mods, &bot.user, None, Instant::now() + WAIT)
            .await
        else {
            break;
        };
        let Some(text) = relayed_text(&message) else {
            continue;
        };
        let Some((k, who)) = text
            .strip_prefix("Burst question ")
            .and_then(|rest| rest.split_once(" from "))
        else {
            continue;
        };
        seen.entry(who.to_string()).or_default().push(k.parse().unwrap());
        relayed += 1;
        last = message.at;
    }
    let drained = last - started;
    let in_order = seen.len() == ASKERS && seen.values().all(|order| *order == (0..EACH).collect::<Vec<_>>());

    // The floor: one client has the homeserver accept 1000 plain messages, one at a time,
    // in the room where the questions were asked (a send costs more the more members).
    let floor_started = Instant::now();
    for k in 0..ASKERS * EACH {
        moderator.say(&rooms.main, &format!("plain message {k}")).await;
    }
    let floor = floor_started.elapsed();
    println!(
        "{ASKERS} attendees × {EACH} !ask over {:.1} s: {relayed} relayed to the moderators, {} askers complete \
         and in order",
        (last_sent - started).as_secs_f64(),
        seen.values()
            .filter(|order| **order == (0..EACH).collect::<Vec<_>>())
            .count()
    );
    println!(
        "drained {:.2} s after the first question ({:.2} s after the last); floor: the homeserver accepts \
         {} plain messages from one client in {:.2} s; ratio {:.2}",
        drained.as_secs_f64(),
        last.saturating_duration_since(last_sent).as_secs_f64(),
        ASKERS * EACH,
        floor.as_secs_f64(),
        drained.as_secs_f64() / floor.as_secs_f64()
    );
    bot.stop() == Some(0) && in_order && relayed == ASKERS * EACH
}

// ---- 4. memory of the running bot

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn largest_schedule() -> Option<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules");
    let fosdem = folder.join("fosdem-2025-pentabarf-pretalx.xml");
    fosdem.exists().then_some(fosdem)
}

async fn memory() -> bool {
    let mut cases = vec![(
        "CentOS Connect 2023 (TOML, 18 sessions)".to_string(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml"),
        "2023-02-03T09:10",
        "!speaker Jack",
    )];
    if let Some(path) = largest_schedule() {
        let text = std::fs::read_to_string(&path).unwrap();
        let sessions = confbot::schedule::xml::parse(&text, "fosdem", None)
            .map(|loaded| loaded.schedule.sessions().len())
            .unwrap_or(0);
        cases.push((
            format!(
                "FOSDEM 2025 (Pentabarf XML, {} KB, {sessions} sessions)",
                text.len() / 1024
            ),
            path,
            "2025-02-01T11:00",
            "!speaker Daniel",
        ));
    } else {
        println!("../shared/schedules is absent: only the CentOS schedule is measured");
    }
    let mut ok = true;
    for (label, path, now, speaker) in cases {
        let mut bot = Bot::register("").await;
        bot.without_command_limit();
        bot.use_schedule(&path);
        bot.start(now);
        let attendee = Peer::new("attendee").await;
        let room = attendee.create_room(&[&bot.user], false).await;
        bot.joined(&attendee, &room).await;
        for command in ["!next", "!now", speaker, "!search rust", "!today", "!next"] {
            let (id, _) = attendee.say(&room, command).await;
            attendee.reply_from(&room, &bot.user, Some(&id)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let pid = bot.pid().unwrap();
        let (rss, peak) = (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:"));
        let (heap, file) = (status_kib(pid, "RssAnon:"), status_kib(pid, "RssFile:"));
        let mb = |kib: Option<u64>| kib.unwrap_or(0) as f64 / 1024.0;
        println!(
            "{label}: resident {:.1} MB ({:.1} MB anonymous, {:.1} MB of mapped files: the binary's code), \
             peak {:.1} MB, connected and after six commands",
            mb(rss),
            mb(heap),
            mb(file),
            mb(peak)
        );
        if label.starts_with("FOSDEM") {
            println!("target under 30 MB: {}", verdict(rss.unwrap_or(u64::MAX) < 30 * 1024));
        }
        ok &= bot.stop() == Some(0) && rss.is_some();
    }
    ok
}

// ---- 5. start time

async fn start() -> bool {
    const STARTS: usize = 5;
    let mut bot = Bot::register("").await;
    bot.without_command_limit();
    let attendee = Peer::new("attendee").await;
    let room = attendee.create_room(&[&bot.user], false).await;
    bot.start("2023-02-03T09:10");
    bot.joined(&attendee, &room).await;
    let (id, _) = attendee.say(&room, "!ping").await;
    attendee.reply_from(&room, &bot.user, Some(&id)).await;
    assert_eq!(bot.stop(), Some(0));

    let mut to_reply = Vec::new();
    let mut to_accepted = Vec::new();
    for _ in 0..STARTS {
        let (spawned, spawned_wall) = (Instant::now(), wall_ms());
        bot.start("2023-02-03T09:10");
        // Ask every 20 ms until the first answer: the first one the bot could answer.
        let mut sent = 0;
        let first = loop {
            attendee.say(&room, "!ping").await;
            sent += 1;
            if let Some(reply) = attendee
                .reply_within(&room, &bot.user, None, Instant::now() + Duration::from_millis(20))
                .await
            {
                break reply;
            }
            assert!(
                spawned.elapsed() < WAIT,
                "no answer within {WAIT:?} of the start:\n{}",
                bot.log()
            );
        };
        to_reply.push(ms(first.at - spawned));
        to_accepted.push(first.origin_ms as f64 - spawned_wall);
        // The other pings are answered too before the next start.
        for _ in 1..sent {
            attendee.reply_from(&room, &bot.user, None).await;
        }
        assert_eq!(bot.stop(), Some(0));
    }
    to_reply.sort_by(f64::total_cmp);
    to_accepted.sort_by(f64::total_cmp);
    println!(
        "{STARTS} starts with a stored session, from spawning the process to the first answer (ms): \
         seen by the attendee median {:.0}, max {:.0}; accepted by the homeserver median {:.0}, max {:.0}",
        quantile(&to_reply, 0.5),
        to_reply[STARTS - 1],
        quantile(&to_accepted, 0.5),
        to_accepted[STARTS - 1]
    );
    println!("target under 500 ms: {}", verdict(quantile(&to_reply, 0.5) < 500.0));
    true
}

// ---- reliability: restarts

/// What the people in the question-flow rooms saw, checked against what was planned and asked.
struct Tally {
    reminders_planned: usize,
    reminders_once: usize,
    reminders_late: usize,
    reminders_twice: usize,
    reminders_missing: Vec<String>,
    skipped_listed: usize,
    questions_asked: usize,
    questions_once: usize,
    questions_twice: usize,
    commands_sent: usize,
    commands_once: usize,
    commands_twice: usize,
}

impl Tally {
    /// `skipped`: the moderators' lists of skipped posts ("While I was away", from the
    /// posting loop; "I could not post in time", from a room's courier), whose lines excuse
    /// a reminder.
    fn count(
        planned: &[(String, DateTime<Tz>, String)],
        schedule: &Schedule,
        main: &[Received],
        mods: &[Received],
        asked: &[String],
        commands: &[matrix_sdk::ruma::OwnedEventId],
    ) -> Tally {
        let posts: Vec<&str> = main
            .iter()
            .filter(|r| r.in_reply_to.is_none())
            .map(|r| r.body.as_str())
            .collect();
        let skipped: Vec<&str> = mods
            .iter()
            .filter(|r| r.body.starts_with("While I was away") || r.body.starts_with("I could not post in time"))
            .flat_map(|r| r.body.lines().skip(1))
            .collect();
        let mut tally = Tally {
            reminders_planned: planned.len(),
            reminders_once: 0,
            reminders_late: 0,
            reminders_twice: 0,
            reminders_missing: Vec::new(),
            skipped_listed: 0,
            questions_asked: asked.len(),
            questions_once: 0,
            questions_twice: 0,
            commands_sent: commands.len(),
            commands_once: 0,
            commands_twice: 0,
        };
        for (key, _, text) in planned {
            let late = format!("(late) {text}");
            let seen = posts.iter().filter(|p| **p == text || **p == late).count();
            tally.reminders_late += posts.iter().filter(|p| **p == late).count();
            match seen {
                1 => tally.reminders_once += 1,
                0 => {
                    let session = key.split(':').nth(1).and_then(|id| schedule.session(id));
                    let listed = session.is_some_and(|s| skipped.iter().any(|line| line.contains(&s.title)));
                    if listed {
                        tally.skipped_listed += 1;
                    } else {
                        tally.reminders_missing.push(key.clone());
                    }
                }
                _ => tally.reminders_twice += 1,
            }
        }
        let relayed: Vec<&str> = mods.iter().filter_map(relayed_text).collect();
        for question in asked {
            match relayed.iter().filter(|r| **r == question).count() {
                1 => tally.questions_once += 1,
                0 => {}
                _ => tally.questions_twice += 1,
            }
        }
        let mut answers: HashMap<&matrix_sdk::ruma::OwnedEventId, usize> = HashMap::new();
        for reply in main {
            if let Some(to) = &reply.in_reply_to {
                *answers.entry(to).or_default() += 1;
            }
        }
        for command in commands {
            match answers.get(command) {
                Some(1) => tally.commands_once += 1,
                Some(_) => tally.commands_twice += 1,
                None => {}
            }
        }
        tally
    }

    fn print(&self) {
        println!(
            "reminders: {} planned, {} posted once ({} of them marked late), {} skipped and listed to the moderators, \
             {} posted twice, {} missing{}",
            self.reminders_planned,
            self.reminders_once,
            self.reminders_late,
            self.skipped_listed,
            self.reminders_twice,
            self.reminders_missing.len(),
            if self.reminders_missing.is_empty() {
                String::new()
            } else {
                format!(" {:?}", self.reminders_missing)
            }
        );
        println!(
            "questions: {} asked, {} relayed to the moderators once, {} twice, {} lost",
            self.questions_asked,
            self.questions_once,
            self.questions_twice,
            self.questions_asked - self.questions_once - self.questions_twice
        );
        println!(
            "commands: {} sent, {} answered once, {} more than once, {} unanswered",
            self.commands_sent,
            self.commands_once,
            self.commands_twice,
            self.commands_sent - self.commands_once - self.commands_twice
        );
    }
}

/// Keeps the bot's log of a failed scenario (its folder goes when the bot does).
fn keep_log(bot: &Bot, scenario: &str, passed: bool) -> bool {
    if !passed {
        let folder = std::env::var_os("HOME")
            .map_or_else(std::env::temp_dir, PathBuf::from)
            .join(".cache/confbot-bench");
        let _ = std::fs::create_dir_all(&folder);
        let path = folder.join(format!("{scenario}-bot.log"));
        let _ = std::fs::write(&path, bot.log());
        println!("the bot's log: {}", path.display());
    }
    passed
}

/// Collects everything `peer` received from `from` in `room` until `quiet` passes without
/// anything new.
async fn collect(
    peer: &Peer,
    room: &matrix_sdk::Room,
    from: &matrix_sdk::ruma::UserId,
    quiet: Duration,
) -> Vec<Received> {
    let mut all = Vec::new();
    while let Some(r) = peer.reply_within(room, from, None, Instant::now() + quiet).await {
        all.push(r);
    }
    all
}

/// A conversation kept up during a rehearsal: an attendee asks a question every `ask`
/// and pings every `ping`, until told to stop; returns the questions and the pings' ids.
fn chatter(
    attendee: Arc<Peer>,
    room: matrix_sdk::Room,
    ask: Duration,
    ping: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<(Vec<String>, Vec<matrix_sdk::ruma::OwnedEventId>)> {
    tokio::spawn(async move {
        let (mut asked, mut pinged) = (Vec::new(), Vec::new());
        let (mut next_ask, mut next_ping) = (Instant::now(), Instant::now() + ping / 2);
        let mut k = 0;
        while !*stop.borrow() {
            if Instant::now() >= next_ask {
                let text = format!("Restart question {k}");
                k += 1;
                attendee.say(&room, &format!("!ask {text}")).await;
                asked.push(text);
                next_ask += ask;
            }
            if Instant::now() >= next_ping {
                pinged.push(attendee.say(&room, "!ping").await.0);
                next_ping += ping;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (asked, pinged)
    })
}

async fn restarts() -> bool {
    const KILLS: usize = 10;
    let speed = 60.0;
    let moderator = Peer::new("moderator").await;
    let attendee = Arc::new(Peer::new("attendee").await);
    let bot_user = support::register_user("confbot").await;
    let rooms = rooms(
        &moderator,
        &bot_user,
        &[&attendee],
        "[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"5m\"\n",
    )
    .await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.without_command_limit();
    let schedule = centos();
    let (from, until) = (at("09:00"), at("12:40"));
    let planned = planned(&config_text(&bot), &schedule, from, until - TimeDelta::minutes(2));
    bot.start_at_speed("2023-02-03T09:00:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    bot.joined(&moderator, &rooms.main).await;
    bot.joined(&moderator, &rooms.mods).await;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let talk = chatter(
        attendee.clone(),
        rooms.main.clone(),
        Duration::from_millis(1300),
        Duration::from_millis(900),
        stopped,
    );
    // Ten kills at random moments, at least 8 s apart, within the rehearsal.
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut random = Lcg(seed);
    let end_wall = anchor.wall_of(until);
    let span = (end_wall - anchor.wall_ms) / 1e3 - 20.0;
    let gap = span / KILLS as f64;
    let mut kills = Vec::new();
    for i in 0..KILLS {
        let offset = 5.0 + gap * i as f64 + random.next() * (gap - 8.0);
        tokio::time::sleep_until(tokio::time::Instant::from_std(instant_at(
            anchor.wall_ms + offset * 1e3,
        )))
        .await;
        bot.kill();
        let now = anchor.conference_at(wall_ms());
        kills.push(now.format("%H:%M:%S").to_string());
        bot.start_at_speed(&now.to_rfc3339(), speed);
    }
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_at(end_wall))).await;
    stop.send_replace(true);
    let (asked, pinged) = talk.await.unwrap();
    let main = collect(&attendee, &rooms.main, &bot.user, Duration::from_secs(5)).await;
    let mods = collect(&moderator, &rooms.mods, &bot.user, Duration::from_secs(1)).await;
    let stopped_cleanly = bot.stop() == Some(0);
    println!("seed {seed}; killed with SIGKILL and restarted at {}", kills.join(", "));
    let tally = Tally::count(&planned, &schedule, &main, &mods, &asked, &pinged);
    tally.print();
    let passed = stopped_cleanly
        && tally.reminders_twice == 0
        && tally.reminders_missing.is_empty()
        && tally.questions_once == tally.questions_asked
        && tally.commands_twice == 0;
    keep_log(&bot, "restarts", passed)
}

// ---- reliability: the homeserver goes away for a minute

fn synapse(action: &str, dir: &str, port: Option<u16>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/synapse");
    let mut command = std::process::Command::new(script);
    command.args([action, dir]).stdout(std::process::Stdio::null());
    if let Some(port) = port {
        command.env("CONFBOT_SYNAPSE_PORT", port.to_string());
    }
    let status = command.status().expect("scripts/synapse runs");
    assert!(status.success(), "scripts/synapse {action} {dir} failed");
}

async fn outage() -> bool {
    let Ok(dir) = std::env::var("CONFBOT_BENCH_SYNAPSE_DIR") else {
        println!("outage needs CONFBOT_BENCH_SYNAPSE_DIR: run it through scripts/bench");
        return false;
    };
    let port: u16 = support::homeserver()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let speed = 60.0;
    let moderator = Peer::new("moderator").await;
    let attendee = Arc::new(Peer::new("attendee").await);
    // Reads nothing until the end, so that every post in the room is still in its inbox.
    let observer = Peer::new("observer").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = rooms(
        &moderator,
        &bot_user,
        &[&attendee, &observer],
        "[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n",
    )
    .await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.without_command_limit();
    let schedule = centos();
    let (from, until) = (at("09:10"), at("10:50"));
    let planned = planned(&config_text(&bot), &schedule, from, until - TimeDelta::minutes(2));
    bot.start_at_speed("2023-02-03T09:10:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    bot.joined(&moderator, &rooms.main).await;
    bot.joined(&moderator, &rooms.mods).await;

    // Five questions before the outage, each acknowledged.
    let mut asked = Vec::new();
    let mut commands = Vec::new();
    for k in 0..5 {
        let text = format!("Outage question {k}");
        let (id, _) = attendee.say(&rooms.main, &format!("!ask {text}")).await;
        attendee.reply_from(&rooms.main, &bot.user, Some(&id)).await;
        asked.push(text);
        commands.push(id);
    }
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_at(
        anchor.wall_of(at("09:25") + TimeDelta::seconds(30)),
    )))
    .await;
    let down_at = anchor.conference_at(wall_ms());
    synapse("stop", &dir, None);
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(60)).await;
    synapse("start", &dir, Some(port));
    let restored = Instant::now();
    let up_at = anchor.conference_at(wall_ms());
    println!(
        "Synapse stopped at {} and started again {:.0} s later, at {} on the bot's clock",
        down_at.format("%H:%M:%S"),
        (restored - stopped).as_secs_f64(),
        up_at.format("%H:%M:%S")
    );
    // The bot reconnects by itself: ping until it answers.
    let answered = loop {
        let (id, _) = attendee.say(&rooms.main, "!ping").await;
        commands.push(id.clone());
        if attendee
            .reply_within(
                &rooms.main,
                &bot.user,
                Some(&id),
                Instant::now() + Duration::from_secs(2),
            )
            .await
            .is_some()
        {
            break restored.elapsed();
        }
        assert!(
            restored.elapsed() < WAIT * 4,
            "the bot did not come back:\n{}",
            bot.log()
        );
    };
    println!(
        "the bot answered !ping {:.2} s after Synapse was back",
        answered.as_secs_f64()
    );
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_at(anchor.wall_of(until)))).await;
    let main = collect(&observer, &rooms.main, &bot.user, Duration::from_secs(5)).await;
    let mods = collect(&moderator, &rooms.mods, &bot.user, Duration::from_secs(5)).await;
    let stopped_cleanly = bot.stop() == Some(0);
    let tally = Tally::count(&planned, &schedule, &main, &mods, &asked, &[]);
    tally.print();
    let passed = stopped_cleanly
        && tally.reminders_twice == 0
        && tally.reminders_missing.is_empty()
        && tally.questions_once == tally.questions_asked;
    keep_log(&bot, "outage", passed)
}

// ---- reliability: Synapse's default rate limits

async fn ratelimit() -> bool {
    const ROOMS: usize = 3;
    const ATTENDEES: usize = 3;
    const EACH: usize = 4;
    let speed = 20.0;
    let organizer = Peer::new("organizer").await;
    let mut attendees = Vec::new();
    for _ in 0..ATTENDEES {
        attendees.push(Peer::new("attendee").await);
    }
    let bot_user = support::register_user("confbot").await;
    let mut aliases = Vec::new();
    let mut rooms = Vec::new();
    for _ in 0..ROOMS {
        let alias = support::unique("hall");
        let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![&bot_user];
        guests.extend(attendees.iter().map(|a| &*a.user));
        rooms.push(organizer.create_room_with_alias(&guests, false, Some(&alias)).await);
        aliases.push(format!("\"#{alias}:localhost\""));
    }
    for attendee in &attendees {
        attendee
            .client
            .join_room_by_id(rooms[0].room_id())
            .await
            .expect("joins");
        attendee.stop_syncing();
    }
    let tail = format!(
        "[rooms]\nannouncements = [{}]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"10m\"\n",
        aliases.join(", ")
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.without_command_limit();
    bot.log_filter =
        "info,matrix_sdk=warn,matrix_sdk_base=warn,matrix_sdk_crypto=warn,matrix_sdk::http_client=debug".to_string();
    let schedule = centos();
    let (from, until) = (at("09:14"), at("10:20"));
    let planned = planned(&config_text(&bot), &schedule, from, until - TimeDelta::minutes(3));
    bot.start_at_speed("2023-02-03T09:14:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    for room in &rooms {
        bot.joined(&organizer, room).await;
    }
    // A rush of commands as the first reminder falls due: with the reminders, more sends
    // than the burst of 10 allows, so the bot meets 429s and must wait them out.
    let senders: Vec<&Peer> = attendees.iter().collect();
    let commands = rush(&senders, rooms[0].room_id(), EACH).await;
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_at(anchor.wall_of(until)))).await;
    let mut ok = true;
    let mut late = Vec::new();
    let mut everything = Vec::new();
    while let Some(r) = organizer.next_within(Instant::now() + Duration::from_secs(20)).await {
        everything.push(r);
    }
    for (i, room) in rooms.iter().enumerate() {
        let seen: Vec<Received> = everything
            .iter()
            .filter(|r| r.room == room.room_id() && r.sender == bot.user)
            .cloned()
            .collect();
        let posts: Vec<&Received> = seen.iter().filter(|r| r.in_reply_to.is_none()).collect();
        let bodies: Vec<&str> = posts.iter().map(|r| r.body.trim_start_matches("(late) ")).collect();
        let wanted: Vec<&str> = planned.iter().map(|(_, _, text)| text.as_str()).collect();
        if bodies != wanted {
            println!("room {i}: expected {wanted:#?}\ngot {bodies:#?}");
            ok = false;
        }
        for (post, (_, due, _)) in posts.iter().zip(&planned) {
            late.push(post.origin_ms as f64 - anchor.wall_of(*due));
        }
        if i == 0 {
            let answered = seen.iter().filter(|r| r.in_reply_to.is_some()).count();
            let distinct: std::collections::HashSet<_> = seen.iter().filter_map(|r| r.in_reply_to.clone()).collect();
            println!(
                "commands: {} sent in a rush, {} answered, {} distinct",
                commands.len(),
                answered,
                distinct.len()
            );
            ok &= answered == commands.len() && distinct.len() == commands.len();
        }
    }
    let stopped_cleanly = bot.stop() == Some(0);
    let retries = bot
        .log()
        .lines()
        .filter(|l| l.contains("Sending request") && !l.contains("num_attempt=1"))
        .count();
    late.sort_by(f64::total_cmp);
    println!(
        "{} reminders × {ROOMS} rooms at {speed}×: every one in every room, in order: {}; requests retried after a 429: {retries}",
        planned.len(),
        if ok { "yes" } else { "NO" }
    );
    if !late.is_empty() {
        println!(
            "lateness against the due instant (real ms): p50 {:.0}, max {:.0}",
            quantile(&late, 0.5),
            late[late.len() - 1]
        );
    }
    keep_log(&bot, "ratelimit", ok && stopped_cleanly && retries > 0)
}

// ---- hostile input: schedules that would cost gigabytes, attendees that flood

async fn hostile() -> bool {
    let files = tokio::task::spawn_blocking(hostile_files).await.unwrap_or(false);
    let flood = flood().await;
    files && flood
}

/// Runs `confbot ARGS` to its end; its exit status, stderr, wall time and peak resident
/// memory (the kernel's `ru_maxrss` for that one child).
fn measured(args: &[&str]) -> (i32, String, Duration, u64) {
    use std::os::unix::process::ExitStatusExt;
    let bin = std::env::var("CONFBOT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confbot").to_string());
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let child = std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(stderr.reopen().unwrap())
        .spawn()
        .expect("confbot starts");
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for our own child, writing into two locals; std never waits for it.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(waited, child.id() as libc::pid_t, "wait4");
    let took = started.elapsed();
    let code = std::process::ExitStatus::from_raw(status).code().unwrap_or(-1);
    (
        code,
        std::fs::read_to_string(stderr.path()).unwrap(),
        took,
        usage.ru_maxrss as u64,
    )
}

/// A server on loopback that answers every request with `body`, gzip-encoded.
fn serve_gzip_forever(body: Arc<Vec<u8>>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/schedule.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    url
}

/// The entity file and the gzip bomb: each refused with a clear error, in well under a
/// second and a few megabytes.
fn hostile_files() -> bool {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    const TIME: Duration = Duration::from_secs(2);
    const MEMORY_KIB: u64 = 128 * 1024;
    let dir = tempfile::tempdir().unwrap();
    // Nested entities: a billion "lol"s in 1 KB, were they expanded.
    let mut entities = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE schedule [\n<!ENTITY lol \"lol\">\n");
    for level in 1..=9 {
        let previous = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        entities.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    entities.push_str("]>\n<schedule><conference><title>&lol9;</title></conference></schedule>\n");
    let file = dir.path().join("entities.xml");
    std::fs::write(&file, &entities).unwrap();
    // 1 GiB of spaces, about 1 MB compressed.
    let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
    let block = vec![b' '; 1 << 20];
    for _ in 0..1024 {
        bomb.write_all(&block).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    let url = serve_gzip_forever(Arc::new(bomb.clone()));

    let mut ok = true;
    println!(
        "untrusted schedules, through `confbot schedule --schedule …` (limits: {TIME:?}, {} MB)",
        MEMORY_KIB / 1024
    );
    let file = file.display().to_string();
    let cases = [
        (
            format!(
                "a Pentabarf file of {} bytes with nested entities (10^9 when expanded)",
                entities.len()
            ),
            ["schedule", "--schedule", file.as_str(), "--format", "xml"],
            "DTD",
        ),
        (
            format!(
                "a gzip bomb over loopback http: {} KB that inflate to 1 GiB",
                bomb.len() / 1024
            ),
            ["schedule", "--schedule", url.as_str(), "--format", "json"],
            "larger than 50 MB",
        ),
    ];
    for (what, args, expected) in cases {
        let (code, stderr, took, peak_kib) = measured(&args);
        let refused = code != 0 && stderr.contains(expected);
        let within = took < TIME && peak_kib < MEMORY_KIB;
        println!(
            "{what}: exit {code}, {:.0} ms, peak {:.1} MB; {}",
            ms(took),
            peak_kib as f64 / 1024.0,
            if refused && within {
                "refused in bounds"
            } else {
                "NOT AS EXPECTED"
            }
        );
        println!("  {}", stderr.trim().lines().last().unwrap_or(""));
        ok &= refused && within;
    }
    ok
}

/// 20 attendees flood the room the reminders go to with unknown and over-long commands,
/// each at 4 a second, while a quiet attendee pings and the reminders of a rehearsed
/// morning fall due. The command limit is the default (10 in 10 s for each sender).
async fn flood() -> bool {
    const FLOODERS: usize = 20;
    const EVERY: Duration = Duration::from_millis(250);
    const LONG: usize = 600;
    let speed = 60.0;
    let alias = support::unique("flooded");
    let tail = format!(
        "[rooms]\nannouncements = [\"#{alias}:localhost\"]\n[reminders]\nlead = [\"10m\", \"0m\"]\ngrace = \"2m\"\n"
    );
    let mut bot = Bot::register_with("", &tail).await;
    let host = Peer::new("host").await;
    let quiet = Peer::new("quiet").await;
    // The floor: a plain echo bot in the same room, answering the same !ping.
    let echo = Peer::new("echo").await;
    echo.echo_replies_to(&quiet.user);
    let mut flooders = Vec::new();
    for _ in 0..FLOODERS {
        flooders.push(Arc::new(Peer::new("flooder").await));
    }
    let mut guests: Vec<&matrix_sdk::ruma::UserId> = vec![&bot.user, &quiet.user, &echo.user];
    guests.extend(flooders.iter().map(|f| -> &matrix_sdk::ruma::UserId { &f.user }));
    let room = host.create_room_with_alias(&guests, false, Some(&alias)).await;
    for peer in flooders.iter().map(|f| &**f).chain([&quiet, &echo]) {
        peer.client.join_room_by_id(room.room_id()).await.expect("joins");
    }
    for flooder in &flooders {
        flooder.stop_syncing();
    }

    let schedule = centos();
    let (from, until) = (at("08:45"), at("10:20"));
    let expected = planned(&config_text(&bot), &schedule, from, until - TimeDelta::minutes(1));
    bot.start_at_speed("2023-02-03T08:45:00", speed);
    let anchor = Anchor::latest(&bot, 1, speed).await;
    host.wait_for_join(&room, &bot.user).await;
    let bot_room = quiet.client.get_room(room.room_id()).unwrap();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let floods: Vec<_> = flooders
        .iter()
        .enumerate()
        .map(|(i, flooder)| {
            let (flooder, stopped) = (flooder.clone(), stopped.clone());
            let room = flooder.client.get_room(room.room_id()).unwrap();
            tokio::spawn(async move {
                let long = format!("!speaker {}", "x".repeat(LONG));
                let mut sent = 0usize;
                let mut next = Instant::now() + EVERY * i as u32 / FLOODERS as u32;
                while !*stopped.borrow() {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
                    let text = if sent % 2 == 0 {
                        format!("!nosuchcommand{sent}")
                    } else {
                        long.clone()
                    };
                    if room
                        .send(matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(text))
                        .await
                        .is_ok()
                    {
                        sent += 1;
                    }
                    next += EVERY;
                }
                sent
            })
        })
        .collect();

    // The quiet attendee pings every half second; the bot and the echo answer each ping.
    let end = instant_at(anchor.wall_of(until));
    let (mut via_bot, mut via_echo) = (Vec::new(), Vec::new());
    let mut pongs_ok = true;
    while Instant::now() < end {
        let (asked, sent) = quiet.say(&bot_room, "!ping").await;
        let (mut from_bot, mut from_echo) = (false, false);
        let deadline = Instant::now() + WAIT;
        while !(from_bot && from_echo) {
            let reply = quiet
                .next_within(deadline)
                .await
                .unwrap_or_else(|| panic!("!ping unanswered (bot {from_bot}, echo {from_echo})"));
            if reply.in_reply_to.as_ref() != Some(&asked) {
                continue;
            }
            if reply.sender == bot.user {
                pongs_ok &= reply.body == "pong";
                via_bot.push(ms(reply.at - sent));
                from_bot = true;
            } else if reply.sender == echo.user {
                via_echo.push(ms(reply.at - sent));
                from_echo = true;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.send_replace(true);
    let mut flood_sent = 0;
    for flood in floods {
        flood_sent += flood.await.unwrap_or(0);
    }

    // The host saw everything in the room: the reminders, and the replies to the flood.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen: Vec<Received> = host
        .drain()
        .await
        .into_iter()
        .filter(|r| r.room == room.room_id() && r.sender == bot.user)
        .collect();
    let posts: Vec<&Received> = seen.iter().filter(|r| r.in_reply_to.is_none()).collect();
    let mut late = Vec::new();
    let mut wrong = 0;
    for (i, (key, due, text)) in expected.iter().enumerate() {
        match posts.get(i) {
            Some(post) if &post.body == text => late.push(post.origin_ms as f64 - anchor.wall_of(*due)),
            Some(post) => {
                println!("{key}: expected {text:?}, got {:?}", post.body);
                wrong += 1;
            }
            None => {
                println!("missed: {key}");
                wrong += 1;
            }
        }
    }
    let extra = posts.len().saturating_sub(expected.len());
    // The rest are the replies: to the flood, and to the quiet attendee's pings.
    let replies = seen.len() - posts.len() - via_bot.len();
    let slow_downs = seen
        .iter()
        .filter(|r| r.body.starts_with("You are sending commands faster"))
        .count();
    let stopped_cleanly = bot.stop() == Some(0);

    late.sort_by(f64::total_cmp);
    via_bot.sort_by(f64::total_cmp);
    via_echo.sort_by(f64::total_cmp);
    let seconds = (anchor.wall_of(until) - anchor.wall_ms) / 1e3;
    println!(
        "{FLOODERS} attendees × 4 commands a second for {seconds:.0} s: {flood_sent} unknown or {}-character commands \
         sent, {replies} replies to them (of which {slow_downs} \"slow down\"); at most 11 a sender per 10 s would be {}",
        LONG + "!speaker ".len(),
        FLOODERS * 11 * (seconds / 10.0).ceil() as usize
    );
    println!(
        "reminders at {speed}× from 08:45: {} planned, {} posted as planned, {wrong} missing or wrong, {extra} extra",
        expected.len(),
        late.len()
    );
    let latest = late.last().copied().unwrap_or(f64::INFINITY);
    if !late.is_empty() {
        println!(
            "lateness (origin_server_ts − due instant, real ms): p50 {:.0}, max {latest:.0}; target every one ≤ 1000: {}",
            quantile(&late, 0.5),
            verdict(latest <= 1000.0)
        );
    }
    println!(
        "the quiet attendee's !ping ({} of them), from the send to the reply (ms)",
        via_bot.len()
    );
    println!("                 p50      p95      max");
    for (label, values) in [("confbot", &via_bot), ("echo (floor)", &via_echo)] {
        println!(
            "{label:<14} {:>7.1}  {:>7.1}  {:>7.1}",
            quantile(values, 0.5),
            quantile(values, 0.95),
            values[values.len() - 1]
        );
    }
    let ratio = |p: f64| quantile(&via_bot, p) / quantile(&via_echo, p);
    let within = ratio(0.5) <= 2.0 && ratio(0.95) <= 2.0 && ratio(1.0) <= 2.0;
    println!(
        "ratio          {:>7.2}  {:>7.2}  {:>7.2}; target ≤ 2 × floor: {}",
        ratio(0.5),
        ratio(0.95),
        ratio(1.0),
        verdict(within)
    );
    let bounded = replies <= FLOODERS * 11 * (seconds / 10.0).ceil() as usize && slow_downs >= FLOODERS;
    let passed = stopped_cleanly && wrong == 0 && extra == 0 && latest <= 1000.0 && pongs_ok && within && bounded;
    keep_log(&bot, "hostile", passed)
}
