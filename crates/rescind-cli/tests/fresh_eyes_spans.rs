//! A new user's check of issue 18's observability through the facade (here because this crate
//! has `tracing` and `rescind-core/test-util` as dev-dependencies; its own test binary:
//! the span capture is per thread): one `rescind.cancel` span per cancel with the documented
//! fields, the HTTP calls' `rescind.call` spans under it, the caller's span above it.

use std::sync::Arc;

use rescind::{CancelRequest, Registry, di, skippay};
use rescind_core::testing::CapturedSpans;
use rescind_sim::{Clock, Simulator, demo};
use tracing::Instrument;

#[tokio::test(flavor = "current_thread")]
async fn one_cancel_span_per_cancel_with_its_fields_and_the_calls_under_it() {
    let sim = Simulator::new()
        .clock(Clock::fixed(demo::arta::NOW.parse().unwrap()))
        .start()
        .await
        .unwrap();
    let base_url = sim.base_url();
    let mut registry = Registry::new();
    registry
        .insert(
            "di",
            Arc::new(
                di::Client::builder()
                    .base_url(&base_url)
                    .credentials(di::Credentials::new(demo::di::USER, demo::di::PASSWORD))
                    .build()
                    .unwrap(),
            ),
        )
        .unwrap();
    registry
        .insert(
            "skippay",
            Arc::new(
                skippay::Client::builder()
                    .base_url(&base_url)
                    .credentials(skippay::Credentials::new(
                        demo::skippay::PARTNER,
                        demo::skippay::PASSWORD,
                    ))
                    .build()
                    .unwrap(),
            ),
        )
        .unwrap();

    let spans = CapturedSpans::start();
    let request_span = tracing::info_span!("http.request", route = "/orders/{id}/cancel");
    async {
        registry
            .cancel("di", CancelRequest::whole(demo::di::ORDER_CANCELLABLE))
            .await
            .unwrap();
        registry
            .cancel("di", CancelRequest::whole(demo::di::ORDER_IN_TRANSIT))
            .await
            .unwrap_err();
        registry
            .cancel("skippay", CancelRequest::whole(demo::skippay::READY))
            .await
            .unwrap();
    }
    .instrument(request_span)
    .await;

    let cancels = spans.named("rescind.cancel");
    assert_eq!(cancels.len(), 3, "{cancels:#?}");
    for c in &cancels {
        assert_eq!(c.parent.as_deref(), Some("http.request"), "{c:?}");
    }
    let ok = &cancels[0];
    assert_eq!(ok.field("provider"), Some("di"));
    assert_eq!(ok.field("operation"), Some("cancel"));
    assert_eq!(ok.field("target"), Some(demo::di::ORDER_CANCELLABLE));
    assert_eq!(ok.field("status"), Some("cancelled"));
    assert_eq!(ok.field("settled_by"), Some("answer"));
    assert_eq!(ok.field("error_kind"), None);
    let attempts: u32 = ok.field("attempts").unwrap().parse().unwrap();
    assert!(attempts >= 2, "a read and the cancel: {attempts}");

    let refused = &cancels[1];
    assert_eq!(refused.field("error_kind"), Some("not_cancellable"));
    assert_eq!(refused.field("sent"), Some("not_sent"));
    assert_eq!(refused.field("reason"), Some("in_transit"));
    assert_eq!(refused.field("status"), None);

    let skippay = &cancels[2];
    assert_eq!(skippay.field("provider"), Some("skippay"));
    assert_eq!(skippay.field("status"), Some("cancelled"));

    // Every HTTP call is under a cancel span (logins run in their own task, so they may not be).
    let calls: Vec<_> = spans
        .named("rescind.call")
        .into_iter()
        .filter(|c| c.field("operation").is_some_and(|o| !o.contains("login")))
        .collect();
    assert!(!calls.is_empty());
    for call in &calls {
        assert_eq!(call.parent.as_deref(), Some("rescind.cancel"), "{call:?}");
    }
    // A whole-order cancel at Skip Pay is not labelled as an item cancel.
    let skippay_ops: Vec<&str> = calls
        .iter()
        .filter(|c| c.field("provider") == Some("skippay"))
        .filter_map(|c| c.field("operation"))
        .collect();
    assert!(
        !skippay_ops.contains(&"cancel_order_items"),
        "{skippay_ops:?}"
    );
    assert!(skippay_ops.contains(&"cancel_order"), "{skippay_ops:?}");
}
