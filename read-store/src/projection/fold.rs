//! Folding a batch's consecutive inserts from arrays ([`super::flush::INSERTS_FROM_ARRAYS`])
//! into one statement: `WITH w0 AS (<insert>), w1 AS (<insert>) … SELECT 1`, their parameters
//! numbered one after the other.
//!
//! Why: tokio-postgres ends every statement with a `Sync`, at which the server sends its answer
//! on its own (a `sendto`) and the client wakes to read it. For a batch of messages that was
//! eleven statements, eleven answers; one statement that does the same writes costs one. The
//! writes are the same: each insert reads nothing but its arrays and writes a table no other
//! insert of the run writes (checked by a test), so the order in which the server runs a
//! `WITH`'s parts changes nothing, and every part runs to completion whether or not it is
//! referenced. A part that fails fails the statement with its own error, as it failed the
//! transaction before.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use postgres_types::ToSql;

use super::pipeline::Statement;

/// Distinct folded texts kept at most; a run not among them once the limit is reached is sent
/// as separate statements. Batches fold only a handful of runs (which tables a batch writes
/// depends on its kinds of commands), each text a few KiB.
const MAX_FOLDED: usize = 256;

/// The folded text of each run of statements (by their texts, in order), made once.
static FOLDED: LazyLock<Mutex<HashMap<Vec<&'static str>, &'static str>>> =
    LazyLock::new(Default::default);

/// A statement as it is sent: its text, its parameters and whether it runs on a generic plan.
pub(super) struct Unit<'a> {
    pub sql: &'static str,
    pub params: Vec<&'a (dyn ToSql + Sync)>,
    pub generic: bool,
}

/// `statements` as they are sent, consecutive inserts from arrays folded into one.
pub(super) fn fold<'a>(statements: &[&'a Statement]) -> Vec<Unit<'a>> {
    let mut units = Vec::with_capacity(statements.len());
    let mut run: Vec<&'a Statement> = Vec::new();
    for &statement in statements {
        if super::flush::INSERTS_FROM_ARRAYS.contains(&statement.sql) {
            run.push(statement);
            continue;
        }
        end_run(&mut run, &mut units);
        units.push(Unit {
            sql: statement.sql,
            params: params_of(statement),
            generic: super::checkpoint::ON_GENERIC_PLANS.contains(&statement.sql),
        });
    }
    end_run(&mut run, &mut units);
    units
}

/// Appends `run` to `units` as one statement (as separate ones when it is a single statement
/// or its text cannot be kept), and empties it.
fn end_run<'a>(run: &mut Vec<&'a Statement>, units: &mut Vec<Unit<'a>>) {
    let folded = match run.len() {
        0 => None,
        1 => Some(run[0].sql),
        _ => folded_text(run),
    };
    match folded {
        Some(sql) => units.push(Unit {
            sql,
            params: run
                .iter()
                .flat_map(|statement| params_of(statement))
                .collect(),
            generic: true,
        }),
        None => units.extend(run.iter().map(|statement| Unit {
            sql: statement.sql,
            params: params_of(statement),
            generic: true,
        })),
    }
    run.clear();
}

/// The folded text of `run`, made and kept the first time (`None` once [`MAX_FOLDED`] are).
fn folded_text(run: &[&Statement]) -> Option<&'static str> {
    let key: Vec<&'static str> = run.iter().map(|statement| statement.sql).collect();
    let mut folded = FOLDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(text) = folded.get(&key) {
        return Some(text);
    }
    if folded.len() >= MAX_FOLDED {
        return None;
    }
    let text: &'static str = Box::leak(fold_texts(&key).into_boxed_str());
    folded.insert(key, text);
    Some(text)
}

/// Whether `statement` is a folded text this process made.
pub(crate) fn is_folded(statement: &str) -> bool {
    FOLDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .values()
        .any(|text| *text == statement)
}

/// `WITH w0 AS (<first>), w1 AS (<second, its $n renumbered after the first's>) … SELECT 1`.
/// Each statement's parameters are `$1` to its highest `$n` (as Postgres numbers them when it
/// prepares the statement alone).
pub(crate) fn fold_texts(texts: &[&str]) -> String {
    let mut folded = String::from("WITH ");
    let mut before = 0;
    for (index, text) in texts.iter().enumerate() {
        if index > 0 {
            folded.push_str(",\n     ");
        }
        let (text, highest) = renumbered(text, before);
        folded.push_str(&format!("w{index} AS ({text})"));
        before += highest;
    }
    folded.push_str("\nSELECT 1");
    folded
}

/// `text` with each parameter `$n` written `$(n + by)`, and its highest `n`. The statements
/// folded hold no other `$` (no dollar quotes; checked by a test).
fn renumbered(text: &str, by: usize) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + 16);
    let mut highest = 0;
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(number) => {
                highest = highest.max(number);
                out.push_str(&format!("${}", number + by));
            }
            Err(_) => out.push('$'),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    (out, highest)
}

fn params_of(statement: &Statement) -> Vec<&(dyn ToSql + Sync)> {
    statement
        .params
        .iter()
        .map(|param| param.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_on_after_the_statements_before() {
        let folded = fold_texts(&[
            "INSERT INTO a SELECT * FROM unnest($2::int[], $1::text[])",
            "INSERT INTO b SELECT * FROM unnest($1::int[]) WHERE $1 IS NOT NULL",
        ]);
        assert_eq!(
            folded,
            "WITH w0 AS (INSERT INTO a SELECT * FROM unnest($2::int[], $1::text[])),\n     \
             w1 AS (INSERT INTO b SELECT * FROM unnest($3::int[]) WHERE $3 IS NOT NULL)\nSELECT 1"
        );
    }

    /// The table each insert from arrays writes.
    fn target(statement: &str) -> String {
        let after = statement
            .split_once("INSERT INTO ")
            .unwrap_or_else(|| panic!("not an insert: {statement}"))
            .1;
        after
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('(')
            .to_owned()
    }

    #[test]
    fn the_inserts_that_fold_together_write_distinct_tables_and_hold_no_other_dollar() {
        let statements = super::super::flush::INSERTS_FROM_ARRAYS.clone();
        let mut tables: Vec<String> = statements.iter().map(|s| target(s)).collect();
        assert!(tables.contains(&"messages".to_owned()), "{tables:?}");
        tables.sort();
        let before = tables.len();
        tables.dedup();
        assert_eq!(tables.len(), before, "a table written twice: {tables:?}");
        for statement in statements {
            for (at, _) in statement.match_indices('$') {
                assert!(
                    statement[at + 1..].starts_with(|c: char| c.is_ascii_digit()),
                    "a $ that is not a parameter in {statement}"
                );
            }
        }
    }
}
