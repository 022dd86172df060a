//! Keeping the resident size of a long-running bot near what it uses. With glibc, freed
//! heap memory stays with the process for reuse, and every thread that allocates may get
//! an arena of its own; a bot that parsed a 2 MB schedule once (an XML document tree many
//! times the file's size) or sat through a large first sync would otherwise hold that peak
//! for the whole conference. Both calls do nothing on other platforms.

/// At most two malloc arenas: the runtime's blocking threads (the stores' SQLite work) come
/// and go, and each would otherwise keep an arena. Call before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Gives freed heap memory back to the system; after a big, short-lived allocation.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
