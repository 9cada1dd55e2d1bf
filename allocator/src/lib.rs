//! mimalloc for the binaries that decode and encode a great deal (a rebuild ran 13 % faster than
//! on the system allocator: docs/BENCHMARKS.md), with two of its options changed so that memory
//! freed after a burst goes back to the system instead of staying resident:
//! - `MIMALLOC_ARENA_EAGER_COMMIT=0`: memory is committed as it is used, not a whole arena at
//!   once (a committed arena is never purged);
//! - `MIMALLOC_PURGE_DELAY=0`: freed pages are returned at once, not 10 ms (×10 for arenas) later.
//!
//! A projector catching up on a backlog of 300,000 records peaked at 99.5 MiB with mimalloc's
//! defaults and 41.8 MiB with these, as fast (docs/BENCHMARKS.md, "Memory on a backlog").
//!
//! mimalloc reads its options from the environment when the process starts, before `main`, and
//! reserves its first arena then: setting them from `main` comes too late for the arena. So
//! [`give_memory_back`] starts the binary again, in place, with the variables set.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;

pub use mimalloc::MiMalloc;

/// The options, as mimalloc's environment variables.
const OPTIONS: [(&str, &str); 2] = [
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    ("MIMALLOC_PURGE_DELAY", "0"),
];

/// Call first thing in `main`, before any thread starts. If an option is not in the environment
/// yet, replaces the process with the same binary and arguments and the options set (`exec`: same
/// pid, same open files); a variable already set, by an operator say, is kept as it is. If the
/// binary cannot be started again, goes on with mimalloc's defaults.
pub fn give_memory_back() {
    let missing: Vec<_> = OPTIONS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        keep_name();
        return;
    }
    let mut args = std::env::args_os();
    // The very file this process runs, even if its path now names another (an upgrade).
    let mut again = std::process::Command::new("/proc/self/exe");
    if let Some(name) = args.next() {
        again.arg0(name);
    }
    again.args(args);
    for (name, value) in missing {
        again.env(name, OsStr::new(value));
    }
    // Returns only if it failed.
    let error = again.exec();
    eprintln!("note: mimalloc keeps its default options (cannot restart with them set: {error})");
}

/// Started again through `/proc/self/exe`, the process is named `exe` by the kernel (the last
/// part of the path it was started from): what `ps`, `top`, `pgrep` and `pkill` would show and
/// match. Gives it back the name it was started under (the last part of its `argv[0]`, which
/// the restart keeps), as the kernel would have named it.
fn keep_name() {
    let named_exe = std::fs::read("/proc/self/comm").is_ok_and(|comm| comm == b"exe\n");
    if !named_exe {
        return;
    }
    let Some(name) = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|path| {
            path.file_name()
                .map(|name| name.as_encoded_bytes().to_vec())
        })
        .filter(|name| !name.is_empty())
    else {
        return;
    };
    // The kernel keeps the first 15 bytes. A failure leaves the name as it is.
    let _ = std::fs::write("/proc/self/comm", &name[..name.len().min(15)]);
}
