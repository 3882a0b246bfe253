//! The simulator's answers checked against the documented shapes the clients' conformance tests
//! decode (`rescind_<provider>::conformance`, `rescind_core::wire::shape::check`): every
//! required field present, no `null` where the documentation does not allow it, each value of
//! its documented type. Plain HTTP, so the clients' models play no part.

use reqwest::{Client, Method};
use rescind_core::wire::shape::{Shape, check};
use rescind_sim::arta::{DEMO_API_KEY, DEMO_NOW};
use rescind_sim::{Clock, RunningSimulator, Simulator};
use serde_json::{Value, json};

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(DEMO_NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

async fn call(
    method: Method,
    url: String,
    auth: Option<String>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = Client::new().request(method, url);
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn conforms(what: &str, shape: &Shape, body: &Value) {
    let broken = check(shape, body);
    assert!(broken.is_empty(), "{what}: {broken:#?}\n{body:#}");
}

#[tokio::test]
async fn arta_answers_follow_the_documented_shapes() {
    let sim = start().await;
    let base = sim.base_url().to_string();
    let auth = || Some(format!("ARTA_APIKey {DEMO_API_KEY}"));
    let (status, session) = call(
        Method::GET,
        format!("{base}/hosted_sessions/42"),
        auth(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{session}");
    conforms(
        "GET /hosted_sessions/42",
        &rescind_arta::conformance::hosted_session(),
        &session,
    );
    let (status, shipment) = call(
        Method::GET,
        format!("{base}/shipments/6b12c76a-5217-4cd6-82d8-7aa5265ebaad"),
        auth(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{shipment}");
    conforms(
        "GET /shipments/{id}",
        &rescind_arta::conformance::shipment(),
        &shipment,
    );
    let (status, page) = call(
        Method::GET,
        format!("{base}/shipment_exceptions?page=1&page_size=50"),
        auth(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    conforms(
        "GET /shipment_exceptions",
        &rescind_arta::conformance::shipment_exceptions_page(),
        &page,
    );
    let (status, cancelled) = call(
        Method::PATCH,
        format!("{base}/hosted_sessions/42/cancel"),
        auth(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    conforms(
        "PATCH /hosted_sessions/42/cancel",
        &rescind_arta::conformance::hosted_session(),
        &cancelled,
    );
}

#[tokio::test]
async fn skippay_answers_follow_the_documented_shapes() {
    let sim = start().await;
    let base = sim.base_url().to_string();
    let (status, login) = call(
        Method::POST,
        format!("{base}/authentication/v1/partner"),
        None,
        Some(json!({"username": "eShop", "password": "eShopSecretPassword"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    conforms("login", &rescind_skippay::conformance::login(), &login);
    let auth = || Some(format!("Bearer {}", login["accessToken"].as_str().unwrap()));
    let app_url = format!("{base}/financing/v1/applications/11200a0ee1");
    let (status, app) = call(Method::GET, app_url.clone(), auth(), None).await;
    assert_eq!(status, 200, "{app}");
    conforms(
        "GET application",
        &rescind_skippay::conformance::application(),
        &app,
    );
    let (status, order) = call(
        Method::PUT,
        format!("{app_url}/order/cancel"),
        auth(),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{order}");
    conforms(
        "PUT order/cancel",
        &rescind_skippay::conformance::order_extended(),
        &order,
    );
}

#[tokio::test]
async fn di_answers_follow_the_documented_shapes() {
    let sim = start().await;
    let base = sim.base_url().to_string();
    let (status, login) = call(
        Method::POST,
        format!("{base}/ws/json/auth/v-3/login/60"),
        None,
        Some(json!({"username": "wsfoobar", "password": "a-very-very-long-password"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let auth = Some(format!("Bearer {}", login["token"].as_str().unwrap()));
    let (status, details) = call(
        Method::GET,
        format!("{base}/ws/json/parcel/booking/v-1/details/70724760000000101"),
        auth,
        None,
    )
    .await;
    assert_eq!(status, 200, "{details}");
    conforms(
        "GET details",
        &rescind_di::conformance::order_details(),
        &details,
    );
}
