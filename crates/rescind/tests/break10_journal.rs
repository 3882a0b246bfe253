//! break10: "a run closes its journal when it ends or when its future is dropped, so a rerun
//! can open the same journal at once, and the rerun changes every remaining target exactly
//! once" (327db22, `Journal::close`, `CloseOnDrop`), pinned from outside with a fake provider.
//!
//! A run is dropped at many moments (its first poll only, before the first row, mid-way,
//! during the settle pass that resends rows lost before the provider, at the end and after),
//! on the current-thread and the multi-thread runtime; the journal is reopened at once and the
//! run done again. What must hold whatever the moment: the journal opens (never
//! `JournalLocked`), every target is applied exactly once over both runs, every request (the
//! dropped run's included) finds its intent on disk when it is sent, nothing is sent once the
//! dropped run's tasks have stopped, and the rerun's report says truthfully which rows it
//! sent, which it settled by reading back and which an earlier run finished.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rescind::bulk::{Input, Journal, Options, Outcome, Runner, SettledBy};
use rescind::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    Observation, Provider, Registry, Sent, async_trait,
};

const ROWS: usize = 24;

/// Whole cancels. Each cancel takes `delay` and is applied only if it is not cut short; the
/// first `drop_before` cancels are lost before reaching the provider (not applied, answered
/// as a lost connection: the run reads back and resends them in its settle pass). Every
/// cancel checks that its row's intent is on disk in the journal when it is sent.
#[derive(Debug)]
struct Fake {
    journal: PathBuf,
    delay: Duration,
    drop_before: AtomicUsize,
    applied: Mutex<BTreeMap<String, u32>>,
    /// Cancels received per target.
    sends: Mutex<BTreeMap<String, u32>>,
    total_sends: AtomicUsize,
    /// Cancels sent without their intent on disk.
    without_intent: Mutex<Vec<String>>,
    /// Set once the dropped run's tasks must have stopped; a cancel after it is recorded.
    closed: AtomicBool,
    after_close: Mutex<Vec<String>>,
}

impl Fake {
    fn new(journal: PathBuf, delay: Duration, drop_before: usize) -> Self {
        Fake {
            journal,
            delay,
            drop_before: AtomicUsize::new(drop_before),
            applied: Mutex::default(),
            sends: Mutex::default(),
            total_sends: AtomicUsize::new(0),
            without_intent: Mutex::default(),
            closed: AtomicBool::new(false),
            after_close: Mutex::default(),
        }
    }

    fn intent_on_disk(&self, target: &str) -> bool {
        let text = std::fs::read_to_string(&self.journal).unwrap_or_default();
        text.lines().any(|line| {
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| {
                v["record"] == "intent" && v["target"] == target && v["account"] == "di"
            })
        })
    }
}

#[async_trait]
impl Canceller for Fake {
    fn provider(&self) -> Provider {
        Provider::Di
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole()
    }
    async fn cancel(&self, r: CancelRequest) -> Result<CancelOutcome, Error> {
        if self.closed.load(Ordering::SeqCst) {
            self.after_close.lock().unwrap().push(r.target.clone());
        }
        if !self.intent_on_disk(&r.target) {
            self.without_intent.lock().unwrap().push(r.target.clone());
        }
        *self
            .sends
            .lock()
            .unwrap()
            .entry(r.target.clone())
            .or_default() += 1;
        self.total_sends.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let lost = || Error::new(ErrorKind::Transport, Sent::MaybeSent, "connection reset");
        if self
            .drop_before
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(lost());
        }
        *self
            .applied
            .lock()
            .unwrap()
            .entry(r.target.clone())
            .or_default() += 1;
        Ok(CancelOutcome::new(
            Provider::Di,
            r.target,
            CancelStatus::Cancelled,
        ))
    }
    async fn observe(&self, r: &CancelRequest) -> Result<Observation, Error> {
        tokio::task::yield_now().await;
        let done = self.applied.lock().unwrap().contains_key(&r.target);
        Ok(Observation::new(&r.target, if done { "CANCELLED" } else { "OPEN" }).cancelled(done))
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    rows: PathBuf,
    journal: PathBuf,
    fake: Arc<Fake>,
    registry: Registry,
}

fn setup(delay: Duration, drop_before: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.csv");
    let body: String = (1..=ROWS).map(|i| format!("di,{i},cancel\n")).collect();
    std::fs::write(&rows, format!("account,target,action\n{body}")).unwrap();
    let journal = rescind::bulk::default_journal_path(&rows);
    let fake = Arc::new(Fake::new(journal.clone(), delay, drop_before));
    let mut registry = Registry::new();
    registry.insert("di", fake.clone()).unwrap();
    Setup {
        _dir: dir,
        rows,
        journal,
        fake,
        registry,
    }
}

async fn run(s: &Setup, rows: &Path) -> Result<rescind::bulk::Report, rescind::bulk::BulkError> {
    let input = Input::read(rows).unwrap();
    let journal = Journal::open(&s.journal, &input)?;
    Runner::new(s.registry.clone())
        .options(Options::default().concurrency(3))
        .run(input, journal, |_| {})
        .await
}

/// One scenario: the run cut after `cut` (its future dropped), the journal reopened at once,
/// the run done again; everything checked. Returns whether the cut run had finished.
async fn drop_then_rerun(label: &str, cut: Duration, delay: Duration, drop_before: usize) -> bool {
    let s = setup(delay, drop_before);
    let cut_run = tokio::time::timeout(cut, run(&s, &s.rows)).await;
    let finished = match &cut_run {
        Ok(report) => {
            let report = report.as_ref().unwrap();
            assert!(report.all_done(), "{label}: {report:?}");
            true
        }
        Err(_) => false,
    };
    // At once: the dropped run's journal is free (no JournalLocked), and opening it again
    // and again finds it free too.
    let input = Input::read(&s.rows).unwrap();
    let journal = match Journal::open(&s.journal, &input) {
        Ok(j) => j,
        Err(e) => panic!("{label}: the journal of the dropped run: {e} (locked: {e:?})"),
    };
    drop(journal);

    // On a multi-thread runtime an aborted task that was being polled as the run was dropped
    // finishes that poll; after a moment, nothing of the dropped run moves any more.
    tokio::time::sleep(Duration::from_millis(30)).await;
    s.fake.closed.store(true, Ordering::SeqCst);
    let sends_before_rerun = s.fake.total_sends.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(
        s.fake.total_sends.load(Ordering::SeqCst),
        sends_before_rerun,
        "{label}: the dropped run sent after it was dropped: {:?}",
        s.fake.after_close.lock().unwrap()
    );
    let applied_before: BTreeSet<String> = s.fake.applied.lock().unwrap().keys().cloned().collect();
    let sends_snapshot = s.fake.sends.lock().unwrap().clone();
    s.fake.closed.store(false, Ordering::SeqCst);

    let report = run(&s, &s.rows)
        .await
        .unwrap_or_else(|e| panic!("{label}: the rerun: {e}"));
    assert!(report.all_done(), "{label}: {report:?}");
    assert_eq!(report.rows.len(), ROWS, "{label}");

    // Exactly once over both runs.
    let applied = s.fake.applied.lock().unwrap().clone();
    let twice: Vec<_> = applied.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "{label}: applied more than once: {twice:?}"
    );
    assert_eq!(applied.len(), ROWS, "{label}: lost targets: {applied:?}");
    // Every request had its intent on disk.
    assert!(
        s.fake.without_intent.lock().unwrap().is_empty(),
        "{label}: sent without an intent on disk: {:?}",
        s.fake.without_intent.lock().unwrap()
    );

    // The rerun's report is truthful, row by row.
    let sends_after = s.fake.sends.lock().unwrap().clone();
    for row in &report.rows {
        let t = &row.target;
        let rerun_sent =
            sends_after.get(t).copied().unwrap_or(0) > sends_snapshot.get(t).copied().unwrap_or(0);
        let what = format!(
            "{label}: row {t}: earlier_run {}, settled_by {:?}, outcome {:?}; applied before the rerun {}, sent by the rerun {rerun_sent}",
            row.earlier_run,
            row.settled_by,
            row.outcome,
            applied_before.contains(t)
        );
        assert_eq!(row.outcome, Outcome::Done, "{what}");
        if row.earlier_run {
            assert!(applied_before.contains(t) && !rerun_sent, "{what}");
        } else {
            match row.settled_by {
                Some(SettledBy::Answer) => assert!(rerun_sent, "{what}"),
                Some(SettledBy::ReadBack) => {
                    assert!(applied_before.contains(t) || rerun_sent, "{what}")
                }
                other => panic!("{what}: settled_by {other:?}"),
            }
        }
        // A target the dropped run had applied is never sent again.
        if applied_before.contains(t) {
            assert!(!rerun_sent, "{what}");
        }
    }
    finished
}

/// The cut points: the first poll only (0), then across the whole run, past its end.
fn cuts() -> Vec<Duration> {
    let mut cuts = vec![Duration::ZERO, Duration::from_micros(200)];
    cuts.extend(
        [
            1u64, 2, 4, 7, 11, 16, 23, 31, 40, 52, 66, 83, 105, 130, 170, 240, 400,
        ]
        .map(Duration::from_millis),
    );
    cuts
}

async fn many_moments(flavor: &str) {
    let mut finished = 0;
    for (i, cut) in cuts().into_iter().enumerate() {
        // Alternately: rows lost before the provider (a settle pass resends them), none.
        let drop_before = if i % 2 == 0 { 4 } else { 0 };
        let label = format!("{flavor}: cut after {cut:?}, {drop_before} lost before the provider");
        if drop_then_rerun(&label, cut, Duration::from_millis(4), drop_before).await {
            finished += 1;
        }
    }
    // The cuts do reach past the end of a run (a finished run closes its journal too).
    assert!(finished > 0, "{flavor}: no run finished before its cut");
}

#[tokio::test]
async fn a_run_dropped_at_many_moments_frees_its_journal_and_the_rerun_applies_each_target_once_current_thread()
 {
    many_moments("current-thread").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_at_many_moments_frees_its_journal_and_the_rerun_applies_each_target_once_multi_thread()
 {
    many_moments("multi-thread").await;
}

/// No delay at all (every cancel answers in its first poll): the moments between an intent's
/// fsync and its request are the only awaits, on both runtimes, 30 cuts each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_cancels_dropped_between_intent_and_request_are_settled_once() {
    for i in 0..30u64 {
        let cut = Duration::from_micros(i * 150);
        drop_then_rerun(
            &format!("multi-thread, instant cancels, cut after {cut:?}"),
            cut,
            Duration::ZERO,
            (i % 3) as usize,
        )
        .await;
    }
}

#[tokio::test]
async fn instant_cancels_dropped_between_intent_and_request_are_settled_once_current_thread() {
    for i in 0..30u64 {
        let cut = Duration::from_micros(i * 150);
        drop_then_rerun(
            &format!("current-thread, instant cancels, cut after {cut:?}"),
            cut,
            Duration::ZERO,
            (i % 3) as usize,
        )
        .await;
    }
}

/// Dropped twice in a row, then done: the second run, itself dropped, frees the journal too,
/// and the third applies the rest once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_dropped_again_frees_the_journal_again() {
    for cut in [3u64, 9, 20, 45] {
        let s = setup(Duration::from_millis(4), 2);
        for _ in 0..2 {
            if let Ok(Err(e)) =
                tokio::time::timeout(Duration::from_millis(cut), run(&s, &s.rows)).await
            {
                panic!("cut {cut} ms: a run after a dropped one: {e}");
            }
        }
        let report = run(&s, &s.rows)
            .await
            .unwrap_or_else(|e| panic!("cut {cut} ms: the third run: {e}"));
        assert!(report.all_done(), "{report:?}");
        let applied = s.fake.applied.lock().unwrap().clone();
        assert_eq!(applied.len(), ROWS, "cut {cut} ms: {applied:?}");
        assert!(
            applied.values().all(|n| *n == 1),
            "cut {cut} ms: applied twice: {applied:?}"
        );
        assert!(s.fake.without_intent.lock().unwrap().is_empty());
    }
}
