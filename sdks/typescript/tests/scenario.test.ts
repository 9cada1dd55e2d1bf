// A user's first hour with the SDK, against a live server (scripts/with-dev-server gives
// AGENFLEET_URL and AGENFLEET_KEY). Every answer goes through the generated zod schemas (the SDK's
// responseValidator; a mismatch rejects with ResponseValidationError and fails the step) and
// through the ContractRecorder (documented status, headers, error bodies); the last test fails
// when any disagreement with the OpenAPI document was seen, listing them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  AgenFleet,
  ApiError,
  ResponseValidationError,
  verifyWebhook,
  WebhookVerificationError,
  type ActivityEntry,
  type Agent,
  type CronRun,
  type Session,
  type Webhook,
} from '../src/index.js';
import { ContractRecorder, truncate } from './contract.js';

const origin = process.env.AGENFLEET_URL;
const apiKey = process.env.AGENFLEET_KEY;
if (!origin || !apiKey) {
  throw new Error(
    'AGENFLEET_URL and AGENFLEET_KEY must be set: run through scripts/with-dev-server',
  );
}

let contract: ContractRecorder;
let af: AgenFleet;
const run = Date.now().toString(36);

// A webhook receiver on loopback.
interface Received {
  body: string;
  headers: IncomingHttpHeaders;
}
const received: Received[] = [];
const waiters: Array<() => void> = [];
let receiver: Server;
let receiverUrl: string;

before(async () => {
  contract = await ContractRecorder.load(origin);
  af = new AgenFleet({ apiKey, baseUrl: origin, maxRetries: 3, fetch: contract.fetch });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});

after(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** Runs a step; a validation failure is recorded as a finding (with its payload) and rethrown. */
async function step<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ResponseValidationError) {
      const op = contract.operationOf(error.method, error.url);
      contract.add({
        operation: op?.op.operationId ?? '?',
        request: `${error.method} ${new URL(error.url).pathname}${new URL(error.url).search}`,
        status: error.status,
        problem: `zod validation failed: ${error.message.split(': the answer does not match the OpenAPI document: ')[1] ?? error.message}`,
        payload: error.body,
      });
      error.message += `\n  payload: ${truncate(JSON.stringify(error.body))}`;
    }
    throw error;
  }
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<ApiError> {
  const error = await promise.then(
    () => assert.fail(`expected ${status} ${code}`),
    (e: unknown) => e,
  );
  if (error instanceof ResponseValidationError) throw error;
  assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code, error.message);
  assert.match(error.requestId ?? '', /^req_|./, 'the error carries the request id');
  return error;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// Shared state along the scenario.
let scout: Agent;
let session: Session;
let webhook: Webhook;
let firstSequence = 0;
let readKey: { id: string; key: string };
const secrets: string[] = [];

test('API keys: create a read key, list it, get it; the read key reads but cannot write', () =>
  step(async () => {
    const { data: created, response } = await af.createApiKey({
      body: { name: `reader-${run}`, scope: 'read' },
    });
    assert.equal(response.status, 201);
    assert.match(created.id, /^key_[0-9a-z]{26}$/);
    assert.ok(created.key?.startsWith('afk_'), 'the secret is shown once, at creation');
    assert.equal(created.prefix, created.key?.slice(0, 8));
    assert.equal(created.scope, 'read');

    const ids: string[] = [];
    for await (const key of af.paginate((page) => af.listApiKeys({ query: page }))) {
      assert.equal(key.key ?? undefined, undefined, 'no secret in a list');
      ids.push(key.id);
    }
    assert.ok(ids.includes(created.id));

    const { data: got } = await af.getApiKey({ path: { id: created.id } });
    assert.equal(got.id, created.id);
    assert.equal(got.name, `reader-${run}`);
    assert.equal(got.key ?? undefined, undefined);

    readKey = { id: created.id, key: created.key! };
    const reader = new AgenFleet({ apiKey: created.key!, baseUrl: origin, fetch: contract.fetch });
    await reader.listAgents();
    await rejectsWith(reader.createAgent({ body: { name: `nope-${run}` } }), 403, 'FORBIDDEN');
    await rejectsWith(
      new AgenFleet({
        apiKey: 'afk_00000000000000000000000000000000',
        baseUrl: origin,
        fetch: contract.fetch,
      }).listAgents(),
      401,
      'UNAUTHORIZED',
    );
  }));

test('agents: create, duplicate name is a 409 ApiError, iterate every page, patch, SOUL, heartbeat', () =>
  step(async () => {
    const { data: first } = await af.listActivity({ query: { limit: 1 } });
    firstSequence = first.data[0]?.sequence ?? 0;

    const soul = `# Scout ${run}\n\nYou scout the web.\n`;
    const { data, response } = await af.createAgent({
      body: {
        name: `Scout-${run}`,
        role: 'researcher',
        description: 'Finds things',
        soul,
        config: {
          model: { default: 'claude-sonnet-4-20250514', fallbacks: ['gpt-4o'] },
          tools: { allowed: ['web_search', 'read_url'] },
          limits: { dailyTokenBudget: 1_000_000 },
        },
      },
    });
    scout = data;
    assert.equal(response.status, 201);
    assert.match(scout.id, /^agent_[0-9a-z]{26}$/);
    assert.equal(scout.status, 'provisioning');
    assert.equal(scout.model, 'claude-sonnet-4-20250514');
    assert.equal(scout.config.limits.alertThreshold, 0.8);
    assert.equal(scout.soulSha256, sha256(soul));

    const conflict = await rejectsWith(
      af.createAgent({ body: { name: `scout-${run}`.toUpperCase() } }),
      409,
      'CONFLICT',
    );
    assert.ok(conflict.requestId?.startsWith('req_'), `requestId ${conflict.requestId}`);

    await rejectsWith(
      af.getAgent({ path: { id: 'agent_01jq8abcdefghjkmnpqrstvwxy' } }),
      404,
      'AGENT_NOT_FOUND',
    );
    // The server's own validation (the raw client skips the generated request schema).
    const invalid = await rejectsWith(
      af.http.get({ url: '/v1/agents', query: { limit: 500 } }),
      400,
      'VALIDATION_ERROR',
    );
    assert.ok(invalid.details?.length, 'a VALIDATION_ERROR has details');

    // Enough agents for several pages.
    const fleet: string[] = [scout.id];
    for (let i = 0; i < 23; i++) {
      const { data: a } = await af.createAgent({
        body: { name: `fleet-${run}-${String(i).padStart(2, '0')}` },
      });
      fleet.push(a.id);
    }
    const seen: string[] = [];
    let pages = 0;
    for await (const agent of af.paginate(
      async (page) => {
        pages++;
        return af.listAgents({ query: { ...page, order: 'asc' } });
      },
      { limit: 5 },
    )) {
      seen.push(agent.id);
    }
    assert.ok(pages >= 5, `${pages} pages`);
    assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages');
    for (const id of fleet) assert.ok(seen.includes(id), `${id} was listed`);
    const { data: counted } = await af.listAgents({ query: { limit: 1 } });
    assert.equal(counted.pagination.total, seen.length);
    assert.equal(counted.pagination.hasMore, seen.length > 1);

    const { data: patched } = await af.updateAgent({
      path: { id: scout.id },
      body: { role: 'lead researcher', config: { limits: { alertThreshold: 0.5 } } },
    });
    assert.equal(patched.role, 'lead researcher');
    assert.equal(patched.config.limits.alertThreshold, 0.5);
    assert.equal(patched.config.limits.dailyTokenBudget, 1_000_000, 'merge patch keeps the rest');
    assert.deepEqual(patched.config.tools.allowed, ['web_search', 'read_url']);

    const newSoul = `# Scout ${run}\n\nYou lead the research.\n`;
    const { data: souled } = await af.putAgentSoul({
      path: { id: scout.id },
      body: { soul: newSoul },
    });
    assert.equal(souled.soulSha256, sha256(newSoul));
    const { data: soulText, response: soulResponse } = await af.getAgentSoul({
      path: { id: scout.id },
    });
    assert.match(soulResponse.headers.get('Content-Type') ?? '', /^text\/markdown/);
    assert.equal(soulText, newSoul);

    const { response: beat } = await af.recordHeartbeat({
      path: { id: scout.id },
      body: { state: 'ok', latencyMs: 42 },
    });
    assert.equal(beat.status, 204);
    const { data: online } = await af.getAgent({ path: { id: scout.id } });
    assert.equal(online.status, 'online');
    assert.ok(online.lastHeartbeatAt);
    scout = online;
  }));

test('sessions and messages: create, user message, assistant reply with usage and tool calls, list', () =>
  step(async () => {
    const { data: created, response } = await af.createSession({
      body: { agentId: scout.id, name: 'first chat' },
    });
    assert.equal(response.status, 201);
    assert.equal(created.status, 'active');
    assert.equal(created.origin, 'api');
    session = created;
    await rejectsWith(
      af.createSession({ body: { agentId: 'agent_01jq8abcdefghjkmnpqrstvwxy' } }),
      404,
      'AGENT_NOT_FOUND',
    );

    const { data: question } = await af.postMessage({
      path: { id: session.id },
      body: { content: 'What is new in Rust?' },
    });
    assert.equal(question.role, 'user');
    assert.equal(question.sequence, 1);
    assert.equal(question.usage ?? null, null);

    const { data: reply } = await af.postMessage({
      path: { id: session.id },
      body: {
        role: 'assistant',
        content: 'Rust 1.90 shipped.',
        usage: {
          model: 'claude-sonnet-4-20250514',
          inputTokens: 1200,
          outputTokens: 300,
          latencyMs: 850,
        },
        toolCalls: [
          { name: 'web_search', status: 'success', durationMs: 120 },
          { name: 'read_url', status: 'failure', durationMs: 30 },
        ],
      },
    });
    assert.equal(reply.sequence, 2);
    assert.equal(reply.usage?.costUsd, 0.0081, '1200 × $3/M + 300 × $15/M');
    assert.equal(reply.toolCalls.length, 2);

    const messages = [];
    for await (const m of af.paginate((page) =>
      af.listMessages({ path: { id: session.id }, query: page }),
    ))
      messages.push(m);
    assert.deepEqual(
      messages.map((m) => m.sequence),
      [1, 2],
      'oldest first',
    );

    const { data: after } = await af.getSession({ path: { id: session.id } });
    assert.equal(after.messageCount, 2);
    assert.equal(after.tokenCount, 1500);
    const { data: list } = await af.listSessions({ query: { agentId: scout.id } });
    assert.ok(list.data.some((s) => s.id === session.id));
  }));

test('metrics: the summary and the per-agent figures count the reply', () =>
  step(async () => {
    const { data: summary } = await af.getMetricsSummary();
    assert.ok(summary.tokens.input >= 1200);
    assert.ok(summary.messages.assistant >= 1);
    assert.ok(summary.agents.total >= 24);
    assert.ok(
      summary.byModel.some(
        (m) => m.model === 'claude-sonnet-4-20250514' && m.provider === 'anthropic',
      ),
    );

    const rows = [];
    for await (const row of af.paginate((page) => af.listAgentMetrics({ query: page })))
      rows.push(row);
    const mine = rows.find((r) => r.agentId === scout.id);
    assert.ok(mine, 'the agent has a metrics row');
    assert.equal(mine.inputTokens, 1200);
    assert.equal(mine.costUsd, 0.0081);
    assert.equal(rows[0]?.agentId, scout.id, 'sorted by cost, the only spender first');

    const { data: series } = await af.getAgentMetrics({
      path: { id: scout.id },
      query: { granularity: 'hour' },
    });
    assert.equal(series.agentId, scout.id);
    assert.ok(series.series.length >= 1);
    const total = series.series.reduce((n, b) => n + b.inputTokens, 0);
    assert.equal(total, 1200);
    assert.equal(
      series.series.reduce((n, b) => n + b.toolFailures, 0),
      1,
    );
  }));

test('webhooks: create one pointing at a local receiver, send a test, verify it, read the delivery', () =>
  step(async () => {
    const { data: created, response } = await af.createWebhook({
      body: { url: receiverUrl, events: ['*'], description: 'local receiver' },
    });
    assert.equal(response.status, 201);
    assert.ok(created.secret?.startsWith('whsec_'));
    webhook = created;
    secrets.push(created.secret!);

    const { data: sent, response: accepted } = await af.testWebhook({ path: { id: webhook.id } });
    assert.equal(accepted.status, 202);

    const delivery = await eventually('the webhook.test delivery', async () =>
      received.find((r) => r.headers['webhook-id'] === sent.eventId),
    );
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.equal(delivery.headers['user-agent'], 'AgenFleet-Webhooks/1');
    const event = verifyWebhook(webhook.secret!, delivery.body, delivery.headers);
    // The document has no schema for deliveries: check the contract's shape here.
    assert.deepEqual(Object.keys(event).sort(), ['data', 'event', 'id', 'timestamp']);
    assert.match(event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(event.id, sent.eventId);
    assert.equal(event.event, 'webhook.test');
    assert.throws(
      () => verifyWebhook(webhook.secret!, `${delivery.body} `, delivery.headers),
      WebhookVerificationError,
    );
    assert.throws(
      () =>
        verifyWebhook(
          `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
          delivery.body,
          delivery.headers,
        ),
      WebhookVerificationError,
    );

    const { data: done } = await eventually('the delivery to succeed', async () => {
      const r = await af.getWebhookDelivery({
        path: { id: webhook.id, deliveryId: sent.deliveryId },
      });
      return r.data.status === 'succeeded' ? r : undefined;
    });
    assert.equal(done.eventId, sent.eventId);
    assert.equal(done.eventType, 'webhook.test');
    assert.ok(done.attemptLog?.some((a) => a.statusCode === 200));

    const { data: deliveries } = await af.listWebhookDeliveries({
      path: { id: webhook.id },
      query: { status: 'succeeded' },
    });
    assert.ok(deliveries.data.some((d) => d.id === sent.deliveryId));
    const { data: got } = await af.getWebhook({ path: { id: webhook.id } });
    assert.equal(
      got.secret ?? undefined,
      undefined,
      'the secret is only in create and rotate answers',
    );
  }));

test('cron jobs: create, run now, answer the run, list runs', () =>
  step(async () => {
    const { data: job, response } = await af.createCronJob({
      body: {
        agentId: scout.id,
        name: 'morning digest',
        prompt: 'Summarize the news.',
        schedule: '0 9 * * MON-FRI',
        timezone: 'Europe/Paris',
      },
    });
    assert.equal(response.status, 201);
    assert.ok(job.nextRunAt, 'the next run is scheduled');
    assert.deepEqual(job.delivery, { type: 'none' });

    const { data: fired, response: accepted } = await af.runCronJob({ path: { id: job.id } });
    assert.equal(accepted.status, 202);
    assert.equal(fired.cronJobId, job.id);

    const started: CronRun = await eventually('the run to open its session', async () => {
      const { data } = await af.getCronRun({ path: { id: job.id, runId: fired.id } });
      return data.sessionId ? data : undefined;
    });
    const { data: cronSession } = await af.getSession({ path: { id: started.sessionId! } });
    assert.equal(cronSession.origin, 'cron');
    assert.equal(cronSession.cronJobId, job.id);
    const { data: prompt } = await af.listMessages({ path: { id: cronSession.id } });
    assert.equal(prompt.data[0]?.content, 'Summarize the news.');

    await af.postMessage({
      path: { id: cronSession.id },
      body: {
        role: 'assistant',
        content: 'Nothing happened.',
        usage: { model: 'claude-sonnet-4-20250514', inputTokens: 10, outputTokens: 5 },
      },
    });
    const finished = await eventually('the run to succeed', async () => {
      const { data } = await af.getCronRun({ path: { id: job.id, runId: fired.id } });
      return data.status === 'succeeded' ? data : undefined;
    });
    assert.equal(finished.outputTokens, 5);

    const runs = [];
    for await (const r of af.paginate((page) =>
      af.listCronRuns({ path: { id: job.id }, query: page }),
    ))
      runs.push(r);
    assert.ok(runs.some((r) => r.id === fired.id));
    const { data: jobs } = await af.listCronJobs({ query: { agentId: scout.id } });
    assert.ok(jobs.data.some((j) => j.id === job.id && j.lastRunStatus === 'succeeded'));
  }));

test('activity: list with filters, verify the chain, read the live stream', () =>
  step(async () => {
    const { data: agentEvents } = await af.listActivity({
      query: { type: 'agent.*', agentId: scout.id, limit: 100 },
    });
    assert.ok(agentEvents.data.length >= 3);
    for (const e of agentEvents.data) {
      assert.ok(e.type.startsWith('agent.'), e.type);
      assert.equal(e.agentId, scout.id);
    }
    assert.ok(agentEvents.data.some((e) => e.type === 'agent.soul_updated'));
    const { data: byKey } = await af.listActivity({
      query: { actorType: 'api_key', type: 'api_key.created,webhook.created', limit: 10 },
    });
    assert.ok(byKey.data.length >= 2);

    // Replay in order and re-check the hash chain from the API alone.
    let prev: ActivityEntry | undefined;
    let count = 0;
    let after = 0;
    for (;;) {
      const { data: page } = await af.listActivity({ query: { after, limit: 100 } });
      for (const entry of page.data) {
        if (prev) {
          assert.equal(entry.sequence, prev.sequence + 1, 'gap-free sequence');
          assert.equal(entry.prevHash, prev.hash);
        }
        const { hash, ...rest } = entry;
        assert.equal(
          hash,
          sha256(entry.prevHash + canonicalJson(rest)),
          `hash of ${entry.sequence}`,
        );
        prev = entry;
        count++;
      }
      if (!page.pagination.hasMore || page.data.length === 0) break;
      after = prev!.sequence;
    }
    const { data: verification } = await af.verifyActivity();
    assert.equal(verification.valid, true);
    assert.equal(verification.entries, count);
    assert.equal(verification.firstBrokenSequence, null);
    const { data: one } = await af.getActivity({ path: { id: prev!.id } });
    assert.deepEqual(one, prev);

    // The live stream sees an event made now.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20_000);
    const stream = af.activityStream({ signal: controller.signal, lastEventId: prev!.sequence });
    const iterator = stream[Symbol.asyncIterator]();
    const firstNext = iterator.next();
    await new Promise((r) => setTimeout(r, 300));
    const { data: made } = await af.createAgent({ body: { name: `streamed-${run}` } });
    let live: ActivityEntry | undefined;
    for (let next = await firstNext; !next.done; next = await iterator.next()) {
      if (next.value.subject.id === made.id) {
        live = next.value;
        break;
      }
    }
    await iterator.return(undefined);
    clearTimeout(timer);
    assert.ok(live, 'the stream delivered the new agent');
    assert.equal(live.type, 'agent.created');
    assert.ok(live.sequence > prev!.sequence);

    // Resume from a known position with Last-Event-ID: the next entry comes first.
    const resumed = af.activityStream({ lastEventId: live.sequence - 1, reconnect: false });
    for await (const entry of resumed) {
      assert.equal(entry.sequence, live.sequence);
      assert.deepEqual(entry, live);
      break;
    }
    assert.ok(firstSequence >= 0);
  }));

test('idempotency: the same key twice gives the same resource; another body with it is a 422', () =>
  step(async () => {
    const key = `first-hour-${run}`;
    const body = { name: `idem-${run}` };
    const one = await af.createAgent({ body, headers: { 'Idempotency-Key': key } });
    const two = await af.createAgent({ body, headers: { 'Idempotency-Key': key } });
    assert.equal(two.data.id, one.data.id);
    assert.equal(two.response.status, 201);
    assert.equal(two.response.headers.get('Idempotent-Replayed'), 'true');
    await rejectsWith(
      af.createAgent({ body: { name: `other-${run}` }, headers: { 'Idempotency-Key': key } }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    // Every write of the run carried a key, added by the SDK when the caller gave none.
    const writes = contract.exchanges.filter((x) =>
      ['POST', 'PATCH', 'PUT', 'DELETE'].includes(x.method),
    );
    assert.ok(writes.length > 30);
    for (const x of writes)
      assert.ok(x.requestHeaders.get('Idempotency-Key'), `${x.method} ${x.url} has a key`);
  }));

test('the rest of the surface: models, rotate, replay, retry, patch, archive, prune, revoke, delete', () =>
  step(async () => {
    const { data: models } = await af.listModels();
    assert.ok(models.data.some((m) => m.id === 'claude-haiku-3.5' && m.provider === 'anthropic'));

    // Rotation: deliveries carry both signatures for a while; each secret verifies.
    const oldSecret = webhook.secret!;
    const { data: rotated } = await af.rotateWebhookSecret({ path: { id: webhook.id } });
    assert.ok(rotated.secret?.startsWith('whsec_') && rotated.secret !== oldSecret);
    const { data: sent } = await af.testWebhook({ path: { id: webhook.id } });
    const delivery = await eventually('the test after rotation', async () =>
      received.find((r) => r.headers['webhook-id'] === sent.eventId),
    );
    assert.equal(verifyWebhook(rotated.secret!, delivery.body, delivery.headers).id, sent.eventId);
    assert.equal(verifyWebhook(oldSecret, delivery.body, delivery.headers).id, sent.eventId);
    webhook = { ...webhook, secret: rotated.secret };
    secrets.push(rotated.secret!);

    const { data: patchedHook } = await af.updateWebhook({
      path: { id: webhook.id },
      body: { description: 'patched' },
    });
    assert.equal(patchedHook.description, 'patched');
    const { data: retried, response: retryAccepted } = await af.retryWebhookDelivery({
      path: { id: webhook.id, deliveryId: sent.deliveryId },
    });
    assert.equal(retryAccepted.status, 202);
    void retried;
    const { data: replayed, response: replayAccepted } = await af.replayWebhookEvents({
      path: { id: webhook.id },
      body: { since: new Date(Date.now() - 60_000).toISOString() },
    });
    assert.equal(replayAccepted.status, 202);
    assert.ok(replayed.scheduled >= 1);

    // Cron: patch, list, delete.
    const { data: jobs } = await af.listCronJobs({ query: { agentId: scout.id } });
    const job = jobs.data[0]!;
    const { data: patchedJob } = await af.updateCronJob({
      path: { id: job.id },
      body: { enabled: false, schedule: '*/30 * * * *' },
    });
    assert.equal(patchedJob.enabled, false);
    const { data: gotJob } = await af.getCronJob({ path: { id: job.id } });
    assert.equal(gotJob.schedule, '*/30 * * * *');
    assert.equal((await af.deleteCronJob({ path: { id: job.id } })).response.status, 204);
    await rejectsWith(af.getCronJob({ path: { id: job.id } }), 404, 'CRON_JOB_NOT_FOUND');

    // Sessions: archive, a message to it is refused, prune.
    const { data: archived } = await af.archiveSession({ path: { id: session.id } });
    assert.equal(archived.status, 'archived');
    assert.ok(archived.archivedAt);
    await rejectsWith(
      af.postMessage({ path: { id: session.id }, body: { content: 'hello?' } }),
      409,
      'SESSION_ARCHIVED',
    );
    const { data: spare } = await af.createSession({ body: { agentId: scout.id } });
    const { data: pruned } = await af.pruneSessions({
      body: { before: new Date(Date.now() + 60_000).toISOString(), agentId: scout.id },
    });
    assert.ok(pruned.archived >= 1);
    assert.equal((await af.getSession({ path: { id: spare.id } })).data.status, 'archived');

    // Keys: revoke the read key; it is refused afterwards.
    assert.equal((await af.revokeApiKey({ path: { id: readKey.id } })).response.status, 204);
    await rejectsWith(af.getApiKey({ path: { id: readKey.id } }), 404, 'API_KEY_NOT_FOUND');
    await rejectsWith(
      new AgenFleet({ apiKey: readKey.key, baseUrl: origin, fetch: contract.fetch }).listAgents(),
      401,
      'UNAUTHORIZED',
    );

    // Agents: delete one; its name is free again.
    const { data: doomed } = await af.createAgent({ body: { name: `doomed-${run}` } });
    assert.equal((await af.deleteAgent({ path: { id: doomed.id } })).response.status, 204);
    await rejectsWith(af.getAgent({ path: { id: doomed.id } }), 404, 'AGENT_NOT_FOUND');
    await af.createAgent({ body: { name: `doomed-${run}` } });

    // A heartbeat reporting trouble.
    await af.recordHeartbeat({
      path: { id: scout.id },
      body: { state: 'degraded', detail: 'slow upstream' },
    });
    assert.equal((await af.getAgent({ path: { id: scout.id } })).data.status, 'degraded');
    const { data: changes } = await af.listActivity({
      query: { type: 'agent.status_changed', agentId: scout.id },
    });
    assert.ok(changes.data.some((e) => (e.data as { to?: string }).to === 'degraded'));
  }));

test('errors: 413, 415 and a bad Last-Event-ID answer with the contract error body', () =>
  step(async () => {
    const auth = { Authorization: `Bearer ${apiKey}` };
    const send = async (path: string, init: RequestInit) => {
      const response = await contract.fetch(`${origin}${path}`, init);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      return ApiError.fromResponse(response, body);
    };
    const huge = await send('/v1/agents', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.code, 'PAYLOAD_TOO_LARGE');
    const media = await send('/v1/agents', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'text/plain' },
      body: 'name=x',
    });
    assert.equal(media.status, 415);
    assert.equal(media.code, 'UNSUPPORTED_MEDIA_TYPE');
    const resume = await send('/v1/activity/stream', {
      headers: { ...auth, 'Last-Event-ID': 'abc' },
    });
    assert.equal(resume.status, 400);
    assert.equal(resume.code, 'VALIDATION_ERROR');
  }));

test('cleanup: delete the webhook', () =>
  step(async () => {
    const { response } = await af.deleteWebhook({ path: { id: webhook.id } });
    assert.equal(response.status, 204);
    await rejectsWith(af.getWebhook({ path: { id: webhook.id } }), 404, 'WEBHOOK_NOT_FOUND');
  }));

test('contract: every answer agreed with the OpenAPI document', (t) => {
  // Every delivery the receiver got verifies with one of the secrets the webhook had.
  assert.ok(received.length >= 3, `${received.length} deliveries received`);
  for (const r of received) {
    const ok = secrets.some((secret) => {
      try {
        verifyWebhook(secret, r.body, r.headers);
        return true;
      } catch {
        return false;
      }
    });
    assert.ok(ok, `delivery ${String(r.headers['webhook-id'])} verifies`);
  }
  if (contract.notes.length) {
    t.diagnostic(
      `${contract.notes.length} note(s) on the OpenAPI document:\n${contract.report(contract.notes)}`,
    );
  }
  if (contract.errors.length) {
    assert.fail(
      `${contract.errors.length} disagreement(s) with the OpenAPI document:\n${contract.report(contract.errors)}`,
    );
  }
  assert.ok(contract.exchanges.length > 50, `${contract.exchanges.length} exchanges checked`);
});

/** RFC 8785 (JCS) canonical JSON for the values the API returns. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
