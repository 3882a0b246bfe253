//! Login faults over plain HTTP (reqwest, not the SDK), at the two providers that log in:
//! wrong credentials (the providers' own refusals), a failing login endpoint (a 5xx fault on
//! the login route), and a token refused before its expiry (a 401 `envelope` fault: the
//! provider's own 401 body, after which the same token works again). The SDK's side of the
//! same faults is in `fault_matrix.rs` (`TokenRefused`, `LoginUnavailable`,
//! `WrongCredentials`).

use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use serde_json::{Value, json};

const DI_LOGIN: &str = "/ws/json/auth/v-3/login/60";
const DI_DETAILS: &str = "/ws/json/parcel/booking/v-1/details/70724760000000101";
const SP_LOGIN: &str = "/authentication/v1/partner";
const SP_APPLICATION: &str = "/financing/v1/applications/11200a0ee1";

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(rescind_sim::arta::DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

/// Status and JSON body (`Null` when not JSON).
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn di_login(base: &str, password: &str) -> (u16, Value) {
    let (user, _) = rescind_sim::di::DEMO_USER;
    send(
        reqwest::Client::new()
            .post(format!("{base}{DI_LOGIN}"))
            .json(&json!({"username": user, "password": password})),
    )
    .await
}

async fn sp_login(base: &str, password: &str) -> (u16, Value) {
    let (user, _) = rescind_sim::skippay::DEMO_PARTNER;
    send(
        reqwest::Client::new()
            .post(format!("{base}{SP_LOGIN}"))
            .json(&json!({"username": user, "password": password})),
    )
    .await
}

async fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    send(
        reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(token),
    )
    .await
}

#[tokio::test]
async fn wrong_credentials_are_refused_with_each_providers_own_answer() {
    let running = start().await;
    let base = running.base_url();
    let (status, body) = di_login(&base, "not-the-right-password").await;
    assert_eq!(status, 401);
    assert_eq!(body["errorKey"], "authentication.failed", "{body}");
    let (status, body) = sp_login(&base, "notTheRightPassword").await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "INVALID_REQUEST", "{body}");
    assert_eq!(
        body["errors"][0]["message"], "Unable to authenticate partner",
        "{body}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_failing_login_endpoint_fails_as_often_as_told_then_logs_in() {
    let running = start().await;
    let base = running.base_url();
    let unavailable = FaultAction::status(503);
    running.sim().faults().add(
        FaultRule::new("/ws/json/auth/v-3/login/*", unavailable.clone())
            .method("POST")
            .times(2),
    );
    running.sim().faults().add(
        FaultRule::new(SP_LOGIN, unavailable)
            .method("POST")
            .times(2),
    );
    let (_, di_password) = rescind_sim::di::DEMO_USER;
    let (_, sp_password) = rescind_sim::skippay::DEMO_PARTNER;
    for _ in 0..2 {
        assert_eq!(di_login(&base, di_password).await.0, 503);
        assert_eq!(sp_login(&base, sp_password).await.0, 503);
    }
    let (status, body) = di_login(&base, di_password).await;
    assert_eq!(status, 200);
    assert!(body["token"].is_string(), "{body}");
    let (status, body) = sp_login(&base, sp_password).await;
    assert_eq!(status, 200);
    assert!(body["accessToken"].is_string(), "{body}");
    running.shutdown().await;
}

#[tokio::test]
async fn a_token_refused_before_its_expiry_works_again_on_the_next_call() {
    let running = start().await;
    let base = running.base_url();
    let sim = running.sim();
    let refused = FaultAction::envelope(401);

    let (_, di_password) = rescind_sim::di::DEMO_USER;
    let (_, body) = di_login(&base, di_password).await;
    let token = body["token"].as_str().unwrap().to_owned();
    sim.faults().add(
        FaultRule::new("/ws/json/parcel/booking/v-1/details/*", refused.clone())
            .method("GET")
            .times(1),
    );
    let (status, body) = get(&base, DI_DETAILS, &token).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"statusCode": 401, "errorKey": "authentication.missing", "errorMap": {}})
    );
    assert_eq!(get(&base, DI_DETAILS, &token).await.0, 200);

    let (_, sp_password) = rescind_sim::skippay::DEMO_PARTNER;
    let (_, body) = sp_login(&base, sp_password).await;
    let token = body["accessToken"].as_str().unwrap().to_owned();
    sim.faults().add(
        FaultRule::new("/financing/v1/applications/*", refused)
            .method("GET")
            .times(1),
    );
    let (status, body) = get(&base, SP_APPLICATION, &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token", "{body}");
    assert_eq!(get(&base, SP_APPLICATION, &token).await.0, 200);
    running.shutdown().await;
}
