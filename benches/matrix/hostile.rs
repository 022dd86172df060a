//! Hostile input: schedules that would cost gigabytes, and attendees that flood.

use super::*;

// ---- hostile input: schedules that would cost gigabytes, attendees that flood

pub(super) async fn hostile() -> bool {
    let files = tokio::task::spawn_blocking(hostile_files).await.unwrap_or(false);
    let flood = flood().await;
    files && flood
}

/// Runs `confbot ARGS` to its end; its exit status, stderr, wall time and peak resident
/// memory (the kernel's `ru_maxrss` for that one child).
pub(super) fn measured(args: &[&str]) -> (i32, String, Duration, u64) {
    use std::os::unix::process::ExitStatusExt;
    let bin = std::env::var("CONFBOT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confbot").to_string());
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    // Waited for below with wait4, which std does not know of: it also gives the memory.
    #[allow(clippy::zombie_processes)]
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
pub(super) fn serve_gzip_forever(body: Arc<Vec<u8>>) -> String {
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
pub(super) fn hostile_files() -> bool {
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

/// 20 attendees flood the room the reminders go to with mistyped and over-long commands
/// (a typo of a real command is answered with a hint; an unknown one, from another bot,
/// would be ignored and cost nothing),
/// each at 4 a second, while a quiet attendee pings and the reminders of a rehearsed
/// morning fall due. The command limit is the default (10 in 10 s for each sender).
pub(super) async fn flood() -> bool {
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
                    let text = if sent.is_multiple_of(2) {
                        "!nxt".to_string()
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
        "{FLOODERS} attendees × 4 commands a second for {seconds:.0} s: {flood_sent} mistyped (!nxt) or {}-character commands \
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
