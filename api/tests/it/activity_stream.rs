use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::TestApp;

/// A Server-Sent Events reader over a streaming response.
struct Sse {
    response: reqwest::Response,
    buffer: String,
}

impl Sse {
    async fn open(app: &TestApp, last_event_id: Option<i64>) -> Self {
        let mut request = app.request(Method::GET, "/v1/activity/stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event's `id:` and `data:` (comments skipped), or `None` after `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(i64, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data) = (None, None);
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id: ") {
                        id = value.parse().ok();
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data = serde_json::from_str(value).ok();
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    return Some((id, data));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_reconnects_with_last_event_id_misses_nothing_and_sees_nothing_twice() {
    let app = TestApp::spawn().await;
    app.create_agent(json!({"name": "Before"})).await;
    let mut stream = Sse::open(&app, None).await;

    // Changes go on while the client reads, drops the connection and comes back.
    let writer = {
        let app_base = app.base.clone();
        let key = app.key.clone();
        let http = reqwest::Client::new();
        tokio::spawn(async move {
            for i in 0..12 {
                let response = http
                    .post(format!("{app_base}/v1/agents"))
                    .bearer_auth(&key)
                    .json(&json!({"name": format!("agent-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    let mut seen: Vec<(i64, Value)> = Vec::new();
    while seen.len() < 4 {
        seen.push(
            stream
                .next(Duration::from_secs(10))
                .await
                .expect("an event"),
        );
    }
    drop(stream);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut stream = Sse::open(&app, Some(seen.last().unwrap().0)).await;
    writer.await.unwrap();
    while let Some(event) = stream.next(Duration::from_secs(2)).await {
        seen.push(event);
    }

    // Exactly the entries after the stream opened: the twelve creations, in order, once each.
    let sequences: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
    let first = sequences[0];
    assert_eq!(
        sequences,
        (first..first + 12).collect::<Vec<_>>(),
        "{sequences:?}"
    );
    for (id, entry) in &seen {
        assert_eq!(entry["sequence"], *id);
        assert_eq!(entry["type"], "agent.created");
    }
    // The streamed entries are the stored ones, hashes included.
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/activity?after={}&limit=100", first - 1),
            None,
        )
        .await;
    let stored: Vec<Value> = page["data"].as_array().unwrap().clone();
    let streamed: Vec<Value> = seen.into_iter().map(|(_, entry)| entry).collect();
    assert_eq!(streamed, stored);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_streams_of_a_tenant_all_get_every_new_entry_and_other_tenants_get_none() {
    let app = TestApp::spawn().await;
    let mut streams = Vec::new();
    for _ in 0..20 {
        streams.push(Sse::open(&app, None).await);
    }
    let (_, other_key) = app.create_tenant(schema::tenant::Plan::Enterprise).await;
    let mut other = {
        let response = app
            .request_to(&app.base, &other_key, Method::GET, "/v1/activity/stream")
            .send()
            .await
            .unwrap();
        Sse {
            response,
            buffer: String::new(),
        }
    };
    for name in ["One", "Two", "Three"] {
        app.create_agent(json!({"name": name})).await;
    }
    for stream in &mut streams {
        let mut names = Vec::new();
        for _ in 0..3 {
            let (_, entry) = stream
                .next(Duration::from_secs(10))
                .await
                .expect("an event");
            names.push(entry["data"]["name"].as_str().unwrap().to_owned());
        }
        assert_eq!(names, ["One", "Two", "Three"]);
    }
    assert!(other.next(Duration::from_millis(500)).await.is_none());

    // A resume point from the future is not an error, and a malformed one is.
    let response = app
        .request(Method::GET, "/v1/activity/stream")
        .header("Last-Event-ID", "soon")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
