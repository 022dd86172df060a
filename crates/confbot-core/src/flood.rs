//! How often one person may command the bot (`[commands] per_user`): within the rate,
//! every command is answered; the first one over it gets one "slow down" reply, and the
//! rest are dropped unanswered until the window has room again. A flood from a few
//! attendees then costs the bot next to nothing and leaves the homeserver's rate budget to
//! the reminders. Commands admitted wait their [`Turns`]: a flood the homeserver cannot
//! carry as fast as it comes delays its own senders, not everyone else. Pure: the adapter
//! passes the time in.

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

/// Commands waiting for their turn, at most `limit`. The next one is always the oldest
/// command of the sender served least recently (never served goes first): a sender with
/// a backlog waits behind everyone else's next command, so while a flood keeps the bot
/// busy, a quiet attendee is answered at once instead of behind the flood. When full, the
/// newest command of the sender with the most waiting is the one dropped.
#[derive(Debug)]
pub struct Turns<T> {
    limit: usize,
    waiting: HashMap<String, VecDeque<(u64, T)>>,
    /// When each sender was last served, counted in commands taken.
    served: HashMap<String, u64>,
    /// Commands queued so far: orders one sender's commands and breaks ties.
    arrived: u64,
    /// Commands taken so far.
    taken: u64,
    len: usize,
}

impl<T> Turns<T> {
    pub fn new(limit: usize) -> Turns<T> {
        Turns {
            limit,
            waiting: HashMap::new(),
            served: HashMap::new(),
            arrived: 0,
            taken: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `item` from `sender`; the command dropped to make room, if the queue was full
    /// (`item` itself when its sender has the most waiting).
    pub fn push(&mut self, sender: &str, item: T) -> Option<T> {
        let mut dropped = None;
        if self.len >= self.limit {
            let own = self.waiting.get(sender).map_or(0, VecDeque::len);
            let longest = self
                .waiting
                .iter()
                .max_by_key(|(_, queue)| queue.len())
                .map(|(name, queue)| (name.clone(), queue.len()));
            match longest {
                Some((name, len)) if len > own => {
                    let queue = self.waiting.get_mut(&name).expect("listed");
                    dropped = queue.pop_back().map(|(_, item)| item);
                    if queue.is_empty() {
                        self.waiting.remove(&name);
                    }
                    self.len -= 1;
                }
                _ => return Some(item),
            }
        }
        self.arrived += 1;
        self.waiting
            .entry(sender.to_string())
            .or_default()
            .push_back((self.arrived, item));
        self.len += 1;
        dropped
    }

    /// The next command to answer.
    pub fn pop(&mut self) -> Option<T> {
        let sender = self
            .waiting
            .iter()
            .min_by_key(|(name, queue)| (self.served.get(*name).copied(), queue.front().map(|(n, _)| *n)))
            .map(|(name, _)| name.clone())?;
        let queue = self.waiting.get_mut(&sender).expect("listed");
        let (_, item) = queue.pop_front().expect("a queue listed is never empty");
        if queue.is_empty() {
            self.waiting.remove(&sender);
        }
        self.len -= 1;
        self.taken += 1;
        if self.served.len() >= MAX_SENDERS && !self.served.contains_key(&sender) {
            // Forget who was served longest ago: they have waited their turn anyway.
            let horizon = self.taken.saturating_sub(MAX_SENDERS as u64 / 2);
            self.served.retain(|_, at| *at >= horizon);
        }
        self.served.insert(sender, self.taken);
        Some(item)
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

    #[test]
    fn a_quiet_sender_goes_before_a_flood_that_came_first() {
        let mut turns = Turns::new(100);
        for n in 0..5 {
            turns.push("@flood:x", format!("flood {n}"));
        }
        assert_eq!(turns.pop().as_deref(), Some("flood 0"));
        turns.push("@quiet:x", "quiet 0".to_string());
        turns.push("@other:x", "other 0".to_string());
        // Both never served: by arrival. The flood's backlog waits behind them.
        assert_eq!(turns.pop().as_deref(), Some("quiet 0"));
        assert_eq!(turns.pop().as_deref(), Some("other 0"));
        assert_eq!(turns.pop().as_deref(), Some("flood 1"));
        turns.push("@quiet:x", "quiet 1".to_string());
        // Served less recently than the flood: first again.
        assert_eq!(turns.pop().as_deref(), Some("quiet 1"));
        let rest: Vec<String> = std::iter::from_fn(|| turns.pop()).collect();
        assert_eq!(
            rest,
            ["flood 2", "flood 3", "flood 4"],
            "one sender's commands in order"
        );
        assert!(turns.is_empty());
    }

    #[test]
    fn two_floods_take_turns() {
        let mut turns = Turns::new(100);
        for n in 0..3 {
            turns.push("@a:x", format!("a{n}"));
        }
        for n in 0..3 {
            turns.push("@b:x", format!("b{n}"));
        }
        let order: Vec<String> = std::iter::from_fn(|| turns.pop()).collect();
        assert_eq!(order, ["a0", "b0", "a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn when_full_the_longest_backlog_loses_its_newest() {
        let mut turns = Turns::new(4);
        for n in 0..3 {
            assert_eq!(turns.push("@flood:x", format!("flood {n}")), None);
        }
        assert_eq!(turns.push("@quiet:x", "quiet 0".to_string()), None);
        assert_eq!(turns.len(), 4);
        assert_eq!(
            turns.push("@flood:x", "flood 3".to_string()).as_deref(),
            Some("flood 3")
        );
        assert_eq!(turns.push("@late:x", "late 0".to_string()).as_deref(), Some("flood 2"));
        assert_eq!(turns.len(), 4);
        let order: Vec<String> = std::iter::from_fn(|| turns.pop()).collect();
        assert_eq!(order, ["flood 0", "quiet 0", "late 0", "flood 1"]);
    }
}
