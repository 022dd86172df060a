//! Organizers' announcements from the config: `at` a time, on a `cron` rule, or
//! `before`/`after` a session. Checked once when the config is read, into typed values;
//! here only their instants and their identity are worked out.

use crate::schedule::Schedule;
use crate::time::{self, TimeError};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;
use croner::Cron;

/// An announcement an organizer scheduled in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    pub text: String,
    /// A target of `[rooms]`: "announcements", "moderators", "speakers" or a place of
    /// `[rooms.map]`.
    pub target: String,
    pub when: When,
}

/// When an announcement falls due. `written` is the rule as the config wrote it: part of
/// the announcement's identity, so that its posts keep their keys from one version of the
/// bot to the next.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    At {
        at: At,
        written: String,
    },
    /// Evaluated in the conference's zone. Boxed: a parsed rule is ten times the size of
    /// the other variants.
    Cron {
        cron: Box<Cron>,
        written: String,
    },
    /// An offset from a session's start: negative is before.
    Session {
        session: String,
        offset: TimeDelta,
    },
}

/// A time as the config may write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A wall-clock time in the conference's zone ("2023-02-03T08:45").
    Local(NaiveDateTime),
    /// An instant with its own offset ("2023-02-03T08:45:00+01:00").
    Fixed(DateTime<FixedOffset>),
}

impl At {
    /// Reads a local time (seconds optional) or an RFC 3339 instant.
    pub fn parse(written: &str) -> Option<At> {
        let written = written.trim();
        DateTime::parse_from_rfc3339(written)
            .map(At::Fixed)
            .ok()
            .or_else(|| time::parse_naive(written).map(At::Local))
    }

    /// The instant in `zone`; a local time the zone skips or repeats (at a change of
    /// daylight saving time) is refused.
    pub fn resolve(self, zone: Tz) -> Result<DateTime<Tz>, TimeError> {
        match self {
            At::Fixed(instant) => Ok(instant.with_timezone(&zone)),
            At::Local(local) => time::resolve_local(local, zone, &local.format("%Y-%m-%dT%H:%M").to_string()),
        }
    }
}

/// Parses a cron expression with five fields (minute precision) or six (with seconds).
pub fn parse_cron(expression: &str) -> Result<Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(expression)
}

/// The most occurrences of a cron rule planned at once: a rule firing every second over a
/// long window stays bounded work.
const MAX_OCCURRENCES: usize = 10_000;

impl Announcement {
    /// The instants in `[from, until]` at which it falls due. A local time the conference's
    /// zone skips never does: `confbot check` and the bot's start report it.
    pub fn times(&self, schedule: &Schedule, from: DateTime<Tz>, until: DateTime<Tz>) -> Vec<DateTime<Tz>> {
        let zone = schedule.timezone();
        let within = |t: &DateTime<Tz>| *t >= from && *t <= until;
        match &self.when {
            When::At { at, .. } => at.resolve(zone).ok().filter(within).into_iter().collect(),
            When::Session { session, offset } => schedule
                .session(session)
                .map(|s| s.start + *offset)
                .filter(within)
                .into_iter()
                .collect(),
            When::Cron { cron, .. } => {
                let start = from.with_timezone(&zone) - TimeDelta::seconds(1);
                cron.iter_after(start)
                    .take_while(|t| *t <= until)
                    .take(MAX_OCCURRENCES)
                    .collect()
            }
        }
    }

    /// The exactly-once key of its post due at `due`.
    pub fn key(&self, due: &DateTime<Tz>) -> String {
        format!("announcement:{:016x}:{}", self.fingerprint(), time::rfc3339(due))
    }

    /// A stable hash of its text, target and rule as written (FNV-1a): its identity in the
    /// store, so that editing an announcement makes it a new one.
    fn fingerprint(&self) -> u64 {
        let rule = match &self.when {
            When::At { written, .. } => format!("at {written}"),
            When::Cron { written, .. } => format!("cron {written}"),
            When::Session { session, offset } => format!("session {session} {}", offset.num_seconds()),
        };
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in format!("{}\u{0}{}\u{0}{rule}", self.text, self.target).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{at, config, fall};
    use crate::plan::{posts, FromChat, What};

    /// One announcement of each kind: at a time, before a session, on a cron rule.
    const THREE_RULES: &str =
        "[[announcements]]\ntext = \"Doors open\"\nroom = \"announcements\"\nat = \"2023-11-03T08:30\"\n\
        [[announcements]]\ntext = \"Backstage\"\nroom = \"moderators\"\nbefore = \"15m\"\nsession = \"sunday\"\n\
        [[announcements]]\ntext = \"Hydrate\"\nroom = \"announcements\"\ncron = \"0 12 * * *\"\n";

    #[test]
    fn announcements_fall_due_at_their_time_relative_to_sessions_and_on_cron() {
        let s = fall();
        let c = config(THREE_RULES);
        let found: Vec<String> = posts(
            &s,
            c.rules(),
            &FromChat::default(),
            at(&s, "2023-11-03T00:00"),
            at(&s, "2023-11-06T00:00"),
        )
        .iter()
        .filter_map(|p| match &p.what {
            What::Announcement { text, .. } => Some(format!("{} {text}", time::rfc3339(&p.due))),
            _ => None,
        })
        .collect();
        assert_eq!(
            found,
            [
                "2023-11-03T08:30:00-04:00 Doors open",
                "2023-11-03T12:00:00-04:00 Hydrate",
                "2023-11-04T12:00:00-04:00 Hydrate",
                "2023-11-05T08:45:00-05:00 Backstage",
                "2023-11-05T12:00:00-05:00 Hydrate",
            ]
        );
    }

    #[test]
    fn an_announcement_keeps_its_key_from_one_version_to_the_next() {
        // The keys the bot recorded before announcements were typed: a restart on the new
        // version must find them done, not post them again.
        let s = fall();
        let c = config(THREE_RULES);
        let keys: Vec<String> = posts(
            &s,
            c.rules(),
            &FromChat::default(),
            at(&s, "2023-11-03T00:00"),
            at(&s, "2023-11-03T23:00"),
        )
        .into_iter()
        .filter(|p| matches!(p.what, What::Announcement { .. }))
        .map(|p| p.key)
        .collect();
        assert_eq!(
            keys,
            [
                "announcement:d2b8fb3c223e11e0:2023-11-03T08:30:00-04:00",
                "announcement:0ad031a8d9ba9451:2023-11-03T12:00:00-04:00",
            ]
        );
        assert_eq!(
            c.announcements[1].key(&at(&s, "2023-11-05T08:45")),
            "announcement:6e0f76eb16946246:2023-11-05T08:45:00-05:00"
        );
    }

    #[test]
    fn times_are_read_local_or_with_an_offset_and_a_skipped_local_time_is_refused() {
        let zone = chrono_tz::America::New_York;
        let local = At::parse("2023-11-05T09:00").unwrap();
        assert_eq!(
            time::rfc3339(&local.resolve(zone).unwrap()),
            "2023-11-05T09:00:00-05:00"
        );
        let fixed = At::parse(" 2023-11-05T09:00:00+01:00 ").unwrap();
        assert_eq!(
            time::rfc3339(&fixed.resolve(zone).unwrap()),
            "2023-11-05T03:00:00-05:00"
        );
        assert_eq!(At::parse("tomorrow at nine"), None);
        assert!(matches!(
            At::parse("2023-03-12T02:30").unwrap().resolve(zone),
            Err(TimeError::Gap { .. })
        ));
    }

    #[test]
    fn cron_rules_take_five_or_six_fields() {
        let every_weekday = parse_cron("0 9 * * MON-FRI").unwrap();
        assert_eq!(every_weekday.pattern.to_string(), "0 9 * * 1-5");
        let friday = at(&fall(), "2023-11-03T08:00");
        let next: Vec<String> = every_weekday
            .iter_after(friday)
            .take(2)
            .map(|t| time::rfc3339(&t))
            .collect();
        assert_eq!(next, ["2023-11-03T09:00:00-04:00", "2023-11-06T09:00:00-05:00"]);
        let with_seconds = parse_cron("30 0 9 * * *").unwrap();
        let first = with_seconds.iter_after(friday).next().unwrap();
        assert_eq!(time::rfc3339(&first), "2023-11-03T09:00:30-04:00");
        assert!(matches!(
            parse_cron("61 * * * *"),
            Err(croner::errors::CronError::ComponentError(_))
        ));
        assert!(matches!(
            parse_cron("* * *"),
            Err(croner::errors::CronError::InvalidPattern(_))
        ));
    }
}
