//! No username, password or token in logs, Debug or errors. Alone in its test binary: see
//! `CapturedLogs`.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedLogs;
use rescind_skippay::Credentials;

#[tokio::test]
async fn secrets_never_reach_debug_errors_or_logs() {
    let captured = CapturedLogs::start();

    let server = MockServer::start_async().await;
    let _login = login_mock(&server).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/financing/v1/applications/{APP}"));
            then.status(404).json_body(errors_body(
                "APPLICATION_NOT_FOUND",
                "The requested resource could not be found",
                "T-1",
            ));
        })
        .await;
    let client = client(&server);
    let err = client.get_application(APP).await.unwrap_err();

    let logs = captured.text();
    assert!(
        logs.contains("rescind.call"),
        "tracing captured nothing: {logs}"
    );
    let credentials = Credentials::new(USERNAME, PASSWORD);
    let texts = [
        logs,
        format!("{client:?}"),
        format!("{credentials:?}"),
        format!(
            "{:?}",
            rescind_skippay::PartnerLogin::new(credentials.clone())
        ),
        err.to_string(),
        format!("{err:?}"),
    ];
    for text in texts {
        for secret in [PASSWORD, TOKEN, USERNAME] {
            assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
        }
    }
}
