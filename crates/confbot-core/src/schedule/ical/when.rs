//! DTSTART, DTEND and DURATION: dates, local, UTC and zoned times, and durations, read
//! into instants in the calendar's zone.

use super::*;

pub(super) fn is_time(property: &Property) -> bool {
    matches!(property.name.as_str(), "DTSTART" | "DTEND")
}

pub(super) fn is_utc(value: &str) -> bool {
    value.trim().ends_with(['Z', 'z'])
}

/// An IANA zone for a TZID as producers write it: `Europe/Berlin`, `"Europe/Berlin"`,
/// `/Europe/Berlin`, `/mozilla.org/20050126_1/Europe/Berlin`, `europe/berlin`.
pub(super) fn lookup_zone(name: &str) -> Option<Tz> {
    let mut rest = name.trim().trim_matches('"').trim().trim_start_matches('/');
    loop {
        if let Ok(zone) = rest.parse::<Tz>() {
            return Some(zone);
        }
        if let Some(zone) = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|zone| zone.name().eq_ignore_ascii_case(rest))
        {
            return Some(*zone);
        }
        rest = rest.split_once('/')?.1;
    }
}

/// A DTSTART or DTEND as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum When {
    /// All day: the day starts at local midnight.
    Date(NaiveDate),
    /// Ends in Z.
    Utc(NaiveDateTime),
    /// With a TZID, or floating (read in the calendar's zone).
    Local(NaiveDateTime, Option<String>),
}

impl When {
    pub(super) fn read(property: &Property) -> Result<When, String> {
        let value = property.value.trim();
        let bad = || {
            format!(
                "{} \"{value}\" is not an iCalendar date-time (such as 20240913T100000, 20240913T100000Z or 20240913)",
                property.name
            )
        };
        let (body, utc) = match value.strip_suffix(['Z', 'z']) {
            Some(body) => (body, true),
            None => (value, false),
        };
        let compact: String = body.chars().filter(|c| !matches!(c, '-' | ':')).collect();
        let (date, clock) = match compact.split_once(['T', 't']) {
            Some((date, clock)) => (date, Some(clock)),
            None => (compact.as_str(), None),
        };
        let date = date_of(date).ok_or_else(bad)?;
        match clock {
            None if !utc => Ok(When::Date(date)),
            None => Err(bad()),
            Some(clock) => {
                let at = date.and_time(time_of(clock).ok_or_else(bad)?);
                if utc {
                    Ok(When::Utc(at))
                } else {
                    let zone = property.first_param("TZID").map(str::to_string);
                    Ok(When::Local(at, zone))
                }
            }
        }
    }

    /// The instant, in the zone it was written in (UTC for Z times).
    pub(super) fn place(&self, calendar_zone: Tz) -> Result<DateTime<Tz>, String> {
        match self {
            When::Date(date) => local(date.and_time(NaiveTime::MIN), calendar_zone),
            When::Utc(at) => Ok(chrono_tz::UTC.from_utc_datetime(at)),
            When::Local(at, None) => local(*at, calendar_zone),
            When::Local(at, Some(name)) => {
                let zone = lookup_zone(name).ok_or_else(|| {
                    format!("TZID \"{name}\" is not a known time zone: use an IANA name such as Europe/Berlin")
                })?;
                local(*at, zone)
            }
        }
    }
}

/// YYYYMMDD.
pub(super) fn date_of(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits[..4].parse().ok()?,
        digits[4..6].parse().ok()?,
        digits[6..].parse().ok()?,
    )
}

/// HHMMSS or HHMM.
pub(super) fn time_of(digits: &str) -> Option<NaiveTime> {
    if !matches!(digits.len(), 4 | 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = match digits.get(4..) {
        Some("") | None => 0,
        Some(s) => s.parse().ok()?,
    };
    NaiveTime::from_hms_opt(digits[..2].parse().ok()?, digits[2..4].parse().ok()?, seconds)
}

pub(super) fn local(at: NaiveDateTime, zone: Tz) -> Result<DateTime<Tz>, String> {
    let shown = at.format("%Y-%m-%dT%H:%M").to_string();
    time::resolve_local(at, zone, &shown).map_err(|err| err.to_string())
}

/// An ISO 8601 duration as iCalendar writes it (`PT1H30M`, `P1D`, `P2W`, `-PT5M`):
/// whole days, which keep the wall clock, and seconds.
pub(super) fn duration_of(value: &str) -> Option<(i64, i64)> {
    let value = value.trim();
    let (sign, rest) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds) = (0i64, 0i64);
    let mut in_time = false;
    let mut digits = String::new();
    let mut parts = 0;
    for c in rest.chars().map(|c| c.to_ascii_uppercase()) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c == 'T' && digits.is_empty() && !in_time {
            in_time = true;
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let (add_days, add_seconds) = match (in_time, c) {
            (false, 'W') => (n.checked_mul(7)?, 0),
            (false, 'D') => (n, 0),
            (true, 'H') => (0, n.checked_mul(3600)?),
            (true, 'M') => (0, n.checked_mul(60)?),
            (true, 'S') => (0, n),
            _ => return None,
        };
        days = days.checked_add(add_days)?;
        seconds = seconds.checked_add(add_seconds)?;
        parts += 1;
    }
    if !digits.is_empty() || parts == 0 {
        return None;
    }
    Some((sign * days, sign * seconds))
}

/// `start` plus a duration: days move the wall clock in the start's zone, seconds the instant.
pub(super) fn add_duration(start: DateTime<Tz>, days: i64, seconds: i64) -> Result<DateTime<Tz>, String> {
    let too_far = || "the DURATION reaches past the calendar's range".to_string();
    let mut end = start;
    if days != 0 {
        let wall = start.naive_local();
        let wall = if days > 0 {
            wall.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            wall.checked_sub_days(Days::new(days.unsigned_abs()))
        }
        .ok_or_else(too_far)?;
        end = local(wall, start.timezone())?;
    }
    end.checked_add_signed(TimeDelta::try_seconds(seconds).ok_or_else(too_far)?)
        .ok_or_else(too_far)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn tzid_times_are_converted_into_the_calendar_zone() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:ny\r\nDTSTART;TZID=America/New_York:20240913T100000\r\nDTEND;TZID=\"America/New_York\":20240913T110000\r\nSUMMARY:From New York\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:slash\r\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20240914T100000\r\nDTEND;TZID=/Europe/London:20240914T110000\r\nSUMMARY:From London\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let sessions = loaded.schedule.sessions();
        assert_eq!(loaded.schedule.timezone(), Berlin);
        assert_eq!(rfc3339(&sessions[0].start), "2024-09-13T16:00:00+02:00");
        assert_eq!(rfc3339(&sessions[0].end), "2024-09-13T17:00:00+02:00");
        assert_eq!(rfc3339(&sessions[1].start), "2024-09-14T11:00:00+02:00");
    }

    #[test]
    fn an_unknown_tzid_skips_the_event() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Mars/Olympus:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:On Mars\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240913T100000\r\nDTEND:20240913T110000\r\nSUMMARY:On Earth\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(only(&loaded).title, "On Earth");
        assert_eq!(
            loaded.warnings[0].message,
            "VEVENT \"On Mars\" skipped: TZID \"Mars/Olympus\" is not a known time zone: use an IANA name such as Europe/Berlin"
        );
    }

    #[test]
    fn utc_times_are_moved_into_the_calendar_zone() {
        let text = calendar(
            "VTIMEZONE: Europe/Rome\r\n",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240913T100000Z\r\nDTEND:20240913T110000Z\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        assert_eq!(loaded.schedule.timezone(), chrono_tz::Europe::Rome);
        assert_eq!(rfc3339(&only(&loaded).start), "2024-09-13T12:00:00+02:00");
    }

    #[test]
    fn floating_times_are_read_in_the_fallback_zone() {
        let text = calendar(
            "",
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240201T093000\r\nDTEND:20240201T100000\r\nSUMMARY:Opening\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, Some(chrono_tz::America::New_York));
        assert_eq!(rfc3339(&only(&loaded).start), "2024-02-01T09:30:00-05:00");
    }

    #[test]
    fn date_only_events_last_whole_days() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:camp\r\nDTSTART;VALUE=DATE:20240913\r\nDTEND;VALUE=DATE:20240915\r\nSUMMARY:Camp\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:day\r\nDTSTART:20241027\r\nSUMMARY:Clocks go back\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let camp = loaded.schedule.session("camp").unwrap();
        assert_eq!(rfc3339(&camp.start), "2024-09-13T00:00:00+02:00");
        assert_eq!(rfc3339(&camp.end), "2024-09-15T00:00:00+02:00");
        let day = loaded.schedule.session("day").unwrap();
        assert_eq!(rfc3339(&day.start), "2024-10-27T00:00:00+02:00");
        assert_eq!(rfc3339(&day.end), "2024-10-28T00:00:00+01:00");
    }

    #[test]
    fn duration_gives_the_end() {
        let text = calendar(
            BERLIN_HEAD,
            "BEGIN:VEVENT\r\nUID:talk\r\nDTSTART:20240913T100000\r\nDURATION:PT1H30M\r\nSUMMARY:Talk\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:hack\r\nDTSTART:20241026T120000\r\nDURATION:P1D\r\nSUMMARY:Hackathon\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:week\r\nDTSTART:20240101T090000Z\r\nDURATION:P1WT1S\r\nSUMMARY:Week\r\nEND:VEVENT\r\n",
        );
        let loaded = load(&text, None);
        let end = |id: &str| rfc3339(&loaded.schedule.session(id).unwrap().end);
        assert_eq!(end("talk"), "2024-09-13T11:30:00+02:00");
        // A day keeps the wall clock across the end of summer time.
        assert_eq!(end("hack"), "2024-10-27T12:00:00+01:00");
        assert_eq!(end("week"), "2024-01-08T10:00:01+01:00");
        assert_eq!(duration_of("-PT5M"), Some((0, -300)));
        for bad in ["", "P", "PT", "1H", "PT1D", "P1H", "PT5", "P99999999999999999999D"] {
            assert_eq!(duration_of(bad), None, "{bad:?}");
        }
    }
}
