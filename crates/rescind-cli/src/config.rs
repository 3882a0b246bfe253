//! Clients from flags, falling back to the environment variables the facade documents.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rescind::Error;
use rescind::core::TransportConfig;
use rescind::core::retry::RetryPolicy;

use crate::cli::{ArtaConfig, CallConfig, DiConfig, SkipPayConfig};

/// The longest one attempt may take (the transport's default).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The transport settings of `--timeout` and `--retries`.
///
/// `--timeout` bounds each call, retries and waits included (`call_timeout`); one attempt
/// takes at most the smaller of it and 30 s. `--retries N` allows N + 1 attempts in all; the
/// transport decides which failures may be retried, and never resends a request that is not
/// idempotent after it may have reached the provider (`rescind_core::retry::classify`).
pub fn transport(call: &CallConfig) -> TransportConfig {
    let mut config = TransportConfig::default();
    if let Some(timeout) = call.timeout {
        config = config
            .with_call_timeout(timeout)
            .with_attempt_timeout(ATTEMPT_TIMEOUT.min(timeout));
    }
    if let Some(retries) = call.retries {
        config = config.with_retry(RetryPolicy::default().with_max_attempts(retries + 1));
    }
    config
}

/// A secret given on the command line: warns that it is in the shell's history.
fn flag_secret(flag: &str, variable: &str, value: &Option<String>) -> Option<String> {
    if value.is_some() {
        errln!(
            "warning: {flag} puts the secret in your shell's history and the process list; \
             prefer {variable} or {flag}-file (`-` reads standard input)"
        );
    }
    value.clone()
}

/// Reads a secret from a file, or from standard input for `-`: the first line, without its
/// line ending. Errors name the file, never the content.
pub fn read_secret(flag: &str, path: &Path) -> Result<String, Error> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::config(format!("{flag} -: cannot read standard input: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("{flag} {}: {e}", path.display())))?
    };
    let secret = text.lines().next().unwrap_or_default().trim().to_string();
    if secret.is_empty() {
        return Err(Error::config(format!(
            "{flag} {}: the first line is empty",
            path.display()
        )));
    }
    Ok(secret)
}

/// The secret from `--NAME-file`, else `--NAME` (with a warning), else `None` (the variable).
fn secret(
    flag: &str,
    variable: &str,
    value: &Option<String>,
    file: &Option<std::path::PathBuf>,
) -> Result<Option<String>, Error> {
    match file {
        Some(path) => read_secret(&format!("{flag}-file"), path).map(Some),
        None => Ok(flag_secret(flag, variable, value)),
    }
}

/// The Arta client: `--api-key`/`--api-key-file`/`ARTA_API_KEY`, `--base-url`/`ARTA_BASE_URL`,
/// `--arta-key-kind`/`ARTA_KEY_KIND`.
pub fn arta(config: &ArtaConfig, call: &CallConfig) -> Result<rescind::arta::Client, Error> {
    let key = secret(
        "--api-key",
        "ARTA_API_KEY",
        &config.api_key,
        &config.api_key_file,
    )?;
    let vars = lookup(HashMap::from([
        ("ARTA_API_KEY", key),
        ("ARTA_BASE_URL", config.base_url.clone()),
        ("ARTA_KEY_KIND", config.arta_key_kind.clone()),
    ]));
    rescind::env::arta_client_with(&vars, "ARTA_", transport(call))?
        .ok_or_else(|| missing("Arta account", "ARTA_API_KEY (or --api-key-file)"))
}

/// The Di client: `--username`/`DI_USERNAME`, `--password`/`--password-file`/`DI_PASSWORD`,
/// `--env`/`DI_ENV` or `--base-url`/`DI_BASE_URL`.
pub fn di(config: &DiConfig, call: &CallConfig) -> Result<rescind::di::Client, Error> {
    let password = secret(
        "--password",
        "DI_PASSWORD",
        &config.password,
        &config.password_file,
    )?;
    let vars = lookup(HashMap::from([
        ("DI_USERNAME", config.username.clone()),
        ("DI_PASSWORD", password),
        ("DI_ENV", config.environment.clone()),
        ("DI_BASE_URL", config.base_url.clone()),
    ]));
    rescind::env::di_client_with(&vars, "DI_", transport(call))?.ok_or_else(|| {
        missing(
            "Di account",
            "DI_USERNAME, DI_PASSWORD and DI_ENV (test|production) or DI_BASE_URL",
        )
    })
}

/// The Skip Pay client: `--username`/`SKIPPAY_USERNAME`,
/// `--password`/`--password-file`/`SKIPPAY_PASSWORD`, `--base-url`/`SKIPPAY_BASE_URL`.
pub fn skippay(
    config: &SkipPayConfig,
    call: &CallConfig,
) -> Result<rescind::skippay::Client, Error> {
    let password = secret(
        "--password",
        "SKIPPAY_PASSWORD",
        &config.password,
        &config.password_file,
    )?;
    let vars = lookup(HashMap::from([
        ("SKIPPAY_USERNAME", config.username.clone()),
        ("SKIPPAY_PASSWORD", password),
        ("SKIPPAY_BASE_URL", config.base_url.clone()),
    ]));
    rescind::env::skippay_client_with(&vars, "SKIPPAY_", transport(call))?
        .ok_or_else(|| missing("Skip Pay account", "SKIPPAY_USERNAME and SKIPPAY_PASSWORD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_bounds_the_call_and_each_attempt() {
        let config = transport(&CallConfig {
            timeout: Some(Duration::from_secs(5)),
            retries: Some(0),
            policy: None,
        });
        assert_eq!(config.call_timeout, Duration::from_secs(5));
        assert_eq!(config.attempt_timeout, Duration::from_secs(5));
        assert_eq!(config.retry.max_attempts, 1);
        let config = transport(&CallConfig {
            timeout: Some(Duration::from_secs(120)),
            retries: Some(4),
            policy: None,
        });
        assert_eq!(config.attempt_timeout, ATTEMPT_TIMEOUT);
        assert_eq!(config.retry.max_attempts, 5);
        let default = transport(&CallConfig {
            timeout: None,
            retries: None,
            policy: None,
        });
        assert_eq!(default.retry, RetryPolicy::default());
        assert_eq!(
            default.call_timeout,
            TransportConfig::default().call_timeout
        );
    }

    #[test]
    fn a_secret_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "s3cret-value\n").unwrap();
        assert_eq!(
            read_secret("--api-key-file", &path).unwrap(),
            "s3cret-value"
        );
        std::fs::write(&path, "\n").unwrap();
        let err = read_secret("--api-key-file", &path).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = read_secret("--api-key-file", &dir.path().join("none")).unwrap_err();
        assert!(err.to_string().contains("--api-key-file"), "{err}");
    }
}
