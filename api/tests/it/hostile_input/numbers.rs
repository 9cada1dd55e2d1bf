//! Extreme numbers through every numeric field and query parameter, and records from before
//! the ranges straight on the log.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::LogKind;

use super::{
    assert_partition_applies, judge, patch, percent_encoded, post, send, setup, shown, Ctx, MARK,
};
use testkit::TestApp;

/// A numeric field: `(field, path, body with MARK for the number)`.
type NumberTarget = (
    &'static str,
    fn(&Ctx) -> (Method, String, Value),
    &'static [&'static str],
);

const EVERYWHERE: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "1e30",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
];
const TOKEN_EDGES: &[&str] = &["999999999", "1000000000", "1000000001"];
const DURATION_EDGES: &[&str] = &["86399999", "86400000", "86400001"];
const BUDGET_EDGES: &[&str] = &["999999999999999", "1000000000000000", "1000000000000001"];
const THRESHOLD_EDGES: &[&str] = &["0.5", "0.999999", "1.0000001"];

fn reply(ctx: &Ctx, usage: Value, tool_calls: Value) -> (Method, String, Value) {
    post(
        format!("/v1/sessions/{}/messages", ctx.session),
        json!({"role": "assistant", "content": "x", "usage": usage, "toolCalls": tool_calls}),
    )
}

fn number_targets() -> Vec<NumberTarget> {
    vec![
        (
            "usage.inputTokens",
            |c| {
                reply(
                    c,
                    json!({"model": "gpt-4o", "inputTokens": MARK, "outputTokens": 1, "latencyMs": 5}),
                    json!([]),
                )
            },
            TOKEN_EDGES,
        ),
        (
            "usage.outputTokens",
            |c| {
                reply(
                    c,
                    json!({"model": "gpt-4o", "inputTokens": 1, "outputTokens": MARK}),
                    json!([]),
                )
            },
            TOKEN_EDGES,
        ),
        (
            "usage.latencyMs",
            |c| {
                reply(
                    c,
                    json!({"model": "o1", "inputTokens": 1, "outputTokens": 1, "latencyMs": MARK}),
                    json!([]),
                )
            },
            DURATION_EDGES,
        ),
        (
            "toolCalls[0].durationMs",
            |c| {
                post(
                    format!("/v1/sessions/{}/messages", c.session),
                    json!({"role": "assistant", "content": "x",
                        "toolCalls": [{"name": "t", "status": "failure", "durationMs": MARK}]}),
                )
            },
            DURATION_EDGES,
        ),
        (
            "config.limits.dailyTokenBudget",
            |c| {
                patch(
                    format!("/v1/agents/{}", c.agent),
                    json!({"config": {"limits": {"dailyTokenBudget": MARK}}}),
                )
            },
            BUDGET_EDGES,
        ),
        (
            "config.limits.monthlyTokenBudget",
            |c| {
                patch(
                    format!("/v1/agents/{}", c.agent),
                    json!({"config": {"limits": {"monthlyTokenBudget": MARK}}}),
                )
            },
            BUDGET_EDGES,
        ),
        (
            "config.limits.alertThreshold",
            |c| {
                patch(
                    format!("/v1/agents/{}", c.agent),
                    json!({"config": {"limits": {"alertThreshold": MARK}}}),
                )
            },
            THRESHOLD_EDGES,
        ),
        (
            "config.limits.dailyTokenBudget",
            |_| {
                post(
                    "/v1/agents",
                    json!({"name": "Budgeted", "config": {"limits": {"dailyTokenBudget": MARK}}}),
                )
            },
            BUDGET_EDGES,
        ),
        (
            "latencyMs",
            |c| {
                post(
                    format!("/v1/agents/{}/heartbeat", c.agent),
                    json!({"latencyMs": MARK}),
                )
            },
            DURATION_EDGES,
        ),
    ]
}

const NUMBER_QUERIES: &[(&str, &str)] = &[
    ("/v1/agents?limit={}", "limit"),
    ("/v1/agents?offset={}", "offset"),
    ("/v1/activity?after={}", "after"),
    ("/v1/activity?offset={}", "offset"),
];
const OFFSET_EDGES: &[&str] = &[
    "99",
    "100",
    "101",
    "9223372036854775806",
    "9223372036854775807",
    "9223372036854775808",
];

/// Sends every extreme number `repeat` times through every numeric field, then checks the
/// reads that add them up.
pub(super) async fn send_extreme_numbers(app: &TestApp, ctx: &Ctx, repeat: usize) {
    for (field, build, edges) in number_targets() {
        for value in EVERYWHERE.iter().chain(edges.iter()) {
            for _ in 0..repeat {
                let (method, path, body) = build(ctx);
                // The number replaces the quoted mark.
                let text = body.to_string().replace(&format!("\"{MARK}\""), value);
                let (status, answer) = send(app, method.clone(), &path, None, Some(text)).await;
                // The agent made by the create is deleted so the next one may take its name.
                if status == StatusCode::CREATED && path == "/v1/agents" {
                    let id = answer["id"].as_str().unwrap();
                    app.call(Method::DELETE, &format!("/v1/agents/{id}"), None)
                        .await;
                }
                judge(
                    &format!("{method} {path} {field}={value}"),
                    status,
                    &answer,
                    field,
                    None,
                );
            }
        }
    }
    for (template, param) in NUMBER_QUERIES {
        for value in EVERYWHERE.iter().chain(OFFSET_EDGES) {
            let path = template.replace("{}", &percent_encoded(value));
            let (status, answer) = send(app, Method::GET, &path, None, None).await;
            judge(&format!("GET {path}"), status, &answer, param, None);
        }
    }
    for path in [
        "/v1/metrics/summary".to_owned(),
        "/v1/metrics/agents".to_owned(),
        format!("/v1/agents/{}/metrics", ctx.agent),
        format!("/v1/agents/{}", ctx.agent),
        format!("/v1/sessions/{}", ctx.session),
        format!("/v1/sessions/{}/messages?order=desc", ctx.session),
    ] {
        let (status, body) = app.call(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {}", shown(&body));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn extreme_numbers_are_accepted_within_their_range_or_refused_naming_the_field() {
    let (app, ctx, neighbour) = setup(LogKind::Postgres).await;
    send_extreme_numbers(&app, &ctx, 3).await;
    // Three replies at the edge per token field were accepted and add up exactly.
    let (_, summary) = app.call(Method::GET, "/v1/metrics/summary", None).await;
    let input = summary["tokens"]["input"].as_i64().unwrap();
    assert!(input >= 3 * 1_000_000_000 + 3 * 999_999_999, "{summary}");
    assert_partition_applies(&app, &neighbour, "extreme numbers").await;
    // The documented ranges are the OpenAPI document's.
    let (_, openapi) = app.call(Method::GET, "/v1/openapi.json", None).await;
    let maximum = |pointer: &str| {
        openapi
            .pointer(&format!("/components/schemas/{pointer}/maximum"))
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("no maximum at {pointer}"))
    };
    use domain::validate::{MAX_DURATION_MS, MAX_TOKENS_PER_MESSAGE, MAX_TOKEN_BUDGET};
    assert_eq!(
        maximum("UsageReport/properties/inputTokens"),
        MAX_TOKENS_PER_MESSAGE as f64
    );
    assert_eq!(
        maximum("UsageReport/properties/outputTokens"),
        MAX_TOKENS_PER_MESSAGE as f64
    );
    assert_eq!(
        maximum("UsageReport/properties/latencyMs"),
        MAX_DURATION_MS as f64
    );
    assert_eq!(
        maximum("ToolCall/properties/durationMs"),
        MAX_DURATION_MS as f64
    );
    assert_eq!(
        maximum("LimitsPatch/properties/dailyTokenBudget"),
        MAX_TOKEN_BUDGET as f64
    );
    assert_eq!(
        maximum("HeartbeatRequest/properties/latencyMs"),
        MAX_DURATION_MS as f64
    );
}

/// Records appended before the ranges existed (tokens, cost and latency at u64::MAX) are
/// applied: counters, rollups and their sums stop at the largest bigint instead of failing
/// the partition forever.
#[tokio::test(flavor = "multi_thread")]
async fn replies_from_before_the_ranges_saturate_the_counters_instead_of_stopping_the_partition() {
    use schema::command::PostMessage;
    use schema::session::{MessageRole, Usage};
    use schema::{Actor, Command, CommandRecord, MessageId};

    let (app, ctx, neighbour) = setup(LogKind::Postgres).await;
    let agent_id: schema::AgentId = ctx.agent.parse().unwrap();
    let other_session = app.open_session(&ctx.agent).await;
    let huge = Usage {
        model: "gpt-4o".into(),
        provider: "openai".into(),
        input_tokens: u64::MAX,
        output_tokens: u64::MAX,
        latency_ms: Some(u64::MAX),
        cost_micro_usd: u64::MAX,
    };
    let mut ids = Vec::new();
    for session in [&ctx.session, &other_session, &other_session] {
        let message_id = MessageId::new();
        ids.push(message_id);
        let record = CommandRecord::new(
            app.tenant,
            Actor::system("test"),
            Command::PostMessage(PostMessage {
                message_id,
                session_id: session.parse().unwrap(),
                agent_id,
                role: MessageRole::Assistant,
                content: "from an older build".into(),
                usage: Some(huge.clone()),
                tool_calls: Vec::new(),
                cron_session: false,
            }),
        );
        app.log.append(&record).await.unwrap();
    }
    let sql = app.sql().await;
    testkit::eventually(
        Duration::from_secs(10),
        "the old replies applied",
        || async {
            let stored: i64 = sql
                .query_one(
                    "SELECT count(*) FROM messages WHERE content = 'from an older build'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            (stored == 3).then_some(())
        },
    )
    .await;
    let (status, summary) = app.call(Method::GET, "/v1/metrics/summary", None).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["tokens"]["input"], json!(i64::MAX), "{summary}");
    let (status, agents) = app.call(Method::GET, "/v1/metrics/agents", None).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    let (status, agent) = app
        .call(Method::GET, &format!("/v1/agents/{}", ctx.agent), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    assert_eq!(agent["tokensTodayInput"], json!(i64::MAX), "{agent}");
    assert_partition_applies(&app, &neighbour, "replies from before the ranges").await;
}
