//! Hostile strings through every text field, query parameter and path segment.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::{LogKind, TestApp};

use super::{
    assert_partition_applies, job, judge, patch, percent_encoded, post, send, setup, Build, Ctx,
    MARK,
};

/// A hostile string as the text between the quotes of a JSON string, so that lone surrogate
/// escapes (which no Rust string holds) can be sent too.
#[derive(Clone)]
struct Hostile {
    label: String,
    json: String,
    /// The string itself, where it is one (not for lone surrogates).
    text: Option<String>,
}

impl Hostile {
    fn text(label: impl Into<String>, text: String) -> Self {
        let quoted = serde_json::to_string(&text).unwrap();
        Self {
            label: label.into(),
            json: quoted[1..quoted.len() - 1].to_owned(),
            text: Some(text),
        }
    }

    fn escape(escape: &str) -> Self {
        Self {
            label: escape.to_owned(),
            json: escape.to_owned(),
            text: None,
        }
    }
}

/// U+0000, C0 controls, DEL, C1 controls, lone surrogates, non-characters, a 4-byte emoji,
/// RTL marks, 100,000 characters and (in the full table) every C0 control and 1,000,000 bytes.
fn hostile_strings(full: bool) -> Vec<Hostile> {
    let one = |c: char| Hostile::text(format!("U+{:04X}", u32::from(c)), format!("a{c}b"));
    let controls: Vec<u32> = if full {
        (0u32..0x20).chain([0x7f, 0x80, 0x85, 0x9b, 0x9f]).collect()
    } else {
        vec![0, 0x1, 0x1b, 0x7f, 0x85]
    };
    let mut list: Vec<Hostile> = controls
        .into_iter()
        .filter_map(char::from_u32)
        .map(one)
        .collect();
    list.push(Hostile::escape("\\ud800"));
    list.push(Hostile::escape("x\\udfffy"));
    for c in [
        '\u{fffe}',
        '\u{ffff}',
        '\u{10ffff}',
        '😀',
        '\u{200f}',
        '\u{202e}',
    ] {
        list.push(one(c));
    }
    list.push(Hostile::text("100,000 chars", "é".repeat(100_000)));
    if full {
        list.push(Hostile::text("1,000,000 bytes", "x".repeat(1_000_000)));
    }
    list
}

/// A field of a write route: `build(ctx, n)` makes a request with [`MARK`] in that field (`n`
/// keeps names unique).
struct Target {
    field: &'static str,
    /// A 404 allowed instead of a 400: an id of the wrong shape is not found.
    not_found: Option<&'static str>,
    build: Build,
}

/// Every text field of every write route.
fn targets() -> Vec<Target> {
    let t = |field, build: Build| Target {
        field,
        not_found: None,
        build,
    };
    let id = |field, code, build: Build| Target {
        field,
        not_found: Some(code),
        build,
    };
    vec![
        t("name", |_, n| {
            post("/v1/agents", json!({"name": format!("n{n}-{MARK}")}))
        }),
        t("role", |_, n| {
            post("/v1/agents", json!({"name": format!("r{n}"), "role": MARK}))
        }),
        t("description", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("d{n}"), "description": MARK}),
            )
        }),
        t("soul", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("s{n}"), "soul": format!("# {MARK}")}),
            )
        }),
        t("config.model.default", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("m{n}"),
                                      "config": {"model": {"default": format!("gpt-4o{MARK}")}}}),
            )
        }),
        t("config.model.fallbacks[0]", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("f{n}"), "config": {"model": {"fallbacks": [MARK]}}}),
            )
        }),
        t("config.tools.allowed[0]", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("t{n}"),
                                      "config": {"tools": {"allowed": [format!("t{MARK}")]}}}),
            )
        }),
        t("config.gateway.url", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("g{n}"),
                "config": {"gateway": {"url": format!("http://127.0.0.1:9/g{n}/{MARK}")}}}),
            )
        }),
        t("name", |c, n| {
            patch(
                format!("/v1/agents/{}", c.agent),
                json!({"name": format!("p{n}-{MARK}")}),
            )
        }),
        t("role", |c, _| {
            patch(format!("/v1/agents/{}", c.agent), json!({"role": MARK}))
        }),
        t("description", |c, _| {
            patch(
                format!("/v1/agents/{}", c.agent),
                json!({"description": MARK}),
            )
        }),
        t("config.model.default", |c, _| {
            patch(
                format!("/v1/agents/{}", c.agent),
                json!({"config": {"model": {"default": MARK}}}),
            )
        }),
        t("config.gateway.url", |c, n| {
            patch(
                format!("/v1/agents/{}", c.agent),
                json!({"config": {"gateway": {"url": format!("http://127.0.0.1:9/p{n}/{MARK}")}}}),
            )
        }),
        t("soul", |c, _| {
            (
                Method::PUT,
                format!("/v1/agents/{}/soul", c.agent),
                json!({"soul": MARK}),
            )
        }),
        t("detail", |c, _| {
            post(
                format!("/v1/agents/{}/heartbeat", c.agent),
                json!({"detail": MARK}),
            )
        }),
        t("state", |c, _| {
            post(
                format!("/v1/agents/{}/heartbeat", c.agent),
                json!({"state": format!("ok{MARK}")}),
            )
        }),
        t("name", |c, n| {
            post(
                "/v1/sessions",
                json!({"agentId": c.agent, "name": format!("s{n}{MARK}")}),
            )
        }),
        id("agentId", "AGENT_NOT_FOUND", |c, _| {
            post(
                "/v1/sessions",
                json!({"agentId": format!("{}{MARK}", c.agent)}),
            )
        }),
        t("before", |_, _| {
            post(
                "/v1/sessions/prune",
                json!({"before": format!("2000-01-01T00:00:00Z{MARK}")}),
            )
        }),
        id("agentId", "AGENT_NOT_FOUND", |c, _| {
            post(
                "/v1/sessions/prune",
                json!({"before": "2000-01-01T00:00:00Z", "agentId": format!("{}{MARK}", c.agent)}),
            )
        }),
        t("content", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"content": MARK}),
            )
        }),
        t("role", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"role": format!("user{MARK}"), "content": "x"}),
            )
        }),
        t("usage.model", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"role": "assistant", "content": "x",
                        "usage": {"model": format!("gpt-4o{MARK}"), "inputTokens": 1, "outputTokens": 1}}),
            )
        }),
        t("toolCalls[0].name", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"role": "assistant", "content": "x",
                        "toolCalls": [{"name": format!("t{MARK}"), "status": "success"}]}),
            )
        }),
        t("toolCalls[0].status", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"role": "assistant", "content": "x",
                        "toolCalls": [{"name": "t", "status": format!("success{MARK}")}]}),
            )
        }),
        t("name", |c, n| {
            job(c, n, json!({"name": format!("c{n}{MARK}")}))
        }),
        t("prompt", |c, n| job(c, n, json!({"prompt": MARK}))),
        t("schedule", |c, n| {
            job(c, n, json!({"schedule": format!("0 8 * * *{MARK}")}))
        }),
        t("timezone", |c, n| {
            job(c, n, json!({"timezone": format!("Europe/Berlin{MARK}")}))
        }),
        id("agentId", "AGENT_NOT_FOUND", |c, n| {
            job(c, n, json!({"agentId": format!("{}{MARK}", c.agent)}))
        }),
        t("overlapPolicy", |c, n| {
            job(c, n, json!({"overlapPolicy": format!("skip{MARK}")}))
        }),
        t("delivery", |c, n| {
            job(c, n, json!({"delivery": {"type": format!("none{MARK}")}}))
        }),
        t("delivery.url", |c, n| {
            job(
                c,
                n,
                json!({"delivery": {"type": "webhook", "url": format!("http://127.0.0.1:9/d{n}/{MARK}")}}),
            )
        }),
        t("delivery.webhookUrl", |c, n| {
            job(
                c,
                n,
                json!({"delivery": {"type": "slack", "webhookUrl": format!("http://127.0.0.1:9/s{n}/{MARK}")}}),
            )
        }),
        t("delivery.chatId", |c, n| {
            job(
                c,
                n,
                json!({"delivery": {"type": "telegram", "chatId": format!("@chan{n}{MARK}")}}),
            )
        }),
        t("delivery.to", |c, n| {
            job(
                c,
                n,
                json!({"delivery": {"type": "email", "to": format!("ops{n}{MARK}@example.com")}}),
            )
        }),
        t("name", |c, n| {
            patch(
                format!("/v1/cron-jobs/{}", c.job),
                json!({"name": format!("c{n}{MARK}")}),
            )
        }),
        t("prompt", |c, _| {
            patch(format!("/v1/cron-jobs/{}", c.job), json!({"prompt": MARK}))
        }),
        t("schedule", |c, _| {
            patch(
                format!("/v1/cron-jobs/{}", c.job),
                json!({"schedule": format!("{MARK}0 8 * * *")}),
            )
        }),
        t("timezone", |c, _| {
            patch(
                format!("/v1/cron-jobs/{}", c.job),
                json!({"timezone": MARK}),
            )
        }),
        t("delivery.url", |c, n| {
            patch(
                format!("/v1/cron-jobs/{}", c.job),
                json!({"delivery": {"type": "webhook", "url": format!("http://127.0.0.1:9/e{n}{MARK}")}}),
            )
        }),
        t("url", |_, n| {
            post(
                "/v1/webhooks",
                json!({"url": format!("http://127.0.0.1:9/w{n}/{MARK}"), "events": ["*"]}),
            )
        }),
        t("description", |_, n| {
            post(
                "/v1/webhooks",
                json!({"url": format!("http://127.0.0.1:9/w{n}"), "events": ["*"],
                                        "description": MARK}),
            )
        }),
        t("events[0]", |_, n| {
            post(
                "/v1/webhooks",
                json!({"url": format!("http://127.0.0.1:9/w{n}"),
                                        "events": [format!("agent.created{MARK}")]}),
            )
        }),
        t("url", |c, n| {
            patch(
                format!("/v1/webhooks/{}", c.webhook),
                json!({"url": format!("http://127.0.0.1:9/v{n}/{MARK}")}),
            )
        }),
        t("description", |c, _| {
            patch(
                format!("/v1/webhooks/{}", c.webhook),
                json!({"description": MARK}),
            )
        }),
        t("events[0]", |c, _| {
            patch(
                format!("/v1/webhooks/{}", c.webhook),
                json!({"events": [MARK]}),
            )
        }),
        t("since", |c, _| {
            post(
                format!("/v1/webhooks/{}/replay", c.webhook),
                json!({"since": format!("2000-01-01T00:00:00Z{MARK}")}),
            )
        }),
        t("name", |_, n| {
            post(
                "/v1/api-keys",
                json!({"name": format!("k{n}{MARK}"), "scope": "read"}),
            )
        }),
        t("scope", |_, _| {
            post(
                "/v1/api-keys",
                json!({"name": "k", "scope": format!("read{MARK}")}),
            )
        }),
        t("expiresAt", |_, _| {
            post(
                "/v1/api-keys",
                json!({"name": "k", "scope": "read", "expiresAt": format!("2999-01-01T00:00:00Z{MARK}")}),
            )
        }),
    ]
}

/// Query parameters: `(path with {} for the value, parameter)`.
const QUERIES: &[(&str, &str)] = &[
    ("/v1/activity?agentId={}", "agentId"),
    ("/v1/activity?type={}", "type"),
    ("/v1/activity?actorType={}", "actorType"),
    ("/v1/activity?after={}", "after"),
    ("/v1/sessions?agentId={}", "agentId"),
    ("/v1/cron-jobs?agentId={}", "agentId"),
    ("/v1/agents?status={}", "status"),
    ("/v1/agents?limit={}", "limit"),
    ("/v1/metrics/summary?from={}", "from"),
];

/// Path segments where an id goes: `(path with {}, the not-found code)`.
const PATHS: &[(&str, &str)] = &[
    ("/v1/agents/{}", "AGENT_NOT_FOUND"),
    ("/v1/sessions/{}/messages", "SESSION_NOT_FOUND"),
    ("/v1/cron-jobs/{}", "CRON_JOB_NOT_FOUND"),
    ("/v1/webhooks/{}", "WEBHOOK_NOT_FOUND"),
];

/// Sends every hostile string through every body field, query parameter and path segment.
pub(super) async fn send_hostile_strings(app: &TestApp, ctx: &Ctx, full: bool) {
    let targets = targets();
    let mut n = 0;
    for hostile in hostile_strings(full) {
        for target in &targets {
            n += 1;
            let (method, path, body) = (target.build)(ctx, n);
            let text = body.to_string().replace(MARK, &hostile.json);
            let what = format!("{} {method} {path} {}", hostile.label, target.field);
            let (status, answer) = send(app, method.clone(), &path, None, Some(text)).await;
            judge(&what, status, &answer, target.field, target.not_found);
            // Keep under the 50 endpoints a tenant may have.
            if status == StatusCode::CREATED && path == "/v1/webhooks" {
                let id = answer["id"].as_str().unwrap();
                let (deleted, _) = app
                    .call(Method::DELETE, &format!("/v1/webhooks/{id}"), None)
                    .await;
                assert_eq!(deleted, StatusCode::NO_CONTENT);
            }
        }
        let Some(text) = &hostile.text else { continue };
        let soul = format!("/v1/agents/{}/soul", ctx.agent);
        let (status, answer) = send(
            app,
            Method::PUT,
            &soul,
            Some("text/markdown"),
            Some(text.clone()),
        )
        .await;
        judge(
            &format!("{} markdown soul", hostile.label),
            status,
            &answer,
            "soul",
            None,
        );
        // Query strings and paths longer than the server's request head are not ours to judge.
        if text.len() > 4_096 {
            continue;
        }
        let encoded = percent_encoded(text);
        for (template, param) in QUERIES {
            let path = template.replace("{}", &encoded);
            let (status, answer) = send(app, Method::GET, &path, None, None).await;
            judge(
                &format!("{} GET {path}", hostile.label),
                status,
                &answer,
                param,
                None,
            );
        }
        for (template, code) in PATHS {
            let path = template.replace("{}", &encoded);
            let (status, answer) = send(app, Method::GET, &path, None, None).await;
            judge(
                &format!("{} GET {path}", hostile.label),
                status,
                &answer,
                "id",
                Some(code),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_strings_in_every_field_are_stored_or_refused_naming_the_field() {
    let (app, ctx, neighbour) = setup(LogKind::Postgres).await;
    send_hostile_strings(&app, &ctx, true).await;
    assert_partition_applies(&app, &neighbour, "hostile strings").await;
    // Nothing accepted holds U+0000, and what was accepted reads back.
    let (status, _) = app.call(Method::GET, "/v1/activity?limit=100", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, verified) = app.call(Method::GET, "/v1/activity/verify", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["valid"], true, "{verified}");
}

/// Random mixtures of the dangerous characters through the free-text and name fields: what
/// is accepted is stored exactly as sent.
#[tokio::test(flavor = "multi_thread")]
async fn random_mixtures_of_dangerous_characters_are_stored_exactly_or_refused() {
    let (app, ctx, neighbour) = setup(LogKind::Postgres).await;
    let dangerous = proptest::sample::select(vec![
        '\0',
        '\u{1}',
        '\t',
        '\n',
        '\r',
        '\u{b}',
        '\u{1b}',
        '\u{7f}',
        '\u{85}',
        '\u{9f}',
        '\u{fffe}',
        '\u{ffff}',
        '\u{10ffff}',
        '😀',
        '\u{200f}',
        '\u{202e}',
        'a',
        'é',
        ' ',
        '"',
        '\\',
        '/',
    ]);
    let strategy = proptest::collection::vec(dangerous, 0..24)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    // Deterministic, so a failure repeats; 32 cases keep the test to seconds.
    let mut runner = TestRunner::deterministic();
    // (field, where the answer shows it, request)
    let fields: [(&str, &str, Build); 6] = [
        ("name", "/name", |_, n| {
            post("/v1/agents", json!({"name": format!("{n}{MARK}")}))
        }),
        ("description", "/description", |_, n| {
            post(
                "/v1/agents",
                json!({"name": format!("d{n}"), "description": MARK}),
            )
        }),
        ("content", "/content", |c, _| {
            post(
                format!("/v1/sessions/{}/messages", c.session),
                json!({"content": MARK}),
            )
        }),
        ("name", "/name", |c, _| {
            post("/v1/sessions", json!({"agentId": c.agent, "name": MARK}))
        }),
        ("prompt", "/prompt", |c, n| {
            job(c, n, json!({"prompt": MARK}))
        }),
        ("name", "/name", |_, _| {
            post("/v1/api-keys", json!({"name": MARK, "scope": "read"}))
        }),
    ];
    let mut n = 0;
    for _ in 0..32 {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        let hostile = Hostile::text(format!("{value:?}"), value.clone());
        for (field, pointer, build) in &fields {
            n += 1;
            let (method, path, body) = build(&ctx, n);
            let sent = body.to_string().replace(MARK, &hostile.json);
            let (status, answer) = send(&app, method, &path, None, Some(sent.clone())).await;
            judge(
                &format!("{} {path} {field}", hostile.label),
                status,
                &answer,
                field,
                None,
            );
            if status.is_success() {
                let sent: Value = serde_json::from_str(&sent).unwrap();
                let sent = sent.pointer(pointer).unwrap();
                assert_eq!(answer.pointer(pointer), Some(sent), "{path}: {answer}");
            }
        }
    }
    assert_partition_applies(&app, &neighbour, "random mixtures").await;
}
