// @agenfleet/sdk — the official TypeScript SDK of the AgenFleet API (v1).
// Types, zod schemas and operation methods are generated from the OpenAPI document into
// ./generated (never edited by hand); this package adds a thin layer where the generator cannot.
export { AgenFleet, type AgenFleetOptions } from './client.js';
export {
  ApiError,
  ResponseValidationError,
  parseRetryAfter,
  type ApiErrorDetail,
} from './errors.js';
export { paginate, type Page, type PageFetcher, type PaginateOptions } from './pagination.js';
export { createRetryingFetch, RETRIED_STATUSES, type RetryOptions } from './retry.js';
export {
  streamActivity,
  parseServerSentEvents,
  type ActivityStreamOptions,
  type ServerSentEvent,
  type StreamTransport,
} from './stream.js';
export {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks.js';

// Generated: the AgenFleetApi class (one method per operation), every type, every zod schema.
export * from './generated/index.js';
export * as schemas from './generated/zod.gen.js';
export { createClient, createConfig, type Client, type Config } from './generated/client/index.js';
