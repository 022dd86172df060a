//! Reading the config file and the files it includes: the one step of configuration that
//! touches the disk. Parsing and checking it is the core's ([`crate::config`]).

use crate::config::Config;
use anyhow::Context as _;
use std::path::Path;

/// Reads and checks the config at `path` with the files it includes; relative paths in it
/// are taken from the config file's folder.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    read(path, Missing::Refused)
}

/// As [`load`], but an included file that is not there yet counts as empty: for
/// `confbot provision`, which writes it.
pub fn load_before_provision(path: &Path) -> anyhow::Result<Config> {
    read(path, Missing::Empty)
}

#[derive(PartialEq)]
enum Missing {
    Refused,
    Empty,
}

fn read(path: &Path, missing: Missing) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut included = Vec::new();
    let mut pending = false;
    for name in Config::includes(&text) {
        let file = base.join(&name);
        match std::fs::read_to_string(&file) {
            Ok(text) => included.push((file.display().to_string(), text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && missing == Missing::Empty => pending = true,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
                "{}: include: {} is not there; `confbot provision --config {} --apply` writes the rooms file",
                path.display(),
                file.display(),
                path.display()
            ),
            Err(err) => {
                return Err(err).with_context(|| format!("{}: include: reading {}", path.display(), file.display()))
            }
        }
    }
    let mut config = Config::from_toml_with(&text, &path.display().to_string(), &included, pending)?;
    config.resolve_paths(base);
    Ok(config)
}
