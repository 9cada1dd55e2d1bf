// The event types an endpoint can subscribe to (contract section 9), or `*` for all of them.
import { schemas, type WebhookEventFilter } from '@agenfleet/sdk';

/** Every event type of the OpenAPI document (the SDK's enum), without `*`. */
export const EVENT_TYPES = schemas.zWebhookEventFilter.options.filter(
  (type): type is Exclude<WebhookEventFilter, '*'> => type !== '*',
);

export function describeEvents(events: string[]): string {
  return events.includes('*') ? 'All events' : events.join(', ');
}
