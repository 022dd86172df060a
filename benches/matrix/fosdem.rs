//! FOSDEM scale: the FOSDEM 2023 schedule (780 sessions in 35 rooms) provisioned from
//! nothing by `confbot provision --apply` (its time, and requests per room), a second run
//! that must write nothing, then the bot in every room it made: its time from a start
//! with a stored session to the first answer, and its resident memory.

use super::*;

/// Restarts measured in all the rooms.
const STARTS: usize = 3;

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
    let attendee = Peer::new("attendee").await;
    let bot_user = support::register_user("confbot").await;
    let prefix = support::unique("f");
    let tail = format!(
        "organizers = [\"{}\"]\n[provision]\nalias_prefix = \"{prefix}-\"\n",
        attendee.user
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    bot.without_command_limit();
    bot.use_schedule(&path);
    // Pentabarf names no zone; the rooms come from the file provision writes.
    let config = std::fs::read_to_string(bot.config_path()).unwrap();
    let source = format!("source = \"{}\"", path.display());
    let config = config.replacen(&source, &format!("{source}\ntimezone = \"Europe/Brussels\""), 1);
    std::fs::write(
        bot.config_path(),
        format!("include = [\"rooms.generated.toml\"]\n{config}"),
    )
    .unwrap();

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

    // The bot in every room it made: the attendee in one of them.
    let janson = format!("#{prefix}-janson:localhost");
    let alias = matrix_sdk::ruma::OwnedRoomOrAliasId::try_from(janson.as_str()).unwrap();
    let room = attendee
        .client
        .join_room_by_id_or_alias(&alias, &[])
        .await
        .expect("joining Janson");
    let now = "2023-02-04T11:00";
    bot.start(now);
    bot.joined(&attendee, &room).await;
    let (id, _) = attendee.say(&room, "!next").await;
    attendee.reply_from(&room, &bot.user, Some(&id)).await;
    let pid = bot.pid().unwrap();
    let rss = footprint::status_kib(pid, "VmRSS:").unwrap_or(u64::MAX) as f64 / 1024.0;
    assert_eq!(bot.stop(), Some(0));
    let mut to_reply = Vec::new();
    for _ in 0..STARTS {
        let (reply, _) = footprint::first_answer(&mut bot, &attendee, &room, now).await;
        to_reply.push(reply);
        assert_eq!(bot.stop(), Some(0));
    }
    to_reply.sort_by(f64::total_cmp);
    println!(
        "the bot in {rooms} rooms: resident {rss:.1} MB after its first answer; {STARTS} starts with a stored session \
         to the first answer: median {:.0} ms, max {:.0} ms",
        quantile(&to_reply, 0.5),
        to_reply[STARTS - 1]
    );
    let (fast, small) = (quantile(&to_reply, 0.5) <= 1000.0, rss <= 60.0);
    println!("target start to first answer ≤ 1 s: {}", verdict(fast));
    println!("target resident memory ≤ 60 MB: {}", verdict(small));
    unchanged && fast && small
}
