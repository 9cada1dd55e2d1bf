//! Cron jobs and their runs as they travel in commands and events (contract section 10).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{AgentId, CronJobId, CronRunId, SessionId};

wire_enum!(
    /// What a fire does while the job's previous run is still running.
    OverlapPolicy { Skip = "skip", Allow = "allow" }
);
wire_enum!(
    /// Where a run is.
    RunStatus {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Skipped = "skipped",
    }
);
wire_enum!(
    /// Where the delivery of a run's output is.
    RunDeliveryStatus {
        None = "none",
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
);

/// Where a run's output goes. Bot tokens, API bases and the SMTP server are operator config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum CronDelivery {
    #[serde(rename = "none")]
    None,
    /// Signed like webhooks, with the job's delivery secret.
    #[serde(rename = "webhook")]
    Webhook { url: String },
    /// A Slack incoming webhook.
    #[serde(rename = "slack", rename_all = "camelCase")]
    Slack { webhook_url: String },
    #[serde(rename = "telegram", rename_all = "camelCase")]
    Telegram {
        /// A chat id (numbers are accepted and kept as text) or `@channelname`.
        #[serde(deserialize_with = "text_or_number")]
        chat_id: String,
    },
    #[serde(rename = "email")]
    Email { to: String },
}

/// Written by hand: the derive neither closes each variant (`deny_unknown_fields`) nor knows
/// the limits of its fields.
impl utoipa::PartialSchema for CronDelivery {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::limits::{schemas, EMAIL_ADDRESS, TELEGRAM_CHAT_ID};
        use utoipa::openapi::schema::{
            AdditionalProperties, Object, ObjectBuilder, OneOfBuilder, Type,
        };
        let variant = |kind: &str, description: &str, field: Option<(&str, Object)>| {
            let mut builder = ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(description))
                .property(
                    "type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([kind])),
                )
                .required("type")
                .additional_properties(Some(AdditionalProperties::FreeForm(false)));
            if let Some((name, schema)) = field {
                builder = builder.property(name, schema).required(name);
            }
            builder.build()
        };
        // No white space anywhere (the server checks exactly this; see check_delivery).
        let visible = r"[^\s\x00-\x1f\x7f-\x9f]";
        let mut chat_id = TELEGRAM_CHAT_ID.schema();
        chat_id.pattern = Some(format!("^{visible}+$"));
        chat_id.schema_type = [Type::String, Type::Integer].into_iter().collect();
        chat_id.description = Some(
            "A chat id (a number, sent as a number or as text; kept as text) or @channelname"
                .to_owned(),
        );
        OneOfBuilder::new()
            .item(variant("none", "No delivery (the default).", None))
            .item(variant(
                "webhook",
                "POST to a URL, signed like webhooks with the job's delivery secret.",
                Some(("url", schemas::url())),
            ))
            .item(variant(
                "slack",
                "A Slack incoming webhook.",
                Some(("webhookUrl", schemas::url())),
            ))
            .item(variant(
                "telegram",
                "A Telegram chat, through the operator's bot.",
                Some(("chatId", chat_id)),
            ))
            .item(variant(
                "email",
                "One email address, through the operator's SMTP server.",
                Some(("to", {
                    let mut to = EMAIL_ADDRESS.schema();
                    let local = r"[^\s,@\x00-\x1f\x7f-\x9f]";
                    let domain = r"[^\s,\x00-\x1f\x7f-\x9f]";
                    to.pattern = Some(format!("^{local}+@{domain}*\\.{domain}*$"));
                    to
                })),
            ))
            .description(Some(
                "Where a run's output goes. Bot tokens, API bases and the SMTP server are operator config.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for CronDelivery {}

impl CronDelivery {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Webhook { .. } => "webhook",
            Self::Slack { .. } => "slack",
            Self::Telegram { .. } => "telegram",
            Self::Email { .. } => "email",
        }
    }
}

fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
        /// A whole number written as a float (JSON Schema counts `5.0` as an integer).
        Float(f64),
    }
    match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(text) => Ok(text),
        TextOrNumber::Number(number) => Ok(number.to_string()),
        TextOrNumber::Float(float) if float.fract() == 0.0 && float.abs() < 9.0e15 => {
            Ok((float as i64).to_string())
        }
        TextOrNumber::Float(_) => Err(serde::de::Error::custom(
            "chatId must be text or a whole number",
        )),
    }
}

/// A job as stored after a change (the cron job object of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSnapshot {
    #[schema(value_type = String, example = "cron_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: CronJobId,
    #[schema(value_type = String)]
    pub agent_id: AgentId,
    pub name: String,
    pub prompt: String,
    pub schedule: String,
    pub timezone: String,
    pub enabled: bool,
    pub overlap_policy: OverlapPolicy,
    pub delivery: CronDelivery,
    /// `None` when disabled, or when the schedule has no future time.
    #[schema(required = true)]
    pub next_run_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_run_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_run_status: Option<RunStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A run as stored after a change (the run object of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CronRun)]
pub struct CronRunSnapshot {
    #[schema(value_type = String, example = "run_01jq8abcdefghjkmnpqrstvwxy")]
    pub id: CronRunId,
    #[schema(value_type = String)]
    pub cron_job_id: CronJobId,
    #[schema(value_type = String)]
    pub agent_id: AgentId,
    pub scheduled_for: DateTime<Utc>,
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    #[schema(value_type = Option<String>)]
    #[schema(required = true)]
    pub session_id: Option<SessionId>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub delivery_status: RunDeliveryStatus,
    #[schema(required = true)]
    pub error: Option<String>,
}

/// A merge patch of a job. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronJobPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::cron_job_name)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::cron_prompt)]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::schedule)]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::time_zone)]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_policy: Option<OverlapPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<CronDelivery>,
}
