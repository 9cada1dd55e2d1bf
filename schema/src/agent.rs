//! The agent resource as it travels in commands and events.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Lifecycle of an agent as seen through its heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AgentStatus {
    /// Created, never heard from.
    #[serde(rename = "provisioning")]
    Provisioning,
    #[serde(rename = "online")]
    Online,
    #[serde(rename = "degraded")]
    Degraded,
    #[serde(rename = "offline")]
    Offline,
}

impl AgentStatus {
    pub const ALL: [AgentStatus; 4] = [
        Self::Provisioning,
        Self::Online,
        Self::Degraded,
        Self::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Online => "online",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// What a runtime reports in a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub enum HeartbeatState {
    #[default]
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "degraded")]
    Degraded,
}

pub const DEFAULT_MODEL: &str = "claude-haiku-3.5";
pub const DEFAULT_ALERT_THRESHOLD: f64 = 0.8;

/// `config` of an agent, with every default filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    pub model: ModelConfig,
    pub tools: ToolsConfig,
    pub limits: LimitsConfig,
    pub gateway: Option<GatewayConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelConfig {
    pub default: String,
    pub fallbacks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolsConfig {
    pub allowed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitsConfig {
    pub daily_token_budget: Option<u64>,
    pub monthly_token_budget: Option<u64>,
    pub alert_threshold: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayConfig {
    pub url: String,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            model: ModelConfig {
                default: DEFAULT_MODEL.to_owned(),
                fallbacks: Vec::new(),
            },
            tools: ToolsConfig::default(),
            limits: LimitsConfig {
                daily_token_budget: None,
                monthly_token_budget: None,
                alert_threshold: DEFAULT_ALERT_THRESHOLD,
            },
            gateway: None,
        }
    }
}

/// One field of a JSON merge patch (RFC 7396): absent, `null`, or a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }

    /// The field after applying this patch to `current`.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(value) => Some(value),
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Keep | Self::Clear => serializer.serialize_none(),
            Self::Set(value) => serializer.serialize_some(value),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Self::Clear,
            Some(value) => Self::Set(value),
        })
    }
}

/// A merge patch of an agent. Fields that may not be cleared are plain options; nullable ones
/// are `Patch`. Unknown fields are refused so that typos do not pass silently.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::agent_name)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(schema_with = crate::limits::schemas::agent_role_or_null)]
    pub role: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(schema_with = crate::limits::schemas::description_or_null)]
    pub description: Patch<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<AgentConfigPatch>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentConfigPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelPatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolsPatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsPatch>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(value_type = Option<GatewayPatch>)]
    pub gateway: Patch<GatewayPatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::model_id)]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::model_ids)]
    pub fallbacks: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::tool_names)]
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsPatch {
    /// 1 to 10¹⁵ tokens, or null for no budget (`domain::validate::MAX_TOKEN_BUDGET`).
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 1e15)]
    #[serde(deserialize_with = "crate::whole::patch_u64")]
    pub daily_token_budget: Patch<u64>,
    /// 1 to 10¹⁵ tokens, or null for no budget.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 1e15)]
    #[serde(deserialize_with = "crate::whole::patch_u64")]
    pub monthly_token_budget: Patch<u64>,
    /// Greater than 0 and at most 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub alert_threshold: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::limits::schemas::url)]
    pub url: Option<String>,
}

impl AgentConfig {
    /// Applies a config merge patch. A gateway patch on an agent without a gateway creates
    /// one; a gateway without a url afterwards is dropped (validation reports it first).
    pub fn merged(mut self, patch: AgentConfigPatch) -> Self {
        if let Some(model) = patch.model {
            if let Some(default) = model.default {
                self.model.default = default;
            }
            if let Some(fallbacks) = model.fallbacks {
                self.model.fallbacks = fallbacks;
            }
        }
        if let Some(allowed) = patch.tools.and_then(|tools| tools.allowed) {
            self.tools.allowed = allowed;
        }
        if let Some(limits) = patch.limits {
            self.limits.daily_token_budget = limits
                .daily_token_budget
                .apply(self.limits.daily_token_budget);
            self.limits.monthly_token_budget = limits
                .monthly_token_budget
                .apply(self.limits.monthly_token_budget);
            if let Some(threshold) = limits.alert_threshold {
                self.limits.alert_threshold = threshold;
            }
        }
        self.gateway = match patch.gateway {
            Patch::Keep => self.gateway,
            Patch::Clear => None,
            Patch::Set(gateway) => gateway
                .url
                .or(self.gateway.map(|current| current.url))
                .map(|url| GatewayConfig { url }),
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_patch_distinguishes_absent_null_and_value() {
        let patch: AgentPatch =
            serde_json::from_str(r#"{"role":null,"config":{"limits":{"dailyTokenBudget":5}}}"#)
                .unwrap();
        assert_eq!(patch.role, Patch::Clear);
        assert_eq!(patch.description, Patch::Keep);
        let config = AgentConfig::default().merged(patch.config.unwrap());
        assert_eq!(config.limits.daily_token_budget, Some(5));
        assert_eq!(config.limits.alert_threshold, DEFAULT_ALERT_THRESHOLD);
    }

    #[test]
    fn a_patch_round_trips_through_json_without_losing_nulls() {
        let patch: AgentPatch =
            serde_json::from_str(r#"{"description":null,"config":{"gateway":null}}"#).unwrap();
        let again: AgentPatch =
            serde_json::from_str(&serde_json::to_string(&patch).unwrap()).unwrap();
        assert_eq!(patch, again);
    }

    #[test]
    fn unknown_patch_fields_are_refused() {
        assert!(serde_json::from_str::<AgentPatch>(r#"{"nmae":"x"}"#).is_err());
    }
}
