//! The bot's configuration: one TOML file, every key documented in
//! `config/confbot.example.toml`. Reading the file ([`Config::load`]) is separate from
//! parsing it ([`Config::from_toml`]), which is pure and checks every value into typed form.

use crate::access::{self, Access};
use crate::plan::{self, Announcement, At, Reminders, SpeakerCues, When};
use crate::questions::{self, Rate, Rules};
use crate::rooms::Rooms;
use crate::schedule::format::Format;
use crate::schedule::Location;
use crate::schedule::Schedule;
use crate::{duration, text, time};
use chrono::TimeDelta;
use chrono_tz::Tz;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod check;
mod include;
mod provision;
mod rooms;
pub(crate) use check::is_user_id;
use check::Checker;
pub use provision::ProvisionConfig;
use raw::RawConfig;
mod raw;

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
    /// Files whose tables the config takes below its own keys (the rooms file
    /// `confbot provision` writes); relative to the config's folder once resolved.
    pub include: Vec<PathBuf>,
    /// How to reach the homeserver; absent for offline use (`check`, `schedule`).
    pub matrix: Option<MatrixConfig>,
    pub schedule: ScheduleConfig,
    pub rooms: Rooms,
    pub reminders: Reminders,
    pub access: Access,
    pub questions: QuestionsConfig,
    /// `[speakers]`: their invitations and cues.
    pub speakers: SpeakerCues,
    /// `[provision]`: what `confbot provision` makes.
    pub provision: ProvisionConfig,
    pub commands: CommandsConfig,
    pub metrics: MetricsConfig,
    pub announcements: Vec<Announcement>,
}

/// `[commands]`: how commands are written, and how often one attendee may send them.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandsConfig {
    /// At most this many commands a window from one sender (organizers and moderators
    /// are not limited); `None` when "off".
    pub per_user: Option<Rate>,
    /// What a command starts with where it does not name the bot: `!` in `!next`. The
    /// bot's own texts name commands with it too.
    pub prefix: String,
}

/// The default `[commands] prefix`.
pub const DEFAULT_PREFIX: &str = "!";

/// The longest `[commands] prefix`, in characters.
pub const MAX_PREFIX_CHARS: usize = 3;

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
    /// Where the recovery key is read from when `CONFBOT_RECOVERY_KEY` is not set; then
    /// `state_dir/recovery-key`, where the bot wrote it when it made its identity.
    pub recovery_key_file: Option<PathBuf>,
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

pub const DEFAULT_LEAD: [&str; 2] = ["10m", "0m"];

/// `[matrix] command_max_age` when not written: commands sent more than five minutes
/// before the bot saw them (while it was down) are not answered.
pub const DEFAULT_COMMAND_MAX_AGE: TimeDelta = TimeDelta::minutes(5);

impl Config {
    /// Takes relative paths in the config (the schedule file, the state directory, the
    /// password file) from `base`, the config file's folder.
    pub fn resolve_paths(&mut self, base: &Path) {
        if let Location::File(file) = &mut self.schedule.source {
            *file = base.join(&*file);
        }
        for file in &mut self.include {
            *file = base.join(&*file);
        }
        if let Some(matrix) = &mut self.matrix {
            matrix.state_dir = base.join(&matrix.state_dir);
            for file in [&mut matrix.password_file, &mut matrix.recovery_key_file]
                .into_iter()
                .flatten()
            {
                *file = base.join(&*file);
            }
        }
    }

    /// What the posting plan needs from the config.
    pub fn rules(&self) -> plan::Rules<'_> {
        plan::Rules {
            reminders: &self.reminders,
            announcements: &self.announcements,
            speakers: &self.speakers,
        }
    }

    /// Parses and checks a config document; `source` names it in error messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Config, ConfigError> {
        let raw = Config::raw(text, source)?;
        Config::checked(raw, false).map_err(|problems| ConfigError {
            source: source.to_string(),
            problems,
        })
    }

    /// The document, parsed but not checked; a syntax or type error names its line.
    fn raw(text: &str, source: &str) -> Result<RawConfig, ConfigError> {
        let fail = |problems: Vec<String>| ConfigError {
            source: source.to_string(),
            problems,
        };
        if let Some(problem) = secret_in_file(text) {
            return Err(fail(vec![problem]));
        }
        toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| format!("line {}: ", text[..span.start].matches('\n').count() + 1))
                .unwrap_or_default();
            fail(vec![format!("{line}{}", err.message().trim())])
        })
    }

    /// Checks `raw`; `rooms_pending`: its rooms file is not written yet, so a place an
    /// announcement names may be missing from `[rooms]`.
    fn checked(raw: RawConfig, rooms_pending: bool) -> Result<Config, Vec<String>> {
        let mut checker = Checker {
            rooms_pending,
            ..Checker::default()
        };
        let config = checker.config(raw);
        if checker.problems.is_empty() {
            Ok(config)
        } else {
            Err(checker.problems)
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
                When::Session { session, .. } if schedule.session(session).is_none() => {
                    problems.push(format!("{key} session: no session has the id \"{session}\""));
                }
                When::At { at, .. } => {
                    if let Err(err) = at.resolve(schedule.timezone()) {
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
pub(super) fn secret_in_file(text: &str) -> Option<String> {
    let value: toml::Table = toml::from_str(text).ok()?;
    let matrix = value.get("matrix")?.as_table()?;
    let (key, variable, file) = [
        ("password", "CONFBOT_PASSWORD", "password_file"),
        ("access_token", "CONFBOT_PASSWORD", "password_file"),
        ("recovery_key", "CONFBOT_RECOVERY_KEY", "recovery_key_file"),
    ]
    .into_iter()
    .find(|(key, ..)| matrix.contains_key(*key))?;
    Some(format!(
        "[matrix] {key}: secrets do not belong in the config file; set the environment variable {variable} or point {file} at a file only the bot can read"
    ))
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
    fn msgtype_and_notify_are_given_for_every_lead_or_per_lead() {
        let config = |reminders: &str| {
            Config::from_toml(
                &format!("[schedule]\nsource = \"s\"\n[reminders]\n{reminders}"),
                "bot.toml",
            )
        };
        let (ten, zero) = (TimeDelta::minutes(10), TimeDelta::zero());
        let defaults = config("").unwrap().reminders;
        assert!(defaults.as_notice_at(ten) && defaults.as_notice_at(zero));
        assert!(!defaults.notifies_room_at(ten) && !defaults.notifies_room_at(zero));

        let every = config("msgtype = \"m.text\"\nnotify = \"room\"\n").unwrap().reminders;
        assert!(!every.as_notice && !every.as_notice_at(ten) && !every.as_notice_at(zero));
        assert!(every.notifies_room_at(ten) && every.notifies_room_at(zero));

        let start_only =
            config("msgtype = { \"0m\" = \"text\" }\nnotify = { \"0m\" = \"room\", \"10m\" = \"none\" }\n")
                .unwrap()
                .reminders;
        assert!(start_only.as_notice, "announcements stay notices");
        assert!(start_only.as_notice_at(ten) && !start_only.as_notice_at(zero));
        assert!(!start_only.notifies_room_at(ten) && start_only.notifies_room_at(zero));

        let errs = config("notify = { \"5m\" = \"room\", \"0m\" = \"everyone\", soon = \"room\" }\nmsgtype = 3\n")
            .unwrap_err()
            .problems;
        assert_eq!(
            errs,
            [
                "[reminders] msgtype: 3 is not one of \"notice\", \"text\"",
                "[reminders] notify \"0m\": \"everyone\" is not one of \"none\", \"room\"",
                "[reminders] notify \"5m\": not one of the lead times in [reminders] lead",
                "[reminders] notify \"soon\": not a lead time such as \"10m\"",
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
    fn a_recovery_key_in_the_file_is_refused_and_its_file_is_taken_from_the_configs_folder() {
        let errs = problems("[matrix]\nhomeserver = \"http://h\"\nuser = \"@b:h\"\nrecovery_key = \"EsTc 1234\"\n[schedule]\nsource = \"s\"\n");
        assert_eq!(
            errs,
            ["[matrix] recovery_key: secrets do not belong in the config file; set the environment variable CONFBOT_RECOVERY_KEY or point recovery_key_file at a file only the bot can read"]
        );
        let mut config = Config::from_toml(
            "[matrix]\nhomeserver = \"http://h\"\nuser = \"@b:h\"\nrecovery_key_file = \"secrets/key\"\n[schedule]\nsource = \"s\"\n",
            "bot.toml",
        )
        .unwrap();
        config.resolve_paths(Path::new("/etc/confbot"));
        let matrix = config.matrix.unwrap();
        assert_eq!(
            matrix.recovery_key_file.as_deref(),
            Some(Path::new("/etc/confbot/secrets/key"))
        );
        assert_eq!(matrix.password_file, None);
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
}
