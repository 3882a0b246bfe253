//! The command line, as clap parses it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// The exit codes, as every `--help` lists them (and the README).
pub const EXIT_CODES: &str = "\
Exit codes:
    0  done: cancelled, held or already cancelled
    1  refused by the provider's rules (nothing was changed)
    2  bad usage or input (nothing was sent)
    3  authentication or permission
    4  not found
    5  transport or provider failure after retries
    6  outcome unknown: the change may have been applied (check before trying again)
  130  stopped by Ctrl-C (bulk)";

/// Cancel and hold orders, shipments and checkout sessions at Arta, Di and Skip Pay.
#[derive(Debug, Parser)]
#[command(name = "rescind", version, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// How to print results: a table for people, or JSON (one object per result) for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table, help_heading = "Global options")]
    pub output: Output,

    /// The width tables fit in, in columns [default: $COLUMNS, else the terminal's width;
    /// no limit when stdout is not a terminal].
    #[arg(long, global = true, value_name = "COLUMNS", value_parser = clap::value_parser!(u16).range(20..), help_heading = "Global options")]
    pub width: Option<u16>,

    /// Show capability tokens (Arta's private_token and private booking URL, Skip Pay's
    /// redirect and document URLs): anyone holding one can act for the customer, so they
    /// are redacted by default in tables and JSON.
    #[arg(long, global = true, help_heading = "Global options")]
    pub show_private: bool,

    /// More detail on stderr: -v the calls made, -vv their steps and timings (spans), -vvv
    /// everything. RUST_LOG (e.g. `RUST_LOG=rescind_core=debug`) takes precedence. Secrets
    /// are never logged.
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns.
    Table,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the embedded simulator and run a tour of the SDK against it (no setup, no network).
    Demo,
    /// Run the simulator of the three providers in the foreground.
    Sim {
        /// Where to listen: HOST:PORT, with an IP address or a host name (`localhost:8481`).
        #[arg(long, default_value = "127.0.0.1:8480")]
        addr: String,
        /// A seed file (the format of `GET /__sim/state`); the demo data set when absent.
        #[arg(long)]
        seed: Option<PathBuf>,
    },
    /// Cancel or hold many targets from a CSV or JSON Lines file, with a journal: safe to stop
    /// or kill at any moment and to run again (rows done are skipped, rows that may have been
    /// sent are settled by reading the target back, never resent blindly).
    ///
    /// Accounts come from the environment (ARTA_*, DI_*, SKIPPAY_*, RESCIND_ACCOUNTS). Exit
    /// code: 0 when every row is done, otherwise the most severe of the rows' codes; 130 when
    /// stopped by Ctrl-C.
    Bulk {
        /// The input: CSV with a header (account,target,action,items,until) or JSON Lines.
        file: PathBuf,
        /// The journal [default: FILE.journal.jsonl next to the input].
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Where to write the rows that need a person (CSV, or JSON for a .json name)
        /// [default: FILE.report.csv next to the input].
        #[arg(long)]
        report: Option<PathBuf>,
        /// Send nothing if any row is invalid.
        #[arg(long)]
        strict: bool,
        /// Rows in flight at once per account, 1 to 256 [default: 15 for Arta accounts, 8 for
        /// others]. Above a provider's rate limit more rows only wait for its 429s.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: Option<u16>,
        /// Send the row of TARGET (or ACCOUNT:TARGET) even though this journal already holds a
        /// change to that target with other content (an edited row); repeat or separate by commas.
        #[arg(long, value_name = "TARGET", value_delimiter = ',')]
        resend_changed: Vec<String>,
        /// How long a hold or an item cancel with quantities whose answer was lost may still be
        /// in flight: not sent again before, and then only if reading back shows no change
        /// (e.g. 5m, 90s, 0s) [default: 5m].
        #[arg(long, value_name = "DURATION", value_parser = crate::bulk::parse_duration)]
        in_flight_horizon: Option<std::time::Duration>,
        /// Do not wait for rows in flight: leave them pending with the time after which a
        /// rerun decides them.
        #[arg(long)]
        no_wait: bool,
        /// Send nothing: read every target once and show what sending would do (cancel,
        /// cancel N items, hold, already cancelled, refused and why, not found, unknown), with
        /// the exit code a run would give. Reads the journal without locking it (works beside a
        /// live run) and writes no intent; every row goes to FILE.plan.csv (or --report, which
        /// must not be the run's report).
        #[arg(long)]
        plan: bool,
        /// How many requests a row spends [default: change-first]: change-first sends a whole
        /// cancel or an item cancel without quantities with no read first (1 request), and
        /// reads a hold's or a quantity cancel's target once (2); check-first reads every
        /// target once before its change (2 requests per row, exact "already cancelled").
        #[arg(long, value_enum, value_name = "POLICY")]
        policy: Option<PolicyArg>,
    },
    /// Arta: hosted sessions and shipment holds.
    Arta {
        /// Arta settings.
        #[command(flatten)]
        config: ArtaConfig,
        /// Timeouts and retries.
        #[command(flatten)]
        call: CallConfig,
        /// The Arta command.
        #[command(subcommand)]
        command: ArtaCommand,
    },
    /// Di: booked parcel orders.
    Di {
        /// Di settings.
        #[command(flatten)]
        config: DiConfig,
        /// Timeouts and retries.
        #[command(flatten)]
        call: CallConfig,
        /// The Di command.
        #[command(subcommand)]
        command: DiCommand,
    },
    /// Skip Pay: orders and their items.
    Skippay {
        /// Skip Pay settings.
        #[command(flatten)]
        config: SkipPayConfig,
        /// Timeouts and retries.
        #[command(flatten)]
        call: CallConfig,
        /// The Skip Pay command.
        #[command(subcommand)]
        command: SkipPayCommand,
    },
    /// Print a shell completion script: `rescind completions bash > ~/.local/share/bash-completion/completions/rescind`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `rescind man > rescind.1; man ./rescind.1`.
    Man,
}

/// How long a call may take and how often it is retried (Arta, Di and Skip Pay commands).
#[derive(Debug, Clone, Args)]
pub struct CallConfig {
    /// The most time one call to the provider may take, retries and waits included: `90s`,
    /// `500ms`, `2m`, or seconds (`30`) [default: 90s; each attempt at most 30 s]. A command
    /// may make more than one call (a cancel reads the target first).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, help_heading = "Timeouts and retries")]
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt, 0 to 10 [default: 2]. Only requests that are safe to
    /// repeat are retried (reads, and changes the provider documents as idempotent); a change
    /// that may have been applied is never sent again, whatever this says. A 429 (too many
    /// requests), a login's included, is not a failed attempt: it is waited out until
    /// `--timeout`, whatever this says.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10), help_heading = "Timeouts and retries")]
    pub retries: Option<u32>,
    /// How many requests a cancel spends [default: check-first]: check-first reads the
    /// target before changing it (exact outcomes such as "already cancelled"); change-first
    /// sends the change first where the provider's promises allow it and reads only to
    /// explain a refusal or settle a lost answer (fewest requests; "cancelled" may then not
    /// tell whether it was cancelled before).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "POLICY",
        help_heading = "Timeouts and retries"
    )]
    pub policy: Option<PolicyArg>,
}

impl CallConfig {
    /// The policy asked for, or check first.
    pub fn policy(&self) -> rescind::core::Policy {
        self.policy
            .map_or(rescind::core::Policy::CheckFirst, PolicyArg::policy)
    }
}

/// `--policy`: how many requests a cancel spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// Read first, then change: exact outcomes.
    CheckFirst,
    /// Change first where the promises allow it: fewest requests.
    ChangeFirst,
}

impl PolicyArg {
    /// The library's policy.
    pub fn policy(self) -> rescind::core::Policy {
        match self {
            PolicyArg::CheckFirst => rescind::core::Policy::CheckFirst,
            PolicyArg::ChangeFirst => rescind::core::Policy::ChangeFirst,
        }
    }
}

/// Reads `90s`, `500ms`, `2m`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write 90s, 500ms, 2m or 30"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("`{other}` is not a unit: use ms, s, m or h")),
    };
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("`{text}` must be more than 0 and at most 24 h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Arta settings; each flag falls back to its environment variable.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Arta account")]
pub struct ArtaConfig {
    /// The API key [env: ARTA_API_KEY]. Prefer the variable or --api-key-file: a flag's value
    /// ends up in the shell's history and in the process list.
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        conflicts_with = "api_key_file"
    )]
    pub api_key: Option<String>,
    /// Read the API key from this file, or from standard input with `-` (one line).
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// The base URL [env: ARTA_BASE_URL] (default `https://api.arta.io`).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
    /// The kind of key, `live` (default) or `test` [env: ARTA_KEY_KIND]: the client stays
    /// under its documented limits (live: 15 calls in flight, 970 a minute; test: 10, 485).
    #[arg(long, global = true, value_name = "live|test")]
    pub arta_key_kind: Option<String>,
}

/// Arta commands.
#[derive(Debug, Subcommand)]
pub enum ArtaCommand {
    /// Cancel a hosted session.
    CancelSession {
        /// The hosted session's id.
        id: String,
        /// Send nothing: read the session, and say what the cancel would do.
        #[arg(long)]
        dry_run: bool,
    },
    /// Put a shipment on hold (`requested_hold_to_collect`).
    Hold {
        /// The shipment's id.
        shipment_id: String,
        /// The last day of the hold (YYYY-MM-DD), at most 30 days after the shipment was created.
        #[arg(long)]
        until: Option<String>,
        /// Send nothing: read the shipment, and say what the hold would do.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show a hosted session.
    ShowSession {
        /// The hosted session's id.
        id: String,
    },
    /// Show a shipment.
    ShowShipment {
        /// The shipment's id.
        id: String,
    },
}

/// Di settings; each flag falls back to its environment variable.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Di account")]
pub struct DiConfig {
    /// The web-service user [env: DI_USERNAME].
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The password [env: DI_PASSWORD]. Prefer the variable or --password-file: a flag's value
    /// ends up in the shell's history and in the process list.
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        conflicts_with = "password_file"
    )]
    pub password: Option<String>,
    /// Read the password from this file, or from standard input with `-` (one line).
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// `test` or `production` [env: DI_ENV]; or --base-url.
    #[arg(long = "env", global = true)]
    pub environment: Option<String>,
    /// Another base URL [env: DI_BASE_URL].
    #[arg(long, global = true)]
    pub base_url: Option<String>,
}

/// Di commands.
#[derive(Debug, Subcommand)]
pub enum DiCommand {
    /// Cancel a booked order by its shipment number (with or without the `(401)` prefix).
    Cancel {
        /// The shipment number.
        identifier: String,
        /// Send nothing: read the order, and say what the cancel would do.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show an order's details.
    Show {
        /// The shipment number.
        identifier: String,
    },
}

/// Skip Pay settings; each flag falls back to its environment variable.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Skip Pay account")]
pub struct SkipPayConfig {
    /// The partner user [env: SKIPPAY_USERNAME].
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The password [env: SKIPPAY_PASSWORD]. Prefer the variable or --password-file: a flag's value
    /// ends up in the shell's history and in the process list.
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        conflicts_with = "password_file"
    )]
    pub password: Option<String>,
    /// Read the password from this file, or from standard input with `-` (one line).
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// The base URL [env: SKIPPAY_BASE_URL] (default `https://api.partner.skippay.cz`).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
}

/// Skip Pay commands.
#[derive(Debug, Subcommand)]
pub enum SkipPayCommand {
    /// Cancel a whole order, or only the items given with --item.
    Cancel {
        /// The application id.
        application_id: String,
        /// An item to cancel: `code=..,ean=..,name=..,type=..,quantity=..` (at least one
        /// identifier; every identifier given must match). Repeat for several items.
        #[arg(long = "item")]
        items: Vec<String>,
        /// Send nothing: read the application, and say what the cancel would do.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show an application and its order.
    Show {
        /// The application id.
        application_id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        for (text, expected) in [
            ("30", Duration::from_secs(30)),
            ("90s", Duration::from_secs(90)),
            ("1.5s", Duration::from_millis(1500)),
            ("500ms", Duration::from_millis(500)),
            ("2m", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
        for bad in ["", "soon", "0", "-1s", "10 parsecs", "25h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
