//! The exposition: one scrape's snapshot of the counters, written in Prometheus' text
//! format by `prometheus-client`'s encoder.

use super::{Health, PostKind, PostOutcome, Removal, State, Undecryptable, LATENCY_BUCKETS};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use std::collections::BTreeMap;
use std::time::Instant;

/// The counters as they stood at one scrape, in the order they are exposed.
#[derive(Debug)]
pub(super) struct Snapshot {
    commands: BTreeMap<String, u64>,
    /// `(upper bound, observations in this bucket and no lower one)`, then the count and
    /// the sum in seconds.
    latency: (Vec<(f64, u64)>, u64, f64),
    replies: [(&'static str, u64); 2],
    limited: [(&'static str, u64); 2],
    /// `(kind, outcome, count)`, sorted.
    posts: Vec<(&'static str, &'static str, u64)>,
    questions: Vec<(String, u64)>,
    sync_errors: u64,
    last_sync_age: Option<f64>,
    cross_signed: Option<bool>,
    undecryptable: [(&'static str, u64); Undecryptable::ALL.len()],
    removals: [(&'static str, u64); Removal::ALL.len()],
    up: bool,
}

impl Collector for Snapshot {
    fn encode(&self, mut out: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // Counters are named without `_total`: the encoder adds it.
        counter_family(
            &mut out,
            "confbot_commands",
            "Chat commands handled, by command.",
            self.commands
                .iter()
                .map(|(name, count)| ([("command", name.as_str())], *count)),
        )?;

        let (buckets, count, sum) = &self.latency;
        out.encode_descriptor(
            "confbot_command_latency_seconds",
            "Time from receiving a command to having its reply ready.",
            None,
            MetricType::Histogram,
        )?
        .encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?;

        counter_family(
            &mut out,
            "confbot_replies",
            "Replies to commands, by whether the homeserver took them.",
            self.replies.map(|(result, count)| ([("result", result)], count)),
        )?;
        counter_family(
            &mut out,
            "confbot_commands_limited",
            "Commands over [commands] per_user or a full queue: the sender told to slow down, or the command dropped.",
            self.limited.map(|(action, count)| ([("action", action)], count)),
        )?;
        counter_family(
            &mut out,
            "confbot_posts",
            "Reminders and announcements by kind: due, then sent, late, skipped or failed.",
            self.posts
                .iter()
                .map(|&(kind, outcome, count)| ([("kind", kind), ("outcome", outcome)], count)),
        )?;

        let mut family = out.encode_descriptor(
            "confbot_questions",
            "Attendees' questions, by status.",
            None,
            MetricType::Gauge,
        )?;
        for (status, count) in &self.questions {
            let count = i64::try_from(*count).unwrap_or(i64::MAX);
            ConstGauge::new(count).encode(family.encode_family(&[("status", status.as_str())])?)?;
        }

        let family = out.encode_descriptor(
            "confbot_sync_errors",
            "Failed syncs with the homeserver.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(self.sync_errors).encode(family)?;

        let family = out.encode_descriptor(
            "confbot_last_sync_age_seconds",
            "Seconds since the last successful sync; absent before the first.",
            None,
            MetricType::Gauge,
        )?;
        if let Some(age) = self.last_sync_age {
            ConstGauge::new(age).encode(family)?;
        }

        let family = out.encode_descriptor(
            "confbot_device_cross_signed",
            "1 when the bot's device is cross-signed by its account (clients that exclude unverified devices talk to it), else 0; absent before it is checked.",
            None,
            MetricType::Gauge,
        )?;
        if let Some(signed) = self.cross_signed {
            ConstGauge::new(i64::from(signed)).encode(family)?;
        }

        counter_family(
            &mut out,
            "confbot_undecryptable",
            "Messages the bot could not decrypt on arrival: kept for a retry, then decrypted, their sender notified, or dropped.",
            self.undecryptable.map(|(outcome, count)| ([("outcome", outcome)], count)),
        )?;
        counter_family(
            &mut out,
            "confbot_removed_from_rooms",
            "Times the bot was kicked from or banned in a room the config names.",
            self.removals.map(|(how, count)| ([("how", how)], count)),
        )?;

        let family = out.encode_descriptor(
            "confbot_up",
            "1 when the bot is healthy (as /healthz says), else 0.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(self.up)).encode(family)
    }
}

/// Writes the counter family `name`, one series for each label set in `series`, in its order.
fn counter_family<L: EncodeLabelSet>(
    out: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (L, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = out.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, count) in series {
        ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl State {
    pub(super) fn snapshot(&self, now: Instant, questions_by_status: &[(String, u64)]) -> Snapshot {
        let mut posts = Vec::new();
        for kind in PostKind::ALL {
            for outcome in PostOutcome::ALL {
                posts.push((
                    kind.as_str(),
                    outcome.as_str(),
                    self.posts[kind.index()][outcome.index()],
                ));
            }
        }
        posts.sort_unstable();
        let mut questions = questions_by_status.to_vec();
        questions.sort_unstable();
        let buckets = LATENCY_BUCKETS.iter().copied().zip(self.latency.buckets).collect();
        Snapshot {
            commands: self.commands.clone(),
            latency: (buckets, self.latency.count, self.latency.sum.as_secs_f64()),
            replies: [("failed", self.replies_failed), ("sent", self.replies_sent)],
            limited: [("dropped", self.limited_dropped), ("slow_down", self.limited_slow_down)],
            posts,
            questions,
            sync_errors: self.sync_errors,
            last_sync_age: self
                .last_sync
                .map(|last| now.saturating_duration_since(last).as_secs_f64()),
            cross_signed: self.cross_signed,
            undecryptable: Undecryptable::ALL.map(|outcome| (outcome.as_str(), self.undecryptable[outcome.index()])),
            removals: Removal::ALL.map(|how| (how.as_str(), self.removals[how.index()])),
            up: self.health(now) == Health::Ok,
        }
    }
}
