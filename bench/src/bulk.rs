//! The bulk figure: [`rescind::bulk::Runner`] on a file of rows against the simulator, each
//! row read, journaled (fsync'ed) before it is sent and after its answer; side by side with the
//! same changes sent straight through the registry with no journal and no read before.
//!
//! The targets are a [`Fleet`] (Arta sessions and shipments, Di orders, Skip Pay orders whole
//! and by item, interleaved), so every provider and action is in the figure. Each run starts
//! from a fresh simulator state (`POST /__sim/reset`): a cancelled target stays cancelled.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rescind::Registry;
use rescind::bulk::{Input, Journal, Options, Outcome, Runner};
use rescind_core::{CancelOptions, Policy};
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
    /// The baseline: each row through the registry's canceller with the runner's per-account
    /// concurrency and **the runner's requests** (under its default policy, change first: an
    /// idempotent change with no read, the others after one read handed to the change), and
    /// no journal: a plain loop over the facade, which would not survive a crash.
    Direct,
    /// The simulator's ceiling: bare reqwest reading a hosted session as fast as it can, at
    /// [`CEILING_CONCURRENCY`], as many reads as the input has rows times
    /// [`CEILING_READS_PER_ROW`].
    Ceiling,
    /// The runner (journal on disk) on Arta hosted sessions only, against the simulator at a
    /// test key's documented limits (10 calls at once, 500 a minute) with a scaled minute,
    /// the client paced to 97 % of the same scaled limit ([`limits_registry`]).
    Limits,
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
            Mode::Limits => "limits",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::Runner, Mode::Direct, Mode::Ceiling, Mode::Limits]
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
    /// Requests per action ([`ACTIONS`]), logins and other routes apart: each request is
    /// counted for the action of the row whose target its path names.
    pub action_requests: [u64; 5],
    /// Rows per action ([`ACTIONS`]).
    pub action_rows: [u64; 5],
    /// Answers 429 the clients received (each one retried: a row that failed is an error).
    pub throttled: u64,
}

/// The actions of a fleet's rows, in the order of [`BulkSample::action_requests`].
pub const ACTIONS: [&str; 5] = [
    "Arta hosted-session cancel",
    "Arta shipment hold",
    "Di cancel",
    "Skip Pay whole cancel",
    "Skip Pay item cancel with quantities",
];

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

    /// Requests per row of action `i` ([`ACTIONS`]); `None` without rows of it.
    pub fn requests_per_row(&self, i: usize) -> Option<f64> {
        (self.action_rows[i] > 0)
            .then(|| self.action_requests[i] as f64 / self.action_rows[i] as f64)
    }

    /// The line a measuring child prints.
    pub fn to_line(&self) -> String {
        let list = |v: &[u64; 5]| v.map(|n| n.to_string()).join(",");
        format!(
            "rows={} elapsed_ns={} cpu_ns={} peak_kib={} requests={} syncs={} sync_ns={} action_requests={} action_rows={} throttled={}",
            self.rows,
            self.elapsed.as_nanos(),
            self.cpu.as_nanos(),
            self.peak_kib,
            self.requests,
            self.syncs,
            self.sync_time.as_nanos(),
            list(&self.action_requests),
            list(&self.action_rows),
            self.throttled
        )
    }

    /// Reads a line written by [`BulkSample::to_line`].
    pub fn parse(line: &str) -> Option<BulkSample> {
        let text = |name: &str| -> Option<&str> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        };
        let field = |name: &str| -> Option<u64> { text(name)?.parse().ok() };
        let list = |name: &str| -> Option<[u64; 5]> {
            let v: Vec<u64> = text(name)?
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            v.try_into().ok()
        };
        Some(BulkSample {
            rows: field("rows")?,
            elapsed: Duration::from_nanos(field("elapsed_ns")?),
            cpu: Duration::from_nanos(field("cpu_ns")?),
            peak_kib: field("peak_kib")?,
            requests: field("requests")?,
            syncs: field("syncs")?,
            sync_time: Duration::from_nanos(field("sync_ns")?),
            action_requests: list("action_requests")?,
            action_rows: list("action_rows")?,
            throttled: field("throttled")?,
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

/// The Arta-only fleet of `rows` hosted sessions for [`Mode::Limits`].
fn limits_fleet(rows: usize) -> Fleet {
    Fleet {
        arta_sessions: rows,
        arta_shipments: 0,
        di_orders: 0,
        skippay_whole: 0,
        skippay_items: 0,
    }
}

/// The simulator for [`Mode::Limits`]: `rows` Arta hosted sessions, the demo key a **test**
/// key (10 calls at once, 500 a minute), the limits on with a minute of `minute_ms`.
pub async fn start_limits_simulator(
    rows: usize,
    minute_ms: u64,
) -> std::io::Result<rescind_sim::RunningSimulator> {
    let mut world = limits_fleet(rows).world();
    world.arta.api_keys.retain(|k| k != DEMO_API_KEY);
    world.arta.test_api_keys.push(DEMO_API_KEY.to_string());
    world.arta.rate_limits = rescind_sim::arta::RateLimits::documented().with_minute_ms(minute_ms);
    rescind_sim::Simulator::new().seed(world).start().await
}

/// Writes the input of [`Mode::Limits`]: `rows` Arta hosted-session cancels.
pub fn write_limits_input(path: &Path, rows: usize) -> std::io::Result<()> {
    std::fs::write(path, limits_fleet(rows).rows_csv())
}

/// Arta's documented calls a minute for a test key.
pub const TEST_KEY_PER_MINUTE: u32 = 500;

/// The account `arta` for [`Mode::Limits`]: a test key's client (10 calls at once), paced to
/// 97 % of 500 calls in a window of `minute_ms`, the simulator's scaled minute.
pub fn limits_registry(base: &str, minute_ms: u64) -> Result<Registry, String> {
    let arta = rescind::arta::Client::builder()
        .api_key(DEMO_API_KEY)
        .base_url(base)
        .key_kind(rescind::arta::KeyKind::Test)
        .rate_limit(
            rescind_core::RateLimit::under(TEST_KEY_PER_MINUTE)
                .with_window(Duration::from_millis(minute_ms)),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let mut registry = Registry::new();
    registry
        .insert("arta", Arc::new(arta))
        .map_err(|e| e.to_string())?;
    Ok(registry)
}

/// Counts the transport's retry events that follow a 429 ([`rescind_core::RETRY_EVENT_TARGET`]).
#[derive(Debug, Clone, Default)]
pub struct Throttled(Arc<AtomicU64>);

impl Throttled {
    /// Installs the counter as this process's tracing subscriber (once; later calls count
    /// nothing more).
    pub fn install() -> Throttled {
        use tracing_subscriber::layer::SubscriberExt;
        let counter = Throttled::default();
        let subscriber = tracing_subscriber::registry().with(counter.clone());
        let _ = tracing::subscriber::set_global_default(subscriber);
        counter
    }

    /// 429s seen so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Throttled {
    // Only the retry events are of interest: every other span and event stays disabled, so the
    // counter costs the figures measured after it nothing (a registry would otherwise record
    // every `rescind.cancel` and `rescind.call` span of later sections in the same process).
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if metadata.target() == rescind_core::RETRY_EVENT_TARGET {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target() == rescind_core::RETRY_EVENT_TARGET
    }

    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != rescind_core::RETRY_EVENT_TARGET {
            return;
        }
        struct Status(bool);
        impl tracing::field::Visit for Status {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "status" && value == 429 {
                    self.0 = true;
                }
            }
            fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
                if field.name() == "status" && value == 429 {
                    self.0 = true;
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "status" && format!("{value:?}") == "429" {
                    self.0 = true;
                }
            }
        }
        let mut status = Status(false);
        event.record(&mut status);
        if status.0 {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The action ([`ACTIONS`] index) a request to `path` serves, logins and health checks apart
/// (`None`): by route for Arta and Di, by the application id for Skip Pay (whole cancels and
/// item cancels share routes). `items` holds the Skip Pay applications of item-cancel rows.
fn action_of(path: &str, items: &HashSet<String>) -> Option<usize> {
    if path.starts_with("/hosted_sessions") {
        Some(0)
    } else if path.starts_with("/shipments") || path.starts_with("/shipment_exceptions") {
        Some(1)
    } else if path.starts_with("/ws/json/parcel/") {
        Some(2)
    } else if let Some(rest) = path.strip_prefix("/financing/v1/applications/") {
        let id = rest.split('/').next().unwrap_or("");
        Some(if items.contains(id) { 4 } else { 3 })
    } else {
        None
    }
}

/// Whether sending the row's change twice changes nothing more than sending it once (the
/// runner's rule): a whole cancel, an item cancel without quantities.
fn idempotent(action: &rescind::bulk::Action) -> bool {
    use rescind::bulk::Action;
    match action {
        Action::Cancel => true,
        Action::CancelItems(items) => items.iter().all(|i| i.quantity.is_none()),
        _ => false,
    }
}

/// The [`ACTIONS`] index of a fleet row.
fn row_action(row: &rescind::bulk::Row) -> usize {
    use rescind::bulk::Action;
    match (row.account.as_str(), &row.action) {
        ("arta", Action::Cancel) => 0,
        ("arta", _) => 1,
        ("di", _) => 2,
        ("skippay", Action::Cancel) => 3,
        _ => 4,
    }
}

/// One run in this process: resets the simulator at `base`, sends every row of `input` in
/// `mode` (the journal, for [`Mode::Runner`] and [`Mode::Limits`], in `journal_dir`; for
/// [`Mode::Limits`], the client paced to a minute of `minute_ms`), checks that every row is
/// done, and reads the simulator's request counts.
pub async fn run(
    base: &str,
    input: &Path,
    mode: Mode,
    journal_dir: &Path,
    minute_ms: u64,
) -> Result<BulkSample, String> {
    let throttled = Throttled::install();
    let http = reqwest::Client::new();
    admin(http.post(format!("{base}/__sim/reset"))).await?;
    let registry = match mode {
        Mode::Limits => limits_registry(base, minute_ms)?,
        _ => registry(base)?,
    };
    let journal_path = journal_dir.join(format!("bench-{}.journal.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal_path);
    let rows_of = Input::read(input).map_err(|e| e.to_string())?;
    let mut action_rows = [0u64; 5];
    let mut items = HashSet::new();
    for row in &rows_of.rows {
        let a = row_action(row);
        action_rows[a] += 1;
        if a == 4 {
            items.insert(row.target.clone());
        }
    }
    drop(rows_of);

    let cpu = measure::process_cpu();
    let started = Instant::now();
    let (rows, journal) = match mode {
        Mode::Runner | Mode::Limits => {
            let input = Input::stream(input).map_err(|e| e.to_string())?;
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
    let mut requests = 0;
    let mut action_requests = [0u64; 5];
    for (route, n) in counters["hits"].as_object().into_iter().flatten() {
        let n = n.as_u64().unwrap_or(0);
        requests += n;
        let path = route.split_once(' ').map_or(route.as_str(), |(_, p)| p);
        if let Some(a) = action_of(path, &items) {
            action_requests[a] += n;
        }
    }
    if mode == Mode::Ceiling {
        action_requests = [0; 5];
    }
    Ok(BulkSample {
        rows,
        elapsed,
        cpu,
        peak_kib: measure::peak_rss_kib().unwrap_or(0),
        requests,
        syncs: journal.syncs,
        sync_time: journal.sync_time,
        action_requests,
        action_rows,
        throttled: throttled.count(),
    })
}

/// The baseline: every row through its account's canceller with the runner's requests (what
/// [`Runner::run`] sends for a fresh row without faults under the default policy), at
/// most the runner's default number of rows in flight per account
/// ([`Options::concurrency_for`]), and no journal. Returns the rows done; the first failure
/// is an error.
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
        let canceller = registry
            .account(&row.account)
            .map_err(|e| e.to_string())?
            .clone();
        let policy = options.policy;
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let line = row.line;
            let request = row.request();
            // What `Runner::run` sends for a fresh row under `policy`: change first, an
            // idempotent change goes with no read; otherwise one read (`plan`) handed to
            // the change (a provider that does not plan is read with `observe`).
            let mut call = CancelOptions::new().policy(policy);
            if !(policy == Policy::ChangeFirst && idempotent(&row.action)) {
                let plan = canceller.plan(&request).await;
                if plan.reading.is_some() {
                    call = call.with_plan(plan);
                } else if let Some(kind) = plan.error_kind {
                    return Err(format!("line {line}: the read failed ({kind:?})"));
                } else {
                    match canceller.observe(&request).await {
                        Ok(_) => {}
                        Err(e) if e.kind() == rescind::ErrorKind::Unsupported => {}
                        Err(e) => return Err(format!("line {line}: {e}")),
                    }
                }
            }
            canceller
                .cancel_with(request, call)
                .await
                .map_err(|e| format!("line {line}: {e}"))
        });
    }
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        joined.map_err(|e| e.to_string())??;
        done += 1;
    }
    Ok(done)
}

/// Writes a large input for the memory figure: fleet rows until the file has at least
/// `min_bytes`, then one invalid row (an unknown action), so that a strict run refuses only
/// after reading the whole file. Returns the rows written, the invalid one included.
pub fn write_large_input(path: &Path, min_bytes: usize) -> std::io::Result<usize> {
    let per_row = Fleet::of(10_000).rows_csv().len() / 10_000;
    let rows = min_bytes / per_row.max(1) + 1;
    let mut text = Fleet::of(rows).rows_csv();
    while text.len() < min_bytes {
        text.push_str("arta,1,cancel,,\n");
    }
    text.push_str("arta,2,explode,,\n");
    std::fs::write(path, &text)?;
    Ok(text.lines().count() - 1)
}

/// Writes a large input whose every row is invalid, for the memory figure of invalid rows:
/// fleet rows until the file has at least `min_bytes`, each with its action replaced by an
/// unknown one (`explode`). Returns the rows written.
pub fn write_all_invalid_input(path: &Path, min_bytes: usize) -> std::io::Result<usize> {
    let per_row = Fleet::of(10_000).rows_csv().len() / 10_000;
    let rows = min_bytes / per_row.max(1) + 1;
    let mut text = String::with_capacity(min_bytes + 1024);
    for (i, line) in Fleet::of(rows).rows_csv().lines().enumerate() {
        if i == 0 {
            text.push_str(line);
        } else {
            // account,target,action,... : the third field is the action.
            let mut fields = line.splitn(4, ',');
            let (account, target) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
            let _action = fields.next();
            text.push_str(&format!("{account},{target},explode,,"));
        }
        text.push('\n');
    }
    let mut n = 0u64;
    while text.len() < min_bytes {
        text.push_str(&format!("arta,{},explode,,\n", 9_000_000 + n));
        n += 1;
    }
    std::fs::write(path, &text)?;
    Ok(text.lines().count() - 1)
}

/// What the memory figure measured: a strict run's validation of a large input, in this
/// process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemorySample {
    /// Valid rows.
    pub valid: u64,
    /// Invalid rows.
    pub invalid: u64,
    /// Wall time from opening the file to the refusal.
    pub elapsed: Duration,
    /// The process's peak resident memory, KiB.
    pub peak_kib: u64,
}

impl MemorySample {
    /// The line a measuring child prints.
    pub fn to_line(&self) -> String {
        format!(
            "valid={} invalid={} elapsed_ns={} peak_kib={}",
            self.valid,
            self.invalid,
            self.elapsed.as_nanos(),
            self.peak_kib
        )
    }

    /// Reads a line written by [`MemorySample::to_line`].
    pub fn parse(line: &str) -> Option<MemorySample> {
        let field = |name: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        Some(MemorySample {
            valid: field("valid")?,
            invalid: field("invalid")?,
            elapsed: Duration::from_nanos(field("elapsed_ns")?),
            peak_kib: field("peak_kib")?,
        })
    }
}

/// What `rescind bulk --strict` does with `input` before refusing it for its invalid rows:
/// reads and validates it (streamed with [`Input::stream`], or whole with [`Input::read`] when
/// `streamed` is false), then checks every row against the accounts (no request is sent: the
/// clients point at a closed port). Fails if the input has no invalid row.
pub fn validate(input: &Path, streamed: bool) -> Result<MemorySample, String> {
    let registry = registry("http://127.0.0.1:9")?;
    let started = Instant::now();
    let mut input = if streamed {
        Input::stream(input)
    } else {
        Input::read(input)
    }
    .map_err(|e| e.to_string())?;
    input.check_accounts(&registry);
    let elapsed = started.elapsed();
    if input.invalid.is_empty() {
        return Err("the large input has no invalid row: a strict run would send it".into());
    }
    Ok(MemorySample {
        valid: input.valid_rows() as u64,
        invalid: input.invalid.len() as u64,
        elapsed,
        peak_kib: measure::peak_rss_kib().unwrap_or(0),
    })
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

/// The routes of the per-route ceiling: the simulator's routes a bulk run sends to (Arta's
/// exception post apart), as `METHOD /path` with `{id}` for a fleet target.
pub const ROUTES: [&str; 7] = [
    "GET /hosted_sessions/{id}",
    "PATCH /hosted_sessions/{id}/cancel",
    "GET /shipments/{id}",
    "GET /ws/json/parcel/booking/v-1/details/{id}",
    "DELETE /ws/json/parcel/booking/v-1/order/cancel/{id}",
    "GET /financing/v1/applications/{id}",
    "PUT /financing/v1/applications/{id}/cancel",
];

/// The simulator's ceiling on each of [`ROUTES`]: after a reset, `requests` requests with bare
/// reqwest at [`CEILING_CONCURRENCY`], each on the next target of the route's kind in the
/// fleet of `rows` (cycling), body read, not decoded. Returns requests/s per route. An answer
/// 401 or 5xx is an error (a change route answering 4xx for a target already changed still
/// counts: the simulator did the work of deciding it).
pub async fn route_ceilings(base: &str, rows: usize, requests: u64) -> Result<Vec<f64>, String> {
    let fleet = Fleet::of(rows);
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for (i, route) in ROUTES.iter().enumerate() {
        admin(http.post(format!("{base}/__sim/reset"))).await?;
        let (method, template) = route.split_once(' ').unwrap_or(("GET", route));
        let method: http::Method = method.parse().map_err(|e| format!("{route}: {e}"))?;
        let (auth, count, id): (String, usize, fn(usize) -> String) = match i {
            0 | 1 => (
                format!("ARTA_APIKey {DEMO_API_KEY}"),
                fleet.arta_sessions,
                |n| rescind_sim::fleet::session_id(n).to_string(),
            ),
            2 => (
                format!("ARTA_APIKey {DEMO_API_KEY}"),
                fleet.arta_shipments,
                rescind_sim::fleet::shipment_id,
            ),
            3 | 4 => {
                let (user, password) = rescind_sim::di::DEMO_USER;
                let token = admin(
                    http.post(format!("{base}/ws/json/auth/v-3/login/60"))
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .body(
                            serde_json::json!({"username": user, "password": password}).to_string(),
                        ),
                )
                .await?;
                let token = token["token"].as_str().ok_or("Di login: no token")?;
                (
                    format!("Bearer {token}"),
                    fleet.di_orders,
                    rescind_sim::fleet::di_number,
                )
            }
            _ => {
                let (user, password) = rescind_sim::skippay::DEMO_PARTNER;
                let token = admin(
                    http.post(format!("{base}/authentication/v1/partner"))
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .body(
                            serde_json::json!({"username": user, "password": password}).to_string(),
                        ),
                )
                .await?;
                let token = token["accessToken"]
                    .as_str()
                    .ok_or("Skip Pay login: no accessToken")?;
                (
                    format!("Bearer {token}"),
                    fleet.skippay_whole + fleet.skippay_items,
                    rescind_sim::fleet::application_id,
                )
            }
        };
        let count = count.max(1);
        let auth = http::HeaderValue::from_str(&auth).map_err(|e| e.to_string())?;
        let template: Arc<str> = format!("{base}{template}").into();
        let next = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut set = JoinSet::new();
        for _ in 0..CEILING_CONCURRENCY {
            let (client, template, next, auth, method) = (
                http.clone(),
                template.clone(),
                next.clone(),
                auth.clone(),
                method.clone(),
            );
            set.spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        return Ok::<(), String>(());
                    }
                    let url = template.replace("{id}", &id(n as usize % count));
                    let resp = client
                        .request(method.clone(), &url)
                        .header(http::header::AUTHORIZATION, auth.clone())
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = resp.status();
                    if status.is_server_error() || status == http::StatusCode::UNAUTHORIZED {
                        return Err(format!("{url}: HTTP {status}"));
                    }
                    resp.bytes().await.map_err(|e| e.to_string())?;
                }
            });
        }
        while let Some(joined) = set.join_next().await {
            joined.map_err(|e| e.to_string())??;
        }
        out.push(requests as f64 / started.elapsed().as_secs_f64());
    }
    Ok(out)
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
    fn the_throttle_counter_counts_retries_after_a_429_and_nothing_else() {
        use tracing_subscriber::layer::SubscriberExt;
        let counter = Throttled::default();
        let subscriber = tracing_subscriber::registry().with(counter.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: rescind_core::RETRY_EVENT_TARGET, status = 429u64, "retry");
            tracing::info!(target: rescind_core::RETRY_EVENT_TARGET, status = 503u64, "retry");
            tracing::info!(target: "elsewhere", status = 429u64, "not a retry");
            let span = tracing::info_span!("rescind.cancel");
            assert!(span.is_disabled(), "spans are not recorded");
        });
        assert_eq!(counter.count(), 1);
    }

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
            action_requests: [8, 6, 6, 6, 5],
            action_rows: [4, 2, 3, 1, 0],
            throttled: 0,
        };
        assert_eq!(s.requests_per_row(0), Some(2.0));
        assert_eq!(s.requests_per_row(4), None);
        assert_eq!(BulkSample::parse(&s.to_line()), Some(s));
        assert_eq!(s.rows_per_second(), 500.0);
        assert!((s.sync_share() - 0.21).abs() < 1e-9);
        assert_eq!(BulkSample::parse("rows=1"), None);
    }

    #[test]
    fn requests_are_counted_for_the_action_their_route_or_application_serves() {
        let items: HashSet<String> = ["bulk000007".to_string()].into();
        for (path, action) in [
            ("/hosted_sessions/10001", Some(0)),
            ("/hosted_sessions/10001/cancel", Some(0)),
            ("/shipments/00000000-0000-4000-8000-000000000001", Some(1)),
            ("/shipment_exceptions", Some(1)),
            (
                "/ws/json/parcel/booking/v-1/details/70724769000000001",
                Some(2),
            ),
            (
                "/ws/json/parcel/booking/v-1/order/cancel/70724769000000001",
                Some(2),
            ),
            ("/financing/v1/applications/bulk000001", Some(3)),
            (
                "/financing/v1/applications/bulk000007/order/cancel",
                Some(4),
            ),
            ("/ws/json/auth/v-3/login/60", None),
            ("/authentication/v1/partner", None),
        ] {
            assert_eq!(action_of(path, &items), action, "{path}");
        }
    }

    #[test]
    fn the_all_invalid_input_has_the_size_asked_and_no_valid_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("invalid.csv");
        let rows = write_all_invalid_input(&path, 100_000).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() >= 100_000);
        let s = validate(&path, true).unwrap();
        assert_eq!((s.valid, s.invalid as usize), (0, rows));
    }

    #[test]
    fn the_large_input_has_the_size_asked_and_ends_with_an_invalid_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.csv");
        let rows = write_large_input(&path, 100_000).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.len() >= 100_000);
        assert_eq!(text.lines().count(), rows + 1);
        let s = validate(&path, true).unwrap();
        assert_eq!((s.valid + s.invalid) as usize, rows);
        assert_eq!(s.invalid, 1);
        assert_eq!(MemorySample::parse(&s.to_line()), Some(s));
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
            let s = run(&base, &input, Mode::Ceiling, dir.path(), 0)
                .await
                .unwrap();
            assert!(s.requests >= 40 * CEILING_READS_PER_ROW, "{s:?}");
            let routes = route_ceilings(&base, 40, 20).await.unwrap();
            assert_eq!(routes.len(), ROUTES.len());
            assert!(routes.iter().all(|r| *r > 0.0), "{routes:?}");
            for mode in [Mode::Runner, Mode::Direct, Mode::Runner] {
                let s = run(&base, &input, mode, dir.path(), 0).await.unwrap();
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
