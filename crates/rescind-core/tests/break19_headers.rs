//! break19: `HttpRequest::with_header` / `with_body` / `with_json_body` append a request's first
//! header (after `reserve(1)`) and insert the others. Every one of them must keep the semantics
//! of `HeaderMap::insert`: one value per name, the last one wins, a content type set by
//! `with_body` replaces one set before by `with_header` (and the other way round), whatever the
//! map held before; and the transport sends each header once on the wire.

mod support;

use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use proptest::prelude::*;
use rescind_core::http::{HeaderMap, HeaderName, HeaderValue, Method};
use rescind_core::{HttpRequest, TransportConfig};
use support::key_transport;
use support::wire::WireRecorder;

fn name(n: &'static str) -> HeaderName {
    HeaderName::from_static(n)
}

fn value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap()
}

fn get() -> HttpRequest {
    HttpRequest::new("op", Method::GET, "/x", "/x")
}

/// Every name of `map` with all its values, sorted: two maps with the same entries compare
/// equal, and a name kept twice shows.
fn entries(map: &HeaderMap) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = map
        .keys()
        .map(|k| {
            let values = map
                .get_all(k)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            (k.as_str().to_string(), values)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_same_name_twice_keeps_the_last_value_alone() {
    let req = get()
        .with_header(name("x-a"), value("1"))
        .with_header(name("x-a"), value("2"));
    assert_eq!(
        entries(&req.headers),
        vec![("x-a".into(), vec!["2".into()])]
    );
    assert_eq!(req.headers.len(), 1);

    // Three times, with another name between.
    let req = get()
        .with_header(name("x-a"), value("1"))
        .with_header(name("x-b"), value("b"))
        .with_header(name("x-a"), value("2"))
        .with_header(name("x-a"), value("3"));
    assert_eq!(
        entries(&req.headers),
        vec![
            ("x-a".into(), vec!["3".into()]),
            ("x-b".into(), vec!["b".into()])
        ]
    );
    assert_eq!(req.headers.len(), 2);
}

#[test]
fn a_body_s_content_type_replaces_the_header_set_before_and_the_other_way_round() {
    let req = get()
        .with_header(CONTENT_TYPE, value("text/plain"))
        .with_json_body("{}");
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["application/json".into()])]
    );

    let req = get()
        .with_json_body("{}")
        .with_header(CONTENT_TYPE, value("text/plain"));
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["text/plain".into()])]
    );
    assert_eq!(req.body_text(), Some("{}"));

    let req = get()
        .with_body("a", value("text/plain"))
        .with_json_body("{}");
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["application/json".into()])]
    );
    assert_eq!(req.body_text(), Some("{}"));

    let req = get()
        .with_json_body("{}")
        .with_body("a", value("application/json; charset=utf-8"));
    assert_eq!(
        entries(&req.headers),
        vec![(
            "content-type".into(),
            vec!["application/json; charset=utf-8".into()]
        )]
    );
    assert_eq!(req.body_text(), Some("a"));

    // The name's case is the map's business: `Content-Type` is `content-type`.
    let req = get()
        .with_header(
            HeaderName::from_bytes(b"Content-Type").unwrap(),
            value("text/plain"),
        )
        .with_json_body("{}");
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["application/json".into()])]
    );
}

#[test]
fn a_map_filled_or_emptied_by_hand_is_replaced_into_not_appended_to() {
    // `headers` is public: whatever it holds, `with_header` sets the name to one value.
    let mut req = get();
    req.headers.append(name("x-a"), value("1"));
    req.headers.append(name("x-a"), value("2"));
    let req = req.with_header(name("x-a"), value("3"));
    assert_eq!(
        entries(&req.headers),
        vec![("x-a".into(), vec!["3".into()])]
    );

    let mut req = get();
    req.headers.append(CONTENT_TYPE, value("text/plain"));
    req.headers.append(CONTENT_TYPE, value("text/html"));
    let req = req.with_json_body("{}");
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["application/json".into()])]
    );

    // Emptied again (cleared, or its only name removed): the next two of one name keep one.
    for mut req in [
        get().with_header(name("x-z"), value("z")),
        get()
            .with_header(name("x-z"), value("z"))
            .with_header(name("x-y"), value("y")),
    ] {
        req.headers.clear();
        let req = req
            .with_header(name("x-a"), value("1"))
            .with_header(name("x-a"), value("2"));
        assert_eq!(
            entries(&req.headers),
            vec![("x-a".into(), vec!["2".into()])]
        );
    }
    let mut req = get().with_header(name("x-z"), value("z"));
    req.headers.remove("x-z");
    let req = req
        .with_json_body("{}")
        .with_header(CONTENT_TYPE, value("text/plain"));
    assert_eq!(
        entries(&req.headers),
        vec![("content-type".into(), vec!["text/plain".into()])]
    );

    // A map with room already (given by hand) behaves the same.
    let mut req = get();
    req.headers = HeaderMap::with_capacity(64);
    let req = req
        .with_header(name("x-a"), value("1"))
        .with_header(name("x-a"), value("2"));
    assert_eq!(
        entries(&req.headers),
        vec![("x-a".into(), vec!["2".into()])]
    );
}

#[test]
fn many_names_are_all_kept_as_the_map_grows_from_its_room_for_one() {
    let names: Vec<HeaderName> = (0..40)
        .map(|i| HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap())
        .collect();
    let mut req = get();
    for (i, n) in names.iter().enumerate() {
        req = req.with_header(n.clone(), value(&i.to_string()));
    }
    // And each again: still one value a name, the new one.
    for (i, n) in names.iter().enumerate().rev() {
        req = req.with_header(n.clone(), value(&format!("again-{i}")));
    }
    assert_eq!(req.headers.len(), names.len());
    for (i, n) in names.iter().enumerate() {
        let all: Vec<_> = req.headers.get_all(n).iter().collect();
        assert_eq!(all, vec![&value(&format!("again-{i}"))], "{n}");
    }
}

#[test]
fn a_sensitive_first_header_stays_sensitive_and_a_clone_is_independent() {
    let mut secret = value("Bearer s3cr3t");
    secret.set_sensitive(true);
    let req = get().with_header(AUTHORIZATION, secret);
    assert!(req.headers[AUTHORIZATION].is_sensitive());
    assert!(!format!("{req:?}").contains("s3cr3t"), "{req:?}");

    let a = get().with_header(name("x-a"), value("1"));
    let b = a.clone().with_header(name("x-a"), value("2"));
    assert_eq!(entries(&a.headers), vec![("x-a".into(), vec!["1".into()])]);
    assert_eq!(entries(&b.headers), vec![("x-a".into(), vec!["2".into()])]);
}

/// One step of building a request.
#[derive(Clone, Debug)]
enum Step {
    Header(usize, String),
    Body(String, String),
    Json(String),
}

const NAMES: [&str; 5] = ["content-type", "x-a", "x-b", "accept", "idempotency-key"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..NAMES.len(), "[a-z0-9/;= -]{0,12}").prop_map(|(n, v)| Step::Header(n, v)),
        ("[a-z]{0,5}", "[a-z]{1,8}/[a-z]{1,8}").prop_map(|(b, t)| Step::Body(b, t)),
        "[a-z{}]{0,5}".prop_map(Step::Json),
    ]
}

proptest! {
    #[test]
    fn any_sequence_of_steps_is_a_sequence_of_inserts(
        steps in proptest::collection::vec(step(), 0..12),
    ) {
        let mut req = HttpRequest::new("op", Method::POST, "/x", "/x");
        let mut model = HeaderMap::new();
        let mut body = None;
        for s in &steps {
            match s {
                Step::Header(n, v) => {
                    req = req.with_header(name(NAMES[*n]), value(v));
                    model.insert(name(NAMES[*n]), value(v));
                }
                Step::Body(b, t) => {
                    req = req.with_body(b.clone(), value(t));
                    model.insert(CONTENT_TYPE, value(t));
                    body = Some(b.clone());
                }
                Step::Json(b) => {
                    req = req.with_json_body(b.clone());
                    model.insert(CONTENT_TYPE, value("application/json"));
                    body = Some(b.clone());
                }
            }
        }
        prop_assert_eq!(entries(&req.headers), entries(&model));
        prop_assert_eq!(req.body_text(), body.as_deref());
    }
}

/// A server that keeps every request's raw head and body and answers 200 `{}`.
fn server() -> WireRecorder {
    WireRecorder::start(|_| (200, "{}".into()))
}

/// The last request the server kept (forgetting all it kept).
fn config() -> TransportConfig {
    TransportConfig::default().with_attempt_timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn on_the_wire_each_request_header_goes_once_with_its_last_value() {
    let server = server();
    let base = server.base_url();
    for base in [base.clone(), format!("{base}/prefix/")] {
        let t = key_transport(&base, config());
        let cases: Vec<(HttpRequest, Vec<(&str, &str)>)> = vec![
            (
                HttpRequest::new("op", Method::POST, "/x", "/x")
                    .with_header(CONTENT_TYPE, value("text/plain"))
                    .with_json_body("{}"),
                vec![("content-type", "application/json")],
            ),
            (
                HttpRequest::new("op", Method::POST, "/x", "/x")
                    .with_json_body("{}")
                    .with_header(CONTENT_TYPE, value("application/json; charset=utf-8")),
                vec![("content-type", "application/json; charset=utf-8")],
            ),
            (
                HttpRequest::new("op", Method::DELETE, "/x", "/x")
                    .with_header(name("idempotency-key"), value("k-1"))
                    .with_header(name("idempotency-key"), value("k-2")),
                vec![("idempotency-key", "k-2")],
            ),
            (
                HttpRequest::new("op", Method::PUT, "/x", "/x")
                    .with_header(name("x-a"), value("1"))
                    .with_header(name("x-b"), value("b"))
                    .with_header(name("x-a"), value("2"))
                    .with_body("{}", value("application/json; charset=utf-8"))
                    .with_json_body("[]"),
                vec![
                    ("x-a", "2"),
                    ("x-b", "b"),
                    ("content-type", "application/json"),
                ],
            ),
        ];
        for (req, want) in cases {
            t.send(&req).await.unwrap();
            let raw = server.take_one();
            raw.assert_each_name_once();
            for (n, v) in want {
                assert_eq!(raw.values(n), vec![v.to_string()], "{n}:\n{}", raw.text);
            }
            assert_eq!(
                raw.values("authorization"),
                vec!["ARTA_APIKey key-123".to_string()]
            );
            let body = req.body_text().unwrap_or("");
            assert!(
                raw.text.ends_with(&format!("\r\n\r\n{body}")),
                "{}",
                raw.text
            );
        }
    }
}

#[tokio::test]
async fn a_default_header_of_the_same_name_as_a_request_s_goes_once() {
    // A user's default content type (or accept) and a request's own: one on the wire.
    let server = server();
    let base = server.base_url();
    let mut config = config();
    config
        .default_headers
        .insert(CONTENT_TYPE, value("application/json; charset=utf-8"));
    config
        .default_headers
        .insert(name("x-tenant"), value("t-default"));
    let t = key_transport(&base, config);
    let req = HttpRequest::new("op", Method::POST, "/x", "/x")
        .with_json_body("{}")
        .with_header(name("x-tenant"), value("t-request"));
    t.send(&req).await.unwrap();
    let raw = server.take_one();
    // The request's own value wins over the default of the same name.
    assert_eq!(
        raw.values("content-type"),
        vec!["application/json"],
        "{}",
        raw.text
    );
    assert_eq!(raw.values("x-tenant"), vec!["t-request"], "{}", raw.text);
    raw.assert_each_name_once();
}

#[tokio::test]
async fn a_default_accept_or_user_agent_replaces_the_transport_s_own() {
    let server = server();
    let base = server.base_url();
    let mut config = config();
    config
        .default_headers
        .insert(ACCEPT, value("application/vnd.api+json"));
    config.default_headers.insert(USER_AGENT, value("shop/1.0"));
    let t = key_transport(&base, config);
    t.send(&get()).await.unwrap();
    let raw = server.take_one();
    // The client's defaults win over the transport's own.
    assert_eq!(
        raw.values("accept"),
        vec!["application/vnd.api+json"],
        "{}",
        raw.text
    );
    assert_eq!(raw.values("user-agent"), vec!["shop/1.0"], "{}", raw.text);
    raw.assert_each_name_once();
}

#[tokio::test]
async fn the_client_s_credentials_replace_an_authorization_a_request_or_default_carries() {
    let server = server();
    let base = server.base_url();
    let mut config = config();
    config
        .default_headers
        .insert(name("authorization"), value("Bearer from-a-default"));
    let t = key_transport(&base, config);
    let req = get().with_header(name("authorization"), value("Bearer from-the-request"));
    t.send(&req).await.unwrap();
    let raw = server.take_one();
    let auth = raw.values("authorization");
    assert_eq!(auth.len(), 1, "{}", raw.text);
    assert_eq!(
        auth,
        vec!["ARTA_APIKey key-123"],
        "the client's key: {}",
        raw.text
    );
    raw.assert_each_name_once();
}
