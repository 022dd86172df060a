//! Durations as people write them in configs and schedules ("25m", "1h30m", "0m", "1:30")
//! and as the bot prints them back.

use chrono::TimeDelta;
use std::fmt;

/// A duration string that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a duration: write it like \"25m\", \"1h30m\", \"90s\" or \"1:30\"")]
pub struct DurationError {
    pub input: String,
}

/// Parses "25m", "1h", "1h30m", "2h 15m", "90s", "1d", "0m" and "H:MM" / "HH:MM:SS".
/// A bare number is refused: "10" could mean minutes or seconds.
pub fn parse(input: &str) -> Result<TimeDelta, DurationError> {
    let err = || DurationError {
        input: input.to_string(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err());
    }
    if s.contains(':') {
        return parse_clock(s).ok_or_else(err);
    }
    let mut total = TimeDelta::zero();
    let mut digits = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' if digits.is_empty() => {}
            'd' | 'h' | 'm' | 's' => {
                let n: i64 = digits.parse().map_err(|_| err())?;
                digits.clear();
                let part = match c {
                    'd' => TimeDelta::try_days(n),
                    'h' => TimeDelta::try_hours(n),
                    'm' => TimeDelta::try_minutes(n),
                    _ => TimeDelta::try_seconds(n),
                };
                total = total.checked_add(&part.ok_or_else(err)?).ok_or_else(err)?;
                seen_unit = true;
            }
            _ => return Err(err()),
        }
    }
    if !digits.is_empty() || !seen_unit {
        return Err(err());
    }
    Ok(total)
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
    fn prints_back_what_it_reads() {
        for s in ["10m", "0m", "1h30m", "1d2h", "45s"] {
            assert_eq!(Compact(parse(s).unwrap()).to_string(), s);
        }
    }
}
