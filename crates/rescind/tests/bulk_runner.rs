//! The bulk runner with a fake provider: what it sends, and what it settles by reading back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rescind::bulk::{Input, Journal, Options, Outcome, Row, Runner, SettledBy};
use rescind::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    Observation, Provider, Registry, Sent, async_trait,
};

/// Whole cancels only. `lose_answers` cancels are applied but answered with a lost connection;
/// `drop_before` are lost before reaching the provider; each cancel takes `delay` (a cancel cut
/// short is not applied).
#[derive(Debug, Default)]
struct Fake {
    cancelled: Mutex<Vec<String>>,
    sends: AtomicUsize,
    lose_answers: AtomicUsize,
    drop_before: AtomicUsize,
    delay: std::time::Duration,
    /// Calls in flight now, and the most seen at once.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Fake {
    fn enter(&self) -> impl Drop + '_ {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Leave(&self.in_flight)
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
        let _call = self.enter();
        self.sends.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let lost = || Error::new(ErrorKind::Transport, Sent::MaybeSent, "connection reset");
        if self.drop_before.load(Ordering::SeqCst) > 0 {
            self.drop_before.fetch_sub(1, Ordering::SeqCst);
            return Err(lost());
        }
        self.cancelled.lock().unwrap().push(r.target.clone());
        if self.lose_answers.load(Ordering::SeqCst) > 0 {
            self.lose_answers.fetch_sub(1, Ordering::SeqCst);
            return Err(lost());
        }
        Ok(CancelOutcome::new(
            Provider::Di,
            r.target,
            CancelStatus::Cancelled,
        ))
    }
    async fn observe(&self, r: &CancelRequest) -> Result<Observation, Error> {
        let _call = self.enter();
        tokio::task::yield_now().await;
        let done = self.cancelled.lock().unwrap().contains(&r.target);
        Ok(Observation::new(&r.target, if done { "CANCELLED" } else { "OPEN" }).cancelled(done))
    }
}

fn setup(rows: &str) -> (tempfile::TempDir, Arc<Fake>, Registry, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, rows).unwrap();
    let fake = Arc::new(Fake::default());
    let mut registry = Registry::new();
    registry.insert("di", fake.clone()).unwrap();
    (dir, fake, registry, path)
}

/// `n` whole cancels of targets 1 to `n`, each taking 40 ms.
fn slow_rows(n: usize) -> (tempfile::TempDir, Arc<Fake>, Registry, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let rows: String = (1..=n).map(|i| format!("di,{i},cancel\n")).collect();
    std::fs::write(&path, format!("account,target,action\n{rows}")).unwrap();
    let slow = Arc::new(Fake {
        delay: std::time::Duration::from_millis(40),
        ..Fake::default()
    });
    let mut registry = Registry::new();
    registry.insert("di", slow.clone()).unwrap();
    (dir, slow, registry, path)
}

/// Drops `run` (as a caller's timeout would) once `n` cancels have been sent, whatever the
/// disk's fsyncs take (each row's intent is on disk before it is sent; a fixed timeout cut
/// runs before their first send on a busy CI disk).
async fn cut_after_sends(fake: &Fake, n: usize, run: impl std::future::Future) {
    let sent = async {
        while fake.sends.load(Ordering::SeqCst) < n {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        _ = run => panic!("the run ended before it was cut"),
        () = sent => {}
    }
}

async fn run(registry: &Registry, path: &std::path::Path) -> rescind::bulk::Report {
    let input = Input::read(path).unwrap();
    let journal = Journal::open(&rescind::bulk::default_journal_path(path), &input).unwrap();
    Runner::new(registry.clone())
        .run(input, journal, |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_lost_answer_is_settled_by_reading_back_and_a_rerun_sends_nothing() {
    let (_dir, fake, registry, path) = setup("account,target,action\ndi,1,cancel\ndi,2,cancel\n");
    fake.lose_answers.store(1, Ordering::SeqCst);
    let report = run(&registry, &path).await;
    assert!(report.all_done(), "{report:?}");
    assert!(
        report
            .rows
            .iter()
            .any(|r| r.settled_by == Some(SettledBy::ReadBack))
    );
    assert_eq!(fake.sends.load(Ordering::SeqCst), 2);

    let again = run(&registry, &path).await;
    assert!(again.all_done() && again.rows.iter().all(|r| r.earlier_run));
    assert_eq!(fake.sends.load(Ordering::SeqCst), 2, "nothing sent again");
}

#[tokio::test]
async fn a_request_lost_before_the_provider_is_sent_again_once_after_reading_back() {
    let (_dir, fake, registry, path) = setup("account,target,action\ndi,1,cancel\n");
    fake.drop_before.store(1, Ordering::SeqCst);
    let report = run(&registry, &path).await;
    assert!(report.all_done(), "{report:?}");
    assert_eq!(
        fake.sends.load(Ordering::SeqCst),
        2,
        "the settle pass sent it once more"
    );
    assert_eq!(fake.cancelled.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_intent_without_outcome_is_settled_not_resent() {
    let (_dir, fake, registry, path) = setup("account,target,action\ndi,1,cancel\ndi,2,cancel\n");
    let input = Input::read(&path).unwrap();
    let journal_path = rescind::bulk::default_journal_path(&path);
    // A run that died after sending row 2 (applied) and after journaling row 3's intent only.
    let journal = Journal::open(&journal_path, &input).unwrap();
    for (line, target) in [(2, "1"), (3, "2")] {
        let row = Row::cancel("di", target).identity();
        let intent = serde_json::json!({"record":"intent","row":row,"line":line,"attempt":1,"account":"di","target":target,"action":"cancel","before":{"target":target,"state":"OPEN","cancelled":false},"at":"x"});
        journal
            .append(&serde_json::from_value(intent).unwrap())
            .unwrap();
    }
    drop(journal);
    fake.cancelled.lock().unwrap().push("1".into());

    let report = run(&registry, &path).await;
    assert!(report.all_done(), "{report:?}");
    assert_eq!(report.rows[0].settled_by, Some(SettledBy::ReadBack));
    assert_eq!(report.rows[1].settled_by, Some(SettledBy::Answer));
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1, "only row 3 was sent");
    assert_eq!(report.counts()[&Outcome::Done], 2);
}

/// A run dropped mid-way frees its journal as it is dropped, not when its aborted tasks are
/// next polled: on this one-thread runtime none of them has run since, and the rerun opens
/// the journal at once (it was refused, locked, before `Journal::close`).
#[tokio::test]
async fn a_dropped_run_frees_its_journal_at_once() {
    let (_dir, slow, registry, path) = slow_rows(50);

    cut_after_sends(&slow, 5, run(&registry, &path)).await;
    let started = slow.sends.load(Ordering::SeqCst);
    assert!(started > 0 && started < 50, "{started}");

    let input = Input::read(&path).unwrap();
    let journal = Journal::open(&rescind::bulk::default_journal_path(&path), &input)
        .expect("the dropped run's journal is free");
    let report = Runner::new(registry.clone())
        .run(input, journal, |_| {})
        .await
        .unwrap();
    assert!(report.all_done(), "{report:?}");
    let mut cancelled = slow.cancelled.lock().unwrap().clone();
    let applied = cancelled.len();
    cancelled.sort();
    cancelled.dedup();
    assert_eq!((cancelled.len(), applied), (50, 50), "each once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_run_stops_sending_and_a_rerun_finishes_the_rest_once() {
    let (_dir, slow, registry, path) = slow_rows(100);

    // The caller gives up on the run (a timeout): the run's future is dropped mid-way.
    cut_after_sends(&slow, 5, run(&registry, &path)).await;
    // Let the aborts land (they take effect at the tasks' next poll), then nothing moves:
    // no new row is sent, and the cancels in flight were cut short with the run.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let started = slow.sends.load(Ordering::SeqCst);
    let applied = slow.cancelled.lock().unwrap().len();
    assert!(started > 0 && started < 100, "{started}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        slow.sends.load(Ordering::SeqCst),
        started,
        "nothing is sent once the run is dropped"
    );
    assert_eq!(
        slow.cancelled.lock().unwrap().len(),
        applied,
        "the rows in flight stopped with the run"
    );

    // The journal is free again, and the rerun changes every remaining target once.
    let report = run(&registry, &path).await;
    assert!(report.all_done(), "{report:?}");
    let mut cancelled = slow.cancelled.lock().unwrap().clone();
    cancelled.sort();
    cancelled.dedup();
    assert_eq!(cancelled.len(), 100);
    assert_eq!(slow.cancelled.lock().unwrap().len(), 100, "none twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_input_runs_every_row_once_within_the_concurrency_and_a_lean_report_counts_them()
{
    let mut rows = String::from("account,target,action\n");
    for i in 0..2_000 {
        rows.push_str(&format!("di,{i},cancel\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, rows).unwrap();
    let fake = Arc::new(Fake {
        delay: std::time::Duration::from_micros(200),
        ..Fake::default()
    });
    let mut registry = Registry::new();
    registry.insert("di", fake.clone()).unwrap();

    let input = Input::stream(&path).unwrap();
    assert!(input.rows.is_empty() && input.valid_rows() == 2_000);
    let journal = Journal::open(&rescind::bulk::default_journal_path(&path), &input).unwrap();
    let report = Runner::new(registry)
        .options(Options::default().concurrency(4).keep_done(false))
        .run(input, journal, |_| {})
        .await
        .unwrap();
    assert!(report.all_done(), "{report:?}");
    assert!(report.rows.is_empty(), "done rows are only counted");
    assert_eq!(report.done_omitted, 2_000);
    assert_eq!(report.counts()[&Outcome::Done], 2_000);
    assert_eq!(
        fake.sends.load(Ordering::SeqCst),
        2_000,
        "each row sent once"
    );
    let mut cancelled = fake.cancelled.lock().unwrap().clone();
    cancelled.sort();
    cancelled.dedup();
    assert_eq!(cancelled.len(), 2_000);
    // More workers than the concurrency, but never more calls at once than it.
    let most = fake.most_in_flight.load(Ordering::SeqCst);
    assert!((1..=4).contains(&most), "{most} calls at once");
}
