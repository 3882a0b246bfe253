//! The bulk figure: [`rescind::bulk::Runner`] on a file of rows against the simulator, each
//! row read, journaled (fsync'ed) before it is sent and after its answer; side by side with the
//! same changes sent straight through the registry with no journal and no read before.
//!
//! The targets are a [`Fleet`] (Arta sessions and shipments, Di orders, Skip Pay orders whole
//! and by item, interleaved), so every provider and action is in the figure. Each run starts
//! from a fresh simulator state (`POST /__sim/reset`): a cancelled target stays cancelled.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rescind::Registry;
use rescind::bulk::{Input, Journal, Options, Outcome, Runner};
use rescind_sim::arta::DEMO_API_KEY;
use rescind_sim::fleet::Fleet;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::measure;

/// How the rows are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The bulk runner with its journal in a directory (on disk, or on tmpfs to take the
    /// fsyncs' cost out).
    Runner,
    /// The baseline: each row's change through `Registry::cancel`, with the runner's
    /// per-account concurrency, no read before and no journal: a plain loop over the facade.
    Direct,
    /// The simulator's ceiling: bare reqwest reading a hosted session as fast as it can, at
    /// [`CEILING_CONCURRENCY`], as many reads as the input has rows times
    /// [`CEILING_READS_PER_ROW`].
    Ceiling,
}

/// Reads in flight at once when measuring the simulator's ceiling: twice the runner's default
/// rows in flight over the three accounts.
pub const CEILING_CONCURRENCY: usize = 64;

/// Reads per input row when measuring the simulator's ceiling.
pub const CEILING_READS_PER_ROW: u64 = 3;

impl Mode {
    /// The name used on the command line of the measuring child process.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Runner => "runner",
            Mode::Direct => "direct",
            Mode::Ceiling => "ceiling",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::Runner, Mode::Direct, Mode::Ceiling]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// What one bulk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkSample {
    /// Rows sent (every one done, or the run is an error).
    pub rows: u64,
    /// Wall time from reading the input to the last row's result.
    pub elapsed: Duration,
    /// The measuring process's CPU time over the run.
    pub cpu: Duration,
    /// The measuring process's peak resident memory, KiB.
    pub peak_kib: u64,
    /// Requests the simulator received during the run.
    pub requests: u64,
    /// Journal fsyncs (0 for [`Mode::Direct`]).
    pub syncs: u64,
    /// Wall time spent in them.
    pub sync_time: Duration,
}

impl BulkSample {
    /// Rows per second.
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }

    /// Requests the simulator answered per second.
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The share of the run's wall time spent in journal fsyncs.
    pub fn sync_share(&self) -> f64 {
        self.sync_time.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    /// The line a measuring child prints.
    pub fn to_line(&self) -> String {
        format!(
            "rows={} elapsed_ns={} cpu_ns={} peak_kib={} requests={} syncs={} sync_ns={}",
            self.rows,
            self.elapsed.as_nanos(),
            self.cpu.as_nanos(),
            self.peak_kib,
            self.requests,
            self.syncs,
            self.sync_time.as_nanos()
        )
    }

    /// Reads a line written by [`BulkSample::to_line`].
    pub fn parse(line: &str) -> Option<BulkSample> {
        let field = |name: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        Some(BulkSample {
            rows: field("rows")?,
            elapsed: Duration::from_nanos(field("elapsed_ns")?),
            cpu: Duration::from_nanos(field("cpu_ns")?),
            peak_kib: field("peak_kib")?,
            requests: field("requests")?,
            syncs: field("syncs")?,
            sync_time: Duration::from_nanos(field("sync_ns")?),
        })
    }
}

/// The simulator seeded for `rows` rows: serves until the future is dropped.
pub async fn start_simulator(rows: usize) -> std::io::Result<rescind_sim::RunningSimulator> {
    rescind_sim::Simulator::new()
        .seed(Fleet::of(rows).world())
        .start()
        .await
}

/// Writes the input of `rows` rows to `path`.
pub fn write_input(path: &Path, rows: usize) -> std::io::Result<()> {
    std::fs::write(path, Fleet::of(rows).rows_csv())
}

/// The accounts `arta`, `di` and `skippay` on the simulator at `base`, as the CLI builds them
/// from its environment variables, except that the Arta client is not paced to Arta's
/// per-minute limit: the fleet's simulator has its rate limits off, and this figure measures
/// the runner and its journal, not Arta's documented rate.
pub fn registry(base: &str) -> Result<Registry, String> {
    let vars: Vec<_> = rescind_sim::demo_env(base)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ARTA_"))
        .collect();
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    let mut registry = Registry::from_vars(&lookup).map_err(|e| e.to_string())?;
    let arta = rescind::arta::Client::builder()
        .api_key(rescind_sim::arta::DEMO_API_KEY)
        .base_url(base)
        .without_rate_limit()
        .build()
        .map_err(|e| e.to_string())?;
    registry
        .insert("arta", std::sync::Arc::new(arta))
        .map_err(|e| e.to_string())?;
    Ok(registry)
}

/// One run in this process: resets the simulator at `base`, sends every row of `input` in
/// `mode` (the journal, for [`Mode::Runner`], in `journal_dir`), checks that every row is
/// done, and reads the simulator's request count.
pub async fn run(
    base: &str,
    input: &Path,
    mode: Mode,
    journal_dir: &Path,
) -> Result<BulkSample, String> {
    let http = reqwest::Client::new();
    admin(http.post(format!("{base}/__sim/reset"))).await?;
    let registry = registry(base)?;
    let journal_path = journal_dir.join(format!("bench-{}.journal.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal_path);

    let cpu = measure::process_cpu();
    let started = Instant::now();
    let (rows, journal) = match mode {
        Mode::Runner => {
            let input = Input::read(input).map_err(|e| e.to_string())?;
            let journal = Journal::open(&journal_path, &input).map_err(|e| e.to_string())?;
            let report = Runner::new(registry)
                .run(input, journal, |_| {})
                .await
                .map_err(|e| e.to_string())?;
            if let Some(row) = report.rows.iter().find(|r| r.outcome != Outcome::Done) {
                return Err(format!(
                    "line {} ended {}: {}",
                    row.line, row.outcome, row.detail
                ));
            }
            (report.rows.len() as u64, report.journal)
        }
        Mode::Direct => (direct(registry, input).await?, Default::default()),
        Mode::Ceiling => {
            let rows = Input::read(input).map_err(|e| e.to_string())?.rows.len() as u64;
            ceiling(base, rows * CEILING_READS_PER_ROW).await?;
            (rows, Default::default())
        }
    };
    let elapsed = started.elapsed();
    let cpu = match (cpu, measure::process_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => Duration::ZERO,
    };
    let _ = std::fs::remove_file(&journal_path);

    let counters = admin(http.get(format!("{base}/__sim/counters"))).await?;
    let requests = counters["hits"]
        .as_object()
        .map(|hits| hits.values().filter_map(serde_json::Value::as_u64).sum())
        .unwrap_or(0);
    Ok(BulkSample {
        rows,
        elapsed,
        cpu,
        peak_kib: measure::peak_rss_kib().unwrap_or(0),
        requests,
        syncs: journal.syncs,
        sync_time: journal.sync_time,
    })
}

/// The baseline: every row's change through the registry, at most the runner's default number
/// of rows in flight per account ([`Options::concurrency_for`]). Returns the rows done; the first failure is an error.
async fn direct(registry: Registry, input: &Path) -> Result<u64, String> {
    let input = Input::read(input).map_err(|e| e.to_string())?;
    let registry = Arc::new(registry);
    let options = Options::default();
    let limits: Vec<(String, Arc<Semaphore>)> = registry
        .accounts()
        .map(|(name, provider)| {
            let n = options.concurrency_for(provider);
            (name.to_string(), Arc::new(Semaphore::new(n)))
        })
        .collect();
    let mut set = JoinSet::new();
    for row in input.rows {
        let limit = limits
            .iter()
            .find(|(name, _)| *name == row.account)
            .map(|(_, l)| l.clone())
            .ok_or_else(|| format!("no account `{}`", row.account))?;
        let registry = registry.clone();
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            registry
                .cancel(&row.account, row.request())
                .await
                .map_err(|e| format!("line {}: {e}", row.line))
        });
    }
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        joined.map_err(|e| e.to_string())??;
        done += 1;
    }
    Ok(done)
}

/// Reads the demo's hosted session 42 `reads` times with bare reqwest, body read but not
/// decoded, at most [`CEILING_CONCURRENCY`] at once. The first failure is an error.
async fn ceiling(base: &str, reads: u64) -> Result<(), String> {
    let client = reqwest::Client::new();
    let url: Arc<str> = format!("{base}/hosted_sessions/42").into();
    // Built once: the ceiling is the server's, not the cost of formatting a header per read.
    let auth = http::HeaderValue::from_str(&format!("ARTA_APIKey {DEMO_API_KEY}"))
        .map_err(|e| e.to_string())?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut set = JoinSet::new();
    for _ in 0..CEILING_CONCURRENCY {
        let (client, url, next, auth) = (client.clone(), url.clone(), next.clone(), auth.clone());
        set.spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < reads {
                let resp = client
                    .get(&*url)
                    .header(http::header::AUTHORIZATION, auth.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !resp.status().is_success() {
                    return Err(format!("HTTP {}", resp.status()));
                }
                resp.bytes().await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(joined) = set.join_next().await {
        joined.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Sends an admin request to the simulator and reads its JSON answer (`null` when empty).
async fn admin(request: reqwest::RequestBuilder) -> Result<serde_json::Value, String> {
    let resp = request
        .send()
        .await
        .map_err(|e| format!("simulator: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("simulator: HTTP {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    if body.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&body).map_err(|e| format!("simulator: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_line_round_trips() {
        let s = BulkSample {
            rows: 10,
            elapsed: Duration::from_millis(20),
            cpu: Duration::from_millis(5),
            peak_kib: 7,
            requests: 31,
            syncs: 21,
            sync_time: Duration::from_micros(4_200),
        };
        assert_eq!(BulkSample::parse(&s.to_line()), Some(s));
        assert_eq!(s.rows_per_second(), 500.0);
        assert!((s.sync_share() - 0.21).abs() < 1e-9);
        assert_eq!(BulkSample::parse("rows=1"), None);
    }

    #[test]
    fn both_modes_change_every_row_once_and_the_runner_journals_each() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let sim = start_simulator(40).await.unwrap();
            let dir = tempfile::tempdir().unwrap();
            let input = dir.path().join("rows.csv");
            write_input(&input, 40).unwrap();
            let base = sim.base_url();
            let s = run(&base, &input, Mode::Ceiling, dir.path()).await.unwrap();
            assert!(s.requests >= 40 * CEILING_READS_PER_ROW, "{s:?}");
            for mode in [Mode::Runner, Mode::Direct, Mode::Runner] {
                let s = run(&base, &input, mode, dir.path()).await.unwrap();
                assert_eq!(s.rows, 40, "{mode:?}");
                let applied = sim.sim().counters().snapshot().applied;
                // One change per row (a whole Skip Pay cancel also counts each item it cancels).
                let rows = applied
                    .keys()
                    .filter(|k| !(k.starts_with("skippay:item:") && k.ends_with(":cancel")))
                    .count();
                assert_eq!(rows, 40, "{mode:?}: {applied:?}");
                assert!(applied.values().all(|n| *n == 1), "{mode:?}: {applied:?}");
                assert!(s.requests >= 40, "{mode:?}: {s:?}");
                if mode == Mode::Runner {
                    // The header, then an intent and an outcome per row, each fsync'ed.
                    assert!(s.syncs >= 1 && s.syncs <= 81, "{s:?}");
                } else {
                    assert_eq!(s.syncs, 0);
                }
            }
        });
    }
}
