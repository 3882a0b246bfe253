//! break18: `Transport::send` became a plain `fn` returning a hand-written future (`Sending`).
//! Its `rescind.call` span is now created when `send` is *called*, not when the future is
//! first polled as the former `async fn` did. A call future built before it is awaited
//! inside a span (a third-party `Canceller` wrapping `transport.send(..)` in
//! `CancelSpan::run`, or `.instrument(span)`) must still nest its call span under the span it
//! runs in, as ARCHITECTURE.md says ("one `rescind.call` span per HTTP call, nested under
//! the `rescind.cancel` span of the whole cancel").
//!
//! Alone in its test binary (tracing's per-call-site interest cache, see
//! `rescind_core::testing::CapturedSpans`).

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::trace::CancelSpan;
use rescind_core::{
    Auth, CancelOutcome, CancelRequest, CancelStatus, HttpRequest, Provider, Transport,
    TransportConfig,
};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

/// A span's name and its parent's.
type Named = (String, Option<String>);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Named>>>);

impl<S> tracing_subscriber::Layer<S> for Seen
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        _attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let span = ctx.span(id).unwrap();
        self.0.lock().unwrap().push((
            span.name().to_string(),
            span.parent().map(|p| p.name().to_string()),
        ));
    }
}

fn transport(base: &str) -> Transport {
    Transport::builder(Provider::Arta, base)
        .auth(Auth::Header {
            name: http::header::AUTHORIZATION,
            value: rescind_core::secrecy::SecretString::from("ARTA_APIKey key-123"),
        })
        .config(TransportConfig::default())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_call_built_before_its_span_is_entered_nests_under_the_span_it_runs_in() {
    let seen = Seen::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(seen.clone()));
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/things/1");
            then.status(200).body("{}");
        })
        .await;
    let t = transport(&server.base_url());
    let req = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");

    // `.instrument(span)`: the call runs in `outer`.
    let call = t.send(&req);
    let resp = call.instrument(tracing::info_span!("outer")).await.unwrap();
    assert_eq!(resp.status, 200);

    // A third-party Canceller: its call future handed to `CancelSpan::run`.
    let request = CancelRequest::whole("1");
    let call = t.send(&req);
    CancelSpan::new(Provider::Arta, &request)
        .run(async move {
            call.await?;
            Ok(CancelOutcome::new(
                Provider::Arta,
                "1",
                CancelStatus::Cancelled,
            ))
        })
        .await
        .unwrap();

    let seen = seen.0.lock().unwrap().clone();
    let calls: Vec<_> = seen.iter().filter(|(n, _)| n == "rescind.call").collect();
    assert_eq!(calls.len(), 2, "{seen:?}");
    assert_eq!(
        calls[0].1.as_deref(),
        Some("outer"),
        "the call awaited in `outer` is not under it: {seen:?}"
    );
    assert_eq!(
        calls[1].1.as_deref(),
        Some("rescind.cancel"),
        "the call awaited in the cancel's span is not under it: {seen:?}"
    );
}
