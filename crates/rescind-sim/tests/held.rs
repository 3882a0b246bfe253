//! Held requests and the answer faults over plain HTTP (reqwest, not the SDK): a `late` fault
//! keeps the request until the test applies it ("applied after the client gave up") or
//! discards it ("never applied"); a `hold` answers nothing until the client gives up. Every
//! wait is on an event (the client's own timeout, a change of the held list), bounded by a
//! generous timeout that only a broken simulator reaches.

use std::time::Duration;

use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, FaultAction, FaultRule, RunningSimulator, Simulator};
use serde_json::{Value, json};

const CANCEL: &str = "/hosted_sessions/*/cancel";
const SESSION_CANCELLED: &str = "arta:hosted_session:42:cancel";
/// Only a simulator that never reports the event reaches it.
const BOUND: Duration = Duration::from_secs(30);

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

fn arta(http: &reqwest::Client, method: &str, url: String) -> reqwest::RequestBuilder {
    http.request(method.parse().unwrap(), url)
        .header("authorization", format!("ARTA_APIKey {DEMO_API_KEY}"))
}

async fn session_status(running: &RunningSimulator) -> String {
    let http = reqwest::Client::new();
    let body: Value = arta(
        &http,
        "GET",
        format!("{}/hosted_sessions/42", running.base_url()),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    body["status"].as_str().unwrap().to_owned()
}

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} never happened"))
}

#[tokio::test]
async fn a_hold_waits_for_the_client_to_give_up_and_applies_only_when_told() {
    let running = start().await;
    let sim = running.sim();
    sim.faults().add(
        FaultRule::new(CANCEL, FaultAction::Hold)
            .method("PATCH")
            .apply_late()
            .times(1),
    );
    // The client gives up on its own timeout; the server answers nothing until then.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = arta(
        &http,
        "PATCH",
        format!("{}/hosted_sessions/42/cancel", running.base_url()),
    )
    .send()
    .await
    .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    bounded(
        "the server seeing the client go",
        sim.wait_held(|h| h.len() == 1 && !h[0].client_waiting),
    )
    .await;
    let held = sim.held();
    assert_eq!(held[0].method, "PATCH");
    assert_eq!(held[0].path, "/hosted_sessions/42/cancel");
    // Not applied yet: reads and counters show nothing.
    assert_eq!(session_status(&running).await, "new");
    assert_eq!(sim.counters().applied_count(SESSION_CANCELLED), 0);

    let applied = sim.apply_held(held[0].id).await.unwrap();
    assert_eq!(applied.status, 200);
    assert_eq!(session_status(&running).await, "cancelled");
    assert_eq!(sim.counters().applied_count(SESSION_CANCELLED), 1);
    assert!(sim.held().is_empty());
    assert!(sim.apply_held(held[0].id).await.is_none());
    // The replay is not a second request: one hit on the route.
    assert_eq!(
        sim.counters().hit_count("PATCH /hosted_sessions/42/cancel"),
        1
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_discarded_request_is_never_applied() {
    let running = start().await;
    let sim = running.sim();
    sim.faults()
        .add(FaultRule::new(CANCEL, FaultAction::status(503)).apply_late());
    let http = reqwest::Client::new();
    let url = format!("{}/hosted_sessions/42/cancel", running.base_url());
    for _ in 0..2 {
        let resp = arta(&http, "PATCH", url.clone()).send().await.unwrap();
        assert_eq!(resp.status(), 503);
    }
    // An answered request is kept with its client already answered.
    let held = sim.held();
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|h| !h.client_waiting));
    assert!(sim.discard_held(held[0].id));
    assert!(!sim.discard_held(held[0].id));
    assert_eq!(sim.discard_all_held(), 1);
    assert!(sim.held().is_empty());
    assert_eq!(session_status(&running).await, "new");
    assert_eq!(sim.counters().applied_count(SESSION_CANCELLED), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn applying_several_held_requests_lets_the_provider_refuse_the_repeats() {
    let running = start().await;
    let sim = running.sim();
    sim.faults().add(
        FaultRule::new(CANCEL, FaultAction::Drop)
            .apply_late()
            .times(3),
    );
    let http = reqwest::Client::new();
    let url = format!("{}/hosted_sessions/42/cancel", running.base_url());
    for _ in 0..3 {
        let err = arta(&http, "PATCH", url.clone()).send().await.unwrap_err();
        assert!(!err.is_timeout(), "a drop closes at once: {err:?}");
    }
    bounded(
        "three held requests",
        sim.wait_held(|h| h.len() == 3 && h.iter().all(|r| !r.client_waiting)),
    )
    .await;
    let applied = sim.apply_all_held().await;
    let statuses: Vec<u16> = applied.iter().map(|a| a.status).collect();
    // The first cancels; Arta answers the repeats as it answers any cancel of a cancelled
    // session, and nothing is applied twice.
    assert_eq!(statuses[0], 200);
    assert_eq!(sim.counters().applied_count(SESSION_CANCELLED), 1);
    assert_eq!(session_status(&running).await, "cancelled");
    running.shutdown().await;
}

#[tokio::test]
async fn applying_while_the_client_still_waits_closes_its_connection() {
    let running = start().await;
    let sim = running.sim().clone();
    sim.faults().add(
        FaultRule::new(CANCEL, FaultAction::Hold)
            .apply_late()
            .times(1),
    );
    let url = format!("{}/hosted_sessions/42/cancel", running.base_url());
    let client = tokio::spawn(async move {
        // No client timeout: only the simulator ends this request.
        arta(&reqwest::Client::new(), "PATCH", url).send().await
    });
    bounded(
        "the request being held",
        sim.wait_held(|h| h.len() == 1 && h[0].client_waiting),
    )
    .await;
    let id = sim.held()[0].id;
    assert_eq!(sim.apply_held(id).await.unwrap().status, 200);
    let answer = bounded("the connection closing", client).await.unwrap();
    assert!(answer.is_err(), "no answer is ever written: {answer:?}");
    assert_eq!(sim.counters().applied_count(SESSION_CANCELLED), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn a_hold_without_late_is_never_applied_and_with_apply_is_applied_before() {
    for apply in [false, true] {
        let running = start().await;
        let sim = running.sim();
        let mut rule = FaultRule::new(CANCEL, FaultAction::Hold).times(1);
        rule.apply = apply;
        sim.faults().add(rule);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let err = arta(
            &http,
            "PATCH",
            format!("{}/hosted_sessions/42/cancel", running.base_url()),
        )
        .send()
        .await
        .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(sim.held().is_empty());
        let expected = if apply { "cancelled" } else { "new" };
        assert_eq!(session_status(&running).await, expected);
        assert_eq!(
            sim.counters().applied_count(SESSION_CANCELLED),
            u64::from(apply)
        );
        running.shutdown().await;
    }
}

#[tokio::test]
async fn the_held_list_over_http() {
    let running = start().await;
    let base = running.base_url();
    let http = reqwest::Client::new();
    let rule = json!({"method": "PATCH", "path": CANCEL, "action": {"kind": "status", "status": 500}, "late": true, "times": 2});
    let resp = http
        .post(format!("{base}/__sim/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    for _ in 0..2 {
        let resp = arta(&http, "PATCH", format!("{base}/hosted_sessions/42/cancel"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500);
    }
    let held: Value = http
        .get(format!("{base}/__sim/faults/held"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<u64> = held
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(held[0]["path"], "/hosted_sessions/42/cancel");
    assert_eq!(held[0]["client_waiting"], false);

    let applied: Value = http
        .post(format!("{base}/__sim/faults/held/{}/apply", ids[0]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(applied, json!({"id": ids[0], "status": 200}));
    let again = http
        .post(format!("{base}/__sim/faults/held/{}/apply", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let discarded = http
        .delete(format!("{base}/__sim/faults/held/{}", ids[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(discarded.status(), 204);
    let none: Value = http
        .delete(format!("{base}/__sim/faults/held"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"discarded": 0}));
    let all: Value = http
        .post(format!("{base}/__sim/faults/held/apply"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all, json!([]));
    assert_eq!(session_status(&running).await, "cancelled");
    assert_eq!(running.sim().counters().applied_count(SESSION_CANCELLED), 1);
    running.shutdown().await;
}

/// One answer of a faulted route: status, content type, body.
async fn faulted(path: &str, method: &str, action: FaultAction) -> (u16, String, String) {
    let running = start().await;
    running
        .sim()
        .faults()
        .add(FaultRule::new(path, action).method(method));
    let resp = reqwest::Client::new()
        .request(
            method.parse().unwrap(),
            format!("{}{path}", running.base_url()),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.text().await.unwrap();
    running.shutdown().await;
    (status, content_type, body)
}

#[tokio::test]
async fn envelopes_are_each_providers_own() {
    let arta_cancel = "/hosted_sessions/42/cancel";
    let di_cancel = "/ws/json/parcel/booking/v-1/order/cancel/70724760000000101";
    let sp_cancel = "/financing/v1/applications/11200a0ee1/order/cancel";
    let envelope = FaultAction::envelope;
    let json = |s: &str| serde_json::from_str::<Value>(s).unwrap();

    let (status, _, body) = faulted(arta_cancel, "PATCH", envelope(401)).await;
    assert_eq!(status, 401);
    assert_eq!(json(&body), json!({"errors": {"detail": "Unauthorized"}}));
    let (status, _, body) = faulted(arta_cancel, "PATCH", envelope(200)).await;
    assert_eq!(status, 200);
    assert!(json(&body)["errors"]["detail"].is_string());

    let (status, _, body) = faulted(di_cancel, "DELETE", envelope(401)).await;
    assert_eq!(status, 401);
    assert_eq!(
        json(&body),
        json!({"statusCode": 401, "errorKey": "authentication.missing", "errorMap": {}})
    );
    let (status, _, body) = faulted(di_cancel, "DELETE", envelope(200)).await;
    assert_eq!(status, 200);
    assert_eq!(
        json(&body),
        json!({"statusCode": 400, "errorKey": "failed.to.parse.request", "errorMap": {}})
    );

    let (status, content_type, body) = faulted(sp_cancel, "PUT", envelope(401)).await;
    assert_eq!(status, 401);
    assert_eq!(content_type, "application/json; charset=utf-8");
    assert_eq!(json(&body)["error"], "invalid_token");
    let (status, _, body) = faulted(sp_cancel, "PUT", envelope(400)).await;
    assert_eq!(status, 400);
    let error = &json(&body)["errors"][0];
    assert_eq!(error["code"], "INVALID_REQUEST");
    assert_eq!(error["severity"], "ERROR");
    assert!(error["ticketId"].is_string());
}

#[tokio::test]
async fn body_faults_answer_what_they_say() {
    let path = "/ws/json/parcel/booking/v-1/order/cancel/70724760000000101";
    let (status, content_type, body) = faulted(path, "DELETE", FaultAction::UnexpectedJson).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, "application/json", r#"{"padding":"xxxx"}"#)
    );
    let (status, content_type, body) =
        faulted(path, "DELETE", FaultAction::gateway_text(404)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (404, "text/plain", "404 Not Found\n")
    );
    let (status, content_type, body) =
        faulted(path, "DELETE", FaultAction::body(418, None, "teapot")).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (418, "", "teapot")
    );
}

#[test]
fn new_actions_and_late_round_trip_as_json() {
    let rule: FaultRule = serde_json::from_str(
        r#"{"path":"/a","action":{"kind":"envelope","status":401},"late":true}"#,
    )
    .unwrap();
    assert!(rule.late && !rule.apply);
    assert_eq!(rule.action, Some(FaultAction::envelope(401)));
    for action in [
        FaultAction::Hold,
        FaultAction::UnexpectedJson,
        FaultAction::gateway_text(404),
    ] {
        let rule = FaultRule::new("/a", action).apply_late();
        let back: FaultRule = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(back, rule);
    }
    let plain = serde_json::to_value(FaultRule::new("/a", FaultAction::Hold)).unwrap();
    assert!(plain.get("late").is_none(), "{plain}");
}
