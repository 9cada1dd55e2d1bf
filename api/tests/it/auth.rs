use reqwest::{Method, StatusCode};
use schema::tenant::{Plan, Scope};
use serde_json::{json, Value};
use testkit::TestApp;

#[tokio::test]
async fn another_tenants_agent_is_not_found_on_every_verb() {
    let app = TestApp::spawn().await;
    let (_, created) = app
        .call(Method::POST, "/v1/agents", Some(json!({"name": "Private"})))
        .await;
    let id = created["id"].as_str().unwrap();
    let (_, other_key) = app.create_tenant(Plan::Foundation).await;
    let requests = [
        (Method::GET, format!("/v1/agents/{id}"), None),
        (
            Method::PATCH,
            format!("/v1/agents/{id}"),
            Some(json!({"role": "x"})),
        ),
        (Method::DELETE, format!("/v1/agents/{id}"), None),
        (Method::GET, format!("/v1/agents/{id}/soul"), None),
        (
            Method::PUT,
            format!("/v1/agents/{id}/soul"),
            Some(json!({"soul": "# mine"})),
        ),
        (
            Method::POST,
            format!("/v1/agents/{id}/heartbeat"),
            Some(json!({})),
        ),
    ];
    for (method, path, body) in requests {
        let mut request = app.request_to(&app.base, &other_key, method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "AGENT_NOT_FOUND", "{method} {path}");
    }
    let list: Value = app
        .request_to(&app.base, &other_key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["pagination"]["total"], 0);
    // And the owner still sees it unchanged.
    let (_, mine) = app
        .call(Method::GET, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(mine, created);
}

/// Lookups asked for at the same moment share queries (`read_store::batch`): two tenants
/// reading each other's agents at once still each get their own and a 404 for the other's.
#[tokio::test]
async fn agents_read_at_once_by_two_tenants_are_each_only_their_owners() {
    let app = TestApp::spawn().await;
    let (_, other_key) = app
        .create_tenant_with_limits(Plan::Enterprise, Some(100_000), Some(100_000))
        .await;
    let mut agents = Vec::new();
    for i in 0..4 {
        agents.push((
            app.key.clone(),
            app.create_agent(json!({"name": format!("mine {i}")})).await,
        ));
        let (status, agent) = app
            .call_to(
                &app.base,
                &other_key,
                Method::POST,
                "/v1/agents",
                Some(json!({"name": format!("theirs {i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{agent}");
        agents.push((other_key.clone(), agent["id"].as_str().unwrap().to_owned()));
    }
    let reads = (0..4).flat_map(|_| {
        agents.iter().flat_map(|(owner, id)| {
            [&app.key, &other_key].map(|key| (key.clone(), owner.clone(), id.clone()))
        })
    });
    let answers = futures::future::join_all(reads.map(|(key, owner, id)| {
        let app = &app;
        async move {
            let (status, body) = app
                .call_to(
                    &app.base,
                    &key,
                    Method::GET,
                    &format!("/v1/agents/{id}"),
                    None,
                )
                .await;
            (key == owner, id, status, body)
        }
    }))
    .await;
    assert_eq!(answers.len(), 64);
    for (owned, id, status, body) in answers {
        if owned {
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["id"], id.as_str());
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
            assert_eq!(body["error"]["code"], "AGENT_NOT_FOUND");
        }
    }
}

#[tokio::test]
async fn a_read_key_reads_but_gets_403_on_writes() {
    let app = TestApp::spawn().await;
    let read_key = app.create_key(app.tenant, Scope::Read).await;
    let list = app
        .request_to(&app.base, &read_key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let write = app
        .request_to(&app.base, &read_key, Method::POST, "/v1/agents")
        .json(&json!({"name": "Nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    let body: Value = write.json().await.unwrap();
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    let (_, list) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(list["pagination"]["total"], 0);
}

#[tokio::test]
async fn the_auth_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = app
            .http
            .get(format!("{}/v1/agents", app.base))
            .header("Authorization", format!("{scheme} {}", app.key))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn missing_malformed_or_unknown_keys_get_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let unknown = format!("afk_{}", "Z".repeat(40));
    let cases: Vec<Option<String>> = vec![
        None,
        Some("Basic abc".to_owned()),
        Some("Bearer short".to_owned()),
        Some(format!("Bearer {unknown}")),
    ];
    for authorization in cases {
        let mut request = app.http.get(format!("{}/v1/agents", app.base));
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNAUTHORIZED");
        assert_eq!(body["error"]["statusCode"], 401);
    }
}
