use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

async fn create(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app
        .request(Method::POST, "/v1/agents")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn creating_an_agent_fills_the_defaults_and_a_get_right_after_sees_it() {
    let app = TestApp::spawn().await;
    let (status, agent) = create(&app, json!({"name": "Nova", "role": "research"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let id = agent["id"].as_str().unwrap();
    assert!(id.starts_with("agent_"));
    assert_eq!(agent["status"], "provisioning");
    assert_eq!(agent["model"], "claude-haiku-3.5");
    assert_eq!(
        agent["config"],
        json!({"model": {"default": "claude-haiku-3.5", "fallbacks": []}, "tools": {"allowed": []},
               "limits": {"dailyTokenBudget": null, "monthlyTokenBudget": null, "alertThreshold": 0.8},
               "gateway": null})
    );
    assert_eq!(agent["openSessionCount"], 0);
    assert!(agent["createdAt"].as_str().unwrap().ends_with('Z'));

    let (_, fetched) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(fetched, agent);
}

/// A create is answered from the command the projector accepted, not read back: the answer must
/// be what a GET right after reads, byte for byte, whatever the fields hold.
#[tokio::test]
async fn a_create_answers_exactly_what_a_get_right_after_reads() {
    let app = TestApp::spawn().await;
    let bodies = [
        json!({"name": "Ünïcødé 名前 🤖 \u{202e}rtl", "role": "röle — “quoted” \\ back", "description": "  spaced  \r\n",
               "soul": "# Soul\n\nBe kind. 🌱\u{7f}", "config": {
                   "model": {"default": "gpt-4o", "fallbacks": ["claude-haiku-3.5"]},
                   "tools": {"allowed": ["web_search", "code_run_2"]},
                   "limits": {"dailyTokenBudget": 1_000_000_000_000_000u64, "monthlyTokenBudget": 1,
                              "alertThreshold": 0.333_333_333_333_333_3},
                   "gateway": {"url": "https://agent.example/hook?q=ü&x=1#frag"}}}),
        json!({"name": "Minimal"}),
        json!({"name": "Nulls", "role": null, "description": null, "soul": null,
               "config": {"limits": {"alertThreshold": 1e-7}, "gateway": null}}),
    ];
    for body in bodies {
        let (status, mut created) = create(&app, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}: {created}");
        let id = created["id"].as_str().unwrap().to_owned();
        if body["config"]["gateway"]["url"].is_string() {
            // Told once, in the answer of the request that set it.
            let secret = created.as_object_mut().unwrap().remove("gatewaySecret");
            assert!(secret.unwrap().as_str().unwrap().starts_with("whsec_"));
        }
        let (_, fetched) = app
            .call(Method::GET, &format!("/v1/agents/{id}"), None)
            .await;
        assert_eq!(fetched, created, "{body}");
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_name_in_any_case_have_exactly_one_winner_seen_by_every_api() {
    let app = TestApp::spawn().await;
    let second_api = app.start_api().await;
    let names = ["Atlas", "atlas", "ATLAS", "aTlAs", "Atlas", "atlaS"];
    let attempts = names.iter().enumerate().map(|(i, name)| {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second_api.clone()
        };
        let request = app
            .request_to(&base, &app.key, Method::POST, "/v1/agents")
            .json(&json!({"name": name}));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    });
    let results = futures::future::join_all(attempts).await;
    let created: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(created.len(), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "CONFLICT");
    }
    // Read-your-writes on the other API process, with no wait.
    let id = created[0]["id"].as_str().unwrap();
    for base in [&app.base, &second_api] {
        let response = app
            .request_to(base, &app.key, Method::GET, &format!("/v1/agents/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_merge_patch_merges_nested_config_and_null_clears_nullable_fields() {
    let app = TestApp::spawn().await;
    let (_, agent) = create(
        &app,
        json!({"name": "Nova", "description": "first", "config": {"limits": {"dailyTokenBudget": 1000},
               "gateway": {"url": "https://agent.example/hook"}}}),
    )
    .await;
    let id = agent["id"].as_str().unwrap();
    let response = app
        .request(Method::PATCH, &format!("/v1/agents/{id}"))
        .json(&json!({"description": null, "config": {"model": {"default": "gpt-4o"}, "limits": {"alertThreshold": 0.5},
                       "gateway": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["model"], "gpt-4o");
    assert_eq!(
        patched["config"]["limits"],
        json!({"dailyTokenBudget": 1000, "monthlyTokenBudget": null, "alertThreshold": 0.5})
    );
    assert_eq!(patched["config"]["gateway"], Value::Null);
    assert_eq!(patched["name"], "Nova");
    assert!(patched["updatedAt"].as_str().unwrap() >= agent["updatedAt"].as_str().unwrap());
}

#[tokio::test]
async fn renaming_onto_a_taken_name_conflicts_and_deleting_frees_the_name() {
    let app = TestApp::spawn().await;
    let (_, nova) = create(&app, json!({"name": "Nova"})).await;
    let (_, orion) = create(&app, json!({"name": "Orion"})).await;
    let orion_id = orion["id"].as_str().unwrap();
    let response = app
        .request(Method::PATCH, &format!("/v1/agents/{orion_id}"))
        .json(&json!({"name": "NOVA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);

    let nova_id = nova["id"].as_str().unwrap();
    let response = app
        .request(Method::DELETE, &format!("/v1/agents/{nova_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .request(Method::GET, &format!("/v1/agents/{nova_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let again = app
        .request(Method::DELETE, &format!("/v1/agents/{nova_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let (status, _) = create(&app, json!({"name": "nova"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn lists_are_newest_first_paginated_and_filter_by_status() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, agent) = create(&app, json!({"name": format!("agent-{i}")})).await;
        ids.push(agent["id"].as_str().unwrap().to_owned());
    }
    let (_, page) = app
        .call(Method::GET, "/v1/agents?limit=2&offset=1", None)
        .await;
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[3].as_str(), ids[2].as_str()]);
    assert_eq!(
        page["pagination"],
        json!({"total": 5, "limit": 2, "offset": 1, "hasMore": true})
    );

    let (_, asc) = app
        .call(Method::GET, "/v1/agents?order=asc&limit=100", None)
        .await;
    assert_eq!(asc["data"][0]["id"], ids[0].as_str());
    assert_eq!(asc["pagination"]["hasMore"], false);

    let (_, online) = app
        .call(Method::GET, "/v1/agents?status=online", None)
        .await;
    assert_eq!(online["pagination"]["total"], 0);
    assert_eq!(online["data"], json!([]));

    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "offset=-1",
        "order=up",
        "status=sleepy",
    ] {
        let response = app
            .request(Method::GET, &format!("/v1/agents?{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{bad}");
    }
}

#[tokio::test]
async fn invalid_agents_are_refused_with_every_field_named() {
    let app = TestApp::spawn().await;
    let (status, body) = create(
        &app,
        json!({"name": "", "config": {"model": {"default": "gpt-9"}, "limits": {"alertThreshold": 0}}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "config.model.default",
            "config.limits.alertThreshold"
        ]
    );

    let (status, body) = create(
        &app,
        json!({"name": "Nova", "config": {"limits": {"alertTreshold": 0.5}}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("alertTreshold"),
        "{body}"
    );
    assert!(
        body["error"]["details"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("config.limits"),
        "{body}"
    );

    let (status, body) = create(&app, json!({"name": 42})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"][0]["field"], "name");

    let (status, body) = create(&app, json!({"role": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"][0]["field"], "name", "{body}");

    // Nothing was created by any of these.
    let (_, list) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(list["pagination"]["total"], 0);
}
