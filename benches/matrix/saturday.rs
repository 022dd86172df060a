//! FOSDEM 2023's Saturday morning, 09:00–13:00, rehearsed at 30× in the rooms `confbot
//! provision` made, with the crowd in them: every reminder in every room once, and its
//! lateness at each instant (the homeserver's `origin_server_ts` minus the instant it was
//! due on the bot's clock) against the homeserver's own acceptance of the busiest
//! instant's messages sent at once, one to each room (the bot sends the reminders due at
//! one instant in one room as one message, a digest). Meanwhile 100 attendees send `!next` and `!now` (most of them around the
//! top of each hour, when the reminders crowd in) and 50 send `!ask`; each must be answered
//! once. An echo client in the same rooms answers the same commands: the floor, in the same
//! run and under the same load. An organizer's client in every room reads it all.

use super::*;
use crowd::Member;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use std::collections::BTreeMap;

pub(super) const SPEED: f64 = 30.0;
const COMMANDERS: usize = 100;
const ASKERS: usize = 50;
/// Rounds of the floor, each a message to every room of the busiest instant's posts.
const FLOOR_ROUNDS: usize = 5;

/// Who takes part: the bot (started here), the organizer's client that reads every room
/// attendees read, the echo client's user, the crowd and the room each member is in.
pub(super) struct Setting<'a> {
    pub bot: &'a mut Bot,
    pub observer: &'a Peer,
    pub echo: &'a matrix_sdk::ruma::UserId,
    pub crowd: &'a [Member],
    pub rooms_of: &'a [OwnedRoomId],
    pub config: &'a Config,
    pub schedule: &'a Schedule,
}

/// What the rehearsal found: whether every target held, and the bot's memory at its end.
pub(super) struct Outcome {
    pub passed: bool,
    pub rss_mb: f64,
    pub peak_mb: f64,
}

fn brussels(time: &str) -> DateTime<Tz> {
    confbot::time::parse_instant(&format!("2023-02-04T{time}"), chrono_tz::Europe::Brussels).unwrap()
}

/// A reminder due in a room: the room's id, the instant, the text.
struct Due {
    room: String,
    due: DateTime<Tz>,
    body: String,
}

/// Every reminder due in `[from, until]`, once for each room it goes to.
fn due_posts(config: &Config, schedule: &Schedule, from: DateTime<Tz>, until: DateTime<Tz>) -> Vec<Due> {
    let mut due = Vec::new();
    for post in plan::posts(schedule, config.rules(), &FromChat::default(), from, until) {
        let What::Reminder { session, lead } = &post.what else {
            continue;
        };
        let Some(session) = schedule.session(session) else {
            continue;
        };
        let text = present::posts::reminder_message(schedule, session, *lead, &config.reminders.templates, false);
        let places = || {
            [&session.room, &session.track]
                .into_iter()
                .flatten()
                .map(String::as_str)
        };
        // "@room" before it in the session's own rooms at the leads that notify.
        let own: Vec<&str> = places().filter_map(|place| config.rooms.mapped(place)).collect();
        let notifying = present::posts::notifying_room(&text);
        for room in config.rooms.post_targets(places()) {
            let text = match config.reminders.notifies_room_at(*lead) && own.contains(&room.as_str()) {
                true => &notifying,
                false => &text,
            };
            due.push(Due {
                room,
                due: post.due,
                body: text.body().to_string(),
            });
        }
    }
    due
}

/// A reminder's text as it would read on time, and whether it was marked late: a post
/// the bot sends past its instant (by a real second, or a minute of the conference's) says
/// so, and is the same post.
fn on_time_form(body: &str) -> (String, bool) {
    const LATE: &str = "(late) ";
    const ROOM: &str = "@room ";
    match body.strip_prefix(ROOM).unwrap_or(body).strip_prefix(LATE) {
        Some(rest) if body.starts_with(ROOM) => (format!("{ROOM}{rest}"), true),
        Some(rest) => (rest.to_string(), true),
        None => (body.to_string(), false),
    }
}

/// The reminders in one of the bot's messages: one, or each of a digest's (the posts due
/// at one instant in one room, a line each, a session's link on the line after it).
fn reminders_in(body: &str) -> Vec<String> {
    let mut reminders: Vec<String> = Vec::new();
    for line in body.lines() {
        match reminders.last_mut() {
            Some(last) if line.starts_with("https://") || line.starts_with("http://") => {
                last.push('\n');
                last.push_str(line);
            }
            _ => reminders.push(line.to_string()),
        }
    }
    reminders
}

/// A command a member sent: its event, when the send began, and whether it is `!ask`.
struct Sent {
    id: OwnedEventId,
    at: Instant,
    ask: bool,
}

/// The crowd's commands, each at its wall-clock instant: commander `i` sends four, three
/// of them within the 20 s (10 conference minutes) around 10:00, 11:00 and 12:00, one in
/// an even spread over the morning; asker `j` asks once, spread over the morning.
async fn send_commands(setting: &Setting<'_>, anchor: &Anchor) -> Vec<Sent> {
    let mut sends = Vec::new();
    for i in 0..COMMANDERS.min(setting.crowd.len()) {
        for k in 0..4 {
            let wall = match k {
                0..=2 => {
                    let top = brussels(["10:00", "11:00", "12:00"][k]);
                    anchor.wall_of(top) - 10_000.0 + i as f64 * 20_000.0 / COMMANDERS as f64
                }
                _ => anchor.wall_of(brussels("09:00") + TimeDelta::seconds(i as i64 * 4 * 3600 / COMMANDERS as i64)),
            };
            let command = if (i + k) % 2 == 0 { "!next" } else { "!now" };
            sends.push((wall, i, command.to_string(), false));
        }
    }
    for j in 0..ASKERS.min(setting.crowd.len().saturating_sub(COMMANDERS)) {
        let when = brussels("09:05") + TimeDelta::seconds(j as i64 * 230 * 60 / ASKERS as i64);
        let question = format!("!ask Benchmark question {j}: how does it hold up with the whole conference at once?");
        sends.push((anchor.wall_of(when), COMMANDERS + j, question, true));
    }
    let sends = sends.into_iter().map(|(wall, n, text, ask)| async move {
        tokio::time::sleep_until(instant_at(wall).into()).await;
        let (id, at) = setting.crowd[n].say(&setting.rooms_of[n], &text).await;
        Sent { id, at, ask }
    });
    futures_util::future::join_all(sends).await
}

pub(super) async fn saturday(setting: Setting<'_>) -> Outcome {
    let (from, until) = (brussels("08:51"), brussels("13:00"));
    let due = due_posts(setting.config, setting.schedule, from, until);
    let mut per_instant: BTreeMap<DateTime<Tz>, usize> = BTreeMap::new();
    for post in &due {
        *per_instant.entry(post.due).or_default() += 1;
    }
    let (busiest, most) = per_instant
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(at, n)| (*at, *n))
        .expect("reminders due on Saturday morning");

    // The floor, alone: the busiest instant's messages sent at once into their rooms, one
    // to each room, as the bot sends them (a digest where several are due in one room).
    let mut floor_rooms = std::collections::BTreeSet::new();
    let busiest_rooms: Vec<matrix_sdk::Room> = (due.iter())
        .filter(|d| d.due == busiest && floor_rooms.insert(d.room.as_str()))
        .filter_map(|d| {
            setting
                .observer
                .client
                .get_room(&OwnedRoomId::try_from(d.room.as_str()).ok()?)
        })
        .collect();
    let mut acceptance = Vec::new();
    for round in 0..FLOOR_ROUNDS {
        acceptance.extend(floor(&busiest_rooms, false, round).await);
    }
    acceptance.sort_by(f64::total_cmp);

    let bot = setting.bot;
    bot.start_at_speed("2023-02-04T08:50:00", SPEED);
    let anchor = Anchor::latest(bot, 1, SPEED).await;
    let setting = Setting {
        bot: &mut *bot,
        ..setting
    };
    let sent = send_commands(&setting, &anchor).await;
    tokio::time::sleep_until((instant_at(anchor.wall_of(until)) + Duration::from_secs(10)).into()).await;
    let pid = setting.bot.pid().unwrap();
    let mb = |field| footprint::status_kib(pid, field).unwrap_or(u64::MAX) as f64 / 1024.0;
    let (rss_mb, peak_mb) = (mb("VmRSS:"), mb("VmHWM:"));
    let received = setting.observer.drain().await;
    // What the bot itself says it skipped: a reminder its room's courier could not send
    // within the grace period.
    let skipped: Vec<String> = (setting.bot.log().lines())
        .filter(|line| line.contains("overdue beyond the grace period; skipped") && line.contains("key=reminder:"))
        .map(str::to_string)
        .collect();
    let bot_user = &setting.bot.user;

    // Reminders: each planned one seen once in its room.
    let mut seen: HashMap<(String, String), Vec<u64>> = HashMap::new();
    let (mut marked_late, mut messages) = (0, 0);
    for message in received
        .iter()
        .filter(|m| m.sender == *bot_user && m.in_reply_to.is_none())
    {
        messages += 1;
        for reminder in reminders_in(&message.body) {
            let (body, late) = on_time_form(&reminder);
            marked_late += usize::from(late);
            (seen.entry((message.room.to_string(), body)).or_default()).push(message.origin_ms);
        }
    }
    let mut lateness: BTreeMap<DateTime<Tz>, Vec<f64>> = BTreeMap::new();
    let mut not_seen = Vec::new();
    for post in &due {
        match seen.get_mut(&(post.room.clone(), post.body.clone())).and_then(Vec::pop) {
            Some(origin) => (lateness.entry(post.due).or_default()).push(origin as f64 - anchor.wall_of(post.due)),
            None => not_seen.push(post),
        }
    }
    let extra: usize = seen.values().map(Vec::len).sum();
    let missing = not_seen.len();
    for post in not_seen.iter().take(3) {
        println!(
            "not seen: {} at {}: {:?}",
            post.room,
            confbot::time::clock(&post.due),
            post.body
        );
    }
    for ((room, body), _) in seen.iter().filter(|(_, left)| !left.is_empty()).take(3) {
        println!("not planned: {room}: {body:?}");
    }
    println!(
        "Saturday 08:51–13:00 at {SPEED}×: {} reminders due in {} rooms at {} instants, {most} of them at {} (the busiest); \
         {missing} not seen ({} skipped by the bot past the grace period), {extra} more than planned, {marked_late} marked late; \
         {messages} messages",
        due.len(),
        due.iter().map(|d| &d.room).collect::<std::collections::BTreeSet<_>>().len(),
        per_instant.len(),
        confbot::time::clock(&busiest),
        skipped.len()
    );
    for line in skipped.iter().take(3) {
        println!("  {line}");
    }
    println!("lateness at the busiest instants (origin_server_ts − due on the bot's clock, real ms):");
    println!("         count      p50      p99      max");
    let mut busiest_instants: Vec<(DateTime<Tz>, usize)> = per_instant.iter().map(|(a, n)| (*a, *n)).collect();
    busiest_instants.sort_by_key(|(at, n)| (std::cmp::Reverse(*n), *at));
    busiest_instants.truncate(12);
    busiest_instants.sort();
    for (instant, _) in &busiest_instants {
        let Some(values) = lateness.get_mut(instant) else {
            continue;
        };
        values.sort_by(f64::total_cmp);
        println!(
            "{}   {:>5}  {:>7.1}  {:>7.1}  {:>7.1}",
            confbot::time::clock(instant),
            values.len(),
            quantile(values, 0.5),
            quantile(values, 0.99),
            values[values.len() - 1]
        );
    }
    let mut all: Vec<f64> = lateness.values().flatten().copied().collect();
    let mut on_the_hour: Vec<f64> = (lateness.iter())
        .filter(|(at, _)| at.format("%M").to_string() == "00")
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    if all.is_empty() || on_the_hour.is_empty() {
        println!("no reminders seen:\n{}", setting.bot.log());
        return Outcome {
            passed: false,
            rss_mb,
            peak_mb,
        };
    }
    all.sort_by(f64::total_cmp);
    on_the_hour.sort_by(f64::total_cmp);
    println!(
        "every reminder, against {} messages sent at once by a client, one to each room due at {} ({FLOOR_ROUNDS} rounds):",
        busiest_rooms.len(),
        confbot::time::clock(&busiest)
    );
    print_against_floor("lateness", &all, "acceptance", &acceptance);
    println!("the reminders due on the hour ({}):", on_the_hour.len());
    print_against_floor("lateness", &on_the_hour, "acceptance", &acceptance);
    let top_p99 = quantile(&on_the_hour, 0.99);
    println!(
        "target p99 ≤ 1000 ms on the hour, {top_p99:.1} ms: {}",
        verdict(top_p99 <= 1000.0)
    );
    println!("target every reminder once: {}", verdict(missing == 0 && extra == 0));

    // Commands: the bot's answers and the echo's, as the organizer's client saw them.
    let mut replies: HashMap<(&OwnedEventId, bool), Vec<&Received>> = HashMap::new();
    for message in &received {
        let Some(to) = &message.in_reply_to else { continue };
        if message.sender == *bot_user || message.sender == setting.echo {
            (replies.entry((to, message.sender == *bot_user)).or_default()).push(message);
        }
    }
    let mut once = true;
    let mut figures = Vec::new();
    for ask in [false, true] {
        let (mut by_bot, mut by_echo, mut wrong) = (Vec::new(), Vec::new(), 0);
        for command in sent.iter().filter(|s| s.ask == ask) {
            let answers = replies.get(&(&command.id, true)).map_or(&[][..], Vec::as_slice);
            if answers.len() != 1 {
                wrong += 1;
            }
            if let Some(answer) = answers.first() {
                by_bot.push(ms(answer.at - command.at));
            }
            if let Some(echoed) = replies.get(&(&command.id, false)).and_then(|r| r.first()) {
                by_echo.push(ms(echoed.at - command.at));
            }
        }
        let what = if ask { "!ask" } else { "!next and !now" };
        let count = sent.iter().filter(|s| s.ask == ask).count();
        println!("{count} × {what}: {wrong} not answered exactly once; from the send to the answer seen by the organizer (ms)");
        once &= wrong == 0;
        if by_bot.is_empty() || by_echo.is_empty() {
            println!("no answers seen");
            once = false;
            continue;
        }
        by_bot.sort_by(f64::total_cmp);
        by_echo.sort_by(f64::total_cmp);
        print_against_floor("confbot", &by_bot, "echo (floor)", &by_echo);
        figures.push(ratio(&by_bot, &by_echo, 0.5));
    }
    let quick = figures.first().is_some_and(|r| *r <= 1.1);
    println!(
        "target !next p50 ≤ 1.1 × floor, {:.3}: {}",
        figures.first().copied().unwrap_or(f64::NAN),
        verdict(quick)
    );
    println!("target every command answered once: {}", verdict(once));
    println!("the bot at 13:00: resident {rss_mb:.1} MB, at most {peak_mb:.1} MB");
    Outcome {
        passed: missing == 0 && extra == 0 && top_p99 <= 1000.0 && quick && once,
        rss_mb,
        peak_mb,
    }
}
