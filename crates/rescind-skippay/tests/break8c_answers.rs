//! Outsider checks (third round) of what a Skip Pay change's answer proves, after `decode::json`
//! started refusing bytes after the value: the neighbours `break8_kept_order.rs` and
//! `break8b_proof.rs` did not try. The order cancel's answer naming its application in forms
//! the id check does not read, refusals given as JSON lists, the application cancel's answer and
//! the read-back with bytes around the value, the whole order and `applicationInfo` as lists,
//! items as short lists, ids escaped, very long or nested.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ErrorKind,
    HttpResponse, Policy, Sent,
};
use rescind_skippay::SkipPayCancel;
use rescind_skippay::model::ApplicationState;
use rescind_skippay::response::{
    parse_cancel_application, parse_cancel_order_items_of, parse_get_application,
};
use serde_json::{Value, json};

/// What one cancel did against a mock Skip Pay.
struct Run {
    result: Result<CancelOutcome, Error>,
    reads: usize,
    order_sends: usize,
    app_sends: usize,
}

/// A Skip Pay answering a read of the application with `app`, the order cancel and the
/// application cancel with their status and bytes (the same answer every time).
struct Answers {
    app: Vec<u8>,
    order_cancel: (u16, Vec<u8>),
    app_cancel: (u16, Vec<u8>),
}

impl Answers {
    /// An application READY with open items; every change answered 500.
    fn ready() -> Self {
        Answers {
            app: ready(open_items()).to_string().into_bytes(),
            order_cancel: (500, Vec::new()),
            app_cancel: (500, Vec::new()),
        }
    }

    /// An application still PROCESSING (cancelled as an application); every change 500.
    fn processing() -> Self {
        let app = application(
            "PROCESSING",
            "PROCESSING_REDIRECT_NEEDED",
            "PROCESSING",
            open_items(),
        );
        Answers {
            app: app.to_string().into_bytes(),
            ..Answers::ready()
        }
    }

    fn order_cancel(mut self, status: u16, body: impl Into<Vec<u8>>) -> Self {
        self.order_cancel = (status, body.into());
        self
    }

    fn app_cancel(mut self, status: u16, body: impl Into<Vec<u8>>) -> Self {
        self.app_cancel = (status, body.into());
        self
    }

    fn app(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.app = body.into();
        self
    }

    /// Runs a whole cancel of [`APP`] under `policy`.
    async fn cancel(self, policy: Policy) -> Run {
        let server = MockServer::start_async().await;
        let _ = login_mock(&server).await;
        let mock = |method, path: &'static str, (status, body): (u16, Vec<u8>)| {
            server.mock_async(move |when, then| {
                when.method(method).path(path);
                then.status(status)
                    .header("content-type", "application/json")
                    .body(body);
            })
        };
        let get = mock(GET, APP_PATH, (200, self.app)).await;
        let order = mock(PUT, ORDER_CANCEL, self.order_cancel).await;
        let app = mock(PUT, APP_CANCEL, self.app_cancel).await;
        let result = client(&server)
            .cancel_with(
                CancelRequest::whole(APP),
                CancelOptions::new().policy(policy),
            )
            .await;
        Run {
            result,
            reads: get.calls_async().await,
            order_sends: order.calls_async().await,
            app_sends: app.calls_async().await,
        }
    }
}

/// A whole cancel of a READY application whose order cancel answers 200 with `body`.
async fn order_answered(body: &[u8], policy: Policy) -> Run {
    Answers::ready()
        .order_cancel(200, body.to_vec())
        .cancel(policy)
        .await
}

/// The cancel was not reported done: `MaybeSent`, after reading the application back.
fn assert_unproven(case: &str, run: &Run, least_reads: usize) {
    match &run.result {
        Ok(outcome) => panic!(
            "{case}: reported {:?} (read back: {}), order() {:?}",
            outcome.status,
            outcome.settled_by_read_back(),
            SkipPayCancel::of(outcome)
                .and_then(SkipPayCancel::order)
                .map(|o| (o.is_cancelled(), o.application_info.clone()))
        ),
        Err(err) => assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}"),
    }
    assert!(
        run.reads >= least_reads,
        "{case}: read {} times, never read back",
        run.reads
    );
}

/// A whole cancel answered `body` under both policies proves nothing.
async fn proves_nothing(case: &str, body: &[u8]) {
    for policy in POLICIES {
        let run = order_answered(body, policy).await;
        assert_unproven(&format!("{case} ({policy:?})"), &run, 1);
        assert!(run.order_sends <= 2, "{case} ({policy:?})");
    }
}

/// A whole cancel answered `body` under both policies is cancelled from the answer, sent once,
/// and `order()` is the order the reader before the proof reads.
async fn cancelled_from_the_answer(case: &str, body: &[u8]) {
    let expected = read_of(body).unwrap_or_else(|e| panic!("{case}: the reader refuses: {e}"));
    for policy in POLICIES {
        let run = order_answered(body, policy).await;
        let outcome = run
            .result
            .unwrap_or_else(|e| panic!("{case} ({policy:?}): {e}"));
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{case}");
        assert!(!outcome.settled_by_read_back(), "{case} ({policy:?})");
        assert_eq!(run.order_sends, 1, "{case} ({policy:?})");
        let payload = SkipPayCancel::of(&outcome).unwrap();
        assert_eq!(payload.order(), Some(&expected), "{case} ({policy:?})");
    }
}

/// A cancelled answer whose `applicationInfo` text has `"id":"11200a0ee1"` replaced by `to`.
fn cancelled_with_id_text(to: &str) -> Vec<u8> {
    edit(&answer("CANCELLED").to_string(), r#""id":"11200a0ee1""#, to)
}

/// FAULT. `applicationInfo` names another application and then gives `id` a second time with a
/// value `serde_json::Value` cannot hold (a number out of range, nesting past its recursion
/// limit). `NamedApplication` reads the id into a `Value`, its error is swallowed
/// (`unwrap_or(NamedApplication::None)`), and the answer names no application at all: reported
/// `Cancelled` from the answer (sent once, no read-back) although it is about `11200a0ee2`.
/// With the second id a plain number (`7`) the same answer is `Ambiguous` and proves nothing;
/// so must these. The reader before the proof takes them too (same `NamedApplication`).
#[tokio::test]
async fn an_application_named_twice_with_an_unreadable_second_id_proves_nothing() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for (case, second) in [
        ("a number out of range", "1e400".to_string()),
        ("nesting past the recursion limit", deep),
    ] {
        let body = cancelled_with_id_text(&format!(r#""id":"11200a0ee2","id":{second}"#));
        proves_nothing(case, &body).await;
        assert!(read_of(&body).is_err(), "{case}: the reader takes it");
    }
}

/// FAULT (a decision from the promise; pre-existing, the reader before the proof does the
/// same). `applicationInfo.id` present but not a text (a number, an object holding another
/// application's id, a list of one): `ApplicationBaseResponse.id` is a string, so the answer is
/// not the documented success answer, and it names an id that is not ours. `NamedApplication`
/// reads it as "no application named", the order reader skips `applicationInfo`, and the
/// answer is reported `Cancelled` from the order's state alone. The rule says the id, where
/// the body has one, must be the target's: it should prove nothing (read back).
#[tokio::test]
async fn an_application_id_that_is_not_a_text_proves_nothing() {
    for id in [
        json!(11200),
        json!({"id": "11200a0ee2"}),
        json!(["11200a0ee2"]),
    ] {
        let body = cancelled_with_id_text(&format!(r#""id":{id}"#));
        proves_nothing(&format!("id {id}"), &body).await;
    }
}

/// FAULT. A 400/404/422 whose body is a JSON list (`[[]]`, `[[{"code": ...}]]`) is read by
/// `error::is_documented_refusal` as Skip Pay's envelope `{"errors": [...]}`: serde's derived
/// `ErrorsResponse` reads a list by position. It is not Skip Pay's documented refusal (an
/// object; Arta's and Di's checks want an object too), so it proves nothing: the order cancel
/// answered `422 [[]]` is reported as Skip Pay's refusal (`Answered`, never read back), and the
/// application cancel answered `422 [[{"code": "APPLICATION_ALREADY_CANCELLED"}]]` is reported
/// `AlreadyCancelled` from that list.
#[tokio::test]
async fn a_list_on_a_4xx_is_not_skip_pays_refusal() {
    for body in [
        &b"[[]]"[..],
        br#"[[{"code":"NOT_SUPPORTED","message":"x"}]]"#,
    ] {
        let resp = HttpResponse::new(422, body.to_vec());
        assert!(
            !rescind_skippay::error::is_documented_refusal(&resp),
            "{}",
            String::from_utf8_lossy(body)
        );
        let run = Answers::ready()
            .order_cancel(422, body.to_vec())
            .cancel(Policy::CheckFirst)
            .await;
        assert_unproven("order cancel, 422 with a list", &run, 2);
    }
    let listed = br#"[[{"code":"APPLICATION_ALREADY_CANCELLED","message":"x"}]]"#;
    let run = Answers::processing()
        .app_cancel(422, listed.to_vec())
        .cancel(Policy::CheckFirst)
        .await;
    assert!(run.app_sends >= 1);
    assert_unproven("application cancel, 422 with a list", &run, 2);
}

/// Held. Skip Pay's envelope itself, or bytes after it, on the same statuses: the envelope is
/// the refusal (`Answered`, not read back); the envelope followed by bytes is not it.
#[tokio::test]
async fn the_envelope_is_a_refusal_and_bytes_after_it_are_not() {
    let envelope = errors_body("NOT_SUPPORTED", "Order cannot be cancelled", "t-1").to_string();
    let run = Answers::ready()
        .order_cancel(422, envelope.clone())
        .cancel(Policy::CheckFirst)
        .await;
    let err = run.result.unwrap_err();
    assert_eq!(err.sent(), Sent::Answered, "{err}");
    assert_eq!(run.reads, 1);
    for tail in [" x", "\n{}", "\0"] {
        let body = format!("{envelope}{tail}");
        assert!(!rescind_skippay::error::is_documented_refusal(
            &HttpResponse::new(422, body.clone())
        ));
        let run = Answers::ready()
            .order_cancel(422, body)
            .cancel(Policy::CheckFirst)
            .await;
        assert_unproven(&format!("envelope then {tail:?}"), &run, 2);
    }
}

/// Held. Bytes around the order answer that `break8b` did not try: a NUL after it, a comment
/// before or after it, our own order twice as NDJSON prove nothing; JSON whitespace after it
/// (newlines, tabs) is read.
#[tokio::test]
async fn bytes_around_the_order_answer() {
    let text = answer("CANCELLED").to_string();
    for (case, body) in [
        ("a NUL after it", format!("{text}\0")),
        ("a line comment after it", format!("{text}\n// done")),
        ("a block comment before it", format!("/* c */{text}")),
        ("two values, NDJSON", format!("{text}\n{text}\n")),
        ("a value after it", format!("{text} null")),
    ] {
        assert!(read_of(body.as_bytes()).is_err(), "{case}");
        proves_nothing(case, body.as_bytes()).await;
    }
    cancelled_from_the_answer("whitespace after it", format!("{text}\r\n\t \n").as_bytes()).await;
}

/// Held. The whole order answered as a JSON list (its fields by `Order`'s positions): the
/// proof refuses it (not an object), and so does the reader before it (`OrderShape` reads a
/// list of two, `Order` needs more): proves nothing, as before the proof.
#[tokio::test]
async fn the_whole_order_as_a_list_proves_nothing() {
    let o = answer("CANCELLED");
    let fields = [
        "number",
        "variableSymbols",
        "totalPrice",
        "totalVat",
        "addresses",
        "deliveryType",
        "deliveryCarrier",
        "channel",
        "reservationDate",
        "state",
        "deliveryDate",
        "deliveryTrackingNumber",
        "sentDate",
        "documents",
        "items",
        "merchantId",
        "applicationInfo",
    ];
    let listed: Vec<Value> = fields
        .iter()
        .map(|f| o.get(*f).cloned().unwrap_or(Value::Null))
        .collect();
    let two = json!(["CANCELLED", o["items"].clone()]);
    for (case, body) in [
        ("17 elements", Value::from(listed).to_string()),
        ("state and items", two.to_string()),
    ] {
        assert!(read_of(body.as_bytes()).is_err(), "{case}");
        proves_nothing(case, body.as_bytes()).await;
    }
}

/// Held. `applicationInfo` as a list (`[id, state, stateReason]`) with fewer or more elements:
/// naming another application first proves nothing whatever its length; naming ours,
/// CANCELLED, with exactly three elements cancels the order (as the reader reads it); with two
/// (the reader skips it) the order's own PROCESSING state does not show the cancel.
#[tokio::test]
async fn application_info_as_a_list_of_any_length() {
    for info in [
        json!(["11200a0ee2"]),
        json!(["11200a0ee2", "CANCELLED"]),
        json!(["11200a0ee2", "CANCELLED", null, "extra"]),
    ] {
        proves_nothing(
            &format!("{info}"),
            &answer_with_info("CANCELLED", info.clone()),
        )
        .await;
    }
    let ours = answer_with_info("PROCESSING", json!([APP, "CANCELLED", null]));
    let read = read_of(&ours).unwrap();
    assert_eq!(
        read.application_info.map(|i| i.state),
        Some(ApplicationState::Cancelled)
    );
    cancelled_from_the_answer("ours, CANCELLED, three elements", &ours).await;
    let short = answer_with_info("PROCESSING", json!([APP, "CANCELLED"]));
    assert!(read_of(&short).unwrap().application_info.is_none());
    proves_nothing("ours, CANCELLED, two elements", &short).await;
}

/// Held. An item as a list shorter than `OrderItem` (up to its `state`, 12 elements: the
/// reader wants `deliveryTrackingNumber`, which has no default) proves nothing; one without
/// only its last element (`quantity`, defaulted) reads, CANCELLED, as the reader reads it.
#[tokio::test]
async fn an_item_as_a_short_list() {
    let listed = |len: usize| {
        let mut fields = vec![Value::Null; 19];
        fields[0] = json!("A");
        fields[3] = json!("PHYSICAL");
        fields[11] = json!("CANCELLED");
        fields[18] = json!(2);
        fields.truncate(len);
        let mut v = answer("CANCELLED");
        v["items"] = json!([Value::from(fields), item("B", "CANCELLED", json!(1))]);
        v.to_string().into_bytes()
    };
    let short = listed(12);
    assert!(read_of(&short).is_err());
    proves_nothing("12 elements", &short).await;
    let no_quantity = listed(18);
    let read = read_of(&no_quantity).unwrap();
    assert_eq!(read.items[0].quantity, None);
    cancelled_from_the_answer("18 elements", &no_quantity).await;
}

/// Held. The id compared is the text the JSON spells: our id with escapes is ours; an id in an
/// object inside `applicationInfo` is not its `id` (neither ours there, nor another there).
#[tokio::test]
async fn escaped_and_nested_ids() {
    cancelled_from_the_answer(
        "our id escaped",
        &cancelled_with_id_text(r#""id":"\u0031\u0031200a0ee\u0031""#),
    )
    .await;
    cancelled_from_the_answer(
        "another id nested beside ours",
        &cancelled_with_id_text(r#""x":{"id":"11200a0ee2"},"id":"11200a0ee1""#),
    )
    .await;
    proves_nothing(
        "ours nested beside another",
        &cancelled_with_id_text(r#""x":{"id":"11200a0ee1"},"id":"11200a0ee2""#),
    )
    .await;
}

/// Held (sans-IO). Very long ids: an order answer or an application answer naming exactly the
/// asked 100 000-character id is about it; one differing in its last character is not.
#[test]
fn very_long_ids_are_compared_whole() {
    let long = "a".repeat(100_000);
    let other = format!("{}b", &long[1..]);
    let mut order = answer("CANCELLED");
    order["applicationInfo"]["id"] = json!(long);
    let body = order.to_string();
    let read = parse_cancel_order_items_of(&HttpResponse::new(200, body.clone()), &long).unwrap();
    assert_eq!(read.application_info.unwrap().id, long);
    let err = parse_cancel_order_items_of(&HttpResponse::new(200, body), &other).unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);

    let mut app = application(
        "CANCELLED",
        "CANCELLED_NOT_PAID",
        "PROCESSING",
        open_items(),
    );
    app["id"] = json!(long);
    let resp = HttpResponse::new(200, app.to_string());
    assert_eq!(parse_cancel_application(&resp, &long).unwrap().id, long);
    let err = parse_cancel_application(&resp, &other).unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent);
}

/// The application cancel's answer: our application, CANCELLED.
fn app_cancelled() -> String {
    application(
        "CANCELLED",
        "CANCELLED_NOT_PAID",
        "PROCESSING",
        open_items(),
    )
    .to_string()
}

/// Held. The application cancel (`PUT .../cancel`) answered 200 with our CANCELLED application
/// and bytes around it (after it, a NUL, a BOM before it, NDJSON, a comment) proves nothing:
/// read back (still PROCESSING), `MaybeSent`, never `Cancelled`; `parse_cancel_application`
/// refuses each as `MaybeSent`. Whitespace after it is read: cancelled from the answer.
#[tokio::test]
async fn the_application_cancel_answered_with_bytes_around_it_proves_nothing() {
    let text = app_cancelled();
    for (case, body) in [
        ("a letter after it", format!("{text} x").into_bytes()),
        ("a NUL after it", format!("{text}\0").into_bytes()),
        (
            "a BOM before it",
            [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
        ),
        ("NDJSON", format!("{text}\n{text}\n").into_bytes()),
        (
            "a comment after it",
            format!("{text} /* ok */").into_bytes(),
        ),
    ] {
        let err = parse_cancel_application(&HttpResponse::new(200, body.clone()), APP).unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}");
        assert_eq!(err.kind(), ErrorKind::Decode, "{case}: {err}");
        let run = Answers::processing()
            .app_cancel(200, body)
            .cancel(Policy::CheckFirst)
            .await;
        assert_unproven(case, &run, 2);
        assert!(run.app_sends <= 2, "{case}");
        assert_eq!(run.order_sends, 0, "{case}");
    }
    let run = Answers::processing()
        .app_cancel(200, format!("{text}\n\t\r\n"))
        .cancel(Policy::CheckFirst)
        .await;
    let outcome = run.result.unwrap();
    assert_eq!(outcome.status, CancelStatus::Cancelled);
    assert!(!outcome.settled_by_read_back());
    assert_eq!((run.reads, run.app_sends), (1, 1));
}

/// Held. The read-back that settles an unproven cancel, answered with a CANCELLED application
/// followed by bytes (or two of them), is no reading: not `Cancelled`, `MaybeSent`, the error
/// saying the read-back failed. The read before a change answered so is an error too, and
/// nothing is sent. `parse_get_application` refuses such a body (`Decode`, `Answered`).
#[tokio::test]
async fn a_read_with_bytes_after_the_application_is_no_reading() {
    let cancelled = application(
        "CANCELLED",
        "CANCELLED_NOT_PAID",
        "CANCELLED",
        all_cancelled(),
    )
    .to_string();
    for (case, body) in [
        ("a letter", format!("{cancelled} x")),
        ("a NUL", format!("{cancelled}\0")),
        ("NDJSON", format!("{cancelled}\n{cancelled}")),
    ] {
        let err = parse_get_application(&HttpResponse::new(200, body.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{case}");
        assert_eq!(err.sent(), Sent::Answered, "{case}");

        // Change-first: the order cancel answers 500, the read-back is this body.
        let run = Answers::ready()
            .app(body.clone())
            .cancel(Policy::ChangeFirst)
            .await;
        assert_unproven(case, &run, 1);
        let err = run.result.unwrap_err();
        assert!(
            err.to_string()
                .contains("reading the application back failed"),
            "{case}: {err}"
        );
        // Check-first: the read before the change fails, nothing is sent.
        let run = Answers::ready().app(body).cancel(Policy::CheckFirst).await;
        let err = run.result.unwrap_err();
        assert_ne!(err.sent(), Sent::MaybeSent, "{case}: {err}");
        assert_eq!((run.order_sends, run.app_sends), (0, 0), "{case}");
    }
}

/// Decided (session 8): an application cancel answered 200 with a JSON list that serde would
/// read as an `ApplicationResponse` by position (`["11200a0ee1","CANCELLED",...]`) is not the
/// documented answer (an object), as the order cancel's list is not: it proves nothing and is
/// read back (here the application still reads PROCESSING, so the outcome stays unknown).
#[tokio::test]
async fn an_application_cancel_answered_with_a_list_proves_nothing() {
    let app: Value = serde_json::from_str(&app_cancelled()).unwrap();
    // `ApplicationResponse`'s fields in their declared order (serde reads a list so).
    let fields = [
        "id",
        "state",
        "stateReason",
        "type",
        "order",
        "customer",
        "agreementTermsAndConditions",
        "gatewayRedirectUrl",
        "recurrence",
    ];
    let listed = Value::Array(fields.iter().map(|f| app[*f].clone()).collect()).to_string();
    // serde itself reads it: the refusal is the object rule's, not a failed read.
    assert!(serde_json::from_str::<rescind_skippay::model::ApplicationResponse>(&listed).is_ok());
    for policy in [Policy::CheckFirst, Policy::ChangeFirst] {
        let run = Answers::processing()
            .order_cancel(
                422,
                errors_body("NOT_SUPPORTED", "PROCESSING", "t-1").to_string(),
            )
            .app_cancel(200, listed.clone())
            .cancel(policy)
            .await;
        assert!(run.app_sends >= 1, "{policy:?}");
        assert_unproven("application cancel, 200 with a list", &run, 2);
    }
}
