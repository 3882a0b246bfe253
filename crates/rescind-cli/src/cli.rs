//! The command line, as clap parses it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Cancel and hold orders, shipments and checkout sessions at Arta, Di and Skip Pay.
///
/// Exit codes: 0 done (cancelled, held or already cancelled); 1 refused by the provider's
/// rules; 2 bad usage or input; 3 authentication or permission; 4 not found; 5 transport or
/// provider failure after retries; 6 outcome unknown (the change may have been applied).
#[derive(Debug, Parser)]
#[command(name = "rescind", version, about, long_about = None)]
pub struct Cli {
    /// How to print results: a table for people, or JSON (one object per result) for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,

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
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8480")]
        addr: SocketAddr,
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
        /// Rows in flight at once per account [default: 15 for Arta accounts, 8 for others].
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
    },
    /// Arta: hosted sessions and shipment holds.
    Arta {
        /// Arta settings.
        #[command(flatten)]
        config: ArtaConfig,
        /// The Arta command.
        #[command(subcommand)]
        command: ArtaCommand,
    },
    /// Di: booked parcel orders.
    Di {
        /// Di settings.
        #[command(flatten)]
        config: DiConfig,
        /// The Di command.
        #[command(subcommand)]
        command: DiCommand,
    },
    /// Skip Pay: orders and their items.
    Skippay {
        /// Skip Pay settings.
        #[command(flatten)]
        config: SkipPayConfig,
        /// The Skip Pay command.
        #[command(subcommand)]
        command: SkipPayCommand,
    },
}

/// Arta settings; each flag falls back to its environment variable.
#[derive(Debug, Clone, Args)]
pub struct ArtaConfig {
    /// The API key [env: ARTA_API_KEY].
    #[arg(long, global = true, hide_env_values = true)]
    pub api_key: Option<String>,
    /// The base URL [env: ARTA_BASE_URL] (default `https://api.arta.io`).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
}

/// Arta commands.
#[derive(Debug, Subcommand)]
pub enum ArtaCommand {
    /// Cancel a hosted session.
    CancelSession {
        /// The hosted session's id.
        id: String,
    },
    /// Put a shipment on hold (`requested_hold_to_collect`).
    Hold {
        /// The shipment's id.
        shipment_id: String,
        /// The last day of the hold (YYYY-MM-DD), at most 30 days after the shipment was created.
        #[arg(long)]
        until: Option<String>,
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
pub struct DiConfig {
    /// The web-service user [env: DI_USERNAME].
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The password [env: DI_PASSWORD].
    #[arg(long, global = true, hide_env_values = true)]
    pub password: Option<String>,
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
    },
    /// Show an order's details.
    Show {
        /// The shipment number.
        identifier: String,
    },
}

/// Skip Pay settings; each flag falls back to its environment variable.
#[derive(Debug, Clone, Args)]
pub struct SkipPayConfig {
    /// The partner user [env: SKIPPAY_USERNAME].
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The password [env: SKIPPAY_PASSWORD].
    #[arg(long, global = true, hide_env_values = true)]
    pub password: Option<String>,
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
    },
    /// Show an application and its order.
    Show {
        /// The application id.
        application_id: String,
    },
}
