//! The simulated Skip Pay API over HTTP with a plain HTTP client (not the SDK): auth, rules,
//! partial cancels and error shapes.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use rescind_sim::{Clock, RunningSimulator, Simulator, World};
use serde_json::{Value, json};

const READY: &str = "11200a0ee1";
const READY_TWO: &str = "11200a0ee2";
const PROCESSING: &str = "11200a0ee3";
const VALIDATING: &str = "11200a0ee4";
const REJECTED: &str = "11200a0ee5";
const CANCELLED: &str = "11200a0ee6";
const SHIPPED: &str = "11200a0ee7";
const ORDER_CANCELLED: &str = "11200a0ee8";

struct Api {
    running: RunningSimulator,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start() -> Api {
        Api::start_with(Simulator::new()).await
    }

    async fn start_with(sim: Simulator) -> Api {
        let running = sim.start().await.unwrap();
        let http = reqwest::Client::new();
        let mut api = Api {
            running,
            http,
            token: String::new(),
        };
        api.token = api.login("eShop", "eShopSecretPassword").await;
        api
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .raw(
                Method::POST,
                "/authentication/v1/partner",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["accessToken"].as_str().unwrap().to_string()
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json; charset=utf-8")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.raw(method, path, Some(&self.token), body).await
    }

    async fn get_app(&self, id: &str) -> Value {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/financing/v1/applications/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn cancel_order(&self, id: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            Method::PUT,
            &format!("/financing/v1/applications/{id}/order/cancel"),
            Some(body),
        )
        .await
    }

    async fn cancel_app(&self, id: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            Method::PUT,
            &format!("/financing/v1/applications/{id}/cancel"),
            Some(body),
        )
        .await
    }

    fn applied(&self, key: &str) -> u64 {
        self.running.sim().counters().applied_count(key)
    }

    fn applied_total(&self) -> u64 {
        self.running
            .sim()
            .counters()
            .snapshot()
            .applied
            .values()
            .sum()
    }
}

/// Asserts the documented error shape with one entry and returns it.
fn error(status: StatusCode, body: &Value, want_status: u16, code: &str) -> Value {
    assert_eq!(status.as_u16(), want_status, "{body}");
    let errors = body["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 1, "{body}");
    let e = &errors[0];
    assert_eq!(e["code"], code, "{body}");
    assert_eq!(e["severity"], "ERROR");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(e["ticketId"].as_str().is_some_and(|t| t.len() > 10));
    // `attribute` is optional and not nullable: absent, or a JSON path.
    match e.get("attribute") {
        None => {}
        Some(Value::String(a)) => assert!(!a.is_empty(), "{body}"),
        Some(other) => panic!("attribute must be a string when present, got {other}: {body}"),
    }
    e.clone()
}

/// The lines of an order with this code: (state, quantity, totalPrice, totalVat).
fn lines(order: &Value, code: &str) -> Vec<(String, f64, i64, i64)> {
    order["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == code)
        .map(|i| {
            (
                i["state"].as_str().unwrap().to_string(),
                i["quantity"].as_f64().unwrap(),
                i["totalPrice"]["amount"].as_i64().unwrap(),
                i["totalVat"]["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn login_issues_tokens_and_refuses_bad_credentials() {
    let api = Api::start().await;
    let (status, body) = api
        .raw(
            Method::POST,
            "/authentication/v1/partner",
            None,
            Some(json!({"username": "eShop", "password": "eShopSecretPassword"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expiresIn"], 7200);
    let token = body["accessToken"].as_str().unwrap();
    assert!(token.len() >= 30, "{token}");
    assert_ne!(token, api.token, "each login issues a new token");

    for (body, attribute) in [
        (
            json!({"username": "eShop", "password": "wrong"}),
            Value::Null,
        ),
        (
            json!({"username": "nobody", "password": "eShopSecretPassword"}),
            Value::Null,
        ),
        (
            json!({"password": "eShopSecretPassword"}),
            json!("username"),
        ),
        (
            json!({"username": "eShop", "password": 3}),
            json!("password"),
        ),
    ] {
        let (status, resp) = api
            .raw(Method::POST, "/authentication/v1/partner", None, Some(body))
            .await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute);
    }
    let (status, resp) = api
        .raw(Method::POST, "/authentication/v1/partner", None, None)
        .await;
    error(status, &resp, 400, "INVALID_REQUEST");
}

#[tokio::test]
async fn missing_unknown_and_expired_tokens_get_the_oauth_401() {
    let mut world = World::demo();
    world.skippay.token_lifetime_seconds = 60;
    let api = Api::start_with(
        Simulator::new()
            .seed(world)
            .clock(Clock::fixed("2026-03-29T10:00:00Z".parse().unwrap())),
    )
    .await;
    let path = format!("/financing/v1/applications/{READY}");

    let (status, body) = api.raw(Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "The access token is missing"})
    );
    let invalid = json!({"error": "invalid_token", "error_description": "The access token is invalid or has expired"});
    let (status, body) = api
        .raw(Method::GET, &path, Some("not-a-token-we-issued"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, invalid);
    let resp = api
        .http
        .get(api.url(&path))
        .header("authorization", format!("Basic {}", api.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Valid until the lifetime passes on the simulator's clock.
    let (status, _) = api.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    api.running
        .sim()
        .clock()
        .advance(SignedDuration::from_secs(59));
    let (status, _) = api.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    api.running
        .sim()
        .clock()
        .advance(SignedDuration::from_secs(1));
    let (status, body) = api.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, invalid);
    // Every /financing route checks it, before anything else.
    let (status, _) = api.cancel_order("unknown", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.applied_total(), 0);

    // A new login works again, and says how long.
    let (status, body) = api
        .raw(
            Method::POST,
            "/authentication/v1/partner",
            None,
            Some(json!({"username": "eShop", "password": "eShopSecretPassword"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expiresIn"], 60);
    let fresh = body["accessToken"].as_str().unwrap();
    let (status, _) = api.raw(Method::GET, &path, Some(fresh), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn application_read_shape_and_not_found() {
    let api = Api::start().await;
    let app = api.get_app(READY).await;
    assert_eq!(app["id"], READY);
    assert_eq!(app["state"], "READY");
    assert_eq!(app["stateReason"], "READY_TO_SHIP");
    assert_eq!(app["type"], "DEFERRED_PAYMENT");
    assert_eq!(app["agreementTermsAndConditions"], true);
    assert!(app["gatewayRedirectUrl"].is_string());
    assert_eq!(app["customer"]["email"], "john.newborn@country.com");
    let order = &app["order"];
    assert_eq!(order["number"], "AA234");
    assert_eq!(order["state"], "PROCESSING");
    assert!(order.get("applicationInfo").is_none());
    assert_eq!(order["items"].as_array().unwrap().len(), 4);
    // Quantities are JSON numbers, decimals included.
    let cable = &order["items"][2];
    assert_eq!(cable["code"], "CABLE-M");
    assert!(cable["quantity"].is_number());
    assert_eq!(cable["quantity"].as_f64(), Some(2.5));
    assert_eq!(order["items"][3]["type"], "SHIPPING_FEE");

    let (status, body) = api
        .call(Method::GET, "/financing/v1/applications/nope", None)
        .await;
    error(status, &body, 404, "APPLICATION_NOT_FOUND");

    // Another partner does not see eShop's applications.
    let other = api.login("otherShop", "otherShopSecretPassword").await;
    let (status, body) = api
        .raw(
            Method::GET,
            &format!("/financing/v1/applications/{READY}"),
            Some(&other),
            None,
        )
        .await;
    error(status, &body, 404, "APPLICATION_NOT_FOUND");
    let (status, body) = api
        .raw(
            Method::PUT,
            &format!("/financing/v1/applications/{READY}/order/cancel"),
            Some(&other),
            Some(json!({})),
        )
        .await;
    error(status, &body, 404, "OBJECT_NOT_FOUND");
    assert_eq!(api.applied_total(), 0);

    let (status, body) = api.raw(Method::GET, "/v1/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["projectVersion"].is_string());
}

#[tokio::test]
async fn ticket_ids_are_fresh_each_time() {
    let api = Api::start().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        let (status, body) = api
            .call(Method::GET, "/financing/v1/applications/nope", None)
            .await;
        let e = error(status, &body, 404, "APPLICATION_NOT_FOUND");
        assert!(seen.insert(e["ticketId"].as_str().unwrap().to_string()));
    }
}

#[tokio::test]
async fn partial_quantities_split_the_item_and_then_cancel_it() {
    let api = Api::start().await;
    // 1 of the 2.5 m cable: 1.5 left, 1 on a CANCELLED line with its share of the price.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "CABLE-M", "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(
        order["applicationInfo"],
        json!({"id": READY, "state": "READY", "stateReason": "READY_TO_SHIP"})
    );
    assert_eq!(order["state"], "PROCESSING");
    assert_eq!(
        lines(&order, "CABLE-M"),
        vec![
            ("PROCESSING".to_string(), 1.5, 180, 31),
            ("CANCELLED".to_string(), 1.0, 120, 21)
        ]
    );
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/CABLE-M:reduce")),
        1
    );
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/CABLE-M:cancel")),
        0
    );

    // 2 of the 1.5 left: too many. 1 would leave 0.5, below the minimum of 1.
    for q in [json!(2), json!(1)] {
        let (status, body) = api
            .cancel_order(
                READY,
                json!({"items": [{"code": "CABLE-M", "quantity": q}]}),
            )
            .await;
        let e = error(status, &body, 422, "UNPROCESSABLE");
        assert_eq!(e["attribute"], "items[0].quantity");
    }
    // The remaining 1.5: the item is CANCELLED, one line with the whole quantity and price.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "CABLE-M", "quantity": 1.5}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(
        lines(&order, "CABLE-M"),
        vec![("CANCELLED".to_string(), 2.5, 300, 52)]
    );
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/CABLE-M:cancel")),
        1
    );
    // Nothing left: a quantity is refused, a whole-item repeat is harmless.
    let (status, body) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "CABLE-M", "quantity": 1}]}),
        )
        .await;
    error(status, &body, 422, "UNPROCESSABLE");
    let (status, again) = api
        .cancel_order(READY, json!({"items": [{"code": "CABLE-M"}]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["items"], order["items"]);
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/CABLE-M:cancel")),
        1
    );

    // 2 of the 3 cases, by code and EAN together; then the order is still open.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "CASE-3", "ean": "8594000000031", "quantity": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(
        lines(&order, "CASE-3"),
        vec![
            ("PROCESSING".to_string(), 1.0, 390, 68),
            ("CANCELLED".to_string(), 2.0, 780, 135)
        ]
    );
    assert_eq!(order["state"], "PROCESSING");
    // The read shows the same order.
    let app = api.get_app(READY).await;
    assert_eq!(app["order"]["items"], order["items"]);
    assert_eq!(app["state"], "READY");
}

#[tokio::test]
async fn selectors_match_every_identifier_given() {
    let api = Api::start().await;
    // Code right, EAN wrong: no item.
    let (status, body) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "EXC4677-1a", "ean": "000"}]}),
        )
        .await;
    let e = error(status, &body, 400, "INVALID_REQUEST");
    assert_eq!(e["attribute"], "items[0]");
    // Name and type must match exactly too (case matters).
    let (status, body) = api
        .cancel_order(
            READY,
            json!({"items": [{"name": "iphone 6s 32GB SpaceGray"}]}),
        )
        .await;
    error(status, &body, 400, "INVALID_REQUEST");
    let (status, body) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "SHIP-PPL", "type": "PHYSICAL"}]}),
        )
        .await;
    error(status, &body, 400, "INVALID_REQUEST");
    assert_eq!(api.applied_total(), 0);

    // By type alone: the shipping fee. By name, EAN, type and code all matching: the iPhone.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({"items": [
                {"type": "SHIPPING_FEE"},
                {"code": "EXC4677-1a", "ean": "888462064002", "name": "iPhone 6s 32GB SpaceGray", "type": "PHYSICAL"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(lines(&order, "SHIP-PPL")[0].0, "CANCELLED");
    assert_eq!(lines(&order, "EXC4677-1a")[0].0, "CANCELLED");
    assert_eq!(lines(&order, "CASE-3")[0].0, "PROCESSING");
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/SHIP-PPL:cancel")),
        1
    );
    assert_eq!(
        api.applied(&format!("skippay:item:{READY}/EXC4677-1a:cancel")),
        1
    );

    // A quantity needs exactly one item: PHYSICAL now matches two open ones.
    let (status, body) = api
        .cancel_order(
            READY,
            json!({"items": [{"type": "PHYSICAL", "quantity": 1}]}),
        )
        .await;
    let e = error(status, &body, 400, "INVALID_REQUEST");
    assert_eq!(e["attribute"], "items[0]");
}

#[tokio::test]
async fn whole_order_cancel_cancels_what_is_left_once() {
    let api = Api::start().await;
    let (status, _) = api
        .cancel_order(READY, json!({"items": [{"code": "CASE-3", "quantity": 1}]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, order) = api.cancel_order(READY, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(order["state"], "CANCELLED");
    let items = order["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "one line per item: {order}");
    assert!(items.iter().all(|i| i["state"] == "CANCELLED"));
    assert_eq!(
        lines(&order, "CASE-3"),
        vec![("CANCELLED".into(), 3.0, 1170, 203)]
    );
    assert_eq!(order["applicationInfo"]["state"], "READY");
    assert_eq!(api.applied(&format!("skippay:order:{READY}:cancel")), 1);
    for code in ["EXC4677-1a", "CASE-3", "CABLE-M", "SHIP-PPL"] {
        assert_eq!(
            api.applied(&format!("skippay:item:{READY}/{code}:cancel")),
            1,
            "{code}"
        );
    }
    let before = api.applied_total();
    // Repeats change nothing and count nothing.
    for body in [
        json!({}),
        json!({"items": []}),
        json!({"items": null, "totalVat": []}),
    ] {
        let (status, again) = api.cancel_order(READY, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["items"], order["items"]);
    }
    assert_eq!(api.applied_total(), before);
    // The demo's already cancelled order too.
    let (status, again) = api.cancel_order(ORDER_CANCELLED, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["state"], "CANCELLED");
    assert_eq!(api.applied_total(), before);

    // PAY_IN_THREE is supported too.
    let (status, order) = api.cancel_order(READY_TWO, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order["state"], "CANCELLED");
}

#[tokio::test]
async fn invalid_bodies_name_the_attribute_and_change_nothing() {
    let api = Api::start().await;
    let cases = [
        (
            json!({"items": [{"code": "CASE-3", "quantity": 0.5}]}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"code": "CASE-3", "quantity": 0}]}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"code": "CASE-3", "quantity": -1}]}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"code": "CASE-3", "quantity": 1.0001}]}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"code": "CASE-3", "quantity": "1"}]}),
            "items[0].quantity",
        ),
        (json!({"items": [{"quantity": 1}]}), "items[0]"),
        (json!({"items": [{"code": null, "ean": null}]}), "items[0]"),
        (
            json!({"items": [{"code": "CASE-3"}, {"type": "BOOK"}]}),
            "items[1].type",
        ),
        (
            json!({"items": [{"code": "x".repeat(201)}]}),
            "items[0].code",
        ),
        (json!({"items": [{"ean": "1".repeat(65)}]}), "items[0].ean"),
        (
            json!({"items": [{"name": "n".repeat(256)}]}),
            "items[0].name",
        ),
        (json!({"items": [{"code": ""}]}), "items[0].code"),
        (json!({"items": [{"code": 12}]}), "items[0].code"),
        (json!({"items": ["CASE-3"]}), "items[0]"),
        (json!({"items": {"code": "CASE-3"}}), "items"),
        (
            json!({"totalPrice": {"amount": 12.5, "currency": "CZK"}}),
            "totalPrice.amount",
        ),
        (
            json!({"totalPrice": {"amount": 100, "currency": "USD"}}),
            "totalPrice.currency",
        ),
        (
            json!({"totalVat": [{"amount": 10, "currency": "CZK"}]}),
            "totalVat[0].vatRate",
        ),
        // The first selector is fine, the second names no item: nothing is applied.
        (
            json!({"items": [{"code": "CASE-3"}, {"code": "NOPE"}]}),
            "items[1]",
        ),
    ];
    for (body, attribute) in cases {
        let (status, resp) = api.cancel_order(READY, body.clone()).await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute, "{body}");
    }
    // Not an object, not JSON, `null` (an empty body is the documented "empty request": see
    // `an_empty_body_is_the_documented_empty_request`).
    for raw in ["[]", "{\"items\": [", "null"] {
        let resp = api
            .http
            .put(api.url(&format!("/financing/v1/applications/{READY}/order/cancel")))
            .bearer_auth(&api.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        let e = error(status, &body, 400, "INVALID_REQUEST");
        assert!(e.get("attribute").is_none(), "{body}");
    }
    assert_eq!(api.applied_total(), 0);
    let app = api.get_app(READY).await;
    assert!(
        app["order"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "PROCESSING")
    );
    // 3 decimal places are fine.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({"items": [{"code": "CASE-3", "quantity": 1.125}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(lines(&order, "CASE-3")[0].1, 1.875);
}

#[tokio::test]
async fn order_cancel_only_while_ready() {
    let api = Api::start().await;
    for (id, code) in [
        (PROCESSING, "UNPROCESSABLE"),
        (VALIDATING, "APPLICATION_VALIDATION_IN_PROGRESS"),
        (REJECTED, "APPLICATION_REJECTED"),
        (CANCELLED, "APPLICATION_ALREADY_CANCELLED"),
    ] {
        for body in [json!({}), json!({"items": [{"code": "EXC4677-1a"}]})] {
            let (status, resp) = api.cancel_order(id, body).await;
            error(status, &resp, 422, code);
        }
    }
    // READY, but the order is sent: a return, not a cancel.
    for body in [json!({}), json!({"items": [{"code": "EXC4677-1a"}]})] {
        let (status, resp) = api.cancel_order(SHIPPED, body).await;
        error(status, &resp, 422, "UNPROCESSABLE");
    }
    let (status, resp) = api.cancel_order("nope", json!({})).await;
    error(status, &resp, 404, "OBJECT_NOT_FOUND");
    assert_eq!(api.applied_total(), 0);
    let app = api.get_app(PROCESSING).await;
    assert_eq!(app["order"]["items"][0]["state"], "PROCESSING");
}

#[tokio::test]
async fn application_cancel_rules() {
    let api = Api::start().await;
    let (status, app) = api
        .cancel_app(
            PROCESSING,
            json!({"reason": "APPLICATION_CANCELLED_BY_CUSTOMER"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["id"], PROCESSING);
    assert_eq!(app["state"], "CANCELLED");
    assert_eq!(app["stateReason"], "CANCELLED_NOT_PAID");
    assert_eq!(app["order"]["state"], "CANCELLED");
    assert_eq!(app["order"]["items"][0]["state"], "CANCELLED");
    assert_eq!(
        api.applied(&format!("skippay:application:{PROCESSING}:cancel")),
        1
    );
    assert_eq!(
        api.applied(&format!("skippay:order:{PROCESSING}:cancel")),
        1
    );
    let kept = api.running.sim().world();
    let kept = kept.skippay.application(PROCESSING).unwrap();
    assert_eq!(
        kept.cancel_reason.as_deref(),
        Some("APPLICATION_CANCELLED_BY_CUSTOMER")
    );
    // Twice: refused, counted once.
    let (status, body) = api.cancel_app(PROCESSING, json!({})).await;
    error(status, &body, 422, "APPLICATION_ALREADY_CANCELLED");
    assert_eq!(
        api.applied(&format!("skippay:application:{PROCESSING}:cancel")),
        1
    );

    for (id, code) in [
        (VALIDATING, "APPLICATION_VALIDATION_IN_PROGRESS"),
        (REJECTED, "APPLICATION_REJECTED"),
        (CANCELLED, "APPLICATION_ALREADY_CANCELLED"),
        (SHIPPED, "UNPROCESSABLE"),
    ] {
        let (status, body) = api.cancel_app(id, json!({})).await;
        error(status, &body, 422, code);
    }
    let (status, body) = api.cancel_app("nope", json!({})).await;
    error(status, &body, 404, "OBJECT_NOT_FOUND");
    for (body, attribute) in [
        (json!({"reason": "BECAUSE"}), "reason"),
        (json!({"customReason": 5}), "customReason"),
    ] {
        let (status, resp) = api.cancel_app(READY_TWO, body).await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute);
    }

    // READY and not sent: allowed; without a reason it is OTHER.
    let (status, app) = api
        .cancel_app(READY_TWO, json!({"customReason": "changed my mind"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["state"], "CANCELLED");
    let world = api.running.sim().world();
    let kept = world.skippay.application(READY_TWO).unwrap();
    assert_eq!(
        kept.cancel_reason.as_deref(),
        Some("APPLICATION_CANCELLED_OTHER")
    );
    assert_eq!(kept.custom_reason.as_deref(), Some("changed my mind"));

    // Paid: refused.
    let (status, _) = api
        .raw(
            Method::POST,
            &format!("/__sim/skippay/applications/{READY}/state"),
            None,
            Some(json!({"state": "READY", "stateReason": "READY_PAID"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.cancel_app(READY, json!({})).await;
    error(status, &body, 422, "APPLICATION_PAID");
}

fn new_application(number: &str) -> Value {
    json!({
        "type": "DEFERRED_PAYMENT",
        "merchantUrls": {
            "approvedRedirect": "http://www.yourEshop.com/paymentApproved.html",
            "rejectedRedirect": "http://www.yourEshop.com/paymentRejected.html",
            "notificationEndpoint": "http://www.yourEshop.com/notifications"
        },
        "customer": {"email": "jane@example.cz", "firstName": "Jane", "lastName": "Doe", "phone": "+420777000111"},
        "order": {
            "number": number,
            "totalPrice": {"amount": 13790, "currency": "CZK"},
            "totalVat": [{"amount": 2393, "currency": "CZK", "vatRate": 21}],
            "items": [
                {"code": "EXC4677-1a", "ean": "888462064002", "name": "iPhone 6s 32GB SpaceGray", "type": "PHYSICAL",
                 "totalPrice": {"amount": 12590, "currency": "CZK"},
                 "totalVat": {"amount": 2185, "currency": "CZK", "vatRate": 21},
                 "image": "https://www.example.com/iphone.png"},
                {"code": "WIRE", "name": "Wire", "quantity": 2.5,
                 "totalPrice": {"amount": 1200, "currency": "CZK"},
                 "totalVat": {"amount": 208, "currency": "CZK", "vatRate": 21}}
            ]
        }
    })
}

#[tokio::test]
async fn create_then_approve_then_cancel_partially() {
    let api = Api::start().await;
    let (status, app) = api
        .call(
            Method::POST,
            "/financing/v1/applications",
            Some(new_application("NEW-1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let id = app["id"].as_str().unwrap().to_string();
    assert_eq!(app["state"], "PROCESSING");
    assert_eq!(app["stateReason"], "PROCESSING_REDIRECT_NEEDED");
    assert_eq!(app["agreementTermsAndConditions"], false);
    assert!(app["gatewayRedirectUrl"].is_string());
    assert_eq!(app["order"]["state"], "PROCESSING");
    assert_eq!(app["order"]["items"][0]["quantity"], 1, "1 when absent");
    assert_eq!(app["order"]["items"][0]["state"], "PROCESSING");
    assert_eq!(
        app["order"]["items"][0]["image"]["url"],
        "https://www.example.com/iphone.png"
    );
    assert_eq!(app["order"]["items"][1]["quantity"].as_f64(), Some(2.5));
    assert_eq!(api.applied(&format!("skippay:application:{id}:create")), 1);
    assert_eq!(api.get_app(&id).await, app);

    // The same order again: a duplicate, answered 200 with the first application.
    let (status, again) = api
        .call(
            Method::POST,
            "/financing/v1/applications",
            Some(new_application("NEW-1")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], id.as_str());
    assert_eq!(api.applied(&format!("skippay:application:{id}:create")), 1);

    // With the agreement: pre-approved.
    let mut agreed = new_application("NEW-2");
    agreed["agreementTermsAndConditions"] = json!(true);
    let (status, app2) = api
        .call(Method::POST, "/financing/v1/applications", Some(agreed))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app2["stateReason"], "PROCESSING_PREAPPROVED");
    assert_ne!(app2["id"], id.as_str());

    // Not READY yet: refused. The customer approves (admin), then it can be cancelled.
    let (status, body) = api
        .cancel_order(&id, json!({"items": [{"code": "WIRE", "quantity": 1}]}))
        .await;
    error(status, &body, 422, "UNPROCESSABLE");
    let (status, approved) = api
        .raw(
            Method::POST,
            &format!("/__sim/skippay/applications/{id}/state"),
            None,
            Some(json!({"state": "READY"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["stateReason"], "READY_TO_SHIP");
    let (status, order) = api
        .cancel_order(&id, json!({"items": [{"code": "WIRE", "quantity": 1}]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(
        lines(&order, "WIRE"),
        vec![
            ("PROCESSING".into(), 1.5, 720, 125),
            ("CANCELLED".into(), 1.0, 480, 83)
        ]
    );
}

#[tokio::test]
async fn create_refuses_bad_bodies_with_the_attribute() {
    let api = Api::start().await;
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|b| b["type"] = json!("LOAN")), "type"),
        (
            Box::new(|b| drop(b.as_object_mut().unwrap().remove("merchantUrls"))),
            "merchantUrls",
        ),
        (
            Box::new(|b| b["merchantUrls"]["approvedRedirect"] = json!("x".repeat(513))),
            "merchantUrls.approvedRedirect",
        ),
        (
            Box::new(|b| drop(b["customer"].as_object_mut().unwrap().remove("email"))),
            "customer.email",
        ),
        (
            Box::new(|b| drop(b["customer"].as_object_mut().unwrap().remove("phone"))),
            "customer.phone",
        ),
        (
            Box::new(|b| drop(b["customer"].as_object_mut().unwrap().remove("lastName"))),
            "customer.lastName",
        ),
        (
            Box::new(|b| b["order"]["number"] = json!("n".repeat(101))),
            "order.number",
        ),
        (Box::new(|b| b["order"]["items"] = json!([])), "order.items"),
        (
            Box::new(|b| drop(b["order"].as_object_mut().unwrap().remove("totalVat"))),
            "order.totalVat",
        ),
        (
            Box::new(|b| b["order"]["totalPrice"]["currency"] = json!("USD")),
            "order.totalPrice.currency",
        ),
        (
            Box::new(|b| {
                drop(
                    b["order"]["items"][1]
                        .as_object_mut()
                        .unwrap()
                        .remove("code"),
                )
            }),
            "order.items[1].code",
        ),
        (
            Box::new(|b| b["order"]["items"][1]["quantity"] = json!(0.5)),
            "order.items[1].quantity",
        ),
        (
            Box::new(|b| b["order"]["items"][1]["quantity"] = json!(1.2345)),
            "order.items[1].quantity",
        ),
        (
            Box::new(|b| b["order"]["items"][0]["type"] = json!("BOOK")),
            "order.items[0].type",
        ),
        (
            Box::new(|b| b["order"]["items"][0]["totalVat"] = json!([])),
            "order.items[0].totalVat",
        ),
        (
            Box::new(|b| b["order"]["variableSymbols"] = json!(["12345678901"])),
            "order.variableSymbols[0]",
        ),
    ];
    for (change, attribute) in cases {
        let mut body = new_application("BAD-1");
        change(&mut body);
        let (status, resp) = api
            .call(Method::POST, "/financing/v1/applications", Some(body))
            .await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute);
    }
    assert_eq!(api.applied_total(), 0);
    // Without a token: 401 first.
    let (status, _) = api
        .raw(
            Method::POST,
            "/financing/v1/applications",
            None,
            Some(new_application("BAD-1")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admin_state_endpoint_checks_its_input() {
    let api = Api::start().await;
    let path = format!("/__sim/skippay/applications/{PROCESSING}/state");
    for (body, attribute) in [
        (json!({"state": "DONE"}), "state"),
        (json!({}), "state"),
        (
            json!({"state": "READY", "stateReason": "REJECTED"}),
            "stateReason",
        ),
    ] {
        let (status, resp) = api.raw(Method::POST, &path, None, Some(body)).await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute);
    }
    let (status, resp) = api
        .raw(
            Method::POST,
            "/__sim/skippay/applications/nope/state",
            None,
            Some(json!({"state": "READY"})),
        )
        .await;
    error(status, &resp, 404, "APPLICATION_NOT_FOUND");
    let (status, app) = api
        .raw(
            Method::POST,
            &path,
            None,
            Some(json!({"state": "REJECTED"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app["state"], "REJECTED");
    assert_eq!(app["stateReason"], "REJECTED");
    assert_eq!(
        api.applied(&format!("skippay:application:{PROCESSING}:state")),
        1
    );
    let (status, body) = api.cancel_app(PROCESSING, json!({})).await;
    error(status, &body, 422, "APPLICATION_REJECTED");
}

/// Checks one object against a shape of Skip Pay's OpenAPI document: `required` fields are
/// present (and not `null` unless listed in `nullable`), optional non-nullable fields are
/// never `null`.
fn check_shape(what: &str, v: &Value, required: &[&str], nullable: &[&str], optional: &[&str]) {
    let map = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {v}"));
    for key in required {
        let field = map
            .get(*key)
            .unwrap_or_else(|| panic!("{what}.{key} is required: {v}"));
        assert!(
            !field.is_null() || nullable.contains(key),
            "{what}.{key} is not nullable: {v}"
        );
    }
    for key in optional {
        if let Some(field) = map.get(*key) {
            assert!(
                !field.is_null() || nullable.contains(key),
                "{what}.{key} is optional but not nullable: leave it out instead of null: {v}"
            );
        }
    }
}

fn check_amount(what: &str, v: &Value) {
    check_shape(what, v, &["amount", "currency"], &[], &[]);
    assert!(v["amount"].is_number(), "{what}: {v}");
}

fn check_vat(what: &str, v: &Value) {
    check_shape(what, v, &["amount", "currency", "vatRate"], &[], &[]);
}

fn check_order(order: &Value, extended: bool) {
    check_shape(
        "order",
        order,
        &[
            "number",
            "totalPrice",
            "totalVat",
            "deliveryDate",
            "deliveryTrackingNumber",
            "items",
            "merchantId",
            "sentDate",
            "state",
        ],
        &[
            "deliveryDate",
            "deliveryTrackingNumber",
            "sentDate",
            "merchantId",
            "reservationDate",
        ],
        &[
            "variableSymbols",
            "addresses",
            "deliveryType",
            "deliveryCarrier",
            "reservationDate",
            "documents",
        ],
    );
    check_amount("order.totalPrice", &order["totalPrice"]);
    for vat in order["totalVat"].as_array().unwrap() {
        check_vat("order.totalVat[]", vat);
    }
    for item in order["items"].as_array().unwrap() {
        check_shape(
            "item",
            item,
            &[
                "code",
                "name",
                "totalPrice",
                "totalVat",
                "deliveryDate",
                "deliveryTrackingNumber",
                "quantity",
                "sentDate",
                "state",
                "unitPrice",
                "unitVat",
            ],
            &[
                "ean",
                "type",
                "variant",
                "description",
                "producer",
                "categories",
                "productUrl",
                "sentDate",
                "deliveryDate",
                "deliveryTrackingNumber",
            ],
            &[
                "ean",
                "type",
                "variant",
                "description",
                "producer",
                "categories",
                "productUrl",
                "image",
            ],
        );
        check_amount("item.totalPrice", &item["totalPrice"]);
        check_vat("item.totalVat", &item["totalVat"]);
        check_amount("item.unitPrice", &item["unitPrice"]);
        check_vat("item.unitVat", &item["unitVat"]);
        if let Some(image) = item.get("image") {
            check_shape("item.image", image, &["filename", "url"], &[], &[]);
        }
    }
    if extended {
        check_shape(
            "applicationInfo",
            &order["applicationInfo"],
            &["id", "state", "stateReason"],
            &[],
            &[],
        );
    } else {
        assert!(order.get("applicationInfo").is_none(), "{order}");
    }
}

fn check_application(app: &Value) {
    check_shape(
        "application",
        app,
        &[
            "id",
            "state",
            "stateReason",
            "agreementTermsAndConditions",
            "customer",
            "gatewayRedirectUrl",
            "order",
            "type",
        ],
        &[],
        &["recurrence"],
    );
    check_shape(
        "customer",
        &app["customer"],
        &["email", "firstName", "lastName", "fullName", "phone"],
        &["titleBefore", "titleAfter", "tin", "vatin"],
        &[
            "titleBefore",
            "titleAfter",
            "tin",
            "vatin",
            "addresses",
            "extraData",
        ],
    );
    check_order(&app["order"], false);
}

#[tokio::test]
async fn every_answer_has_the_documented_shape() {
    let api = Api::start().await;
    for id in [
        READY,
        READY_TWO,
        PROCESSING,
        VALIDATING,
        REJECTED,
        CANCELLED,
        SHIPPED,
        ORDER_CANCELLED,
    ] {
        check_application(&api.get_app(id).await);
    }
    let (status, app) = api
        .call(
            Method::POST,
            "/financing/v1/applications",
            Some(new_application("SHAPE-1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    check_application(&app);
    // The item created without an image has none (not `"image": null`); the one with a URL
    // has a `FileResponse` with both of its required strings.
    let items = app["order"]["items"].as_array().unwrap();
    assert_eq!(items[0]["image"]["filename"], "iphone.png");
    assert!(items[1].get("image").is_none(), "{app}");
    // Unit prices the create left out are the line's share of one piece.
    assert_eq!(
        items[1]["unitPrice"],
        json!({"amount": 480, "currency": "CZK"})
    );

    let (status, order) = api
        .cancel_order(READY, json!({"items": [{"code": "CASE-3", "quantity": 1}]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    check_order(&order, true);
    let (status, app) = api.cancel_app(READY_TWO, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    check_application(&app);
    // An error that names no attribute leaves `attribute` out.
    let (status, body) = api.cancel_app(REJECTED, json!({})).await;
    let e = error(status, &body, 422, "APPLICATION_REJECTED");
    assert!(e.get("attribute").is_none(), "{body}");
}

#[tokio::test]
async fn an_empty_body_is_the_documented_empty_request() {
    let api = Api::start().await;
    let put = |path: String| api.http.put(api.url(&path)).bearer_auth(&api.token).send();
    // The order cancel: "an empty request to cancel all order items".
    let resp = put(format!("/financing/v1/applications/{READY}/order/cancel"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let order: Value = resp.json().await.unwrap();
    assert_eq!(order["state"], "CANCELLED", "{order}");
    assert!(
        order["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "CANCELLED")
    );
    // The application cancel: every field is optional; no body is `{}`.
    let resp = put(format!("/financing/v1/applications/{READY_TWO}/cancel"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let app: Value = resp.json().await.unwrap();
    assert_eq!(app["state"], "CANCELLED");
    let world = api.running.sim().world();
    assert_eq!(
        world
            .skippay
            .application(READY_TWO)
            .unwrap()
            .cancel_reason
            .as_deref(),
        Some("APPLICATION_CANCELLED_OTHER")
    );
}

#[tokio::test]
async fn null_where_the_documentation_shows_null_reads_as_absent() {
    let api = Api::start().await;
    // The shape of the document's own example of the order cancel: `"totalPrice": null`,
    // `"totalVat": [null, null]`.
    let (status, order) = api
        .cancel_order(
            READY,
            json!({
                "totalVat": [null, null],
                "totalPrice": null,
                "items": [{"code": "CASE-3", "ean": "8594000000031", "quantity": 1,
                           "name": "Phone case, black", "type": "PHYSICAL"}]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(lines(&order, "CASE-3")[0].1, 2.0);
    // `reason: null` and `customReason: null` of the application cancel are allowed too.
    let (status, app) = api
        .cancel_app(READY_TWO, json!({"reason": null, "customReason": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{app}");
}

#[tokio::test]
async fn amounts_written_as_whole_number_floats_are_read() {
    let api = Api::start().await;
    let mut body = new_application("FLOATS-1");
    body["order"]["totalPrice"]["amount"] = json!(13790.0);
    body["order"]["items"][0]["totalPrice"]["amount"] = json!(1.259e4);
    body["order"]["items"][1]["totalVat"]["vatRate"] = json!(21.0);
    let (status, app) = api
        .call(Method::POST, "/financing/v1/applications", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    assert_eq!(app["order"]["totalPrice"]["amount"], 13790);
    assert_eq!(app["order"]["items"][0]["totalPrice"]["amount"], 12590);
    // A fraction of a minor unit is still refused.
    let mut body = new_application("FLOATS-2");
    body["order"]["totalPrice"]["amount"] = json!(13790.5);
    let (status, resp) = api
        .call(Method::POST, "/financing/v1/applications", Some(body))
        .await;
    let e = error(status, &resp, 400, "INVALID_REQUEST");
    assert_eq!(e["attribute"], "order.totalPrice.amount");
}

#[tokio::test]
async fn create_refuses_invalid_addresses_carriers_and_item_fields() {
    let api = Api::start().await;
    let address = json!({"addressType": "BILLING", "city": "Prague", "country": "CZ",
                         "streetAddress": "Letenská", "zip": "140 00"});
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|b: &mut Value| b["order"]["addresses"] = json!([{"city": "Prague"}])),
            "order.addresses[0].addressType",
        ),
        (
            Box::new(move |b: &mut Value| {
                let mut a = address.clone();
                a["addressType"] = json!("PERMANENT");
                b["order"]["addresses"] = json!([a]);
            }),
            "order.addresses[0].addressType",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["deliveryType"] = json!("DRONE")),
            "order.deliveryType",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["deliveryCarrier"] = json!({"carrierId": "ACME"})),
            "order.deliveryCarrier.carrierId",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["channel"] = json!("SHOP")),
            "order.channel",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["reservationDate"] = json!("soon")),
            "order.reservationDate",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["items"][0]["categories"] = json!([1])),
            "order.items[0].categories",
        ),
        (
            Box::new(|b: &mut Value| b["order"]["documents"] = json!([{"file": "x"}])),
            "order.documents[0].type",
        ),
        (
            Box::new(|b: &mut Value| b["customer"]["addresses"] = json!([{"addressType": "HOME"}])),
            "customer.addresses[0].addressType",
        ),
    ];
    for (change, attribute) in cases {
        let mut body = new_application("BAD-FIELDS");
        change(&mut body);
        let (status, resp) = api
            .call(Method::POST, "/financing/v1/applications", Some(body))
            .await;
        let e = error(status, &resp, 400, "INVALID_REQUEST");
        assert_eq!(e["attribute"], attribute, "{resp}");
    }
    // The valid forms are accepted.
    let mut body = new_application("GOOD-FIELDS");
    body["order"]["addresses"] = json!([{"addressType": "DELIVERY", "city": "Prague",
        "country": "CZ", "streetAddress": "Letenská", "streetNumber": null, "zip": "140 00"}]);
    body["order"]["deliveryType"] = json!("DELIVERY_CARRIER");
    body["order"]["deliveryCarrier"] = json!({"carrierCustom": "My courier"});
    body["order"]["channel"] = json!("BRANCH");
    body["order"]["reservationDate"] = json!("2017-07-15T00:00:00+02:00");
    let (status, app) = api
        .call(Method::POST, "/financing/v1/applications", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    assert_eq!(
        app["order"]["deliveryCarrier"]["carrierCustom"],
        "My courier"
    );
    assert_eq!(app["order"]["channel"], "BRANCH");
    assert_eq!(api.applied_total(), 1);
}

/// A random `ApplicationRequest` from the document's field lists: every optional field present
/// or absent, numbers in every JSON form the document's `number` allows (`1000`, `1000.0`,
/// `1e3`), unknown extra fields.
fn random_application(rng: &mut fastrand::Rng, n: usize) -> Value {
    fn number(rng: &mut fastrand::Rng, v: i64) -> Value {
        match rng.u8(0..3) {
            0 => json!(v),
            1 => serde_json::from_str(&format!("{v}.0")).unwrap(),
            _ => serde_json::from_str(&format!("{}e{}", v as f64 / 100.0, 2)).unwrap(),
        }
    }
    let maybe = |rng: &mut fastrand::Rng, v: Value| if rng.bool() { Some(v) } else { None };
    let mut items = Vec::new();
    for i in 0..rng.usize(1..4) {
        let price = rng.i64(100..100_000);
        let mut item = json!({
            "code": format!("C-{i}"),
            "name": format!("Item {i}"),
            "totalPrice": {"amount": number(rng, price), "currency": "CZK"},
            "totalVat": {"amount": number(rng, price / 5), "currency": "CZK", "vatRate": number(rng, 21)},
        });
        let optional = [
            ("ean", json!("8594000000031")),
            (
                "type",
                json!(["PHYSICAL", "DIGITAL", "SHIPPING_FEE"][rng.usize(0..3)]),
            ),
            ("variant", json!("black")),
            ("description", json!("A thing")),
            ("producer", json!("Acme")),
            ("categories", json!(["phones"])),
            ("productUrl", json!("https://www.example.com/p")),
            (
                "image",
                json!(if rng.bool() {
                    "https://www.example.com/i.png"
                } else {
                    "aGVsbG8="
                }),
            ),
            ("unitPrice", json!({"amount": price, "currency": "CZK"})),
            (
                "unitVat",
                json!({"amount": price / 5, "currency": "CZK", "vatRate": 21}),
            ),
            ("quantity", json!([1, 2, 3][rng.usize(0..3)])),
            ("somethingNew", json!({"x": 1})),
        ];
        for (key, value) in optional {
            if let Some(v) = maybe(rng, value) {
                item[key] = v;
            }
        }
        items.push(item);
    }
    let mut customer = json!({"email": "jane@example.cz", "phone": "+420777000111"});
    match rng.u8(0..3) {
        0 => customer["fullName"] = json!("Jane Doe"),
        1 => {
            customer["firstName"] = json!("Jane");
            customer["lastName"] = json!("Doe");
        }
        _ => {
            customer["firstName"] = json!("Jane");
            customer["lastName"] = json!("Doe");
            customer["fullName"] = json!("Ing. Jane Doe");
            customer["tin"] = json!("12333321");
        }
    }
    let mut order = json!({
        "number": format!("GEN-{n}"),
        "totalPrice": {"amount": number(rng, 10_000), "currency": "CZK"},
        "totalVat": [{"amount": number(rng, 2_000), "currency": "CZK", "vatRate": 21}],
        "items": items,
    });
    let optional = [
        ("variableSymbols", json!(["1234567890"])),
        (
            "addresses",
            json!([{"addressType": "BILLING", "city": "Prague", "country": "CZ",
                              "streetAddress": "Letenská", "zip": "140 00"}]),
        ),
        ("deliveryType", json!("DELIVERY_CARRIER")),
        ("deliveryCarrier", json!({"carrierId": "DPD"})),
        ("reservationDate", json!("2017-07-15T00:00:00+02:00")),
        ("merchantId", json!("ABCD1234")),
    ];
    for (key, value) in optional {
        if let Some(v) = maybe(rng, value) {
            order[key] = v;
        }
    }
    let financing = ["DEFERRED_PAYMENT", "PAY_IN_THREE"][rng.usize(0..2)];
    json!({
        "type": financing,
        "agreementTermsAndConditions": rng.bool(),
        "merchantUrls": {
            "approvedRedirect": "http://www.yourEshop.com/ok",
            "rejectedRedirect": "http://www.yourEshop.com/ko",
            "notificationEndpoint": "http://www.yourEshop.com/n"
        },
        "customer": customer,
        "order": order,
        "unknownTopLevel": true,
    })
}

/// Generated applications are accepted, and every answer about them (create, read, a partial
/// and a whole order cancel) has the document's shape.
#[tokio::test]
async fn generated_applications_are_answered_in_the_documented_shapes() {
    let api = Api::start().await;
    let mut rng = fastrand::Rng::with_seed(15);
    for n in 0..60 {
        let body = random_application(&mut rng, n);
        let (status, app) = api
            .call(
                Method::POST,
                "/financing/v1/applications",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}\n{app}");
        check_application(&app);
        let id = app["id"].as_str().unwrap().to_string();
        check_application(&api.get_app(&id).await);
        let (status, _) = api
            .raw(
                Method::POST,
                &format!("/__sim/skippay/applications/{id}/state"),
                None,
                Some(json!({"state": "READY"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, order) = api
            .cancel_order(&id, json!({"items": [{"code": "C-0", "quantity": 1}]}))
            .await;
        // A quantity of 1 off an item of 1 cancels it; off 2 or 3, it splits the item.
        assert_eq!(status, StatusCode::OK, "{body}\n{order}");
        check_order(&order, true);
        let (status, order) = api.cancel_order(&id, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        check_order(&order, true);
        assert_eq!(order["state"], "CANCELLED");
    }
}
