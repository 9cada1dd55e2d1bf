// What an error means to the person looking at the console: never swallowed, always said in
// words, with the request id to quote.
import { ApiError, ResponseValidationError } from '@agenfleet/sdk';

export interface Explained {
  title: string;
  detail: string;
  requestId?: string;
  fields?: { field: string; message: string }[];
}

export function explain(error: unknown): Explained {
  if (error instanceof ApiError) {
    const base = { requestId: error.requestId, detail: error.message.replace(/^\d+ \w+: /, '') };
    switch (error.status) {
      case 400:
        return {
          ...base,
          title: 'Please check the form',
          fields: (error.details ?? []).flatMap((d) =>
            typeof d === 'object' && d && 'field' in d && 'message' in d
              ? [{ field: String(d.field), message: String(d.message) }]
              : [],
          ),
        };
      case 401:
        return { ...base, title: 'Your key was refused' };
      case 403:
        return {
          ...base,
          title: 'Not allowed with a read key',
          detail: 'This key can only read. Sign in with a read-write key to make changes.',
        };
      case 404:
        return { ...base, title: 'Not found' };
      case 409:
        return { ...base, title: 'Conflict' };
      case 429:
        return {
          ...base,
          title: error.code === 'BUDGET_EXHAUSTED' ? 'Token budget exhausted' : 'Rate limit reached',
          detail:
            error.code === 'BUDGET_EXHAUSTED'
              ? base.detail
              : `Your plan's request limit is reached${
                  error.retryAfter !== undefined ? `; try again in ${error.retryAfter} s` : ''
                }.`,
        };
      case 503:
      case 504:
        return { ...base, title: 'The service is busy or unavailable; try again shortly' };
      default:
        return { ...base, title: `Error ${error.status}` };
    }
  }
  if (error instanceof ResponseValidationError) {
    return { title: 'Unexpected answer from the API', detail: error.message };
  }
  if (error instanceof TypeError) {
    return { title: 'Cannot reach the API', detail: error.message };
  }
  return { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error) };
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** The API's 400 message about `field` (or a field inside it, like `delivery.url`), if any. */
export function fieldMessage(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  return explain(error)
    .fields?.filter((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))
    .map((f) => f.message)
    .join('; ') || undefined;
}
