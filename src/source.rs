//! Reading a schedule file from disk into the model.

use crate::schedule::{native, Loaded};
use anyhow::Context;
use chrono_tz::Tz;
use std::path::Path;

/// Reads the schedule at `path`. `fallback_zone` is used when the document names no zone.
/// A schedule with errors fails with [`crate::schedule::ScheduleErrors`], listing them all.
pub fn load_schedule(path: &Path, fallback_zone: Option<Tz>) -> anyhow::Result<Loaded> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading schedule {}", path.display()))?;
    Ok(native::parse(
        &text,
        &path.display().to_string(),
        fallback_zone,
    )?)
}
