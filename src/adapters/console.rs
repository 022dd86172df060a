//! The terminal adapter (`confbot console`): the bot without a homeserver. Each line typed
//! (or piped) is a message from one user; the bot answers it with the same code that
//! answers on Matrix, and its reminders, announcements and relayed questions print with the
//! room they would go to. Lines starting with `/` steer the console itself.

use crate::app::{Bot, Outbox, SendError, Sender};
use crate::command::address::Listener;
use crate::command::Role;
use crate::infra::clock::Clock;
use crate::present::message::Message;
use crate::questions::Status;
use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify};

/// The longest the console waits, after a line, for the posts and relays it caused.
const SETTLE: Duration = Duration::from_secs(3);

/// Who types, where, and until when the console runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub user: String,
    /// The role to act in; from `[access]` when absent.
    pub role: Option<Role>,
    /// The schedule room or track the user types in (a key of `[rooms.map]` or a room name).
    pub place: Option<String>,
    /// The speakers room or backstage the user types in, as the config names it.
    pub backstage: Option<String>,
    /// After the input ends, keep the clock running (and posting) until it reads this.
    pub until: Option<DateTime<Tz>>,
    /// Echo each input line (for transcripts of piped input).
    pub echo: bool,
}

impl Options {
    /// Types from now on in `room`: a schedule room or track, or a chat room the config
    /// names (`#…` or `!…`: a mapped room, a moderators room, a speakers room or
    /// backstage); `None`: a direct chat.
    pub fn enter(&mut self, rooms: &crate::rooms::Rooms, room: Option<&str>) -> Result<(), String> {
        (self.place, self.backstage) = (None, None);
        let Some(room) = room else {
            return Ok(());
        };
        if !room.starts_with(['#', '!']) {
            self.place = Some(room.to_string());
            return Ok(());
        }
        if let Some((place, _)) = rooms.map.iter().find(|(_, place)| place.room == room) {
            self.place = Some(place.clone());
        } else if rooms.speakers_rooms().contains(&room) {
            self.backstage = Some(room.to_string());
        } else if !rooms.all().contains(&room) {
            return Err(format!("{room} is not a room the config names"));
        }
        Ok(())
    }

    /// Where the user types, as the console's greeting says it.
    fn whereabouts(&self) -> String {
        match (&self.place, &self.backstage) {
            (Some(place), _) => format!(" in {place}"),
            (None, Some(backstage)) => format!(" in {backstage}"),
            (None, None) => String::new(),
        }
    }
}

/// Prints the bot's messages as they would appear in their rooms; like a homeserver, it
/// delivers a message key once.
#[derive(Clone)]
struct Terminal {
    clock: Clock,
    sent: Arc<Mutex<HashSet<String>>>,
    events: Arc<AtomicU64>,
    /// Tells this run's event ids from an earlier run's, which a kept store remembers.
    run: i64,
    /// Wakes the console when something was printed.
    printed: Arc<Notify>,
}

impl Terminal {
    fn new(clock: Clock) -> Terminal {
        Terminal {
            clock,
            sent: Arc::default(),
            events: Arc::default(),
            run: crate::infra::clock::now_ms(),
            printed: Arc::default(),
        }
    }

    fn event_id(&self) -> String {
        format!(
            "$console-{}-{}",
            self.run,
            self.events.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    /// Prints `body` after `who`, stamped with the bot's clock; continuation lines indented.
    fn print(&self, who: &str, body: &str) {
        let now = self.clock.now();
        let stamp = format!(
            "[{} {}]",
            crate::time::clock(&now),
            crate::time::zone_abbreviation(&now)
        );
        let mut text = format!("{stamp} {who}: ");
        for (i, line) in body.lines().enumerate() {
            if i > 0 {
                text.push_str("\n    ");
            }
            text.push_str(line);
        }
        text.push('\n');
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        self.printed.notify_waiters();
    }

    /// Whether `key` is new (and now taken).
    fn first_time(&self, key: &str) -> bool {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string())
    }
}

impl Outbox for Terminal {
    async fn post(&self, room: &str, message: &Message, _notice: bool, key: &str) -> Result<String, SendError> {
        if self.first_time(key) {
            self.print(&format!("confbot in {room}"), message.body());
        }
        Ok(self.event_id())
    }

    async fn direct(&self, user: &str, message: &Message, _notice: bool, key: &str) -> Result<(), SendError> {
        if self.first_time(key) {
            self.print(&format!("confbot to {user} (direct message)"), message.body());
        }
        Ok(())
    }

    async fn withdraw(&self, room: &str, event: &str, reason: &str) -> Result<(), SendError> {
        self.print(&format!("confbot in {room}"), &format!("(took back {event}: {reason})"));
        Ok(())
    }

    async fn edit(
        &self,
        room: &str,
        event: &str,
        message: &Message,
        _notice: bool,
        key: &str,
    ) -> Result<(), SendError> {
        if self.first_time(key) {
            self.print(&format!("confbot in {room}, editing {event}"), message.body());
        }
        Ok(())
    }

    async fn pin(&self, room: &str, event: Option<&str>, unpin: &[String]) -> Result<(), SendError> {
        for event in unpin {
            self.print(&format!("confbot in {room}"), &format!("(unpinned {event})"));
        }
        if let Some(event) = event {
            self.print(&format!("confbot in {room}"), &format!("(pinned {event})"));
        }
        Ok(())
    }

    async fn set_topic(&self, room: &str, topic: &str) -> Result<(), SendError> {
        self.print(&format!("confbot in {room}"), &format!("(topic) {topic}"));
        Ok(())
    }

    async fn invite(&self, room: &str, user: &str) -> Result<(), SendError> {
        self.print(&format!("confbot in {room}"), &format!("(invites {user})"));
        Ok(())
    }

    async fn react(&self, room: &str, event: &str, key: &str) -> Result<(), SendError> {
        self.print(&format!("confbot in {room}"), &format!("(reacts {key} to {event})"));
        Ok(())
    }
}

/// Runs the console on `bot` over standard input until it ends (then until `until`).
pub async fn run(bot: Bot, first_start: bool, mut options: Options) -> anyhow::Result<()> {
    let out = Terminal::new(bot.clock);
    let (stop, shutdown) = watch::channel(false);
    let tasks = bot.spawn_tasks(out.clone(), first_start, shutdown);

    let (lines_in, mut lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if lines_in.send(line).is_err() {
                return;
            }
        }
    });
    if std::io::stdin().is_terminal() {
        eprintln!(
            "confbot console: you are {} ({}){}; the bot's clock reads {}. \
             Type commands such as {prefix}help or {prefix}next; /help for the console's own; Ctrl-D to quit.",
            options.user,
            role_name(role_of(&bot, &options)),
            options.whereabouts(),
            crate::present::render::instant(&bot.clock.now()),
            prefix = bot.config.commands.prefix,
        );
    }
    settle(&bot, &out).await;
    while let Some(line) = lines.recv().await {
        let line = line?;
        match console_line(&bot, &out, &mut options, &line).await {
            Ok(Flow::Go) => {}
            Ok(Flow::Quit) => break,
            Err(problem) => eprintln!("confbot console: {problem}"),
        }
        settle(&bot, &out).await;
    }
    if let Some(until) = options.until {
        wait_until(&bot, &out, until).await;
    }
    let _ = stop.send(true);
    tasks.finish(Duration::from_secs(10)).await;
    Ok(())
}

enum Flow {
    Go,
    Quit,
}

/// One line of input: a console control (`/...`), a command for the bot, or chat.
async fn console_line(bot: &Bot, out: &Terminal, options: &mut Options, line: &str) -> Result<Flow, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(Flow::Go);
    }
    if let Some(control) = line.trim().strip_prefix('/') {
        return control_line(bot, out, options, control).await;
    }
    if options.echo {
        out.print(&options.user, line);
    }
    // The console is a room with the bot in it: a command starts with the prefix.
    let listener = Listener {
        prefix: &bot.config.commands.prefix,
        names: &[],
        mentioned: false,
        direct: false,
    };
    let Some(command) = listener.hear(line).and_then(|heard| heard.command()) else {
        return Ok(Flow::Go); // chat, not for the bot
    };
    let event = out.event_id();
    let name = options
        .user
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap_or(&options.user)
        .to_string();
    let from = Sender {
        user: &options.user,
        name: &name,
        role: role_of(bot, options),
        scope: None,
        place: options.place.as_deref(),
        backstage: options.backstage.as_deref(),
        event: &event,
    };
    let reply = bot.answer(out, &from, &command).await;
    out.print("confbot", reply.message.body());
    Ok(Flow::Go)
}

/// The console's own commands, for `/help` and `confbot console --help`.
pub const HELP: &str = "Lines starting with / steer the console:
  /as USER [ROLE]   type as USER (a Matrix ID), as attendee, moderator or organizer
  /role ROLE        act as attendee, moderator or organizer
  /room [PLACE]     type in the room for PLACE (a schedule room or track, or a room the
                    config names, such as a backstage); none: a direct chat
  /wait DURATION    let the bot's clock run on, e.g. /wait 10m
  /until TIME       let it run until TIME, e.g. /until 12:00
  /quit             stop (so does the end of input)

Examples:
  printf '!next\\n' | confbot console --schedule data/centos-connect-2023.toml --now 2023-02-03T09:10
  confbot console --config confbot.toml --now 2023-02-03T08:45 --speed 120 --until 18:00 </dev/null";

async fn control_line(bot: &Bot, out: &Terminal, options: &mut Options, control: &str) -> Result<Flow, String> {
    let mut words = control.split_whitespace();
    let name = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    match (name, rest.as_slice()) {
        ("help", _) => println!("{HELP}"),
        ("quit" | "exit", _) => return Ok(Flow::Quit),
        ("as", [user, role @ ..]) if role.len() <= 1 => {
            options.user = user.to_string();
            options.role = role.first().map(|r| parse_role(r)).transpose()?;
        }
        ("role", [role]) => options.role = Some(parse_role(role)?),
        ("room", []) => options.enter(&bot.config.rooms, None)?,
        ("room", room) => options.enter(&bot.config.rooms, Some(&room.join(" ")))?,
        ("wait", [span]) => {
            let span = crate::duration::parse(span).map_err(|err| format!("/wait {span}: {err}"))?;
            wait_until(bot, out, bot.clock.now() + span).await;
        }
        ("until", time) if !time.is_empty() => {
            let until =
                crate::time::parse_on(&time.join(" "), bot.clock.now()).map_err(|err| format!("/until: {err}"))?;
            wait_until(bot, out, until).await;
        }
        _ => return Err(format!("unknown /{control}; /help lists what the console understands")),
    }
    Ok(Flow::Go)
}

pub fn parse_role(name: &str) -> Result<Role, String> {
    match name.to_ascii_lowercase().as_str() {
        "attendee" => Ok(Role::Attendee),
        "moderator" => Ok(Role::Moderator),
        "organizer" | "organiser" => Ok(Role::Organizer),
        other => Err(format!("{other}: not a role; use attendee, moderator or organizer")),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Attendee => "attendee",
        Role::Moderator => "moderator",
        Role::Organizer => "organizer",
    }
}

/// The role chosen, or the one `[access]` gives the user.
fn role_of(bot: &Bot, options: &Options) -> Role {
    options
        .role
        .unwrap_or_else(|| bot.config.access.listed_role(&options.user))
}

/// Lets the clock run until it reads `until`, then waits for the posts due by then.
async fn wait_until(bot: &Bot, out: &Terminal, until: DateTime<Tz>) {
    tokio::time::sleep(bot.clock.real_until(until)).await;
    settle(bot, out).await;
}

/// Waits (up to `SETTLE`) until every post due by now is done and every question has gone
/// where it goes, so that output follows the input that caused it.
async fn settle(bot: &Bot, out: &Terminal) {
    let deadline = Instant::now() + SETTLE;
    while !settled(bot) && Instant::now() < deadline {
        tokio::select! {
            _ = out.printed.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
}

fn settled(bot: &Bot) -> bool {
    let now = bot.clock.now();
    let zone = bot.zone();
    let loaded = bot.loaded();
    let from_chat = bot.from_chat();
    let posts_done = crate::plan::posts(
        &loaded.schedule,
        bot.config.rules(),
        &from_chat,
        now - TimeDelta::days(1),
        now,
    )
    .iter()
    .all(|post| bot.post_done(&post.key) != Some(false));
    let topics = crate::app::topics::up_to_date(bot);
    if !bot.config.questions.enabled {
        return posts_done && topics;
    }
    // Questions whose session has no moderators (or speakers) room wait for none.
    let relayed = (bot.store.unrelayed_questions(zone))
        .map(|q| q.iter().all(|q| bot.question_rooms(&q.session_id).moderators.is_none()))
        .unwrap_or(true);
    let delivered = (bot.store.approved_not_delivered(zone))
        .map(|q| {
            q.iter()
                .all(|q| q.status != Status::Approved || bot.question_rooms(&q.session_id).speakers.is_none())
        })
        .unwrap_or(true);
    posts_done && relayed && delivered && topics && crate::app::boards::up_to_date(bot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_in_any_case() {
        assert_eq!(parse_role("Moderator"), Ok(Role::Moderator));
        assert_eq!(parse_role("organiser"), Ok(Role::Organizer));
        assert!(parse_role("speaker")
            .unwrap_err()
            .contains("attendee, moderator or organizer"));
    }
}
