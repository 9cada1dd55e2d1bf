//! The three operator routes and what they need: a metrics registry and a readiness check.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{http::header, web, HttpResponse};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::metrics::{Metrics, CONTENT_TYPE};

/// How long `/readyz` waits for a check before answering 503, so a hung dependency makes the
/// probe fail instead of hang.
pub const READINESS_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// "Can this process do its job right now?" — typically a `SELECT 1` on the pool or a look
/// at the event-log consumer. `Err` carries the reason shown in the 503 body.
#[derive(Clone)]
pub struct Readiness(Arc<dyn Fn() -> CheckFuture + Send + Sync>);

impl Readiness {
    /// `Readiness::new(move || { let pool = pool.clone(); async move { ping(&pool).await } })`
    pub fn new<F, Fut>(check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self(Arc::new(move || Box::pin(check()) as CheckFuture))
    }

    /// Ready whenever the process is up.
    pub fn always() -> Self {
        Self::new(|| async { Ok(()) })
    }

    /// Runs the check, bounded by [`READINESS_CHECK_TIMEOUT`].
    pub async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(READINESS_CHECK_TIMEOUT, (self.0)()).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "readiness check did not answer within {}",
                crate::duration::format_duration(READINESS_CHECK_TIMEOUT)
            )),
        }
    }
}

impl Default for Readiness {
    fn default() -> Self {
        Self::always()
    }
}

/// What [`health_routes`] reads; register it as `web::Data<HealthState>` app data.
#[derive(Clone)]
pub struct HealthState {
    metrics: Metrics,
    readiness: Readiness,
    shutdown: Option<CancellationToken>,
}

impl HealthState {
    /// Also registers `agenfleet_ready` (1 when `readiness` passes), checked at each scrape.
    pub fn new(metrics: Metrics, readiness: Readiness) -> Self {
        let ready = metrics.gauge(
            "agenfleet_ready",
            "1 when the process can do its job (what /readyz checks: the database and the event \
             log answer), else 0; checked at each scrape",
        );
        let check = readiness.clone();
        metrics.add_collector("readiness", move || {
            let (check, ready) = (check.clone(), ready.clone());
            async move {
                // Within the collector's own bound: a hung dependency reads as not ready.
                let bound = crate::metrics::COLLECT_TIMEOUT.mul_f32(0.75);
                let passed = matches!(tokio::time::timeout(bound, check.check()).await, Ok(Ok(())));
                ready.set(i64::from(passed));
                Ok(())
            }
        });
        Self {
            metrics,
            readiness,
            shutdown: None,
        }
    }

    /// Makes `/readyz` answer 503 once `shutdown` fires, so load balancers stop sending new
    /// work while the process drains.
    pub fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = Some(shutdown);
        self
    }
}

/// Mounts `GET /healthz`, `GET /readyz`, `GET /metrics`. Needs `web::Data<HealthState>` in
/// the app:
///
/// ```text
/// App::new()
///     .app_data(web::Data::new(HealthState::new(metrics, readiness)))
///     .configure(ops::health_routes)
/// ```
pub fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(report_health))
        .route("/readyz", web::get().to(report_readiness))
        .route("/metrics", web::get().to(render_metrics));
}

/// Liveness: answering at all is the signal.
async fn report_health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn report_readiness(state: web::Data<HealthState>) -> HttpResponse {
    let verdict = match &state.shutdown {
        Some(token) if token.is_cancelled() => Err("shutting down".to_owned()),
        _ => state.readiness.check().await,
    };
    match verdict {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(reason) => {
            tracing::debug!(%reason, "not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": reason }))
        }
    }
}

async fn render_metrics(state: web::Data<HealthState>) -> HttpResponse {
    state.metrics.collect().await;
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .body(state.metrics.render())
}
