use reqwest::{Method, StatusCode};
use serde_json::Value;
use testkit::TestApp;

/// The document passes a standard OpenAPI 3.1 validator (openapi-spec-validator, from PyPI;
/// scripts/test-services installs it) and describes every route the server mounts.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_is_valid_and_describes_every_mounted_route() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "served without a key");
    let text = response.text().await.unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));

    let file = std::env::temp_dir().join(format!("agenfleet-openapi-{}.json", std::process::id()));
    std::fs::write(&file, &text).unwrap();
    let validated = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&file);
    assert!(
        validated.status.success(),
        "openapi-spec-validator refused the document (install it with `pip install openapi-spec-validator` \
         or run the tests through scripts/test):\n{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    for (method, path) in api::routes::ROUTES {
        if *path == "/openapi.json" {
            continue;
        }
        let full = format!("/v1{path}");
        if *method == "head" {
            // Answered like GET, not listed as an operation of its own.
            assert!(
                document["paths"][&full]["head"].is_null(),
                "HEAD {full} is listed"
            );
            assert!(
                document["paths"][&full]["get"].is_object(),
                "HEAD {full} without GET"
            );
            continue;
        }
        let operation = &document["paths"][&full][*method];
        assert!(
            operation.is_object(),
            "{method} {full} is mounted but not in the OpenAPI document"
        );
        assert!(
            operation["responses"]["401"].is_object(),
            "{method} {full} documents its 401"
        );
        assert!(
            !operation["security"].is_null(),
            "{method} {full} documents its scope"
        );
        if matches!(*method, "post" | "patch" | "delete") {
            let parameters = operation["parameters"].as_array().unwrap();
            assert!(
                parameters.iter().any(|p| p["name"] == "Idempotency-Key"),
                "{method} {full}"
            );
        }
        // And it really is mounted: a request never meets the unknown-route 404 or a 405.
        let concrete = full.replace("{id}", "agent_01jq8abcdefghjkmnpqrstvw");
        let response = app
            .request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                &concrete,
            )
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_ne!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}"
        );
        if response.status() == StatusCode::NOT_FOUND && *method != "head" {
            let body: Value = response.json().await.unwrap();
            assert_ne!(
                body["error"]["code"], "NOT_FOUND",
                "{method} {concrete} is not mounted"
            );
        }
    }
    for schema in [
        "ErrorBody",
        "Agent",
        "ApiKey",
        "AgentPatch",
        "CreateAgentRequest",
    ] {
        assert!(
            document["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
}

/// Every `$ref` of the document names a component it defines (a schema used only by a
/// parameter is easily left out, and tools then skip the parameter's constraints).
#[test]
fn every_reference_of_the_document_resolves() {
    let document: Value = serde_json::from_str(api::openapi::document()).unwrap();
    fn walk(value: &Value, document: &Value, missing: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let pointer = reference.trim_start_matches('#');
                    if document.pointer(pointer).is_none() {
                        missing.push(reference.clone());
                    }
                }
                map.values().for_each(|v| walk(v, document, missing));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, document, missing)),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&document, &document, &mut missing);
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "unresolved references: {missing:?}");
}

/// The SDKs are generated from `sdks/openapi.json`; it must be the document the code serves, so
/// changing a type without regenerating fails here (and `scripts/sdk-generate --check` then
/// fails on SDK sources that differ from what the document generates).
#[test]
fn the_committed_document_of_the_sdks_is_the_served_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdks/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == api::openapi::document(),
        "sdks/openapi.json differs from the document the API serves: run scripts/sdk-generate \
         and commit what it changes"
    );
}
