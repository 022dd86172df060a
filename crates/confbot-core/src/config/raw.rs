//! The config file as written: serde types that reject keys they do not know. Only
//! [`super::check`] reads them, into the typed [`super::Config`].

use crate::schedule::SessionKind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) include: Vec<String>,
    pub(super) matrix: Option<RawMatrix>,
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) rooms: RawRooms,
    #[serde(default)]
    pub(super) reminders: RawReminders,
    #[serde(default)]
    pub(super) access: RawAccess,
    #[serde(default)]
    pub(super) questions: RawQuestions,
    #[serde(default)]
    pub(super) speakers: RawSpeakers,
    #[serde(default)]
    pub(super) provision: RawProvision,
    #[serde(default)]
    pub(super) commands: RawCommands,
    #[serde(default)]
    pub(super) metrics: RawMetrics,
    #[serde(default)]
    pub(super) announcements: Vec<RawAnnouncement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatrix {
    pub(super) homeserver: String,
    pub(super) user: String,
    pub(super) device_name: Option<String>,
    pub(super) state_dir: Option<PathBuf>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) recovery_key_file: Option<PathBuf>,
    pub(super) command_max_age: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) source: String,
    pub(super) format: Option<String>,
    pub(super) timezone: Option<String>,
    pub(super) refresh: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRooms {
    #[serde(default)]
    pub(super) announcements: Vec<String>,
    pub(super) moderators: Option<String>,
    pub(super) speakers: Option<String>,
    /// A room as a string, or a table of the place's rooms: read by hand, so that a
    /// wrong key is named as such.
    #[serde(default)]
    pub(super) map: BTreeMap<String, toml::Value>,
    pub(super) topics: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReminders {
    pub(super) lead: Option<Vec<String>>,
    pub(super) grace: Option<String>,
    #[serde(default)]
    pub(super) skip_kinds: Vec<SessionKind>,
    /// A word for every post, or a table of lead → word: read by hand.
    pub(super) msgtype: Option<toml::Value>,
    /// A word for every lead, or a table of lead → word: read by hand.
    pub(super) notify: Option<toml::Value>,
    #[serde(default)]
    pub(super) templates: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvision {
    pub(super) conference: Option<String>,
    pub(super) per: Option<String>,
    pub(super) alias_prefix: Option<String>,
    #[serde(default)]
    pub(super) invite: Vec<String>,
    /// A track or schedule room → its own moderators.
    #[serde(default)]
    pub(super) moderators: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpeakers {
    pub(super) cues: Option<bool>,
    pub(super) invite_before: Option<String>,
    /// A speaker's name or id → their Matrix ID.
    #[serde(default)]
    pub(super) matrix: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccess {
    #[serde(default)]
    pub(super) organizers: Vec<String>,
    #[serde(default)]
    pub(super) moderators: Vec<String>,
    #[serde(default)]
    pub(super) invite: Vec<String>,
    pub(super) organizer_power_level: Option<i64>,
    pub(super) moderator_power_level: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuestions {
    pub(super) enabled: Option<bool>,
    pub(super) max_length: Option<usize>,
    pub(super) notify_asker: Option<bool>,
    pub(super) per_user: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommands {
    pub(super) per_user: Option<String>,
    pub(super) prefix: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) listen: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnnouncement {
    pub(super) text: String,
    pub(super) room: String,
    pub(super) at: Option<String>,
    pub(super) cron: Option<String>,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
    pub(super) session: Option<String>,
}
