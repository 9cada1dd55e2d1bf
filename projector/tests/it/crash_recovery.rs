use std::time::Duration;

use testkit::{LogKind, TestApp};

use crate::process::ProjectorProcess;
use crate::workload::{append_agents, assert_applied_exactly_once, decided, wait_until_decided};

/// Appends a history, then kills the projector process (SIGKILL) three times while it is
/// applying batches, and lets a last one finish: every command must be applied exactly once.
async fn kill_mid_batch_then_recover(kind: LogKind) {
    let mut app = TestApp::spawn_on(kind).await;
    app.stop_projector().await;
    // Enough small batches that a kill lands mid-way even when the projector is fast.
    let expected = append_agents(app.log.as_ref(), app.tenant, 600).await;
    let mut last = decided(&app, app.tenant).await;
    for round in 0..3 {
        let mut projector = ProjectorProcess::spawn(&app.db.url, &app.log_url, 4);
        testkit::eventually(
            Duration::from_secs(60),
            "the projector to make progress",
            || async {
                let now = decided(&app, app.tenant).await;
                (now > last).then_some(())
            },
        )
        .await;
        projector.kill().await;
        let now = decided(&app, app.tenant).await;
        assert!(
            now < expected.commands,
            "round {round}: the kill came too late to interrupt anything"
        );
        last = now;
    }
    let mut projector = ProjectorProcess::spawn(&app.db.url, &app.log_url, 10);
    wait_until_decided(
        &app,
        app.tenant,
        expected.commands,
        Duration::from_secs(120),
    )
    .await;
    let status = projector.terminate().await;
    assert!(
        status.success(),
        "SIGTERM should stop the projector cleanly: {status:?}"
    );
    assert_applied_exactly_once(&app, app.tenant, &expected).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_projector_mid_batch_applies_every_command_exactly_once_on_the_postgres_log() {
    kill_mid_batch_then_recover(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_projector_mid_batch_applies_every_command_exactly_once_on_the_kafka_log() {
    let broker = testkit::kafka::Broker::start().await;
    kill_mid_batch_then_recover(broker.log_kind()).await;
}
