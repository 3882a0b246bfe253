//! Bulk runs an operator can trust, with a fake provider whose item cancels can be "applied
//! late" (held after the client gave up, then landed by the test): the in-flight horizon,
//! edited files, authentication refusals, rows fed from code.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rescind::bulk::{
    Clock, Input, Journal, ManualClock, Options, Outcome, Report, Row, Runner, SettledBy,
    default_journal_path,
};
use rescind::core::ObservedItem;
use rescind::core::rust_decimal::Decimal;
use rescind::{
    CancelOutcome, CancelRequest, CancelStatus, Canceller, Capabilities, Error, ErrorKind,
    ItemSelector, Observation, Provider, Registry, Scope, Sent, async_trait,
};
use tokio::sync::watch;

/// Skip Pay-like targets, each with one item `CASE-3` of quantity 3. Whole cancels and item
/// cancels by quantity. `hold_next` item cancels are held: not applied, answered with a
/// timeout, and applied when the test calls [`Fake::land`] (the "applied late" fault).
/// `refuse_auth` makes every call fail as unauthorized.
#[derive(Debug)]
struct Fake {
    state: Mutex<HashMap<String, (bool, Decimal)>>,
    sends: AtomicUsize,
    reads: AtomicUsize,
    hold_next: AtomicUsize,
    held: Mutex<Vec<CancelRequest>>,
    held_count: watch::Sender<usize>,
    /// Changes applied per target (a cancel, or one quantity reduction).
    applied: Mutex<HashMap<String, usize>>,
    refuse_auth: std::sync::atomic::AtomicBool,
    /// Calls refused as unauthorized (each would be a login at a real provider).
    auth_attempts: AtomicUsize,
    /// Targets whose cancels the provider's rules refuse (nothing changes).
    refuse: Mutex<Vec<String>>,
    /// Whole cancels to apply and then answer with a lost connection.
    lose_whole: AtomicUsize,
    /// How long each cancel takes before it reaches the provider (a cancel cut short before
    /// then changes nothing).
    delay: Duration,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            state: Mutex::default(),
            sends: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
            hold_next: AtomicUsize::new(0),
            held: Mutex::default(),
            held_count: watch::Sender::new(0),
            applied: Mutex::default(),
            refuse_auth: Default::default(),
            auth_attempts: AtomicUsize::new(0),
            refuse: Mutex::default(),
            lose_whole: AtomicUsize::new(0),
            delay: Duration::ZERO,
        }
    }
}

impl Fake {
    fn apply(&self, r: &CancelRequest) {
        let mut state = self.state.lock().unwrap();
        let entry = state.entry(r.target.clone()).or_insert((false, 3.into()));
        match &r.scope {
            Scope::Items(items) => {
                let q = items[0].quantity.unwrap_or(entry.1);
                entry.1 -= q;
            }
            _ => entry.0 = true,
        }
        *self
            .applied
            .lock()
            .unwrap()
            .entry(r.target.clone())
            .or_default() += 1;
    }

    /// Applies the held requests now, as a provider that finished late.
    fn land(&self) {
        let held: Vec<CancelRequest> = std::mem::take(&mut *self.held.lock().unwrap());
        for r in &held {
            self.apply(r);
        }
    }

    async fn wait_held(&self, n: usize) {
        let mut rx = self.held_count.subscribe();
        rx.wait_for(|c| *c >= n).await.unwrap();
    }

    fn applied(&self, target: &str) -> usize {
        self.applied
            .lock()
            .unwrap()
            .get(target)
            .copied()
            .unwrap_or(0)
    }

    fn unauthorized() -> Error {
        Error::new(ErrorKind::Unauthorized, Sent::Answered, "401 invalid token")
    }
}

#[async_trait]
impl Canceller for Fake {
    fn provider(&self) -> Provider {
        Provider::SkipPay
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.with_whole().with_items()
    }
    fn check(&self, r: &CancelRequest) -> Result<(), Error> {
        if let Scope::Items(items) = &r.scope
            && items
                .iter()
                .any(|i| i.quantity.is_some_and(|q| q < Decimal::ONE))
        {
            return Err(Error::invalid_input(
                "items[0].quantity",
                "must be at least 1",
            ));
        }
        Ok(())
    }
    async fn cancel(&self, r: CancelRequest) -> Result<CancelOutcome, Error> {
        if self.refuse_auth.load(Ordering::SeqCst) {
            self.auth_attempts.fetch_add(1, Ordering::SeqCst);
            return Err(Fake::unauthorized());
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.sends.fetch_add(1, Ordering::SeqCst);
        if self.refuse.lock().unwrap().contains(&r.target) {
            return Err(Error::not_cancellable(Sent::Answered, "in transit"));
        }
        if matches!(r.scope, Scope::Items(_)) && self.hold_next.load(Ordering::SeqCst) > 0 {
            self.hold_next.fetch_sub(1, Ordering::SeqCst);
            self.held.lock().unwrap().push(r);
            self.held_count.send_modify(|c| *c += 1);
            return Err(Error::new(
                ErrorKind::Timeout,
                Sent::MaybeSent,
                "no answer in 30 s",
            ));
        }
        self.apply(&r);
        if matches!(r.scope, Scope::Whole) && self.lose_whole.load(Ordering::SeqCst) > 0 {
            self.lose_whole.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::new(
                ErrorKind::Transport,
                Sent::MaybeSent,
                "connection reset after the request was sent",
            ));
        }
        let status = match r.scope {
            Scope::Items(_) => CancelStatus::PartiallyCancelled {
                cancelled_items: Some(1),
                remaining_items: Some(1),
            },
            _ => CancelStatus::Cancelled,
        };
        Ok(CancelOutcome::new(Provider::SkipPay, r.target, status))
    }
    async fn observe(&self, r: &CancelRequest) -> Result<Observation, Error> {
        if self.refuse_auth.load(Ordering::SeqCst) {
            self.auth_attempts.fetch_add(1, Ordering::SeqCst);
            return Err(Fake::unauthorized());
        }
        self.reads.fetch_add(1, Ordering::SeqCst);
        let (cancelled, quantity) = self
            .state
            .lock()
            .unwrap()
            .get(&r.target)
            .copied()
            .unwrap_or((false, 3.into()));
        let o = Observation::new(&r.target, "READY").cancelled(cancelled);
        Ok(match r.scope {
            Scope::Items(_) => o.item(ObservedItem::new(0, "CASE-3", Some(quantity), false)),
            _ => o,
        })
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    fake: Arc<Fake>,
    registry: Registry,
    path: std::path::PathBuf,
}

fn setup(rows: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, rows).unwrap();
    let fake = Arc::new(Fake::default());
    let mut registry = Registry::new();
    registry.insert("skippay", fake.clone()).unwrap();
    Setup {
        _dir: dir,
        fake,
        registry,
        path,
    }
}

fn start() -> rescind::core::jiff::Timestamp {
    "2026-11-30T08:10:47Z".parse().unwrap()
}

async fn run_with(s: &Setup, options: Options, clock: Arc<dyn Clock>) -> Report {
    let input = Input::read(&s.path).unwrap();
    let journal = Journal::open(&default_journal_path(&s.path), &input).unwrap();
    Runner::new(s.registry.clone())
        .options(options)
        .clock(clock)
        .run(input, journal, |_| {})
        .await
        .unwrap()
}

const ITEM_ROW: &str =
    "account,target,action,items\nskippay,A1,cancel_items,\"code=CASE-3,quantity=1\"\n";

#[tokio::test]
async fn with_horizon_zero_a_late_landing_cancels_the_quantity_twice() {
    // What the horizon prevents: the read-back right after the lost answer shows no change,
    // the request is sent again at once, and then the first one lands too.
    let s = setup(ITEM_ROW);
    s.fake.hold_next.store(1, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(start()));
    let report = run_with(
        &s,
        Options::default().in_flight_horizon(Duration::ZERO),
        clock,
    )
    .await;
    assert!(report.all_done(), "{report:?}");
    s.fake.land();
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 2);
    assert_eq!(s.fake.applied("A1"), 2, "the double the horizon prevents");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_change_in_flight_is_waited_for_and_applied_once() {
    let s = setup(ITEM_ROW);
    s.fake.hold_next.store(1, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(start()));
    let (waiting_tx, mut waiting_rx) = tokio::sync::mpsc::unbounded_channel();
    let input = Input::read(&s.path).unwrap();
    let journal = Journal::open(&default_journal_path(&s.path), &input).unwrap();
    let runner = Runner::new(s.registry.clone()).clock(clock.clone());
    let run = tokio::spawn(async move {
        runner
            .run(input, journal, move |p| {
                if let Some(w) = p.waiting {
                    let _ = waiting_tx.send(w);
                }
            })
            .await
            .unwrap()
    });
    // The run says it waits, how many and until when: 5 minutes after the send.
    let waiting = waiting_rx.recv().await.unwrap();
    assert_eq!(waiting.rows, 1);
    assert_eq!(waiting.until.to_string(), "2026-11-30T08:15:47Z");
    s.fake.wait_held(1).await;
    // The provider finishes late, while the run waits; a minute short of the horizon nothing
    // is decided yet.
    s.fake.land();
    clock.advance(Duration::from_secs(240));
    tokio::task::yield_now().await;
    assert!(!run.is_finished());
    clock.advance(Duration::from_secs(60));
    let report = run.await.unwrap();
    assert!(report.all_done(), "{report:?}");
    assert_eq!(report.rows[0].settled_by, Some(SettledBy::ReadBack));
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 1, "never sent again");
    assert_eq!(s.fake.applied("A1"), 1);
}

#[tokio::test]
async fn without_waiting_a_change_in_flight_stays_pending_until_a_rerun_after_its_time() {
    let s = setup(ITEM_ROW);
    s.fake.hold_next.store(1, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(start()));
    let no_wait = || Options::default().wait_in_flight(false);
    let report = run_with(&s, no_wait(), clock.clone()).await;
    let row = &report.rows[0];
    assert_eq!(row.outcome, Outcome::Pending, "{row:?}");
    assert_eq!(
        row.decide_after.map(|t| t.to_string()).as_deref(),
        Some("2026-11-30T08:15:47Z")
    );
    assert_eq!(report.in_flight().count(), 1);

    // A rerun before that time reads back, sees no change, and still does not send.
    clock.advance(Duration::from_secs(60));
    let report = run_with(&s, no_wait(), clock.clone()).await;
    assert_eq!(report.rows[0].outcome, Outcome::Pending);
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 1);

    // The request was really lost (it never lands): after the horizon a rerun sends it once.
    s.fake.held.lock().unwrap().clear();
    clock.advance(Duration::from_secs(240));
    let report = run_with(&s, no_wait(), clock.clone()).await;
    assert!(report.all_done(), "{report:?}");
    assert_eq!(report.rows[0].settled_by, Some(SettledBy::Answer));
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 2);
    assert_eq!(s.fake.applied("A1"), 1);
}

#[tokio::test]
async fn a_rerun_after_the_horizon_settles_a_late_landing_by_reading_back() {
    let s = setup(ITEM_ROW);
    s.fake.hold_next.store(1, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(start()));
    let no_wait = Options::default().wait_in_flight(false);
    let report = run_with(&s, no_wait.clone(), clock.clone()).await;
    assert_eq!(report.rows[0].outcome, Outcome::Pending);
    s.fake.land();
    clock.advance(Duration::from_secs(301));
    let report = run_with(&s, no_wait, clock).await;
    assert!(report.all_done(), "{report:?}");
    assert_eq!(report.rows[0].settled_by, Some(SettledBy::ReadBack));
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 1);
    assert_eq!(s.fake.applied("A1"), 1);
}

#[tokio::test]
async fn an_edited_file_resumes_and_a_changed_row_needs_the_operator() {
    let s = setup(
        "account,target,action,items\n\
         skippay,A1,cancel_items,\"code=CASE-3,quantity=1\"\n\
         skippay,A2,cancel,\n",
    );
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
    let first = run_with(&s, Options::default(), clock.clone()).await;
    assert!(first.all_done());
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 2);

    // Appended, reordered, and the quantity written as `1.0` in another field order.
    std::fs::write(
        &s.path,
        "account,target,action,items\n\
         skippay,A3,cancel,\n\
         skippay,A2,cancel,\n\
         skippay,A1,cancel_items,\"quantity=1.0,code=CASE-3\"\n",
    )
    .unwrap();
    let second = run_with(&s, Options::default(), clock.clone()).await;
    assert!(second.all_done(), "{second:?}");
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 3, "only A3 was sent");
    let done = second.already_done.unwrap();
    assert_eq!(done.rows, 2);
    assert_eq!(
        done.to_string(),
        "2 rows already done in this journal on 2026-11-30"
    );
    assert_eq!(second.rows[2].line, 4);
    assert!(second.rows[2].earlier_run);

    // A row removed: nothing is sent. The quantity changed: not sent, and why.
    std::fs::write(
        &s.path,
        "account,target,action,items\nskippay,A1,cancel_items,\"code=CASE-3,quantity=2\"\n",
    )
    .unwrap();
    let third = run_with(&s, Options::default(), clock.clone()).await;
    let row = &third.rows[0];
    assert_eq!(row.outcome, Outcome::Conflict, "{row:?}");
    assert!(
        row.detail.contains("code=CASE-3,quantity=1"),
        "{}",
        row.detail
    );
    assert!(row.detail.contains("quantity=2"), "{}", row.detail);
    assert!(
        row.detail.contains("--resend-changed skippay:A1"),
        "{}",
        row.detail
    );
    assert!(!row.detail.contains("new journal"), "{}", row.detail);
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 3);
    assert_eq!(s.fake.applied("A1"), 1);

    // The operator names the target: sent once; a rerun then finds it done.
    let resend = Options::default().resend_changed(["skippay:A1"]);
    let fourth = run_with(&s, resend, clock.clone()).await;
    assert!(fourth.all_done(), "{fourth:?}");
    assert_eq!(s.fake.applied("A1"), 2);
    let fifth = run_with(&s, Options::default(), clock).await;
    assert!(fifth.all_done() && fifth.rows[0].earlier_run, "{fifth:?}");
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 4);
}

#[test]
fn a_rows_identity_is_canonical_across_forms() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "account,target,action,items\nskippay,A1,cancel_items,\"code=B;quantity=1.0, code=A\"\n",
    )
    .unwrap();
    let jsonl = dir.path().join("a.jsonl");
    std::fs::write(
        &jsonl,
        "{\"provider\":\"skippay\",\"target\":\"A1\",\"action\":\"cancel_items\",\"items\":[{\"code\":\"A\",\"quantity\":1},{\"code\":\"B\"}]}\n",
    )
    .unwrap();
    let from_csv = Input::read(&csv).unwrap().rows[0].identity();
    let from_jsonl = Input::read(&jsonl).unwrap().rows[0].identity();
    let from_code = Row::cancel_items(
        "skippay",
        "A1",
        vec![
            ItemSelector::by_code("B"),
            ItemSelector::by_code("A").quantity(1.into()),
        ],
    )
    .with_key("order-1")
    .identity();
    assert_eq!(from_csv, from_jsonl);
    assert_eq!(from_csv, from_code);
    let other = Row::cancel_items(
        "skippay",
        "A1",
        vec![ItemSelector::by_code("A").quantity(2.into())],
    );
    assert_ne!(from_csv, other.identity());
    assert_ne!(
        Row::hold("arta", "s", None).identity(),
        Row::hold("arta", "s", Some("2026-12-01".parse().unwrap())).identity()
    );
}

#[tokio::test]
async fn rows_from_code_keep_their_keys_in_results_and_journal() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    let mut registry = Registry::new();
    registry.insert("skippay", fake.clone()).unwrap();
    let rows = || {
        Input::from_rows([
            Row::cancel("skippay", "A1").with_key("order-1001"),
            Row::cancel_items(
                "skippay",
                "A2",
                vec![ItemSelector::by_code("CASE-3").quantity(0.into())],
            )
            .with_key("order-1002"),
            Row::cancel("nowhere", "A3").with_key("order-1003"),
        ])
    };
    let path = dir.path().join("job.journal.jsonl");
    let run = || async {
        let input = rows();
        let journal = Journal::open(&path, &input).unwrap();
        Runner::new(registry.clone())
            .run(input, journal, |_| {})
            .await
            .unwrap()
    };
    let report = run().await;
    let by_key: HashMap<&str, &rescind::bulk::RowResult> = report
        .rows
        .iter()
        .map(|r| (r.key.as_deref().unwrap(), r))
        .collect();
    let done = by_key["order-1001"];
    assert_eq!(done.outcome, Outcome::Done);
    assert_eq!(done.status, Some(CancelStatus::Cancelled));
    assert_eq!(done.provider, Some(Provider::SkipPay));
    // Checked before sending: a quantity of 0, an unknown account; the action is the row's.
    let bad = by_key["order-1002"];
    assert_eq!(bad.outcome, Outcome::Invalid, "{bad:?}");
    assert_eq!(bad.action, "cancel_items");
    assert_eq!(bad.kind, Some(ErrorKind::InvalidInput));
    assert_eq!(by_key["order-1003"].provider, None);
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
    let journal = std::fs::read_to_string(&path).unwrap();
    assert!(journal.contains("\"key\":\"order-1001\""), "{journal}");

    let again = run().await;
    assert!(
        again
            .rows
            .iter()
            .any(|r| r.key.as_deref() == Some("order-1001") && r.earlier_run)
    );
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_authentication_refusal_ends_the_accounts_rows_and_a_rerun_sends_them() {
    let rows: String = (1..=20).map(|i| format!("skippay,T{i},cancel\n")).collect();
    let s = setup(&format!("account,target,action\n{rows}"));
    s.fake.refuse_auth.store(true, Ordering::SeqCst);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
    let one = Options::default().concurrency(1);
    let report = run_with(&s, one.clone(), clock.clone()).await;
    assert!(
        report
            .rows
            .iter()
            .all(|r| r.outcome == Outcome::Failed && r.kind == Some(ErrorKind::Unauthorized)),
        "{report:?}"
    );
    assert!(
        report.rows[1].detail.contains("line 2"),
        "{}",
        report.rows[1].detail
    );
    assert_eq!(
        s.fake.auth_attempts.load(Ordering::SeqCst),
        1,
        "one refusal, not one per row"
    );
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 0);

    // The credentials are fixed: the rerun sends every row.
    s.fake.refuse_auth.store(false, Ordering::SeqCst);
    let report = run_with(&s, one, clock).await;
    assert!(report.all_done(), "{report:?}");
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 20);
}

#[tokio::test]
async fn an_edited_row_whose_earlier_change_was_refused_is_no_conflict() {
    let s = setup(ITEM_ROW);
    s.fake.refuse.lock().unwrap().push("A1".into());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
    let report = run_with(&s, Options::default(), clock.clone()).await;
    assert_eq!(report.rows[0].outcome, Outcome::Refused, "{report:?}");
    std::fs::write(
        &s.path,
        "account,target,action,items\nskippay,A1,cancel_items,\"code=CASE-3,quantity=2\"\n",
    )
    .unwrap();
    s.fake.refuse.lock().unwrap().clear();
    let report = run_with(&s, Options::default(), clock).await;
    assert!(
        report.all_done(),
        "nothing changed before, so it is sent: {report:?}"
    );
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 2);
    assert_eq!(s.fake.applied("A1"), 1);
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_cut_short_with_late_landings_and_lost_answers_change_every_target_once() {
    for seed in [7u64, 1234, 99_991] {
        let mut rng = Rng(seed);
        let mut rows = String::from("account,target,action,items\n");
        for i in 0..60 {
            if i % 2 == 0 {
                rows.push_str(&format!(
                    "skippay,I{i},cancel_items,\"code=CASE-3,quantity=1\"\n"
                ));
            } else {
                rows.push_str(&format!("skippay,W{i},cancel,\n"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, rows).unwrap();
        let fake = Arc::new(Fake {
            delay: Duration::from_millis(2),
            ..Fake::default()
        });
        let mut registry = Registry::new();
        registry.insert("skippay", fake.clone()).unwrap();
        let clock = Arc::new(ManualClock::new(start()));
        let run = |wait: bool| {
            let input = Input::read(&path).unwrap();
            let journal_path = default_journal_path(&path);
            let runner = Runner::new(registry.clone())
                .options(Options::default().concurrency(4).wait_in_flight(wait))
                .clock(clock.clone());
            async move {
                // The tasks of a run just dropped let go of the journal (and its lock) when
                // their abort lands, at their next poll.
                let journal = loop {
                    match Journal::open(&journal_path, &input) {
                        Ok(j) => break j,
                        Err(e) if e.is_journal_locked() => {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        Err(e) => panic!("{e}"),
                    }
                };
                runner.run(input, journal, |_| {}).await.unwrap()
            }
        };
        for round in 0..8 {
            fake.hold_next
                .store(rng.below(4) as usize, Ordering::SeqCst);
            fake.lose_whole
                .store(rng.below(4) as usize, Ordering::SeqCst);
            // Cut short at a random point (the caller drops the run), or not.
            let cut = Duration::from_millis(rng.below(40));
            let _ = tokio::time::timeout(cut, run(false)).await;
            // Held requests land now, are lost for good, or stay held through the next run
            // (which reads their targets back unchanged) and land after it. Every other round
            // they are settled, so none lands after its horizon (two advances of at most
            // 100 s). With a horizon of zero this test fails: the next run sends them again.
            match rng.below(3) {
                0 => fake.land(),
                1 => fake.held.lock().unwrap().clear(),
                _ if round % 2 == 1 => fake.land(),
                _ => {}
            }
            clock.advance(Duration::from_secs(rng.below(100)));
        }
        fake.hold_next.store(0, Ordering::SeqCst);
        fake.lose_whole.store(0, Ordering::SeqCst);
        fake.land();
        // Reruns, the clock past every horizon in between: rows still in flight are decided.
        let mut report = run(false).await;
        for _ in 0..3 {
            if report.all_done() {
                break;
            }
            clock.advance(Duration::from_secs(600));
            report = run(false).await;
        }
        assert!(report.all_done(), "seed {seed}: {report:?}");
        for i in 0..60 {
            let target = if i % 2 == 0 {
                format!("I{i}")
            } else {
                format!("W{i}")
            };
            assert_eq!(fake.applied(&target), 1, "seed {seed}: {target}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_handed_in_leaves_rows_in_flight_pending_with_their_time() {
    let s = setup(ITEM_ROW);
    s.fake.hold_next.store(1, Ordering::SeqCst);
    let clock = Arc::new(ManualClock::new(start()));
    let stop = rescind::bulk::Stop::default();
    let input = Input::read(&s.path).unwrap();
    let journal = Journal::open(&default_journal_path(&s.path), &input).unwrap();
    let runner = Runner::new(s.registry.clone())
        .clock(clock.clone())
        .with_stop(stop.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn(async move {
        runner
            .run(input, journal, move |p| {
                if p.waiting.is_some() {
                    let _ = tx.send(());
                }
            })
            .await
            .unwrap()
    });
    // The run waits for the row in flight; the service shuts down.
    rx.recv().await.unwrap();
    stop.stop();
    let report = run.await.unwrap();
    assert!(report.stopped);
    let row = &report.rows[0];
    assert_eq!(row.outcome, Outcome::Pending, "{row:?}");
    assert_eq!(
        row.decide_after.map(|t| t.to_string()).as_deref(),
        Some("2026-11-30T08:15:47Z")
    );
    assert_eq!(s.fake.sends.load(Ordering::SeqCst), 1);
}
