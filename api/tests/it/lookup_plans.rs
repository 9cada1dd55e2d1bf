//! The statements the API runs on generic-plan connections (`Store::lookup_client`) are index
//! lookups whatever the tables hold: checked on a fresh database, where the tables are empty and
//! never analysed — the case in which a generic plan would pick a scan if one were possible.

use testkit::TestApp;

#[tokio::test]
async fn every_lookup_statement_plans_as_an_index_lookup_on_empty_tables() {
    let app = TestApp::spawn().await;
    let sql = app.sql().await;
    sql.batch_execute("SET plan_cache_mode = force_generic_plan")
        .await
        .unwrap();
    let statements = read_store::store::lookup_statements();
    assert!(statements.len() >= 4, "{statements:?}");
    for (index, (statement, arguments)) in statements.iter().enumerate() {
        sql.batch_execute(&format!("PREPARE lookup_{index} AS {statement}"))
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        let arguments: Vec<String> = arguments
            .iter()
            .map(|argument| format!("'{}'", argument.replace('\'', "''")))
            .collect();
        let plan: Vec<String> = sql
            .query(
                &format!("EXPLAIN EXECUTE lookup_{index}({})", arguments.join(", ")),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect();
        let plan = plan.join("\n");
        // The index must be a unique one: a generic plan made on empty tables may otherwise
        // pick any index with the key's columns among others (`agents_by_status` for an agent by
        // id) and scan every row of the tenant on each lookup, forever after.
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
            assert!(
                unique,
                "{statement}\nscans {index}, not a unique index:\n{plan}"
            );
        }
        // An insert from values scans nothing; its conflicts are found through the index.
        assert!(
            plan.contains("Index Scan")
                || plan.contains("Index Only Scan")
                || plan.contains("Conflict Arbiter Indexes"),
            "{statement}\n{plan}"
        );
        assert!(!plan.contains("Seq Scan"), "{statement}\n{plan}");
    }
}
