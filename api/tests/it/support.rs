//! Assertions the API tests share.

use reqwest::StatusCode;
use serde_json::Value;

/// Asserts the status and the error code of an error answer.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    code: &str,
    what: &str,
) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
}

/// Asserts a 400 with a detail naming `field` whose message mentions `hint` (ignoring case).
pub fn assert_field_error(status: StatusCode, body: &Value, field: &str, hint: &str, what: &str) {
    assert_error(
        status,
        body,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        what,
    );
    let details = body["error"]["details"].as_array().expect("details");
    let detail = details
        .iter()
        .find(|d| d["field"] == field)
        .unwrap_or_else(|| panic!("{what}: no detail for `{field}` in {body}"));
    let message = detail["message"].as_str().unwrap();
    assert!(
        message.to_lowercase().contains(&hint.to_lowercase()),
        "{what}: `{field}` says {message:?}, expected it to mention {hint:?}"
    );
}
