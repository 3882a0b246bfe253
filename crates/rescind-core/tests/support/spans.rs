//! Records every span created on this thread, by name and parent's name, to assert how a
//! call's span nests (rescind-core's own tests cannot use `rescind_core::testing`, behind the
//! feature `test-util`). One subscriber per test binary, as for `logs`.

use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt;

/// A span's name and its parent's name.
pub type Named = (String, Option<String>);

/// The spans created on this thread from [`Seen::start`] until the guard is dropped.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<Named>>>);

impl Seen {
    /// Starts recording; keep the guard for as long as spans should be recorded.
    pub fn start() -> (Seen, tracing::subscriber::DefaultGuard) {
        let seen = Seen::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(seen.clone()));
        // Recompute every call site's interest now that someone listens.
        tracing::callsite::rebuild_interest_cache();
        (seen, guard)
    }

    /// Every span recorded so far, in the order they were created.
    pub fn all(&self) -> Vec<Named> {
        self.0.lock().unwrap().clone()
    }

    /// The parents of the spans named `name`, in the order they were created.
    pub fn parents_of(&self, name: &str) -> Vec<Option<String>> {
        self.all()
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, parent)| parent)
            .collect()
    }
}

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
        let span = ctx.span(id).expect("a new span is in the registry");
        self.0.lock().unwrap().push((
            span.name().to_string(),
            span.parent().map(|p| p.name().to_string()),
        ));
    }
}
