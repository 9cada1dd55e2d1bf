//! A real HTTP webhook receiver on `127.0.0.1:0` for the dispatcher's tests and benchmark: it
//! records every request and answers from a script (statuses, `Retry-After`, hangs, delays).
//!
//! Built on hyper's HTTP/1 server with one tokio task per connection (keep-alive, hundreds of
//! in-flight requests, no thread pool of its own). Dropping the [`Receiver`] cancels the
//! accept loop and every connection, which also releases requests left hanging.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer at once with this status and an empty body.
    Status(u16),
    /// Answer at once with this status and `Retry-After: <seconds>`.
    StatusRetryAfter(u16, u64),
    /// Read the request, record it, and never answer (until the receiver is dropped, which
    /// closes the connection).
    Hang,
    /// Answer with this status after this long.
    Delay(Duration, u16),
}

impl Reply {
    fn status(&self) -> Option<u16> {
        match self {
            Reply::Status(s) | Reply::StatusRetryAfter(s, _) | Reply::Delay(_, s) => Some(*s),
            Reply::Hang => None,
        }
    }
}

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub method: String,
    /// The path alone, without the query string.
    pub path: String,
    /// Header names in lowercase, in the order they were sent (repeats kept).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of this header (the name is matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics, showing the body, when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} body is not JSON ({e}): {}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

struct Script {
    requests: Vec<Received>,
    next: VecDeque<Reply>,
    default: Reply,
}

struct Shared {
    script: Mutex<Script>,
    /// The number of requests recorded, for `wait_for` to watch without polling.
    count: watch::Sender<usize>,
    stop: CancellationToken,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        // A panicking test thread must not turn every later request into a second panic.
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the request and picks its reply under one lock, so the n-th arrival gets the
    /// n-th scripted reply.
    fn record(&self, received: Received) -> Reply {
        let mut script = self.lock();
        script.requests.push(received);
        self.count.send_replace(script.requests.len());
        script
            .next
            .pop_front()
            .unwrap_or_else(|| script.default.clone())
    }
}

/// A running receiver. Dropping it stops the server.
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: DropGuard,
}

impl Receiver {
    /// Starts a receiver on `127.0.0.1:0` whose default reply is `200` with an empty body.
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook receiver on 127.0.0.1:0");
        let addr = listener.local_addr().expect("receiver address");
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            script: Mutex::new(Script {
                requests: Vec::new(),
                next: VecDeque::new(),
                default: Reply::Status(200),
            }),
            count: watch::Sender::new(0),
            stop: stop.clone(),
        });
        tokio::spawn(accept_loop(listener, shared.clone()));
        Receiver {
            addr,
            shared,
            _stop: stop.drop_guard(),
        }
    }

    /// `http://127.0.0.1:PORT/hook` (any path is accepted).
    pub fn url(&self) -> String {
        format!("{}/hook", self.base())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next requests get these replies, in order; the ones after them the default.
    /// Replaces what is left of an earlier script.
    pub fn script(&self, replies: Vec<Reply>) {
        replies.iter().for_each(check_status);
        self.shared.lock().next = replies.into();
    }

    /// The reply once the script is used up.
    pub fn set_default(&self, reply: Reply) {
        check_status(&reply);
        self.shared.lock().default = reply;
    }

    /// Every request so far, in arrival order (recorded before the reply, hung ones included).
    pub fn requests(&self) -> Vec<Received> {
        self.shared.lock().requests.clone()
    }

    /// How many requests have arrived so far (cheaper than `requests().len()`).
    pub fn count(&self) -> usize {
        *self.shared.count.borrow()
    }

    /// Waits until at least `count` requests have arrived and returns every request so far;
    /// panics with what did arrive when `timeout` passes first.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let mut seen = self.shared.count.subscribe();
        // `is_ok` drops the watch guard at once: holding it would block `record`. The sender
        // lives in `self`, so the inner `wait_for` can only end by reaching the count.
        let reached = tokio::time::timeout(timeout, seen.wait_for(|n| *n >= count))
            .await
            .is_ok();
        if !reached {
            let requests = self.requests();
            let summary: Vec<String> = requests
                .iter()
                .map(|r| {
                    format!(
                        "{} {} webhook-id={}",
                        r.method,
                        r.path,
                        r.header("webhook-id").unwrap_or("-")
                    )
                })
                .collect();
            panic!(
                "webhook receiver {}: expected {count} requests within {timeout:?}, got {}: {summary:#?}",
                self.url(),
                requests.len()
            );
        }
        self.requests()
    }
}

fn check_status(reply: &Reply) {
    if let Some(status) = reply.status() {
        assert!(
            StatusCode::from_u16(status).is_ok(),
            "{reply:?}: {status} is not an HTTP status code"
        );
    }
}

/// Accepts connections until the receiver is dropped.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = tokio::select! {
            () = shared.stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                // Small request/response pairs: do not let Nagle hold them back.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
            // Out of file descriptors or a connection reset before accept: back off briefly
            // rather than spin, and keep serving.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Serves one keep-alive connection until the client closes it or the receiver is dropped
/// (then the connection is dropped mid-request, which also ends any `Hang`).
async fn serve_connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let stop = shared.stop.clone();
    let service = hyper::service::service_fn(move |request| answer(request, shared.clone()));
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        () = stop.cancelled() => {}
        // Client resets and malformed requests are the client's business, not the test's.
        _ = connection => {}
    }
}

async fn answer(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let at = Instant::now();
    let received_at = chrono::Utc::now();
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        // The client went away mid-body: nothing was delivered, so nothing is recorded.
        Err(_) => return Ok(status_only(400)),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let reply = shared.record(Received {
        at,
        received_at,
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        headers,
        body,
    });
    Ok(match reply {
        Reply::Status(status) => status_only(status),
        Reply::StatusRetryAfter(status, seconds) => {
            let mut response = status_only(status);
            response
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, seconds.into());
            response
        }
        Reply::Delay(delay, status) => {
            tokio::time::sleep(delay).await;
            status_only(status)
        }
        Reply::Hang => {
            // The connection task drops this future when the receiver is dropped.
            std::future::pending::<()>().await;
            unreachable!("a hung request is only ever dropped")
        }
    })
}

fn status_only(status: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    // Statuses were checked when scripted.
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    async fn post(url: &str, body: &str) -> reqwest::Response {
        client()
            .post(url)
            .header("content-type", "application/json")
            .header("Webhook-Id", "msg_1")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn scripted_replies_come_in_order_then_the_default() {
        let receiver = Receiver::start().await;
        receiver.script(vec![Reply::Status(500), Reply::StatusRetryAfter(503, 7)]);

        let first = post(&receiver.url(), r#"{"n":1}"#).await;
        assert_eq!(first.status(), 500);
        let second = post(&receiver.url(), r#"{"n":2}"#).await;
        assert_eq!(second.status(), 503);
        assert_eq!(second.headers()["retry-after"], "7");
        let third = post(&format!("{}/elsewhere?x=1", receiver.base()), r#"{"n":3}"#).await;
        assert_eq!(third.status(), 200);
        assert!(third.headers().get("retry-after").is_none());

        let requests = receiver.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].method, "POST");
        assert_eq!(requests[0].path, "/hook");
        assert_eq!(requests[2].path, "/elsewhere");
        assert_eq!(requests[0].header("webhook-id"), Some("msg_1"));
        assert_eq!(requests[0].header("WEBHOOK-ID"), Some("msg_1"));
        assert!(requests
            .iter()
            .all(|r| r.headers.iter().all(|(n, _)| *n == n.to_ascii_lowercase())));
        let ns: Vec<_> = requests.iter().map(|r| r.json()["n"].clone()).collect();
        assert_eq!(ns, [1, 2, 3]);
        assert!(requests.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_hung_request_does_not_block_others_and_is_recorded() {
        let receiver = Receiver::start().await;
        receiver.script(vec![Reply::Hang]);
        let url = receiver.url();
        let hung = tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .body("hang")
                .timeout(Duration::from_secs(30))
                .send()
                .await
        });
        receiver.wait_for(1, Duration::from_secs(5)).await;

        let started = Instant::now();
        assert_eq!(post(&receiver.url(), "{}").await.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!hung.is_finished());
        assert_eq!(receiver.requests()[0].body, b"hang");

        // Dropping the receiver closes the hung connection instead of leaving it waiting.
        drop(receiver);
        let outcome = tokio::time::timeout(Duration::from_secs(5), hung)
            .await
            .expect("the hung request ends when the receiver is dropped")
            .unwrap();
        assert!(outcome.is_err(), "{outcome:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn delayed_replies_wait_and_many_requests_run_at_once() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::Delay(Duration::from_millis(300), 202));
        let http = client();
        let started = Instant::now();
        let sends = (0..200).map(|i| {
            http.post(receiver.url())
                .body(format!("{{\"i\":{i}}}"))
                .send()
        });
        let responses = futures_join_all(sends).await;
        assert!(responses
            .iter()
            .all(|r| r.as_ref().unwrap().status() == 202));
        // 200 requests of 300 ms each, served concurrently rather than one after another.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(
            receiver.wait_for(200, Duration::from_secs(1)).await.len(),
            200
        );
        assert_eq!(receiver.count(), 200);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn wait_for_returns_once_enough_requests_arrived() {
        let receiver = Receiver::start().await;
        let url = receiver.url();
        tokio::spawn(async move {
            for i in 0..3 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                post(&url, &i.to_string()).await;
            }
        });
        let requests = receiver.wait_for(3, Duration::from_secs(10)).await;
        assert!(requests.len() >= 3);
        assert_eq!(receiver.wait_for(0, Duration::ZERO).await.len(), 3);
    }

    #[tokio::test(flavor = "multi_thread")]
    #[should_panic(expected = "expected 2 requests within")]
    async fn wait_for_panics_with_what_arrived_on_timeout() {
        let receiver = Receiver::start().await;
        post(&receiver.url(), "{}").await;
        receiver.wait_for(2, Duration::from_millis(200)).await;
    }

    /// Runs the futures concurrently on the test runtime (no `futures` crate needed).
    async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut outputs = Vec::with_capacity(handles.len());
        for handle in handles {
            outputs.push(handle.await.unwrap());
        }
        outputs
    }
}
