//! `confbot provision`: loads the config (its rooms file may not be there yet) and the
//! schedule, and has the Matrix adapter make the rooms.

use super::{init_logging, ProvisionArgs};
use crate::adapters::matrix::{self, Provision};
use crate::infra::config_file;
use crate::infra::source::Source;
use anyhow::Context;
use std::process::ExitCode;

pub(super) fn provision(args: &ProvisionArgs) -> anyhow::Result<ExitCode> {
    init_logging(
        false,
        "warn,matrix_sdk=error,matrix_sdk::http_client=off,matrix_sdk_base=error,matrix_sdk_crypto=error",
    );
    let config = config_file::load_before_provision(&args.config)?;
    let loaded = Source::from_config(&config.schedule)
        .load_blocking()
        .with_context(|| format!("the schedule named by [schedule] source in {}", args.config.display()))?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let folder = args.config.parent().unwrap_or(std::path::Path::new(""));
    let how = Provision {
        apply: args.apply,
        rooms_file: (args.write_config.clone()).unwrap_or_else(|| folder.join("rooms.generated.toml")),
    };
    // The login it may save, and the stores, are for the bot's user only.
    // SAFETY: umask only sets the process's file creation mask.
    unsafe {
        libc::umask(0o077);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let done = runtime.block_on(matrix::provision(&config, &loaded.schedule, &how))?;
    Ok(if done { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
