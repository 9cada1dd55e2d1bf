//! The pools hand out working connections after some closed behind their back, without a
//! warning for each: connections made on an actix worker's runtime end with it when the server
//! stops, and the last writes after that (the key-usage flush) take connections from the same
//! pools.

use std::sync::{Arc, Mutex};

use read_store::store::Store;
use testkit::postgres::TestDatabase;

async fn backend(client: &tokio_postgres::Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

/// Everything logged on this thread, at any level, until the guard drops.
fn capture() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Sink(sink.clone()))
        .finish();
    (out, tracing::subscriber::set_default(subscriber))
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn connections_whose_runtime_stopped_are_replaced_without_a_warning() {
    let db = TestDatabase::create().await;
    let store = Store::connect(&db.url, "public", 2).unwrap();
    // One connection of each pool made on a runtime of its own, which then stops.
    let (main_before, lookup_before) = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let main = store.client().await.unwrap();
                    let lookup = store.lookup_client().await.unwrap();
                    (backend(&main).await, backend(&lookup).await)
                })
            })
            .join()
            .unwrap()
    });

    let (logged, _guard) = capture();
    let main = store.client().await.unwrap();
    let lookup = store.lookup_client().await.unwrap();
    assert_ne!(backend(&main).await, main_before, "a new connection");
    assert_ne!(backend(&lookup).await, lookup_before, "a new connection");
    let logged = String::from_utf8(logged.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("closed") && !logged.contains("WARN") && !logged.contains("ERROR"),
        "the closed connections are dropped quietly:\n{logged}"
    );
}
