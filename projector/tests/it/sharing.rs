use std::time::Duration;

use schema::tenant::Plan;
use testkit::{LogKind, TestApp};

use crate::process::ProjectorProcess;
use crate::workload::{append_agents, wait_until_decided};

/// Two projector processes split the partitions; killing one moves its partitions to the other,
/// which then applies the records of every tenant.
async fn two_projectors_share_and_take_over(kind: LogKind) {
    let mut app = TestApp::spawn_on(kind).await;
    app.stop_projector().await;
    let mut first = ProjectorProcess::spawn(&app.db.url, &app.log_url, 100);
    let second = ProjectorProcess::spawn(&app.db.url, &app.log_url, 100);
    let partitions = app.log.partitions() as usize;
    testkit::eventually(
        Duration::from_secs(30),
        "both projectors to own a share",
        || async {
            let (a, b) = (first.owned_partitions(), second.owned_partitions());
            (!a.is_empty()
                && !b.is_empty()
                && a.len() + b.len() == partitions
                && a.iter().all(|p| !b.contains(p)))
            .then_some(())
        },
    )
    .await;

    // Tenants spread over the partitions, so both projectors have work.
    let mut tenants = vec![app.tenant];
    for _ in 0..5 {
        tenants.push(app.create_tenant(Plan::Foundation).await.0);
    }
    let mut expected = Vec::new();
    for tenant in &tenants {
        expected.push(append_agents(app.log.as_ref(), *tenant, 20).await);
    }
    for (tenant, expected) in tenants.iter().zip(&expected) {
        wait_until_decided(&app, *tenant, expected.commands, Duration::from_secs(60)).await;
    }

    // Appended right after the kill; how long each tenant's commands took to apply is the
    // failover's cost, for the partitions that moved and for those the survivor kept (printed,
    // not asserted: docs/BENCHMARKS.md reports it).
    let kept = second.owned_partitions();
    first.kill().await;
    let killed = std::time::Instant::now();
    let mut more = Vec::new();
    for tenant in &tenants {
        more.push(append_agents(app.log.as_ref(), *tenant, 10).await);
    }
    let waits = tenants
        .iter()
        .zip(&mut expected)
        .zip(more)
        .map(|((tenant, before), after)| {
            before.commands += after.commands;
            let (app, commands) = (&app, before.commands);
            async move {
                wait_until_decided(app, *tenant, commands, Duration::from_secs(120)).await;
                (app.log.partition_for(*tenant), killed.elapsed())
            }
        });
    // A minute for all; on timeout, what the survivor said and where the partitions stand.
    let applied =
        match tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(waits)).await
        {
            Ok(applied) => applied,
            Err(_) => {
                explain_stall(&app, &tenants, &expected, &second).await;
                panic!("the commands appended after the kill were not all decided within 60 s");
            }
        };
    let slowest = |kept_by_survivor: bool| {
        applied
            .iter()
            .filter(|(partition, _)| kept.contains(partition) == kept_by_survivor)
            .map(|(_, elapsed)| elapsed.as_secs_f64())
            .fold(None, |max: Option<f64>, e| {
                Some(max.map_or(e, |m| m.max(e)))
            })
    };
    testkit::eventually(
        Duration::from_secs(30),
        "the survivor to own every partition",
        || async { (second.owned_partitions().len() == partitions).then_some(()) },
    )
    .await;
    eprintln!(
        "failover on {}: commands appended after the kill applied within {:?} s on the \
         partitions that moved, {:?} s on those the survivor kept",
        app.log_url.split(':').next().unwrap_or("?"),
        slowest(false),
        slowest(true)
    );
    let _ = second;
}

/// Prints, for a failed takeover: each tenant's partition and decided commands against those
/// expected, the checkpoints, and the survivor's log.
async fn explain_stall(
    app: &TestApp,
    tenants: &[schema::TenantId],
    expected: &[crate::workload::Expected],
    survivor: &ProjectorProcess,
) {
    for (tenant, expected) in tenants.iter().zip(expected) {
        eprintln!(
            "tenant {tenant} on partition {}: {} of {} commands decided",
            app.log.partition_for(*tenant),
            crate::workload::decided(app, *tenant).await,
            expected.commands
        );
    }
    let rows = app
        .sql()
        .await
        .query(
            "SELECT partition, \"offset\", token FROM checkpoints ORDER BY partition",
            &[],
        )
        .await
        .unwrap();
    for row in rows {
        let (partition, offset, token): (i32, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        eprintln!("checkpoint of partition {partition}: {offset} (token {token:?})");
    }
    eprintln!("the survivor's log:");
    for line in survivor.log_lines() {
        eprintln!("  {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_projectors_share_the_postgres_log_and_a_survivor_takes_over() {
    two_projectors_share_and_take_over(LogKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_projectors_share_the_kafka_log_and_a_survivor_takes_over() {
    let broker = testkit::kafka::Broker::start().await;
    two_projectors_share_and_take_over(broker.log_kind()).await;
}
