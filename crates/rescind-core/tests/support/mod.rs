//! Shared test helpers: a login that posts a password, and a scripted HTTP/1.1 server for
//! transport tests that httpmock cannot express (answers in sequence, connections dropped after
//! the request was read, a count of requests in flight, and when, on tokio's clock, each
//! request arrived, on which path, and what it was answered).
#![allow(dead_code)] // each test binary uses a part

pub mod logs;
pub mod percent;
pub mod spans;
/// `rescind_core::testing::{WireRecorder, RawRequest}` (feature `test-util`, which this
/// crate's own tests do not have), compiled from the same file.
#[path = "../../src/testing/wire.rs"]
pub mod wire;

use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::{ExposeSecret, SecretString};
use rescind_core::{
    Auth, Error, HttpRequest, HttpResponse, Login, Provider, Token, TokenCache, Transport,
    TransportConfig, async_trait, error_from_response,
};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// A login that posts `{"password": ...}` to `/login` and reads `{"token": ...}`.
#[derive(Debug)]
pub struct PasswordLogin {
    pub password: SecretString,
    pub lifetime: Duration,
}

#[async_trait]
impl Login for PasswordLogin {
    async fn login(&self, transport: &Transport) -> Result<Token, Error> {
        let body = format!(r#"{{"password":"{}"}}"#, self.password.expose_secret());
        let req = HttpRequest::new("login", Method::POST, "/login", "/login")
            .with_json_body(body)
            .anonymous();
        let resp = transport.send(&req).await?;
        if !resp.is_success() {
            return Err(error_from_response(
                &resp,
                transport.provider(),
                "login",
                "login refused",
            ));
        }
        #[derive(serde::Deserialize)]
        struct Body {
            token: String,
        }
        let body: Body = rescind_core::decode::response(&resp, transport.provider(), "login")?;
        Ok(Token::new(SecretString::from(body.token), self.lifetime))
    }
}

/// A Di-like transport to `base`: a bearer token from a [`PasswordLogin`] posting `password`
/// to `/login`, the token living `lifetime` and renewed `margin` before it expires.
pub fn bearer_transport(
    base: &str,
    config: TransportConfig,
    password: &str,
    lifetime: Duration,
    margin: Duration,
) -> (Transport, Arc<TokenCache>) {
    let login = PasswordLogin {
        password: SecretString::from(password),
        lifetime,
    };
    login_transport(base, config, Arc::new(login), margin)
}

/// A Di-like transport to `base` whose bearer token comes from `login`, renewed `margin`
/// before it expires.
pub fn login_transport(
    base: &str,
    config: TransportConfig,
    login: Arc<dyn Login>,
    margin: Duration,
) -> (Transport, Arc<TokenCache>) {
    let cache = Arc::new(TokenCache::new(login, margin));
    let t = Transport::builder(Provider::Di, base)
        .auth(Auth::Bearer(cache.clone()))
        .config(config)
        .build()
        .unwrap();
    (t, cache)
}

/// A 200 whose body is a login's token (`fresh`); read as any other answer by a call.
pub fn token_answer() -> Step {
    Step::Answer {
        status: 200,
        headers: vec![],
        body: br#"{"token":"fresh"}"#.to_vec(),
        delay: Duration::ZERO,
    }
}

/// A call's result in one line, for assertion messages.
pub fn describe(result: &Result<HttpResponse, Error>) -> String {
    match result {
        Ok(resp) => format!(
            "Ok(status {}, attempts {}, earlier_attempt_maybe_sent {}, body {})",
            resp.status,
            resp.attempts,
            resp.earlier_attempt_maybe_sent,
            String::from_utf8_lossy(&resp.body)
        ),
        Err(e) => format!(
            "Err(kind {:?}, sent {:?}, attempts {}, status {:?}, operation {:?}: {e})",
            e.kind(),
            e.sent(),
            e.attempts(),
            e.status(),
            e.operation()
        ),
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer with this status, extra header lines and body, after a delay.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Read the request, then close the connection without answering.
    Drop,
}

impl Step {
    pub fn status(status: u16) -> Step {
        Step::Answer {
            status,
            headers: vec![],
            body: b"{}".to_vec(),
            delay: Duration::ZERO,
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Step {
        match self {
            Step::Answer {
                status,
                mut headers,
                body,
                delay,
            } => {
                headers.push((name.into(), value.into()));
                Step::Answer {
                    status,
                    headers,
                    body,
                    delay,
                }
            }
            other => other,
        }
    }

    pub fn with_delay(self, d: Duration) -> Step {
        match self {
            Step::Answer {
                status,
                headers,
                body,
                ..
            } => Step::Answer {
                status,
                headers,
                body,
                delay: d,
            },
            other => other,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// When it arrived (its body read), on tokio's clock (paused or not).
    pub at: Instant,
    pub path: String,
    /// What it was answered (0: the connection was dropped).
    pub status: u16,
    /// The answer's `Retry-After` in seconds, if it had one.
    pub retry_after: Option<u64>,
}

pub struct Scripted {
    pub base_url: String,
    pub hits: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Serves `steps` in order, one per request; the last step repeats.
pub async fn serve(steps: Vec<Step>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let steps = Arc::new(steps);
    {
        let hits = hits.clone();
        let max_in_flight = max_in_flight.clone();
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let hits = hits.clone();
                let steps = steps.clone();
                let in_flight = in_flight.clone();
                let max_in_flight = max_in_flight.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    loop {
                        // Read one request: headers, then Content-Length bytes (the
                        // recorder's framing, `wire::whole_request`).
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        while wire::whole_request(&buf).is_none() {
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let path = String::from_utf8_lossy(&buf)
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .to_owned();
                        let n = hits.fetch_add(1, Ordering::SeqCst);
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        max_in_flight.fetch_max(now, Ordering::SeqCst);
                        let step = steps[n.min(steps.len() - 1)].clone();
                        let (status, retry_after) = match &step {
                            Step::Answer {
                                status, headers, ..
                            } => (
                                *status,
                                headers
                                    .iter()
                                    .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                                    .and_then(|(_, v)| v.parse::<u64>().ok()),
                            ),
                            Step::Drop => (0, None),
                        };
                        seen.lock().unwrap().push(Seen {
                            at: Instant::now(),
                            path,
                            status,
                            retry_after,
                        });
                        match step {
                            Step::Drop => {
                                in_flight.fetch_sub(1, Ordering::SeqCst);
                                return;
                            }
                            Step::Answer {
                                status,
                                headers,
                                body,
                                delay,
                            } => {
                                tokio::time::sleep(delay).await;
                                in_flight.fetch_sub(1, Ordering::SeqCst);
                                let mut out = format!(
                                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n",
                                    body.len()
                                );
                                for (k, v) in headers {
                                    out.push_str(&format!("{k}: {v}\r\n"));
                                }
                                out.push_str("\r\n");
                                let mut bytes = out.into_bytes();
                                bytes.extend_from_slice(&body);
                                if sock.write_all(&bytes).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
    }
    Scripted {
        base_url: format!("http://{addr}"),
        hits,
        max_in_flight,
        seen,
    }
}

impl Scripted {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Arrival times of the requests whose path is `path`.
    pub fn times_of(&self, path: &str) -> Vec<Instant> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == path)
            .map(|s| s.at)
            .collect()
    }

    /// The statuses answered (0: dropped) to the requests whose path is `path`.
    pub fn statuses_of(&self, path: &str) -> Vec<u16> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == path)
            .map(|s| s.status)
            .collect()
    }

    /// The paths of every request so far.
    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

/// A GET of one thing: safe, so retried after any failure.
pub fn get() -> HttpRequest {
    HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1")
}

/// A POST creating a thing, with a JSON body: not idempotent, never resent once it may have
/// been applied.
pub fn post() -> HttpRequest {
    HttpRequest::new("create_thing", Method::POST, "/things", "/things")
        .with_json_body(r#"{"a":1}"#)
}

/// The default retry policy with a 1-5 ms backoff, fast enough for tests.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A 429 whose body names it, to tell the call's own 429 from another.
pub fn marked_429(mark: &str, retry_after: &str) -> Step {
    Step::Answer {
        status: 429,
        headers: vec![("retry-after".into(), retry_after.into())],
        body: format!(r#"{{"mark":"{mark}"}}"#).into_bytes(),
        delay: Duration::ZERO,
    }
}

/// A change the provider documents as idempotent (a Di cancel): retried after a 503.
pub fn idempotent_post() -> HttpRequest {
    HttpRequest::new("cancel_thing", Method::POST, "/c", "/c")
        .with_json_body(r#"{"a":1}"#)
        .idempotent(true)
}

/// An Arta-like transport: its key in `Authorization` (no login), `config` as given.
pub fn key_transport(base: &str, config: TransportConfig) -> Transport {
    Transport::builder(Provider::Arta, base)
        .auth(rescind_core::Auth::Header {
            name: http::header::AUTHORIZATION,
            value: rescind_core::secrecy::SecretString::from("ARTA_APIKey key-123"),
        })
        .config(config)
        .build()
        .unwrap()
}

/// A transport with a header key (no login); Arta documents its 429, the others do not.
pub fn header_transport(base: &str, provider: Provider, config: TransportConfig) -> Transport {
    Transport::builder(provider, base)
        .config(config)
        .documented_429(provider == Provider::Arta)
        .build()
        .unwrap()
}

/// Backoffs of 1 ms (a bare 429's pause 0.5 to 1 ms): the `Retry-After`s decide the waits.
pub fn quick() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1))
}
