//! break9: `deadline::scope` / `scope_opt` / `CancelOptions::scope` as the parent (801d525)
//! behaves, pinned from outside: which deadline the work sees, when it is read, and what a
//! request sent from the work honours.
//!
//! The parent's `scope` was an `async fn` wrapping tokio's `TaskLocalFuture`: the enclosing
//! deadline was read once, at the scope's first poll, and kept for the scope's whole life
//! (every later poll, and the drop of the work after a first poll).

mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rescind_core::{
    CancelOptions, ErrorKind, Provider, Sent, Transport, TransportConfig, deadline,
};
use support::{Step, get, serve};
use tokio::time::Instant;

/// Polls `fut` exactly once, from where this future is awaited.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> impl Future<Output = Poll<F::Output>> + '_ {
    std::future::poll_fn(move |cx: &mut Context<'_>| Poll::Ready(Pin::new(&mut *fut).poll(cx)))
}

/// A future that records `deadline::current()` at each poll, pending `n` times.
fn seen_at_each_poll(n: usize) -> impl Future<Output = Vec<Option<Instant>>> {
    let mut seen = Vec::new();
    let mut left = n;
    std::future::poll_fn(move |cx| {
        seen.push(deadline::current());
        if left == 0 {
            return Poll::Ready(std::mem::take(&mut seen));
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// The documented nesting: an inner later deadline does not extend the outer one; an inner
/// earlier one shortens it; `scope_opt(None, ..)` and `CancelOptions::new().scope(..)` leave
/// the outer one as it is.
#[tokio::test(start_paused = true)]
async fn nested_scopes_keep_the_earlier_deadline() {
    let soon = Instant::now() + Duration::from_secs(5);
    let later = soon + Duration::from_secs(60);
    assert_eq!(deadline::current(), None);
    let seen = deadline::scope(soon, deadline::scope(later, async { deadline::current() })).await;
    assert_eq!(seen, Some(soon));
    let seen = deadline::scope(later, deadline::scope(soon, async { deadline::current() })).await;
    assert_eq!(seen, Some(soon));
    let seen = deadline::scope(
        soon,
        deadline::scope_opt(None, async { deadline::current() }),
    )
    .await;
    assert_eq!(seen, Some(soon));
    let seen = deadline::scope_opt(Some(later), async { deadline::current() }).await;
    assert_eq!(seen, Some(later));
    let seen = deadline::scope_opt(None, async { deadline::current() }).await;
    assert_eq!(seen, None);
    let seen = deadline::scope(
        soon,
        CancelOptions::new().scope(async { deadline::current() }),
    )
    .await;
    assert_eq!(seen, Some(soon));
    let seen = deadline::scope(
        soon,
        CancelOptions::new()
            .deadline(later)
            .scope(async { deadline::current() }),
    )
    .await;
    assert_eq!(seen, Some(soon));
    let seen = CancelOptions::new()
        .timeout(Duration::from_secs(3))
        .scope(async { deadline::current() })
        .await;
    assert_eq!(seen, Some(Instant::now() + Duration::from_secs(3)));
    // After the scope, nothing is left behind.
    assert_eq!(deadline::current(), None);
}

/// The inner scope's future built outside the outer one and first polled inside it: the
/// earlier deadline applies from the first poll on.
#[tokio::test(start_paused = true)]
async fn an_inner_scope_built_outside_the_outer_one_keeps_the_earlier_deadline() {
    let soon = Instant::now() + Duration::from_secs(5);
    let later = soon + Duration::from_secs(60);
    let inner = deadline::scope(later, seen_at_each_poll(2));
    let seen = deadline::scope(soon, inner).await;
    assert_eq!(seen, vec![Some(soon); 3]);
    let options = CancelOptions::new().deadline(later);
    let inner = options.scope(seen_at_each_poll(2));
    let seen = deadline::scope(soon, inner).await;
    assert_eq!(seen, vec![Some(soon); 3]);
}

/// A scope first polled under an earlier deadline, then polled elsewhere (moved out of the
/// outer scope): the parent keeps the deadline it began under for the scope's whole life.
#[tokio::test(start_paused = true)]
async fn a_scope_first_polled_under_an_earlier_deadline_keeps_it_when_polled_outside() {
    let soon = Instant::now() + Duration::from_secs(5);
    let later = soon + Duration::from_secs(60);
    let mut fut = Box::pin(deadline::scope(later, seen_at_each_poll(2)));
    let first = deadline::scope(soon, poll_once(&mut fut)).await;
    assert!(first.is_pending());
    let seen = fut.await;
    assert_eq!(seen, vec![Some(soon), Some(soon), Some(soon)]);
}

/// A scope first polled with no enclosing deadline keeps its own, even when later polled
/// under an earlier one (the parent read the enclosing deadline once, at the first poll).
#[tokio::test(start_paused = true)]
async fn a_scope_first_polled_alone_keeps_its_own_deadline_when_later_polled_under_an_earlier_one()
{
    let soon = Instant::now() + Duration::from_secs(5);
    let later = soon + Duration::from_secs(60);
    let mut fut = Box::pin(deadline::scope(later, seen_at_each_poll(2)));
    assert!(poll_once(&mut fut).await.is_pending());
    let seen = deadline::scope(soon, fut).await;
    assert_eq!(seen, vec![Some(later), Some(later), Some(later)]);
}

/// What a request sent from the work honours. The work of a scope (deadline far away) is
/// first polled under an outer, near deadline, then moved out and driven alone: its second
/// request, sent after the near deadline, is refused before sending by the parent (the
/// scope keeps the deadline it began under), and nothing reaches the server.
#[tokio::test]
async fn a_request_sent_after_the_deadline_the_scope_began_under_is_not_sent() {
    let server = serve(vec![Step::status(200)]).await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .config(TransportConfig::default())
        .build()
        .unwrap();
    let near = Instant::now() + Duration::from_millis(200);
    let far = Instant::now() + Duration::from_secs(30);
    let work = {
        let t = t.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            t.send(&get()).await
        }
    };
    let mut fut = Box::pin(deadline::scope(far, work));
    assert!(
        deadline::scope(near, poll_once(&mut fut))
            .await
            .is_pending()
    );
    let err = fut.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert_eq!(server.hits(), 0);
}

/// Dropping a scope after its first poll drops its work under the scope's deadline (tokio's
/// `TaskLocalFuture` drops its future inside the task-local's scope); before the first poll,
/// the work is dropped with no deadline.
#[tokio::test(start_paused = true)]
async fn a_scope_dropped_after_a_poll_drops_its_work_under_the_deadline() {
    struct OnDrop(std::sync::Arc<std::sync::Mutex<Vec<Option<Instant>>>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.lock().unwrap().push(deadline::current());
        }
    }
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let soon = Instant::now() + Duration::from_secs(5);

    let guard = OnDrop(seen.clone());
    let mut fut = Box::pin(deadline::scope(soon, async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
    assert!(poll_once(&mut fut).await.is_pending());
    drop(fut);

    let guard = OnDrop(seen.clone());
    let fut = deadline::scope(soon, async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    drop(fut);

    assert_eq!(*seen.lock().unwrap(), vec![Some(soon), None]);
}

/// A deadline that has passed when the call starts: Timeout, NotSent, no attempt, whatever
/// the nesting; an outer passed deadline wins over an inner later one.
#[tokio::test]
async fn a_passed_outer_deadline_refuses_the_request_under_a_later_inner_one() {
    let server = serve(vec![Step::status(200)]).await;
    let t = Transport::builder(Provider::Arta, &server.base_url)
        .build()
        .unwrap();
    let past = Instant::now();
    let far = past + Duration::from_secs(30);
    let err = deadline::scope(past, deadline::scope(far, t.send(&get())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.sent(), Sent::NotSent);
    assert_eq!(err.attempts(), 0);
    assert_eq!(server.hits(), 0);
    // Inner past, outer far: the same.
    let err = deadline::scope(far, deadline::scope(past, t.send(&get())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(server.hits(), 0);
}
