//! The I/O the app and the adapters use: the bot's store, schedule sources, the clock,
//! metrics and health, the state directory, the config file, memory readings.

pub mod clock;
pub mod config_file;
pub mod memory;
pub mod metrics;
pub mod source;
pub mod state;
pub mod store;
