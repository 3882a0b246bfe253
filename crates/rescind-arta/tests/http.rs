//! Every operation through the whole stack against httpmock: method, path, the auth header to
//! the letter, the body on the wire, the request id, retries and their limits.

mod common;

use std::time::{Duration, Instant};

use common::{AUTH, KEY, answer, client, client_timing_out, fixture, fixture_json, sequence};
use httpmock::MockServer;
use rescind_arta::model::{HostedSessionStatus, NewShipmentException, ShipmentStatus};
use rescind_arta::{Client, DEFAULT_MAX_CONCURRENCY};
use rescind_core::jiff::civil::date;
use rescind_core::{ErrorKind, Sent};

#[tokio::test]
async fn cancel_hosted_session_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH")
                .path("/hosted_sessions/42/cancel")
                .header("authorization", AUTH)
                .body("");
            then.status(200)
                .header("x-arta-request-id", "FkBjuxbwLLTx4RoAARkx")
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let r = client(&server).cancel_hosted_session(42).await.unwrap();
    assert_eq!(r.id, 42);
    assert_eq!(r.request_id.as_deref(), Some("FkBjuxbwLLTx4RoAARkx"));
    assert_eq!(r.attempts, 1);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn cancel_hosted_session_404_is_not_found_with_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/7/cancel");
            then.status(404)
                .header("content-type", "application/json")
                .header("x-arta-request-id", "FkBjuxbwLLTx4RoAARkx")
                .body(fixture("error_404_detail.json"));
        })
        .await;
    let err = client(&server).cancel_hosted_session(7).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.sent(), Sent::Answered);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.request_id(), Some("FkBjuxbwLLTx4RoAARkx"));
    assert_eq!(err.provider_message(), Some("string"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn get_hosted_session_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/hosted_sessions/42")
                .header("authorization", AUTH);
            then.status(200)
                .header("x-arta-request-id", "r-get")
                .body(common::session_with_status("cancelled"));
        })
        .await;
    let r = client(&server).get_hosted_session(42).await.unwrap();
    assert_eq!(r.status, HostedSessionStatus::Cancelled);
    assert_eq!(r.request_id.as_deref(), Some("r-get"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn get_shipment_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad")
                .header("authorization", AUTH);
            then.status(200)
                .header("x-arta-request-id", "r-ship")
                .body(fixture("shipment_pending.json"));
        })
        .await;
    let r = client(&server)
        .get_shipment("6b12c76a-5217-4cd6-82d8-7aa5265ebaad")
        .await
        .unwrap();
    assert_eq!(r.status, ShipmentStatus::Pending);
    assert_eq!(r.request_id.as_deref(), Some("r-ship"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_shipment_exception_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST")
                .path("/shipment_exceptions")
                .header("authorization", AUTH)
                .header("content-type", "application/json")
                .json_body(fixture_json("shipment_exception_create_request.json"));
            then.status(201)
                .header("x-arta-request-id", "r-201")
                .body(fixture("shipment_exception_201.json"));
        })
        .await;
    let new =
        NewShipmentException::hold("5baff45a-281d-416e-9310-a4a7c637952e").until(date(2023, 8, 15));
    let r = client(&server)
        .create_shipment_exception(&new)
        .await
        .unwrap();
    assert_eq!(r.http_status, 201);
    assert_eq!(r.id, "d686ad3b-33fd-454c-a7aa-94b1ecbc539f");
    assert_eq!(r.request_id.as_deref(), Some("r-201"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn get_shipment_exception_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/shipment_exceptions/d686ad3b-33fd-454c-a7aa-94b1ecbc539f")
                .header("authorization", AUTH);
            then.status(200)
                .header("x-arta-request-id", "r-exc")
                .body(fixture("shipment_exception_201.json"));
        })
        .await;
    let r = client(&server)
        .get_shipment_exception("d686ad3b-33fd-454c-a7aa-94b1ecbc539f")
        .await
        .unwrap();
    assert_eq!(r.package_id, Some(4_366_794));
    assert_eq!(r.request_id.as_deref(), Some("r-exc"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_shipment_exceptions_through_the_stack() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/shipment_exceptions")
                .query_param("page", "1")
                .query_param("page_size", "50")
                .header("authorization", AUTH);
            then.status(200)
                .header("x-arta-request-id", "r-list")
                .body(fixture("shipment_exceptions_page.json"));
        })
        .await;
    let r = client(&server)
        .list_shipment_exceptions(1, 50)
        .await
        .unwrap();
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.metadata.total_count, 1);
    assert_eq!(r.request_id.as_deref(), Some("r-list"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let c = client(&server);
    assert_eq!(
        c.list_shipment_exceptions(1, 51).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.get_shipment("..").await.unwrap_err().sent(),
        Sent::NotSent
    );
    let err = c
        .create_shipment_exception(&NewShipmentException::hold(""))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("shipment_id"));
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_429_is_retried_with_backoff() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.respond_with(sequence(vec![
                answer(429, "r-429", ""),
                answer(201, "r-201", fixture("shipment_exception_201.json")),
            ]));
        })
        .await;
    let new = NewShipmentException::hold("s-1");
    let r = client(&server)
        .create_shipment_exception(&new)
        .await
        .unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(r.request_id.as_deref(), Some("r-201"));
    mock.assert_calls_async(2).await;
}

/// A 429 is retried within the call's deadline, bounded apart from failures
/// (`max_throttle_retries`, here 2): then the last 429 is the error.
#[tokio::test]
async fn a_persistent_429_ends_rate_limited() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(429).header("x-arta-request-id", "r-429");
        })
        .await;
    let client = common::client_with(
        &server,
        rescind_core::TransportConfig::default()
            .with_retry(common::fast_retry().with_max_throttle_retries(2)),
    );
    let err = client.get_hosted_session(42).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.request_id(), Some("r-429"));
    mock.assert_calls_async(3).await;
}

#[tokio::test]
async fn the_idempotent_cancel_is_retried_after_a_5xx() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH").path("/hosted_sessions/42/cancel");
            then.respond_with(sequence(vec![
                answer(503, "r-503", "<html>unavailable</html>"),
                answer(200, "r-200", fixture("hosted_session_cancel_200.json")),
            ]));
        })
        .await;
    let r = client(&server).cancel_hosted_session(42).await.unwrap();
    assert_eq!(r.request_id.as_deref(), Some("r-200"));
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn the_exception_post_is_never_resent_after_a_5xx() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(503)
                .header("x-arta-request-id", "r-503")
                .body(r#"{"errors":{"detail":"try later"}}"#);
        })
        .await;
    let err = client(&server)
        .create_shipment_exception(&NewShipmentException::hold("s-1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    // A 5xx proves nothing about a change: the hold may have been created.
    assert_eq!(err.sent(), Sent::MaybeSent);
    assert_eq!(err.request_id(), Some("r-503"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_exception_post_is_never_resent_after_a_timeout() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST").path("/shipment_exceptions");
            then.status(201)
                .delay(Duration::from_millis(1500))
                .body(fixture("shipment_exception_201.json"));
        })
        .await;
    let c = client_timing_out(&server, Duration::from_millis(200));
    let err = c
        .create_shipment_exception(&NewShipmentException::hold("s-1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.sent(), Sent::MaybeSent);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_client_limits_its_own_concurrency() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(200)
                .delay(Duration::from_millis(300))
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let default = client(&server);
    assert_eq!(
        default.transport().config().max_concurrency,
        Some(DEFAULT_MAX_CONCURRENCY)
    );
    assert_eq!(DEFAULT_MAX_CONCURRENCY, 15);
    let one = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_concurrency(1)
        .build()
        .unwrap();
    assert_eq!(one.transport().config().max_concurrency, Some(1));
    let start = Instant::now();
    let (a, b) = tokio::join!(one.get_hosted_session(42), one.get_hosted_session(42));
    a.unwrap();
    b.unwrap();
    // One at a time: the second waits for the first.
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn the_key_never_shows() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.status(401)
                .header("x-arta-request-id", "r-401")
                .body(r#"{"errors":{"detail":"Unauthorized"}}"#);
        })
        .await;
    let c = client(&server);
    assert!(!format!("{c:?}").contains(KEY));
    let err = c.get_hosted_session(42).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.request_id(), Some("r-401"));
    assert!(!format!("{err}").contains(KEY));
    assert!(!format!("{err:?}").contains(KEY));
    let builder = Client::builder().api_key(KEY);
    assert!(!format!("{builder:?}").contains(KEY));
}

#[tokio::test]
async fn configuration_errors() {
    let err = Client::builder().build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::builder().api_key("bad key").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(!err.to_string().contains("bad key"));
    let err = Client::builder()
        .api_key(KEY)
        .base_url("ftp://example.com")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let c = Client::new(KEY).unwrap();
    assert_eq!(c.transport().base_url().as_str(), "https://api.arta.io/");
}

#[tokio::test]
async fn a_base_url_prefix_is_kept() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET").path("/arta/hosted_sessions/42");
            then.status(200)
                .body(fixture("hosted_session_cancel_200.json"));
        })
        .await;
    let c = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/arta", server.base_url()))
        .build()
        .unwrap();
    c.get_hosted_session(42).await.unwrap();
    mock.assert_calls_async(1).await;
}
