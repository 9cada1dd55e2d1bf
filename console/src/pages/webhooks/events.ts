// The event types an endpoint can subscribe to (contract section 9), or `*` for all of them.
import type { WebhookEventFilter } from '@agenfleet/sdk';

export const EVENT_TYPES: Exclude<WebhookEventFilter, '*'>[] = [
  'agent.created',
  'agent.updated',
  'agent.deleted',
  'agent.status_changed',
  'agent.budget_alert',
  'agent.budget_exhausted',
  'session.created',
  'session.archived',
  'message.created',
  'cron.completed',
  'cron.delivered',
  'cron.failed',
  'webhook.test',
];

export function describeEvents(events: string[]): string {
  return events.includes('*') ? 'All events' : events.join(', ');
}
