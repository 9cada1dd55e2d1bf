//! A request waiting for its command answers from the projector's notification when the batch
//! that decided its record says it accepted it, and reads its outcome in every other case.
//! The notifications here are sent by hand, for offsets far past anything the test app's own
//! projector writes, and for commands whose outcome is stored (or not) by hand: an answer
//! given without the notification's word, or in spite of it, shows.

use std::collections::BTreeSet;
use std::time::Duration;

use api::outcome_waiter::{Decided, OutcomeWaiter};
use event_log::Position;
use read_store::outcomes::Outcome;
use read_store::projection::{DecidedBatch, APPLIED_CHANNEL, DECIDED_CHANNEL};
use read_store::{Store, READ_MODEL_SCHEMA};
use schema::CommandId;
use testkit::TestApp;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const PARTITIONS: u32 = 4;
/// Far past the offsets of the test app's own commands.
const FAR: i64 = 1_000_000_000;

struct Waiting {
    app: TestApp,
    waiter: OutcomeWaiter,
    sql: tokio_postgres::Client,
    _stop: tokio_util::sync::DropGuard,
}

impl Waiting {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let store = Store::connect(&app.db.url, READ_MODEL_SCHEMA, 2).unwrap();
        let stop = CancellationToken::new();
        let waiter = OutcomeWaiter::start(app.db.url.clone(), store, PARTITIONS, stop.clone());
        let sql = app.sql().await;
        // The listener is up once a notification of its own reaches a waiter.
        let probe = Position {
            partition: 0,
            offset: FAR - 1,
        };
        {
            let deadline = Instant::now() + Duration::from_secs(10);
            let waiting = waiter.wait(CommandId::new(), probe, deadline);
            let mut waiting = std::pin::pin!(waiting);
            loop {
                tokio::select! {
                    outcome = &mut waiting => {
                        let outcome = outcome.unwrap().map(|decided| decided.outcome);
                        assert_eq!(outcome, Some(Outcome::Accepted), "no listener");
                        break;
                    }
                    () = tokio::time::sleep(Duration::from_millis(50)) => {
                        let payload = format!("{READ_MODEL_SCHEMA} 0 {} {} ", FAR - 1, FAR - 1);
                        notify_decided(&sql, &payload).await;
                    }
                }
            }
        }
        Self {
            app,
            waiter,
            sql,
            _stop: stop.drop_guard(),
        }
    }

    /// What a waiter for `command` at `position` answers, given up after one second.
    async fn outcome(&self, command: CommandId, position: Position) -> Option<Decided> {
        let deadline = Instant::now() + Duration::from_secs(1);
        self.waiter.wait(command, position, deadline).await.unwrap()
    }

    /// Stores a rejection as the outcome of `command`.
    async fn store_rejection(&self, command: CommandId, position: Position) {
        self.store_outcome(command, position, false).await;
    }

    /// Stores an outcome of `command` decided at `position`: accepted, or rejected (`CONFLICT`).
    async fn store_outcome(&self, command: CommandId, position: Position, accepted: bool) {
        self.sql
            .execute(
                "INSERT INTO command_outcomes (command_id, tenant_id, partition, \"offset\", kind,
                                               accepted, error_code, error_message, event_count,
                                               decided_at)
                 VALUES ($1, $2, $3, $4, 'create_agent', $5,
                         CASE WHEN NOT $5 THEN 'CONFLICT' END, CASE WHEN NOT $5 THEN 'taken' END,
                         0, now())",
                &[
                    &command.to_string(),
                    &self.app.tenant.to_string(),
                    &(position.partition as i32),
                    &position.offset,
                    &accepted,
                ],
            )
            .await
            .unwrap();
    }
}

async fn notify_decided(sql: &tokio_postgres::Client, payload: &str) {
    sql.execute("SELECT pg_notify($1, $2)", &[&DECIDED_CHANNEL, &payload])
        .await
        .unwrap();
}

/// [`notify_decided`] once the waiter has had 100 ms to start waiting.
async fn notify_decided_soon(sql: &tokio_postgres::Client, payload: &str) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    notify_decided(sql, payload).await;
}

fn at(partition: u32, offset: i64) -> Position {
    Position { partition, offset }
}

#[tokio::test]
async fn a_record_the_batch_accepted_is_answered_without_its_outcome() {
    let waiting = Waiting::start().await;
    let command = CommandId::new();
    let wait = waiting.outcome(command, at(2, FAR + 7));
    let payload = format!("{READ_MODEL_SCHEMA} 2 {} {} {}", FAR + 5, FAR + 9, FAR + 6);
    let tell = notify_decided_soon(&waiting.sql, &payload);
    let (outcome, ()) = tokio::join!(wait, tell);
    // No outcome is stored for the command: only the notification can have said so, and it
    // said this very record was accepted.
    assert_eq!(
        outcome,
        Some(Decided {
            outcome: Outcome::Accepted,
            this_record: true,
            sequence: None,
        })
    );
}

#[tokio::test]
async fn a_record_the_batch_names_to_read_gets_its_stored_outcome() {
    let waiting = Waiting::start().await;
    let command = CommandId::new();
    let position = at(1, FAR + 6);
    waiting.store_rejection(command, position).await;
    let wait = waiting.outcome(command, position);
    let payload = format!("{READ_MODEL_SCHEMA} 1 {} {} {}", FAR + 5, FAR + 9, FAR + 6);
    let tell = notify_decided_soon(&waiting.sql, &payload);
    let (outcome, ()) = tokio::join!(wait, tell);
    match outcome.map(|decided| decided.outcome) {
        Some(Outcome::Rejected(rejection)) => assert_eq!(rejection.code.as_str(), "CONFLICT"),
        other => panic!("expected the stored rejection, got {other:?}"),
    }
}

/// A batch that accepted a message tells the sequence it got, and its waiter hears it.
#[tokio::test]
async fn a_message_the_batch_accepted_is_answered_with_its_sequence() {
    let waiting = Waiting::start().await;
    let (message, other) = (CommandId::new(), CommandId::new());
    let payload = format!(
        "{READ_MODEL_SCHEMA} 2 {} {} {} {}:41",
        FAR + 5,
        FAR + 9,
        FAR + 6,
        FAR + 7
    );
    let wait = futures::future::join(
        waiting.outcome(message, at(2, FAR + 7)),
        waiting.outcome(other, at(2, FAR + 8)),
    );
    let tell = notify_decided_soon(&waiting.sql, &payload);
    let ((message, other), ()) = tokio::join!(wait, tell);
    let told = |sequence| {
        Some(Decided {
            outcome: Outcome::Accepted,
            this_record: true,
            sequence,
        })
    };
    assert_eq!(message, told(Some(41)));
    assert_eq!(other, told(None), "accepted, no message");
}

/// A second append of a command decided before (a retry with its `Idempotency-Key`) is named to
/// read: its waiter gets the first record's acceptance, not as its own record's.
#[tokio::test]
async fn a_record_accepted_as_an_earlier_one_is_not_accepted_as_itself() {
    let waiting = Waiting::start().await;
    let command = CommandId::new();
    waiting.store_outcome(command, at(1, FAR + 2), true).await;
    let retried = at(1, FAR + 6);
    let wait = waiting.outcome(command, retried);
    let payload = format!("{READ_MODEL_SCHEMA} 1 {} {} {}", FAR + 5, FAR + 9, FAR + 6);
    let tell = notify_decided_soon(&waiting.sql, &payload);
    let (outcome, ()) = tokio::join!(wait, tell);
    assert_eq!(
        outcome,
        Some(Decided {
            outcome: Outcome::Accepted,
            this_record: false,
            sequence: None,
        })
    );
}

/// A rebuild's batches (written to another schema), a bare watermark (a projector of an older
/// build, or a record stored as failed) and a batch that ended before the record say nothing
/// of it: the waiter reads, finds no outcome, and gives up at its deadline.
#[tokio::test]
async fn nothing_but_a_batch_of_the_schema_read_that_covers_the_record_answers_for_it() {
    let waiting = Waiting::start().await;
    let command = CommandId::new();
    let position = at(3, FAR + 20);
    let wait = waiting.outcome(command, position);
    let tell = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let rebuild = format!("readmodel_rebuild 3 {} {} ", FAR + 20, FAR + 20);
        notify_decided(&waiting.sql, &rebuild).await;
        let watermark = format!("3:{}", FAR + 21);
        waiting
            .sql
            .execute("SELECT pg_notify($1, $2)", &[&APPLIED_CHANNEL, &watermark])
            .await
            .unwrap();
        let later = format!("{READ_MODEL_SCHEMA} 3 {} {} ", FAR + 22, FAR + 23);
        notify_decided(&waiting.sql, &later).await;
    };
    let (outcome, ()) = tokio::join!(wait, tell);
    assert_eq!(outcome, None);
}

/// The projector's side: for every record it decides, its batch's notification says accepted
/// exactly when the record's own decision accepted it — not for a rejection, and not for a
/// second append of a command already decided (whose outcome is the first one's).
#[tokio::test]
async fn the_projector_tells_accepted_exactly_the_records_it_accepted() {
    use schema::command::CreateAgent;
    use schema::{Actor, AgentId, Command, CommandRecord};

    let app = TestApp::spawn().await;
    let told = ToldBatches::listen(&app).await;
    let sql = app.sql().await;

    let mut positions = Vec::new();
    for i in 0..60 {
        // Every fifth name is taken already (rejected); every seventh record is appended twice.
        let name = if i % 5 == 4 {
            format!("a{}", i - 1)
        } else {
            format!("a{i}")
        };
        let record = CommandRecord::new(
            app.tenant,
            Actor::system("test"),
            Command::CreateAgent(CreateAgent {
                agent_id: AgentId::new(),
                name,
                role: None,
                description: None,
                soul: None,
                config: Default::default(),
                gateway_secret: None,
            }),
        );
        positions.push(app.log.append(&record).await.unwrap());
        if i % 7 == 0 {
            positions.push(app.log.append(&record).await.unwrap());
        }
    }
    let batches = told.up_to(*positions.last().unwrap()).await;

    let (mut accepted, mut to_read) = (0, 0);
    for position in &positions {
        let stored: Option<bool> = sql
            .query_opt(
                "SELECT accepted FROM command_outcomes WHERE partition = $1 AND \"offset\" = $2",
                &[&(position.partition as i32), &position.offset],
            )
            .await
            .unwrap()
            .map(|row| row.get(0));
        let batch = batch_of(&batches, *position);
        assert_eq!(batch.schema, READ_MODEL_SCHEMA);
        // Accepted by its own decision: an outcome stored for this very offset, accepted.
        let expected = stored == Some(true);
        assert_eq!(batch.accepted(position.offset), expected, "{position:?}");
        if expected {
            accepted += 1;
        } else {
            to_read += 1;
        }
    }
    // 60 records, 12 of them rejected, and 9 second appends.
    assert_eq!((accepted, to_read), (48, 21));
}

/// The projector's side for messages: each accepted message is told with the sequence stored
/// for it — the sequence its request answers with, without reading the message back. A second
/// append of one (a retry) is named to read, with no sequence.
#[tokio::test(flavor = "multi_thread")]
async fn the_projector_tells_each_accepted_message_with_its_stored_sequence() {
    use schema::command::PostMessage;
    use schema::session::MessageRole;
    use schema::{Actor, Command, CommandRecord, MessageId};

    let app = TestApp::spawn().await;
    let agent = app.create_agent(serde_json::json!({"name": "Nova"})).await;
    let session = app.open_session(&agent).await;
    let told = ToldBatches::listen(&app).await;
    let sql = app.sql().await;

    let mut posted = Vec::new();
    for i in 0..30 {
        let message_id = MessageId::new();
        let record = CommandRecord::new(
            app.tenant,
            Actor::system("test"),
            Command::PostMessage(PostMessage {
                message_id,
                session_id: session.parse().unwrap(),
                agent_id: agent.parse().unwrap(),
                role: MessageRole::User,
                content: format!("message {i}"),
                usage: None,
                tool_calls: Vec::new(),
                cron_session: false,
            }),
        );
        posted.push((message_id, app.log.append(&record).await.unwrap(), true));
        if i % 7 == 0 {
            posted.push((message_id, app.log.append(&record).await.unwrap(), false));
        }
    }
    let batches = told.up_to(posted.last().unwrap().1).await;
    for (message_id, position, first) in &posted {
        let stored: i64 = sql
            .query_one(
                "SELECT sequence FROM messages WHERE id = $1",
                &[&message_id.to_string()],
            )
            .await
            .unwrap()
            .get(0);
        let batch = batch_of(&batches, *position);
        let expected = first.then_some(stored);
        assert_eq!(batch.sequence(position.offset), expected, "{position:?}");
        assert_eq!(batch.accepted(position.offset), *first, "{position:?}");
    }
    let sequences: BTreeSet<i64> = posted
        .iter()
        .filter_map(|(_, position, _)| {
            batches.iter().find_map(|b| {
                (b.partition == position.partition)
                    .then(|| b.sequence(position.offset))
                    .flatten()
            })
        })
        .collect();
    assert_eq!(sequences, (1..=30).collect::<BTreeSet<_>>());
}

/// The `agenfleet_decided` payloads of the test app's projector, heard from a listener of their
/// own.
struct ToldBatches {
    told: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _stop: tokio_util::sync::DropGuard,
}

impl ToldBatches {
    /// Listening once a notification of its own has come back.
    async fn listen(app: &TestApp) -> Self {
        let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let stop = CancellationToken::new();
        let sink = told.clone();
        tokio::spawn(read_store::listener::listen(
            app.db.url.clone(),
            vec![DECIDED_CHANNEL],
            stop.clone().cancelled_owned(),
            move |_, payload| sink.lock().unwrap().push(payload.to_owned()),
        ));
        let sql = app.sql().await;
        testkit::eventually(Duration::from_secs(10), "the listener", || async {
            notify_decided(&sql, "probe").await;
            (!told.lock().unwrap().is_empty()).then_some(())
        })
        .await;
        Self {
            told,
            _stop: stop.drop_guard(),
        }
    }

    /// The batches told, once one covers `last`.
    async fn up_to(&self, last: Position) -> Vec<DecidedBatch> {
        testkit::eventually(Duration::from_secs(30), "every record told", || async {
            let batches: Vec<_> = self
                .told
                .lock()
                .unwrap()
                .iter()
                .filter_map(|payload| DecidedBatch::parse(payload))
                .collect();
            batches
                .iter()
                .any(|b| b.partition == last.partition && (b.first..=b.last).contains(&last.offset))
                .then_some(batches)
        })
        .await
    }
}

/// The batch that told of `position`.
fn batch_of(batches: &[DecidedBatch], position: Position) -> &DecidedBatch {
    batches
        .iter()
        .find(|b| {
            b.partition == position.partition && (b.first..=b.last).contains(&position.offset)
        })
        .unwrap_or_else(|| panic!("no batch told of {position:?}"))
}
