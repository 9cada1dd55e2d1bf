//! The contract's limits on request fields, as data: what each text field may hold
//! ([`TextSpec`]) and the ranges of numbers. `domain::validate` checks requests against them
//! and the API's OpenAPI document states them ([`TextSpec::schema`]), so the two cannot drift.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ROLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_SOUL_BYTES: usize = 64 * 1024;
pub const MAX_TOOL_NAME_CHARS: usize = 64;
pub const MAX_SESSION_NAME_CHARS: usize = 200;
pub const MAX_MESSAGE_CHARS: usize = 100_000;
pub const MAX_TOOL_CALLS: usize = 100;
pub const MAX_MODEL_CHARS: usize = 100;
pub const MAX_KEY_NAME_CHARS: usize = 100;
pub const MAX_HEARTBEAT_DETAIL_CHARS: usize = 1_000;
/// URLs of webhooks, gateways and cron deliveries.
pub const MAX_URL_CHARS: usize = 2_048;
pub const MAX_JOB_NAME_CHARS: usize = 100;
pub const MAX_PROMPT_CHARS: usize = MAX_MESSAGE_CHARS;

/// Input and output tokens one reply may report, each. A reply adds at most 2·10⁹ tokens, so
/// even at the highest plan's request ceiling (50,000 an hour) a tenant adds under 10¹⁸ a
/// year: an hourly rollup row stays under 10¹⁴, an agent's monthly counter under 10¹⁷, far
/// inside a `bigint` (9.2·10¹⁸). Sums saturate anyway (see `usage::add_tokens`).
pub const MAX_TOKENS_PER_MESSAGE: u64 = 1_000_000_000;
/// Latencies and durations a runtime reports (`usage.latencyMs`, `toolCalls[].durationMs`,
/// heartbeat `latencyMs`): at most 24 hours, in milliseconds. The latency sketch's bucket for
/// 24 h is about 470 (of 65,535).
pub const MAX_DURATION_MS: u64 = 86_400_000;
/// Daily and monthly token budgets. `alertThreshold × budget` is computed in `f64`, exact for
/// integers below 2⁵³ ≈ 9·10¹⁵, so a budget of at most 10¹⁵ crosses its alert exactly.
pub const MAX_TOKEN_BUDGET: u64 = 1_000_000_000_000_000;

/// Which characters a text field may hold. Whatever the rule, U+0000 is refused: neither
/// Postgres `text` nor `jsonb` can hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRule {
    /// One line: names, roles, models, schedules, time zones, URLs, addresses, chat ids, query
    /// parameters. No control character at all (Unicode `Cc`: C0, DEL and C1).
    Line,
    /// Prose that people write and lists show (descriptions): tab, line feed and carriage
    /// return, and no other control character.
    Prose,
    /// Text relayed as it is (message content, SOUL files, cron prompts, heartbeat details):
    /// everything but U+0000. Agent runtimes relay tool and terminal output — ANSI escapes,
    /// backspaces, form feeds, C1 codes from mis-decoded text — and refusing it would lose the
    /// reply and the usage it reports. Every wire the API writes escapes control characters
    /// (JSON), so they reach a client as data; rendering them is the client's business.
    Verbatim,
}

impl TextRule {
    pub fn refuses(self, c: char) -> bool {
        match self {
            Self::Line => c.is_control(),
            Self::Prose => c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
            Self::Verbatim => c == '\0',
        }
    }

    /// The first refused character and its position (1-based, in characters).
    pub fn first_refused(self, value: &str) -> Option<(usize, char)> {
        if self == Self::Verbatim && !value.contains('\0') {
            return None;
        }
        value
            .chars()
            .enumerate()
            .find(|&(_, c)| self.refuses(c))
            .map(|(index, c)| (index + 1, c))
    }

    /// What to tell a client who sent `c` at `position` (1-based, in characters).
    pub fn refusal(self, position: usize, c: char) -> String {
        let what = match self {
            Self::Line => "must be one line without control characters",
            Self::Prose => {
                "must not contain control characters other than tab, line feed and carriage return"
            }
            Self::Verbatim => {
                return format!("must not contain U+0000 (NUL), found at character {position}");
            }
        };
        format!(
            "{what} (found U+{:04X} at character {position})",
            u32::from(c)
        )
    }
}

/// Whether a text field must hold something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    MayBeEmpty,
    NotEmpty,
    /// Not empty and not only white space.
    NotBlank,
}

/// The longest a text field may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Chars(usize),
    Bytes(usize),
}

/// What a text field may hold: its characters, whether it may be empty, its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSpec {
    pub rule: TextRule,
    pub presence: Presence,
    pub max: Length,
}

impl TextSpec {
    pub const fn new(rule: TextRule, max: Length) -> Self {
        Self {
            rule,
            presence: Presence::MayBeEmpty,
            max,
        }
    }

    pub const fn line(max_chars: usize) -> Self {
        Self::new(TextRule::Line, Length::Chars(max_chars))
    }

    pub const fn not_empty(self) -> Self {
        Self {
            presence: Presence::NotEmpty,
            ..self
        }
    }

    pub const fn not_blank(self) -> Self {
        Self {
            presence: Presence::NotBlank,
            ..self
        }
    }
}

pub const AGENT_NAME: TextSpec = TextSpec::line(MAX_NAME_CHARS).not_blank();
pub const AGENT_ROLE: TextSpec = TextSpec::line(MAX_ROLE_CHARS);
pub const DESCRIPTION: TextSpec =
    TextSpec::new(TextRule::Prose, Length::Chars(MAX_DESCRIPTION_CHARS));
pub const SOUL: TextSpec = TextSpec::new(TextRule::Verbatim, Length::Bytes(MAX_SOUL_BYTES));
pub const SESSION_NAME: TextSpec = TextSpec::line(MAX_SESSION_NAME_CHARS).not_blank();
pub const MESSAGE_CONTENT: TextSpec =
    TextSpec::new(TextRule::Verbatim, Length::Chars(MAX_MESSAGE_CHARS)).not_empty();
pub const MODEL_ID: TextSpec = TextSpec::line(MAX_MODEL_CHARS).not_empty();
pub const URL: TextSpec = TextSpec::line(MAX_URL_CHARS).not_empty();
pub const KEY_NAME: TextSpec = TextSpec::line(MAX_KEY_NAME_CHARS).not_blank();
pub const HEARTBEAT_DETAIL: TextSpec = TextSpec::new(
    TextRule::Verbatim,
    Length::Chars(MAX_HEARTBEAT_DETAIL_CHARS),
);
pub const CRON_JOB_NAME: TextSpec = TextSpec::line(MAX_JOB_NAME_CHARS).not_blank();
/// Posted as the run's first user message, so held to the same characters as one.
pub const CRON_PROMPT: TextSpec =
    TextSpec::new(TextRule::Verbatim, Length::Chars(MAX_PROMPT_CHARS)).not_blank();
/// The parser refuses anything else; this only names control characters first.
pub const SCHEDULE: TextSpec = TextSpec::line(256);
pub const TIME_ZONE: TextSpec = TextSpec::line(64);
pub const TELEGRAM_CHAT_ID: TextSpec = TextSpec::line(64);
pub const EMAIL_ADDRESS: TextSpec = TextSpec::line(254);

impl TextRule {
    /// A regular-expression character class of the characters the rule allows, with `extra`
    /// also refused (written inside the brackets).
    fn allowed_class(self, extra: &str) -> String {
        let refused = match self {
            Self::Line => r"\x00-\x1f\x7f-\x9f",
            Self::Prose => r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f",
            Self::Verbatim => r"\x00",
        };
        format!("[^{refused}{extra}]")
    }
}

impl TextSpec {
    /// The spec as a JSON Schema string: `minLength`, `maxLength` and a `pattern` (valid in
    /// ECMA-262 and Python) that allows exactly the characters of [`TextRule`] and, for
    /// [`Presence::NotBlank`], requires one that is not white space. A [`Length::Bytes`] limit
    /// becomes `maxLength` in characters (a bound no valid value exceeds) plus a description.
    pub fn schema(self) -> Object {
        let allowed = self.rule.allowed_class("");
        let pattern = match self.presence {
            Presence::NotBlank => {
                let visible = self.rule.allowed_class(r"\s");
                format!("^{allowed}*{visible}{allowed}*$")
            }
            Presence::MayBeEmpty | Presence::NotEmpty => format!("^{allowed}*$"),
        };
        let (max, unit) = match self.max {
            Length::Chars(max) => (max, "characters"),
            Length::Bytes(max) => (max, "bytes of UTF-8"),
        };
        let min = usize::from(self.presence != Presence::MayBeEmpty);
        let what = match self.rule {
            TextRule::Line => "One line: no control characters",
            TextRule::Prose => "No control characters but tab, line feed and carriage return",
            TextRule::Verbatim => "Any text but U+0000",
        };
        let blank = if self.presence == Presence::NotBlank {
            ", not only white space"
        } else {
            ""
        };
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length((min > 0).then_some(min))
            .max_length(Some(max))
            .pattern(Some(pattern))
            .description(Some(format!("{what}; {min} to {max} {unit}{blank}.")))
            .build()
    }

    /// [`Self::schema`], also allowing `null` (a merge-patch field that clears its value).
    pub fn nullable_schema(self) -> Object {
        let mut schema = self.schema();
        schema.schema_type = [Type::String, Type::Null].into_iter().collect();
        schema
    }
}

/// Functions that give the schema of one spec, for `#[schema(schema_with = …)]` on a field.
///
/// Values that a JSON Schema cannot check (a model of the catalog, a cron expression, a time
/// zone, a URL the API may call) carry a `format` of this API's own, named in the document, so
/// that tools can be taught to produce them (scripts/fuzz_api_hooks.py does).
pub mod schemas {
    use utoipa::openapi::schema::{ArrayBuilder, Object, SchemaFormat};

    use super::*;

    fn described(mut schema: Object, format: &str, what: &str) -> Object {
        schema.format = Some(SchemaFormat::Custom(format.to_owned()));
        let limits = schema.description.take().unwrap_or_default();
        schema.description = Some(format!("{what}. {limits}"));
        schema
    }

    pub fn agent_name() -> Object {
        AGENT_NAME.schema()
    }
    pub fn agent_role() -> Object {
        AGENT_ROLE.schema()
    }
    pub fn agent_role_or_null() -> Object {
        AGENT_ROLE.nullable_schema()
    }
    pub fn description() -> Object {
        DESCRIPTION.schema()
    }
    pub fn description_or_null() -> Object {
        DESCRIPTION.nullable_schema()
    }
    pub fn soul() -> Object {
        SOUL.schema()
    }
    pub fn session_name() -> Object {
        SESSION_NAME.schema()
    }
    pub fn message_content() -> Object {
        MESSAGE_CONTENT.schema()
    }
    /// A model of the catalog (`GET /v1/models`).
    pub fn model_id() -> Object {
        described(
            MODEL_ID.schema(),
            "model-id",
            "A model id of the catalog, as listed by GET /v1/models",
        )
    }
    /// A target the API will call: an absolute `http` or `https` URL whose host passes the
    /// operator's target policy (by default a public address).
    pub fn url() -> Object {
        described(
            URL.schema(),
            "http-url",
            "An absolute http or https URL of a public address",
        )
    }
    pub fn key_name() -> Object {
        KEY_NAME.schema()
    }
    pub fn heartbeat_detail() -> Object {
        HEARTBEAT_DETAIL.schema()
    }
    pub fn cron_job_name() -> Object {
        CRON_JOB_NAME.schema()
    }
    pub fn cron_prompt() -> Object {
        CRON_PROMPT.schema()
    }
    pub fn schedule() -> Object {
        described(
            SCHEDULE.schema(),
            "cron-expression",
            "A standard 5-field cron expression (minute hour day-of-month month day-of-week)",
        )
    }
    pub fn time_zone() -> Object {
        described(
            TIME_ZONE.schema(),
            "iana-time-zone",
            "An IANA time zone name such as Europe/Berlin",
        )
    }
    pub fn telegram_chat_id() -> Object {
        TELEGRAM_CHAT_ID.schema()
    }
    pub fn email_address() -> Object {
        EMAIL_ADDRESS.schema()
    }
    /// A tool name: 1-64 characters of `a-z`, `0-9` and `_`.
    pub fn tool_name() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_TOOL_NAME_CHARS))
            .pattern(Some("^[a-z0-9_]+$"))
            .build()
    }
    /// A free-text query parameter: any line without control characters.
    pub fn query_text() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{}*$", TextRule::Line.allowed_class(""))))
            .build()
    }
    pub fn tool_names() -> utoipa::openapi::schema::Array {
        ArrayBuilder::new().items(tool_name()).build()
    }
    pub fn model_ids() -> utoipa::openapi::schema::Array {
        ArrayBuilder::new().items(model_id()).build()
    }
}
