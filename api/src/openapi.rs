//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated from the handlers'
//! `#[utoipa::path]` annotations and the request/response types. What every operation shares
//! (the bearer scheme, the headers of every response, the errors any request can meet, the
//! `Idempotency-Key` of writes) is added once, by [`Conventions`].

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::error::{ErrorBody, ErrorDetail};
use crate::listing::Pagination;
use crate::routes::{activity, agents, api_keys, cron_jobs, metrics, models, sessions, webhooks};
use crate::views::{AgentView, MessageView, SessionView};

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub data: Vec<AgentView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityList {
    pub data: Vec<activity::ActivityEntrySchema>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub data: Vec<SessionView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    pub data: Vec<MessageView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<api_keys::ApiKeyView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsAgentList {
    pub data: Vec<metrics::AgentMetrics<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct CronJobList {
    pub data: Vec<cron_jobs::CronJobView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct CronRunList {
    pub data: Vec<schema::cron::CronRunSnapshot>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<webhooks::WebhookView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<webhooks::DeliveryView<'static>>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub provider: String,
    pub input_price_per_m_tok_usd: f64,
    pub output_price_per_m_tok_usd: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ModelList {
    pub data: Vec<Model>,
    pub pagination: Pagination,
}

/// `limit`, `offset` and `order` of every list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// 0 to 9223372036854775807, default 0.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// `desc` by default (newest first).
    order: Option<schema::query::SortOrder>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AgenFleet API",
        version = "1.2",
        description = "Run fleets of persistent AI agents. Every write is applied before it is answered: a read that follows sees it, on any API process."
    ),
    paths(
        agents::create_agent,
        agents::list_agents,
        agents::get_agent,
        agents::update_agent,
        agents::delete_agent,
        agents::get_agent_soul,
        agents::put_agent_soul,
        agents::record_heartbeat,
        api_keys::create_api_key,
        api_keys::list_api_keys,
        api_keys::get_api_key,
        api_keys::revoke_api_key,
        metrics::get_metrics_summary,
        metrics::list_agent_metrics,
        metrics::get_agent_metrics,
        models::list_models,
        sessions::create_session,
        sessions::list_sessions,
        sessions::get_session,
        sessions::archive_session,
        sessions::prune_sessions,
        sessions::post_message,
        sessions::list_messages,
        activity::list_activity,
        activity::verify_activity,
        activity::get_activity,
        crate::activity_stream::stream_activity,
        webhooks::create_webhook,
        webhooks::list_webhooks,
        webhooks::get_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_secret,
        webhooks::test_webhook,
        webhooks::list_deliveries,
        webhooks::get_delivery,
        webhooks::retry_delivery,
        webhooks::replay,
        cron_jobs::create_cron_job,
        cron_jobs::list_cron_jobs,
        cron_jobs::get_cron_job,
        cron_jobs::update_cron_job,
        cron_jobs::delete_cron_job,
        cron_jobs::run_cron_job,
        cron_jobs::list_runs,
        cron_jobs::get_run,
    ),
    components(schemas(ErrorBody, ErrorDetail, Pagination, AgentList, ApiKeyList, Model, ModelList,
                       SessionList, MessageList, ActivityList, MetricsAgentList, WebhookList,
                       DeliveryList, CronJobList, CronRunList, schema::query::SortOrder,
                       schema::query::Granularity, schema::ActorType,
                       schema::webhook::WebhookEventFilter)),
    modifiers(&Conventions),
    tags(
        (name = "agents", description = "Agents, their SOUL and heartbeats"),
        (name = "api-keys", description = "The tenant's API keys"),
        (name = "metrics", description = "Usage, cost and latency, from hourly rollups"),
        (name = "models", description = "The model catalog and prices"),
        (name = "sessions", description = "Sessions with agents and their messages"),
        (name = "activity", description = "The tenant's hash-chained activity log"),
        (name = "webhooks", description = "Signed event deliveries to your endpoints (Standard Webhooks)"),
        (name = "cron", description = "Scheduled prompts for agents and their runs"),
    )
)]
pub struct ApiDoc;

/// What every operation shares.
struct Conventions;

fn string_header(description: &str) -> Header {
    let mut header = Header::new(ObjectBuilder::new().schema_type(Type::String));
    header.description = Some(description.to_owned());
    header
}

fn integer_header(description: &str) -> Header {
    let mut header = Header::new(ObjectBuilder::new().schema_type(Type::Integer));
    header.description = Some(description.to_owned());
    header
}

/// The errors any operation can meet, as shared `components/responses`: (status, name,
/// description, whether it carries `Retry-After`, whether only writes meet it).
const COMMON_ERRORS: &[(&str, &str, &str, bool, bool)] = &[
    ("400", "BadRequest", "VALIDATION_ERROR: a malformed query parameter, header or body; `details` name each field", false, false),
    ("401", "Unauthorized", "UNAUTHORIZED: missing, malformed, unknown, revoked or expired key (WWW-Authenticate: Bearer)", false, false),
    ("429", "RateLimited", "RATE_LIMITED (or BUDGET_EXHAUSTED)", true, false),
    ("500", "InternalError", "INTERNAL_ERROR: opaque; quote the request id", false, false),
    ("503", "ServiceUnavailable", "SERVICE_UNAVAILABLE: the database or the event log is unreachable", true, false),
    ("403", "Forbidden", "FORBIDDEN: a read key on a write", false, true),
    ("409", "Conflict", "CONFLICT, or IDEMPOTENCY_KEY_IN_USE while a request with the same key runs", false, true),
    ("413", "PayloadTooLarge", "PAYLOAD_TOO_LARGE: body over 1 MiB", false, true),
    ("415", "UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE: send application/json", false, true),
    ("422", "IdempotencyKeyReused", "IDEMPOTENCY_KEY_REUSED: the key was used for another request", false, true),
    ("504", "CommandTimeout", "COMMAND_TIMEOUT: appended but not applied in time; details carry the commandId; retry with the same Idempotency-Key", false, true),
];

/// A shared error response. A 401 comes before the rate limiter: it carries
/// `WWW-Authenticate` and no rate-limit headers.
fn error_response(
    description: &str,
    retry_after: bool,
    unauthorized: bool,
) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            integer_header("Seconds to wait before retrying"),
        );
    }
    if unauthorized {
        response = response.header(
            "WWW-Authenticate",
            string_header("`Bearer`: the scheme to authenticate with"),
        );
    }
    let mut response = response.build();
    add_headers(&mut response, !unauthorized, false);
    response
}

/// The headers of a response: `X-Request-Id` and `API-Version` on every one; the rate-limit
/// headers on answers of the rate limiter's (every authenticated request that reached a
/// handler: not on a 401, nor on an answer given by the idempotency layer alone);
/// `Idempotent-Replayed` where a write's answer can be a replay.
fn add_headers(response: &mut utoipa::openapi::Response, rate_limited: bool, replayable: bool) {
    let headers = &mut response.headers;
    headers
        .entry("X-Request-Id".into())
        .or_insert_with(|| string_header("The request id (echoed when sane)"));
    headers
        .entry("API-Version".into())
        .or_insert_with(|| string_header("Always 1.2"));
    if rate_limited {
        headers
            .entry("X-RateLimit-Limit".into())
            .or_insert_with(|| integer_header("The limit of the window with fewer requests left"));
        headers
            .entry("X-RateLimit-Remaining".into())
            .or_insert_with(|| integer_header("Requests left in that window"));
        headers
            .entry("X-RateLimit-Reset".into())
            .or_insert_with(|| integer_header("Unix seconds when that window resets"));
    }
    if replayable {
        headers.entry("Idempotent-Replayed".into()).or_insert_with(|| {
            string_header(
                "`true` when this is the kept answer of an earlier request with the same Idempotency-Key",
            )
        });
    }
}

/// 1–255 printable ASCII characters; spaces only inside, as HTTP trims them at the ends.
const IDEMPOTENCY_KEY_PATTERN: &str = r"^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$";

fn add_common(operation: &mut Operation, write: bool, takes_idempotency_key: bool) {
    let responses = &mut operation.responses.responses;
    for (status, name, _, _, writes_only) in COMMON_ERRORS {
        if write || !writes_only {
            responses
                .entry((*status).to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
        }
    }
    // Every query value passes `listing::Query`: one line without control characters.
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.parameter_in != ParameterIn::Query {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema {
            let free_text = schema.schema_type == Type::String.into()
                && schema.enum_values.is_none()
                && schema.format.is_none();
            if free_text && schema.pattern.is_none() {
                schema.pattern = schema::limits::schemas::query_text().pattern;
            }
        }
    }
    if takes_idempotency_key {
        let key = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some("1-255 printable ASCII characters; the answer is replayed for 24 h (Idempotent-Replayed: true)"))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255)).pattern(Some(IDEMPOTENCY_KEY_PATTERN))))
            .build();
        operation.parameters.get_or_insert_with(Vec::new).push(key);
    }
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            add_headers(response, true, takes_idempotency_key);
        }
    }
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("afk_…")
                    .build(),
            ),
        );
        for (_, name, description, retry_after, _) in COMMON_ERRORS {
            components.responses.insert(
                (*name).to_owned(),
                RefOr::T(error_response(
                    description,
                    *retry_after,
                    *name == "Unauthorized",
                )),
            );
        }
        // HEAD is answered like GET, without a body, on every GET route; it is not listed as
        // an operation of its own (generated clients would get a second function per read).
        for item in openapi.paths.paths.values_mut() {
            for (operation, write, takes_idempotency_key) in [
                (&mut item.get, false, false),
                (&mut item.post, true, true),
                (&mut item.put, true, false),
                (&mut item.patch, true, true),
                (&mut item.delete, true, true),
            ] {
                if let Some(operation) = operation {
                    add_common(operation, write, takes_idempotency_key);
                }
            }
        }
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

pub async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}
