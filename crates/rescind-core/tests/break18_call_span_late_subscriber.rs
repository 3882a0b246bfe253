//! break18: whether a call is recorded in a `rescind.call` span is now decided when
//! `Transport::send` is *called* (`span.is_disabled()` in `send`), not when the call runs, as
//! the former `async fn` did. A subscriber in force while the call runs must see its span.
//!
//! Alone in its test binary (tracing's per-call-site interest cache).

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::{Auth, HttpRequest, Provider, Transport, TransportConfig};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

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
        self.0.lock().unwrap().push(span.name().to_string());
    }
}

#[tokio::test]
async fn a_call_runs_in_the_span_of_the_subscriber_in_force_when_it_runs() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/things/1");
            then.status(200).body("{}");
        })
        .await;
    let t = Transport::builder(Provider::Arta, server.base_url())
        .auth(Auth::None)
        .config(TransportConfig::default())
        .build()
        .unwrap();
    let req = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");

    // Built with nobody listening, run with a subscriber in force.
    let call = t.send(&req);
    let seen = Seen::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(seen.clone()));
    tracing::callsite::rebuild_interest_cache();
    assert_eq!(call.await.unwrap().status, 200);

    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(
        seen.iter().filter(|n| *n == "rescind.call").count(),
        1,
        "no `rescind.call` span for a call run under a subscriber: {seen:?}"
    );
}
