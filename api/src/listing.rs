//! List query parameters (`limit`, `offset`, `order`) and the list envelope.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use read_store::{Order, Page};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// The query string as name → value (the last value wins when a name repeats).
pub type QueryParams = HashMap<String, String>;

/// Reads `limit` (1..100, default 20), `offset` (>= 0, default 0) and `order` (asc|desc,
/// default desc, or `default_order`).
pub fn page(query: &QueryParams, default_order: Order) -> Result<Page, ApiError> {
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::field("limit", format!("must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    let offset = match query.get("offset") {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|offset| *offset >= 0)
            .ok_or_else(|| ApiError::field("offset", "must be an integer >= 0"))?,
    };
    let order = match query.get("order").map(String::as_str) {
        None => default_order,
        Some("asc") => Order::Asc,
        Some("desc") => Order::Desc,
        Some(_) => return Err(ApiError::field("order", "must be asc or desc")),
    };
    Ok(Page {
        limit,
        offset,
        order,
    })
}

/// `{"data": [...], "pagination": {total, limit, offset, hasMore}}`.
pub fn envelope<T: Serialize>(data: &[T], total: i64, page: Page) -> Value {
    json!({
        "data": data,
        "pagination": {
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "hasMore": page.offset + (data.len() as i64) < total,
        }
    })
}

/// An optional query parameter that must be one of an enum's wire names.
pub fn enum_param<T>(
    query: &QueryParams,
    name: &str,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| ApiError::field(name, format!("must be one of {allowed}"))),
    }
}

/// A time query parameter: RFC 3339 with any offset (fractional seconds allowed), as UTC.
pub fn time_param(query: &QueryParams, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = query.get(name) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .map(|at| Some(at.with_timezone(&Utc)))
        .map_err(|_| {
            ApiError::field(
                name,
                "must be an RFC 3339 timestamp such as 2026-01-15T09:00:00Z (send a + offset as %2B)",
            )
        })
}
