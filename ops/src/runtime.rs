//! The async runtime of the processes that share their machine's cores with other busy threads:
//! `api` and `agenfleet` (beside actix-web's HTTP workers) and `projector` (beside its database).

/// Builds a multi-threaded runtime with half as many worker threads as the machine has cores (at
/// least one), unless `TOKIO_WORKER_THREADS` says otherwise (1 to 1024; anything else is refused
/// with an error naming it, where tokio would panic).
///
/// In `api` and `agenfleet`, actix-web runs each HTTP worker as a thread of its own, one per
/// core, and every request hands work to this runtime's tasks (its append, the outcome it waits
/// for; in `agenfleet dev` also the projector's batches) and back. With as many runtime threads
/// again as cores, the threads outnumbered the cores two to one and those hand-overs woke
/// threads the kernel had to switch in: on two cores, one runtime thread instead of two cost
/// `agenfleet dev` 13–28 % less CPU per `POST /v1/agents` (3.8 context switches per request
/// against 4.4) and applied 8–26 % more commands per second (three pairs, docs/BENCHMARKS.md).
///
/// The projector's own CPU per command is about a third of its database's, and its tasks hand
/// each batch on to one another (a fetch, the decisions, the batch's statements, its
/// announcement): on two cores beside `api` and Postgres, one runtime thread instead of two cut
/// its context switches per command from 3.1 to 2.3 and its CPU by a sixth, and side by side
/// with the build before it applied 6.1 % more creates (4 of 4 runs; docs/BENCHMARKS.md).
pub fn on_half_the_cores() -> std::io::Result<tokio::runtime::Runtime> {
    let threads = match std::env::var_os("TOKIO_WORKER_THREADS") {
        Some(value) => threads_asked(&value.to_string_lossy())?,
        None => half_the_cores(
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        ),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(threads)
        .build()
}

/// `TOKIO_WORKER_THREADS`, read as tokio reads it, but refused with an error rather than a panic.
fn threads_asked(value: &str) -> std::io::Result<usize> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|threads| (1..=1024).contains(threads))
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("TOKIO_WORKER_THREADS={value:?}: must be a whole number from 1 to 1024"),
            )
        })
}

/// Half the cores, at least one.
fn half_the_cores(cores: usize) -> usize {
    (cores / 2).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_takes_half_the_cores_and_at_least_one_thread() {
        let threads: Vec<usize> = [1, 2, 3, 4, 16].into_iter().map(half_the_cores).collect();
        assert_eq!(threads, [1, 1, 1, 2, 8]);
    }

    #[test]
    fn a_thread_count_asked_for_is_kept_or_refused_naming_the_variable() {
        assert_eq!(threads_asked("3").unwrap(), 3);
        assert_eq!(threads_asked(" 1024 ").unwrap(), 1024);
        for bad in ["0", "1025", "-1", "two", "", "\u{0}"] {
            let error = threads_asked(bad).unwrap_err().to_string();
            assert!(
                error.starts_with("TOKIO_WORKER_THREADS="),
                "{bad:?}: {error}"
            );
        }
    }
}
