//! The state directory (`[matrix] state_dir`): the Matrix login, matrix-sdk's stores and
//! the bot's own store live there, readable by the bot's user only. One bot at a time may
//! use it: an advisory lock says which process does. A rehearsal (`confbot run --now`)
//! keeps its own store in `rehearsal/`, so that what it posts is never taken for the real
//! day's posts.

use anyhow::{bail, Context};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The state directory, locked for this process as long as the value lives.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    _lock: File,
}

/// Which store a run keeps its records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The real day's: what was posted and answered for good.
    Real,
    /// A rehearsal's, in `rehearsal/`: started afresh unless `keep`.
    Rehearsal { keep: bool },
}

impl StateDir {
    /// Creates the directory (0700) if need be and locks it; fails at once, naming the
    /// process, when another bot holds it.
    pub fn lock(path: &Path) -> anyhow::Result<StateDir> {
        create_private_dir(path)?;
        let lock_path = path.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .with_context(|| format!("opening the lock file {}", lock_path.display()))?;
        // SAFETY: flock on a file descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("process {holder}")
            };
            bail!(
                "the state directory {} is in use by {who}: one bot at a time may run on it (stop the other, or give this one its own [matrix] state_dir)",
                path.display()
            );
        }
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(StateDir {
            path: path.to_path_buf(),
            _lock: file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the bot's store of this kind is, made ready: a rehearsal's is emptied first
    /// unless it is to be kept.
    pub fn store(&self, kind: StoreKind) -> anyhow::Result<PathBuf> {
        match kind {
            StoreKind::Real => Ok(self.path.join("confbot.sqlite")),
            StoreKind::Rehearsal { keep } => {
                let dir = self.path.join("rehearsal");
                create_private_dir(&dir)?;
                let store = dir.join("confbot.sqlite");
                if !keep {
                    for suffix in ["", "-wal", "-shm"] {
                        let file = dir.join(format!("confbot.sqlite{suffix}"));
                        match std::fs::remove_file(&file) {
                            Ok(()) => {}
                            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                            Err(err) => {
                                return Err(err).with_context(|| {
                                    format!("starting the rehearsal afresh: removing {}", file.display())
                                })
                            }
                        }
                    }
                }
                Ok(store)
            }
        }
    }
}

/// Creates `path` (and its parents) if missing, and makes it the owner's only (0700).
fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("creating the state directory {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private (0700)", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_bot_on_the_same_state_directory_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = StateDir::lock(&state).unwrap();
        let err = StateDir::lock(&state).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "the state directory {} is in use by process {}: one bot at a time may run on it (stop the other, or give this one its own [matrix] state_dir)",
                state.display(),
                std::process::id()
            )
        );
        drop(first);
        StateDir::lock(&state).expect("free again once the first is gone");
    }

    #[test]
    fn the_state_directory_is_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
        let locked = StateDir::lock(&state).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("lock")), 0o600);
        locked.store(StoreKind::Rehearsal { keep: false }).unwrap();
        assert_eq!(mode(&state.join("rehearsal")), 0o700);
    }

    #[test]
    fn a_rehearsal_starts_afresh_unless_kept_and_never_uses_the_real_store() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::lock(dir.path()).unwrap();
        let real = state.store(StoreKind::Real).unwrap();
        let rehearsal = state.store(StoreKind::Rehearsal { keep: false }).unwrap();
        assert_ne!(real, rehearsal);
        std::fs::write(&rehearsal, "rehearsed").unwrap();
        assert_eq!(state.store(StoreKind::Rehearsal { keep: true }).unwrap(), rehearsal);
        assert!(rehearsal.exists(), "kept");
        state.store(StoreKind::Rehearsal { keep: false }).unwrap();
        assert!(!rehearsal.exists(), "started afresh");
    }
}
