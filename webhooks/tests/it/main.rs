//! The delivery client against a real socket on loopback: what it sends, that it never follows
//! redirects, and that its resolver keeps it off loopback under the default policy.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use webhooks::target::{check_literal, http_client, TargetPolicy, USER_AGENT};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Answers one request with `response` and hands back the request head it read.
async fn serve_once(response: &'static str) -> (u16, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "client closed before sending a request head");
            head.extend_from_slice(&buf[..n]);
        }
        socket.write_all(response.as_bytes()).await.unwrap();
        socket.shutdown().await.unwrap();
        String::from_utf8_lossy(&head).to_lowercase()
    });
    (port, task)
}

#[tokio::test]
async fn a_redirect_is_returned_as_is_and_the_user_agent_is_agenfleet() {
    let (port, server) = serve_once(
        "HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await;
    let client = http_client(
        TargetPolicy {
            allow_private: true,
        },
        TIMEOUT,
    );
    let response = client
        .post(format!("http://localhost:{port}/hook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let head = server.await.unwrap();
    assert!(head.starts_with("post /hook http/1.1"), "{head}");
    assert!(
        head.contains(&format!("user-agent: {}", USER_AGENT.to_lowercase())),
        "{head}"
    );
}

#[tokio::test]
async fn the_default_policy_client_will_not_connect_to_a_name_for_loopback() {
    let client = http_client(TargetPolicy::default(), TIMEOUT);
    let err = client.get("http://localhost:9/").send().await.unwrap_err();
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    assert!(
        chain
            .iter()
            .any(|m| m.contains("resolves only to loopback/private/link-local")),
        "{chain:?}"
    );
}

#[test]
fn ip_literal_targets_are_caught_before_sending() {
    let url = url::Url::parse("http://127.0.0.1:9/").unwrap();
    assert!(check_literal(&url, TargetPolicy::default()).is_err());
}
