//! The login: its request, the shared token, renewal after a 401, and secrets kept out of
//! Debug, errors and logs.

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use jiff::Timestamp;
use rescind_core::secrecy::{ExposeSecret, SecretString};
use rescind_core::{ErrorKind, HttpResponse, Sent, Token};
use rescind_di::{Client, Credentials, MinutesValid, request, response};

#[test]
fn login_request_is_a_post_with_minutes_in_the_path() {
    let req = request::login(
        &Credentials::new(USERNAME, PASSWORD),
        MinutesValid::new(1440).unwrap(),
    )
    .unwrap();
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.path, "/ws/json/auth/v-3/login/1440");
    assert_eq!(req.path_template, "/ws/json/auth/v-3/login/{minutesValid}");
    assert_eq!(req.headers["content-type"], "application/json");
    assert!(!req.authenticated, "the login carries no token");
    let body: serde_json::Value = serde_json::from_str(req.body_text().unwrap()).unwrap();
    insta::assert_json_snapshot!("login_request_body", body);
}

#[test]
fn login_answer_lifetime_comes_from_the_jwt() {
    let resp = HttpResponse::new(200, fixture("login_response.json"));
    // We asked for 5 minutes, but the JWT says exp - iat = 24 h: the JWT wins.
    let token = response::login(&resp, MinutesValid::new(5).unwrap(), Timestamp::now()).unwrap();
    assert_eq!(token.value().expose_secret(), JWT);
    assert!(token.valid_for(Duration::from_secs(86_400 - 60)));
    assert!(!token.valid_for(Duration::from_secs(86_400 + 60)));

    // A token that is not a JWT lives for minutesValid.
    let resp = HttpResponse::new(200, r#"{"token":"opaque-token","extra":1}"#);
    let token = response::login(&resp, MinutesValid::new(5).unwrap(), Timestamp::now()).unwrap();
    assert!(token.valid_for(Duration::from_secs(299)));
    assert!(!token.valid_for(Duration::from_secs(301)));
}

#[test]
fn login_answer_without_token_is_a_decode_error() {
    for body in [r#"{}"#, r#"{"token":""}"#, "", "<html>oops</html>"] {
        let err = response::login(
            &HttpResponse::new(200, body),
            MinutesValid::MAX,
            Timestamp::now(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body:?}: {err}");
        assert_eq!(err.operation(), Some("login"));
    }
}

#[tokio::test]
async fn one_login_serves_every_call() {
    let server = MockServer::start_async().await;
    let login = mock_login(&server).await;
    let details = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{DETAILS_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(200)
                .body(format!(r#"{{"shipmentId":"{SHIPMENT}"}}"#));
        })
        .await;
    let client = client(&server);
    client.order_details(SHIPMENT).await.unwrap();
    client.order_details(SHIPMENT).await.unwrap();
    // Concurrent callers share the same token too.
    let calls = (0..5).map(|_| {
        let c = client.clone();
        async move { c.order_details(SHIPMENT).await }
    });
    for r in futures_join_all(calls).await {
        r.unwrap();
    }
    login.assert_calls_async(1).await;
    details.assert_calls_async(7).await;
    assert_eq!(client.token_cache().login_count(), 1);
}

/// A tiny join_all so that the tests need no `futures` crate.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn minutes_valid_goes_into_the_path() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/ws/json/auth/v-3/login/5");
            then.status(200).body(fixture("login_response.json"));
        })
        .await;
    let client = Client::builder()
        .base_url(server.base_url())
        .credentials(Credentials::new(USERNAME, PASSWORD))
        .minutes_valid(5)
        .build()
        .unwrap();
    client.login().await.unwrap();
    client.login().await.unwrap();
    login.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_replays() {
    let server = MockServer::start_async().await;
    let login = mock_login(&server).await;
    let stale = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .header("authorization", "Bearer stale-token");
            then.status(401)
                .body(fixture("error_authentication_missing.json"));
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{CANCEL_PREFIX}{SHIPMENT}"))
                .header("authorization", bearer(JWT));
            then.status(200);
        })
        .await;
    let client = client(&server);
    client
        .token_cache()
        .prime(Token::new(
            SecretString::from("stale-token"),
            Duration::from_secs(3600),
        ))
        .await;
    client.cancel_order(SHIPMENT).await.unwrap();
    stale.assert_calls_async(1).await;
    login.assert_calls_async(1).await;
    fresh.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_second_401_is_an_error_not_a_loop() {
    let server = MockServer::start_async().await;
    let login = mock_login(&server).await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(401)
                .body(fixture("error_authentication_missing.json"));
        })
        .await;
    let client = client(&server);
    let err = client.cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("authentication.missing"));
    assert_eq!(err.attempts(), 2);
    refused.assert_calls_async(2).await;
    login.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_refused_login_says_so_without_the_secrets() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/ws/json/auth/v-3/login/60");
            then.status(401)
                .body(r#"{"statusCode":401,"errorKey":"authentication.failed","errorMap":{}}"#);
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200);
        })
        .await;
    let client = client(&server);
    let err = client.cancel_order(SHIPMENT).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    // The login was answered; the cancel itself never went out.
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.operation(), Some("login"));
    assert_eq!(err.code(), Some("authentication.failed"));
    assert!(err.to_string().contains("username and password"), "{err}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(
            !text.contains(PASSWORD) && !text.contains(USERNAME),
            "{text}"
        );
    }
    login.assert_calls_async(1).await;
    cancel.assert_calls_async(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_a_wrong_password_make_one_login() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/ws/json/auth/v-3/login/60");
            then.status(401)
                .body(r#"{"statusCode":401,"errorKey":"authentication.failed","errorMap":{}}"#);
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200);
        })
        .await;
    let client = client(&server);
    let calls = (0..50).map(|_| {
        let c = client.clone();
        async move { c.cancel_order(SHIPMENT).await }
    });
    for r in futures_join_all(calls).await {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.code(), Some("authentication.failed"));
        assert!(!err.to_string().contains(PASSWORD), "{err}");
    }
    // Later calls get the remembered refusal without a login, until the cool-down passes.
    assert!(client.cancel_order(SHIPMENT).await.is_err());
    assert!(client.token_cache().is_refused());
    login.assert_calls_async(1).await;
    cancel.assert_calls_async(0).await;
}

#[test]
fn dis_login_refusals_are_remembered_and_its_5xx_retried() {
    use rescind_core::{Login, LoginFailure};
    use rescind_di::auth::DiLogin;
    let login = DiLogin::new(Credentials::new(USERNAME, PASSWORD), MinutesValid::MAX);
    for (status, expected) in [
        (400, LoginFailure::Refused),
        (401, LoginFailure::Refused),
        (403, LoginFailure::Refused),
        (429, LoginFailure::Transient),
        (500, LoginFailure::Transient),
        (503, LoginFailure::Transient),
    ] {
        let err = response::login(
            &HttpResponse::new(status, r#"{"statusCode":0,"errorKey":"x","errorMap":{}}"#),
            MinutesValid::MAX,
            Timestamp::now(),
        )
        .unwrap_err();
        assert_eq!(login.classify(&err), expected, "{status}: {err}");
    }
}
