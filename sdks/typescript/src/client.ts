// The AgenFleet client: the generated `AgenFleetApi` methods over a generated fetch client that
// this file configures (Bearer key, retrying fetch, typed errors, strict response validation).
import { createClient, createConfig, type Client } from './generated/client/index.js';
import { AgenFleetApi } from './generated/sdk.gen.js';
import type { ActivityEntry } from './generated/types.gen.js';
import { ApiError, ResponseValidationError } from './errors.js';
import { paginate, type PageFetcher, type PaginateOptions } from './pagination.js';
import { createRetryingFetch, type RetryOptions } from './retry.js';
import { streamActivity, type ActivityStreamOptions } from './stream.js';

export interface AgenFleetOptions extends Omit<RetryOptions, 'fetch'> {
  /** An API key, `afk_…` (sent as `Authorization: Bearer`). */
  apiKey: string;
  /** Origin of the API, e.g. `https://api.example.com` (a trailing `/v1` is accepted too). */
  baseUrl: string;
  /** A fetch implementation (default `globalThis.fetch`); wrapped by the retry layer. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * Check every request and every 2xx answer against the document's zod schemas (default true).
   * `false` skips both, and zod is then never loaded (it is imported on the first validation):
   * for an app that trusts the server it talks to and counts its bytes, such as a web console
   * served by that server.
   */
  validate?: boolean;
}

/**
 * The AgenFleet API client. Every operation of the OpenAPI document is a method (generated in
 * `AgenFleetApi`): `createAgent({ body })`, `getAgent({ path: { id } })`, … Each resolves to
 * `{ data, request, response }` with `data` validated by the generated zod schema, and rejects with
 * an {@link ApiError} for a non-2xx answer or a {@link ResponseValidationError} when the answer
 * does not match the document.
 */
export class AgenFleet extends AgenFleetApi {
  /** The configured generated fetch client (for `client.get({ url })` and the like). */
  readonly http: Client;
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #validate: boolean;

  constructor(options: AgenFleetOptions) {
    if (!options?.apiKey) throw new TypeError('AgenFleet: apiKey is required');
    if (!options.baseUrl) throw new TypeError('AgenFleet: baseUrl is required');
    const baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    const { apiKey, headers, fetch: innerFetch, validate = true, ...retry } = options;
    const retryingFetch = createRetryingFetch({
      ...retry,
      ...(innerFetch ? { fetch: innerFetch } : {}),
    });
    const http = createClient(
      createConfig({
        baseUrl,
        auth: apiKey,
        fetch: retryingFetch,
        throwOnError: true,
        // Also as a default header, so that raw calls through `http` are authenticated too.
        headers: { ...headers, Authorization: `Bearer ${apiKey}` },
      }),
    );
    installInterceptors(http);
    super({ client: validate ? http : withoutValidation(http) });
    this.http = http;
    this.baseUrl = baseUrl;
    this.#fetch = retryingFetch;
    this.#headers = { ...headers, Authorization: `Bearer ${apiKey}` };
    this.#validate = validate;
  }

  /**
   * Every item of a list operation, page after page (limit/offset until `hasMore` is false):
   * `for await (const agent of client.paginate((page) => client.listAgents({ query: page })))`.
   */
  paginate<T>(
    fetchPage: PageFetcher<T>,
    options?: PaginateOptions,
  ): AsyncGenerator<T, void, undefined> {
    return paginate(fetchPage, options);
  }

  /**
   * The live activity stream (`GET /v1/activity/stream`, Server-Sent Events) as an async iterator
   * of validated entries; reconnects with `Last-Event-ID` after a dropped connection. Stop it with
   * `break` or the `signal`.
   */
  activityStream(
    options: ActivityStreamOptions = {},
  ): AsyncGenerator<ActivityEntry, void, undefined> {
    return streamActivity(
      { baseUrl: this.baseUrl, fetch: this.#fetch, headers: this.#headers, validate: this.#validate },
      options,
    );
  }
}

const METHODS = ['connect', 'delete', 'get', 'head', 'options', 'patch', 'post', 'put', 'trace'] as const;

/** `http` whose calls drop the validators the generated operations pass (`validate: false`). */
function withoutValidation(http: Client): Client {
  const strip =
    <Options extends object, Result>(call: (options: Options) => Result) =>
    (options: Options): Result =>
      call({ ...options, requestValidator: undefined, responseValidator: undefined });
  const methods = (target: Pick<Client, (typeof METHODS)[number]> | Client['sse']) =>
    Object.fromEntries(METHODS.map((method) => [method, strip(target[method] as never)]));
  return {
    ...http,
    ...methods(http),
    request: strip(http.request),
    sse: methods(http.sse),
  } as Client;
}

/**
 * Turns non-2xx answers into {@link ApiError} and checks every 2xx answer of an operation that
 * has a response schema against it, whatever its Content-Type or length, so that no answer is
 * returned unvalidated (the generated client alone validates only JSON bodies).
 */
function installInterceptors(http: Client): void {
  http.interceptors.response.use(async (response, request, opts) => {
    const validator = opts.responseValidator;
    if (!response.ok || !validator) return response;
    const contentType = response.headers.get('Content-Type');
    const text = await response.clone().text();
    let body: unknown;
    const fail = (cause: unknown, reason?: string): never => {
      throw new ResponseValidationError({
        method: request.method,
        url: request.url,
        status: response.status,
        body: body ?? text,
        cause,
        ...(reason ? { reason } : {}),
      });
    };
    if (text === '') {
      body = undefined;
    } else if (contentType && /^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
      try {
        body = JSON.parse(text);
      } catch (error) {
        fail(error, 'the body is not valid JSON');
      }
    } else if (contentType && /^text\//i.test(contentType)) {
      body = text;
    } else {
      fail(undefined, `unexpected Content-Type ${contentType ?? '(none)'} with a body`);
    }
    try {
      await validator(body);
    } catch (error) {
      fail(error);
    }
    // Validated: the generated client, which would validate a JSON body again, need not (zod
    // without eval, as under a browser's strict CSP, costs ~0.5 ms per agent of a list).
    opts.responseValidator = undefined;
    return response;
  });
  http.interceptors.error.use((error, response) =>
    response ? ApiError.fromResponse(response, error) : error,
  );
}
