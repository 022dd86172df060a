use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match confbot::adapters::cli::run(confbot::adapters::cli::Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{err:#}");
            ExitCode::from(1)
        }
    }
}
