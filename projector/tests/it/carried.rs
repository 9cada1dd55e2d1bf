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
    projection_with_pool(app, 2)
}

/// [`projection`] with `connections` pooled for its batches.
fn projection_with_pool(app: &TestApp, connections: usize) -> Projection {
    Projection::new(Store::connect(&app.db.url, READ_MODEL_SCHEMA, connections).expect("store"))
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

/// A projector started after another one applied the creation of an agent named "taken":
/// once it applied a batch of its own (a create of "other"), its carried state knows nothing
/// of that agent. Returns it, and the partition's next offset.
async fn restarted_without_seeing_taken(app: &TestApp, partition: u32) -> (Projection, i64) {
    let from = next_offset(app, partition).await;
    append(app, vec![create(AgentId::new(), "taken")]).await;
    committed(&apply_from(app, &projection(app), partition, from).await);
    let restarted = projection(app);
    append(app, vec![create(AgentId::new(), "other")]).await;
    committed(&apply_from(app, &restarted, partition, from + 1).await);
    (restarted, from + 2)
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
    let (restarted, next) = restarted_without_seeing_taken(&app, partition).await;
    let records = append(&app, vec![create(AgentId::new(), "TAKEN")]).await;
    let outcome = apply_from(&app, &restarted, partition, next).await;

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

/// A batch decided on what the batch before it leaves, and sent before that one's COMMIT is
/// answered, never commits on it if that one fails — even where the usual way, applying the
/// failed batch again, brings the checkpoint back to the same offset by other decisions: each
/// such batch writes a token of its own beside the checkpoint, and the next advances it only
/// from that offset and that token.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_sent_behind_one_that_fails_never_commits_on_what_that_one_left() {
    let (app, partition) = stopped_app().await;
    let (restarted, next) = restarted_without_seeing_taken(&app, partition).await;

    // A create with a name the state takes as free (an agent it never saw holds it), and
    // behind it a rename of the agent it creates, which exists only in what the first leaves.
    let agent = AgentId::new();
    let records = append(&app, vec![create(agent, "TAKEN"), rename(agent, "renamed")]).await;
    let entries = app.log.read(partition, next, 100).await.unwrap();
    let (first, behind) = entries.split_at(1);
    let first_sent = restarted
        .prepare(partition, first)
        .expect("on the carried state");
    let behind_sent = restarted
        .prepare(partition, behind)
        .expect("on what the first leaves");

    // The first fails at COMMIT (the name is held); applied again the usual way, its create
    // is refused and the checkpoint is where the first would have put it.
    assert!(restarted.send(first_sent).await.is_err());
    committed(&restarted.apply_batch(partition, first).await.unwrap());
    assert_eq!(next_offset(&app, partition).await, next + 1);
    // The batch behind it is refused all the same, and the usual way finds no agent to rename.
    assert!(restarted.send(behind_sent).await.is_err());
    committed(&restarted.apply_batch(partition, behind).await.unwrap());

    let codes = [
        outcome_code(&app, &records[0]).await,
        outcome_code(&app, &records[1]).await,
    ];
    assert_eq!(
        codes.each_ref().map(Option::as_deref),
        [Some("CONFLICT"), Some("AGENT_NOT_FOUND")]
    );
    assert_eq!(agent_names(&app).await, ["other", "taken"]);
    let counts = restarted.carried_counts();
    assert_eq!((counts.committed, counts.failed), (0, 2));
    activity_chain(&app).await;
}

/// The projector sends a partition's next batch behind the one in flight, decided on what
/// that one leaves (here, while the checkpoint is held so that neither can finish), and
/// every command is applied once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn the_projector_sends_a_partitions_next_batch_before_the_last_one_commits() {
    let (app, partition) = stopped_app().await;
    let chain = activity_chain(&app).await;
    let running = Running::start(&app);
    let agents: Vec<AgentId> = (0..8).map(|_| AgentId::new()).collect();
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(agents[0], "a0"), create(agents[1], "a1")]).await;
    wait_for_offset(&app, partition, from + 2).await;

    // The checkpoint held: the next batch, decided on what the last one left, waits for it on
    // the server, and the one after it is sent behind it.
    let mut sql = app.sql().await;
    let holder = hold_checkpoint(&mut sql, partition).await;
    let mut commands: Vec<Command> = (2..8)
        .map(|i| create(agents[i], &format!("a{i}")))
        .collect();
    commands.push(rename(agents[0], "first"));
    commands.push(rename(agents[7], "last"));
    for command in commands {
        append(&app, vec![command]).await;
    }
    running.sent_behind(1).await;
    holder.commit().await.unwrap();
    wait_for_offset(&app, partition, from + 10).await;
    running.stop().await;

    let mut expected: Vec<String> = (1..7).map(|i| format!("a{i}")).collect();
    expected.extend(["first".to_owned(), "last".to_owned()]);
    expected.sort();
    assert_eq!(agent_names(&app).await, expected);
    assert_eq!(activity_chain(&app).await, chain + 10);
}

/// Waits until `partition` has applied every offset before `next`.
async fn wait_for_offset(app: &TestApp, partition: u32, next: i64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while next_offset(app, partition).await < next {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not applied up to {next}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A batch that fails with batches sent behind it on its connection (here: a name its state
/// took as free, and behind it a rename of the agent it creates): they fail with it, and all
/// are applied again the usual way, as if never tried on the carried state.
#[tokio::test(flavor = "multi_thread")]
async fn batches_sent_behind_one_that_fails_are_applied_again_the_usual_way() {
    let (app, partition) = stopped_app().await;
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(AgentId::new(), "taken")]).await;
    committed(&apply_from(&app, &projection(&app), partition, from).await);
    // Started since: its state knows nothing of the agent named "taken".
    let running = Running::start(&app);
    append(&app, vec![create(AgentId::new(), "a0")]).await;
    wait_for_offset(&app, partition, from + 2).await;

    let mut sql = app.sql().await;
    let holder = hold_checkpoint(&mut sql, partition).await;
    let agent = AgentId::new();
    let first = append(&app, vec![create(agent, "TAKEN")]).await;
    // Sent, and waiting on the server for the checkpoint.
    waiting_for_a_lock(&app).await;
    let behind = append(&app, vec![rename(agent, "renamed")]).await;
    running.sent_behind(1).await;
    append(&app, vec![create(AgentId::new(), "a1")]).await;
    holder.commit().await.unwrap();
    wait_for_offset(&app, partition, from + 5).await;
    running.stop().await;

    assert_eq!(
        outcome_code(&app, &first[0]).await.as_deref(),
        Some("CONFLICT")
    );
    assert_eq!(
        outcome_code(&app, &behind[0]).await.as_deref(),
        Some("AGENT_NOT_FOUND")
    );
    assert_eq!(agent_names(&app).await, ["a0", "a1", "taken"]);
    activity_chain(&app).await;
}

/// A partition's batch sent on its carried state hands its connection to a batch sent behind
/// it only while it is in flight. A partition that goes idle after such a batch keeps no
/// connection from the pool (here, of one): another partition's batch still gets one. (Once
/// kept, with every partition that went idle holding one, a batch whose attempt on the carried
/// state failed waited for a connection to apply it again the usual way, and its partition
/// stopped: seen in the takeover test of `sharing`.)
#[tokio::test(flavor = "multi_thread")]
async fn a_partition_gone_idle_after_a_batch_on_its_carried_state_keeps_no_connection() {
    let mut app = TestApp::spawn().await;
    let partition = app.log.partition_for(app.tenant);
    let (other, _) = app.create_tenant_placed(partition, false).await;
    let elsewhere = app.log.partition_for(other);
    app.stop_projector().await;
    let running = Running::with_pool(&app, 1);
    let from = next_offset(&app, partition).await;
    append(&app, vec![create(AgentId::new(), "a0")]).await;
    wait_for_offset(&app, partition, from + 1).await;
    append(&app, vec![create(AgentId::new(), "a1")]).await;
    wait_for_offset(&app, partition, from + 2).await;
    running.counted(CARRIED, 1).await;

    let next_elsewhere = next_offset(&app, elsewhere).await;
    let record = CommandRecord::new(
        other,
        Actor::system("test"),
        create(AgentId::new(), "elsewhere"),
    );
    app.log.append(&record).await.unwrap();
    wait_for_offset(&app, elsewhere, next_elsewhere + 1).await;
    running.stop().await;
    assert_eq!(outcome_code(&app, &record).await, None);
}

/// The counter of batches committed on their partition's carried state.
const CARRIED: &str = "agenfleet_projector_carried_batches_total";

/// A projector process's loop, run over the app's log in batches of at most four records.
struct Running {
    metrics: ops::Metrics,
    shutdown: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn start(app: &TestApp) -> Self {
        Self::with_pool(app, 2)
    }

    /// With `connections` pooled for its batches.
    fn with_pool(app: &TestApp, connections: usize) -> Self {
        let metrics = ops::Metrics::new();
        let options = event_log::ConsumerOptions {
            max_batch: 4,
            ..Default::default()
        };
        let shutdown = tokio_util::sync::CancellationToken::new();
        let projector = projector::Projector::with_metrics(
            projection_with_pool(app, connections),
            app.log.clone(),
            options,
            &metrics,
        );
        let task = tokio::spawn(projector.run(shutdown.clone()));
        Self {
            metrics,
            shutdown,
            task,
        }
    }

    /// Waits until `count` batches were sent behind another of their partition.
    async fn sent_behind(&self, count: u64) {
        self.counted(projector::worker::SENT_BEHIND, count).await;
    }

    /// Waits until the counter `name` reaches `count`.
    async fn counted(&self, name: &str, count: u64) {
        let counter = self.metrics.counter(name, "");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while counter.get() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} did not reach {count}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

/// Holds `partition`'s checkpoint (its row locked) until the transaction returned ends.
async fn hold_checkpoint(
    sql: &mut tokio_postgres::Client,
    partition: u32,
) -> tokio_postgres::Transaction<'_> {
    let holder = sql.transaction().await.unwrap();
    holder
        .execute(
            "SELECT 1 FROM checkpoints WHERE partition = $1 FOR UPDATE",
            &[&(partition as i32)],
        )
        .await
        .unwrap();
    holder
}

/// Waits until a session of the app's database waits for a lock.
async fn waiting_for_a_lock(app: &TestApp) {
    let sql = app.sql().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let waiting: i64 = sql
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no batch waits");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
