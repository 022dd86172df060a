//! Reading the config file: the one step of configuration that touches the disk. Parsing
//! and checking it is the core's ([`crate::config`]).

use crate::config::Config;
use anyhow::Context as _;
use std::path::Path;

/// Reads and checks the config at `path`; relative paths in it are taken from the config
/// file's folder.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
    let mut config = Config::from_toml(&text, &path.display().to_string())?;
    config.resolve_paths(path.parent().unwrap_or(Path::new("")));
    Ok(config)
}
