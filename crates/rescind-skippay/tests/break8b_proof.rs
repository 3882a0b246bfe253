//! Outsider checks (second round) of the kept order answer: the neighbours
//! `break8_kept_order.rs` did not try. Each answer is compared with what the reader before
//! the change makes of it (`parse_cancel_order_items_of`, still public; before the proof, the
//! id check compared the `applicationInfo.id` that reader read).

mod common;

use std::sync::Arc;

use common::*;
use httpmock::prelude::*;
use rescind_core::{
    CancelOptions, CancelOutcome, CancelRequest, CancelStatus, Canceller, Error, ItemSelector,
    Policy, Sent,
};
use rescind_skippay::SkipPayCancel;
use rescind_skippay::model::{ApplicationState, Order};
use serde_json::{Value, json};

/// One cancel against a Skip Pay whose application always reads READY with open items, and
/// whose order cancel answers 200 with `answer`, byte for byte.
struct Run {
    result: Result<CancelOutcome, Error>,
    reads: usize,
    sends: usize,
}

async fn answered(answer: &[u8], request: CancelRequest, policy: Policy) -> Run {
    let server = MockServer::start_async().await;
    let m = skip_pay_answering(&server, ready(open_items()), answer.to_vec()).await;
    let result = client(&server)
        .cancel_with(request, CancelOptions::new().policy(policy))
        .await;
    Run {
        result,
        reads: m.get.calls_async().await,
        sends: m.order_cancel.calls_async().await,
    }
}

/// A whole cancel answered with `body` under both policies proves nothing: `MaybeSent`,
/// settled by reading back (which shows the application unchanged).
async fn proves_nothing(case: &str, body: &[u8]) {
    for policy in POLICIES {
        let run = answered(body, CancelRequest::whole(APP), policy).await;
        match run.result {
            Ok(outcome) => panic!(
                "{case} ({policy:?}): reported {:?} from the answer (read back: {}), order() {:?}",
                outcome.status,
                outcome.settled_by_read_back(),
                SkipPayCancel::of(&outcome)
                    .unwrap()
                    .order()
                    .map(|o| (o.is_cancelled(), o.application_info.clone()))
            ),
            Err(err) => assert_eq!(err.sent(), Sent::MaybeSent, "{case} ({policy:?}): {err}"),
        }
        assert!(run.reads >= 1, "{case} ({policy:?}): never read back");
        assert!(run.sends <= 2, "{case} ({policy:?})");
    }
}

/// A whole cancel answered with `body` under both policies is cancelled from the answer, sent
/// once, and `order()` is the order `parse_cancel_order_items_of` reads.
async fn cancelled_from_the_answer(case: &str, body: &[u8]) {
    let expected = read_of(body).unwrap_or_else(|e| panic!("{case}: the reader refuses: {e}"));
    for policy in POLICIES {
        let run = answered(body, CancelRequest::whole(APP), policy).await;
        let outcome = run
            .result
            .unwrap_or_else(|e| panic!("{case} ({policy:?}): {e}"));
        assert_eq!(
            outcome.status,
            CancelStatus::Cancelled,
            "{case} ({policy:?})"
        );
        assert!(!outcome.settled_by_read_back(), "{case} ({policy:?})");
        assert_eq!(run.sends, 1, "{case} ({policy:?})");
        let payload = SkipPayCancel::of(&outcome).unwrap();
        assert_eq!(payload.order(), Some(&expected), "{case} ({policy:?})");
    }
}

/// FAULT. `applicationInfo` given as a list (`[id, state, stateReason]`): the order reader
/// reads it positionally (serde's derived structs take lists), so before the proof its id was
/// compared and an answer about another application proved nothing. `NamedApplication` reads
/// objects only, so the list names no application; the proof still reads its state. Reported:
/// `Cancelled` from the answer (sent once, no read-back), on the strength of *another*
/// application's CANCELLED state while our order and its items read PROCESSING; and
/// `parse_cancel_order_items_of` now takes such an answer too.
#[tokio::test]
async fn an_answer_naming_another_application_in_a_list_proves_nothing() {
    let cases = [
        (
            "another application CANCELLED, the order PROCESSING",
            answer_with_info("PROCESSING", json!(["11200a0ee2", "CANCELLED", null])),
        ),
        (
            "another application READY, the order CANCELLED",
            answer_with_info("CANCELLED", json!(["11200a0ee2", "READY", "READY_TO_SHIP"])),
        ),
    ];
    for (case, body) in &cases {
        proves_nothing(case, body).await;
        let read = read_of(body);
        assert!(
            read.is_err(),
            "{case}: parse_cancel_order_items_of takes an answer about {:?}",
            read.unwrap().application_info.map(|i| i.id)
        );
    }
    // An item cancel reads the answer whole by the same reader.
    let request = CancelRequest::items(APP, vec![ItemSelector::by_code("A")]);
    let run = answered(&cases[1].1, request, Policy::CheckFirst).await;
    match run.result {
        Ok(outcome) => panic!("item cancel: reported {:?}", outcome.status),
        Err(err) => assert_eq!(err.sent(), Sent::MaybeSent, "{err}"),
    }
}

/// FAULT. An answer about another application followed by bytes after the object (`{...} x`):
/// the order reader takes the object (its fallback decode does not check the end of the
/// body), and before the proof its `applicationInfo.id` was compared. Now the id is read by
/// `NamedApplication::in_body`, a plain `serde_json::from_slice` that refuses the trailing
/// bytes and so names no application: the answer about `11200a0ee2` is reported `Cancelled`
/// for `11200a0ee1`, from the answer (even with our order PROCESSING and the other
/// application CANCELLED), and `parse_cancel_order_items_of` takes it.
#[tokio::test]
async fn an_answer_naming_another_application_before_trailing_bytes_proves_nothing() {
    let other = |state: &str, app_state: &str| {
        let info = json!({"id": "11200a0ee2", "state": app_state, "stateReason": "READY_TO_SHIP"});
        let body = answer_with_info(state, info);
        [body, b" x".to_vec()].concat()
    };
    for (case, body) in [
        ("order CANCELLED", other("CANCELLED", "READY")),
        (
            "other application CANCELLED",
            other("PROCESSING", "CANCELLED"),
        ),
    ] {
        proves_nothing(case, &body).await;
        assert!(read_of(&body).is_err(), "{case}: the reader takes it");
    }
}

/// FAULT (already before this change: the order reader's fallback decode,
/// `rescind_core::decode::json`, does not check the end of the body). An answer that is not
/// JSON (a cancelled order followed by other bytes) is not a readable documented success, and
/// the proof itself refuses it, but the order reader it falls back to reads the object and the
/// cancel is reported done from it.
#[tokio::test]
async fn an_answer_with_bytes_after_the_object_is_not_a_readable_success() {
    let text = answer("CANCELLED").to_string();
    for (case, body) in [
        ("a letter", format!("{text}x")),
        ("a second object", format!("{text}{{}}")),
        ("a second order", format!("{text}\n{text}")),
    ] {
        proves_nothing(case, body.as_bytes()).await;
        assert!(
            read_of(body.as_bytes()).is_err(),
            "{case}: the reader takes it"
        );
    }
}

/// FAULT. An item given as a list: serde's derived structs read lists by field position, and
/// `ItemProof` declares its fields in another order than `OrderItem` (`state` 5th and
/// `quantity` 6th, against 12th and 19th). Here element 5 is `"CANCELLED"` (the item's
/// `variant` for the order reader) and element 12 `"PROCESSING"` (its `state`). Reported:
/// `Cancelled` from the answer, whose `order()` then shows the item PROCESSING and the order
/// not cancelled; the order reader (and the cancel before the proof) reads the item open: not
/// shown, settled by reading back.
#[tokio::test]
async fn an_item_given_as_a_list_is_read_as_the_order_reader_reads_it() {
    let listed = json!([
        "A",
        null,
        null,
        "PHYSICAL",
        "CANCELLED",
        null,
        null,
        null,
        null,
        null,
        null,
        "PROCESSING",
        null,
        null,
        null,
        null,
        null,
        null,
        2
    ]);
    let mut v = answer("PROCESSING");
    v["items"] = json!([listed]);
    let body = v.to_string().into_bytes();
    let read = read_of(&body).unwrap();
    assert!(!read.is_cancelled(), "the reader reads the item open");
    assert_eq!(read.items[0].variant.as_deref(), Some("CANCELLED"));
    proves_nothing("an item as a list", &body).await;
}

/// FAULT. `applicationInfo` whose `stateReason` does not read: the order reader skips only
/// `applicationInfo.stateReason` and keeps the application, CANCELLED (a cancelled application
/// cancels its whole order: before the proof, `Cancelled` from the answer, sent once). The
/// proof reads `applicationInfo` whole or not at all (its docs say the order reader skips it
/// whole, which it does not), so the answer does not show the cancel: read back and sent a
/// second time, and an answer that proved the cancel is reported unknown.
#[tokio::test]
async fn an_application_cancelled_with_an_unreadable_state_reason_reads_as_the_order_reader_reads_it()
 {
    for reason in [json!(5), json!({"x": 1}), json!(["READY_TO_SHIP"])] {
        let info = json!({"id": APP, "state": "CANCELLED", "stateReason": reason});
        let body = answer_with_info("PROCESSING", info);
        let read = read_of(&body).unwrap();
        assert_eq!(
            read.application_info.as_ref().map(|i| &i.state),
            Some(&ApplicationState::Cancelled)
        );
        assert_eq!(read.skipped().len(), 1);
        cancelled_from_the_answer(&format!("stateReason {reason}"), &body).await;
    }
}

/// Held. Keys with JSON escapes read as the names they spell, in the proof and in the
/// application it names: `"st\u0061te"` is `state`; `"\u0069d"` naming another application
/// proves nothing, and given beside `id` (the same value) names the application twice;
/// `"applic\u0061tionInfo"` is `applicationInfo`.
#[tokio::test]
async fn escaped_keys_read_as_the_names_they_spell() {
    let text = answer("CANCELLED").to_string();
    // The items open, the order's state given only under an escaped key.
    let mut open = answer("PROCESSING");
    open.as_object_mut().unwrap().remove("state");
    let escaped = edit(&open.to_string(), "{", r#"{"st\u0061te":"CANCELLED","#);
    cancelled_from_the_answer("st\\u0061te", &escaped).await;
    for (case, body) in [
        (
            "\\u0069d another",
            edit(&text, r#""id":"11200a0ee1""#, r#""\u0069d":"11200a0ee2""#),
        ),
        (
            "id and \\u0069d",
            edit(
                &text,
                r#""id":"11200a0ee1""#,
                r#""id":"11200a0ee1","\u0069d":"11200a0ee1""#,
            ),
        ),
        (
            "applic\\u0061tionInfo another",
            edit(
                &text.replacen(r#""id":"11200a0ee1""#, r#""id":"11200a0ee2""#, 1),
                r#""applicationInfo""#,
                r#""applic\u0061tionInfo""#,
            ),
        ),
    ] {
        assert!(read_of(&body).is_err(), "{case}");
        proves_nothing(case, &body).await;
    }
}

/// Held. An `applicationInfo.id` that is not exactly the asked id (empty, other case, padded)
/// proves nothing; `applicationInfo` null or an empty list names no application, and the
/// order's own CANCELLED state decides.
#[tokio::test]
async fn only_the_exact_application_id_is_this_application() {
    let text = answer("CANCELLED").to_string();
    for id in ["", "11200A0EE1", " 11200a0ee1", "11200a0ee1\n"] {
        let to = format!(r#""id":{}"#, json!(id));
        let body = edit(&text, r#""id":"11200a0ee1""#, &to);
        assert!(read_of(&body).is_err(), "{id:?}");
        proves_nothing(&format!("id {id:?}"), &body).await;
    }
    for info in [Value::Null, json!([])] {
        let body = answer_with_info("CANCELLED", info.clone());
        cancelled_from_the_answer(&format!("applicationInfo {info}"), &body).await;
    }
}

/// Held. Only JSON whitespace may come before the object: a byte order mark or a form feed
/// (ASCII whitespace, not JSON's) proves nothing; spaces, tabs and line ends are read.
#[tokio::test]
async fn only_json_whitespace_may_come_before_the_answer() {
    let text = answer("CANCELLED").to_string();
    for (case, lead) in [("a BOM", &b"\xef\xbb\xbf"[..]), ("a form feed", b"\x0c")] {
        let body = [lead, text.as_bytes()].concat();
        assert!(read_of(&body).is_err(), "{case}");
        proves_nothing(case, &body).await;
    }
    let body = format!(" \r\n\t{text}").into_bytes();
    cancelled_from_the_answer("JSON whitespace", &body).await;
}

/// Held. `applicationInfo` or `items` given twice (the second one saying the order is
/// cancelled / the application is ours) proves nothing.
#[tokio::test]
async fn the_application_or_the_items_given_twice_prove_nothing() {
    let text = answer("CANCELLED").to_string();
    let open = serde_json::to_string(&open_items()).unwrap();
    for (case, body) in [
        (
            "applicationInfo twice",
            edit(
                &text,
                r#""applicationInfo""#,
                r#""applicationInfo":{"id":"11200a0ee2","state":"READY"},"applicationInfo""#,
            ),
        ),
        (
            "items twice",
            edit(&text, r#""items""#, &format!(r#""items":{open},"items""#)),
        ),
    ] {
        assert!(read_of(&body).is_err(), "{case}");
        proves_nothing(case, &body).await;
    }
}

/// Held. Nesting far past serde_json's recursion limit (128) inside fields no cancel needs (a
/// known one, an unknown one, inside `applicationInfo`, an item's `variant`) neither blocks
/// the cancel nor overflows the stack: cancelled from the answer, and `order()` is the
/// reader's order.
#[tokio::test]
async fn deep_nesting_in_an_unneeded_field_is_skipped() {
    let text = answer("CANCELLED").to_string();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for (case, from, to) in [
        (
            "number",
            r#""number":"AA234""#,
            format!(r#""number":{deep}"#),
        ),
        (
            "an unknown key",
            r#""number":"AA234""#,
            format!(r#""x":{deep},"number":"AA234""#),
        ),
        (
            "inside applicationInfo",
            r#""id":"11200a0ee1""#,
            format!(r#""x":{deep},"id":"11200a0ee1""#),
        ),
        (
            "an item's variant",
            r#""code":"A""#,
            format!(r#""code":"A","variant":{deep}"#),
        ),
    ] {
        cancelled_from_the_answer(case, &edit(&text, from, &to)).await;
    }
}

/// Held. An order whose state is a value the model does not know (`CANCELED`), or whose items'
/// states are null, does not show a whole cancel (as the order reader reads it): settled by
/// reading back.
#[tokio::test]
async fn an_unknown_order_state_or_null_item_states_show_no_cancel() {
    let unknown = answer_with_info(
        "CANCELED",
        json!({"id": APP, "state": "READY", "stateReason": "READY_TO_SHIP"}),
    );
    let mut nulls = answer("CANCELLED");
    nulls["state"] = json!("PROCESSING");
    nulls["items"][0]["state"] = Value::Null;
    let mut all_null = nulls.clone();
    all_null["items"][1]["state"] = Value::Null;
    for (case, body) in [
        ("order CANCELED", unknown),
        (
            "one item null, one CANCELLED",
            nulls.to_string().into_bytes(),
        ),
        ("both items null", all_null.to_string().into_bytes()),
    ] {
        let read = read_of(&body).unwrap();
        assert!(!read.is_cancelled(), "{case}");
        proves_nothing(case, &body).await;
    }
}

/// Held. `quantity` in each spelling the order reader takes (integer, decimal, exponent, a
/// string holding one, null) reads in the proof too, and `order()` has the reader's
/// quantities; a spelling it refuses (`"1,5"`) proves nothing.
#[tokio::test]
async fn quantities_read_in_every_spelling_the_order_reader_takes() {
    for quantity in [
        json!(1),
        json!(1.5),
        json!(1.125),
        json!(1e2),
        json!("1.5"),
        json!("1e2"),
        json!(" 2 "),
        Value::Null,
    ] {
        let mut v = answer("CANCELLED");
        v["items"][0]["quantity"] = quantity.clone();
        let body = v.to_string().into_bytes();
        cancelled_from_the_answer(&format!("quantity {quantity}"), &body).await;
    }
    let mut v = answer("CANCELLED");
    v["items"][0]["quantity"] = json!("1,5");
    let body = v.to_string().into_bytes();
    assert!(read_of(&body).is_err());
    proves_nothing("quantity \"1,5\"", &body).await;
}

/// Held. The answer of an application cancel (`ApplicationResponse`, CANCELLED, with its
/// cancelled order inside) given to an order cancel is not an order: it proves nothing.
#[tokio::test]
async fn an_application_answer_to_an_order_cancel_proves_nothing() {
    let app = application(
        "CANCELLED",
        "READY_TO_SHIP",
        "CANCELLED",
        vec![item("A", "CANCELLED", json!(2))],
    );
    let body = app.to_string().into_bytes();
    assert!(read_of(&body).is_err());
    proves_nothing("an ApplicationResponse", &body).await;
}

/// Held. The payload is `Send + Sync`; its first `order()`, raced from several threads (on
/// the payload and on a clone taken before), decodes once per payload: every thread sees the
/// same order, equal to the reader's, and the payload compares and prints as the decoded one.
#[tokio::test]
async fn the_first_order_call_raced_across_threads_decodes_one_order() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<SkipPayCancel>();

    let body = answer("CANCELLED").to_string().into_bytes();
    let expected = read_of(&body).unwrap();
    let run = answered(&body, CancelRequest::whole(APP), Policy::ChangeFirst).await;
    let outcome = run.result.unwrap();
    let payload = Arc::new(SkipPayCancel::of(&outcome).unwrap().clone());
    let early = Arc::new((*payload).clone());
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let p = if i % 2 == 0 { &payload } else { &early };
            let (p, barrier) = (Arc::clone(p), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let order = p.order().expect("decodes") as *const Order as usize;
                (i % 2, order, p.order().cloned())
            })
        })
        .collect();
    let mut seen = [None, None];
    for h in handles {
        let (which, at, order) = h.join().unwrap();
        assert_eq!(order.as_ref(), Some(&expected));
        assert_eq!(*seen[which].get_or_insert(at), at, "decoded twice");
    }
    assert_ne!(seen[0], seen[1], "a clone taken before decodes on its own");
    let decoded = SkipPayCancel::from_order(expected);
    assert_eq!(*payload, decoded);
    assert_eq!(*early, *payload);
    assert_eq!(format!("{payload:?}"), format!("{decoded:?}"));
}
