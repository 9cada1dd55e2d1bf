//! Query parameters (every route's, checked by the [`Query`] extractor), the list ones
//! (`limit`, `offset`, `order`) and the list envelope.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use domain::validate::{check_chars, TextRule};
use futures::future::{ready, Ready};
use read_store::{Order, Page};
use schema::query::SortOrder;
use serde::Serialize;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// The query string as name → value (the last value wins when a name repeats).
pub type QueryParams = HashMap<String, String>;

/// The query string of a request, every parameter checked at the door: names and values are
/// one line of text ([`TextRule::Line`]): no control character (a `%00` decoded into a filter
/// would reach SQL). Every route reads its query through this extractor.
#[derive(Debug, Default)]
pub struct Query(pub QueryParams);

impl Query {
    /// Parses and checks a raw query string (percent-decoded; invalid UTF-8 becomes U+FFFD).
    pub fn parse(query_string: &str) -> Result<Self, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
            .map_err(|error| ApiError::field("query", format!("is malformed: {error}")))?
            .into_inner();
        let mut errors = Vec::new();
        for (name, value) in &pairs {
            if !check_chars("query", name, TextRule::Line, &mut errors) {
                continue;
            }
            check_chars(name, value, TextRule::Line, &mut errors);
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Self(pairs.into_iter().collect()))
    }
}

impl std::ops::Deref for Query {
    type Target = QueryParams;

    fn deref(&self) -> &QueryParams {
        &self.0
    }
}

impl FromRequest for Query {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

/// Reads `limit` (1..100, default 20), `offset` (0..=i64::MAX, default 0) and `order`
/// (asc|desc, default desc, or `default_order`).
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
            .ok_or_else(|| {
                ApiError::field(
                    "offset",
                    format!("must be an integer from 0 to {}", i64::MAX),
                )
            })?,
    };
    let order = match enum_param(query, "order", SortOrder::parse, "asc or desc")? {
        None => default_order,
        Some(SortOrder::Asc) => Order::Asc,
        Some(SortOrder::Desc) => Order::Desc,
    };
    Ok(Page {
        limit,
        offset,
        order,
    })
}

/// A page of a list: `{"data": [...], "pagination": {...}}`. Typed, so each item is written
/// field by field in the same order as the resource fetched alone.
#[derive(Serialize)]
pub struct Envelope<'a, T> {
    pub data: &'a [T],
    pub pagination: Pagination,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// `offset + data.length < total`.
    pub has_more: bool,
}

pub fn envelope<T: Serialize>(data: &[T], total: i64, page: Page) -> Envelope<'_, T> {
    Envelope {
        data,
        pagination: Pagination {
            total,
            limit: page.limit,
            offset: page.offset,
            has_more: page.offset.saturating_add(data.len() as i64) < total,
        },
    }
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
