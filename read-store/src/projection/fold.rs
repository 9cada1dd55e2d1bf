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

/// The folded text of each run of statements (by their texts, in order), made once, with how
/// many parameters each statement of the run takes.
static FOLDED: LazyLock<Mutex<HashMap<Vec<&'static str>, Folded>>> =
    LazyLock::new(Default::default);

struct Folded {
    text: &'static str,
    params: Vec<usize>,
}

/// A statement as it is sent: its text, its parameters and whether it runs on a generic plan.
pub(super) struct Unit<'a> {
    pub sql: &'static str,
    pub params: Vec<&'a (dyn ToSql + Sync)>,
    pub generic: bool,
}

/// The most records a batch may hold for its inserts to be folded. Folding pays for the batches
/// of live traffic (a few records: a dozen answers' cost is a good part of theirs); a large
/// batch (a backlog, a rebuild) gains nothing from it and would send one message of its whole
/// size. (The single runs that first suggested folded backlogs peak higher were within the
/// catch-up's run-to-run spread of 45–74 MiB: docs/BENCHMARKS.md, eighteenth session.)
pub(crate) const FOLD_AT_MOST: usize = 64;

/// `statements` as they are sent: with `fold`, consecutive inserts from arrays folded into one.
pub(super) fn fold<'a>(statements: &[&'a Statement], fold: bool) -> Vec<Unit<'a>> {
    let mut units = Vec::with_capacity(statements.len());
    let mut run: Vec<&'a Statement> = Vec::new();
    for &statement in statements {
        if super::flush::INSERTS_FROM_ARRAYS.contains(&statement.sql) {
            run.push(statement);
            if !fold {
                end_run(&mut run, &mut units);
            }
            continue;
        }
        end_run(&mut run, &mut units);
        units.push(Unit {
            sql: statement.sql,
            params: statement.param_refs(),
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
                .flat_map(|statement| statement.param_refs())
                .collect(),
            generic: true,
        }),
        None => units.extend(run.iter().map(|statement| Unit {
            sql: statement.sql,
            params: statement.param_refs(),
            generic: true,
        })),
    }
    run.clear();
}

/// The folded text of `run`, made and kept the first time; `None` once [`MAX_FOLDED`] are kept,
/// or if a statement of the run has other than as many parameters as its text numbers (they
/// would be bound to the wrong places; sent alone, the server refuses such a statement).
fn folded_text(run: &[&Statement]) -> Option<&'static str> {
    let key: Vec<&'static str> = run.iter().map(|statement| statement.sql).collect();
    let mut folded = FOLDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !folded.contains_key(&key) {
        if folded.len() >= MAX_FOLDED {
            return None;
        }
        let (text, params) = fold_texts(&key);
        let text: &'static str = Box::leak(text.into_boxed_str());
        folded.insert(key.clone(), Folded { text, params });
    }
    let kept = folded.get(&key)?;
    let counts = run.iter().map(|statement| statement.params.len());
    counts.eq(kept.params.iter().copied()).then_some(kept.text)
}

/// Whether `statement` is a folded text this process made.
pub(crate) fn is_folded(statement: &str) -> bool {
    FOLDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .values()
        .any(|folded| folded.text == statement)
}

/// `WITH w0 AS (<first>), w1 AS (<second, its $n renumbered after the first's>) … SELECT 1`,
/// and how many parameters each statement takes: `$1` to its highest `$n`, as Postgres numbers
/// them when it prepares the statement alone.
pub(crate) fn fold_texts(texts: &[&str]) -> (String, Vec<usize>) {
    let mut folded = String::from("WITH ");
    let mut params = Vec::with_capacity(texts.len());
    for (index, text) in texts.iter().enumerate() {
        if index > 0 {
            folded.push_str(",\n     ");
        }
        let (text, highest) = renumbered(text, params.iter().sum());
        folded.push_str(&format!("w{index} AS ({text})"));
        params.push(highest);
    }
    folded.push_str("\nSELECT 1");
    (folded, params)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_on_after_the_statements_before() {
        let (folded, params) = fold_texts(&[
            "INSERT INTO a SELECT * FROM unnest($2::int[], $1::text[])",
            "INSERT INTO b SELECT * FROM unnest($1::int[]) WHERE $1 IS NOT NULL",
        ]);
        assert_eq!(
            folded,
            "WITH w0 AS (INSERT INTO a SELECT * FROM unnest($2::int[], $1::text[])),\n     \
             w1 AS (INSERT INTO b SELECT * FROM unnest($3::int[]) WHERE $3 IS NOT NULL)\nSELECT 1"
        );
        assert_eq!(params, [2, 1]);
    }

    #[test]
    fn inserts_are_folded_only_when_asked() {
        use crate::projection::pipeline::Param;
        let inserts = &super::super::flush::INSERTS_FROM_ARRAYS[..2];
        let statements: Vec<Statement> = inserts
            .iter()
            .map(|sql| {
                let (_, params) = fold_texts(&[sql]);
                let params: Vec<Param> = (0..params[0]).map(|_| Box::new(1_i32) as Param).collect();
                Statement::new(sql, params)
            })
            .collect();
        let statements: Vec<&Statement> = statements.iter().collect();
        assert_eq!(fold(&statements, true).len(), 1);
        let apart: Vec<&str> = fold(&statements, false)
            .iter()
            .map(|unit| unit.sql)
            .collect();
        assert_eq!(apart, inserts);
    }

    #[test]
    fn a_run_whose_parameters_do_not_match_its_texts_is_not_folded() {
        use crate::projection::pipeline::Param;
        let insert = |count: usize| {
            let params: Vec<Param> = (0..count).map(|_| Box::new(1_i32) as Param).collect();
            Statement::new(super::super::flush::INSERTS_FROM_ARRAYS[0], params)
        };
        let (_, expected) = fold_texts(&[super::super::flush::INSERTS_FROM_ARRAYS[0]]);
        let (right, wrong) = (insert(expected[0]), insert(expected[0] + 1));
        assert!(folded_text(&[&right, &right]).is_some());
        assert_eq!(folded_text(&[&right, &wrong]), None);
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
