// Typed errors of the SDK. Hand-written: the generator has no notion of them.
import type { ErrorBody } from './generated/types.gen.js';

/** One entry of an error's `details`, as the document describes it. */
export type ApiErrorDetail = NonNullable<ErrorBody['error']['details']>[number];

/**
 * A non-2xx answer of the API, parsed from the contract's error body
 * `{"error":{"code","message","statusCode","requestId","details"?}}`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** Machine-readable code, e.g. `AGENT_NOT_FOUND` (`UNKNOWN` when the body was not an error body). */
  readonly code: string;
  /** Per-field problems (only for `VALIDATION_ERROR`), or `details` of a `COMMAND_TIMEOUT`. */
  readonly details: ApiErrorDetail[] | undefined;
  /** `X-Request-Id` of the answer (or the body's `requestId`), to quote to support. */
  readonly requestId: string | undefined;
  /** `Retry-After` in seconds, when the answer carried one (429, 503). */
  readonly retryAfter: number | undefined;
  /** The parsed body (or its text when it was not JSON). */
  readonly body: unknown;
  /** Headers of the answer. */
  readonly headers: Headers;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: ApiErrorDetail[];
    requestId?: string;
    retryAfter?: number;
    body: unknown;
    headers: Headers;
  }) {
    super(`${init.status} ${init.code}: ${init.message}`);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.body = init.body;
    this.headers = init.headers;
  }

  /** Builds the error from an answer and its body (already parsed as JSON where possible). */
  static fromResponse(response: Response, body: unknown): ApiError {
    const error = isErrorBody(body) ? body.error : undefined;
    const requestId = response.headers.get('X-Request-Id') ?? error?.requestId ?? undefined;
    return new ApiError({
      status: response.status,
      code: error?.code ?? 'UNKNOWN',
      message:
        error?.message ??
        (typeof body === 'string' && body ? body.slice(0, 500) : response.statusText || 'error'),
      details: Array.isArray(error?.details) ? error.details : undefined,
      requestId: requestId ?? undefined,
      retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
      body,
      headers: response.headers,
    });
  }
}

/**
 * A 2xx answer whose body does not match the generated zod schema of the operation: the server
 * and the OpenAPI document disagree. Never swallowed: the SDK does not return unvalidated data.
 */
export class ResponseValidationError extends Error {
  override readonly name = 'ResponseValidationError';
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** The body as received. */
  readonly body: unknown;
  /** The validator's error (a `ZodError` for JSON bodies). */
  override readonly cause: unknown;

  constructor(init: {
    method: string;
    url: string;
    status: number;
    body: unknown;
    cause: unknown;
    reason?: string;
  }) {
    const reason = init.reason ?? describeCause(init.cause);
    super(
      `${init.method} ${init.url} → ${init.status}: the answer does not match the OpenAPI document: ${reason}`,
    );
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.body = init.body;
    this.cause = init.cause;
  }
}

function describeCause(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray(cause.issues)) {
    return cause.issues
      .map((issue: { path?: PropertyKey[]; message?: string }) => {
        const path = (issue.path ?? []).map(String).join('.');
        return `${path || '(root)'}: ${issue.message ?? '?'}`;
      })
      .join('; ');
  }
  return cause instanceof Error ? cause.message : String(cause);
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (!body || typeof body !== 'object' || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    !!error &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; `undefined` when absent or invalid. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
