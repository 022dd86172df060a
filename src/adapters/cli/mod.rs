//! The command line: `confbot check`, `schedule`, `import`, `questions` and `run`. Each
//! subcommand loads what it needs, calls the core and prints; errors go to stderr with a
//! non-zero exit. The flags and their help are in `args`.

mod args;
#[cfg(feature = "matrix")]
mod provision;

pub use args::*;

use crate::config::{Config, DEFAULT_LEAD};
use crate::infra::config_file;
use crate::infra::source::{self, Source};
use crate::infra::store::Store;
use crate::present::{export, render};
use crate::schedule::{native, normalized, Loaded, Schedule, ScheduleErrors, SessionKind};
use crate::{duration, plan, query, time};
use anyhow::{bail, Context};
use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs one subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Schedule(args) => schedule(&args),
        Command::Import(args) => import(&args),
        Command::Questions(args) => questions(&args),
        #[cfg(feature = "matrix")]
        Command::Run(args) => run_bot(&args),
        #[cfg(feature = "matrix")]
        Command::Provision(args) => provision::provision(&args),
        Command::Console(args) => console(&args),
    }
}

/// What a subcommand works on: the config (when one was given) and the schedule.
struct Inputs {
    config: Option<Config>,
    loaded: Loaded,
}

pub(crate) const DEFAULT_CONFIG: &str = "confbot.toml";

fn load_inputs(args: &SourceArgs) -> anyhow::Result<Inputs> {
    let override_zone = args.reading.zone()?;
    if let Some(location) = &args.schedule {
        let loaded = source::load_schedule(location, args.reading.format, override_zone)?;
        return Ok(Inputs { config: None, loaded });
    }
    let path = args.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    if args.config.is_none() && !path.exists() {
        bail!("no {DEFAULT_CONFIG} here: pass --config PATH (see config/confbot.example.toml) or --schedule FILE");
    }
    let config = config_file::load(&path)?;
    let mut schedule_source = Source::from_config(&config.schedule);
    schedule_source.zone = override_zone.or(schedule_source.zone);
    schedule_source.format = args.reading.format.or(schedule_source.format);
    let loaded = schedule_source
        .load_blocking()
        .with_context(|| format!("the schedule named by [schedule] source in {}", path.display()))?;
    Ok(Inputs {
        config: Some(config),
        loaded,
    })
}

pub(crate) fn parse_zone(name: &str) -> anyhow::Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        let hint = time::closest_zone(name)
            .map(|z| format!("did you mean {z}?"))
            .unwrap_or_else(|| "use an IANA zone name such as Europe/Brussels".to_string());
        anyhow::anyhow!("--timezone {name}: not a known time zone; {hint}")
    })
}

fn check(args: &SourceArgs) -> anyhow::Result<ExitCode> {
    let inputs = match load_inputs(args) {
        Ok(inputs) => inputs,
        Err(err) => {
            eprintln!("{err:#}");
            if let Some(errors) = err.downcast_ref::<ScheduleErrors>() {
                eprintln!(
                    "{} — fix the lines above and run confbot check again",
                    count(errors.0.iter().filter(|d| d.is_error()).count(), "error")
                );
            }
            return Ok(ExitCode::from(1));
        }
    };
    let schedule = &inputs.loaded.schedule;
    let problems = match &inputs.config {
        Some(config) => config.check_against(schedule),
        None => Vec::new(),
    };
    if let Some(path) = &args.config {
        println!(
            "config {}: {}",
            path.display(),
            if problems.is_empty() { "ok" } else { "has errors" }
        );
    }
    print!("{}", summary(schedule));
    for warning in &inputs.loaded.warnings {
        println!("{warning}");
    }
    let (leads, skip) = match &inputs.config {
        Some(config) => (config.reminders.lead.clone(), config.reminders.skip_kinds.clone()),
        None => (
            DEFAULT_LEAD
                .iter()
                .map(|l| duration::parse(l).expect("default leads parse"))
                .collect(),
            Vec::new(),
        ),
    };
    print!("{}", reminder_plan(schedule, &leads, &skip));
    if let Some(config) = &inputs.config {
        print!("{}", room_routes(schedule, config));
    }
    if let Some(config) = inputs.config.as_ref().filter(|c| !c.announcements.is_empty()) {
        print!("{}", announcement_plan(schedule, config));
    }
    if problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let source = args
        .config
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for problem in &problems {
        eprintln!("{source}: error: {problem}");
    }
    eprintln!("{}", count(problems.len(), "error"));
    Ok(ExitCode::from(1))
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Days, rooms, sessions by kind, speakers.
fn summary(schedule: &Schedule) -> String {
    let conference = schedule.conference();
    let mut out = format!("{} ({})\n", conference.name, conference.timezone.name());
    let days: Vec<String> = schedule.days().iter().map(|d| render::day(*d)).collect();
    out.push_str(&format!("  {}: {}\n", count(days.len(), "day"), days.join(", ")));
    let rooms = schedule.rooms();
    out.push_str(&format!("  {}: {}\n", count(rooms.len(), "room"), rooms.join(", ")));
    let kinds: Vec<String> = SessionKind::ALL
        .iter()
        .map(|&kind| (kind, schedule.sessions().iter().filter(|s| s.kind == kind).count()))
        .filter(|&(_, n)| n > 0)
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    out.push_str(&format!(
        "  {} ({})\n",
        count(schedule.sessions().len(), "session"),
        kinds.join(", ")
    ));
    out.push_str(&format!("  {}\n", count(schedule.speakers().len(), "speaker")));
    out
}

fn reminder_plan(schedule: &Schedule, leads: &[TimeDelta], skip: &[SessionKind]) -> String {
    let plan = plan::reminders(schedule, leads, skip);
    let leads_text: Vec<String> = leads.iter().map(|l| duration::Compact(*l).to_string()).collect();
    let mut out = format!(
        "{} ({} before each session):\n",
        count(plan.len(), "reminder"),
        leads_text.join(", ")
    );
    for reminder in plan {
        out.push_str(&format!(
            "  {} {}  {:>4} before  {}\n",
            reminder.due.format("%a %-d %b %H:%M"),
            time::zone_abbreviation(&reminder.due),
            duration::Compact(reminder.lead).to_string(),
            reminder.session.title
        ));
    }
    out
}

/// Where each room's reminders and questions go, and a warning for each room that
/// `[rooms.map]` leaves out while it maps others.
fn room_routes(schedule: &Schedule, config: &crate::config::Config) -> String {
    let rooms = &config.rooms;
    let routes = rooms.routes(schedule);
    let mut out = String::from("where each room's posts go:\n");
    let or_none = |rooms: &[String]| {
        if rooms.is_empty() {
            "nowhere".to_string()
        } else {
            rooms.join(", ")
        }
    };
    for route in &routes {
        let tracks = match route.tracks.as_slice() {
            [] => String::new(),
            tracks => format!(" (track {})", tracks.join(", ")),
        };
        out.push_str(&format!(
            "  {}{tracks}: reminders to {}",
            route.place,
            or_none(&route.reminders)
        ));
        if config.questions.enabled {
            match route.questions.moderators {
                Some(moderators) => out.push_str(&format!(
                    "; questions to {moderators}, approved ones to {}",
                    route.questions.speakers.unwrap_or("no speakers room")
                )),
                None => out.push_str("; questions refused (no moderators room)"),
            }
        }
        out.push('\n');
    }
    if rooms.map.is_empty() {
        out.push_str("  ([rooms.map] is empty: every reminder goes to the announcements rooms)\n");
    } else {
        for route in routes.iter().filter(|r| r.unmapped) {
            out.push_str(&format!(
                "warning: room \"{}\" of the schedule maps nowhere in [rooms.map] (nor do its tracks): its reminders go only to the announcements rooms\n",
                route.place
            ));
        }
    }
    out
}

/// The config's announcements as they fall due over the conference's days.
fn announcement_plan(schedule: &Schedule, config: &crate::config::Config) -> String {
    let zone = schedule.timezone();
    let days = schedule.days();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return String::new();
    };
    let midnight = |day: chrono::NaiveDate| {
        (0..24).find_map(|hour| time::resolve_local(day.and_hms_opt(hour, 0, 0)?, zone, "midnight").ok())
    };
    let (Some(from), Some(until)) = (midnight(*first), midnight(last.succ_opt().unwrap_or(*last))) else {
        return String::new();
    };
    let posts: Vec<plan::Post> = plan::posts(schedule, config.rules(), &plan::FromChat::default(), from, until)
        .into_iter()
        .filter(|post| matches!(post.what, plan::What::Announcement { .. }))
        .collect();
    let mut out = format!("{} over the conference's days:\n", count(posts.len(), "announcement"));
    for post in posts {
        if let plan::What::Announcement { text, target } = &post.what {
            out.push_str(&format!(
                "  {} {}  to {target}: {}\n",
                post.due.format("%a %-d %b %H:%M"),
                time::zone_abbreviation(&post.due),
                text.lines().next().unwrap_or_default()
            ));
        }
    }
    out
}

fn schedule(args: &ScheduleArgs) -> anyhow::Result<ExitCode> {
    let inputs = load_inputs(&args.source)?;
    let schedule = &inputs.loaded.schedule;
    for warning in &inputs.loaded.warnings {
        eprintln!("{warning}");
    }
    if args.json {
        println!("{}", normalized::to_json(schedule));
        return Ok(ExitCode::SUCCESS);
    }
    let place = args.room.as_deref();
    if let Some(place) = place {
        if !schedule.has_place(place) {
            bail!(
                "--room {place}: no such room or track; the rooms are: {}",
                schedule.rooms().join(", ")
            );
        }
    }
    if let Some(at) = &args.at {
        let now = time::parse_instant(at, schedule.timezone()).map_err(|err| anyhow::anyhow!("--at: {err}"))?;
        let on = query::whats_on(schedule, now, place);
        println!("{}", render::whats_on(schedule, &on, now, place, None).body());
        return Ok(ExitCode::SUCCESS);
    }
    let days: Vec<NaiveDate> = match &args.day {
        Some(day) => vec![query::pick_day(schedule, day)
            .map_err(|refusal| anyhow::anyhow!("--day: {}", crate::present::refusal::text(schedule, &refusal)))?],
        None => schedule.days().to_vec(),
    };
    let agendas: Vec<String> = days
        .iter()
        .map(|&day| {
            render::agenda(schedule, day, &query::agenda(schedule, day, place), None)
                .body()
                .to_string()
        })
        .collect();
    println!("{}", agendas.join("\n\n"));
    Ok(ExitCode::SUCCESS)
}

fn import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let loaded = source::load_schedule(&args.file, args.reading.format, args.reading.zone()?)?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let toml = native::to_toml(&loaded.schedule);
    let header = format!(
        "# Imported by confbot from {}.\n# Times are local to {}.\n\n",
        args.file,
        loaded.schedule.timezone().name()
    );
    let skipped = loaded
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("skipped"))
        .count();
    let summary = format!(
        "imported {} and {} from {}{}",
        count(loaded.schedule.sessions().len(), "session"),
        count(loaded.schedule.speakers().len(), "speaker"),
        args.file,
        if skipped > 0 {
            format!("; skipped {} (see above)", count(skipped, "event"))
        } else {
            String::new()
        }
    );
    match &args.output {
        Some(path) => {
            std::fs::write(path, format!("{header}{toml}")).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{summary} into {}", path.display());
        }
        None => {
            print!("{header}{toml}");
            eprintln!("{summary}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn questions(args: &QuestionsArgs) -> anyhow::Result<ExitCode> {
    let config = config_file::load(&args.config)?;
    let Some(matrix) = &config.matrix else {
        bail!(
            "{}: no [matrix] table, so no state_dir holding the bot's store of questions",
            args.config.display()
        );
    };
    let path = matrix.state_dir.join("confbot.sqlite");
    if !path.is_file() {
        bail!(
            "no store of questions at {}: has the bot run with this config's [matrix] state_dir?",
            path.display()
        );
    }
    // Titles and the zone come from the schedule; without it the questions are still exported.
    let schedule = match Source::from_config(&config.schedule).load_blocking() {
        Ok(loaded) => Some(loaded.schedule),
        Err(err) => {
            eprintln!("warning: {err:#}; session titles are left empty");
            None
        }
    };
    let zone = schedule
        .as_ref()
        .map(Schedule::timezone)
        .or(config.schedule.timezone)
        .unwrap_or(Tz::UTC);
    let store = Store::open(&path)?;
    let questions = store.all_questions(args.session.as_deref(), zone)?;
    if let (Some(id), Some(schedule)) = (&args.session, &schedule) {
        if questions.is_empty() && schedule.session(id).is_none() {
            let hint = crate::text::closest(id, schedule.sessions().iter().map(|s| s.id.as_str()))
                .map(|s| format!("did you mean {s}?"))
                .unwrap_or_else(|| "see the IDs with confbot schedule --json".to_string());
            bail!("--session {id}: no session has this ID; {hint}");
        }
    }
    let schedule = schedule.as_ref();
    print!(
        "{}",
        match args.format {
            ExportFormat::Markdown => export::markdown(&questions, schedule),
            ExportFormat::Csv => export::csv(&questions, schedule),
            ExportFormat::Json => export::json(&questions, schedule),
        }
    );
    eprintln!(
        "exported {} from {}",
        count(questions.len(), "question"),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The rooms the console shows posts going to when there is no config.
const CONSOLE_ROOMS: &str = r##"
[rooms]
announcements = ["#announcements:console"]
moderators = "#moderators:console"
speakers = "#speakers:console"
"##;

fn console(args: &ConsoleArgs) -> anyhow::Result<ExitCode> {
    use crate::infra::clock::Clock;
    init_logging(false, "warn");
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        bail!("--speed {}: must be a positive number", args.speed);
    }
    let inputs = load_inputs(&args.source)?;
    let config = match inputs.config {
        Some(config) => config,
        None => {
            let location = args.source.schedule.as_deref().unwrap_or_default();
            let text = format!("[schedule]\nsource = {}\n{CONSOLE_ROOMS}", toml_string(location));
            let mut config = Config::from_toml(&text, "the console's default config")?;
            config.schedule.format = args.source.reading.format;
            config.schedule.timezone = args.source.reading.zone()?;
            config
        }
    };
    let zone = inputs.loaded.schedule.timezone();
    let start = match &args.now {
        Some(now) => time::parse_instant(now, zone).map_err(|err| anyhow::anyhow!("--now: {err}"))?,
        None => chrono::Utc::now().with_timezone(&zone),
    };
    let clock = Clock::rehearsal(start.with_timezone(&chrono::Utc), args.speed, zone);
    let until = args
        .until
        .as_deref()
        .map(|until| time::parse_on(until, start).map_err(|err| anyhow::anyhow!("--until: {err}")))
        .transpose()?;
    let (store, first_start) = match &args.state {
        Some(path) => {
            let first = !path.exists();
            (Store::open(path)?, first)
        }
        None => (Store::in_memory()?, true),
    };
    let mut options = crate::adapters::console::Options {
        user: args.user.clone(),
        role: args.role,
        place: None,
        backstage: None,
        until,
        echo: args.echo || !std::io::IsTerminal::is_terminal(&std::io::stdin()),
    };
    options
        .enter(&config.rooms, args.room.as_deref())
        .map_err(|err| anyhow::anyhow!("--room: {err}"))?;
    let bot = crate::app::Bot::new(
        config.clone(),
        inputs.loaded,
        Source::from_config(&config.schedule),
        clock,
        store,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(crate::adapters::console::run(bot, first_start, options))?;
    Ok(ExitCode::SUCCESS)
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(feature = "matrix")]
fn run_bot(args: &RunArgs) -> anyhow::Result<ExitCode> {
    use crate::infra::clock::Clock;
    let json = args.log_json || std::env::var("CONFBOT_LOG_FORMAT").is_ok_and(|f| f == "json");
    // matrix-sdk logs every failed request at ERROR, the expected ones too (a 404 for
    // account data not set yet); the bot logs each failure that matters itself, in context.
    init_logging(
        json,
        "info,matrix_sdk=warn,matrix_sdk::http_client=off,matrix_sdk_base=warn,matrix_sdk_crypto=warn,matrix_sdk_crypto::backups=error,matrix_sdk_sqlite=warn",
    );
    let config = config_file::load(&args.config)?;
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        bail!("--speed {}: must be a positive number", args.speed);
    }
    // Everything the bot writes (the login's token, keys, the store) is for its user only,
    // whatever umask it was started with.
    // SAFETY: umask only sets the process's file creation mask.
    unsafe {
        libc::umask(0o077);
    }
    crate::infra::memory::limit_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let mut source = Source::from_config(&config.schedule);
        if let Some(matrix) = &config.matrix {
            source = source.keeping_last_good(matrix.state_dir.join("schedule.last-good"));
        }
        let refresher = crate::infra::source::Refresher::start(source)
            .await
            .context("loading the schedule")?;
        // What `confbot check` calls errors of the config against this schedule (a map
        // entry to no room, an announcement for no session or at a time the zone skips)
        // does not stop the bot: the schedule may change. Each is said once, here.
        for problem in config.check_against(&refresher.current().schedule) {
            tracing::warn!("{}: {problem}", args.config.display());
        }
        let zone = refresher.current().schedule.timezone();
        let clock = match &args.now {
            Some(now) => {
                let start = time::parse_instant(now, zone).map_err(|err| anyhow::anyhow!("--now: {err}"))?;
                tracing::info!(now = %time::rfc3339(&start), speed = args.speed, "rehearsal clock");
                Clock::rehearsal(start.with_timezone(&chrono::Utc), args.speed, zone)
            }
            None => Clock::real(zone),
        };
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("signal received");
            let _ = stop.send(true);
        });
        // A rehearsal, or a dry run, never writes the real day's records.
        let store = if args.now.is_some() || args.dry_run {
            crate::infra::state::StoreKind::Rehearsal {
                keep: args.keep_rehearsal,
            }
        } else {
            crate::infra::state::StoreKind::Real
        };
        let options = crate::adapters::matrix::RunOptions {
            store,
            dry_run: args.dry_run,
        };
        crate::adapters::matrix::run(config, refresher, clock, options, shutdown).await
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "matrix")]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Logs to standard error, human-readable or as JSON lines, at `levels` unless RUST_LOG
/// says otherwise.
pub(super) fn init_logging(json: bool, levels: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(levels));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
