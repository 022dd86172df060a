//! confbot on a real Synapse (started by scripts/test), driven by independent clients.
//! `#[ignore]` keeps them out of a bare `cargo test`; scripts/test runs them. One test
//! binary, a module per kind of user.

#[path = "../support/mod.rs"]
mod support;

mod addressing;
mod attendees;
mod boards;
mod broadcasts;
mod changes;
mod cues;
mod operators;
mod organizers;
mod provision;
mod questions;
mod redactions;
mod rooms;
mod topics;
mod tracks;
mod trust;
mod unreadable;

use std::time::Duration;
use support::{Bot, Peer};

const TEN_PAST_NINE: &str = "2023-02-03T09:10";
