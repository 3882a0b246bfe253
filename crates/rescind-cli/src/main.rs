//! `rescind`: cancel and hold at Arta, Di and Skip Pay from a shell, run the simulator, or take
//! the demo tour. See `rescind --help`; exit codes are listed there and in the README.

#![forbid(unsafe_code)]

mod bulk;
mod cli;
mod commands;
mod config;
mod demo;
mod items;
mod output;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version are not errors; bad usage exits 2 (clap's own convention too).
            let code = if err.use_stderr() {
                output::EXIT_USAGE
            } else {
                output::EXIT_DONE
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(output::EXIT_FAILED);
        }
    };
    let out = cli.output;
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Demo => demo::run(out).await,
            Command::Bulk {
                file,
                journal,
                report,
                strict,
                concurrency,
                resend_changed,
                in_flight_horizon,
                no_wait,
            } => {
                let args = bulk::Args {
                    file,
                    journal,
                    report,
                    strict,
                    concurrency: concurrency.map(usize::from),
                    resend_changed,
                    in_flight_horizon,
                    no_wait,
                };
                bulk::run(args, out).await
            }
            Command::Sim { addr, seed } => demo::serve(addr, seed).await,
            Command::Arta { config, command } => commands::arta(&config, command, out).await,
            Command::Di { config, command } => commands::di(&config, command, out).await,
            Command::Skippay { config, command } => commands::skippay(&config, command, out).await,
        }
    });
    ExitCode::from(code)
}
