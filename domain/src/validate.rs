//! The contract's constraints on request fields, checked before a command is appended so the
//! caller learns every mistake at once (`details` of a `VALIDATION_ERROR`).

use schema::agent::{AgentConfigPatch, AgentPatch, Patch};
use schema::FieldError;

use crate::catalog::Catalog;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ROLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_SOUL_BYTES: usize = 64 * 1024;
pub const MAX_TOOL_NAME_CHARS: usize = 64;
pub const MAX_SESSION_NAME_CHARS: usize = 200;
pub const MAX_MESSAGE_CHARS: usize = 100_000;
pub const MAX_TOOL_CALLS: usize = 100;

/// Checks a new session's optional name.
pub fn session_name(name: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = name {
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_SESSION_NAME_CHARS {
            errors.push(FieldError::new(
                "name",
                format!("must be 1 to {MAX_SESSION_NAME_CHARS} characters"),
            ));
        }
    }
    errors
}

/// Checks a message: content length, and `usage`/`toolCalls` only on assistant messages.
pub fn message(
    role: schema::session::MessageRole,
    content: &str,
    usage: Option<&schema::session::UsageReport>,
    tool_calls: &[schema::session::ToolCall],
    catalog: &Catalog,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars = content.chars().count();
    if chars == 0 || chars > MAX_MESSAGE_CHARS {
        errors.push(FieldError::new(
            "content",
            format!("must be 1 to {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    let assistant = role == schema::session::MessageRole::Assistant;
    if let Some(usage) = usage {
        if !assistant {
            errors.push(FieldError::new(
                "usage",
                "is only allowed on assistant messages",
            ));
        }
        check_model("usage.model", &usage.model, catalog, &mut errors);
    }
    if !tool_calls.is_empty() && !assistant {
        errors.push(FieldError::new(
            "toolCalls",
            "are only allowed on assistant messages",
        ));
    }
    if tool_calls.len() > MAX_TOOL_CALLS {
        errors.push(FieldError::new(
            "toolCalls",
            format!("must list at most {MAX_TOOL_CALLS} calls"),
        ));
    }
    for (index, call) in tool_calls.iter().enumerate() {
        if !is_tool_name(&call.name) {
            errors.push(FieldError::new(
                format!("toolCalls[{index}].name"),
                "must be 1-64 characters of a-z, 0-9 and _",
            ));
        }
    }
    errors
}

fn is_tool_name(name: &str) -> bool {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    !name.is_empty() && name.len() <= MAX_TOOL_NAME_CHARS && valid_chars
}

/// Checks the fields of a new agent. `config` is the request's config, every part optional.
pub fn new_agent(
    name: &str,
    role: Option<&str>,
    description: Option<&str>,
    soul: Option<&str>,
    config: &AgentConfigPatch,
    catalog: &Catalog,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_name(name, &mut errors);
    check_optional_text("role", role, MAX_ROLE_CHARS, &mut errors);
    check_optional_text(
        "description",
        description,
        MAX_DESCRIPTION_CHARS,
        &mut errors,
    );
    if let Some(soul) = soul {
        check_soul("soul", soul, &mut errors);
    }
    check_config(config, catalog, &mut errors);
    errors
}

/// Checks a merge patch of an agent. Each field is valid on its own, so the merged agent is
/// valid whatever it was before.
pub fn agent_patch(patch: &AgentPatch, catalog: &Catalog) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = &patch.name {
        check_name(name, &mut errors);
    }
    if let Patch::Set(role) = &patch.role {
        check_optional_text("role", Some(role), MAX_ROLE_CHARS, &mut errors);
    }
    if let Patch::Set(description) = &patch.description {
        check_optional_text(
            "description",
            Some(description),
            MAX_DESCRIPTION_CHARS,
            &mut errors,
        );
    }
    if let Some(config) = &patch.config {
        check_config(config, catalog, &mut errors);
    }
    errors
}

pub fn soul(text: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_soul("soul", text, &mut errors);
    errors
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        errors.push(FieldError::new("name", "must not be empty"));
    } else if chars > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters (got {chars})"),
        ));
    }
}

fn check_optional_text(field: &str, value: Option<&str>, max: usize, errors: &mut Vec<FieldError>) {
    if let Some(value) = value {
        let chars = value.chars().count();
        if chars > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters (got {chars})"),
            ));
        }
    }
}

fn check_soul(field: &str, soul: &str, errors: &mut Vec<FieldError>) {
    if soul.len() > MAX_SOUL_BYTES {
        errors.push(FieldError::new(
            field,
            format!("must be at most 64 KiB (got {} bytes)", soul.len()),
        ));
    }
}

fn check_config(config: &AgentConfigPatch, catalog: &Catalog, errors: &mut Vec<FieldError>) {
    if let Some(model) = &config.model {
        if let Some(default) = &model.default {
            check_model("config.model.default", default, catalog, errors);
        }
        for (index, fallback) in model.fallbacks.iter().flatten().enumerate() {
            check_model(
                &format!("config.model.fallbacks[{index}]"),
                fallback,
                catalog,
                errors,
            );
        }
    }
    for (index, tool) in config
        .tools
        .iter()
        .flat_map(|tools| tools.allowed.iter().flatten())
        .enumerate()
    {
        if !is_tool_name(tool) {
            errors.push(FieldError::new(
                format!("config.tools.allowed[{index}]"),
                "must be 1-64 characters of a-z, 0-9 and _",
            ));
        }
    }
    if let Some(limits) = &config.limits {
        for (field, budget) in [
            ("config.limits.dailyTokenBudget", &limits.daily_token_budget),
            (
                "config.limits.monthlyTokenBudget",
                &limits.monthly_token_budget,
            ),
        ] {
            if matches!(budget, Patch::Set(0)) {
                errors.push(FieldError::new(field, "must be a positive integer or null"));
            }
        }
        if let Some(threshold) = limits.alert_threshold {
            if !(threshold > 0.0 && threshold <= 1.0) {
                errors.push(FieldError::new(
                    "config.limits.alertThreshold",
                    "must be greater than 0 and at most 1",
                ));
            }
        }
    }
    if let Patch::Set(gateway) = &config.gateway {
        match &gateway.url {
            None => errors.push(FieldError::new(
                "config.gateway.url",
                "is required when gateway is set",
            )),
            Some(url) if !is_http_url(url) => errors.push(FieldError::new(
                "config.gateway.url",
                "must be an absolute http or https URL",
            )),
            Some(_) => {}
        }
    }
}

fn check_model(field: &str, model: &str, catalog: &Catalog, errors: &mut Vec<FieldError>) {
    if catalog.get(model).is_none() {
        errors.push(FieldError::new(
            field,
            format!("unknown model '{model}'; see GET /v1/models"),
        ));
    }
}

fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !host.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> AgentConfigPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_valid_agent_has_no_errors() {
        let errors = new_agent(
            "Nova",
            Some("research"),
            None,
            Some("# Soul"),
            &config("{}"),
            &Catalog::built_in(),
        );
        assert_eq!(errors, vec![]);
    }

    #[test]
    fn every_broken_field_is_reported_by_its_path() {
        let config = config(
            r#"{"model":{"default":"gpt-9","fallbacks":["gpt-4o","nope"]},
                "tools":{"allowed":["ok_tool","Bad-Tool"]},
                "limits":{"dailyTokenBudget":0,"alertThreshold":1.5},
                "gateway":{"url":"ftp://x"}}"#,
        );
        let long_role = "r".repeat(101);
        let errors = new_agent(
            "",
            Some(&long_role),
            None,
            None,
            &config,
            &Catalog::built_in(),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "role",
                "config.model.default",
                "config.model.fallbacks[1]",
                "config.tools.allowed[1]",
                "config.limits.dailyTokenBudget",
                "config.limits.alertThreshold",
                "config.gateway.url",
            ]
        );
    }

    #[test]
    fn names_are_counted_in_characters_not_bytes() {
        let name = "é".repeat(100);
        assert_eq!(
            new_agent(&name, None, None, None, &config("{}"), &Catalog::built_in()),
            vec![]
        );
        let name = "é".repeat(101);
        assert_eq!(
            new_agent(&name, None, None, None, &config("{}"), &Catalog::built_in()).len(),
            1
        );
    }
}
