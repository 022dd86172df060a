//! No config file may panic the bot: `Config::from_toml` returns a checked config or the
//! problems, and a config it accepts is safe to plan with (checked against a schedule,
//! posts planned over the conference).
#![no_main]

use chrono::TimeDelta;
use confbot_core::config::Config;
use confbot_core::plan::{self, FromChat};
use confbot_core::present;
use confbot_core::schedule::{native, Schedule};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn schedule() -> &'static Schedule {
    static SCHEDULE: OnceLock<Schedule> = OnceLock::new();
    SCHEDULE.get_or_init(|| {
        native::parse(include_str!("../../data/centos-connect-2023.toml"), "centos", None)
            .expect("the bundled schedule parses")
            .schedule
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match Config::from_toml(text, "fuzz.toml") {
        Ok(config) => config,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let schedule = schedule();
    let _ = config.check_against(schedule);
    // The conference day, so that every reminder and announcement rule is evaluated; an
    // hour-long window keeps a per-second cron rule cheap.
    let from = schedule.sessions()[0].start;
    let _ = plan::posts(
        schedule,
        config.rules(),
        &FromChat::default(),
        from,
        from + TimeDelta::hours(1),
    );
    let session = &schedule.sessions()[1];
    for &lead in &config.reminders.lead {
        let _ = present::posts::reminder_message(schedule, session, lead, &config.reminders.templates, false);
    }
});
