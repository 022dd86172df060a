//! The shared corpus of real schedules beside the repository (`../shared/schedules`, see
//! its SOURCES.md), for the tests that read them.

use std::path::{Path, PathBuf};

/// The corpus folder, or `None` on a machine without it, where the corpus tests check
/// nothing and say so. In CI (`CI=true`) a missing corpus fails the test instead: there a
/// test that checked nothing must not pass.
pub fn dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schedules");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is absent, and CI=true: the corpus tests would check nothing",
        dir.display()
    );
    eprintln!("note: {} is absent; the corpus tests check nothing here", dir.display());
    None
}
