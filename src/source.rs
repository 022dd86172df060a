//! Where a schedule comes from: a file, or an `https://` URL that pretalx and frab publish
//! (`…/schedule/export/schedule.json`), fetched again every refresh interval. A fetch or
//! a schedule that fails keeps the last good schedule running.

use crate::schedule::format::{self, Format};
use crate::schedule::{Loaded, ScheduleErrors};
use anyhow::{bail, Context};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};

/// A schedule's location and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub location: Location,
    /// The format, when the user named one; otherwise it is recognised from the content.
    pub format: Option<Format>,
    /// The zone for formats that carry none.
    pub zone: Option<Tz>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Url(String),
}

impl Location {
    /// `https://…` and `http://…` are URLs; anything else is a path.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("https://") || s.starts_with("http://") {
            Location::Url(s.to_string())
        } else {
            Location::File(PathBuf::from(s))
        }
    }

    /// The location as messages name it.
    pub fn name(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Url(url) => url.clone(),
        }
    }
}

impl Source {
    pub fn new(location: Location, format: Option<Format>, zone: Option<Tz>) -> Source {
        Source { location, format, zone }
    }

    /// Reads the schedule. A schedule with errors fails with [`ScheduleErrors`], listing them.
    pub async fn load(&self) -> anyhow::Result<Loaded> {
        let loaded = {
            let text = match &self.location {
                Location::File(path) => read_file(path)?,
                Location::Url(url) => fetch(url).await?,
            };
            format::parse_any(&text, &self.location.name(), self.format, self.zone)
        };
        // The text and the parser's document tree are gone: give their pages back.
        crate::memory::release_freed();
        Ok(loaded?)
    }

    /// [`Source::load`] for callers without an async runtime (the command line).
    pub fn load_blocking(&self) -> anyhow::Result<Loaded> {
        match &self.location {
            Location::File(path) => {
                let text = read_file(path)?;
                Ok(format::parse_any(&text, &self.location.name(), self.format, self.zone)?)
            }
            Location::Url(_) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime for the schedule download")?
                .block_on(self.load()),
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading schedule {}", path.display()))
}

#[cfg(feature = "matrix")]
async fn fetch(url: &str) -> anyhow::Result<String> {
    use matrix_sdk::reqwest;
    use std::time::Duration;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("confbot/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("fetching schedule {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("fetching schedule {url}: the server answered {status}");
    }
    response.text().await.with_context(|| format!("reading schedule {url}"))
}

#[cfg(not(feature = "matrix"))]
async fn fetch(url: &str) -> anyhow::Result<String> {
    bail!("fetching schedule {url}: this build of confbot has no network support (the \"matrix\" feature is off)")
}

/// Reads a schedule file (or URL) on its own, for the command line.
pub fn load_schedule(location: &str, format: Option<Format>, zone: Option<Tz>) -> anyhow::Result<Loaded> {
    Source::new(Location::parse(location), format, zone).load_blocking()
}

/// What a refresh did.
#[derive(Debug)]
pub enum Refreshed {
    /// The new schedule replaced the old one.
    Updated,
    /// The new schedule is the same as the running one.
    Unchanged,
    /// The fetch or the new schedule failed; the last good schedule stays. The error says why.
    Kept(anyhow::Error),
}

/// Holds the last good schedule of a source and refreshes it.
pub struct Refresher {
    source: Source,
    current: Loaded,
}

impl Refresher {
    /// Loads the source once; the first load must succeed.
    pub async fn start(source: Source) -> anyhow::Result<Refresher> {
        let current = source.load().await?;
        Ok(Refresher { source, current })
    }

    pub fn current(&self) -> &Loaded {
        &self.current
    }

    /// The source and its schedule, for a caller that takes over the refreshing.
    pub fn into_parts(self) -> (Source, Loaded) {
        (self.source, self.current)
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Loads the source again; a failure leaves the current schedule in place.
    pub async fn refresh(&mut self) -> Refreshed {
        match self.source.load().await {
            Ok(loaded) => {
                if loaded.schedule == self.current.schedule {
                    Refreshed::Unchanged
                } else {
                    self.current = loaded;
                    Refreshed::Updated
                }
            }
            Err(err) => Refreshed::Kept(err),
        }
    }
}

/// The errors of a schedule that failed to load, if that is why it failed.
pub fn schedule_errors(err: &anyhow::Error) -> Option<&ScheduleErrors> {
    err.downcast_ref::<ScheduleErrors>()
}
