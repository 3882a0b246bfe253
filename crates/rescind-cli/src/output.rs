//! What the CLI prints, and its exit codes.

use comfy_table::{Table, presets};
use rescind::{CancelOutcome, CancelStatus, Error, ErrorKind, Observation, Provider, Sent};
use serde::Serialize;

use crate::cli::Output;

/// Exit code: done (cancelled, held or already cancelled).
pub const EXIT_DONE: u8 = 0;
/// Exit code: refused by the provider's rules.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: bad usage or input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: authentication or permission.
pub const EXIT_AUTH: u8 = 3;
/// Exit code: not found.
pub const EXIT_NOT_FOUND: u8 = 4;
/// Exit code: transport or provider failure after retries.
pub const EXIT_FAILED: u8 = 5;
/// Exit code: the outcome is unknown; the change may have been applied.
pub const EXIT_UNKNOWN: u8 = 6;

/// The exit code for an error.
pub fn exit_code(err: &Error) -> u8 {
    if err.sent() == Sent::MaybeSent {
        return EXIT_UNKNOWN;
    }
    match err.kind() {
        ErrorKind::NotCancellable => EXIT_REFUSED,
        ErrorKind::InvalidInput | ErrorKind::Config | ErrorKind::Unsupported => EXIT_USAGE,
        ErrorKind::Unauthorized | ErrorKind::Forbidden => EXIT_AUTH,
        ErrorKind::NotFound => EXIT_NOT_FOUND,
        _ => EXIT_FAILED,
    }
}

/// One line of advice for an error. It says "nothing was changed" only when the error proves
/// it: nothing was sent, or the provider refused with a documented refusal
/// ([`Sent::Answered`]). A change that may have been applied ([`Sent::MaybeSent`]) is never
/// "try again": the hint names the command that shows the target's state.
pub fn hint(err: &Error, provider: Option<Provider>, target: Option<&str>) -> Option<String> {
    let p = provider.map(|p| p.id()).unwrap_or("<provider>");
    if err.sent() == Sent::MaybeSent {
        let show = match (provider, target) {
            (Some(provider), Some(t)) => show_command(provider, t),
            _ => "the target's state".to_string(),
        };
        return Some(format!(
            "the change may have been applied: check with `{show}` before trying again"
        ));
    }
    let nothing_sent = err.sent() == Sent::NotSent;
    match err.kind() {
        ErrorKind::Unauthorized => Some(format!("check the {} credentials", p)),
        ErrorKind::Forbidden => Some("the account may not act on this target".into()),
        ErrorKind::NotCancellable => {
            Some("the provider's rules refuse this now; nothing was changed".into())
        }
        ErrorKind::RateLimited => {
            Some("the provider is throttling (nothing was changed): try again later".into())
        }
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::Timeout if nothing_sent => {
            Some("nothing was sent; try again later".into())
        }
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::Timeout => {
            Some("the provider failed to answer; try again later".into())
        }
        _ => None,
    }
}

/// The CLI command that shows `target`'s state at `provider`: `rescind di show <id>`,
/// `rescind skippay show <id>`, `rescind arta show-session <id>` for a hosted session (an
/// integer id) or `rescind arta show-shipment <id>` for a shipment (a UUID).
pub fn show_command(provider: Provider, target: &str) -> String {
    match provider {
        Provider::Arta if target.parse::<u64>().is_ok() => {
            format!("rescind arta show-session {target}")
        }
        Provider::Arta => format!("rescind arta show-shipment {target}"),
        Provider::Di => format!("rescind di show {target}"),
        Provider::SkipPay => format!("rescind skippay show {target}"),
        other => format!("rescind {} show {target}", other.id()),
    }
}

/// One result, as printed: stable field names for scripts.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `arta`, `di` or `skippay`.
    pub provider: String,
    /// What the row is about (a step of the demo, or the command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The target's id.
    pub target: String,
    /// `cancelled`, `partially_cancelled`, `already_cancelled`, `held`, or for errors
    /// `refused`, `invalid`, `unauthorized`, `not_found`, `failed`, `unknown`.
    pub outcome: String,
    /// The hold's last day, for `held`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// A note or the error message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For errors: whether the request reached the provider (`not_sent`, `answered`, `maybe_sent`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// For errors: what to do or check next (the `hint:` line of the table output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For outcomes: `read_back` when the change's answer proved nothing and reading the
    /// target back showed it changed (absent when the answer itself settled it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    /// For errors of unknown outcome: what the provider showed for the target before the
    /// change was sent, to compare with `show` later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_before: Option<Observation>,
    /// The exit code this result alone would give.
    pub exit_code: u8,
}

impl Row {
    /// A row for a result.
    pub fn from_result(
        provider: Provider,
        target: &str,
        result: &Result<CancelOutcome, Error>,
    ) -> Row {
        match result {
            Ok(outcome) => Row {
                provider: provider.id().into(),
                step: None,
                target: outcome.target.clone(),
                outcome: outcome.status.as_str().into(),
                until: match &outcome.status {
                    CancelStatus::Held { until: Some(d) } => Some(d.to_string()),
                    _ => None,
                },
                request_id: outcome.request_id.clone(),
                detail: outcome.note.clone(),
                sent: None,
                hint: None,
                settled_by: outcome
                    .settled_by_read_back()
                    .then(|| outcome.settled_by.as_str().to_string()),
                observed_before: None,
                exit_code: EXIT_DONE,
            },
            Err(err) => Row {
                provider: provider.id().into(),
                step: None,
                target: target.into(),
                outcome: error_outcome(err).into(),
                until: None,
                request_id: err.request_id().map(str::to_owned),
                detail: Some(err.to_string()),
                sent: Some(err.sent().as_str().into()),
                hint: hint(err, Some(provider), Some(target)),
                settled_by: None,
                observed_before: err.observed_before().cloned(),
                exit_code: exit_code(err),
            },
        }
    }

    /// Names the step (the demo's rows).
    pub fn with_step(mut self, step: impl Into<String>) -> Row {
        self.step = Some(step.into());
        self
    }
}

fn error_outcome(err: &Error) -> &'static str {
    match exit_code(err) {
        EXIT_REFUSED => "refused",
        EXIT_USAGE => "invalid",
        EXIT_AUTH => "unauthorized",
        EXIT_NOT_FOUND => "not_found",
        EXIT_UNKNOWN => "unknown",
        _ => "failed",
    }
}

/// Prints rows: a table, or one JSON object per line.
pub fn print_rows(rows: &[Row], output: Output) {
    match output {
        Output::Json => {
            for row in rows {
                println!("{}", serde_json::to_string(row).unwrap_or_default());
            }
        }
        Output::Table => {
            let with_step = rows.iter().any(|r| r.step.is_some());
            let mut table = Table::new();
            table.load_preset(presets::NOTHING);
            let mut header = Vec::new();
            if with_step {
                header.push("step");
            }
            header.extend(["provider", "target", "outcome", "request id", "detail"]);
            table.set_header(header);
            for r in rows {
                let mut cells = Vec::new();
                if with_step {
                    cells.push(r.step.clone().unwrap_or_default());
                }
                let outcome = match &r.until {
                    Some(d) => format!("{} until {d}", r.outcome),
                    None => r.outcome.clone(),
                };
                cells.extend([
                    r.provider.clone(),
                    r.target.clone(),
                    outcome,
                    r.request_id.clone().unwrap_or_else(|| "-".into()),
                    r.detail.clone().unwrap_or_default(),
                ]);
                table.add_row(cells);
            }
            println!("{table}");
        }
    }
}

/// Prints a provider's native value (a `show` command).
pub fn print_value(value: &impl Serialize, summary: &[(&str, String)], output: Output) {
    match output {
        Output::Json => println!("{}", serde_json::to_string(value).unwrap_or_default()),
        Output::Table => {
            let mut table = Table::new();
            table.load_preset(presets::NOTHING);
            for (k, v) in summary {
                table.add_row(vec![k.to_string(), v.clone()]);
            }
            println!("{table}");
        }
    }
}

/// Prints an error as one line plus a hint (stderr), or as JSON (stdout), and returns the
/// exit code.
pub fn print_error(
    err: &Error,
    provider: Option<Provider>,
    target: Option<&str>,
    output: Output,
) -> u8 {
    let code = exit_code(err);
    match output {
        Output::Json => {
            let row = Row {
                provider: provider.map(|p| p.id().to_string()).unwrap_or_default(),
                step: None,
                target: target.unwrap_or_default().into(),
                outcome: error_outcome(err).into(),
                until: None,
                request_id: err.request_id().map(str::to_owned),
                detail: Some(err.to_string()),
                sent: Some(err.sent().as_str().into()),
                hint: hint(err, provider, target),
                settled_by: None,
                observed_before: err.observed_before().cloned(),
                exit_code: code,
            };
            println!("{}", serde_json::to_string(&row).unwrap_or_default());
        }
        Output::Table => {
            eprintln!("error: {err}");
            if let Some(h) = hint(err, provider, target) {
                eprintln!("hint: {h}");
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_kind_and_sent() {
        let table = [
            (
                Error::not_cancellable(Sent::Answered, "in transit"),
                EXIT_REFUSED,
            ),
            (Error::invalid_input("id", "must be digits"), EXIT_USAGE),
            (Error::config("missing ARTA_API_KEY"), EXIT_USAGE),
            (
                Error::unsupported(Provider::Arta, "item cancels"),
                EXIT_USAGE,
            ),
            (
                Error::new(ErrorKind::Unauthorized, Sent::Answered, ""),
                EXIT_AUTH,
            ),
            (
                Error::new(ErrorKind::Forbidden, Sent::Answered, ""),
                EXIT_AUTH,
            ),
            (
                Error::new(ErrorKind::NotFound, Sent::Answered, ""),
                EXIT_NOT_FOUND,
            ),
            (
                Error::new(ErrorKind::Server, Sent::Answered, ""),
                EXIT_FAILED,
            ),
            (
                Error::new(ErrorKind::Transport, Sent::NotSent, ""),
                EXIT_FAILED,
            ),
            (
                Error::new(ErrorKind::Timeout, Sent::MaybeSent, ""),
                EXIT_UNKNOWN,
            ),
            (
                Error::new(ErrorKind::Server, Sent::MaybeSent, ""),
                EXIT_UNKNOWN,
            ),
        ];
        for (err, code) in table {
            assert_eq!(exit_code(&err), code, "{err:?}");
        }
    }

    /// "nothing was changed" only where the error proves it; a change that may have been
    /// applied always points at the `show` command.
    #[test]
    fn hints_never_claim_an_unproven_no_change() {
        let cases = [
            (ErrorKind::Server, Sent::MaybeSent, false),
            (ErrorKind::Decode, Sent::MaybeSent, false),
            (ErrorKind::Timeout, Sent::MaybeSent, false),
            (ErrorKind::Transport, Sent::MaybeSent, false),
            (ErrorKind::Server, Sent::Answered, false),
            (ErrorKind::Timeout, Sent::Answered, false),
            (ErrorKind::NotCancellable, Sent::Answered, true),
            (ErrorKind::NotCancellable, Sent::NotSent, true),
            (ErrorKind::RateLimited, Sent::Answered, true),
        ];
        for (kind, sent, may_say_nothing_changed) in cases {
            let err = Error::new(kind, sent, "x");
            let text = hint(&err, Some(Provider::Di), Some("70724760000000101")).unwrap();
            if !may_say_nothing_changed {
                assert!(
                    !text.contains("nothing was changed"),
                    "{kind:?} {sent:?}: {text}"
                );
            }
            if sent == Sent::MaybeSent {
                assert_eq!(
                    text,
                    "the change may have been applied: check with `rescind di show 70724760000000101` before trying again"
                );
            }
        }
        let err = Error::new(ErrorKind::Transport, Sent::NotSent, "refused");
        assert_eq!(
            hint(&err, Some(Provider::Di), None).as_deref(),
            Some("nothing was sent; try again later")
        );
    }

    #[test]
    fn show_commands_name_the_real_subcommands() {
        assert_eq!(
            show_command(Provider::Arta, "42"),
            "rescind arta show-session 42"
        );
        assert_eq!(
            show_command(Provider::Arta, "6b12c76a-5217-4cd6-82d8-7aa5265ebaad"),
            "rescind arta show-shipment 6b12c76a-5217-4cd6-82d8-7aa5265ebaad"
        );
        assert_eq!(show_command(Provider::Di, "1"), "rescind di show 1");
        assert_eq!(
            show_command(Provider::SkipPay, "a"),
            "rescind skippay show a"
        );
    }
}
