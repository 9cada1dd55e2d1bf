//! Decisions about webhook endpoints, and the checks of their fields.

use schema::command::Command;
use schema::event::EventKind;
use schema::webhook::{self, WebhookSnapshot, ALL_EVENTS, EVENT_TYPES};
use schema::{CommandRecord, ErrorCode, FieldError, Rejection, WebhookId};

use crate::state::{DecisionState, WebhookState};
use crate::validate::{check_text, DESCRIPTION};

/// Endpoints per tenant: each is loaded for every batch of the tenant's records.
pub const MAX_WEBHOOKS_PER_TENANT: usize = 50;

/// Checks an endpoint's event filter: a non-empty list of known types and `"*"` (all; the
/// API keeps `["*"]` alone when it is listed).
pub fn events(events: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "must list at least one event type, or [\"*\"] for all",
        ));
    }
    for (index, event) in events.iter().enumerate() {
        if event != ALL_EVENTS && !EVENT_TYPES.contains(&event.as_str()) {
            errors.push(FieldError::new(
                format!("events[{index}]"),
                format!(
                    "unknown event type `{event}`; expected one of {}, or \"*\"",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    errors
}

/// Checks an endpoint's optional description.
pub fn description(description: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(text) = description {
        check_text("description", text, DESCRIPTION, &mut errors);
    }
    errors
}

pub(crate) fn decide(
    state: &DecisionState,
    record: &CommandRecord,
) -> Result<Vec<EventKind>, Rejection> {
    let now = record.issued_at;
    match &record.command {
        Command::CreateWebhook(c) => {
            if existing(state, c.webhook_id).is_ok() {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!("Webhook {} already exists", c.webhook_id),
                ));
            }
            if state.webhooks.len() >= MAX_WEBHOOKS_PER_TENANT {
                return Err(Rejection::new(
                    ErrorCode::Conflict,
                    format!(
                        "This tenant already has {MAX_WEBHOOKS_PER_TENANT} webhook endpoints, \
                         the most allowed; delete one or widen an existing one's events"
                    ),
                ));
            }
            let webhook = WebhookSnapshot {
                id: c.webhook_id,
                url: c.url.clone(),
                events: c.events.clone(),
                description: c.description.clone(),
                enabled: c.enabled,
                disabled_reason: None,
                created_at: now,
                updated_at: now,
            };
            refuse_duplicate(state, &webhook)?;
            Ok(vec![EventKind::WebhookCreated {
                webhook,
                secret: c.secret.clone(),
            }])
        }
        Command::UpdateWebhook(c) => {
            let mut webhook = existing(state, c.webhook_id)?.webhook.clone();
            let patch = c.patch.clone();
            if let Some(url) = patch.url {
                webhook.url = url;
            }
            if let Some(events) = patch.events {
                webhook.events = events;
            }
            webhook.description = patch.description.apply(webhook.description);
            if let Some(enabled) = patch.enabled {
                webhook.enabled = enabled;
                if enabled {
                    webhook.disabled_reason = None;
                }
            }
            webhook.updated_at = now;
            refuse_duplicate(state, &webhook)?;
            Ok(vec![EventKind::WebhookUpdated {
                webhook,
                secret_rotated: false,
                new_secret: None,
            }])
        }
        Command::DeleteWebhook(c) => {
            let current = existing(state, c.webhook_id)?;
            Ok(vec![EventKind::WebhookDeleted {
                webhook_id: c.webhook_id,
                url: current.webhook.url.clone(),
            }])
        }
        Command::RotateWebhookSecret(c) => {
            let mut webhook = existing(state, c.webhook_id)?.webhook.clone();
            webhook.updated_at = now;
            Ok(vec![EventKind::WebhookUpdated {
                webhook,
                secret_rotated: true,
                new_secret: Some(c.secret.clone()),
            }])
        }
        Command::TestWebhook(c) => {
            existing(state, c.webhook_id)?;
            Ok(vec![EventKind::WebhookTest {
                webhook_id: c.webhook_id,
            }])
        }
        Command::DisableWebhook(c) => {
            let current = existing(state, c.webhook_id)?;
            if !current.webhook.enabled {
                return Ok(Vec::new());
            }
            let mut webhook = current.webhook.clone();
            webhook.enabled = false;
            webhook.disabled_reason = Some(c.reason.clone());
            webhook.updated_at = now;
            Ok(vec![EventKind::WebhookDisabled { webhook }])
        }
        Command::RecordDeliveryFailure(c) => Ok(vec![EventKind::WebhookDeliveryFailed {
            delivery_id: c.delivery_id,
            webhook_id: c.webhook_id,
            agent_id: c.agent_id,
            event_id: c.event_id,
            event_type: c.event_type.clone(),
            attempts: c.attempts,
            last_status_code: c.last_status_code,
            last_error: c.last_error.clone(),
        }]),
        other => unreachable!("{} is not a webhook command", other.kind()),
    }
}

/// 409 when another endpoint already takes the same URL for the same events.
fn refuse_duplicate(state: &DecisionState, webhook: &WebhookSnapshot) -> Result<(), Rejection> {
    let events = webhook.event_set();
    match state.webhooks.iter().find(|other| {
        other.webhook.id != webhook.id
            && other.webhook.url == webhook.url
            && other.webhook.event_set() == events
    }) {
        Some(other) => Err(Rejection::new(
            ErrorCode::Conflict,
            format!(
                "Webhook {} already sends the same events to {}; change that one instead",
                other.webhook.id, webhook.url
            ),
        )),
        None => Ok(()),
    }
}

fn existing(state: &DecisionState, id: WebhookId) -> Result<&WebhookState, Rejection> {
    state
        .webhooks
        .iter()
        .find(|webhook| webhook.webhook.id == id)
        .ok_or_else(|| {
            Rejection::new(
                ErrorCode::WebhookNotFound,
                format!("No webhook found with id {id}"),
            )
        })
}

/// The event types an endpoint's filter covers, expanded (`*` → every type but the test).
pub fn subscribed_types(events: &[String]) -> Vec<&'static str> {
    EVENT_TYPES
        .iter()
        .copied()
        .filter(|event_type| webhook::filter_matches(events, event_type))
        .collect()
}
