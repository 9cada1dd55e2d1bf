//! The whole system, spawned in the test process on port 0: a fresh database, the event log
//! (Postgres, or Kafka on a real broker), a projector task and one or more API servers.

use std::sync::Arc;
use std::time::Duration;

use api::ApiConfig;
use event_log::{ConsumerOptions, EventLog};
use projector::{Projection, Projector};
use read_store::{Store, READ_MODEL_SCHEMA};
use schema::tenant::Plan;
use schema::TenantId;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::postgres::TestDatabase;

/// The operator key of test apps (base64 of 32 bytes; a test value, not a secret).
pub const SECRET_KEY: &str = "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTMyYiE=";

/// Which event log the app runs on.
#[derive(Debug, Clone)]
pub enum LogKind {
    /// The `eventlog` schema of the test database.
    Postgres,
    /// A topic on a Kafka-protocol broker at this bootstrap address.
    Kafka { bootstrap: String },
}

/// A running test system. Dropping it stops everything it started.
pub struct TestApp {
    pub db: TestDatabase,
    pub log_url: String,
    pub log: Arc<dyn EventLog>,
    /// The first API's base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    pub tenant: TenantId,
    /// A read-write key of `tenant`.
    pub key: String,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    projector: Option<(CancellationToken, JoinHandle<anyhow::Result<()>>)>,
    _guard: tokio_util::sync::DropGuard,
}

impl TestApp {
    /// An app on the Postgres log.
    pub async fn spawn() -> Self {
        Self::spawn_on(LogKind::Postgres).await
    }

    pub async fn spawn_on(kind: LogKind) -> Self {
        Self::spawn_in(TestDatabase::create().await, kind).await
    }

    /// An app in `db` (on a server of the test's own, say).
    pub async fn spawn_in(db: TestDatabase, kind: LogKind) -> Self {
        let log_url = match &kind {
            LogKind::Postgres => format!(
                "{}{}partitions=4",
                db.url,
                if db.url.contains('?') { "&" } else { "?" }
            ),
            LogKind::Kafka { bootstrap } => format!(
                "kafka://{bootstrap}?topic=agenfleet.{}&partitions=4",
                db.name
            ),
        };
        agenfleet::migrate::run(&db.url, &log_url)
            .await
            .expect("migrate the test database");
        let log = event_log::connect_beside(&log_url, &db.url)
            .await
            .expect("connect the event log");
        let shutdown = CancellationToken::new();
        let mut app = Self {
            db,
            log_url,
            log,
            base: String::new(),
            tenant: TenantId::new(),
            key: String::new(),
            http: reqwest::Client::new(),
            shutdown: shutdown.clone(),
            projector: None,
            _guard: shutdown.clone().drop_guard(),
        };
        app.start_projector();
        app.base = app.start_api().await;
        let (tenant, key) = app.create_tenant(Plan::Enterprise).await;
        app.tenant = tenant;
        app.key = key;
        app
    }

    /// Starts (another) API server on the same database and log; returns its base URL.
    pub async fn start_api(&self) -> String {
        self.start_api_with_timeout(Duration::from_secs(10)).await
    }

    /// Like `start_api`, with another command timeout (to provoke 504).
    pub async fn start_api_with_timeout(&self, command_timeout: Duration) -> String {
        self.start_api_with(|config| config.command_timeout = command_timeout)
            .await
    }

    /// Like `start_api`, with the test configuration changed by `modify` first (for example
    /// `allow_private_targets = false` to exercise the SSRF guard).
    pub async fn start_api_with(&self, modify: impl FnOnce(&mut ApiConfig)) -> String {
        let mut config = ApiConfig {
            database_url: self.db.url.clone(),
            event_log_url: Some(self.log_url.clone()),
            listen: "127.0.0.1:0".to_owned(),
            command_timeout: Duration::from_secs(10),
            model_catalog: None,
            workers: Some(2),
            db_pool: 16,
            shutdown_timeout: Duration::from_secs(1),
            rate_limits: true,
            cors_origins: Vec::new(),
            secret_key: Some(SECRET_KEY.to_owned()),
            allow_private_targets: true,
        };
        modify(&mut config);
        let running = api::serve(config, self.log.clone(), self.shutdown.child_token())
            .await
            .expect("start the API");
        format!("http://{}", running.addr)
    }

    /// Starts the in-process projector (if it is not running).
    pub fn start_projector(&mut self) {
        if self.projector.is_some() {
            return;
        }
        let token = self.shutdown.child_token();
        let store = Store::connect(&self.db.url, READ_MODEL_SCHEMA, 4).expect("store");
        let projector = Projector::new(
            Projection::new(store),
            self.log.clone(),
            ConsumerOptions::default(),
        );
        let task = tokio::spawn(projector.run(token.clone()));
        self.projector = Some((token, task));
    }

    /// Stops the in-process projector gracefully and waits for it.
    pub async fn stop_projector(&mut self) {
        if let Some((token, task)) = self.projector.take() {
            token.cancel();
            task.await
                .expect("projector task")
                .expect("projector stopped cleanly");
        }
    }

    /// A new tenant with a read-write key, made through the log like `agenfleet admin`.
    pub async fn create_tenant(&self, plan: Plan) -> (TenantId, String) {
        self.create_tenant_with_limits(plan, None, None).await
    }

    /// A new tenant whose per-minute and per-hour limits override its plan's.
    pub async fn create_tenant_with_limits(
        &self,
        plan: Plan,
        per_minute: Option<u32>,
        per_hour: Option<u32>,
    ) -> (TenantId, String) {
        let submitter =
            agenfleet::submit::Submitter::new(&self.db.url, self.log.clone()).expect("submitter");
        let (tenant, key) =
            agenfleet::admin::create_tenant(&submitter, "test tenant", plan, per_minute, per_hour)
                .await
                .expect("create tenant");
        (tenant, key.api_key)
    }

    /// A new tenant (enterprise plan) whose records go to `partition` when `same`, or to another
    /// partition when not, with its read-write key: for tests of what one tenant's records do
    /// to its partition's neighbours and to the other partitions.
    pub async fn create_tenant_placed(&self, partition: u32, same: bool) -> (TenantId, String) {
        for _ in 0..256 {
            let (tenant, key) = self.create_tenant(Plan::Enterprise).await;
            if (self.log.partition_for(tenant) == partition) == same {
                return (tenant, key);
            }
        }
        panic!(
            "no tenant placed as asked on {} partitions",
            self.log.partitions()
        );
    }

    /// A key of another scope for `tenant`.
    pub async fn create_key(&self, tenant: TenantId, scope: schema::tenant::Scope) -> String {
        let submitter =
            agenfleet::submit::Submitter::new(&self.db.url, self.log.clone()).expect("submitter");
        let (record, key) = agenfleet::admin::key_command(tenant, "test key", scope);
        submitter.submit(&[record]).await.expect("create key");
        key.api_key
    }

    /// Sends a request to the first API with the tenant's key (and `body` as JSON, if any);
    /// returns the status and the JSON body (`null` when the body is empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.call_to(&self.base, &self.key, method, path, body)
            .await
    }

    /// Like [`TestApp::call`], to the API at `base` with `key`.
    pub async fn call_to(
        &self,
        base: &str,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let mut request = self.request_to(base, key, method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        let bytes = response.bytes().await.expect("a body");
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        (status, json)
    }

    /// Creates an agent from `body` (at least `{"name"}`) and returns its id.
    pub async fn create_agent(&self, body: serde_json::Value) -> String {
        let (status, agent) = self
            .call(reqwest::Method::POST, "/v1/agents", Some(body))
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{agent}");
        agent["id"].as_str().expect("an id").to_owned()
    }

    /// Opens a session with `agent` and returns its id.
    pub async fn open_session(&self, agent: &str) -> String {
        let (status, session) = self
            .call(
                reqwest::Method::POST,
                "/v1/sessions",
                Some(serde_json::json!({ "agentId": agent })),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{session}");
        session["id"].as_str().expect("an id").to_owned()
    }

    /// A request to the first API with the tenant's key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request_to(&self.base, &self.key, method, path)
    }

    pub fn request_to(
        &self,
        base: &str,
        key: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{base}{path}"))
            .bearer_auth(key)
    }

    /// A read-model client, for assertions on stored state.
    pub async fn sql(&self) -> tokio_postgres::Client {
        let mut config: tokio_postgres::Config = self.db.url.parse().expect("url");
        config.options(format!("-c search_path={READ_MODEL_SCHEMA}"));
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
