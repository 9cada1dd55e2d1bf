//! The database of the Postgres log and the read models away for a while, under a projector
//! process: it waits between its attempts to read the log rather than trying in a loop, and
//! is back by itself when the database is.

use std::time::Duration;

use serde_json::json;
use testkit::TestApp;

use crate::process::ProjectorProcess;

const OUTAGE: Duration = Duration::from_secs(4);

/// A projector process whose database refuses connections for 4 s logs a few dozen lines, not
/// the hundreds of thousands of a loop that reads again at once (it wrote 16 MB/s, filling a
/// disk overnight); once the database is open again, a command is applied.
#[tokio::test(flavor = "multi_thread")]
async fn a_projector_whose_database_is_away_retries_at_a_pace_and_comes_back() {
    let mut app = TestApp::spawn().await;
    app.stop_projector().await;
    let projector = ProjectorProcess::spawn(&app.db.url, &app.log_url, 100);
    testkit::eventually(
        Duration::from_secs(20),
        "the projector process to own the partitions",
        || async { (!projector.owned_partitions().is_empty()).then_some(()) },
    )
    .await;

    let before = projector.log_lines().len();
    app.db.refuse_connections_for(OUTAGE).await;
    let during = projector.log_lines()[before..].to_vec();
    // Which of its loops meets the outage first — reading the log, resuming a partition after
    // its membership session dropped, reading checkpoints — depends on the timing; each warns.
    let failures = during
        .iter()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .count();
    assert!(
        failures >= 1,
        "the projector did not notice the outage: {during:#?}"
    );
    assert!(
        during.len() <= 100,
        "{} lines logged in {OUTAGE:?} ({failures} failures); the last ones: {:#?}",
        during.len(),
        &during[during.len().saturating_sub(5)..]
    );

    app.create_agent(json!({"name": "After the outage"})).await;
}
