//! break9b: the bearer header requests read without the token cache's lock (21f0ad2) must
//! behave exactly as the parent's (7036781), which read it under the lock. These tests pin,
//! through the whole transport and a server that records every request's `Authorization`,
//! which token each request carried, how many logins ran, and each call's outcome, under
//! races on a multi-thread runtime: 401s arriving while others read the header, `prime`
//! while calls run, two clients (two caches) used from the same threads, tokens inside the
//! renewal margin, a refused login's cool-down, and no secret in Debug, errors or logs.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rescind_core::http::Method;
use rescind_core::retry::RetryPolicy;
use rescind_core::secrecy::SecretString;
use rescind_core::{
    ErrorKind, HttpRequest, HttpResponse, Provider, Sent, Token, TokenCache, Transport,
    TransportConfig, error_from_response,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    auth: Option<String>,
}

/// The server's view of tokens: it issues `{prefix}{n}` on `POST /login` (after
/// `login_delay`), accepts on `GET /things/1` any token it issued and has not revoked (and
/// any token added with `accept`), answers 401 otherwise, and echoes the accepted header in
/// the body. `revoke_after`: the first token is revoked once it has been accepted this many
/// times (a revocation in the middle of a stream of calls).
struct Issuer {
    prefix: String,
    issued: AtomicUsize,
    valid: Mutex<HashSet<String>>,
    revoked: Mutex<HashSet<String>>,
    first_accepted: AtomicUsize,
    revoke_after: AtomicUsize,
    login_delay: Mutex<Duration>,
    login_status: Mutex<u16>,
    log: Mutex<Vec<Seen>>,
    /// When not 0: every token is revoked once it has been accepted this many times.
    rolling: AtomicUsize,
    accepted: Mutex<std::collections::HashMap<String, usize>>,
}

impl Issuer {
    fn new(prefix: &str) -> Arc<Issuer> {
        Arc::new(Issuer {
            prefix: prefix.into(),
            issued: AtomicUsize::new(0),
            valid: Mutex::new(HashSet::new()),
            revoked: Mutex::new(HashSet::new()),
            first_accepted: AtomicUsize::new(0),
            revoke_after: AtomicUsize::new(usize::MAX),
            login_delay: Mutex::new(Duration::ZERO),
            login_status: Mutex::new(200),
            log: Mutex::new(Vec::new()),
            rolling: AtomicUsize::new(0),
            accepted: Mutex::new(std::collections::HashMap::new()),
        })
    }

    fn token(&self, n: usize) -> String {
        format!("{}{n}", self.prefix)
    }

    fn revoke(&self, token: &str) {
        self.revoked
            .lock()
            .unwrap()
            .insert(format!("Bearer {token}"));
    }

    fn revoke_everything(&self) {
        self.revoke_after.store(0, Ordering::SeqCst);
        *self.valid.lock().unwrap() = HashSet::new();
    }

    fn accept(&self, token: &str) {
        self.valid.lock().unwrap().insert(format!("Bearer {token}"));
    }

    fn log(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// The `Authorization` of every `GET /things/1`, in the order they arrived.
    fn thing_auths(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|s| s.path.split('?').next() == Some("/things/1"))
            .map(|s| s.auth.unwrap_or_default())
            .collect()
    }

    fn logins(&self) -> usize {
        self.log().iter().filter(|s| s.path == "/login").count()
    }

    async fn answer(&self, seen: Seen) -> (u16, String) {
        self.log.lock().unwrap().push(seen.clone());
        if seen.path == "/login" {
            let delay = *self.login_delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            let status = *self.login_status.lock().unwrap();
            if status != 200 {
                return (status, r#"{"error":"no"}"#.into());
            }
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            let token = self.token(n);
            if self.revoke_after.load(Ordering::SeqCst) != 0 {
                self.valid.lock().unwrap().insert(format!("Bearer {token}"));
            }
            return (200, format!(r#"{{"token":"{token}"}}"#));
        }
        let auth = seen.auth.unwrap_or_default();
        // One decision at a time: the revocation after `revoke_after` acceptances is exact.
        let valid = self.valid.lock().unwrap();
        let ok = valid.contains(&auth) && !self.revoked.lock().unwrap().contains(&auth);
        if !ok {
            return (401, r#"{"error":"token refused"}"#.into());
        }
        if auth == format!("Bearer {}", self.token(1)) {
            let n = self.first_accepted.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.revoke_after.load(Ordering::SeqCst) {
                self.revoke(&self.token(1));
            }
        }
        let rolling = self.rolling.load(Ordering::SeqCst);
        if rolling != 0 {
            let mut accepted = self.accepted.lock().unwrap();
            let n = accepted.entry(auth.clone()).or_default();
            *n += 1;
            if *n >= rolling {
                self.revoked.lock().unwrap().insert(auth.clone());
            }
        }
        drop(valid);
        (200, format!(r#"{{"auth":"{auth}"}}"#))
    }
}

/// Serves `issuer` over HTTP/1.1 (keep-alive); returns the base URL.
async fn serve(issuer: Arc<Issuer>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let issuer = issuer.clone();
            tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let header_end = loop {
                        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break pos + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
                    let mut lines = head.lines();
                    let mut first = lines.next().unwrap_or("").split(' ');
                    let method = first.next().unwrap_or("").to_string();
                    let path = first.next().unwrap_or("").to_string();
                    let mut len = 0;
                    let mut auth = None;
                    for l in lines {
                        if let Some((k, v)) = l.split_once(':') {
                            let k = k.trim().to_ascii_lowercase();
                            if k == "content-length" {
                                len = v.trim().parse().unwrap_or(0);
                            } else if k == "authorization" {
                                auth = Some(v.trim().to_string());
                            }
                        }
                    }
                    while buf.len() < header_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..header_end + len);
                    let (status, body) = issuer.answer(Seen { method, path, auth }).await;
                    let out = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if sock.write_all(out.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

const PASSWORD: &str = "pw-never-shown-9b";

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .with_call_timeout(Duration::from_secs(20))
}

fn client(
    base: &str,
    lifetime: Duration,
    margin: Duration,
    config: TransportConfig,
) -> (Transport, Arc<TokenCache>) {
    support::bearer_transport(base, config, PASSWORD, lifetime, margin)
}

fn hour_client(base: &str) -> (Transport, Arc<TokenCache>) {
    client(
        base,
        Duration::from_secs(3600),
        Duration::from_secs(60),
        config(),
    )
}

fn get() -> HttpRequest {
    HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1")
}

/// The header the server accepted, from the echo in a 200's body.
fn echoed(resp: &HttpResponse) -> String {
    let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    v["auth"].as_str().unwrap().to_string()
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

/// 64 calls at once after the current token was revoked: each call that carried it gets one
/// 401, renews and replays once; one login serves them all (a 401 for a token already
/// replaced does not log in again); every call succeeds with the new token; a later call
/// carries only the new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_401s_on_a_revoked_token_make_one_login_and_replay_each_call_once() {
    let issuer = Issuer::new("tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    let first = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&first), bearer("tok-1"));
    assert_eq!(first.attempts, 1);
    issuer.revoke("tok-1");

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get()).await })
        })
        .collect();
    let mut replayed = 0;
    for task in tasks {
        let resp = task.await.unwrap().unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(echoed(&resp), bearer("tok-2"));
        assert!(matches!(resp.attempts, 1 | 2), "{}", resp.attempts);
        assert!(!resp.earlier_attempt_maybe_sent);
        if resp.attempts == 2 {
            replayed += 1;
        }
    }
    assert_eq!(cache.login_count(), 2);
    assert_eq!(issuer.logins(), 2);
    let auths = issuer.thing_auths();
    // The first call, then 64 calls: the revoked token exactly once per replayed call.
    assert_eq!(
        auths.iter().filter(|a| **a == bearer("tok-1")).count(),
        1 + replayed
    );
    assert_eq!(auths.iter().filter(|a| **a == bearer("tok-2")).count(), 64);
    assert_eq!(auths.len(), 1 + replayed + 64);
    assert!(replayed >= 1);

    let later = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&later), bearer("tok-2"));
    assert_eq!(later.attempts, 1);
    assert_eq!(cache.login_count(), 2);
}

/// Calls in a loop on four threads while the server revokes the first token in the middle
/// of the stream: a call that starts after any call has ended with the new token carries the
/// new token at once (the refused one was forgotten before the new one existed); no call
/// sees more than one 401; the logins are exactly two.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_renewal_no_call_starts_with_the_refused_token() {
    let issuer = Issuer::new("tok-");
    issuer.revoke_after.store(40, Ordering::SeqCst);
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    let renewed_seen = Arc::new(AtomicBool::new(false));
    let violations = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let t = t.clone();
            let renewed_seen = renewed_seen.clone();
            let violations = violations.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    let after = renewed_seen.load(Ordering::SeqCst);
                    let resp = t.send(&get()).await.unwrap();
                    let auth = echoed(&resp);
                    if auth == bearer("tok-2") {
                        renewed_seen.store(true, Ordering::SeqCst);
                    } else {
                        assert_eq!(auth, bearer("tok-1"));
                    }
                    if after && (resp.attempts != 1 || auth != bearer("tok-2")) {
                        violations
                            .lock()
                            .unwrap()
                            .push((resp.attempts, auth.clone()));
                    }
                    assert!(resp.attempts <= 2);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*violations.lock().unwrap(), vec![]);
    assert!(renewed_seen.load(Ordering::SeqCst));
    assert_eq!(cache.login_count(), 2);
    assert_eq!(issuer.logins(), 2);
    // Requests: 200 calls, plus one 401 per call that carried the revoked token.
    let auths = issuer.thing_auths();
    let accepted_first = issuer.first_accepted.load(Ordering::SeqCst);
    assert_eq!(accepted_first, 40);
    let refused = auths.iter().filter(|a| **a == bearer("tok-1")).count() - accepted_first;
    assert_eq!(auths.len(), 200 + refused);
    assert_eq!(
        auths.iter().filter(|a| **a == bearer("tok-2")).count(),
        200 - accepted_first
    );
}

/// Two clients (two caches, two servers) used by the same tasks on the same threads, each
/// revoking its first token in the middle: no request ever carries the other client's token,
/// each client logs in exactly twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_on_the_same_threads_never_carry_each_others_token() {
    let a = Issuer::new("alpha-");
    let b = Issuer::new("beta-");
    a.revoke_after.store(30, Ordering::SeqCst);
    b.revoke_after.store(50, Ordering::SeqCst);
    let (ta, ca) = hour_client(&serve(a.clone()).await);
    let (tb, cb) = hour_client(&serve(b.clone()).await);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (ta, tb) = (ta.clone(), tb.clone());
            tokio::spawn(async move {
                for j in 0..20 {
                    let (t, prefix) = if (i + j) % 2 == 0 {
                        (&ta, "Bearer alpha-")
                    } else {
                        (&tb, "Bearer beta-")
                    };
                    let resp = t.send(&get()).await.unwrap();
                    assert!(echoed(&resp).starts_with(prefix), "{}", echoed(&resp));
                    assert!(resp.attempts <= 2);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(
        a.thing_auths()
            .iter()
            .all(|h| h.starts_with("Bearer alpha-"))
    );
    assert!(
        b.thing_auths()
            .iter()
            .all(|h| h.starts_with("Bearer beta-"))
    );
    assert_eq!((ca.login_count(), cb.login_count()), (2, 2));
    assert_eq!((a.logins(), b.logins()), (2, 2));
    // A client whose cache was primed does not change the other's header.
    let p = SecretString::from("alpha-primed");
    a.accept("alpha-primed");
    ca.prime(Token::new(p, Duration::from_secs(3600))).await;
    assert_eq!(
        echoed(&ta.send(&get()).await.unwrap()),
        bearer("alpha-primed")
    );
    assert_eq!(echoed(&tb.send(&get()).await.unwrap()), bearer("beta-2"));
    assert_eq!((ca.login_count(), cb.login_count()), (2, 2));
}

/// `prime` while calls run on four threads: every call that starts after `prime` returned
/// carries the primed token, at once, without a login.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_call_started_after_prime_carries_the_primed_token() {
    let issuer = Issuer::new("tok-");
    issuer.accept("primed-1");
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    let primed = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (t, primed, started) = (t.clone(), primed.clone(), started.clone());
            tokio::spawn(async move {
                let mut bad = Vec::new();
                for _ in 0..40 {
                    let after = primed.load(Ordering::SeqCst);
                    started.fetch_add(1, Ordering::SeqCst);
                    let resp = t.send(&get()).await.unwrap();
                    assert_eq!(resp.attempts, 1);
                    let auth = echoed(&resp);
                    if after && auth != bearer("primed-1") {
                        bad.push(auth);
                    }
                }
                bad
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 60 {
        tokio::task::yield_now().await;
    }
    cache
        .prime(Token::new(
            SecretString::from("primed-1"),
            Duration::from_secs(3600),
        ))
        .await;
    primed.store(true, Ordering::SeqCst);
    for task in tasks {
        assert_eq!(task.await.unwrap(), Vec::<String>::new());
    }
    assert_eq!(cache.login_count(), 1);
    assert_eq!(issuer.logins(), 1);
    let last = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&last), bearer("primed-1"));
}

/// A token inside the renewal margin is never sent: with a token valid 3 s and a margin of
/// 1.5 s, a call at once reuses it, a call after 2 s logs in first and carries the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_within_the_margin_is_not_sent() {
    let issuer = Issuer::new("tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = client(
        &base,
        Duration::from_secs(3),
        Duration::from_millis(1500),
        config(),
    );
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    assert_eq!(cache.login_count(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let resp = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&resp), bearer("tok-2"));
    assert_eq!(resp.attempts, 1);
    assert_eq!(cache.login_count(), 2);
    assert_eq!(
        issuer.thing_auths(),
        vec![bearer("tok-1"), bearer("tok-1"), bearer("tok-2")]
    );
}

/// A provider whose tokens live less than the margin: the token serves the call that waited
/// for it, but is never reused by a later call (each logs in again), as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_shorter_than_the_margin_serves_only_its_waiters() {
    let issuer = Issuer::new("tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = client(
        &base,
        Duration::from_secs(30),
        Duration::from_secs(60),
        config(),
    );
    for n in 1..=3 {
        let resp = t.send(&get()).await.unwrap();
        assert_eq!(echoed(&resp), bearer(&format!("tok-{n}")));
        assert_eq!(resp.attempts, 1);
    }
    assert_eq!(cache.login_count(), 3);
    assert_eq!(issuer.logins(), 3);
}

/// Every token refused: a call renews once and replays once, then the 401 is its answer
/// (Unauthorized, answered, 2 attempts): never a loop. A safe GET and a POST the provider's
/// documented refusal (the default `refuses_token`) lets through alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_refused_renews_once_and_replays_once() {
    let issuer = Issuer::new("tok-");
    issuer.revoke_everything();
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    let resp = t.send(&get()).await;
    // The transport hands the 401 back as an answer (the provider crate reads it).
    let resp = resp.unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.attempts, 2);
    assert_eq!(cache.login_count(), 2);
    assert_eq!(issuer.thing_auths(), vec![bearer("tok-1"), bearer("tok-2")]);

    let post = HttpRequest::new("create_thing", Method::POST, "/things/{id}", "/things/1")
        .with_json_body(r#"{"a":1}"#);
    let resp = t.send(&post).await.unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.attempts, 2);
    // The replay's refused token was kept (renew once: the second 401 is the answer), so the
    // POST starts with it, then renews once.
    assert_eq!(cache.login_count(), 3);
    assert_eq!(
        issuer.thing_auths(),
        vec![
            bearer("tok-1"),
            bearer("tok-2"),
            bearer("tok-2"),
            bearer("tok-3")
        ]
    );
}

/// A login still running when a 401 for the token it replaces arrives: the 401 does not start
/// a second login, and a call that starts during the login waits for the same flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_during_a_login_joins_the_flight() {
    let issuer = Issuer::new("tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    *issuer.login_delay.lock().unwrap() = Duration::from_millis(400);
    issuer.revoke("tok-1");
    let a = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    // A's 401 has invalidated tok-1 and its login runs; B and C start now.
    while issuer.logins() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let b = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    let c = {
        let t = t.clone();
        tokio::spawn(async move { t.send(&get()).await })
    };
    let a = a.await.unwrap().unwrap();
    let b = b.await.unwrap().unwrap();
    let c = c.await.unwrap().unwrap();
    assert_eq!((a.attempts, b.attempts, c.attempts), (2, 1, 1));
    for r in [&a, &b, &c] {
        assert_eq!(echoed(r), bearer("tok-2"));
    }
    assert_eq!(cache.login_count(), 2);
    assert_eq!(
        issuer.thing_auths(),
        vec![
            bearer("tok-1"),
            bearer("tok-1"),
            bearer("tok-2"),
            bearer("tok-2"),
            bearer("tok-2")
        ]
    );
}

/// A refused login (401 on the login): every concurrent caller gets the refusal from one
/// login, nothing is sent with a token; during the cool-down no login; after it one login
/// again. A token primed during the cool-down is used at once, without a login.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_logins_cooldown_and_a_primed_token() {
    let issuer = Issuer::new("tok-");
    *issuer.login_status.lock().unwrap() = 401;
    let base = serve(issuer.clone()).await;
    let (t, cache) = client(
        &base,
        Duration::from_secs(3600),
        Duration::from_secs(60),
        config().with_login_refusal_cooldown(Duration::from_millis(800)),
    );
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.send(&get()).await })
        })
        .collect();
    for task in tasks {
        let e = task.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert_eq!(e.sent(), Sent::NotSent);
        assert_eq!(e.attempts(), 0);
        assert!(!e.to_string().contains(PASSWORD));
        assert!(!format!("{e:?}").contains(PASSWORD));
    }
    assert_eq!(cache.login_count(), 1);
    assert!(cache.is_refused());
    let e = t.send(&get()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(cache.login_count(), 1);
    assert!(issuer.thing_auths().is_empty());

    tokio::time::sleep(Duration::from_millis(900)).await;
    let e = t.send(&get()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(cache.login_count(), 2);

    // Within the new cool-down, a primed token: used at once, no login.
    issuer.accept("kept-1");
    cache
        .prime(Token::new(
            SecretString::from("kept-1"),
            Duration::from_secs(3600),
        ))
        .await;
    assert!(!cache.is_refused());
    let resp = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&resp), bearer("kept-1"));
    assert_eq!(cache.login_count(), 2);
    assert_eq!(issuer.thing_auths(), vec![bearer("kept-1")]);
}

/// No token nor password in the Debug of the cache or the transport once a header is
/// published, in a 401's error, or in any line logged (TRACE, spans) during a renewal.
#[tokio::test]
async fn no_secret_in_debug_errors_or_logs_after_a_renewal() {
    let (captured, _guard) = support::logs::Captured::start(tracing::Level::TRACE, true);
    let issuer = Issuer::new("sekret-tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    t.send(&get()).await.unwrap();
    issuer.revoke("sekret-tok-1");
    let resp = t.send(&get()).await.unwrap();
    assert_eq!(echoed(&resp), bearer("sekret-tok-2"));
    issuer.revoke_everything();
    let resp = t.send(&get()).await.unwrap();
    assert_eq!(resp.status, 401);
    let e = error_from_response(&resp, Provider::Di, "get_thing", "refused");
    let shown = [
        format!("{cache:?}"),
        format!("{t:?}"),
        format!("{e}"),
        format!("{e:?}"),
        captured.text(),
    ];
    for s in shown {
        assert!(!s.contains("sekret-tok"), "{s}");
        assert!(!s.contains(PASSWORD), "{s}");
    }
}

/// The margin's boundary, under tokio's paused clock: a token valid 100 s with a 60 s margin
/// is reused up to just before 40 s, and not at 40 s exactly (valid *beyond* the margin).
#[tokio::test(start_paused = true)]
async fn the_margins_boundary_is_exact() {
    let issuer = Issuer::new("tok-");
    let base = serve(issuer.clone()).await;
    let (t, cache) = client(
        &base,
        Duration::from_secs(100),
        Duration::from_secs(60),
        config(),
    );
    let start = tokio::time::Instant::now();
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    tokio::time::advance(Duration::from_millis(39_999).saturating_sub(start.elapsed())).await;
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-1"));
    assert_eq!(cache.login_count(), 1);
    tokio::time::advance(Duration::from_secs(40).saturating_sub(start.elapsed())).await;
    assert_eq!(start.elapsed(), Duration::from_secs(40));
    assert_eq!(echoed(&t.send(&get()).await.unwrap()), bearer("tok-2"));
    assert_eq!(cache.login_count(), 2);
}

/// The token index of a `Bearer tok-N` header.
fn index(auth: &str) -> usize {
    auth.rsplit('-').next().unwrap().parse().unwrap()
}

/// Many renewals while calls run on four threads: the server revokes every token after 15
/// acceptances. A call that starts after another call ended with token N starts with token N
/// or a later one (never a token the cache already replaced); a call sees at most two
/// attempts; one login per refused token at most; every issued token came from a login.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rolling_revocations_never_send_a_replaced_token_and_log_in_once_per_refusal() {
    let issuer = Issuer::new("tok-");
    issuer.rolling.store(15, Ordering::SeqCst);
    let base = serve(issuer.clone()).await;
    let (t, cache) = hour_client(&base);
    let done_max = Arc::new(AtomicUsize::new(0));
    let starts = Arc::new(Mutex::new(Vec::new()));
    let next_id = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (t, done_max, starts, next_id) =
                (t.clone(), done_max.clone(), starts.clone(), next_id.clone());
            tokio::spawn(async move {
                let mut answered_401 = 0;
                for _ in 0..40 {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    let floor = done_max.load(Ordering::SeqCst);
                    starts.lock().unwrap().push((id, floor));
                    let req = get().with_query("call", id.to_string());
                    let resp = t.send(&req).await.unwrap();
                    assert!(resp.attempts <= 2);
                    if resp.status == 401 {
                        assert_eq!(resp.attempts, 2);
                        answered_401 += 1;
                    } else {
                        assert_eq!(resp.status, 200);
                        done_max.fetch_max(index(&echoed(&resp)), Ordering::SeqCst);
                    }
                }
                answered_401
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let log = issuer.log();
    let mut stale = Vec::new();
    for (id, floor) in starts.lock().unwrap().iter() {
        let q = format!("/things/1?call={id}");
        let first = log
            .iter()
            .find(|s| s.path == q)
            .unwrap_or_else(|| panic!("call {id} sent nothing"));
        let first = index(first.auth.as_deref().unwrap());
        if first < *floor {
            stale.push((*id, first, *floor));
        }
    }
    assert_eq!(
        stale,
        vec![],
        "(call, first token, token already in use before it started)"
    );
    let issued = issuer.issued.load(Ordering::SeqCst);
    let revoked = issuer.revoked.lock().unwrap().len();
    assert_eq!(cache.login_count() as usize, issued);
    assert_eq!(issuer.logins(), issued);
    assert!(
        issued <= 1 + revoked,
        "{issued} logins for {revoked} refused tokens"
    );
    assert!(issued >= 320 / 15, "{issued}");
}
