//! Who the server runs as. PostgreSQL refuses to run as root, so as root the data directory
//! belongs to, and every server command runs as, the `postgres` system user.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

const SERVER_USER: &str = "postgres";

#[derive(Clone, Debug)]
pub enum RunAs {
    CurrentUser,
    ServerUser { uid: u32, gid: u32, switch: Switch },
}

#[derive(Clone, Debug)]
pub enum Switch {
    /// `runuser -u postgres -- program args…` (util-linux).
    Runuser(PathBuf),
    /// `su postgres -s /bin/sh -c 'exec program args…'`.
    Su(PathBuf),
}

impl RunAs {
    pub fn detect() -> Result<Self, Error> {
        if effective_uid()? != 0 {
            return Ok(RunAs::CurrentUser);
        }
        let uid = id_of(&["-u", SERVER_USER]).ok_or(Error::NoPostgresUser)?;
        let gid = id_of(&["-g", SERVER_USER]).ok_or(Error::NoPostgresUser)?;
        let switch = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .map(Switch::Runuser)
            .or_else(|| {
                ["/bin/su", "/usr/bin/su"]
                    .iter()
                    .map(PathBuf::from)
                    .find(|p| p.is_file())
                    .map(Switch::Su)
            })
            .ok_or(Error::NoUserSwitch)?;
        Ok(RunAs::ServerUser { uid, gid, switch })
    }

    /// `program args…` as the server's user, from `/` so a private working directory (such as
    /// /root) cannot get in the way.
    pub fn command<I, S>(&self, program: &Path, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = match self {
            RunAs::CurrentUser => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
            RunAs::ServerUser {
                switch: Switch::Runuser(runuser),
                ..
            } => {
                let mut command = Command::new(runuser);
                command
                    .args(["-u", SERVER_USER, "--"])
                    .arg(program)
                    .args(args);
                command
            }
            RunAs::ServerUser {
                switch: Switch::Su(su),
                ..
            } => {
                let mut script = b"exec ".to_vec();
                script.extend(shell_quote(program.as_os_str()));
                for arg in args {
                    script.push(b' ');
                    script.extend(shell_quote(arg.as_ref()));
                }
                let mut command = Command::new(su);
                command
                    .args([SERVER_USER, "-s", "/bin/sh", "-c"])
                    .arg(OsString::from_vec(script));
                command
            }
        };
        command.current_dir("/");
        command
    }

    /// Hands `path` (and, for an existing tree, everything below it) to the server's user.
    pub fn take_ownership(&self, path: &Path) -> Result<(), Error> {
        let RunAs::ServerUser { uid, gid, .. } = self else {
            return Ok(());
        };
        chown_tree(path, *uid, *gid).map_err(Error::io(format!(
            "cannot give {} to the `postgres` user",
            path.display()
        )))
    }

    /// Whether the server's user owns `path` (always true when running as yourself).
    pub fn owns(&self, path: &Path) -> bool {
        match self {
            RunAs::CurrentUser => true,
            RunAs::ServerUser { uid, .. } => std::fs::metadata(path)
                .map(|m| m.uid() == *uid)
                .unwrap_or(false),
        }
    }
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if std::fs::symlink_metadata(path)?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// The effective uid: the owner of `/proc/self` where procfs exists, else `id -u`.
fn effective_uid() -> Result<u32, Error> {
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Ok(meta.uid());
    }
    id_of(&["-u"]).ok_or_else(|| Error::Io {
        action: "cannot tell which user this process runs as (`id -u`)".to_owned(),
        source: std::io::Error::other("`id -u` failed"),
    })
}

fn id_of(args: &[&str]) -> Option<u32> {
    let output = Command::new("id").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// `'…'` with embedded quotes as `'\''`, byte-exact.
fn shell_quote(arg: &OsStr) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &byte in arg.as_bytes() {
        if byte == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(byte);
        }
    }
    out.push(b'\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote(OsStr::new("a b")), b"'a b'".to_vec());
        assert_eq!(shell_quote(OsStr::new("it's")), b"'it'\\''s'".to_vec());
    }

    #[test]
    fn su_commands_exec_the_quoted_program() {
        let run_as = RunAs::ServerUser {
            uid: 1,
            gid: 1,
            switch: Switch::Su("/bin/su".into()),
        };
        let command = run_as.command(Path::new("/x/pg_ctl"), ["-D", "/data dir"]);
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args[..4], ["postgres", "-s", "/bin/sh", "-c"]);
        assert_eq!(args[4], "exec '/x/pg_ctl' '-D' '/data dir'");
    }
}
