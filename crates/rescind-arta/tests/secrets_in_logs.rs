//! The API key never reaches the logs. Alone in its test binary: see `CapturedLogs`.

mod common;

use common::{KEY, answer, client, sequence};
use httpmock::MockServer;
use rescind_core::ErrorKind;
use rescind_core::testing::CapturedLogs;

/// Everything logged during calls, at the most verbose level, never contains the key.
#[tokio::test]
async fn the_key_is_never_logged() {
    let captured = CapturedLogs::start();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/hosted_sessions/42");
            then.respond_with(sequence(vec![
                answer(503, "r-503", ""),
                answer(401, "r-401", r#"{"errors":{"detail":"Unauthorized"}}"#),
            ]));
        })
        .await;
    let err = client(&server).get_hosted_session(42).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    let logs = captured.text();
    assert!(
        logs.contains("get_hosted_session"),
        "the test must see the logs: {logs}"
    );
    assert!(!logs.contains(KEY), "{logs}");
}
