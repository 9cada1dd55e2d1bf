//! The web console is served under /console/ from the binary itself, with strict security
//! headers, history routing and cacheable hashed assets.

use reqwest::{header, StatusCode};
use testkit::TestApp;

const HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

fn assert_secured(response: &reqwest::Response, what: &str) {
    for (name, value) in HEADERS {
        assert_eq!(response.headers()[*name], *value, "{what}: {name}");
    }
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
}

/// The app's HTML, for any route of the app, and the asset it loads.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_is_served_with_its_routes_and_assets() {
    let app = TestApp::spawn().await;
    let mut script = None;
    for path in [
        "/console/",
        "/console/agents/agent_x/sessions",
        "/console/cost",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_secured(&response, path);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = response.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{html}");
        // No inline script: the one script is a file of the build.
        assert!(!html.contains("<script>") && !html.contains("<script type=\"module\">"));
        script = html
            .split("src=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .find(|src| src.ends_with(".js"));
    }
    let script = script.expect("index.html loads a script");
    assert!(script.starts_with("/console/assets/"), "{script}");
    let response = app
        .http
        .get(format!("{}{script}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_secured(&response, &script);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = response.headers()[header::ETAG].clone();
    assert!(!response.bytes().await.unwrap().is_empty());

    // Revalidation answers 304 without a body.
    let again = app
        .http
        .get(format!("{}{script}", app.base))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    // Compressed for browsers that ask.
    let gzipped = app
        .http
        .get(format!("{}{script}", app.base))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
}

/// `/console` redirects to `/console/`; a missing file is the contract's 404, not the app.
#[tokio::test(flavor = "multi_thread")]
async fn missing_files_are_404_and_the_bare_path_redirects() {
    let app = TestApp::spawn().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{}/console", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()[header::LOCATION], "/console/");

    for path in ["/console/assets/missing.js", "/console/favicon.ico"] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}");
    }
    let response = app
        .http
        .post(format!("{}/console/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
}
