//! Request bodies: JSON only, at most 1 MiB, unknown fields refused with the field's path.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use schema::ErrorCode;

pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body parsed into `T` (whose type should deny unknown fields).
pub struct JsonBody<T>(pub T);

/// The raw body and its media type, for routes that accept more than JSON.
pub struct RawBody {
    pub media_type: Option<String>,
    pub bytes: web::Bytes,
}

/// The media type of the request without parameters, lowercased.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

pub fn is_json(media_type: Option<&str>) -> bool {
    matches!(
        media_type,
        Some("application/json" | "application/merge-patch+json")
    )
}

/// Parses JSON with the path of the offending field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // serde_json appends " at line L column C"; the field path says more.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::field("body", format!("is not valid JSON: {message}"))
        } else if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let field = if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
            ApiError::field(&field, "is required")
        } else if path == "." {
            ApiError::field("body", message)
        } else {
            ApiError::field(&path, message)
        }
    })
}

/// Reads a whole body, refusing more than 1 MiB with 413.
pub(crate) async fn read_limited(mut payload: Payload) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|error| ApiError::field("body", format!("could not be read: {error}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 1 MiB",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = media_type(req);
        let declared_too_large = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|length| length > MAX_BODY_BYTES);
        let payload = payload.take();
        Box::pin(async move {
            if declared_too_large {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "The request body is larger than 1 MiB",
                ));
            }
            Ok(RawBody {
                media_type,
                bytes: read_limited(payload).await?,
            })
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = RawBody::from_request(req, payload);
        Box::pin(async move {
            let raw = raw.await?;
            json_from_raw(&raw).map(JsonBody)
        })
    }
}

/// Parses a raw body that must be JSON. An empty body without a media type reads as `{}` so
/// that routes whose fields are all optional can be called bare.
pub fn json_from_raw<T: DeserializeOwned>(raw: &RawBody) -> Result<T, ApiError> {
    if raw.bytes.is_empty() && raw.media_type.is_none() {
        return parse_json(b"{}");
    }
    if !is_json(raw.media_type.as_deref()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "Content-Type {} is not supported; send application/json",
                raw.media_type.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    parse_json(&raw.bytes)
}
