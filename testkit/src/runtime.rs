//! Work done on a Tokio runtime of its own, which then stops: what an actix worker's runtime
//! does to the pooled connections made on it when the server stops.

use std::future::Future;

/// Runs `work` to completion on a new current-thread runtime in another thread, then drops that
/// runtime (ending every task spawned on it, connections' included) and returns the output.
pub fn on_a_runtime_that_stops<F>(work: impl FnOnce() -> F + Send) -> F::Output
where
    F: Future,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(work())
            })
            .join()
            .expect("the work on its own runtime")
    })
}
