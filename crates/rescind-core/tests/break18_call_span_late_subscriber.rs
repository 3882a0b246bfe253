//! break18: whether a call is recorded in a `rescind.call` span is decided when the call
//! runs (its first poll), as with the former `async fn`, not when `Transport::send` is
//! called: a subscriber in force while the call runs sees its span.
//!
//! Alone in its test binary (tracing's per-call-site interest cache).

mod support;

use httpmock::prelude::*;
use rescind_core::http::Method;
use rescind_core::{Auth, HttpRequest, Provider, Transport, TransportConfig};
use support::spans::Seen;

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
        .auth(Auth::Header {
            name: http::header::AUTHORIZATION,
            value: rescind_core::secrecy::SecretString::from("ARTA_APIKey key-123"),
        })
        .config(TransportConfig::default())
        .build()
        .unwrap();
    let req = HttpRequest::new("get_thing", Method::GET, "/things/{id}", "/things/1");

    // Built with nobody listening, run with a subscriber in force.
    let call = t.send(&req);
    let (seen, _guard) = Seen::start();
    assert_eq!(call.await.unwrap().status, 200);

    assert_eq!(
        seen.parents_of("rescind.call").len(),
        1,
        "no `rescind.call` span for a call run under a subscriber: {:?}",
        seen.all()
    );
}
