// The event types an endpoint can subscribe to (contract section 9), or `*` for all of them.
import type { WebhookEventFilter } from '@agenfleet/sdk';

type EventType = Exclude<WebhookEventFilter, '*'>;

// Checked against the SDK's generated type: a type the document adds or drops fails to compile
// (a key missing, or one too many). Not read from the SDK's zod schema, which the console never
// loads (it runs without validation).
const EVENTS = {
  'agent.created': true,
  'agent.updated': true,
  'agent.deleted': true,
  'agent.status_changed': true,
  'agent.budget_alert': true,
  'agent.budget_exhausted': true,
  'session.created': true,
  'session.archived': true,
  'message.created': true,
  'cron.completed': true,
  'cron.delivered': true,
  'cron.failed': true,
  'webhook.test': true,
} as const satisfies Record<EventType, true>;

/** Every event type of the OpenAPI document, in its order, without `*`. */
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

export function describeEvents(events: string[]): string {
  return events.includes('*') ? 'All events' : events.join(', ');
}
