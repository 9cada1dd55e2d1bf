//! A batch that continues its partition's last one is decided on the state that one left, in
//! one round trip (`read_store::projection::carried`); what that state cannot know is backed by
//! the database, and an attempt that fails is applied again the usual way.

use projector::{BatchOutcome, Projection};
use read_store::{Store, READ_MODEL_SCHEMA};
use schema::command::DeleteAgent;
use schema::{Actor, AgentId, Command, CommandRecord};
use testkit::TestApp;

use crate::batch::{create, rename};

/// The app with its projector stopped, and the partition of its tenant.
async fn stopped_app() -> (TestApp, u32) {
    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    let partition = app.log.partition_for(app.tenant);
    (app, partition)
}

/// A projection of the app's read models, as another projector process would have.
fn projection(app: &TestApp) -> Projection {
    Projection::new(Store::connect(&app.db.url, READ_MODEL_SCHEMA, 2).expect("store"))
}

/// Appends `commands` of the app's tenant; returns their records.
async fn append(app: &TestApp, commands: Vec<Command>) -> Vec<CommandRecord> {
    let mut records = Vec::new();
    for command in commands {
        let record = CommandRecord::new(app.tenant, Actor::system("test"), command);
        app.log.append(&record).await.unwrap();
        records.push(record);
    }
    records
}

/// Applies what the log holds of `partition` from `from` with `projection`, as one batch.
async fn apply_from(
    app: &TestApp,
    projection: &Projection,
    partition: u32,
    from: i64,
) -> BatchOutcome {
    let entries = app.log.read(partition, from, 100).await.unwrap();
    assert!(!entries.is_empty(), "nothing to apply from {from}");
    projection.apply_batch(partition, &entries).await.unwrap()
}

/// The next offset `partition` will apply.
async fn next_offset(app: &TestApp, partition: u32) -> i64 {
    let sql = app.sql().await;
    let row = sql
        .query_opt(
            "SELECT \"offset\" FROM checkpoints WHERE partition = $1",
            &[&(partition as i32)],
        )
        .await
        .unwrap();
    row.map_or(0, |row| row.get::<_, i64>(0) + 1)
}

/// The names of the tenant's agents, sorted.
async fn agent_names(app: &TestApp) -> Vec<String> {
    let sql = app.sql().await;
    sql.query(
        "SELECT name FROM agents WHERE tenant_id = $1 ORDER BY name",
        &[&app.tenant.to_string()],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
}

/// Checks the tenant's activity is one unbroken chain ending at its head; returns its length.
async fn activity_chain(app: &TestApp) -> i64 {
    let sql = app.sql().await;
    let tenant = app.tenant.to_string();
    let rows = sql
        .query(
            "SELECT sequence, hash, prev_hash FROM activity WHERE tenant_id = $1 ORDER BY sequence",
            &[&tenant],
        )
        .await
        .unwrap();
    let mut previous: Option<String> = None;
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(
            row.get::<_, i64>(0),
            index as i64 + 1,
            "a gap in the sequence"
        );
        if let Some(previous) = &previous {
            assert_eq!(&row.get::<_, String>(2), previous, "a broken chain");
        }
        previous = Some(row.get(1));
    }
    let head = sql
        .query_one(
            "SELECT last_sequence, last_hash FROM activity_heads WHERE tenant_id = $1",
            &[&tenant],
        )
        .await
        .unwrap();
    assert_eq!(head.get::<_, i64>(0), rows.len() as i64);
    assert_eq!(head.get::<_, String>(1), previous.unwrap_or_default());
    rows.len() as i64
}

/// The error code of a command's outcome (`None`: accepted).
async fn outcome_code(app: &TestApp, record: &CommandRecord) -> Option<String> {
    let sql = app.sql().await;
    sql.query_one(
        "SELECT error_code FROM command_outcomes WHERE command_id = $1",
        &[&record.command_id.to_string()],
    )
    .await
    .unwrap()
    .get(0)
}

fn committed(outcome: &BatchOutcome) -> usize {
    match outcome {
        BatchOutcome::Committed { applied, .. } => *applied,
        other => panic!("not committed: {other:?}"),
    }
}

/// Batches that continue the last one and need only what it knew (the tenant, its head, agents
/// it wrote, names it saw) are decided on it, and write exactly what the usual way writes: an
/// unbroken activity chain, names freed and taken again. A batch that needs more (a delete
/// reads the agent's active sessions) is applied the usual way.
#[tokio::test(flavor = "multi_thread")]
async fn batches_that_continue_the_last_one_are_decided_on_what_it_left() {
    let (app, partition) = stopped_app().await;
    let projection = projection(&app);
    let (one, two, three) = (AgentId::new(), AgentId::new(), AgentId::new());
    let chain_before = activity_chain(&app).await;

    let mut from = next_offset(&app, partition).await;
    for (commands, on_carried) in [
        (vec![create(one, "one")], 0),
        (vec![create(two, "two")], 1),
        (vec![rename(one, "uno")], 2),
        (vec![create(three, "One")], 3),
        (vec![Command::DeleteAgent(DeleteAgent { agent_id: two })], 3),
    ] {
        let count = commands.len();
        append(&app, commands).await;
        let outcome = apply_from(&app, &projection, partition, from).await;
        assert_eq!(committed(&outcome), count);
        from += count as i64;
        let counts = projection.carried_counts();
        assert_eq!((counts.committed, counts.failed), (on_carried, 0));
    }
    assert_eq!(agent_names(&app).await, ["One", "uno"]);
    // Five accepted commands, each one public event.
    assert_eq!(activity_chain(&app).await, chain_before + 5);
    assert_eq!(next_offset(&app, partition).await, from);
}

/// A projector whose carried state is stale — another one applied the partition's next batch
/// meanwhile — fails its attempt when it gets that batch again (the checkpoint moved, and the
/// batch's commands have outcomes), the usual way sees the batch applied, and nothing is
/// written twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_carried_state_fails_its_attempt_and_nothing_is_applied_twice() {
    let (app, partition) = stopped_app().await;
    let (first, second) = (projection(&app), projection(&app));
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(AgentId::new(), "one")]).await;
    committed(&apply_from(&app, &first, partition, from).await);
    let chain = activity_chain(&app).await;

    append(&app, vec![create(AgentId::new(), "two")]).await;
    assert_eq!(
        committed(&apply_from(&app, &second, partition, from + 1).await),
        1
    );
    // The first projector, carrying the state of offset `from`, is handed the same batch.
    let again = apply_from(&app, &first, partition, from + 1).await;

    assert_eq!(again, BatchOutcome::AlreadyApplied);
    let counts = first.carried_counts();
    assert_eq!((counts.committed, counts.failed), (0, 1));
    assert_eq!(agent_names(&app).await, ["one", "two"]);
    assert_eq!(activity_chain(&app).await, chain + 1);
}

/// A name the carried state does not know is taken as free; if an agent the state never saw
/// holds it, the agents' name constraint fails the attempt at COMMIT and the usual way rejects
/// the command, as it would have without the carried state.
#[tokio::test(flavor = "multi_thread")]
async fn a_name_the_carried_state_did_not_see_taken_is_refused_at_commit() {
    let (app, partition) = stopped_app().await;
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(AgentId::new(), "taken")]).await;
    committed(&apply_from(&app, &projection(&app), partition, from).await);

    // A projector started since knows only what its own batches read.
    let restarted = projection(&app);
    append(&app, vec![create(AgentId::new(), "other")]).await;
    committed(&apply_from(&app, &restarted, partition, from + 1).await);
    let records = append(&app, vec![create(AgentId::new(), "TAKEN")]).await;
    let outcome = apply_from(&app, &restarted, partition, from + 2).await;

    assert_eq!(committed(&outcome), 1);
    let counts = restarted.carried_counts();
    assert_eq!((counts.committed, counts.failed), (0, 1));
    assert_eq!(
        outcome_code(&app, &records[0]).await.as_deref(),
        Some("CONFLICT")
    );
    assert_eq!(agent_names(&app).await, ["other", "taken"]);
}

/// A command the carried state does not know as decided — appended again by a retried append,
/// after it was decided before the state was taken — is decided again on it, and the outcomes'
/// key fails that attempt: the usual way finds it decided and passes over it.
#[tokio::test(flavor = "multi_thread")]
async fn a_command_appended_again_is_decided_once_even_unknown_to_the_carried_state() {
    let (app, partition) = stopped_app().await;
    let from = next_offset(&app, partition).await;
    let records = append(&app, vec![create(AgentId::new(), "once")]).await;
    committed(&apply_from(&app, &projection(&app), partition, from).await);
    let chain = activity_chain(&app).await;

    let restarted = projection(&app);
    append(&app, vec![create(AgentId::new(), "other")]).await;
    committed(&apply_from(&app, &restarted, partition, from + 1).await);
    app.log.append(&records[0]).await.unwrap();
    let outcome = apply_from(&app, &restarted, partition, from + 2).await;

    assert_eq!(committed(&outcome), 0, "the copy is passed over");
    let counts = restarted.carried_counts();
    assert_eq!((counts.committed, counts.failed), (0, 1));
    assert_eq!(agent_names(&app).await, ["once", "other"]);
    assert_eq!(activity_chain(&app).await, chain + 1);
    assert_eq!(next_offset(&app, partition).await, from + 3);
}

/// Whatever moved the checkpoint since the carried state was left (here: set further along, as
/// a rebuild swapped in ahead would), the attempt's advance from the state's offset fails its
/// transaction — even where no key would: the batch's command was decided nowhere — and the
/// usual way follows the checkpoint.
#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_moved_by_anything_else_fails_the_attempt_before_any_write() {
    let (app, partition) = stopped_app().await;
    let projection = projection(&app);
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(AgentId::new(), "one")]).await;
    committed(&apply_from(&app, &projection, partition, from).await);
    append(&app, vec![create(AgentId::new(), "two")]).await;
    app.sql()
        .await
        .execute(
            "UPDATE checkpoints SET \"offset\" = $2 WHERE partition = $1",
            &[&(partition as i32), &(from + 1)],
        )
        .await
        .unwrap();

    let outcome = apply_from(&app, &projection, partition, from + 1).await;

    assert_eq!(outcome, BatchOutcome::AlreadyApplied);
    let counts = projection.carried_counts();
    assert_eq!((counts.committed, counts.failed), (0, 1));
    assert_eq!(agent_names(&app).await, ["one"]);
}
