//! The simulator's own API: faults addressed by provider operation, typed counters, the demo
//! identifiers, and per-target locking under concurrent changes (no lost update).

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use rescind_sim::{Clock, FaultAction, FaultRule, Operation, RunningSimulator, Simulator, demo};
use serde_json::{Value, json};

async fn start() -> RunningSimulator {
    Simulator::new()
        .clock(Clock::fixed(demo::arta::NOW.parse().unwrap()))
        .start()
        .await
        .unwrap()
}

struct Api {
    running: RunningSimulator,
    http: Client,
    skippay: String,
    di: String,
}

impl Api {
    async fn new() -> Api {
        let running = start().await;
        let http = Client::new();
        let base = running.base_url();
        let login = |path: &str, user: &str, password: &str, field: &'static str| {
            let request = http
                .post(format!("{base}{path}"))
                .json(&json!({"username": user, "password": password}));
            async move {
                let body: Value = request.send().await.unwrap().json().await.unwrap();
                body[field].as_str().unwrap().to_owned()
            }
        };
        let skippay = login(
            "/authentication/v1/partner",
            demo::skippay::PARTNER,
            demo::skippay::PASSWORD,
            "accessToken",
        )
        .await;
        let di = login(
            "/ws/json/auth/v-3/login/60",
            demo::di::USER,
            demo::di::PASSWORD,
            "token",
        )
        .await;
        Api {
            running,
            http,
            skippay,
            di,
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let auth = if path.starts_with("/financing/") {
            format!("Bearer {}", self.skippay)
        } else if path.starts_with("/ws/") {
            format!("Bearer {}", self.di)
        } else {
            format!("ARTA_APIKey {}", demo::arta::API_KEY)
        };
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.running.base_url()))
            .header("authorization", auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn sim(&self) -> &rescind_sim::Sim {
        self.running.sim()
    }
}

fn order_cancel(id: &str) -> String {
    format!("/financing/v1/applications/{id}/order/cancel")
}

#[tokio::test]
async fn a_fault_on_skippay_item_cancels_leaves_whole_order_cancels_alone() {
    let api = Api::new().await;
    api.sim()
        .faults()
        .add(FaultRule::on(Operation::SkipPayCancelItems, FaultAction::status(503)).times(1));
    // The same path, no items: the whole order, not faulted.
    let (status, _) = api
        .send(
            Method::PUT,
            &order_cancel(demo::skippay::READY_TWO_ITEMS),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = json!({"items": [{"code": demo::skippay::ITEM_CASE, "quantity": 1}]});
    let (status, _) = api
        .send(
            Method::PUT,
            &order_cancel(demo::skippay::READY),
            Some(items.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // `times(1)`: used up; the handler saw the same body the fault did.
    let (status, body) = api
        .send(
            Method::PUT,
            &order_cancel(demo::skippay::READY),
            Some(items),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let counters = api.sim().counters();
    assert_eq!(counters.get(Operation::SkipPayCancelItems).requests(), 2);
    assert_eq!(counters.get(Operation::SkipPayCancelItems).applied(), 1);
    assert_eq!(counters.get(Operation::SkipPayCancelOrder).requests(), 1);
    assert!(api.sim().faults().list().is_empty());
}

#[tokio::test]
async fn a_fault_set_by_operation_over_http_hits_any_target_of_that_operation() {
    let api = Api::new().await;
    let admin = format!("{}/__sim/faults", api.running.base_url());
    let rule = json!({"operation": "di_cancel_order", "action": {"kind": "envelope", "status": 404}, "times": 2});
    let response = api.http.post(&admin).json(&rule).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let listed: Value = api
        .http
        .get(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["operation"], "di_cancel_order");
    let cancel = |id: &str| format!("/ws/json/parcel/booking/v-1/order/cancel/{id}");
    // A read of the same order is not the operation.
    let details = format!(
        "/ws/json/parcel/booking/v-1/details/{}",
        demo::di::ORDER_CANCELLABLE
    );
    assert_eq!(
        api.send(Method::GET, &details, None).await.0,
        StatusCode::OK
    );
    for id in [demo::di::ORDER_CANCELLABLE, demo::di::ORDER_PICKUP] {
        let (status, body) = api.send(Method::DELETE, &cancel(id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["errorKey"], "not.found");
    }
    let (status, _) = api
        .send(Method::DELETE, &cancel(demo::di::ORDER_CANCELLABLE), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let c = api.sim().counters().get(Operation::DiCancelOrder);
    assert_eq!((c.requests(), c.applied()), (3, 1));
}

#[tokio::test]
async fn typed_counters_count_requests_429s_and_applied_changes_per_operation() {
    let api = Api::new().await;
    let session = format!("/hosted_sessions/{}", demo::arta::SESSION_NEW);
    api.sim().faults().add(
        FaultRule::on(
            Operation::ArtaGetSession,
            FaultAction::status_with_retry_after(429, std::time::Duration::from_secs(1)),
        )
        .times(1),
    );
    assert_eq!(
        api.send(Method::GET, &session, None).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        api.send(Method::GET, &session, None).await.0,
        StatusCode::OK
    );
    let cancel = format!("{session}/cancel");
    for _ in 0..2 {
        assert_eq!(
            api.send(Method::PATCH, &cancel, None).await.0,
            StatusCode::OK
        );
    }
    // A late fault: the change is applied when the test says so, and counted for its
    // operation then.
    api.sim().faults().add(
        FaultRule::on(Operation::ArtaHold, FaultAction::status(502))
            .apply_late()
            .times(1),
    );
    let hold = json!({"shipment_exception": {"type": "requested_hold_to_collect", "shipment_id": demo::arta::PENDING}});
    assert_eq!(
        api.send(Method::POST, "/shipment_exceptions", Some(hold))
            .await
            .0,
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(api.sim().counters().get(Operation::ArtaHold).applied(), 0);
    let held = api.sim().held();
    assert_eq!(held[0].operation, Some(Operation::ArtaHold));
    api.sim().apply_all_held().await;

    let snapshot = api.sim().counters().snapshot();
    let get = snapshot.get(Operation::ArtaGetSession);
    assert_eq!(
        (get.requests(), get.rate_limited(), get.applied()),
        (2, 1, 0)
    );
    let cancelled = snapshot.get(Operation::ArtaCancelSession);
    // The second cancel answers 200 unchanged: one change applied.
    assert_eq!((cancelled.requests(), cancelled.applied()), (2, 1));
    let holds = snapshot.get(Operation::ArtaHold);
    assert_eq!((holds.requests(), holds.applied()), (1, 1));
    assert_eq!(snapshot.rate_limited(), 1);
    // The logins of `Api::new` count too.
    assert_eq!(snapshot.get(Operation::DiLogin).requests(), 1);
    assert_eq!(snapshot.get(Operation::SkipPayLogin).requests(), 1);
    assert_eq!(snapshot.requests(), 7);
    assert_eq!(
        snapshot.applied_count(&format!(
            "arta:hosted_session:{}:cancel",
            demo::arta::SESSION_NEW
        )),
        1
    );
    assert_eq!(snapshot.hit_count(&format!("PATCH {cancel}")), 2);
    // The admin endpoint serves the same, operations by name.
    let url = format!("{}/__sim/counters", api.running.base_url());
    let served: Value = api
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["operations"]["arta_get_session"]["rate_limited"], 1);
    assert_eq!(served["operations"]["arta_cancel_session"]["applied"], 1);
    api.sim().reset();
    assert_eq!(api.sim().counters().get(Operation::ArtaHold).requests(), 0);
}

// Several worker threads: the handlers of one target really run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_holds_on_one_shipment_each_apply_once() {
    let api = std::sync::Arc::new(Api::new().await);
    let before = api.sim().with_world(|w| {
        w.arta
            .shipments
            .iter()
            .find(|s| s.id == demo::arta::PENDING)
            .unwrap()
            .exceptions
            .len()
    });
    const N: usize = 24;
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let hold = json!({"shipment_exception": {"type": "requested_hold_to_collect", "shipment_id": demo::arta::PENDING}});
                api.send(Method::POST, "/shipment_exceptions", Some(hold)).await.0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let (status, shipment) = api
        .send(
            Method::GET,
            &format!("/shipments/{}", demo::arta::PENDING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Every hold is in the shipment: none overwrote another, and the cached read answer
    // shows the last state.
    assert_eq!(shipment["exceptions"].as_array().unwrap().len(), before + N);
    let key = format!("arta:shipment:{}:hold", demo::arta::PENDING);
    assert_eq!(api.sim().counters().applied_count(&key), N as u64);
    assert_eq!(
        api.sim().counters().get(Operation::ArtaHold).applied(),
        N as u64
    );
}

// Several worker threads: the handlers of one target really run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_quantity_cancels_on_one_item_never_cancel_more_than_it_has() {
    let api = std::sync::Arc::new(Api::new().await);
    // The phone case has quantity 3: of 12 concurrent cancels of 1, exactly 3 are accepted.
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let items = json!({"items": [{"code": demo::skippay::ITEM_CASE, "quantity": 1}]});
                api.send(
                    Method::PUT,
                    &order_cancel(demo::skippay::READY),
                    Some(items),
                )
                .await
                .0
            })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => accepted += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, 3);
    let reduce = format!(
        "skippay:item:{}/{}:reduce",
        demo::skippay::READY,
        demo::skippay::ITEM_CASE
    );
    let cancel = format!(
        "skippay:item:{}/{}:cancel",
        demo::skippay::READY,
        demo::skippay::ITEM_CASE
    );
    let counters = api.sim().counters();
    assert_eq!(
        (
            counters.applied_count(&reduce),
            counters.applied_count(&cancel)
        ),
        (2, 1)
    );
    let (_, app) = api
        .send(
            Method::GET,
            &format!("/financing/v1/applications/{}", demo::skippay::READY),
            None,
        )
        .await;
    let case = app["order"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == demo::skippay::ITEM_CASE)
        .unwrap()
        .clone();
    assert_eq!(case["state"], "CANCELLED", "{case}");
}

#[tokio::test]
async fn a_change_through_the_whole_world_is_seen_by_the_next_read() {
    let api = Api::new().await;
    let path = format!("/hosted_sessions/{}", demo::arta::SESSION_NEW);
    let (_, first) = api.send(Method::GET, &path, None).await;
    assert_eq!(first["status"], "new");
    api.sim().with_world(|w| {
        let s = w
            .arta
            .hosted_sessions
            .iter_mut()
            .find(|s| s.id == demo::arta::SESSION_NEW)
            .unwrap();
        s.status = "quoted".into();
    });
    let (_, second) = api.send(Method::GET, &path, None).await;
    assert_eq!(second["status"], "quoted");
    // A target added through the world is found by id at once.
    api.sim().with_world(|w| {
        let mut s = w.arta.hosted_sessions[0].clone();
        s.id = 777;
        w.arta.hosted_sessions.push(s);
    });
    assert_eq!(
        api.send(Method::GET, "/hosted_sessions/777", None).await.0,
        StatusCode::OK
    );
    tokio::time::timeout(Duration::from_secs(5), api.running.shutdown())
        .await
        .unwrap();
}
