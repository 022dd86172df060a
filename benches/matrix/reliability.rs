//! Exactly once whatever happens: restarts and kill -9, a homeserver outage, Synapse's
//! default rate limits.

use super::*;

// ---- reliability: restarts

/// What the people in the question-flow rooms saw, checked against what was planned and asked.
pub(super) struct Tally {
    pub(super) reminders_planned: usize,
    pub(super) reminders_once: usize,
    pub(super) reminders_late: usize,
    pub(super) reminders_twice: usize,
    pub(super) reminders_missing: Vec<String>,
    pub(super) skipped_listed: usize,
    pub(super) questions_asked: usize,
    pub(super) questions_once: usize,
    pub(super) questions_twice: usize,
    pub(super) commands_sent: usize,
    pub(super) commands_once: usize,
    pub(super) commands_twice: usize,
}

impl Tally {
    /// `skipped`: the moderators' lists of skipped posts ("While I was away", from the
    /// posting loop; "I could not post in time", from a room's courier), whose lines excuse
    /// a reminder.
    pub(super) fn count(
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

    pub(super) fn print(&self) {
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
pub(super) fn keep_log(bot: &Bot, scenario: &str, passed: bool) -> bool {
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
pub(super) async fn collect(
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
pub(super) fn chatter(
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

pub(super) async fn restarts() -> bool {
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

pub(super) fn synapse(action: &str, dir: &str, port: Option<u16>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/synapse");
    let mut command = std::process::Command::new(script);
    command.args([action, dir]).stdout(std::process::Stdio::null());
    if let Some(port) = port {
        command.env("CONFBOT_SYNAPSE_PORT", port.to_string());
    }
    let status = command.status().expect("scripts/synapse runs");
    assert!(status.success(), "scripts/synapse {action} {dir} failed");
}

pub(super) async fn outage() -> bool {
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

pub(super) async fn ratelimit() -> bool {
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
