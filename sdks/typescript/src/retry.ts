// The fetch wrapper of the SDK: an Idempotency-Key on every write, retries of 429/503/504 and of
// network errors honouring Retry-After, with the same key on every attempt. Fetch only, so it
// runs in Node 20 and in browsers.
import { parseRetryAfter } from './errors.js';

export interface RetryOptions {
  /** The underlying fetch (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Retries after the first attempt (default 2; 0 disables retries). */
  maxRetries?: number;
  /** First backoff step in ms when the answer has no Retry-After (default 500). */
  initialDelayMs?: number;
  /** Cap of a computed backoff in ms (default 8,000). */
  maxDelayMs?: number;
  /**
   * Largest `Retry-After` (in seconds) worth waiting for (default 60). A longer one (a token
   * budget that resets at midnight) is not retried: the answer is handed back as it is.
   */
  maxRetryAfterSeconds?: number;
  /** Makes a fresh idempotency key (default `crypto.randomUUID()`). */
  idempotencyKey?: () => string;
  /** Waits; replaceable in tests (default: a timer, aborted with the request's signal). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Statuses retried: rate limited, unavailable, command timeout (its retry returns the outcome). */
export const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function createRetryingFetch(options: RetryOptions = {}): typeof fetch {
  const maxRetries = Math.max(0, options.maxRetries ?? 2);
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
  const newKey = options.idempotencyKey ?? (() => crypto.randomUUID());
  const sleep = options.sleep ?? defaultSleep;

  const retryingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const innerFetch = options.fetch ?? globalThis.fetch;
    let request = new Request(input, init);
    if (
      WRITE_METHODS.has(request.method.toUpperCase()) &&
      !request.headers.has('Idempotency-Key')
    ) {
      const headers = new Headers(request.headers);
      headers.set('Idempotency-Key', newKey());
      request = new Request(request, { headers });
    }

    for (let attempt = 0; ; attempt++) {
      const last = attempt >= maxRetries;
      // A body can be read once: every attempt but the last sends a clone.
      const attemptRequest = last ? request : request.clone();
      let response: Response;
      try {
        response = await innerFetch(attemptRequest);
      } catch (error) {
        if (last || request.signal.aborted || isAbort(error)) throw error;
        await sleep(backoff(attempt, initialDelayMs, maxDelayMs), request.signal);
        continue;
      }
      if (last || !RETRIED_STATUSES.has(response.status)) return response;

      const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
      if (retryAfter !== undefined && retryAfter > maxRetryAfterSeconds) return response;
      const delay =
        retryAfter !== undefined ? retryAfter * 1000 : backoff(attempt, initialDelayMs, maxDelayMs);
      await response.body?.cancel().catch(() => undefined);
      await sleep(delay, request.signal);
    }
  };
  return retryingFetch as typeof fetch;
}

/** Exponential backoff with full jitter, capped. */
function backoff(attempt: number, initialDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
