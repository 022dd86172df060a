//! The top of the hour with every track changing at once: twelve tracks, each in its own
//! room with a backstage, whose sessions all start at 10:00 and 11:00. At 09:55 every
//! backstage gets its speakers' cue and every room its 5-minute reminder; at 10:00 every
//! room its start reminder and a new topic; then the cues at 10:45 and 10:49, the topics
//! at 10:50 and the whole set again at 10:55 and 11:00. The organizer's client, in every
//! room, sees each cue and topic; its lateness is the homeserver's `origin_server_ts`
//! minus the instant it was due on the bot's clock. The floor is the homeserver's own: as
//! many messages, and then topics, sent at once by a client, from the send to their
//! `origin_server_ts`.

use super::*;
use support::TopicChange;

const TRACKS: usize = 12;
const SPEED: f64 = 60.0;

/// The generated two-hour schedule: per track a room, and two sessions at the top of the
/// hour whose speaker has a Matrix ID.
fn schedule_text(speakers: &[matrix_sdk::ruma::OwnedUserId]) -> String {
    let mut text = String::from(
        "[conference]\nname = \"Top of the Hour 2023\"\ntimezone = \"Europe/Brussels\"\nvenue = \"Twelve rooms\"\n",
    );
    for (t, user) in speakers.iter().enumerate() {
        text.push_str(&format!(
            "\n[[speakers]]\nid = \"s{t}\"\nname = \"Speaker {t}\"\nmatrix = \"{user}\"\n"
        ));
    }
    for t in 0..TRACKS {
        for hour in [10, 11] {
            text.push_str(&format!(
                "\n[[sessions]]\nid = \"t{t}-{hour}\"\ntitle = \"Track {t} at {hour}\"\nstart = \"2023-02-03T{hour}:00\"\n\
                 duration = \"50m\"\nroom = \"Room {t}\"\ntrack = \"Track {t}\"\nspeakers = [\"s{t}\"]\n"
            ));
        }
    }
    text
}

/// The homeserver's own time to accept one event in each room, all sent at once: from
/// the send to `origin_server_ts`, in ms; `topics`: room topics instead of messages.
pub(super) async fn floor(rooms: &[matrix_sdk::Room], topics: bool, round: usize) -> Vec<f64> {
    let sends = rooms.iter().enumerate().map(|(n, room)| async move {
        let sent = wall_ms();
        let event_id = if topics {
            let content =
                matrix_sdk::ruma::events::room::topic::RoomTopicEventContent::new(format!("floor {round}.{n}"));
            room.send_state_event(content).await.expect("floor topic").event_id
        } else {
            let content = matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain("floor");
            room.send(content).await.expect("floor message").response.event_id
        };
        let event = room.event(&event_id, None).await.expect("the floor event");
        let origin = event
            .raw()
            .get_field::<u64>("origin_server_ts")
            .ok()
            .flatten()
            .unwrap_or(0);
        origin as f64 - sent
    });
    let mut taken: Vec<f64> = futures_util::future::join_all(sends).await;
    taken.sort_by(f64::total_cmp);
    taken
}

pub(super) async fn hour() -> bool {
    let organizer = Peer::new("organizer").await;
    let bot_user = support::register_user("confbot").await;
    let mut speakers = Vec::new();
    for _ in 0..TRACKS {
        speakers.push(support::register_user("speaker").await);
    }
    let mut rooms = Vec::new();
    let mut backstages = Vec::new();
    let mut map = String::new();
    for t in 0..TRACKS {
        let (room, backstage) = (
            support::unique(&format!("room{t}")),
            support::unique(&format!("back{t}")),
        );
        // Power 50: the bot may set topics and invite, as a provisioned room lets it.
        rooms.push(
            organizer
                .create_room_with_power(&[&bot_user], &room, &[(&bot_user, 50)])
                .await,
        );
        backstages.push(
            organizer
                .create_room_with_power(&[&bot_user], &backstage, &[(&bot_user, 50)])
                .await,
        );
        map.push_str(&format!(
            "\"Room {t}\" = {{ room = \"#{room}:localhost\", backstage = \"#{backstage}:localhost\" }}\n"
        ));
    }
    let tail = format!(
        "organizers = [\"{}\"]\n[reminders]\nlead = [\"5m\", \"0m\"]\ngrace = \"2m\"\n[speakers]\ninvite_before = \"10m\"\n\
         [rooms]\ntopics = true\n[rooms.map]\n{map}",
        organizer.user
    );
    let mut bot = Bot::for_user(bot_user, "", &tail);
    let path = bot.state_dir().with_file_name("top-of-the-hour.toml");
    let text = schedule_text(&speakers);
    std::fs::write(&path, &text).unwrap();
    bot.use_schedule(&path);
    let schedule = confbot::schedule::native::parse(&text, "top-of-the-hour.toml", None)
        .expect("the generated schedule")
        .schedule;
    let config = Config::from_toml(&config_text(&bot), "bench").expect("the bench config");

    // The floor, before the bot runs: one message in every room at once, then one topic.
    let all: Vec<matrix_sdk::Room> = rooms.iter().chain(&backstages).cloned().collect();
    let mut message_floor = Vec::new();
    let mut topic_floor = Vec::new();
    // (A topic the room has already is no new event: each round's are new.)
    for round in 0..5 {
        message_floor.extend(floor(&all, false, round).await);
        topic_floor.extend(floor(&rooms, true, round).await);
    }
    message_floor.sort_by(f64::total_cmp);
    topic_floor.sort_by(f64::total_cmp);

    let topics = organizer.watch_topics();
    let (from, until) = (at("09:50"), at("11:01"));
    bot.start_at_speed("2023-02-03T09:50:00", SPEED);
    let anchor = Anchor::latest(&bot, 1, SPEED).await;
    for room in &all {
        bot.joined(&organizer, room).await;
    }

    // What is due: the cues of the plan, and every change of topic.
    let cues: Vec<(String, DateTime<Tz>)> = plan::posts(&schedule, config.rules(), &FromChat::default(), from, until)
        .into_iter()
        .filter_map(|post| match &post.what {
            What::Cue { session, .. } => {
                let place = schedule.session(session)?.room.clone()?;
                Some((config.rooms.place(&place)?.backstage.clone()?, post.due))
            }
            _ => None,
        })
        .collect();
    let mut changes = Vec::new();
    let mut instant = from;
    while let Some(next) = confbot::topics::next_change(&schedule, &config.rooms, instant) {
        if next > until {
            break;
        }
        changes.push(next);
        instant = next;
    }
    let end = instant_at(anchor.wall_of(until)) + Duration::from_secs(10);
    tokio::time::sleep_until(end.into()).await;

    // Cues: each backstage's, in order, against its plan.
    let received = organizer.drain().await;
    let mut cue_lateness: HashMap<String, Vec<f64>> = HashMap::new();
    let mut wrong = 0;
    for (t, backstage) in backstages.iter().enumerate() {
        let alias = config
            .rooms
            .place(&format!("Room {t}"))
            .and_then(|p| p.backstage.clone())
            .unwrap();
        let mut due: Vec<DateTime<Tz>> = cues
            .iter()
            .filter(|(room, _)| *room == alias)
            .map(|(_, d)| *d)
            .collect();
        due.sort();
        let got: Vec<&Received> = (received.iter())
            .filter(|m| m.room == backstage.room_id() && m.sender == bot.user && support::is_cue(&m.body))
            .collect();
        if got.len() != due.len() {
            println!("{alias}: {} cues, {} planned", got.len(), due.len());
            wrong += 1;
        }
        for (post, due) in got.iter().zip(&due) {
            let label = confbot::time::clock(due);
            (cue_lateness.entry(label).or_default()).push(post.origin_ms as f64 - anchor.wall_of(*due));
        }
    }
    // Topics: each room's changes after the first, against the changes due.
    let mut topic_lateness: HashMap<String, Vec<f64>> = HashMap::new();
    for (t, room) in rooms.iter().enumerate() {
        let seen: Vec<TopicChange> = (topics.in_room(room.room_id()).into_iter())
            .filter(|c| c.sender == bot.user)
            .collect();
        // The first is the topic the bot sets on joining; one change per instant follows.
        let expected = changes.len() + 1;
        if seen.len() != expected {
            println!("Room {t}: {} topic changes, {expected} planned", seen.len());
            wrong += 1;
        }
        for (change, due) in seen.iter().skip(1).zip(&changes) {
            let label = confbot::time::clock(due);
            (topic_lateness.entry(label).or_default()).push(change.origin_ms as f64 - anchor.wall_of(*due));
        }
    }

    println!(
        "{TRACKS} tracks, each a room and a backstage, rehearsed 09:50–11:01 at {SPEED}×: {} cues and {} topic \
         changes planned; {wrong} rooms with a wrong count",
        cues.len(),
        changes.len() * TRACKS
    );
    println!(
        "lateness at each instant (origin_server_ts − due on the bot's clock, real ms), all rooms' posts due together:"
    );
    println!("                      count      p50      p99      max");
    let mut all_cues = Vec::new();
    let mut all_topics = Vec::new();
    let mut keys: Vec<(String, &str)> = (cue_lateness.keys().map(|k| (k.clone(), "cues")))
        .chain(topic_lateness.keys().map(|k| (k.clone(), "topics")))
        .collect();
    keys.sort();
    for (instant, what) in keys {
        let values = if what == "cues" {
            &cue_lateness[&instant]
        } else {
            &topic_lateness[&instant]
        };
        let mut values = values.clone();
        values.sort_by(f64::total_cmp);
        println!(
            "{instant} {what:<7}       {:>5}  {:>7.1}  {:>7.1}  {:>7.1}",
            values.len(),
            quantile(&values, 0.5),
            quantile(&values, 0.99),
            values[values.len() - 1]
        );
        if what == "cues" { &mut all_cues } else { &mut all_topics }.extend(values);
    }
    if all_cues.is_empty() || all_topics.is_empty() {
        println!("no cues or no topics seen:\n{}", bot.log());
        return false;
    }
    all_cues.sort_by(f64::total_cmp);
    all_topics.sort_by(f64::total_cmp);
    println!("cues, all instants:");
    print_against_floor("cue lateness", &all_cues, "messages (floor)", &message_floor);
    println!("topics, all instants:");
    print_against_floor("topic lateness", &all_topics, "topics (floor)", &topic_floor);
    let (cue_p99, topic_p99) = (quantile(&all_cues, 0.99), quantile(&all_topics, 0.99));
    println!(
        "target p99 ≤ 1000 ms, cues {cue_p99:.1} ms: {}",
        verdict(cue_p99 <= 1000.0)
    );
    println!(
        "target p99 ≤ 1000 ms, topics {topic_p99:.1} ms: {}",
        verdict(topic_p99 <= 1000.0)
    );
    bot.stop() == Some(0) && wrong == 0 && cue_p99 <= 1000.0 && topic_p99 <= 1000.0
}
