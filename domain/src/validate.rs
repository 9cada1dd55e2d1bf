//! The contract's constraints on request fields, checked before a command is appended so the
//! caller learns every mistake at once (`details` of a `VALIDATION_ERROR`).
//!
//! Untrusted input is checked here, once, by kind (ARCHITECTURE.md, "Untrusted input"):
//! every text field has a [`TextSpec`] — which characters it may hold ([`TextRule`]) and how
//! long it may be — checked by [`check_text`]; every integer has a range below that keeps
//! every counter, sum and rollup built from it inside a Postgres `bigint`.

use schema::agent::{AgentConfigPatch, AgentPatch, Patch};
use schema::session::{MessageRole, ToolCall, UsageReport};
use schema::FieldError;

use crate::catalog::Catalog;

pub use schema::limits::*;

/// `text` as it may be shown or stored when it came from outside (a field name in an error, a
/// remote server's reply in an attempt log): every control character written as its escape
/// (`\u{0}`), at most `max_chars` characters of `text` kept, `…` marking a cut.
pub fn escape_controls(text: &str, max_chars: usize) -> String {
    let mut escaped = String::with_capacity(text.len().min(max_chars));
    for (index, c) in text.chars().enumerate() {
        if index == max_chars {
            escaped.push('…');
            break;
        }
        if c.is_control() {
            escaped.extend(c.escape_unicode());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Checks only the characters of `value` (every string of a JSON body, query parameters).
/// Returns whether it passed.
pub fn check_chars(field: &str, value: &str, rule: TextRule, errors: &mut Vec<FieldError>) -> bool {
    match rule.first_refused(value) {
        None => true,
        Some((position, c)) => {
            errors.push(FieldError::new(field, rule.refusal(position, c)));
            false
        }
    }
}

/// Checks a text field against its spec, reporting at most one error for it. Returns whether
/// it passed (so that checks which need sane text, like a catalog lookup, can be skipped).
pub fn check_text(field: &str, value: &str, spec: TextSpec, errors: &mut Vec<FieldError>) -> bool {
    if !check_chars(field, value, spec.rule, errors) {
        return false;
    }
    let (max, size, unit) = match spec.max {
        Length::Chars(max) => (max, value.chars().count(), "characters"),
        Length::Bytes(max) => (max, value.len(), "bytes"),
    };
    let absent = match spec.presence {
        Presence::MayBeEmpty => false,
        Presence::NotEmpty => value.is_empty(),
        Presence::NotBlank => value.trim().is_empty(),
    };
    if !absent && size <= max {
        return true;
    }
    let limit = match spec.max {
        Length::Bytes(max) if max % 1024 == 0 => format!("{} KiB", max / 1024),
        _ => format!("{max} {unit}"),
    };
    let message = match spec.presence {
        Presence::MayBeEmpty => format!("must be at most {limit} (got {size} {unit})"),
        Presence::NotEmpty => format!("must be 1 to {limit}"),
        Presence::NotBlank => format!("must be 1 to {limit}, not only spaces"),
    };
    errors.push(FieldError::new(field, message));
    false
}

fn check_optional(field: &str, value: Option<&str>, spec: TextSpec, errors: &mut Vec<FieldError>) {
    if let Some(value) = value {
        check_text(field, value, spec, errors);
    }
}

/// Checks that a client's integer is at most `max` (serde has already refused negative,
/// fractional and out-of-`u64` numbers). Returns whether it passed.
pub fn check_at_most(field: &str, value: u64, max: u64, errors: &mut Vec<FieldError>) -> bool {
    if value <= max {
        return true;
    }
    errors.push(FieldError::new(
        field,
        format!("must be an integer from 0 to {max}"),
    ));
    false
}

/// Checks a new session's optional name.
pub fn session_name(name: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_optional("name", name, SESSION_NAME, &mut errors);
    errors
}

/// Checks a message: content, `usage`/`toolCalls` only on assistant messages, the model, and
/// the ranges of the reported numbers.
pub fn message(
    role: MessageRole,
    content: &str,
    usage: Option<&UsageReport>,
    tool_calls: &[ToolCall],
    catalog: &Catalog,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("content", content, MESSAGE_CONTENT, &mut errors);
    let assistant = role == MessageRole::Assistant;
    if let Some(usage) = usage {
        if !assistant {
            errors.push(FieldError::new(
                "usage",
                "is only allowed on assistant messages",
            ));
        }
        check_model("usage.model", &usage.model, catalog, &mut errors);
        for (field, tokens) in [
            ("usage.inputTokens", usage.input_tokens),
            ("usage.outputTokens", usage.output_tokens),
        ] {
            check_at_most(field, tokens, MAX_TOKENS_PER_MESSAGE, &mut errors);
        }
        if let Some(latency) = usage.latency_ms {
            check_at_most("usage.latencyMs", latency, MAX_DURATION_MS, &mut errors);
        }
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
        if let Some(duration) = call.duration_ms {
            check_at_most(
                &format!("toolCalls[{index}].durationMs"),
                duration,
                MAX_DURATION_MS,
                &mut errors,
            );
        }
    }
    errors
}

/// Checks a heartbeat's optional detail and latency.
pub fn heartbeat(detail: Option<&str>, latency_ms: Option<u64>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_optional("detail", detail, HEARTBEAT_DETAIL, &mut errors);
    if let Some(latency) = latency_ms {
        check_at_most("latencyMs", latency, MAX_DURATION_MS, &mut errors);
    }
    errors
}

/// A tool name: 1-64 characters of `[a-z0-9_]` (stricter than any [`TextRule`]).
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
    check_text("name", name, AGENT_NAME, &mut errors);
    check_optional("role", role, AGENT_ROLE, &mut errors);
    check_optional("description", description, DESCRIPTION, &mut errors);
    check_optional("soul", soul, SOUL, &mut errors);
    check_config(config, catalog, &mut errors);
    errors
}

/// Checks a merge patch of an agent. Each field is valid on its own, so the merged agent is
/// valid whatever it was before.
pub fn agent_patch(patch: &AgentPatch, catalog: &Catalog) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_optional("name", patch.name.as_deref(), AGENT_NAME, &mut errors);
    if let Patch::Set(role) = &patch.role {
        check_text("role", role, AGENT_ROLE, &mut errors);
    }
    if let Patch::Set(description) = &patch.description {
        check_text("description", description, DESCRIPTION, &mut errors);
    }
    if let Some(config) = &patch.config {
        check_config(config, catalog, &mut errors);
    }
    errors
}

pub fn soul(text: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("soul", text, SOUL, &mut errors);
    errors
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
            if let Patch::Set(budget) = budget {
                if !(1..=MAX_TOKEN_BUDGET).contains(budget) {
                    errors.push(FieldError::new(
                        field,
                        format!("must be a positive integer up to {MAX_TOKEN_BUDGET}, or null"),
                    ));
                }
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
            Some(url) => {
                if check_text("config.gateway.url", url, URL, errors) && !is_http_url(url) {
                    errors.push(FieldError::new(
                        "config.gateway.url",
                        "must be an absolute http or https URL",
                    ));
                }
            }
        }
    }
}

fn check_model(field: &str, model: &str, catalog: &Catalog, errors: &mut Vec<FieldError>) {
    if check_text(field, model, MODEL_ID, errors) && catalog.get(model).is_none() {
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
mod tests;
