//! The bot's clock: real time, or a rehearsal that starts at a chosen instant and runs
//! N times faster. Timers and handlers ask it for `now`; the core never reads the time.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::time::Duration;
// tokio's, not std's: a test that pauses tokio's time (`tokio::time::pause`) stops the
// bot's clock with it, and advancing it moves the clock and fires the timers together.
use tokio::time::Instant;

/// Real time, or rehearsal time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The instant on the bot's clock when it was started.
    origin: DateTime<Utc>,
    /// The real moment it was started.
    started: Instant,
    speed: f64,
    zone: Tz,
}

impl Clock {
    /// The real clock.
    pub fn real(zone: Tz) -> Clock {
        Clock::rehearsal(Utc::now(), 1.0, zone)
    }

    /// A clock that reads `origin` now and runs `speed` times faster than real time.
    pub fn rehearsal(origin: DateTime<Utc>, speed: f64, zone: Tz) -> Clock {
        Clock {
            origin,
            started: Instant::now(),
            speed,
            zone,
        }
    }

    /// The current instant on the bot's clock, in the conference's zone.
    pub fn now(&self) -> DateTime<Tz> {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed;
        let elapsed = TimeDelta::microseconds((elapsed * 1e6) as i64);
        (self.origin + elapsed).with_timezone(&self.zone)
    }

    /// How long to wait in real time until the bot's clock reads `at` (zero if past).
    pub fn real_until(&self, at: DateTime<Tz>) -> Duration {
        let ahead = (at.with_timezone(&Utc) - self.now().with_timezone(&Utc))
            .num_microseconds()
            .unwrap_or(i64::MAX);
        if ahead <= 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(ahead as f64 / 1e6 / self.speed)
        }
    }

    /// How much the bot's clock advances in `real` time.
    pub fn span(&self, real: Duration) -> TimeDelta {
        TimeDelta::microseconds((real.as_secs_f64() * self.speed * 1e6) as i64)
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
}

/// Now, by the real clock, in milliseconds since the Unix epoch: when a post or a reply was recorded.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Brussels;

    #[test]
    fn a_rehearsal_starts_where_it_is_told_and_runs_faster() {
        let origin = "2023-02-03T08:10:00Z".parse::<DateTime<Utc>>().unwrap();
        let clock = Clock::rehearsal(origin, 60.0, Brussels);
        let now = clock.now();
        let ran = now.with_timezone(&Utc) - origin;
        assert!(ran >= TimeDelta::zero() && ran < TimeDelta::seconds(60), "{now}");
        assert_eq!(crate::time::zone_abbreviation(&now), "CET");
        let in_ten_minutes = origin + TimeDelta::minutes(10);
        let wait = clock.real_until(in_ten_minutes.with_timezone(&Brussels));
        assert!(
            wait <= Duration::from_secs(10) && wait > Duration::from_secs(9),
            "{wait:?}"
        );
        assert_eq!(
            clock.real_until((origin - TimeDelta::hours(1)).with_timezone(&Brussels)),
            Duration::ZERO
        );
        assert_eq!(clock.span(Duration::from_millis(1500)), TimeDelta::seconds(90));
        assert_eq!(
            Clock::real(Brussels).span(Duration::from_secs(1)),
            TimeDelta::seconds(1)
        );
    }
}
