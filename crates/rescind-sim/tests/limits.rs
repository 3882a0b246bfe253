//! Limits, through each provider's client: bodies larger than the caps are cut or refused,
//! a server that trickles its answer (slow loris) is bounded by the timeouts, and ids with
//! path characters (`../`, `%2F`, spaces, `?`, `#`) are percent-encoded into their one path
//! segment or refused before sending: they never reach another route.

use std::time::Duration;

use rescind_core::retry::RetryPolicy;
use rescind_core::{CancelRequest, Canceller, ErrorKind, Sent, TransportConfig};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_attempt_timeout(Duration::from_millis(500))
        .with_call_timeout(Duration::from_secs(3))
}

fn arta(base: &str, config: TransportConfig) -> rescind_arta::Client {
    rescind_arta::Client::builder()
        .api_key(DEMO_API_KEY)
        .base_url(base)
        .config(config)
        .build()
        .unwrap()
}

fn di(base: &str, config: TransportConfig) -> rescind_di::Client {
    rescind_di::Client::builder()
        .base_url(base)
        .credentials(rescind_di::Credentials::new(
            "wsfoobar",
            "a-very-very-long-password",
        ))
        .config(config)
        .build()
        .unwrap()
}

fn skippay(base: &str, config: TransportConfig) -> rescind_skippay::Client {
    rescind_skippay::Client::builder()
        .base_url(base)
        .credentials(rescind_skippay::Credentials::new(
            "eShop",
            "eShopSecretPassword",
        ))
        .configure(|_| config)
        .build()
        .unwrap()
}

async fn simulator() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

/// A server that answers every request with headers promising a large body, then trickles
/// one byte every 100 ms, for ever (until the client gives up).
async fn slow_loris() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if socket.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_answer_is_bounded_by_the_timeouts() {
    let base = slow_loris().await;
    // Each client's cancel: an attempt ends at the attempt timeout, the whole call at the call
    // timeout, whatever the server does. The outer bound only catches a hang.
    let bound = Duration::from_secs(10);
    let cancels: Vec<(&str, Box<dyn Canceller>, &str)> = vec![
        ("arta", Box::new(arta(&base, config())), "42"),
        ("di", Box::new(di(&base, config())), "70724760000000101"),
        ("skippay", Box::new(skippay(&base, config())), "11200a0ee1"),
    ];
    for (name, client, target) in cancels {
        let err = tokio::time::timeout(bound, client.cancel(CancelRequest::whole(target)))
            .await
            .unwrap_or_else(|_| panic!("{name}: the call hung past the timeouts"))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{name}: {err}");
        if name == "arta" {
            // Arta's cancel reads the session first, and that read is what trickles: the
            // cancel itself was never sent (a read before a change is never `MaybeSent`).
            assert_eq!(err.operation(), Some("get_hosted_session"), "{name}: {err}");
            assert_eq!(err.sent(), Sent::NotSent, "{name}: {err}");
        } else {
            // Di and Skip Pay log in first, and the login is what trickles: the cancel itself
            // was never sent.
            assert_eq!(err.operation(), Some("login"), "{name}: {err}");
            assert_eq!(err.sent(), Sent::NotSent, "{name}: {err}");
        }
    }
}

#[tokio::test]
async fn bodies_over_the_caps_are_cut_or_refused() {
    let running = simulator().await;
    let base = running.base_url();
    let capped = || {
        config()
            .with_attempt_timeout(Duration::from_secs(10))
            .with_call_timeout(Duration::from_secs(30))
            .with_body_limits(32 * 1024, 4 * 1024)
    };
    // A success body over the cap: refused with a decode error naming the limit, for every
    // provider's read.
    running.sim().faults().add(FaultRule::new(
        "/hosted_sessions/*",
        FaultAction::oversized(1 << 20),
    ));
    running.sim().faults().add(FaultRule::new(
        "/ws/json/parcel/booking/v-1/details/*",
        FaultAction::oversized(1 << 20),
    ));
    running.sim().faults().add(
        FaultRule::new(
            "/financing/v1/applications/*",
            FaultAction::oversized(1 << 20),
        )
        .method("GET"),
    );
    let errors = [
        arta(&base, capped())
            .get_hosted_session(42)
            .await
            .unwrap_err(),
        di(&base, capped())
            .order_details("70724760000000101")
            .await
            .unwrap_err(),
        skippay(&base, capped())
            .get_application("11200a0ee1")
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert!(err.to_string().contains("32768 byte limit"), "{err}");
        assert!(err.body().is_none_or(|b| b.len() <= 32 * 1024), "{err}");
    }
    running.shutdown().await;

    // An error body over the cap: kept, cut at the error cap (a proxy's 1 MiB 503 page).
    let base = big_error_page().await;
    let errors = [
        arta(&base, capped())
            .get_hosted_session(42)
            .await
            .unwrap_err(),
        di(&base, capped()).login().await.unwrap_err(),
        skippay(&base, capped())
            .get_application("11200a0ee1")
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::Server, "{err}");
        let body = err.body().unwrap_or_default();
        assert!(!body.is_empty() && body.len() <= 4 * 1024, "{}", body.len());
    }
}

/// A server answering every request 503 with a 1 MiB HTML page.
async fn big_error_page() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = format!("<html>{}</html>", "x".repeat(1 << 20));
                let head = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// Ids that look like paths, queries or fragments.
const PATH_IDS: &[&str] = &[
    "../42",
    "..",
    ".",
    "%2F",
    "..%2F..%2Fauthentication%2Fv1%2Fpartner",
    "../../authentication/v1/partner",
    "a b",
    "42?x=1",
    "42#frag",
    "42/cancel",
    "/",
    "\\..\\",
];

#[tokio::test]
async fn ids_with_path_characters_never_reach_another_route() {
    let running = simulator().await;
    let base = running.base_url();
    // No timeout here may fire, even on a loaded machine: a refused id is never MaybeSent.
    let config = || {
        config()
            .with_attempt_timeout(Duration::from_secs(10))
            .with_call_timeout(Duration::from_secs(30))
    };
    let arta = arta(&base, config());
    let di = di(&base, config());
    let skippay = skippay(&base, config());
    for id in PATH_IDS {
        // Through the Canceller: refused before sending, or sent to its own route only.
        for client in [&arta as &dyn Canceller, &di, &skippay] {
            if let Err(err) = client.cancel(CancelRequest::whole(*id)).await {
                assert_ne!(err.sent(), Sent::MaybeSent, "{id:?}: {err}");
            }
        }
        let _ = arta.get_shipment(id).await;
        let _ = arta.get_shipment_exception(id).await;
        let _ = di.order_details(id).await;
        let _ = di.cancel_order(id).await;
        let _ = skippay.get_application(id).await;
    }
    let counters = running.sim().counters().snapshot();
    assert!(
        counters.applied.is_empty(),
        "nothing applied: {:?}",
        counters.applied
    );
    // Every request reached the route of its operation, with the id in one segment.
    let allowed: &[(&str, usize)] = &[
        ("GET /hosted_sessions/", 2),
        ("GET /shipments/", 2),
        ("GET /shipment_exceptions/", 2),
        ("GET /ws/json/parcel/booking/v-1/details/", 7),
        ("POST /ws/json/auth/v-3/login/", 6),
        ("POST /authentication/v1/partner", 3),
        ("GET /financing/v1/applications/", 4),
        ("PUT /financing/v1/applications/", 6),
    ];
    for route in counters.hits.keys() {
        let (method, path) = route.split_once(' ').unwrap();
        let segments = path.trim_start_matches('/').split('/').count();
        assert!(
            allowed
                .iter()
                .any(|(prefix, n)| route.starts_with(prefix) && segments == *n),
            "{method} {path} ({segments} segments) is not an operation's route"
        );
        assert!(!path.contains("/../") && !path.ends_with("/..") && !path.contains("/./"));
    }
    assert!(!counters.hits.is_empty());
    running.shutdown().await;
}
