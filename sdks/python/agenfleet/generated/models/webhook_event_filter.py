from enum import StrEnum


class WebhookEventFilter(StrEnum):
    AGENT_BUDGET_ALERT = "agent.budget_alert"
    AGENT_BUDGET_EXHAUSTED = "agent.budget_exhausted"
    AGENT_CREATED = "agent.created"
    AGENT_DELETED = "agent.deleted"
    AGENT_STATUS_CHANGED = "agent.status_changed"
    AGENT_UPDATED = "agent.updated"
    CRON_COMPLETED = "cron.completed"
    CRON_DELIVERED = "cron.delivered"
    CRON_FAILED = "cron.failed"
    MESSAGE_CREATED = "message.created"
    SESSION_ARCHIVED = "session.archived"
    SESSION_CREATED = "session.created"
    VALUE_0 = "*"
    WEBHOOK_TEST = "webhook.test"

    def __str__(self) -> str:
        return str(self.value)
