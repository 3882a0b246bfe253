//! `rescind demo` (a tour of the SDK against the embedded simulator) and `rescind sim`.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;

use rescind::core::jiff::civil::date;
use rescind::{CancelOutcome, CancelRequest, Canceller, Error, ItemSelector, Provider};
use rescind_sim::demo;
use rescind_sim::{Clock, RunningSimulator, Simulator, World};

use crate::cli::Output;
use crate::output::{self, Row};

type Step<'a> = Pin<Box<dyn Future<Output = Result<CancelOutcome, Error>> + 'a>>;

/// One stop of the tour: what it shows, and the outcome it must have.
struct Stop<'a> {
    title: &'static str,
    provider: Provider,
    target: String,
    expect: &'static str,
    run: Step<'a>,
}

fn stop<'a>(
    title: &'static str,
    canceller: &'a dyn Canceller,
    request: CancelRequest,
    expect: &'static str,
) -> Stop<'a> {
    Stop {
        title,
        provider: canceller.provider(),
        target: request.target.clone(),
        expect,
        run: Box::pin(canceller.cancel(request)),
    }
}

/// Starts the simulator on a free loopback port, with its clock on the demo day so that the
/// demo data's dates always mean the same thing.
async fn start_simulator() -> Result<RunningSimulator, Error> {
    let now = demo::arta::NOW
        .parse()
        .map_err(|e| Error::config(format!("the demo day does not parse: {e}")))?;
    Simulator::new()
        .clock(Clock::fixed(now))
        .start()
        .await
        .map_err(|e| Error::config(format!("could not start the simulator: {e}")))
}

/// Runs the tour and prints one row per stop. Exits 0 when every stop had the outcome the
/// tour expects (refusals included), 5 otherwise.
pub async fn run(out: Output) -> u8 {
    match tour(out).await {
        Ok(code) => code,
        Err(err) => output::print_error(&err, None, None, out),
    }
}

async fn tour(out: Output) -> Result<u8, Error> {
    let sim = start_simulator().await?;
    let base = sim.base_url();
    if out == Output::Table {
        output::write_stdout(&output::paragraph(&format!(
            "rescind demo: Arta, Di and Skip Pay simulated at {base}"
        )));
        output::write_stdout("\n");
    }

    let arta = rescind::arta::Client::builder()
        .api_key(demo::arta::API_KEY)
        .base_url(&base)
        .build()?;

    let di = rescind::di::Client::builder()
        .base_url(&base)
        .credentials(rescind::di::Credentials::new(
            demo::di::USER,
            demo::di::PASSWORD,
        ))
        .build()?;

    let skippay = rescind::skippay::Client::builder()
        .base_url(&base)
        .credentials(rescind::skippay::Credentials::new(
            demo::skippay::PARTNER,
            demo::skippay::PASSWORD,
        ))
        .build()?;

    use demo::arta as a;
    let stops = vec![
        stop(
            "cancel a hosted session",
            &arta,
            CancelRequest::whole(a::SESSION_NEW.to_string()),
            "cancelled",
        ),
        stop(
            "hold a shipment until a date",
            &arta,
            CancelRequest::hold(a::PENDING, Some(date(2026, 12, 1))),
            "held",
        ),
        stop(
            "a hold past the 30-day window is refused before sending",
            &arta,
            CancelRequest::hold(a::CONFIRMED, Some(date(2027, 1, 15))),
            "invalid",
        ),
        stop(
            "cancel a booked parcel order",
            &di,
            CancelRequest::whole(demo::di::ORDER_CANCELLABLE),
            "cancelled",
        ),
        stop(
            "an order already in transit is refused",
            &di,
            CancelRequest::whole(format!("(401){}", demo::di::ORDER_IN_TRANSIT)),
            "refused",
        ),
        stop(
            "cancel one item of an order",
            &skippay,
            CancelRequest::items(
                demo::skippay::READY,
                vec![ItemSelector::by_code(demo::skippay::ITEM_CASE)],
            ),
            "partially_cancelled",
        ),
        stop(
            "then cancel the rest of that order",
            &skippay,
            CancelRequest::whole(demo::skippay::READY),
            "cancelled",
        ),
        stop(
            "cancel a session that is already cancelled",
            &arta,
            CancelRequest::whole(a::SESSION_CANCELLED.to_string()),
            "already_cancelled",
        ),
    ];

    let mut rows = Vec::new();
    let mut surprises = Vec::new();
    for stop in stops {
        let result = stop.run.await;
        let row = Row::from_result(stop.provider, &stop.target, &result).with_step(stop.title);
        if row.outcome != stop.expect {
            surprises.push(format!(
                "`{}`: expected {}, got {}",
                stop.title, stop.expect, row.outcome
            ));
        }
        rows.push(row);
    }
    output::print_rows(&rows, out);
    sim.shutdown().await;
    if surprises.is_empty() {
        if out == Output::Table {
            output::write_stdout("\n");
            output::write_stdout(&output::paragraph(
                "Every stop ended as expected. Refusals happen before anything is sent.",
            ));
        }
        Ok(output::EXIT_DONE)
    } else {
        errln!(
            "the tour did not go as expected:\n  {}",
            surprises.join("\n  ")
        );
        Ok(output::EXIT_FAILED)
    }
}

/// Resolves `HOST:PORT` (an IP address or a host name such as `localhost`) to one address:
/// its first IPv4 address, else its first.
async fn resolve(addr: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !addr.contains(':') {
        return Err(format!(
            "--addr {addr}: write HOST:PORT, e.g. localhost:8480"
        ));
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| format!("--addr {addr}: cannot resolve the host: {e}"))?
        .collect();
    // IPv4 first: `localhost` then listens where `http://localhost:PORT` and the clients'
    // default `127.0.0.1` both reach it.
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("--addr {addr}: the host has no address"))
}

/// `rescind sim`: serves until Ctrl-C. An address that cannot be used (in use, not local, no
/// permission) is a usage error, exit 2, naming it.
pub async fn serve(addr: &str, seed: Option<PathBuf>) -> u8 {
    let socket = match resolve(addr).await {
        Ok(a) => a,
        Err(message) => {
            errln!("error: {message}");
            return output::EXIT_USAGE;
        }
    };
    let demo_data = seed.is_none();
    let world = match seed {
        None => World::demo(),
        Some(path) => {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errln!("error: cannot read the seed file {}: {e}", path.display());
                    return output::EXIT_USAGE;
                }
            };
            match World::from_json(&text) {
                Ok(w) => w,
                Err(e) => {
                    errln!("error: {}: {e}", path.display());
                    return output::EXIT_USAGE;
                }
            }
        }
    };
    let running = match Simulator::new().seed(world).start_on(socket).await {
        Ok(r) => r,
        Err(e) => {
            let shown = if addr == socket.to_string() {
                addr.to_string()
            } else {
                format!("{addr} ({socket})")
            };
            let why = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the address is in use: stop what listens there, or choose another port"
                        .to_string()
                }
                std::io::ErrorKind::AddrNotAvailable => {
                    "the address is not one of this machine's".to_string()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "permission denied: ports below 1024 need privileges".to_string()
                }
                _ => e.to_string(),
            };
            errln!("error: cannot listen on {shown}: {why}");
            return output::EXIT_USAGE;
        }
    };
    let base = running.base_url();
    // Written without `println!`: a closed stdout (`rescind sim | head -1`) must not stop
    // the simulator with a panic.
    // The variables that point the SDK (`Registry::from_env`, the examples) and the CLI at
    // it, ready to paste; with the demo data, its published demo credentials too (they are
    // the simulator's own, documented in the README: no secret of a real account).
    let exports: Vec<(&str, String)> = if demo_data {
        rescind_sim::demo_env(&base)
    } else {
        ["ARTA_BASE_URL", "DI_BASE_URL", "SKIPPAY_BASE_URL"]
            .into_iter()
            .map(|name| (name, base.clone()))
            .collect()
    };
    let mut banner = format!(
        "rescind simulator listening on {base} (Ctrl-C stops it)\n\
         admin: {base}/__sim/state, /__sim/faults, /__sim/clock, /__sim/counters, /__sim/reset\n\
         point a client at it (paste into another shell):\n"
    );
    for (name, value) in exports {
        banner.push_str(&format!("export {name}={value}\n"));
    }
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = tokio::signal::ctrl_c().await {
        errln!("error: cannot wait for Ctrl-C: {e}");
    }
    running.shutdown().await;
    output::EXIT_DONE
}
