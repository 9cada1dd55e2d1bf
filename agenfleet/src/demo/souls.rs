//! The SOUL files of the demo agents: Markdown with a mission, principles, the tools the agent
//! may call, and when it hands over to a person.

use std::fmt::Write;

use super::fleet::AgentSpec;

/// The agent's SOUL file as it is created.
pub fn soul(spec: &AgentSpec) -> String {
    let mut text = format!("# {} — {}\n\n", spec.name, spec.role);
    let _ = writeln!(text, "{}\n\n{}\n", spec.soul.mission, spec.description);
    text.push_str("## Principles\n\n");
    for principle in spec.soul.principles {
        let _ = writeln!(text, "- {principle}");
    }
    text.push_str("\n## Tools\n\n");
    for tool in spec.tools {
        let _ = writeln!(text, "- `{tool}`");
    }
    let _ = writeln!(
        text,
        "\nAnything else I need, I ask for; I do not work around a missing tool.\n"
    );
    text.push_str("## Escalation\n\n");
    let _ = writeln!(text, "{}", spec.soul.escalation);
    text
}

/// A section added to a SOUL file during the month (a policy the team settled on), so the
/// activity log shows a `agent.soul_updated` with its hashes before and after.
pub fn amended(spec: &AgentSpec) -> String {
    format!(
        "{}\n## Refunds and credits\n\n\
         Since the support review of last month:\n\n\
         - Refunds up to 50 EUR on a single invoice: I may approve them, and I say so in the reply.\n\
         - Anything above, or a second refund for the same customer within 90 days: a person decides.\n\
         - I never offer a credit the customer did not ask for.\n",
        soul(spec)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fleet::FLEET;

    #[test]
    fn every_soul_has_a_title_sections_and_lists() {
        for spec in FLEET {
            let text = soul(spec);
            assert!(text.starts_with(&format!("# {} — ", spec.name)), "{text}");
            for heading in ["## Principles", "## Tools", "## Escalation"] {
                assert!(text.contains(heading), "{} lacks {heading}", spec.name);
            }
            assert!(text.lines().filter(|line| line.starts_with("- ")).count() >= 4);
            assert!(amended(spec).starts_with(&text));
        }
    }
}
