//! Commands from chat: admitted under the flood limits, queued in turns, decided and acted
//! on by the app, replied to once; reactions to questions; the commands a restart reads back.

use super::*;

pub(super) async fn on_message(event: OriginalSyncRoomMessageEvent, room: Room, Ctx(bot): Ctx<Matrix>) {
    heard(&bot, room, event).await;
}

/// A live message, from the sync or decrypted later: an edit goes to the question it may
/// change, anything else to the command queue.
pub(super) async fn heard(bot: &Matrix, room: Room, event: OriginalSyncRoomMessageEvent) {
    checked_in(bot, &room, &event.sender);
    // An edit is never a new command, whatever its fallback body says.
    if redactions::is_edit(&event) {
        return redactions::on_edit(event, room, bot).await;
    }
    enqueue(bot, room, event, true);
}

/// A message or reaction from `user` in a backstage: a speaker there has checked in.
fn checked_in(bot: &Matrix, room: &Room, user: &UserId) {
    if *user == bot.own_user {
        return;
    }
    if let Some(backstage) = backstage_of(&bot.bot.config, room) {
        bot.bot.seen_in_backstage(&backstage, user.as_str());
    }
}

/// Whether a command from `user` is answered under `[commands] per_user`; a sender over
/// the rate gets one "slow down" (`Some(SlowDown)`), then nothing. Organizers and
/// moderators are not limited.
pub(super) fn admit(bot: &Matrix, user: &UserId) -> Admit {
    let Some(flood) = &bot.flood else {
        return Admit::Answer;
    };
    let known = bot.roles.lock().unwrap_or_else(|p| p.into_inner()).get(user).copied();
    let role = bot
        .bot
        .config
        .access
        .listed_role(user.as_str())
        .max(known.unwrap_or(Role::Attendee));
    if role >= Role::Moderator {
        return Admit::Answer;
    }
    let admit = flood
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .admit(user.as_str(), chrono::Utc::now());
    if admit != Admit::Answer {
        bot.bot.metrics.command_dropped(admit == Admit::SlowDown);
    }
    admit
}

/// Queues a command for answering; anything else, and commands too old to answer, are
/// left alone. `live`: it came with the sync (not from the history a restart reads back),
/// and counts towards its sender's rate.
pub(super) fn enqueue(bot: &Matrix, room: Room, event: OriginalSyncRoomMessageEvent, live: bool) {
    if room.state() != RoomState::Joined || event.sender == bot.own_user {
        return;
    }
    let MessageType::Text(text) = &event.content.msgtype else {
        return; // notices (other bots), emotes, media
    };
    let body = match &event.content.relates_to {
        Some(Relation::Reply { .. }) => address::without_reply_fallback(&text.body),
        _ => &text.body,
    };
    let Some(command) = hear(bot, &room, body, event.content.mentions.as_ref()) else {
        return;
    };
    if too_old(bot, &event) {
        return;
    }
    let command = match live.then(|| admit(bot, &event.sender)) {
        None | Some(Admit::Answer) => command,
        Some(Admit::SlowDown) => Err(UsageError::SlowDown(
            bot.bot.config.commands.per_user.expect("a flood has a rate"),
        )),
        Some(Admit::Drop) => return,
    };
    let (receipt_room, read) = (room.clone(), event.event_id.clone());
    let queued = bot.commands.try_send(Incoming {
        room,
        event,
        command,
        received: Instant::now(),
    });
    match queued {
        Ok(()) if live => bot.receipts.read(receipt_room, read),
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(dropped)) => {
            warn!(event = %dropped.event.event_id, "the command queue is full ({QUEUE_LIMIT}); dropping a command");
            bot.bot.metrics.command_dropped(false);
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}

/// The command `body` gives the bot, if it is addressed to it: by the prefix, its name,
/// a mention (`mentions`) or, in a direct room, bare.
pub(super) fn hear(
    matrix: &Matrix,
    room: &Room,
    body: &str,
    mentions: Option<&Mentions>,
) -> Option<Result<Command, UsageError>> {
    let names: Vec<&str> = matrix.names.iter().map(String::as_str).collect();
    let listener = Listener {
        prefix: &matrix.bot.config.commands.prefix,
        names: &names,
        mentioned: mentions.is_some_and(|m| m.user_ids.contains(&matrix.own_user)),
        direct: is_dm(matrix, room),
    };
    listener.hear(body).and_then(|heard| heard.command())
}

/// Whether a command is older than `[matrix] command_max_age` (sent while the bot was
/// down, or waiting too long in the queue); such a command is not answered.
pub(super) fn too_old(bot: &Matrix, event: &OriginalSyncRoomMessageEvent) -> bool {
    let max_age = command_max_age(&bot.bot);
    match age(event.origin_server_ts) {
        Some(age) if age > max_age => {
            info!(event = %event.event_id, age_s = age.as_secs(), "ignoring a command older than [matrix] command_max_age");
            true
        }
        _ => false,
    }
}

/// `[matrix] command_max_age`: older commands are not answered.
pub(super) fn command_max_age(bot: &Bot) -> Duration {
    bot.config
        .matrix
        .as_ref()
        .map_or(crate::config::DEFAULT_COMMAND_MAX_AGE, |m| m.command_max_age)
        .to_std()
        .unwrap_or_default()
}

/// How many pages of history a restart reads back in each room, at most.
pub(super) const CATCH_UP_PAGES: usize = 10;

/// Commands the last run never answered: it may have stopped or crashed after the sync
/// had taken them in (the sync token already past them) but before the answer went out,
/// or been away long enough that the sync skipped part of a busy room. Each joined room's
/// history back to `[matrix] command_max_age` goes through the queue again, oldest first;
/// whatever was answered before is skipped there, and so is a command the bot's history
/// holds a reply to (answered on another machine, whose store this one does not have).
pub(super) async fn catch_up_commands(client: &Client, matrix: &Matrix) {
    use futures_util::StreamExt;
    let max_age = command_max_age(&matrix.bot);
    // Several rooms at once: read one after another, 74 rooms took 2.8 s.
    let reads = client.joined_rooms().into_iter().map(|room| async move {
        let events = unanswered(&room, matrix, max_age).await;
        (room, events)
    });
    let mut reads = futures_util::stream::iter(reads).buffer_unordered(CATCH_UP_ROOMS_AT_ONCE);
    while let Some((room, events)) = reads.next().await {
        for event in events {
            enqueue(matrix, room.clone(), event, false);
        }
    }
}

/// How many rooms' histories a restart reads at once: enough to keep the homeserver busy,
/// few enough that the replies and syncs meanwhile do not queue behind the reads.
const CATCH_UP_ROOMS_AT_ONCE: usize = 4;

/// The commands in `room`'s history back to `max_age` that no reply of the bot answers,
/// oldest first.
async fn unanswered(room: &Room, matrix: &Matrix, max_age: Duration) -> Vec<OriginalSyncRoomMessageEvent> {
    let mut events = Vec::new();
    let mut replied = HashSet::new();
    let mut from: Option<String> = None;
    for _ in 0..CATCH_UP_PAGES {
        let mut options = MessagesOptions::backward().from(from.as_deref());
        options.limit = UInt::from(100u32);
        let page = match room.messages(options).await {
            Ok(page) => page,
            Err(err) => {
                warn!(room = %room.room_id(), error = %err, "reading the history for unanswered commands");
                break;
            }
        };
        // A page that holds the room's creation reaches its beginning.
        let mut reached_old = (page.chunk.iter())
            .any(|e| e.raw().get_field::<String>("type").ok().flatten().as_deref() == Some("m.room.create"));
        for event in &page.chunk {
            // A command taken back (redacted) is not answered; an edit is no command.
            if redactions::was_redacted(event.raw()) {
                continue;
            }
            // A reply's relation is readable even where its text is not (encrypted
            // with a key this device never had).
            if let Ok(reply) = event.raw().deserialize_as_unchecked::<Reply>() {
                if reply.sender == matrix.own_user {
                    if let Some(to) = reply.content.relates_to.and_then(|r| r.in_reply_to) {
                        replied.insert(to.event_id);
                    }
                }
            }
            if let Ok(event) = event.raw().deserialize_as_unchecked::<OriginalSyncRoomMessageEvent>() {
                if age(event.origin_server_ts).is_some_and(|age| age > max_age) {
                    reached_old = true;
                    break;
                }
                events.push(event);
            }
        }
        match page.end {
            Some(end) if !reached_old && !page.chunk.is_empty() => from = Some(end),
            _ => break,
        }
    }
    events.reverse();
    events.retain(|event| !replied.contains(&event.event_id) && !redactions::is_edit(event));
    events
}

/// What [`catch_up_commands`] reads of every event: who sent it, and what it replies to.
#[derive(serde::Deserialize)]
struct Reply {
    sender: OwnedUserId,
    content: ReplyContent,
}

#[derive(serde::Deserialize)]
struct ReplyContent {
    #[serde(rename = "m.relates_to")]
    relates_to: Option<RelatesTo>,
}

#[derive(serde::Deserialize)]
struct RelatesTo {
    #[serde(rename = "m.in_reply_to")]
    in_reply_to: Option<InReplyTo>,
}

#[derive(serde::Deserialize)]
struct InReplyTo {
    event_id: matrix_sdk::ruma::OwnedEventId,
}

/// How long ago, by the real clock, the homeserver received an event.
pub(super) fn age(sent: MilliSecondsSinceUnixEpoch) -> Option<Duration> {
    let now = MilliSecondsSinceUnixEpoch::now();
    let ms = u64::from(now.get()).checked_sub(u64::from(sent.get()))?;
    Some(Duration::from_millis(ms))
}

/// How many replies may be on their way to the homeserver at once. Each takes a round
/// trip (tens of milliseconds in a large room); sending them one by one made a burst of
/// questions drain at the homeserver's latency rather than at its throughput.
pub(super) const REPLIES_IN_FLIGHT: usize = 16;

/// Answers queued commands, each at most once. Commands wait their sender's turn
/// ([`Turns`]): one sender's in the order they came, and the sender served least recently
/// first, so a flood delays only those who send it. Each is decided and acted on in
/// that order (questions get their numbers in it), and the replies are sent
/// concurrently, though one sender's replies still in order. On shutdown, answers what is
/// queued, waits for the replies under way and stops.
pub(super) async fn answer_commands(
    bot: Matrix,
    mut queue: mpsc::Receiver<Incoming>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut replies = Replies::default();
    let mut turns = Turns::new(QUEUE_LIMIT);
    let mut queue_open = true;
    loop {
        // Take in everything queued, then answer in turns while replies can go out.
        while let Ok(incoming) = queue.try_recv() {
            wait_turn(&bot, &mut turns, incoming);
        }
        while replies.sending.len() < REPLIES_IN_FLIGHT {
            let Some(incoming) = turns.pop() else { break };
            replies.answer(&bot, incoming).await;
        }
        if *shutdown.borrow() {
            while let Some(incoming) = turns.pop() {
                replies.answer(&bot, incoming).await;
            }
            while replies.next_sent().await {}
            return;
        }
        tokio::select! {
            biased;
            incoming = queue.recv(), if queue_open => match incoming {
                Some(incoming) => wait_turn(&bot, &mut turns, incoming),
                None => queue_open = false,
            },
            true = replies.next_sent(), if !replies.sending.is_empty() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Queues a command for its sender's turn; one dropped to make room is counted.
pub(super) fn wait_turn(bot: &Matrix, turns: &mut Turns<Incoming>, incoming: Incoming) {
    let sender = incoming.event.sender.to_string();
    if let Some(dropped) = turns.push(&sender, incoming) {
        warn!(event = %dropped.event.event_id, sender = %dropped.event.sender,
            "the command queue is full ({QUEUE_LIMIT}); dropping the newest command of the sender with the most waiting");
        bot.bot.metrics.command_dropped(false);
    }
}

/// The replies under way (by the event id of their command), and for each sender a
/// signal that its latest reply is out.
#[derive(Default)]
pub(super) struct Replies {
    pub(super) sending: tokio::task::JoinSet<String>,
    pub(super) latest: HashMap<OwnedUserId, oneshot::Receiver<()>>,
    pub(super) under_way: HashSet<String>,
}

impl Replies {
    /// Waits for a reply under way to be out; false when none was.
    async fn next_sent(&mut self) -> bool {
        match self.sending.join_next().await {
            Some(Ok(event_id)) => {
                self.under_way.remove(&event_id);
                true
            }
            Some(Err(err)) => {
                warn!(error = %err, "a reply task failed");
                true
            }
            None => false,
        }
    }

    async fn answer(&mut self, matrix: &Matrix, incoming: Incoming) {
        while self.sending.len() >= REPLIES_IN_FLIGHT {
            self.next_sent().await;
        }
        let event_id = incoming.event.event_id.to_string();
        if self.under_way.contains(&event_id) {
            return; // delivered twice by the sync while its reply is on its way
        }
        let Some(reply) = decide_one(matrix, &incoming).await else {
            return;
        };
        self.under_way.insert(event_id.clone());
        let sender = incoming.event.sender.clone();
        let before = self.latest.remove(&sender);
        let (done, after) = oneshot::channel();
        self.latest.insert(sender, after);
        let matrix = matrix.clone();
        self.sending.spawn(async move {
            if let Some(before) = before {
                let _ = before.await;
            }
            send_reply(&matrix, incoming, reply).await;
            let _ = done.send(());
            event_id
        });
    }
}

/// Decides and acts on one command; `None` when it was answered before.
pub(super) async fn decide_one(matrix: &Matrix, incoming: &Incoming) -> Option<app::Reply> {
    let bot = &matrix.bot;
    let event_id = incoming.event.event_id.as_str();
    // Checked again when taken: a command may have waited in the queue.
    if too_old(matrix, &incoming.event) {
        return None;
    }
    match bot.store.was_answered(event_id) {
        Ok(true) => return None,
        Ok(false) => {}
        Err(err) => warn!(error = %err, "reading the store"),
    }
    let sender = &incoming.event.sender;
    let (role, scope) = match &incoming.command {
        Ok(command) if command.role() > Role::Attendee || matches!(command, Command::Help(_)) => {
            role_in(matrix, sender, &incoming.room).await
        }
        _ => (Role::Attendee, None),
    };
    let place = place_of(&bot.config, &incoming.room);
    let backstage = backstage_of(&bot.config, &incoming.room);
    let name = match incoming.room.get_member_no_sync(sender).await {
        Ok(Some(member)) => member.display_name().unwrap_or(sender.localpart()).to_string(),
        _ => sender.localpart().to_string(),
    };
    remember_direct_room(matrix, &incoming.room, sender).await;
    let from = Sender {
        user: sender.as_str(),
        name: &name,
        role,
        scope: scope.as_deref(),
        place: place.as_deref(),
        backstage: backstage.as_deref(),
        event: event_id,
    };
    Some(bot.answer(&matrix.out, &from, &incoming.command).await)
}

/// Sends the reply to one command and records it as answered.
pub(super) async fn send_reply(matrix: &Matrix, incoming: Incoming, reply: app::Reply) {
    let bot = &matrix.bot;
    let event_id = incoming.event.event_id.as_str();
    let content = RoomMessageEventContent::notice_html(reply.message.body(), reply.message.html())
        .add_mentions(Mentions::new())
        // In the thread the command was sent in, if any.
        .make_reply_to(&incoming.event, ForwardThread::Yes, AddMentions::No);
    // A transaction id from the command: a reply retried after a crash is not a second one.
    let transaction = outbox::transaction_id(&format!("reply:{event_id}"));
    // Retried here, not in the SDK: under a rate limit, each try first lets the reminders
    // held by it go (a reply can wait; a reminder that misses its minute cannot).
    let patience = command_max_age(bot);
    let give_up = Instant::now() + patience;
    let mut backoff = BACKOFF_START;
    let sent = loop {
        matrix
            .out
            .after_posts(give_up.saturating_duration_since(Instant::now()))
            .await;
        let sent = incoming
            .room
            .send(content.clone())
            .with_transaction_id(transaction.clone())
            .with_request_config(RequestConfig::new().retry_limit(0).timeout(Duration::from_secs(30)))
            .await
            .map_err(|err| outbox::classify(err, &format!("answering in {}", incoming.room.room_id())));
        let wait = match &sent {
            Err(SendError::Busy { retry_after, .. }) => *retry_after,
            Err(SendError::Failed(_)) => {
                backoff = (backoff * 2).min(BACKOFF_MAX);
                backoff / 2
            }
            _ => break sent,
        };
        if Instant::now() + wait >= give_up {
            break sent;
        }
        tokio::time::sleep(wait).await;
    };
    match sent {
        Ok(sent) => {
            match reply.link {
                Some(app::Link::Receipt(number)) => {
                    app::relay::link_receipt(bot, number, sent.response.event_id.as_str())
                }
                Some(app::Link::Preview(id)) => app::broadcasts::link_preview(
                    bot,
                    id,
                    incoming.room.room_id().as_str(),
                    sent.response.event_id.as_str(),
                ),
                None => {}
            }
            let command = incoming.command.as_ref().map(Command::name).unwrap_or("usage");
            bot.metrics.reply_sent();
            bot.metrics.command(command, incoming.received.elapsed());
            info!(room = %incoming.room.room_id(), %command, "answered");
            if let Err(err) = bot.store.mark_answered(event_id, crate::infra::clock::now_ms()) {
                warn!(error = %err, "recording the answer");
            }
        }
        Err(err) => {
            bot.metrics.reply_failed();
            warn!(room = %incoming.room.room_id(), error = %err, "could not send the answer")
        }
    }
}

/// ✅ ❌ 💬 on a question in the moderators room (from a moderator), 👍 on a receipt.
pub(super) async fn on_reaction(event: OriginalSyncReactionEvent, room: Room, Ctx(matrix): Ctx<Matrix>) {
    if event.sender == matrix.own_user {
        return;
    }
    checked_in(&matrix, &room, &event.sender);
    let bot = &matrix.bot;
    let (target, key) = (
        event.content.relates_to.event_id.as_str(),
        &event.content.relates_to.key,
    );
    let (sender, reaction) = (event.sender.as_str(), event.event_id.as_str());
    if let Some((question, on)) = app::relay::reacted_to(bot, target) {
        return on_question(&matrix, question, on, key, &event.sender, reaction).await;
    }
    if let Some(broadcast) = app::broadcasts::reacted_to(bot, target) {
        return app::broadcasts::react(bot, &matrix.out, &broadcast, key, sender, reaction).await;
    }
    if let Some(card) = app::bells::card(bot, room.room_id().as_str(), target) {
        app::bells::react(bot, &matrix.out, card, key, sender, reaction).await;
    }
}

/// A reaction on a question's post: a moderator's triage, or a vote on a receipt.
async fn on_question(
    matrix: &Matrix,
    question: crate::questions::Question,
    on: crate::questions::QuestionEvent,
    key: &str,
    sender: &UserId,
    reaction: &str,
) {
    let bot = &matrix.bot;
    // A reaction on a question's post in its moderators room: the role there.
    let triaged_in = bot.question_rooms(&question.session_id).moderators.map(str::to_string);
    let room = match triaged_in {
        Some(name) if on == crate::questions::QuestionEvent::Relay => matrix.out.joined(&name).await,
        _ => None,
    };
    let (role, scope) = match room {
        Some(room) => role_in(matrix, sender, &room).await,
        None => (Role::Attendee, None),
    };
    // No answer in the room: the relay post is edited to show the new status.
    let by = (role, scope.as_deref());
    app::relay::react(bot, &matrix.out, &question, on, key, sender.as_str(), by, reaction).await;
}
