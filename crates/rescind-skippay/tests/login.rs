//! The login: its request, token reuse and renewal, the 401 shape, and secrets kept secret.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{ErrorKind, Sent};
use rescind_skippay::{Client, Credentials};
use serde_json::json;

#[test]
fn login_request_is_anonymous_json_with_charset() {
    let req = rescind_skippay::request::login(&Credentials::new("eShop", "pw")).unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/authentication/v1/partner");
    assert!(!req.authenticated);
    assert_eq!(
        req.headers.get("content-type").unwrap(),
        "application/json; charset=utf-8"
    );
    assert_eq!(
        req.body_text(),
        Some(r#"{"username":"eShop","password":"pw"}"#)
    );
}

#[tokio::test]
async fn one_login_serves_many_calls() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let app = app_mock(&server, TOKEN).await;
    let client = client(&server);
    for _ in 0..3 {
        client.get_application(APP).await.unwrap();
    }
    login.assert_calls_async(1).await;
    app.assert_calls_async(3).await;
    assert_eq!(client.token_cache().login_count(), 1);
}

#[tokio::test]
async fn concurrent_first_calls_log_in_once() {
    let server = MockServer::start_async().await;
    let login = login_mock(&server).await;
    let _app = app_mock(&server, TOKEN).await;
    let client = client(&server);
    let (a, b, c) = tokio::join!(
        client.get_application(APP),
        client.get_application(APP),
        client.get_application(APP)
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    login.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_token_near_expiry_is_renewed_before_use() {
    let server = MockServer::start_async().await;
    // 30 s left is inside the 60 s renewal margin: every call logs in again.
    let login = login_mock_with(&server, TOKEN, 30).await;
    let app = app_mock(&server, TOKEN).await;
    let client = client(&server);
    client.get_application(APP).await.unwrap();
    client.get_application(APP).await.unwrap();
    login.assert_calls_async(2).await;
    app.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_call_replayed() {
    let server = MockServer::start_async().await;
    let old_login = login_mock_with(&server, "old-token", 7200).await;
    let client = client(&server);
    // Prime with the old token, then make the provider refuse it.
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/financing/v1/applications/{APP}"))
                .header("authorization", "Bearer old-token");
            then.status(401).json_body(json!({
                "error_description": "The access token is invalid or has expired",
                "error": "invalid_token"
            }));
        })
        .await;
    let first = client.get_application(APP).await.unwrap_err();
    // The old login keeps returning the old token: one renewal, one replay, then the 401.
    assert_eq!(first.kind(), ErrorKind::Unauthorized);
    assert_eq!(first.code(), Some("invalid_token"));
    assert_eq!(
        first.provider_message(),
        Some("The access token is invalid or has expired")
    );
    assert_eq!(first.sent(), Sent::Answered);
    refused.assert_calls_async(2).await;
    old_login.assert_calls_async(2).await;

    // Now the login hands out a new token: the next call renews once and succeeds.
    old_login.delete_async().await;
    let new_login = login_mock(&server).await;
    let app = app_mock(&server, TOKEN).await;
    client.get_application(APP).await.unwrap();
    new_login.assert_calls_async(1).await;
    app.assert_calls_async(1).await;
    refused.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_failed_login_is_unauthorized_and_keeps_skip_pays_entries() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/authentication/v1/partner");
            then.status(400).json_body(errors_body(
                "INVALID_CREDENTIALS",
                "Unable to authenticate partner",
                "UAT1:AMS:20160516-091658.450:45e4",
            ));
        })
        .await;
    let app = app_mock(&server, TOKEN).await;
    let err = client(&server).get_application(APP).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("INVALID_CREDENTIALS"));
    assert_eq!(err.request_id(), Some("UAT1:AMS:20160516-091658.450:45e4"));
    assert_eq!(err.operation(), Some("login"));
    login.assert_calls_async(1).await;
    app.assert_calls_async(0).await;
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
}

#[tokio::test]
async fn a_login_without_token_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/authentication/v1/partner");
            then.status(200)
                .json_body(json!({"accessToken": null, "expiresIn": 7200}));
        })
        .await;
    let err = client(&server).get_application(APP).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("without an access token"), "{err}");
}

#[test]
fn missing_credentials_is_a_config_error() {
    let err = Client::builder().build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_a_wrong_password_make_one_login() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/authentication/v1/partner");
            then.status(400).json_body(errors_body(
                "INVALID_REQUEST",
                "Unable to authenticate partner",
                "UAT1:AMS:20160516-091658.450:45e4",
            ));
        })
        .await;
    let app = app_mock(&server, TOKEN).await;
    let client = std::sync::Arc::new(client(&server));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_application(APP).await })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            err.provider_message(),
            Some("Unable to authenticate partner")
        );
        assert!(!err.to_string().contains(PASSWORD), "{err}");
    }
    // Later calls get the remembered refusal without a login, until the cool-down passes.
    assert!(client.get_application(APP).await.is_err());
    assert!(client.token_cache().is_refused());
    login.assert_calls_async(1).await;
    app.assert_calls_async(0).await;
}

#[test]
fn skip_pays_login_refusals_are_remembered_and_its_5xx_retried() {
    use rescind_core::{HttpResponse, Login, LoginFailure};
    let login = rescind_skippay::PartnerLogin::new(Credentials::new(USERNAME, PASSWORD));
    let oauth = r#"{"error":"invalid_token","error_description":"The access token is invalid or has expired"}"#;
    let errors = errors_body("INVALID_REQUEST", "Unable to authenticate partner", "t").to_string();
    let cases: [(u16, &str, LoginFailure); 6] = [
        (400, errors.as_str(), LoginFailure::Refused),
        (401, oauth, LoginFailure::Refused),
        (403, "", LoginFailure::Refused),
        (429, "", LoginFailure::Transient),
        (500, "", LoginFailure::Transient),
        (503, "<html>busy</html>", LoginFailure::Transient),
    ];
    for (status, body, expected) in cases {
        let err =
            rescind_skippay::response::parse_login(&HttpResponse::new(status, body.to_owned()))
                .unwrap_err();
        assert_eq!(login.classify(&err), expected, "{status}: {err}");
    }
}
