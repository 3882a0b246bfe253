//! The simulator's ceiling per route: how many requests a second it serves, and its CPU per
//! request next to the client's, with bare reqwest at a given concurrency.
//!
//! ```sh
//! cargo run --release --locked -p rescind-sim --example ceiling -- [SECONDS] [CONCURRENCY...]
//! ```
//!
//! The simulator runs in a child process (this binary with `serve`), so that its CPU time and
//! the client's are measured apart (`/proc/<pid>/stat`, Linux only). It is seeded with a
//! [`Fleet`] of 20,000 targets of each kind (Arta's rate limits off) and its clock fixed at the
//! demo day. Each route is driven for SECONDS (default 3) at each CONCURRENCY (default 64 and
//! 256), every request to the next target of the fleet, so that changes (cancels, holds) land
//! on fresh targets until the fleet is used up (then they meet the provider's refusal of a
//! repeat, which is still an answer served). Printed per route and concurrency: requests a
//! second, the share of 2xx answers, and the microseconds of CPU per request of the simulator
//! (in user space and in the kernel) and of the client. Two routes read one target over and
//! over ("same one"): the simulator's answer then comes from its cache of rendered answers;
//! the others read a new target each time, so each answer is rendered once.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rescind_sim::fleet::{Fleet, application_id, di_number, session_id, shipment_id};
use rescind_sim::{Clock, Simulator};
use serde_json::{Value, json};

/// Targets of each kind in the fleet.
const TARGETS: usize = 20_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        serve();
        return;
    }
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut levels: Vec<usize> = args.iter().skip(1).filter_map(|s| s.parse().ok()).collect();
    if levels.is_empty() {
        levels = vec![64, 256];
    }
    drive(Duration::from_secs(seconds), &levels);
}

fn fleet() -> Fleet {
    Fleet::of(0)
        .with_arta_sessions(TARGETS)
        .with_arta_shipments(TARGETS)
        .with_di_orders(TARGETS)
        .with_skippay_whole(TARGETS)
}

/// The child: a simulator on a free port; prints its base URL, serves until stdin closes.
fn serve() {
    let threads = std::env::var("SIM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let now = rescind_sim::arta::DEMO_NOW.parse().expect("a timestamp");
        let running = Simulator::new()
            .seed(fleet().world())
            .clock(Clock::fixed(now))
            .start()
            .await
            .expect("the simulator starts");
        println!("{}", running.base_url());
        std::io::stdout().flush().expect("stdout");
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .expect("stdin");
        running.shutdown().await;
    });
}

/// CPU seconds (user + system) of process `pid` (`self` for this one).
fn cpu_seconds(pid: &str) -> f64 {
    let (user, system) = cpu_split(pid);
    user + system
}

/// CPU seconds in user space and in the kernel of process `pid`.
fn cpu_split(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), which ends with ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// One kind of request: method, path and body of the request to target `i`.
struct Route {
    name: &'static str,
    build: Box<dyn Fn(usize) -> (reqwest::Method, String, Option<Value>) + Send + Sync>,
    auth: Auth,
}

#[derive(Clone, Copy)]
enum Auth {
    None,
    Arta,
    Di,
    SkipPay,
}

fn routes() -> Vec<Route> {
    use reqwest::Method;
    let third = TARGETS / 3;
    let route =
        |name, auth, build: Box<dyn Fn(usize) -> _ + Send + Sync>| Route { name, build, auth };
    vec![
        route(
            "arta GET session",
            Auth::Arta,
            Box::new(|i| {
                (
                    Method::GET,
                    format!("/hosted_sessions/{}", session_id(i % TARGETS)),
                    None,
                )
            }),
        ),
        route(
            "arta GET session, same one",
            Auth::Arta,
            Box::new(|_| {
                let path = format!("/hosted_sessions/{}", session_id(TARGETS - 1));
                (Method::GET, path, None)
            }),
        ),
        route(
            "arta cancel session",
            Auth::Arta,
            Box::new(|i| {
                let id = session_id(i % TARGETS);
                (Method::PATCH, format!("/hosted_sessions/{id}/cancel"), None)
            }),
        ),
        route(
            "arta GET shipment",
            Auth::Arta,
            Box::new(|i| {
                (
                    Method::GET,
                    format!("/shipments/{}", shipment_id(i % TARGETS)),
                    None,
                )
            }),
        ),
        route(
            "arta hold",
            Auth::Arta,
            Box::new(|i| {
                let body = json!({"shipment_exception": {
                    "type": "requested_hold_to_collect",
                    "shipment_id": shipment_id(i % TARGETS),
                    "hold_until": "2026-12-01",
                }});
                (Method::POST, "/shipment_exceptions".into(), Some(body))
            }),
        ),
        route(
            "di GET order",
            Auth::Di,
            Box::new(|i| {
                let path = format!(
                    "/ws/json/parcel/booking/v-1/details/{}",
                    di_number(i % TARGETS)
                );
                (Method::GET, path, None)
            }),
        ),
        route(
            "di cancel order",
            Auth::Di,
            Box::new(|i| {
                let path = format!(
                    "/ws/json/parcel/booking/v-1/order/cancel/{}",
                    di_number(i % TARGETS)
                );
                (Method::DELETE, path, None)
            }),
        ),
        route(
            "skippay GET application",
            Auth::SkipPay,
            Box::new(|i| {
                let path = format!("/financing/v1/applications/{}", application_id(i % TARGETS));
                (Method::GET, path, None)
            }),
        ),
        route(
            "skippay GET application, same one",
            Auth::SkipPay,
            Box::new(|_| {
                let path = format!("/financing/v1/applications/{}", application_id(TARGETS - 1));
                (Method::GET, path, None)
            }),
        ),
        route(
            "skippay cancel order",
            Auth::SkipPay,
            Box::new(move |i| {
                let id = application_id(i % third);
                let path = format!("/financing/v1/applications/{id}/order/cancel");
                (Method::PUT, path, Some(json!({})))
            }),
        ),
        route(
            "skippay cancel items",
            Auth::SkipPay,
            Box::new(move |i| {
                let id = application_id(third + i % third);
                let path = format!("/financing/v1/applications/{id}/order/cancel");
                let body = json!({"items": [{"code": "CASE-3", "quantity": 1}]});
                (Method::PUT, path, Some(body))
            }),
        ),
        route(
            "skippay cancel application",
            Auth::SkipPay,
            Box::new(move |i| {
                let id = application_id(2 * third + i % third);
                let path = format!("/financing/v1/applications/{id}/cancel");
                (Method::PUT, path, Some(json!({})))
            }),
        ),
        route(
            "di login",
            Auth::None,
            Box::new(|_| {
                let (username, password) = rescind_sim::di::DEMO_USER;
                let body = json!({"username": username, "password": password});
                (
                    Method::POST,
                    "/ws/json/auth/v-3/login/60".into(),
                    Some(body),
                )
            }),
        ),
        route(
            "skippay login",
            Auth::None,
            Box::new(|_| {
                let (username, password) = rescind_sim::skippay::DEMO_PARTNER;
                let body = json!({"username": username, "password": password});
                (
                    Method::POST,
                    "/authentication/v1/partner".into(),
                    Some(body),
                )
            }),
        ),
    ]
}

fn drive(duration: Duration, levels: &[usize]) {
    let exe = std::env::current_exe().expect("this binary");
    let mut child = Command::new(exe)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator's process starts");
    let pid = child.id().to_string();
    let mut base = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut base)
        .expect("the base URL");
    let base = base.trim().to_owned();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .expect("a client");
        let di_token = login(&http, &base, "/ws/json/auth/v-3/login/600", rescind_sim::di::DEMO_USER, "token").await;
        let skippay_token = login(
            &http,
            &base,
            "/authentication/v1/partner",
            rescind_sim::skippay::DEMO_PARTNER,
            "accessToken",
        )
        .await;
        println!(
            "| route | concurrency | requests/s | 2xx | sim CPU µs/request (user + kernel) | client CPU µs/request | sim/client CPU |"
        );
        println!("|---|---|---|---|---|---|---|");
        let next = Arc::new(AtomicUsize::new(0));
        // `CEILING_ROUTES=skippay` drives only the routes whose name contains it.
        let only = std::env::var("CEILING_ROUTES").unwrap_or_default();
        for route in routes().into_iter().filter(|r| r.name.contains(&only)) {
            let route = Arc::new(route);
            next.store(0, Ordering::Relaxed);
            for &concurrency in levels {
                let header = match route.auth {
                    Auth::None => None,
                    Auth::Arta => Some(format!("ARTA_APIKey {}", rescind_sim::arta::DEMO_API_KEY)),
                    Auth::Di => Some(format!("Bearer {di_token}")),
                    Auth::SkipPay => Some(format!("Bearer {skippay_token}")),
                };
                let done = Arc::new(AtomicU64::new(0));
                let ok = Arc::new(AtomicU64::new(0));
                let (sim0, client0, t0) = (cpu_split(&pid), cpu_seconds("self"), Instant::now());
                let until = t0 + duration;
                let workers: Vec<_> = (0..concurrency)
                    .map(|_| {
                        let (http, base, route, header) =
                            (http.clone(), base.clone(), route.clone(), header.clone());
                        let (next, done, ok) = (next.clone(), done.clone(), ok.clone());
                        tokio::spawn(async move {
                            while Instant::now() < until {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let (method, path, body) = (route.build)(i);
                                let mut request = http.request(method, format!("{base}{path}"));
                                if let Some(h) = &header {
                                    request = request.header("authorization", h);
                                }
                                if let Some(b) = &body {
                                    request = request
                                        .header("content-type", "application/json")
                                        .body(b.to_string());
                                }
                                match request.send().await {
                                    Ok(resp) => {
                                        let success = resp.status().is_success();
                                        let _ = resp.bytes().await;
                                        done.fetch_add(1, Ordering::Relaxed);
                                        if success {
                                            ok.fetch_add(1, Ordering::Relaxed);
                                        }
                                    }
                                    Err(e) => eprintln!("{}: {e}", route.name),
                                }
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    let _ = w.await;
                }
                let elapsed = t0.elapsed().as_secs_f64();
                let sim1 = cpu_split(&pid);
                let (sim_user, sim_kernel) = (sim1.0 - sim0.0, sim1.1 - sim0.1);
                let sim_cpu = sim_user + sim_kernel;
                let client_cpu = cpu_seconds("self") - client0;
                let n = done.load(Ordering::Relaxed).max(1) as f64;
                println!(
                    "| {} | {concurrency} | {:.0} | {:.0} % | {:.1} ({:.1} + {:.1}) | {:.1} | {:.2} |",
                    route.name,
                    n / elapsed,
                    100.0 * ok.load(Ordering::Relaxed) as f64 / n,
                    sim_cpu * 1e6 / n,
                    sim_user * 1e6 / n,
                    sim_kernel * 1e6 / n,
                    client_cpu * 1e6 / n,
                    sim_cpu / client_cpu.max(1e-9),
                );
            }
        }
    });
    drop(child.stdin.take());
    let _ = child.wait();
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    (username, password): (&str, &str),
    field: &str,
) -> String {
    let body: Value = http
        .post(format!("{base}{path}"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("a login answer");
    body[field].as_str().expect("a token").to_owned()
}
