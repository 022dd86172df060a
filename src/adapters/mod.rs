//! The ways into the bot: Matrix, the terminal console, and the command line.

pub mod cli;
pub mod console;
#[cfg(feature = "matrix")]
pub mod matrix;
