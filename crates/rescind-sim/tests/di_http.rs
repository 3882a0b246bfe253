//! The simulated Di API over HTTP with a plain HTTP client (not rescind-di): login and tokens,
//! book, details, cancel with the in-transit rule in Oslo time, error bodies and admin
//! endpoints.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use reqwest::{Client, Method, Response};
use rescind_sim::{Clock, RunningSimulator, Simulator};
use serde_json::{Value, json};

const USER: &str = "wsfoobar";
const PASSWORD: &str = "a-very-very-long-password";
const LOGIN: &str = "/ws/json/auth/v-3/login";
const BOOK: &str = "/ws/json/parcel/booking/v-1/book";
const DETAILS: &str = "/ws/json/parcel/booking/v-1/details";
const CANCEL: &str = "/ws/json/parcel/booking/v-1/order/cancel";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn start_at(now: &str) -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(ts(now)))
        .start()
        .await
        .unwrap()
}

async fn login_as(base: &str, user: &str, password: &str, minutes: u32) -> Response {
    Client::new()
        .post(format!("{base}{LOGIN}/{minutes}"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn token_for(base: &str, user: &str, password: &str) -> String {
    let resp = login_as(base, user, password, 60).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn token(base: &str) -> String {
    token_for(base, USER, PASSWORD).await
}

async fn call(method: Method, url: String, token: &str, body: Option<Value>) -> Response {
    let mut req = Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header("content-type", "application/json");
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn cancel(base: &str, token: &str, id: &str) -> Response {
    call(Method::DELETE, format!("{base}{CANCEL}/{id}"), token, None).await
}

async fn details(base: &str, token: &str, id: &str) -> Response {
    call(Method::GET, format!("{base}{DETAILS}/{id}"), token, None).await
}

async fn book(base: &str, token: &str, body: Value) -> Response {
    call(Method::POST, format!("{base}{BOOK}"), token, Some(body)).await
}

/// Books a delivery (`desired`) or pick-up (`pickup`) order of shop 1234 and returns its bare
/// shipment number.
async fn book_order(
    base: &str,
    token: &str,
    desired: Option<&str>,
    pickup: Option<&str>,
) -> String {
    let mut body = json!({
        "shopId": 1234,
        "transportSolutionId": 1,
        "parties": [{"type": "consignee", "name": "Kari Nordmann"}],
        "items": [{"itemNumber": 1, "weight": 400, "contents": "Bok"}],
    });
    if let Some(d) = desired {
        body["desiredDeliveryDate"] = json!(d);
    }
    if let Some(p) = pickup {
        body["pickupDetails"] = json!({"pickupDate": p, "placement": "Ved døren"});
    }
    let resp = book(base, token, body).await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    let id = answer["shipmentId"].as_str().unwrap();
    id.strip_prefix("(401)").unwrap().to_owned()
}

/// Checks Di's error envelope: exactly `statusCode`, `errorKey` and an object `errorMap`.
async fn assert_di_error(resp: Response, status: u16, key: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = resp.json().await.unwrap();
    let obj = body.as_object().unwrap();
    assert_eq!(obj.len(), 3, "{body}");
    assert_eq!(body["statusCode"], status, "{body}");
    assert_eq!(body["errorKey"], key, "{body}");
    assert!(body["errorMap"].is_object(), "{body}");
    body
}

fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS512");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

#[tokio::test]
async fn login_issues_jwt_shaped_tokens_from_the_sim_clock() {
    let running = start_at("2026-01-10T12:00:00Z").await;
    let base = running.base_url();

    let resp = login_as(&base, USER, PASSWORD, 60).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    let token = body["token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["sub"], USER);
    assert_eq!(c["iat"], ts("2026-01-10T12:00:00Z").as_second());
    assert_eq!(c["exp"], ts("2026-01-10T13:00:00Z").as_second());
    assert_eq!(c["flowShops"], json!([1234, 16]));

    // The cap in DiWorld shortens the lifetime; minutes shorter than the cap win.
    running
        .sim()
        .with_world(|w| w.di.token_lifetime_seconds = 90);
    let t = token_for(&base, USER, PASSWORD).await;
    let c = claims(&t);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 90);
    let resp = login_as(&base, USER, PASSWORD, 1).await;
    let t: Value = resp.json().await.unwrap();
    let c = claims(t["token"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 60);

    // Two logins never share a token.
    assert_ne!(token_for(&base, USER, PASSWORD).await, token);
    assert!(running.sim().world().di.tokens.len() >= 4);
}

#[tokio::test]
async fn login_refuses_bad_minutes_credentials_and_bodies() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    for minutes in ["0", "1441", "abc", "-5", "60.5"] {
        let resp = Client::new()
            .post(format!("{base}{LOGIN}/{minutes}"))
            .json(&json!({"username": USER, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let body = assert_di_error(resp, 400, "failed.to.parse.request").await;
        assert!(body["errorMap"]["minutesValid"].is_string(), "{body}");
    }
    for minutes in [1, 1440] {
        assert_eq!(login_as(&base, USER, PASSWORD, minutes).await.status(), 200);
    }
    assert_di_error(
        login_as(&base, USER, "wrong", 60).await,
        401,
        "authentication.failed",
    )
    .await;
    assert_di_error(
        login_as(&base, "nobody", PASSWORD, 60).await,
        401,
        "authentication.failed",
    )
    .await;
    for body in ["not json", r#"{"username": "wsfoobar"}"#, "[]"] {
        let resp = Client::new()
            .post(format!("{base}{LOGIN}/60"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_di_error(resp, 400, "failed.to.parse.request").await;
    }
    // A wrong method on Di's path is 405 in Di's shape.
    let resp = Client::new()
        .get(format!("{base}{LOGIN}/60"))
        .send()
        .await
        .unwrap();
    assert_di_error(resp, 405, "method.not.allowed").await;
}

#[tokio::test]
async fn missing_unknown_and_expired_tokens_are_401() {
    let running = start_at("2026-01-10T12:00:00Z").await;
    let base = running.base_url();
    let id = "70724760000000101";
    let url = format!("{base}{DETAILS}/{id}");

    let resp = Client::new().get(&url).send().await.unwrap();
    assert_di_error(resp, 401, "authentication.missing").await;
    let resp = Client::new()
        .get(&url)
        .header("authorization", "Basic d3M6cHc=")
        .send()
        .await
        .unwrap();
    assert_di_error(resp, 401, "authentication.missing").await;
    assert_di_error(
        details(&base, "garbage", id).await,
        401,
        "authentication.missing",
    )
    .await;
    // A JWT-shaped token the simulator did not issue (a valid payload, far-future exp).
    let forged = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512"}"#),
        URL_SAFE_NO_PAD.encode(r#"{"sub":"wsfoobar","iat":1,"exp":4102444800}"#),
        URL_SAFE_NO_PAD.encode("sig")
    );
    assert_di_error(
        details(&base, &forged, id).await,
        401,
        "authentication.missing",
    )
    .await;
    assert_di_error(
        cancel(&base, &forged, id).await,
        401,
        "authentication.missing",
    )
    .await;

    // A 60-minute token: valid one second before exp, expired at exp.
    let token = token(&base).await;
    assert_eq!(details(&base, &token, id).await.status(), 200);
    running.sim().clock().set(ts("2026-01-10T12:59:59Z"));
    assert_eq!(details(&base, &token, id).await.status(), 200);
    running.sim().clock().set(ts("2026-01-10T13:00:00Z"));
    assert_di_error(
        details(&base, &token, id).await,
        401,
        "authentication.expired",
    )
    .await;
    assert_di_error(
        cancel(&base, &token, id).await,
        401,
        "authentication.expired",
    )
    .await;
    // Nothing was cancelled by the refused calls.
    assert_eq!(
        running
            .sim()
            .counters()
            .applied_count(&format!("di:order:{id}:cancel")),
        0
    );
    // A new login works again.
    let fresh = token_for(&base, USER, PASSWORD).await;
    assert_eq!(details(&base, &fresh, id).await.status(), 200);
}

#[tokio::test]
async fn details_of_the_demo_orders() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let token = token(&base).await;

    let resp = details(&base, &token, "70724760000000101").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "shipmentId": "70724760000000101",
            "ediStatus": "EXPORT_OK",
            "shopId": 1234,
            "shopName": "Eksempelbutikken AS",
            "desiredDeliveryDate": "2099-06-15",
            "pickupDetails": null,
            "items": [{"trackingReference": "00370724760000000101", "labellessCode": null}],
        })
    );
    // By tracking reference and by return code too.
    let by_tracking: Value = details(&base, &token, "00370724760000000101")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_tracking, body);
    let pickup: Value = details(&base, &token, "R105").await.json().await.unwrap();
    assert_eq!(pickup["shipmentId"], "70724760000000105");
    assert_eq!(
        pickup["pickupDetails"],
        json!({"returnCode": "R105", "placement": "Ved inngangsdøren", "pickupDate": "2099-07-01", "possiblePickupDates": ["2099-07-01"]})
    );
    let cancelled: Value = details(&base, &token, "70724760000000104")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["ediStatus"], "CANCELLED");
    let undated: Value = details(&base, &token, "70724760000000103")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(undated["desiredDeliveryDate"], Value::Null);

    assert_di_error(
        details(&base, &token, "70724769999999999").await,
        404,
        "cannot.find.order",
    )
    .await;
    assert_di_error(
        details(&base, &token, "(401)70724760000000101").await,
        404,
        "cannot.find.order",
    )
    .await;
    let body = assert_di_error(
        details(&base, &token, "70724760000000108").await,
        403,
        "no.access.shop.id",
    )
    .await;
    assert_eq!(body["errorMap"]["shopId"], "5678");
    // The owner of shop 5678 reads it.
    let other = token_for(&base, "wsother", "another-very-long-password").await;
    assert_eq!(
        details(&base, &other, "70724760000000108").await.status(),
        200
    );
}

#[tokio::test]
async fn cancel_answers_every_demo_case() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let sim = running.sim();
    let token = token(&base).await;
    let applied = |id: &str| {
        sim.counters()
            .applied_count(&format!("di:order:{id}:cancel"))
    };

    // Before the window: cancelled, once.
    let resp = cancel(&base, &token, "70724760000000101").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "");
    assert_eq!(applied("70724760000000101"), 1);
    let after: Value = details(&base, &token, "70724760000000101")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["ediStatus"], "CANCELLED");
    // A second cancel is refused as cancelled already and changes nothing.
    assert_di_error(
        cancel(&base, &token, "70724760000000101").await,
        400,
        "order.cancelled",
    )
    .await;
    assert_eq!(applied("70724760000000101"), 1);

    for (id, status, key) in [
        ("70724760000000102", 400, "order.exported"),
        ("70724760000000103", 400, "order.exported"),
        ("70724760000000104", 400, "order.cancelled"),
        ("70724760000000106", 400, "order.exported"),
        ("70724760000000107", 400, "order.exported"),
        ("70724760000000108", 403, "no.access.shop.id"),
        ("70724760000000109", 400, "error.parcel.final.status"),
        ("70724769999999999", 404, "cannot.find.order"),
        ("00370724760000000101", 404, "cannot.find.order"),
    ] {
        let body = assert_di_error(cancel(&base, &token, id).await, status, key).await;
        if key == "order.exported" {
            assert!(body["errorMap"]["reason"].is_string(), "{body}");
        }
        assert_eq!(applied(id), 0, "{id}");
    }
    let state = sim.world();
    assert_eq!(
        state
            .di
            .order("70724760000000102")
            .unwrap()
            .edi_status
            .as_str(),
        "EXPORT_OK"
    );

    // Pick-up before its cut-off.
    assert_eq!(
        cancel(&base, &token, "70724760000000105").await.status(),
        200
    );
    assert_eq!(applied("70724760000000105"), 1);

    // A user without the edit-orders web service.
    let readonly = token_for(&base, "wsreadonly", "read-only-password").await;
    assert_di_error(
        cancel(&base, &readonly, "70724760000000101").await,
        403,
        "no.access.api",
    )
    .await;
    // Wrong method.
    let resp = call(
        Method::POST,
        format!("{base}{CANCEL}/70724760000000101"),
        &token,
        None,
    )
    .await;
    assert_di_error(resp, 405, "method.not.allowed").await;
}

/// One case of the in-transit rule: at `now`, log in, book an order with `desired` (delivery)
/// or `pickup`, and cancel it.
async fn cancel_at(
    running: &RunningSimulator,
    desired: Option<&str>,
    pickup: Option<&str>,
    now: &str,
) -> u16 {
    let base = running.base_url();
    running.sim().clock().set(ts(now));
    let token = token(&base).await;
    let id = book_order(&base, &token, desired, pickup).await;
    cancel(&base, &token, &id).await.status().as_u16()
}

#[tokio::test]
async fn in_transit_from_oslo_midnight_the_day_before_in_winter_and_summer_and_across_both_dst_changes()
 {
    let running = start_at("2026-01-01T00:00:00Z").await;
    let cases = [
        // Winter (UTC+1): desired 2026-01-15 → in transit from 2026-01-14 00:00 Oslo = 01-13 23:00Z.
        ("20260115", "2026-01-13T22:59:59Z", 200),
        ("20260115", "2026-01-13T23:00:00Z", 400),
        // 23:30Z is 00:30 the next day in Oslo: a UTC reading would still allow it.
        ("2026-01-15", "2026-01-13T23:30:00Z", 400),
        // Summer (UTC+2): desired 2026-07-15 → from 2026-07-13 22:00Z.
        ("2026-07-15", "2026-07-13T21:59:59Z", 200),
        ("2026-07-15", "2026-07-13T22:00:00Z", 400),
        // Spring change 2026-03-29 02:00 → 03:00. Day before = 03-29 starts in CET: 03-28 23:00Z.
        ("2026-03-30", "2026-03-28T22:59:59Z", 200),
        ("2026-03-30", "2026-03-28T23:00:00Z", 400),
        // Day before = 03-30 starts in CEST: 03-29 22:00Z.
        ("2026-03-31", "2026-03-29T21:59:59Z", 200),
        ("2026-03-31", "2026-03-29T22:00:00Z", 400),
        // Autumn change 2026-10-25 03:00 → 02:00. Day before = 10-25 starts in CEST: 10-24 22:00Z.
        ("2026-10-26", "2026-10-24T21:59:59Z", 200),
        ("2026-10-26", "2026-10-24T22:00:00Z", 400),
        // Day before = 10-26 starts in CET: 10-25 23:00Z.
        ("2026-10-27", "2026-10-25T22:59:59Z", 200),
        ("2026-10-27", "2026-10-25T23:00:00Z", 400),
    ];
    for (desired, now, expected) in cases {
        let status = cancel_at(&running, Some(desired), None, now).await;
        assert_eq!(status, expected, "desired {desired} at {now}");
    }
    // Only the cancellable cases were applied.
    let applied = running.sim().counters().snapshot().applied;
    assert_eq!(applied.len(), cases.iter().filter(|c| c.2 == 200).count());
    assert!(applied.values().all(|n| *n == 1));
}

#[tokio::test]
async fn pickup_cut_off_is_23_oslo_the_day_before_in_both_seasons_and_a_failed_pickup_reopens_it() {
    let running = start_at("2026-01-01T00:00:00Z").await;
    let cases = [
        // Winter: pick-up 2026-01-15, cut-off 2026-01-14 23:00 CET = 22:00Z.
        ("20260115", "2026-01-14T21:59:59Z", 200),
        ("20260115", "2026-01-14T22:00:00Z", 400),
        // Summer: pick-up 2026-07-15, cut-off 2026-07-14 23:00 CEST = 21:00Z.
        ("2026-07-15", "2026-07-14T20:59:59Z", 200),
        ("2026-07-15", "2026-07-14T21:00:00Z", 400),
        // The day of the spring change: pick-up 03-30, cut-off 03-29 23:00 CEST = 21:00Z.
        ("2026-03-30", "2026-03-29T20:59:59Z", 200),
        ("2026-03-30", "2026-03-29T21:00:00Z", 400),
        // The day of the autumn change: pick-up 10-26, cut-off 10-25 23:00 CET = 22:00Z.
        ("2026-10-26", "2026-10-25T21:59:59Z", 200),
        ("2026-10-26", "2026-10-25T22:00:00Z", 400),
    ];
    for (pickup, now, expected) in cases {
        let status = cancel_at(&running, None, Some(pickup), now).await;
        assert_eq!(status, expected, "pick-up {pickup} at {now}");
    }
    // A pick-up order with a desired delivery date too: the pick-up cut-off decides.
    let status = cancel_at(
        &running,
        Some("2026-01-20"),
        Some("2026-01-15"),
        "2026-01-14T21:00:00Z",
    )
    .await;
    assert_eq!(status, 200);

    // Past the cut-off, a failed pick-up attempt makes it cancellable again.
    let base = running.base_url();
    running.sim().clock().set(ts("2026-02-10T07:30:00Z"));
    let token = token(&base).await;
    let id = book_order(&base, &token, None, Some("2026-02-10")).await;
    running.sim().clock().set(ts("2026-02-10T08:00:00Z"));
    assert_di_error(cancel(&base, &token, &id).await, 400, "order.exported").await;
    let resp = Client::new()
        .post(format!("{base}/__sim/di/orders/{id}/pickup_failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stored: Value = resp.json().await.unwrap();
    assert_eq!(stored["pickupFailed"], true);
    assert_eq!(cancel(&base, &token, &id).await.status(), 200);
}

#[tokio::test]
async fn book_assigns_numbers_and_validates_the_body() {
    let running = start_at("2026-05-01T10:00:00Z").await;
    let base = running.base_url();
    let token = token(&base).await;

    let resp = book(
        &base,
        &token,
        json!({
            "shopId": 1234, "transportSolutionId": 1, "shopDisplayName": "Demo",
            "desiredDeliveryDate": "20260520",
            "parties": [{"type": "consignee", "name": "Kari"}],
            "items": [{"itemNumber": 1, "weight": 400}, {"itemNumber": 2, "trackingReference": "370724760099999999"}],
            "messageToCarrier": "unknown fields are ignored",
        }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    let gs1 = answer["shipmentId"].as_str().unwrap();
    let id = gs1.strip_prefix("(401)").unwrap();
    assert_eq!(id.len(), 17);
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(answer["freightProductId"], 1);
    assert_eq!(answer["ediStatus"], "EXPORT_OK");
    assert_eq!(answer["desiredDeliveryDate"], "2026-05-20");
    assert_eq!(answer["parties"][0]["name"], "Kari");
    let first = answer["items"][0]["trackingReference"].as_str().unwrap();
    assert_eq!(first.len(), 20);
    assert_eq!(
        answer["items"][1]["trackingReference"],
        "370724760099999999"
    );

    let read: Value = details(&base, &token, id).await.json().await.unwrap();
    assert_eq!(read["shopName"], "Demo");
    assert_eq!(read["items"].as_array().unwrap().len(), 2);
    let by_item: Value = details(&base, &token, first).await.json().await.unwrap();
    assert_eq!(by_item["shipmentId"], id);
    let stored = running.sim().world();
    assert_eq!(
        stored.di.order(id).unwrap().booked_at,
        Some(ts("2026-05-01T10:00:00Z"))
    );

    // Pick-up: a return code is assigned; freight product 3.
    let resp = book(
        &base,
        &token,
        json!({"shopId": 16, "transportSolutionId": 1, "pickupDetails": {"pickupDate": "20260601", "possiblePickupDates": ["20260601", "2026-06-02"]}, "items": [{}]}),
    )
    .await;
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["freightProductId"], 3);
    assert_eq!(answer["pickupDetails"]["pickupDate"], "2026-06-01");
    assert_eq!(
        answer["pickupDetails"]["possiblePickupDates"],
        json!(["2026-06-01", "2026-06-02"])
    );
    assert!(
        answer["pickupDetails"]["returnCode"]
            .as_str()
            .unwrap()
            .starts_with('R')
    );

    // A given shipment number (with the GS1 prefix) is kept; reusing it is refused.
    let with_id = json!({"shopId": 1234, "transportSolutionId": 1, "shipmentId": "(401)70724761617883184", "items": [{}]});
    let answer: Value = book(&base, &token, with_id.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["shipmentId"], "(401)70724761617883184");
    assert_di_error(
        book(&base, &token, with_id).await,
        400,
        "shipmentId.already.exists",
    )
    .await;

    // No desired delivery date: in transit at once.
    assert_di_error(
        cancel(&base, &token, "70724761617883184").await,
        400,
        "order.exported",
    )
    .await;
    // A desired date far ahead: cancellable.
    let later = book_order(&base, &token, Some("2026-06-30"), None).await;
    assert_eq!(cancel(&base, &token, &later).await.status(), 200);

    let items = json!([{}]);
    for (body, status, key, field) in [
        (
            json!({"transportSolutionId": 1, "items": items}),
            400,
            "failed.to.parse.request",
            "shopId",
        ),
        (
            json!({"shopId": 1234, "items": items}),
            400,
            "failed.to.parse.request",
            "transportSolutionId",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1, "items": []}),
            400,
            "failed.to.parse.request",
            "items",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1}),
            400,
            "failed.to.parse.request",
            "items",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1, "items": items, "desiredDeliveryDate": "15.06.2026"}),
            400,
            "invalid.format.desiredDeliveryDate",
            "desiredDeliveryDate",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1, "items": items, "desiredDeliveryDate": "20260230"}),
            400,
            "invalid.format.desiredDeliveryDate",
            "desiredDeliveryDate",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1, "items": items, "pickupDetails": {}}),
            400,
            "invalid.format.pickupDate",
            "pickupDate",
        ),
        (
            json!({"shopId": 1234, "transportSolutionId": 1, "items": items, "shipmentId": "ABC"}),
            400,
            "failed.to.parse.request",
            "shipmentId",
        ),
        (
            json!({"shopId": "1234", "transportSolutionId": 1, "items": items}),
            400,
            "failed.to.parse.request",
            "body",
        ),
        (
            json!({"shopId": 5678, "transportSolutionId": 1, "items": items}),
            403,
            "no.access.shop.id",
            "shopId",
        ),
    ] {
        let err = assert_di_error(book(&base, &token, body.clone()).await, status, key).await;
        assert!(err["errorMap"][field].is_string(), "{body} -> {err}");
    }
    let resp = Client::new()
        .post(format!("{base}{BOOK}"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_di_error(resp, 400, "failed.to.parse.request").await;
    // Booking needs a token too.
    let resp = Client::new()
        .post(format!("{base}{BOOK}"))
        .json(&json!({"shopId": 1234}))
        .send()
        .await
        .unwrap();
    assert_di_error(resp, 401, "authentication.missing").await;
}

#[tokio::test]
async fn admin_endpoints_change_carrier_states_and_tokens() {
    let running = Simulator::new().start().await.unwrap();
    let base = running.base_url();
    let http = Client::new();
    let token = token(&base).await;

    let orders: Value = http
        .get(format!("{base}/__sim/di/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders.as_array().unwrap().len(), 9);
    let one: Value = http
        .get(format!("{base}/__sim/di/orders/70724760000000107"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["carrierStatus"], "IN_TRANSIT");

    // A scan puts a cancellable order in transit.
    let resp = http
        .post(format!(
            "{base}/__sim/di/orders/70724760000000101/in_transit"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stored: Value = resp.json().await.unwrap();
    assert_eq!(stored["carrierStatus"], "IN_TRANSIT");
    assert_di_error(
        cancel(&base, &token, "70724760000000101").await,
        400,
        "order.exported",
    )
    .await;
    // Delivered: a final status.
    http.post(format!(
        "{base}/__sim/di/orders/70724760000000101/delivered"
    ))
    .send()
    .await
    .unwrap();
    assert_di_error(
        cancel(&base, &token, "70724760000000101").await,
        400,
        "error.parcel.final.status",
    )
    .await;
    // A failed pick-up on a delivery order is refused; unknown orders are 404.
    let resp = http
        .post(format!(
            "{base}/__sim/di/orders/70724760000000101/pickup_failed"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let resp = http
        .post(format!("{base}/__sim/di/orders/1/in_transit"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Forgetting the tokens makes every client log in again.
    let resp = http
        .delete(format!("{base}/__sim/di/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_di_error(
        details(&base, &token, "70724760000000101").await,
        401,
        "authentication.missing",
    )
    .await;

    // The token lifetime cap.
    let resp = http
        .post(format!("{base}/__sim/di/token_lifetime"))
        .json(&json!({"seconds": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let t = token_for(&base, USER, PASSWORD).await;
    let c = claims(&t);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 30);

    // Reset brings the demo back.
    http.post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    let state = running.sim().world();
    assert!(state.di.tokens.is_empty());
    assert_eq!(state.di.token_lifetime_seconds, 86_400);
}

#[tokio::test]
async fn the_demo_world_is_in_the_state_endpoint() {
    let running = Simulator::new().start().await.unwrap();
    let state: Value = reqwest::get(format!("{}/__sim/state", running.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["di"]["users"][0]["username"], USER);
    assert_eq!(state["di"]["orders"].as_array().unwrap().len(), 9);
}
