// The activity stream, `GET /v1/activity/stream`: Server-Sent Events read with fetch and a small
// parser (works in Node 20 and browsers), each `data:` validated by the generated zod schema of
// an activity entry (unless the client was made with `validate: false`), resumed with
// `Last-Event-ID` after a dropped connection.
import type { ActivityEntry } from './generated/types.gen.js';
import { ApiError, ResponseValidationError } from './errors.js';
import { loadSchemas } from './schemas.js';

export interface ActivityStreamOptions {
  /** Start after this sequence (the `after` query parameter). */
  after?: number;
  /** Resume after this event id (a sequence), sent as `Last-Event-ID`. */
  lastEventId?: string | number;
  /** Stops the stream. */
  signal?: AbortSignal;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** Consecutive failed reconnections before giving up (default 5). */
  maxReconnectAttempts?: number;
}

export interface StreamTransport {
  baseUrl: string;
  fetch: typeof fetch;
  headers: Record<string, string>;
  /** Check each entry against the document's schema (default true). */
  validate?: boolean;
}

/** One Server-Sent Event. */
export interface ServerSentEvent {
  /** The `id:` field of this event (undefined when the event set none). */
  id: string | undefined;
  event: string;
  data: string;
  retry: number | undefined;
}

export async function* streamActivity(
  transport: StreamTransport,
  options: ActivityStreamOptions = {},
): AsyncGenerator<ActivityEntry, void, undefined> {
  let lastEventId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  let retryMs = 1000;
  let failures = 0;
  const maxFailures = options.maxReconnectAttempts ?? 5;
  const url = new URL(`${transport.baseUrl}/v1/activity/stream`);
  if (options.after !== undefined) url.searchParams.set('after', String(options.after));

  while (!options.signal?.aborted) {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const headers: Record<string, string> = {
        ...transport.headers,
        Accept: 'text/event-stream',
      };
      if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
      let response: Response;
      try {
        response = await transport.fetch(url, { headers, signal: controller.signal });
      } catch (error) {
        if (options.signal?.aborted || options.reconnect === false || ++failures > maxFailures)
          throw error;
        await delay(retryMs, options.signal);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        throw ApiError.fromResponse(response, body);
      }
      const contentType = response.headers.get('Content-Type') ?? '';
      if (!/^text\/event-stream\b/i.test(contentType) || !response.body) {
        await response.body?.cancel();
        throw new ResponseValidationError({
          method: 'GET',
          url: url.toString(),
          status: response.status,
          body: undefined,
          cause: undefined,
          reason: `expected text/event-stream, got ${contentType || '(none)'}`,
        });
      }
      failures = 0;
      try {
        for await (const event of parseServerSentEvents(response.body)) {
          if (event.retry !== undefined) retryMs = event.retry;
          if (event.id !== undefined) lastEventId = event.id;
          if (event.data === '') continue;
          yield await parseEntry(event, url.toString(), response.status, transport.validate ?? true);
        }
      } catch (error) {
        if (error instanceof ResponseValidationError) throw error;
        if (options.signal?.aborted || options.reconnect === false || ++failures > maxFailures)
          throw error;
      }
      if (options.reconnect === false) return;
      await delay(retryMs, options.signal);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
}

async function parseEntry(
  event: ServerSentEvent,
  url: string,
  status: number,
  validate: boolean,
): Promise<ActivityEntry> {
  let json: unknown;
  try {
    json = JSON.parse(event.data);
  } catch (cause) {
    throw new ResponseValidationError({
      method: 'GET',
      url,
      status,
      body: event.data,
      cause,
      reason: 'an event data is not JSON',
    });
  }
  let entry = json as ActivityEntry;
  if (validate) {
    const parsed = (await loadSchemas()).zActivityEntry.safeParse(json);
    if (!parsed.success) {
      throw new ResponseValidationError({
        method: 'GET',
        url,
        status,
        body: json,
        cause: parsed.error,
      });
    }
    entry = parsed.data as ActivityEntry;
  }
  // The document: `id:` is the entry's sequence, `event:` its type.
  if (event.id !== undefined && event.id !== String(entry.sequence)) {
    throw new ResponseValidationError({
      method: 'GET',
      url,
      status,
      body: { id: event.id, data: json },
      cause: undefined,
      reason: `event id ${event.id} is not the entry's sequence ${entry.sequence}`,
    });
  }
  if (event.event !== 'message' && event.event !== entry.type) {
    throw new ResponseValidationError({
      method: 'GET',
      url,
      status,
      body: { event: event.event, data: json },
      cause: undefined,
      reason: `event type ${event.event} is not the entry's type ${entry.type}`,
    });
  }
  return entry;
}

/** A minimal Server-Sent Events parser (the WHATWG event-stream format) over a byte stream. */
export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        // A lone `\r` at the end may be the first half of `\r\n`: wait for more.
        if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          if (data.length > 0 || id !== undefined) {
            yield { id, event: event || 'message', data: data.join('\n'), retry };
          }
          data = [];
          event = '';
          id = undefined;
          retry = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value2 = colon === -1 ? '' : line.slice(colon + 1);
        if (value2.startsWith(' ')) value2 = value2.slice(1);
        if (field === 'data') data.push(value2);
        else if (field === 'event') event = value2;
        else if (field === 'id' && !value2.includes('\0')) id = value2;
        else if (field === 'retry' && /^\d+$/.test(value2)) retry = Number(value2);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
