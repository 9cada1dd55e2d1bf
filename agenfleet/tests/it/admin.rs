use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

fn agenfleet(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_agenfleet"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("EVENT_LOG_URL", &app.log_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run agenfleet")
}

fn json_stdout(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "exactly one JSON object on stdout: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_tenant_and_create_key_print_one_json_object_with_working_keys() {
    let app = TestApp::spawn().await;
    let args = [
        "admin",
        "create-tenant",
        "--name",
        "Acme",
        "--plan",
        "operational",
        "--per-minute",
        "50",
        "--json",
    ];
    let created = json_stdout(&agenfleet(&app, &args));
    let tenant = created["tenantId"].as_str().unwrap().to_owned();
    let key = created["apiKey"].as_str().unwrap().to_owned();
    assert!(
        tenant.starts_with("ten_") && key.starts_with("afk_"),
        "{created}"
    );

    let response = app
        .request_to(&app.base, &key, Method::POST, "/v1/agents")
        .json(&json!({"name": "Nova"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let read = json_stdout(&agenfleet(
        &app,
        &[
            "admin",
            "create-key",
            "--tenant",
            &tenant,
            "--scope",
            "read",
            "--json",
        ],
    ));
    assert!(read["keyId"].as_str().unwrap().starts_with("key_"));
    let read_key = read["apiKey"].as_str().unwrap();
    let list: Value = app
        .request_to(&app.base, read_key, Method::GET, "/v1/agents")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["name"], "Nova");
    let write = app
        .request_to(&app.base, read_key, Method::DELETE, "/v1/agents/agent_x")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);

    let sql = app.sql().await;
    let row = sql
        .query_one(
            "SELECT plan, per_minute FROM tenants WHERE id = $1",
            &[&tenant],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<i32>>(1)),
        ("operational".to_owned(), Some(50))
    );
    // The keys are stored only as hashes.
    let plaintext = sql
        .query_one("SELECT count(*) FROM api_keys WHERE key_hash = $1", &[&key])
        .await
        .unwrap();
    assert_eq!(plaintext.get::<_, i64>(0), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_fail_with_a_message_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let output = agenfleet(
        &app,
        &["admin", "create-tenant", "--name", "X", "--plan", "gold"],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("foundation, operational or enterprise")
    );
    let output = agenfleet(&app, &["replay"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--yes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_rebuilds_the_read_models_and_reports_what_it_did() {
    let app = TestApp::spawn().await;
    for name in ["Nova", "Orion"] {
        app.request(Method::POST, "/v1/agents")
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
    }
    let (_, before) = app.call(Method::GET, "/v1/agents", None).await;
    let output = agenfleet(&app, &["replay", "--yes"]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("replay applied 4 records"), "{stdout}");
    let (_, after) = app.call(Method::GET, "/v1/agents", None).await;
    assert_eq!(after, before);
}
