//! The sessions-and-messages benchmarks: message post round trip at a concurrency, and the
//! metrics queries on a tenant with a long, busy history generated through the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use schema::agent::AgentConfig;
use schema::command::{CreateAgent, CreateSession, PostMessage};
use schema::session::{MessageRole, ToolCall, ToolCallStatus, Usage};
use schema::{Actor, AgentId, Command, CommandRecord, MessageId, SessionId, TenantId};
use serde_json::json;

use crate::log_phases::append_range;
use crate::percentile;
use crate::rounds::Round;

impl crate::Writes<'_> {
    /// `POST /v1/sessions/{id}/messages` round trips for `duration`: one session per client,
    /// user messages and priced assistant replies in turn (each with a fresh Idempotency-Key
    /// if `keyed`).
    pub(crate) async fn post_messages(
        &self,
        keyed: bool,
        duration: Duration,
    ) -> anyhow::Result<Round> {
        let (client, base, key) = (self.client, self.base, self.key);
        let agent: serde_json::Value = client
            .post(format!("{base}/v1/agents"))
            .bearer_auth(key)
            .json(&json!({"name": format!("bench-messages-{}", MessageId::new())}))
            .send()
            .await?
            .json()
            .await?;
        let agent = agent["id"].as_str().unwrap_or_default().to_owned();
        // A session per client, opened before the round's clock starts.
        let sessions = futures::future::try_join_all((0..self.concurrency).map(|_| async {
            let session: serde_json::Value = client
                .post(format!("{base}/v1/sessions"))
                .bearer_auth(key)
                .json(&json!({ "agentId": agent }))
                .send()
                .await?
                .json()
                .await?;
            Ok::<_, anyhow::Error>(format!(
                "{base}/v1/sessions/{}/messages",
                session["id"].as_str().unwrap_or_default()
            ))
        }))
        .await?;
        let deadline = Instant::now() + duration;
        let tasks = sessions.into_iter().map(|url| {
            let (client, key) = (client.clone(), key.to_owned());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut i) = (Vec::new(), 0u64, 0u64);
                while Instant::now() < deadline {
                    let body = if i % 2 == 0 {
                        json!({"content": "What changed in the report since yesterday?"})
                    } else {
                        // Replies over 0.2–20 s, as `scripts/wrk/post_messages.lua` sends them:
                        // the latency sketches fill about as many buckets as in real use.
                        let latency = 200 + (i * 7919) % 19_800;
                        json!({"role": "assistant", "content": "Three sections changed.",
                               "usage": {"model": "gpt-4o", "inputTokens": 1200, "outputTokens": 300, "latencyMs": latency}})
                    };
                    let mut request = client.post(&url).bearer_auth(&key).json(&body);
                    if keyed {
                        request = request.header("Idempotency-Key", MessageId::new().to_string());
                    }
                    let started = Instant::now();
                    match request.send().await {
                        Ok(r) if r.status() == 201 => latencies.push(started.elapsed()),
                        _ => errors += 1,
                    }
                    i += 1;
                }
                Ok::<_, anyhow::Error>((latencies, errors))
            })
        });
        Round::gather(tasks).await
    }
}

/// A tenant's history over `days` days: `agents` agents, a session per agent and day, and
/// `messages` messages spread evenly over the period (every other one a priced reply with a
/// tool call), each issued at its place in time.
fn history(tenant: TenantId, agents: usize, days: i64, messages: usize) -> Vec<CommandRecord> {
    let actor = Actor::system("bench");
    let start = Utc::now() - chrono::Duration::days(days);
    let at = |record: Command, when: DateTime<Utc>| {
        let mut record = CommandRecord::new(tenant, actor.clone(), record);
        record.issued_at = when;
        record
    };
    let agent_ids: Vec<AgentId> = (0..agents).map(|_| AgentId::new()).collect();
    let mut out: Vec<CommandRecord> = agent_ids
        .iter()
        .enumerate()
        .map(|(i, &agent_id)| {
            let create = CreateAgent {
                agent_id,
                name: format!("fleet-{i}-{agent_id}"),
                role: None,
                description: None,
                soul: None,
                config: AgentConfig::default(),
                gateway_secret: None,
            };
            at(Command::CreateAgent(create), start)
        })
        .collect();
    let models = [
        ("gpt-4o", "openai", 2_500_000, 10_000_000),
        ("claude-haiku-3.5", "anthropic", 800_000, 4_000_000),
    ];
    let per_day = messages as i64 / days;
    let step = chrono::Duration::milliseconds(86_400_000 / per_day.max(1));
    let mut sessions: Vec<SessionId> = Vec::new();
    for n in 0..messages {
        let day = (n as i64 / per_day.max(1)).min(days - 1);
        let when = start + chrono::Duration::days(day) + step * (n as i64 % per_day.max(1)) as i32;
        let agent = n % agents;
        if n as i64 % per_day.max(1) < agents as i64 {
            // The first messages of a day open that day's sessions.
            let session_id = SessionId::new();
            if sessions.len() <= agent {
                sessions.push(session_id);
            } else {
                sessions[agent] = session_id;
            }
            let create = CreateSession {
                session_id,
                agent_id: agent_ids[agent],
                name: None,
            };
            out.push(at(Command::CreateSession(create), when));
        }
        let reply = n % 2 == 1;
        let (model, provider, input_price, output_price) = models[(n / 2) % models.len()];
        let (input, output) = (800 + (n as u64 % 400), 150 + (n as u64 % 100));
        let post = PostMessage {
            message_id: MessageId::new(),
            session_id: sessions[agent],
            agent_id: agent_ids[agent],
            role: if reply {
                MessageRole::Assistant
            } else {
                MessageRole::User
            },
            content: "benchmark message".into(),
            usage: reply.then(|| Usage {
                model: model.into(),
                provider: provider.into(),
                input_tokens: input,
                output_tokens: output,
                latency_ms: Some(300 + (n as u64 * 7919) % 3_000),
                cost_micro_usd: (input * input_price + output * output_price + 500_000) / 1_000_000,
            }),
            tool_calls: if reply {
                vec![ToolCall {
                    name: "search".into(),
                    status: if n % 10 == 1 {
                        ToolCallStatus::Failure
                    } else {
                        ToolCallStatus::Success
                    },
                    duration_ms: Some(40),
                }]
            } else {
                Vec::new()
            },
            cron_session: false,
        };
        out.push(at(Command::PostMessage(post), when));
    }
    out
}

pub struct MetricsBench {
    pub database_url: String,
    pub event_log_url: String,
    pub base: String,
    pub key: String,
    pub tenant: TenantId,
    pub messages: usize,
    pub agents: usize,
    pub days: i64,
}

/// Generates the history through the log, waits until the projector applied it, then times
/// `GET /v1/metrics/summary` and an agent's hourly series over the whole period.
pub async fn metrics(bench: MetricsBench) -> anyhow::Result<()> {
    let log = event_log::connect(&bench.event_log_url).await?;
    let records = Arc::new(history(
        bench.tenant,
        bench.agents,
        bench.days,
        bench.messages,
    ));
    let agent = match &records[0].command {
        Command::CreateAgent(create) => create.agent_id,
        _ => unreachable!("the history starts with its agents"),
    };
    let before = crate::log_phases::decided(&bench.database_url).await?;
    let started = Instant::now();
    // Agents first, so every session finds its agent; then the rest, in order.
    let records = Arc::new(records);
    append_range(&log, &records, 0..bench.agents, 1).await?;
    append_range(&log, &records, bench.agents..records.len(), 64).await?;
    loop {
        let done = crate::log_phases::decided(&bench.database_url).await? - before;
        if done >= records.len() as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!(
        "history  records={} messages={} agents={} days={} seconds={:.1} records/s={:.0} (appended and applied)",
        records.len(),
        bench.messages,
        bench.agents,
        bench.days,
        started.elapsed().as_secs_f64(),
        records.len() as f64 / started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let to = Utc::now();
    let from = to - chrono::Duration::days(bench.days);
    let range = format!(
        "from={}&to={}",
        from.format("%Y-%m-%dT%H:00:00Z"),
        to.format("%Y-%m-%dT%H:00:00Z")
    );
    for (name, path) in [
        (
            "GET /v1/metrics/summary (92 days)",
            format!("/v1/metrics/summary?{range}"),
        ),
        (
            "GET /v1/agents/{id}/metrics (92 days, hourly)",
            format!("/v1/agents/{agent}/metrics?{range}&granularity=hour"),
        ),
        (
            "GET /v1/metrics/summary (today)",
            "/v1/metrics/summary".to_owned(),
        ),
        (
            "GET /v1/metrics/agents (92 days)",
            format!("/v1/metrics/agents?{range}"),
        ),
        ("GET /v1/activity (newest first)", "/v1/activity".to_owned()),
        (
            "GET /v1/activity?type=cron.*",
            "/v1/activity?type=cron.*".to_owned(),
        ),
        (
            "GET /v1/activity?type=session.* (1 in 500 entries)",
            "/v1/activity?type=session.*".to_owned(),
        ),
        (
            "GET /v1/activity?type=agent.tool_called (1 in 3)",
            "/v1/activity?type=agent.tool_called".to_owned(),
        ),
        (
            "GET /v1/activity?agentId= (1 in 20)",
            format!("/v1/activity?agentId={agent}"),
        ),
        (
            "GET /v1/activity?after=<middle>&limit=100",
            format!("/v1/activity?after={}&limit=100", records.len() / 2),
        ),
    ] {
        let mut latencies = Vec::new();
        let mut body = serde_json::Value::Null;
        for _ in 0..30 {
            let started = Instant::now();
            let response = client
                .get(format!("{}{path}", bench.base))
                .bearer_auth(&bench.key)
                .send()
                .await?;
            anyhow::ensure!(response.status() == 200, "{path}: {}", response.status());
            body = response.json().await?;
            latencies.push(started.elapsed());
        }
        latencies.sort();
        let detail = if let Some(series) = body.get("series") {
            format!("buckets={}", series.as_array().map_or(0, Vec::len))
        } else if let Some(total) = body.pointer("/pagination/total") {
            format!("total={total}")
        } else {
            let messages = body.get("messages").map(|m| m.to_string());
            format!("messages={}", messages.unwrap_or_default())
        };
        println!(
            "{name}  p50={:.1}ms p99={:.1}ms max={:.1}ms {detail}",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        );
    }
    Ok(())
}
