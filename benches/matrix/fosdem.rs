//! FOSDEM scale: the FOSDEM 2023 schedule (780 sessions in 35 rooms) provisioned from
//! nothing by `confbot provision --apply` (its time, and requests per room), a second run
//! that must write nothing; 2,000 attendees joined to its public rooms; the bot in every
//! room it made rehearsing Saturday morning under load (`saturday`), its resident memory
//! there, and its time from a start with a stored session to the first answer.

use super::*;
use matrix_sdk::ruma::OwnedRoomId;

/// Restarts measured in all the rooms.
const STARTS: usize = 3;
/// Attendees registered and joined to the public rooms.
const ATTENDEES: usize = 2000;

fn fosdem_2023() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules/fosdem-2023-pentabarf.xml");
    path.exists().then_some(path)
}

/// The number just before `word` in `text` ("213 writes"), if any.
fn count_before(text: &str, word: &str) -> Option<f64> {
    let at = text.find(word)?;
    text[..at]
        .split_whitespace()
        .last()?
        .trim_start_matches('(')
        .parse()
        .ok()
}

pub(super) async fn fosdem() -> bool {
    let Some(path) = fosdem_2023() else {
        println!("../shared/schedules/fosdem-2023-pentabarf.xml is absent");
        return false;
    };
    let organizer = Peer::new("organizer").await;
    let bot_user = support::register_user("confbot").await;
    let prefix = support::unique("f");
    let tail = format!(
        "organizers = [\"{}\"]\n[provision]\nalias_prefix = \"{prefix}-\"\n",
        organizer.user
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.without_command_limit();
    bot.use_schedule(&path);
    // Pentabarf names no zone; the rooms come from the file provision writes.
    let config = std::fs::read_to_string(bot.config_path()).unwrap();
    let source = format!("source = \"{}\"", path.display());
    let config = config.replacen(&source, &format!("{source}\ntimezone = \"Europe/Brussels\""), 1);
    std::fs::write(bot.config_path(), config).unwrap();
    bot.include_rooms_file();

    // From nothing, then again.
    let started = Instant::now();
    let (code, plan, log) = bot.provision(&["--apply"]).await;
    let first = started.elapsed();
    let rooms = count_before(&plan, "rooms:").unwrap_or(0.0);
    let (writes, requests) = (
        count_before(&log, "writes in").unwrap_or(0.0),
        count_before(&log, "requests").unwrap_or(0.0),
    );
    if code != Some(0) || rooms == 0.0 {
        println!("provision failed ({code:?}):\n{plan}\n{log}");
        return false;
    }
    println!(
        "provisioned FOSDEM 2023 from nothing: {rooms} rooms, {writes} writes, {requests} requests ({:.1} a room) in {:.1} s ({:.0} ms a room)",
        requests / rooms,
        first.as_secs_f64(),
        ms(first) / rooms
    );
    let started = Instant::now();
    let (code, again, log) = bot.provision(&["--apply"]).await;
    let second = started.elapsed();
    let unchanged = code == Some(0) && count_before(&again, "writes\n") == Some(0.0);
    println!(
        "second run: {} writes, {} requests, in {:.1} s",
        count_before(&again, "writes\n").unwrap_or(f64::NAN),
        count_before(&log, "requests").unwrap_or(f64::NAN),
        second.as_secs_f64()
    );
    println!("target 0 writes: {}", verdict(unchanged));

    // The rooms it made, as the bot will read them.
    let config = confbot::infra::config_file::load(&bot.config_path()).expect("the provisioned config");
    let text = std::fs::read_to_string(&path).unwrap();
    let schedule = confbot::schedule::xml::parse(&text, "fosdem-2023-pentabarf.xml", Some(chrono_tz::Europe::Brussels))
        .expect("the FOSDEM 2023 schedule")
        .schedule;
    let id = |room: &String| OwnedRoomId::try_from(room.as_str()).expect("a room id in the rooms file");
    let mut public: Vec<OwnedRoomId> = config.rooms.map.values().map(|p| id(&p.room)).collect();
    public.sort();
    public.dedup();
    let announcements: Vec<OwnedRoomId> = config.rooms.announcements.iter().map(id).collect();

    // The crowd in the public rooms, the organizer's client in every room attendees read,
    // the echo client in the public rooms.
    let started = Instant::now();
    let crowd = crowd::register(ATTENDEES).await;
    let registered = started.elapsed();
    let rooms_of = crowd::join(&crowd, &public).await;
    println!(
        "{ATTENDEES} attendees registered in {:.0} s and joined to the {} public rooms in {:.0} s",
        registered.as_secs_f64(),
        public.len(),
        (started.elapsed() - registered).as_secs_f64()
    );
    let echo = Peer::new("echo").await;
    echo.echo_commands(&bot.user);
    for room in public.iter().chain(&announcements) {
        organizer
            .client
            .join_room_by_id(room)
            .await
            .expect("the organizer joins");
    }
    for room in &public {
        echo.client.join_room_by_id(room).await.expect("the echo client joins");
    }
    // Joined rooms reach a client's store by its sync.
    for room in public.iter().chain(&announcements) {
        let deadline = Instant::now() + WAIT;
        while organizer.client.get_room(room).is_none() {
            assert!(Instant::now() < deadline, "the organizer's client never saw {room}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    let outcome = saturday::saturday(saturday::Setting {
        bot: &mut bot,
        observer: &organizer,
        echo: &echo.user,
        crowd: &crowd,
        rooms_of: &rooms_of,
        config: &config,
        schedule: &schedule,
    })
    .await;
    assert_eq!(bot.stop(), Some(0));

    // Restarts with a stored session, after the rehearsal, in Janson.
    let janson = format!("#{prefix}-janson:localhost");
    let alias = matrix_sdk::ruma::OwnedRoomAliasId::try_from(janson.as_str()).unwrap();
    let janson = organizer
        .client
        .resolve_room_alias(&alias)
        .await
        .expect("Janson")
        .room_id;
    let room = organizer.client.get_room(&janson).expect("the organizer is in Janson");
    let mut to_reply = Vec::new();
    for _ in 0..STARTS {
        let (reply, _) = footprint::first_answer(&mut bot, &organizer, &room, "2023-02-04T13:30").await;
        to_reply.push(reply);
        assert_eq!(bot.stop(), Some(0));
    }
    to_reply.sort_by(f64::total_cmp);
    println!(
        "the bot in {rooms} rooms with {ATTENDEES} attendees: resident {:.1} MB at the end of the rehearsal \
         (at most {:.1} MB); {STARTS} starts with a stored session to the first answer: median {:.0} ms, max {:.0} ms",
        outcome.rss_mb,
        outcome.peak_mb,
        quantile(&to_reply, 0.5),
        to_reply[STARTS - 1]
    );
    let (fast, small) = (quantile(&to_reply, 0.5) <= 1000.0, outcome.peak_mb <= 60.0);
    println!("target start to first answer ≤ 1 s: {}", verdict(fast));
    println!("target resident memory ≤ 60 MB: {}", verdict(small));
    unchanged && outcome.passed && fast && small
}

/// `confbot provision --apply` against Synapse's default rate limits (`scripts/bench
/// ratelimit` runs it): the two-track fixture's 11 rooms (the Kernel track has moderators
/// of its own) are one more than the room-creation burst (`rc_room_creation`: 10, then one
/// a minute), and their space children more than the message burst, so the run must wait
/// out the homeserver's 429s, say so, and make every room; the plan names the admin call
/// that lifts the limit; a second run makes no write.
pub(super) async fn provision_limited() -> bool {
    let organizer = Peer::new("organizer").await;
    let bot_user = support::register_user("confbot").await;
    let prefix = support::unique("l");
    let tail = format!(
        "organizers = [\"{org}\"]\n[provision]\nalias_prefix = \"{prefix}-\"\ninvite = [\"{org}\"]\n\
         [provision.moderators]\n\"Kernel\" = [\"{org}\"]\n",
        org = organizer.user
    );
    let bot = Bot::for_user(bot_user, "", &tail);
    bot.use_schedule(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-tracks.toml"));
    bot.include_rooms_file();
    let started = Instant::now();
    let (code, plan, log) = bot.provision(&["--apply"]).await;
    let took = started.elapsed();
    let waits: Vec<f64> = (log.lines())
        .filter_map(|line| line.trim().strip_prefix("rate-limited by the homeserver: waiting "))
        .filter_map(|rest| rest.trim_end_matches(" s").parse().ok())
        .collect();
    let rooms = count_before(&plan, "rooms:").unwrap_or(0.0);
    let made = count_before(&log, "writes in").unwrap_or(0.0);
    let (_, again, _) = bot.provision(&["--apply"]).await;
    let unchanged = count_before(&again, "writes\n") == Some(0.0);
    let told = plan.contains("override_ratelimit");
    println!(
        "provision under Synapse's default limits: {rooms} rooms, {made} writes in {:.0} s, exit {code:?}; \
         {} waits asked by the homeserver ({:.0} s in all); the plan names override_ratelimit: {}; \
         a second run: {} writes",
        took.as_secs_f64(),
        waits.len(),
        waits.iter().sum::<f64>(),
        if told { "yes" } else { "no" },
        count_before(&again, "writes\n").unwrap_or(f64::NAN)
    );
    let passed = code == Some(0) && rooms == 11.0 && !waits.is_empty() && told && unchanged;
    if !passed {
        println!("{plan}\n{log}");
    }
    passed
}
