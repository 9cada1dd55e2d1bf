//! Records the git commit the binaries are built from (`agenfleet_build_info{commit}`):
//! `AGENFLEET_GIT_COMMIT` if set (a build without `.git`, such as a container image's), else
//! `git rev-parse`, else `unknown`.
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=AGENFLEET_GIT_COMMIT");
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.git");
    // A new commit moves the branch's ref (or packed-refs); a checkout moves HEAD.
    for file in ["HEAD", "packed-refs"] {
        println!("cargo:rerun-if-changed={}", git.join(file).display());
    }
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(reference) = head.strip_prefix("ref: ") {
            println!(
                "cargo:rerun-if-changed={}",
                git.join(reference.trim()).display()
            );
        }
    }
    let commit = std::env::var("AGENFLEET_GIT_COMMIT").ok().or_else(|| {
        let output = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    });
    println!(
        "cargo:rustc-env=AGENFLEET_GIT_COMMIT={}",
        commit
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unknown".into())
    );
}
