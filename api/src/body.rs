//! Request bodies: JSON only, at most 1 MiB, unknown fields refused with the field's path, and
//! no string the system cannot store (U+0000) in any field.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use std::fmt;

use domain::validate::TextRule;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::ApiError;
use schema::{ErrorCode, FieldError};

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

/// Parses JSON with the path of the offending field in the error. Every string and field
/// name is checked first ([`check_json`]), so no type can forget it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    check_json(bytes)?;
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = without_position(&inner);
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

/// serde_json appends " at line L column C"; the field path says more.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned()
}

/// The most details one refusal lists (a body may hold thousands of bad strings).
const MAX_DETAILS: usize = 20;

/// Walks the whole document, untyped, before anything is deserialized: refuses what is not
/// JSON (a lone surrogate escape such as `"\ud800"`, trailing data), naming the field where
/// the error is; every string holding U+0000, which Postgres `text` and `jsonb` cannot store
/// (the field-specific rules of `domain::validate` come later, with the types); and any field
/// name holding a control character.
pub fn check_json(bytes: &[u8]) -> Result<(), ApiError> {
    let mut found = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let walk = Walk {
        path: String::new(),
        found: &mut found,
    };
    let walked = walk
        .deserialize(serde_path_to_error::Deserializer::new(
            &mut json, &mut track,
        ))
        .and_then(|()| json.end());
    if let Err(error) = walked {
        let path = track.path().to_string();
        let field = if error.is_eof() || path == "." {
            "body"
        } else {
            &path
        };
        return Err(ApiError::field(
            field,
            format!("is not valid JSON: {}", without_position(&error)),
        ));
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(found))
    }
}

/// A visitor over any JSON value that notes refused strings with their path (written like
/// serde_path_to_error's: `toolCalls[0].name`, `config.model.default`).
struct Walk<'a> {
    path: String,
    found: &'a mut Vec<FieldError>,
}

impl Walk<'_> {
    fn field(&self) -> &str {
        if self.path.is_empty() {
            "body"
        } else {
            &self.path
        }
    }

    fn note(&mut self, field: String, rule: TextRule, value: &str) {
        if self.found.len() < MAX_DETAILS {
            domain::validate::check_chars(&field, value, rule, self.found);
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(mut self, value: &str) -> Result<(), E> {
        let field = self.field().to_owned();
        self.note(field, TextRule::Verbatim, value);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (path, found) = (self.path, self.found);
        let mut index = 0usize;
        loop {
            let element = Walk {
                path: format!("{path}[{index}]"),
                found: &mut *found,
            };
            if seq.next_element_seed(element)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (path, found) = (self.path, self.found);
        while let Some(key) = map.next_key::<String>()? {
            // Control characters escaped (`\u{0}`), as errors show field names.
            let shown = domain::validate::escape_controls(&key, usize::MAX);
            let child = if path.is_empty() {
                shown
            } else {
                format!("{path}.{shown}")
            };
            let mut value = Walk {
                path: child,
                found: &mut *found,
            };
            if TextRule::Line.first_refused(&key).is_some() {
                let field = value.path.clone();
                value.note(field, TextRule::Line, &key);
            }
            map.next_value_seed(value)?;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)] // Read by `Debug` in failures only.
    struct Call {
        name: String,
        duration_ms: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Message {
        content: String,
        #[serde(default)]
        tool_calls: Vec<Call>,
    }

    fn fields(body: &str) -> Vec<String> {
        match parse_json::<Message>(body.as_bytes()) {
            Ok(message) => panic!("{body} parsed: {message:?}"),
            Err(error) => error
                .details
                .iter()
                .map(|d| d["field"].as_str().unwrap().to_owned())
                .collect(),
        }
    }

    fn message(body: &str) -> String {
        parse_json::<Message>(body.as_bytes()).unwrap_err().message
    }

    #[test]
    fn nul_is_refused_in_every_string_by_its_path() {
        assert_eq!(fields(r#"{"content": "a\u0000b"}"#), ["content"]);
        assert_eq!(
            fields(r#"{"content": "ok", "toolCalls": [{"name": "x"}, {"name": "\u0000"}]}"#),
            ["toolCalls[1].name"]
        );
        // Even where the type would refuse the field anyway, and all at once.
        assert_eq!(
            fields(r#"{"content": "\u0000", "extra": {"deep": ["\u0000"]}}"#),
            ["content", "extra.deep[0]"]
        );
        assert_eq!(fields(r#""\u0000""#), ["body"]);
        assert!(message(r#"{"content": "\u0000"}"#).contains("U+0000"));
    }

    #[test]
    fn control_characters_in_field_names_are_refused_and_shown_escaped() {
        assert_eq!(fields("{\"content\": \"x\", \"a\\u0001\": 1}"), ["a\\u{1}"]);
    }

    #[test]
    fn lone_surrogates_and_raw_controls_are_json_errors_naming_the_field() {
        for body in [
            r#"{"content": "\ud800"}"#,
            r#"{"content": "\udfff"}"#,
            "{\"content\": \"a\u{1}b\"}",
        ] {
            assert_eq!(fields(body), ["content"], "{body}");
            assert!(message(body).contains("not valid JSON"), "{body}");
        }
        let nested = r#"{"content": "x", "toolCalls": [{"name": "\ud800x"}]}"#;
        assert_eq!(fields(nested), ["toolCalls[0].name"]);
        // A valid pair is a character like any other.
        let emoji = parse_json::<Message>(br#"{"content": "\ud83d\ude00"}"#).unwrap();
        assert_eq!(emoji.content, "😀");
    }

    #[test]
    fn truncated_and_trailing_data_are_errors_of_the_body() {
        assert_eq!(fields(r#"{"content": "#), ["body"]);
        assert_eq!(fields(r#"{"content": "x"} {}"#), ["body"]);
        assert!(parse_json::<Message>(b"{\"content\": \"x\"} \n").is_ok());
    }

    #[test]
    fn typed_errors_keep_their_paths_and_messages() {
        assert_eq!(fields(r#"{"content": "x", "contnet": 1}"#), ["contnet"]);
        assert!(message(r#"{"content": "x", "contnet": 1}"#).contains("unknown field `contnet`"));
        assert_eq!(fields(r#"{"toolCalls": []}"#), ["content"]);
        assert_eq!(
            fields(r#"{"content": "x", "toolCalls": [{"name": "x", "durationMs": -1}]}"#),
            ["toolCalls[0].durationMs"]
        );
        assert_eq!(
            fields(r#"{"content": "x", "toolCalls": [{"name": "x", "durationMs": 1e30}]}"#),
            ["toolCalls[0].durationMs"]
        );
        assert!(
            message(r#"{"content": "x", "content": "y"}"#).contains("duplicate field"),
            "a repeated field is still refused"
        );
    }
}
