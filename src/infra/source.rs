//! Where a schedule comes from: a file, or an `https://` URL that pretalx and frab publish
//! (`…/schedule/export/schedule.json`), fetched again every refresh interval. A fetch or
//! a schedule that fails keeps the last good schedule running.

use crate::config::ScheduleConfig;
use crate::schedule::format::{self, Format};
pub use crate::schedule::Location;
use crate::schedule::{Loaded, ScheduleErrors};
use anyhow::{bail, Context};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};

/// The most a fetched schedule may be, once decompressed. FOSDEM's whole schedule is
/// under 2 MB; a response past this is refused rather than read into memory.
pub const MAX_FETCHED_BYTES: usize = 50 * 1024 * 1024;
/// The longest a fetch may take, from the request to the last byte.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A schedule's location and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub location: Location,
    /// The format, when the user named one; otherwise it is recognised from the content.
    pub format: Option<Format>,
    /// The zone for formats that carry none.
    pub zone: Option<Tz>,
    /// Where the last schedule that loaded is kept, to start on when the source fails.
    pub last_good: Option<PathBuf>,
}

impl Source {
    /// Where and how the config's `[schedule]` says to read the schedule.
    pub fn from_config(config: &ScheduleConfig) -> Source {
        Source::new(config.source.clone(), config.format, config.timezone)
    }

    pub fn new(location: Location, format: Option<Format>, zone: Option<Tz>) -> Source {
        Source {
            location,
            format,
            zone,
            last_good: None,
        }
    }

    /// The same source, keeping a copy of each schedule that loads at `path`.
    pub fn keeping_last_good(self, path: PathBuf) -> Source {
        Source {
            last_good: Some(path),
            ..self
        }
    }

    /// Reads the schedule. A schedule with errors fails with [`ScheduleErrors`], listing them.
    pub async fn load(&self) -> anyhow::Result<Loaded> {
        let loaded = {
            let text = match &self.location {
                Location::File(path) => read_file(path)?,
                Location::Url(url) => fetch(url).await?,
            };
            let loaded = format::parse_any(&text, &self.location.name(), self.format, self.zone);
            if loaded.is_ok() {
                self.keep(&text);
            }
            loaded
        };
        // The text and the parser's document tree are gone: give their pages back.
        crate::infra::memory::release_freed();
        Ok(loaded?)
    }

    /// Keeps `text`, which loaded, as the last good schedule (written whole or not at all).
    fn keep(&self, text: &str) {
        let Some(path) = &self.last_good else {
            return;
        };
        let temporary = path.with_extension("tmp");
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&temporary, text))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(err) = written {
            tracing::warn!(path = %path.display(), error = %err, "keeping a copy of the schedule");
        }
    }

    /// The last good schedule kept at `last_good`, if there is one and it still loads.
    fn load_last_good(&self) -> Option<anyhow::Result<Loaded>> {
        let path = self.last_good.as_ref().filter(|path| path.exists())?;
        let text = match read_file(path) {
            Ok(text) => text,
            Err(err) => return Some(Err(err)),
        };
        Some(format::parse_any(&text, &path.display().to_string(), self.format, self.zone).map_err(Into::into))
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

/// Fetches a schedule: at most [`MAX_FETCHED_BYTES`] once decompressed, within
/// [`FETCH_TIMEOUT`], from https (or http on this machine); redirects are followed only
/// where the same rule allows.
#[cfg(feature = "matrix")]
async fn fetch(url: &str) -> anyhow::Result<String> {
    use matrix_sdk::reqwest;
    Location::Url(url.to_string())
        .check()
        .map_err(|err| anyhow::anyhow!("fetching schedule {err}"))?;
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let next = Location::Url(attempt.url().to_string());
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if let Err(err) = next.check() {
            attempt.error(format!("redirected to {err}"))
        } else {
            attempt.follow()
        }
    });
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(redirects)
        .user_agent(concat!("confbot/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let mut response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("fetching schedule {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("fetching schedule {url}: the server answered {status}");
    }
    // Read by chunks (decompressed ones, when the server compressed the response), so a
    // small compressed body that inflates to gigabytes stops at the limit.
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("reading schedule {url}"))?
    {
        if body.len() + chunk.len() > MAX_FETCHED_BYTES {
            bail!(
                "fetching schedule {url}: the schedule is larger than {} MB (decompressed); no conference needs that much, so it is refused",
                MAX_FETCHED_BYTES / (1024 * 1024)
            );
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| anyhow::anyhow!("reading schedule {url}: the response is not UTF-8 text"))
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
    /// Loads the source once. When that fails, the last good schedule kept beside the
    /// bot (see [`Source::keeping_last_good`]) is used, with a warning: a schedule server
    /// that is down while the bot restarts does not take the bot down.
    pub async fn start(source: Source) -> anyhow::Result<Refresher> {
        let current = match source.load().await {
            Ok(loaded) => loaded,
            Err(err) => match source.load_last_good() {
                Some(Ok(loaded)) => {
                    tracing::warn!(
                        error = format!("{err:#}"),
                        copy = %source.last_good.as_deref().unwrap_or(Path::new("")).display(),
                        "the schedule could not be loaded; starting on the last good copy until it can"
                    );
                    loaded
                }
                _ => return Err(err),
            },
        };
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
