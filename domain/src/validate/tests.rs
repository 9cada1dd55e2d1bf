use super::*;

fn config(json: &str) -> AgentConfigPatch {
    serde_json::from_str(json).unwrap()
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn text_errors(value: &str, spec: TextSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("f", value, spec, &mut errors);
    errors
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
    assert_eq!(
        fields(&errors),
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

#[test]
fn nul_is_refused_by_every_rule() {
    for rule in [TextRule::Line, TextRule::Prose, TextRule::Verbatim] {
        assert_eq!(rule.first_refused("ab\0c"), Some((3, '\0')), "{rule:?}");
        assert!(!check_chars("f", "\0", rule, &mut Vec::new()), "{rule:?}");
    }
}

#[test]
fn one_line_fields_refuse_every_control_character() {
    let controls = (0u32..=0x1f).chain([0x7f]).chain(0x80..=0x9f);
    for code in controls {
        let c = char::from_u32(code).unwrap();
        let value = format!("a{c}b");
        let errors = text_errors(&value, AGENT_NAME);
        assert_eq!(fields(&errors), vec!["f"], "U+{code:04X}");
        assert!(
            errors[0]
                .message
                .contains(&format!("U+{code:04X} at character 2")),
            "{}",
            errors[0].message
        );
    }
}

#[test]
fn prose_keeps_tab_and_line_breaks_and_refuses_other_controls() {
    assert_eq!(text_errors("one\ttwo\r\nthree\n", DESCRIPTION), vec![]);
    for c in [
        '\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}',
    ] {
        assert_eq!(
            text_errors(&format!("x{c}"), DESCRIPTION).len(),
            1,
            "U+{:04X}",
            u32::from(c)
        );
    }
}

#[test]
fn verbatim_text_keeps_everything_but_nul() {
    let relayed = "\u{1b}[31mred\u{1b}[0m\u{8}\u{c}\u{7f}\u{85}\u{9b}\t\r\n";
    assert_eq!(text_errors(relayed, MESSAGE_CONTENT), vec![]);
    let errors = text_errors("hi\0", MESSAGE_CONTENT);
    assert!(errors[0].message.contains("U+0000"), "{errors:?}");
}

#[test]
fn characters_outside_the_control_set_pass_every_rule() {
    let unusual = "\u{fffe}\u{ffff}\u{10ffff}😀\u{200f}\u{202e}\u{feff}\u{2028}";
    for spec in [AGENT_NAME, DESCRIPTION, MESSAGE_CONTENT] {
        assert_eq!(text_errors(unusual, spec), vec![], "{spec:?}");
    }
}

#[test]
fn lengths_presence_and_characters_are_checked_in_one_place() {
    assert_eq!(text_errors("", AGENT_ROLE), vec![]);
    assert_eq!(text_errors("", SESSION_NAME).len(), 1);
    assert_eq!(text_errors("   ", SESSION_NAME).len(), 1);
    assert_eq!(text_errors("   ", MESSAGE_CONTENT), vec![]);
    assert_eq!(text_errors("", MESSAGE_CONTENT).len(), 1);
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    assert!(text_errors(&long, MESSAGE_CONTENT)[0]
        .message
        .contains("1 to 100000 characters"));
    let soul = "é".repeat(MAX_SOUL_BYTES / 2 + 1);
    let errors = text_errors(&soul, SOUL);
    assert!(errors[0].message.contains("64 KiB"), "{errors:?}");
    // A field breaking both rules is reported once.
    let both = format!("\u{1}{}", "x".repeat(200));
    assert_eq!(text_errors(&both, AGENT_NAME).len(), 1);
}

#[test]
fn reported_numbers_have_ranges_with_inclusive_edges() {
    let catalog = Catalog::built_in();
    let report = |input: u64, output: u64, latency: u64| UsageReport {
        model: "gpt-4o".into(),
        input_tokens: input,
        output_tokens: output,
        latency_ms: Some(latency),
    };
    let call = |duration: u64| ToolCall {
        name: "search".into(),
        status: schema::session::ToolCallStatus::Success,
        duration_ms: Some(duration),
    };
    let check = |usage: UsageReport, calls: &[ToolCall]| {
        message(MessageRole::Assistant, "hi", Some(&usage), calls, &catalog)
    };
    let edge = report(
        MAX_TOKENS_PER_MESSAGE,
        MAX_TOKENS_PER_MESSAGE,
        MAX_DURATION_MS,
    );
    assert_eq!(check(edge, &[call(MAX_DURATION_MS), call(0)]), vec![]);
    assert_eq!(check(report(0, 0, 0), &[]), vec![]);
    let over = report(MAX_TOKENS_PER_MESSAGE + 1, u64::MAX, MAX_DURATION_MS + 1);
    assert_eq!(
        fields(&check(over, &[call(0), call(u64::MAX)])),
        vec![
            "usage.inputTokens",
            "usage.outputTokens",
            "usage.latencyMs",
            "toolCalls[1].durationMs"
        ]
    );
    assert_eq!(heartbeat(None, Some(MAX_DURATION_MS)), vec![]);
    assert_eq!(
        fields(&heartbeat(Some("x\0"), Some(MAX_DURATION_MS + 1))),
        vec!["detail", "latencyMs"]
    );
}

#[test]
fn budgets_are_positive_and_at_most_ten_to_the_fifteenth() {
    let check = |budget: u64| {
        let config = config(&format!(
            r#"{{"limits":{{"dailyTokenBudget":{budget},"monthlyTokenBudget":{budget}}}}}"#
        ));
        new_agent("Nova", None, None, None, &config, &Catalog::built_in()).len()
    };
    assert_eq!(check(1), 0);
    assert_eq!(check(MAX_TOKEN_BUDGET), 0);
    assert_eq!(check(0), 2);
    assert_eq!(check(MAX_TOKEN_BUDGET + 1), 2);
    assert_eq!(check(u64::MAX), 2);
}

#[test]
fn model_ids_with_control_characters_are_refused_before_the_catalog() {
    let errors = new_agent(
        "Nova",
        None,
        None,
        None,
        &config(r#"{"model":{"default":"gpt-4o\u0007"},"gateway":{"url":"https://x.io/\n"}}"#),
        &Catalog::built_in(),
    );
    assert_eq!(
        fields(&errors),
        vec!["config.model.default", "config.gateway.url"]
    );
    assert!(
        errors.iter().all(|e| e.message.contains("control")),
        "{errors:?}"
    );
}
