//! The service end to end: the simulator in process (with faults), the service on an
//! ephemeral port, a reqwest client. Every request the SDK sends is counted on the simulator.

use std::collections::BTreeMap;
use std::time::Duration;

use rescind::bulk::Outcome;
use rescind::core::{Refusal, TransportConfig};
use rescind::{CancelStatus, ErrorKind, Provider, Sent, SettledBy};
use rescind_example_service::accounts::Accounts;
use rescind_example_service::cancel::Verdict;
use rescind_example_service::{App, Settings};
use rescind_sim::{FaultAction, FaultRule, Operation, RunningSimulator, Simulator, demo};
use serde::Deserialize;
use serde_json::json;

/// Di demo orders: booked (cancellable), in transit (refused), a pick-up before its cut-off
/// (cancellable).
const DI_BOOKED: &str = demo::di::ORDER_CANCELLABLE;
const DI_IN_TRANSIT: &str = demo::di::ORDER_IN_TRANSIT;
const DI_PICKUP: &str = demo::di::ORDER_PICKUP;
/// Skip Pay's demo application with several items.
const SKIPPAY_READY: &str = demo::skippay::READY;

struct Harness {
    sim: RunningSimulator,
    base: String,
    http: reqwest::Client,
    journals: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The service's shutdown signal to its bulk jobs.
    stop: rescind::bulk::Stop,
}

/// The service's accounts at the simulator, built in code with its own transport settings.
fn registry(sim: &RunningSimulator) -> rescind::Registry {
    let url = sim.base_url();
    Accounts::new()
        .transport(
            TransportConfig::default()
                .with_attempt_timeout(Duration::from_secs(20))
                .with_call_timeout(Duration::from_secs(40)),
        )
        .arta("arta", Some(&url), demo::arta::API_KEY)
        .di("di", &url, demo::di::USER, demo::di::PASSWORD)
        .skippay(
            "skippay",
            Some(&url),
            demo::skippay::PARTNER,
            demo::skippay::PASSWORD,
        )
        .registry()
        .expect("registry")
}

/// Serves `app` on an ephemeral port until the sender is used or dropped.
async fn serve(
    app: App,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = rx.await;
    }));
    (base, tx, server)
}

async fn start() -> Harness {
    start_with(Settings::new).await
}

async fn start_with(settings: impl Fn(std::path::PathBuf) -> Settings) -> Harness {
    let sim = Simulator::new().start().await.expect("simulator starts");
    let journals = tempfile::tempdir().expect("temp dir");
    let app = App::new(registry(&sim), settings(journals.path().to_path_buf()));
    let stop = app.stop_handle();
    let (base, shutdown, server) = serve(app).await;
    Harness {
        sim,
        base,
        http: reqwest::Client::new(),
        journals,
        shutdown: Some(shutdown),
        server,
        stop,
    }
}

impl Harness {
    /// Shuts the service down (its bulk jobs are stopped; it returns once they end) and
    /// starts a new one on the same journals, as a deploy would.
    async fn restart(&mut self, settings: Settings, before_end: impl AsyncFnOnce(&Self)) {
        let _ = self.shutdown.take().expect("running").send(());
        before_end(self).await;
        let old = std::mem::replace(&mut self.server, tokio::spawn(async { Ok(()) }));
        tokio::time::timeout(Duration::from_secs(60), old)
            .await
            .expect("the service ends once its jobs end")
            .expect("no panic")
            .expect("served");
        let app = App::new(registry(&self.sim), settings);
        self.stop = app.stop_handle();
        let (base, shutdown, server) = serve(app).await;
        self.base = base;
        self.shutdown = Some(shutdown);
        self.server = server;
        // A new client: the old one's pooled connections went with the old service.
        self.http = reqwest::Client::new();
    }
}

/// The answer of a cancel, read back with the service's own types.
#[derive(Debug, Deserialize)]
struct Answer {
    verdict: Verdict,
    provider: Option<Provider>,
    #[serde(flatten)]
    status: Option<CancelStatus>,
    settled_by: Option<SettledBy>,
    error: Option<ErrorAnswer>,
}

#[derive(Debug, Deserialize)]
struct ErrorAnswer {
    kind: ErrorKind,
    sent: Sent,
    reason: Option<Refusal>,
}

impl Harness {
    async fn cancel(
        &self,
        account: &str,
        id: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, Answer) {
        let mut req = self
            .http
            .post(format!("{}/orders/{account}/{id}/cancel", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("the service answers");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let answer = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, answer)
    }

    fn applied(&self, key: &str) -> u64 {
        self.sim.sim().counters().applied_count(key)
    }
}

#[tokio::test]
async fn a_cancel_answers_its_outcome() {
    let h = start().await;
    let (status, a) = h.cancel("di", DI_BOOKED, None).await;
    assert_eq!(status, 200, "{a:?}");
    assert_eq!(a.verdict, Verdict::Done);
    assert_eq!(a.provider, Some(Provider::Di));
    assert_eq!(a.status, Some(CancelStatus::Cancelled));
    assert_eq!(a.settled_by, Some(SettledBy::Answer));
    assert!(a.error.is_none());
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);

    // Some items at Skip Pay, with a body.
    let body = json!({"items": [{"code": "CASE-3", "quantity": 2}]});
    let (status, a) = h.cancel("skippay", SKIPPAY_READY, Some(body)).await;
    assert_eq!(status, 200, "{a:?}");
    assert!(
        matches!(a.status, Some(CancelStatus::PartiallyCancelled { .. })),
        "{a:?}"
    );

    // Again: nothing is sent, the answer says it was already done.
    let (status, a) = h.cancel("di", DI_BOOKED, None).await;
    assert_eq!(
        (status, a.status),
        (200, Some(CancelStatus::AlreadyCancelled))
    );
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);
}

#[tokio::test]
async fn a_refusal_is_409_with_its_reason() {
    let h = start().await;
    let (status, a) = h.cancel("di", DI_IN_TRANSIT, None).await;
    assert_eq!(status, 409, "{a:?}");
    assert_eq!(a.verdict, Verdict::Refused);
    let err = a.error.expect("an error");
    assert_eq!(err.kind, ErrorKind::NotCancellable);
    assert_eq!(err.sent, Sent::NotSent);
    assert_eq!(err.reason, Some(Refusal::InTransit));
    assert_eq!(h.applied(&format!("di:order:{DI_IN_TRANSIT}:cancel")), 0);
}

#[tokio::test]
async fn unknown_targets_accounts_and_bad_bodies() {
    let h = start().await;
    let (status, a) = h.cancel("di", "70724769999999999", None).await;
    assert_eq!((status, a.verdict), (404, Verdict::NotFound), "{a:?}");
    assert_eq!(a.error.expect("error").kind, ErrorKind::NotFound);

    let (status, a) = h.cancel("di-bergen", DI_BOOKED, None).await;
    assert_eq!((status, a.verdict), (404, Verdict::NotFound), "{a:?}");
    assert_eq!(a.provider, None);
    assert_eq!(a.error.expect("error").kind, ErrorKind::UnknownAccount);

    let body = json!({"items": [{"code": "CASE-3"}], "hold": {}});
    let (status, a) = h.cancel("skippay", SKIPPAY_READY, Some(body)).await;
    assert_eq!((status, a.verdict), (422, Verdict::Invalid), "{a:?}");
    // Arta offers no item cancel: refused before anything is sent.
    let body = json!({"items": [{"code": "X"}]});
    let session = demo::arta::SESSION_NEW.to_string();
    let (status, a) = h.cancel("arta", &session, Some(body)).await;
    assert_eq!((status, a.verdict), (422, Verdict::Invalid), "{a:?}");
    assert_eq!(a.error.expect("error").sent, Sent::NotSent);

    // An item the order does not have: refused before sending, with its reason code.
    let body = json!({"items": [{"code": "NO-SUCH-ITEM"}]});
    let (status, a) = h.cancel("skippay", SKIPPAY_READY, Some(body)).await;
    let err = a.error.expect("error");
    assert_eq!(err.reason, Some(Refusal::ItemNotFound), "{err:?}");
    assert_eq!((status, err.sent), (422, Sent::NotSent), "{err:?}");

    // Jobs: a bad name, no rows, an unknown job.
    let row = json!([{"key": "k", "account": "di", "target": DI_BOOKED}]);
    assert_eq!(h.post_job("../etc", &row).await, 422);
    assert_eq!(h.post_job("empty", &json!([])).await, 422);
    let res = h
        .http
        .get(format!("{}/bulk/nothing", h.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 0);
}

#[tokio::test]
async fn a_dropped_connection_is_settled_by_reading_back() {
    let h = start().await;
    // The provider applies the cancel, then the connection drops before any answer; so do
    // the transport's retries (a whole cancel may be repeated): only reading back can tell.
    h.sim
        .sim()
        .faults()
        .add(FaultRule::on(Operation::DiCancelOrder, FaultAction::Drop).after_apply());
    let (status, a) = h.cancel("di", DI_BOOKED, None).await;
    assert_eq!(status, 200, "{a:?}");
    assert_eq!(a.verdict, Verdict::Done);
    assert_eq!(a.status, Some(CancelStatus::Cancelled));
    assert_eq!(a.settled_by, Some(SettledBy::ReadBack));
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);
}

#[tokio::test]
async fn a_deadline_reports_unknown_then_a_new_call_settles_it() {
    let h = start().await;
    // Logged in already (a cancel of an order cancelled before), so the deadline below is
    // spent on the order's reading and the cancel itself.
    let (status, _) = h.cancel("di", demo::di::ORDER_CANCELLED, None).await;
    assert_eq!(status, 200);
    let cancels = || {
        h.sim
            .sim()
            .counters()
            .get(Operation::DiCancelOrder)
            .requests()
    };
    let cancels_before = cancels();
    // The provider keeps the cancel without answering; it applies it after the client gave up.
    h.sim.sim().faults().add(
        FaultRule::on(Operation::DiCancelOrder, FaultAction::Hold)
            .apply_late()
            .times(1),
    );
    let (status, a) = h
        .cancel("di", DI_BOOKED, Some(json!({"timeout_ms": 2000})))
        .await;
    assert_eq!(status, 202, "{a:?}");
    assert_eq!(a.verdict, Verdict::Unknown);
    let err = a.error.expect("an error");
    assert_eq!((err.kind, err.sent), (ErrorKind::Timeout, Sent::MaybeSent));
    assert_eq!(err.reason, None);

    // The client gave up (its connection closed); the provider applies the cancel now.
    tokio::time::timeout(
        Duration::from_secs(30),
        h.sim
            .sim()
            .wait_held(|held| held.len() == 1 && !held[0].client_waiting),
    )
    .await
    .expect("the held request's client gives up");
    let id = h.sim.sim().held()[0].id;
    h.sim.sim().apply_held(id).await.expect("applied");
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);

    // A new call settles it: the order is cancelled, and nothing is sent twice.
    let (status, a) = h.cancel("di", DI_BOOKED, None).await;
    assert_eq!(status, 200, "{a:?}");
    assert_eq!(a.status, Some(CancelStatus::AlreadyCancelled));
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);
    assert_eq!(cancels() - cancels_before, 1, "the cancel was sent once");
}

/// `GET /bulk/{job}`, read back with the SDK's typed outcome.
#[derive(Debug, Deserialize)]
struct JobView {
    state: String,
    total: usize,
    all_done: bool,
    needs_person: usize,
    already_done: Option<AlreadyDone>,
    rows: Vec<JobRow>,
}

#[derive(Debug, Deserialize)]
struct AlreadyDone {
    rows: usize,
}

#[derive(Debug, Deserialize)]
struct JobRow {
    key: Option<String>,
    outcome: Outcome,
    status: Option<String>,
    kind: Option<ErrorKind>,
    earlier_run: bool,
}

impl Harness {
    async fn post_job(&self, job: &str, rows: &serde_json::Value) -> u16 {
        self.http
            .post(format!("{}/bulk", self.base))
            .json(&json!({"job": job, "rows": rows}))
            .send()
            .await
            .expect("the service answers")
            .status()
            .as_u16()
    }

    async fn finished_job(&self, job: &str) -> JobView {
        let res = self
            .http
            .get(format!("{}/bulk/{job}?wait_ms=60000", self.base))
            .send()
            .await
            .expect("the service answers");
        assert_eq!(res.status().as_u16(), 200);
        let view: JobView = res.json().await.expect("a job view");
        assert_eq!(view.state, "finished", "{view:?}");
        view
    }
}

fn by_key(view: &JobView) -> BTreeMap<&str, &JobRow> {
    view.rows
        .iter()
        .map(|r| (r.key.as_deref().expect("every row has its key"), r))
        .collect()
}

#[tokio::test]
async fn a_bulk_job_fed_from_code_and_its_rerun_send_nothing_twice() {
    let h = start().await;
    let rows = json!([
        {"key": "order-1001", "account": "arta", "target": demo::arta::SESSION_NEW.to_string()},
        {"key": "order-1002", "account": "di", "target": DI_BOOKED},
        {"key": "order-1003", "account": "skippay", "target": SKIPPAY_READY,
         "action": "cancel_items", "items": [{"code": "CASE-3", "quantity": 1}]},
        {"key": "order-1004", "account": "di", "target": DI_IN_TRANSIT},
    ]);
    assert_eq!(h.post_job("stockout", &rows).await, 202);
    let view = h.finished_job("stockout").await;
    assert_eq!((view.total, view.needs_person), (4, 1), "{view:?}");
    let rows_by_key = by_key(&view);
    for key in ["order-1001", "order-1002", "order-1003"] {
        assert_eq!(rows_by_key[key].outcome, Outcome::Done, "{key}: {view:?}");
        assert!(!rows_by_key[key].earlier_run);
    }
    assert_eq!(
        rows_by_key["order-1002"].status.as_deref(),
        Some("cancelled")
    );
    assert_eq!(rows_by_key["order-1004"].outcome, Outcome::Refused);
    assert_eq!(
        rows_by_key["order-1004"].kind,
        Some(ErrorKind::NotCancellable)
    );
    let after_first = h.sim.sim().counters().snapshot();
    assert_eq!(after_first.applied.values().sum::<u64>(), 3);

    // The same job again: every row is final in its journal, nothing is sent, not even a read.
    assert_eq!(h.post_job("stockout", &rows).await, 202);
    let again = h.finished_job("stockout").await;
    assert!(again.rows.iter().all(|r| r.earlier_run), "{again:?}");
    assert_eq!(
        again.already_done.as_ref().map(|d| d.rows),
        Some(3),
        "{again:?}"
    );
    assert_eq!(h.sim.sim().counters().snapshot(), after_first);

    // The job with one more row: only that row is sent.
    let mut more = rows.as_array().expect("rows").clone();
    more.push(json!({"key": "order-1005", "account": "di", "target": DI_PICKUP}));
    assert_eq!(h.post_job("stockout", &json!(more)).await, 202);
    let third = h.finished_job("stockout").await;
    let third_by_key = by_key(&third);
    assert_eq!(third_by_key["order-1005"].outcome, Outcome::Done);
    assert!(!third_by_key["order-1005"].earlier_run);
    assert!(!third.all_done); // order-1004 stays refused
    let applied = h.sim.sim().counters().snapshot().applied;
    let mut expected = after_first.applied.clone();
    expected.insert(format!("di:order:{DI_PICKUP}:cancel"), 1);
    assert_eq!(applied, expected, "only the new row was applied");
}

#[tokio::test]
async fn a_shutdown_stops_a_job_and_the_restarted_service_finishes_it() {
    // One Di row at a time, so the second row waits behind the first.
    let settings = |dir| Settings::new(dir).bulk(rescind::bulk::Options::default().concurrency(1));
    let mut h = start_with(settings).await;
    // The first cancel is kept by the provider, unanswered, until the test applies it.
    h.sim.sim().faults().add(
        FaultRule::on(Operation::DiCancelOrder, FaultAction::Hold)
            .apply_late()
            .times(1),
    );
    let rows = json!([
        {"key": "order-2001", "account": "di", "target": DI_BOOKED},
        {"key": "order-2002", "account": "di", "target": DI_PICKUP},
    ]);
    assert_eq!(h.post_job("deploy", &rows).await, 202);
    tokio::time::timeout(
        Duration::from_secs(30),
        h.sim
            .sim()
            .wait_held(|held| held.len() == 1 && held[0].client_waiting),
    )
    .await
    .expect("the first row's cancel is in flight");

    // While it runs, the same job cannot start twice (two runs could send a row twice).
    assert_eq!(h.post_job("deploy", &rows).await, 409);

    // Shut down while that row is in flight: it finishes.
    let dir = h.journals.path().to_path_buf();
    h.restart(settings(dir), async |h: &Harness| {
        // The jobs are told to stop before the provider answers.
        h.stop.stopped().await;
        let id = h.sim.sim().held()[0].id;
        h.sim.sim().apply_held(id).await.expect("applied");
    })
    .await;
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);
    // The second row waited for the only call place when the stop came: it is not sent
    // (`Stop` promises no new request after a stop), and the rerun sends it.
    assert_eq!(h.applied(&format!("di:order:{DI_PICKUP}:cancel")), 0);

    // The restarted service knows no job; posting it again resumes from its journal.
    let res = h
        .http
        .get(format!("{}/bulk/deploy", h.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(h.post_job("deploy", &rows).await, 202);
    let view = h.finished_job("deploy").await;
    assert!(view.all_done, "{view:?}");
    let rows_by_key = by_key(&view);
    assert!(rows_by_key["order-2001"].earlier_run, "{view:?}");
    assert_eq!(h.applied(&format!("di:order:{DI_BOOKED}:cancel")), 1);
    assert_eq!(h.applied(&format!("di:order:{DI_PICKUP}:cancel")), 1);
}
