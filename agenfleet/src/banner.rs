//! What `agenfleet dev` prints once everything is ready: where the API is, the key or how to
//! make one, and what to try first. It is the last thing on the screen (routine logs are off by
//! default), so it is on stdout and plain text.

use std::fmt;
use std::path::Path;

use schema::TenantId;

pub struct Banner<'a> {
    /// The API's origin, e.g. `http://127.0.0.1:8080`.
    pub origin: &'a str,
    /// Where the private Postgres keeps its files, when `dev` started one.
    pub private_postgres: Option<(&'a str, &'a Path)>,
    pub tenant_name: &'a str,
    pub tenant: TenantId,
    /// The tenant's first key, when this start created it.
    pub new_key: Option<&'a str>,
    /// What `--demo` did, in one line.
    pub demo: Option<&'a str>,
    /// How to run this binary again from where `dev` was started.
    pub cli: &'a str,
}

impl fmt::Display for Banner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.origin;
        writeln!(f, "\nAgenFleet is running.\n")?;
        writeln!(f, "  API       {origin}/v1")?;
        writeln!(f, "  Console   {origin}/console/")?;
        writeln!(f, "  OpenAPI   {origin}/v1/openapi.json")?;
        match self.private_postgres {
            Some((url, dir)) => writeln!(
                f,
                "  Postgres  {url}  (private; its files are in {})",
                dir.display()
            )?,
            None => writeln!(f, "  Postgres  DATABASE_URL")?,
        }
        writeln!(f)?;
        if let Some(demo) = self.demo {
            writeln!(f, "{demo}\n")?;
        }
        let (name, tenant) = (self.tenant_name, self.tenant);
        match self.new_key {
            Some(key) => {
                writeln!(
                    f,
                    "Tenant `{name}` ({tenant}) created. Its read-write key, shown only this once:\n"
                )?;
                writeln!(f, "  export AGENFLEET_KEY={key}\n")?;
            }
            None => {
                let database = match self.private_postgres {
                    Some((url, _)) => format!("DATABASE_URL={url} "),
                    None => String::new(),
                };
                writeln!(
                    f,
                    "Tenant `{name}` ({tenant}): its key was printed on the first start. To make another:\n"
                )?;
                writeln!(
                    f,
                    "  {database}{} admin create-key --tenant {tenant}\n",
                    self.cli
                )?;
                writeln!(
                    f,
                    "and export the key it prints: export AGENFLEET_KEY=afk_...\n"
                )?;
            }
        }
        writeln!(f, "Try it in another terminal, with AGENFLEET_KEY set:\n")?;
        writeln!(
            f,
            "  curl -sS {origin}/v1/agents -H \"Authorization: Bearer $AGENFLEET_KEY\"\n"
        )?;
        writeln!(
            f,
            "Then README.md, Quick start: create an agent, talk to it, receive its webhooks.\n"
        )?;
        write!(f, "Ctrl-C stops everything; the data stays.")
    }
}

/// How to run this binary again: through cargo when `cargo run` started it (so the command
/// works from a checkout with nothing installed), else as it was invoked.
pub fn cli_command() -> String {
    if std::env::var_os("CARGO").is_some() && std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        return "cargo run -q --bin agenfleet --".to_owned();
    }
    std::env::args()
        .next()
        .unwrap_or_else(|| "agenfleet".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner<'a>(new_key: Option<&'a str>, dir: &'a Path) -> Banner<'a> {
        Banner {
            origin: "http://127.0.0.1:8080",
            private_postgres: Some(("postgres://postgres@127.0.0.1:5999/agenfleet", dir)),
            tenant_name: "default",
            tenant: TenantId::new(),
            new_key,
            demo: None,
            cli: "cargo run -q --bin agenfleet --",
        }
    }

    #[test]
    fn the_first_start_shows_the_key_as_a_line_to_paste() {
        let text = banner(Some("afk_abc"), Path::new("/data")).to_string();
        assert!(
            text.contains("  API       http://127.0.0.1:8080/v1\n"),
            "{text}"
        );
        assert!(
            text.contains("  API       http://127.0.0.1:8080/v1\n  Console   http://127.0.0.1:8080/console/\n"),
            "the console is next to the API: {text}"
        );
        assert!(
            text.contains("http://127.0.0.1:8080/v1/openapi.json"),
            "{text}"
        );
        assert!(!text.contains("Demo"), "{text}");
        assert!(
            text.contains("\n  export AGENFLEET_KEY=afk_abc\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Ctrl-C stops everything; the data stays."),
            "{text}"
        );
    }

    #[test]
    fn a_later_start_says_how_to_make_a_key_from_a_checkout() {
        let dir = Path::new("/data");
        let shown = banner(None, dir);
        let text = shown.to_string();
        assert!(!text.contains("afk_abc"));
        assert!(
            text.contains(&format!(
                "  DATABASE_URL=postgres://postgres@127.0.0.1:5999/agenfleet cargo run -q --bin agenfleet -- admin create-key --tenant {}\n",
                shown.tenant
            )),
            "{text}"
        );
    }

    #[test]
    fn a_database_of_ones_own_is_not_printed() {
        let mut shown = banner(None, Path::new("/data"));
        shown.private_postgres = None;
        let text = shown.to_string();
        assert!(!text.contains("postgres://"), "{text}");
        assert!(text.contains("  cargo run -q --bin agenfleet -- admin create-key --tenant"));
    }

    #[test]
    fn a_demo_start_says_what_the_demo_did_in_one_line() {
        let mut shown = banner(Some("afk_abc"), Path::new("/data"));
        shown.demo = Some("Demo: tenant `default` now holds 11 agents.");
        let text = shown.to_string();
        assert!(
            text.contains("\nDemo: tenant `default` now holds 11 agents.\n\nTenant `default`"),
            "{text}"
        );
    }
}
