//! Tracing on stderr: `-v`, `-vv`, `-vvv` or `RUST_LOG`, and the one line printed before each
//! retry whatever the verbosity ("Skip Pay answered 503; retrying in 2 s, attempt 2 of 3").
//!
//! No secret reaches a log: the SDK's events and spans carry provider, operation, method, path
//! template, status, attempts and request id only (crates/rescind-cli/tests/no_secrets.rs runs
//! the binary at trace level and checks).

use std::fmt::Write as _;
use std::time::Duration;

use rescind::Provider;
use rescind::core::RETRY_EVENT_TARGET;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The filter of the detailed log: `RUST_LOG` when set, else from the `-v` count; `None` for
/// no detailed log.
fn detail_filter(verbose: u8, rust_log: Option<String>) -> Option<EnvFilter> {
    if let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) {
        return Some(EnvFilter::builder().parse_lossy(spec));
    }
    // `rescind` matches every target that starts with it: rescind_core, rescind_arta, ...
    let spec = match verbose {
        0 => return None,
        1 => "rescind=info",
        2 => "rescind=debug",
        _ => "rescind=trace",
    };
    Some(EnvFilter::new(spec))
}

/// Installs the subscriber. Call once, before the runtime starts. `retry_lines`: print the
/// sentence before each retry (off for `bulk`, whose progress bar holds stderr and whose
/// hundreds of calls would bury it; `-v` still logs the retries there).
pub fn init(verbose: u8, retry_lines: bool) {
    let detail = detail_filter(verbose, std::env::var("RUST_LOG").ok()).map(|filter| {
        // -v: one line per call when it ends (its status, attempts and duration); from -vv
        // on, also when it starts. With RUST_LOG alone, events only.
        let spans = match verbose {
            0 => FmtSpan::NONE,
            1 => FmtSpan::CLOSE,
            _ => FmtSpan::NEW | FmtSpan::CLOSE,
        };
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_span_events(spans)
            .with_filter(filter)
    });
    let retries = retry_lines.then(|| {
        RetryLine.with_filter(Targets::new().with_target(RETRY_EVENT_TARGET, Level::INFO))
    });
    let _ = tracing_subscriber::registry()
        .with(detail)
        .with(retries)
        .try_init();
}

/// Prints each retry event as one sentence on stderr.
struct RetryLine;

impl<S: Subscriber> Layer<S> for RetryLine {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = RetryFields::default();
        event.record(&mut fields);
        errln!("{}", fields.sentence());
    }
}

/// The fields of a retry event (see `rescind_core::RETRY_EVENT_TARGET`).
#[derive(Debug, Default)]
struct RetryFields {
    provider: Option<String>,
    status: Option<u64>,
    failure: Option<String>,
    delay_ms: Option<u64>,
    attempt: Option<u64>,
    max_attempts: Option<u64>,
}

impl Visit for RetryFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "delay_ms" => self.delay_ms = Some(value),
            "attempt" => self.attempt = Some(value),
            "max_attempts" => self.max_attempts = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "provider" => self.provider = Some(value.to_string()),
            "failure" => self.failure = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl RetryFields {
    /// "Skip Pay answered 503; retrying in 2 s, attempt 2 of 3".
    fn sentence(&self) -> String {
        let provider = self
            .provider
            .as_deref()
            .map(|id| Provider::from_id(id).map(|p| p.name()).unwrap_or(id))
            .unwrap_or("the provider");
        let mut line = match (self.status, self.failure.as_deref()) {
            (Some(status), _) => format!("{provider} answered {status}"),
            (None, Some("connection refused")) => {
                format!("{provider} could not be reached (connection refused)")
            }
            (None, Some(failure)) => format!("{provider} did not answer ({failure})"),
            (None, None) => format!("{provider} failed"),
        };
        line.push_str("; retrying");
        if let Some(ms) = self.delay_ms {
            let _ = write!(line, " in {}", delay(Duration::from_millis(ms)));
        }
        if let (Some(attempt), Some(max)) = (self.attempt, self.max_attempts) {
            let _ = write!(line, ", attempt {attempt} of {max}");
        }
        line
    }
}

/// `450 ms`, `2 s`, `1.5 s`.
fn delay(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() < 50 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_reads_as_a_sentence() {
        let answered = RetryFields {
            provider: Some("skippay".into()),
            status: Some(503),
            delay_ms: Some(2000),
            attempt: Some(2),
            max_attempts: Some(3),
            ..RetryFields::default()
        };
        assert_eq!(
            answered.sentence(),
            "Skip Pay answered 503; retrying in 2 s, attempt 2 of 3"
        );
        let timed_out = RetryFields {
            provider: Some("arta".into()),
            failure: Some("timed out".into()),
            delay_ms: Some(250),
            attempt: Some(3),
            max_attempts: Some(3),
            ..RetryFields::default()
        };
        assert_eq!(
            timed_out.sentence(),
            "Arta did not answer (timed out); retrying in 250 ms, attempt 3 of 3"
        );
        assert_eq!(delay(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn verbosity_and_rust_log_choose_the_filter() {
        assert!(detail_filter(0, None).is_none());
        assert!(detail_filter(0, Some(" ".into())).is_none());
        assert_eq!(
            detail_filter(2, None).map(|f| f.to_string()),
            Some("rescind=debug".into())
        );
        assert_eq!(
            detail_filter(1, Some("rescind_core=trace".into())).map(|f| f.to_string()),
            Some("rescind_core=trace".into())
        );
    }
}
