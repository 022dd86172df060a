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
//! - [`render`]: answers as text, in the conference's zone.
//! - [`config`]: the configuration, parsed and checked.
//! - [`time`], [`duration`], [`text`]: reading times, durations and names as people write them.
//!
//! Edges:
//! - [`source`]: reading schedule files.
//! - [`cli`]: the command line (`confbot check`, `confbot schedule`).

pub mod answer;
pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod duration;
pub mod message;
pub mod plan;
pub mod query;
pub mod render;
pub mod schedule;
pub mod source;
pub mod text;
pub mod time;
