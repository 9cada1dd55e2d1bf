use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

fn assert_error_body(body: &Value, code: &str, status: u16) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["statusCode"], status, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["error"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn every_framework_error_has_the_contract_body_and_headers() {
    let app = TestApp::spawn().await;
    let (_, agent) = app
        .call(Method::POST, "/v1/agents", Some(json!({"name": "Nova"})))
        .await;
    let id = agent["id"].as_str().unwrap();

    let unknown_route = app
        .request(Method::GET, "/v1/nothing-here")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_route.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown_route.headers()["api-version"], "1.2");
    assert_error_body(&unknown_route.json().await.unwrap(), "NOT_FOUND", 404);

    let wrong_method = app.request(Method::PUT, "/v1/agents").send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers()["allow"], "POST, GET, HEAD");
    let wrong_method_on_item = app
        .request(Method::OPTIONS, &format!("/v1/agents/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_method_on_item.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        wrong_method_on_item.headers()["allow"],
        "GET, HEAD, PATCH, DELETE"
    );
    assert_error_body(
        &wrong_method.json().await.unwrap(),
        "METHOD_NOT_ALLOWED",
        405,
    );

    let too_large = app
        .request(Method::POST, "/v1/agents")
        .header("Content-Type", "application/json")
        .body(format!("{{\"name\":\"{}\"}}", "x".repeat(1024 * 1024 + 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_error_body(&too_large.json().await.unwrap(), "PAYLOAD_TOO_LARGE", 413);

    let not_json = app
        .request(Method::POST, "/v1/agents")
        .header("Content-Type", "text/plain")
        .body("name=Nova")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error_body(
        &not_json.json().await.unwrap(),
        "UNSUPPORTED_MEDIA_TYPE",
        415,
    );

    let malformed = app
        .request(Method::PATCH, &format!("/v1/agents/{id}"))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_error_body(&body, "VALIDATION_ERROR", 400);
    assert_eq!(body["error"]["details"][0]["field"], "body");

    let bad_id = app
        .request(Method::GET, "/v1/agents/sess_01jq8abcdefghjkmnpqrstvwxy")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), StatusCode::NOT_FOUND);
    assert_error_body(&bad_id.json().await.unwrap(), "AGENT_NOT_FOUND", 404);
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_made_up_otherwise() {
    let app = TestApp::spawn().await;
    let echoed = app
        .request(Method::GET, "/v1/agents")
        .header("X-Request-Id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-123");
    let made_up = app
        .request(Method::GET, "/v1/agents")
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert!(made_up.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
    let error = app
        .request(Method::GET, "/v1/agents/agent_x")
        .header("X-Request-Id", "trace-456")
        .send()
        .await
        .unwrap();
    let body: Value = error.json().await.unwrap();
    assert_eq!(body["error"]["requestId"], "trace-456");
}

#[tokio::test]
async fn a_write_not_applied_in_time_is_a_504_with_its_command_id_and_is_applied_later() {
    let mut app = TestApp::spawn().await;
    let impatient = app.start_api_with_timeout(Duration::from_millis(300)).await;
    app.stop_projector().await;
    let response = app
        .request_to(&impatient, &app.key, Method::POST, "/v1/agents")
        .json(&json!({"name": "Late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let body: Value = response.json().await.unwrap();
    assert_error_body(&body, "COMMAND_TIMEOUT", 504);
    assert!(body["error"]["details"][0]["commandId"]
        .as_str()
        .unwrap()
        .starts_with("cmd_"));

    app.start_projector();
    let list = testkit::eventually(
        Duration::from_secs(10),
        "the late command to be applied",
        || async {
            let list: Value = app
                .request(Method::GET, "/v1/agents")
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (list["pagination"]["total"] == 1).then_some(list)
        },
    )
    .await;
    assert_eq!(list["data"][0]["name"], "Late");
}

/// With the database unreachable, requests get 503 with Retry-After (never a 500), and
/// `/readyz` says the API is not ready while `/healthz` says it is alive.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_gives_503_with_retry_after() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = memory_log_config(
        format!("postgres://postgres@127.0.0.1:{closed_port}/nothing"),
        1,
    );
    let log = event_log::connect("memory://").await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let running = api::serve(config, log, shutdown).await.unwrap();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let response = http
        .get(format!("{base}/v1/agents"))
        .bearer_auth(format!("afk_{}", "a".repeat(40)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_error_body(&response.json().await.unwrap(), "SERVICE_UNAVAILABLE", 503);
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn head_is_answered_like_get_without_a_body_even_with_a_read_key() {
    let app = TestApp::spawn().await;
    let read_key = app
        .create_key(app.tenant, schema::tenant::Scope::Read)
        .await;
    let response = app
        .request_to(&app.base, &read_key, Method::HEAD, "/v1/agents")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["api-version"], "1.2");
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::spawn().await;
    let config = api::ApiConfig {
        database_url: app.db.url.clone(),
        event_log_url: Some(app.log_url.clone()),
        listen: "127.0.0.1:0".to_owned(),
        command_timeout: Duration::from_secs(5),
        model_catalog: None,
        workers: Some(1),
        db_pool: 2,
        shutdown_timeout: Duration::from_secs(1),
        rate_limits: true,
        cors_origins: vec!["https://console.example".to_owned()],
        secret_key: None,
        allow_private_targets: false,
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let running = api::serve(config, app.log.clone(), shutdown).await.unwrap();
    let base = format!("http://{}", running.addr);
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{base}/v1/agents"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://console.example").await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://console.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let get = app
        .request_to(&base, &app.key, Method::GET, "/v1/agents")
        .header("Origin", "https://console.example")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        "https://console.example"
    );
    let exposed = get.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("x-ratelimit-remaining") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}

/// A worker count actix-web cannot run (none, or more than 512) is refused as the API starts,
/// naming the variable to fix (it used to stop the process with a panic).
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_count_out_of_range_is_refused_naming_the_variable() {
    let log = event_log::connect("memory://").await.unwrap();
    for workers in [0, 513] {
        let config = memory_log_config(
            "postgres://postgres@127.0.0.1:1/nothing".to_owned(),
            workers,
        );
        let shutdown = tokio_util::sync::CancellationToken::new();
        let Err(error) = api::serve(config, log.clone(), shutdown).await else {
            panic!("{workers} workers were accepted");
        };
        let message = format!("{error:#}");
        assert!(
            message.contains("AGENFLEET_API_WORKERS must be between 1 and 512"),
            "{message}"
        );
    }
}

/// An API on `database_url` and the in-memory log, with `workers` HTTP workers, 2 s to wait
/// for a command and the defaults otherwise.
fn memory_log_config(database_url: String, workers: usize) -> api::ApiConfig {
    api::ApiConfig {
        database_url,
        event_log_url: Some("memory://".to_owned()),
        listen: "127.0.0.1:0".to_owned(),
        command_timeout: Duration::from_secs(2),
        model_catalog: None,
        workers: Some(workers),
        db_pool: 2,
        shutdown_timeout: Duration::from_secs(1),
        rate_limits: true,
        cors_origins: Vec::new(),
        secret_key: None,
        allow_private_targets: false,
    }
}
