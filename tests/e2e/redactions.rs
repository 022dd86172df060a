//! Second thoughts against a real Synapse: an attendee redacts their `!ask` or their 👍, a
//! moderator redacts their ✅, an asker edits their `!ask`; what the rooms then show.

use super::questions::{question_rooms, react, QuestionRooms};
use super::*;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::room::message::{ReplacementMetadata, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::Room;
use support::Received;

/// What a client sees of one event in a room's history.
#[derive(Debug, Clone)]
struct Seen {
    event_id: String,
    sender: String,
    kind: String,
    body: String,
    /// The event this one replaces (`m.replace`).
    replaces: Option<String>,
    /// The event this one answers (`m.in_reply_to`).
    reply_to: Option<String>,
    /// The event this one redacts, and why.
    redacts: Option<String>,
    reason: Option<String>,
    redacted: bool,
}

/// The last hundred events of `room` as `peer` reads them, oldest first.
async fn history(peer: &Peer, room: &Room) -> Vec<Seen> {
    let room = peer.client.get_room(room.room_id()).expect("in the room");
    let mut options = MessagesOptions::backward();
    options.limit = matrix_sdk::ruma::UInt::from(100u32);
    let page = room.messages(options).await.expect("history");
    let mut seen: Vec<Seen> = page
        .chunk
        .iter()
        .map(|event| {
            let json: serde_json::Value = serde_json::from_str(event.raw().json().get()).unwrap();
            let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
            let content = &json["content"];
            Seen {
                event_id: text(&json["event_id"]).unwrap_or_default(),
                sender: text(&json["sender"]).unwrap_or_default(),
                kind: text(&json["type"]).unwrap_or_default(),
                body: text(&content["body"]).unwrap_or_default(),
                replaces: (content["m.relates_to"]["rel_type"] == "m.replace")
                    .then(|| text(&content["m.relates_to"]["event_id"]))
                    .flatten(),
                reply_to: text(&content["m.relates_to"]["m.in_reply_to"]["event_id"]),
                redacts: text(&content["redacts"]).or_else(|| text(&json["redacts"])),
                reason: text(&content["reason"]),
                redacted: !json["unsigned"]["redacted_because"].is_null(),
            }
        })
        .collect();
    seen.reverse();
    seen
}

/// The history of `room` once `done` holds of it, within 30 s.
async fn history_once(peer: &Peer, room: &Room, what: &str, done: impl Fn(&[Seen]) -> bool) -> Vec<Seen> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = history(peer, room).await;
        if done(&seen) {
            return seen;
        }
        assert!(std::time::Instant::now() < deadline, "{what} did not happen: {seen:#?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The bot's redaction of `event` in `seen`, if any: its reason.
fn redaction_of<'a>(seen: &'a [Seen], bot: &UserId, event: &OwnedEventId) -> Option<&'a Seen> {
    seen.iter().find(|s| {
        s.kind == "m.room.redaction" && s.sender == bot.as_str() && s.redacts.as_deref() == Some(event.as_str())
    })
}

/// The moderator's `!questions` in the moderators room, as the bot answers it.
async fn questions(moderator: &Peer, rooms: &QuestionRooms, bot: &UserId) -> String {
    let (asked, _) = moderator.say(&rooms.mods, "!questions").await;
    moderator.reply_from(&rooms.mods, bot, Some(&asked)).await.body
}

/// An attendee, a second attendee, a moderator and a speaker with the bot in their rooms,
/// at 14:20 while 'Network management' runs in the Pagoda room.
struct Scene {
    moderator: Peer,
    attendee: Peer,
    other: Peer,
    speaker: Peer,
    rooms: QuestionRooms,
    bot: Bot,
    main: Room,
}

async fn scene() -> Scene {
    let moderator = Peer::new("moderator").await;
    let attendee = Peer::new("attendee").await;
    let other = Peer::new("other").await;
    let speaker = Peer::new("speaker").await;
    let bot_user = support::register_user("confbot").await;
    let rooms = question_rooms(&moderator, &bot_user, &[&attendee, &other], &speaker, "").await;
    let mut bot = Bot::for_user(bot_user, "", &rooms.tail);
    bot.without_command_limit();
    bot.start("2023-02-03T14:20");
    for room in [&rooms.main, &rooms.mods, &rooms.speakers] {
        bot.joined(&moderator, room).await;
    }
    let main = attendee.client.get_room(rooms.main.room_id()).unwrap();
    Scene {
        moderator,
        attendee,
        other,
        speaker,
        rooms,
        bot,
        main,
    }
}

impl Scene {
    /// The attendee asks `text`: the `!ask` event, the receipt, and the relay post.
    async fn ask(&self, text: &str) -> (OwnedEventId, Received, Received) {
        let (asked, _) = self.attendee.say(&self.main, &format!("!ask {text}")).await;
        let receipt = self.attendee.reply_from(&self.main, &self.bot.user, Some(&asked)).await;
        assert!(receipt.body.starts_with("Question Q"), "{}", receipt.body);
        let relayed = self.moderator.reply_from(&self.rooms.mods, &self.bot.user, None).await;
        assert!(relayed.body.contains(text), "{}", relayed.body);
        (asked, receipt, relayed)
    }
}

const WITHDRAWN: &str = "the question was withdrawn: the message that asked it was redacted";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_redacted_ask_withdraws_the_question_and_its_posts() {
    let mut s = scene().await;
    let (ask1, _, relay1) = s.ask("Is the first one still wanted?").await;
    let (ask2, _, relay2) = s.ask("Is the second one passed on?").await;
    let (asked, _) = s.moderator.say(&s.rooms.mods, "!approve Q2").await;
    s.moderator.reply_from(&s.rooms.mods, &s.bot.user, Some(&asked)).await;
    let passed = s.speaker.reply_from(&s.rooms.speakers, &s.bot.user, None).await;
    assert!(passed.body.contains("Is the second one passed on?"), "{}", passed.body);

    for ask in [&ask1, &ask2] {
        s.main
            .redact(ask, Some("changed my mind"), None)
            .await
            .expect("redacted");
    }
    let bot = s.bot.user.clone();
    let mods = history_once(&s.moderator, &s.rooms.mods, "the relay posts' redaction", |seen| {
        redaction_of(seen, &bot, &relay1.event_id).is_some() && redaction_of(seen, &bot, &relay2.event_id).is_some()
    })
    .await;
    for relay in [&relay1, &relay2] {
        assert_eq!(
            redaction_of(&mods, &bot, &relay.event_id).unwrap().reason.as_deref(),
            Some(WITHDRAWN)
        );
        let post = mods.iter().find(|e| e.event_id == relay.event_id.as_str()).unwrap();
        assert!(post.redacted && post.body.is_empty(), "{post:?}");
    }
    let speakers = history_once(&s.speaker, &s.rooms.speakers, "the speakers post's redaction", |seen| {
        redaction_of(seen, &bot, &passed.event_id).is_some()
    })
    .await;
    assert_eq!(
        redaction_of(&speakers, &bot, &passed.event_id)
            .unwrap()
            .reason
            .as_deref(),
        Some(WITHDRAWN)
    );

    let listed = questions(&s.moderator, &s.rooms, &bot).await;
    assert!(listed.contains("No open questions for 'Network management"), "{listed}");
    assert!(listed.contains("Not shown: 2 withdrawn."), "{listed}");
    let (asked, _) = s.moderator.say(&s.rooms.mods, "!approve Q1").await;
    assert_eq!(
        s.moderator.reply_from(&s.rooms.mods, &bot, Some(&asked)).await.body,
        "Q1 was withdrawn by its asker."
    );
    assert_eq!(s.bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_redacted_vote_no_longer_counts() {
    let mut s = scene().await;
    let (_, receipt, _) = s.ask("Does my vote come back?").await;
    let thumb = react(&s.other, &s.rooms.main, &receipt.event_id, "👍").await;
    let bot = s.bot.user.clone();
    let mut listed = String::new();
    for _ in 0..20 {
        listed = questions(&s.moderator, &s.rooms, &bot).await;
        if listed.contains("Q1 · 1 vote · pending") {
            break;
        }
    }
    assert!(listed.contains("Q1 · 1 vote · pending"), "{listed}");
    let other_main = s.other.client.get_room(s.rooms.main.room_id()).unwrap();
    other_main.redact(&thumb, None, None).await.expect("redacted");
    for _ in 0..20 {
        listed = questions(&s.moderator, &s.rooms, &bot).await;
        if listed.contains("Q1 · 0 votes · pending") {
            break;
        }
    }
    assert!(
        listed.contains("Q1 · 0 votes · pending"),
        "the vote went with its 👍: {listed}"
    );
    // Taken back, it may be cast again.
    let (asked, _) = s.other.say(&other_main, "!upvote Q1").await;
    assert_eq!(
        s.other.reply_from(&other_main, &bot, Some(&asked)).await.body,
        "Your vote for Q1 is counted; it has 1 vote now."
    );
    assert_eq!(s.bot.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_a_moderators_reaction_edits_the_relay_post_and_its_redaction_reverts_it() {
    let mut s = scene().await;
    let (_, _, relayed) = s.ask("Is this passed on and back?").await;
    let bot = s.bot.user.clone();
    let tick = react(&s.moderator, &s.rooms.mods, &relayed.event_id, "✅").await;
    let edited = s.moderator.reply_from(&s.rooms.mods, &bot, None).await;
    assert!(edited.body.starts_with("* Q1 for "), "{}", edited.body);
    assert!(
        edited
            .body
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("✅ passed on by {} at ", s.moderator.user)),
        "{}",
        edited.body
    );
    assert_eq!(edited.mentions, Some((false, 0)));
    let passed = s.speaker.reply_from(&s.rooms.speakers, &bot, None).await;

    let mods = s.moderator.client.get_room(s.rooms.mods.room_id()).unwrap();
    mods.redact(&tick, None, None).await.expect("redacted");
    let back = s.moderator.reply_from(&s.rooms.mods, &bot, None).await;
    assert!(back.body.starts_with("* Q1 for "), "{}", back.body);
    assert_eq!(
        back.body.lines().last(),
        Some("React ✅ approve · ❌ reject · 💬 answered")
    );
    history_once(&s.speaker, &s.rooms.speakers, "the speakers post's redaction", |seen| {
        redaction_of(seen, &bot, &passed.event_id).is_some()
    })
    .await;
    let listed = questions(&s.moderator, &s.rooms, &bot).await;
    assert!(listed.contains("Q1 · 0 votes · pending"), "{listed}");

    // One post per question in the moderators room: the relay and its two edits, no notice.
    let seen = history(&s.moderator, &s.rooms.mods).await;
    let from_bot: Vec<&Seen> = seen
        .iter()
        .filter(|e| e.sender == bot.as_str() && e.kind == "m.room.message")
        .collect();
    let posts: Vec<&&Seen> = from_bot.iter().filter(|e| e.replaces.is_none()).collect();
    let edits: Vec<&&Seen> = from_bot.iter().filter(|e| e.replaces.is_some()).collect();
    assert_eq!(
        posts.iter().filter(|e| e.reply_to.is_none()).count(),
        1,
        "the relay post, and nothing per reaction: {from_bot:#?}"
    );
    assert_eq!(edits.len(), 2, "{from_bot:#?}");
    assert!(edits
        .iter()
        .all(|e| e.replaces.as_deref() == Some(relayed.event_id.as_str())));
    assert_eq!(s.bot.stop(), Some(0));
}

/// An edit of `original` to `text`, as Element sends it ("* " before the fallback body).
fn edit(original: &OwnedEventId, text: &str) -> RoomMessageEventContent {
    RoomMessageEventContent::text_plain(text).make_replacement(ReplacementMetadata::new(original.clone(), None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test homeserver: run scripts/test"]
async fn e2e_an_edited_ask_changes_a_pending_question_and_is_ignored_once_told_after_approval() {
    let mut s = scene().await;
    let (asked, _, relayed) = s.ask("Is this the first text?").await;
    let bot = s.bot.user.clone();
    s.attendee
        .send(&s.main, edit(&asked, "!ask Is this the second text?"))
        .await;
    let edited = s.moderator.reply_from(&s.rooms.mods, &bot, None).await;
    assert!(edited.body.starts_with("* Q1 for "), "{}", edited.body);
    assert_eq!(
        edited.body.lines().nth(2),
        Some("Is this the second text?"),
        "{}",
        edited.body
    );
    let listed = questions(&s.moderator, &s.rooms, &bot).await;
    assert!(
        listed.contains("Q1 · 0 votes · pending") && listed.contains(": Is this the second text?"),
        "{listed}"
    );
    assert!(!listed.contains("Q2"), "an edit is no new question: {listed}");

    let (approve, _) = s.moderator.say(&s.rooms.mods, "!approve Q1").await;
    s.moderator.reply_from(&s.rooms.mods, &bot, Some(&approve)).await;
    let passed = s.speaker.reply_from(&s.rooms.speakers, &bot, None).await;
    assert!(passed.body.contains("Is this the second text?"), "{}", passed.body);
    s.attendee
        .send(&s.main, edit(&asked, "!ask Is this a third text?"))
        .await;
    let told = s.attendee.reply_from(&s.main, &bot, None).await;
    assert_eq!(
        told.body,
        "Your edit of Q1 is ignored: the moderators have dealt with the question (approved), so it stays as you first asked it."
    );
    assert_eq!(told.mentions, Some((false, 0)));
    s.attendee
        .send(&s.main, edit(&asked, "!ask Is this a fourth text?"))
        .await;
    let (pinged, _) = s.attendee.say(&s.main, "!ping").await;
    s.attendee.reply_from(&s.main, &bot, Some(&pinged)).await;
    let more: Vec<Received> = s
        .attendee
        .drain()
        .await
        .into_iter()
        .filter(|r| r.sender == bot && r.room == s.main.room_id())
        .collect();
    assert!(more.is_empty(), "told once: {more:?}");
    let listed = questions(&s.moderator, &s.rooms, &bot).await;
    assert!(listed.contains(": Is this the second text?"), "{listed}");
    let seen = history(&s.moderator, &s.rooms.mods).await;
    let relay_edits = seen
        .iter()
        .filter(|e| e.replaces.as_deref() == Some(relayed.event_id.as_str()))
        .count();
    assert_eq!(relay_edits, 2, "the text edit and the approval; the late edits none");
    assert_eq!(s.bot.stop(), Some(0));
}
