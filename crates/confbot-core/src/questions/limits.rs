//! Whether a question may be asked: its length, how often one attendee asks, repeats.

use super::*;

/// At most `count` questions per `window`: "3/1m".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window: TimeDelta,
}

/// A rate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{input}\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\"")]
pub struct RateError {
    pub input: String,
}

impl FromStr for Rate {
    type Err = RateError;

    /// "3/1m", "10/1h", "5/30s": a count of at least 1 and a duration longer than zero.
    fn from_str(input: &str) -> Result<Rate, RateError> {
        let err = || RateError {
            input: input.to_string(),
        };
        let (count, window) = input.split_once('/').ok_or_else(err)?;
        let count: u32 = count.trim().parse().map_err(|_| err())?;
        let window = duration::parse(window).map_err(|_| err())?;
        if count == 0 || window <= TimeDelta::zero() {
            return Err(err());
        }
        Ok(Rate { count, window })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, duration::Compact(self.window))
    }
}

/// What an attendee may ask: from `[questions]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// In characters (not bytes), before any escaping.
    pub max_length: usize,
    /// `None`: no rate limit.
    pub per_user: Option<Rate>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            max_length: DEFAULT_MAX_LENGTH,
            per_user: Some(DEFAULT_PER_USER),
        }
    }
}

/// Why a question is not taken (`present::refusal` words the reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskRefusal {
    TooLong {
        length: usize,
        max: usize,
    },
    RateLimited {
        /// The limit's count and window, as configured.
        count: u32,
        window: TimeDelta,
        /// When the asker may ask again.
        until: DateTime<Tz>,
        /// How long that is from now.
        wait: TimeDelta,
    },
    Duplicate {
        number: u64,
    },
}

/// Whether `asker_history` allows asking `text` for `session_id` at `now` under `rules`.
///
/// `asker_history` holds the asker's stored questions: at least those for `session_id` and
/// those asked within the rate window (all of them is simplest: they are few). A question
/// of exactly `max_length` characters is accepted; the rate window is half-open, so a
/// question asked exactly one window ago no longer counts. A repeat (same session, same
/// words ignoring case and spacing) is reported before the rate limit, so asking the same
/// thing again gets its number rather than "wait".
pub fn check_ask(
    rules: &Rules,
    text: &str,
    session_id: &str,
    asker_history: &[Question],
    now: DateTime<Tz>,
) -> Result<(), AskRefusal> {
    let length = text.trim().chars().count();
    if length > rules.max_length {
        return Err(AskRefusal::TooLong {
            length,
            max: rules.max_length,
        });
    }
    let wanted = comparable(text);
    if let Some(earlier) = asker_history
        .iter()
        .filter(|q| q.session_id == session_id && comparable(&q.text) == wanted)
        .min_by_key(|q| q.number)
    {
        return Err(AskRefusal::Duplicate { number: earlier.number });
    }
    if let Some(rate) = rules.per_user {
        let since = now - rate.window;
        let mut recent: Vec<DateTime<Tz>> = asker_history
            .iter()
            .map(|q| q.asked_at)
            .filter(|&at| at > since && at <= now)
            .collect();
        let allowed = rate.count as usize;
        if recent.len() >= allowed {
            recent.sort();
            // Asking is possible again once enough of the recent questions leave the window.
            let until = recent[recent.len() - allowed] + rate.window;
            return Err(AskRefusal::RateLimited {
                count: rate.count,
                window: rate.window,
                until,
                wait: until - now,
            });
        }
    }
    Ok(())
}

/// The text as compared for repeats: trimmed, runs of whitespace as one space, lower case.
fn comparable(text: &str) -> String {
    text::collapse_whitespace(text).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questions::testing::*;

    #[test]
    fn the_length_limit_counts_characters_and_accepts_exactly_the_limit() {
        let rules = Rules {
            max_length: 1000,
            per_user: None,
        };
        let now = at("2023-02-03T09:40");
        let exactly = "é".repeat(1000);
        assert_eq!(check_ask(&rules, &exactly, "network", &[], now), Ok(()));
        let over = "é".repeat(1001);
        let refusal = check_ask(&rules, &over, "network", &[], now).unwrap_err();
        assert_eq!(
            refusal,
            AskRefusal::TooLong {
                length: 1001,
                max: 1000
            }
        );
        assert_eq!(
            said(refusal.clone()),
            "Your question is 1001 characters long; the limit is 1000. Please shorten it and ask again."
        );
    }

    #[test]
    fn the_rate_limit_says_when_the_asker_may_ask_again() {
        let rules = Rules::default();
        let history = [
            question(1, "network", "one", "2023-02-03T10:41:10"),
            question(2, "network", "two", "2023-02-03T10:41:30"),
            question(3, "kernel", "three", "2023-02-03T10:41:50"),
        ];
        let refusal = check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:00")).unwrap_err();
        assert_eq!(
            said(refusal.clone()),
            "You have asked 3 questions in the last minute; you can ask again at 10:42 CET (in 1 minute)."
        );
        assert!(matches!(refusal, AskRefusal::RateLimited { until, .. } if until == at("2023-02-03T10:42:10")));
        assert!(
            check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:09")).is_err(),
            "one second before the first question leaves the window"
        );
        assert_eq!(
            check_ask(&rules, "four", "network", &history, at("2023-02-03T10:42:10")),
            Ok(()),
            "a question asked exactly one window ago no longer counts"
        );
        assert_eq!(
            check_ask(&rules, "four", "network", &history[1..], at("2023-02-03T10:42:00")),
            Ok(()),
            "two in the window is under the limit"
        );
        let off = Rules {
            per_user: None,
            ..rules
        };
        assert_eq!(
            check_ask(&off, "four", "network", &history, at("2023-02-03T10:42:00")),
            Ok(())
        );
        let hourly = Rules {
            per_user: Some("1/2h".parse().unwrap()),
            ..rules
        };
        assert_eq!(
            said(check_ask(&hourly, "again", "network", &history[2..], at("2023-02-03T10:45:00")).unwrap_err()),
            "You have asked 1 question in the last 2 hours; you can ask again at 12:41 CET (in 1 hour 57 minutes)."
        );
    }

    #[test]
    fn the_same_question_for_the_same_session_is_recorded_once() {
        let rules = Rules::default();
        let history = [question(
            12,
            "network",
            "  Is NetworkManager\n 1.42 in RHEL   9.2? ",
            "2023-02-03T09:31",
        )];
        let now = at("2023-02-03T09:50");
        let again = check_ask(&rules, "is networkmanager 1.42 in rhel 9.2?", "network", &history, now).unwrap_err();
        assert_eq!(again, AskRefusal::Duplicate { number: 12 });
        assert_eq!(said(again), "You have already asked this question: it is Q12.");
        assert_eq!(
            check_ask(&rules, "is networkmanager 1.42 in rhel 9.2?", "kernel", &history, now),
            Ok(()),
            "the same words for another session are another question"
        );
        assert_eq!(
            check_ask(&rules, "Is NetworkManager 1.43 in RHEL 9.2?", "network", &history, now),
            Ok(())
        );
        let burst = [
            question(12, "network", "same", "2023-02-03T09:49:30"),
            question(13, "network", "b", "2023-02-03T09:49:40"),
            question(14, "network", "c", "2023-02-03T09:49:50"),
        ];
        assert_eq!(
            check_ask(&rules, "SAME", "network", &burst, now),
            Err(AskRefusal::Duplicate { number: 12 }),
            "a repeat gets its number, not a wait"
        );
    }

    #[test]
    fn rates_read_count_slash_duration() {
        assert_eq!(
            "3/1m".parse(),
            Ok(Rate {
                count: 3,
                window: TimeDelta::minutes(1)
            })
        );
        assert_eq!(
            "10/1h".parse::<Rate>().map(|r| (r.count, r.window)),
            Ok((10, TimeDelta::hours(1)))
        );
        assert_eq!(
            " 5 / 30s ".parse::<Rate>().map(|r| r.to_string()),
            Ok("5/30s".to_string())
        );
        assert_eq!(DEFAULT_PER_USER.to_string(), "3/1m");
        for bad in ["3", "0/1m", "3/0m", "x/1m", "3/10", "-1/1m", "3/1m/2", ""] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            "3/10".parse::<Rate>().unwrap_err().to_string(),
            "\"3/10\" is not a rate: write it as COUNT/DURATION, like \"3/1m\" (3 questions a minute), \"10/1h\" or \"5/30s\""
        );
    }
}
