//! Helpers for tests of code built on rescind (feature `test-util`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

mod wire;
pub use wire::{RawRequest, WireRecorder};

/// Captures every `tracing` event and span (TRACE and up, with span fields) on the current
/// thread until dropped, to assert what rescind logs, e.g. that no secret ever appears.
///
/// Give a test that uses it its own test binary (one file under `tests/` holding that test):
/// `tracing` caches per call site, for the whole process, whether anyone listens, and a test
/// running on another thread at the same moment can leave a call site marked as unheard.
///
/// ```
/// let logs = rescind_core::testing::CapturedLogs::start();
/// tracing::info!(operation = "cancel_order", "hello");
/// assert!(logs.text().contains("cancel_order"));
/// ```
pub struct CapturedLogs {
    buffer: Buffer,
    _guard: tracing::subscriber::DefaultGuard,
}

impl CapturedLogs {
    /// Starts capturing on this thread (use a current-thread runtime, `#[tokio::test]`'s default).
    pub fn start() -> CapturedLogs {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // Recompute every call site's interest now that someone listens.
        tracing::callsite::rebuild_interest_cache();
        CapturedLogs {
            buffer,
            _guard: guard,
        }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.0.lock().unwrap_or_else(|e| e.into_inner()))
            .into_owned()
    }
}

impl std::fmt::Debug for CapturedLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedLogs").finish_non_exhaustive()
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// One span seen by [`CapturedSpans`]: its name, its parent's name, and its fields as text
/// (strings without quotes), the ones recorded later included.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpanRecord {
    /// The span's name (`rescind.cancel`, `rescind.call`...).
    pub name: String,
    /// The name of its parent span, if any.
    pub parent: Option<String>,
    /// Its fields, by name.
    pub fields: std::collections::BTreeMap<String, String>,
}

impl SpanRecord {
    /// The field `name`, if set.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Captures every span (with its fields and its parent) on the current thread until dropped,
/// to assert a span's fields and nesting. The same caveat as [`CapturedLogs`]: give the test
/// its own test binary.
///
/// ```
/// let spans = rescind_core::testing::CapturedSpans::start();
/// let outer = tracing::info_span!("outer", kind = tracing::field::Empty);
/// outer.in_scope(|| tracing::info_span!("inner", n = 1).in_scope(|| {}));
/// outer.record("kind", "x");
/// let seen = spans.named("inner");
/// assert_eq!(seen[0].parent.as_deref(), Some("outer"));
/// assert_eq!(spans.named("outer")[0].field("kind"), Some("x"));
/// ```
pub struct CapturedSpans {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl CapturedSpans {
    /// Starts capturing on this thread (use a current-thread runtime).
    pub fn start() -> CapturedSpans {
        use tracing_subscriber::layer::SubscriberExt;
        let spans = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(SpanLayer {
            spans: spans.clone(),
        });
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        CapturedSpans {
            spans,
            _guard: guard,
        }
    }

    /// Every span seen so far, in the order they were created.
    pub fn all(&self) -> Vec<SpanRecord> {
        self.spans.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The spans named `name`, in the order they were created.
    pub fn named(&self, name: &str) -> Vec<SpanRecord> {
        self.all().into_iter().filter(|s| s.name == name).collect()
    }
}

impl std::fmt::Debug for CapturedSpans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedSpans").finish_non_exhaustive()
    }
}

struct SpanLayer {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

/// Where a span's record is in the list.
struct Index(usize);

struct Fields<'a>(&'a mut std::collections::BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S> tracing_subscriber::Layer<S> for SpanLayer
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = std::collections::BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let record = SpanRecord {
            name: span.name().to_string(),
            parent: span.parent().map(|p| p.name().to_string()),
            fields,
        };
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        spans.push(record);
        span.extensions_mut().insert(Index(spans.len() - 1));
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let Some(index) = span.extensions().get::<Index>().map(|i| i.0) else {
            return;
        };
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = spans.get_mut(index) {
            values.record(&mut Fields(&mut record.fields));
        }
    }
}

/// Edits of a valid body, for property tests and fuzzing of decoders: the property test
/// generates the edits, this applies them, so every provider crate mutates its fixtures the
/// same way.
pub mod mutate {
    use serde_json::Value;

    /// JSON fragments that decoders trip on: wrong types, huge and odd numbers, lone
    /// surrogates, deep nesting.
    const TOKENS: &[&str] = &[
        "null",
        "\"\"",
        "-1",
        "1e999",
        "-0",
        "[]",
        "{}",
        "true",
        "\"\\ud800\"",
        "18446744073709551616",
        "0.0000001",
        "\"2026-02-30\"",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "\u{feff}",
    ];

    /// Applies byte-level `edits` to `body`. Each edit is `(op, at, value)`: `op` picks
    /// flip a bit, insert a byte, remove up to `value` bytes, truncate, overwrite with a JSON
    /// token, or duplicate a slice; `at` is taken modulo the body's length.
    ///
    /// ```
    /// use rescind_core::testing::mutate::bytes;
    /// assert_eq!(bytes(b"{}", &[(3, 1, 0)]), b"{");
    /// ```
    pub fn bytes(body: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
        let mut out = body.to_vec();
        for &(op, at, value) in edits {
            let at = at % (out.len() + 1);
            match op % 6 {
                0 if at < out.len() => out[at] ^= 1 << (value % 8),
                0 | 1 => out.insert(at, value),
                2 => {
                    let end = (at + usize::from(value)).min(out.len());
                    out.drain(at..end);
                }
                3 => out.truncate(at),
                4 => {
                    let token = TOKENS[usize::from(value) % TOKENS.len()].as_bytes();
                    let end = (at + token.len()).min(out.len());
                    out.splice(at..end, token.iter().copied());
                }
                _ => {
                    let end = (at + usize::from(value)).min(out.len());
                    let slice = out[at..end].to_vec();
                    out.splice(at..at, slice);
                }
            }
        }
        out
    }

    /// A value to put in place of a field: `pick` chooses among wrong types, empty and huge
    /// values, odd dates and numbers at the limits of every integer type.
    pub fn replacement(pick: u8) -> Value {
        let text = match pick % 20 {
            0 => "null",
            1 => "\"\"",
            2 => "-1",
            3 => "1.5",
            4 => "18446744073709551616",
            5 => "true",
            6 => "[]",
            7 => "{}",
            8 => "\"x\"",
            9 => "\"2026-02-30\"",
            10 => "\"2026-11-24T25:00:00\"",
            11 => "-9223372036854775808",
            12 => "18446744073709551615",
            13 => "65536",
            14 => "\"\\u0000\"",
            15 => "[null, 1, \"a\"]",
            16 => "{\"unknown\": {\"deep\": [1]}}",
            17 => "\"-0.0001\"",
            18 => "1e300",
            _ => return Value::String("x".repeat(10_000)),
        };
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    /// The number of nodes (objects, arrays and scalars) of `value`, counted in pre-order.
    pub fn node_count(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(node_count).sum(),
            Value::Object(map) => map.values().map(node_count).sum(),
            _ => 0,
        }
    }

    /// `value` with its `index`-th node (pre-order, modulo [`node_count`]) replaced by `with`:
    /// a valid body whose one field has a wrong type, a wrong value, or disappears (`with` =
    /// `null`).
    ///
    /// ```
    /// use rescind_core::testing::mutate::replace_node;
    /// let v = serde_json::json!({"id": 1, "status": "pending"});
    /// assert_eq!(replace_node(&v, 1, "x".into()), serde_json::json!({"id": "x", "status": "pending"}));
    /// ```
    pub fn replace_node(value: &Value, index: usize, with: Value) -> Value {
        let mut out = value.clone();
        let mut remaining = index % node_count(value);
        replace_in(&mut out, &mut remaining, with);
        out
    }

    fn replace_in(node: &mut Value, remaining: &mut usize, with: Value) -> Option<Value> {
        if *remaining == 0 {
            *node = with;
            return None;
        }
        *remaining -= 1;
        let mut with = Some(with);
        match node {
            Value::Array(items) => {
                for item in items {
                    with = replace_in(item, remaining, with?);
                }
            }
            Value::Object(map) => {
                for item in map.values_mut() {
                    with = replace_in(item, remaining, with?);
                }
            }
            _ => {}
        }
        with
    }

    /// Removes the `index`-th key (modulo the number of keys of every object, pre-order) of
    /// `value`: a body missing one field. `value` unchanged when it has no object key.
    pub fn remove_key(value: &Value, index: usize) -> Value {
        fn keys(v: &Value) -> usize {
            match v {
                Value::Array(items) => items.iter().map(keys).sum(),
                Value::Object(map) => map.len() + map.values().map(keys).sum::<usize>(),
                _ => 0,
            }
        }
        fn remove(v: &mut Value, remaining: &mut usize) -> bool {
            match v {
                Value::Array(items) => items.iter_mut().any(|i| remove(i, remaining)),
                Value::Object(map) => {
                    if *remaining < map.len() {
                        let key = map.keys().nth(*remaining).cloned();
                        if let Some(key) = key {
                            map.remove(&key);
                        }
                        return true;
                    }
                    *remaining -= map.len();
                    map.values_mut().any(|i| remove(i, remaining))
                }
                _ => false,
            }
        }
        let mut out = value.clone();
        let total = keys(value);
        if total > 0 {
            let mut remaining = index % total;
            remove(&mut out, &mut remaining);
        }
        out
    }
}
