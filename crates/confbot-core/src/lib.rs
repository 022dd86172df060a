//! confbot's core: what the bot knows and decides, as data in and data out. Nothing here
//! reads the clock, a file or the network; `now` and the schedule are passed in. The
//! crate's dependencies are pure (chrono, serde, toml, roxmltree, croner): the compiler,
//! not a convention, keeps tokio, matrix-sdk, rusqlite, reqwest and clap out.
//!
//! # Layout
//! - [`schedule`]: the model (conference, sessions, speakers), its indexes, its formats
//!   (native TOML, frab/pretalx JSON, Pentabarf/frab XML, iCalendar) and where it is read
//!   from ([`schedule::Location`]).
//! - [`query`]: now, next, speakers, sessions, agendas, search.
//! - [`plan`]: which reminders and announcements fall due when, attendees' own reminders
//!   ([`plan::personal`]) included.
//! - [`delay`], [`changes`]: a running-late shift, and what a new schedule changed.
//! - [`command`]: the chat commands and their parser; [`answer`]: what the bot decides
//!   about each; [`refusal`]: why it will not, the one type for a user's mistakes;
//!   [`flood`]: in what order and how often senders are answered.
//! - [`questions`]: the audience's questions: which session, limits, moderation, votes.
//! - [`config`]: the configuration file, parsed and checked into typed values.
//! - [`time`], [`duration`], [`text`]: times, durations and names as people write them.
//! - [`topics`]: what each mapped room's topic shows, now and next.
//! - [`provision`]: the rooms, spaces, aliases and power levels a schedule needs on Matrix.
//! - [`present`]: the text people read, plain and HTML, and the questions' exports.

pub mod access;
pub mod answer;
pub mod changes;
pub mod command;
pub mod config;
pub mod delay;
pub mod duration;
pub mod flood;
pub mod plan;
pub mod present;
pub mod provision;
pub mod query;
pub mod questions;
pub mod refusal;
pub mod rooms;
pub mod schedule;
pub mod text;
pub mod time;
pub mod topics;

#[cfg(test)]
mod testing;
