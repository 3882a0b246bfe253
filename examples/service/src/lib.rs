//! **rescind-example-service**: a small backend service a shop team would write on rescind
//! (not published; built and tested in CI against the simulator).
//!
//! | route | what it does |
//! |---|---|
//! | `POST /orders/{account}/{id}/cancel` | cancels (or holds) one target through the [`Registry`], answers the outcome as JSON ([`cancel`]) |
//! | `POST /bulk` | starts a background [`rescind::bulk`] job fed from code, rows keyed by the caller's ids ([`jobs`]) |
//! | `GET /bulk/{job}` | the job's state and typed results; `?wait_ms=N` waits up to N ms for the end |
//!
//! The service branches on enums only ([`rescind::ErrorKind`], [`rescind::Sent`],
//! [`rescind::CancelStatus`], [`rescind::SettledBy`], [`rescind::bulk::Outcome`]): no `Any`
//! downcast, no string comparison of statuses, no matching of messages.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use rescind_example_service::{App, Settings, accounts::Accounts};
//!
//! let registry = Accounts::from_env()?.registry()?; // clients built in code
//! let app = App::new(registry, Settings::new(std::env::temp_dir().join("rescind-jobs")));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! app.serve(listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod accounts;
pub mod cancel;
pub mod jobs;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use rescind::Registry;
use rescind::bulk::Stop;
use tokio::net::TcpListener;

/// How the service runs its cancels and jobs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// The deadline of one cancel when the request does not ask for a shorter one: every
    /// request the cancel sends, read-backs included, ends within it. Default 20 s.
    pub cancel_timeout: Duration,
    /// Where the bulk jobs' journals live (`<job>.journal.jsonl`).
    pub journal_dir: PathBuf,
    /// The options of every bulk run (concurrency, in-flight horizon...).
    pub bulk: rescind::bulk::Options,
}

impl Settings {
    /// Default settings, with the jobs' journals in `journal_dir`.
    pub fn new(journal_dir: impl Into<PathBuf>) -> Self {
        Settings {
            cancel_timeout: Duration::from_secs(20),
            journal_dir: journal_dir.into(),
            bulk: rescind::bulk::Options::default(),
        }
    }

    /// Sets the default deadline of one cancel.
    pub fn cancel_timeout(mut self, timeout: Duration) -> Self {
        self.cancel_timeout = timeout;
        self
    }

    /// Sets the options of the bulk runs.
    pub fn bulk(mut self, options: rescind::bulk::Options) -> Self {
        self.bulk = options;
        self
    }
}

/// The service: its accounts, settings and bulk jobs. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) registry: Registry,
    pub(crate) settings: Settings,
    pub(crate) jobs: Mutex<HashMap<String, Arc<jobs::Job>>>,
    /// Handed to every bulk runner: set off on shutdown, rows in flight finish and the
    /// others stay pending for the next run.
    pub(crate) stop: Stop,
}

impl App {
    /// A service over the accounts of `registry`.
    pub fn new(registry: Registry, settings: Settings) -> Self {
        App {
            inner: Arc::new(Inner {
                registry,
                settings,
                jobs: Mutex::new(HashMap::new()),
                stop: Stop::default(),
            }),
        }
    }

    /// The routes, with the service as their state.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/orders/{account}/{id}/cancel", post(cancel::cancel_order))
            .route("/bulk", post(jobs::start_job))
            .route("/bulk/{job}", get(jobs::job_status))
            .with_state(self.clone())
    }

    /// The shutdown signal handed to every bulk job: [`Stop::stop`] lets the rows in flight
    /// finish and leaves the others for the next run of the same job.
    pub fn stop_handle(&self) -> Stop {
        self.inner.stop.clone()
    }

    /// Serves on `listener` until `shutdown` completes; then stops the bulk jobs (rows in
    /// flight finish, their journals are kept) and waits for them and for requests in flight.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = self.stop_handle();
        let router = self.router();
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                stop.stop();
            })
            .await?;
        self.wait_for_jobs().await;
        Ok(())
    }

    /// Waits until no bulk job is running.
    pub async fn wait_for_jobs(&self) {
        let jobs: Vec<Arc<jobs::Job>> = self
            .inner
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for job in jobs {
            job.wait(None).await;
        }
    }
}
