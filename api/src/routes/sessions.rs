//! `/v1/sessions`: open, list, get, archive and prune sessions; post and list messages.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use read_store::sessions::{self, SessionFilter};
use schema::command::{ArchiveSession, CreateSession, PostMessage, PruneSessions};
use schema::session::{MessageRole, SessionOrigin, SessionStatus, ToolCall, UsageReport};
use schema::{AgentId, Command, ErrorCode, MessageId, SessionId};
use serde::Deserialize;

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::commands::submit;
use crate::error::ApiError;
use crate::listing::{self, Query};
use crate::session_facts::SessionFacts;
use crate::state::AppState;
use crate::views::{MessageView, SessionView};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSessionRequest {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    agent_id: String,
    #[serde(default)]
    #[schema(schema_with = schema::limits::schemas::session_name)]
    name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PruneSessionsRequest {
    /// Archive active sessions whose last activity is before this time (RFC 3339).
    before: DateTime<Utc>,
    #[serde(default)]
    agent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostMessageRequest {
    /// `user` (the default) or `assistant` (the agent runtime reporting its reply).
    #[serde(default)]
    role: Option<MessageRole>,
    /// 1 to 100,000 characters.
    content: String,
    /// Only on assistant messages; the cost is computed from the model catalog.
    #[serde(default)]
    usage: Option<UsageReport>,
    /// Only on assistant messages.
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

/// Two shapes, one per role, so that the document says what the server checks: `usage` and
/// `toolCalls` only on assistant messages (`domain::validate::message`).
impl utoipa::PartialSchema for PostMessageRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::OneOfBuilder;
        use utoipa::openapi::Ref;
        OneOfBuilder::new()
            .item(Ref::from_schema_name("UserMessageRequest"))
            .item(Ref::from_schema_name("AssistantMessageRequest"))
            .into()
    }
}

/// The two shapes of [`PostMessageRequest`], as components of their own (clients get a named
/// type for each).
fn message_request_shapes() -> [(&'static str, utoipa::openapi::schema::Schema); 2] {
    use schema::limits::{schemas, MAX_TOOL_CALLS};
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
    };
    use utoipa::openapi::Ref;
    let role = |role: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([role]))
    };
    let user = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A user's message (`role` may be left out)."))
        .property("role", role("user"))
        .property("content", schemas::message_content())
        .required("content")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    let assistant = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The agent runtime reporting its reply, with what it cost (priced from the model \
             catalog) and the tools it called.",
        ))
        .property("role", role("assistant"))
        .required("role")
        .property("content", schemas::message_content())
        .required("content")
        .property(
            "usage",
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .item(Ref::from_schema_name("UsageReport")),
        )
        .property(
            "toolCalls",
            ArrayBuilder::new()
                .schema_type(
                    [Type::Array, Type::Null]
                        .into_iter()
                        .collect::<SchemaType>(),
                )
                .items(Ref::from_schema_name("ToolCall"))
                .max_items(Some(MAX_TOOL_CALLS)),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    [
        ("UserMessageRequest", user.build().into()),
        ("AssistantMessageRequest", assistant.build().into()),
    ]
}

impl utoipa::ToSchema for PostMessageRequest {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        for (name, shape) in message_request_shapes() {
            schemas.push((name.to_owned(), utoipa::openapi::RefOr::T(shape)));
        }
        schemas.push((
            "UsageReport".to_owned(),
            <UsageReport as utoipa::PartialSchema>::schema(),
        ));
        schemas.push((
            "ToolCall".to_owned(),
            <ToolCall as utoipa::PartialSchema>::schema(),
        ));
        <ToolCall as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The number of sessions a prune archived.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PruneResult {
    archived: i64,
}

fn session_id(path: &str) -> Result<SessionId, ApiError> {
    path.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::SessionNotFound, "session", path))
}

async fn load_session(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
) -> Result<schema::session::SessionSnapshot, ApiError> {
    let session = sessions::find(&state.store, caller.tenant_id, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::SessionNotFound, "session", &id.to_string())
        })?;
    state.sessions.put(caller.tenant_id, &session);
    Ok(session)
}

/// The session's agent and origin, read from the store only the first time this process meets
/// the session (see `session_facts`).
async fn session_facts(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
) -> Result<SessionFacts, ApiError> {
    match state.sessions.get(caller.tenant_id, id) {
        Some(facts) => Ok(facts),
        None => Ok(SessionFacts::from(&load_session(state, caller, id).await?)),
    }
}

async fn render_session(
    state: &AppState,
    caller: &Caller,
    id: SessionId,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let session = load_session(state, caller, id).await?;
    let mut response = HttpResponse::build(status);
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/sessions/{id}")));
    }
    Ok(response.json(SessionView::from(&session)))
}

#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = CreateSessionRequest,
    responses((status = 201, description = "Opened", body = SessionView,
               headers(("Location" = String, description = "The session's URL"))),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn create_session(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateSessionRequest>,
) -> Result<HttpResponse, ApiError> {
    let errors = domain::validate::session_name(request.name.as_deref());
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let agent_id: AgentId = request
        .agent_id
        .parse()
        .map_err(|_| ApiError::not_found(ErrorCode::AgentNotFound, "agent", &request.agent_id))?;
    let session_id: SessionId = crate::ids::next();
    let command = Command::CreateSession(CreateSession {
        session_id,
        agent_id,
        name: request.name,
    });
    submit(&state, &caller, command).await?;
    render_session(&state, &caller, session_id, StatusCode::CREATED).await
}

#[utoipa::path(get, path = "/v1/sessions", tag = "sessions",
    params(("agentId" = Option<String>, Query, description = "Only this agent's sessions"),
           ("status" = Option<SessionStatus>, Query, description = "active or archived"),
           ("origin" = Option<SessionOrigin>, Query, description = "api or cron"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of sessions, newest first", body = crate::openapi::SessionList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_sessions(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let filter = SessionFilter {
        agent: match query.get("agentId") {
            None => None,
            // A malformed id matches no session, like an unknown one.
            Some(text) => match text.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    return Ok(HttpResponse::Ok().json(listing::envelope::<()>(&[], 0, page)))
                }
            },
        },
        status: listing::enum_param(&query, "status", SessionStatus::parse, "active, archived")?,
        origin: listing::enum_param(&query, "origin", SessionOrigin::parse, "api, cron")?,
    };
    let client = state.store.client().await?;
    let listed = sessions::list(&client, caller.tenant_id, filter, page).await?;
    let views: Vec<SessionView> = listed.rows.iter().map(SessionView::from).collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions", params(("id" = String, Path, description = "sess_…")),
    responses((status = 200, description = "The session", body = SessionView),
              (status = 404, description = "SESSION_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    render_session(&state, &caller, id, StatusCode::OK).await
}

#[utoipa::path(post, path = "/v1/sessions/{id}/archive", tag = "sessions", params(("id" = String, Path, description = "sess_…")),
    responses((status = 200, description = "Archived (archiving an archived session changes nothing)", body = SessionView),
              (status = 404, description = "SESSION_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn archive_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let session_id = session_id(&path)?;
    submit(
        &state,
        &caller,
        Command::ArchiveSession(ArchiveSession { session_id }),
    )
    .await?;
    render_session(&state, &caller, session_id, StatusCode::OK).await
}

#[utoipa::path(post, path = "/v1/sessions/prune", tag = "sessions", request_body = PruneSessionsRequest,
    responses((status = 200, description = "How many active sessions idle since before `before` were archived", body = PruneResult),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn prune_sessions(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<PruneSessionsRequest>,
) -> Result<HttpResponse, ApiError> {
    let agent_id = match request.agent_id {
        None => None,
        Some(text) => Some(
            text.parse()
                .map_err(|_| ApiError::not_found(ErrorCode::AgentNotFound, "agent", &text))?,
        ),
    };
    let command_id = submit(
        &state,
        &caller,
        Command::PruneSessions(PruneSessions {
            before: request.before,
            agent_id,
        }),
    )
    .await?
    .id;
    let client = state.store.client().await?;
    let archived = sessions::archived_by(&client, command_id).await?;
    Ok(HttpResponse::Ok().json(PruneResult { archived }))
}

#[utoipa::path(post, operation_id = "post_message", path = "/v1/sessions/{id}/messages", tag = "sessions", params(("id" = String, Path, description = "sess_…")),
    request_body = PostMessageRequest,
    responses((status = 201, description = "Stored with the next sequence of the session", body = MessageView,
               headers(("Location" = String, description = "The session's messages (a message has no URL of its own)"))),
              (status = 400, description = "Invalid fields (e.g. usage on a user message, unknown model)", body = crate::error::ErrorBody),
              (status = 404, description = "SESSION_NOT_FOUND", body = crate::error::ErrorBody),
              (status = 409, description = "SESSION_ARCHIVED", body = crate::error::ErrorBody),
              (status = 429, description = "BUDGET_EXHAUSTED (user messages), or RATE_LIMITED", body = crate::error::ErrorBody,
               headers(("Retry-After" = u64, description = "Seconds until the budget resets (or the rate-limit window)")))),
    security(("bearer" = ["read-write"])))]
pub async fn post_message(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(request): JsonBody<PostMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let session_id = session_id(&path)?;
    let role = request.role.unwrap_or(MessageRole::User);
    let tool_calls = request.tool_calls.unwrap_or_default();
    let errors = domain::validate::message(
        role,
        &request.content,
        request.usage.as_ref(),
        &tool_calls,
        &state.catalog,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    // A session never changes agent: the command names it so the projector loads it with the
    // session, in the same round trip.
    let session = session_facts(&state, &caller, session_id).await?;
    let usage = request.usage.as_ref().and_then(|report| {
        state
            .catalog
            .get(&report.model)
            .map(|model| model.price(report))
    });
    let message_id: MessageId = crate::ids::next();
    let post = PostMessage {
        message_id,
        session_id,
        agent_id: session.agent_id,
        role,
        content: request.content,
        usage,
        tool_calls,
        cron_session: session.origin == SessionOrigin::Cron,
    };
    let applied = submit(&state, &caller, Command::PostMessage(post.clone())).await?;
    let message = match applied.sequence.filter(|_| applied.as_issued) {
        // The message the projector stored for this very record, built as it built it, at the
        // place in the session its batch told: nothing to read back.
        Some(sequence) => domain::decide::posted_message(&post, sequence, applied.issued_at),
        None => sessions::find_message(&state.store, caller.tenant_id, message_id)
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("accepted message {message_id} is not stored"))
            })?,
    };
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/sessions/{session_id}/messages"),
        ))
        .json(MessageView::from(&message)))
}

#[utoipa::path(get, path = "/v1/sessions/{id}/messages", tag = "sessions", params(("id" = String, Path, description = "sess_…"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of messages, oldest first unless order=desc", body = crate::openapi::MessageList),
              (status = 404, description = "SESSION_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let session_id = session_id(&path)?;
    let page = listing::page(&query, read_store::Order::Asc)?;
    let session = load_session(&state, &caller, session_id).await?;
    let client = state.store.client().await?;
    let listed = sessions::messages(&client, caller.tenant_id, &session, page).await?;
    let views: Vec<MessageView> = listed.rows.iter().map(MessageView::from).collect();
    Ok(HttpResponse::Ok().json(listing::envelope(&views, listed.total, page)))
}
