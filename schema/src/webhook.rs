//! Webhook endpoints as they travel in commands and events, and the event types a webhook can
//! subscribe to (contract section 9).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agent::Patch;
use crate::WebhookId;

/// The event types delivered to webhooks. `["*"]` subscribes to all of them; `webhook.test`
/// goes only to the endpoint being tested, whatever its filter.
pub const EVENT_TYPES: &[&str] = &[
    "agent.created",
    "agent.updated",
    "agent.deleted",
    "agent.status_changed",
    "agent.budget_alert",
    "agent.budget_exhausted",
    "session.created",
    "session.archived",
    "message.created",
    "cron.completed",
    "cron.delivered",
    "cron.failed",
    "webhook.test",
];

/// The filter that matches every event type.
pub const ALL_EVENTS: &str = "*";

/// How long a rotated-out secret keeps signing beside the new one.
pub const PREVIOUS_SECRET_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// An endpoint as stored after a change, without its secret (the webhook object of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSnapshot {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookSnapshot {
    /// Whether an event of this type is delivered to the endpoint (tests aside).
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        filter_matches(&self.events, event_type)
    }

    /// The filter in a canonical order, to compare two endpoints' subscriptions.
    pub fn event_set(&self) -> Vec<&str> {
        event_set(&self.events)
    }
}

/// Whether an endpoint filter covers an event type. `webhook.test` is never subscribed to: it
/// goes only to the endpoint being tested.
pub fn filter_matches(events: &[String], event_type: &str) -> bool {
    event_type != "webhook.test"
        && events
            .iter()
            .any(|filter| filter == event_type || filter == ALL_EVENTS)
}

/// Sorted, deduplicated event filters.
pub fn event_set(events: &[String]) -> Vec<&str> {
    let mut set: Vec<&str> = events.iter().map(String::as_str).collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// A merge patch of an endpoint. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::url)]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = event_filter_schema)]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(schema_with = crate::limits::schemas::description_or_null)]
    pub description: Patch<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// The signing secrets of an endpoint, each sealed with the operator key (never plaintext):
/// the current one, and the one it replaced while that still signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecrets {
    pub current: String,
    pub previous: Option<String>,
    pub previous_expires_at: Option<DateTime<Utc>>,
}

impl WebhookSecrets {
    pub fn new(sealed: String) -> Self {
        Self {
            current: sealed,
            previous: None,
            previous_expires_at: None,
        }
    }

    /// After a rotation at `at`: the new secret signs, the old one alongside for 24 h.
    pub fn rotated(&self, sealed: String, at: DateTime<Utc>) -> Self {
        Self {
            current: sealed,
            previous: Some(self.current.clone()),
            previous_expires_at: Some(at + PREVIOUS_SECRET_GRACE),
        }
    }
}

wire_enum! {
    /// Where a delivery stands: `pending` (waiting for its next attempt), `succeeded` or
    /// `failed` (attempts exhausted, or the endpoint disabled).
    DeliveryStatus { Pending = "pending", Succeeded = "succeeded", Failed = "failed" }
}

/// An endpoint's event filter as the document states it: one or more of [`EVENT_TYPES`] and
/// `*` for every event (the API drops repeats, and keeps `["*"]` alone when `*` is listed).
pub fn event_filter_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::ArrayBuilder;
    use utoipa::openapi::Ref;
    ArrayBuilder::new()
        .items(Ref::from_schema_name("WebhookEventFilter"))
        .min_items(Some(1))
        .description(Some("Event types, or `*` for all of them."))
        .build()
}

/// An item of an event filter: an event type, or `*` for all.
pub struct WebhookEventFilter;

impl utoipa::PartialSchema for WebhookEventFilter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                std::iter::once(ALL_EVENTS).chain(EVENT_TYPES.iter().copied()),
            ))
            .description(Some("An event type, or `*` for every event."))
            .into()
    }
}

impl utoipa::ToSchema for WebhookEventFilter {}
