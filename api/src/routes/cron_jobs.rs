//! `/v1/cron-jobs`: scheduled prompts for agents, run now, and their runs.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use domain::validate;
use read_store::cron::{self, JobFilter};
use schema::command::{CreateCronJob, DeleteCronJob, RunCronJob, UpdateCronJob};
use schema::cron::{CronDelivery, CronJobPatch, CronJobSnapshot, CronRunSnapshot, OverlapPolicy};
use schema::{AgentId, Command, CronJobId, CronRunId, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::commands::submit;
use crate::error::ApiError;
use crate::listing::{self, Query};
use crate::state::AppState;

pub const DEFAULT_TIMEZONE: &str = "UTC";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCronJobRequest {
    #[schema(example = "agent_01jq8abcdefghjkmnpqrstvwxy")]
    agent_id: String,
    #[schema(schema_with = schema::limits::schemas::cron_job_name)]
    name: String,
    /// Posted as the run's first user message.
    #[schema(schema_with = schema::limits::schemas::cron_prompt)]
    prompt: String,
    #[schema(example = "0 8 * * MON-FRI")]
    #[schema(schema_with = schema::limits::schemas::schedule)]
    schedule: String,
    /// IANA time zone, default UTC.
    #[serde(default)]
    #[schema(example = "Europe/Berlin")]
    #[schema(schema_with = schema::limits::schemas::time_zone)]
    timezone: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    /// `skip` (default) or `allow`.
    #[serde(default)]
    overlap_policy: Option<OverlapPolicy>,
    /// Where each run's output goes; default `{"type":"none"}`.
    #[serde(default)]
    delivery: Option<CronDelivery>,
}

fn job_id(path: &str) -> Result<CronJobId, ApiError> {
    path.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::CronJobNotFound, "cron job", path))
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: CronJobId,
) -> Result<CronJobSnapshot, ApiError> {
    let client = state.store.client().await?;
    cron::job(&client, caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::CronJobNotFound, "cron job", &id.to_string()))
}

/// The cron job object of the API: the stored job, with its delivery secret when the request
/// issued one (create, or a patch that sets a webhook delivery).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobView<'a> {
    #[serde(flatten)]
    job: &'a CronJobSnapshot,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_secret: Option<&'a str>,
}

fn render<'a>(job: &'a CronJobSnapshot, delivery_secret: Option<&'a str>) -> CronJobView<'a> {
    CronJobView {
        job,
        delivery_secret,
    }
}

/// The job's own schema with `deliverySecret` added: one object, so that a strict client sees
/// one set of fields (a flattened `allOf` would make each part refuse the other's fields).
impl utoipa::PartialSchema for CronJobView<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let mut schema = <CronJobSnapshot as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.properties.insert(
                "deliverySecret".to_owned(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(
                        "`whsec_…`, the signing secret of a webhook delivery: only in the answer \
                         of the request that set it (create, or a patch of `delivery`).",
                    ))
                    .into(),
            );
        }
        schema
    }
}

impl utoipa::ToSchema for CronJobView<'_> {
    fn name() -> std::borrow::Cow<'static, str> {
        "CronJob".into()
    }
}

/// Checks a delivery target: URLs pass the SSRF guard, a chat id and an address are sane.
/// Returns the delivery in normal form.
async fn check_delivery(
    state: &AppState,
    delivery: CronDelivery,
) -> Result<CronDelivery, ApiError> {
    use crate::signing_secrets::check_target;
    Ok(match delivery {
        CronDelivery::None => CronDelivery::None,
        CronDelivery::Webhook { url } => CronDelivery::Webhook {
            url: check_target(state, "delivery.url", &url).await?,
        },
        CronDelivery::Slack { webhook_url } => CronDelivery::Slack {
            webhook_url: check_target(state, "delivery.webhookUrl", &webhook_url).await?,
        },
        CronDelivery::Telegram { chat_id } => {
            one_line("delivery.chatId", &chat_id, validate::TELEGRAM_CHAT_ID)?;
            if chat_id.is_empty() || chat_id.contains(char::is_whitespace) {
                return Err(ApiError::field(
                    "delivery.chatId",
                    "must be a Telegram chat id (a number) or @channelname",
                ));
            }
            CronDelivery::Telegram { chat_id }
        }
        CronDelivery::Email { to } => {
            one_line("delivery.to", &to, validate::EMAIL_ADDRESS)?;
            let valid = !to.contains(|c: char| c.is_whitespace() || c.is_control() || c == ',')
                && to
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
            if !valid {
                return Err(ApiError::field(
                    "delivery.to",
                    "must be one email address, like ops@example.com",
                ));
            }
            CronDelivery::Email { to }
        }
    })
}

/// Refuses a delivery field that is not one line of text.
fn one_line(field: &str, value: &str, spec: validate::TextSpec) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if validate::check_text(field, value, spec, &mut errors) {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// A new sealed signing secret when the delivery is a webhook: `(plain, sealed)`.
fn delivery_secret(
    state: &AppState,
    caller: &Caller,
    id: CronJobId,
    delivery: &CronDelivery,
) -> Result<Option<(String, String)>, ApiError> {
    match delivery {
        CronDelivery::Webhook { .. } => {
            crate::signing_secrets::new_sealed(state, caller.tenant_id, &id.to_string()).map(Some)
        }
        _ => Ok(None),
    }
}

fn validate(
    name: Option<&str>,
    prompt: Option<&str>,
    schedule: Option<(&str, &str)>,
) -> Result<(), ApiError> {
    let mut errors: Vec<FieldError> = domain::cron::name_and_prompt(name, prompt);
    if let Some((expression, timezone)) = schedule {
        // The parser refuses anything odd; control characters are named first.
        let sane = validate::check_text("schedule", expression, validate::SCHEDULE, &mut errors)
            & validate::check_text("timezone", timezone, validate::TIME_ZONE, &mut errors);
        if sane {
            if let Err(more) = domain::schedule::Schedule::parse(expression, timezone) {
                errors.extend(more);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

#[utoipa::path(post, path = "/v1/cron-jobs", tag = "cron", request_body = CreateCronJobRequest,
    responses((status = 201, description = "Created; a webhook delivery's `deliverySecret` (whsec_…) is shown only now", body = CronJobView,
               headers(("Location" = String, description = "The job's URL"))),
              (status = 400, description = "Invalid fields (schedule, time zone, delivery…)", body = crate::error::ErrorBody),
              (status = 404, description = "AGENT_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn create_cron_job(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateCronJobRequest>,
) -> Result<HttpResponse, ApiError> {
    let timezone = request
        .timezone
        .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
    validate(
        Some(&request.name),
        Some(&request.prompt),
        Some((&request.schedule, &timezone)),
    )?;
    let delivery = check_delivery(&state, request.delivery.unwrap_or(CronDelivery::None)).await?;
    let agent_id: AgentId = request
        .agent_id
        .parse()
        .map_err(|_| ApiError::not_found(ErrorCode::AgentNotFound, "agent", &request.agent_id))?;
    let id: CronJobId = crate::ids::next();
    let secret = delivery_secret(&state, &caller, id, &delivery)?;
    let command = Command::CreateCronJob(CreateCronJob {
        cron_job_id: id,
        agent_id,
        name: request.name,
        prompt: request.prompt,
        schedule: request.schedule.trim().to_owned(),
        timezone,
        enabled: request.enabled.unwrap_or(true),
        overlap_policy: request.overlap_policy.unwrap_or(OverlapPolicy::Skip),
        delivery,
        delivery_secret: secret.as_ref().map(|(_, sealed)| sealed.clone()),
    });
    submit(&state, &caller, command).await?;
    let job = load(&state, &caller, id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/cron-jobs/{id}")))
        .json(render(
            &job,
            secret.as_ref().map(|(plain, _)| plain.as_str()),
        )))
}

#[utoipa::path(get, path = "/v1/cron-jobs", tag = "cron",
    params(("agentId" = Option<String>, Query, description = "Only this agent's jobs"),
           ("enabled" = Option<bool>, Query, description = "true or false"),
           crate::openapi::ListParams),
    responses((status = 200, description = "A page of jobs, newest first", body = crate::openapi::CronJobList),
              (status = 400, description = "Bad query parameter", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_cron_jobs(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let page = listing::page(&query, read_store::Order::Desc)?;
    let enabled = listing::enum_param(
        &query,
        "enabled",
        |text| match text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        "true, false",
    )?;
    let agent = match query.get("agentId") {
        None => None,
        Some(text) => match text.parse() {
            Ok(id) => Some(id),
            // A malformed id matches no job, like an unknown one.
            Err(_) => return Ok(HttpResponse::Ok().json(listing::envelope::<()>(&[], 0, page))),
        },
    };
    let client = state.store.client().await?;
    let listed = cron::jobs(
        &client,
        caller.tenant_id,
        JobFilter { agent, enabled },
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(listing::envelope(&listed.rows, listed.total, page)))
}

#[utoipa::path(get, path = "/v1/cron-jobs/{id}", tag = "cron", params(("id" = String, Path, description = "cron_…")),
    responses((status = 200, description = "The job", body = CronJobView),
              (status = 404, description = "CRON_JOB_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_cron_job(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = load(&state, &caller, job_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(&job))
}

#[utoipa::path(patch, path = "/v1/cron-jobs/{id}", tag = "cron", params(("id" = String, Path, description = "cron_…")),
    request_body = CronJobPatch,
    responses((status = 200, description = "Updated (`nextRunAt` recomputed when the schedule, time zone or enabled changes)", body = CronJobView),
              (status = 400, description = "Invalid fields", body = crate::error::ErrorBody),
              (status = 404, description = "CRON_JOB_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn update_cron_job(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    JsonBody(mut patch): JsonBody<CronJobPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = job_id(&path)?;
    let current = load(&state, &caller, id).await?;
    let schedule = patch.schedule.as_deref().unwrap_or(&current.schedule);
    let timezone = patch.timezone.as_deref().unwrap_or(&current.timezone);
    validate(
        patch.name.as_deref(),
        patch.prompt.as_deref(),
        Some((schedule, timezone)),
    )?;
    patch.schedule = patch.schedule.map(|s| s.trim().to_owned());
    let secret = match patch.delivery.take() {
        Some(delivery) => {
            let delivery = check_delivery(&state, delivery).await?;
            let secret = delivery_secret(&state, &caller, id, &delivery)?;
            patch.delivery = Some(delivery);
            secret
        }
        None => None,
    };
    submit(
        &state,
        &caller,
        Command::UpdateCronJob(UpdateCronJob {
            cron_job_id: id,
            patch,
            delivery_secret: secret.as_ref().map(|(_, sealed)| sealed.clone()),
        }),
    )
    .await?;
    let job = load(&state, &caller, id).await?;
    Ok(HttpResponse::Ok().json(render(
        &job,
        secret.as_ref().map(|(plain, _)| plain.as_str()),
    )))
}

#[utoipa::path(delete, path = "/v1/cron-jobs/{id}", tag = "cron", params(("id" = String, Path, description = "cron_…")),
    responses((status = 204, description = "Deleted; a run in progress still finishes, its runs are no longer listed"),
              (status = 404, description = "CRON_JOB_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn delete_cron_job(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cron_job_id = job_id(&path)?;
    submit(
        &state,
        &caller,
        Command::DeleteCronJob(DeleteCronJob { cron_job_id }),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/v1/cron-jobs/{id}/run", tag = "cron", params(("id" = String, Path, description = "cron_…")),
    responses((status = 202, description = "A run now, outside the schedule (`skipped` if the previous run is still running and the policy is skip)", body = CronRunSnapshot),
              (status = 404, description = "CRON_JOB_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read-write"])))]
pub async fn run_cron_job(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = job_id(&path)?;
    let job = load(&state, &caller, id).await?;
    let run_id: CronRunId = crate::ids::next();
    submit(
        &state,
        &caller,
        Command::RunCronJob(RunCronJob {
            cron_job_id: id,
            agent_id: job.agent_id,
            run_id,
        }),
    )
    .await?;
    let run = load_run(&state, &caller, id, run_id).await?;
    Ok(HttpResponse::Accepted().json(&run))
}

async fn load_run(
    state: &AppState,
    caller: &Caller,
    job: CronJobId,
    id: CronRunId,
) -> Result<CronRunSnapshot, ApiError> {
    let client = state.store.client().await?;
    cron::run(&client, caller.tenant_id, job, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::CronRunNotFound, "cron run", &id.to_string()))
}

#[utoipa::path(get, operation_id = "list_cron_runs", path = "/v1/cron-jobs/{id}/runs", tag = "cron",
    params(("id" = String, Path, description = "cron_…"), crate::openapi::ListParams),
    responses((status = 200, description = "A page of runs, latest scheduled first", body = crate::openapi::CronRunList),
              (status = 404, description = "CRON_JOB_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn list_runs(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: Query,
) -> Result<HttpResponse, ApiError> {
    let id = job_id(&path)?;
    let page = listing::page(&query, read_store::Order::Desc)?;
    load(&state, &caller, id).await?;
    let client = state.store.client().await?;
    let listed = cron::runs(&client, caller.tenant_id, id, page).await?;
    Ok(HttpResponse::Ok().json(listing::envelope(&listed.rows, listed.total, page)))
}

#[utoipa::path(get, operation_id = "get_cron_run", path = "/v1/cron-jobs/{id}/runs/{runId}", tag = "cron",
    params(("id" = String, Path, description = "cron_…"), ("runId" = String, Path, description = "run_…")),
    responses((status = 200, description = "The run", body = CronRunSnapshot),
              (status = 404, description = "CRON_JOB_NOT_FOUND or CRON_RUN_NOT_FOUND", body = crate::error::ErrorBody)),
    security(("bearer" = ["read"])))]
pub async fn get_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (job, run) = path.into_inner();
    let job = job_id(&job)?;
    let run: CronRunId = run
        .parse()
        .map_err(|_| ApiError::not_found(ErrorCode::CronRunNotFound, "cron run", &run))?;
    load(&state, &caller, job).await?;
    let run = load_run(&state, &caller, job, run).await?;
    Ok(HttpResponse::Ok().json(&run))
}
