//! confbot: a Matrix bot for conference announcements.
//!
//! # Layout
//! The layers, from the inside out; each uses only the ones before it.
//!
//! - **core** and **present**: the `confbot-core` crate (`crates/confbot-core`), re-exported
//!   here: the schedule and its formats, queries, the command table, what each command
//!   decides, the posting plan, delays, schedule changes, questions, the configuration, and
//!   the text people read. Pure: no I/O, no clock reads, and no dependency that does any.
//! - [`app`]: the bot. It takes the core's decisions and carries them out through an
//!   [`app::Outbox`]: commands and replies, the posting timer and per-room delivery, the
//!   question relay.
//! - [`adapters`]: the ways in. [`adapters::matrix`] (`confbot run`, matrix-sdk),
//!   [`adapters::console`] (the bot in a terminal), [`adapters::cli`] (the command line).
//! - [`infra`]: the I/O the app and adapters use: [`infra::store`] (SQLite),
//!   [`infra::source`] (schedule files and URLs), [`infra::clock`] (real or rehearsal
//!   time), [`infra::metrics`] (`/metrics` and `/healthz`), [`infra::state`] (the state
//!   directory and its lock), [`infra::memory`], [`infra::config_file`].
//!
//! See docs/architecture.md for where a new command, format or kind of post goes.

pub use confbot_core::{
    access, answer, changes, command, config, delay, duration, flood, plan, present, provision, query, questions,
    refusal, rooms, schedule, text, time, topics,
};

pub mod adapters;
pub mod app;
pub mod infra;
