// Verification of webhook deliveries (Standard Webhooks scheme), delegated to `standardwebhooks`.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

/** Headers as a fetch `Headers`, or a plain record such as Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** The body of a delivery: `{id, event, timestamp, data}`. */
export interface WebhookEvent<TData = unknown> {
  /** The event id, `evt_…` (also the `webhook-id` header: deduplicate on it). */
  id: string;
  /** The event type, e.g. `agent.created`, `webhook.test`. */
  event: string;
  /** RFC 3339 time of the event. */
  timestamp: string;
  /** The resource after the change (plus `from`/`to`, `period`/`used`/`budget` for some events). */
  data: TData;
}

/**
 * Verifies a webhook delivery (its `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * headers against the raw body, rejecting timestamps more than 5 minutes away) and returns the
 * parsed payload. Throws {@link WebhookVerificationError} when the signature does not match.
 *
 * Pass the body exactly as received (string or bytes), before any JSON parsing.
 */
export function verifyWebhook<TData = unknown>(
  secret: string,
  body: string | Uint8Array,
  headers: WebhookHeaders,
): WebhookEvent<TData> {
  const flat: Record<string, string> = {};
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    headers.forEach((value, key) => {
      flat[key.toLowerCase()] = value;
    });
  } else {
    for (const [key, value] of Object.entries(
      headers as Record<string, string | string[] | undefined>,
    )) {
      if (value === undefined) continue;
      flat[key.toLowerCase()] = Array.isArray(value) ? value.join(' ') : value;
    }
  }
  const payload = new Webhook(secret).verify(body, flat);
  if (!payload || typeof payload !== 'object') {
    throw new WebhookVerificationError('The payload is not a JSON object');
  }
  return payload as WebhookEvent<TData>;
}
