//! No username, password or token in logs, Debug or errors. Alone in its test binary: see
//! `CapturedLogs`.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::testing::CapturedLogs;
use rescind_di::{Client, Credentials};

#[tokio::test]
async fn secrets_never_reach_debug_errors_or_logs() {
    let captured = CapturedLogs::start();

    let server = MockServer::start_async().await;
    mock_login(&server).await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(400)
                .body(r#"{"statusCode":400,"errorKey":"order.exported","errorMap":{}}"#);
        })
        .await;
    let client = client(&server);
    let err = client.cancel_order(SHIPMENT).await.unwrap_err();

    let logs = captured.text();
    assert!(
        logs.contains("rescind.call"),
        "the test must see the transport's spans: {logs}"
    );
    let texts = [
        logs,
        format!("{client:?}"),
        format!(
            "{:?}",
            Client::builder().credentials(Credentials::new(USERNAME, PASSWORD))
        ),
        format!("{:?}", Credentials::new(USERNAME, PASSWORD)),
        format!("{err}"),
        format!("{err:?}"),
    ];
    for text in texts {
        for secret in [USERNAME, PASSWORD, JWT] {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
    }
}
