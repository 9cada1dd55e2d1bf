// The fleet page with 500 agents, in Debian's Chromium: time to first render of every card, and
// the main thread's long tasks while statuses change live. A measurement, not a test:
//   AGENFLEET_BIN=target/debug/agenfleet scripts/with-dev-server node console/perf/fleet-500.mjs
// (uses AGENFLEET_URL and AGENFLEET_KEY, a tenant of its own with high rate limits).
import { chromium } from '@playwright/test';

const URL = process.env.AGENFLEET_URL;
const KEY = process.env.AGENFLEET_KEY;
if (!URL || !KEY) throw new Error('run through scripts/with-dev-server');
const AGENTS = Number(process.env.AGENTS ?? 500);
const RUNS = Number(process.env.RUNS ?? 5);
const CARD = '[data-testid="agent-card"]';

async function api(method, path, body) {
  const response = await fetch(`${URL}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

async function pool(count, concurrency, task) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}

const existing = (await api('GET', '/agents?limit=1')).pagination.total;
const models = ['claude-haiku-3.5', 'claude-sonnet-4', 'gpt-4o-mini', 'gpt-4o'];
const catalog = new Set((await api('GET', '/models')).data.map((m) => m.id));
const usable = models.filter((m) => catalog.has(m));
await pool(Math.max(0, AGENTS - existing), 16, async (i) => {
  await api('POST', '/agents', {
    name: `Bench agent ${existing + i}`,
    role: ['support', 'research', 'ops', 'finance'][i % 4],
    config: {
      model: { default: usable[i % usable.length] ?? 'claude-haiku-3.5' },
      limits: { dailyTokenBudget: 100_000 * (1 + (i % 5)) },
    },
  });
});
const ids = [];
for (let offset = 0; offset < AGENTS; offset += 100) {
  ids.push(...(await api('GET', `/agents?limit=100&offset=${offset}`)).data.map((a) => a.id));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const firstRender = [];
let page;
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await page.addInitScript((key) => {
    sessionStorage.setItem('agenfleet.apiKey', key);
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  }, KEY);
  await page.goto(`${URL}/console/`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="agent-card"]').length >= n, AGENTS, { timeout: 30_000, polling: 'raf' });
  firstRender.push(await page.evaluate(() => performance.now()));
  if (run < RUNS - 1) await context.close();
}

// With DETAIL=1, where the last load's time went: each request and long task, in ms from navigation.
if (process.env.DETAIL) {
  const detail = await page.evaluate(() => ({
    resources: performance.getEntriesByType('resource').map((r) =>
      `${Math.round(r.startTime)}–${Math.round(r.responseEnd)} ${r.name.replace(location.origin, '')}`),
    longTasks: performance.getEntriesByType('longtask').map((t) => `${Math.round(t.startTime)} +${Math.round(t.duration)}`),
  }));
  console.log(JSON.stringify(detail, null, 1));
}

// Live: 10 s of status changes (heartbeats degrading and restoring agents), ~20 per second.
await page.evaluate(() => { window.__longTasks = []; });
const changed = new Map();
const started = Date.now();
let sent = 0;
while (Date.now() - started < 10_000) {
  const batch = [];
  for (let i = 0; i < 4; i++) {
    const id = ids[(sent * 7 + i * 131) % ids.length];
    const state = sent % 2 === 0 ? 'degraded' : 'ok';
    changed.set(id, true);
    batch.push(api('POST', `/agents/${id}/heartbeat`, { state }));
    sent++;
  }
  await Promise.all(batch);
  await new Promise((resolve) => setTimeout(resolve, 200));
}
// Every changed card shows the status the API gives within 3 s of the last change.
const sample = await Promise.all(
  [...changed.keys()].slice(-20).map(async (id) => [id, (await api('GET', `/agents/${id}`)).status]),
);
const deadline = Date.now() + 3_000;
let stale = sample.length;
while (Date.now() < deadline && stale > 0) {
  stale = 0;
  for (const [id, status] of sample) {
    const shown = await page.locator(`${CARD}[data-agent-id="${id}"]`).getAttribute('data-status');
    if (shown !== status) stale++;
  }
  if (stale) await new Promise((resolve) => setTimeout(resolve, 200));
}
const longTasks = await page.evaluate(() => window.__longTasks);
await browser.close();

const sorted = [...firstRender].sort((a, b) => a - b);
console.log(JSON.stringify({
  agents: AGENTS,
  firstRenderMs: { median: Math.round(sorted[Math.floor(sorted.length / 2)]), runs: firstRender.map(Math.round) },
  live: {
    heartbeatsSent: sent,
    seconds: 10,
    longTasks: longTasks.length,
    longestTaskMs: Math.round(Math.max(0, ...longTasks)),
    totalLongTaskMs: Math.round(longTasks.reduce((a, b) => a + b, 0)),
    cardsStaleAfter3s: stale,
  },
}, null, 2));
