//! The contract's error codes and the HTTP status each one is answered with: one table for the
//! whole system, so a code can never be sent with two different statuses.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident = $wire:literal => $status:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire,)* }
            }

            pub fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    ValidationError = "VALIDATION_ERROR" => 400,
    Unauthorized = "UNAUTHORIZED" => 401,
    Forbidden = "FORBIDDEN" => 403,
    NotFound = "NOT_FOUND" => 404,
    TenantNotFound = "TENANT_NOT_FOUND" => 404,
    AgentNotFound = "AGENT_NOT_FOUND" => 404,
    SessionNotFound = "SESSION_NOT_FOUND" => 404,
    MessageNotFound = "MESSAGE_NOT_FOUND" => 404,
    CronJobNotFound = "CRON_JOB_NOT_FOUND" => 404,
    CronRunNotFound = "CRON_RUN_NOT_FOUND" => 404,
    WebhookNotFound = "WEBHOOK_NOT_FOUND" => 404,
    DeliveryNotFound = "DELIVERY_NOT_FOUND" => 404,
    ApiKeyNotFound = "API_KEY_NOT_FOUND" => 404,
    ActivityNotFound = "ACTIVITY_NOT_FOUND" => 404,
    MethodNotAllowed = "METHOD_NOT_ALLOWED" => 405,
    Conflict = "CONFLICT" => 409,
    SessionArchived = "SESSION_ARCHIVED" => 409,
    IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE" => 409,
    PayloadTooLarge = "PAYLOAD_TOO_LARGE" => 413,
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE" => 415,
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED" => 422,
    RateLimited = "RATE_LIMITED" => 429,
    BudgetExhausted = "BUDGET_EXHAUSTED" => 429,
    InternalError = "INTERNAL_ERROR" => 500,
    ServiceUnavailable = "SERVICE_UNAVAILABLE" => 503,
    CommandTimeout = "COMMAND_TIMEOUT" => 504,
}

/// One entry of `details` in a `VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why the projector refused a command. Stored as the command's outcome and answered by the
/// API with the code's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// When retrying can succeed (`BUDGET_EXHAUSTED`: the budget's reset), for `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Rejection {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_at: None,
        }
    }

    /// A `VALIDATION_ERROR` naming the fields.
    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid; see details", details.len()),
        };
        Self {
            code: ErrorCode::ValidationError,
            message,
            details,
            retry_at: None,
        }
    }
}
