//! Bulk jobs: `POST /bulk` starts a background [`rescind::bulk`] run fed from code, `GET
//! /bulk/{job}` shows it.
//!
//! A job is named by the caller (`"stockout-2026-11-30"`) and its rows carry the caller's own
//! keys (order ids), echoed in every result. Its journal is `<journal_dir>/<job>.journal.jsonl`:
//! posting the same job again (after a crash, a deploy, or to finish rows left pending) runs it
//! again on the same journal, which carries over every row already final and settles the
//! others by reading back, so nothing is sent twice. While a job runs, a second post of it is
//! refused (409, the journal's lock).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rescind::bulk::{
    AlreadyDone, BulkError, Counts, Input, Journal, Outcome, Report, Row, RowResult, Runner,
};
use rescind::core::jiff::Timestamp;
use rescind::core::jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::App;
use crate::cancel::ItemBody;

/// The body of `POST /bulk`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    /// The job's name: 1 to 64 characters of `a-z`, `0-9`, `-` and `_`.
    pub job: String,
    /// The rows, in order.
    pub rows: Vec<RowBody>,
}

/// What a row asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionBody {
    /// Cancel the whole target.
    Cancel,
    /// Cancel some items (`items`).
    CancelItems,
    /// Hold the target (`until` optional).
    Hold,
}

/// One row of [`JobBody::rows`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowBody {
    /// The caller's key (an order id), echoed in the row's result and journal records.
    pub key: String,
    /// The account (a registry name).
    pub account: String,
    /// The target at the provider.
    pub target: String,
    /// The action; `cancel` when absent.
    #[serde(default)]
    pub action: Option<ActionBody>,
    /// For `cancel_items`: the items.
    #[serde(default)]
    pub items: Vec<ItemBody>,
    /// For `hold`: the last day.
    #[serde(default)]
    pub until: Option<Date>,
}

impl RowBody {
    fn row(&self) -> Result<Row, String> {
        let row = match self.action.unwrap_or(ActionBody::Cancel) {
            ActionBody::Cancel => Row::cancel(&self.account, &self.target),
            ActionBody::Hold => Row::hold(&self.account, &self.target, self.until),
            ActionBody::CancelItems => {
                let body = crate::cancel::CancelBody {
                    items: Some(self.items.clone()),
                    ..Default::default()
                };
                let request = body.request(&self.target)?;
                let rescind::Scope::Items(items) = request.scope else {
                    return Err("`cancel_items` needs `items`".into());
                };
                Row::cancel_items(&self.account, &self.target, items)
            }
        };
        Ok(row.with_key(&self.key))
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Rows are being sent or settled.
    Running,
    /// The run ended (every row has a result; some may need a person or a later run).
    Finished,
    /// The run ended early: the journal could not be written. A rerun settles what was sent.
    Failed,
}

/// The JSON of `GET /bulk/{job}`.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// The job's name.
    pub job: String,
    /// Where it is.
    pub state: JobState,
    /// How many rows it has.
    pub total: usize,
    /// Rows per outcome so far.
    pub counts: Counts,
    /// Whether every row is done.
    pub all_done: bool,
    /// How many rows a person should look at (refused, invalid, conflict, failed, unknown).
    pub needs_person: usize,
    /// Rows carried over from earlier runs of this job, and when they were done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_done: Option<AlreadyDoneView>,
    /// Whether a shutdown stopped the run before every row was sent (the rest is pending; post
    /// the job again).
    pub stopped: bool,
    /// Why the run failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The results so far (all of them once finished), by line.
    pub rows: Vec<RowResult>,
}

/// [`JobView::already_done`].
#[derive(Debug, Clone, Serialize)]
pub struct AlreadyDoneView {
    /// How many rows earlier runs had done.
    pub rows: usize,
    /// The earliest of their outcomes.
    pub first: Timestamp,
    /// The latest of their outcomes.
    pub last: Timestamp,
    /// For people: `3 rows already done in this journal on 2026-11-30`.
    pub text: String,
}

impl From<AlreadyDone> for AlreadyDoneView {
    fn from(done: AlreadyDone) -> Self {
        AlreadyDoneView {
            rows: done.rows,
            first: done.first,
            last: done.last,
            text: done.to_string(),
        }
    }
}

/// A job the service runs or ran.
#[derive(Debug)]
pub struct Job {
    view: Mutex<JobView>,
    finished: watch::Sender<bool>,
}

impl Job {
    fn new(name: &str, total: usize) -> Self {
        Job {
            view: Mutex::new(JobView {
                job: name.to_owned(),
                state: JobState::Running,
                total,
                counts: Counts::new(),
                all_done: false,
                needs_person: 0,
                already_done: None,
                stopped: false,
                error: None,
                rows: Vec::new(),
            }),
            finished: watch::channel(false).0,
        }
    }

    /// A copy of the job's view.
    pub fn view(&self) -> JobView {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn is_running(&self) -> bool {
        !*self.finished.borrow()
    }

    /// Waits until the job ends, or `limit` passes.
    pub async fn wait(&self, limit: Option<Duration>) {
        let mut rx = self.finished.subscribe();
        let ended = rx.wait_for(|done| *done);
        match limit {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, ended).await;
            }
            None => {
                let _ = ended.await;
            }
        }
    }

    fn progress(&self, counts: &Counts, last: &RowResult) {
        let mut view = self.view.lock().unwrap_or_else(|e| e.into_inner());
        view.counts = counts.clone();
        // One result per row: a row settled again replaces its earlier result.
        match view.rows.iter_mut().find(|r| r.line == last.line) {
            Some(r) => *r = last.clone(),
            None => view.rows.push(last.clone()),
        }
    }

    fn finish(&self, result: Result<Report, BulkError>) {
        {
            let mut view = self.view.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(report) => {
                    view.state = JobState::Finished;
                    view.counts = report.counts();
                    view.all_done = report.all_done();
                    view.needs_person = report.needs_person().count() + report.invalid_omitted;
                    view.already_done = report.already_done.map(AlreadyDoneView::from);
                    view.stopped = report.stopped;
                    view.rows = report.rows;
                }
                Err(err) => {
                    view.state = JobState::Failed;
                    view.error = Some(err.to_string());
                }
            }
        }
        self.finished.send_replace(true);
    }
}

/// The answer of `POST /bulk`: 202 with the job's URL, or an error.
#[derive(Debug, Clone, Serialize)]
pub struct StartAnswer {
    /// The job's name.
    pub job: String,
    /// Where to follow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// Why it did not start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn refuse(status: StatusCode, job: &str, error: String) -> Response {
    (
        status,
        Json(StartAnswer {
            job: job.to_owned(),
            status_url: None,
            error: Some(error),
        }),
    )
        .into_response()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The journal of `job`.
pub fn journal_path(app: &App, job: &str) -> PathBuf {
    app.inner
        .settings
        .journal_dir
        .join(format!("{job}.journal.jsonl"))
}

/// The handler of `POST /bulk`.
pub async fn start_job(State(app): State<App>, body: Bytes) -> Response {
    let body: JobBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                format!("the body is not a job: {e}"),
            );
        }
    };
    if !valid_name(&body.job) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            &body.job,
            "`job` must be 1 to 64 characters of a-z, 0-9, `-` and `_`".into(),
        );
    }
    if body.rows.is_empty() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            &body.job,
            "`rows` is empty".into(),
        );
    }
    let mut rows = Vec::with_capacity(body.rows.len());
    for (i, row) in body.rows.iter().enumerate() {
        match row.row() {
            Ok(r) => rows.push(r),
            Err(m) => {
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &body.job,
                    format!("row {} (key `{}`): {m}", i + 1, row.key),
                );
            }
        }
    }
    let input = Input::from_rows(rows);
    let total = input.rows.len() + input.invalid.len();

    let job = Arc::new(Job::new(&body.job, total));
    {
        let mut jobs = app.inner.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.get(&body.job).is_some_and(|j| j.is_running()) {
            return refuse(
                StatusCode::CONFLICT,
                &body.job,
                "this job is running: wait for it to end, then post it again".into(),
            );
        }
        jobs.insert(body.job.clone(), Arc::clone(&job));
    }

    let path = journal_path(&app, &body.job);
    let opened = {
        let input = input.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| BulkError::Journal {
                    path: dir.to_path_buf(),
                    message: e.to_string(),
                    source: Some(e),
                })?;
            }
            Journal::open(&path, &input)
        })
        .await
    };
    let journal = match opened {
        Ok(Ok(journal)) => journal,
        Ok(Err(err)) => {
            let status = if err.is_journal_locked() {
                StatusCode::CONFLICT
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let message = err.to_string();
            job.finish(Err(err));
            return refuse(status, &body.job, message);
        }
        Err(join) => {
            let message = format!("opening the journal failed: {join}");
            job.finish(Err(BulkError::Journal {
                path: journal_path(&app, &body.job),
                message: message.clone(),
                source: None,
            }));
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, &body.job, message);
        }
    };

    let runner = Runner::new(app.inner.registry.clone())
        .options(app.inner.settings.bulk.clone())
        .with_stop(app.stop_handle());
    let running = Arc::clone(&job);
    let name = body.job.clone();
    tokio::spawn(async move {
        let result = runner
            .run(input, journal, |p| {
                running.progress(p.counts, p.last);
                log_row(&name, p.last);
            })
            .await;
        running.finish(result);
    });

    (
        StatusCode::ACCEPTED,
        Json(StartAnswer {
            status_url: Some(format!("/bulk/{}", body.job)),
            job: body.job,
            error: None,
        }),
    )
        .into_response()
}

/// One log line per row, by outcome.
fn log_row(job: &str, row: &RowResult) {
    let key = row.key.as_deref().unwrap_or("");
    match row.outcome {
        Outcome::Done => tracing::info!(job, key, target = %row.target, "row done"),
        Outcome::Pending => {
            tracing::info!(job, key, target = %row.target, "row pending: the next run decides it")
        }
        other if other.needs_person() => {
            tracing::warn!(job, key, target = %row.target, outcome = %other, detail = %row.detail, "row needs a person")
        }
        other => tracing::info!(job, key, outcome = %other, "row"),
    }
}

/// The query of `GET /bulk/{job}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusQuery {
    /// Wait up to this many milliseconds for the job to end before answering (at most 60 s).
    #[serde(default)]
    pub wait_ms: Option<u64>,
}

/// The handler of `GET /bulk/{job}`: 200 with the [`JobView`], 404 for an unknown job.
pub async fn job_status(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Response {
    let job = app
        .inner
        .jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&name)
        .cloned();
    let Some(job) = job else {
        return refuse(StatusCode::NOT_FOUND, &name, "no such job".into());
    };
    if let Some(ms) = query.wait_ms {
        job.wait(Some(Duration::from_millis(ms.min(60_000)))).await;
    }
    (StatusCode::OK, Json(job.view())).into_response()
}
