//! Everything that can stop the private server from starting, each with the fix in the text.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "PostgreSQL server binaries not found (looked for pg_ctl, initdb and postgres on PATH \
         and in {searched}): install them (Debian/Ubuntu: `apt-get install postgresql`, \
         macOS: `brew install postgresql`), or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound { searched: String },

    #[error(
        "{pgdata} was created by PostgreSQL {data_version}, but the server binaries found are \
         PostgreSQL {found} in {bin_dir}: install PostgreSQL {data_version} (Debian/Ubuntu: \
         `apt-get install postgresql-{data_version}`), or move {pgdata} away to start afresh"
    )]
    VersionMismatch {
        pgdata: PathBuf,
        data_version: String,
        found: String,
        bin_dir: PathBuf,
    },

    #[error(
        "running as root, so the private PostgreSQL server must run as the `postgres` system \
         user, which does not exist: install the `postgresql` package (it creates the user), \
         create it (`useradd --system --user-group --home-dir /var/lib/postgresql postgres`), \
         or run as an ordinary user"
    )]
    NoPostgresUser,

    #[error(
        "running as root, but neither `runuser` nor `su` was found to run the PostgreSQL \
         server as the `postgres` user"
    )]
    NoUserSwitch,

    #[error(
        "the `postgres` system user cannot reach {path}: PostgreSQL refuses to run as root, \
         and every directory above its data must be searchable by the user it runs as; choose \
         a data dir outside private directories such as /root (e.g. `--data-dir \
         /var/lib/agenfleet`) or make the parents searchable (`chmod o+x`)"
    )]
    Unreachable { path: PathBuf },

    #[error("{action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` failed ({status}){details}")]
    Command {
        command: String,
        status: String,
        details: String,
    },

    #[error(
        "a PostgreSQL server (pid {pid}) is already running on {pgdata} but does not accept \
         connections on 127.0.0.1:{port}; stop it (`pg_ctl stop -D {pgdata}`) and try again"
    )]
    AlreadyRunning {
        pid: u32,
        port: u16,
        pgdata: PathBuf,
    },

    #[error(
        "cannot prepare database `{database}` on the private PostgreSQL server at 127.0.0.1:{port}"
    )]
    Database {
        database: String,
        port: u16,
        #[source]
        source: tokio_postgres::Error,
    },
}

impl Error {
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let action = action.into();
        move |source| Error::Io { action, source }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn missing_binaries_name_the_packages_to_install() {
        let text = super::Error::BinariesNotFound {
            searched: "/usr/lib/postgresql/*/bin".into(),
        }
        .to_string();
        assert!(
            text.starts_with("PostgreSQL server binaries not found"),
            "{text}"
        );
        assert!(text.contains("apt-get install postgresql"), "{text}");
        assert!(text.contains("brew install postgresql"), "{text}");
    }
}
