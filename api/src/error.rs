//! `ApiError`: every error the API answers, rendered as the contract's error body with a code
//! from the one table in `schema::ErrorCode`. 5xx bodies are opaque; their cause is logged once
//! with the request id.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use schema::{ErrorCode, FieldError, Rejection};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::request_context;

/// The error body of every status >= 400.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// A stable code, e.g. `AGENT_NOT_FOUND`, `VALIDATION_ERROR`, `RATE_LIMITED`.
    #[schema(example = "AGENT_NOT_FOUND")]
    pub code: &'static str,
    /// What went wrong and what to fix, for people.
    pub message: String,
    /// The HTTP status, repeated.
    pub status_code: u16,
    #[schema(example = "req_01jq8abcdefghjkmnpqrstvwxy")]
    pub request_id: String,
    /// `VALIDATION_ERROR`: `[{field, message}]`; `COMMAND_TIMEOUT` and `INTERNAL_ERROR` of a
    /// command: `[{commandId}]`. Absent when there is nothing to add.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub details: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// `details` of the body: field errors for `VALIDATION_ERROR`, `{commandId}` for 504.
    pub details: Vec<Value>,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// The route's methods, for `Allow` (405).
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid; see details", many.len()),
        };
        let mut error = Self::new(ErrorCode::ValidationError, message);
        error.details = details
            .iter()
            .map(|d| json!({"field": d.field, "message": d.message}))
            .collect();
        error
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(code: ErrorCode, what: &str, id: &str) -> Self {
        Self::new(code, format!("No {what} found with id {id}"))
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(request_id = %request_context::current_id(), %cause, "dependency unavailable");
        let mut error = Self::new(
            ErrorCode::ServiceUnavailable,
            "The service is temporarily unavailable; retry after the delay in Retry-After",
        );
        error.retry_after = Some(1);
        error
    }

    /// An unexpected failure: the cause is logged here, the body stays opaque.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %request_context::current_id(), %cause, "internal error");
        Self::new(
            ErrorCode::InternalError,
            "An internal error occurred; contact support with the request id",
        )
    }

    /// The error body for a status produced outside our handlers (actix routing and limits).
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::new(ErrorCode::ValidationError, "The request is malformed"),
            401 => Self::new(ErrorCode::Unauthorized, "Missing or invalid API key"),
            403 => Self::new(ErrorCode::Forbidden, "This API key may not do that"),
            404 => Self::new(ErrorCode::NotFound, "No such route"),
            405 => Self::new(
                ErrorCode::MethodNotAllowed,
                "This method is not allowed on this route",
            ),
            413 => Self::new(
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 1 MiB",
            ),
            415 => Self::new(
                ErrorCode::UnsupportedMediaType,
                "Send JSON with Content-Type: application/json",
            ),
            503 => Self::unavailable(status),
            _ => Self::internal(format!("unexpected status {status} from the framework")),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        if rejection.code == ErrorCode::ValidationError {
            let mut error = Self::validation(rejection.details);
            error.message = rejection.message;
            return error;
        }
        let mut error = Self::new(rejection.code, rejection.message);
        error.retry_after = rejection.retry_at.map(|at| {
            let millis = (at - chrono::Utc::now()).num_milliseconds();
            (millis.max(0) as u64).div_ceil(1000).max(1)
        });
        error
    }
}

impl From<read_store::StoreError> for ApiError {
    fn from(error: read_store::StoreError) -> Self {
        if error.is_unavailable() {
            Self::unavailable(error)
        } else {
            Self::internal(error)
        }
    }
}

impl From<event_log::LogError> for ApiError {
    fn from(error: event_log::LogError) -> Self {
        match error {
            event_log::LogError::Unavailable(_) => Self::unavailable(error),
            other => Self::internal(other),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str(),
                message: self.message.clone(),
                status_code: self.code.status(),
                request_id: request_context::current_id(),
                details: self.details.clone(),
            },
        };
        let mut response = HttpResponse::build(self.status_code());
        if self.code == ErrorCode::Unauthorized {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        response.json(body)
    }
}
