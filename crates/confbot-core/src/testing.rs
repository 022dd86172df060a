//! What the core's tests share: the reference conference and instants in its zone.

use crate::schedule::{native, Schedule};
use chrono::DateTime;
use chrono_tz::Tz;

/// The reference conference, CentOS Connect 2023 (data/), parsed.
pub fn centos() -> Schedule {
    native::parse(include_str!("../../../data/centos-connect-2023.toml"), "centos", None)
        .unwrap()
        .schedule
}

/// `local` ("2023-02-03T09:10") in the zone of `schedule`.
pub fn at(schedule: &Schedule, local: &str) -> DateTime<Tz> {
    crate::time::parse_instant(local, schedule.timezone()).unwrap()
}
