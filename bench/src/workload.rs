//! The end-to-end workloads: one Arta hosted-session cancel, made through rescind and by hand
//! with bare reqwest, against the [minimal server](crate::server).
//!
//! A cancel through rescind is what `Canceller::cancel(CancelRequest::whole(id))` does at
//! Arta: read the session (`GET /hosted_sessions/{id}`), and since it is not cancelled, cancel
//! it (`PATCH /hosted_sessions/{id}/cancel`), each answer decoded into the typed model.
//! The baseline sends the same two requests with the same headers (`Authorization`,
//! `User-Agent`, `Accept`) through one `reqwest::Client`, reads each body and decodes it as a
//! `serde_json::Value` to check its `status`: what a hand-written client would do.
//!
//! The Di and Skip Pay workloads compare each client under [`Policy::ChangeFirst`] (one
//! request per whole cancel, logins apart) with bare reqwest sending that same request:
//!
//! - Di: `DELETE /ws/json/parcel/booking/v-1/order/cancel/{id}` with `Authorization: Bearer`,
//!   `Content-Type: application/json`, `User-Agent`, `Accept`; a 2xx is success (Di documents
//!   no success body; the body is read and dropped);
//! - Skip Pay: `PUT /financing/v1/applications/{id}/order/cancel` with the body `{}`
//!   (`Content-Type: application/json; charset=utf-8`), the answer decoded as a
//!   `serde_json::Value` whose `applicationInfo.id` must be the id asked for and `state`
//!   `CANCELLED`.
//!
//! Under [`Policy::CheckFirst`] (the `*-check` workloads) each side reads the target first:
//! Di's `GET /ws/json/parcel/booking/v-1/details/{id}` (the baseline checks `ediStatus`, the
//! pick-up and the desired delivery date against today), Skip Pay's
//! `GET /financing/v1/applications/{id}` (the baseline checks the id, `READY` and the order's
//! state), then sends the cancel above.
//!
//! Each side logs in once (the baseline: on its first call, keeping the token in a
//! `OnceCell`; rescind: its token cache), during the untimed warm-up, so the timed calls are
//! cancels only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::{HeaderValue, header};
use rescind::{CancelRequest, CancelStatus, Canceller, Registry};
use rescind_core::Policy;
use tokio::sync::OnceCell;

use crate::{fixtures, measure};

/// Which client makes the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `rescind_arta::Client` through the `Canceller` trait.
    Client,
    /// The facade: `rescind::Registry::cancel("bench", ..)` over an `Arc<dyn Canceller>`.
    Facade,
    /// Bare `reqwest::Client`: the same two requests by hand.
    Reqwest,
    /// [`Workload::Reqwest`] with a 30 s timeout on each request, as rescind's transport sets
    /// by default: the like-for-like baseline, to show what the timeout itself costs.
    ReqwestTimeout,
    /// The server's ceiling: bare reqwest sending only the read, body read but not decoded.
    Ceiling,
    /// `rescind_di::Client` (change-first) through the `Canceller` trait: a Di whole cancel.
    DiClient,
    /// Bare reqwest sending the Di cancel by hand.
    DiReqwest,
    /// [`Workload::DiReqwest`] with rescind's 30 s per-request timeout.
    DiReqwestTimeout,
    /// `rescind_skippay::Client` (change-first) through the `Canceller` trait: a Skip Pay whole
    /// cancel.
    SkipPayClient,
    /// Bare reqwest sending the Skip Pay order cancel by hand.
    SkipPayReqwest,
    /// [`Workload::SkipPayReqwest`] with rescind's 30 s per-request timeout.
    SkipPayReqwestTimeout,
    /// `rescind_di::Client` under [`Policy::CheckFirst`]: the order read, then the cancel.
    DiClientCheckFirst,
    /// Bare reqwest reading the Di order, then cancelling it.
    DiReqwestCheckFirst,
    /// [`Workload::DiReqwestCheckFirst`] with rescind's 30 s per-request timeout.
    DiReqwestCheckFirstTimeout,
    /// `rescind_skippay::Client` under [`Policy::CheckFirst`]: the application read, then
    /// the order cancel.
    SkipPayClientCheckFirst,
    /// Bare reqwest reading the Skip Pay application, then cancelling its order.
    SkipPayReqwestCheckFirst,
    /// [`Workload::SkipPayReqwestCheckFirst`] with rescind's 30 s per-request timeout.
    SkipPayReqwestCheckFirstTimeout,
}

/// Every workload.
pub const ALL: [Workload; 17] = [
    Workload::Client,
    Workload::Facade,
    Workload::Reqwest,
    Workload::ReqwestTimeout,
    Workload::Ceiling,
    Workload::DiClient,
    Workload::DiReqwest,
    Workload::DiReqwestTimeout,
    Workload::SkipPayClient,
    Workload::SkipPayReqwest,
    Workload::SkipPayReqwestTimeout,
    Workload::DiClientCheckFirst,
    Workload::DiReqwestCheckFirst,
    Workload::DiReqwestCheckFirstTimeout,
    Workload::SkipPayClientCheckFirst,
    Workload::SkipPayReqwestCheckFirst,
    Workload::SkipPayReqwestCheckFirstTimeout,
];

/// The provider API a bare caller with a login speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Di: `DELETE .../order/cancel/{id}`.
    Di,
    /// Skip Pay: `PUT .../applications/{id}/order/cancel` with `{}`.
    SkipPay,
}

impl Workload {
    /// The name used on the command line of the measuring child process.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Client => "client",
            Workload::Facade => "facade",
            Workload::Reqwest => "reqwest",
            Workload::ReqwestTimeout => "reqwest-timeout",
            Workload::Ceiling => "ceiling",
            Workload::DiClient => "di-client",
            Workload::DiReqwest => "di-reqwest",
            Workload::DiReqwestTimeout => "di-reqwest-timeout",
            Workload::SkipPayClient => "skippay-client",
            Workload::SkipPayReqwest => "skippay-reqwest",
            Workload::SkipPayReqwestTimeout => "skippay-reqwest-timeout",
            Workload::DiClientCheckFirst => "di-client-check",
            Workload::DiReqwestCheckFirst => "di-reqwest-check",
            Workload::DiReqwestCheckFirstTimeout => "di-reqwest-check-timeout",
            Workload::SkipPayClientCheckFirst => "skippay-client-check",
            Workload::SkipPayReqwestCheckFirst => "skippay-reqwest-check",
            Workload::SkipPayReqwestCheckFirstTimeout => "skippay-reqwest-check-timeout",
        }
    }

    /// The workload named `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        ALL.into_iter().find(|w| w.name() == name)
    }
}

/// A client ready to make calls of one workload. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Caller {
    /// See [`Workload::Client`].
    Client(rescind_arta::Client),
    /// See [`Workload::Facade`].
    Facade(Arc<Registry>),
    /// See [`Workload::Reqwest`], [`Workload::ReqwestTimeout`] and [`Workload::Ceiling`].
    Bare {
        /// The client.
        client: reqwest::Client,
        /// The base URL, without a trailing `/`.
        base: Arc<str>,
        /// `ARTA_APIKey <key>`.
        authorization: HeaderValue,
        /// Whether to send only the read (the ceiling).
        read_only: bool,
        /// A timeout set on each request.
        timeout: Option<Duration>,
    },
    /// See [`Workload::DiClient`].
    Di(rescind_di::Client),
    /// See [`Workload::SkipPayClient`].
    SkipPay(rescind_skippay::Client),
    /// See [`Workload::DiReqwest`] and [`Workload::SkipPayReqwest`].
    BareLogin {
        /// The client.
        client: reqwest::Client,
        /// The base URL, without a trailing `/`.
        base: Arc<str>,
        /// Which provider's cancel it sends.
        api: Api,
        /// `Bearer <token>`, from the one login.
        token: Arc<OnceCell<HeaderValue>>,
        /// A timeout set on each request.
        timeout: Option<Duration>,
        /// Whether to read the target first and cancel only what the reading allows (the
        /// baseline of [`Policy::CheckFirst`]); `Some` holds today's date (UTC,
        /// `YYYY-MM-DD`), against which Di's desired delivery date is checked.
        read_first: Option<Arc<str>>,
    },
}

impl Caller {
    /// Builds the client of `workload` for the server at `base` (`http://127.0.0.1:PORT`),
    /// allowing `concurrency` calls in flight (rescind's Arta client queues beyond its limit,
    /// 15 by default, so the benchmark raises it to the concurrency it runs at).
    pub fn new(workload: Workload, base: &str, concurrency: usize) -> Result<Caller, String> {
        let arta = || {
            rescind_arta::Client::builder()
                .api_key(fixtures::ARTA_KEY)
                .base_url(base)
                .max_concurrency(concurrency)
                // The minimal server has no rate limit: the figures measure the client.
                .without_rate_limit()
                .build()
                .map_err(|e| e.to_string())
        };
        let timeout = matches!(
            workload,
            Workload::ReqwestTimeout
                | Workload::DiReqwestTimeout
                | Workload::SkipPayReqwestTimeout
                | Workload::DiReqwestCheckFirstTimeout
                | Workload::SkipPayReqwestCheckFirstTimeout
        )
        .then(|| rescind_core::TransportConfig::default().attempt_timeout);
        // Di and Skip Pay document no rate or concurrency limit, and their clients set none by
        // default: they are measured as built by default, like the baseline, with no limit
        // (until session 7 they were given a limit equal to the concurrency, which never
        // made a call wait but took and gave back a place on every call).
        let config = rescind_core::TransportConfig::default();
        let (user, password) = fixtures::LOGIN;
        let today: Arc<str> = rescind_core::jiff::Timestamp::now()
            .to_zoned_datetime(rescind_core::jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
            .into();
        let bare_login = |api, read_first: bool| Caller::BareLogin {
            client: reqwest::Client::new(),
            base: base.trim_end_matches('/').into(),
            api,
            token: Arc::new(OnceCell::new()),
            timeout,
            read_first: read_first.then(|| today.clone()),
        };
        let di = |policy| {
            rescind_di::Client::builder()
                .base_url(base)
                .credentials(rescind_di::Credentials::new(user, password))
                .config(config.clone())
                .policy(policy)
                .build()
                .map_err(|e| e.to_string())
        };
        let skippay = |policy| {
            rescind_skippay::Client::builder()
                .base_url(base)
                .credentials(rescind_skippay::Credentials::new(user, password))
                .config(config.clone())
                .policy(policy)
                .build()
                .map_err(|e| e.to_string())
        };
        Ok(match workload {
            Workload::DiClient => Caller::Di(di(Policy::ChangeFirst)?),
            Workload::DiClientCheckFirst => Caller::Di(di(Policy::CheckFirst)?),
            Workload::SkipPayClient => Caller::SkipPay(skippay(Policy::ChangeFirst)?),
            Workload::SkipPayClientCheckFirst => Caller::SkipPay(skippay(Policy::CheckFirst)?),
            Workload::DiReqwest | Workload::DiReqwestTimeout => bare_login(Api::Di, false),
            Workload::SkipPayReqwest | Workload::SkipPayReqwestTimeout => {
                bare_login(Api::SkipPay, false)
            }
            Workload::DiReqwestCheckFirst | Workload::DiReqwestCheckFirstTimeout => {
                bare_login(Api::Di, true)
            }
            Workload::SkipPayReqwestCheckFirst | Workload::SkipPayReqwestCheckFirstTimeout => {
                bare_login(Api::SkipPay, true)
            }
            Workload::Client => Caller::Client(arta()?),
            Workload::Facade => {
                let mut registry = Registry::new();
                registry
                    .insert("bench", Arc::new(arta()?))
                    .map_err(|e| e.to_string())?;
                Caller::Facade(Arc::new(registry))
            }
            Workload::Reqwest | Workload::ReqwestTimeout | Workload::Ceiling => Caller::Bare {
                client: reqwest::Client::new(),
                base: base.trim_end_matches('/').into(),
                authorization: HeaderValue::from_str(&format!(
                    "ARTA_APIKey {}",
                    fixtures::ARTA_KEY
                ))
                .map_err(|e| e.to_string())?,
                read_only: workload == Workload::Ceiling,
                timeout,
            },
        })
    }

    /// Makes one call for session `id`; an answer other than the expected one is an error.
    pub async fn call(&self, id: u64) -> Result<(), String> {
        let status = match self {
            Caller::Client(client) => {
                client
                    .cancel(CancelRequest::whole(id.to_string()))
                    .await
                    .map_err(|e| e.to_string())?
                    .status
            }
            Caller::Di(client) => {
                client
                    .cancel(CancelRequest::whole(id.to_string()))
                    .await
                    .map_err(|e| e.to_string())?
                    .status
            }
            Caller::SkipPay(client) => {
                client
                    .cancel(CancelRequest::whole(id.to_string()))
                    .await
                    .map_err(|e| e.to_string())?
                    .status
            }
            Caller::BareLogin {
                client,
                base,
                api,
                token,
                timeout,
                read_first,
            } => {
                return bare_login_cancel(
                    client,
                    base,
                    *api,
                    token,
                    *timeout,
                    read_first.as_deref(),
                    id,
                )
                .await;
            }
            Caller::Facade(registry) => {
                registry
                    .cancel("bench", CancelRequest::whole(id.to_string()))
                    .await
                    .map_err(|e| e.to_string())?
                    .status
            }
            Caller::Bare {
                client,
                base,
                authorization,
                read_only,
                timeout,
            } => {
                let read = bare(
                    authorization,
                    *timeout,
                    client.get(format!("{base}/hosted_sessions/{id}")),
                );
                if *read_only {
                    let resp = read.send().await.map_err(|e| e.to_string())?;
                    if !resp.status().is_success() {
                        return Err(format!("HTTP {}", resp.status()));
                    }
                    resp.bytes().await.map_err(|e| e.to_string())?;
                    return Ok(());
                }
                let session = bare_json(read).await?;
                if session["status"] == "cancelled" {
                    return Ok(());
                }
                let cancel = bare(
                    authorization,
                    *timeout,
                    client.patch(format!("{base}/hosted_sessions/{id}/cancel")),
                );
                let session = bare_json(cancel).await?;
                if session["status"] != "cancelled" {
                    return Err(format!("the session reads {}", session["status"]));
                }
                return Ok(());
            }
        };
        if status == CancelStatus::Cancelled {
            Ok(())
        } else {
            Err(format!("expected cancelled, got {status:?}"))
        }
    }
}

fn bare(
    authorization: &HeaderValue,
    timeout: Option<Duration>,
    builder: reqwest::RequestBuilder,
) -> reqwest::RequestBuilder {
    let builder = match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    };
    builder
        .header(header::AUTHORIZATION, authorization.clone())
        .header(header::USER_AGENT, rescind_core::USER_AGENT)
        .header(header::ACCEPT, "application/json")
}

/// The Di or Skip Pay cancel by hand, logging in on the first call; with `read_first`
/// (today's date), the target is read first and cancelled only when the reading allows it.
async fn bare_login_cancel(
    client: &reqwest::Client,
    base: &str,
    api: Api,
    token: &OnceCell<HeaderValue>,
    timeout: Option<Duration>,
    read_first: Option<&str>,
    id: u64,
) -> Result<(), String> {
    let authorization = token
        .get_or_try_init(|| bare_login(client, base, api))
        .await?;
    if let Some(today) = read_first {
        bare_read_first(client, base, api, authorization, timeout, today, id).await?;
    }
    match api {
        Api::Di => {
            let cancel = bare(
                authorization,
                timeout,
                client.delete(format!(
                    "{base}/ws/json/parcel/booking/v-1/order/cancel/{id}"
                )),
            )
            .header(header::CONTENT_TYPE, "application/json");
            let resp = cancel.send().await.map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!("HTTP {}", resp.status()));
            }
            resp.bytes().await.map_err(|e| e.to_string())?;
            Ok(())
        }
        Api::SkipPay => {
            let cancel = bare(
                authorization,
                timeout,
                client.put(format!(
                    "{base}/financing/v1/applications/{id}/order/cancel"
                )),
            )
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body("{}");
            let order = bare_json(cancel).await?;
            if order["applicationInfo"]["id"] != id.to_string().as_str() {
                return Err(format!(
                    "the answer is about application {}",
                    order["applicationInfo"]["id"]
                ));
            }
            if order["state"] != "CANCELLED" {
                return Err(format!("the order reads {}", order["state"]));
            }
            Ok(())
        }
    }
}

/// The read of a check-first cancel by hand: what a hand-written client checks before
/// cancelling. Di: the order's `ediStatus` is not `CANCELLED`, it is not a pick-up, and its
/// desired delivery date is after today (Di counts a shipment in transit from the day before).
/// Skip Pay: the application is the one asked for, `READY`, and its order not `CANCELLED`.
async fn bare_read_first(
    client: &reqwest::Client,
    base: &str,
    api: Api,
    authorization: &HeaderValue,
    timeout: Option<Duration>,
    today: &str,
    id: u64,
) -> Result<(), String> {
    match api {
        Api::Di => {
            let order = bare_json(bare(
                authorization,
                timeout,
                client.get(format!("{base}/ws/json/parcel/booking/v-1/details/{id}")),
            ))
            .await?;
            if order["ediStatus"] == "CANCELLED" {
                return Err("the order is cancelled already".into());
            }
            if !order["pickupDetails"].is_null() {
                return Err("a pick-up shipment".into());
            }
            match order["desiredDeliveryDate"].as_str() {
                Some(date) if date > today => Ok(()),
                other => Err(format!(
                    "the order is in transit (desired delivery {other:?})"
                )),
            }
        }
        Api::SkipPay => {
            let app = bare_json(bare(
                authorization,
                timeout,
                client.get(format!("{base}/financing/v1/applications/{id}")),
            ))
            .await?;
            if app["id"] != id.to_string().as_str() {
                return Err(format!("the read is about application {}", app["id"]));
            }
            if app["state"] != "READY" || app["order"]["state"] == "CANCELLED" {
                return Err(format!(
                    "the application reads {} (order {})",
                    app["state"], app["order"]["state"]
                ));
            }
            Ok(())
        }
    }
}

/// The one login of a bare caller: its `Authorization` value.
async fn bare_login(client: &reqwest::Client, base: &str, api: Api) -> Result<HeaderValue, String> {
    let (user, password) = fixtures::LOGIN;
    let body = serde_json::json!({ "username": user, "password": password }).to_string();
    let (url, field) = match api {
        Api::Di => (format!("{base}/ws/json/auth/v-3/login/1440"), "token"),
        Api::SkipPay => (format!("{base}/authentication/v1/partner"), "accessToken"),
    };
    let answer = bare_json(
        client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, rescind_core::USER_AGENT)
            .header(header::ACCEPT, "application/json")
            .body(body),
    )
    .await?;
    let token = answer[field]
        .as_str()
        .ok_or_else(|| format!("the login answer has no `{field}`"))?;
    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())
}

async fn bare_json(builder: reqwest::RequestBuilder) -> Result<serde_json::Value, String> {
    let resp = builder.send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// Makes `calls` calls with at most `concurrency` in flight, after `warmup` calls that are
/// not timed (connections opened, pools filled). Returns the wall time of the timed calls,
/// and the process's CPU time over them (zero where unknown).
/// Session ids cycle through 1..=1000. The first failure stops the run.
pub async fn run(
    caller: &Caller,
    warmup: u64,
    calls: u64,
    concurrency: usize,
) -> Result<(Duration, Duration), String> {
    drive(caller, warmup, concurrency).await?;
    let cpu = measure::process_cpu();
    let start = Instant::now();
    drive(caller, calls, concurrency).await?;
    let elapsed = start.elapsed();
    let cpu = match (cpu, measure::process_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => Duration::ZERO,
    };
    Ok((elapsed, cpu))
}

/// Sequential calls of several callers in one process, in alternating blocks: `blocks`
/// rounds, each making `per_block` calls with every caller (the order rotating from round to
/// round), after `warmup` untimed calls each. Returns each caller's wall time and process CPU
/// time (zero where unknown) per block: only one caller runs at a time, so a block's CPU time
/// is its caller's. A drift in the machine's speed falls on every caller alike, at the scale
/// of a block.
pub async fn alternating(
    callers: &[Caller],
    warmup: u64,
    blocks: usize,
    per_block: u64,
) -> Result<Vec<Vec<(Duration, Duration)>>, String> {
    for caller in callers {
        drive(caller, warmup, 1).await?;
    }
    let mut times = vec![Vec::with_capacity(blocks); callers.len()];
    for round in 0..blocks {
        for k in 0..callers.len() {
            let i = (round + k) % callers.len();
            let cpu = measure::process_cpu();
            let start = Instant::now();
            drive(&callers[i], per_block, 1).await?;
            let elapsed = start.elapsed();
            let cpu = match (cpu, measure::process_cpu()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => Duration::ZERO,
            };
            times[i].push((elapsed, cpu));
        }
    }
    Ok(times)
}

async fn drive(caller: &Caller, calls: u64, concurrency: usize) -> Result<(), String> {
    if concurrency <= 1 {
        for i in 0..calls {
            caller.call(i % 1000 + 1).await?;
        }
        return Ok(());
    }
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let caller = caller.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    return Ok::<(), String>(());
                }
                caller.call(i % 1000 + 1).await?;
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn every_workload_cancels_against_the_minimal_server() {
        runtime().block_on(async {
            let addr = crate::server::start().await.unwrap();
            let base = format!("http://{addr}");
            for w in ALL {
                let caller = Caller::new(w, &base, 4).unwrap();
                run(&caller, 1, 20, 4).await.unwrap();
                run(&caller, 0, 3, 1).await.unwrap();
                assert_eq!(Workload::from_name(w.name()), Some(w));
            }
            let callers = [
                Caller::new(Workload::Client, &base, 1).unwrap(),
                Caller::new(Workload::Reqwest, &base, 1).unwrap(),
            ];
            let times = alternating(&callers, 2, 3, 4).await.unwrap();
            assert_eq!(times.len(), 2);
            assert!(
                times
                    .iter()
                    .all(|t| t.len() == 3 && t.iter().all(|(wall, _)| !wall.is_zero()))
            );
        });
    }

    /// Each comparison's two sides send the same requests: per cancel, after one login,
    /// Arta two (read, change), Di and Skip Pay one change (change-first) or a read and a
    /// change (check-first).
    #[test]
    fn each_baseline_sends_the_requests_of_the_client_it_is_compared_with() {
        runtime().block_on(async {
            let (addr, counts) = crate::server::start_counting().await.unwrap();
            let base = format!("http://{addr}");
            let cases = [
                (Workload::Client, 0, 1),
                (Workload::Facade, 0, 1),
                (Workload::Reqwest, 0, 1),
                (Workload::DiClient, 1, 0),
                (Workload::DiReqwest, 1, 0),
                (Workload::DiReqwestTimeout, 1, 0),
                (Workload::SkipPayClient, 1, 0),
                (Workload::SkipPayReqwest, 1, 0),
                (Workload::SkipPayReqwestTimeout, 1, 0),
                (Workload::DiClientCheckFirst, 1, 1),
                (Workload::DiReqwestCheckFirst, 1, 1),
                (Workload::DiReqwestCheckFirstTimeout, 1, 1),
                (Workload::SkipPayClientCheckFirst, 1, 1),
                (Workload::SkipPayReqwestCheckFirst, 1, 1),
                (Workload::SkipPayReqwestCheckFirstTimeout, 1, 1),
            ];
            for (w, logins, reads_per_cancel) in cases {
                let caller = Caller::new(w, &base, 8).unwrap();
                let before = counts.get();
                run(&caller, 3, 40, 8).await.unwrap();
                run(&caller, 0, 7, 1).await.unwrap();
                let after = counts.get();
                let cancels = 3 + 40 + 7;
                assert_eq!(after.0 - before.0, logins, "{} logins", w.name());
                assert_eq!(
                    after.1 - before.1,
                    reads_per_cancel * cancels,
                    "{} reads",
                    w.name()
                );
                assert_eq!(after.2 - before.2, cancels, "{} changes", w.name());
                assert_eq!(after.3, 0, "{}: no 401 or 404", w.name());
            }
        });
    }

    #[test]
    fn a_wrong_key_fails_the_run() {
        runtime().block_on(async {
            let addr = crate::server::start().await.unwrap();
            let caller = Caller::Bare {
                client: reqwest::Client::new(),
                base: format!("http://{addr}").into(),
                authorization: HeaderValue::from_static("ARTA_APIKey wrong"),
                read_only: false,
                timeout: None,
            };
            let err = run(&caller, 0, 5, 2).await.unwrap_err();
            assert!(err.contains("401"), "{err}");
        });
    }
}
