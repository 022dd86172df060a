//! Durations as people write them in configs and schedules ("25m", "1h30m", "0m", "1:30")
//! and as the bot prints them back.

use chrono::TimeDelta;
use std::fmt;

/// The longest duration [`parse`] accepts. Leads, delays and announcement offsets are added
/// to instants; a year is more than any of them needs, and keeps every sum on the calendar
/// (chrono panics past year 262143).
pub const LONGEST: TimeDelta = TimeDelta::days(365);

/// A duration string that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("'{input}' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\"")]
    Malformed { input: String },
    #[error("'{input}' is longer than a year: write at most \"365d\"")]
    TooLong { input: String },
}

/// Parses "25m", "1h", "1h30m", "2h 15m", "90s", "1d", "0m" and "H:MM" / "HH:MM:SS", up to
/// [`LONGEST`]. A bare number is refused: "10" could mean minutes or seconds.
pub fn parse(input: &str) -> Result<TimeDelta, DurationError> {
    let total = parse_any(input).ok_or_else(|| DurationError::Malformed {
        input: input.to_string(),
    })?;
    if total > LONGEST {
        return Err(DurationError::TooLong {
            input: input.to_string(),
        });
    }
    Ok(total)
}

/// Any duration that fits a `TimeDelta`.
fn parse_any(input: &str) -> Option<TimeDelta> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(':') {
        return parse_clock(s);
    }
    let mut total = TimeDelta::zero();
    let mut digits = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' if digits.is_empty() => {}
            'd' | 'h' | 'm' | 's' => {
                let n: i64 = digits.parse().ok()?;
                digits.clear();
                let part = match c {
                    'd' => TimeDelta::try_days(n),
                    'h' => TimeDelta::try_hours(n),
                    'm' => TimeDelta::try_minutes(n),
                    _ => TimeDelta::try_seconds(n),
                };
                total = total.checked_add(&part?)?;
                seen_unit = true;
            }
            _ => return None,
        }
    }
    if !digits.is_empty() || !seen_unit {
        return None;
    }
    Some(total)
}

/// "H:MM" or "HH:MM:SS", as schedule exports write durations.
fn parse_clock(s: &str) -> Option<TimeDelta> {
    let parts: Vec<&str> = s.split(':').collect();
    let number = |p: &str| -> Option<i64> {
        (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    if m >= 60 || sec >= 60 {
        return None;
    }
    TimeDelta::try_hours(h)?
        .checked_add(&TimeDelta::try_minutes(m)?)?
        .checked_add(&TimeDelta::try_seconds(sec)?)
}

/// Displays a duration the way it is written in configs: "1h30m", "10m", "0m".
pub struct Compact(pub TimeDelta);

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.num_seconds();
        let sign = if total < 0 { "-" } else { "" };
        let total = total.abs();
        let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60);
        let mut out = String::new();
        for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
        if out.is_empty() {
            out.push_str("0m");
        }
        write!(f, "{sign}{out}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unit_suffixes_and_clock_forms() {
        assert_eq!(parse("25m"), Ok(TimeDelta::minutes(25)));
        assert_eq!(parse("0m"), Ok(TimeDelta::zero()));
        assert_eq!(parse("1h30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse("2h 15m"), Ok(TimeDelta::minutes(135)));
        assert_eq!(parse("90s"), Ok(TimeDelta::seconds(90)));
        assert_eq!(parse("1d"), Ok(TimeDelta::days(1)));
        assert_eq!(parse("1:30"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse("00:25"), Ok(TimeDelta::minutes(25)));
        assert_eq!(parse("01:00:30"), Ok(TimeDelta::seconds(3630)));
    }

    #[test]
    fn refuses_what_is_ambiguous_or_malformed() {
        for bad in [
            "",
            "10",
            "m",
            "10x",
            "1h30",
            "1:75",
            "1:2:3:4",
            "-5m",
            "h1",
            "99999999999999999:00",
            "9999999999999999d",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            parse("10").unwrap_err().to_string(),
            "'10' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\""
        );
    }

    #[test]
    fn refuses_more_than_a_year() {
        // 100000000d fits a TimeDelta, but not added to 2023 (the fuzzer's config and
        // !announce in 100000000d panicked).
        assert_eq!(parse("365d"), Ok(LONGEST));
        assert_eq!(parse("8760:00"), Ok(LONGEST));
        for long in ["366d", "365d1s", "8760:00:01", "100000000d"] {
            assert_eq!(
                parse(long),
                Err(DurationError::TooLong { input: long.into() }),
                "{long}"
            );
        }
        assert_eq!(
            parse("100000000d").unwrap_err().to_string(),
            "'100000000d' is longer than a year: write at most \"365d\""
        );
    }

    #[test]
    fn prints_back_what_it_reads() {
        for s in ["10m", "0m", "1h30m", "1d2h", "45s"] {
            assert_eq!(Compact(parse(s).unwrap()).to_string(), s);
        }
    }
}
