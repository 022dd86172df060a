//! What the running bot costs: its memory on the largest schedule, and its start time.

use super::*;

// ---- 4. memory of the running bot

pub(super) fn status_kib(pid: u32, field: &str) -> Option<u64> {
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

pub(super) fn largest_schedule() -> Option<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules");
    let fosdem = folder.join("fosdem-2025-pentabarf-pretalx.xml");
    fosdem.exists().then_some(fosdem)
}

pub(super) async fn memory() -> bool {
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

pub(super) async fn start() -> bool {
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
        let (reply, accepted) = first_answer(&mut bot, &attendee, &room, "2023-02-03T09:10").await;
        to_reply.push(reply);
        to_accepted.push(accepted);
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

/// Starts `bot` (its session stored) at `now` and asks in `room` every 20 ms until the
/// first answer: the ms from spawning the process to the answer, as the attendee saw it
/// and as the homeserver accepted it. The other questions are answered before it returns.
pub(super) async fn first_answer(bot: &mut Bot, attendee: &Peer, room: &matrix_sdk::Room, now: &str) -> (f64, f64) {
    let (spawned, spawned_wall) = (Instant::now(), wall_ms());
    bot.start(now);
    let mut sent = 0;
    let first = loop {
        attendee.say(room, "!ping").await;
        sent += 1;
        if let Some(reply) = attendee
            .reply_within(room, &bot.user, None, Instant::now() + Duration::from_millis(20))
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
    for _ in 1..sent {
        attendee.reply_from(room, &bot.user, None).await;
    }
    (ms(first.at - spawned), first.origin_ms as f64 - spawned_wall)
}
