//! One attempt: the body of the event, the Standard Webhooks headers, the POST, and what the
//! answer means.
//!
//! Receivers are untrusted: an attempt ends at its timeout whatever the receiver does (connect,
//! TLS, headers and body under one deadline, not a fresh timeout per read), and reads at most
//! [`MAX_RESPONSE_BODY`] of the body, then drops the connection.

use std::time::{Duration, Instant};

use chrono::Utc;
use read_store::dispatch_queue::Claimed;
use webhooks::keyring::Keyring;
use webhooks::target::TargetPolicy;

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Any 2xx.
    Success(u16),
    /// `410 Gone`: the endpoint is disabled at once.
    Gone,
    /// Another status; `retry_after` from a 429 or 503.
    Failure {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: refused, timed out, an address the guard forbids…
    Error(String),
}

/// The most of a response body an attempt reads (and throws away: the attempt log keeps no
/// body). A receiver's acknowledgement fits many times over, and a body that ends within it
/// leaves the connection reusable; past it nothing more is read and the connection is closed,
/// so an endless body costs a read buffer, not memory for every byte the receiver sends.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// An attempt made: the answer, what went wrong after the status line (recorded in the attempt
/// log whatever the status), and how long the whole attempt took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    pub answer: Answer,
    pub note: Option<String>,
    pub took: Duration,
}

impl Attempted {
    fn error(error: String, started: Instant) -> Self {
        Self {
            answer: Answer::Error(error),
            note: None,
            took: started.elapsed(),
        }
    }
}

/// The delivery cannot be sent at all (not a failure of the receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsendable(pub String);

/// A delivery ready to be posted.
pub struct Prepared {
    pub url: url::Url,
    pub body: Vec<u8>,
    /// Standard Webhooks signing secrets; none: not signed (Slack, Telegram).
    pub secrets: Vec<Vec<u8>>,
    /// An operator-configured endpoint (the Telegram API): sent without the SSRF guard.
    pub trusted: bool,
}

/// The event body `{"id","event","timestamp","data"}`; `data` is the entry's data, plus the
/// message text for `message.created`.
pub fn body(claimed: &Claimed) -> Result<Vec<u8>, Unsendable> {
    body_with(claimed, Vec::new())
}

/// [`body`] with more fields in `data`.
pub fn body_with(
    claimed: &Claimed,
    extra: Vec<(&str, serde_json::Value)>,
) -> Result<Vec<u8>, Unsendable> {
    let Some((timestamp, data)) = &claimed.event else {
        return Err(Unsendable(format!(
            "event {} is not in the activity log",
            claimed.event_id
        )));
    };
    let mut data = data.clone();
    if let Some(object) = data.as_object_mut() {
        if let Some(content) = &claimed.content {
            object.insert("content".to_owned(), content.clone().into());
        }
        for (key, value) in extra {
            object.insert(key.to_owned(), value);
        }
    }
    let body = serde_json::json!({
        "id": claimed.event_id,
        "event": claimed.event_type,
        "timestamp": domain::activity::entry_timestamp(*timestamp),
        "data": data,
    });
    Ok(serde_json::to_vec(&body).expect("JSON values serialize"))
}

/// Everything but the send: the endpoint as it is now, its opened secrets, the body.
pub fn prepare(
    claimed: &Claimed,
    keyring: &Keyring,
    policy: TargetPolicy,
) -> Result<Prepared, Unsendable> {
    let Some(endpoint) = &claimed.endpoint else {
        return Err(Unsendable(match claimed.webhook_id {
            Some(_) => "the endpoint was deleted".to_owned(),
            None => "the agent has no gateway any more".to_owned(),
        }));
    };
    if !endpoint.enabled && claimed.event_type != "webhook.test" {
        return Err(Unsendable(
            "the endpoint is disabled (replay the events once it is enabled again)".to_owned(),
        ));
    }
    let url = webhooks::target::parse_url(&endpoint.url)
        .map_err(|error| Unsendable(error.to_string()))?;
    webhooks::target::check_literal(&url, policy).map_err(|error| Unsendable(error.to_string()))?;
    let secrets = open_secrets(keyring, &endpoint.secrets, &secret_context(claimed))?;
    Ok(Prepared {
        url,
        body: body(claimed)?,
        secrets,
        trusted: false,
    })
}

/// Opens sealed signing secrets into the bytes that sign.
pub fn open_secrets(
    keyring: &Keyring,
    sealed: &[String],
    context: &str,
) -> Result<Vec<Vec<u8>>, Unsendable> {
    sealed
        .iter()
        .map(|sealed| {
            let secret = keyring.decrypt(sealed, context).map_err(|error| {
                Unsendable(format!("the signing secret cannot be opened: {error}"))
            })?;
            let text = String::from_utf8(secret)
                .map_err(|_| Unsendable("the signing secret is not text".to_owned()))?;
            webhooks::signing::secret_bytes(&text)
                .map_err(|error| Unsendable(format!("the signing secret is invalid: {error}")))
        })
        .collect()
}

/// The associated data a secret is sealed with: `tenant/<owner>`, the owner being the
/// delivery's target (`wh_…`, `agent_…` for a gateway, `cron_…` for a job's output; see the
/// API's `signing_secrets`).
pub fn secret_context(claimed: &Claimed) -> String {
    format!("{}/{}", claimed.tenant_id, claimed.target)
}

/// Posts a prepared delivery once, all of it (connecting, sending, the answer and its body)
/// within `timeout`.
pub async fn post(
    client: &reqwest::Client,
    prepared: &Prepared,
    event_id: &str,
    timeout: Duration,
) -> Attempted {
    let timestamp = Utc::now().timestamp();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut request = client
        .post(prepared.url.clone())
        .header("content-type", "application/json");
    if !prepared.secrets.is_empty() {
        let signature = webhooks::signing::signature_header(
            &prepared.secrets,
            event_id,
            timestamp,
            &prepared.body,
        );
        request = request
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
    }
    // The client's own timeout is the same length; this deadline is the one that counts, and
    // it also covers the body below.
    let sending = request.body(prepared.body.clone()).send();
    let response = match tokio::time::timeout_at(deadline, sending).await {
        Ok(Ok(response)) => response,
        // The client's connect timeout (at most the attempt's).
        Ok(Err(error)) if error.is_timeout() && error.is_connect() => {
            let within = timeout.min(webhooks::target::CONNECT_TIMEOUT);
            let error = format!(
                "timed out: could not connect (DNS, TCP, TLS) within {}",
                display_duration(within)
            );
            return Attempted::error(error, started);
        }
        // The client's timeout, as long as this deadline: whichever fires first says the same.
        Ok(Err(error)) if error.is_timeout() => return no_answer(timeout, started),
        Ok(Err(error)) => return Attempted::error(describe(&error), started),
        Err(_) => return no_answer(timeout, started),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let note = match read_body(response, deadline).await {
        BodyEnd::Complete => None,
        BodyEnd::TooLong => Some(format!(
            "the response body is longer than {} KiB; the rest was not read",
            MAX_RESPONSE_BODY / 1024
        )),
        BodyEnd::TimedOut => Some(format!(
            "timed out: the response body did not end within {}",
            display_duration(timeout)
        )),
        BodyEnd::Failed(error) => Some(format!("reading the response body failed: {error}")),
    };
    let answer = match status {
        200..=299 => Answer::Success(status),
        410 => Answer::Gone,
        429 | 503 => Answer::Failure {
            status,
            retry_after,
        },
        _ => Answer::Failure {
            status,
            retry_after: None,
        },
    };
    Attempted {
        answer,
        note,
        took: started.elapsed(),
    }
}

fn no_answer(timeout: Duration, started: Instant) -> Attempted {
    let error = format!("timed out: no answer within {}", display_duration(timeout));
    Attempted::error(error, started)
}

/// How reading a response body ended.
enum BodyEnd {
    Complete,
    TooLong,
    TimedOut,
    Failed(String),
}

/// Reads the body chunk by chunk, counting and dropping each, until it ends, passes
/// [`MAX_RESPONSE_BODY`] or `deadline` passes. A body that ends leaves the connection to the
/// pool; any other end drops the response, which closes the connection (hyper reads no further).
async fn read_body(mut response: reqwest::Response, deadline: tokio::time::Instant) -> BodyEnd {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BODY as u64)
    {
        return BodyEnd::TooLong;
    }
    let mut read = 0;
    loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(None)) => return BodyEnd::Complete,
            Ok(Ok(Some(chunk))) => {
                read += chunk.len();
                if read > MAX_RESPONSE_BODY {
                    return BodyEnd::TooLong;
                }
            }
            Ok(Err(error)) if error.is_timeout() => return BodyEnd::TimedOut,
            Ok(Err(error)) => return BodyEnd::Failed(describe(&error)),
            Err(_) => return BodyEnd::TimedOut,
        }
    }
}

/// `2s`, `15s`, `1m 30s`.
pub fn display_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A short, useful description of a send error (with its causes).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
