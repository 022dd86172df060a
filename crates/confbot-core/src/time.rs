//! Reading instants as organizers write them: a local wall-clock time in the conference's
//! zone ("2023-02-03T09:00") or an RFC 3339 instant with its offset. A local time that the
//! zone skips (spring forward) or repeats (fall back) is an error that says what to write.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// A time that could not be placed on the conference's clock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("'{}' is not a time: write a local time such as 2023-02-03T09:00 (read in {tz}) or an RFC 3339 instant such as 2023-02-03T09:00:00+01:00", crate::present::message::isolate(input))]
    Malformed { input: String, tz: Tz },
    #[error("{input} does not exist in {tz}: the clocks jump forward over it; pick a time before or after the gap")]
    Gap { input: String, tz: Tz },
    #[error("{input} happens twice in {tz}: the clocks fall back; write the offset, {input}{first} for the first or {input}{second} for the second")]
    Ambiguous {
        input: String,
        tz: Tz,
        first: FixedOffset,
        second: FixedOffset,
    },
}

const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
];

/// Reads `input` as an RFC 3339 instant (any offset) or as a local time in `tz`.
pub fn parse_instant(input: &str, tz: Tz) -> Result<DateTime<Tz>, TimeError> {
    let s = input.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(s) {
        return Ok(instant.with_timezone(&tz));
    }
    let local = parse_naive(s).ok_or_else(|| TimeError::Malformed {
        input: s.to_string(),
        tz,
    })?;
    resolve_local(local, tz, s)
}

/// A time as people write it in a command: a time of day ("14:30", on the day `now` falls
/// on), a local date and time, or an RFC 3339 instant; in `now`'s zone.
pub fn parse_on(input: &str, now: DateTime<Tz>) -> Result<DateTime<Tz>, TimeError> {
    let input = input.trim();
    if let Ok(clock) = NaiveTime::parse_from_str(input, "%H:%M") {
        return resolve_local(now.date_naive().and_time(clock), now.timezone(), input);
    }
    parse_instant(input, now.timezone())
}

/// Reads a local date and time without offset ("2023-02-03T09:00", seconds optional).
pub fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(s.trim(), format).ok())
}

/// Reads a calendar date ("2023-02-03").
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Places a wall-clock time in `tz`, refusing times the zone skips or repeats.
/// `shown` is how the time was written, for the error message.
pub fn resolve_local(local: NaiveDateTime, tz: Tz, shown: &str) -> Result<DateTime<Tz>, TimeError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => Ok(instant),
        LocalResult::None => Err(TimeError::Gap {
            input: shown.to_string(),
            tz,
        }),
        LocalResult::Ambiguous(first, second) => Err(TimeError::Ambiguous {
            input: shown.to_string(),
            tz,
            first: first.fixed_offset().offset().to_owned(),
            second: second.fixed_offset().offset().to_owned(),
        }),
    }
}

/// The IANA zone named `name`, in any letter case ("europe/paris", "UTC").
pub fn zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .copied()
}

/// The IANA zone name closest to a mistyped one, for "did you mean" hints. The longest zone
/// name has 32 characters, so nothing over 64 is a typo of one: refused before comparing.
pub fn closest_zone(name: &str) -> Option<&'static str> {
    if name.trim().chars().nth(64).is_some() {
        return None;
    }
    crate::text::closest(name.trim(), chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
}

/// "09:00": the wall-clock time of an instant, in its own zone.
pub fn clock(instant: &DateTime<Tz>) -> String {
    instant.format("%H:%M").to_string()
}

/// "CET": the zone abbreviation in force at an instant.
pub fn zone_abbreviation(instant: &DateTime<Tz>) -> String {
    instant.format("%Z").to_string()
}

/// "2023-02-03T09:00:00+01:00": RFC 3339 with the zone's offset at that instant.
pub fn rfc3339(instant: &DateTime<Tz>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_fall_on_the_clocks_day() {
        let now = chrono_tz::Europe::Brussels
            .with_ymd_and_hms(2023, 2, 3, 9, 10, 0)
            .unwrap();
        assert_eq!(rfc3339(&parse_on("17:30", now).unwrap()), "2023-02-03T17:30:00+01:00");
        assert_eq!(
            rfc3339(&parse_on(" 2023-02-04T08:00 ", now).unwrap()),
            "2023-02-04T08:00:00+01:00"
        );
        assert!(matches!(
            parse_on("half past five", now),
            Err(TimeError::Malformed { .. })
        ));
        // A time of day the clocks skip on that day is refused, not moved.
        let spring = chrono_tz::Europe::Brussels
            .with_ymd_and_hms(2023, 3, 26, 1, 0, 0)
            .unwrap();
        assert!(matches!(parse_on("02:30", spring), Err(TimeError::Gap { .. })));
    }
    use chrono_tz::{America::New_York, Europe::Brussels};

    #[test]
    fn local_time_is_read_in_the_conference_zone() {
        let t = parse_instant("2023-02-03T09:00", Brussels).unwrap();
        assert_eq!(rfc3339(&t), "2023-02-03T09:00:00+01:00");
        assert_eq!(zone_abbreviation(&t), "CET");
        let t = parse_instant("2023-02-03 09:10:30", Brussels).unwrap();
        assert_eq!(rfc3339(&t), "2023-02-03T09:10:30+01:00");
    }

    #[test]
    fn an_rfc3339_instant_is_moved_into_the_zone() {
        let t = parse_instant("2023-02-03T08:10:00Z", Brussels).unwrap();
        assert_eq!(clock(&t), "09:10");
    }

    #[test]
    fn summer_and_winter_offsets_differ() {
        let summer = parse_instant("2023-08-29T09:00", New_York).unwrap();
        let winter = parse_instant("2023-11-06T09:00", New_York).unwrap();
        assert_eq!(rfc3339(&summer), "2023-08-29T09:00:00-04:00");
        assert_eq!(zone_abbreviation(&summer), "EDT");
        assert_eq!(rfc3339(&winter), "2023-11-06T09:00:00-05:00");
        assert_eq!(zone_abbreviation(&winter), "EST");
    }

    #[test]
    fn a_skipped_local_time_is_refused() {
        let err = parse_instant("2023-03-12T02:30", New_York).unwrap_err();
        assert!(matches!(err, TimeError::Gap { .. }));
        assert!(err.to_string().contains("does not exist in America/New_York"));
    }

    #[test]
    fn a_repeated_local_time_asks_for_the_offset() {
        let err = parse_instant("2023-11-05T01:30", New_York).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2023-11-05T01:30 happens twice in America/New_York: the clocks fall back; write the offset, \
             2023-11-05T01:30-04:00 for the first or 2023-11-05T01:30-05:00 for the second"
        );
        let second = parse_instant("2023-11-05T01:30:00-05:00", New_York).unwrap();
        assert_eq!(zone_abbreviation(&second), "EST");
    }

    #[test]
    fn a_mistyped_zone_gets_a_hint_and_a_huge_one_is_refused_at_once() {
        assert_eq!(closest_zone("Europe/Brusels"), Some("Europe/Brussels"));
        assert_eq!(closest_zone(" america/chicgo "), Some("America/Chicago"));
        let longest = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().len()).max();
        assert!(longest <= Some(32), "{longest:?}");
        let started = std::time::Instant::now();
        assert_eq!(closest_zone(&"Europe/Brusels".repeat(4_300)), None);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn nonsense_is_malformed() {
        assert!(matches!(
            parse_instant("tomorrow", Brussels),
            Err(TimeError::Malformed { .. })
        ));
    }
}
