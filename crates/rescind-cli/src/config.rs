//! Clients from flags, falling back to the environment variables the facade documents.

use std::collections::HashMap;

use rescind::Error;

use crate::cli::{ArtaConfig, DiConfig, SkipPayConfig};

/// A lookup that answers flags first, then the process environment.
fn lookup(flags: HashMap<&'static str, Option<String>>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| {
        flags
            .get(name)
            .cloned()
            .flatten()
            .or_else(|| rescind::env::process_env(name))
    }
}

fn missing(what: &str, vars: &str) -> Error {
    Error::config(format!("no {what} configured: set {vars}"))
}

/// The Arta client: `--api-key`/`ARTA_API_KEY`, `--base-url`/`ARTA_BASE_URL`.
pub fn arta(config: &ArtaConfig) -> Result<rescind::arta::Client, Error> {
    let vars = lookup(HashMap::from([
        ("ARTA_API_KEY", config.api_key.clone()),
        ("ARTA_BASE_URL", config.base_url.clone()),
    ]));
    rescind::env::arta_client(&vars, "ARTA_")?
        .ok_or_else(|| missing("Arta account", "ARTA_API_KEY (or --api-key)"))
}

/// The Di client: `--username`/`DI_USERNAME`, `--password`/`DI_PASSWORD`, `--env`/`DI_ENV` or
/// `--base-url`/`DI_BASE_URL`.
pub fn di(config: &DiConfig) -> Result<rescind::di::Client, Error> {
    let vars = lookup(HashMap::from([
        ("DI_USERNAME", config.username.clone()),
        ("DI_PASSWORD", config.password.clone()),
        ("DI_ENV", config.environment.clone()),
        ("DI_BASE_URL", config.base_url.clone()),
    ]));
    rescind::env::di_client(&vars, "DI_")?.ok_or_else(|| {
        missing(
            "Di account",
            "DI_USERNAME, DI_PASSWORD and DI_ENV (test|production) or DI_BASE_URL",
        )
    })
}

/// The Skip Pay client: `--username`/`SKIPPAY_USERNAME`, `--password`/`SKIPPAY_PASSWORD`,
/// `--base-url`/`SKIPPAY_BASE_URL`.
pub fn skippay(config: &SkipPayConfig) -> Result<rescind::skippay::Client, Error> {
    let vars = lookup(HashMap::from([
        ("SKIPPAY_USERNAME", config.username.clone()),
        ("SKIPPAY_PASSWORD", config.password.clone()),
        ("SKIPPAY_BASE_URL", config.base_url.clone()),
    ]));
    rescind::env::skippay_client(&vars, "SKIPPAY_")?
        .ok_or_else(|| missing("Skip Pay account", "SKIPPAY_USERNAME and SKIPPAY_PASSWORD"))
}
