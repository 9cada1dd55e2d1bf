//! Checks webhook signatures with Python's `standardwebhooks` package, the Standard Webhooks
//! reference implementation, which shares no code with the dispatcher's signer. Installed by
//! `scripts/test-services` and `.ci/run` (`python3 -m pip install standardwebhooks`).

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;

use crate::receiver::Received;

/// Reads `{"secret", "requests": [{"headers": [[name, value]…], "body": base64}]}` on stdin and
/// prints one entry per request: `null` when it verifies, else the exception's text. The
/// library also rejects timestamps more than five minutes from now and bodies that are not
/// UTF-8 JSON.
const VERIFY: &str = r#"
import base64, json, sys
from standardwebhooks import Webhook
data = json.load(sys.stdin)
try:
    hook, setup_error = Webhook(data["secret"]), None
except Exception as e:
    hook, setup_error = None, f"{type(e).__name__}: {e}"
answers = []
for request in data["requests"]:
    headers = {}
    for name, value in request["headers"]:
        headers.setdefault(name.lower(), value)
    if setup_error is not None:
        answers.append(setup_error)
        continue
    try:
        hook.verify(base64.b64decode(request["body"]), headers)
        answers.append(None)
    except Exception as e:
        answers.append(f"{type(e).__name__}: {e}")
json.dump(answers, sys.stdout)
"#;

/// Verifies each request with `standardwebhooks.Webhook(secret).verify(body, headers)` in one
/// python3 process; returns, per request, `Ok(())` or `Err(python's error text)`. When a header
/// is repeated the first value counts, as in [`Received::header`]. Panics when python3 or the
/// package is missing.
pub fn verify_with_python(secret: &str, requests: &[Received]) -> Vec<Result<(), String>> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let input = serde_json::json!({
        "secret": secret,
        "requests": requests
            .iter()
            .map(|r| serde_json::json!({
                "headers": r.headers,
                "body": base64.encode(&r.body),
            }))
            .collect::<Vec<_>>(),
    });
    // `-c` rather than `python3 -`: stdin carries the data, not the script.
    let mut child = Command::new("python3")
        .args(["-c", VERIFY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("python3 stdin")
        .write_all(&serde_json::to_vec(&input).expect("JSON input"))
        .expect("write requests to python3");
    let output = child.wait_with_output().expect("python3 finishes");
    assert!(
        output.status.success(),
        "verifying with python's standardwebhooks failed (install it with \
         `python3 -m pip install standardwebhooks`, as scripts/test-services does): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Option<String>> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "python's answer is not a JSON list ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
        .into_iter()
        .map(|answer| match answer {
            None => Ok(()),
            Some(error) => Err(error),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::receiver::Receiver;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// `v1,` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")), computed with
    /// python's standard library alone, as the Standard Webhooks spec describes it.
    fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
        let script = r#"
import base64, hashlib, hmac, sys
secret, id, timestamp = sys.argv[1:4]
key = base64.b64decode(secret.removeprefix("whsec_"))
message = f"{id}.{timestamp}.".encode() + sys.stdin.buffer.read()
print("v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode())
"#;
        let mut child = Command::new("python3")
            .args(["-c", script, secret, id, &timestamp.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(body).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn signed(secret: &str, id: &str, timestamp: i64, body: &str) -> Received {
        let signature = sign(secret, id, timestamp, body.as_bytes());
        Received {
            at: Instant::now(),
            received_at: chrono::Utc::now(),
            method: "POST".into(),
            path: "/hook".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), timestamp.to_string()),
                ("webhook-signature".into(), signature),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    fn failed(result: &Result<(), String>, expected: &str) -> bool {
        matches!(result, Err(e) if e.contains(expected))
    }

    #[test]
    fn a_signed_request_verifies_and_tampering_or_a_wrong_secret_does_not() {
        let now = chrono::Utc::now().timestamp();
        let body = r#"{"type":"session.completed","data":{"note":"é ✓"}}"#;
        let good = signed(SECRET, "msg_1", now, body);
        let mut tampered = good.clone();
        tampered.body = r#"{"type":"session.completed","data":{"note":"e ✓"}}"#.into();
        let mut retimed = good.clone();
        retimed.headers[2].1 = (now - 1).to_string();
        let mut unsigned = good.clone();
        unsigned.headers.retain(|(n, _)| n != "webhook-signature");
        let old = signed(SECRET, "msg_2", now - 600, body);
        let other_secret = signed("whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==", "msg_3", now, body);

        let results = verify_with_python(
            SECRET,
            &[good, tampered, retimed, unsigned, old, other_secret],
        );
        assert_eq!(results[0], Ok(()));
        assert!(failed(&results[1], "No matching signature"), "{results:?}");
        assert!(failed(&results[2], "No matching signature"), "{results:?}");
        assert!(
            failed(&results[3], "Missing required headers"),
            "{results:?}"
        );
        assert!(failed(&results[4], "too old"), "{results:?}");
        assert!(failed(&results[5], "No matching signature"), "{results:?}");
        assert!(results[1..]
            .iter()
            .all(|r| failed(r, "WebhookVerificationError")));
    }

    #[test]
    fn the_wrong_secret_fails_every_request() {
        let now = chrono::Utc::now().timestamp();
        let good = signed(SECRET, "msg_1", now, "{}");
        let results = verify_with_python("whsec_d3Jvbmc=", &[good.clone(), good]);
        assert!(
            results.iter().all(|r| failed(r, "No matching signature")),
            "{results:?}"
        );
        assert!(verify_with_python(SECRET, &[]).is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_request_recorded_by_the_receiver_verifies_byte_for_byte() {
        let receiver = Receiver::start().await;
        let now = chrono::Utc::now().timestamp();
        let body = "{\"text\":\"line\\nbreak \u{1F600}\",\"n\":1.50}";
        let signature = sign(SECRET, "msg_e2e", now, body.as_bytes());
        reqwest::Client::new()
            .post(receiver.url())
            .header("content-type", "application/json")
            .header("webhook-id", "msg_e2e")
            .header("webhook-timestamp", now.to_string())
            .header(
                "webhook-signature",
                format!("v1,bm90LXRoaXMtb25l {signature}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let requests = receiver.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(verify_with_python(SECRET, &requests), [Ok(())]);
    }
}
