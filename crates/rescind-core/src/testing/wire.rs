//! A bare HTTP/1.1 server that keeps every request as it came on the wire.
//!
//! httpmock matches a request's path and headers, but cannot tell a header sent twice from
//! one sent once, nor show the order of the headers or the exact request line. A
//! [`WireRecorder`] keeps the raw text of each request (head and body) for such assertions,
//! and answers each with what its closure returns.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a [`WireRecorder`] answers a request: status and JSON body.
type Answer = dyn Fn(&RawRequest) -> (u16, String) + Send + Sync;

/// A bare HTTP/1.1 server on its own threads (any test runtime, or none) that keeps every
/// request's raw text and answers it with `application/json`. It runs until the process
/// ends.
///
/// ```
/// use std::io::{Read, Write};
/// use rescind_core::testing::WireRecorder;
///
/// let server = WireRecorder::start(|req| {
///     if req.line().starts_with("DELETE ") { (200, String::new()) } else { (404, "{}".into()) }
/// });
/// let mut sock = std::net::TcpStream::connect(server.addr()).unwrap();
/// sock.write_all(b"DELETE /x HTTP/1.1\r\nhost: h\r\naccept: a\r\naccept: b\r\n\r\n").unwrap();
/// let mut answer = [0u8; 64];
/// let n = sock.read(&mut answer).unwrap();
/// assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
///
/// let seen = server.take_one();
/// assert_eq!(seen.line(), "DELETE /x HTTP/1.1");
/// assert_eq!(seen.values("Accept"), ["a", "b"]);
/// assert_eq!(seen.repeated_names(), ["accept"]);
/// ```
pub struct WireRecorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<RawRequest>>>,
}

impl WireRecorder {
    /// Starts a recorder on a free port of 127.0.0.1.
    pub fn start(
        answer: impl Fn(&RawRequest) -> (u16, String) + Send + Sync + 'static,
    ) -> WireRecorder {
        WireRecorder::start_on("127.0.0.1:0", answer)
            .unwrap_or_else(|e| panic!("no port on 127.0.0.1: {e}"))
    }

    /// Starts a recorder on `bind` (`"[::1]:0"` for IPv6).
    pub fn start_on(
        bind: &str,
        answer: impl Fn(&RawRequest) -> (u16, String) + Send + Sync + 'static,
    ) -> std::io::Result<WireRecorder> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let answer: Arc<Answer> = Arc::new(answer);
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { return };
                let (kept, answer) = (kept.clone(), answer.clone());
                std::thread::spawn(move || serve(sock, &kept, answer.as_ref()));
            }
        });
        Ok(WireRecorder { addr, seen })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>` (an IPv6 address in brackets), without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The five kinds of base a client may be given, each with the path prefix its requests
    /// must keep: none, `/`, a prefix without and with its trailing slash, and `deep_prefix`
    /// (e.g. `/arta/v1`) with its trailing slash.
    pub fn bases(&self, deep_prefix: &'static str) -> Vec<(String, &'static str)> {
        let root = self.base_url();
        vec![
            (root.clone(), ""),
            (format!("{root}/"), ""),
            (format!("{root}/prefix"), "/prefix"),
            (format!("{root}/prefix/"), "/prefix"),
            (format!("{root}{deep_prefix}/"), deep_prefix),
        ]
    }

    /// The requests so far, oldest first.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The requests so far, oldest first, forgetting them.
    pub fn take(&self) -> Vec<RawRequest> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The one request since the last `take`, forgetting it; panics (showing them) when
    /// there were none or several.
    pub fn take_one(&self) -> RawRequest {
        let mut seen = self.take();
        assert_eq!(seen.len(), 1, "one request expected: {seen:#?}");
        seen.pop().unwrap_or_else(|| unreachable!("checked above"))
    }
}

impl std::fmt::Debug for WireRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireRecorder")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Reads requests off one connection (keep-alive: several in a row) until it closes.
fn serve(mut sock: TcpStream, kept: &Mutex<Vec<RawRequest>>, answer: &Answer) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        while let Some(len) = whole_request(&buf) {
            let request = RawRequest {
                text: String::from_utf8_lossy(&buf[..len]).into_owned(),
            };
            buf.drain(..len);
            let (status, body) = answer(&request);
            kept.lock().unwrap_or_else(|e| e.into_inner()).push(request);
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if sock.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the first whole request in `buf` (head, blank line, `content-length`
/// bytes of body), if it has arrived.
pub(crate) fn whole_request(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let body = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    (buf.len() >= end + body).then_some(end + body)
}

/// One request as it came on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawRequest {
    /// The request's text: request line, headers, blank line, body (bytes that are not
    /// UTF-8 replaced).
    pub text: String,
}

impl RawRequest {
    /// Panics, showing the head, when a header name appears more than once in it.
    pub fn assert_each_name_once(&self) {
        assert!(
            self.repeated_names().is_empty(),
            "a header name sent twice:\n{}",
            self.text
        );
    }

    /// The request line, e.g. `DELETE /prefix/ws/json/parcel/booking/v-1/order/cancel/1 HTTP/1.1`.
    pub fn line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }

    /// The headers in the order they were sent, names in lower case, values trimmed.
    pub fn headers(&self) -> Vec<(String, String)> {
        let head = self.text.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
            })
            .collect()
    }

    /// Every value sent for `name` (any case), in order.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.headers()
            .into_iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect()
    }

    /// The header names sent more than once (lower case, in order of their first repeat).
    pub fn repeated_names(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        let mut repeated: Vec<String> = Vec::new();
        for (name, _) in self.headers() {
            if seen.contains(&name) {
                if !repeated.contains(&name) {
                    repeated.push(name);
                }
            } else {
                seen.push(name);
            }
        }
        repeated
    }

    /// The body (empty without one).
    pub fn body(&self) -> &str {
        self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }
}
