//! `rescind`: cancel and hold at Arta, Di and Skip Pay from a shell, run the simulator, or take
//! the demo tour. See `rescind --help`; exit codes are listed there and in the README.

#![forbid(unsafe_code)]

/// `println!` that never panics: see [`output::write_stdout`] (a closed pipe is not an error).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics: a closed stderr (`rescind demo 2>&1 | head -1`) drops the
/// message.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod bulk;
mod cli;
mod commands;
mod config;
mod demo;
mod items;
mod logging;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

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
    output::configure(output::Settings {
        width: cli.width,
        show_private: cli.show_private,
    });
    match &cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "rescind", &mut script);
            output::write_stdout(&String::from_utf8_lossy(&script));
            return ExitCode::from(output::EXIT_DONE);
        }
        Command::Man => {
            let mut page = Vec::new();
            if let Err(err) = clap_mangen::Man::new(Cli::command()).render(&mut page) {
                errln!("error: could not render the man page: {err}");
                return ExitCode::from(output::EXIT_FAILED);
            }
            output::write_stdout(&String::from_utf8_lossy(&page));
            return ExitCode::from(output::EXIT_DONE);
        }
        _ => {}
    }
    logging::init(cli.verbose, !matches!(cli.command, Command::Bulk { .. }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            errln!("error: could not start the async runtime: {err}");
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
                plan,
                policy,
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
                    plan,
                    policy: policy.map_or(rescind::core::Policy::ChangeFirst, |p| p.policy()),
                };
                bulk::run(args, out).await
            }
            Command::Sim { addr, seed } => demo::serve(&addr, seed).await,
            Command::Arta {
                config,
                call,
                command,
            } => commands::arta(&config, &call, command, out).await,
            Command::Di {
                config,
                call,
                command,
            } => commands::di(&config, &call, command, out).await,
            Command::Skippay {
                config,
                call,
                command,
            } => commands::skippay(&config, &call, command, out).await,
            // Answered before the runtime started.
            Command::Completions { .. } | Command::Man => output::EXIT_DONE,
        }
    });
    ExitCode::from(code)
}
