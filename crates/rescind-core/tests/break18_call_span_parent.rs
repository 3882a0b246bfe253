//! break18: a call's `rescind.call` span nests under the span the call *runs* in, as
//! ARCHITECTURE.md says ("one `rescind.call` span per HTTP call, nested under the
//! `rescind.cancel` span of the whole cancel"), also when its future was built before: a
//! third-party `Canceller` handing `transport.send(..)` to `CancelSpan::run`, or
//! `.instrument(span)`. `Transport::send`'s future opens its span at its first poll, as the
//! former `async fn` did (it once opened it when `send` was called, without a parent).
//!
//! Alone in its test binary (tracing's per-call-site interest cache).

mod support;

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::trace::CancelSpan;
use rescind_core::{
    Auth, CancelOutcome, CancelRequest, CancelStatus, HttpRequest, Provider, Transport,
    TransportConfig,
};
use support::spans::Seen;
use tracing::Instrument;

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
    let (seen, _guard) = Seen::start();
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

    assert_eq!(
        seen.parents_of("rescind.call"),
        [
            Some("outer".to_string()),
            Some("rescind.cancel".to_string())
        ],
        "{:?}",
        seen.all()
    );
}
