//! What the bot has done and whether it is healthy, for the people operating it: counters
//! any task can record into, rendered in Prometheus' text format, a health verdict, and
//! [`serve`], the HTTP endpoint (`/metrics`, `/healthz`) that hands them out.
//!
//! Only [`serve`] reads the clock, once per request: [`Metrics`] takes the instants it
//! records and the `now` it is asked about, so every rule is testable with fixed instants.

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;

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

    /// `(upper bound, observations at or below it)` for each bucket but `+Inf`, whose count
    /// is [`Histogram::count`].
    fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        LATENCY_BUCKETS
            .iter()
            .zip(&self.buckets)
            .scan(0, |total, (&bound, &n)| {
                *total += n;
                Some((bound, *total))
            })
    }
}

impl PostKind {
    pub const ALL: [PostKind; 3] = [PostKind::Reminder, PostKind::Announcement, PostKind::Personal];

    /// The value of the `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Reminder => "reminder",
            PostKind::Announcement => "announcement",
            PostKind::Personal => "personal",
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

    /// Whether the bot has synced at least once, and so sees its rooms.
    pub fn ready(&self) -> bool {
        self.state().last_sync.is_some()
    }

    /// Healthy when the last sync succeeded less than [`STALE_AFTER`] before `now`.
    pub fn health(&self, now: Instant) -> Health {
        self.state().health(now)
    }

    /// Everything in the Prometheus text exposition format 0.0.4, families and series in a
    /// fixed order. `questions_by_status` (status, count) comes from the store.
    ///
    /// `confbot_last_sync_age_seconds` has no sample before the first sync, rather than NaN
    /// (which makes every comparison in an alert false): alert on `confbot_up == 0`, which
    /// covers it.
    pub fn render(&self, now: Instant, questions_by_status: &[(String, u64)]) -> String {
        let state = self.state();
        let mut out = Exposition::default();

        out.family(
            "confbot_commands_total",
            "counter",
            "Chat commands handled, by command.",
        );
        for (name, count) in &state.commands {
            out.sample("confbot_commands_total", &[("command", name)], count);
        }

        let latency = "confbot_command_latency_seconds";
        out.family(
            latency,
            "histogram",
            "Time from receiving a command to having its reply ready.",
        );
        for (bound, count) in state.latency.cumulative() {
            out.sample(&format!("{latency}_bucket"), &[("le", &bound.to_string())], count);
        }
        out.sample(&format!("{latency}_bucket"), &[("le", "+Inf")], state.latency.count);
        out.sample(&format!("{latency}_sum"), &[], state.latency.sum.as_secs_f64());
        out.sample(&format!("{latency}_count"), &[], state.latency.count);

        out.family(
            "confbot_replies_total",
            "counter",
            "Replies to commands, by whether the homeserver took them.",
        );
        out.sample("confbot_replies_total", &[("result", "failed")], state.replies_failed);
        out.sample("confbot_replies_total", &[("result", "sent")], state.replies_sent);

        out.family(
            "confbot_commands_limited_total",
            "counter",
            "Commands over [commands] per_user or a full queue: the sender told to slow down, or the command dropped.",
        );
        out.sample(
            "confbot_commands_limited_total",
            &[("action", "dropped")],
            state.limited_dropped,
        );
        out.sample(
            "confbot_commands_limited_total",
            &[("action", "slow_down")],
            state.limited_slow_down,
        );

        out.family(
            "confbot_posts_total",
            "counter",
            "Reminders and announcements by kind: due, then sent, late, skipped or failed.",
        );
        let mut posts = Vec::new();
        for kind in PostKind::ALL {
            for outcome in PostOutcome::ALL {
                let count = state.posts[kind.index()][outcome.index()];
                posts.push((kind.as_str(), outcome.as_str(), count));
            }
        }
        posts.sort_unstable();
        for (kind, outcome, count) in posts {
            out.sample("confbot_posts_total", &[("kind", kind), ("outcome", outcome)], count);
        }

        out.family("confbot_questions", "gauge", "Attendees' questions, by status.");
        let mut questions: Vec<&(String, u64)> = questions_by_status.iter().collect();
        questions.sort_unstable();
        for (status, count) in questions {
            out.sample("confbot_questions", &[("status", status)], count);
        }

        out.family(
            "confbot_sync_errors_total",
            "counter",
            "Failed syncs with the homeserver.",
        );
        out.sample("confbot_sync_errors_total", &[], state.sync_errors);

        out.family(
            "confbot_last_sync_age_seconds",
            "gauge",
            "Seconds since the last successful sync; absent before the first.",
        );
        if let Some(last) = state.last_sync {
            let age = now.saturating_duration_since(last).as_secs_f64();
            out.sample("confbot_last_sync_age_seconds", &[], age);
        }

        out.family(
            "confbot_up",
            "gauge",
            "1 when the bot is healthy (as /healthz says), else 0.",
        );
        let up = u8::from(state.health(now) == Health::Ok);
        out.sample("confbot_up", &[], up);

        out.text
    }
}

impl State {
    fn health(&self, now: Instant) -> Health {
        if let Some(reason) = &self.store_failing {
            return Health::Unhealthy(format!(
                "the bot's store cannot be written (is the disk full or read-only?): {reason}"
            ));
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

/// A document in the text exposition format being written.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    // Writing to a String cannot fail: the `fmt::Result`s below are always `Ok`.

    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// Rust writes NaN as `NaN`, as the format wants; no value here is ever infinite.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl fmt::Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// A label value in the exposition format: backslash, double quote and newline escaped.
fn escape_label(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// `# HELP` text: backslash and newline escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', r"\\").replace('\n', r"\n")
}

/// The longest request head (request line and headers) read; a longer one gets 431.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client has to send its whole request head, and to take the response.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `GET /metrics` ([`Metrics::render`], with `questions()` counted at each scrape)
/// and `GET /healthz` ([`Metrics::health`]: 200 `ok`, or 503 and the reason) on `listener`
/// until `shutdown` turns true or its sender is dropped. HEAD works too.
///
/// HTTP/1.1 at its simplest: one request per connection, each in its own task with a
/// deadline for the request and the response, so a slow or silent client stalls nobody.
/// Connections still open at shutdown are dropped.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    questions: impl Fn() -> Vec<(String, u64)> + Send + Sync + 'static,
    mut shutdown: watch::Receiver<bool>,
) {
    let questions = Arc::new(questions);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|&stop| stop) => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _peer)) => {
                let metrics = Arc::clone(&metrics);
                let questions = Arc::clone(&questions);
                connections.spawn(async move {
                    if let Err(err) = respond(stream, &metrics, move || questions()).await {
                        tracing::debug!("metrics endpoint: {err:#}");
                    }
                });
            }
            Err(err) => {
                // Out of file descriptors, most likely: give connections time to close.
                tracing::warn!("metrics endpoint: accepting a connection: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads one request from `stream` and writes its response.
async fn respond(
    mut stream: TcpStream,
    metrics: &Metrics,
    questions: impl FnOnce() -> Vec<(String, u64)> + Send + 'static,
) -> anyhow::Result<()> {
    let request = match timeout(CLIENT_TIMEOUT, read_head(&mut stream)).await {
        Err(_elapsed) => anyhow::bail!("no request within {}s", CLIENT_TIMEOUT.as_secs()),
        Ok(Err(HeadError::Io(err))) => return Err(anyhow::Error::new(err).context("reading a request")),
        Ok(Err(HeadError::Closed)) => return Ok(()),
        Ok(Err(HeadError::TooLarge)) => Request {
            page: Err(Response::error(
                431,
                "Request Header Fields Too Large",
                "request head over 8 KiB",
            )),
            head_only: false,
        },
        Ok(Ok(head)) => route(&head),
    };
    let response = match request.page {
        Ok(Page::Health) => Response::health(metrics.health(Instant::now())),
        Ok(Page::Metrics) => match tokio::task::spawn_blocking(questions).await {
            Ok(questions) => Response::metrics(metrics.render(Instant::now(), &questions)),
            Err(err) => {
                tracing::warn!("metrics endpoint: counting the questions: {err}");
                Response::error(500, "Internal Server Error", "counting the questions failed")
            }
        },
        Err(response) => response,
    };
    timeout(CLIENT_TIMEOUT, async {
        stream.write_all(&response.to_bytes(request.head_only)).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_elapsed| anyhow::anyhow!("the client took no response within {}s", CLIENT_TIMEOUT.as_secs()))?
    .context("writing a response")
}

enum HeadError {
    /// The client closed the connection before the end of its request.
    Closed,
    TooLarge,
    Io(std::io::Error),
}

/// Reads up to the blank line that ends a request head, and returns the head.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = end_of_head(&head) {
            if end > MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Where the blank line ending a request head ends; clients may end lines with `\n` alone.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    (1..bytes.len()).find_map(|i| match &bytes[..=i] {
        [.., b'\r', b'\n', b'\r', b'\n'] => Some(i + 1),
        [.., b'\n', b'\n'] => Some(i + 1),
        _ => None,
    })
}

/// What the endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Health,
    Metrics,
}

#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// The page asked for, or the error response.
    page: Result<Page, Response>,
    /// A HEAD request: the headers of the response, not its body.
    head_only: bool,
}

/// What a request head asks for.
fn route(head: &[u8]) -> Request {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = std::str::from_utf8(line).unwrap_or_default().split_ascii_whitespace();
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Request::bad();
    };
    if !version.starts_with("HTTP/1.") {
        return Request::bad();
    }
    let head_only = method == "HEAD";
    let path = target.split_once('?').map_or(target, |(path, _query)| path);
    let page = match (method, path) {
        ("GET" | "HEAD", "/healthz") => Ok(Page::Health),
        ("GET" | "HEAD", "/metrics") => Ok(Page::Metrics),
        (_, "/healthz" | "/metrics") => Err(Response::error(405, "Method Not Allowed", "only GET and HEAD")),
        _ => Err(Response::error(404, "Not Found", "not found: try /metrics or /healthz")),
    };
    Request { page, head_only }
}

impl Request {
    fn bad() -> Request {
        Request {
            page: Err(Response::error(
                400,
                "Bad Request",
                "expected a request line like \"GET /metrics HTTP/1.1\"",
            )),
            head_only: false,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Response {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    body: String,
}

const TEXT: &str = "text/plain; charset=utf-8";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

impl Response {
    fn health(health: Health) -> Response {
        match health {
            Health::Ok => Response {
                status: 200,
                reason: "OK",
                content_type: TEXT,
                body: "ok\n".to_string(),
            },
            Health::Unhealthy(reason) => Response {
                status: 503,
                reason: "Service Unavailable",
                content_type: TEXT,
                body: format!("{reason}\n"),
            },
        }
    }

    fn metrics(text: String) -> Response {
        Response {
            status: 200,
            reason: "OK",
            content_type: EXPOSITION,
            body: text,
        }
    }

    fn error(status: u16, reason: &'static str, body: &str) -> Response {
        Response {
            status,
            reason,
            content_type: TEXT,
            body: format!("{body}\n"),
        }
    }

    /// The response as sent; without the body (but with its length) for a HEAD request.
    fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let mut bytes = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
            self.status,
            self.reason,
            self.content_type,
            self.body.len(),
            if self.status == 405 { "Allow: GET, HEAD\r\n" } else { "" },
        )
        .into_bytes();
        if !head_only {
            bytes.extend_from_slice(self.body.as_bytes());
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn has_line(text: &str, line: &str) {
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
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("two\nlines"), r"two\nlines");
        assert_eq!(escape_label("plain_name"), "plain_name");
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

        has_line(&text, "confbot_commands_total{command=\"next\"} 2");
        has_line(&text, "confbot_commands_total{command=\"ask\"} 1");
        has_line(&text, "confbot_replies_total{result=\"sent\"} 2");
        has_line(&text, "confbot_replies_total{result=\"failed\"} 1");
        has_line(&text, "confbot_commands_limited_total{action=\"slow_down\"} 1");
        has_line(&text, "confbot_commands_limited_total{action=\"dropped\"} 2");
        has_line(&text, "confbot_posts_total{kind=\"reminder\",outcome=\"sent\"} 1");
        has_line(&text, "confbot_posts_total{kind=\"personal\",outcome=\"skipped\"} 1");
        has_line(&text, "confbot_posts_total{kind=\"announcement\",outcome=\"failed\"} 0");
        has_line(&text, "confbot_questions{status=\"pending\"} 4");
        has_line(&text, "confbot_sync_errors_total 1");
        has_line(&text, "confbot_last_sync_age_seconds 2.5");
        has_line(&text, "confbot_up 1");

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
        assert_eq!(posts.len(), 15, "every kind and outcome, zero or not");
        assert_eq!(posts[0], "confbot_posts_total{kind=\"announcement\",outcome=\"due\"} 0");
        assert_eq!(
            posts[14],
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
    fn requests_are_routed_by_path_then_method() {
        let page = |head: &str| route(head.as_bytes());
        let status = |head: &str| page(head).page.map_err(|response| response.status);
        assert_eq!(status("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), Ok(Page::Metrics));
        assert_eq!(status("GET /healthz?verbose=1 HTTP/1.0\n\n"), Ok(Page::Health));
        assert!(page("HEAD /healthz HTTP/1.1\r\n\r\n").head_only);
        assert!(!page("GET /healthz HTTP/1.1\r\n\r\n").head_only);
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), Err(404));
        assert_eq!(status("POST /metrics HTTP/1.1\r\n\r\n"), Err(405));
        assert_eq!(status("GET /metrics\r\n\r\n"), Err(400));
        assert_eq!(status("GET /metrics SPDY/3\r\n\r\n"), Err(400));
        assert_eq!(status("\u{fffd} /metrics HTTP/1.1 x\r\n\r\n"), Err(400));
    }

    #[test]
    fn a_head_ends_at_the_first_blank_line() {
        let rest = |bytes: &'static [u8]| end_of_head(bytes).map(|end| &bytes[end..]);
        assert_eq!(
            rest(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody\r\n\r\n"),
            Some(&b"body\r\n\r\n"[..])
        );
        assert_eq!(rest(b"GET / HTTP/1.1\nA: b\n\nbody"), Some(&b"body"[..]));
        assert_eq!(rest(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }

    #[test]
    fn a_head_response_has_the_length_but_not_the_body() {
        let response = Response::health(Health::Ok);
        let head = String::from_utf8(response.to_bytes(true)).unwrap();
        assert!(head.contains("\r\nContent-Length: 3\r\n"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "{head}");
        let get = String::from_utf8(response.to_bytes(false)).unwrap();
        assert_eq!(get, format!("{head}ok\n"));
    }

    /// A response as the client saw it.
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            let found = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
            found.map(|(_, value)| value.as_str())
        }
    }

    /// Sends `request` as it is and reads the response until the server closes.
    async fn send(addr: std::net::SocketAddr, request: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("a blank line after the headers");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .map(|l| {
                let (name, value) = l.split_once(": ").unwrap();
                (name.to_string(), value.to_string())
            })
            .collect();
        let reply = Reply {
            status,
            headers,
            body: body.to_string(),
        };
        assert_eq!(reply.header("Connection"), Some("close"));
        if !request.starts_with(b"HEAD") {
            assert_eq!(reply.header("Content-Length"), Some(&*reply.body.len().to_string()));
        }
        reply
    }

    async fn get(addr: std::net::SocketAddr, path: &str) -> Reply {
        send(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .await
    }

    struct Server {
        addr: std::net::SocketAddr,
        metrics: Arc<Metrics>,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        let (stop, shutdown) = watch::channel(false);
        let questions = || vec![("pending".to_string(), 3), ("approved".to_string(), 1)];
        let task = tokio::spawn(serve(listener, Arc::clone(&metrics), questions, shutdown));
        Server {
            addr,
            metrics,
            stop,
            task,
        }
    }

    impl Server {
        /// Stops the server and waits for it to return.
        async fn stop(self) {
            self.stop.send(true).unwrap();
            timeout(Duration::from_secs(5), self.task)
                .await
                .expect("serve returns on shutdown")
                .unwrap();
        }
    }

    #[tokio::test]
    async fn healthz_says_503_until_the_first_sync_then_ok() {
        let server = start().await;
        let reply = get(server.addr, "/healthz").await;
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(reply.body, "not yet synced\n");

        server.metrics.sync_ok(Instant::now());
        let reply = get(server.addr, "/healthz").await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok\n"));

        server
            .metrics
            .sync_failed("M_UNKNOWN_TOKEN: logged out", Instant::now());
        let reply = get(server.addr, "/healthz").await;
        assert_eq!(reply.status, 503);
        assert!(
            reply.body.ends_with("s: M_UNKNOWN_TOKEN: logged out\n"),
            "{}",
            reply.body
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn metrics_are_served_in_the_exposition_format() {
        let server = start().await;
        server.metrics.command("next", MS);
        let reply = get(server.addr, "/metrics").await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        has_line(&reply.body, "confbot_commands_total{command=\"next\"} 1");
        has_line(&reply.body, "confbot_questions{status=\"pending\"} 3");
        has_line(&reply.body, "confbot_up 0");

        let head = send(server.addr, b"HEAD /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(head.status, 200);
        assert_eq!(head.body, "");
        assert_eq!(head.header("Content-Length"), Some(&*reply.body.len().to_string()));

        let reply = get(server.addr, "/").await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (404, "not found: try /metrics or /healthz\n")
        );
        let reply = send(server.addr, b"DELETE /metrics HTTP/1.1\r\n\r\n").await;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("Allow"), Some("GET, HEAD"));
        let reply = send(server.addr, &[b'x'; 9000]).await;
        assert_eq!(reply.status, 431);
        server.stop().await;
    }

    #[tokio::test]
    async fn a_silent_client_does_not_hold_up_the_next_one() {
        let server = start().await;
        let silent = TcpStream::connect(server.addr).await.unwrap();
        // Serving one connection at a time would keep this waiting for the silent one's
        // whole CLIENT_TIMEOUT.
        let reply = timeout(CLIENT_TIMEOUT / 2, get(server.addr, "/healthz"))
            .await
            .expect("an answer while another client says nothing");
        assert_eq!(reply.status, 503);
        server.stop().await;
        drop(silent);
    }
}
