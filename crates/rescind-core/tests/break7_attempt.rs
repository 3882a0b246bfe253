//! Outsider checks of one transport attempt (built synchronously, its future waits for the
//! answer and reads the body): the attempt timeout covers the body, not only the headers; a
//! body cut short is a lost connection; the body caps hold whatever the chunking; the request
//! id header is read; a change whose answer did not fully arrive is never sent twice.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rescind_core::{ErrorKind, Sent, TransportConfig, http::HeaderName};
use support::{fast_retries, get, key_transport, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server writes for every request: pieces, each after its delay; then it either
/// closes the connection or keeps it open (silent) for a long time.
#[derive(Clone)]
struct Script {
    pieces: Vec<(Duration, Vec<u8>)>,
    close: bool,
}

struct Server {
    base_url: String,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve(script: Script) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let script = script.clone();
            let hits = counter.clone();
            tokio::spawn(async move {
                // Read the request's head and its Content-Length bytes.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let end = loop {
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                while buf.len() < end + len {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                hits.fetch_add(1, Ordering::SeqCst);
                for (delay, bytes) in script.pieces {
                    tokio::time::sleep(delay).await;
                    if sock.write_all(&bytes).await.is_err() {
                        return;
                    }
                    let _ = sock.flush().await;
                }
                if !script.close {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    Server {
        base_url: format!("http://{addr}"),
        hits,
    }
}

fn head(status: u16, extra: &str, length: Option<usize>) -> Vec<u8> {
    let length = match length {
        Some(n) => format!("content-length: {n}\r\n"),
        None => "transfer-encoding: chunked\r\n".to_string(),
    };
    format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}{extra}\r\n")
        .into_bytes()
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

const FAST: Duration = Duration::ZERO;

/// Headers at once, half of the body at once, the rest after 2 s: an attempt timeout of 200 ms
/// ends it as a timeout, "maybe sent"; a change is sent once, a read is retried.
#[tokio::test]
async fn a_body_slower_than_the_attempt_timeout_is_a_timeout_maybe_sent() {
    for chunked in [false, true] {
        let body = br#"{"id":1,"state":"done"}"#;
        let (first, rest) = body.split_at(10);
        let pieces = if chunked {
            vec![
                (FAST, [head(200, "", None), chunk(first)].concat()),
                (
                    Duration::from_secs(2),
                    [chunk(rest), b"0\r\n\r\n".to_vec()].concat(),
                ),
            ]
        } else {
            vec![
                (
                    FAST,
                    [head(200, "", Some(body.len())), first.to_vec()].concat(),
                ),
                (Duration::from_secs(2), rest.to_vec()),
            ]
        };
        let server = serve(Script {
            pieces,
            close: true,
        })
        .await;
        let t = key_transport(
            &server.base_url,
            TransportConfig::default()
                .with_retry(fast_retries())
                .with_attempt_timeout(Duration::from_millis(200)),
        );
        let started = Instant::now();
        let err = t.send(&post()).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "chunked {chunked}: the body's wait was not bounded"
        );
        assert_eq!(err.kind(), ErrorKind::Timeout, "chunked {chunked}: {err}");
        assert_eq!(err.sent(), Sent::MaybeSent, "chunked {chunked}");
        assert_eq!(err.attempts(), 1);
        assert_eq!(
            server.hits(),
            1,
            "a change whose answer was cut by the timeout was sent again"
        );

        let err = t.send(&get()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "chunked {chunked}: {err}");
        assert_eq!(err.sent(), Sent::MaybeSent);
        assert_eq!(err.attempts(), 3);
        assert_eq!(server.hits(), 4);
    }
}

/// The same under a call timeout shorter than the attempt timeout: the call's limit bounds the
/// body's read as well.
#[tokio::test]
async fn a_slow_body_is_bounded_by_the_call_timeout() {
    let server = serve(Script {
        pieces: vec![(FAST, [head(200, "", Some(100)), b"{".to_vec()].concat())],
        close: false,
    })
    .await;
    let t = key_transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast_retries().with_max_attempts(10))
            .with_attempt_timeout(Duration::from_secs(5))
            .with_call_timeout(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let err = t.send(&get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A body cut short (the connection closed before Content-Length bytes): a lost connection,
/// "maybe sent"; a change is not sent again.
#[tokio::test]
async fn a_body_cut_short_is_a_lost_connection() {
    let server = serve(Script {
        pieces: vec![(
            FAST,
            [head(200, "", Some(100)), b"{\"id\":".to_vec()].concat(),
        )],
        close: true,
    })
    .await;
    let t = key_transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let err = t.send(&post()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(server.hits(), 1);
}

/// A success larger than the cap, in many small chunks (so not the one-chunk fast path): refused
/// as too large, answered; at exactly the cap it is kept whole.
#[tokio::test]
async fn the_success_cap_holds_across_chunks() {
    for (size, too_large) in [(1024usize, false), (1025, true), (4096, true)] {
        let body = vec![b'y'; size];
        let mut bytes = head(200, "", None);
        for part in body.chunks(100) {
            bytes.extend(chunk(part));
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        // Each chunk its own write, a little apart, so that the client reads many chunks.
        let pieces = bytes
            .chunks(150)
            .map(|c| (Duration::from_millis(1), c.to_vec()))
            .collect();
        let server = serve(Script {
            pieces,
            close: true,
        })
        .await;
        let t = key_transport(
            &server.base_url,
            TransportConfig::default()
                .with_retry(fast_retries())
                .with_body_limits(1024, 64),
        );
        match t.send(&get()).await {
            Ok(resp) => {
                assert!(!too_large, "{size}: accepted a body over the cap");
                assert_eq!(resp.body.len(), size);
                assert!(!resp.truncated);
            }
            Err(err) => {
                assert!(too_large, "{size}: {err}");
                assert_eq!(err.kind(), ErrorKind::Decode, "{size}: {err}");
                assert_eq!(err.sent(), Sent::Answered);
                assert!(err.to_string().contains("larger than the"), "{err}");
                assert_eq!(
                    server.hits(),
                    1,
                    "{size}: an oversized success was fetched again"
                );
            }
        }
    }
}

/// An error answer over its cap is kept, cut to the cap, with its status; one whose end never
/// comes is not waited for once the cap is reached.
#[tokio::test]
async fn an_error_body_is_cut_at_its_cap_without_waiting_for_its_end() {
    let mut first = head(404, "x-request-id: req-404\r\n", Some(10_000));
    first.extend(vec![b'e'; 200]);
    let server = serve(Script {
        pieces: vec![(FAST, first)],
        close: false,
    })
    .await;
    let t = key_transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast_retries())
            .with_attempt_timeout(Duration::from_secs(3))
            .with_body_limits(1024, 64)
            .with_request_id_header(HeaderName::from_static("x-request-id")),
    );
    let started = Instant::now();
    let resp = t.send(&get()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited for the body's end"
    );
    assert_eq!(resp.status, 404);
    assert_eq!(resp.body.len(), 64);
    assert!(resp.truncated);
    assert_eq!(resp.request_id.as_deref(), Some("req-404"));
    assert_eq!(server.hits(), 1);
}

/// The request id header is read on a success and on a change; without a configured header
/// there is none.
#[tokio::test]
async fn the_request_id_is_read_from_the_configured_header() {
    let body = br#"{"ok":true}"#;
    let server = serve(Script {
        pieces: vec![(
            FAST,
            [
                head(201, "X-Request-ID: abc-123\r\n", Some(body.len())),
                body.to_vec(),
            ]
            .concat(),
        )],
        close: true,
    })
    .await;
    let with = key_transport(
        &server.base_url,
        TransportConfig::default()
            .with_retry(fast_retries())
            .with_request_id_header(HeaderName::from_static("x-request-id")),
    );
    let resp = with.send(&post()).await.unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(resp.request_id.as_deref(), Some("abc-123"));
    assert_eq!(&resp.body[..], body);
    assert_eq!(resp.attempts, 1);

    let without = key_transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let resp = without.send(&get()).await.unwrap();
    assert_eq!(resp.request_id, None);
    assert_eq!(server.hits(), 2);
}

/// A change dropped while waiting for its answer was sent once, and is never sent again.
#[tokio::test]
async fn a_change_dropped_before_its_answer_is_sent_once() {
    let server = serve(Script {
        pieces: vec![(
            Duration::from_millis(300),
            [head(200, "", Some(2)), b"{}".to_vec()].concat(),
        )],
        close: true,
    })
    .await;
    let t = key_transport(
        &server.base_url,
        TransportConfig::default().with_retry(fast_retries()),
    );
    let request = post();
    let _ = tokio::time::timeout(Duration::from_millis(100), t.send(&request)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.hits(), 1);
}
