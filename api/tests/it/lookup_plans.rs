//! The statements run with generic plans (on `Store::lookup_client` connections, and the
//! projector prefetch's lookups by key) are index lookups whatever the tables hold: on a fresh
//! database, where the tables are empty (analysed or not), none scans a table; once the tables
//! have grown (analysed or not), each one is a lookup by a unique index; and a lookup
//! connection plans its statements again as the tables grow, instead of keeping the plan it
//! made on the empty ones.

use read_store::store::{
    checkpoint_statements, inserts_from_arrays, inserts_from_arrays_folded, is_folded_inserts,
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
/// tenant, so that an index led by the tenant is no shortcut), and as many command outcomes,
/// activity heads, tenants and API keys, not analysed.
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
         FROM sessions s, generate_series(1, {copies}) g;
         INSERT INTO command_outcomes SELECT (jsonb_populate_record(o, jsonb_build_object(
             'command_id', o.command_id || '_' || g))).*
         FROM command_outcomes o, generate_series(1, {copies}) g
         WHERE o.command_id = (SELECT min(command_id) FROM command_outcomes);
         INSERT INTO activity_heads SELECT (jsonb_populate_record(h, jsonb_build_object(
             'tenant_id', h.tenant_id || '_' || g))).*
         FROM activity_heads h, generate_series(1, {copies}) g;
         INSERT INTO tenants SELECT (jsonb_populate_record(t, jsonb_build_object(
             'id', t.id || '_' || g))).*
         FROM tenants t, generate_series(1, {copies}) g;
         INSERT INTO api_keys SELECT (jsonb_populate_record(k, jsonb_build_object(
             'id', k.id || '_' || g, 'key_hash', k.key_hash || g))).*
         FROM api_keys k, generate_series(1, {copies}) g;"
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
            sql.batch_execute(
                "ANALYZE agents; ANALYZE sessions; ANALYZE command_outcomes; \
                 ANALYZE activity_heads; ANALYZE tenants",
            )
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

/// The projector runs its prefetch's lookups by key and its inserts from arrays on generic
/// plans — kept by the connection from one batch to the next — and its other statements
/// planned afresh, as the connection plans everything else.
#[tokio::test]
async fn the_projectors_prefetch_keeps_plans_for_its_lookups_by_key_only() {
    use read_store::projection::{End, PipelinedTransaction, UnitOfWork};
    use schema::agent::{AgentConfig, HeartbeatState};
    use schema::command::{CreateAgent, RecordHeartbeat, RevokeApiKey};
    use schema::{Actor, AgentId, ApiKeyId, Command, CommandRecord};

    let app = TestApp::spawn().await;
    let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 1).unwrap();
    let record = |command| CommandRecord::new(app.tenant, Actor::system("test"), command);
    // Two rejected (no such agent, no such key): their outcomes are inserted. The key's
    // lookup is one of the statements planned afresh. One accepted (an agent), whose inserts
    // (the agent, its activity, the outcomes…) go folded into one statement.
    let records = [
        record(Command::CreateAgent(CreateAgent {
            agent_id: AgentId::new(),
            name: "Nova".to_owned(),
            role: None,
            description: None,
            soul: None,
            config: AgentConfig::default(),
            gateway_secret: None,
        })),
        record(Command::RecordHeartbeat(RecordHeartbeat {
            agent_id: AgentId::new(),
            state: HeartbeatState::Ok,
            latency_ms: None,
            detail: None,
        })),
        record(Command::RevokeApiKey(RevokeApiKey {
            key_id: ApiKeyId::new(),
        })),
    ];
    // One connection for both batches (its prepared statements are read below).
    let tx = PipelinedTransaction::new(store.client().await.unwrap());
    for _ in 0..2 {
        let batch: Vec<&CommandRecord> = records.iter().collect();
        let mut work = tx
            .begin_then(UnitOfWork::load(&tx, &batch, true))
            .await
            .unwrap();
        for (offset, record) in records.iter().enumerate() {
            work.decide(record, (0, offset as i64));
        }
        work.flush(&tx, Vec::new(), Vec::new(), Vec::new(), End::Rollback)
            .await
            .unwrap();
    }
    let client = &tx;

    let mut generic: Vec<String> = lookup_statements().into_iter().map(|(s, _)| s).collect();
    generic.extend(inserts_from_arrays().into_iter().map(str::to_owned));
    let prepared = client
        .query(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
             WHERE statement NOT LIKE '%pg_prepared_statements%'",
            &[],
        )
        .await
        .unwrap();
    let (mut kept, mut afresh, mut folded) = (0, 0, 0);
    for row in &prepared {
        let (statement, generic_plans, custom_plans): (String, i64, i64) =
            (row.get(0), row.get(1), row.get(2));
        if generic.contains(&statement) || is_folded_inserts(&statement) {
            assert_eq!((generic_plans, custom_plans), (2, 0), "{statement}");
            kept += 1;
            folded += usize::from(is_folded_inserts(&statement));
        } else {
            // The cron statements are prepared but run only for batches that touch cron.
            assert_eq!(generic_plans, 0, "{statement}");
            if custom_plans > 0 {
                assert_eq!(custom_plans, 2, "{statement}");
                afresh += 1;
            }
        }
    }
    assert!(
        kept >= 7 && afresh >= 1 && folded == 1,
        "{kept} kept, {afresh} afresh, {folded} folded"
    );
    let settings = client
        .query_one(
            "SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (settings.get::<_, String>(0), settings.get::<_, String>(1)),
        ("force_custom_plan".to_owned(), "on".to_owned())
    );
}

/// The plan `sql` (planning generic plans) makes of `statement`, prepared as `name` and
/// executed with every parameter NULL.
async fn generic_plan(sql: &Client, name: &str, statement: &str) -> String {
    sql.batch_execute(&format!("PREPARE {name} AS {statement}"))
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let parameters: i32 = sql
        .query_one(
            "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    let nulls = vec!["NULL"; parameters as usize].join(", ");
    explain(sql, &format!("EXECUTE {name}({nulls})")).await
}

/// The projector's inserts from a batch's arrays, run on generic plans, read no table: their
/// rows come from the arrays and their conflicts are found through the arbiter index. So do
/// they all folded into one statement, as a batch sends them.
#[tokio::test]
async fn the_projectors_inserts_from_arrays_scan_nothing_but_their_arrays() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    sql.batch_execute("SET plan_cache_mode = force_generic_plan")
        .await
        .unwrap();
    let inserts = inserts_from_arrays();
    assert!(inserts.len() >= 10, "{inserts:?}");
    for (index, insert) in inserts.iter().enumerate() {
        let plan = generic_plan(&sql, &format!("insert_{index}"), insert).await;
        assert!(plan.starts_with("Insert on "), "{insert}\n{plan}");
        for line in plan.lines().filter(|line| line.contains("Scan")) {
            assert!(line.contains("Function Scan on "), "{insert}\n{plan}");
        }
    }
    let folded = inserts_from_arrays_folded();
    let plan = generic_plan(&sql, "folded", &folded).await;
    assert_eq!(
        plan.matches("Insert on ").count(),
        inserts.len(),
        "{folded}\n{plan}"
    );
    for line in plan.lines().filter(|line| line.contains("Scan")) {
        assert!(line.contains("Function Scan on "), "{folded}\n{plan}");
    }
}

/// The checkpoint's statements (its locks, advances and announcement), run on generic plans,
/// read nothing but `checkpoints` (a row per partition of the log) and their arrays: no plan of
/// theirs can scan a table that grows.
#[tokio::test]
async fn the_checkpoints_statements_read_nothing_but_the_checkpoints() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    sql.batch_execute("SET plan_cache_mode = force_generic_plan")
        .await
        .unwrap();
    let statements = checkpoint_statements();
    assert_eq!(statements.len(), 5, "{statements:?}");
    for (index, statement) in statements.iter().enumerate() {
        let plan = generic_plan(&sql, &format!("checkpoint_{index}"), statement).await;
        if statement.contains("advance_checkpoint_from(") {
            // A call, which scans nothing; the function updates a checkpoint by its key.
            assert!(!plan.contains("Scan"), "{statement}\n{plan}");
            continue;
        }
        assert!(plan.contains(" on checkpoints"), "{statement}\n{plan}");
        for line in plan.lines().filter(|line| line.contains("Scan")) {
            assert!(
                line.contains(" on checkpoints")
                    || line.contains("Function Scan on ")
                    || line.contains("Subquery Scan on "),
                "{statement}\n{plan}"
            );
        }
    }
}
