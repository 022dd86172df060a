//! The bot's configuration: one TOML file, every key documented in
//! `config/confbot.example.toml`. Reading the file ([`Config::load`]) is separate from
//! parsing it ([`Config::from_toml`]), which is pure and checks every value into typed form.

use crate::questions::{self, Rate, Rules};
use crate::schedule::format::Format;
use crate::schedule::{Schedule, SessionKind};
use crate::source::{Location, Source};
use crate::{duration, text, time};
use anyhow::Context;
use chrono::TimeDelta;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Everything wrong with a config file, each naming its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: error: {problem}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// How to reach the homeserver; absent for offline use (`check`, `schedule`).
    pub matrix: Option<MatrixConfig>,
    pub schedule: ScheduleConfig,
    pub rooms: RoomsConfig,
    pub reminders: RemindersConfig,
    pub access: AccessConfig,
    pub questions: QuestionsConfig,
    pub commands: CommandsConfig,
    pub metrics: MetricsConfig,
    pub announcements: Vec<AnnouncementConfig>,
}

/// `[commands]`: how often one attendee may command the bot.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandsConfig {
    /// At most this many commands a window from one sender (organizers and moderators
    /// are not limited); `None` when "off".
    pub per_user: Option<Rate>,
}

/// The default `[commands] per_user`: 10 commands in 10 seconds.
pub const DEFAULT_COMMANDS_PER_USER: Rate = Rate {
    count: 10,
    window: TimeDelta::seconds(10),
};

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixConfig {
    pub homeserver: String,
    pub user: String,
    pub device_name: String,
    /// matrix-sdk's stores, the saved session and the bot's own store live here.
    pub state_dir: PathBuf,
    /// Where the password is read from when `CONFBOT_PASSWORD` is not set.
    pub password_file: Option<PathBuf>,
    /// Commands older than this (sent while the bot was down) are not answered.
    pub command_max_age: TimeDelta,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    /// A file (relative to the config file) or an `https://` URL.
    pub source: Location,
    /// The format; recognised from the content when absent.
    pub format: Option<Format>,
    /// For schedule formats that carry no zone.
    pub timezone: Option<Tz>,
    /// How often a URL source is fetched again.
    pub refresh: TimeDelta,
}

impl ScheduleConfig {
    /// Where and how to read the schedule.
    pub fn to_source(&self) -> Source {
        Source::new(self.source.clone(), self.format, self.timezone)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomsConfig {
    pub announcements: Vec<String>,
    pub moderators: Option<String>,
    pub speakers: Option<String>,
    /// Schedule room or track name → Matrix room id or alias.
    pub map: BTreeMap<String, String>,
}

impl RoomsConfig {
    /// Where a post about something in `places` (a session's room and track) goes: the
    /// announcements rooms, and the Matrix room `[rooms.map]` gives each place.
    pub fn post_targets<'a>(&self, places: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut targets = self.announcements.clone();
        for place in places {
            let mapped = self.map.iter().find(|(name, _)| name.eq_ignore_ascii_case(place));
            if let Some((_, room)) = mapped {
                if !targets.contains(room) {
                    targets.push(room.clone());
                }
            }
        }
        targets
    }

    /// The Matrix rooms a room name from the config stands for: "announcements" (all of
    /// them), "moderators", "speakers", or a key of `[rooms.map]`.
    pub fn targets(&self, name: &str) -> Vec<String> {
        match name {
            "announcements" => self.announcements.clone(),
            "moderators" => self.moderators.iter().cloned().collect(),
            "speakers" => self.speakers.iter().cloned().collect(),
            place => self.map.get(place).cloned().into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RemindersConfig {
    pub lead: Vec<TimeDelta>,
    pub grace: TimeDelta,
    /// Kinds of session that get no reminder.
    pub skip_kinds: Vec<SessionKind>,
    /// Post reminders as `m.notice` (the default) or as `m.text`.
    pub as_notice: bool,
    /// Lead time as written ("10m") → template with `{placeholders}`.
    pub templates: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessConfig {
    pub organizers: Vec<String>,
    pub moderators: Vec<String>,
    /// Users ("@alice:example.org") and servers ("example.org") whose invites the bot accepts.
    pub invite: Vec<String>,
    /// At least this power level in the moderators room makes a user an organizer.
    pub organizer_power_level: i64,
    /// At least this power level in the moderators room makes a user a moderator.
    pub moderator_power_level: i64,
}

impl AccessConfig {
    /// The role the lists give `user`: organizer, moderator, or attendee when in neither.
    pub fn listed_role(&self, user: &str) -> crate::command::Role {
        use crate::command::Role;
        if self.organizers.iter().any(|o| o == user) {
            Role::Organizer
        } else if self.moderators.iter().any(|m| m == user) {
            Role::Moderator
        } else {
            Role::Attendee
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionsConfig {
    pub enabled: bool,
    /// The longest question accepted, in characters.
    pub max_length: usize,
    /// Tell askers when their question is passed on, answered or rejected.
    pub notify_asker: bool,
    /// How many questions one attendee may ask in a window; `None` when "off".
    pub per_user: Option<Rate>,
}

impl QuestionsConfig {
    /// The limits [`questions::check_ask`] applies.
    pub fn rules(&self) -> Rules {
        Rules {
            max_length: self.max_length,
            per_user: self.per_user,
        }
    }
}

/// The HTTP endpoint for `/metrics` (Prometheus) and `/healthz`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsConfig {
    /// Where to listen; `None` (the default) serves nothing.
    pub listen: Option<SocketAddr>,
}

/// An announcement an organizer scheduled in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnouncementConfig {
    pub text: String,
    /// A room name: "announcements", "moderators", "speakers" or a key of `[rooms.map]`.
    pub room: String,
    pub when: AnnouncementTime,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnnouncementTime {
    /// A local time in the conference zone, as written ("2023-02-03T08:45").
    At(String),
    /// A cron expression evaluated in the conference zone.
    Cron(String),
    /// An offset from a session's start: negative is before.
    Session { session: String, offset: TimeDelta },
}

// The file as written. Every table rejects keys it does not know.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    matrix: Option<RawMatrix>,
    schedule: RawSchedule,
    #[serde(default)]
    rooms: RawRooms,
    #[serde(default)]
    reminders: RawReminders,
    #[serde(default)]
    access: RawAccess,
    #[serde(default)]
    questions: RawQuestions,
    #[serde(default)]
    commands: RawCommands,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    announcements: Vec<RawAnnouncement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    homeserver: String,
    user: String,
    device_name: Option<String>,
    state_dir: Option<PathBuf>,
    password_file: Option<PathBuf>,
    command_max_age: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    source: String,
    format: Option<String>,
    timezone: Option<String>,
    refresh: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRooms {
    #[serde(default)]
    announcements: Vec<String>,
    moderators: Option<String>,
    speakers: Option<String>,
    #[serde(default)]
    map: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReminders {
    lead: Option<Vec<String>>,
    grace: Option<String>,
    #[serde(default)]
    skip_kinds: Vec<SessionKind>,
    msgtype: Option<String>,
    #[serde(default)]
    templates: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    #[serde(default)]
    organizers: Vec<String>,
    #[serde(default)]
    moderators: Vec<String>,
    #[serde(default)]
    invite: Vec<String>,
    organizer_power_level: Option<i64>,
    moderator_power_level: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawQuestions {
    enabled: Option<bool>,
    max_length: Option<usize>,
    notify_asker: Option<bool>,
    per_user: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCommands {
    per_user: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnnouncement {
    text: String,
    room: String,
    at: Option<String>,
    cron: Option<String>,
    before: Option<String>,
    after: Option<String>,
    session: Option<String>,
}

pub const DEFAULT_LEAD: [&str; 2] = ["10m", "0m"];

impl Config {
    /// Reads and checks the config at `path`; relative paths in it are taken from the
    /// config file's folder.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        let mut config = Config::from_toml(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or(Path::new(""));
        if let Location::File(file) = &mut config.schedule.source {
            *file = base.join(&*file);
        }
        if let Some(matrix) = &mut config.matrix {
            matrix.state_dir = base.join(&matrix.state_dir);
            if let Some(file) = &mut matrix.password_file {
                *file = base.join(&*file);
            }
        }
        Ok(config)
    }

    /// Parses and checks a config document; `source` names it in error messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Config, ConfigError> {
        let fail = |problems: Vec<String>| ConfigError {
            source: source.to_string(),
            problems,
        };
        if let Some(problem) = secret_in_file(text) {
            return Err(fail(vec![problem]));
        }
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| format!("line {}: ", text[..span.start].matches('\n').count() + 1))
                .unwrap_or_default();
            fail(vec![format!("{line}{}", err.message().trim())])
        })?;
        let mut checker = Checker::default();
        let config = checker.config(raw);
        if checker.problems.is_empty() {
            Ok(config)
        } else {
            Err(fail(checker.problems))
        }
    }

    /// Checks the parts of the config that refer to the schedule: sessions named by
    /// announcements, rooms in `[rooms.map]`, announcement times in the conference zone.
    pub fn check_against(&self, schedule: &Schedule) -> Vec<String> {
        let mut problems = Vec::new();
        let places: Vec<&str> = schedule
            .sessions()
            .iter()
            .flat_map(|s| [s.room.as_deref(), s.track.as_deref()])
            .flatten()
            .collect();
        for place in self.rooms.map.keys() {
            if !places.iter().any(|p| p.eq_ignore_ascii_case(place)) {
                let hint = text::closest(place, places.iter().copied())
                    .map(|p| format!("did you mean \"{p}\"?"))
                    .unwrap_or_else(|| "use a room or track name from the schedule".to_string());
                problems.push(format!(
                    "[rooms.map] \"{place}\" is not a room or track of the schedule: {hint}"
                ));
            }
        }
        for (i, announcement) in self.announcements.iter().enumerate() {
            let key = format!("[[announcements]] #{}", i + 1);
            match &announcement.when {
                AnnouncementTime::Session { session, .. } if schedule.session(session).is_none() => {
                    problems.push(format!("{key} session: no session has the id \"{session}\""));
                }
                AnnouncementTime::At(at) => {
                    if let Err(err) = time::parse_instant(at, schedule.timezone()) {
                        problems.push(format!("{key} at: {err}"));
                    }
                }
                _ => {}
            }
        }
        problems
    }
}

/// A password must never be written in the config file.
fn secret_in_file(text: &str) -> Option<String> {
    let value: toml::Table = toml::from_str(text).ok()?;
    let matrix = value.get("matrix")?.as_table()?;
    ["password", "access_token"].iter().find(|k| matrix.contains_key(**k)).map(|k| {
        format!("[matrix] {k}: secrets do not belong in the config file; set the environment variable CONFBOT_PASSWORD or point password_file at a file only the bot can read")
    })
}

#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn duration(&mut self, key: &str, value: &str) -> TimeDelta {
        duration::parse(value).unwrap_or_else(|err| {
            self.problems.push(format!("{key}: {err}"));
            TimeDelta::zero()
        })
    }

    fn user_id(&mut self, key: &str, value: &str) {
        if !is_user_id(value) {
            self.problems.push(format!(
                "{key}: \"{value}\" is not a Matrix user id: write it as \"@name:server\""
            ));
        }
    }

    fn room(&mut self, key: &str, value: &str) {
        if !is_room_reference(value) {
            self.problems.push(format!(
                "{key}: \"{value}\" is not a Matrix room: write a room id (\"!abc…\", as Element shows it in the room's settings) or an alias (\"#name:server\")"
            ));
        }
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let matrix = raw.matrix.map(|m| self.matrix(m));
        let timezone = raw.schedule.timezone.as_deref().and_then(|name| {
            Tz::from_str(name)
                .map_err(|_| {
                    let hint = time::closest_zone(name)
                        .map(|z| format!("did you mean \"{z}\"?"))
                        .unwrap_or_else(|| "use an IANA zone name such as \"Europe/Brussels\"".to_string());
                    self.problems.push(format!(
                        "[schedule] timezone: \"{name}\" is not a known time zone: {hint}"
                    ));
                })
                .ok()
        });
        let rooms = self.rooms(raw.rooms);
        let reminders = self.reminders(raw.reminders);
        let access = self.access(raw.access);
        let questions = self.questions(raw.questions);
        let commands = CommandsConfig {
            per_user: self.rate_or_off(
                "[commands] per_user",
                raw.commands.per_user.as_deref(),
                DEFAULT_COMMANDS_PER_USER,
            ),
        };
        let metrics = self.metrics(raw.metrics);
        let announcements = raw
            .announcements
            .into_iter()
            .enumerate()
            .filter_map(|(i, a)| self.announcement(i + 1, a, &rooms))
            .collect();
        Config {
            matrix,
            schedule: ScheduleConfig {
                source: {
                    let source = Location::parse(&raw.schedule.source);
                    if let Err(err) = source.check() {
                        self.problems.push(format!("[schedule] source: {err}"));
                    }
                    source
                },
                format: raw.schedule.format.as_deref().and_then(|f| {
                    f.parse::<Format>()
                        .map_err(|err| self.problems.push(format!("[schedule] format: {err}")))
                        .ok()
                }),
                timezone,
                refresh: self.duration("[schedule] refresh", raw.schedule.refresh.as_deref().unwrap_or("10m")),
            },
            rooms,
            reminders,
            access,
            questions,
            commands,
            metrics,
            announcements,
        }
    }

    fn matrix(&mut self, raw: RawMatrix) -> MatrixConfig {
        if !(raw.homeserver.starts_with("http://") || raw.homeserver.starts_with("https://")) {
            self.problems.push(format!(
                "[matrix] homeserver: \"{}\" is not a URL: write it as \"https://matrix.example.org\"",
                raw.homeserver
            ));
        }
        self.user_id("[matrix] user", &raw.user);
        let command_max_age = self.duration(
            "[matrix] command_max_age",
            raw.command_max_age.as_deref().unwrap_or("5m"),
        );
        MatrixConfig {
            homeserver: raw.homeserver,
            user: raw.user,
            device_name: raw.device_name.unwrap_or_else(|| "confbot".to_string()),
            state_dir: raw.state_dir.unwrap_or_else(|| PathBuf::from("state")),
            password_file: raw.password_file,
            command_max_age,
        }
    }

    fn rooms(&mut self, raw: RawRooms) -> RoomsConfig {
        for room in &raw.announcements {
            self.room("[rooms] announcements", room);
        }
        for (key, room) in [("moderators", &raw.moderators), ("speakers", &raw.speakers)] {
            if let Some(room) = room {
                self.room(&format!("[rooms] {key}"), room);
            }
        }
        for (place, room) in &raw.map {
            self.room(&format!("[rooms.map] \"{place}\""), room);
        }
        RoomsConfig {
            announcements: raw.announcements,
            moderators: raw.moderators,
            speakers: raw.speakers,
            map: raw.map,
        }
    }

    fn reminders(&mut self, raw: RawReminders) -> RemindersConfig {
        let lead_strings: Vec<String> = raw
            .lead
            .unwrap_or_else(|| DEFAULT_LEAD.iter().map(|s| s.to_string()).collect());
        let mut lead: Vec<TimeDelta> = lead_strings
            .iter()
            .map(|l| self.duration("[reminders] lead", l))
            .collect();
        lead.sort_by(|a, b| b.cmp(a));
        lead.dedup();
        let grace = self.duration("[reminders] grace", raw.grace.as_deref().unwrap_or("2m"));
        let as_notice = match raw.msgtype.as_deref() {
            None | Some("notice") | Some("m.notice") => true,
            Some("text") | Some("m.text") => false,
            Some(other) => {
                self.problems.push(format!(
                    "[reminders] msgtype: \"{other}\" is neither \"notice\" nor \"text\""
                ));
                true
            }
        };
        let mut templates = BTreeMap::new();
        for (key, template) in raw.templates {
            match duration::parse(&key) {
                Ok(lead_time) => {
                    if !lead.contains(&lead_time) {
                        self.problems.push(format!(
                            "[reminders.templates] \"{key}\": not one of the lead times in [reminders] lead"
                        ));
                    }
                    for name in crate::plan::unknown_placeholders(&template) {
                        self.problems.push(format!(
                            "[reminders.templates] \"{key}\": unknown placeholder {{{name}}}; use {}",
                            crate::plan::PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                        ));
                    }
                    templates.insert(duration::Compact(lead_time).to_string(), template);
                }
                Err(err) => self.problems.push(format!("[reminders.templates] \"{key}\": {err}")),
            }
        }
        RemindersConfig {
            lead,
            grace,
            skip_kinds: raw.skip_kinds,
            as_notice,
            templates,
        }
    }

    fn questions(&mut self, raw: RawQuestions) -> QuestionsConfig {
        let max_length = raw.max_length.unwrap_or(questions::DEFAULT_MAX_LENGTH);
        if max_length == 0 {
            self.problems
                .push("[questions] max_length: must be at least 1".to_string());
        }
        let per_user = self.rate_or_off(
            "[questions] per_user",
            raw.per_user.as_deref(),
            questions::DEFAULT_PER_USER,
        );
        QuestionsConfig {
            enabled: raw.enabled.unwrap_or(true),
            max_length,
            notify_asker: raw.notify_asker.unwrap_or(false),
            per_user,
        }
    }

    /// A rate ("3/1m"), or `None` for "off"; `default` when not written.
    fn rate_or_off(&mut self, key: &str, value: Option<&str>, default: Rate) -> Option<Rate> {
        match value.map(str::trim) {
            None => Some(default),
            Some(off) if off.eq_ignore_ascii_case("off") => None,
            Some(rate) => rate
                .parse::<Rate>()
                .map_err(|err| self.problems.push(format!("{key}: {err}, or \"off\"")))
                .ok(),
        }
    }

    fn metrics(&mut self, raw: RawMetrics) -> MetricsConfig {
        let listen = raw.listen.and_then(|listen| {
            listen
                .trim()
                .parse::<SocketAddr>()
                .map_err(|_| {
                    self.problems.push(format!(
                        "[metrics] listen: \"{listen}\" is not an address and port: write it like \"127.0.0.1:9187\" or \"[::1]:9187\""
                    ))
                })
                .ok()
        });
        MetricsConfig { listen }
    }

    fn access(&mut self, raw: RawAccess) -> AccessConfig {
        for (key, users) in [("organizers", &raw.organizers), ("moderators", &raw.moderators)] {
            for user in users {
                self.user_id(&format!("[access] {key}"), user);
            }
        }
        for entry in &raw.invite {
            let server = entry.trim_start_matches(':');
            if !(is_user_id(entry) || is_server_name(server)) {
                self.problems.push(format!(
                    "[access] invite: \"{entry}\" is neither a user (\"@name:server\") nor a server name (\"example.org\")"
                ));
            }
        }
        // 100: the room's administrators. A moderator at 50 triages questions; delaying the
        // schedule and posting announcements is for organizers.
        let organizer_power_level = raw.organizer_power_level.unwrap_or(100);
        let moderator_power_level = raw.moderator_power_level.unwrap_or(50);
        if moderator_power_level > organizer_power_level {
            self.problems.push(format!(
                "[access] moderator_power_level: {moderator_power_level} is above organizer_power_level {organizer_power_level}; organizers are moderators too, so it would never apply: lower it"
            ));
        }
        AccessConfig {
            organizers: raw.organizers,
            moderators: raw.moderators,
            invite: raw.invite,
            organizer_power_level,
            moderator_power_level,
        }
    }

    fn announcement(&mut self, number: usize, raw: RawAnnouncement, rooms: &RoomsConfig) -> Option<AnnouncementConfig> {
        let key = format!("[[announcements]] #{number}");
        let problems_before = self.problems.len();
        if raw.text.trim().is_empty() {
            self.problems.push(format!("{key} text: is empty"));
        }
        let known_room = match raw.room.as_str() {
            "announcements" => !rooms.announcements.is_empty(),
            "moderators" => rooms.moderators.is_some(),
            "speakers" => rooms.speakers.is_some(),
            place => rooms.map.contains_key(place),
        };
        if !known_room {
            let names: Vec<&str> = ["announcements", "moderators", "speakers"]
                .into_iter()
                .chain(rooms.map.keys().map(String::as_str))
                .collect();
            self.problems.push(format!(
                "{key} room: \"{}\" is not a room configured in [rooms]; use one of: {}",
                raw.room,
                names.join(", ")
            ));
        }
        let chosen = [
            raw.at.is_some(),
            raw.cron.is_some(),
            raw.before.is_some(),
            raw.after.is_some(),
        ]
        .iter()
        .filter(|&&x| x)
        .count();
        if chosen != 1 {
            self.problems.push(format!(
                "{key}: give exactly one of at = \"2023-02-03T08:45\", cron = \"0 9 * * *\", before = \"15m\" or after = \"5m\" (with session = \"ID\")"
            ));
            return None;
        }
        if (raw.before.is_some() || raw.after.is_some()) != raw.session.is_some() {
            self.problems.push(format!(
                "{key} session: before and after need session = \"ID\", and session needs before or after"
            ));
            return None;
        }
        let when = if let Some(at) = raw.at {
            if time::parse_naive(&at).is_none() && chrono::DateTime::parse_from_rfc3339(&at).is_err() {
                self.problems.push(format!(
                    "{key} at: \"{at}\" is not a time: write a local time such as \"2023-02-03T08:45\""
                ));
            }
            AnnouncementTime::At(at)
        } else if let Some(cron) = raw.cron {
            if let Err(err) = parse_cron(&cron) {
                self.problems
                    .push(format!("{key} cron: \"{cron}\" is not a cron expression: {err}"));
            }
            AnnouncementTime::Cron(cron)
        } else {
            let session = raw.session.unwrap_or_default();
            let offset = match (raw.before, raw.after) {
                (Some(before), _) => -self.duration(&format!("{key} before"), &before),
                (_, Some(after)) => self.duration(&format!("{key} after"), &after),
                _ => unreachable!("exactly one of at, cron, before, after is set"),
            };
            AnnouncementTime::Session { session, offset }
        };
        (self.problems.len() == problems_before).then_some(AnnouncementConfig {
            text: raw.text,
            room: raw.room,
            when,
        })
    }
}

/// Parses a cron expression with five fields (minute precision) or six (with seconds).
pub fn parse_cron(expression: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(expression)
}

fn is_user_id(s: &str) -> bool {
    s.strip_prefix('@')
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(local, server)| !local.is_empty() && is_server_name(server))
}

/// A room id or an alias. Room ids of versions 1 to 11 carry a server (`!abc:example.org`);
/// from version 12 (Synapse's default) they are an opaque hash with none
/// (`!4ayXb8jVHBcdNKdgTxg9ObYjGA1oINp7CYnq5AVa8P8`). Aliases always name a server.
fn is_room_reference(s: &str) -> bool {
    let no_space = |part: &str| !part.is_empty() && !part.chars().any(|c| c.is_whitespace() || c.is_control());
    if let Some(id) = s.strip_prefix('!') {
        return match id.split_once(':') {
            Some((local, server)) => no_space(local) && is_server_name(server),
            None => no_space(id),
        };
    }
    s.strip_prefix('#')
        .and_then(|alias| alias.split_once(':'))
        .is_some_and(|(local, server)| no_space(local) && is_server_name(server))
}

fn is_server_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Config::from_toml(text, "bot.toml").unwrap_err().problems
    }

    #[test]
    fn a_minimal_config_gets_the_documented_defaults() {
        let config = Config::from_toml("[schedule]\nsource = \"s.toml\"\n", "bot.toml").unwrap();
        assert_eq!(config.reminders.lead, [TimeDelta::minutes(10), TimeDelta::zero()]);
        assert_eq!(config.reminders.grace, TimeDelta::minutes(2));
        assert_eq!(config.access.organizer_power_level, 100);
        assert_eq!(config.access.moderator_power_level, 50);
        assert!(config.matrix.is_none());
        assert!(config.questions.enabled);
        assert_eq!(
            config.questions.rules(),
            Rules {
                max_length: 1000,
                per_user: Some(Rate {
                    count: 3,
                    window: TimeDelta::minutes(1)
                })
            }
        );
        assert!(!config.questions.notify_asker);
        assert_eq!(config.metrics.listen, None);
    }

    #[test]
    fn rooms_are_named_by_id_of_any_room_version_or_by_alias() {
        let base = "[schedule]\nsource = \"s\"\n[rooms]\n";
        for room in [
            "!4ayXb8jVHBcdNKdgTxg9ObYjGA1oINp7CYnq5AVa8P8", // version 12: no server part
            "!abc:example.org",
            "!abc:example.org:8448",
            "#main:example.org",
        ] {
            let config = Config::from_toml(&format!("{base}moderators = \"{room}\"\n"), "bot.toml");
            assert_eq!(config.map(|c| c.rooms.moderators), Ok(Some(room.to_string())), "{room}");
        }
        for room in ["!", "#main", "!abc:", "! abc", "#:example.org", "main"] {
            let errs = problems(&format!("{base}moderators = \"{room}\"\n"));
            assert!(errs[0].contains("is not a Matrix room"), "{room}: {errs:?}");
        }
    }

    #[test]
    fn commands_from_one_sender_are_limited_unless_off() {
        let base = "[schedule]\nsource = \"s\"\n";
        let config = Config::from_toml(base, "bot.toml").unwrap();
        assert_eq!(config.commands.per_user, Some(DEFAULT_COMMANDS_PER_USER));
        let off = Config::from_toml(&format!("{base}[commands]\nper_user = \"off\"\n"), "bot.toml").unwrap();
        assert_eq!(off.commands.per_user, None);
        assert_eq!(
            problems(&format!("{base}[commands]\nper_user = \"lots\"\n")),
            ["[commands] per_user: \"lots\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\", or \"off\""]
        );
    }

    #[test]
    fn a_schedule_url_is_https_or_on_this_machine() {
        let errs = problems("[schedule]\nsource = \"http://pretalx.example.org/schedule.json\"\n");
        assert_eq!(
            errs,
            ["[schedule] source: \"http://pretalx.example.org/schedule.json\" is plain http, which anyone on the way can read and change: write https://, or use http:// only for this machine (localhost, 127.0.0.1, [::1])"]
        );
    }

    #[test]
    fn the_access_lists_give_roles() {
        use crate::command::Role;
        let access = AccessConfig {
            organizers: vec!["@org:example.org".into()],
            moderators: vec!["@mod:example.org".into(), "@org:example.org".into()],
            invite: vec![],
            organizer_power_level: 100,
            moderator_power_level: 50,
        };
        assert_eq!(access.listed_role("@org:example.org"), Role::Organizer);
        assert_eq!(access.listed_role("@mod:example.org"), Role::Moderator);
        assert_eq!(access.listed_role("@someone:example.org"), Role::Attendee);
    }

    #[test]
    fn the_metrics_endpoint_listens_where_configured() {
        let base = "[schedule]\nsource = \"s\"\n[metrics]\n";
        let config = Config::from_toml(&format!("{base}listen = \"127.0.0.1:9187\"\n"), "bot.toml").unwrap();
        assert_eq!(config.metrics.listen, Some(SocketAddr::from(([127, 0, 0, 1], 9187))));
        let v6 = Config::from_toml(&format!("{base}listen = \"[::1]:9187\"\n"), "bot.toml").unwrap();
        assert_eq!(v6.metrics.listen.map(|a| a.to_string()).as_deref(), Some("[::1]:9187"));
        assert_eq!(
            problems(&format!("{base}listen = \"localhost\"\n")),
            ["[metrics] listen: \"localhost\" is not an address and port: write it like \"127.0.0.1:9187\" or \"[::1]:9187\""]
        );
        let errs = problems(&format!("{base}port = 9187\n"));
        assert!(
            errs[0].starts_with("line 4: unknown field `port`, expected `listen`"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn question_limits_are_read_and_checked() {
        let base = "[schedule]\nsource = \"s\"\n";
        let config = Config::from_toml(
            &format!("{base}[questions]\nper_user = \"10/1h\"\nmax_length = 280\nnotify_asker = true\n[access]\nmoderator_power_level = 25\norganizer_power_level = 100\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(
            config.questions.rules(),
            Rules {
                max_length: 280,
                per_user: Some(Rate {
                    count: 10,
                    window: TimeDelta::hours(1)
                })
            }
        );
        assert!(config.questions.notify_asker);
        assert_eq!(
            (config.access.moderator_power_level, config.access.organizer_power_level),
            (25, 100)
        );
        let off = Config::from_toml(&format!("{base}[questions]\nper_user = \"off\"\n"), "bot.toml").unwrap();
        assert_eq!(off.questions.per_user, None);
        assert_eq!(
            problems(&format!("{base}[questions]\nper_user = \"3 per minute\"\nmax_length = 0\n[access]\nmoderator_power_level = 101\n")),
            [
                "[access] moderator_power_level: 101 is above organizer_power_level 100; organizers are moderators too, so it would never apply: lower it",
                "[questions] max_length: must be at least 1",
                "[questions] per_user: \"3 per minute\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\", or \"off\"",
            ]
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let errs = problems("[schedule]\nsource = \"s.toml\"\n[reminders]\nleads = [\"5m\"]\n");
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with("line 4: unknown field `leads`, expected one of"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn a_password_in_the_file_is_refused() {
        let errs = problems("[matrix]\nhomeserver = \"http://h\"\nuser = \"@b:h\"\npassword = \"hunter2\"\n[schedule]\nsource = \"s\"\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("[matrix] password: secrets do not belong in the config file"));
        assert!(!errs[0].contains("hunter2"));
    }

    #[test]
    fn every_bad_value_is_reported_with_its_key() {
        let errs = problems(
            r#"
[matrix]
homeserver = "matrix.example.org"
user = "confbot"
[schedule]
source = "s.toml"
timezone = "Europe/Brusels"
[rooms]
moderators = "mods"
[reminders]
lead = ["10"]
[access]
invite = ["not a server"]
[[announcements]]
text = "Doors open"
room = "lobby"
cron = "every morning"
"#,
        );
        assert_eq!(
            errs,
            [
                "[matrix] homeserver: \"matrix.example.org\" is not a URL: write it as \"https://matrix.example.org\"",
                "[matrix] user: \"confbot\" is not a Matrix user id: write it as \"@name:server\"",
                "[schedule] timezone: \"Europe/Brusels\" is not a known time zone: did you mean \"Europe/Brussels\"?",
                "[rooms] moderators: \"mods\" is not a Matrix room: write a room id (\"!abc…\", as Element shows it in the room's settings) or an alias (\"#name:server\")",
                "[reminders] lead: '10' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\"",
                "[access] invite: \"not a server\" is neither a user (\"@name:server\") nor a server name (\"example.org\")",
                "[[announcements]] #1 room: \"lobby\" is not a room configured in [rooms]; use one of: announcements, moderators, speakers",
                "[[announcements]] #1 cron: \"every morning\" is not a cron expression: Invalid pattern: Pattern must have between 5 and 7 fields.",
            ]
        );
    }

    #[test]
    fn durations_past_a_year_are_refused_before_they_reach_the_plan() {
        // Accepted, then planning the reminders panicked (shown with the config fuzz target).
        let base = "[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\n";
        assert_eq!(
            problems(&format!(
                "{base}[reminders]\nlead = [\"100000000d\"]\n[[announcements]]\ntext = \"x\"\nroom = \"announcements\"\nafter = \"100000000d\"\nsession = \"rocky\"\n"
            )),
            [
                "[reminders] lead: '100000000d' is longer than a year: write at most \"365d\"",
                "[[announcements]] #1 after: '100000000d' is longer than a year: write at most \"365d\"",
            ]
        );
    }

    #[test]
    fn announcements_take_one_time_rule() {
        let base = "[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#a:h\"]\n";
        let config = Config::from_toml(
            &format!("{base}[[announcements]]\ntext = \"Backstage!\"\nroom = \"announcements\"\nbefore = \"15m\"\nsession = \"rocky\"\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(
            config.announcements[0].when,
            AnnouncementTime::Session {
                session: "rocky".into(),
                offset: TimeDelta::minutes(-15)
            }
        );
        let errs = problems(&format!(
            "{base}[[announcements]]\ntext = \"x\"\nroom = \"announcements\"\nat = \"2023-02-03T08:00\"\ncron = \"0 9 * * *\"\n"
        ));
        assert!(
            errs[0].starts_with("[[announcements]] #1: give exactly one of"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn a_template_naming_an_unknown_placeholder_is_an_error() {
        let base = "[schedule]\nsource = \"s\"\n[reminders]\nlead = [\"10m\", \"0m\"]\n[reminders.templates]\n";
        let config = Config::from_toml(
            &format!("{base}\"10m\" = \"Soon: {{title}} in {{room}}\"\n"),
            "bot.toml",
        )
        .unwrap();
        assert_eq!(config.reminders.templates["10m"], "Soon: {title} in {room}");
        let errs = problems(&format!("{base}\"10m\" = \"Soon: {{titel}}\"\n\"5m\" = \"x\"\n"));
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].starts_with("[reminders.templates] \"10m\": unknown placeholder {titel}; use {title}"),
            "{}",
            errs[0]
        );
        assert_eq!(
            errs[1],
            "[reminders.templates] \"5m\": not one of the lead times in [reminders] lead"
        );
    }

    #[test]
    fn posts_go_to_the_announcements_rooms_and_the_mapped_room() {
        let config = Config::from_toml(
            "[schedule]\nsource = \"s\"\n[rooms]\nannouncements = [\"#all:h\"]\n[rooms.map]\n\"Pagoda room\" = \"#pagoda:h\"\n",
            "bot.toml",
        )
        .unwrap();
        assert_eq!(
            config.rooms.post_targets(["pagoda ROOM", "Distros"]),
            ["#all:h", "#pagoda:h"]
        );
        assert_eq!(config.rooms.post_targets(None), ["#all:h"]);
    }

    #[test]
    fn five_and_six_field_cron_expressions_parse() {
        assert!(parse_cron("0 9 * * MON-FRI").is_ok());
        assert!(parse_cron("30 0 9 * * *").is_ok());
        assert!(parse_cron("61 * * * *").is_err());
    }
}
