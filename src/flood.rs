//! How often one person may command the bot (`[commands] per_user`): within the rate,
//! every command is answered; the first one over it gets one "slow down" reply, and the
//! rest are dropped unanswered until the window has room again. A flood from a few
//! attendees then costs the bot next to nothing and leaves the homeserver's rate budget to
//! the reminders. Pure: the adapter passes the time in.

use crate::questions::Rate;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};

/// What to do with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Within the rate: answer it.
    Answer,
    /// The first over the rate: say once to slow down.
    SlowDown,
    /// Over the rate, and told already: drop it.
    Drop,
}

/// The recent commands of each sender.
#[derive(Debug)]
pub struct Flood {
    rate: Rate,
    senders: HashMap<String, Recent>,
}

#[derive(Debug, Default)]
struct Recent {
    /// When the commands answered within the window came, oldest first.
    answered: VecDeque<DateTime<Utc>>,
    /// Told to slow down, and not answered since.
    warned: bool,
}

/// Senders remembered at most; past this, those quiet for a window are forgotten.
const MAX_SENDERS: usize = 10_000;

impl Flood {
    pub fn new(rate: Rate) -> Flood {
        Flood {
            rate,
            senders: HashMap::new(),
        }
    }

    /// Whether to answer a command from `user` that came at `now`.
    pub fn admit(&mut self, user: &str, now: DateTime<Utc>) -> Admit {
        let window = self.rate.window;
        if self.senders.len() >= MAX_SENDERS && !self.senders.contains_key(user) {
            self.senders
                .retain(|_, recent| recent.answered.back().is_some_and(|last| now - *last < window));
        }
        let recent = self.senders.entry(user.to_string()).or_default();
        while recent.answered.front().is_some_and(|first| now - *first >= window) {
            recent.answered.pop_front();
        }
        if recent.answered.len() < self.rate.count as usize {
            recent.answered.push_back(now);
            recent.warned = false;
            Admit::Answer
        } else if recent.warned {
            Admit::Drop
        } else {
            recent.warned = true;
            Admit::SlowDown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_675_411_200 + seconds, 0).unwrap()
    }

    #[test]
    fn over_the_rate_one_slow_down_then_silence_until_the_window_has_room() {
        let mut flood = Flood::new(Rate {
            count: 3,
            window: TimeDelta::seconds(10),
        });
        let seen: Vec<Admit> = [0, 1, 2, 3, 4, 5].iter().map(|&s| flood.admit("@a:x", at(s))).collect();
        use Admit::*;
        assert_eq!(seen, [Answer, Answer, Answer, SlowDown, Drop, Drop]);
        assert_eq!(flood.admit("@b:x", at(5)), Answer, "another sender is not held up");
        // At 10 s the first command leaves the window.
        assert_eq!(flood.admit("@a:x", at(9)), Drop);
        assert_eq!(flood.admit("@a:x", at(10)), Answer);
        assert_eq!(flood.admit("@a:x", at(10)), SlowDown, "a new burst is told again");
    }

    #[test]
    fn a_flood_of_senders_is_forgotten_once_quiet() {
        let mut flood = Flood::new(Rate {
            count: 1,
            window: TimeDelta::seconds(10),
        });
        for n in 0..MAX_SENDERS {
            flood.admit(&format!("@{n}:x"), at(0));
        }
        flood.admit("@late:x", at(20));
        assert_eq!(flood.senders.len(), 1);
    }
}
