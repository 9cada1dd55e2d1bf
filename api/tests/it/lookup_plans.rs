//! The statements the API runs on generic-plan connections (`Store::lookup_client`) are index
//! lookups whatever the tables hold: on a fresh database, where the tables are empty (analysed
//! or not), none scans a table; once the tables have grown (analysed or not), each one is a
//! lookup by a unique index; and a lookup connection plans its statements again as the tables
//! grow, instead of keeping the plan it made on the empty ones.

use read_store::store::{
    lookup_statements, plans_again_after, Store, LOOKUP_SETTINGS, REPLAN_EVERY,
};
use read_store::READ_MODEL_SCHEMA;
use testkit::TestApp;
use tokio_postgres::Client;

/// A client planning as lookup connections do.
async fn lookup_sql(app: &TestApp) -> Client {
    let sql = app.sql().await;
    for (name, value) in LOOKUP_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}"))
            .await
            .unwrap();
    }
    sql
}

/// The generic plan of each lookup statement, with the statement.
async fn plans(sql: &Client) -> Vec<(String, String)> {
    let statements = lookup_statements();
    assert!(statements.len() >= 6, "{statements:?}");
    let mut plans = Vec::new();
    for (index, (statement, arguments)) in statements.iter().enumerate() {
        sql.batch_execute(&format!(
            "DEALLOCATE ALL; PREPARE lookup_{index} AS {statement}"
        ))
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
        let arguments: Vec<String> = arguments
            .iter()
            .map(|argument| format!("'{}'", argument.replace('\'', "''")))
            .collect();
        let plan = explain(
            sql,
            &format!("EXECUTE lookup_{index}({})", arguments.join(", ")),
        )
        .await;
        plans.push((statement.clone(), plan));
    }
    plans
}

async fn explain(sql: &Client, what: &str) -> String {
    let rows = sql
        .query(&format!("EXPLAIN {what}"), &[])
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let lines: Vec<String> = rows.iter().map(|row| row.get::<_, String>(0)).collect();
    lines.join("\n")
}

/// The indexes a plan reads, each with whether it is unique.
async fn indexes(sql: &Client, plan: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for index in plan
        .split(" using ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
    {
        let unique: bool = sql
            .query_one(
                "SELECT i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE c.relname = $1",
                &[&index],
            )
            .await
            .unwrap_or_else(|e| panic!("{index}: {e}"))
            .get(0);
        found.push((index.to_owned(), unique));
    }
    found
}

fn assert_no_scan(statement: &str, plan: &str) {
    // An insert from values scans nothing; its conflicts are found through the index.
    assert!(
        plan.contains("Index Scan")
            || plan.contains("Index Only Scan")
            || plan.contains("Conflict Arbiter Indexes"),
        "{statement}\n{plan}"
    );
    assert!(!plan.contains("Seq Scan"), "{statement}\n{plan}");
}

/// One agent and one session made through the API, then `copies` more of each by SQL (same
/// tenant, so that an index led by the tenant is no shortcut), not analysed.
async fn grow(app: &TestApp, sql: &Client, copies: i32) {
    let agent = app
        .create_agent(serde_json::json!({ "name": "template" }))
        .await;
    app.open_session(&agent).await;
    sql.batch_execute(&format!(
        "INSERT INTO agents SELECT (jsonb_populate_record(a, jsonb_build_object(
             'id', a.id || '_' || g, 'name', a.name || g, 'name_key', a.name_key || g))).*
         FROM agents a, generate_series(1, {copies}) g;
         INSERT INTO sessions SELECT (jsonb_populate_record(s, jsonb_build_object(
             'id', s.id || '_' || g))).*
         FROM sessions s, generate_series(1, {copies}) g;"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn lookups_never_scan_a_table_and_use_a_unique_index_once_tables_have_grown() {
    let app = TestApp::spawn().await;
    let sql = lookup_sql(&app).await;
    for analysed in [false, true] {
        if analysed {
            // Statistics of empty tables: a seq scan is then the cheapest plan of all, and a
            // generic plan kept it as the tables grew.
            sql.batch_execute("ANALYZE").await.unwrap();
        }
        for (statement, plan) in plans(&sql).await {
            assert_no_scan(&statement, &plan);
        }
    }

    grow(&app, &sql, 2_000).await;
    for analysed in [false, true] {
        if analysed {
            sql.batch_execute("ANALYZE agents; ANALYZE sessions")
                .await
                .unwrap();
        }
        for (statement, plan) in plans(&sql).await {
            assert_no_scan(&statement, &plan);
            // A generic plan on a grown table must not pick an index holding the key's columns
            // among others (`agents_by_status` for an agent by id): it would scan every row of
            // the tenant on each lookup.
            for (index, unique) in indexes(&sql, &plan).await {
                assert!(
                    unique,
                    "analysed: {analysed}\n{statement}\nreads {index}, not a unique index:\n{plan}"
                );
            }
        }
    }
}

/// The plan of an agent by id on the store's (single) lookup connection, and that connection's
/// backend.
async fn agent_lookup_plan(store: &Store, tenant: &str) -> (String, i32) {
    let client = store.lookup_client().await.unwrap();
    let (get_agent, _) = lookup_statements()
        .into_iter()
        .find(|(statement, _)| statement.contains("JOIN agents"))
        .expect("the agent lookup");
    client.prepare_cached(&get_agent).await.unwrap();
    let name: String = client
        .query_one(
            "SELECT name FROM pg_prepared_statements WHERE statement = $1",
            &[&get_agent],
        )
        .await
        .unwrap()
        .get(0);
    let plan = explain(
        &client,
        &format!("EXECUTE {name}('{{{tenant}}}', '{{agent_x}}')"),
    )
    .await;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    (plan, pid)
}

#[tokio::test]
async fn a_lookup_connection_plans_again_once_the_table_has_grown() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    // No autoanalyze in the middle: it too would make the connection plan again.
    sql.batch_execute(
        "ALTER TABLE agents SET (autovacuum_enabled = off);
         ALTER TABLE sessions SET (autovacuum_enabled = off)",
    )
    .await
    .unwrap();
    // One lookup connection, so that every use below is of the same one.
    let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 1).unwrap();
    let tenant = app.tenant.to_string();
    // Uses 1 to 5 on the empty table: the connection plans again after uses 1, 2 and 4, so the
    // plan of use 5 is the empty table's and is kept until use 8 has ended.
    let mut small = (String::new(), 0);
    for _ in 0..5 {
        small = agent_lookup_plan(&store, &tenant).await;
    }
    let (small, pid) = small;
    // The premise: on the empty table, the generic plan reads another index than the key's.
    let read = indexes(&sql, &small).await;
    assert!(
        read.iter().any(|(_, unique)| !unique),
        "the empty table's plan already reads a unique index, so this test shows nothing:\n{small}"
    );

    grow(&app, &sql, 2_000).await;
    for use_ in 6..=8 {
        let (kept, _) = agent_lookup_plan(&store, &tenant).await;
        assert_eq!(kept, small, "use {use_}: the plan is kept between uses");
    }
    // Use 9: planned again after use 8.
    let (grown, same_pid) = agent_lookup_plan(&store, &tenant).await;
    assert_eq!(same_pid, pid, "the same connection, planning again");
    let read = indexes(&sql, &grown).await;
    assert!(
        !read.is_empty() && read.iter().all(|(_, unique)| *unique),
        "{grown}"
    );
}

#[test]
fn lookup_connections_plan_again_after_doubling_uses_then_every_replan_every() {
    let after: Vec<usize> = (1..=3 * REPLAN_EVERY)
        .filter(|&uses| plans_again_after(uses))
        .collect();
    let mut expected: Vec<usize> = (0..)
        .map(|i| 1 << i)
        .take_while(|&n| n < REPLAN_EVERY)
        .collect();
    expected.extend([REPLAN_EVERY, 2 * REPLAN_EVERY, 3 * REPLAN_EVERY]);
    assert_eq!(after, expected);
}
