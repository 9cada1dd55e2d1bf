//! `/v1/webhooks` and their deliveries through the real API (contract section 9). No
//! dispatcher runs here: deliveries are queued by the projector and stay `pending`.

mod access;
mod deliveries;
mod endpoints;
mod validation;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::support::{assert_error, assert_field_error};
use reqwest::{Method, StatusCode};
use schema::command::{Command, DisableWebhook};
use schema::tenant::{Plan, Scope};
use schema::{Actor, CommandRecord};
use serde_json::{json, Value};
use testkit::TestApp;

const URL: &str = "https://example.com/agenfleet/hooks";

/// Creates an endpoint through the API and returns the 201 body (with its secret).
async fn create_webhook(app: &TestApp, body: Value) -> Value {
    let (status, webhook) = app.call(Method::POST, "/v1/webhooks", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    webhook
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Every delivery of an endpoint (newest first), optionally of one status.
async fn deliveries(app: &TestApp, webhook: &str, query: &str) -> Vec<Value> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/webhooks/{webhook}/deliveries?limit=100{query}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().expect("a data array").clone()
}

/// How many deliveries of each event type an endpoint has.
async fn delivered_types(app: &TestApp, webhook: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for delivery in deliveries(app, webhook, "").await {
        *counts
            .entry(delivery["eventType"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

/// The ids of the tenant's activity entries of one type, oldest first.
async fn activity_ids(app: &TestApp, event_type: &str) -> Vec<String> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/activity?type={event_type}&order=asc&limit=100"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().iter().map(id_of).collect()
}

/// Standard base64 (with padding) decoded, or None if it is not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in body.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(bytes)
}

fn assert_fresh_secret(webhook: &Value) -> String {
    let secret = webhook["secret"].as_str().expect("a secret").to_owned();
    let encoded = secret
        .strip_prefix("whsec_")
        .unwrap_or_else(|| panic!("the secret starts with whsec_: {secret}"));
    let bytes = decode_base64(encoded).unwrap_or_else(|| panic!("base64 after whsec_: {secret}"));
    assert_eq!(bytes.len(), 32, "32 random bytes: {secret}");
    secret
}

/// Every object key anywhere in `value`.
fn keys(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                into.push(key.clone());
                keys(inner, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, into)),
        _ => {}
    }
}
