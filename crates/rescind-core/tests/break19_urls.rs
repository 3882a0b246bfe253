//! break19: `BaseUrl` keeps a private copy of its base with a 256-byte placeholder path, and
//! every request's URL is a clone of it followed by `set_path` (and the query). The URL must be
//! exactly the parse of `base + path` (+ query), and exactly what the join of the bare base
//! gave before, for bases with and without a prefix or a trailing slash, http and https, ports,
//! IPv6 and IDNA hosts, paths around and beyond 256 bytes, long queries; the placeholder never
//! shows (`as_str`, `Display`, `Debug`, the wire, errors) and two `BaseUrl`s of one base are
//! equal.

mod support;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rescind_core::http::{BaseUrl, Method, path_with_segment};
use rescind_core::retry::RetryPolicy;
use rescind_core::{HttpRequest, Provider, Transport, TransportConfig};
use support::key_transport;
use support::wire::WireRecorder;
use url::Url;

/// The placeholder is 256 `r`s: eight in a row is enough to see it.
const PLACEHOLDER: &str = "rrrrrrrr";

const BASES: [&str; 22] = [
    "http://127.0.0.1:8080",
    "http://127.0.0.1:8080/",
    "https://api.arta.io",
    "https://api.arta.io/",
    "https://api.arta.io:443/",
    "http://api.arta.io:80",
    "https://api.arta.io:8443",
    "https://h/prefix",
    "https://h/prefix/",
    "http://h/a/b/c",
    "http://h/a/b/c/",
    "http://[::1]:9000",
    "http://[::1]:9000/p",
    "https://[2001:db8::1]/api/v2/",
    "HTTPS://API.Example.COM/Pre%20Fix/",
    "http://h/a b/",
    "http://h/ø/",
    "http://bücher.example/shop",
    "http://h/p/q/../",
    "http://h/rrrr/",
    "http://h/p;v=1/",
    "http://h//double/",
];

/// A prefix longer than the placeholder.
fn long_base() -> String {
    format!("http://h/{}/", "p".repeat(300))
}

fn all_bases() -> Vec<String> {
    let mut bases: Vec<String> = BASES.iter().map(|b| b.to_string()).collect();
    bases.push(long_base());
    bases
}

/// Paths as the providers build them, for odd ids, and paths around the placeholder's length.
fn paths() -> Vec<String> {
    let mut paths = vec![
        "/".to_string(),
        String::new(),
        "/hosted_sessions/42/cancel".to_string(),
        "hosted_sessions/42".to_string(),
        "/shipment_exceptions".to_string(),
        "/ws/json/auth/v-3/login/60".to_string(),
    ];
    let ids = [
        "42",
        "a b",
        "a/b",
        "../admin",
        "%2F",
        "%2e%2e",
        "a?b",
        "a#b",
        "ø",
        "日本語",
        "(401)70724761617883184",
        "...",
        "a\\b",
    ];
    for id in ids {
        for (prefix, suffix) in [
            ("/shipments/", ""),
            ("/shipment_exceptions/", ""),
            ("/ws/json/parcel/booking/v-1/order/cancel/", ""),
            ("/ws/json/parcel/booking/v-1/details/", ""),
            ("/financing/v1/applications/", "/order/cancel"),
            ("/financing/v1/applications/", "/cancel"),
        ] {
            paths.push(path_with_segment("id", prefix, id, suffix).unwrap());
        }
    }
    for len in [250, 254, 255, 256, 257, 258, 300, 512, 513, 4096] {
        let prefix = "/shipments/";
        paths.push(format!("{prefix}{}", "7".repeat(len - prefix.len())));
        paths.push(path_with_segment("id", prefix, &"ø".repeat(len / 2), "").unwrap());
    }
    paths.push(format!("/{}", "r".repeat(256)));
    paths.push(format!("/{}", "r".repeat(255)));
    paths
}

fn queries() -> Vec<Vec<(String, String)>> {
    let q = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    vec![
        vec![],
        q(&[("page", "2"), ("page_size", "50")]),
        q(&[("q", "a b&c=d#e?f/ø%25+")]),
        vec![("page_size".to_string(), "5".repeat(300))],
        (0..60)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect(),
        q(&[("", ""), ("=", "&")]),
    ]
}

/// The parse of `base + path` (the base ends with `/`, the path's own leading `/` dropped),
/// with the query's pairs.
fn parsed(base: &BaseUrl, path: &str, query: &[(String, String)]) -> String {
    let mut url = Url::parse(&format!(
        "{}{}",
        base.as_str(),
        path.trim_start_matches('/')
    ))
    .unwrap_or_else(|e| panic!("{base} + {path}: {e}"));
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query.iter());
    }
    url.into()
}

/// What the join gave before the placeholder: a clone of the bare base, `set_path`, the query.
fn old_join(base: &BaseUrl, path: &str, query: &[(String, String)]) -> String {
    let mut url = Url::parse(base.as_str()).unwrap();
    if url.path() == "/" && path.starts_with('/') && !path.starts_with("//") {
        url.set_path(path);
    } else {
        let joined = format!("{}{}", url.path(), path.trim_start_matches('/'));
        url.set_path(&joined);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query.iter());
    }
    url.into()
}

#[test]
fn every_url_is_the_parse_of_base_and_path_and_what_the_bare_base_gave() {
    for input in all_bases() {
        let base = BaseUrl::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
        for path in paths() {
            for query in queries() {
                let got = base.url(&path, &query);
                assert_eq!(
                    got,
                    parsed(&base, &path, &query),
                    "{input} + {path:?} + {query:?}"
                );
                assert_eq!(
                    got,
                    old_join(&base, &path, &query),
                    "{input} + {path:?} + {query:?}"
                );
                // The text is a URL's own serialization: parsing it again changes nothing.
                assert_eq!(Url::parse(&got).unwrap().as_str(), got);
            }
        }
    }
}

#[test]
fn known_urls_to_the_letter() {
    let cases = [
        (
            "http://127.0.0.1:8080/prefix",
            "/shipments/a%20b",
            "http://127.0.0.1:8080/prefix/shipments/a%20b",
        ),
        (
            "http://127.0.0.1:8080/prefix/",
            "/shipments/a%20b",
            "http://127.0.0.1:8080/prefix/shipments/a%20b",
        ),
        (
            "http://127.0.0.1:8080",
            "/shipments/a%2Fb",
            "http://127.0.0.1:8080/shipments/a%2Fb",
        ),
        (
            "https://api.arta.io:443",
            "/shipments/..%2Fadmin",
            "https://api.arta.io/shipments/..%2Fadmin",
        ),
        (
            "http://[::1]:9000/p",
            "/financing/v1/applications/%C3%B8/cancel",
            "http://[::1]:9000/p/financing/v1/applications/%C3%B8/cancel",
        ),
        (
            "http://bücher.example",
            "/x",
            "http://xn--bcher-kva.example/x",
        ),
        ("http://h/p/", "/", "http://h/p/"),
        ("http://h/p", "", "http://h/p/"),
        ("http://h", "", "http://h/"),
    ];
    for (base, path, want) in cases {
        assert_eq!(
            BaseUrl::parse(base).unwrap().url(path, &[]),
            want,
            "{base} + {path}"
        );
    }
    let base = BaseUrl::parse("https://api.arta.io").unwrap();
    let long = format!("/shipments/{}", "7".repeat(400));
    assert_eq!(
        base.url(&long, &[("page".into(), "2".into())]),
        format!("https://api.arta.io{long}?page=2")
    );
}

#[test]
fn the_placeholder_never_shows() {
    for input in all_bases() {
        if input.contains("rrrr") {
            continue; // its own `r`s are not the placeholder; checked by equality above
        }
        let base = BaseUrl::parse(&input).unwrap();
        let shown = [
            base.as_str().to_string(),
            base.to_string(),
            format!("{base:?}"),
            format!("{base:#?}"),
            base.url("", &[]),
            base.url("/", &[]),
            base.url("/x", &[("a".into(), "b".into())]),
        ];
        for text in shown {
            assert!(!text.contains(PLACEHOLDER), "{input}: {text}");
        }
        // `as_str` and Display are the base and nothing else.
        assert_eq!(base.to_string(), base.as_str());
        assert!(base.as_str().ends_with('/'), "{}", base.as_str());
        assert_eq!(base.url("", &[]), base.as_str());
        let t = Transport::builder(Provider::Arta, input.clone())
            .build()
            .unwrap();
        assert_eq!(t.base_url(), &base);
        let debug = format!("{t:?}");
        assert!(!debug.contains(PLACEHOLDER), "{debug}");
    }
}

#[test]
fn two_base_urls_of_one_base_are_equal_and_of_two_bases_are_not() {
    for input in all_bases() {
        let a = BaseUrl::parse(&input).unwrap();
        let b = BaseUrl::parse(&input).unwrap();
        assert_eq!(a, b, "{input}");
        assert_eq!(a, a.clone(), "{input}");
        // Equal bases give equal URLs, and a clone joins as its original does.
        assert_eq!(a.url("/x/1", &[]), a.clone().url("/x/1", &[]));
    }
    let same = [
        ("http://h/p", "http://h/p/"),
        ("http://H:80", "http://h/"),
        ("https://h:443/x", "https://h/x/"),
        ("http://h/a b", "http://h/a%20b/"),
        ("http://h/p/q/..", "http://h/p/"),
        ("http://[0:0::1]:9/", "http://[::1]:9"),
    ];
    for (a, b) in same {
        assert_eq!(
            BaseUrl::parse(a).unwrap(),
            BaseUrl::parse(b).unwrap(),
            "{a} {b}"
        );
    }
    let different = [
        ("http://h/p/", "http://h/q/"),
        ("http://h/", "https://h/"),
        ("http://h:8080/", "http://h:8081/"),
        ("http://h/p/", "http://h/p/q/"),
        ("http://h/", "http://h/r/"),
        ("http://h/p/", "http://h/P/"),
    ];
    for (a, b) in different {
        assert_ne!(
            BaseUrl::parse(a).unwrap(),
            BaseUrl::parse(b).unwrap(),
            "{a} {b}"
        );
    }
}

#[test]
fn bad_bases_are_refused_without_the_placeholder_in_the_message() {
    for bad in [
        "ftp://h/",
        "http://h/?q=1",
        "http://h/#f",
        "http://u:p@h/",
        "not a url",
        "",
    ] {
        let err = BaseUrl::parse(bad).unwrap_err();
        assert!(!err.to_string().contains(PLACEHOLDER), "{err}");
        assert!(!format!("{err:?}").contains(PLACEHOLDER), "{err:?}");
    }
}

fn any_path() -> impl Strategy<Value = String> {
    prop_oneof![
        "/[a-z0-9_/.-]{0,300}",
        "[a-z0-9_/.-]{0,40}",
        "(/[A-Za-z0-9._~%-]{1,40}){1,12}",
    ]
}

fn any_query() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((any::<String>(), any::<String>()), 0..4)
}

proptest! {
    #[test]
    fn arbitrary_paths_and_queries_join_as_parsed(
        base in 0..BASES.len(),
        path in any_path(),
        query in any_query(),
    ) {
        let base = BaseUrl::parse(BASES[base]).unwrap();
        let got = base.url(&path, &query);
        prop_assert_eq!(&got, &parsed(&base, &path, &query));
        prop_assert_eq!(&got, &old_join(&base, &path, &query));
    }

    #[test]
    fn any_text_as_a_path_joins_as_the_bare_base_did(
        base in 0..BASES.len(),
        path in any::<String>(),
        query in any_query(),
    ) {
        let base = BaseUrl::parse(BASES[base]).unwrap();
        prop_assert_eq!(base.url(&path, &query), old_join(&base, &path, &query));
    }
}

/// A server on `bind` that keeps every request's raw head and answers 200 `{}`.
fn server(bind: &str) -> WireRecorder {
    WireRecorder::start_on(bind, |_| (200, "{}".into())).unwrap()
}

/// The request target the parse of `base + path` (+ query) gives: its path and query.
fn target(base: &BaseUrl, path: &str, query: &[(String, String)]) -> String {
    let url = Url::parse(&parsed(base, path, query)).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

fn config() -> TransportConfig {
    TransportConfig::default()
        .with_attempt_timeout(Duration::from_secs(10))
        .with_retry(RetryPolicy::none())
}

async fn check_wire(bind: &str, host: impl Fn(std::net::SocketAddr) -> String) {
    let server = server(bind);
    let addr = server.addr();
    let root = format!("http://{}", host(addr));
    let long_prefix = format!("{root}/{}", "p".repeat(300));
    for base in [
        root.clone(),
        format!("{root}/"),
        format!("{root}/prefix"),
        format!("{root}/prefix/"),
        format!("{root}/a%20b/c"),
        long_prefix,
    ] {
        let t = key_transport(&base, config());
        let parsed_base = BaseUrl::parse(&base).unwrap();
        for path in paths() {
            for query in [
                vec![],
                vec![
                    ("page".to_string(), "2".to_string()),
                    ("q".to_string(), "a b&c#d/ø".to_string()),
                ],
                vec![("page_size".to_string(), "5".repeat(300))],
            ] {
                let mut req = HttpRequest::new("get_thing", Method::GET, "/things/{id}", &*path);
                for (k, v) in &query {
                    req = req.with_query(k.clone(), v.clone());
                }
                t.send(&req)
                    .await
                    .unwrap_or_else(|e| panic!("{base} + {path}: {e}"));
                let raw = server.take().pop().unwrap();
                assert_eq!(
                    raw.line(),
                    format!("GET {} HTTP/1.1", target(&parsed_base, &path, &query)),
                    "{base} + {path:?} + {query:?}"
                );
                if !path.contains(PLACEHOLDER) {
                    assert!(!raw.text.contains(PLACEHOLDER), "{}", raw.text);
                }
                let hosts = raw.values("host");
                assert_eq!(hosts.first().unwrap(), &host(addr), "{}", raw.text);
            }
        }
    }
}

#[tokio::test]
async fn on_the_wire_the_target_is_the_parsed_path_and_query_with_and_without_a_prefix() {
    check_wire("127.0.0.1:0", |addr| addr.to_string()).await;
}

#[tokio::test]
async fn on_the_wire_an_ipv6_host_is_joined_as_any_other() {
    check_wire("[::1]:0", |addr| format!("[::1]:{}", addr.port())).await;
}

#[tokio::test]
async fn a_connection_error_names_the_request_s_url_never_the_placeholder() {
    // A port nobody listens on: bound, then closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for base in [
        format!("http://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/prefix/"),
    ] {
        let t = key_transport(&base, config());
        let req = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/a%20b");
        let err = t.send(&req).await.unwrap_err();
        let url = BaseUrl::parse(&base).unwrap().url("/things/a%20b", &[]);
        assert!(err.to_string().contains(&format!("({url})")), "{err}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(PLACEHOLDER), "{text}");
        }
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            assert!(!s.to_string().contains(PLACEHOLDER), "{s}");
            source = s.source();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_of_one_transport_each_send_their_own_target() {
    let server = server("127.0.0.1:0");
    let addr = server.addr();
    for (base, prefix) in [
        (format!("http://{addr}"), ""),
        (format!("http://{addr}/prefix"), "/prefix"),
    ] {
        let t = Arc::new(key_transport(&base, config()));
        let mut tasks = Vec::new();
        let mut want = Vec::new();
        for i in 0..48usize {
            // Short, at the room's length and beyond it, each with its own query.
            let id = format!("{i}-{}", "x".repeat(i * 11));
            let path = path_with_segment("id", "/shipments/", &id, "").unwrap();
            want.push(format!("GET {prefix}{path}?n={i} HTTP/1.1"));
            let t = t.clone();
            tasks.push(tokio::spawn(async move {
                let req = HttpRequest::new("get_shipment", Method::GET, "/shipments/{id}", path)
                    .with_query("n", i.to_string());
                t.send(&req).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut got: Vec<String> = server
            .take()
            .iter()
            .map(|raw| raw.line().to_string())
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{base}");
    }
}
