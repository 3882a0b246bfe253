//! Outsider checks of the kept order answer: a whole order cancel answered 200 decides on a
//! few fields read at once (the order's state, its items, its application) and
//! `SkipPayCancel::order()` decodes the rest on first use. Compared with what the reader of
//! the answer before the change (`parse_cancel_order_items`, still public) makes of the same
//! body: an answer that reader refuses proves nothing, an answer about another application
//! proves nothing, and a kept answer's `order()` is the order that reader reads.

mod common;

use common::*;
use httpmock::prelude::*;
use rescind_core::rust_decimal::Decimal;
use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ErrorKind,
    HttpResponse, ItemSelector, Policy, Sent,
};
use rescind_skippay::SkipPayCancel;
use rescind_skippay::model::Order;
use rescind_skippay::response::{parse_cancel_order_items, parse_cancel_order_items_of};
use serde_json::{Value, json};

async fn cancel(
    server: &MockServer,
    request: CancelRequest,
    policy: Policy,
) -> Result<CancelOutcome, Error> {
    client(server)
        .cancel_with(request, CancelOptions::new().policy(policy))
        .await
}

/// A READY application with these items, unchanged whatever is sent.
/// The answer of a whole cancel that took: the order and its items CANCELLED.
fn cancelled_answer() -> Value {
    order_answer("CANCELLED", all_cancelled(), "READY")
}

/// The order the reader before the change reads from `body`.
fn parsed(body: &[u8]) -> Result<Order, Error> {
    parse_cancel_order_items(&HttpResponse::new(200, body.to_vec()))
}

/// Answers whose state, items and application read, but which the order reader
/// (`parse_cancel_order_items`, the tolerant reader) gives up on: a duplicate key where no
/// cancel decides, more unreadable fields than it skips, a byte that is not UTF-8.
fn answers_the_reader_refuses() -> Vec<(&'static str, Vec<u8>)> {
    let mut all = answers_the_proof_refuses();
    all.push(("300 unreadable prices", many_unreadable_prices()));
    all
}

/// A cancelled answer whose 300 items each have an unreadable `totalPrice`: more fields that
/// no cancel needs than the order reader skips (256).
fn many_unreadable_prices() -> Vec<u8> {
    unreadable_prices(300)
}

/// A cancelled answer with `n` items whose `totalPrice` does not read.
fn unreadable_prices(n: usize) -> Vec<u8> {
    let mut many = cancelled_answer();
    many["items"] = (0..n)
        .map(|i| {
            let mut it = item(&format!("I{i}"), "CANCELLED", json!(1));
            it["totalPrice"] = json!("twelve");
            it
        })
        .collect();
    many.to_string().into_bytes()
}

/// The answers the order reader refuses for a known field given twice or bytes that are not
/// UTF-8: the proof refuses them too.
fn answers_the_proof_refuses() -> Vec<(&'static str, Vec<u8>)> {
    let text = cancelled_answer().to_string();
    let mut not_utf8 = text.clone().into_bytes();
    let at = text.find("AA234").unwrap();
    not_utf8[at] = 0xff;
    vec![
        (
            "`number` twice",
            edit(
                &text,
                r#""number":"AA234""#,
                r#""number":"AA234","number":"AA235""#,
            ),
        ),
        (
            "an item's `variant` twice",
            edit(
                &text,
                r#""code":"A""#,
                r#""code":"A","variant":"x","variant":"y""#,
            ),
        ),
        ("`number` not UTF-8", not_utf8),
    ]
}

/// FAULT. An answer the order reader refuses is not a readable documented success: before the
/// change it was `MaybeSent` and settled by reading back (here: unchanged, so never reported
/// done). The proof now reads its state and items, reports the whole cancel done from the
/// answer, and `order()` is `None` ("the order Skip Pay answered" is not there).
#[tokio::test]
async fn a_whole_cancel_answered_with_an_order_the_reader_refuses_proves_nothing() {
    for policy in POLICIES {
        for (case, body) in answers_the_proof_refuses() {
            assert!(parsed(&body).is_err(), "{case}: the reader takes it");
            let server = MockServer::start_async().await;
            let m = skip_pay_answering(&server, ready(open_items()), body).await;
            let result = cancel(&server, CancelRequest::whole(APP), policy).await;
            let err = match result {
                Ok(outcome) => panic!(
                    "{case} ({policy:?}): reported done from an unreadable answer: {:?}, order() {:?}",
                    outcome.status,
                    SkipPayCancel::of(&outcome).unwrap().order().map(|_| "Some")
                ),
                Err(err) => err,
            };
            assert_eq!(err.sent(), Sent::MaybeSent, "{case} ({policy:?}): {err}");
            assert!(m.get.calls_async().await >= 1, "{case}: never read back");
            assert!(m.order_cancel.calls_async().await <= 2, "{case}");
        }
    }
}

/// FAULT. The same answers to an item cancel: read back as before, but the error now says the
/// order "does not show the cancel" (`UnexpectedResponse`), while the answer did not read at
/// all; before the change it was the reader's `Decode` error, naming what did not read.
#[tokio::test]
async fn an_item_cancel_answered_with_an_order_the_reader_refuses_is_a_decode_error() {
    for (case, body) in answers_the_reader_refuses() {
        let server = MockServer::start_async().await;
        let m = skip_pay_answering(&server, ready(open_items()), body).await;
        let request = CancelRequest::items(APP, vec![ItemSelector::by_code("A")]);
        let err = cancel(&server, request, Policy::CheckFirst)
            .await
            .unwrap_err();
        assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}");
        assert_eq!(err.kind(), ErrorKind::Decode, "{case}: {err}");
        assert!(
            !err.to_string().contains("does not show the cancel"),
            "{case}: {err}"
        );
        assert!(m.get.calls_async().await >= 2, "{case}: never read back");
    }
}

/// FAULT (already before this change: HEAD~1 reports the same). An answer whose
/// `applicationInfo` names another application by a readable `id`, but whose other fields
/// there do not read, is skipped whole by the tolerant reader (`applicationInfo` is not among
/// `Order`'s needed fields), so the id is never compared and the answer proves the cancel.
#[tokio::test]
async fn an_answer_naming_another_application_proves_nothing_even_when_its_state_does_not_read() {
    let other = |info: Value| {
        let mut v = cancelled_answer();
        v["applicationInfo"] = info;
        v.to_string()
    };
    let cases = [
        (
            "state a number",
            other(json!({"id": "11200a0ee2", "state": 7})).into_bytes(),
        ),
        ("no state", other(json!({"id": "11200a0ee2"})).into_bytes()),
        (
            "id twice, the second another application",
            edit(
                &cancelled_answer().to_string(),
                r#""id":"11200a0ee1""#,
                r#""id":"11200a0ee1","id":"11200a0ee2""#,
            ),
        ),
    ];
    for (case, body) in cases {
        for policy in POLICIES {
            let server = MockServer::start_async().await;
            let m = skip_pay_answering(&server, ready(open_items()), body.clone()).await;
            match cancel(&server, CancelRequest::whole(APP), policy).await {
                Ok(outcome) => panic!("{case} ({policy:?}): reported done: {:?}", outcome.status),
                Err(err) => assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}"),
            }
            assert!(m.get.calls_async().await >= 1, "{case}: never read back");
        }
        let read = parse_cancel_order_items_of(&HttpResponse::new(200, body), APP);
        assert!(
            read.is_err(),
            "{case}: parse_cancel_order_items_of proves it"
        );
    }
}

/// Held. A kept answer decodes, on `order()`, to the order `parse_cancel_order_items` reads
/// from the same body (skipped fields included), and the payload compares, clones and prints
/// as the payload of that order: the documented example, escaped and non-ASCII texts, numbers
/// where unneeded strings go, a lone surrogate in an unneeded text, fields that do not read
/// (under the reader's cap), an unknown key twice.
#[tokio::test]
async fn a_kept_answer_decodes_to_the_order_parse_cancel_order_items_reads() {
    let mut documented: Value = serde_json::from_str(ORDER_200).unwrap();
    documented["state"] = json!("CANCELLED");
    let mut escaped = cancelled_answer();
    escaped["items"][0]["code"] = json!("A\"\\/\u{e9}\u{1F600}\n");
    escaped["items"][1]["name"] = json!("Žluťoučký kůň \u{0}");
    let mut numbers = cancelled_answer();
    numbers["number"] = json!(234);
    numbers["items"][0]["variant"] = json!(32);
    numbers["items"][1]["productUrl"] = json!(1.5);
    let mut unreadable = cancelled_answer();
    unreadable["items"] = (0..200)
        .map(|i| {
            let mut it = item(&format!("I{i}"), "CANCELLED", json!(1));
            it["totalPrice"] = json!("twelve");
            it
        })
        .collect();
    let text = cancelled_answer().to_string();
    let bodies = [
        (
            "the documented example",
            documented.to_string().into_bytes(),
        ),
        ("escaped texts", escaped.to_string().into_bytes()),
        ("numbers for texts", numbers.to_string().into_bytes()),
        (
            "a lone surrogate",
            edit(&text, r#""number":"AA234""#, r#""number":"\ud800""#),
        ),
        ("200 unreadable prices", unreadable.to_string().into_bytes()),
        (
            "an unknown key twice",
            edit(
                &text,
                r#""number":"AA234""#,
                r#""x":1,"x":2,"number":"AA234""#,
            ),
        ),
    ];
    for (case, body) in bodies {
        let expected = parsed(&body).unwrap_or_else(|e| panic!("{case}: {e}"));
        for policy in POLICIES {
            let server = MockServer::start_async().await;
            let m = skip_pay_answering(&server, ready(open_items()), body.clone()).await;
            let outcome = cancel(&server, CancelRequest::whole(APP), policy)
                .await
                .unwrap_or_else(|e| panic!("{case} ({policy:?}): {e}"));
            m.order_cancel.assert_calls_async(1).await;
            assert_eq!(outcome.status, CancelStatus::Cancelled, "{case}");
            assert!(!outcome.settled_by_read_back(), "{case}");
            let payload = SkipPayCancel::of(&outcome).unwrap();
            // Cloned before the first decode: the clone decodes on its own.
            let early = payload.clone();
            assert_eq!(payload.order(), Some(&expected), "{case}");
            assert_eq!(early.order(), Some(&expected), "{case}");
            assert_eq!(payload.order().unwrap().skipped(), expected.skipped());
            assert!(payload.application().is_none(), "{case}");
            assert!(std::ptr::eq(
                payload.order_view().unwrap(),
                payload.order().unwrap()
            ));
            let decoded = SkipPayCancel::from_order(expected.clone());
            assert_eq!(payload, &decoded, "{case}");
            assert_eq!(&early, payload, "{case}");
            assert_eq!(format!("{payload:?}"), format!("{decoded:?}"), "{case}");
            assert_ne!(payload, &SkipPayCancel::default(), "{case}");
        }
    }
}

/// Held. An item cancel with quantities (read first, never sent twice) matches items on the
/// kept answer's decoded order: a code with escapes and non-ASCII characters, an item whose
/// unneeded fields do not read. Shown cancelled: partially cancelled with the counts; still
/// open: read back and unknown, sent once.
#[tokio::test]
async fn an_item_cancel_with_quantities_decides_on_the_decoded_order_of_a_kept_answer() {
    let code = "A\"\\\u{e9}\u{1F600}";
    let items = |a: &str, b: &str| {
        let mut first = item(code, a, json!(2));
        first["image"] = json!(42);
        vec![first, item("B", b, json!(1))]
    };
    let request = || {
        CancelRequest::items(
            APP,
            vec![ItemSelector::by_code(code).quantity(Decimal::from(2))],
        )
    };

    let answer = order_answer("PROCESSING", items("CANCELLED", "PROCESSING"), "READY");
    let body = answer.to_string().into_bytes();
    let expected = parsed(&body).unwrap();
    assert_eq!(expected.skipped().len(), 1);
    let server = MockServer::start_async().await;
    let m = skip_pay_answering(&server, ready(items("PROCESSING", "PROCESSING")), body).await;
    let outcome = cancel(&server, request(), Policy::ChangeFirst)
        .await
        .unwrap();
    m.get.assert_calls_async(1).await;
    m.order_cancel.assert_calls_async(1).await;
    assert_eq!(
        outcome.status,
        CancelStatus::PartiallyCancelled {
            cancelled_items: Some(1),
            remaining_items: Some(1)
        }
    );
    assert_eq!(outcome.already_cancelled_before, Some(false));
    let payload = SkipPayCancel::of(&outcome).unwrap();
    assert_eq!(payload.order(), Some(&expected));
    assert_eq!(
        payload.order().unwrap().items[0].code.as_deref(),
        Some(code)
    );

    let answer = order_answer("PROCESSING", items("PROCESSING", "CANCELLED"), "READY");
    let server = MockServer::start_async().await;
    let m = skip_pay_answering(
        &server,
        ready(items("PROCESSING", "PROCESSING")),
        answer.to_string().into_bytes(),
    )
    .await;
    let err = cancel(&server, request(), Policy::ChangeFirst)
        .await
        .unwrap_err();
    assert_eq!(err.sent(), Sent::MaybeSent, "{err}");
    assert!(err.observed_before().is_some());
    m.order_cancel.assert_calls_async(1).await;
    m.get.assert_calls_async(2).await;
}

/// Held. The order's state CANCELLED while its items still read open: the whole order is
/// cancelled (as before the change), from the answer, with the answered order.
#[tokio::test]
async fn an_order_cancelled_with_open_items_reads_cancelled() {
    let body = order_answer("CANCELLED", open_items(), "READY")
        .to_string()
        .into_bytes();
    let expected = parsed(&body).unwrap();
    for policy in POLICIES {
        let server = MockServer::start_async().await;
        let m = skip_pay_answering(&server, ready(open_items()), body.clone()).await;
        let outcome = cancel(&server, CancelRequest::whole(APP), policy)
            .await
            .unwrap();
        m.order_cancel.assert_calls_async(1).await;
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{policy:?}");
        assert!(!outcome.settled_by_read_back());
        let payload = SkipPayCancel::of(&outcome).unwrap();
        assert_eq!(payload.order(), Some(&expected));
        assert_eq!(payload.order().unwrap().item_counts(), (0, 2));
    }
}

/// Held. Answers whose needed fields do not read prove nothing (as before the change): a key
/// the cancel decides on given twice (the later one saying CANCELLED), an EAN or a name as a
/// number. Read back (unchanged): `MaybeSent`, never done.
#[tokio::test]
async fn an_answer_whose_needed_fields_do_not_read_proves_nothing() {
    let open = order_answer("PROCESSING", open_items(), "READY").to_string();
    let mut ean = cancelled_answer();
    ean["items"][0]["ean"] = json!(888462064002u64);
    let mut name = cancelled_answer();
    name["items"][1]["name"] = json!(6);
    let cases = [
        (
            "`state` twice",
            edit(
                &open,
                r#""state":"PROCESSING""#,
                r#""state":"PROCESSING","state":"CANCELLED""#,
            ),
        ),
        (
            "an item's `state` twice",
            edit(
                &open,
                r#""state":"PROCESSING","totalPrice""#,
                r#""state":"PROCESSING","state":"CANCELLED","totalPrice""#,
            ),
        ),
        ("an EAN as a number", ean.to_string().into_bytes()),
        ("a name as a number", name.to_string().into_bytes()),
    ];
    for (case, body) in cases {
        assert!(parsed(&body).is_err(), "{case}");
        for policy in POLICIES {
            let server = MockServer::start_async().await;
            let m = skip_pay_answering(&server, ready(open_items()), body.clone()).await;
            match cancel(&server, CancelRequest::whole(APP), policy).await {
                Ok(outcome) => panic!("{case} ({policy:?}): reported done: {:?}", outcome.status),
                Err(err) => assert_eq!(err.sent(), Sent::MaybeSent, "{case}: {err}"),
            }
            assert!(m.get.calls_async().await >= 1, "{case}: never read back");
        }
    }
}

/// Decided (session 8), not the order reader's answer: a whole cancel answered with an order
/// whose state, items and application read, but with more unreadable fields that no cancel
/// needs than the order reader skips (its cap of 256 bounds its work; such fields never block
/// a cancel), stands on the fields that read: cancelled from the answer, sent once, no
/// read-back; `order()` is `None` (documented there). An item cancel reads the order whole
/// and keeps the reader's error (`an_item_cancel_answered_with_an_order_the_reader_refuses_is_a_decode_error`).
#[tokio::test]
async fn a_whole_cancel_stands_on_its_fields_beyond_the_readers_cap_of_skipped_fields() {
    for policy in POLICIES {
        let server = MockServer::start_async().await;
        let m = skip_pay_answering(&server, ready(open_items()), many_unreadable_prices()).await;
        let outcome = cancel(&server, CancelRequest::whole(APP), policy)
            .await
            .unwrap();
        assert_eq!(outcome.status, CancelStatus::Cancelled, "{policy:?}");
        assert_eq!(m.order_cancel.calls_async().await, 1);
        let reads = m.get.calls_async().await;
        assert_eq!(
            reads,
            usize::from(policy == Policy::CheckFirst),
            "{policy:?}"
        );
        let payload = SkipPayCancel::of(&outcome).unwrap();
        assert!(payload.order().is_none() && payload.order_view().is_none());
        assert!(
            format!("{payload:?}").contains("does not read as an order"),
            "{payload:?}"
        );
    }
}

/// Two kept answers whose orders do not read are equal only when their bodies are (both
/// `order()` are `None`: comparing them alone would make any two such payloads equal).
#[tokio::test]
async fn payloads_whose_orders_do_not_read_compare_by_their_answers() {
    let mut payloads = Vec::new();
    for body in [
        unreadable_prices(300),
        unreadable_prices(300),
        unreadable_prices(301),
    ] {
        let server = MockServer::start_async().await;
        let _m = skip_pay_answering(&server, ready(open_items()), body).await;
        let outcome = cancel(&server, CancelRequest::whole(APP), Policy::ChangeFirst)
            .await
            .unwrap();
        payloads.push(SkipPayCancel::of(&outcome).unwrap().clone());
    }
    assert_eq!(payloads[0], payloads[1]);
    assert_ne!(payloads[0], payloads[2]);
    assert_ne!(format!("{:?}", payloads[0]), format!("{:?}", payloads[2]));
}
