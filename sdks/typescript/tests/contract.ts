// Test helper: a fetch that records every exchange with the live server and checks each answer
// against the OpenAPI document the server serves (documented status, content type and headers;
// error bodies against the generated `ErrorBody` schema). Disagreements are collected as
// findings, printed, and fail the scenario's last test.
import { zErrorBody } from '../src/generated/zod.gen.js';

export interface Finding {
  /** `error`: the answer contradicts the document (fails the run); `note`: the document is incomplete. */
  severity: 'error' | 'note';
  operation: string;
  request: string;
  status: number;
  problem: string;
  payload?: unknown;
}

interface DocResponse {
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
  $ref?: string;
}
interface DocOperation {
  operationId?: string;
  responses?: Record<string, DocResponse>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, DocOperation>>;
  components?: { responses?: Record<string, DocResponse> };
}

export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Headers;
  requestBody: string | undefined;
  status: number;
  responseHeaders: Headers;
  responseBody: string | undefined;
}

export class ContractRecorder {
  readonly findings: Finding[] = [];
  readonly exchanges: Exchange[] = [];
  readonly #doc: OpenApiDoc;
  readonly #routes: { regex: RegExp; template: string; params: number }[];

  constructor(doc: OpenApiDoc) {
    this.#doc = doc;
    this.#routes = Object.keys(doc.paths)
      .map((template) => ({
        template,
        params: (template.match(/\{/g) ?? []).length,
        regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => a.params - b.params);
  }

  static async load(origin: string): Promise<ContractRecorder> {
    const response = await fetch(`${origin}/v1/openapi.json`);
    if (!response.ok) throw new Error(`GET /v1/openapi.json: ${response.status}`);
    return new ContractRecorder((await response.json()) as OpenApiDoc);
  }

  add(finding: Omit<Finding, 'severity'> & { severity?: Finding['severity'] }): void {
    const full: Finding = { severity: 'error', ...finding };
    const same = (f: Finding) =>
      f.severity === full.severity &&
      f.operation === full.operation &&
      f.status === full.status &&
      f.problem === full.problem;
    if (!this.findings.some(same)) this.findings.push(full);
  }

  get errors(): Finding[] {
    return this.findings.filter((f) => f.severity === 'error');
  }

  get notes(): Finding[] {
    return this.findings.filter((f) => f.severity === 'note');
  }

  operationOf(method: string, url: string): { template: string; op: DocOperation } | undefined {
    const path = new URL(url).pathname;
    for (const route of this.#routes) {
      if (!route.regex.test(path)) continue;
      const op = this.#doc.paths[route.template]?.[method.toLowerCase()];
      if (op) return { template: route.template, op };
    }
    return undefined;
  }

  /** The recording, checking fetch to hand to `new AgenFleet({ fetch })`. */
  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const requestBody = request.body ? await request.clone().text() : undefined;
    const response = await fetch(request);
    const isStream = (response.headers.get('Content-Type') ?? '').startsWith('text/event-stream');
    const responseBody = isStream ? undefined : await response.clone().text();
    const exchange: Exchange = {
      method: request.method,
      url: request.url,
      requestHeaders: request.headers,
      requestBody,
      status: response.status,
      responseHeaders: response.headers,
      responseBody,
    };
    this.exchanges.push(exchange);
    this.check(exchange);
    return response;
  }) as typeof fetch;

  check(x: Exchange): void {
    const path = new URL(x.url).pathname + new URL(x.url).search;
    const found = this.operationOf(x.method, x.url);
    const base = { request: `${x.method} ${path}`, status: x.status };
    if (!found) {
      this.add({
        ...base,
        operation: '?',
        problem: 'no operation of the document matches this request',
      });
      return;
    }
    const operation = found.op.operationId ?? `${x.method} ${found.template}`;
    let documented = found.op.responses?.[String(x.status)];
    if (!documented) {
      this.add({
        ...base,
        operation,
        problem: `status ${x.status} is not documented (documented: ${Object.keys(found.op.responses ?? {}).join(', ')})`,
        payload: parse(x.responseBody),
      });
      return;
    }
    if (documented.$ref) {
      const name = documented.$ref.split('/').pop() ?? '';
      documented = this.#doc.components?.responses?.[name] ?? {};
    }
    // Content type.
    const contentType = (x.responseHeaders.get('Content-Type') ?? '').split(';')[0]?.trim() ?? '';
    const documentedTypes = Object.keys(documented.content ?? {});
    if (
      x.status !== 204 &&
      x.responseBody !== '' &&
      documentedTypes.length &&
      !documentedTypes.includes(contentType)
    ) {
      this.add({
        ...base,
        operation,
        problem: `Content-Type ${contentType || '(none)'} is not among the documented ${documentedTypes.join(', ')}`,
      });
    }
    if (documentedTypes.length === 0 && x.responseBody) {
      this.add({
        ...base,
        operation,
        problem: 'a body is sent where the document describes none',
        payload: parse(x.responseBody),
      });
    }
    // Documented headers: a missing one contradicts the document only when marked required.
    const documentedHeaders = (documented.headers ?? {}) as Record<string, { required?: boolean }>;
    for (const [header, spec] of Object.entries(documentedHeaders)) {
      if (!x.responseHeaders.has(header)) {
        const severity = spec.required ? 'error' : 'note';
        this.add({
          ...base,
          severity,
          operation,
          problem: `documented response header ${header} is absent`,
        });
      }
    }
    const documentedLower = new Set(Object.keys(documentedHeaders).map((h) => h.toLowerCase()));
    for (const header of API_HEADERS) {
      if (x.responseHeaders.has(header) && !documentedLower.has(header.toLowerCase())) {
        this.add({
          ...base,
          severity: 'note',
          operation,
          problem: `response header ${header} is sent but not documented`,
          payload: `${header}: ${x.responseHeaders.get(header)}`,
        });
      }
    }
    if (x.responseHeaders.get('API-Version') !== '1.2') {
      this.add({
        ...base,
        operation,
        problem: `API-Version is ${x.responseHeaders.get('API-Version')}, not 1.2`,
      });
    }
    const requestId = x.responseHeaders.get('X-Request-Id');
    if (!requestId) this.add({ ...base, operation, problem: 'no X-Request-Id' });
    // Error bodies.
    if (x.status >= 400) {
      const body = parse(x.responseBody);
      const parsed = zErrorBody.safeParse(body);
      if (!parsed.success) {
        this.add({
          ...base,
          operation,
          problem: `error body does not match ErrorBody: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          payload: body,
        });
      } else {
        if (parsed.data.error.statusCode !== x.status) {
          this.add({
            ...base,
            operation,
            problem: `error.statusCode ${parsed.data.error.statusCode} differs from the status`,
            payload: body,
          });
        }
        if (requestId && parsed.data.error.requestId !== requestId) {
          this.add({
            ...base,
            operation,
            problem: `error.requestId ${parsed.data.error.requestId} differs from X-Request-Id ${requestId}`,
            payload: body,
          });
        }
      }
      if ((x.status === 429 || x.status === 503) && !x.responseHeaders.has('Retry-After')) {
        this.add({ ...base, operation, problem: 'no Retry-After', payload: body });
      }
    }
  }

  report(findings: Finding[] = this.findings): string {
    return findings
      .map(
        (f) =>
          `- [${f.severity}] ${f.operation} (${f.request} → ${f.status}): ${f.problem}` +
          (f.payload === undefined ? '' : `\n    payload: ${truncate(JSON.stringify(f.payload))}`),
      )
      .join('\n');
  }
}

/** Headers of the contract that a document should describe where they are sent. */
const API_HEADERS = ['Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate', 'Location'];

function parse(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function truncate(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
