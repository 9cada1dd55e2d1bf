//! What a Postgres error means to its caller, for every crate that talks to Postgres
//! (`read-store`, `event-log`): whether the server is out of reach — a client is told 503 and to
//! retry — or the statement failed, and a description that says why (`tokio_postgres` displays
//! every server error as just `db error`).

use std::error::Error as _;

/// Whether `error` says the server cannot serve now rather than that the statement is wrong:
/// the connection is closed or never opened, or the server answered with an
/// [unavailable SQLSTATE](unavailable_sqlstate).
pub fn is_unavailable(error: &tokio_postgres::Error) -> bool {
    error.is_closed()
        || match error.code() {
            Some(code) => unavailable_sqlstate(code.code()),
            None => error.as_db_error().is_none(),
        }
}

/// SQLSTATEs that say the server cannot serve now, not that the statement is wrong: a
/// connection exception (class 08), the server shutting down or starting (57P01 an
/// administrator's shutdown, 57P02 a crash shutdown, 57P03 not accepting connections yet), or
/// out of a resource (class 53: 53100 a full disk, 53200 out of memory, 53300 too many
/// connections), which an operator frees.
pub fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// One line for a log and a 503's message about a pool that could not hand out a connection:
/// it timed out, or a new connection failed, [described](describe) with the server's reason.
/// Every such failure is unavailability, whatever the SQLSTATE: the server refused a new
/// connection (down, "not currently accepting connections" 55000, too many connections 53300,
/// the database gone 3D000, the credentials revoked 28P01), which is no fault of a request and
/// passes when an operator mends the server.
pub fn describe_pool_error(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(error) => {
            format!("cannot open a connection: {}", describe(error))
        }
        other => other.to_string(),
    }
}

/// One line for a log: the server's SQLSTATE, message, detail and hint, or the chain of causes of
/// a client-side error (`error connecting to server: Connection refused (os error 111)`).
pub fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        for (label, part) in [("detail", db.detail()), ("hint", db.hint())] {
            if let Some(part) = part {
                text.push_str(&format!("; {label}: {part}"));
            }
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::unavailable_sqlstate;

    #[test]
    fn shutdowns_and_lost_connections_are_unavailability_and_statement_errors_are_not() {
        for code in [
            "57P01", "57P02", "57P03", "53300", "53100", "53200", "08006", "08003", "08001",
        ] {
            assert!(unavailable_sqlstate(code), "{code}");
        }
        // A cancelled query, a syntax error, a unique violation, a serialization failure.
        for code in ["57014", "42601", "23505", "40001"] {
            assert!(!unavailable_sqlstate(code), "{code}");
        }
    }
}
