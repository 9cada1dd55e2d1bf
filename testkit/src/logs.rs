//! What the code under test logs, captured on the current thread.

use std::sync::{Arc, Mutex};

/// Everything logged on this thread, at any level, while the guard lives.
pub struct CapturedLogs {
    out: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl CapturedLogs {
    /// Starts capturing. A `#[tokio::test]`'s body runs on its thread (so does whatever it
    /// awaits directly, not what it spawns).
    pub fn start() -> Self {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        Self {
            out,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// What was logged so far, one event per line.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
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
