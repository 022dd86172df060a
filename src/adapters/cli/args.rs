//! The command line's subcommands and flags, as clap reads them and `--help` shows them.

use super::{parse_zone, DEFAULT_CONFIG};
use crate::schedule::format::Format;
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "confbot", version, about = "A Matrix bot for conference announcements")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the config and its schedule; print a summary and the reminders it would post.
    Check(SourceArgs),
    /// Print a day's agenda, what is on at a given time, or the normalized schedule as JSON.
    Schedule(ScheduleArgs),
    /// Convert a pretalx, frab, Pentabarf or iCalendar schedule to confbot's TOML.
    Import(ImportArgs),
    /// Export the audience's questions from the bot's store as Markdown, CSV or JSON.
    Questions(QuestionsArgs),
    /// Run the bot on Matrix.
    #[cfg(feature = "matrix")]
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Make the conference's rooms and spaces on Matrix from the schedule, and write the
    /// rooms file the config includes.
    ///
    /// Prints the plan: each room, its alias and what would be done to it. Nothing changes
    /// without --apply; then missing rooms are created and drifted ones corrected (name,
    /// topic, power levels, space children), and a re-run carries on where one stopped.
    #[cfg(feature = "matrix")]
    #[command(after_help = PROVISION_HELP)]
    Provision(ProvisionArgs),
    /// Talk to the bot in the terminal, without a homeserver.
    ///
    /// Each line you type (or pipe in) is a message from one user; the bot answers it as it
    /// would in the room, and its reminders, announcements and relayed questions print with
    /// the room they would go to. It ends with the input (Ctrl-D), or at --until.
    #[command(after_help = crate::adapters::console::HELP)]
    Console(ConsoleArgs),
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Start the bot's clock at TIME (RFC 3339, or local time in the conference zone).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Run the clock N times faster than real time.
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub speed: f64,
    /// After the input ends, keep running (and posting) until the bot's clock reads TIME
    /// (as --now, or a time of day such as 17:30).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Type as this Matrix user.
    #[arg(long = "as", value_name = "USER", default_value = "@you:console")]
    pub user: String,
    /// Act as attendee, moderator or organizer (default: what [access] gives USER, else attendee).
    #[arg(long, value_name = "ROLE", value_parser = crate::adapters::console::parse_role)]
    pub role: Option<crate::command::Role>,
    /// Type in the room for PLACE, a schedule room or track (as `!next` there would), or
    /// in a room the config names (`#…`), such as a backstage.
    #[arg(long, value_name = "PLACE")]
    pub room: Option<String>,
    /// Keep the bot's state (reminders sent, questions, delays) in this SQLite file
    /// instead of in memory, so a second run carries on where the first stopped.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Echo each input line before the answer (default: when the input is not a terminal).
    #[arg(long)]
    pub echo: bool,
}

#[cfg(feature = "matrix")]
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The bot's config file.
    #[arg(long, value_name = "PATH", env = "CONFBOT_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Rehearse: start the bot's clock at TIME (RFC 3339, or local time in the conference zone).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Rehearse N times faster than real time (with --now).
    #[arg(long, value_name = "N", default_value_t = 1.0, requires = "now")]
    pub speed: f64,
    /// Rehearse on from where the last rehearsal stopped, rather than afresh (with --now).
    #[arg(long, requires = "now")]
    pub keep_rehearsal: bool,
    /// Print the posts (reminders, announcements, relayed questions) instead of sending
    /// them; replies to commands are still sent. Uses the rehearsal's store.
    #[arg(long)]
    pub dry_run: bool,
    /// Log as JSON lines (also CONFBOT_LOG_FORMAT=json).
    #[arg(long)]
    pub log_json: bool,
}

#[cfg(feature = "matrix")]
#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// The bot's config file: the schedule, [matrix] (the bot's account) and [provision].
    #[arg(long, value_name = "PATH", env = "CONFBOT_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Create and correct the rooms; without it, only print what would be done.
    #[arg(long)]
    pub apply: bool,
    /// Where to write the rooms file (default: rooms.generated.toml beside the config).
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
}

#[cfg(feature = "matrix")]
const PROVISION_HELP: &str = "Each room carries an org.confbot.room state event naming the conference and its
place, so a re-run adopts the rooms it made; a place renamed in the schedule keeps its
rooms, which get the new name and alias (the old alias stays). Nothing is ever deleted.
The config reads the rooms file with include = [\"rooms.generated.toml\"] at its top.
A homeserver's rate limits are waited out, with the time left shown; to exempt the bot
on Synapse, see the README.";

/// Where the schedule comes from: a config file or a schedule file on its own.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The bot's config file.
    #[arg(long, value_name = "PATH", env = "CONFBOT_CONFIG")]
    pub config: Option<PathBuf>,
    /// A schedule file or https:// URL, read without a config.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub schedule: Option<String>,
    #[command(flatten)]
    pub reading: ReadingArgs,
}

/// How to read a schedule, where it does not say itself.
#[derive(Debug, Args)]
pub struct ReadingArgs {
    /// The schedule's format (toml, xml, json, ics); recognised from the content when absent.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// The time zone for schedules that name none (an IANA name such as Europe/Brussels).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
}

impl ReadingArgs {
    /// The zone named by --timezone, if any.
    pub fn zone(&self) -> anyhow::Result<Option<Tz>> {
        self.timezone.as_deref().map(parse_zone).transpose()
    }
}

#[derive(Debug, Args)]
// The shared --format help, worded to follow FILE.
#[command(mut_arg("format", |arg| {
    arg.help("Its format (toml, xml, json, ics); recognised from the content when absent")
}))]
pub struct ImportArgs {
    /// The schedule to convert: a file or an https:// URL.
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub reading: ReadingArgs,
    /// Where to write the TOML; standard output when absent.
    #[arg(short, long, value_name = "OUT.toml")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QuestionsArgs {
    /// The bot's config file: the store is `confbot.sqlite` in its [matrix] state_dir.
    #[arg(long, value_name = "PATH", env = "CONFBOT_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Only the questions for this session (its ID).
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
}

/// How `confbot questions` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A table for reading and pasting into notes.
    Markdown,
    /// RFC 4180, with a header row, for spreadsheets.
    Csv,
    /// An array of objects, for scripts.
    Json,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Show what is on now and next at TIME (RFC 3339, or local time in the conference zone).
    #[arg(long, value_name = "TIME", conflicts_with = "day")]
    pub at: Option<String>,
    /// Show the agenda of DATE (YYYY-MM-DD, or the day's number: 1 for the first day).
    #[arg(long, value_name = "DATE")]
    pub day: Option<String>,
    /// Only this room or track.
    #[arg(long, value_name = "ROOM")]
    pub room: Option<String>,
    /// Print the normalized schedule as JSON.
    #[arg(long, conflicts_with_all = ["at", "day", "room"])]
    pub json: bool,
}

#[cfg(feature = "matrix")]
const RUN_HELP: &str = "Environment:
  CONFBOT_PASSWORD     the bot account's password (first start only; or [matrix] password_file)
  CONFBOT_RECOVERY_KEY the recovery key, to restore the bot's identity on a new machine
                       (or [matrix] recovery_key_file; the first start writes it to
                       state_dir/recovery-key)
  CONFBOT_CONFIG       the config file, instead of --config
  CONFBOT_LOG_FORMAT   json for JSON log lines, like --log-json
  RUST_LOG             log levels, e.g. info,confbot=debug

The first start logs in and saves the session in [matrix] state_dir; later starts restore it.
One bot at a time runs on a state_dir (a second exits at once, naming the first).
A rehearsal (--now) keeps its records in state_dir/rehearsal/, apart from the real day's.
SIGINT or SIGTERM finishes the replies under way and exits 0; a login the homeserver no
longer accepts exits 1 with what to do.
[metrics] listen serves /healthz and /metrics (Prometheus).";
