//! The webhook endpoints and cron jobs a batch changes (kept current in the overlay), and the
//! deliveries it queues for the dispatcher: one per subscribed endpoint, one per user message
//! to an agent's gateway, one per completed cron run whose job delivers its output.

use chrono::{DateTime, Utc};
use schema::event::{Event, EventKind};
use schema::{webhook, AgentId, CommandRecord, CronJobId, CronRunId, DeliveryId, EventId};
use schema::{TenantId, WebhookId};

use super::unit_of_work::UnitOfWork;

/// A delivery for the dispatcher's queue (`dispatch.deliveries`).
pub(crate) struct NewDelivery {
    pub id: DeliveryId,
    pub tenant_id: TenantId,
    /// One of: the endpoint, the agent (gateway), the cron job and run (output).
    pub webhook_id: Option<WebhookId>,
    pub agent_id: Option<AgentId>,
    pub cron: Option<(CronJobId, CronRunId)>,
    pub event_id: EventId,
    pub event_type: &'static str,
    pub created_at: DateTime<Utc>,
}

impl UnitOfWork {
    pub(super) fn webhook(&self, tenant: TenantId, id: WebhookId) -> Option<&domain::WebhookState> {
        self.overlay
            .webhooks
            .get(&tenant)?
            .iter()
            .find(|w| w.webhook.id == id)
    }

    /// A new state of an endpoint the batch knows, with its secret rotated if `new_secret`.
    pub(super) fn change_webhook(
        &mut self,
        tenant: TenantId,
        webhook: &webhook::WebhookSnapshot,
        new_secret: Option<&String>,
        at: DateTime<Utc>,
    ) {
        let Some(current) = self.webhook(tenant, webhook.id) else {
            return;
        };
        let secrets = match new_secret {
            Some(sealed) => current.secrets.rotated(sealed.clone(), at),
            None => current.secrets.clone(),
        };
        self.put_webhook(
            tenant,
            domain::WebhookState {
                webhook: webhook.clone(),
                secrets,
            },
        );
    }

    /// The sealed delivery secret of a job the batch knows.
    pub(super) fn cron_secret(&self, tenant: TenantId, id: CronJobId) -> Option<String> {
        self.overlay
            .cron_jobs
            .get(&(tenant, id))?
            .as_ref()?
            .delivery_secret
            .clone()
    }

    /// A job's new state; a delivery secret is kept only while the job delivers to a webhook.
    pub(super) fn put_cron_job(
        &mut self,
        tenant: TenantId,
        job: &schema::cron::CronJobSnapshot,
        secret: Option<String>,
    ) {
        let delivery_secret =
            secret.filter(|_| matches!(job.delivery, schema::cron::CronDelivery::Webhook { .. }));
        self.overlay.cron_jobs.insert(
            (tenant, job.id),
            Some(domain::CronJobState {
                job: job.clone(),
                delivery_secret,
            }),
        );
        self.changes.cron_jobs.insert((tenant, job.id));
    }

    pub(super) fn put_webhook(&mut self, tenant: TenantId, state: domain::WebhookState) {
        let id = state.webhook.id;
        let list = self.overlay.webhooks.entry(tenant).or_default();
        match list.iter_mut().find(|w| w.webhook.id == id) {
            Some(current) => *current = state,
            None => list.push(state),
        }
        self.changes.webhooks.insert((tenant, id));
    }

    /// Queues one delivery per enabled endpoint subscribed to the event (a test goes to its
    /// endpoint only), and one to the agent's gateway for a user message.
    pub(super) fn queue_deliveries(&mut self, record: &CommandRecord, event: &Event) {
        let tenant = record.tenant_id;
        let event_type = event.kind.event_type();
        let gateway = match &event.kind {
            EventKind::MessageCreated { message }
                if message.role == schema::session::MessageRole::User =>
            {
                self.overlay
                    .agents
                    .get(&(tenant, message.agent_id))
                    .and_then(Option::as_ref)
                    .filter(|agent| agent.config.gateway.is_some())
                    .map(|agent| agent.id)
            }
            _ => None,
        };
        let webhooks: Vec<WebhookId> = match &event.kind {
            EventKind::WebhookTest { webhook_id } => vec![*webhook_id],
            _ if webhook::EVENT_TYPES.contains(&event_type) => self
                .overlay
                .webhooks
                .get(&tenant)
                .map(|list| {
                    list.iter()
                        .filter(|w| w.webhook.enabled && w.webhook.subscribes_to(event_type))
                        .map(|w| w.webhook.id)
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        // A completed run's output goes to its job's delivery target.
        let cron = match &event.kind {
            EventKind::CronCompleted { run }
                if run.delivery_status == schema::cron::RunDeliveryStatus::Pending =>
            {
                Some((run.cron_job_id, run.id))
            }
            _ => None,
        };
        let targets = webhooks
            .into_iter()
            .map(|id| (Some(id), None, None))
            .chain(gateway.map(|agent| (None, Some(agent), None)))
            .chain(cron.map(|cron| (None, None, Some(cron))));
        for (index, (webhook_id, agent_id, cron)) in targets.enumerate() {
            self.changes.deliveries.push(NewDelivery {
                id: DeliveryId::for_event(event.id, index as u32),
                tenant_id: tenant,
                webhook_id,
                agent_id,
                cron,
                event_id: event.id,
                event_type,
                created_at: record.issued_at,
            });
        }
    }
}
