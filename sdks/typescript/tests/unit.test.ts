// Unit tests of the hand-written layer, with fake fetches (no server needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  AgenFleet,
  ApiError,
  ResponseValidationError,
  createRetryingFetch,
  paginate,
  parseServerSentEvents,
  verifyWebhook,
  WebhookVerificationError,
} from '../src/index.js';
import { loadSchemas } from '../src/schemas.js';

const agent = {
  id: 'agent_01jq8abcdefghjkmnpqrstvwxy',
  name: 'scout',
  role: null,
  description: null,
  status: 'provisioning',
  model: 'claude-haiku-3.5',
  config: {
    model: { default: 'claude-haiku-3.5', fallbacks: [] },
    tools: { allowed: [] },
    limits: { dailyTokenBudget: null, monthlyTokenBudget: null, alertThreshold: 0.8 },
    gateway: null,
  },
  soulSha256: null,
  createdAt: '2026-01-15T09:00:00Z',
  updatedAt: '2026-01-15T09:00:00Z',
  lastActiveAt: null,
  lastHeartbeatAt: null,
  tokensTodayInput: 0,
  tokensTodayOutput: 0,
  openSessionCount: 0,
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req_test', ...headers },
  });
}

function errorBody(status: number, code: string, message = 'nope') {
  return { error: { code, message, statusCode: status, requestId: 'req_test' } };
}

/** A fake fetch answering from a list, recording each request it got. */
function fakeFetch(answers: Array<Response | Error>) {
  const seen: { method: string; url: string; key: string | null; body: string }[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({
      method: request.method,
      url: request.url,
      key: request.headers.get('Idempotency-Key'),
      body: await request.text(),
    });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { fn, seen };
}

test('retry: 429 then 201 resends the same request with the same Idempotency-Key, after Retry-After', async () => {
  const fake = fakeFetch([
    json(429, errorBody(429, 'RATE_LIMITED'), { 'Retry-After': '2' }),
    json(201, agent),
  ]);
  const sleeps: number[] = [];
  const client = new AgenFleet({
    apiKey: 'afk_test',
    baseUrl: 'http://api.test/v1/',
    fetch: fake.fn,
    maxRetries: 3,
    sleep: async (ms) => void sleeps.push(ms),
  });
  const { data, response } = await client.createAgent({ body: { name: 'scout' } });
  assert.equal(response.status, 201);
  assert.equal(data.id, agent.id);
  assert.equal(fake.seen.length, 2);
  const [first, second] = fake.seen;
  assert.ok(first?.key && first.key.length >= 1, 'an Idempotency-Key was added');
  assert.equal(second?.key, first.key, 'the retry reuses the key');
  assert.equal(second?.body, first.body, 'the retry resends the body');
  assert.equal(first.url, 'http://api.test/v1/agents');
  assert.deepEqual(sleeps, [2000], 'Retry-After is honoured');
});

test('retry: 503 and 504 and network errors are retried with capped backoff; 4xx are not', async () => {
  const fake = fakeFetch([
    json(503, errorBody(503, 'SERVICE_UNAVAILABLE')),
    new TypeError('fetch failed'),
    json(504, errorBody(504, 'COMMAND_TIMEOUT')),
    json(200, { ok: true }),
  ]);
  const sleeps: number[] = [];
  const retrying = createRetryingFetch({
    fetch: fake.fn,
    maxRetries: 5,
    initialDelayMs: 100,
    maxDelayMs: 250,
    sleep: async (ms) => void sleeps.push(ms),
  });
  const response = await retrying('http://api.test/v1/webhooks/wh_1/test', {
    method: 'POST',
    body: '{}',
  });
  assert.equal(response.status, 200);
  assert.equal(fake.seen.length, 4);
  assert.equal(new Set(fake.seen.map((s) => s.key)).size, 1, 'one key for every attempt');
  assert.equal(sleeps.length, 3);
  for (const ms of sleeps) assert.ok(ms > 0 && ms <= 250, `backoff ${ms} within the cap`);

  const fake409 = fakeFetch([json(409, errorBody(409, 'CONFLICT'))]);
  const r = await createRetryingFetch({ fetch: fake409.fn, sleep: async () => {} })(
    'http://x.test/',
    { method: 'POST' },
  );
  assert.equal(r.status, 409);
  assert.equal(fake409.seen.length, 1);
});

test('retry: GET gets no key, a caller key is kept, a long Retry-After is not waited for', async () => {
  const fake = fakeFetch([
    json(200, {}),
    json(429, errorBody(429, 'BUDGET_EXHAUSTED'), { 'Retry-After': '36000' }),
  ]);
  const retrying = createRetryingFetch({
    fetch: fake.fn,
    sleep: async () => assert.fail('no wait'),
  });
  await retrying('http://x.test/a');
  const r = await retrying('http://x.test/b', {
    method: 'POST',
    headers: { 'Idempotency-Key': 'mine' },
  });
  assert.equal(r.status, 429);
  assert.equal(fake.seen[0]?.key, null);
  assert.equal(fake.seen[1]?.key, 'mine');
  assert.equal(fake.seen.length, 2);
});

test('retry: when retries run out the last answer becomes an ApiError with its Retry-After', async () => {
  const fake = fakeFetch([
    json(429, errorBody(429, 'RATE_LIMITED', 'slow down'), {
      'Retry-After': '1',
      'X-Request-Id': 'req_a',
    }),
    json(429, errorBody(429, 'RATE_LIMITED', 'slow down'), {
      'Retry-After': '1',
      'X-Request-Id': 'req_b',
    }),
  ]);
  const client = new AgenFleet({
    apiKey: 'afk_x',
    baseUrl: 'http://api.test',
    fetch: fake.fn,
    maxRetries: 1,
    sleep: async () => {},
  });
  const error = await client.listAgents().then(
    () => assert.fail('should throw'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'RATE_LIMITED');
  assert.equal(error.message, '429 RATE_LIMITED: slow down');
  assert.equal(error.requestId, 'req_b');
  assert.equal(error.retryAfter, 1);
  assert.equal(fake.seen.length, 2);
});

test('errors: a non-JSON error answer is still an ApiError', async () => {
  const fake = fakeFetch([
    new Response('bad gateway', { status: 502, headers: { 'Content-Type': 'text/plain' } }),
  ]);
  const client = new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fake.fn });
  await assert.rejects(client.getAgent({ path: { id: agent.id } }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 502);
    assert.equal(e.code, 'UNKNOWN');
    assert.equal(e.body, 'bad gateway');
    return true;
  });
});

test('validation: an undocumented key in an answer fails (strict schemas), never returns data', async () => {
  const fake = fakeFetch([json(200, { ...agent, surprise: 1 })]);
  const client = new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fake.fn });
  await assert.rejects(client.getAgent({ path: { id: agent.id } }), (e: unknown) => {
    assert.ok(e instanceof ResponseValidationError, String(e));
    assert.match(e.message, /surprise/);
    assert.deepEqual((e.body as { surprise: number }).surprise, 1);
    return true;
  });
});

test('validation: a wrong type, a missing body and a wrong content type fail too', async () => {
  const client = (answer: Response) =>
    new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fakeFetch([answer]).fn });
  await assert.rejects(
    client(json(200, { ...agent, openSessionCount: '0' })).getAgent({ path: { id: agent.id } }),
    ResponseValidationError,
  );
  await assert.rejects(
    client(new Response(null, { status: 200 })).getAgent({ path: { id: agent.id } }),
    ResponseValidationError,
  );
  await assert.rejects(
    client(
      new Response(JSON.stringify(agent), {
        status: 200,
        headers: { 'Content-Type': 'application/octet-stream' },
      }),
    ).getAgent({ path: { id: agent.id } }),
    ResponseValidationError,
  );
  await assert.rejects(
    client(json(200, { ...agent, createdAt: 'yesterday' })).getAgent({ path: { id: agent.id } }),
    ResponseValidationError,
  );
  // 204 stays fine.
  await client(new Response(null, { status: 204 })).deleteAgent({ path: { id: agent.id } });
});

test('validation: each answer is checked exactly once (the interceptor, not again by the client)', async () => {
  const schema = (await loadSchemas()).zGetAgentResponse;
  const original = schema.parseAsync.bind(schema);
  let calls = 0;
  schema.parseAsync = (async (...args: Parameters<typeof original>) => {
    calls += 1;
    return original(...args);
  }) as typeof schema.parseAsync;
  try {
    const fake = fakeFetch([json(200, agent), json(200, agent)]);
    const client = new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fake.fn });
    await client.getAgent({ path: { id: agent.id } });
    assert.equal(calls, 1);
    await client.getAgent({ path: { id: agent.id } });
    assert.equal(calls, 2);
  } finally {
    schema.parseAsync = original;
  }
});

test('validation: `validate: false` checks neither requests nor answers, and still reads errors', async () => {
  const fake = fakeFetch([
    json(200, { ...agent, surprise: 1 }),
    json(200, { data: [], pagination: { total: 0, limit: 7, offset: 0, hasMore: false } }),
    json(404, errorBody(404, 'NOT_FOUND')),
  ]);
  const client = new AgenFleet({
    apiKey: 'afk_x',
    baseUrl: 'http://api.test',
    fetch: fake.fn,
    validate: false,
  });
  const { data } = await client.getAgent({ path: { id: agent.id } });
  assert.equal((data as unknown as { surprise: number }).surprise, 1);
  // A query the document forbids (limit is an integer) is sent as it is, not refused here.
  await client.listAgents({ query: { limit: 'seven' as unknown as number } });
  assert.match(fake.seen[1]!.url, /limit=seven/);
  await assert.rejects(client.getAgent({ path: { id: agent.id } }), (e: unknown) => {
    assert.ok(e instanceof ApiError && e.status === 404, String(e));
    return true;
  });
  // The same request with validation on is refused before it is sent.
  const strict = new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fake.fn });
  await assert.rejects(strict.listAgents({ query: { limit: 'seven' as unknown as number } }));
  assert.equal(fake.seen.length, 3);
});

test('sse: an activity entry is validated unless `validate` is false', async () => {
  const entry = {
    sequence: 7,
    type: 'agent.created',
    surprise: true,
  };
  const stream = (validate: boolean) => {
    const body = `id: 7\nevent: agent.created\ndata: ${JSON.stringify(entry)}\n\n`;
    const fake = fakeFetch([
      new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    ]);
    const client = new AgenFleet({ apiKey: 'afk_x', baseUrl: 'http://api.test', fetch: fake.fn, validate });
    return client.activityStream({ reconnect: false });
  };
  const lenient = await stream(false).next();
  assert.deepEqual(lenient.value, entry);
  await assert.rejects(stream(true).next(), ResponseValidationError);
});

test('pagination: follows offset until hasMore is false', async () => {
  const pages = [
    { data: [1, 2], pagination: { total: 5, limit: 2, offset: 0, hasMore: true } },
    { data: [3, 4], pagination: { total: 5, limit: 2, offset: 2, hasMore: true } },
    { data: [5], pagination: { total: 5, limit: 2, offset: 4, hasMore: false } },
  ];
  const asked: Array<{ limit: number; offset: number }> = [];
  const items: number[] = [];
  for await (const item of paginate(
    async (page) => {
      asked.push(page);
      return { data: pages[asked.length - 1]! };
    },
    { limit: 2 },
  ))
    items.push(item);
  assert.deepEqual(items, [1, 2, 3, 4, 5]);
  assert.deepEqual(asked, [
    { limit: 2, offset: 0 },
    { limit: 2, offset: 2 },
    { limit: 2, offset: 4 },
  ]);
});

test('sse: the parser handles split chunks, CRLF, comments, multi-line data and ids', async () => {
  const text =
    ': keep-alive\r\nid: 7\r\nevent: agent.created\r\ndata: {"a":\r\ndata: 1}\r\n\r\nretry: 2500\ndata:x\n\nid: 9\nevent: e\ndata: y\n\n';
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
      controller.close();
    },
  });
  const events = [];
  for await (const event of parseServerSentEvents(stream)) events.push(event);
  assert.deepEqual(events, [
    { id: '7', event: 'agent.created', data: '{"a":\n1}', retry: undefined },
    { id: undefined, event: 'message', data: 'x', retry: 2500 },
    { id: '9', event: 'e', data: 'y', retry: undefined },
  ]);
});

test('webhooks: verifyWebhook accepts a Standard Webhooks signature and rejects a tampered body', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const body = JSON.stringify({
    id: 'evt_1',
    event: 'webhook.test',
    timestamp: '2026-01-15T09:00:00Z',
    data: {},
  });
  const now = new Date();
  const signature = new Webhook(secret).sign('evt_1', now, body);
  const headers = {
    'webhook-id': 'evt_1',
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': `v1,bm90LXRoaXMtb25l ${signature}`,
  };
  const event = verifyWebhook(secret, body, headers);
  assert.equal(event.event, 'webhook.test');
  assert.equal(
    verifyWebhook(secret, new TextEncoder().encode(body), new Headers(headers)).id,
    'evt_1',
  );
  assert.throws(
    () => verifyWebhook(secret, body.replace('test', 'tost'), headers),
    WebhookVerificationError,
  );
  assert.throws(
    () =>
      verifyWebhook(secret, body, {
        ...headers,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000) - 600),
      }),
    WebhookVerificationError,
  );
});
