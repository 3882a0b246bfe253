//! Helpers for tests of code built on rescind (feature `test-util`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

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
