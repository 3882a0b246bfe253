//! Requests and responses as plain data: what provider crates build and read.
//!
//! A provider crate never touches a socket. It turns a call into an [`HttpRequest`] (method,
//! path, query, headers, body, and whether repeating it is safe) and turns an [`HttpResponse`]
//! (status, headers, bytes) back into a typed result. The [`Transport`](crate::Transport) does
//! the I/O in between. So every request can be checked, and every body snapshot, without a
//! network.

use bytes::Bytes;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::Error;

/// One HTTP request of one operation, before it is sent.
///
/// Its `Debug` shows the body's length, never its content: a login body holds a password.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The operation's name, for tracing and errors (e.g. `cancel_hosted_session`).
    pub operation: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template, for tracing without ids (e.g. `/hosted_sessions/{id}/cancel`).
    pub path_template: &'static str,
    /// The path with every segment already encoded (see [`path_segment`]), starting with `/`.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Headers besides the transport's defaults and authentication.
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// Whether sending this request twice has the same effect as sending it once. Only
    /// idempotent requests are retried after they may have reached the provider.
    pub idempotent: bool,
    /// Whether the transport adds the client's credentials. False for a login itself.
    pub authenticated: bool,
}

impl HttpRequest {
    /// A request without query, headers or body; idempotent for GET, PUT, DELETE, HEAD and
    /// OPTIONS, and authenticated. Adjust with the `with_*` methods.
    pub fn new(
        operation: &'static str,
        method: Method,
        path_template: &'static str,
        path: impl Into<String>,
    ) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD | Method::OPTIONS
        );
        HttpRequest {
            operation,
            method,
            path_template,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotent,
            authenticated: true,
        }
    }

    /// Adds a query parameter.
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.set_header(name, value);
        self
    }

    /// Sets `name` to `value` alone. A request's headers are few (a content type, at most a
    /// key): the first one gets room for one, not the map's default room for a dozen (624
    /// bytes touched per request). The first is appended, the same as inserting it into an
    /// empty map, through the code the transport runs for every request's headers anyway
    /// (`reserve`, `append`): an `insert` of its own would be code that only this runs, out
    /// of the instruction cache by the next request (bench `calls`).
    fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        if self.headers.is_empty() {
            self.headers.reserve(1);
            self.headers.append(name, value);
        } else {
            self.headers.insert(name, value);
        }
    }

    /// Sets a JSON body and its `Content-Type: application/json`.
    pub fn with_json_body(self, body: impl Into<Bytes>) -> Self {
        self.with_body(body, HeaderValue::from_static("application/json"))
    }

    /// Sets a body with its content type.
    pub fn with_body(mut self, body: impl Into<Bytes>, content_type: HeaderValue) -> Self {
        self.set_header(http::header::CONTENT_TYPE, content_type);
        self.body = Some(body.into());
        self
    }

    /// Declares whether the request is idempotent (overrides the method's default).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sends the request without the client's credentials (a login).
    pub fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// The body as text, for tests and snapshots (`None` without a body).
    pub fn body_text(&self) -> Option<&str> {
        self.body
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// Whether a header's value is a secret that Debug, logs and errors must not show: one
/// marked sensitive, or one whose name says it carries credentials (`Authorization`,
/// `Proxy-Authorization`, `Cookie`, or a name with `key`, `token`, `secret` or `password`).
pub(crate) fn is_secret_header(name: &HeaderName, value: &HeaderValue) -> bool {
    if value.is_sensitive() {
        return true;
    }
    let name = name.as_str();
    matches!(name, "authorization" | "proxy-authorization" | "cookie")
        || ["key", "token", "secret", "password"]
            .iter()
            .any(|word| name.contains(word))
}

/// Headers as `(name, value)` pairs for a Debug output, secret values shown as `[redacted]`.
pub(crate) fn shown_headers(headers: &HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if is_secret_header(name, value) {
                "[redacted]"
            } else {
                value.to_str().unwrap_or("[binary]")
            };
            (name.as_str(), shown)
        })
        .collect()
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers = shown_headers(&self.headers);
        f.debug_struct("HttpRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .field("idempotent", &self.idempotent)
            .field("authenticated", &self.authenticated)
            .finish()
    }
}

/// The provider's answer to one [`HttpRequest`], after retries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, capped by the transport (error bodies at 64 KiB by default).
    pub body: Bytes,
    /// The provider's request id, read from the transport's request-id header if configured.
    pub request_id: Option<String>,
    /// How many attempts it took (1 when the first answer was kept).
    pub attempts: u32,
    /// Whether the body was cut at the transport's cap.
    pub truncated: bool,
    /// Whether an earlier attempt of the same call may have been applied (it timed out, lost
    /// its connection, or, for a change, was answered with a 5xx or a 408 before this answer
    /// came, or with a 429 the provider does not document, this answer included). An error
    /// built from this answer then says
    /// [`Sent::MaybeSent`](crate::Sent::MaybeSent).
    pub earlier_attempt_maybe_sent: bool,
}

impl HttpResponse {
    /// A response from its parts (for tests and sans-IO decoding).
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
            request_id: None,
            attempts: 1,
            truncated: false,
            earlier_attempt_maybe_sent: false,
        }
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as lossy UTF-8, for error messages.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Characters left as they are in a path segment: RFC 3986 unreserved. Everything else,
/// `/`, `%`, `?`, `#` and spaces among them, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment (an id) so that it cannot reach another path: `/`, `%`, `?`, `#`
/// and spaces are percent-encoded, and an empty value, `.` or `..` is refused as invalid input
/// of `field`.
///
/// ```
/// use rescind_core::http::path_segment;
/// assert_eq!(path_segment("id", "a b/c").unwrap(), "a%20b%2Fc");
/// assert_eq!(path_segment("id", "%2F").unwrap(), "%252F");
/// assert!(path_segment("id", "..").is_err());
/// ```
pub fn path_segment(field: &str, value: &str) -> Result<String, Error> {
    path_with_segment(field, "", value, "")
}

/// A path with one encoded segment between `prefix` and `suffix`, built in one allocation:
/// `path_with_segment("id", "/orders/", "a b", "/cancel")` is `/orders/a%20b/cancel`. The
/// segment is checked and encoded as by [`path_segment`] (which is this without a prefix or
/// suffix); an id of unreserved characters only (the common case) is copied as it is.
///
/// ```
/// use rescind_core::http::path_with_segment;
/// assert_eq!(path_with_segment("id", "/orders/", "a b/c", "/cancel").unwrap(), "/orders/a%20b%2Fc/cancel");
/// assert_eq!(path_with_segment("id", "/orders/", "42", "").unwrap(), "/orders/42");
/// assert!(path_with_segment("id", "/orders/", "..", "").is_err());
/// ```
pub fn path_with_segment(
    field: &str,
    prefix: &str,
    value: &str,
    suffix: &str,
) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_input(field, "must not be `.` or `..`"));
    }
    // Borrowed when nothing needs encoding (the rule is `SEGMENT`'s, not a copy of it).
    let segment: std::borrow::Cow<'_, str> = utf8_percent_encode(value, SEGMENT).into();
    let mut path = String::with_capacity(prefix.len() + segment.len() + suffix.len());
    path.push_str(prefix);
    path.push_str(&segment);
    path.push_str(suffix);
    Ok(path)
}

/// A provider's base URL. Joining a path keeps the base's own path prefix:
/// `http://host/prefix` + `/hosted_sessions` is `http://host/prefix/hosted_sessions`.
///
/// ```
/// use rescind_core::http::BaseUrl;
/// let base = BaseUrl::parse("http://127.0.0.1:8080/arta/").unwrap();
/// assert_eq!(base.url("/hosted_sessions/1/cancel", &[]), "http://127.0.0.1:8080/arta/hosted_sessions/1/cancel");
/// ```
#[derive(Clone)]
pub struct BaseUrl {
    url: Url,
    /// The base with a placeholder path of [`PATH_ROOM`] bytes, which every request's URL is
    /// a clone of: `set_path` writes the request's path into the room the clone already has.
    /// A clone of the bare base has none, and `set_path` grew it twice per request; a
    /// `realloc` always takes the allocator's arena lock (glibc), which the workers of a
    /// multi-thread runtime then wait for (bench `calls`, Di throughput, a uprobe on the lock).
    roomy: Url,
}

/// The room for a request's path (and query) in the URL it is built in; longer ones grow.
const PATH_ROOM: usize = 256;

impl PartialEq for BaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl Eq for BaseUrl {}

impl std::fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.url).finish()
    }
}

impl BaseUrl {
    /// Parses a base URL; it must be `http` or `https`, with a host, without query or fragment.
    pub fn parse(input: &str) -> Result<BaseUrl, Error> {
        // The input may carry credentials by mistake (`http://user:pw@host`, or a key in
        // its query `?api_key=…`): never echo them.
        let shown: std::borrow::Cow<'_, str> = if input.contains('@') {
            "<redacted: contains `@`>".into()
        } else if let Some(end) = input.find(['?', '#']) {
            format!("{}<query or fragment hidden>", &input[..end]).into()
        } else {
            input.into()
        };
        let mut url = Url::parse(input)
            .map_err(|e| Error::config(format!("base URL `{shown}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "base URL `{shown}` must start with http:// or https://"
            )));
        }
        if url.host().is_none() {
            return Err(Error::config(format!("base URL `{shown}` has no host")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "base URL `{shown}` must not have a query or fragment"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(
                "base URL must not carry credentials; configure them on the client",
            ));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let mut roomy = url.clone();
        roomy.set_path(&format!("{}{}", url.path(), "r".repeat(PATH_ROOM)));
        Ok(BaseUrl { url, roomy })
    }

    /// The base URL as text (always ending in `/`).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The full URL of `path` (already encoded, with or without a leading `/`) and `query`,
    /// as text: what the transport sends to.
    pub fn url(&self, path: &str, query: &[(String, String)]) -> String {
        self.join(path, query).into()
    }

    /// [`BaseUrl::url`] as a parsed URL (crate-private: `url::Url` stays out of the public
    /// API, see the public dependency policy).
    pub(crate) fn join(&self, path: &str, query: &[(String, String)]) -> Url {
        let mut url = self.roomy.clone();
        if self.url.path() == "/" && path.starts_with('/') && !path.starts_with("//") {
            // The common base URL, without a prefix: the path as it is, without building it
            // anew (two heap blocks per request).
            url.set_path(path);
        } else {
            let joined = format!("{}{}", self.url.path(), path.trim_start_matches('/'));
            url.set_path(&joined);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter());
        }
        url
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_beyond_the_first_are_kept_as_the_map_grows() {
        let req = HttpRequest::new("op", Method::PUT, "/x", "/x")
            .with_header(
                HeaderName::from_static("x-one"),
                HeaderValue::from_static("1"),
            )
            .with_header(
                HeaderName::from_static("x-two"),
                HeaderValue::from_static("2"),
            )
            .with_json_body("{}");
        assert_eq!(req.headers.len(), 3);
        assert_eq!(req.headers["x-one"], "1");
        assert_eq!(req.headers["x-two"], "2");
        assert_eq!(req.headers[http::header::CONTENT_TYPE], "application/json");
        assert_eq!(req.body_text(), Some("{}"));
    }

    #[test]
    fn join_keeps_prefix_with_or_without_trailing_slash() {
        for base in ["http://h/prefix", "http://h/prefix/"] {
            let base = BaseUrl::parse(base).unwrap();
            assert_eq!(
                base.join("/hosted_sessions", &[]).as_str(),
                "http://h/prefix/hosted_sessions"
            );
            assert_eq!(
                base.join("hosted_sessions", &[]).as_str(),
                "http://h/prefix/hosted_sessions"
            );
        }
    }

    #[test]
    fn join_without_prefix_and_with_query() {
        let base = BaseUrl::parse("https://api.arta.io").unwrap();
        let url = base.join(
            "/shipment_exceptions",
            &[
                ("page".into(), "2".into()),
                ("page_size".into(), "50".into()),
            ],
        );
        assert_eq!(
            url.as_str(),
            "https://api.arta.io/shipment_exceptions?page=2&page_size=50"
        );
    }

    #[test]
    fn path_with_segment_encodes_as_path_segment_does() {
        for value in [
            "42", "AbC-._~", "a b", "../x", "%2F", "ø", "a/b?c#d", "(401)7", "~", "-",
        ] {
            // The encoding as `SEGMENT` gives it, written out here: `path_segment` is this
            // function without a prefix or suffix, so comparing the two would prove nothing.
            let expected = format!("/p/{}/s", utf8_percent_encode(value, SEGMENT));
            assert_eq!(
                path_segment("id", value).unwrap(),
                utf8_percent_encode(value, SEGMENT).to_string()
            );
            assert_eq!(
                path_with_segment("id", "/p/", value, "/s").unwrap(),
                expected,
                "{value}"
            );
        }
        for bad in ["", ".", ".."] {
            let err = path_with_segment("order_id", "/p/", bad, "").unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains("order_id"), "{err}");
        }
    }

    #[test]
    fn a_joined_url_is_the_parse_of_base_and_path_whatever_their_length() {
        let long = format!("/orders/{}", "7".repeat(PATH_ROOM * 2));
        for base in ["http://h:8080", "https://h/prefix/"] {
            let b = BaseUrl::parse(base).unwrap();
            for (path, query) in [
                ("/orders/1", vec![]),
                ("/", vec![]),
                (long.as_str(), vec![]),
                ("/list", vec![("page".to_string(), "2".to_string())]),
                (
                    long.as_str(),
                    vec![("page_size".to_string(), "5".repeat(PATH_ROOM))],
                ),
            ] {
                let joined = b.join(path, &query);
                let mut expected =
                    Url::parse(&format!("{}{}", b.as_str(), path.trim_start_matches('/'))).unwrap();
                if !query.is_empty() {
                    expected.query_pairs_mut().extend_pairs(query.iter());
                }
                assert_eq!(joined, expected, "{base} + {path}");
                assert!(!joined.as_str().contains("rrrrrrrr"), "{joined}");
            }
            // Equality and Debug see the base only, not its room.
            assert_eq!(b, BaseUrl::parse(base).unwrap());
            assert!(!format!("{b:?}").contains("rrrr"), "{b:?}");
        }
    }

    #[test]
    fn join_does_not_let_an_encoded_segment_escape() {
        let base = BaseUrl::parse("http://h/p/").unwrap();
        let seg = path_segment("id", "../../admin").unwrap();
        let url = base.join(&format!("/orders/{seg}"), &[]);
        assert_eq!(url.path(), "/p/orders/..%2F..%2Fadmin");
    }

    #[test]
    fn a_base_without_prefix_joins_as_one_with_a_prefix_would() {
        // The shortcut for a base whose path is `/` gives what building the path anew gives.
        let bare = BaseUrl::parse("http://h").unwrap();
        let seg = path_segment("id", "../a b").unwrap();
        for path in [
            format!("/orders/{seg}"),
            "orders/1".to_string(),
            "//orders/1".to_string(),
            "/".to_string(),
        ] {
            let mut expected = Url::parse("http://h/").unwrap();
            expected.set_path(&format!("/{}", path.trim_start_matches('/')));
            assert_eq!(bare.join(&path, &[]), expected, "{path}");
        }
        assert_eq!(
            bare.join(&format!("/orders/{seg}"), &[]).path(),
            "/orders/..%2Fa%20b"
        );
    }

    #[test]
    fn parse_refuses_bad_bases() {
        for bad in [
            "ftp://h/",
            "not a url",
            "http://h/?q=1",
            "http://u:p@h/",
            "http://h/#f",
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
        }
        for bad in [
            "http://u:secretpw@h/",
            "ftp://u:secretpw@h/",
            "http://u:secretpw@h/?q",
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("secretpw"), "{err}");
        }
    }

    #[test]
    fn segment_encodes_path_characters() {
        assert_eq!(
            path_segment("id", "70724761617883184").unwrap(),
            "70724761617883184"
        );
        assert_eq!(path_segment("id", "a?b#c").unwrap(), "a%3Fb%23c");
        assert!(path_segment("id", "").is_err());
        assert!(path_segment("id", ".").is_err());
    }

    #[test]
    fn debug_hides_the_body() {
        let req = HttpRequest::new("login", Method::POST, "/login", "/login")
            .with_json_body(r#"{"password":"hunter2"}"#);
        let text = format!("{req:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("body_len: Some(22)"), "{text}");
    }

    #[test]
    fn default_idempotency_follows_method() {
        assert!(HttpRequest::new("x", Method::PUT, "/", "/").idempotent);
        assert!(!HttpRequest::new("x", Method::POST, "/", "/").idempotent);
        assert!(!HttpRequest::new("x", Method::PATCH, "/", "/").idempotent);
        assert!(
            HttpRequest::new("x", Method::PATCH, "/", "/")
                .idempotent(true)
                .idempotent
        );
    }
}
