//! Finding the PostgreSQL server binaries installed on the machine.
//!
//! `pg_ctl` starts the `postgres` next to its own (symlink-resolved) location, so the unit
//! found is a directory that holds all three of `pg_ctl`, `initdb` and `postgres`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Error;

const REQUIRED: [&str; 3] = ["pg_ctl", "initdb", "postgres"];

/// Directories of versioned installs, as (parent, name prefix, suffix below the match).
/// Debian/Ubuntu, RHEL/Fedora (PGDG), Homebrew on Apple silicon and on Intel.
const VERSIONED_ROOTS: [(&str, &str, &str); 4] = [
    ("/usr/lib/postgresql", "", "bin"),
    ("/usr", "pgsql-", "bin"),
    ("/opt/homebrew/opt", "postgresql", "bin"),
    ("/usr/local/opt", "postgresql", "bin"),
];

/// A directory holding `pg_ctl`, `initdb` and `postgres`.
#[derive(Clone, Debug)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// The first complete directory among: the one `pg_ctl` on PATH lives in, then versioned
    /// installs, highest version first. With `data_version` (the `PG_VERSION` of an existing
    /// data directory) the first whose major version matches it, since a server refuses data
    /// of another major version.
    pub fn find(data_version: Option<&str>, pgdata: &Path) -> Result<Self, Error> {
        let candidates = candidates();
        let Some(first) = candidates.first() else {
            let searched = VERSIONED_ROOTS
                .iter()
                .map(|(root, prefix, sub)| format!("{root}/{prefix}*/{sub}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::BinariesNotFound { searched });
        };
        let Some(wanted) = data_version else {
            return Ok(Self { dir: first.clone() });
        };
        for dir in &candidates {
            if major_version(dir).as_deref() == Some(wanted) {
                return Ok(Self { dir: dir.clone() });
            }
        }
        Err(Error::VersionMismatch {
            pgdata: pgdata.to_owned(),
            data_version: wanted.to_owned(),
            found: major_version(first).unwrap_or_else(|| "of unknown version".to_owned()),
            bin_dir: first.clone(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pg_ctl(&self) -> PathBuf {
        self.dir.join("pg_ctl")
    }

    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }
}

fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(dir) = on_path("pg_ctl").and_then(|p| p.canonicalize().ok()) {
        if let Some(dir) = dir.parent().filter(|d| is_complete(d)) {
            found.push(dir.to_owned());
        }
    }
    for (root, prefix, sub) in VERSIONED_ROOTS {
        let mut versioned: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let rest = name.strip_prefix(prefix)?;
                let dir = entry.path().join(sub);
                is_complete(&dir).then(|| (version_key(rest), dir))
            })
            .collect();
        versioned.sort_by(|a, b| b.0.cmp(&a.0));
        found.extend(versioned.into_iter().map(|(_, dir)| dir));
    }
    found.dedup();
    found
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_complete(dir: &Path) -> bool {
    REQUIRED.iter().all(|name| is_executable(&dir.join(name)))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`, `"@16"` → `[16]`; anything unreadable sorts last.
fn version_key(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// The major version as `PG_VERSION` writes it (`15`, or `9.6` before release 10), read
/// from `pg_ctl --version` ("pg_ctl (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)").
fn major_version(dir: &Path) -> Option<String> {
    let output = std::process::Command::new(dir.join("pg_ctl"))
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split_whitespace().nth(2)?;
    major_of(version)
}

fn major_of(version: &str) -> Option<String> {
    let parts = version_key(version);
    match parts.as_slice() {
        [major, minor, ..] if *major < 10 => Some(format!("{major}.{minor}")),
        [major, ..] => Some(major.to_string()),
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let mut keys = [
            version_key("9.6"),
            version_key("16"),
            version_key("@14"),
            version_key("10"),
        ];
        keys.sort();
        assert_eq!(keys, [vec![9, 6], vec![10], vec![14], vec![16]]);
    }

    #[test]
    fn major_versions_match_pg_version_files() {
        assert_eq!(major_of("15.8").as_deref(), Some("15"));
        assert_eq!(major_of("16beta1").as_deref(), Some("16"));
        assert_eq!(major_of("9.6.24").as_deref(), Some("9.6"));
        assert_eq!(major_of("devel"), None);
    }
}
