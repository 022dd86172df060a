//! confbot: a Matrix bot for conference announcements.
//!
//! # Layout
//! A pure core that takes `now` and data and returns decisions as data, and adapters at
//! the edges that do the I/O.
//!
//! Core (no I/O, no clock reads):
//! - [`schedule`]: the model (conference, sessions, speakers), its indexes and formats.
//! - [`query`]: now, next, speakers, sessions, agendas, search.
//! - [`plan`]: which reminders fall due when.
//! - [`command`]: the chat commands and their parser; [`answer`]: what the bot replies;
//!   [`flood`]: how often one sender may command it.
//! - [`questions`]: the audience's questions: which session, limits, moderation, votes, messages.
//! - [`render`], [`message`]: answers as plain text and escaped HTML, in the conference's zone.
//! - [`config`]: the configuration, parsed and checked.
//! - [`time`], [`duration`], [`text`]: reading times, durations and names as people write them.
//!
//! Edges:
//! - [`source`]: reading schedule files. [`export`]: the questions as Markdown, CSV or JSON.
//! - [`cli`]: the command line (`confbot check`, `schedule`, `import`, `questions`, `run`).
//! - `matrix`: the Matrix adapter (`confbot run`). [`store`]: the bot's own SQLite state;
//!   [`state`]: the state directory, its lock, and where a rehearsal keeps its own store.
//! - [`clock`]: real or rehearsal time for the adapters.
//! - [`metrics`]: counters and health for operators, served as `/metrics` and `/healthz`.

pub mod answer;
pub mod bot;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod console;
pub mod delay;
pub mod duration;
pub mod export;
pub mod flood;
#[cfg(feature = "matrix")]
pub mod matrix;
pub mod memory;
pub mod message;
pub mod metrics;
pub mod plan;
pub mod query;
pub mod questions;
pub mod render;
pub mod schedule;
pub mod source;
pub mod state;
pub mod store;
pub mod text;
pub mod time;
