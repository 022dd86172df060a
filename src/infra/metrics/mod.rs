//! What the bot has done and whether it is healthy, for the people operating it: counters
//! any task can record into, exposed in Prometheus' text format by `prometheus-client` (the
//! official Rust client), a health verdict, and [`http::serve`], the endpoint (`/metrics`,
//! `/healthz`) that hands them out.
//!
//! Only [`http::serve`] reads the clock, once per request: [`Metrics`] takes the instants
//! it records and the `now` it is asked about, so every rule is testable with fixed instants.

mod exposition;
pub mod http;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use http::serve;

/// With no successful sync for this long the bot is unhealthy. A sync long-polls for at
/// most 30 s, so this is four missed syncs in a row.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// The upper bounds, in seconds, of the command latency histogram's buckets; `+Inf` follows.
pub const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The bot's counters and sync state. Share it through an `Arc`; every method takes
/// `&self`, and recording holds a lock only for a counter update.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// What a post was: a session reminder, an organizer's announcement, or an attendee's own
/// reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    Reminder,
    Announcement,
    Personal,
    /// A speaker's invitation, cue or check-in.
    Cue,
}

/// What happened to a post. Each post counts as `Due` when it falls due, then as one of
/// `Sent`, `Late` (sent after downtime, within the grace period), `Skipped` (too late to
/// send) or `Failed` (the homeserver refused it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    Due,
    Sent,
    Late,
    Skipped,
    Failed,
}

/// Whether the bot is doing its job, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Why not, in words for the operator.
    Unhealthy(String),
}

#[derive(Debug, Default)]
struct State {
    started: Option<Instant>,
    commands: BTreeMap<String, u64>,
    latency: Histogram,
    replies_sent: u64,
    replies_failed: u64,
    /// Commands over `[commands] per_user`: told to slow down, or dropped unanswered.
    limited_slow_down: u64,
    limited_dropped: u64,
    /// Indexed by [`PostKind::index`] and [`PostOutcome::index`].
    posts: [[u64; PostOutcome::ALL.len()]; PostKind::ALL.len()],
    last_sync: Option<Instant>,
    sync_errors: u64,
    /// Set by a failed sync, cleared by the next successful one.
    failing: Option<Failure>,
    /// Why the bot's store could not be written (a full or read-only disk), until it can.
    store_failing: Option<String>,
    /// Whether the bot's device is cross-signed by its account; unknown until checked.
    cross_signed: Option<bool>,
    /// Indexed by [`Undecryptable::index`].
    undecryptable: [u64; Undecryptable::ALL.len()],
    /// Indexed by [`Removal::index`].
    removals: [u64; Removal::ALL.len()],
}

/// What became of a message the bot could not decrypt when it arrived: it is `Kept` for
/// a retry, then `Decrypted` once its key came, or its sender `Notified`, or `Dropped`
/// (too old, too many kept, or its sender told recently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecryptable {
    Kept,
    Decrypted,
    Notified,
    Dropped,
}

impl Undecryptable {
    pub const ALL: [Undecryptable; 4] = [
        Undecryptable::Kept,
        Undecryptable::Decrypted,
        Undecryptable::Notified,
        Undecryptable::Dropped,
    ];

    /// The value of the `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Undecryptable::Kept => "kept",
            Undecryptable::Decrypted => "decrypted",
            Undecryptable::Notified => "notified",
            Undecryptable::Dropped => "dropped",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How the bot was put out of a room the config names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Kicked,
    Banned,
}

impl Removal {
    pub const ALL: [Removal; 2] = [Removal::Kicked, Removal::Banned];

    /// The value of the `how` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Removal::Kicked => "kicked",
            Removal::Banned => "banned",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug)]
struct Failure {
    /// The first failure since the last successful sync.
    since: Instant,
    /// The latest failure's reason.
    reason: String,
}

/// A Prometheus histogram over [`LATENCY_BUCKETS`].
#[derive(Debug, Default)]
struct Histogram {
    /// How many observations fell in each bucket but no lower one (not cumulative).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    /// Kept as a `Duration` so the sum is exact.
    sum: Duration,
}

impl Histogram {
    fn observe(&mut self, value: Duration) {
        let seconds = value.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&bound| seconds <= bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum = self.sum.saturating_add(value);
    }
}

impl PostKind {
    pub const ALL: [PostKind; 4] = [
        PostKind::Reminder,
        PostKind::Announcement,
        PostKind::Personal,
        PostKind::Cue,
    ];

    /// The value of the `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Reminder => "reminder",
            PostKind::Announcement => "announcement",
            PostKind::Personal => "personal",
            PostKind::Cue => "cue",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl PostOutcome {
    pub const ALL: [PostOutcome; 5] = [
        PostOutcome::Due,
        PostOutcome::Sent,
        PostOutcome::Late,
        PostOutcome::Skipped,
        PostOutcome::Failed,
    ];

    /// The value of the `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            PostOutcome::Due => "due",
            PostOutcome::Sent => "sent",
            PostOutcome::Late => "late",
            PostOutcome::Skipped => "skipped",
            PostOutcome::Failed => "failed",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// A panic in another task while it held the lock leaves counters that are still
    /// counters: keep going with them.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bot started at `at`; `/healthz` says how long it has waited for its first sync.
    pub fn started(&self, at: Instant) {
        self.state().started = Some(at);
    }

    /// A command was handled, from receiving it to having the reply ready. `name` is the
    /// command ("next", "ask") or what went wrong ("usage_error", "unknown"): keep it to a
    /// fixed set, each name is a time series.
    pub fn command(&self, name: &str, latency: Duration) {
        let mut state = self.state();
        match state.commands.get_mut(name) {
            Some(count) => *count += 1,
            None => {
                state.commands.insert(name.to_string(), 1);
            }
        }
        state.latency.observe(latency);
    }

    /// A reply reached the homeserver.
    pub fn reply_sent(&self) {
        self.state().replies_sent += 1;
    }

    /// A reply could not be sent.
    pub fn reply_failed(&self) {
        self.state().replies_failed += 1;
    }

    /// A command was not answered as usual: its sender was told to slow down
    /// (`slow_down`), or it was dropped (over the rate, or the queue was full).
    pub fn command_dropped(&self, slow_down: bool) {
        let mut state = self.state();
        if slow_down {
            state.limited_slow_down += 1;
        } else {
            state.limited_dropped += 1;
        }
    }

    /// A reminder or announcement fell due, or what became of it (see [`PostOutcome`]).
    pub fn post(&self, kind: PostKind, outcome: PostOutcome) {
        self.state().posts[kind.index()][outcome.index()] += 1;
    }

    /// A sync with the homeserver succeeded at `at`; any failure is over.
    pub fn sync_ok(&self, at: Instant) {
        let mut state = self.state();
        state.last_sync = Some(at);
        state.failing = None;
    }

    /// A sync failed at `at` because of `reason`.
    pub fn sync_failed(&self, reason: &str, at: Instant) {
        let mut state = self.state();
        state.sync_errors += 1;
        let since = state.failing.as_ref().map_or(at, |failure| failure.since);
        state.failing = Some(Failure {
            since,
            reason: reason.to_string(),
        });
    }

    /// Writing to the bot's store failed (`Some(reason)`) or worked again (`None`).
    pub fn store_written(&self, failure: Option<&str>) {
        self.state().store_failing = failure.map(str::to_string);
    }

    /// Whether the bot's device is cross-signed by its account's identity, as last checked.
    pub fn device_cross_signed(&self, signed: bool) {
        self.state().cross_signed = Some(signed);
    }

    /// What became of a message the bot could not decrypt (see [`Undecryptable`]).
    pub fn undecryptable(&self, outcome: Undecryptable) {
        self.state().undecryptable[outcome.index()] += 1;
    }

    /// The bot was kicked from or banned in a room the config names.
    pub fn removed(&self, how: Removal) {
        self.state().removals[how.index()] += 1;
    }

    /// Whether the bot's device is cross-signed, once known.
    pub fn cross_signed(&self) -> Option<bool> {
        self.state().cross_signed
    }

    /// Whether the bot has synced at least once, and so sees its rooms.
    pub fn ready(&self) -> bool {
        self.state().last_sync.is_some()
    }

    /// Healthy when the last sync succeeded less than [`STALE_AFTER`] before `now`.
    pub fn health(&self, now: Instant) -> Health {
        self.state().health(now)
    }

    /// Everything in the Prometheus text exposition format 0.0.4, families in a fixed
    /// order and series sorted by their labels. `questions_by_status` (status, count) comes
    /// from the store.
    ///
    /// `confbot_last_sync_age_seconds` has no sample before the first sync, rather than NaN
    /// (which makes every comparison in an alert false): alert on `confbot_up == 0`, which
    /// covers it.
    pub fn render(&self, now: Instant, questions_by_status: &[(String, u64)]) -> String {
        let snapshot = self.state().snapshot(now, questions_by_status);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(snapshot));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &registry).expect("writing to a String cannot fail");
        text
    }
}

impl State {
    fn health(&self, now: Instant) -> Health {
        if let Some(reason) = &self.store_failing {
            return Health::Unhealthy(format!(
                "the bot's store cannot be written (is the disk full or read-only?): {reason}"
            ));
        }
        if self.cross_signed == Some(false) {
            return Health::Unhealthy(
                "the bot's device is not cross-signed: clients that exclude unverified devices cannot talk to it; \
                 restart the bot, with its recovery key if its identity was reset"
                    .to_string(),
            );
        }
        let seconds = |since: Instant| now.saturating_duration_since(since).as_secs();
        let failing = self
            .failing
            .as_ref()
            .map(|failure| format!("sync failing since {}s: {}", seconds(failure.since), failure.reason));
        let Some(last) = self.last_sync else {
            let mut reason = "not yet synced".to_string();
            if let Some(started) = self.started {
                reason.push_str(&format!(" (started {}s ago)", seconds(started)));
            }
            if let Some(failing) = failing {
                reason.push_str(&format!("; {failing}"));
            }
            return Health::Unhealthy(reason);
        };
        if let Some(failing) = failing {
            return Health::Unhealthy(failing);
        }
        let age = now.saturating_duration_since(last);
        if age > STALE_AFTER {
            return Health::Unhealthy(format!(
                "no successful sync for {}s (more than {}s)",
                age.as_secs(),
                STALE_AFTER.as_secs()
            ));
        }
        Health::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const MS: Duration = Duration::from_millis(1);

    pub(super) fn has_line(text: &str, line: &str) {
        assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
    }

    #[test]
    fn latencies_fall_in_the_first_bucket_that_holds_them_and_buckets_count_up() {
        let metrics = Metrics::new();
        for latency in [MS * 5, MS * 6, MS * 30, Duration::from_secs(5), Duration::from_secs(9)] {
            metrics.command("next", latency);
        }
        let text = metrics.render(Instant::now(), &[]);
        let buckets: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("confbot_command_latency_seconds"))
            .collect();
        assert_eq!(
            buckets,
            [
                "confbot_command_latency_seconds_bucket{le=\"0.005\"} 1",
                "confbot_command_latency_seconds_bucket{le=\"0.01\"} 2",
                "confbot_command_latency_seconds_bucket{le=\"0.025\"} 2",
                "confbot_command_latency_seconds_bucket{le=\"0.05\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"0.1\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"0.25\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"0.5\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"1\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"2.5\"} 3",
                "confbot_command_latency_seconds_bucket{le=\"5\"} 4",
                "confbot_command_latency_seconds_bucket{le=\"+Inf\"} 5",
                "confbot_command_latency_seconds_sum 14.041",
                "confbot_command_latency_seconds_count 5",
            ]
        );
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let metrics = Metrics::new();
        metrics.command("say \"hi\"\n", MS);
        let text = metrics.render(Instant::now(), &[("a\\b".to_string(), 1)]);
        has_line(&text, r#"confbot_commands_total{command="say \"hi\"\n"} 1"#);
        has_line(&text, r#"confbot_questions{status="a\\b"} 1"#);
    }

    #[test]
    fn render_writes_every_family_in_a_fixed_order() {
        let start = Instant::now();
        let metrics = Metrics::new();
        metrics.started(start);
        metrics.command("next", MS * 20);
        metrics.command("ask", MS * 40);
        metrics.command("next", MS * 40);
        metrics.reply_sent();
        metrics.reply_sent();
        metrics.reply_failed();
        metrics.post(PostKind::Reminder, PostOutcome::Due);
        metrics.post(PostKind::Reminder, PostOutcome::Sent);
        metrics.post(PostKind::Personal, PostOutcome::Due);
        metrics.post(PostKind::Personal, PostOutcome::Skipped);
        metrics.sync_failed("connection refused", start + MS * 100);
        metrics.sync_ok(start + Duration::from_secs(10));
        metrics.command_dropped(true);
        metrics.command_dropped(false);
        metrics.command_dropped(false);
        let questions = [("pending".to_string(), 4), ("approved".to_string(), 2)];
        let text = metrics.render(start + Duration::from_millis(12_500), &questions);

        for line in [
            "confbot_commands_total{command=\"next\"} 2",
            "confbot_commands_total{command=\"ask\"} 1",
            "confbot_replies_total{result=\"sent\"} 2",
            "confbot_replies_total{result=\"failed\"} 1",
            "confbot_commands_limited_total{action=\"slow_down\"} 1",
            "confbot_commands_limited_total{action=\"dropped\"} 2",
            "confbot_posts_total{kind=\"reminder\",outcome=\"sent\"} 1",
            "confbot_posts_total{kind=\"personal\",outcome=\"skipped\"} 1",
            "confbot_posts_total{kind=\"announcement\",outcome=\"failed\"} 0",
            "confbot_questions{status=\"pending\"} 4",
            "confbot_sync_errors_total 1",
            "confbot_last_sync_age_seconds 2.5",
            "confbot_up 1",
        ] {
            has_line(&text, line);
        }

        // Families in order, each with its HELP and TYPE; series sorted by their labels.
        let families: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE")).collect();
        assert_eq!(
            families,
            [
                "# TYPE confbot_commands_total counter",
                "# TYPE confbot_command_latency_seconds histogram",
                "# TYPE confbot_replies_total counter",
                "# TYPE confbot_commands_limited_total counter",
                "# TYPE confbot_posts_total counter",
                "# TYPE confbot_questions gauge",
                "# TYPE confbot_sync_errors_total counter",
                "# TYPE confbot_last_sync_age_seconds gauge",
                "# TYPE confbot_device_cross_signed gauge",
                "# TYPE confbot_undecryptable_total counter",
                "# TYPE confbot_removed_from_rooms_total counter",
                "# TYPE confbot_up gauge",
            ]
        );
        assert_eq!(text.matches("# HELP ").count(), families.len());
        let series = |prefix: &str| -> Vec<&str> { text.lines().filter(|l| l.starts_with(prefix)).collect() };
        assert_eq!(
            series("confbot_commands_total{"),
            [
                "confbot_commands_total{command=\"ask\"} 1",
                "confbot_commands_total{command=\"next\"} 2"
            ]
        );
        assert_eq!(
            series("confbot_questions{"),
            [
                "confbot_questions{status=\"approved\"} 2",
                "confbot_questions{status=\"pending\"} 4"
            ]
        );
        let posts = series("confbot_posts_total{");
        assert_eq!(posts.len(), 20, "every kind and outcome, zero or not");
        assert_eq!(posts[0], "confbot_posts_total{kind=\"announcement\",outcome=\"due\"} 0");
        assert_eq!(
            posts[19],
            "confbot_posts_total{kind=\"reminder\",outcome=\"skipped\"} 0"
        );
        assert!(text.ends_with('\n'));
        assert_eq!(text, metrics.render(start + Duration::from_millis(12_500), &questions));
    }

    #[test]
    fn before_the_first_sync_the_age_has_no_sample_and_the_bot_is_down() {
        let start = Instant::now();
        let metrics = Metrics::new();
        metrics.started(start);
        let text = metrics.render(start + Duration::from_secs(3), &[]);
        has_line(&text, "# TYPE confbot_last_sync_age_seconds gauge");
        assert!(!text.contains("\nconfbot_last_sync_age_seconds "), "{text}");
        has_line(&text, "confbot_up 0");
        has_line(&text, "confbot_replies_total{result=\"sent\"} 0");
        has_line(&text, "confbot_command_latency_seconds_count 0");
    }

    #[test]
    fn health_follows_the_syncs() {
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let metrics = Metrics::new();
        assert_eq!(metrics.health(start), Health::Unhealthy("not yet synced".into()));
        metrics.started(start);
        assert_eq!(
            metrics.health(at(7)),
            Health::Unhealthy("not yet synced (started 7s ago)".into())
        );
        metrics.sync_failed("connection refused", at(8));
        assert_eq!(
            metrics.health(at(10)),
            Health::Unhealthy("not yet synced (started 10s ago); sync failing since 2s: connection refused".into())
        );
        assert!(!metrics.ready());

        metrics.sync_ok(at(20));
        assert!(metrics.ready());
        assert_eq!(metrics.health(at(20)), Health::Ok);
        assert_eq!(metrics.health(at(20) + STALE_AFTER), Health::Ok);
        assert_eq!(
            metrics.health(at(21) + STALE_AFTER),
            Health::Unhealthy("no successful sync for 121s (more than 120s)".into())
        );

        // A failure makes it unhealthy at once; the time counts from the first failure, the
        // reason is the latest.
        metrics.sync_failed("timed out", at(30));
        metrics.sync_failed("502 Bad Gateway", at(40));
        assert_eq!(
            metrics.health(at(45)),
            Health::Unhealthy("sync failing since 15s: 502 Bad Gateway".into())
        );
        has_line(&metrics.render(at(45), &[]), "confbot_up 0");
        has_line(&metrics.render(at(45), &[]), "confbot_sync_errors_total 3");

        metrics.sync_ok(at(50));
        assert_eq!(metrics.health(at(51)), Health::Ok);
        has_line(&metrics.render(at(51), &[]), "confbot_up 1");
        metrics.sync_failed("timed out", at(60));
        assert_eq!(
            metrics.health(at(61)),
            Health::Unhealthy("sync failing since 1s: timed out".into())
        );
    }

    #[test]
    fn a_device_that_lost_its_cross_signature_is_unhealthy_and_the_gauge_says_so() {
        let start = Instant::now();
        let metrics = Metrics::new();
        metrics.sync_ok(start);
        assert!(!metrics.render(start, &[]).contains("\nconfbot_device_cross_signed "));
        metrics.device_cross_signed(true);
        assert_eq!(metrics.health(start), Health::Ok);
        has_line(&metrics.render(start, &[]), "confbot_device_cross_signed 1");
        metrics.device_cross_signed(false);
        assert!(
            matches!(metrics.health(start), Health::Unhealthy(reason) if reason.starts_with("the bot's device is not cross-signed")),
        );
        has_line(&metrics.render(start, &[]), "confbot_device_cross_signed 0");
        has_line(&metrics.render(start, &[]), "confbot_up 0");
    }

    #[test]
    fn undecryptable_messages_and_removals_count_by_outcome_zero_or_not() {
        let metrics = Metrics::new();
        metrics.undecryptable(Undecryptable::Kept);
        metrics.undecryptable(Undecryptable::Kept);
        metrics.undecryptable(Undecryptable::Notified);
        metrics.removed(Removal::Banned);
        let text = metrics.render(Instant::now(), &[]);
        has_line(&text, "confbot_undecryptable_total{outcome=\"kept\"} 2");
        has_line(&text, "confbot_undecryptable_total{outcome=\"notified\"} 1");
        has_line(&text, "confbot_undecryptable_total{outcome=\"decrypted\"} 0");
        has_line(&text, "confbot_undecryptable_total{outcome=\"dropped\"} 0");
        has_line(&text, "confbot_removed_from_rooms_total{how=\"banned\"} 1");
        has_line(&text, "confbot_removed_from_rooms_total{how=\"kicked\"} 0");
    }
}
